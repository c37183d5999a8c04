//! Refuse before the wire (DESIGN §3): [`check`] judges a [`ChargePlan`] against the rules and
//! returns every rule it breaks, each with a reason a store owner understands and, where waiting
//! is enough, when the charge becomes allowed.
//!
//! The function is pure: the engine loads the plan and the card's [`History`] from its store and
//! passes the current instant, so the same inputs always give the same verdict, and the charge
//! dialog can show the verdict before the owner confirms.
//!
//! Which rules apply to which provider is data ([`RULES`]); each rule lives in its own file under
//! `rules/` with the tests of both its sides.

pub mod charge_limit;
mod history;
pub mod network_limits;
pub mod notice_lead;
#[cfg(test)]
mod properties;
mod rules;

#[cfg(test)]
pub(crate) mod fixtures;

use chrono::{DateTime, Utc};

use crate::charge::ChargePlan;
use crate::merchant::ProviderKind;

pub use crate::violation::{RuleId, Violation};
pub use history::{History, PastAttempt};
pub use rules::svea_buyer_address::before_card_page as svea_address_before_card_page;

/// A rule's check: every violation it finds, or none.
pub type RuleCheck = fn(&ChargePlan, &History, DateTime<Utc>) -> Vec<Violation>;

/// The providers a rule applies to, as each provider's entry of [`crate::providers::rules`]
/// says: no rule names a provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every provider, but one that replaces it with its own rule on the same concern
    /// ([`crate::providers::ProviderRules::replaced_rules`]).
    Shared,
    /// Only the providers that list it as their own
    /// ([`crate::providers::ProviderRules::own_rules`]).
    Own,
}

impl Scope {
    /// Whether a charge through `provider` is under rule `id`.
    pub fn covers(self, id: RuleId, provider: ProviderKind) -> bool {
        let rules = crate::providers::rules(provider);
        match self {
            Scope::Shared => !rules.replaced_rules.contains(&id),
            Scope::Own => rules.own_rules.contains(&id),
        }
    }
}

/// One entry of the rule list.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Its code.
    pub id: RuleId,
    /// Which providers it applies to.
    pub scope: Scope,
    /// Only a charge that pays a contract's occurrence is under it (a manual one-off is not).
    pub contract_only: bool,
    /// The initial cardholder-initiated transaction is under it too. That charge makes the
    /// consent and the link the MIT rules ask for, so only the rules about the card itself, the
    /// amount and the card's earlier attempts judge it.
    pub initial: bool,
    /// Its check.
    pub check: RuleCheck,
}

impl Rule {
    /// Whether `plan` is under this rule.
    pub fn applies_to(&self, plan: &ChargePlan) -> bool {
        self.scope.covers(self.id, plan.merchant.provider)
            && (!self.contract_only || plan.contract.is_some())
            && (self.initial
                || plan.credential.sequence != crate::stored_credential::Sequence::Initial)
    }
}

