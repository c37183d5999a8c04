//! The due run: for each merchant, bring the contracts' schedules up to date, send the notices
//! that are due, then charge every due occurrence the policy allows, a few at a time.
//!
//! It is safe from cron every few minutes and with two runs at once: each charge goes through the
//! one charge pipeline (`pipeline.rs`: policy and ledger row in one write transaction, `sending`
//! committed before the request), the ledger's UNIQUE `(contract_id, occurrence, try_number)` and
//! idempotency keys refuse a second row for the same try, and a try already planned by another
//! run is skipped. An occurrence refused for good (a late notice, an unusable card) is marked
//! `refused` and left alone by later runs; one refused until a date is judged again. Soft declines are retried on later days (one try a day, a new try number) as
//! far as the networks' limits allow; a hard decline stops the occurrence's retries and flags
//! the card, and a stop-payment code (Mastercard MAC 21, Visa R0/R1/R3) ends the contract.
//!
//! The run's report (items, statuses, totals per currency) is `summary.rs`.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use coffer_core::audit::NewAuditEvent;
use coffer_core::charge::{ChargePlan, ContractCharge, MerchantTerms, Trigger};
use coffer_core::clock::local_date;
use coffer_core::contract::{Contract, ContractStatus, Occurrence, OccurrenceState};
use coffer_core::policy::{self, network_limits, Violation};
use coffer_core::NoticeKind;
use coffer_core::{
    AttemptKind, Card, CardBrand, ContractId, Customer, IdempotencyKey, InvalidInput, Merchant,
    Money, Reason, StoredCredential,
};
use coffer_providers::{ChargeRequest, RecurringAgreement};
use coffer_store::charges::NewAttempt;
use coffer_store::contracts::ContractFilter;
use coffer_store::notices::NewNotice;
use coffer_store::occurrences::LastTry;
use coffer_store::repo::prelude::*;
use coffer_store::{StoreError, StoreResult};
use futures::StreamExt;
use serde::Serialize;

use crate::charge::{new_order_id, request_json, ChargeResult, ChargeStatus, ViolationView};
use crate::contracts::refresh_schedule;
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::judging::{history_of, manual_flags};
use crate::notices::{self, NoticeSent};
use crate::pipeline::{Guard, Order, Placed};
use crate::progress::{Progress, ProgressEvent};
use crate::scope::Scope;
use crate::Engine;
use coffer_core::schedule::horizon;

mod batch;
mod summary;

pub use summary::{
    DueItem, DueNotice, DueStatus, DueSummary, MerchantDay, MerchantMoney, NoticeStatus, RunMoney,
};

/// Charges in flight at once, by default.
pub const DEFAULT_CONCURRENCY: usize = 4;

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueRun {
    /// Charge only what is due by this merchant-local date (today or earlier; a later date is
    /// refused unless `dry_run`, which then judges as of that day).
    pub date: Option<NaiveDate>,
    /// These merchants.
    pub merchants: Scope,
    /// Judge and list, send and write nothing.
    pub dry_run: bool,
    /// Charges in flight at once (at least 1).
    pub concurrency: usize,
    /// The charges the owner was shown and approved (from the run's rehearsal): a due charge
    /// the rules allow that is not among them (it fell due, or its amount changed, after the
    /// question) is skipped, saying so, so that the run makes no charge the owner was not told
    /// of. `None`: every due charge the rules allow (cron, and runs nobody was asked about).
    pub approved: Option<Vec<ApprovedCharge>>,
}

/// One charge of a run's rehearsal, as the owner approved it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ApprovedCharge {
    /// Contract.
    pub contract_id: i64,
    /// Occurrence number.
    pub occurrence: u32,
    /// The amount shown.
    pub amount: Money,
}

impl ApprovedCharge {
    /// Every charge a rehearsal would make.
    pub fn all_of(rehearsal: &DueSummary) -> Vec<ApprovedCharge> {
        rehearsal
            .would_charge
            .iter()
            .map(|i| ApprovedCharge {
                contract_id: i.contract_id,
                occurrence: i.occurrence,
                amount: i.amount,
            })
            .collect()
    }

    fn covers(approved: &[ApprovedCharge], occurrence: &Occurrence) -> bool {
        approved.iter().any(|a| {
            a.contract_id == occurrence.contract_id.0
                && a.occurrence == occurrence.number
                && a.amount == occurrence.amount
        })
    }
}

