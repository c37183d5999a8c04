//! `assist_bounds`: an Assist recurring charge stays within the limits registered on the initial
//! order (providers/assist.md §3.3): between `RecurringMinAmount` and `RecurringMaxAmount`, at
//! least `RecurringPeriod` days after the previous successful charge, and not after
//! `RecurringMaxDate`. Assist's own enforcement of the period and the end date is unconfirmed and
//! its failure shape unknown, so Coffer checks all four before calling `rp.cfm`.
//!
//! The limits are the contract's: its amount bounds, the shortest gap of its frequency
//! ([`crate::contract::Frequency::min_gap_days`]) and its end date, which is what Coffer
//! registers on the initial order.

use chrono::{DateTime, Days, Utc};

use super::start_of_day;
use crate::charge::{ChargePlan, ChargeState};
use crate::clock::local_date;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::AssistBounds;

/// Checks amount bounds, the period since the previous charge and the series' end date.
pub fn check(plan: &ChargePlan, history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(charge) = &plan.contract else {
        return out;
    };
    let contract = &charge.contract;
    let amount = plan.amount;
    let zone = plan.merchant.time_zone;
    let (min, max) = contract.amount.bounds();
    if amount.currency != max.currency {
        out.push(Violation::new(
            RULE,
            format!(
                "amount {amount} is not in the series' currency {}; Assist closes such an order \
                 with an error",
                max.currency
            ),
        ));
    } else {
        if amount.minor > max.minor {
            out.push(Violation::new(
                RULE,
                format!(
                    "amount {amount} is above the contract's maximum of {max} (Assist \
                     RecurringMaxAmount)"
                ),
            ));
        }
        if let Some(min) = min {
            if amount.minor < min.minor {
                out.push(Violation::new(
                    RULE,
                    format!(
                        "amount {amount} is below the contract's minimum of {min} (Assist \
                         RecurringMinAmount)"
                    ),
                ));
            }
        }
    }
    let period = contract.frequency.min_gap_days();
    let previous = history
        .charges_for(plan)
        .filter(|a| a.state == ChargeState::Succeeded && a.is_mit() && a.is_recurring())
        .map(|a| a.at)
        .max();
    if let Some(previous) = previous {
        let previous_on = local_date(previous, zone);
        if let Some(earliest) = previous_on.checked_add_days(Days::new(u64::from(period))) {
            if plan.charge_date < earliest {
                out.push(
                    Violation::new(
                        RULE,
                        format!(
                            "the previous charge went through on {previous_on}; Assist allows \
                             the next one {period} days later, from {earliest} (Assist \
                             RecurringPeriod)"
                        ),
                    )
                    .allowed_after(start_of_day(earliest, zone)),
                );
            }
        }
    }
    match contract.end {
        None => out.push(Violation::new(
            RULE,
            format!(
                "contract {} has no end date, which Assist requires (RecurringMaxDate)",
                contract.id
            ),
        )),
        Some(end) if plan.charge_date > end => out.push(Violation::new(
            RULE,
            format!(
                "the charge date {} is after the series' end date {end} (Assist \
                 RecurringMaxDate)",
                plan.charge_date
            ),
        )),
        Some(_) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::{AmountRule, Frequency};
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::stored_credential::{Initiator, Reason};

    fn variable_plan() -> ChargePlan {
        let mut plan = plan(ProviderKind::Assist);
        plan.contract.as_mut().unwrap().contract.amount = AmountRule::Variable {
            min: Some(eur(500)),
            max: eur(10000),
        };
        plan
    }

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_within_bounds_period_and_end_date() {
        let plan = plan(ProviderKind::Assist);
        let previous = attempt(
            &plan,
            utc(2026, 10, 23, 8, 0),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        assert!(check(&plan, &History::new(vec![previous]), now()).is_empty());
        let mut plan = variable_plan();
        plan.amount = eur(10000);
        assert!(run(&plan).is_empty(), "the maximum itself is allowed");
    }

    #[test]
    fn passes_a_manual_charge_outside_any_series() {
        assert!(run(&manual_plan(ProviderKind::Assist)).is_empty());
    }

    #[test]
    fn refuses_above_recurring_max_amount() {
        let mut plan = variable_plan();
        plan.amount = eur(12000);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "amount 120.00 EUR is above the contract's maximum of 100.00 EUR (Assist \
             RecurringMaxAmount)"
        );
    }

    #[test]
    fn refuses_below_recurring_min_amount() {
        let mut plan = variable_plan();
        plan.amount = eur(499);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0]
            .reason
            .ends_with("minimum of 5.00 EUR (Assist RecurringMinAmount)"));
    }

    #[test]
    fn refuses_sooner_than_the_period_and_says_from_when() {
        let mut plan = plan(ProviderKind::Assist);
        plan.contract.as_mut().unwrap().contract.frequency = Frequency::EveryDays { days: 30 };
        // A retry of last month's occurrence went through on 1 November (Helsinki).
        let previous = attempt(
            &plan,
            utc(2026, 11, 1, 10, 0),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        let v = check(&plan, &History::new(vec![previous]), now());
        assert_eq!(rules_of(&v), vec![RuleId::AssistBounds], "{v:?}");
        assert_eq!(
            v[0].reason,
            "the previous charge went through on 2026-11-01; Assist allows the next one 30 days \
             later, from 2026-12-01 (Assist RecurringPeriod)"
        );
        assert_eq!(v[0].allowed_after, Some(utc(2026, 11, 30, 22, 0)));
    }

    #[test]
    fn only_successful_recurring_charges_start_the_period() {
        let plan = plan(ProviderKind::Assist);
        let declined = soft_decline(&plan, utc(2026, 11, 20, 8, 0), Initiator::Merchant);
        let mut one_click = attempt(
            &plan,
            utc(2026, 11, 20, 9, 0),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        one_click.reason = Reason::Unscheduled;
        assert!(check(&plan, &History::new(vec![declined, one_click]), now()).is_empty());
    }

    #[test]
    fn refuses_after_recurring_max_date_or_without_one() {
        let mut plan = plan(ProviderKind::Assist);
        plan.contract.as_mut().unwrap().contract.end = Some(day(2026, 11, 22));
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "the charge date 2026-11-23 is after the series' end date 2026-11-22 (Assist \
             RecurringMaxDate)"
        );
        plan.contract.as_mut().unwrap().contract.end = None;
        assert!(run(&plan)[0].reason.contains("has no end date"));
    }
}
