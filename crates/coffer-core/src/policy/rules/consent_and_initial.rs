//! `consent_and_initial`: a merchant-initiated charge needs the cardholder's consent and must
//! point at the card's initial cardholder-initiated transaction; without both, the issuer sees
//! an unauthorised card-not-present charge. A scheduled charge runs without the cardholder, so it
//! must be flagged as merchant-initiated and scheduled.

use chrono::{DateTime, Utc};

use super::card_label;
use crate::charge::{ChargePlan, Trigger};
use crate::policy::{History, RuleId, Violation};
use crate::stored_credential::Sequence;

const RULE: RuleId = RuleId::ConsentAndInitial;

/// Checks the consent, the initial transaction and the flags' link to it.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let flags = &plan.credential;
    let card = card_label(&plan.card);
    if plan.trigger == Trigger::Scheduled && !(flags.is_mit() && flags.scheduled) {
        out.push(Violation::new(
            RULE,
            "a scheduled charge runs without the cardholder, so it must be flagged as \
             merchant-initiated and scheduled",
        ));
    }
    if !flags.is_mit() {
        return out;
    }
    if plan.card.consent.is_none() {
        out.push(Violation::new(
            RULE,
            format!("{card} has no recorded consent to merchant-initiated charges"),
        ));
    }
    if flags.sequence == Sequence::Initial {
        out.push(Violation::new(
            RULE,
            "a merchant-initiated charge cannot be the initial use of a stored card; the \
             cardholder must make the first one",
        ));
    }
    match (&plan.card.initial, &flags.initial_ref) {
        (None, _) => out.push(Violation::new(
            RULE,
            format!(
                "{card} has no initial cardholder-initiated transaction on record for \
                 merchant-initiated charges to point to"
            ),
        )),
        (Some(_), None) => out.push(Violation::new(
            RULE,
            "the charge does not point to the card's initial transaction",
        )),
        (Some(initial), Some(linked)) if initial.reference != *linked => out.push(Violation::new(
            RULE,
            format!(
                "the charge points to initial transaction {linked}, but {card}'s initial \
                     transaction is {}",
                initial.reference
            ),
        )),
        (Some(_), Some(_)) => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::stored_credential::{Reason, StoredCredential};

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_a_linked_mit_on_a_card_with_consent() {
        assert!(run(&plan(ProviderKind::Clover)).is_empty());
        assert!(run(&manual_plan(ProviderKind::Clover)).is_empty());
    }

    #[test]
    fn passes_a_cardholder_initiated_charge_without_consent() {
        let mut plan = manual_plan(ProviderKind::Clover);
        plan.credential = StoredCredential::initial(Reason::Unscheduled);
        plan.card.consent = None;
        plan.card.initial = None;
        assert!(
            run(&plan).is_empty(),
            "the cardholder is present: no MIT rules"
        );
    }

    #[test]
    fn refuses_an_mit_without_consent() {
        let mut plan = plan(ProviderKind::Clover);
        plan.card.consent = None;
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].reason
                .contains("card ending 4242 has no recorded consent"),
            "{}",
            v[0].reason
        );
        assert_eq!(v[0].allowed_after, None, "waiting does not bring consent");
    }

    #[test]
    fn refuses_an_mit_without_an_initial_transaction() {
        let mut plan = plan(ProviderKind::Clover);
        plan.card.initial = None;
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0]
            .reason
            .contains("no initial cardholder-initiated transaction"));
    }

    #[test]
    fn refuses_flags_pointing_at_another_initial_transaction() {
        let mut plan = plan(ProviderKind::Clover);
        plan.credential.initial_ref = Some("INIT-OTHER".into());
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].reason
                .contains("points to initial transaction INIT-OTHER")
                && v[0].reason.contains("is INIT-1"),
            "{}",
            v[0].reason
        );
        plan.credential.initial_ref = None;
        assert!(run(&plan)[0].reason.contains("does not point"));
    }

    #[test]
    fn refuses_an_mit_flagged_as_initial() {
        let mut plan = plan(ProviderKind::Clover);
        plan.credential.sequence = Sequence::Initial;
        let v = run(&plan);
        assert!(
            v.iter()
                .any(|v| v.reason.contains("cannot be the initial use")),
            "{v:?}"
        );
    }

    #[test]
    fn refuses_a_scheduled_charge_flagged_as_cardholder_initiated() {
        let mut plan = plan(ProviderKind::Clover);
        plan.credential = StoredCredential::initial(Reason::Recurring);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0]
            .reason
            .contains("must be flagged as merchant-initiated"));
    }
}