impl Default for DueRun {
    fn default() -> Self {
        DueRun {
            date: None,
            merchants: Scope::All,
            dry_run: false,
            concurrency: DEFAULT_CONCURRENCY,
            approved: None,
        }
    }
}

/// Whether an occurrence may be tried now, and with which try number.
pub(super) enum NextTry {
    Try(u32),
    Skip(String),
    AlreadyCharged(String),
    InFlight,
}

pub(super) fn next_try(last: Option<&LastTry>, merchant: &Merchant, today: NaiveDate) -> NextTry {
    let Some(last) = last else {
        return NextTry::Try(1);
    };
    match last.state.as_str() {
        "succeeded" => {
            NextTry::AlreadyCharged(format!("already charged by attempt {}", last.attempt_id))
        }
        "sending" | "planned" => NextTry::InFlight,
        "declined" if last.hard_decline => NextTry::Skip(format!(
            "attempt {} was a hard decline ({}); this card is never retried",
            last.attempt_id,
            last.decline_code.as_deref().unwrap_or("no code")
        )),
        _ if local_date(last.at, merchant.time_zone) >= today => NextTry::Skip(format!(
            "try {} was made today; a declined or failed charge is retried on a later day",
            last.try_number
        )),
        _ => NextTry::Try(last.try_number + 1),
    }
}

/// The flags of a scheduled recurring charge of `card`; without an initial transaction they say
/// so, and the policy refuses them.
pub(super) fn recurring_flags(card: &coffer_core::Card) -> StoredCredential {
    manual_flags(card, Reason::Recurring)
}

/// The plan of one occurrence's charge, read from the store (inside the write lock when
/// planning for real). A try already planned by another run is a `Conflict`.
pub(super) fn plan_occurrence(
    store: &dyn ReadRepositories,
    merchant: &Merchant,
    contract: ContractId,
    number: u32,
    today: NaiveDate,
    try_number: u32,
) -> StoreResult<ChargePlan> {
    if let Some(last) = store.last_try(contract, number)? {
        if last.try_number >= try_number {
            return Err(StoreError::Conflict(format!(
                "occurrence {number} of contract {contract} is being charged by another run (attempt {})",
                last.attempt_id
            )));
        }
    }
    let contract = store.contract(contract)?;
    let occurrence =
        store
            .occurrence(contract.id, number)?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("occurrence {number} of contract {}", contract.id),
            })?;
    let notice = store.notice_record(contract.id, number)?;
    let card = store.card(contract.card_id)?;
    let credential = recurring_flags(&card);
    let buyer_address = store.customer(card.customer_id)?.address;
    Ok(ChargePlan {
        buyer_address,
        merchant: MerchantTerms::from(merchant),
        card,
        amount: occurrence.amount,
        credential,
        charge_date: today,
        trigger: Trigger::Scheduled,
        open_contracts: vec![contract.id],
        contract: Some(ContractCharge {
            contract,
            occurrence,
            notice,
        }),
    })
}

