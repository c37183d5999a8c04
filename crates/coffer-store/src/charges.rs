//! The charge ledger. Rows move planned → sending → settled through guarded UPDATEs (the WHERE
//! names the state a row must be in, so two processes cannot both settle one row), the UNIQUE
//! idempotency key makes a second request with the same key find the first row, and the
//! database itself refuses to change a settled row or delete any.

use chrono::{DateTime, Utc};
use coffer_core::{
    AttemptId, AttemptKind, CardId, ChargeAttempt, ChargeState, ContractId, Currency,
    IdempotencyKey, MerchantId, Money, ProviderRef, RefundTransfer, StoredCredential,
};
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// A ledger row before it has an id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttempt {
    /// Charge or refund.
    pub kind: AttemptKind,
    /// Merchant.
    pub merchant_id: MerchantId,
    /// Card.
    pub card_id: CardId,
    /// Contract, for a scheduled charge.
    pub contract_id: Option<ContractId>,
    /// Occurrence number, for a scheduled charge.
    pub occurrence: Option<u32>,
    /// Try number of that occurrence (1, then 2 after a soft decline…).
    pub try_number: u32,
    /// The charge a refund returns money of.
    pub refund_of: Option<AttemptId>,
    /// Amount.
    pub amount: Money,
    /// Flags.
    pub credential: StoredCredential,
    /// Key.
    pub idempotency_key: IdempotencyKey,
    /// Order id.
    pub order_id: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// The exact request, serialized, for a resend the provider makes safe; `None` where the
    /// attempt is never resent.
    pub request_json: Option<String>,
}

/// How an attempt settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    /// The final state: succeeded, declined or failed.
    pub state: ChargeState,
    /// The provider's reference.
    pub provider_ref: Option<ProviderRef>,
    /// Decline or error code.
    pub decline_code: Option<String>,
    /// Never retry.
    pub hard_decline: bool,
    /// Words.
    pub message: Option<String>,
    /// Provider warnings.
    pub warnings: Vec<String>,
    /// When.
    pub at: DateTime<Utc>,
}

/// Which ledger rows to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AttemptFilter {
    /// Only these merchants (empty: all).
    pub merchants: Vec<MerchantId>,
    /// One card.
    pub card: Option<CardId>,
    /// One customer's cards.
    pub customer: Option<i64>,
    /// One state.
    pub state: Option<ChargeState>,
    /// At most.
    pub limit: Option<u32>,
}

pub(crate) const ATTEMPT_COLUMNS: &str = "a.id, a.kind, a.merchant_id, a.card_id, a.contract_id, a.occurrence, a.refund_of, a.amount_minor, a.currency, \
     a.credential_json, a.idempotency_key, a.order_id, a.state, a.provider_ref, a.decline_code, a.hard_decline, a.message, \
     a.warnings_json, a.created_at, a.settled_at, a.sent_at, a.resolved_by, \
     (SELECT t.recipient FROM refund_transfers t WHERE t.attempt_id = a.id), \
     (SELECT t.iban FROM refund_transfers t WHERE t.attempt_id = a.id), \
     (SELECT t.reference FROM refund_transfers t WHERE t.attempt_id = a.id), \
     (SELECT t.amount_minor FROM refund_transfers t WHERE t.attempt_id = a.id), \
     (SELECT t.transferred_at FROM refund_transfers t WHERE t.attempt_id = a.id)";

/// The state a row shows: `succeeded` with an open transfer is awaiting it.
const SHOWN_STATE: &str = "CASE WHEN a.state = 'succeeded' AND EXISTS (SELECT 1 FROM refund_transfers t \
     WHERE t.attempt_id = a.id AND t.transferred_at IS NULL) THEN 'awaiting_transfer' ELSE a.state END";

type TransferColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

