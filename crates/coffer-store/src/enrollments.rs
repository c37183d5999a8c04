//! New cards' enrollments through the providers' hosted pages (issue 25), and each merchant's
//! return page for enrollment links. A pending row becomes settled once, by a conditional update
//! that only a pending row passes, so two checks racing can never save a card twice.

use chrono::{DateTime, Utc};
use coffer_core::card::RegisteredSeries;
use coffer_core::{
    CardId, ContractId, CustomerId, Enrollment, EnrollmentId, EnrollmentMode, EnrollmentState,
    IdempotencyKey, MerchantId, Money, NewCustomer, Reason,
};
use rusqlite::{params, OptionalExtension, Row};

use crate::contracts::currency;
use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// A new enrollment, before it has an id.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEnrollment {
    /// The merchant account.
    pub merchant_id: MerchantId,
    /// The customer on record, or
    pub customer_id: Option<CustomerId>,
    /// the one to create with the card.
    pub new_customer: Option<NewCustomer>,
    /// Counter or link.
    pub mode: EnrollmentMode,
    /// Our order id at the provider.
    pub order_id: String,
    /// The key of the confirmation's writes.
    pub idempotency_key: IdempotencyKey,
    /// The initial transaction's amount.
    pub amount: Money,
    /// What later charges will be.
    pub reason: Reason,
    /// The consent text.
    pub terms: String,
    /// The series registered with the initial.
    pub registered: Option<RegisteredSeries>,
    /// The contract to create on the card (JSON).
    pub contract: Option<String>,
    /// The contract whose card it replaces.
    pub replaces_for: Option<ContractId>,
    /// Where the page returns to.
    pub return_url: String,
    /// When it was made.
    pub created_at: DateTime<Utc>,
    /// When it expires.
    pub expires_at: DateTime<Utc>,
}

/// How a pending enrollment settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// Saved as this card, with the contract made in the same flow if any.
    Confirmed {
        /// The card.
        card: CardId,
        /// The customer it was saved for (created now, for a new customer).
        customer: CustomerId,
        /// The contract created on it.
        contract: Option<ContractId>,
        /// Why the contract could not be created, where one was asked for and failed.
        note: Option<String>,
    },
    /// Ended without a card: failed, expired or cancelled, and why.
    Ended {
        /// Failed, Expired or Cancelled.
        state: EnrollmentState,
        /// Why.
        why: String,
    },
}

/// Reading enrollments.
pub trait EnrollmentReads {
    /// One enrollment.
    fn enrollment(&self, id: EnrollmentId) -> StoreResult<Enrollment>;
    /// The enrollments of these merchants (all when empty), newest first; only pending ones
    /// unless `settled` too.
    fn enrollments(
        &self,
        merchants: &[MerchantId],
        settled: bool,
        limit: usize,
    ) -> StoreResult<Vec<Enrollment>>;
    /// The enrollments for one customer, newest first.
    fn enrollments_of(&self, customer: CustomerId) -> StoreResult<Vec<Enrollment>>;
    /// The merchant's return page for enrollment links, if the owner set one.
    fn link_return_page(&self, merchant: MerchantId) -> StoreResult<Option<String>>;
}

