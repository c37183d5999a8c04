//! `amount_valid`: the amount is above zero and in the merchant account's currency; providers
//! either refuse another currency or, worse, convert it.

use chrono::{DateTime, Utc};

use crate::charge::ChargePlan;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::AmountValid;

/// Checks sign and currency of the amount.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let amount = plan.amount;
    if !amount.is_positive() {
        out.push(Violation::new(
            RULE,
            format!("amount {amount} must be above zero"),
        ));
    }
    if amount.currency != plan.merchant.currency {
        out.push(Violation::new(
            RULE,
            format!(
                "amount {amount} is in {}, but the merchant account charges in {}",
                amount.currency, plan.merchant.currency
            ),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchant::ProviderKind;
    use crate::money::{Currency, Money};
    use crate::policy::fixtures::*;

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_a_positive_amount_in_the_merchant_currency() {
        let mut plan = manual_plan(ProviderKind::Clover);
        plan.amount = eur(1);
        assert!(run(&plan).is_empty(), "one cent is enough");
    }

    #[test]
    fn refuses_zero_and_negative_amounts() {
        let mut plan = manual_plan(ProviderKind::Clover);
        plan.amount = eur(0);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].reason, "amount 0.00 EUR must be above zero");
        plan.amount = eur(-500);
        assert_eq!(run(&plan)[0].reason, "amount -5.00 EUR must be above zero");
    }

    #[test]
    fn refuses_another_currency() {
        let mut plan = manual_plan(ProviderKind::Clover);
        plan.amount = Money::from_minor(1000, Currency::SEK);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "amount 10.00 SEK is in SEK, but the merchant account charges in EUR"
        );
    }
}