pub(crate) fn read_attempt(row: &Row<'_>) -> rusqlite::Result<Result<ChargeAttempt, StoreError>> {
    let id: i64 = row.get(0)?;
    let kind: String = row.get(1)?;
    let currency: String = row.get(8)?;
    let credential: String = row.get(9)?;
    let state: String = row.get(12)?;
    let warnings: String = row.get(17)?;
    let created: i64 = row.get(18)?;
    let settled: Option<i64> = row.get(19)?;
    let sent: Option<i64> = row.get(20)?;
    let resolved_by: Option<String> = row.get(21)?;
    // recipient, IBAN, reference, amount, when recorded made: all NULL without a transfer row.
    let transfer: TransferColumns = (
        row.get(22)?,
        row.get(23)?,
        row.get(24)?,
        row.get(25)?,
        row.get(26)?,
    );
    let values = (
        MerchantId(row.get(2)?),
        CardId(row.get(3)?),
        row.get::<_, Option<i64>>(4)?.map(ContractId),
        row.get::<_, Option<u32>>(5)?,
        row.get::<_, Option<i64>>(6)?.map(AttemptId),
        row.get::<_, i64>(7)?,
        IdempotencyKey(row.get(10)?),
        row.get::<_, String>(11)?,
        row.get::<_, Option<String>>(13)?.map(ProviderRef),
        row.get::<_, Option<String>>(14)?,
        row.get::<_, bool>(15)?,
        row.get::<_, Option<String>>(16)?,
    );
    let corrupt = |what: String| StoreError::Corrupt(format!("attempt {id}: {what}"));
    Ok((|| {
        let currency = Currency::from_code(&currency).map_err(|e| corrupt(e.to_string()))?;
        let transfer = match transfer {
            (Some(recipient), Some(iban), Some(reference), Some(minor), done) => {
                Some(RefundTransfer {
                    recipient,
                    iban,
                    reference,
                    amount: Money::from_minor(minor, currency),
                    transferred_at: done.map(instant).transpose()?,
                })
            }
            _ => None,
        };
        let mut state: ChargeState = state
            .parse()
            .map_err(|e: coffer_core::InvalidInput| corrupt(e.to_string()))?;
        if state == ChargeState::Succeeded
            && transfer
                .as_ref()
                .is_some_and(|t| t.transferred_at.is_none())
        {
            state = ChargeState::AwaitingTransfer;
        }
        Ok(ChargeAttempt {
            id: AttemptId(id),
            kind: match kind.as_str() {
                "refund" => AttemptKind::Refund,
                _ => AttemptKind::Charge,
            },
            merchant_id: values.0,
            card_id: values.1,
            contract_id: values.2,
            occurrence: values.3,
            refund_of: values.4,
            amount: Money::from_minor(values.5, currency),
            credential: serde_json::from_str(&credential).map_err(|e| corrupt(e.to_string()))?,
            idempotency_key: values.6,
            order_id: values.7,
            state,
            provider_ref: values.8,
            decline_code: values.9,
            hard_decline: values.10,
            message: values.11,
            warnings: serde_json::from_str(&warnings).map_err(|e| corrupt(e.to_string()))?,
            created_at: instant(created)?,
            settled_at: settled.map(instant).transpose()?,
            sent_at: sent.map(instant).transpose()?,
            resolved_by,
            transfer,
        })
    })())
}

