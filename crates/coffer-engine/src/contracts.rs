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

use chrono::{DateTime, Days, NaiveDate, Utc};
use coffer_core::clock::local_date;
use coffer_core::contract::{
    AmountRule, Contract, ContractStatus, Frequency, NewContractTerms, Occurrence, OccurrenceState,
    TermsWait,
};
use coffer_core::schedule::{horizon, nth_due, occurrences};
use coffer_core::{
    AttemptId, Card, CardId, ContractId, Customer, InvalidInput, Merchant, MerchantId, Money,
    ProviderKind,
};
use coffer_store::contracts::{ContractFilter, NewNotice, NoticeKind};
use coffer_store::{Store, StoreResult};
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::notices::{self, frequency_words, NoticeSent};
use crate::refunds::RefundResult;
use crate::Engine;

/// A new contract as the owner enters it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    /// The cardholder.
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

/// One term that changes.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermChange {
    /// amount | frequency | end.
    pub term: String,
    /// Before, in words.
    pub before: String,
    /// After, in words.
    pub after: String,
}

/// What a change of terms does: shown before it is saved, and returned after.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TermsChangeEffect {
    /// The terms that change.
    pub changes: Vec<TermChange>,
    /// The first occurrence the new terms apply to.
    pub effective_occurrence: Option<u32>,
    /// Its due date.
    pub effective_from: Option<NaiveDate>,
    /// Announced charges the new terms no longer allow: cancelled, the cardholder told.
    pub cancelled_charges: Vec<u32>,
    /// Who is sent the notice of the change; `None` when the cardholder has no e-mail address.
    pub notice_to: Option<String>,
    /// Why the new amount waits for new consent.
    pub consent_needed: Option<String>,
    /// Why the new amount waits for a new initial transaction.
    pub initial_needed: Option<String>,
    /// All of it in sentences, for the CLI and the UI.
    pub summary: Vec<String>,
}

/// One edit of a contract.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContractChange {
    /// When.
    pub changed_at: DateTime<Utc>,
    /// Why.
    pub reason: String,
    /// The terms before.
    pub before: Contract,
}

fn parse_money(
    text: &Option<String>,
    merchant: &Merchant,
    field: &str,
) -> EngineResult<Option<Money>> {
    text.as_deref()
        .map(|t| Money::parse(t, merchant.currency).map_err(|e| e.in_field(field).into()))
        .transpose()
}

