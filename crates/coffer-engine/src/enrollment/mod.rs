//! New cards enrolled with consent through the provider's own hosted page (issue 25).
//!
//! A card number never passes through Coffer: the cardholder types it, and completes 3-D
//! Secure, on the provider's page — at the counter in an app window on the owner's screen, or
//! elsewhere through a link sent by the notices channel. The page's return is only a hint the
//! cardholder's browser carries; every enrollment is settled by the provider's own answer to a
//! server-side check (`confirm.rs`) before the card is saved as MIT-ready, with the consent
//! text the cardholder accepted and, if the owner entered one, its contract.

mod confirm;

pub use coffer_providers::SandboxCardholder;
mod link;

use chrono::{DateTime, Utc};
use coffer_core::card::RegisteredSeries;
use coffer_core::providers::RegisteredCap;
use coffer_core::{
    ContractId, CustomerId, Enrollment, EnrollmentId, EnrollmentMode, EnrollmentState,
    IdempotencyKey, InvalidInput, MerchantId, Money, NewCustomer, Reason,
};
use coffer_providers::{EnrollmentPage, EnrollmentRequest};
use coffer_store::enrollments::{NewEnrollment, Settled};
use serde::Serialize;

use crate::charge::new_order_id;
use crate::contracts::ContractInput;
use crate::customers::CustomerDetails;
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::scope::Scope;
use crate::Engine;

/// Where every counter page returns to: the app window captures a navigation under it and never
/// loads it (`.invalid` can never resolve, RFC 2606).
pub const COUNTER_RETURN_BASE: &str = "https://coffer.invalid/enroll/";

/// A new enrollment as the owner asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentInput {
    /// The merchant account the card is saved with.
    pub merchant: MerchantId,
    /// The customer on record, or
    pub customer: Option<CustomerId>,
    /// a new one.
    pub new_customer: Option<CustomerDetails>,
    /// At the counter or by a link.
    pub mode: EnrollmentMode,
    /// The initial transaction's amount ("0" for a verification where the provider takes one).
    pub amount: String,
    /// What later charges will be.
    pub reason: Reason,
    /// The consent text the cardholder is shown and accepts.
    pub terms: String,
    /// Where the link goes (the customer's e-mail when `None`).
    pub send_to: Option<String>,
    /// The contract to create on the card once confirmed (its `card` is ignored).
    pub contract: Option<ContractInput>,
    /// The contract whose card this enrollment replaces (an Assist "re-enroll").
    pub replaces_for: Option<ContractId>,
}

/// An enrollment as the CLI and the UI show it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrollmentView {
    /// Its id.
    pub id: EnrollmentId,
    /// The merchant account.
    pub merchant_id: MerchantId,
    /// Its name.
    pub merchant_name: String,
    /// The provider's name.
    pub provider: String,
    /// The customer, once on record.
    pub customer_id: Option<CustomerId>,
    /// The customer's name.
    pub customer_name: String,
    /// Counter or link.
    pub mode: EnrollmentMode,
    /// Where it stands.
    pub state: EnrollmentState,
    /// The initial transaction's amount.
    pub amount: Money,
    /// What later charges will be.
    pub reason: Reason,
    /// The consent text shown to the cardholder.
    pub terms: String,
    /// Our order id at the provider.
    pub order_id: String,
    /// The provider's page (opened, or sent as a link); `None` where the app hosts the page.
    pub page_url: Option<String>,
    /// The app hosts the page in its window (the provider's card fields inside).
    pub hosted_page: bool,
    /// Where the link went.
    pub sent_to: Option<String>,
    /// A return arrived (still only a hint until the provider confirmed it).
    pub returned: bool,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When the page stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it settled.
    pub settled_at: Option<DateTime<Utc>>,
    /// The saved card.
    pub card_id: Option<coffer_core::CardId>,
    /// The contract made on it.
    pub contract_id: Option<ContractId>,
    /// The contract whose card it replaces.
    pub replaces_for: Option<ContractId>,
    /// Why it failed, expired or was cancelled; for a confirmed one, why its contract could not
    /// be made.
    pub failure: Option<String>,
    /// While pending: what the owner must do (the provider shows it paid, but the card's
    /// reference only comes with the return the cardholder's browser landed on).
    pub waiting_on: Option<String>,
}

/// What an app window opens for an enrollment at the counter.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrollmentWindow {
    /// The enrollment.
    pub id: EnrollmentId,
    /// The provider's page to open, or
    pub url: Option<String>,
    /// the page the app serves itself (the provider's card fields inside it).
    pub html: Option<String>,
    /// A navigation to an address starting with this is the return: captured, never loaded.
    pub return_prefix: String,
    /// The window's title.
    pub title: String,
}

