//! A change of a contract's terms: the edit and its preview, the cardholder's new consent, a new
//! initial transaction, and one charge's amount. See the module's doc for the rules.

use chrono::{DateTime, Days, NaiveDate, Utc};
use coffer_core::clock::local_date;
use coffer_core::contract::{
    AmountRule, Contract, ContractStatus, NewContractTerms, Occurrence, OccurrenceState, TermsWait,
};
use coffer_core::schedule::{nth_due, occurrences};
use coffer_core::NoticeKind;
use coffer_core::{
    Card, CardId, ContractId, Customer, InvalidInput, Merchant, Money, ProviderKind,
};
use coffer_store::notices::NewNotice;
use coffer_store::repo::prelude::*;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::notices::{self, frequency_words};
use crate::Engine;

use super::{
    amount_rule, parse_money, problems_error, refresh_schedule, sentence, ContractEdit,
    ContractView,
};

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

pub(super) fn consent_needed(contract: &Contract, provider: ProviderKind) -> Option<String> {
    let max = contract.amount.bounds().1;
    match contract.terms_wait(provider, max)? {
        TermsWait::NewConsent { consented } => Some(format!(
            "new consent needed: consented up to {consented}, contract now {max}; nothing above \
             {consented} is charged until the cardholder's consent to the new terms is recorded"
        )),
        TermsWait::NewInitial { .. } => None,
    }
}

pub(super) fn initial_needed(contract: &Contract, provider: ProviderKind) -> Option<String> {
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

/// Whether the terms allow an occurrence of `amount`.
pub(super) fn allows(contract: &Contract, amount: Money) -> bool {
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

pub(super) fn short_amount(rule: &AmountRule) -> String {
    match rule {
        AmountRule::Fixed { amount } => amount.to_string(),
        AmountRule::Variable {
            min: Some(min),
            max,
        } => format!("{min} to {max}"),
        AmountRule::Variable { min: None, max } => format!("up to {max}"),
    }
}

pub(super) fn end_words(end: Option<NaiveDate>) -> String {
    end.map(|d| d.to_string())
        .unwrap_or_else(|| "until cancelled".into())
}

/// The terms that differ between `before` and `after`, in words.
pub(super) fn changes_of(before: &Contract, after: &Contract) -> Vec<TermChange> {
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
pub(super) fn first_under_new_terms(
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
pub(super) struct EditPlan {
    after: Contract,
    merchant: Merchant,
    card: Card,
    customer: Customer,
    today: NaiveDate,
    reason: String,
    effect: TermsChangeEffect,
    cancel: Vec<Occurrence>,
}

pub(super) fn plan_edit(
    store: &dyn ReadRepositories,
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
        self.read_store(move |store| Ok(plan_edit(store, id, &edit, now)?.effect))
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
            .read_store(move |store| {
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
}
