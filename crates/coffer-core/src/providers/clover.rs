//! Clover Ecommerce (Fiserv): lists its customers, links a later charge to the initial one by
//! `ref_num`, and has regions. No contract checks or charge rules of its own.

use serde::{Deserialize, Serialize};

use super::ProviderKind;
use super::{
    no_terms_checks, non_empty, AccountField, AccountIds, Capabilities, ProviderRules, RateLimit,
};
use crate::error::InvalidInput;

/// Clover: the merchant UUID of one location; the PAKMS `apikey` is public, not a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CloverAccount {
    /// The 13-character merchant id (mId).
    pub merchant_uuid: String,
    /// The public PAKMS key used for card tokenization, when known.
    #[serde(default)]
    pub pakms_key: Option<String>,
}

impl AccountIds for CloverAccount {
    fn account_id(&self) -> &str {
        &self.merchant_uuid
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        non_empty("merchant_uuid", &self.merchant_uuid)
    }
}

/// Clover's entry of [`super::rules`].
pub static RULES: ProviderRules = ProviderRules {
    kind: ProviderKind::Clover,
    label: "Clover",
    capabilities: Capabilities {
        lists_customers: true,
        hosted_card_page: false,
        needs_buyer_address: false,
        has_regions: true,
        own_host: false,
        advance_notice_required: false,
        deletes_saved_cards: true,
        enrollment: crate::enrollment::EnrollmentReach::CounterOnly {
            // docs.clover.com "Iframe—Create a payment form" (the iframe is mounted by sdk.js in
            // the merchant's own page) and "Create a Hosted Checkout session request" (sessions
            // expire 15 minutes after creation; the request carries a customer and a
            // shoppingCart, and no Clover page found, 2026-12-06, offers to save the card or
            // returns a token for later charges).
            why: "Clover's card fields are its hosted iframe (opened with the merchant's PAKMS key), which must sit in a page the merchant hosts: Coffer hosts it in an app window, so the cardholder types the card at the counter. Clover's own Hosted Checkout page pays one order, and Clover documents no way for it to save the card for later merchant-initiated charges, so it cannot be sent as an enrollment link",
        },
    },
    account_fields: &[
        AccountField {
            key: "merchant_uuid",
            label: "Merchant id (mId)",
            required: true,
            default: "",
        },
        AccountField {
            key: "pakms_key",
            label: "PAKMS key (public)",
            required: false,
            default: "",
        },
    ],
    own_rules: &[],
    replaced_rules: &[],
    registered_cap: None,
    amount_range_names: None,
    first_charge_after_one_period: false,
    check_terms: no_terms_checks,
    rate_limit: Some(RateLimit {
        // Clover's Platform REST API rate limits, per token (our notes §1 "Rate limits":
        // 16 requests/s and 5 concurrent; the same assumed for the Ecommerce host, Inferred).
        per_second: 16,
        concurrent: 5,
    }),
};