/// Every rule, in the order its violations are reported.
///
/// Assist is out of `contract_amount` (its entry in [`crate::providers`] replaces it) because
/// `assist_bounds` checks the same bounds under the names Assist registered them with
/// (`RecurringMinAmount`/`RecurringMaxAmount`); running both would report one problem twice.
pub const RULES: [Rule; 15] = [
    Rule {
        id: RuleId::ConsentAndInitial,
        scope: Scope::Shared,
        initial: false,
        contract_only: false,
        check: rules::consent_and_initial::check,
    },
    Rule {
        id: RuleId::CardUsable,
        scope: Scope::Shared,
        initial: true,
        contract_only: false,
        check: rules::card_usable::check,
    },
    Rule {
        id: RuleId::CardOfMerchant,
        scope: Scope::Shared,
        initial: true,
        contract_only: false,
        check: rules::card_of_merchant::check,
    },
    Rule {
        id: RuleId::AmountValid,
        scope: Scope::Shared,
        initial: true,
        contract_only: false,
        check: rules::amount_valid::check,
    },
    Rule {
        id: RuleId::ContractActive,
        scope: Scope::Shared,
        // Also judges charges that name no occurrence: a scheduled one must, and a recurring
        // charge by hand beside an open contract could pay a period twice.
        initial: false,
        contract_only: false,
        check: rules::contract_active::check,
    },
    Rule {
        id: RuleId::ContractAmount,
        scope: Scope::Shared,
        initial: false,
        contract_only: true,
        check: rules::contract_amount::check,
    },
    Rule {
        id: RuleId::NoticeSent,
        scope: Scope::Shared,
        initial: false,
        contract_only: true,
        check: rules::notice_sent::check,
    },
    Rule {
        id: RuleId::SveaMonthly,
        scope: Scope::Own,
        initial: false,
        contract_only: false,
        check: rules::svea_monthly::check,
    },
    Rule {
        id: RuleId::AssistBounds,
        scope: Scope::Own,
        initial: false,
        contract_only: true,
        check: rules::assist_bounds::check,
    },
    Rule {
        id: RuleId::AssistRecurringInitial,
        scope: Scope::Own,
        initial: false,
        contract_only: false,
        check: rules::assist_recurring_initial::check,
    },
    Rule {
        id: RuleId::NoRetryAfterHardDecline,
        scope: Scope::Shared,
        initial: true,
        contract_only: false,
        check: rules::no_retry_after_hard_decline::check,
    },
    Rule {
        id: RuleId::NetworkRetryLimits,
        scope: Scope::Shared,
        initial: true,
        contract_only: false,
        check: rules::network_retry_limits::check,
    },
    Rule {
        id: RuleId::NoUnsettledAttempt,
        scope: Scope::Shared,
        initial: true,
        contract_only: false,
        check: rules::no_unsettled_attempt::check,
    },
    Rule {
        id: RuleId::SveaBuyerAddress,
        scope: Scope::Own,
        // The card page of the initial payment carries the same compulsory fields.
        initial: true,
        contract_only: false,
        check: rules::svea_buyer_address::check,
    },
    Rule {
        id: RuleId::TermsConsented,
        scope: Scope::Shared,
        initial: false,
        contract_only: true,
        check: rules::terms_consented::check,
    },
];

/// The rules a charge through `provider` is judged by, in order.
pub fn rules_for(provider: ProviderKind) -> Vec<RuleId> {
    RULES
        .iter()
        .filter(|rule| rule.scope.covers(rule.id, provider))
        .map(|rule| rule.id)
        .collect()
}

/// The rules `plan` is judged by, in order: the provider's, without the contract rules for a
/// charge that pays no contract.
pub fn rules_for_plan(plan: &ChargePlan) -> Vec<RuleId> {
    RULES
        .iter()
        .filter(|rule| rule.applies_to(plan))
        .map(|rule| rule.id)
        .collect()
}

