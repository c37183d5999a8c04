//! The card networks' retry rules, in one table so that a change of the rules is a change here.
//!
//! Source: processors' public summaries of the scheme rules, not the (non-public) scheme rule
//! books themselves:
//! - TabaPay, "Excessive Retry Rules", <https://developers.tabapay.com/docs/excessive-retry-rules>
//!   (Visa category 1 codes; Visa more than 20 declines in a rolling 30 days; Mastercard more than
//!   10 declines in a day and more than 35 in 30 days);
//! - Checkout.com, "Recommendation codes", last updated 15 October 2025,
//!   <https://www.checkout.com/docs/developer-resources/codes/recommendation-codes>
//!   (Mastercard merchant advice codes 03 "do not try again" and 21 "payment cancellation").
//!
//! Figures as read on 2026-11-23 ([`CHECKED_ON`]). Where a summary is looser than another
//! reading (TabaPay counts Mastercard's daily limit per calendar day), Coffer takes the stricter
//! one: a rolling 24 hours.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::card::CardBrand;
use crate::stored_credential::Initiator;

/// The day the figures below were last compared with their sources.
pub const CHECKED_ON: &str = "2026-11-23";

/// A card network whose retry rules Coffer applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// Visa.
    Visa,
    /// Mastercard, including Maestro.
    Mastercard,
}

impl Network {
    /// The network whose rules a card of `brand` is under; `None` for brands without published
    /// retry limits that Coffer knows of.
    pub fn of(brand: &CardBrand) -> Option<Network> {
        match brand {
            CardBrand::Visa => Some(Network::Visa),
            CardBrand::Mastercard | CardBrand::Maestro => Some(Network::Mastercard),
            _ => None,
        }
    }

    /// The name shown in messages.
    pub fn name(self) -> &'static str {
        match self {
            Network::Visa => "Visa",
            Network::Mastercard => "Mastercard",
        }
    }
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counting {
    /// Re-attempts after a decline: with `n` declines in the window, the next attempt is retry
    /// number `n`.
    Retries,
    /// Declined attempts: the next attempt may itself be declined, so it must leave room for one.
    DeclinedAttempts,
}

/// One retry limit of one network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryLimit {
    /// Whose rule.
    pub network: Network,
    /// The rolling window, in hours.
    pub window_hours: i64,
    /// The most retries or declined attempts the window may hold.
    pub max: u32,
    /// What `max` counts.
    pub counting: Counting,
    /// Counted separately for cardholder- and merchant-initiated attempts (Visa).
    pub per_initiator: bool,
}

/// Every retry limit, per card and merchant. A manual "charge now" counts like any other attempt.
pub const RETRY_LIMITS: [RetryLimit; 3] = [
    // Visa categories 2–4: at most 20 re-attempts in 30 days (15 under the rule before 2024),
    // counted separately for CIT and MIT.
    RetryLimit {
        network: Network::Visa,
        window_hours: 30 * 24,
        max: 20,
        counting: Counting::Retries,
        per_initiator: true,
    },
    // Mastercard: no more than 10 declined attempts in 24 hours…
    RetryLimit {
        network: Network::Mastercard,
        window_hours: 24,
        max: 10,
        counting: Counting::DeclinedAttempts,
        per_initiator: false,
    },
    // …nor 35 in 30 days.
    RetryLimit {
        network: Network::Mastercard,
        window_hours: 30 * 24,
        max: 35,
        counting: Counting::DeclinedAttempts,
        per_initiator: false,
    },
];

/// Visa category 1, "issuer will never approve": never retried on that card.
pub const VISA_NEVER_RETRY_CODES: [&str; 12] = [
    "04", "07", "12", "14", "15", "41", "43", "46", "57", "R0", "R1", "R3",
];

/// The Visa codes by which the cardholder stopped the payments (stop payment order, revocation of
/// one or all authorizations): the contract's future charges end too.
pub const VISA_STOP_PAYMENT_CODES: [&str; 3] = ["R0", "R1", "R3"];

/// Mastercard merchant advice codes that forbid a retry: 03 "do not try again", 21 "payment
/// cancelled by the cardholder".
pub const MASTERCARD_NEVER_RETRY_ADVICE: [&str; 2] = ["03", "21"];

/// The Mastercard advice code by which the cardholder cancelled the recurring payments.
pub const MASTERCARD_STOP_PAYMENT_ADVICE: &str = "21";

impl RetryLimit {
    /// The window as a duration.
    pub fn window(&self) -> Duration {
        Duration::hours(self.window_hours)
    }

    /// How many declines the window may already hold with one more attempt still allowed.
    pub fn max_prior_declines(&self) -> u32 {
        match self.counting {
            Counting::Retries => self.max,
            Counting::DeclinedAttempts => self.max.saturating_sub(1),
        }
    }

    /// Whether the limit counts a decline of `initiator` against an attempt by `planned`.
    pub fn counts(&self, initiator: Initiator, planned: Initiator) -> bool {
        !self.per_initiator || initiator == planned
    }

