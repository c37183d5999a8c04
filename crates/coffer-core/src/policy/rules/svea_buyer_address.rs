//! `svea_buyer_address`: every Svea payment carries the buyer's and the delivery address,
//! postal code, city and country, each at least one character long. Svea's Magento 2 module
//! lists them compulsory (`Model/Request/PaymentDataSpecification.php`, min length 1) and so
//! does its WooCommerce module (`$mandatory_data`); Svea's Create Payment page marks the buyer
//! and delivery fields C. Coffer holds one address per customer and sends it as both, as the
//! modules copy the buyer's into empty delivery fields. Refused here, before anything is written
//! or sent, so an owner learns what to fill in instead of reading Svea's field error.

use chrono::{DateTime, Utc};

use super::card_label;
use crate::charge::ChargePlan;
use crate::customer::Address;
use crate::merchant::ProviderKind;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::SveaBuyerAddress;

/// Checks that the card holder's address is on record.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    if plan.buyer_address.is_some() {
        return Vec::new();
    }
    vec![missing(&format!(
        "the customer of {}",
        card_label(&plan.card)
    ))]
}

/// The same rule for a first payment through Svea's card page, before any card exists to plan a
/// charge on: `None` when the customer may go to the page.
pub fn before_card_page(
    provider: ProviderKind,
    customer: &str,
    address: Option<&Address>,
) -> Option<Violation> {
    (crate::providers::rules(provider)
        .capabilities
        .needs_buyer_address
        && address.is_none())
    .then(|| missing(&format!("customer {customer}")))
}

fn missing(who: &str) -> Violation {
    Violation::new(
        RULE,
        format!(
            "{who} has no street address, postal code, city and country on record; Svea \
             requires them (buyer and delivery address) in every payment: add them to the \
             customer first"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::fixtures::*;
    use crate::stored_credential::StoredCredential;

    #[test]
    fn a_customer_with_an_address_passes() {
        let plan = plan(ProviderKind::Svea);
        assert!(check(&plan, &History::default(), now()).is_empty());
    }

    #[test]
    fn a_svea_charge_for_a_customer_without_an_address_is_refused_with_what_to_do() {
        for mut plan in [plan(ProviderKind::Svea), manual_plan(ProviderKind::Svea)] {
            plan.buyer_address = None;
            let violations = check(&plan, &History::default(), now());
            assert_eq!(violations.len(), 1);
            assert_eq!(violations[0].rule, RuleId::SveaBuyerAddress);
            assert!(
                violations[0].reason.contains("card ending 4242")
                    && violations[0].reason.contains("add them to the customer"),
                "{}",
                violations[0].reason
            );
            assert!(
                violations[0].allowed_after.is_none(),
                "waiting does not help"
            );
        }
    }

    #[test]
    fn the_rule_judges_svea_charges_the_initial_one_included_and_no_other_provider() {
        let mut initial = manual_plan(ProviderKind::Svea);
        initial.credential = StoredCredential::initial(crate::stored_credential::Reason::Recurring);
        initial.buyer_address = None;
        let refused = crate::policy::check(&initial, &History::default(), now()).unwrap_err();
        assert!(refused.iter().any(|v| v.rule == RULE), "{refused:?}");
        let mut clover = manual_plan(ProviderKind::Clover);
        clover.buyer_address = None;
        assert!(!crate::policy::rules_for_plan(&clover).contains(&RULE));
    }

    #[test]
    fn the_card_page_of_a_first_svea_payment_needs_the_address_too() {
        let refused = before_card_page(ProviderKind::Svea, "1001", None).unwrap();
        assert_eq!(refused.rule, RULE);
        assert!(refused
            .reason
            .starts_with("customer 1001 has no street address"));
        let address = plan(ProviderKind::Svea).buyer_address;
        assert!(before_card_page(ProviderKind::Svea, "1001", address.as_ref()).is_none());
        assert!(before_card_page(ProviderKind::Assist, "1001", None).is_none());
    }
}