/// The charge ledger.
pub trait LedgerReads {
    /// Charges settled by hand since `since`, with their resolution, oldest first: reconcile
    /// keeps asking the provider about them, so a record that contradicts a person raises an alert.
    fn resolved_by_hand_since(
        &self,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(ChargeAttempt, String)>>;

    /// The exact request an attempt was sent with, where it was kept for a resend.
    fn attempt_request(&self, id: AttemptId) -> StoreResult<Option<String>>;

    /// One row.
    fn attempt(&self, id: AttemptId) -> StoreResult<ChargeAttempt>;

    /// The row with this idempotency key, if any.
    fn attempt_by_key(&self, key: &IdempotencyKey) -> StoreResult<Option<ChargeAttempt>>;

    /// What the policy needs of a card's past under a merchant: every decline, every attempt
    /// since `since`, and the latest successful charge (see `coffer_core::policy::History`).
    fn attempts_for_policy(
        &self,
        card: CardId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ChargeAttempt>>;

    /// Attempts still `sending` (or `planned`), oldest first.
    fn unsettled_attempts(&self) -> StoreResult<Vec<ChargeAttempt>>;

    /// Every refund row of a charge, oldest first.
    fn refunds_of(&self, charge: AttemptId) -> StoreResult<Vec<ChargeAttempt>>;

    /// Refunds of a charge that took or may take money back (succeeded or in flight).
    fn refunded_minor(&self, charge: AttemptId) -> StoreResult<i64>;

    /// Ledger rows matching `filter`, newest first.
    fn list_attempts(&self, filter: &AttemptFilter) -> StoreResult<Vec<ChargeAttempt>>;
}

/// The charge ledger's guarded moves: insert, `sending`, settle.
pub trait LedgerWrites: LedgerReads {
    /// Writes the row `sending`, stamped with when its request leaves (`at`): committed
    /// (durably) before the request leaves. A second row with the same idempotency key, order id
    /// or (contract, occurrence, try) is a `Conflict`: the caller then reads the first one.
    fn insert_sending(&self, new: &NewAttempt, at: DateTime<Utc>) -> StoreResult<AttemptId>;

    /// Writes a `planned` row, one that has not left: what an older Coffer could leave behind
    /// (it committed a plan before marking it sending), which reconcile and the ledger's reads
    /// still handle. Coffer itself writes rows [`Self::insert_sending`]. The same conflicts.
    fn insert_attempt(&self, new: &NewAttempt) -> StoreResult<AttemptId>;

    /// sending (or planned, for an abandoned attempt) → settled. `Ok(false)` when another
    /// process settled it first; the row is then left as that process wrote it.
    fn settle_attempt(&self, id: AttemptId, settlement: &Settlement) -> StoreResult<bool>;

    /// sending → settled by a person, with who and what they checked (`resolution_json`), in
    /// the same UPDATE (a settled row never changes again). `Ok(false)` when the row was settled
    /// meanwhile (by reconcile or another desk); it then keeps that outcome.
    fn settle_by_hand(
        &self,
        id: AttemptId,
        settlement: &Settlement,
        resolved_by: &str,
        resolution_json: &str,
    ) -> StoreResult<bool>;

    /// sending → settled as a refund the provider took, with the transfer the merchant must make
    /// first (Svea's refund after settlement): the ledger row `succeeded` and the transfer
    /// open. Call inside a batch, so both are written or neither. `Ok(false)` when the row was
    /// settled meanwhile.
    fn settle_awaiting_transfer(
        &self,
        id: AttemptId,
        settlement: &Settlement,
        transfer: &RefundTransfer,
    ) -> StoreResult<bool>;

    /// Records the transfer of refund `id` made, by `by`. `Ok(false)` when it was recorded
    /// before (the first record stands); `NotFound` when the refund awaits no transfer.
    fn record_transfer_made(&self, id: AttemptId, at: DateTime<Utc>, by: &str)
        -> StoreResult<bool>;
}

impl LedgerReads for Store {
    fn resolved_by_hand_since(
        &self,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(ChargeAttempt, String)>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS}, a.resolution_json FROM charge_attempts a
             WHERE a.resolved_by IS NOT NULL AND a.kind = 'charge' AND a.settled_at >= ?1 ORDER BY a.id"
        ))?;
        let rows = stmt.query_map([millis(since)], |row| {
            let resolution = row.get::<_, Option<String>>(ATTEMPT_COLUMNS.split(',').count())?;
            Ok((read_attempt(row)?, resolution))
        })?;
        rows.map(|r| {
            let (attempt, resolution) = r?;
            Ok((attempt?, resolution.unwrap_or_default()))
        })
        .collect()
    }

    fn attempt_request(&self, id: AttemptId) -> StoreResult<Option<String>> {
        Ok(self
            .conn()
            .prepare_cached("SELECT request_json FROM charge_attempts WHERE id = ?1")?
            .query_row([id.0], |r| r.get::<_, Option<String>>(0))
            .optional()?
            .flatten())
    }

    fn attempt(&self, id: AttemptId) -> StoreResult<ChargeAttempt> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT {ATTEMPT_COLUMNS} FROM charge_attempts a WHERE a.id = ?1"
            ))?
            .query_row([id.0], read_attempt)
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("charge attempt {id}"),
            })?
    }

    fn attempt_by_key(&self, key: &IdempotencyKey) -> StoreResult<Option<ChargeAttempt>> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT {ATTEMPT_COLUMNS} FROM charge_attempts a WHERE a.idempotency_key = ?1"
            ))?
            .query_row([&key.0], read_attempt)
            .optional()?
            .transpose()
    }

    fn attempts_for_policy(
        &self,
        card: CardId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ChargeAttempt>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM charge_attempts a WHERE a.card_id = ?1 AND a.kind = 'charge'
               AND (a.state IN ('declined', 'sending', 'planned') OR a.created_at >= ?2
                    OR a.id = (SELECT max(id) FROM charge_attempts WHERE card_id = ?1 AND kind = 'charge' AND state = 'succeeded'))
             ORDER BY a.id"
        ))?;
        let rows = stmt.query_map(params![card.0, millis(since)], read_attempt)?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    fn unsettled_attempts(&self) -> StoreResult<Vec<ChargeAttempt>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM charge_attempts a WHERE a.state IN ('planned', 'sending') ORDER BY a.id"
        ))?;
        let rows = stmt.query_map([], read_attempt)?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    fn refunds_of(&self, charge: AttemptId) -> StoreResult<Vec<ChargeAttempt>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM charge_attempts a WHERE a.refund_of = ?1 ORDER BY a.id"
        ))?;
        let rows = stmt.query_map([charge.0], read_attempt)?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    fn refunded_minor(&self, charge: AttemptId) -> StoreResult<i64> {
        Ok(self
            .conn()
            .prepare_cached(
                "SELECT coalesce(sum(amount_minor), 0) FROM charge_attempts
             WHERE refund_of = ?1 AND state IN ('planned', 'sending', 'succeeded')",
            )?
            .query_row([charge.0], |r| r.get(0))?)
    }

    fn list_attempts(&self, filter: &AttemptFilter) -> StoreResult<Vec<ChargeAttempt>> {
        let merchants = crate::search::merchants_json(&filter.merchants);
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM charge_attempts a
             WHERE (?1 IS NULL OR a.merchant_id IN (SELECT value FROM json_each(?1)))
               AND (?2 IS NULL OR a.card_id = ?2)
               AND (?3 IS NULL OR a.card_id IN (SELECT id FROM cards WHERE customer_id = ?3))
               AND (?4 IS NULL OR {SHOWN_STATE} = ?4)
             ORDER BY a.id DESC LIMIT ?5"
        ))?;
        let rows = stmt.query_map(
            params![
                merchants,
                filter.card.map(|c| c.0),
                filter.customer,
                filter.state.map(|s| s.as_str()),
                filter.limit.map(i64::from).unwrap_or(-1)
            ],
            read_attempt,
        )?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }
}