/// Judges `plan` at `now`, given the card's earlier attempts under the merchant. `Ok` when every
/// applicable rule passes; otherwise every violation of every rule, in [`RULES`] order.
pub fn check(
    plan: &ChargePlan,
    history: &History,
    now: DateTime<Utc>,
) -> Result<(), Vec<Violation>> {
    let violations: Vec<Violation> = RULES
        .iter()
        .filter(|rule| rule.applies_to(plan))
        .flat_map(|rule| (rule.check)(plan, history, now))
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::charge::ChargeState;
    use crate::stored_credential::Initiator;

    #[test]
    fn a_well_formed_plan_passes_for_every_provider() {
        for provider in ProviderKind::ALL {
            let plan = plan(provider);
            assert_eq!(
                check(&plan, &History::default(), now()),
                Ok(()),
                "{provider}: the fixture plan is meant to be clean"
            );
        }
    }

    #[test]
    fn every_rule_table_entry_carries_its_own_rule_id() {
        let ids: Vec<RuleId> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(
            ids,
            RuleId::ALL.to_vec(),
            "one entry per rule, in RuleId::ALL order"
        );
    }

    #[test]
    fn every_own_rule_belongs_to_some_provider_and_only_own_rules_are_listed_as_own() {
        for rule in RULES {
            let owners = ProviderKind::ALL
                .into_iter()
                .filter(|p| crate::providers::rules(*p).own_rules.contains(&rule.id))
                .count();
            match rule.scope {
                Scope::Own => assert!(owners > 0, "{}: no provider lists it as its own", rule.id),
                Scope::Shared => assert_eq!(owners, 0, "{}: a shared rule listed as own", rule.id),
            }
        }
    }

    #[test]
    fn provider_rules_apply_only_to_their_provider() {
        let clover = rules_for(ProviderKind::Clover);
        assert!(!clover.contains(&RuleId::SveaMonthly));
        assert!(!clover.contains(&RuleId::AssistBounds));
        assert!(clover.contains(&RuleId::ContractAmount));
        let svea = rules_for(ProviderKind::Svea);
        assert!(svea.contains(&RuleId::SveaMonthly));
        let assist = rules_for(ProviderKind::Assist);
        assert!(assist.contains(&RuleId::AssistBounds));
        assert!(
            !assist.contains(&RuleId::ContractAmount),
            "Assist's bounds are checked once, by assist_bounds"
        );
    }

    #[test]
    fn a_manual_charge_is_not_judged_by_the_contract_rules() {
        let clover = rules_for_plan(&manual_plan(ProviderKind::Clover));
        let assist = rules_for_plan(&manual_plan(ProviderKind::Assist));
        for (manual, contract_rule) in [
            (&clover, RuleId::ContractAmount),
            (&clover, RuleId::NoticeSent),
            (&assist, RuleId::AssistBounds),
        ] {
            assert!(
                !manual.contains(&contract_rule),
                "{contract_rule:?} has nothing to judge without a contract"
            );
        }
        let manual = assist;
        assert!(
            manual.contains(&RuleId::ContractActive),
            "a manual charge beside an open contract is still judged by contract_active"
        );
        assert!(manual.contains(&RuleId::ConsentAndInitial));
        let scheduled = rules_for_plan(&plan(ProviderKind::Assist));
        assert!(
            scheduled.contains(&RuleId::AssistBounds) && scheduled.contains(&RuleId::NoticeSent),
            "a contract's charge is: {scheduled:?}"
        );
    }

    #[test]
    fn reports_every_broken_rule_not_just_the_first() {
        let mut plan = plan(ProviderKind::Svea);
        plan.card.active = false;
        plan.amount = eur(-100);
        plan.card.consent = None;
        let history = History::new(vec![attempt(
            &plan,
            now() - chrono::Duration::days(2),
            ChargeState::Succeeded,
            Initiator::Merchant,
        )]);
        let rules: Vec<RuleId> = check(&plan, &history, now())
            .unwrap_err()
            .into_iter()
            .map(|v| v.rule)
            .collect();
        for expected in [
            RuleId::ConsentAndInitial,
            RuleId::CardUsable,
            RuleId::AmountValid,
            RuleId::SveaMonthly,
        ] {
            assert!(
                rules.contains(&expected),
                "{expected} missing from {rules:?}"
            );
        }
    }

    #[test]
    fn the_same_plan_is_judged_by_its_own_providers_rules() {
        // A second charge this month breaks Svea's rule and no other provider's.
        for provider in ProviderKind::ALL {
            let plan = plan(provider);
            let history = History::new(vec![
                attempt(
                    &plan,
                    now() - chrono::Duration::days(40),
                    ChargeState::Succeeded,
                    Initiator::Merchant,
                ),
                attempt(
                    &plan,
                    now() - chrono::Duration::hours(1),
                    ChargeState::Sending,
                    Initiator::Merchant,
                ),
            ]);
            let verdict = check(&plan, &history, now());
            let svea_refused = verdict
                .as_ref()
                .err()
                .is_some_and(|v| v.iter().any(|v| v.rule == RuleId::SveaMonthly));
            assert_eq!(
                svea_refused,
                provider == ProviderKind::Svea,
                "{provider}: {verdict:?}"
            );
        }
    }

    #[test]
    fn an_initial_transaction_is_judged_by_the_card_the_amount_and_its_earlier_attempts_only() {
        for provider in ProviderKind::ALL {
            let mut initial = manual_plan(provider);
            initial.credential = crate::stored_credential::StoredCredential::initial(
                crate::stored_credential::Reason::Recurring,
            );
            // No consent or initial yet: that is what this charge makes.
            initial.card.consent = None;
            initial.card.initial = None;
            assert_eq!(
                check(&initial, &History::default(), now()),
                Ok(()),
                "{provider}: the MIT rules do not judge the charge that makes a card MIT-ready"
            );
            let unsettled = History::new(vec![attempt(
                &initial,
                now() - chrono::Duration::minutes(5),
                ChargeState::Sending,
                Initiator::Cardholder,
            )]);
            let refused = check(&initial, &unsettled, now()).unwrap_err();
            assert_eq!(
                rules_of(&refused),
                vec![RuleId::NoUnsettledAttempt],
                "{provider}: an earlier charge of the card without an outcome blocks the initial too"
            );
            assert!(
                !refused[0].is_final(),
                "an unsettled attempt's refusal lifts once it settles"
            );
        }
    }
}
