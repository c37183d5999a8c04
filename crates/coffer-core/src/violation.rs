//! What a refused charge says: which rule, why in a store owner's words, and when (if ever) the
//! same charge becomes allowed.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The stable code of a policy rule, shown by the UI and the CLI and matched on by scripts.
/// Codes are never renamed; a new rule gets a new code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleId {
    /// A merchant-initiated charge needs the cardholder's consent and a link to the initial
    /// cardholder-initiated transaction.
    ConsentAndInitial,
    /// The card is active, not expired on the charge date, and chargeable without the cardholder.
    CardUsable,
    /// The card (and the contract) belong to the merchant account the charge goes out under.
    CardOfMerchant,
    /// The amount is above zero and in the merchant's currency.
    AmountValid,
    /// A contract charge pays an active, started, unended contract's open, due occurrence.
    ContractActive,
    /// A contract charge is the contract's fixed amount, or within its variable bounds.
    ContractAmount,
    /// The cardholder was told of a contract charge in time, with the same amount and date.
    NoticeSent,
    /// Svea: one recurring charge per card per calendar month, never above the original amount.
    SveaMonthly,
    /// Assist: within `RecurringMinAmount`..`RecurringMaxAmount`, `RecurringPeriod` days apart,
    /// not after `RecurringMaxDate`.
    AssistBounds,
    /// Assist: a merchant-initiated charge goes to rp.cfm only against an initial order
    /// registered as recurring, never against a One Click (Token Pay) order.
    AssistRecurringInitial,
    /// Never again after a hard decline, a Visa category-1 code or a Mastercard "do not retry".
    NoRetryAfterHardDecline,
    /// Declined re-attempts within the Visa and Mastercard limits.
    NetworkRetryLimits,
    /// No new charge while an earlier one of the card has no known outcome.
    NoUnsettledAttempt,
    /// Svea: the card holder's street address, postal code, city and country are on record, for
    /// the compulsory buyer and delivery fields of every payment.
    SveaBuyerAddress,
    /// A contract charge within what the cardholder consented to and what the card's initial
    /// transaction registered (Svea's original amount, Assist's `RecurringMaxAmount`).
    TermsConsented,
}

impl RuleId {
    /// Every rule, in the order `policy::check` runs them.
    pub const ALL: [RuleId; 15] = [
        RuleId::ConsentAndInitial,
        RuleId::CardUsable,
        RuleId::CardOfMerchant,
        RuleId::AmountValid,
        RuleId::ContractActive,
        RuleId::ContractAmount,
        RuleId::NoticeSent,
        RuleId::SveaMonthly,
        RuleId::AssistBounds,
        RuleId::AssistRecurringInitial,
        RuleId::NoRetryAfterHardDecline,
        RuleId::NetworkRetryLimits,
        RuleId::NoUnsettledAttempt,
        RuleId::SveaBuyerAddress,
        RuleId::TermsConsented,
    ];

    /// The snake_case code, the same as its JSON form.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::ConsentAndInitial => "consent_and_initial",
            RuleId::CardUsable => "card_usable",
            RuleId::CardOfMerchant => "card_of_merchant",
            RuleId::AmountValid => "amount_valid",
            RuleId::ContractActive => "contract_active",
            RuleId::ContractAmount => "contract_amount",
            RuleId::NoticeSent => "notice_sent",
            RuleId::SveaMonthly => "svea_monthly",
            RuleId::AssistBounds => "assist_bounds",
            RuleId::AssistRecurringInitial => "assist_recurring_initial",
            RuleId::NoRetryAfterHardDecline => "no_retry_after_hard_decline",
            RuleId::NetworkRetryLimits => "network_retry_limits",
            RuleId::NoUnsettledAttempt => "no_unsettled_attempt",
            RuleId::SveaBuyerAddress => "svea_buyer_address",
            RuleId::TermsConsented => "terms_consented",
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Violation {
    /// Which rule.
    pub rule: RuleId,
    /// Why, naming amounts and dates: "amount 120.00 EUR is above the contract's maximum of
    /// 100.00 EUR (Assist RecurringMaxAmount)".
    pub reason: String,
    /// When the same charge stops breaking this rule, if waiting is enough; `None` when it never
    /// will (or something other than time must change).
    pub allowed_after: Option<DateTime<Utc>>,
}

impl Violation {
    /// Whether the refusal stands for good: waiting does not cure it and no earlier attempt has
    /// to settle first. An unsettled attempt lifts its refusal once reconcile (or a person)
    /// settles it, and a charge above the consented terms once the owner records new consent
    /// or a new initial, so a due occurrence refused for those is judged again on a later run.
    pub fn is_final(&self) -> bool {
        self.allowed_after.is_none()
            && !matches!(
                self.rule,
                RuleId::NoUnsettledAttempt | RuleId::TermsConsented
            )
    }

    /// A violation that waiting does not cure.
    pub fn new(rule: RuleId, reason: impl Into<String>) -> Violation {
        Violation {
            rule,
            reason: reason.into(),
            allowed_after: None,
        }
    }

    /// Says from when the charge is allowed again as far as this rule goes.
    pub fn allowed_after(mut self, instant: DateTime<Utc>) -> Violation {
        self.allowed_after = Some(instant);
        self
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.reason)?;
        if let Some(at) = self.allowed_after {
            write!(f, " (allowed from {})", at.format("%Y-%m-%d %H:%M UTC"))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_codes_are_snake_case_and_match_their_json() {
        for rule in RuleId::ALL {
            let json = serde_json::to_string(&rule).unwrap();
            assert_eq!(json, format!("\"{}\"", rule.as_str()), "{rule:?}");
            let back: RuleId = serde_json::from_str(&json).unwrap();
            assert_eq!(back, rule);
        }
        assert_eq!(
            RuleId::NoRetryAfterHardDecline.as_str(),
            "no_retry_after_hard_decline"
        );
    }
}
