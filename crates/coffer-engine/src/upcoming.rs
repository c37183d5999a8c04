//! The due list: what the active contracts will charge in the next days, what is overdue, and
//! where each pre-charge notice stands. It only reads: the schedule is projected from each
//! contract's terms (`core::schedule`) and merged with the occurrences already stored, so the
//! list is right even when no due run has brought the stored schedule forward for a while.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use coffer_core::clock::local_date;
use coffer_core::contract::{ContractStatus, Occurrence, OccurrenceState};
use coffer_core::schedule::{notice_deadline, occurrences};
use coffer_core::Money;
use coffer_store::contracts::ContractFilter;
use coffer_store::repo::prelude::*;
use coffer_store::StoreResult;
use serde::Serialize;

use crate::contracts::occurrence_amount;
use crate::error::EngineResult;
use crate::scope::Scope;
use crate::Engine;

/// How far back an open (unpaid) occurrence still counts as overdue rather than abandoned.
const OVERDUE_DAYS: u64 = 31;

/// Where an occurrence's pre-charge notice stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum NoticeState {
    /// Delivered.
    Sent,
    /// Not yet; there is still time (until `notice_by`).
    Pending,
    /// Not delivered and its deadline is past: the charge will be refused.
    Late,
}

/// One charge a contract is due to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UpcomingCharge {
    /// Merchant.
    pub merchant_id: i64,
    /// Its name.
    pub merchant_name: String,
    /// Contract.
    pub contract_id: i64,
    /// Occurrence number.
    pub occurrence: u32,
    /// Due date, merchant-local.
    pub due: NaiveDate,
    /// Amount.
    pub amount: Money,
    /// The card.
    pub card_id: i64,
    /// The card in words ("visa ending 4242").
    pub card: String,
    /// The cardholder.
    pub customer_name: String,
    /// scheduled, or declined (a retry is pending).
    pub state: OccurrenceState,
    /// The contract's amount varies: the owner may set this one's before its notice.
    pub variable: bool,
    /// The owner set this amount (else it is the contract's maximum or fixed amount).
    pub amount_set: bool,
    /// The pre-charge notice.
    pub notice: NoticeState,
    /// The last day the notice counts.
    pub notice_by: NaiveDate,
    /// Due before today and not yet paid.
    pub overdue: bool,
    /// A try of it was sent and no answer proved its outcome yet: it is not tried again until
    /// reconcile or a person settles it.
    pub outcome_unknown: bool,
    /// For a declined occurrence: the first day (merchant-local) the due run tries it again —
    /// the day after the last try, or later when the networks' retry limits say so.
    pub retry_from: Option<NaiveDate>,
    /// Why it waits for the cardholder (rule `terms_consented`); neither its notice nor the
    /// charge goes out meanwhile.
    pub held: Option<Held>,
}

/// A due charge above what the cardholder agreed to.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Held {
    /// New consent is not enough: the card needs a new initial payment at the new terms (above
    /// Svea's original amount or Assist's registered maximum).
    pub new_initial: bool,
    /// The rule's reason, in words.
    pub reason: String,
}

impl Engine {
    /// The open charges of the given merchants' active contracts (all when empty) from the
    /// overdue ones through `days` days ahead, by due date.
    pub async fn upcoming_charges(
        &self,
        scope: impl Into<Scope>,
        days: u32,
    ) -> EngineResult<Vec<UpcomingCharge>> {
        let merchants = self.resolve_scope(scope).await?;
        let now = self.now();
        self.read_store(move |store| {
            let mut out = Vec::new();
            for merchant in store.merchants()? {
                if !merchants.is_empty() && !merchants.contains(&merchant.id) {
                    continue;
                }
                let today = local_date(now, merchant.time_zone);
                let until = today
                    .checked_add_days(Days::new(u64::from(days)))
                    .unwrap_or(today);
                project(store, &merchant, now, until, &mut out)?;
            }
            out.sort_by(|a, b| {
                (a.due, a.merchant_id, a.contract_id, a.occurrence).cmp(&(
                    b.due,
                    b.merchant_id,
                    b.contract_id,
                    b.occurrence,
                ))
            });
            Ok(out)
        })
        .await
    }
}

