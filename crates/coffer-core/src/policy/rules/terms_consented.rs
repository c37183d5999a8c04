//! `terms_consented`: a contract charge stays within what the cardholder consented to and what
//! the card's initial transaction registered with the provider (Visa and Mastercard
//! stored-credential rules: a merchant-initiated charge follows the agreed terms; a change of
//! terms needs the cardholder's agreement).
//!
//! Two ceilings, checked in this order:
//! - the provider's registered cap ([`crate::contract::Contract::registered_cap`]): Svea never
//!   charges a token above its original payment amount, Assist stays within the
//!   `RecurringMaxAmount` of the initial order. Above it new consent is not enough: the card
//!   needs a new initial (cardholder-initiated) transaction at the new terms.
//! - the amount the cardholder consented to ([`crate::contract::Contract::consented_up_to`]):
//!   after a change of terms above it, nothing above it is charged until new consent is
//!   recorded.
//!
//! Neither refusal is for good: recording consent or a new initial lifts it, so a due run
//! judges the occurrence again ([`crate::policy::Violation::is_final`]).

use chrono::{DateTime, Utc};

use crate::charge::ChargePlan;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::TermsConsented;

/// Checks the amount against the registered cap, then against the consented amount.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let Some(charge) = &plan.contract else {
        return Vec::new();
    };
    let contract = &charge.contract;
    contract
        .terms_wait(plan.merchant.provider, plan.amount)
        .map(|wait| Violation::new(RULE, wait.reason(contract.id, plan.amount)))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract::AmountRule;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;

    fn raised(provider: ProviderKind, minor: i64) -> ChargePlan {
        let mut plan = plan(provider);
        let contract = &mut plan.contract.as_mut().unwrap().contract;
        contract.amount = AmountRule::Fixed { amount: eur(minor) };
        plan.amount = eur(minor);
        plan
    }

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_the_consented_terms_and_a_manual_charge() {
        for provider in ProviderKind::ALL {
            assert!(run(&plan(provider)).is_empty(), "{provider}");
            assert!(run(&manual_plan(provider)).is_empty(), "{provider}");
        }
    }

    #[test]
    fn refuses_a_raise_above_the_consent_until_consent_is_recorded() {
        // 10.00 consented, raised to 12.90: below Svea's 20.00 original, no Assist cap involved.
        for provider in [
            ProviderKind::Clover,
            ProviderKind::ProcessOut,
            ProviderKind::Svea,
        ] {
            let mut plan = raised(provider, 1290);
            let v = run(&plan);
            assert_eq!(v.len(), 1, "{provider}: {v:?}");
            assert_eq!(
                v[0].reason,
                "new consent needed: consented up to 10.00 EUR, contract 5 now charges 12.90 \
                 EUR; record the cardholder's consent to the changed terms first"
            );
            assert!(!v[0].is_final(), "recording consent lifts it");
            plan.contract.as_mut().unwrap().contract.consented_max = Some(eur(1290));
            assert!(run(&plan).is_empty(), "{provider}: consent recorded");
        }
    }

    #[test]
    fn a_lower_amount_needs_no_new_consent() {
        assert!(run(&raised(ProviderKind::Clover, 990)).is_empty());
    }

    #[test]
    fn svea_above_the_original_amount_needs_a_new_initial_even_with_consent() {
        let mut plan = raised(ProviderKind::Svea, 2500);
        plan.contract.as_mut().unwrap().contract.consented_max = Some(eur(2500));
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].reason.starts_with("new initial transaction needed")
                && v[0]
                    .reason
                    .contains("up to 20.00 EUR (Svea's original payment amount)")
                && v[0].reason.contains("new consent is not enough"),
            "{}",
            v[0].reason
        );
        assert!(!v[0].is_final(), "a new initial lifts it");
        plan.contract.as_mut().unwrap().contract.original_amount = Some(eur(2500));
        assert!(run(&plan).is_empty(), "after a new initial of 25.00");
    }

    #[test]
    fn assist_above_the_registered_maximum_needs_a_new_initial() {
        let mut plan = raised(ProviderKind::Assist, 1290);
        plan.contract.as_mut().unwrap().contract.consented_max = Some(eur(1290));
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].reason
                .contains("up to 10.00 EUR (Assist's registered RecurringMaxAmount)"),
            "{}",
            v[0].reason
        );
        plan.contract.as_mut().unwrap().contract.registered_max = Some(eur(1290));
        assert!(run(&plan).is_empty(), "after a new recurring initial");
    }

    #[test]
    fn terms_kept_before_consent_was_recorded_count_as_consented() {
        let mut plan = raised(ProviderKind::Clover, 1290);
        plan.contract.as_mut().unwrap().contract.consented_max = None;
        assert!(run(&plan).is_empty());
    }
}