fn amount_rule(
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

fn problems_error(problems: Vec<InvalidInput>) -> EngineError {
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
fn assist_first_gap(
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
fn first_notice_in_time(
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
fn next_due(contract: &Contract, stored: &[Occurrence], today: NaiveDate) -> Option<NaiveDate> {
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
    store: &Store,
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

/// Why a charge of `amount` under `contract` waits for the cardholder (policy rule
/// `terms_consented`), in words; `None` when it need not wait.
pub(crate) fn terms_wait(
    contract: &Contract,
    provider: ProviderKind,
    amount: Money,
) -> Option<String> {
    contract
        .terms_wait(provider, amount)
        .map(|wait| wait.reason(contract.id, amount))
}

fn consent_needed(contract: &Contract, provider: ProviderKind) -> Option<String> {
    let max = contract.amount.bounds().1;
    match contract.terms_wait(provider, max)? {
        TermsWait::NewConsent { consented } => Some(format!(
            "new consent needed: consented up to {consented}, contract now {max}; nothing above \
             {consented} is charged until the cardholder's consent to the new terms is recorded"
        )),
        TermsWait::NewInitial { .. } => None,
    }
}

fn initial_needed(contract: &Contract, provider: ProviderKind) -> Option<String> {
    let max = contract.amount.bounds().1;
    match contract.terms_wait(provider, max)? {
        TermsWait::NewInitial { cap, name } => Some(format!(
            "new initial transaction needed: the card's initial transaction registered charges \
             up to {cap} ({name}), contract now {max}; new consent is not enough: nothing above \
             {cap} is charged until the cardholder makes a new initial payment at the new terms"
        )),
        TermsWait::NewConsent { .. } => None,
    }
}

/// `text` as a sentence: a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// Whether the terms allow an occurrence of `amount`.
fn allows(contract: &Contract, amount: Money) -> bool {
    match &contract.amount {
        AmountRule::Fixed { amount: fixed } => *fixed == amount,
        AmountRule::Variable { .. } => {
            let (floor, max) = contract.amount.range();
            amount.currency == max.currency
                && amount.minor >= floor.minor
                && amount.minor <= max.minor
        }
    }
}

fn short_amount(rule: &AmountRule) -> String {
    match rule {
        AmountRule::Fixed { amount } => amount.to_string(),
        AmountRule::Variable {
            min: Some(min),
            max,
        } => format!("{min} to {max}"),
        AmountRule::Variable { min: None, max } => format!("up to {max}"),
    }
}

fn end_words(end: Option<NaiveDate>) -> String {
    end.map(|d| d.to_string())
        .unwrap_or_else(|| "until cancelled".into())
}

/// The terms that differ between `before` and `after`, in words.
fn changes_of(before: &Contract, after: &Contract) -> Vec<TermChange> {
    let mut out = Vec::new();
    let mut push = |term: &str, b: String, a: String| {
        if b != a {
            out.push(TermChange {
                term: term.into(),
                before: b,
                after: a,
            });
        }
    };
    push(
        "amount",
        short_amount(&before.amount),
        short_amount(&after.amount),
    );
    push(
        "frequency",
        frequency_words(before.frequency),
        frequency_words(after.frequency),
    );
    push("end", end_words(before.end), end_words(after.end));
    out
}

/// The first occurrence the terms of `contract` reach: not charged, not cancelled (or about to
/// be), and not announced under the old terms.
fn first_under_new_terms(
    contract: &Contract,
    stored: &[Occurrence],
    cancelled: &[u32],
    today: NaiveDate,
) -> Option<(u32, NaiveDate)> {
    let from = today.max(contract.start);
    let until = from.checked_add_days(Days::new(2 * 366))?;
    occurrences(contract, from, until)
        .ok()?
        .into_iter()
        .find(
            |(number, _)| match stored.iter().find(|o| o.number == *number) {
                None => true,
                Some(o) => {
                    o.state == OccurrenceState::Scheduled
                        && o.notice_sent_at.is_none()
                        && !cancelled.contains(number)
                }
            },
        )
}

/// A change of terms worked out, before anything is written.
struct EditPlan {
    after: Contract,
    merchant: Merchant,
    card: Card,
    customer: Customer,
    today: NaiveDate,
    reason: String,
    effect: TermsChangeEffect,
    cancel: Vec<Occurrence>,
}

fn plan_edit(
    store: &Store,
    id: ContractId,
    edit: &ContractEdit,
    now: DateTime<Utc>,
) -> EngineResult<EditPlan> {
    let before = store.contract(id)?;
    let mut contract = before.clone();
    let card = store.card(contract.card_id)?;
    let merchant = store.merchant(contract.merchant_id)?;
    let customer = store.customer(card.customer_id)?;
    let today = local_date(now, merchant.time_zone);
    let (old_min, old_max) = contract.amount.bounds();
    let amount = parse_money(&edit.amount, &merchant, "amount")?;
    let min = parse_money(&edit.min_amount, &merchant, "min_amount")?;
    let max = parse_money(&edit.max_amount, &merchant, "max_amount")?;
    contract.amount = match (amount, min, max, &contract.amount) {
        (None, None, None, rule) => rule.clone(),
        (Some(amount), None, None, _) => AmountRule::Fixed { amount },
        (None, min, max, AmountRule::Variable { .. }) => AmountRule::Variable {
            min: min.or(old_min),
            max: max.unwrap_or(old_max),
        },
        (None, min, Some(max), AmountRule::Fixed { .. }) => AmountRule::Variable { min, max },
        _ => amount_rule(amount, min, max)?,
    };
    if let Some(frequency) = edit.frequency {
        contract.frequency = frequency;
    }
    if let Some(end) = edit.end {
        contract.end = end;
    }
    if matches!(
        contract.status,
        ContractStatus::Cancelled | ContractStatus::Ended
    ) {
        return Err(InvalidInput::new(
            "contract",
            format!(
                "contract {id} is {:?}; it cannot be changed",
                contract.status
            ),
        )
        .into());
    }
    let terms = NewContractTerms {
        merchant_id: contract.merchant_id,
        card_id: contract.card_id,
        amount: contract.amount.clone(),
        original_amount: contract.original_amount,
        frequency: contract.frequency,
        start: contract.start,
        end: contract.end,
    };
    coffer_core::validate_contract_change(&terms, merchant.provider(), &card, merchant.currency)
        .map_err(problems_error)?;
    // Terms kept before consent was recorded were the consented ones: a raise is measured
    // from them.
    contract.consented_max = Some(before.consented_up_to());
    let changes = changes_of(&before, &contract);
    if changes.is_empty() {
        return Err(InvalidInput::new(
            "contract",
            format!("nothing changes: contract {id} already has these terms"),
        )
        .into());
    }
    let stored = store.occurrences_of(id)?;
    let cancel: Vec<Occurrence> = stored
        .iter()
        .filter(|o| {
            o.state == OccurrenceState::Scheduled
                && o.notice_sent_at.is_some()
                && o.due >= today
                && !allows(&contract, o.amount)
        })
        .cloned()
        .collect();
    let cancelled: Vec<u32> = cancel.iter().map(|o| o.number).collect();
    let effective =
        if contract.status == ContractStatus::Active || contract.status == ContractStatus::Paused {
            first_under_new_terms(&contract, &stored, &cancelled, today)
        } else {
            None
        };
    let provider = merchant.provider();
    let consent = consent_needed(&contract, provider);
    let initial = initial_needed(&contract, provider);
    let mut summary = vec![format!(
        "Changes: {}.",
        changes
            .iter()
            .map(|c| format!("{} {} -> {}", c.term, c.before, c.after))
            .collect::<Vec<_>>()
            .join("; ")
    )];
    summary.push(match effective {
        Some((number, due)) => format!(
            "The new terms apply from charge {number} on {due}, announced to the cardholder at \
             least {} days before it; charges announced earlier keep their announced terms.",
            merchant.notice_lead_days
        ),
        None => "No further charge is scheduled.".into(),
    });
    for o in &cancel {
        summary.push(format!(
            "Charge {} on {} was announced at {}, which the new terms do not allow: it is \
             cancelled and the cardholder is told.",
            o.number, o.due, o.amount
        ));
    }
    summary.push(match &customer.email {
        Some(to) => format!(
            "A notice of the change goes to {to}: what changes, from when, and how to cancel."
        ),
        None => format!(
            "{} has no e-mail address: no notice of the change can be sent, so tell the \
             cardholder yourself before the next charge.",
            customer.name
        ),
    });
    for why in [&initial, &consent].into_iter().flatten() {
        summary.push(sentence(why));
    }
    let effect = TermsChangeEffect {
        changes,
        effective_occurrence: effective.map(|(n, _)| n),
        effective_from: effective.map(|(_, d)| d),
        cancelled_charges: cancelled,
        notice_to: customer.email.clone(),
        consent_needed: consent,
        initial_needed: initial,
        summary,
    };
    Ok(EditPlan {
        after: contract,
        merchant,
        card,
        customer,
        today,
        reason: edit.reason.clone().unwrap_or_else(|| "terms edited".into()),
        effect,
        cancel,
    })
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
                let registered =
                    coffer_core::contract::registered_max_of(merchant.provider(), &terms.amount);
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
            .with_store(move |store| {
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

    /// Changes a contract's terms, keeping the old ones in its history, and regenerates its
    /// schedule. A change the provider would refuse is refused here. The change applies from
    /// the first occurrence not yet announced; announced charges the new terms no longer allow
    /// are cancelled; the cardholder is sent a notice of the change and of each cancelled charge.
    pub async fn edit_contract(
        &self,
        id: ContractId,
        edit: ContractEdit,
    ) -> EngineResult<ContractView> {
        if let Some(reason) = &edit.reason {
            coffer_core::free_text::refuse_card_number("reason", reason)?;
        }
        let now = self.now();
        let mut event = self.audit_event(
            None,
            "contract_edited",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        let plan = self
            .with_store(move |store| {
                let plan = plan_edit(store, id, &edit, now)?;
                let contract = &plan.after;
                let lead = plan.merchant.notice_lead_days;
                event.merchant_id = Some(plan.merchant.id.0);
                event.details = serde_json::json!({
                    "reason": plan.reason,
                    "terms": contract,
                    "changes": plan.effect.changes,
                    "effective_occurrence": plan.effect.effective_occurrence,
                    "effective_from": plan.effect.effective_from,
                    "cancelled_charges": plan.effect.cancelled_charges,
                    "consent_needed": plan.effect.consent_needed.is_some(),
                    "initial_needed": plan.effect.initial_needed.is_some(),
                })
                .to_string();
                let (min, max) = contract.amount.range();
                store.batch(|store| {
                    store.update_contract(contract, &plan.reason, now)?;
                    for o in &plan.cancel {
                        store.set_occurrence_state(id, o.number, OccurrenceState::Cancelled)?;
                    }
                    // Amounts the owner set that the new terms no longer allow follow the contract.
                    let fixed = matches!(contract.amount, AmountRule::Fixed { .. });
                    store.reset_occurrence_amounts_outside(contract.id, min, max, fixed)?;
                    refresh_schedule(store, contract, plan.today, lead)?;
                    store.append_audit_here(event)?;
                    Ok(())
                })?;
                Ok(plan)
            })
            .await?;
        let mut sent = Vec::new();
        let mut errors = Vec::new();
        if let Some(recipient) = plan.customer.email.clone() {
            let changes: Vec<(String, String, String)> = plan
                .effect
                .changes
                .iter()
                .map(|c| (c.term.clone(), c.before.clone(), c.after.clone()))
                .collect();
            let from = plan
                .effect
                .effective_occurrence
                .zip(plan.effect.effective_from);
            let waits = match (&plan.effect.initial_needed, &plan.effect.consent_needed) {
                (Some(_), _) => Some(
                    "Before anything above the amount your card was registered for is charged, you will be asked to make a new payment that registers your card for the new terms. Until then nothing above it is charged.",
                ),
                (None, Some(_)) => Some(
                    "Nothing above the amount you agreed to before is charged until you agree to the new terms.",
                ),
                (None, None) => None,
            };
            let content = notices::terms_change(
                &plan.after,
                &plan.merchant,
                &plan.customer,
                &plan.card,
                &changes,
                from,
                waits,
                plan.today,
            );
            match self
                .send_notice(
                    &plan.merchant,
                    NewNotice {
                        contract_id: id,
                        occurrence: None,
                        kind: NoticeKind::TermsChange,
                        recipient,
                        amount: Some(plan.after.amount.bounds().1),
                        due: plan.effect.effective_from,
                        channel: String::new(),
                        at: now,
                    },
                    content,
                )
                .await
            {
                Ok(notice) => sent.extend(notice),
                Err(e) => errors.push(format!("notice of the change: {e}")),
            }
        }
        for o in &plan.cancel {
            match self
                .send_charge_cancelled(id, o, "the terms of the agreement changed")
                .await
            {
                Ok(notice) => sent.extend(notice),
                Err(e) => errors.push(format!("cancellation of charge {}: {e}", o.number)),
            }
        }
        let mut view = self.contract_view(id, true).await?;
        view.notices_sent = sent;
        view.notice_error = (!errors.is_empty()).then(|| errors.join("; "));
        view.terms_change = Some(plan.effect);
        Ok(view)
    }

    /// What [`Engine::edit_contract`] would do with `edit`, without doing it: the changes, from
    /// when they apply, the notices, and whether new consent or a new initial is needed.
    pub async fn preview_contract_edit(
        &self,
        id: ContractId,
        edit: ContractEdit,
    ) -> EngineResult<TermsChangeEffect> {
        let now = self.now();
        self.with_store(move |store| Ok(plan_edit(store, id, &edit, now)?.effect))
            .await
    }

    /// Records the cardholder's consent to the contract's current terms, so charges up to its
    /// amount are no longer held (a charge above the provider's registered cap still waits for
    /// a new initial transaction). `terms` is what the cardholder agreed to, as shown to them.
    pub async fn record_contract_consent(
        &self,
        id: ContractId,
        terms: String,
    ) -> EngineResult<ContractView> {
        if terms.trim().is_empty() {
            return Err(InvalidInput::new(
                "terms",
                "the consent needs the terms text the cardholder agreed to",
            )
            .into());
        }
        coffer_core::free_text::refuse_card_number("terms", &terms)?;
        let now = self.now();
        let mut event = self.audit_event(
            None,
            "contract_consent_recorded",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        let done = self
            .with_store(move |store| {
                let mut contract = store.contract(id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                if matches!(
                    contract.status,
                    ContractStatus::Cancelled | ContractStatus::Ended
                ) {
                    return Err(InvalidInput::new(
                        "contract",
                        format!("contract {id} is {:?}: nothing more is charged under it", contract.status),
                    )
                    .into());
                }
                let before = contract.consented_up_to();
                let max = contract.amount.bounds().1;
                if max.minor <= before.minor {
                    return Err(InvalidInput::new(
                        "contract",
                        format!(
                            "contract {id} needs no new consent: the cardholder consented up to \
                             {before} and it charges at most {max}"
                        ),
                    )
                    .into());
                }
                contract.consented_max = Some(max);
                contract.terms_accepted_at = now;
                let mut done = vec![format!(
                    "Consent recorded: the cardholder agreed to charges up to {max} (before: {before})."
                )];
                match initial_needed(&contract, merchant.provider()) {
                    Some(why) => done.push(format!("Still waiting: {why}.")),
                    None => done.push(format!("Charges up to {max} are no longer held.")),
                }
                event.merchant_id = Some(merchant.id.0);
                event.details = serde_json::json!({
                    "consented_before": before.to_string(),
                    "consented_max": max.to_string(),
                    "terms": terms,
                })
                .to_string();
                store.batch(|store| {
                    store.update_contract(&contract, &format!("new consent recorded: {terms}"), now)?;
                    store.append_audit_here(event)?;
                    Ok(())
                })?;
                Ok(done)
            })
            .await?;
        let mut view = self.contract_view(id, true).await?;
        view.done = done;
        Ok(view)
    }

    /// Makes a new initial cardholder-initiated transaction for a contract whose amount is above
    /// what the card's initial registered (Svea's original amount), with the cardholder's
    /// consent to the new terms, and moves the contract onto it: its original amount becomes
    /// the new initial's and its consent the new terms'. `amount` defaults to the contract's
    /// largest charge. Where the cap was registered on the provider's own payment page (Assist's
    /// `RecurringMaxAmount`), Coffer cannot make that payment and says so.
    pub async fn renew_contract_initial(
        &self,
        id: ContractId,
        amount: Option<String>,
        terms: String,
    ) -> EngineResult<ContractView> {
        let (contract, card, merchant) = self
            .with_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                Ok((contract, card, merchant))
            })
            .await?;
        if matches!(
            contract.status,
            ContractStatus::Cancelled | ContractStatus::Ended
        ) {
            return Err(InvalidInput::new(
                "contract",
                format!(
                    "contract {id} is {:?}: nothing more is charged under it",
                    contract.status
                ),
            )
            .into());
        }
        let max = contract.amount.bounds().1;
        if let Some(registered) = contract.registered_max {
            return Err(InvalidInput::new(
                "contract",
                format!(
                    "the cap of {registered} was registered with the initial order on the \
                     provider's own payment page (Assist RecurringMaxAmount); Coffer's own initial \
                     payments register no recurring terms, so the cardholder must pay a new \
                     initial order there with RecurringMaxAmount of at least {max}"
                ),
            )
            .into());
        }
        let provider = self.provider_for(&merchant).await?;
        let card_page = provider.capabilities().initial_needs_card_page;
        let amount = amount.unwrap_or_else(|| max.to_decimal('.'));
        let result = self
            .record_initial(crate::consent::InitialInput {
                customer: card.customer_id,
                card: (!card_page).then_some(card.id),
                amount,
                reason: coffer_core::Reason::Recurring,
                terms: terms.clone(),
            })
            .await?;
        let Some(new_card) = result.card else {
            return Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "the cardholder must first complete the provider's card page{}; the \
                     contract stays on its card until then",
                    result
                        .card_page_url
                        .map(|u| format!(" ({u})"))
                        .unwrap_or_default()
                ),
            ));
        };
        let now = self.now();
        let mut event = self.audit_event(
            None,
            "contract_initial_renewed",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        let done = self
            .with_store(move |store| {
                let mut contract = store.contract(id)?;
                let card = store.card(CardId(new_card.id))?;
                let initial = card.initial.clone().ok_or_else(|| {
                    EngineError::new(ErrorKind::Internal, "the new initial was not stored")
                })?;
                let old_card = contract.card_id;
                contract.card_id = card.id;
                contract.original_amount = initial.amount.or(contract.original_amount);
                contract.consented_max = Some(contract.amount.bounds().1);
                contract.terms_accepted_at = now;
                event.merchant_id = Some(contract.merchant_id.0);
                event.details = serde_json::json!({
                    "initial_ref": initial.reference,
                    "original_amount": contract.original_amount.map(|m| m.to_string()),
                    "card_before": old_card.0,
                    "card": card.id.0,
                    "terms": terms,
                })
                .to_string();
                store.batch(|store| {
                    store.update_contract(
                        &contract,
                        &format!("new initial transaction {}", initial.reference),
                        now,
                    )?;
                    store.append_audit_here(event)?;
                    Ok(())
                })?;
                let mut done = vec![format!(
                    "New initial transaction {} made{}: the contract now charges card ending {} \
                     and may charge up to {}.",
                    initial.reference,
                    initial
                        .amount
                        .map(|a| format!(" for {a}"))
                        .unwrap_or_default(),
                    card.last4.as_str(),
                    contract.amount.bounds().1
                )];
                if old_card != card.id {
                    done.push(format!(
                        "The provider made a new token: the contract moved from card {old_card} to card {}.",
                        card.id
                    ));
                }
                Ok(done)
            })
            .await?;
        let mut view = self.contract_view(id, true).await?;
        view.done = done;
        Ok(view)
    }

    /// Sets what occurrence `number` of a varying contract charges, within the contract's
    /// bounds, before its pre-charge notice goes out (the notice then announces this amount).
    /// The occurrence may be ahead of the stored schedule.
    pub async fn set_occurrence_amount(
        &self,
        id: ContractId,
        number: u32,
        amount: String,
    ) -> EngineResult<ContractView> {
        let now = self.now();
        let mut event = self.audit_event(
            None,
            "occurrence_amount_set",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        self.with_store(move |store| {
            let contract = store.contract(id)?;
            let merchant = store.merchant(contract.merchant_id)?;
            let today = local_date(now, merchant.time_zone);
            let AmountRule::Variable { .. } = contract.amount else {
                return Err(InvalidInput::new(
                    "amount",
                    format!(
                        "contract {id} charges a fixed {}; change the contract's terms instead",
                        contract.amount.bounds().1
                    ),
                )
                .into());
            };
            let closed = match contract.status {
                ContractStatus::Active | ContractStatus::Paused => None,
                ContractStatus::Cancelled => Some("cancelled"),
                ContractStatus::Ended => Some("ended"),
            };
            if let Some(closed) = closed {
                return Err(InvalidInput::new(
                    "contract",
                    format!("contract {id} is {closed}: nothing more is charged under it"),
                )
                .into());
            }
            let money =
                Money::parse(&amount, merchant.currency).map_err(|e| e.in_field("amount"))?;
            let (floor, max) = contract.amount.range();
            if money.minor < floor.minor || money.minor > max.minor {
                let names = coffer_core::providers::rules(merchant.provider())
                    .amount_range_names
                    .map(|names| format!(" ({names})"))
                    .unwrap_or_default();
                return Err(InvalidInput::new(
                    "amount",
                    format!("{money} is outside the contract's {floor} to {max}{names}"),
                )
                .into());
            }
            let due = nth_due(contract.frequency, contract.start, number)
                .filter(|due| contract.end.is_none_or(|end| *due <= end))
                .ok_or_else(|| {
                    InvalidInput::new(
                        "occurrence",
                        format!("contract {id} has no occurrence {number}"),
                    )
                })?;
            if due < today {
                return Err(InvalidInput::new(
                    "occurrence",
                    format!("occurrence {number} was due on {due}, before today ({today})"),
                )
                .into());
            }
            if let Some(stored) = store.occurrence(id, number)? {
                if let Some(sent) = stored.notice_sent_at {
                    return Err(InvalidInput::new(
                        "occurrence",
                        format!(
                            "the cardholder was told on {} that occurrence {number} charges {}; \
                             an announced amount cannot change",
                            local_date(sent, merchant.time_zone),
                            stored.amount
                        ),
                    )
                    .into());
                }
            }
            event.merchant_id = Some(merchant.id.0);
            event.details =
                serde_json::json!({"occurrence": number, "due": due, "amount": money.to_string()})
                    .to_string();
            store.batch(|store| {
                if !store.set_occurrence_amount(id, number, due, money, now)? {
                    return Err(coffer_store::StoreError::Conflict(format!(
                        "occurrence {number} of contract {id} is no longer open to change"
                    )));
                }
                store.append_audit_here(event)?;
                Ok(())
            })?;
            Ok(())
        })
        .await?;
        self.contract_view(id, true).await
    }

    /// Pauses a contract: nothing is charged until it is resumed. A charge already announced to
    /// the cardholder is cancelled and the cardholder is sent a cancellation of it.
    pub async fn pause_contract(&self, id: ContractId) -> EngineResult<ContractView> {
        let (cancelled, lead) = self
            .set_status(id, ContractStatus::Paused, "paused")
            .await?;
        let mut done = vec![format!(
            "Paused: nothing is charged until the contract is resumed. Undo: resume it; charges \
             continue from the next date after that, each announced to the cardholder at least \
             {lead} days before."
        )];
        let mut view = self.contract_view(id, true).await?;
        for o in &cancelled {
            match self
                .send_charge_cancelled(id, o, "the agreement is paused")
                .await
            {
                Ok(notice) => {
                    view.notices_sent.extend(notice);
                    done.push(format!(
                        "Charge {} of {} on {} had been announced: it is cancelled and the \
                         cardholder was sent a cancellation of it.",
                        o.number, o.amount, o.due
                    ));
                }
                Err(e) => {
                    view.notice_error = Some(e.to_string());
                    done.push(format!(
                        "Charge {} of {} on {} had been announced: it is cancelled, but the \
                         cancellation could not be sent ({e}); tell the cardholder yourself.",
                        o.number, o.amount, o.due
                    ));
                }
            }
        }
        view.done = done;
        Ok(view)
    }

    /// Resumes a paused contract; occurrences that fell due while it was paused are not charged.
    /// The next charge is announced at once where its notice is due (at least the merchant's
    /// lead time before it); a later one is announced by the due run.
    pub async fn resume_contract(&self, id: ContractId) -> EngineResult<ContractView> {
        let (_, lead) = self
            .set_status(id, ContractStatus::Active, "resumed")
            .await?;
        let now = self.now();
        let (merchant, next, held) = self
            .with_store(move |store| {
                let contract = store.contract(id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let today = local_date(now, merchant.time_zone);
                let first = today
                    .checked_add_days(Days::new(u64::from(lead)))
                    .unwrap_or(today);
                let next = store
                    .occurrences_of(id)?
                    .into_iter()
                    .filter(|o| {
                        o.state == OccurrenceState::Scheduled
                            && o.notice_sent_at.is_none()
                            && o.due >= first
                    })
                    .min_by_key(|o| o.due);
                let held = next
                    .as_ref()
                    .and_then(|o| terms_wait(&contract, merchant.provider(), o.amount));
                Ok((merchant, next, held))
            })
            .await?;
        let mut done = vec![
            "Resumed: charges continue; those that fell due while the contract was paused are not made. Undo: pause it again.".to_string(),
        ];
        let mut sent = Vec::new();
        let mut error = None;
        if let Some(o) = &next {
            match self.send_pre_charge(&merchant, o).await {
                Ok(Some(notice)) => {
                    done.push(format!(
                        "The cardholder was sent a notice of the next charge: {} on {}.",
                        o.amount, o.due
                    ));
                    sent.push(notice);
                }
                Ok(None) => {
                    if let Some(why) = &held {
                        done.push(format!(
                            "The next charge, {} on {}, is not announced yet: {why}.",
                            o.amount, o.due
                        ));
                    }
                }
                Err(e) => error = Some(e.to_string()),
            }
        }
        let mut view = self.contract_view(id, true).await?;
        if next.is_none() {
            if let Some(due) = view.next_due {
                done.push(format!(
                    "The next charge is on {due}; the cardholder is sent its notice at least \
                     {lead} days before, by {}.",
                    coffer_core::schedule::notice_deadline(due, lead)
                ));
            }
        }
        view.notices_sent = sent;
        view.notice_error = error;
        view.done = done;
        Ok(view)
    }

    /// Cancels the whole contract: no charge after it. The cardholder is told.
    pub async fn cancel_contract(
        &self,
        id: ContractId,
        reason: Option<String>,
    ) -> EngineResult<ContractView> {
        if let Some(reason) = &reason {
            coffer_core::free_text::refuse_card_number("reason", reason)?;
        }
        let reason = reason.unwrap_or_else(|| "cancelled".into());
        self.set_status(id, ContractStatus::Cancelled, &reason)
            .await?;
        let mut view = self.contract_view(id, false).await?;
        let sent = self.send_cancellation(id).await;
        match sent {
            Ok(sent) => view.notices_sent.extend(sent),
            Err(e) => view.notice_error = Some(e.to_string()),
        }
        Ok(view)
    }

    async fn send_cancellation(&self, id: ContractId) -> EngineResult<Option<NoticeSent>> {
        let now = self.now();
        let (contract, merchant, customer, card) = self
            .with_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let customer = store.customer(card.customer_id)?;
                Ok((contract, merchant, customer, card))
            })
            .await?;
        let Some(recipient) = customer.email.clone() else {
            return Ok(None);
        };
        let today = local_date(now, merchant.time_zone);
        let content = notices::cancellation(&contract, &merchant, &customer, &card, today);
        self.send_notice(
            &merchant,
            NewNotice {
                contract_id: id,
                occurrence: None,
                kind: NoticeKind::Cancellation,
                recipient,
                amount: None,
                due: Some(today),
                channel: String::new(),
                at: now,
            },
            content,
        )
        .await
    }

    /// Sends the cardholder word that an announced charge will not be made, and why.
    async fn send_charge_cancelled(
        &self,
        id: ContractId,
        occurrence: &Occurrence,
        why: &str,
    ) -> EngineResult<Option<NoticeSent>> {
        let (contract, merchant, customer, card) = self
            .with_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let customer = store.customer(card.customer_id)?;
                Ok((contract, merchant, customer, card))
            })
            .await?;
        let recipient = customer.email.clone().ok_or_else(|| {
            EngineError::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} has no e-mail address, so the cancellation of the charge cannot be sent",
                    customer.name
                ),
            )
        })?;
        let content =
            notices::charge_cancelled(&contract, occurrence, &merchant, &customer, &card, why);
        self.send_notice(
            &merchant,
            NewNotice {
                contract_id: id,
                occurrence: Some(occurrence.number),
                kind: NoticeKind::ChargeCancelled,
                recipient,
                amount: Some(occurrence.amount),
                due: Some(occurrence.due),
                channel: String::new(),
                at: self.now(),
            },
            content,
        )
        .await
    }

    /// Moves a contract to `status`. Returns the announced occurrences a pause cancelled and the
    /// merchant's notice lead.
    async fn set_status(
        &self,
        id: ContractId,
        status: ContractStatus,
        reason: &str,
    ) -> EngineResult<(Vec<Occurrence>, u32)> {
        let now = self.now();
        let reason = reason.to_string();
        let mut event = self.audit_event(
            None,
            &format!("contract_{}", format!("{status:?}").to_lowercase()),
            format!("contract:{id}"),
            serde_json::json!({"reason": reason}),
        );
        self.with_store(move |store| {
            let mut contract = store.contract(id)?;
            let merchant = store.merchant(contract.merchant_id)?;
            let today = local_date(now, merchant.time_zone);
            let allowed = matches!(
                (contract.status, status),
                (ContractStatus::Active, ContractStatus::Paused)
                    | (ContractStatus::Paused, ContractStatus::Active)
                    | (
                        ContractStatus::Active | ContractStatus::Paused,
                        ContractStatus::Cancelled | ContractStatus::Ended
                    )
            );
            if !allowed {
                return Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!(
                        "contract {id} is {:?}; it cannot become {status:?}",
                        contract.status
                    ),
                ));
            }
            let resumed =
                contract.status == ContractStatus::Paused && status == ContractStatus::Active;
            contract.status = status;
            let lead = merchant.notice_lead_days;
            // A pause stops the charges the cardholder was already told of, too.
            let announced: Vec<Occurrence> = if status == ContractStatus::Paused {
                store
                    .occurrences_of(id)?
                    .into_iter()
                    .filter(|o| {
                        o.state == OccurrenceState::Scheduled
                            && o.notice_sent_at.is_some()
                            && o.due >= today
                    })
                    .collect()
            } else {
                Vec::new()
            };
            store.batch(|store| {
                store.update_contract(&contract, &reason, now)?;
                for o in &announced {
                    store.set_occurrence_state(id, o.number, OccurrenceState::Cancelled)?;
                }
                match status {
                    ContractStatus::Cancelled | ContractStatus::Ended => {
                        store.cancel_open_occurrences(id, NaiveDate::MIN)?;
                    }
                    ContractStatus::Active if resumed => {
                        store.cancel_open_occurrences_before(id, today)?;
                        refresh_schedule(store, &contract, today, lead)?;
                    }
                    _ => {}
                }
                event.merchant_id = Some(merchant.id.0);
                if !announced.is_empty() {
                    event.details = serde_json::json!({
                        "reason": reason,
                        "cancelled_announced": announced.iter().map(|o| o.number).collect::<Vec<_>>(),
                    })
                    .to_string();
                }
                store.append_audit_here(event)?;
                Ok(())
            })?;
            Ok((announced, lead))
        })
        .await
    }

    /// Skips one upcoming occurrence (by number): it is never charged. When its pre-charge
    /// notice went out, the cardholder is sent a cancellation of that charge. Undo with
    /// [`Engine::restore_occurrence`] while the cardholder has not been told.
    pub async fn cancel_occurrence(
        &self,
        id: ContractId,
        number: u32,
    ) -> EngineResult<ContractView> {
        let mut event = self.audit_event(
            None,
            "occurrence_cancelled",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        let skipped = self.with_store(move |store| {
            let contract = store.contract(id)?;
            let due = nth_due(contract.frequency, contract.start, number)
                .filter(|due| contract.end.is_none_or(|end| *due <= end))
                .ok_or_else(|| {
                    InvalidInput::new("occurrence", format!("contract {id} has no occurrence {number}"))
                })?;
            let stored = store.occurrence(id, number)?;
            let amount = stored
                .as_ref()
                .map(|o| o.amount)
                .unwrap_or_else(|| occurrence_amount(&contract));
            let cancelled = store.batch(|store| {
                let cancelled = store.cancel_occurrence(id, number, due, amount)?;
                if cancelled {
                    event.merchant_id = Some(contract.merchant_id.0);
                    event.details = serde_json::json!({"occurrence": number, "due": due, "announced": stored.as_ref().is_some_and(|o| o.notice_sent_at.is_some())}).to_string();
                    store.append_audit_here(event)?;
                }
                Ok(cancelled)
            })?;
            if !cancelled {
                return Err(EngineError::new(
                    ErrorKind::Conflict,
                    format!("occurrence {number} of contract {id} was already charged or cancelled; refund a made charge instead"),
                ));
            }
            Ok(store.occurrence(id, number)?)
        })
        .await?;
        let mut view = self.contract_view(id, true).await?;
        let Some(o) = skipped else {
            return Ok(view);
        };
        if o.notice_sent_at.is_some() {
            match self.send_charge_cancelled(id, &o, "it was skipped").await {
                Ok(notice) => {
                    view.notices_sent.extend(notice);
                    view.done.push(format!(
                        "Charge {number} of {} on {} is skipped: it will not be made. It had been \
                         announced, so the cardholder was sent a cancellation of it; it stays \
                         skipped.",
                        o.amount, o.due
                    ));
                }
                Err(e) => {
                    view.notice_error = Some(e.to_string());
                    view.done.push(format!(
                        "Charge {number} of {} on {} is skipped: it will not be made. It had been \
                         announced, but the cancellation could not be sent ({e}); tell the \
                         cardholder yourself.",
                        o.amount, o.due
                    ));
                }
            }
        } else {
            view.done.push(format!(
                "Charge {number} of {} on {} is skipped: it will not be made. The cardholder had \
                 not been told of it yet. Undo: un-skip it.",
                o.amount, o.due
            ));
        }
        Ok(view)
    }

    /// Undoes a skip: the occurrence is scheduled again and announced like any other. Refused
    /// when the cardholder was already sent a notice of it (and so its cancellation), or its date
    /// is past.
    pub async fn restore_occurrence(
        &self,
        id: ContractId,
        number: u32,
    ) -> EngineResult<ContractView> {
        let now = self.now();
        let mut event = self.audit_event(
            None,
            "occurrence_restored",
            format!("contract:{id}"),
            serde_json::Value::Null,
        );
        let done = self
            .with_store(move |store| {
                let contract = store.contract(id)?;
                let merchant = store.merchant(contract.merchant_id)?;
                let today = local_date(now, merchant.time_zone);
                if !matches!(
                    contract.status,
                    ContractStatus::Active | ContractStatus::Paused
                ) {
                    return Err(InvalidInput::new(
                        "contract",
                        format!("contract {id} is {:?}: nothing more is charged under it", contract.status),
                    )
                    .into());
                }
                let o = store.occurrence(id, number)?.ok_or_else(|| {
                    InvalidInput::new(
                        "occurrence",
                        format!("occurrence {number} of contract {id} was never skipped"),
                    )
                })?;
                if o.state != OccurrenceState::Cancelled {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!("occurrence {number} of contract {id} is not skipped"),
                    ));
                }
                if o.notice_sent_at.is_some() {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!(
                            "the cardholder was told of charge {number} on {} and then that it \
                             will not be made; it stays cancelled",
                            o.due
                        ),
                    ));
                }
                if o.due < today {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!("charge {number} was due on {}, before today ({today})", o.due),
                    ));
                }
                event.merchant_id = Some(merchant.id.0);
                event.details = serde_json::json!({"occurrence": number, "due": o.due}).to_string();
                let restored = store.batch(|store| {
                    let restored = store.restore_occurrence(id, number)?;
                    if restored {
                        store.append_audit_here(event)?;
                    }
                    Ok(restored)
                })?;
                if !restored {
                    return Err(EngineError::new(
                        ErrorKind::Conflict,
                        format!("occurrence {number} of contract {id} changed meanwhile; look again"),
                    ));
                }
                let lead = merchant.notice_lead_days;
                let deadline = coffer_core::schedule::notice_deadline(o.due, lead);
                let mut done = vec![format!(
                    "Charge {number} of {} on {} is scheduled again (un-skipped).",
                    o.amount, o.due
                )];
                done.push(if deadline >= today {
                    format!("The cardholder is sent its notice at least {lead} days before, by {deadline}.")
                } else {
                    format!(
                        "Its notice had to go out by {deadline}, which is past: the charge will be \
                         refused unless the notice lead allows it."
                    )
                });
                Ok(done)
            })
            .await?;
        let mut view = self.contract_view(id, true).await?;
        view.done = done;
        Ok(view)
    }

    /// Cancels a made charge of the contract by refunding `amount` of it, or all that is left.
    pub async fn cancel_charge(
        &self,
        id: ContractId,
        number: u32,
        amount: Option<String>,
    ) -> EngineResult<RefundResult> {
        let attempt: AttemptId = self
            .with_store(move |store| {
                let last = store.last_try(id, number)?;
                match last {
                    Some(last) if last.state == "succeeded" => Ok(last.attempt_id),
                    _ => Err(EngineError::new(
                        ErrorKind::NotFound,
                        format!("occurrence {number} of contract {id} has no successful charge to refund"),
                    )),
                }
            })
            .await?;
        // A second cancel finds nothing left to refund: the rest is checked under the write lock.
        self.refund_charge(crate::refunds::RefundInput {
            charge: attempt,
            amount,
            idempotency_key: None,
        })
        .await
    }

    /// The contracts of the given merchants (all when empty).
    pub async fn list_contracts(
        &self,
        merchants: Vec<MerchantId>,
        status: Option<ContractStatus>,
        card: Option<CardId>,
    ) -> EngineResult<Vec<ContractView>> {
        let ids = self
            .with_store(move |store| {
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

    async fn contract_view(&self, id: ContractId, full: bool) -> EngineResult<ContractView> {
        let now = self.now();
        self.with_store(move |store| {
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