/// Adds the open occurrences of `merchant`'s active contracts due up to `until`.
fn project(
    store: &dyn ReadRepositories,
    merchant: &coffer_core::Merchant,
    now: chrono::DateTime<chrono::Utc>,
    until: NaiveDate,
    out: &mut Vec<UpcomingCharge>,
) -> StoreResult<()> {
    let today = local_date(now, merchant.time_zone);
    let contracts = store.contracts(&ContractFilter {
        merchants: vec![merchant.id],
        card: None,
        status: Some(ContractStatus::Active),
    })?;
    let oldest = today
        .checked_sub_days(Days::new(OVERDUE_DAYS))
        .unwrap_or(today);
    for contract in contracts {
        let card = store.card(contract.card_id)?;
        let customer = store.customer(card.customer_id)?;
        let stored: HashMap<u32, Occurrence> = store
            .occurrences_of(contract.id)?
            .into_iter()
            .map(|o| (o.number, o))
            .collect();
        let mut wanted: Vec<Occurrence> = stored
            .values()
            .filter(|o| o.due < today && o.due >= oldest && is_open(o.state))
            .cloned()
            .collect();
        let projected =
            occurrences(&contract, today.max(contract.start), until).unwrap_or_default();
        for (number, due) in projected {
            let occurrence = stored.get(&number).cloned().unwrap_or(Occurrence {
                contract_id: contract.id,
                number,
                due,
                amount: occurrence_amount(&contract),
                amount_set: false,
                notice_sent_at: None,
                state: OccurrenceState::Scheduled,
            });
            if is_open(occurrence.state) {
                wanted.push(occurrence);
            }
        }
        for occurrence in wanted {
            let last = store.last_try(contract.id, occurrence.number)?;
            // A hard decline is never retried: that occurrence is over, not overdue.
            if occurrence.state == OccurrenceState::Declined
                && last.as_ref().is_some_and(|last| last.hard_decline)
            {
                continue;
            }
            let outcome_unknown = last
                .as_ref()
                .is_some_and(|last| matches!(last.state.as_str(), "sending" | "planned"));
            let notice_by = notice_deadline(occurrence.due, merchant.notice_lead_days);
            let retry_from = match (&last, occurrence.state) {
                (Some(last), OccurrenceState::Declined) => {
                    // The due run tries a declined charge again on a later day than the last
                    // try, and not before the card's status allows the next try.
                    let next_day = local_date(last.at, merchant.time_zone)
                        .succ_opt()
                        .unwrap_or(today)
                        .max(today);
                    let status = crate::search::status_in(store, &card, merchant, now)?;
                    let limit = status
                        .next_try_at
                        .map(|at| local_date(at, merchant.time_zone));
                    Some(limit.map_or(next_day, |limit| limit.max(next_day)))
                }
                _ => None,
            };
            let held = contract
                .terms_wait(merchant.provider(), occurrence.amount)
                .map(|wait| Held {
                    new_initial: matches!(
                        wait,
                        coffer_core::contract::TermsWait::NewInitial { .. }
                    ),
                    reason: wait.reason(contract.id, occurrence.amount),
                });
            out.push(UpcomingCharge {
                merchant_id: merchant.id.0,
                merchant_name: merchant.name.clone(),
                contract_id: contract.id.0,
                occurrence: occurrence.number,
                due: occurrence.due,
                amount: occurrence.amount,
                card_id: card.id.0,
                card: format!("{} ending {}", card.brand, card.last4.as_str()),
                customer_name: customer.name.clone(),
                state: occurrence.state,
                variable: matches!(
                    contract.amount,
                    coffer_core::contract::AmountRule::Variable { .. }
                ),
                amount_set: occurrence.amount_set,
                notice: match occurrence.notice_sent_at {
                    Some(_) => NoticeState::Sent,
                    None if notice_by < today => NoticeState::Late,
                    None => NoticeState::Pending,
                },
                notice_by,
                overdue: occurrence.due < today,
                outcome_unknown,
                retry_from,
                held,
            });
        }
    }
    Ok(())
}

fn is_open(state: OccurrenceState) -> bool {
    matches!(
        state,
        OccurrenceState::Scheduled | OccurrenceState::Declined
    )
}