impl Engine {
    /// Opens the provider's hosted page for a new card: records the pending enrollment, asks
    /// the provider for the page and, for a link, sends it to the cardholder.
    pub async fn start_enrollment(&self, input: EnrollmentInput) -> EngineResult<EnrollmentView> {
        if input.terms.trim().is_empty() {
            return Err(InvalidInput::new(
                "terms",
                "the consent needs the terms text the cardholder is shown and accepts",
            )
            .into());
        }
        coffer_core::free_text::refuse_card_number("terms", &input.terms)?;
        let merchant = self.merchant(input.merchant).await?;
        let rules = coffer_core::providers::rules(merchant.provider());
        let reach = rules.capabilities.enrollment;
        if input.mode == EnrollmentMode::Link {
            if let coffer_core::EnrollmentReach::CounterOnly { why } = reach {
                return Err(InvalidInput::new(
                    "mode",
                    format!("{} enrolls cards at the counter only: {why}", rules.label),
                )
                .into());
            }
        }
        let amount =
            Money::parse(&input.amount, merchant.currency).map_err(|e| e.in_field("amount"))?;
        if amount.minor < 0 {
            return Err(InvalidInput::new("amount", "cannot be negative").into());
        }
        if let Some(contract) = &input.contract {
            contract_draft_readable(&merchant, contract)?;
        }
        let (customer, new_customer) = self.enrolled_customer(&merchant, &input).await?;
        let registered = registered_series(&merchant, &input)?;
        let replaces_for = match input.replaces_for {
            Some(id) => Some(self.replaced_contract(id, customer).await?),
            None => None,
        };
        let contract = input
            .contract
            .as_ref()
            .map(|c| {
                serde_json::to_string(c).map_err(|e| {
                    EngineError::new(ErrorKind::Internal, format!("contract draft: {e}"))
                })
            })
            .transpose()?;
        let order_id = new_order_id();
        let return_url = match input.mode {
            EnrollmentMode::Counter => format!("{COUNTER_RETURN_BASE}{order_id}/return"),
            EnrollmentMode::Link => self.link_return_page(merchant.id).await?.ok_or_else(|| {
                EngineError::from(InvalidInput::new(
                    "link_return_page",
                    format!(
                        "set the page a link sends the cardholder back to (your own web page) in \
                         {}'s settings first: a desktop app has no public address",
                        merchant.name
                    ),
                ))
            })?,
        };
        let send_to = match input.mode {
            EnrollmentMode::Counter => None,
            EnrollmentMode::Link => Some(self.link_recipient(&input, customer).await?),
        };
        let now = self.now();
        let new = NewEnrollment {
            merchant_id: merchant.id,
            customer_id: customer,
            new_customer,
            mode: input.mode,
            order_id,
            idempotency_key: IdempotencyKey(uuid::Uuid::new_v4().to_string()),
            amount,
            reason: input.reason,
            terms: input.terms.clone(),
            registered,
            contract,
            replaces_for,
            return_url,
            created_at: now,
            expires_at: now + input.mode.lifetime(),
        };
        let audit = self.audit_event(
            Some(merchant.id.0),
            "enrollment_started",
            String::new(),
            serde_json::json!({"mode": input.mode.as_str(), "order_id": new.order_id, "amount": amount.to_string(), "terms": input.terms}),
        );
        let id = self
            .with_store(move |store| {
                Ok(store.batch(|store| {
                    let id = store.insert_enrollment(&new)?;
                    let mut audit = audit;
                    audit.subject = format!("enrollment:{id}");
                    store.append_audit_here(audit)?;
                    Ok(id)
                })?)
            })
            .await?;
        let enrollment = self.enrollment_row(id).await?;
        let provider = self.provider_for(&merchant).await?;
        let started = match provider.hosted_enrollment() {
            Some(hosted) => {
                hosted
                    .start_enrollment(&self.enrollment_request(&enrollment).await?)
                    .await
            }
            None => Err(coffer_providers::ProviderError::new(
                coffer_providers::ProviderErrorKind::Unsupported,
                format!("{} has no hosted enrollment page", rules.label),
            )),
        };
        let started = match started {
            Ok(started) => started,
            Err(e) => {
                // Nothing was opened for the cardholder: the row ends here, with the reason.
                self.end_enrollment(
                    id,
                    EnrollmentState::Failed,
                    format!("the page could not be opened: {e}"),
                )
                .await?;
                return Err(e.into());
            }
        };
        let (url, html) = match &started.page {
            EnrollmentPage::Provider { url } => (Some(url.clone()), None),
            EnrollmentPage::Hosted { html } => (None, Some(html.clone())),
        };
        let pending_ref = started.pending_ref.clone();
        self.with_store(move |store| {
            Ok(store.set_enrollment_page(
                id,
                pending_ref.as_deref(),
                url.as_deref(),
                html.as_deref(),
            )?)
        })
        .await?;
        if let (EnrollmentMode::Link, Some(to)) = (input.mode, send_to) {
            self.send_enrollment_link(id, &to).await?;
        }
        self.enrollment(id).await
    }