impl LedgerWrites for Store {
    fn insert_attempt(&self, new: &NewAttempt) -> StoreResult<AttemptId> {
        self.insert_row(new, None)
    }

    fn insert_sending(&self, new: &NewAttempt, at: DateTime<Utc>) -> StoreResult<AttemptId> {
        self.insert_row(new, Some(at))
    }

    fn settle_attempt(&self, id: AttemptId, settlement: &Settlement) -> StoreResult<bool> {
        self.settle_row(id, settlement, None)
    }

    fn settle_by_hand(
        &self,
        id: AttemptId,
        settlement: &Settlement,
        resolved_by: &str,
        resolution_json: &str,
    ) -> StoreResult<bool> {
        self.settle_row(id, settlement, Some((resolved_by, resolution_json)))
    }

    fn settle_awaiting_transfer(
        &self,
        id: AttemptId,
        settlement: &Settlement,
        transfer: &RefundTransfer,
    ) -> StoreResult<bool> {
        let succeeded = Settlement {
            state: ChargeState::Succeeded,
            ..settlement.clone()
        };
        if !self.settle_row(id, &succeeded, None)? {
            return Ok(false);
        }
        self.conn().prepare_cached("INSERT INTO refund_transfers (attempt_id, recipient, iban, reference, amount_minor, currency, asked_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?
.execute(params![
                id.0,
                transfer.recipient,
                transfer.iban,
                transfer.reference,
                transfer.amount.minor,
                transfer.amount.currency.code(),
                millis(settlement.at)
            ])?;
        Ok(true)
    }

    fn record_transfer_made(
        &self,
        id: AttemptId,
        at: DateTime<Utc>,
        by: &str,
    ) -> StoreResult<bool> {
        let open: Option<Option<i64>> = self
            .conn()
            .prepare_cached("SELECT transferred_at FROM refund_transfers WHERE attempt_id = ?1")?
            .query_row([id.0], |r| r.get(0))
            .optional()?;
        match open {
            None => Err(StoreError::NotFound {
                what: format!("a transfer awaited for refund {id}"),
            }),
            Some(Some(_)) => Ok(false),
            Some(None) => {
                let changed = self
                    .conn()
                    .prepare_cached(
                        "UPDATE refund_transfers SET transferred_at = ?2, transferred_by = ?3
                     WHERE attempt_id = ?1 AND transferred_at IS NULL",
                    )?
                    .execute(params![id.0, millis(at), by])?;
                Ok(changed == 1)
            }
        }
    }
}

impl Store {
    /// A new ledger row, `planned`, or `sending` since `sent_at` when given.
    fn insert_row(
        &self,
        new: &NewAttempt,
        sent_at: Option<DateTime<Utc>>,
    ) -> StoreResult<AttemptId> {
        let credential = serde_json::to_string(&new.credential)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.conn()
            .prepare_cached(
                "INSERT INTO charge_attempts (kind, merchant_id, card_id, contract_id, occurrence, try_number, refund_of,
                     amount_minor, currency, credential_json, idempotency_key, order_id, state, created_at, request_json, sent_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
                         CASE WHEN ?15 IS NULL THEN 'planned' ELSE 'sending' END, ?13, ?14, ?15)",
            )?
            .execute(params![
                match new.kind {
                    AttemptKind::Charge => "charge",
                    AttemptKind::Refund => "refund",
                },
                new.merchant_id.0,
                new.card_id.0,
                new.contract_id.map(|c| c.0),
                new.occurrence,
                new.try_number,
                new.refund_of.map(|r| r.0),
                new.amount.minor,
                new.amount.currency.code(),
                credential,
                new.idempotency_key.0,
                new.order_id,
                millis(new.created_at),
                new.request_json,
                sent_at.map(millis),
            ])
            .map_err(|e| {
                StoreError::unique(
                    e,
                    format!("an attempt with key {} already exists", new.idempotency_key),
                )
            })?;
        Ok(AttemptId(self.conn().last_insert_rowid()))
    }

