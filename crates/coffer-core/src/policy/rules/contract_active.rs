//! `contract_active`: a contract charge pays an active contract that has started and not ended,
//! and an occurrence that is on the contract's schedule, due, open (not already charged, in
//! flight, or cancelled), and for the amount being charged. A scheduled charge must name its
//! occurrence: without it nothing stops the same occurrence being paid twice.

use chrono::{DateTime, Utc};

use super::start_of_day;
use crate::charge::{ChargePlan, ChargeState, Trigger};
use crate::contract::{ContractStatus, OccurrenceState};
use crate::policy::{History, RuleId, Violation};
use crate::schedule::nth_due;

const RULE: RuleId = RuleId::ContractActive;

/// Checks the contract's status and dates and the occurrence's state.
pub fn check(plan: &ChargePlan, history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(charge) = &plan.contract else {
        if plan.trigger == Trigger::Scheduled {
            out.push(Violation::new(
                RULE,
                "a scheduled charge must name the contract occurrence it pays",
            ));
        } else if plan.credential.reason.is_scheduled() && !plan.open_contracts.is_empty() {
            let ids: Vec<String> = plan.open_contracts.iter().map(|c| c.to_string()).collect();
            out.push(Violation::new(
                RULE,
                format!(
                    "card ending {} pays contract {}: its recurring charges are the contract's \
                     occurrences, each announced by a notice, and a recurring charge made by \
                     hand beside them could pay a period twice; charge a one-off amount as \
                     unscheduled, or let the due run charge the occurrence",
                    plan.card.last4.as_str(),
                    ids.join(", ")
                ),
            ));
        }
        return out;
    };
    let contract = &charge.contract;
    let occurrence = &charge.occurrence;
    let zone = plan.merchant.time_zone;
    let date = plan.charge_date;
    let status = match contract.status {
        ContractStatus::Active => None,
        ContractStatus::Paused => Some("paused"),
        ContractStatus::Cancelled => Some("cancelled"),
        ContractStatus::Ended => Some("ended"),
    };
    if let Some(status) = status {
        out.push(Violation::new(
            RULE,
            format!("contract {} is {status}", contract.id),
        ));
    }
    if date < contract.start {
        out.push(
            Violation::new(
                RULE,
                format!(
                    "contract {} starts on {}; nothing can be charged under it on {date}",
                    contract.id, contract.start
                ),
            )
            .allowed_after(start_of_day(contract.start, zone)),
        );
    }
    if let Some(end) = contract.end {
        if date > end {
            out.push(Violation::new(
                RULE,
                format!(
                    "contract {} ended on {end}; the charge date is {date}",
                    contract.id
                ),
            ));
        }
    }
    if occurrence.contract_id != contract.id {
        out.push(Violation::new(
            RULE,
            format!(
                "occurrence {} belongs to contract {}, not to contract {}",
                occurrence.number, occurrence.contract_id, contract.id
            ),
        ));
    }
    let scheduled = nth_due(contract.frequency, contract.start, occurrence.number);
    if scheduled != Some(occurrence.due) {
        let expected = scheduled.map_or_else(|| "no date".to_string(), |d| d.to_string());
        out.push(Violation::new(
            RULE,
            format!(
                "occurrence {} is dated {}, but the contract's schedule puts it on {expected}",
                occurrence.number, occurrence.due
            ),
        ));
    }
    match occurrence.state {
        OccurrenceState::Charged => out.push(Violation::new(
            RULE,
            format!(
                "occurrence {} (due {}) has already been charged",
                occurrence.number, occurrence.due
            ),
        )),
        OccurrenceState::Cancelled => out.push(Violation::new(
            RULE,
            format!(
                "occurrence {} (due {}) was cancelled",
                occurrence.number, occurrence.due
            ),
        )),
        OccurrenceState::Scheduled | OccurrenceState::Declined | OccurrenceState::Refused => {}
    }
    // The ledger may know before the occurrence row does (a crash between the two writes).
    let key = (contract.id, occurrence.number);
    for past in history
        .charges_for(plan)
        .filter(|a| a.occurrence == Some(key))
    {
        let what = match past.state {
            // Only a refund awaits a transfer; a charge never does.
            ChargeState::Succeeded | ChargeState::AwaitingTransfer => {
                "was already paid by a charge"
            }
            ChargeState::Sending | ChargeState::Planned => {
                "has a charge whose outcome is not known yet (reconcile it first), made"
            }
            ChargeState::Declined | ChargeState::Failed => continue,
        };
        out.push(Violation::new(
            RULE,
            format!(
                "occurrence {} {what} at {}",
                occurrence.number,
                past.at.format("%Y-%m-%d %H:%M UTC")
            ),
        ));
    }
    if date < occurrence.due {
        out.push(
            Violation::new(
                RULE,
                format!(
                    "occurrence {} is not due until {}",
                    occurrence.number, occurrence.due
                ),
            )
            .allowed_after(start_of_day(occurrence.due, zone)),
        );
    }
    if plan.amount != occurrence.amount {
        out.push(Violation::new(
            RULE,
            format!(
                "the charge is for {}, but occurrence {} is for {}",
                plan.amount, occurrence.number, occurrence.amount
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ContractId;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::stored_credential::Initiator;

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_an_open_due_occurrence_of_an_active_contract() {
        assert!(run(&plan(ProviderKind::Clover)).is_empty());
    }

    #[test]
    fn passes_a_manual_charge_without_a_contract() {
        assert!(run(&manual_plan(ProviderKind::Clover)).is_empty());
        let mut recurring = manual_plan(ProviderKind::Svea);
        recurring.credential.reason = crate::stored_credential::Reason::Recurring;
        assert!(
            run(&recurring).is_empty(),
            "a recurring charge by hand on a card without a contract is the merchant's to make"
        );
        let mut one_off = manual_plan(ProviderKind::Clover);
        one_off.open_contracts = vec![ContractId(5)];
        assert!(
            run(&one_off).is_empty(),
            "an unscheduled one-off charge beside a contract is allowed"
        );
    }

    #[test]
    fn refuses_a_recurring_charge_by_hand_beside_an_open_contract() {
        let mut plan = manual_plan(ProviderKind::Clover);
        plan.credential.reason = crate::stored_credential::Reason::Recurring;
        plan.open_contracts = vec![ContractId(5)];
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].reason.contains("pays contract 5"), "{}", v[0].reason);
    }

    #[test]
    fn passes_a_retry_of_a_declined_occurrence() {
        let mut plan = plan(ProviderKind::Clover);
        plan.contract.as_mut().unwrap().occurrence.state = OccurrenceState::Declined;
        let mut declined = soft_decline(
            &plan,
            now() - chrono::Duration::days(1),
            Initiator::Merchant,
        );
        declined.occurrence = Some((ContractId(5), 11));
        plan.charge_date = day(2026, 11, 24);
        assert!(check(&plan, &History::new(vec![declined]), now()).is_empty());
    }

    #[test]
    fn refuses_a_scheduled_charge_without_its_occurrence() {
        let mut plan = plan(ProviderKind::Clover);
        plan.contract = None;
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].reason.contains("must name the contract occurrence"));
    }

    #[test]
    fn refuses_a_paused_or_cancelled_contract() {
        for (status, word) in [
            (ContractStatus::Paused, "paused"),
            (ContractStatus::Cancelled, "cancelled"),
            (ContractStatus::Ended, "ended"),
        ] {
            let mut plan = plan(ProviderKind::Clover);
            plan.contract.as_mut().unwrap().contract.status = status;
            let v = run(&plan);
            assert_eq!(v.len(), 1, "{v:?}");
            assert_eq!(v[0].reason, format!("contract 5 is {word}"));
        }
    }

    #[test]
    fn refuses_before_the_start_and_says_when_it_starts() {
        let mut plan = plan(ProviderKind::Clover);
        let charge = plan.contract.as_mut().unwrap();
        charge.contract.start = day(2026, 12, 23);
        charge.occurrence.number = 1;
        charge.occurrence.due = day(2026, 12, 23);
        let v = run(&plan);
        assert!(v[0].reason.contains("starts on 2026-12-23"), "{v:?}");
        assert_eq!(
            v[0].allowed_after,
            Some(utc(2026, 12, 22, 22, 0)),
            "midnight in Helsinki (UTC+2 in winter)"
        );
        assert!(v
            .iter()
            .any(|v| v.reason.contains("not due until 2026-12-23")));
    }

    #[test]
    fn refuses_after_the_end_date() {
        let mut plan = plan(ProviderKind::Clover);
        plan.contract.as_mut().unwrap().contract.end = Some(day(2026, 11, 22));
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "contract 5 ended on 2026-11-22; the charge date is 2026-11-23"
        );
        assert_eq!(v[0].allowed_after, None);
    }

    #[test]
    fn refuses_an_occurrence_already_charged_or_cancelled() {
        for state in [OccurrenceState::Charged, OccurrenceState::Cancelled] {
            let mut plan = plan(ProviderKind::Clover);
            plan.contract.as_mut().unwrap().occurrence.state = state;
            let v = run(&plan);
            assert_eq!(v.len(), 1, "{state:?}: {v:?}");
            assert!(v[0].reason.starts_with("occurrence 11 (due 2026-11-23)"));
        }
    }

    #[test]
    fn refuses_an_occurrence_the_ledger_shows_paid_or_in_flight() {
        let plan = plan(ProviderKind::Clover);
        for state in [ChargeState::Succeeded, ChargeState::Sending] {
            let mut past = attempt(&plan, utc(2026, 11, 23, 6, 0), state, Initiator::Merchant);
            past.occurrence = Some((ContractId(5), 11));
            let v = check(&plan, &History::new(vec![past]), now());
            assert_eq!(v.len(), 1, "{state}: {v:?}");
            assert!(
                v[0].reason.contains("at 2026-11-23 06:00 UTC"),
                "{}",
                v[0].reason
            );
        }
        let mut other = attempt(
            &plan,
            utc(2026, 10, 23, 6, 0),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        other.occurrence = Some((ContractId(5), 10));
        assert!(
            check(&plan, &History::new(vec![other]), now()).is_empty(),
            "last month's occurrence is another one"
        );
    }

    #[test]
    fn refuses_an_occurrence_before_its_due_date() {
        let mut plan = plan(ProviderKind::Clover);
        plan.charge_date = day(2026, 11, 22);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].reason, "occurrence 11 is not due until 2026-11-23");
        assert_eq!(v[0].allowed_after, Some(utc(2026, 11, 22, 22, 0)));
    }

    #[test]
    fn refuses_an_occurrence_off_the_schedule_or_for_another_amount() {
        let mut plan = plan(ProviderKind::Clover);
        plan.contract.as_mut().unwrap().occurrence.due = day(2026, 11, 20);
        plan.amount = eur(1500);
        let v = run(&plan);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(
            v[0].reason,
            "occurrence 11 is dated 2026-11-20, but the contract's schedule puts it on 2026-11-23"
        );
        assert_eq!(
            v[1].reason,
            "the charge is for 15.00 EUR, but occurrence 11 is for 10.00 EUR"
        );
    }
}