    /// One enrollment.
    pub async fn enrollment(&self, id: EnrollmentId) -> EngineResult<EnrollmentView> {
        let row = self.enrollment_row(id).await?;
        self.view_of(row).await
    }

    /// The enrollments of a scope, newest first: the pending ones, and the settled ones too when
    /// `settled`.
    pub async fn list_enrollments(
        &self,
        scope: impl Into<Scope>,
        settled: bool,
    ) -> EngineResult<Vec<EnrollmentView>> {
        let merchants = self.resolve_scope(scope).await?;
        let rows = self
            .read_store(move |store| Ok(store.enrollments(&merchants, settled, 500)?))
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(self.view_of(row).await?);
        }
        Ok(out)
    }

    /// What the app window opens for an enrollment at the counter.
    pub async fn enrollment_window(&self, id: EnrollmentId) -> EngineResult<EnrollmentWindow> {
        let row = self.enrollment_row(id).await?;
        if !row.is_open(self.now()) {
            return Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "enrollment {id} is {} and its page is closed",
                    if row.state == EnrollmentState::Pending {
                        "past its time"
                    } else {
                        row.state.as_str()
                    }
                ),
            ));
        }
        if row.page_url.is_none() && row.page_html.is_none() {
            return Err(EngineError::new(
                ErrorKind::Conflict,
                format!("enrollment {id} has no page yet"),
            ));
        }
        let merchant = self.merchant(row.merchant_id).await?;
        Ok(EnrollmentWindow {
            id,
            url: row.page_url.clone(),
            html: row.page_html.clone(),
            return_prefix: row.return_url.clone(),
            title: format!("{} — save a card", merchant.name),
        })
    }

    /// Withdraws a pending enrollment. The provider is asked first: a card the cardholder
    /// already saved there is kept (and said), never dropped by a cancel.
    pub async fn cancel_enrollment(&self, id: EnrollmentId) -> EngineResult<EnrollmentView> {
        let checked = self.check_enrollment(id).await;
        let row = self.enrollment_row(id).await?;
        if row.state.is_settled() {
            return self.view_of(row).await;
        }
        if let Err(e) = checked {
            if e.kind() == ErrorKind::ProviderUnavailable || e.kind() == ErrorKind::UnknownOutcome {
                return Err(EngineError::new(
                    e.kind(),
                    format!(
                        "enrollment {id} stays pending: the provider could not be asked whether \
                         the cardholder finished its page ({e}); try again"
                    ),
                ));
            }
        }
        self.end_enrollment(
            id,
            EnrollmentState::Cancelled,
            "withdrawn by the owner".into(),
        )
        .await?;
        self.enrollment(id).await
    }

    /// Sets (or clears, with `None`) the page an enrollment link sends the cardholder back to:
    /// the merchant's own web page, https.
    pub async fn set_link_return_page(
        &self,
        merchant: MerchantId,
        url: Option<String>,
    ) -> EngineResult<Option<String>> {
        let url = match url.map(|u| u.trim().to_string()).filter(|u| !u.is_empty()) {
            Some(url) => {
                let parsed = reqwest::Url::parse(&url).map_err(|e| {
                    InvalidInput::new(
                        "link_return_page",
                        format!("'{url}' is not an address: {e}"),
                    )
                })?;
                if parsed.scheme() != "https" || parsed.host_str().is_none() {
                    return Err(InvalidInput::new(
                        "link_return_page",
                        "must be an https address of the merchant's own web site",
                    )
                    .into());
                }
                Some(url)
            }
            None => None,
        };
        self.merchant(merchant).await?;
        let saved = url.clone();
        self.with_store(move |store| Ok(store.set_link_return_page(merchant, saved.as_deref())?))
            .await?;
        Ok(url)
    }

    /// The page an enrollment link sends the cardholder back to, if set.
    pub async fn link_return_page(&self, merchant: MerchantId) -> EngineResult<Option<String>> {
        self.read_store(move |store| Ok(store.link_return_page(merchant)?))
            .await
    }

    pub(crate) async fn enrollment_row(&self, id: EnrollmentId) -> EngineResult<Enrollment> {
        self.read_store(move |store| Ok(store.enrollment(id)?))
            .await
    }

    pub(crate) async fn end_enrollment(
        &self,
        id: EnrollmentId,
        state: EnrollmentState,
        why: String,
    ) -> EngineResult<bool> {
        let now = self.now();
        let audit = self.audit_event(
            None,
            "enrollment_ended",
            format!("enrollment:{id}"),
            serde_json::json!({"state": state.as_str(), "why": why}),
        );
        self.with_store(move |store| {
            let merchant = store.enrollment(id)?.merchant_id;
            Ok(store.batch(|store| {
                let ended = store.settle_enrollment(id, &Settled::Ended { state, why }, now)?;
                if ended {
                    let mut audit = audit;
                    audit.merchant_id = Some(merchant.0);
                    store.append_audit_here(audit)?;
                }
                Ok(ended)
            })?)
        })
        .await
    }

    /// The request the provider gets, rebuilt from the stored row for every call.
    pub(crate) async fn enrollment_request(
        &self,
        row: &Enrollment,
    ) -> EngineResult<EnrollmentRequest> {
        let customer = match row.customer_id {
            Some(id) => Some(self.customer(id).await?),
            None => None,
        };
        let (name, email) = match (&customer, &row.new_customer) {
            (Some(c), _) => (c.name.clone(), c.email.clone()),
            (None, Some(n)) => (n.name.clone(), n.email.clone()),
            (None, None) => (String::new(), None),
        };
        Ok(EnrollmentRequest {
            order_id: row.order_id.clone(),
            customer: customer.as_ref().map(|c| c.reference.clone()),
            name,
            email,
            buyer: customer.as_ref().and_then(crate::charge::buyer_of),
            amount: row.amount,
            reason: row.reason,
            registered: row.registered.clone(),
            mode: row.mode,
            return_url: row.return_url.clone(),
            expires_at: row.expires_at,
            idempotency_key: row.idempotency_key.clone(),
        })
    }

    async fn view_of(&self, row: Enrollment) -> EngineResult<EnrollmentView> {
        let merchant = self.merchant(row.merchant_id).await?;
        let customer_name = match (row.customer_id, &row.new_customer) {
            (Some(id), _) => self.customer(id).await?.name,
            (None, Some(n)) => n.name.clone(),
            (None, None) => String::new(),
        };
        Ok(EnrollmentView {
            id: row.id,
            merchant_id: row.merchant_id,
            merchant_name: merchant.name.clone(),
            provider: coffer_core::providers::rules(merchant.provider())
                .label
                .to_string(),
            customer_id: row.customer_id,
            customer_name,
            mode: row.mode,
            state: row.state,
            amount: row.amount,
            reason: row.reason,
            terms: row.terms,
            order_id: row.order_id,
            hosted_page: row.page_html.is_some(),
            page_url: row.page_url,
            sent_to: row.sent_to,
            returned: row.returned.is_some(),
            created_at: row.created_at,
            expires_at: row.expires_at,
            settled_at: row.settled_at,
            card_id: row.card_id,
            contract_id: row.contract_id,
            replaces_for: row.replaces_for,
            failure: row.failure,
            waiting_on: row.waiting_on,
        })
    }

    /// The customer on record, or the new one: a register provider's new customer is added to
    /// the register now; a listing provider's is created with the card at confirmation.
    async fn enrolled_customer(
        &self,
        merchant: &coffer_core::Merchant,
        input: &EnrollmentInput,
    ) -> EngineResult<(Option<CustomerId>, Option<NewCustomer>)> {
        match (input.customer, &input.new_customer) {
            (Some(_), Some(_)) => Err(InvalidInput::new(
                "customer",
                "give either the customer on record or a new customer, not both",
            )
            .into()),
            (None, None) => Err(InvalidInput::new(
                "customer",
                "the card needs a customer: one on record or a new one",
            )
            .into()),
            (Some(id), None) => {
                let customer = self.customer(id).await?;
                if customer.merchant_id != merchant.id {
                    return Err(InvalidInput::new(
                        "customer",
                        format!("customer {id} is not {}'s", merchant.name),
                    )
                    .into());
                }
                let erased = self
                    .read_store(move |store| Ok(store.customer_erased_at(id)?))
                    .await?;
                if erased.is_some() {
                    return Err(InvalidInput::new(
                        "customer",
                        format!("customer {id} was erased: no card can be saved for them"),
                    )
                    .into());
                }
                Ok((Some(id), None))
            }
            (None, Some(details)) => {
                if details.name.trim().is_empty() {
                    return Err(InvalidInput::new("name", "the new customer needs a name").into());
                }
                if coffer_core::providers::rules(merchant.provider())
                    .capabilities
                    .lists_customers
                {
                    Ok((
                        None,
                        Some(NewCustomer {
                            name: details.name.trim().to_string(),
                            email: details.email.clone(),
                            phone: details.phone.clone(),
                        }),
                    ))
                } else {
                    let id = self.create_customer(merchant.id, details.clone()).await?;
                    Ok((Some(CustomerId(id)), None))
                }
            }
        }
    }

    async fn replaced_contract(
        &self,
        id: ContractId,
        customer: Option<CustomerId>,
    ) -> EngineResult<ContractId> {
        let (contract, card) = self
            .read_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                Ok((contract, card))
            })
            .await?;
        if Some(card.customer_id) != customer {
            return Err(InvalidInput::new(
                "replaces_for",
                format!("contract {id} is not this customer's"),
            )
            .into());
        }
        if contract.status == coffer_core::contract::ContractStatus::Cancelled {
            return Err(InvalidInput::new(
                "replaces_for",
                format!("contract {id} is cancelled: there is nothing to re-enroll"),
            )
            .into());
        }
        Ok(id)
    }
}