/// Recording them.
pub trait EnrollmentWrites: EnrollmentReads {
    /// Records a new pending enrollment (before its page is opened at the provider).
    fn insert_enrollment(&self, new: &NewEnrollment) -> StoreResult<EnrollmentId>;
    /// Records the page the provider opened for it.
    fn set_enrollment_page(
        &self,
        id: EnrollmentId,
        pending_ref: Option<&str>,
        page_url: Option<&str>,
        page_html: Option<&str>,
    ) -> StoreResult<()>;
    /// Keeps what a return carried (a hint for the checks) on a pending enrollment.
    fn set_enrollment_returned(
        &self,
        id: EnrollmentId,
        returned: &[(String, String)],
    ) -> StoreResult<()>;
    /// Records where its link was sent.
    fn set_enrollment_sent(&self, id: EnrollmentId, to: &str) -> StoreResult<()>;
    /// Settles a pending enrollment; `false` when it was settled already (nothing changes).
    fn settle_enrollment(
        &self,
        id: EnrollmentId,
        how: &Settled,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Records the contract made on a confirmed enrollment's card, or why none was.
    fn set_enrollment_contract(
        &self,
        id: EnrollmentId,
        contract: Option<ContractId>,
        note: Option<&str>,
    ) -> StoreResult<()>;
    /// Records (or clears) what a pending enrollment waits on from the owner.
    fn set_enrollment_waiting_on(&self, id: EnrollmentId, what: Option<&str>) -> StoreResult<()>;
    /// Sets or clears the merchant's return page for enrollment links.
    fn set_link_return_page(&self, merchant: MerchantId, url: Option<&str>) -> StoreResult<()>;
    /// Blanks the personal details an erased customer's enrollments hold (the new customer's
    /// name and contact, where the link went); the rows stay for the audit trail.
    fn forget_enrollment_details(&self, customer: CustomerId) -> StoreResult<()>;
}

const COLUMNS: &str = "id, merchant_id, customer_id, new_customer_json, mode, state, order_id,
    idempotency_key, pending_ref, page_url, page_html, return_url, amount_minor, currency, reason,
    terms, registered_json, contract_json, replaces_for, sent_to, returned_json, created_at,
    expires_at, settled_at, card_id, contract_id, failure, waiting_on";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("enrollment {what}: {e}"))
}

fn read_row(r: &Row<'_>) -> rusqlite::Result<RawEnrollment> {
    Ok(RawEnrollment {
        id: r.get(0)?,
        merchant_id: r.get(1)?,
        customer_id: r.get(2)?,
        new_customer_json: r.get(3)?,
        mode: r.get(4)?,
        state: r.get(5)?,
        order_id: r.get(6)?,
        idempotency_key: r.get(7)?,
        pending_ref: r.get(8)?,
        page_url: r.get(9)?,
        page_html: r.get(10)?,
        return_url: r.get(11)?,
        amount_minor: r.get(12)?,
        currency: r.get(13)?,
        reason: r.get(14)?,
        terms: r.get(15)?,
        registered_json: r.get(16)?,
        contract_json: r.get(17)?,
        replaces_for: r.get(18)?,
        sent_to: r.get(19)?,
        returned_json: r.get(20)?,
        created_at: r.get(21)?,
        expires_at: r.get(22)?,
        settled_at: r.get(23)?,
        card_id: r.get(24)?,
        contract_id: r.get(25)?,
        failure: r.get(26)?,
        waiting_on: r.get(27)?,
    })
}

struct RawEnrollment {
    id: i64,
    merchant_id: i64,
    customer_id: Option<i64>,
    new_customer_json: Option<String>,
    mode: String,
    state: String,
    order_id: String,
    idempotency_key: String,
    pending_ref: Option<String>,
    page_url: Option<String>,
    page_html: Option<String>,
    return_url: String,
    amount_minor: i64,
    currency: String,
    reason: String,
    terms: String,
    registered_json: Option<String>,
    contract_json: Option<String>,
    replaces_for: Option<i64>,
    sent_to: Option<String>,
    returned_json: Option<String>,
    created_at: i64,
    expires_at: i64,
    settled_at: Option<i64>,
    card_id: Option<i64>,
    contract_id: Option<i64>,
    failure: Option<String>,
    waiting_on: Option<String>,
}