    /// `None` when one more attempt at `now` stays within the limit; otherwise the instant from
    /// which it does, when enough of `declines` have left the rolling window.
    pub fn refused_until(
        &self,
        declines: &[DateTime<Utc>],
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let window = self.window();
        let mut recent: Vec<DateTime<Utc>> = declines
            .iter()
            .copied()
            .filter(|at| *at > now - window)
            .collect();
        let allowed = usize::try_from(self.max_prior_declines()).unwrap_or(usize::MAX);
        if recent.len() <= allowed {
            return None;
        }
        recent.sort_unstable();
        // The window must lose `len - allowed` declines; the last of them to go is this one.
        let must_expire = recent.len() - allowed;
        recent.get(must_expire - 1).map(|at| *at + window)
    }

    /// "20 retries in 30 days", for messages.
    pub fn describe(&self) -> String {
        let what = match self.counting {
            Counting::Retries => "retries",
            Counting::DeclinedAttempts => "declined attempts",
        };
        format!("{} {what} in {}", self.max, self.window_words())
    }

    /// "30 days" or "24 hours", for messages.
    pub fn window_words(&self) -> String {
        if self.window_hours > 24 && self.window_hours % 24 == 0 {
            format!("{} days", self.window_hours / 24)
        } else {
            format!("{} hours", self.window_hours)
        }
    }
}

/// Why an earlier decline forbids any further attempt on the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeverRetry {
    /// In a store owner's words.
    pub reason: String,
    /// The cardholder stopped the payments: the contract's future charges end as well.
    pub stops_contract: bool,
}

/// Reads an earlier decline's codes: `Some` when the network forbids ever retrying the card.
/// Codes are compared trimmed and upper-cased, since providers pass them on in varying case.
pub fn never_retry(
    brand: &CardBrand,
    decline_code: Option<&str>,
    merchant_advice_code: Option<&str>,
) -> Option<NeverRetry> {
    let normal = |code: &str| code.trim().to_ascii_uppercase();
    if let Some(advice) = merchant_advice_code.map(normal) {
        if MASTERCARD_NEVER_RETRY_ADVICE.contains(&advice.as_str()) {
            let stops = advice == MASTERCARD_STOP_PAYMENT_ADVICE;
            let meaning = if stops {
                "the cardholder cancelled the payments"
            } else {
                "do not try again"
            };
            return Some(NeverRetry {
                reason: format!("Mastercard merchant advice code {advice} ({meaning})"),
                stops_contract: stops,
            });
        }
    }
    if Network::of(brand) == Some(Network::Visa) {
        if let Some(code) = decline_code.map(normal) {
            if VISA_NEVER_RETRY_CODES.contains(&code.as_str()) {
                let stops = VISA_STOP_PAYMENT_CODES.contains(&code.as_str());
                let meaning = if stops {
                    "the cardholder stopped the payments"
                } else {
                    "the issuer will never approve this card"
                };
                return Some(NeverRetry {
                    reason: format!("Visa response code {code} ({meaning})"),
                    stops_contract: stops,
                });
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, day, hour, 0, 0).unwrap()
    }

    #[test]
    fn the_table_holds_the_published_figures() {
        let visa: Vec<_> = RETRY_LIMITS
            .iter()
            .filter(|l| l.network == Network::Visa)
            .collect();
        assert_eq!(visa.len(), 1);
        assert_eq!(visa[0].describe(), "20 retries in 30 days");
        assert!(visa[0].per_initiator, "Visa counts CIT and MIT apart");
        let mc: Vec<String> = RETRY_LIMITS
            .iter()
            .filter(|l| l.network == Network::Mastercard)
            .map(RetryLimit::describe)
            .collect();
        assert_eq!(
            mc,
            vec![
                "10 declined attempts in 24 hours",
                "35 declined attempts in 30 days"
            ]
        );
    }

    #[test]
    fn a_limit_refuses_only_past_its_count_and_says_when_it_frees_up() {
        let mc_day = RETRY_LIMITS[1];
        let nine: Vec<_> = (0..9).map(|h| at(20, h)).collect();
        assert_eq!(
            mc_day.refused_until(&nine, at(20, 12)),
            None,
            "a 10th attempt is fine"
        );
        let ten: Vec<_> = (0..10).map(|h| at(20, h)).collect();
        assert_eq!(
            mc_day.refused_until(&ten, at(20, 12)),
            Some(at(21, 0)),
            "an 11th decline would break the limit; the oldest leaves the window at 00:00 next day"
        );
        assert_eq!(
            mc_day.refused_until(&ten, at(21, 0)),
            None,
            "at that instant it has left"
        );
    }

    #[test]
    fn codes_that_forbid_a_retry_are_recognised() {
        let stolen = never_retry(&CardBrand::Visa, Some("43"), None).unwrap();
        assert!(!stolen.stops_contract);
        let stop = never_retry(&CardBrand::Visa, Some("r1"), None).unwrap();
        assert!(stop.stops_contract, "R1 is a revocation by the cardholder");
        assert!(
            never_retry(&CardBrand::Visa, Some("05"), None).is_none(),
            "05 is soft"
        );
        let cancelled = never_retry(&CardBrand::Mastercard, Some("05"), Some("21")).unwrap();
        assert!(cancelled.stops_contract);
        assert!(never_retry(&CardBrand::Mastercard, Some("05"), Some("24")).is_none());
    }
}
