//! Recurring contracts: create (validated against the provider's rules), edit with history,
//! pause, resume, cancel (the whole contract, one occurrence, or a made charge by refund), and
//! the schedule of occurrences kept in the store.
//!
//! The schedule is stored only a little ahead of today (the notice lead time plus
//! [`NOTICE_AHEAD_DAYS`](coffer_core::schedule::NOTICE_AHEAD_DAYS)) and regenerated whenever a contract changes and on every due run.
//! Regenerating never touches a charged, cancelled or announced occurrence.
//!
//! A change of terms (amount, frequency, end) never reaches a charge the cardholder was not told
//! of: it applies from the first occurrence not yet announced, which gets its own pre-charge
//! notice at least the lead time before it; an announced charge the new terms no longer allow
//! is cancelled and the cardholder told. The cardholder is sent a notice of the change (what,
//! from when, how to cancel) at once. A charge above what the cardholder consented to waits for
//! new consent (`record_contract_consent`); above what the card's initial transaction registered
//! (Svea's original amount, Assist's `RecurringMaxAmount`) it waits for a new initial
//! transaction (`renew_contract_initial`). Both are policy rule `terms_consented`.
//!
//! Skip (`cancel_occurrence`) and pause tell the cardholder when the charge they stop had been
//! announced; un-skip (`restore_occurrence`) and resume undo them, and resume announces the next
//! charge at once where its notice is due.
//!
//! Here: creating, listing and showing contracts; `terms.rs` holds changes of terms (edit,
//! consent, new initial, one charge's amount), `lifecycle.rs` pause, resume, skip and cancel,
//! `import.rs` contracts brought from a merchant's old billing system.

use chrono::{Days, NaiveDate};
use coffer_core::clock::local_date;
use coffer_core::contract::{
    AmountRule, Contract, ContractStatus, Frequency, NewContractTerms, Occurrence,
};
use coffer_core::schedule::{horizon, nth_due, occurrences};
use coffer_core::NoticeKind;
use coffer_core::{CardId, ContractId, CustomerId, InvalidInput, Merchant, Money};
use coffer_store::contracts::ContractFilter;
use coffer_store::notices::NewNotice;
use coffer_store::repo::prelude::*;
use coffer_store::StoreResult;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::notices::{self, frequency_words, NoticeSent};
use crate::scope::Scope;
use crate::Engine;

pub mod import;
mod lifecycle;
mod terms;

pub(crate) use terms::terms_wait;
use terms::{consent_needed, initial_needed};
pub use terms::{ContractChange, TermChange, TermsChangeEffect};

/// A new contract as the owner enters it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
pub struct ContractInput {
    /// The card to charge.
    pub card: i64,
    /// A fixed amount per charge ("9.99"), or
    pub amount: Option<String>,
    /// the largest amount of a varying charge,
    pub max_amount: Option<String>,
    /// and its smallest (Assist needs one).
    pub min_amount: Option<String>,
    /// The original payment amount; the card's initial transaction amount when `None`.
    pub original_amount: Option<String>,
    /// How often.
    pub frequency: Option<Frequency>,
    /// First possible due date (merchant-local).
    pub start: Option<NaiveDate>,
    /// Last possible due date.
    pub end: Option<NaiveDate>,
}

/// A change of a contract's terms; `None` keeps a term.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContractEdit {
    /// New fixed amount (makes the contract fixed).
    pub amount: Option<String>,
    /// New maximum (makes the contract variable).
    pub max_amount: Option<String>,
    /// New minimum of a variable contract.
    pub min_amount: Option<String>,
    /// New frequency.
    pub frequency: Option<Frequency>,
    /// New end date; `Some(None)` removes it.
    pub end: Option<Option<NaiveDate>>,
    /// Why, kept in the history.
    pub reason: Option<String>,
}

