//! `no_retry_after_hard_decline`: after a hard decline (lost, stolen, closed, do-not-retry) the
//! card is never charged again under this merchant. Retrying earns the networks' fees and never
//! succeeds. Besides the provider's own hard-decline flag, the scheme codes of
//! [`crate::policy::network_limits::never_retry`] count: Visa category 1 and Mastercard merchant
//! advice 03 and 21.

use chrono::{DateTime, Utc};

use super::card_label;
use crate::charge::ChargePlan;
use crate::policy::network_limits::never_retry;
use crate::policy::{History, RuleId, Violation};

const RULE: RuleId = RuleId::NoRetryAfterHardDecline;

/// Finds the latest decline that forbids any further attempt.
pub fn check(plan: &ChargePlan, history: &History, _now: DateTime<Utc>) -> Vec<Violation> {
    let label = card_label(&plan.card);
    let blocking = history
        .declines_for(plan)
        .filter_map(|a| {
            let scheme = never_retry(
                &plan.card.brand,
                a.decline_code.as_deref(),
                a.merchant_advice_code.as_deref(),
            );
            let why = match (scheme, a.hard_decline) {
                (Some(scheme), _) => scheme.reason,
                (None, true) => match &a.decline_code {
                    Some(code) => format!("a hard decline, code {code}"),
                    None => "a hard decline".to_string(),
                },
                (None, false) => return None,
            };
            Some((a.at, why))
        })
        .max_by_key(|(at, _)| *at);
    match blocking {
        // One violation is enough: the owner needs the latest reason, not the whole list.
        Some((at, why)) => vec![Violation::new(
            RULE,
            format!(
                "{label} was declined on {} with {why}; it must not be charged again",
                at.with_timezone(&plan.merchant.time_zone).date_naive()
            ),
        )],
        None => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::card::CardBrand;
    use crate::charge::ChargeState;
    use crate::ids::CardId;
    use crate::merchant::ProviderKind;
    use crate::policy::fixtures::*;
    use crate::stored_credential::Initiator;

    fn declined_with(
        plan: &ChargePlan,
        code: Option<&str>,
        advice: Option<&str>,
        hard: bool,
    ) -> History {
        let mut past = soft_decline(plan, utc(2026, 11, 10, 8, 0), Initiator::Merchant);
        past.decline_code = code.map(str::to_string);
        past.merchant_advice_code = advice.map(str::to_string);
        past.hard_decline = hard;
        History::new(vec![past])
    }

    #[test]
    fn passes_after_soft_declines_only() {
        let plan = plan(ProviderKind::Clover);
        assert!(check(&plan, &declined_with(&plan, Some("05"), None, false), now()).is_empty());
        assert!(check(
            &plan,
            &declined_with(&plan, Some("51"), Some("24"), false),
            now()
        )
        .is_empty());
    }

    #[test]
    fn passes_when_the_hard_decline_was_on_another_card() {
        let plan = plan(ProviderKind::Clover);
        let mut history = declined_with(&plan, Some("43"), None, true);
        history.attempts[0].card_id = CardId(99);
        assert!(check(&plan, &history, now()).is_empty());
    }

    #[test]
    fn refuses_after_the_providers_hard_decline() {
        let plan = plan(ProviderKind::Clover);
        let v = check(
            &plan,
            &declined_with(&plan, Some("expired_card"), None, true),
            now(),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].reason,
            "card ending 4242 was declined on 2026-11-10 with a hard decline, code expired_card; \
             it must not be charged again"
        );
        assert_eq!(v[0].allowed_after, None, "never");
    }

    #[test]
    fn refuses_after_every_visa_category_1_code() {
        let plan = plan(ProviderKind::ProcessOut);
        for code in [
            "04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3",
        ] {
            let v = check(&plan, &declined_with(&plan, Some(code), None, false), now());
            assert_eq!(
                v.len(),
                1,
                "{code} must block even when the provider called it soft"
            );
            assert!(
                v[0].reason.contains(&format!("Visa response code {code}")),
                "{}",
                v[0].reason
            );
        }
    }

    #[test]
    fn refuses_after_mastercard_advice_03_and_21() {
        let mut plan = plan(ProviderKind::ProcessOut);
        plan.card.brand = CardBrand::Mastercard;
        for (advice, words) in [
            ("03", "do not try again"),
            ("21", "the cardholder cancelled"),
        ] {
            let v = check(
                &plan,
                &declined_with(&plan, Some("05"), Some(advice), false),
                now(),
            );
            assert_eq!(v.len(), 1, "MAC {advice}");
            assert!(v[0].reason.contains(words), "{}", v[0].reason);
        }
        assert!(
            check(&plan, &declined_with(&plan, Some("14"), None, false), now()).is_empty(),
            "Visa's category list is Visa's"
        );
    }

    #[test]
    fn a_declined_state_is_required() {
        let plan = plan(ProviderKind::Clover);
        let mut history = declined_with(&plan, Some("43"), None, true);
        history.attempts[0].state = ChargeState::Failed;
        assert!(
            check(&plan, &history, now()).is_empty(),
            "a failed request never reached the issuer"
        );
    }
}
