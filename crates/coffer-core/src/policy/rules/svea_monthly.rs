//! `svea_monthly`: Svea charges a token at most once per calendar month and never above the
//! original payment amount, and blocks the request otherwise (providers/svea.md §5). Whether
//! "month" means a calendar month or 30 days is unconfirmed; Coffer takes the calendar month in
//! the merchant's time zone. An attempt still `sending` counts: it may have gone through.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

use super::{card_label, start_of_day};
use crate::charge::{ChargePlan, ChargeState};
use crate::clock::local_date;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::SveaMonthly;

/// Checks the month's earlier charges and the original amount.
pub fn check(plan: &ChargePlan, history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    if !plan.credential.is_mit() {
        return out;
    }
    let zone = plan.merchant.time_zone;
    let label = card_label(&plan.card);
    let month = (plan.charge_date.year(), plan.charge_date.month());
    let same_month = history.charges_for(plan).find(|a| {
        let on = local_date(a.at, zone);
        a.is_mit()
            && matches!(a.state, ChargeState::Succeeded | ChargeState::Sending)
            && (on.year(), on.month()) == month
    });
    if let Some(earlier) = same_month {
        let how = if earlier.state == ChargeState::Sending {
            "an unconfirmed charge"
        } else {
            "a charge"
        };
        let violation = Violation::new(
            RULE,
            format!(
                "{label} already has {how} of {} on {} this month; Svea allows one recurring \
                 charge per card per calendar month",
                earlier.amount,
                local_date(earlier.at, zone)
            ),
        );
        out.push(match first_of_next_month(plan.charge_date) {
            Some(next) => violation.allowed_after(start_of_day(next, zone)),
            None => violation,
        });
    }
    let original = plan
        .contract
        .as_ref()
        .and_then(|c| c.contract.original_amount)
        .or_else(|| plan.card.initial.as_ref().and_then(|i| i.amount));
    match original {
        None => out.push(Violation::new(
            RULE,
            format!(
                "the original payment amount of {label} is not on record, and Svea never charges \
                 a token above it"
            ),
        )),
        Some(original) if original.currency != plan.amount.currency => out.push(Violation::new(
            RULE,
            format!(
                "amount {} is not in the currency of the original payment of {original}",
                plan.amount
            ),
        )),
        // A contract charge above the original is `terms_consented`'s to refuse: the cure is a
        // new initial transaction, which lifts it, so it must not read as a refusal for good.
        Some(original) if plan.contract.is_none() && plan.amount.minor > original.minor => out
            .push(Violation::new(
                RULE,
                format!(
                    "amount {} is above the original payment amount of {original}; Svea never \
                 charges a token above it",
                    plan.amount
                ),
            )),
        Some(_) => {}
    }
    out
}

fn first_of_next_month(date: NaiveDate) -> Option<NaiveDate> {
    date.with_day(1)?.checked_add_months(Months::new(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::policy::PastAttempt;
    use crate::stored_credential::{Initiator, Reason, StoredCredential};

    fn run(plan: &ChargePlan, history: Vec<PastAttempt>) -> Vec<Violation> {
        check(plan, &History::new(history), now())
    }

    #[test]
    fn passes_the_first_charge_of_the_month_within_the_original_amount() {
        let plan = plan(ProviderKind::Svea);
        let last_month = attempt(
            &plan,
            utc(2026, 10, 23, 8, 0),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        assert!(run(&plan, vec![last_month]).is_empty());
    }

    #[test]
    fn passes_when_this_months_earlier_attempts_were_declined_or_failed() {
        let plan = plan(ProviderKind::Svea);
        let history = vec![
            soft_decline(&plan, utc(2026, 11, 2, 8, 0), Initiator::Merchant),
            attempt(
                &plan,
                utc(2026, 11, 3, 8, 0),
                ChargeState::Failed,
                Initiator::Merchant,
            ),
        ];
        assert!(
            run(&plan, history).is_empty(),
            "no money moved this month yet"
        );
    }

    #[test]
    fn passes_a_charge_equal_to_the_original_amount() {
        let mut plan = manual_plan(ProviderKind::Svea);
        plan.amount = eur(2000);
        assert!(run(&plan, vec![]).is_empty());
    }

    #[test]
    fn passes_a_cardholder_initiated_charge() {
        let mut plan = manual_plan(ProviderKind::Svea);
        plan.credential = StoredCredential::initial(Reason::Unscheduled);
        let earlier = attempt(
            &plan,
            utc(2026, 11, 2, 8, 0),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        assert!(run(&plan, vec![earlier]).is_empty());
    }

    #[test]
    fn refuses_second_recurring_charge_in_same_month() {
        let plan = plan(ProviderKind::Svea);
        let earlier = attempt(
            &plan,
            utc(2026, 11, 2, 8, 0),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        let v = run(&plan, vec![earlier]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "card ending 4242 already has a charge of 10.00 EUR on 2026-11-02 this month; Svea \
             allows one recurring charge per card per calendar month"
        );
        assert_eq!(
            v[0].allowed_after,
            Some(utc(2026, 11, 30, 22, 0)),
            "midnight of 1 December in Helsinki"
        );
    }

    #[test]
    fn an_unconfirmed_charge_counts_as_this_months() {
        let plan = manual_plan(ProviderKind::Svea);
        let sending = attempt(
            &plan,
            utc(2026, 11, 23, 7, 0),
            ChargeState::Sending,
            Initiator::Merchant,
        );
        let v = run(&plan, vec![sending]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].reason.contains("an unconfirmed charge"));
    }

    #[test]
    fn the_month_is_the_merchants_not_utcs() {
        let mut plan = plan(ProviderKind::Svea);
        plan.charge_date = day(2026, 12, 1);
        // 30 November 22:30 UTC is already 1 December in Helsinki.
        let late = attempt(
            &plan,
            utc(2026, 11, 30, 22, 30),
            ChargeState::Succeeded,
            Initiator::Merchant,
        );
        let v = run(&plan, vec![late.clone()]);
        assert_eq!(rules_of(&v), vec![RuleId::SveaMonthly], "{v:?}");
        let earlier = PastAttempt {
            at: utc(2026, 11, 30, 21, 30),
            ..late
        };
        assert!(
            run(&plan, vec![earlier]).is_empty(),
            "23:30 on 30 November in Helsinki"
        );
    }

    #[test]
    fn refuses_an_amount_above_the_original() {
        let mut plan = manual_plan(ProviderKind::Svea);
        plan.amount = eur(2001);
        let v = run(&plan, vec![]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "amount 20.01 EUR is above the original payment amount of 20.00 EUR; Svea never \
             charges a token above it"
        );
        assert_eq!(v[0].allowed_after, None);
    }

    #[test]
    fn refuses_when_the_original_amount_is_unknown() {
        let mut plan = manual_plan(ProviderKind::Svea);
        plan.card.initial.as_mut().unwrap().amount = None;
        let v = run(&plan, vec![]);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0]
            .reason
            .contains("original payment amount of card ending 4242 is not on record"));
    }
}