    fn settle_row(
        &self,
        id: AttemptId,
        settlement: &Settlement,
        by_hand: Option<(&str, &str)>,
    ) -> StoreResult<bool> {
        // An awaited transfer is a row of its own (settle_awaiting_transfer), never a state
        // column value.
        if !settlement.state.is_settled() || settlement.state == ChargeState::AwaitingTransfer {
            return Err(StoreError::Conflict(format!(
                "{} is not a ledger state to settle with",
                settlement.state
            )));
        }
        let warnings = serde_json::to_string(&settlement.warnings)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let allowed_from = if settlement.state == ChargeState::Failed {
            "('planned', 'sending')"
        } else {
            "('sending')"
        };
        let changed = self.conn().prepare_cached(&format!(
                "UPDATE charge_attempts SET state = ?2, provider_ref = coalesce(?3, provider_ref), decline_code = ?4,
                        hard_decline = ?5, message = ?6, warnings_json = ?7, settled_at = ?8,
                        resolved_by = ?9, resolution_json = ?10
                 WHERE id = ?1 AND state IN {allowed_from}"
            ))?
.execute(params![
                id.0,
                settlement.state.as_str(),
                settlement.provider_ref.as_ref().map(|r| r.0.clone()),
                settlement.decline_code,
                settlement.hard_decline,
                settlement.message,
                warnings,
                millis(settlement.at),
                by_hand.map(|(by, _)| by),
                by_hand.map(|(_, what)| what)
            ])?;
        Ok(changed == 1)
    }
}