/// A contract as the CLI and the UI show it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractView {
    /// The contract.
    #[serde(flatten)]
    pub contract: Contract,
    /// Its merchant's name.
    pub merchant_name: String,
    /// The cardholder: the customer holding the contract's card.
    pub customer_id: CustomerId,
    /// Their name.
    pub customer_name: String,
    /// The card, in words.
    pub card: String,
    /// How often, in words.
    pub frequency_words: String,
    /// The amount clause, in words.
    pub amount_words: String,
    /// The next open occurrence.
    pub next_due: Option<NaiveDate>,
    /// Why the contract's card must be re-enrolled before its next charge (its initial was a One
    /// Click payment, which links no merchant-initiated charge); `None` when it need not be.
    pub reenroll: Option<String>,
    /// Stored occurrences (on `show`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<Occurrence>,
    /// Earlier terms (on `show`): when, why, and the terms before.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<ContractChange>,
    /// Notices delivered by this call.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notices_sent: Vec<NoticeSent>,
    /// A notice that could not be delivered by this call, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice_error: Option<String>,
    /// Why charges above what the cardholder consented to wait for new consent; `None` when
    /// the terms are consented.
    pub consent_needed: Option<String>,
    /// Why charges wait for a new initial transaction (above Svea's original amount or Assist's
    /// registered maximum); `None` when they need none.
    pub initial_needed: Option<String>,
    /// What a change of terms did (after an edit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub terms_change: Option<TermsChangeEffect>,
    /// What this call did and how to undo it, in sentences (pause, resume, skip, un-skip,
    /// consent, new initial).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub done: Vec<String>,
}

pub(super) fn parse_money(
    text: &Option<String>,
    merchant: &Merchant,
    field: &str,
) -> EngineResult<Option<Money>> {
    text.as_deref()
        .map(|t| Money::parse(t, merchant.currency).map_err(|e| e.in_field(field).into()))
        .transpose()
}

pub(super) fn amount_rule(
    amount: Option<Money>,
    min: Option<Money>,
    max: Option<Money>,
) -> Result<AmountRule, InvalidInput> {
    match (amount, max) {
        (Some(amount), None) if min.is_none() => Ok(AmountRule::Fixed { amount }),
        (None, Some(max)) => Ok(AmountRule::Variable { min, max }),
        (Some(_), Some(_)) | (Some(_), None) => Err(InvalidInput::new(
            "amount",
            "give either a fixed amount, or a maximum (and a minimum) for a varying amount, not both",
        )),
        (None, None) => Err(InvalidInput::new(
            "amount",
            "give a fixed amount, or a maximum for a varying amount",
        )),
    }
}

