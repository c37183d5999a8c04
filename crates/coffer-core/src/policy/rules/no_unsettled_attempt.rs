//! `no_unsettled_attempt`: while an earlier charge of the card is still `sending` (its answer was
//! lost, or another desk is sending it right now), nobody knows whether the customer already
//! paid. A new charge then could be a second one, so it waits until `reconcile` has asked the
//! provider and settled the earlier attempt.

use chrono::{DateTime, Utc};

use super::card_label;
use crate::charge::{ChargePlan, ChargeState};
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::NoUnsettledAttempt;

/// Refuses while another charge of this card under this merchant is in flight.
pub fn check(plan: &ChargePlan, history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let in_flight = history
        .charges_for(plan)
        .filter(|a| matches!(a.state, ChargeState::Sending | ChargeState::Planned))
        .count();
    if in_flight == 0 {
        return Vec::new();
    }
    vec![Violation::new(
        RULE,
        format!(
            "an earlier charge of {} has no known outcome yet; run reconcile so Coffer can ask the \
             provider whether it went through before charging again",
            card_label(&plan.card)
        ),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::stored_credential::Initiator;

    #[test]
    fn passes_when_every_earlier_charge_is_settled() {
        let plan = manual_plan(ProviderKind::Clover);
        let history = History::new(vec![
            attempt(&plan, now(), ChargeState::Succeeded, Initiator::Merchant),
            attempt(&plan, now(), ChargeState::Declined, Initiator::Merchant),
        ]);
        assert!(check(&plan, &history, now()).is_empty());
    }

    #[test]
    fn refuses_while_an_earlier_charge_is_still_sending() {
        let plan = manual_plan(ProviderKind::Clover);
        let history = History::new(vec![attempt(
            &plan,
            now(),
            ChargeState::Sending,
            Initiator::Merchant,
        )]);
        let violations = check(&plan, &history, now());
        assert_eq!(
            rules_of(&violations),
            vec![RULE],
            "a lost answer blocks a second charge"
        );
        assert!(violations[0].reason.contains("reconcile"));
    }
}
