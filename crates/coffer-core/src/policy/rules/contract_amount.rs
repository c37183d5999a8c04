//! `contract_amount`: a contract charge is the contract's fixed amount, or within its variable
//! bounds; the cardholder agreed to those and nothing else.

use chrono::{DateTime, Utc};

use crate::charge::ChargePlan;
use crate::contract::AmountRule;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::ContractAmount;

/// Checks the amount against the contract's amount rule.
pub fn check(plan: &ChargePlan, _history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let mut out = Vec::new();
    let Some(charge) = &plan.contract else {
        return out;
    };
    let amount = plan.amount;
    match &charge.contract.amount {
        AmountRule::Fixed { amount: fixed } if *fixed != amount => out.push(Violation::new(
            RULE,
            format!("amount {amount} differs from the contract's fixed amount of {fixed}"),
        )),
        AmountRule::Fixed { .. } => {}
        AmountRule::Variable { min, max } => {
            if amount.currency != max.currency {
                out.push(Violation::new(
                    RULE,
                    format!(
                        "amount {amount} is not in the contract's currency {}",
                        max.currency
                    ),
                ));
                return out;
            }
            if amount.minor > max.minor {
                out.push(Violation::new(
                    RULE,
                    format!("amount {amount} is above the contract's maximum of {max}"),
                ));
            }
            if let Some(min) = min {
                if amount.minor < min.minor {
                    out.push(Violation::new(
                        RULE,
                        format!("amount {amount} is below the contract's minimum of {min}"),
                    ));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;

    fn variable(min: Option<i64>, max: i64) -> ChargePlan {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.contract.as_mut().unwrap().contract.amount = AmountRule::Variable {
            min: min.map(eur),
            max: eur(max),
        };
        plan
    }

    fn run(plan: &ChargePlan) -> Vec<Violation> {
        check(plan, &History::default(), now())
    }

    #[test]
    fn passes_the_fixed_amount_and_amounts_within_bounds() {
        assert!(run(&plan(ProviderKind::ProcessOut)).is_empty());
        let mut plan = variable(Some(500), 1000);
        for minor in [500, 750, 1000] {
            plan.amount = eur(minor);
            assert!(run(&plan).is_empty(), "{minor} is within 5.00..10.00");
        }
    }

    #[test]
    fn refuses_another_amount_than_the_fixed_one() {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.amount = eur(1001);
        let v = run(&plan);
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "amount 10.01 EUR differs from the contract's fixed amount of 10.00 EUR"
        );
    }

    #[test]
    fn refuses_amounts_outside_the_variable_bounds() {
        let mut plan = variable(Some(500), 10000);
        plan.amount = eur(12000);
        assert_eq!(
            run(&plan)[0].reason,
            "amount 120.00 EUR is above the contract's maximum of 100.00 EUR"
        );
        plan.amount = eur(499);
        assert_eq!(
            run(&plan)[0].reason,
            "amount 4.99 EUR is below the contract's minimum of 5.00 EUR"
        );
    }
}
