//! Svea Payments: one recurring charge per card per calendar month, never above the original
//! payment amount, in EUR only; every payment carries the buyer's address; the cardholder is
//! told before each recurring charge; the first payment goes through Svea's card page. Svea
//! lists no customers: Coffer keeps the register.

use serde::{Deserialize, Serialize};

use super::ProviderKind;
use super::{
    non_empty, AccountField, AccountIds, Capabilities, ProviderRules, RegisteredCap, TermsCheck,
};
use crate::contract::Frequency;
use crate::error::InvalidInput;
use crate::money::Currency;
use crate::violation::RuleId;

/// Svea: seller id and the generation of the secret key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SveaAccount {
    /// `pmt_sellerid`.
    pub seller_id: String,
    /// `pmt_keygeneration`, three digits, "001" by default.
    pub key_generation: String,
}

impl AccountIds for SveaAccount {
    fn account_id(&self) -> &str {
        &self.seller_id
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        non_empty("seller_id", &self.seller_id)?;
        let generation = &self.key_generation;
        if generation.len() != 3 || !generation.chars().all(|c| c.is_ascii_digit()) {
            return Err(InvalidInput::new(
                "key_generation",
                format!("'{generation}' must be three digits, such as 001"),
            ));
        }
        Ok(())
    }
}

/// Svea's entry of [`super::rules`].
pub static RULES: ProviderRules = ProviderRules {
    kind: ProviderKind::Svea,
    label: "Svea",
    capabilities: Capabilities {
        lists_customers: false,
        hosted_card_page: true,
        needs_buyer_address: true,
        has_regions: false,
        own_host: false,
        // "The cardholder must be notified before each charge" (Svea's recurring rules,
        // shared/providers/svea.md §5).
        advance_notice_required: true,
        deletes_saved_cards: false,
        enrollment: crate::enrollment::EnrollmentReach::CounterAndLink {
            link_page: "Svea's payment page (pmt_paymenturl of NewPaymentExtended 4304, pay and tokenize; TokenizeExtended 4504 for zero)",
            returns_to: "pmt_okreturn / pmt_errorreturn / pmt_cancelreturn: the merchant's return page for links. Coffer confirms the payment with a status query; Svea masks the token there, so the card's token comes with the return: for a link, paste the address the cardholder landed on",
        },
    },
    account_fields: &[
        AccountField {
            key: "seller_id",
            label: "Seller id",
            required: true,
            default: "",
        },
        AccountField {
            key: "key_generation",
            label: "Key generation",
            required: true,
            default: "001",
        },
    ],
    own_rules: &[RuleId::SveaMonthly, RuleId::SveaBuyerAddress],
    replaced_rules: &[],
    registered_cap: Some(RegisteredCap::OriginalAmount {
        name: "Svea's original payment amount",
    }),
    amount_range_names: None,
    first_charge_after_one_period: false,
    check_terms,
    // No source we hold gives Svea's rate limits.
    rate_limit: None,
};

/// A series Svea accepts: a known original amount not below the maximum, EUR, and at most one
/// charge per calendar month.
fn check_terms(check: &TermsCheck<'_>) -> Vec<InvalidInput> {
    let terms = check.terms;
    let currency = check.currency;
    let (_, max) = terms.amount.bounds();
    let mut problems = Vec::new();
    match check.original {
        None => problems.push(InvalidInput::new(
            "original_amount",
            "Svea never charges a token above its original payment amount, so the \
             original amount must be known",
        )),
        Some(original)
            if check.new && original.currency == max.currency && max.minor > original.minor =>
        {
            problems.push(InvalidInput::new(
                "amount",
                format!(
                    "{max} is above the original payment amount of {original}; Svea \
                     refuses recurring charges above it"
                ),
            ))
        }
        Some(_) => {}
    }
    if currency != Currency::EUR {
        problems.push(InvalidInput::new(
            "amount",
            format!("Svea charges only in EUR, not {currency}"),
        ));
    }
    // Two due dates in one calendar month are at most 30 days apart, so an interval of
    // 31 days or more is the shortest that can never put two charges in one month.
    if let Frequency::EveryDays { days } = terms.frequency {
        if days < 31 {
            problems.push(InvalidInput::new(
                "frequency.days",
                format!(
                    "every {days} days can fall twice in one calendar month, and Svea \
                     allows one recurring charge per card per month; use 31 days or more"
                ),
            ));
        }
    }
    problems
}
