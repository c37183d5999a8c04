//! `card_of_merchant`: tokens, customers and initial references belong to one merchant account
//! (one Clover location, one Svea seller id); a charge in another account's name would either fail
//! or, worse, land in the wrong account. The contract must be the card's and the merchant's too.

use chrono::{DateTime, Utc};

use super::card_label;
use crate::charge::ChargePlan;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::CardOfMerchant;

/// Checks that card, contract and merchant account belong together.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let merchant = plan.merchant.id;
    let label = card_label(&plan.card);
    if plan.card.merchant_id != merchant {
        out.push(Violation::new(
            RULE,
            format!(
                "{label} is stored under merchant account {}, not under account {merchant} in \
                 whose name the charge would go out",
                plan.card.merchant_id
            ),
        ));
    }
    if let Some(charge) = &plan.contract {
        let contract = &charge.contract;
        if contract.merchant_id != merchant {
            out.push(Violation::new(
                RULE,
                format!(
                    "contract {} belongs to merchant account {}, not to account {merchant}",
                    contract.id, contract.merchant_id
                ),
            ));
        }
        if contract.card_id != plan.card.id {
            out.push(Violation::new(
                RULE,
                format!(
                    "contract {} charges another card (id {}), not {label}",
                    contract.id, contract.card_id
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{CardId, MerchantId};
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_a_card_and_contract_of_the_merchant() {
        assert!(run(&plan(ProviderKind::Clover)).is_empty());
        assert!(run(&manual_plan(ProviderKind::Clover)).is_empty());
    }

    #[test]
    fn refuses_a_card_of_another_location() {
        let mut plan = manual_plan(ProviderKind::Clover);
        plan.card.merchant_id = MerchantId(8);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "card ending 4242 is stored under merchant account 8, not under account 7 in whose \
             name the charge would go out"
        );
    }

    #[test]
    fn refuses_a_contract_of_another_merchant_or_card() {
        let mut plan = plan(ProviderKind::Clover);
        let charge = plan.contract.as_mut().unwrap();
        charge.contract.merchant_id = MerchantId(8);
        charge.contract.card_id = CardId(43);
        let v = run(&plan);
        assert_eq!(v.len(), 2, "{v:?}");
        assert!(v[0]
            .reason
            .contains("contract 5 belongs to merchant account 8"));
        assert!(v[1].reason.contains("charges another card (id 43)"));
    }
}