impl RawEnrollment {
    fn into_enrollment(self) -> StoreResult<Enrollment> {
        Ok(Enrollment {
            id: EnrollmentId(self.id),
            merchant_id: MerchantId(self.merchant_id),
            customer_id: self.customer_id.map(CustomerId),
            new_customer: self
                .new_customer_json
                .as_deref()
                .map(|t| serde_json::from_str(t).map_err(|e| corrupt("new customer", e)))
                .transpose()?,
            mode: EnrollmentMode::parse(&self.mode).ok_or_else(|| corrupt("mode", &self.mode))?,
            state: EnrollmentState::parse(&self.state)
                .ok_or_else(|| corrupt("state", &self.state))?,
            order_id: self.order_id,
            idempotency_key: IdempotencyKey(self.idempotency_key),
            pending_ref: self.pending_ref,
            page_url: self.page_url,
            page_html: self.page_html,
            return_url: self.return_url,
            amount: Money::from_minor(self.amount_minor, currency(&self.currency)?),
            reason: serde_json::from_value(serde_json::Value::String(self.reason))
                .map_err(|e| corrupt("reason", e))?,
            terms: self.terms,
            registered: self
                .registered_json
                .as_deref()
                .map(|t| serde_json::from_str(t).map_err(|e| corrupt("registered series", e)))
                .transpose()?,
            contract: self.contract_json,
            replaces_for: self.replaces_for.map(ContractId),
            sent_to: self.sent_to,
            returned: self
                .returned_json
                .as_deref()
                .map(|t| serde_json::from_str(t).map_err(|e| corrupt("return", e)))
                .transpose()?,
            created_at: instant(self.created_at)?,
            expires_at: instant(self.expires_at)?,
            settled_at: self.settled_at.map(instant).transpose()?,
            card_id: self.card_id.map(CardId),
            failure: self.failure,
            contract_id: self.contract_id.map(ContractId),
            waiting_on: self.waiting_on,
        })
    }
}

fn reason_name(reason: Reason) -> StoreResult<String> {
    match serde_json::to_value(reason).map_err(|e| corrupt("reason", e))? {
        serde_json::Value::String(name) => Ok(name),
        other => Err(corrupt("reason", other)),
    }
}

impl EnrollmentReads for Store {
    fn enrollment(&self, id: EnrollmentId) -> StoreResult<Enrollment> {
        self.conn()
            .query_row(
                &format!("SELECT {COLUMNS} FROM enrollments WHERE id = ?1"),
                [id.0],
                read_row,
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("enrollment {id}"),
            })?
            .into_enrollment()
    }

    fn enrollments(
        &self,
        merchants: &[MerchantId],
        settled: bool,
        limit: usize,
    ) -> StoreResult<Vec<Enrollment>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM enrollments
             WHERE (?1 OR state = 'pending')
             ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([settled], read_row)?;
        let mut out = Vec::new();
        for row in rows {
            let enrollment = row?.into_enrollment()?;
            if merchants.is_empty() || merchants.contains(&enrollment.merchant_id) {
                out.push(enrollment);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn enrollments_of(&self, customer: CustomerId) -> StoreResult<Vec<Enrollment>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM enrollments WHERE customer_id = ?1 ORDER BY id DESC"
        ))?;
        let rows = stmt.query_map([customer.0], read_row)?;
        rows.map(|r| r?.into_enrollment()).collect()
    }

    fn link_return_page(&self, merchant: MerchantId) -> StoreResult<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT url FROM link_return_pages WHERE merchant_id = ?1",
                [merchant.0],
                |r| r.get(0),
            )
            .optional()?)
    }
}

