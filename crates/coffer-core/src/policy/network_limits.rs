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
//! - Checkout.com, "Visa response codes", last updated 26 February 2025,
//!   <https://checkout.com/docs/developer-resources/codes/visa-response-codes> (Visa's
//!   categories 1–4 and the codes in each; read 2026-12-04);
//! - TabaPay, "Visa Response Code Updates",
//!   <https://developers.tabapay.com/docs/visa-response-code-updates> (categories 2–4 share the
//!   same 20-in-30-days limit; R0/R1/R3 are category 1 stop-payment orders; read 2026-12-04).
//!
//! Figures as read on 2026-11-23 ([`CHECKED_ON`]); the category tables on 2026-12-04. Where a summary is looser than another
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

/// Visa category 2, "issuer cannot approve at this time": 03 invalid merchant, 19 re-enter, 51
/// insufficient funds, 59 suspected fraud, 61/65 withdrawal limits, 62 restricted card, 75 PIN
/// tries, 78 blocked first use, 91 issuer inoperative, 93 cannot complete, 96 system
/// malfunction, 5C blocked by issuer, 9G blocked by cardholder (Checkout.com, 2025-02-26).
pub const VISA_CATEGORY_2_CODES: [&str; 14] = [
    "03", "19", "51", "59", "61", "62", "65", "75", "78", "91", "93", "96", "5C", "9G",
];

/// Visa category 3, "data quality": revalidate the payment data before a retry (54 expired card,
/// 55 PIN, 6P verification data, 70 PIN required, 82 CVV, 1A authentication, N7 CVV2). As
/// commonly listed by processors; the excerpt of Checkout.com's page we read was cut before
/// this table, so verify on the next read.
pub const VISA_CATEGORY_3_CODES: [&str; 7] = ["54", "55", "6P", "70", "82", "1A", "N7"];

/// Visa's decline categories (DESIGN §3). Every response code not in categories 1–3 is in 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VisaCategory {
    /// 1: the issuer will never approve; never retried on that card.
    NeverApprove,
    /// 2: the issuer cannot approve at this time; retried within [`RETRY_LIMITS`].
    NotNow,
    /// 3: data quality; revalidate the payment data, then retried within [`RETRY_LIMITS`].
    DataQuality,
    /// 4: a generic response code (05 do not honor…); retried within [`RETRY_LIMITS`].
    Generic,
}

impl VisaCategory {
    /// The category of a Visa response code, compared trimmed and upper-cased.
    pub fn of_response_code(code: &str) -> VisaCategory {
        let code = code.trim().to_ascii_uppercase();
        let code = code.as_str();
        if VISA_NEVER_RETRY_CODES.contains(&code) {
            VisaCategory::NeverApprove
        } else if VISA_CATEGORY_2_CODES.contains(&code) {
            VisaCategory::NotNow
        } else if VISA_CATEGORY_3_CODES.contains(&code) {
            VisaCategory::DataQuality
        } else {
            VisaCategory::Generic
        }
    }

    /// Visa's number for the category, 1–4.
    pub fn number(self) -> u8 {
        match self {
            VisaCategory::NeverApprove => 1,
            VisaCategory::NotNow => 2,
            VisaCategory::DataQuality => 3,
            VisaCategory::Generic => 4,
        }
    }
}

/// What one provider decline code means in the networks' terms: one row of a provider's decline
/// table (`coffer-providers/src/<provider>/errors.rs`), which cites where each row comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeclineMeaning {
    /// The provider says never to retry the card (or Coffer chose so, where the table says why).
    pub hard: bool,
    /// The Visa category the code corresponds to. A provider code that names no network reason
    /// is [`VisaCategory::Generic`].
    pub visa_category: VisaCategory,
    /// The Mastercard merchant advice code the provider code implies (ProcessOut's
    /// `request.transaction-blocked` implies "03"), when it implies one.
    pub mastercard_advice: Option<&'static str>,
    /// The cardholder revoked the authorization (a stop-payment order): the contract's future
    /// charges end, not only this card's retries.
    pub stop_payment: bool,
}

impl DeclineMeaning {
    /// A soft decline that names no network reason: what a table assumes for a code it does not
    /// know, unless it says otherwise. Counted under [`RETRY_LIMITS`] like any decline.
    pub const UNKNOWN_SOFT: DeclineMeaning = DeclineMeaning {
        hard: false,
        visa_category: VisaCategory::Generic,
        mastercard_advice: None,
        stop_payment: false,
    };

