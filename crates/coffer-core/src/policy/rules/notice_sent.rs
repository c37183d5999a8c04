//! `notice_sent`: before a contract charge the cardholder was told, at least the merchant's lead
//! time before the due date, the same amount and the same date. A late or different notice gives
//! the cardholder no chance to cancel what is actually charged.

use chrono::{DateTime, Utc};

use crate::charge::ChargePlan;
use crate::clock::local_date;
use crate::policy::{History, RuleId, Violation};
use crate::schedule::notice_deadline;

const RULE: RuleId = RuleId::NoticeSent;

/// Checks the notice of the occurrence being charged.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(charge) = &plan.contract else {
        return out;
    };
    let occurrence = &charge.occurrence;
    let lead = plan.merchant.notice_lead_days;
    let deadline = notice_deadline(occurrence.due, lead);
    let Some(notice) = &charge.notice else {
        out.push(Violation::new(
            RULE,
            format!(
                "no pre-charge notice was sent for occurrence {} due {}; the cardholder must be \
                 told at least {lead} days before, by {deadline}",
                occurrence.number, occurrence.due
            ),
        ));
        return out;
    };
    // Days are counted in the merchant's calendar, as the cardholder reads the notice's date.
    let sent_on = local_date(notice.sent_at, plan.merchant.time_zone);
    if sent_on > deadline {
        let days_before = (occurrence.due - sent_on).num_days();
        out.push(Violation::new(
            RULE,
            format!(
                "the notice went out on {sent_on}, {days_before} days before the due date {}; \
                 at least {lead} days are required, so it had to go by {deadline}",
                occurrence.due
            ),
        ));
    }
    if notice.amount != plan.amount {
        out.push(Violation::new(
            RULE,
            format!(
                "the notice announced {}, but the charge is for {}",
                notice.amount, plan.amount
            ),
        ));
    }
    if notice.due != occurrence.due {
        out.push(Violation::new(
            RULE,
            format!(
                "the notice announced {} as the date, but occurrence {} is due {}",
                notice.due, occurrence.number, occurrence.due
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    fn sent_at(plan: &mut ChargePlan, at: DateTime<Utc>) {
        plan.contract
            .as_mut()
            .unwrap()
            .notice
            .as_mut()
            .unwrap()
            .sent_at = at;
    }

    #[test]
    fn passes_a_notice_sent_in_time_with_the_same_terms() {
        assert!(run(&plan(ProviderKind::Svea)).is_empty());
    }

    #[test]
    fn passes_a_notice_sent_exactly_lead_days_before() {
        let mut plan = plan(ProviderKind::Svea);
        // 20 November, 23:30 Helsinki time is still the 20th there: three days before the 23rd.
        sent_at(&mut plan, utc(2026, 11, 20, 21, 30));
        assert!(run(&plan).is_empty());
    }

    #[test]
    fn passes_a_manual_charge_without_a_contract() {
        assert!(run(&manual_plan(ProviderKind::Svea)).is_empty());
    }

    #[test]
    fn refuses_a_contract_charge_without_a_notice() {
        let mut plan = plan(ProviderKind::Svea);
        plan.contract.as_mut().unwrap().notice = None;
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "no pre-charge notice was sent for occurrence 11 due 2026-11-23; the cardholder must \
             be told at least 3 days before, by 2026-11-20"
        );
    }

    #[test]
    fn refuses_a_late_notice_counting_days_in_the_merchant_zone() {
        let mut plan = plan(ProviderKind::Svea);
        // 20 November 22:30 UTC is already the 21st in Helsinki: two days before.
        sent_at(&mut plan, utc(2026, 11, 20, 22, 30));
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "the notice went out on 2026-11-21, 2 days before the due date 2026-11-23; at least \
             3 days are required, so it had to go by 2026-11-20"
        );
        assert_eq!(v[0].allowed_after, None, "a late notice stays late");
    }

    #[test]
    fn refuses_a_notice_with_another_amount_or_date() {
        let mut plan = plan(ProviderKind::Svea);
        let notice = plan.contract.as_mut().unwrap().notice.as_mut().unwrap();
        notice.amount = eur(900);
        notice.due = day(2026, 11, 24);
        let v = run(&plan);
        assert_eq!(v.len(), 2, "{v:?}");
        assert_eq!(
            v[0].reason,
            "the notice announced 9.00 EUR, but the charge is for 10.00 EUR"
        );
        assert_eq!(
            v[1].reason,
            "the notice announced 2026-11-24 as the date, but occurrence 11 is due 2026-11-23"
        );
    }
}
