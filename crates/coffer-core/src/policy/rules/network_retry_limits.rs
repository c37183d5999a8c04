//! `network_retry_limits`: declined re-attempts on one card under one merchant stay within the
//! networks' limits ([`RETRY_LIMITS`]), whether the attempt is a scheduled retry or a manual
//! "charge now". When a limit is reached the violation says when enough declines will have left
//! its rolling window.

use chrono::{DateTime, Utc};

use super::card_label;
use crate::charge::ChargePlan;
use crate::policy::network_limits::{Network, RETRY_LIMITS};
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::NetworkRetryLimits;

/// Counts the card's declines in each of its network's windows.
pub fn check(plan: &ChargePlan, history: &History, now: DateTime<Utc>) -> Vec<Violation> {
    let Some(network) = Network::of(&plan.card.brand) else {
        return Vec::new();
    };
    let planned = plan.credential.initiator;
    let label = card_label(&plan.card);
    RETRY_LIMITS
        .iter()
        .filter(|limit| limit.network == network)
        .filter_map(|limit| {
            let declines: Vec<DateTime<Utc>> = history
                .declines_for(plan)
                .filter(|a| limit.counts(a.initiator, planned))
                .map(|a| a.at)
                .collect();
            let until = limit.refused_until(&declines, now)?;
            let whose = if limit.per_initiator {
                if plan.credential.is_mit() {
                    " merchant-initiated"
                } else {
                    " cardholder-initiated"
                }
            } else {
                ""
            };
            let in_window = declines
                .iter()
                .filter(|at| **at > now - limit.window())
                .count();
            Some(
                Violation::new(
                    RULE,
                    format!(
                        "{label} has {in_window}{whose} declines in the last {}; {} allows at \
                         most {} per card and merchant",
                        limit.window_words(),
                        network.name(),
                        limit.describe()
                    ),
                )
                .allowed_after(until),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardBrand;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::policy::PastAttempt;
    use crate::stored_credential::Initiator;
    use chrono::Duration;

    /// `count` soft declines, one an hour, the latest an hour before `now()`.
    fn declines(plan: &ChargePlan, count: i64, initiator: Initiator) -> Vec<PastAttempt> {
        (1..=count)
            .map(|h| soft_decline(plan, now() - Duration::hours(h), initiator))
            .collect()
    }

    #[test]
    fn passes_a_card_of_a_network_without_published_limits() {
        let mut plan = plan(ProviderKind::Clover);
        plan.card.brand = CardBrand::Amex;
        let history = History::new(declines(&plan, 50, Initiator::Merchant));
        assert!(check(&plan, &history, now()).is_empty());
    }

    #[test]
    fn visa_allows_the_20th_retry_and_refuses_the_21st() {
        let plan = plan(ProviderKind::Clover);
        // Initial attempt + 19 retries declined: the next is retry 20.
        let history = History::new(declines(&plan, 20, Initiator::Merchant));
        assert!(
            check(&plan, &history, now()).is_empty(),
            "retry 20 is within the limit"
        );
        let history = History::new(declines(&plan, 21, Initiator::Merchant));
        let v = check(&plan, &history, now());
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "card ending 4242 has 21 merchant-initiated declines in the last 30 days; Visa allows \
             at most 20 retries in 30 days per card and merchant"
        );
        assert_eq!(
            v[0].allowed_after,
            Some(now() - Duration::hours(21) + Duration::days(30)),
            "when the oldest decline leaves the 30-day window"
        );
    }

    #[test]
    fn visa_counts_cardholder_and_merchant_initiated_apart() {
        let plan = plan(ProviderKind::Clover);
        let mut history = declines(&plan, 15, Initiator::Merchant);
        history.extend(declines(&plan, 15, Initiator::Cardholder));
        assert!(
            check(&plan, &History::new(history), now()).is_empty(),
            "15 + 15, not 30"
        );
    }

    #[test]
    fn visa_forgets_declines_older_than_30_days() {
        let plan = plan(ProviderKind::Clover);
        let old: Vec<_> = (0..25)
            .map(|i| {
                soft_decline(
                    &plan,
                    now() - Duration::days(31) - Duration::hours(i),
                    Initiator::Merchant,
                )
            })
            .collect();
        assert!(check(&plan, &History::new(old), now()).is_empty());
    }

    #[test]
    fn mastercard_refuses_an_11th_attempt_in_24_hours() {
        let mut plan = plan(ProviderKind::Clover);
        plan.card.brand = CardBrand::Mastercard;
        let nine = History::new(declines(&plan, 9, Initiator::Merchant));
        assert!(
            check(&plan, &nine, now()).is_empty(),
            "a 10th attempt is allowed"
        );
        let mut ten = declines(&plan, 9, Initiator::Merchant);
        ten.push(soft_decline(
            &plan,
            now() - Duration::hours(23),
            Initiator::Cardholder,
        ));
        let v = check(&plan, &History::new(ten), now());
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].reason.contains("has 10 declines in the last 24 hours; Mastercard allows at most 10 declined attempts in 24 hours"),
            "cardholder- and merchant-initiated count together: {}",
            v[0].reason
        );
        assert_eq!(v[0].allowed_after, Some(now() + Duration::hours(1)));
    }

    #[test]
    fn mastercard_refuses_a_36th_attempt_in_30_days() {
        let mut plan = plan(ProviderKind::Clover);
        plan.card.brand = CardBrand::Maestro;
        // Five a day for seven days: never ten in 24 hours, 35 in 30 days.
        let history: Vec<_> = (1..=7)
            .flat_map(|d| (0..5).map(move |h| (d, h)))
            .map(|(d, h)| {
                soft_decline(
                    &plan,
                    now() - Duration::days(d) - Duration::hours(h),
                    Initiator::Merchant,
                )
            })
            .collect();
        let v = check(&plan, &History::new(history), now());
        assert_eq!(v.len(), 1, "{v:?}");
        assert!(
            v[0].reason.contains("35 declined attempts in 30 days"),
            "{}",
            v[0].reason
        );
        assert_eq!(
            v[0].allowed_after,
            Some(now() - Duration::days(7) - Duration::hours(4) + Duration::days(30))
        );
    }

    #[test]
    fn a_manual_charge_counts_like_a_scheduled_one() {
        let mut plan = manual_plan(ProviderKind::Clover);
        plan.card.brand = CardBrand::Mastercard;
        let v = check(
            &plan,
            &History::new(declines(&plan, 10, Initiator::Merchant)),
            now(),
        );
        assert_eq!(v.len(), 1, "{v:?}");
    }
}