    /// A soft decline in `category`.
    pub const fn soft(visa_category: VisaCategory) -> DeclineMeaning {
        DeclineMeaning {
            hard: false,
            visa_category,
            mastercard_advice: None,
            stop_payment: false,
        }
    }

    /// A hard decline in `category`.
    pub const fn hard(visa_category: VisaCategory) -> DeclineMeaning {
        DeclineMeaning {
            hard: true,
            visa_category,
            mastercard_advice: None,
            stop_payment: false,
        }
    }

    /// A stop-payment order by the cardholder: hard, Visa category 1 (R0/R1/R3) and Mastercard
    /// advice 21.
    pub const STOP_PAYMENT: DeclineMeaning = DeclineMeaning {
        hard: true,
        visa_category: VisaCategory::NeverApprove,
        mastercard_advice: Some(MASTERCARD_STOP_PAYMENT_ADVICE),
        stop_payment: true,
    };

    /// The meaning of a live network response code and advice code, when the provider passed
    /// them on: the networks' own words win over any provider table.
    pub fn of_network(
        brand: &CardBrand,
        network_code: Option<&str>,
        merchant_advice_code: Option<&str>,
    ) -> Option<DeclineMeaning> {
        let never = never_retry(brand, network_code, merchant_advice_code);
        let category = network_code.map(VisaCategory::of_response_code);
        if never.is_none() && category.is_none() && merchant_advice_code.is_none() {
            return None;
        }
        let stop = never.as_ref().is_some_and(|n| n.stops_contract);
        Some(DeclineMeaning {
            hard: never.is_some(),
            visa_category: category.unwrap_or(VisaCategory::Generic),
            mastercard_advice: merchant_advice_code.map(|a| a.trim()).and_then(|a| {
                MASTERCARD_NEVER_RETRY_ADVICE
                    .iter()
                    .copied()
                    .find(|m| *m == a)
            }),
            stop_payment: stop,
        })
    }
}

/// Everything known of one decline: the network's own codes when the provider passed them on,
/// and the meaning its provider table gives the provider's raw code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeclineSignals<'a> {
    /// The issuer's response code as the network sent it ("05", "R1"), when the provider passes
    /// it on.
    pub network_code: Option<&'a str>,
    /// Mastercard's merchant advice code ("03", "21"), when the provider passes it on.
    pub merchant_advice_code: Option<&'a str>,
    /// What the provider's table says its raw code means, when the provider is known.
    pub implied: Option<DeclineMeaning>,
}