impl Engine {
    /// Sends the notices that are due, then charges every due occurrence the policy allows.
    pub async fn run_due(
        &self,
        run: DueRun,
        progress: Arc<dyn Progress>,
    ) -> EngineResult<DueSummary> {
        let wanted = self.resolve_scope(run.merchants.clone()).await?;
        let merchants = self
            .read_store(move |store| {
                let all = store.merchants()?;
                Ok(if wanted.is_empty() {
                    all
                } else {
                    let mut chosen = Vec::new();
                    for id in &wanted {
                        chosen.push(all.iter().find(|m| m.id == *id).cloned().ok_or_else(
                            || StoreError::NotFound {
                                what: format!("merchant {id}"),
                            },
                        )?);
                    }
                    chosen
                })
            })
            .await?;
        if let (Some(date), false) = (run.date, run.dry_run) {
            let now = self.now();
            if let Some(merchant) = merchants
                .iter()
                .find(|m| date > local_date(now, m.time_zone))
            {
                return Err(InvalidInput::new(
                    "date",
                    format!(
                        "{date} is after today ({}) for {}; a due run charges what is due by \
                         today, never ahead of the date the cardholder's notice gave. Preview \
                         a later day with --dry-run",
                        local_date(now, merchant.time_zone),
                        merchant.name
                    ),
                )
                .into());
            }
        }
        let mut summary = DueSummary {
            dry_run: run.dry_run,
            ..DueSummary::default()
        };
        if run.dry_run && !self.rehearsing() {
            // The preview is the run itself, rehearsed on a copy of the data: the notices it
            // would send are written there first, so the charges are judged as the run will
            // judge them (a lead time of 0 notifies and charges in the same run).
            let (rehearsal, clock) = self.rehearsal().await?;
            let now = self.now();
            for merchant in &merchants {
                let today = local_date(now, merchant.time_zone);
                let ahead = run
                    .date
                    .filter(|date| *date > today)
                    .map_or(0, |date| (date - today).num_days());
                clock.set_days_ahead(ahead);
                rehearsal
                    .run_due_merchant(merchant, &run, progress.as_ref(), &mut summary)
                    .await?;
            }
            summary.money = RunMoney::of(&summary.would_charge, &merchants)?;
            return Ok(summary);
        }
        // Merchants side by side: each has its own provider account and limits, so a run over
        // many locations takes about as long as its largest one.
        let runs = merchants.iter().map(|merchant| {
            let (run, progress) = (&run, progress.as_ref());
            async move {
                let mut mine = DueSummary::default();
                self.run_due_merchant(merchant, run, progress, &mut mine)
                    .await
                    .map(|()| mine)
            }
        });
        for mine in futures::future::join_all(runs).await {
            summary.extend(mine?);
        }
        summary.money = RunMoney::of(&summary.charged, &merchants)?;
        Ok(summary)
    }