impl EnrollmentWrites for Store {
    fn insert_enrollment(&self, new: &NewEnrollment) -> StoreResult<EnrollmentId> {
        let new_customer = new
            .new_customer
            .as_ref()
            .map(|c| serde_json::to_string(c).map_err(|e| corrupt("new customer", e)))
            .transpose()?;
        let registered = new
            .registered
            .as_ref()
            .map(|r| serde_json::to_string(r).map_err(|e| corrupt("registered series", e)))
            .transpose()?;
        self.conn().execute(
            "INSERT INTO enrollments (merchant_id, customer_id, new_customer_json, mode, state,
                 order_id, idempotency_key, return_url, amount_minor, currency, reason, terms,
                 registered_json, contract_json, replaces_for, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, 'pending', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15,
                 ?16)",
            params![
                new.merchant_id.0,
                new.customer_id.map(|c| c.0),
                new_customer,
                new.mode.as_str(),
                new.order_id,
                new.idempotency_key.0,
                new.return_url,
                new.amount.minor,
                new.amount.currency.code(),
                reason_name(new.reason)?,
                new.terms,
                registered,
                new.contract,
                new.replaces_for.map(|c| c.0),
                millis(new.created_at),
                millis(new.expires_at),
            ],
        )?;
        Ok(EnrollmentId(self.conn().last_insert_rowid()))
    }

    fn set_enrollment_page(
        &self,
        id: EnrollmentId,
        pending_ref: Option<&str>,
        page_url: Option<&str>,
        page_html: Option<&str>,
    ) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE enrollments SET pending_ref = ?2, page_url = ?3, page_html = ?4
             WHERE id = ?1 AND state = 'pending'",
            params![id.0, pending_ref, page_url, page_html],
        )?;
        Ok(())
    }

    fn set_enrollment_returned(
        &self,
        id: EnrollmentId,
        returned: &[(String, String)],
    ) -> StoreResult<()> {
        let text = serde_json::to_string(returned).map_err(|e| corrupt("return", e))?;
        self.conn().execute(
            "UPDATE enrollments SET returned_json = ?2 WHERE id = ?1 AND state = 'pending'",
            params![id.0, text],
        )?;
        Ok(())
    }

    fn set_enrollment_sent(&self, id: EnrollmentId, to: &str) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE enrollments SET sent_to = ?2 WHERE id = ?1",
            params![id.0, to],
        )?;
        Ok(())
    }

    fn settle_enrollment(
        &self,
        id: EnrollmentId,
        how: &Settled,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let changed = match how {
            Settled::Confirmed {
                card,
                customer,
                contract,
                note,
            } => self.conn().execute(
                "UPDATE enrollments SET state = 'confirmed', settled_at = ?2, card_id = ?3,
                     customer_id = ?4, contract_id = ?5, failure = ?6,
                     waiting_on = NULL
                 WHERE id = ?1 AND state = 'pending'",
                params![
                    id.0,
                    millis(at),
                    card.0,
                    customer.0,
                    contract.map(|c| c.0),
                    note
                ],
            )?,
            Settled::Ended { state, why } => {
                if matches!(state, EnrollmentState::Pending | EnrollmentState::Confirmed) {
                    return Err(StoreError::Corrupt(format!(
                        "an enrollment cannot end as {}",
                        state.as_str()
                    )));
                }
                self.conn().execute(
                    "UPDATE enrollments SET state = ?2, settled_at = ?3, failure = ?4, waiting_on = NULL
                     WHERE id = ?1 AND state = 'pending'",
                    params![id.0, state.as_str(), millis(at), why],
                )?
            }
        };
        Ok(changed == 1)
    }

    fn set_enrollment_contract(
        &self,
        id: EnrollmentId,
        contract: Option<ContractId>,
        note: Option<&str>,
    ) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE enrollments SET contract_id = ?2, failure = ?3
             WHERE id = ?1 AND state = 'confirmed'",
            params![id.0, contract.map(|c| c.0), note],
        )?;
        Ok(())
    }

    fn set_enrollment_waiting_on(&self, id: EnrollmentId, what: Option<&str>) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE enrollments SET waiting_on = ?2 WHERE id = ?1 AND state = 'pending'",
            params![id.0, what],
        )?;
        Ok(())
    }

    fn set_link_return_page(&self, merchant: MerchantId, url: Option<&str>) -> StoreResult<()> {
        match url {
            Some(url) => self.conn().execute(
                "INSERT INTO link_return_pages (merchant_id, url) VALUES (?1, ?2)
                 ON CONFLICT (merchant_id) DO UPDATE SET url = excluded.url",
                params![merchant.0, url],
            )?,
            None => self.conn().execute(
                "DELETE FROM link_return_pages WHERE merchant_id = ?1",
                [merchant.0],
            )?,
        };
        Ok(())
    }

    fn forget_enrollment_details(&self, customer: CustomerId) -> StoreResult<()> {
        self.conn().execute(
            "UPDATE enrollments SET new_customer_json = NULL, sent_to = NULL,
                 returned_json = NULL
             WHERE customer_id = ?1",
            [customer.0],
        )?;
        Ok(())
    }
}