/// Reads a decline from everything known of it: the network's codes first (the same reading as
/// [`never_retry`]), then what the provider's table implies — a stop-payment code, a code that
/// implies Mastercard advice 03/21, or one the table puts in Visa category 1 on a Visa card.
/// `Some` when no further attempt may go to the card.
pub fn never_retry_from(brand: &CardBrand, signals: &DeclineSignals<'_>) -> Option<NeverRetry> {
    if let Some(live) = never_retry(brand, signals.network_code, signals.merchant_advice_code) {
        return Some(live);
    }
    let implied = signals.implied?;
    if implied.stop_payment {
        return Some(NeverRetry {
            reason: "a provider code meaning the cardholder revoked the authorization".into(),
            stops_contract: true,
        });
    }
    if let Some(advice) = implied.mastercard_advice {
        if MASTERCARD_NEVER_RETRY_ADVICE.contains(&advice)
            && Network::of(brand) == Some(Network::Mastercard)
        {
            return Some(NeverRetry {
                reason: format!("a provider code meaning Mastercard merchant advice code {advice}"),
                stops_contract: advice == MASTERCARD_STOP_PAYMENT_ADVICE,
            });
        }
    }
    if implied.visa_category == VisaCategory::NeverApprove
        && Network::of(brand) == Some(Network::Visa)
    {
        return Some(NeverRetry {
            reason: "a provider code in Visa category 1 (the issuer will never approve)".into(),
            stops_contract: false,
        });
    }
    None
}

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

    #[test]
    fn every_visa_response_code_falls_in_exactly_one_category() {
        for code in VISA_NEVER_RETRY_CODES {
            assert_eq!(VisaCategory::of_response_code(code).number(), 1, "{code}");
        }
        for code in VISA_CATEGORY_2_CODES {
            assert_eq!(VisaCategory::of_response_code(code).number(), 2, "{code}");
        }
        for code in VISA_CATEGORY_3_CODES {
            assert_eq!(VisaCategory::of_response_code(code).number(), 3, "{code}");
        }
        assert_eq!(
            VisaCategory::of_response_code(" 05 ").number(),
            4,
            "do not honor is Visa's generic response code"
        );
        assert_eq!(
            VisaCategory::of_response_code("r1"),
            VisaCategory::NeverApprove,
            "codes arrive in varying case"
        );
    }

    #[test]
    fn a_providers_stop_payment_code_ends_the_contract_without_any_network_code() {
        let signals = DeclineSignals {
            implied: Some(DeclineMeaning::STOP_PAYMENT),
            ..DeclineSignals::default()
        };
        for brand in [CardBrand::Visa, CardBrand::Mastercard, CardBrand::Amex] {
            let stop = never_retry_from(&brand, &signals)
                .expect("a revoked authorization forbids every further charge, whatever the brand");
            assert!(stop.stops_contract, "the cardholder stopped the payments");
        }
    }

    #[test]
    fn live_network_codes_win_over_the_providers_table() {
        let soft_table = DeclineSignals {
            network_code: Some("R1"),
            merchant_advice_code: None,
            implied: Some(DeclineMeaning::UNKNOWN_SOFT),
        };
        let live = never_retry_from(&CardBrand::Visa, &soft_table)
            .expect("R1 from the network is a stop-payment order even if the provider said soft");
        assert!(
            live.reason.contains("Visa response code R1"),
            "{}",
            live.reason
        );
        assert!(live.stops_contract);
        let mac = DeclineSignals {
            merchant_advice_code: Some("03"),
            implied: Some(DeclineMeaning::UNKNOWN_SOFT),
            ..DeclineSignals::default()
        };
        let refused = never_retry_from(&CardBrand::Mastercard, &mac)
            .expect("MAC 03 forbids a retry whatever the provider's own code says");
        assert!(
            !refused.stops_contract,
            "03 is do-not-retry, not a cancellation"
        );
    }

    #[test]
    fn implied_network_meanings_apply_only_to_their_network() {
        let blocked = DeclineSignals {
            implied: Some(DeclineMeaning {
                mastercard_advice: Some("03"),
                ..DeclineMeaning::hard(VisaCategory::Generic)
            }),
            ..DeclineSignals::default()
        };
        assert!(
            never_retry_from(&CardBrand::Mastercard, &blocked).is_some(),
            "a code implying MAC 03 blocks a Mastercard"
        );
        assert!(
            never_retry_from(&CardBrand::Visa, &blocked).is_none(),
            "MAC 03 is Mastercard's advice; the provider's hard flag covers the Visa card"
        );
        let category_1 = DeclineSignals {
            implied: Some(DeclineMeaning::hard(VisaCategory::NeverApprove)),
            ..DeclineSignals::default()
        };
        assert!(never_retry_from(&CardBrand::Visa, &category_1).is_some());
        assert!(
            never_retry_from(&CardBrand::Mastercard, &category_1).is_none(),
            "Visa's categories are Visa's"
        );
    }

    #[test]
    fn an_unknown_soft_code_forbids_nothing_and_counts_under_the_limits() {
        let unknown = DeclineSignals {
            implied: Some(DeclineMeaning::UNKNOWN_SOFT),
            ..DeclineSignals::default()
        };
        assert_eq!(
            never_retry_from(&CardBrand::Visa, &unknown),
            None,
            "an unknown soft code is retried within the networks' limits, never forbidden"
        );
        assert_eq!(
            never_retry_from(&CardBrand::Visa, &DeclineSignals::default()),
            None,
            "nothing known, nothing forbidden"
        );
    }

    #[test]
    fn network_codes_read_as_a_meaning() {
        assert_eq!(
            DeclineMeaning::of_network(&CardBrand::Visa, Some("R3"), None),
            Some(DeclineMeaning {
                hard: true,
                visa_category: VisaCategory::NeverApprove,
                mastercard_advice: None,
                stop_payment: true,
            }),
            "R3 revokes all authorizations"
        );
        assert_eq!(
            DeclineMeaning::of_network(&CardBrand::Mastercard, Some("51"), Some("21")).map(|m| (
                m.hard,
                m.stop_payment,
                m.mastercard_advice
            )),
            Some((true, true, Some("21"))),
            "MAC 21 is the cardholder's cancellation"
        );
        assert_eq!(
            DeclineMeaning::of_network(&CardBrand::Visa, None, None),
            None,
            "no network code, no network meaning"
        );
    }
}