    pub(super) async fn run_due_merchant(
        &self,
        merchant: &Merchant,
        run: &DueRun,
        progress: &dyn Progress,
        summary: &mut DueSummary,
    ) -> EngineResult<()> {
        let now = self.now();
        // `date` is a cut-off: what is due by then. A run judges, stamps and sends as of the
        // clock's today (an earlier date never back-dates a notice or a charge, and a later one
        // is refused above); a preview of a later day runs with its clock moved to that day.
        let today = local_date(now, merchant.time_zone);
        let cutoff = run.date.map_or(today, |date| date.min(today));
        summary.merchants.push(MerchantDay {
            merchant_id: merchant.id.0,
            date: cutoff,
        });
        let lead = merchant.notice_lead_days;
        let merchant_id = merchant.id;
        // Nothing leaves a rehearsal: its notices are written to its copy only and its charges
        // judged, not sent.
        let rehearsing = self.rehearsing();
        let notice_went = if rehearsing {
            NoticeStatus::WouldSend
        } else {
            NoticeStatus::Sent
        };
        let ended_event = self.audit_event(
            Some(merchant_id.0),
            "contract_ended",
            String::new(),
            serde_json::json!({"reason": "past its end date"}),
        );
        // The schedules, and contracts past their end date.
        let (ended, unconfirmed) = self
            .with_store(move |store| {
                let contracts = store.contracts(&ContractFilter {
                    merchants: vec![merchant_id],
                    card: None,
                    status: Some(ContractStatus::Active),
                })?;
                Ok(store.batch(|store| {
                    let mut ended = Vec::new();
                    let mut unconfirmed = Vec::new();
                    for mut contract in contracts {
                        if contract.end.is_some_and(|end| end < today) {
                            contract.status = ContractStatus::Ended;
                            store.update_contract(&contract, "past its end date", now)?;
                            // Nothing open can be charged any more, past-due retries included.
                            store.cancel_open_occurrences(contract.id, NaiveDate::MIN)?;
                            let mut event = ended_event.clone();
                            event.subject = format!("contract:{}", contract.id);
                            store.append_audit_here(event)?;
                            ended.push(contract.id.0);
                            continue;
                        }
                        refresh_schedule(store, &contract, today, lead)?;
                        if contract.confirmation_sent_at.is_none() {
                            unconfirmed.push(contract.id);
                        }
                    }
                    Ok((ended, unconfirmed))
                })?)
            })
            .await?;
        summary.contracts_ended.extend(ended);
        // Notices: confirmations not yet sent, then pre-charge notices whose deadline is not past.
        for id in unconfirmed {
            let item = match self.send_confirmation(id).await {
                Ok(Some(sent)) => Some(DueNotice {
                    contract_id: id.0,
                    occurrence: None,
                    kind: NoticeKind::Confirmation,
                    status: notice_went,
                    sent: (!rehearsing).then_some(sent),
                    message: None,
                }),
                Ok(None) => None,
                Err(e) => Some(DueNotice {
                    contract_id: id.0,
                    occurrence: None,
                    kind: NoticeKind::Confirmation,
                    status: NoticeStatus::Failed,
                    sent: None,
                    message: Some(e.to_string()),
                }),
            };
            summary.notices.extend(item);
        }
        // A notice is useful only while its deadline (lead days before the due date) is not past.
        let first = today
            .checked_add_days(chrono::Days::new(u64::from(lead)))
            .unwrap_or(today);
        let until = horizon(today, lead);
        let needing = self
            .read_store(move |store| {
                Ok(store.occurrences_needing_notice(merchant_id, first, until)?)
            })
            .await?;
        for occurrence in needing {
            let item = match self.send_pre_charge(merchant, &occurrence).await {
                Ok(Some(sent)) => DueNotice {
                    contract_id: occurrence.contract_id.0,
                    occurrence: Some(occurrence.number),
                    kind: NoticeKind::PreCharge,
                    status: notice_went,
                    message: rehearsing
                        .then(|| format!("{} due {}", occurrence.amount, occurrence.due)),
                    sent: (!rehearsing).then_some(sent),
                },
                Ok(None) => continue,
                Err(e) => DueNotice {
                    contract_id: occurrence.contract_id.0,
                    occurrence: Some(occurrence.number),
                    kind: NoticeKind::PreCharge,
                    status: NoticeStatus::Failed,
                    sent: None,
                    message: Some(e.to_string()),
                },
            };
            summary.notices.push(item);
        }
        // Charges: one contract's occurrences in order, several contracts at once.
        let due = self
            .read_store(move |store| Ok(store.due_occurrences(merchant_id, cutoff)?))
            .await?;
        let total = due.len() as u64;
        // The start, so a progress bar shows the merchant's size even when another run (or an
        // earlier one) has already charged everything and nothing is left to do here.
        progress.report(ProgressEvent {
            stage: "due".into(),
            merchant_id: Some(merchant_id.0),
            done: 0,
            total: Some(total),
            message: format!("{}: {total} due", merchant.name),
        });
        let mut by_contract: BTreeMap<ContractId, Vec<Occurrence>> = BTreeMap::new();
        for occurrence in due {
            by_contract
                .entry(occurrence.contract_id)
                .or_default()
                .push(occurrence);
        }
        let mut done = 0;
        let mut finish = |item: DueItem| {
            done += 1;
            progress.report(ProgressEvent {
                stage: "due".into(),
                merchant_id: Some(merchant_id.0),
                done,
                total: Some(total),
                message: format!(
                    "contract {} occurrence {}: {}",
                    item.contract_id, item.occurrence, item.status
                ),
            });
            if item
                .message
                .as_deref()
                .is_some_and(|m| m.starts_with("contract ended:"))
            {
                summary.contracts_ended.push(item.contract_id);
            }
            summary.add(item);
        };
        if !rehearsing && !run.dry_run {
            // A contract's occurrences in order: the first of every contract, then the second…,
            // each round charged with group commit.
            let mut rounds: Vec<Vec<Occurrence>> = Vec::new();
            for occurrences in by_contract.into_values() {
                for (round, occurrence) in occurrences.into_iter().enumerate() {
                    if rounds.len() <= round {
                        rounds.push(Vec::new());
                    }
                    rounds[round].push(occurrence);
                }
            }
            for round in rounds {
                self.charge_due_batched(merchant, round, today, run, &mut finish)
                    .await?;
            }
            return Ok(());
        }
        let mut results = futures::stream::iter(by_contract.into_values())
            .map(|occurrences| async move {
                let mut items = Vec::new();
                for occurrence in occurrences {
                    items.push(
                        self.charge_due(
                            merchant,
                            &occurrence,
                            today,
                            rehearsing,
                            run.approved.as_deref(),
                        )
                        .await,
                    );
                }
                items
            })
            .buffer_unordered(run.concurrency.max(1));
        while let Some(items) = results.next().await {
            for item in items {
                finish(item);
            }
        }
        Ok(())
    }

