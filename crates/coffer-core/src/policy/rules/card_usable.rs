//! `card_usable`: the card is active, not expired on the (merchant-local) charge date, and, for a
//! merchant-initiated charge, does not need a CVC that only the cardholder could type. A card
//! the owner stopped using or deleted at the provider is never charged again, and a merchant-
//! initiated charge of an APM token goes only where the provider allows one on it.

use chrono::{DateTime, Utc};

use super::card_label;
use crate::card::PaymentMethod;
use crate::charge::ChargePlan;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::CardUsable;

/// Checks the card's state on the charge date.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let card = &plan.card;
    let label = card_label(card);
    if let Some(why) = card.usage.refusal(&label) {
        out.push(Violation::new(RULE, why));
    }
    if let PaymentMethod::Apm {
        name,
        merchant_initiated: false,
    } = &card.method
    {
        if plan.credential.is_mit() {
            out.push(Violation::new(
                RULE,
                format!(
                    "{label} is a saved {name} token on which the provider allows no \
                     merchant-initiated charge: only the customer can pay with it"
                ),
            ));
        }
    }
    if !card.active {
        out.push(Violation::new(
            RULE,
            format!(
                "{label} is no longer active (removed at the provider or blocked after a hard \
                 decline)"
            ),
        ));
    }
    if card.expiry.is_expired_on(plan.charge_date) {
        out.push(Violation::new(
            RULE,
            format!(
                "{label} expired {}: its last valid day was {}, before the charge date {}",
                card.expiry,
                card.expiry.last_day(),
                plan.charge_date
            ),
        ));
    }
    if card.needs_cvc && plan.credential.is_mit() {
        out.push(Violation::new(
            RULE,
            format!(
                "the provider asks for {label}'s security code (CVC), which only the cardholder \
                 can give, so a merchant-initiated charge cannot go through"
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardExpiry;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_an_active_unexpired_card() {
        assert!(run(&plan(ProviderKind::ProcessOut)).is_empty());
    }

    #[test]
    fn passes_on_the_last_day_of_the_expiry_month() {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.card.expiry = CardExpiry::new(2026, 11).unwrap();
        plan.charge_date = day(2026, 11, 30);
        assert!(run(&plan).is_empty(), "valid through 30 November");
    }

    #[test]
    fn refuses_an_expired_card_naming_the_dates() {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.card.expiry = CardExpiry::new(2026, 10).unwrap();
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "card ending 4242 expired 10/2026: its last valid day was 2026-10-31, before the \
             charge date 2026-11-23"
        );
    }

    #[test]
    fn refuses_an_inactive_card() {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.card.active = false;
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].reason.contains("no longer active"));
    }

    #[test]
    fn refuses_a_stopped_card_and_a_removed_one_saying_which() {
        let mut plan = plan(ProviderKind::Clover);
        plan.card.usage = crate::card::CardUse::Stopped(utc(2026, 11, 20, 9, 0));
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "card ending 4242 was stopped on 2026-11-20: Coffer charges it no more (it stays at \
             the provider)"
        );
        plan.card.usage = crate::card::CardUse::Removed(utc(2026, 11, 21, 9, 0));
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0]
            .reason
            .contains("deleted at the provider on 2026-11-21"));
    }

    #[test]
    fn an_apm_takes_an_mit_only_where_the_provider_allows_it() {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.card.method = PaymentMethod::Apm {
            name: "PayPal".into(),
            merchant_initiated: true,
        };
        assert!(
            run(&plan).is_empty(),
            "ProcessOut allows MITs on this token"
        );
        plan.card.method = PaymentMethod::Apm {
            name: "PayPal".into(),
            merchant_initiated: false,
        };
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].reason
                .starts_with("PayPal account is a saved PayPal token"),
            "names the method, not a last4: {}",
            v[0].reason
        );
    }

    #[test]
    fn refuses_an_mit_on_a_card_that_needs_its_cvc() {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.card.needs_cvc = true;
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(v[0].reason.contains("security code"));
    }
}
