//! `assist_recurring_initial`: an Assist merchant-initiated charge goes to `rp.cfm`, which
//! charges against the BillNumber of an initial order registered as recurring
//! (`RecurringIndicator=1` with its limits, providers/assist.md §3.2–3.3). A One Click card's
//! initial is a Token Pay order: it carried `CustomerNumber`, which Assist's One Click page says
//! must not be sent with the recurring parameters, so it registered no recurring terms and
//! Assist refuses rp.cfm against it. Such a card is flagged "re-enroll" (a new initial on
//! Assist's payment page) and its merchant-initiated charges are refused here, before the wire.
//! A cardholder-initiated Token Pay charge of the same card is not under this rule.

use chrono::{DateTime, Utc};

use crate::charge::ChargePlan;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::AssistRecurringInitial;

/// Refuses a merchant-initiated charge whose card's initial is a One Click payment.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    if !plan.credential.is_mit() {
        return Vec::new();
    }
    plan.card
        .reenroll_reason()
        .map(|why| Violation::new(RULE, why))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::InitialKind;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::stored_credential::{Initiator, Reason, Sequence, StoredCredential};

    fn one_click(mut plan: ChargePlan) -> ChargePlan {
        plan.card.initial.as_mut().unwrap().kind = InitialKind::OneClick;
        plan
    }

    #[test]
    fn passes_an_mit_against_a_recurring_registered_initial() {
        let plan = plan(ProviderKind::Assist);
        assert!(check(&plan, &History::default(), now()).is_empty());
    }

    #[test]
    fn refuses_an_mit_whose_initial_is_a_one_click_order_and_says_re_enroll() {
        for plan in [
            one_click(plan(ProviderKind::Assist)),
            one_click(manual_plan(ProviderKind::Assist)),
        ] {
            let found = check(&plan, &History::default(), now());
            assert_eq!(found.len(), 1, "{found:?}");
            assert_eq!(found[0].rule, RULE);
            assert!(
                found[0].reason.contains("re-enroll") && found[0].reason.contains("INIT-1"),
                "the owner is told what to do and which initial: {}",
                found[0].reason
            );
            assert!(
                found[0].allowed_after.is_none(),
                "waiting does not help: only a new initial does"
            );
        }
    }

    #[test]
    fn passes_a_cardholder_initiated_token_pay_of_a_one_click_card() {
        let mut plan = one_click(manual_plan(ProviderKind::Assist));
        plan.credential = StoredCredential {
            sequence: Sequence::Subsequent,
            initiator: Initiator::Cardholder,
            reason: Reason::Unscheduled,
            scheduled: false,
            initial_ref: None,
        };
        assert!(
            check(&plan, &History::default(), now()).is_empty(),
            "the One Click token is for cardholder-present payments"
        );
    }

    #[test]
    fn the_policy_runs_it_for_assist_only() {
        let plan = one_click(plan(ProviderKind::Assist));
        let refused = crate::policy::check(&plan, &History::default(), now()).unwrap_err();
        assert!(refused.iter().any(|v| v.rule == RULE), "{refused:?}");
        assert!(!crate::policy::rules_for(ProviderKind::Clover).contains(&RULE));
    }
}