    pub(crate) async fn send_pre_charge(
        &self,
        merchant: &Merchant,
        occurrence: &Occurrence,
    ) -> EngineResult<Option<NoticeSent>> {
        let id = occurrence.contract_id;
        let (contract, customer, card) = self
            .read_store(move |store| {
                let contract = store.contract(id)?;
                let card = store.card(contract.card_id)?;
                let customer = store.customer(card.customer_id)?;
                Ok((contract, customer, card))
            })
            .await?;
        // A charge waiting for new consent or a new initial is not announced: the cardholder
        // would be told of a charge that may never come. It is once the wait is over.
        if crate::contracts::terms_wait(&contract, merchant.provider(), occurrence.amount).is_some()
        {
            return Ok(None);
        }
        let recipient = customer.email.clone().ok_or_else(|| {
            EngineError::new(
                ErrorKind::InvalidInput,
                format!(
                    "{} has no e-mail address, so the pre-charge notice cannot be sent",
                    customer.name
                ),
            )
        })?;
        let content = notices::pre_charge(&contract, occurrence, merchant, &customer, &card);
        self.send_notice(
            merchant,
            NewNotice {
                contract_id: id,
                occurrence: Some(occurrence.number),
                kind: NoticeKind::PreCharge,
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

    /// Charges one due occurrence; never fails the run: an error becomes a `failed` item.
    pub(super) async fn charge_due(
        &self,
        merchant: &Merchant,
        occurrence: &Occurrence,
        today: NaiveDate,
        dry_run: bool,
        approved: Option<&[ApprovedCharge]>,
    ) -> DueItem {
        let mut item = DueItem::of(merchant, occurrence);
        if let Err(e) = self
            .charge_due_inner(merchant, occurrence, today, dry_run, approved, &mut item)
            .await
        {
            item.status = DueStatus::Failed;
            item.message = Some(format!("{e} ({})", e.kind().code()));
        }
        item
    }

    pub(super) async fn charge_due_inner(
        &self,
        merchant: &Merchant,
        occurrence: &Occurrence,
        today: NaiveDate,
        dry_run: bool,
        approved: Option<&[ApprovedCharge]>,
        item: &mut DueItem,
    ) -> EngineResult<()> {
        let (contract_id, number) = (occurrence.contract_id, occurrence.number);
        let (contract, last) = self
            .read_store(move |store| {
                Ok((
                    store.contract(contract_id)?,
                    store.last_try(contract_id, number)?,
                ))
            })
            .await?;
        item.card_id = contract.card_id.0;
        let mut decision = next_try(last.as_ref(), merchant, today);
        if matches!(decision, NextTry::InFlight) && !dry_run {
            // An earlier run lost its answer (or was killed): ask the provider first.
            self.reconcile_card(contract.card_id).await?;
            let last = self
                .read_store(move |store| Ok(store.last_try(contract_id, number)?))
                .await?;
            decision = next_try(last.as_ref(), merchant, today);
        }
        let try_number = match decision {
            NextTry::Try(n) => n,
            NextTry::Skip(why) => {
                item.status = DueStatus::Skipped;
                item.message = Some(why);
                return Ok(());
            }
            NextTry::AlreadyCharged(why) => {
                item.status = DueStatus::Skipped;
                item.message = Some(why);
                if !dry_run {
                    self.with_store(move |store| {
                        Ok(store.set_occurrence_state(
                            contract_id,
                            number,
                            OccurrenceState::Charged,
                        )?)
                    })
                    .await?;
                }
                return Ok(());
            }
            NextTry::InFlight => {
                item.status = if dry_run {
                    DueStatus::Skipped
                } else {
                    DueStatus::Unknown
                };
                item.message = Some(
                    "an earlier attempt's outcome is still unknown; `reconcile` settles it first"
                        .into(),
                );
                return Ok(());
            }
        };
        item.try_number = Some(try_number);
        let now = self.now();
        let unapproved = approved.is_some_and(|a| !ApprovedCharge::covers(a, occurrence));
        if dry_run || unapproved {
            let owner = merchant.clone();
            let verdict = self
                .read_store(move |store| {
                    let plan =
                        plan_occurrence(store, &owner, contract_id, number, today, try_number)?;
                    let history = history_of(store, plan.card.id, now)?;
                    Ok(policy::check(&plan, &history, now))
                })
                .await?;
            match (verdict, dry_run) {
                (Ok(()), true) => item.status = DueStatus::WouldCharge,
                (Err(violations), true) => {
                    item.status = DueStatus::Refused;
                    item.violations = violations.iter().map(ViolationView::from).collect();
                }
                (Ok(()), false) => {
                    // Allowed, but the owner was not shown it: not this run.
                    item.status = DueStatus::Skipped;
                    item.try_number = None;
                    item.message = Some(format!(
                        "not in the run you confirmed ({} fell due or changed after the \
                         question); run again to review it",
                        occurrence.amount.grouped()
                    ));
                }
                // Refused anyway: the run records the refusal as it always does.
                (Err(_), false) => {}
            }
            if dry_run || item.status == DueStatus::Skipped {
                return Ok(());
            }
        }
        let (card, customer) = {
            let card_id = contract.card_id;
            self.read_store(move |store| {
                let card = store.card(card_id)?;
                let holder = store.customer(card.customer_id)?;
                Ok((card, holder))
            })
            .await?
        };
        let provider = self.provider_for(merchant).await?;
        let DueCharge { request, order } = self.due_charge(
            merchant, occurrence, &contract, &card, &customer, today, try_number,
        )?;
        let id = match self.place(order).await? {
            Placed::Sending(id) => id,
            placed => {
                if let Some(state) = not_sent(item, placed) {
                    self.with_store(move |store| {
                        Ok(store.set_occurrence_state(contract_id, number, state)?)
                    })
                    .await?;
                }
                return Ok(());
            }
        };
        item.attempt_id = Some(id.0);
        let result = self
            .send_charge(id, provider.as_ref(), &request, &card.brand)
            .await?;
        let outcome = self.answered(item, &result, &card.brand);
        self.with_store(move |store| {
            store.batch(|store| record_outcome(store, contract_id, number, outcome, now))?;
            Ok(())
        })
        .await?;
        Ok(())
    }
}

/// A due occurrence's charge, ready to plan: the request and its ledger order.
pub(super) struct DueCharge {
    pub(super) request: ChargeRequest,
    pub(super) order: Order,
}

/// What an answered charge does to its occurrence and contract.
pub(super) struct DueOutcome {
    state: Option<OccurrenceState>,
    /// A stop-payment decline ends the contract: why, and the event saying so.
    ended: Option<(String, NewAuditEvent)>,
}

/// Fills `item` from a planning that sent nothing; returns the occurrence's new state when the
/// refusal is final (a late notice, an unusable card: later runs stop judging it).
pub(super) fn not_sent(item: &mut DueItem, placed: Placed) -> Option<OccurrenceState> {
    match placed {
        Placed::Sending(id) => {
            item.attempt_id = Some(id.0);
            None
        }
        Placed::Taken(why) => {
            item.status = DueStatus::Skipped;
            item.message = Some(why);
            None
        }
        Placed::Existing(first) => {
            item.status = DueStatus::Skipped;
            item.attempt_id = Some(first.id.0);
            item.message = Some("another run made this try".into());
            None
        }
        Placed::Refused(violations) => {
            item.status = DueStatus::Refused;
            item.message = Some(
                violations
                    .iter()
                    .map(|v| v.reason.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            );
            item.violations = violations.iter().map(ViolationView::from).collect();
            violations
                .iter()
                .any(Violation::is_final)
                .then_some(OccurrenceState::Refused)
        }
    }
}

/// Writes an answered charge's outcome: the occurrence's state and, after a stop-payment
/// decline, the end of its contract (inside the caller's transaction).
pub(super) fn record_outcome(
    store: &dyn Repositories,
    contract_id: ContractId,
    number: u32,
    outcome: DueOutcome,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<()> {
    if let Some(state) = outcome.state {
        store.set_occurrence_state(contract_id, number, state)?;
    }
    if let Some((reason, event)) = outcome.ended {
        let mut contract = store.contract(contract_id)?;
        if contract.status == ContractStatus::Active || contract.status == ContractStatus::Paused {
            contract.status = ContractStatus::Ended;
            store.update_contract(&contract, &format!("stop-payment decline: {reason}"), now)?;
            store.cancel_open_occurrences(contract_id, NaiveDate::MIN)?;
            store.append_audit_here(event)?;
        }
    }
    Ok(())
}

impl Engine {
    /// The request and ledger order of try `try_number` of a due occurrence.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn due_charge(
        &self,
        merchant: &Merchant,
        occurrence: &Occurrence,
        contract: &Contract,
        card: &Card,
        customer: &Customer,
        today: NaiveDate,
        try_number: u32,
    ) -> EngineResult<DueCharge> {
        let (contract_id, number) = (occurrence.contract_id, occurrence.number);
        let key = IdempotencyKey(format!(
            "{}{}-{contract_id}-{number}-{try_number}",
            crate::pipeline::DUE_KEY_PREFIX,
            merchant.id
        ));
        let order_id = new_order_id();
        let credential = recurring_flags(card);
        let (min, max) = contract.amount.bounds();
        let request = ChargeRequest {
            amount: occurrence.amount,
            card_token: card.token.clone(),
            buyer: crate::charge::buyer_of(customer),
            customer: customer.reference.clone(),
            credential: credential.clone(),
            idempotency_key: key.clone(),
            order_id: order_id.clone(),
            description: format!(
                "{} recurring charge {number} of contract {contract_id}",
                merchant.name
            ),
            agreement: Some(RecurringAgreement {
                min_amount: min,
                max_amount: Some(max),
                period_days: Some(contract.frequency.min_gap_days()),
                end_date: contract.end,
            }),
        };
        let owner = merchant.clone();
        let order = Order {
            new: NewAttempt {
                kind: AttemptKind::Charge,
                merchant_id: merchant.id,
                card_id: card.id,
                contract_id: Some(contract_id),
                occurrence: Some(number),
                try_number,
                refund_of: None,
                amount: occurrence.amount,
                credential: credential.clone(),
                idempotency_key: key,
                order_id: order_id.clone(),
                created_at: self.now(),
                request_json: Some(request_json(&request)?),
            },
            guard: Guard::Policy(Box::new(move |store| {
                plan_occurrence(store, &owner, contract_id, number, today, try_number)
            })),
            sending: self.audit_event(
                Some(merchant.id.0),
                "charge_sending",
                String::new(),
                serde_json::json!({"amount": occurrence.amount.to_string(), "order_id": order_id,
                    "contract": contract_id.0, "occurrence": number, "try": try_number, "flags": credential}),
            ),
            refused: self.audit_event(
                Some(merchant.id.0),
                "charge_refused",
                format!("contract:{contract_id}"),
                serde_json::Value::Null,
            ),
        };
        Ok(DueCharge { request, order })
    }

    /// Fills `item` from an answered charge and says what it does to the occurrence and its
    /// contract.
    pub(super) fn answered(
        &self,
        item: &mut DueItem,
        result: &ChargeResult,
        brand: &CardBrand,
    ) -> DueOutcome {
        item.message = result.message.clone();
        item.hard_decline = result.hard_decline;
        let state = match result.status {
            ChargeStatus::Succeeded => {
                item.status = DueStatus::Charged;
                Some(OccurrenceState::Charged)
            }
            ChargeStatus::Declined => {
                item.status = DueStatus::Declined;
                Some(OccurrenceState::Declined)
            }
            ChargeStatus::Sending => {
                item.status = DueStatus::Unknown;
                None
            }
            ChargeStatus::Failed | ChargeStatus::Refused => {
                item.status = DueStatus::Failed;
                None
            }
        };
        // The live answer's meaning first (the provider's table, network and advice codes),
        // else what the raw code alone says.
        let reason = result.stop_payment.clone().or_else(|| {
            result
                .hard_decline
                .then(|| network_limits::never_retry(brand, result.decline_code.as_deref(), None))
                .flatten()
                .filter(|n| n.stops_contract)
                .map(|n| n.reason)
        });
        let ended = reason.map(|reason| {
            item.message = Some(format!("contract ended: {reason}"));
            let event = self.audit_event(
                Some(item.merchant_id),
                "contract_ended",
                format!("contract:{}", item.contract_id),
                serde_json::json!({ "reason": reason }),
            );
            (reason, event)
        });
        DueOutcome { state, ended }
    }
}