pub(super) fn problems_error(problems: Vec<InvalidInput>) -> EngineError {
    let field = problems
        .first()
        .map(|p| p.field.clone())
        .unwrap_or_else(|| "contract".into());
    let rule = problems
        .iter()
        .enumerate()
        .map(|(i, p)| {
            if i == 0 {
                p.rule.clone()
            } else {
                p.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    InvalidInput::new(field, rule).into()
}

/// Assist counts `RecurringPeriod` from the initial order too (its rp.cfm compares with the
/// latest of the initial order and the series' charges), so the first scheduled charge must be
/// at least the period after the card's initial transaction; otherwise Assist refuses it.
pub(super) fn assist_first_gap(
    merchant: &Merchant,
    card: &coffer_core::Card,
    frequency: Frequency,
    start: NaiveDate,
) -> Result<(), InvalidInput> {
    if !coffer_core::providers::rules(merchant.provider()).first_charge_after_one_period {
        return Ok(());
    }
    let (Some(initial), Some(first)) = (&card.initial, nth_due(frequency, start, 1)) else {
        return Ok(());
    };
    let period = frequency.min_gap_days();
    let initial_on = local_date(initial.at, merchant.time_zone);
    match initial_on.checked_add_days(Days::new(u64::from(period))) {
        Some(earliest) if first < earliest => Err(InvalidInput::new(
            "start",
            format!(
                "the first charge on {first} would come sooner than {period} days after the \
                 initial payment of {initial_on}, and Assist keeps recurring charges at least \
                 RecurringPeriod ({period} days) apart; start so that the first charge is on or \
                 after {earliest}"
            ),
        )),
        _ => Ok(()),
    }
}

/// The cardholder must hear of every charge at least the lead time before it, so a contract whose
/// first charge is nearer than that would start with a charge the policy refuses.
pub(super) fn first_notice_in_time(
    frequency: Frequency,
    start: NaiveDate,
    today: NaiveDate,
    lead_days: u32,
) -> Result<(), InvalidInput> {
    let Some(first) = nth_due(frequency, start, 1) else {
        return Ok(());
    };
    let deadline = coffer_core::schedule::notice_deadline(first, lead_days);
    if deadline >= today {
        return Ok(());
    }
    let earliest = today
        .checked_add_days(Days::new(u64::from(lead_days)))
        .unwrap_or(today);
    Err(InvalidInput::new(
        "start",
        format!(
            "the first charge would be on {first}, but the cardholder must be told at least \
             {lead_days} days before each charge (by {deadline}, already past); start so that the \
             first charge is on or after {earliest}"
        ),
    ))
}

/// The next charge of an active contract: its earliest open stored occurrence, else the first
/// date of its schedule past what is stored (the store keeps only a little ahead).
pub(super) fn next_due(
    contract: &Contract,
    stored: &[Occurrence],
    today: NaiveDate,
) -> Option<NaiveDate> {
    if contract.status != ContractStatus::Active {
        return None;
    }
    let open = stored
        .iter()
        .filter(|o| o.state == coffer_core::contract::OccurrenceState::Scheduled)
        .map(|o| o.due)
        .min();
    if open.is_some() {
        return open;
    }
    let last_stored = stored.iter().map(|o| o.number).max().unwrap_or(0);
    let from = today.max(contract.start);
    // Two years cover every frequency, a yearly contract on 29 February included.
    let until = from.checked_add_days(Days::new(2 * 366))?;
    occurrences(contract, from, until)
        .ok()?
        .into_iter()
        .find(|(number, _)| *number > last_stored)
        .map(|(_, due)| due)
}

/// The amount each occurrence of `contract` charges: the fixed amount, or a varying contract's
/// maximum (what the cardholder agreed to at most).
pub fn occurrence_amount(contract: &Contract) -> Money {
    contract.amount.bounds().1
}

/// Brings the stored occurrences of an active contract in line with its schedule from `today`
/// through the horizon. Returns the number of rows added or changed.
pub(crate) fn refresh_schedule(
    store: &dyn Repositories,
    contract: &Contract,
    today: NaiveDate,
    lead_days: u32,
) -> StoreResult<u64> {
    if contract.status != ContractStatus::Active {
        return Ok(0);
    }
    let from = today.max(contract.start);
    let until = horizon(today, lead_days);
    let wanted: Vec<(u32, NaiveDate, Money)> = occurrences(contract, from, until)
        .unwrap_or_default()
        .into_iter()
        .map(|(n, due)| (n, due, occurrence_amount(contract)))
        .collect();
    store.sync_occurrences(contract.id, &wanted, today, until)
}

/// `text` as a sentence: a capital first letter and a full stop.
pub(super) fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

impl Engine {
    /// Creates an active contract on a card with consent and an initial transaction, after
    /// checking it against the provider's rules, stores its schedule and sends the cardholder the
    /// contract confirmation.
    pub async fn create_contract(&self, input: ContractInput) -> EngineResult<ContractView> {
        let now = self.now();
        let mut event = self.audit_event(
            None,
            "contract_created",
            String::new(),
            serde_json::Value::Null,
        );
        let created = self
            .with_store(move |store| {
                let card = store.card(CardId(input.card))?;
                let merchant = store.merchant(card.merchant_id)?;
                let today = local_date(now, merchant.time_zone);
                let rule = amount_rule(
                    parse_money(&input.amount, &merchant, "amount")?,
                    parse_money(&input.min_amount, &merchant, "min_amount")?,
                    parse_money(&input.max_amount, &merchant, "max_amount")?,
                )?;
                let frequency = input.frequency.ok_or_else(|| {
                    InvalidInput::new(
                        "frequency",
                        "say how often: monthly, yearly or every N days",
                    )
                })?;
                let start = input.start.unwrap_or(today);
                let terms = NewContractTerms {
                    merchant_id: merchant.id,
                    card_id: card.id,
                    amount: rule,
                    original_amount: parse_money(
                        &input.original_amount,
                        &merchant,
                        "original_amount",
                    )?,
                    frequency,
                    start,
                    end: input.end,
                };
                coffer_core::validate_contract(
                    &terms,
                    merchant.provider(),
                    &card,
                    merchant.currency,
                )
                .map_err(problems_error)?;
                assist_first_gap(&merchant, &card, frequency, start)?;
                if start < today {
                    return Err(InvalidInput::new(
                        "start",
                        format!(
                            "{start} is in the past (today is {today} for {})",
                            merchant.name
                        ),
                    )
                    .into());
                }
                first_notice_in_time(frequency, start, today, merchant.notice_lead_days)?;
                let consented = terms.amount.bounds().1;
                let registered = coffer_core::contract_check::registered_max_of(
                    merchant.provider(),
                    &terms.amount,
                    &card,
                );
                let mut contract = Contract {
                    id: ContractId(0),
                    merchant_id: merchant.id,
                    card_id: card.id,
                    original_amount: terms.effective_original_amount(&card),
                    amount: terms.amount,
                    frequency,
                    start,
                    end: terms.end,
                    status: ContractStatus::Active,
                    terms_accepted_at: card.consent.as_ref().map(|c| c.given_at).unwrap_or(now),
                    confirmation_sent_at: None,
                    consented_max: Some(consented),
                    registered_max: registered,
                };
                let lead = merchant.notice_lead_days;
                let id = store.batch(|store| {
                    let id = store.insert_contract(&contract, now)?;
                    contract.id = id;
                    refresh_schedule(store, &contract, today, lead)?;
                    event.merchant_id = Some(merchant.id.0);
                    event.subject = format!("contract:{id}");
                    event.details = serde_json::json!({"terms": &contract}).to_string();
                    store.append_audit_here(event)?;
                    Ok(id)
                })?;
                Ok(id)
            })
            .await?;
        let (sent, error) = match self.send_confirmation(created).await {
            Ok(sent) => (sent, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let mut view = self.contract_view(created, false).await?;
        view.notices_sent.extend(sent);
        view.notice_error = error;
        Ok(view)
    }

    /// Sends the contract confirmation unless it went out already.
    pub(crate) async fn send_confirmation(
        &self,
        id: ContractId,
    ) -> EngineResult<Option<NoticeSent>> {
        let (contract, merchant, customer, card) = self
            .read_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let customer = store.customer(card.customer_id)?;
                Ok((contract, merchant, customer, card))
            })
            .await?;
        if contract.confirmation_sent_at.is_some() {
            return Ok(None);
        }
        let recipient = customer.email.clone().ok_or_else(|| {
            EngineError::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} has no e-mail address, so the contract confirmation cannot be sent",
                    customer.name
                ),
            )
        })?;
        let content = notices::confirmation(&contract, &merchant, &customer, &card);
        let max = contract.amount.bounds().1;
        self.send_notice(
            &merchant,
            NewNotice {
                contract_id: id,
                occurrence: None,
                kind: NoticeKind::Confirmation,
                recipient,
                amount: Some(max),
                due: Some(contract.start),
                channel: String::new(),
                at: self.now(),
            },
            content,
        )
        .await
    }

    /// The contracts of the given merchants (all when empty).
    pub async fn list_contracts(
        &self,
        scope: impl Into<Scope>,
        status: Option<ContractStatus>,
        card: Option<CardId>,
    ) -> EngineResult<Vec<ContractView>> {
        let merchants = self.resolve_scope(scope).await?;
        let ids = self
            .read_store(move |store| {
                Ok(store
                    .contracts(&ContractFilter {
                        merchants,
                        card,
                        status,
                    })?
                    .into_iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>())
            })
            .await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.push(self.contract_view(id, false).await?);
        }
        Ok(out)
    }

    /// One contract with its occurrences and history.
    pub async fn show_contract(&self, id: ContractId) -> EngineResult<ContractView> {
        self.contract_view(id, true).await
    }

    pub(super) async fn contract_view(
        &self,
        id: ContractId,
        full: bool,
    ) -> EngineResult<ContractView> {
        let now = self.now();
        self.read_store(move |store| {
            let contract = store.contract(id)?;
            let card = store.card(contract.card_id)?;
            let merchant = store.merchant(contract.merchant_id)?;
            let customer = store.customer(card.customer_id)?;
            let occurrences = store.occurrences_of(id)?;
            let today = local_date(now, merchant.time_zone);
            let next_due = next_due(&contract, &occurrences, today);
            let history = if full {
                store
                    .contract_history(id)?
                    .into_iter()
                    .map(|(changed_at, reason, before)| ContractChange {
                        changed_at,
                        reason,
                        before,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            Ok(ContractView {
                merchant_name: merchant.name.clone(),
                customer_id: customer.id,
                customer_name: customer.name.clone(),
                card: format!("{} ending {}", card.brand, card.last4.as_str()),
                frequency_words: frequency_words(contract.frequency),
                amount_words: notices::amount_words(&contract.amount),
                next_due,
                reenroll: card.reenroll_reason(),
                occurrences: if full { occurrences } else { Vec::new() },
                history,
                notices_sent: Vec::new(),
                notice_error: None,
                consent_needed: consent_needed(&contract, merchant.provider()),
                initial_needed: initial_needed(&contract, merchant.provider()),
                terms_change: None,
                done: Vec::new(),
                contract,
            })
        })
        .await
    }
}