/// The recurring series a provider registers with the initial (Assist): from the contract the
/// owner enters in the same flow, which such a provider needs.
fn registered_series(
    merchant: &coffer_core::Merchant,
    input: &EnrollmentInput,
) -> EngineResult<Option<RegisteredSeries>> {
    let rules = coffer_core::providers::rules(merchant.provider());
    if !matches!(
        rules.registered_cap,
        Some(RegisteredCap::RegisteredMax { .. })
    ) {
        return Ok(None);
    }
    let contract = input.contract.as_ref().ok_or_else(|| {
        InvalidInput::new(
            "contract",
            format!(
                "{} registers the recurring series (smallest and largest amount, period, last \
                 date) with the initial payment: enter the contract in the same flow",
                rules.label
            ),
        )
    })?;
    let money = |field: &str, text: &Option<String>| -> EngineResult<Option<Money>> {
        text.as_deref()
            .map(|t| Money::parse(t, merchant.currency).map_err(|e| e.in_field(field).into()))
            .transpose()
    };
    let fixed = money("contract.amount", &contract.amount)?;
    let max = money("contract.max_amount", &contract.max_amount)?.or(fixed);
    let min = money("contract.min_amount", &contract.min_amount)?.or(fixed);
    let (Some(min), Some(max)) = (min, max) else {
        return Err(InvalidInput::new(
            "contract.min_amount",
            format!(
                "{} registers a smallest and a largest amount: give a fixed amount, or both a \
                 minimum and a maximum",
                rules.label
            ),
        )
        .into());
    };
    let frequency = contract.frequency.ok_or_else(|| {
        InvalidInput::new(
            "contract.frequency",
            format!("{} registers the period between charges", rules.label),
        )
    })?;
    let end = contract.end.ok_or_else(|| {
        InvalidInput::new(
            "contract.end",
            format!(
                "{} registers the last date of the series: give the contract an end date",
                rules.label
            ),
        )
    })?;
    Ok(Some(RegisteredSeries {
        min_amount: Some(min),
        max_amount: Some(max),
        period_days: Some(frequency.min_gap_days()),
        end: Some(end),
    }))
}

/// What can be checked of the contract draft before the cardholder goes through the page: its
/// amounts read in the merchant's currency, it says how much and how often. The rest (the
/// provider's own terms against the new card) is checked when the contract is made on the
/// confirmed card, and a refusal then is shown on the enrollment.
fn contract_draft_readable(
    merchant: &coffer_core::Merchant,
    contract: &ContractInput,
) -> EngineResult<()> {
    for (field, text) in [
        ("contract.amount", &contract.amount),
        ("contract.max_amount", &contract.max_amount),
        ("contract.min_amount", &contract.min_amount),
        ("contract.original_amount", &contract.original_amount),
    ] {
        if let Some(text) = text {
            Money::parse(text, merchant.currency).map_err(|e| e.in_field(field))?;
        }
    }
    if contract.amount.is_none() && contract.max_amount.is_none() {
        return Err(InvalidInput::new(
            "contract.amount",
            "the contract needs a fixed amount or a maximum",
        )
        .into());
    }
    if contract.frequency.is_none() {
        return Err(InvalidInput::new("contract.frequency", "the contract needs how often").into());
    }
    Ok(())
}
