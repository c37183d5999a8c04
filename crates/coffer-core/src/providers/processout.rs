//! ProcessOut: lists its customers; each charge is an invoice captured with the customer token.
//! No contract checks or charge rules of its own.

use serde::{Deserialize, Serialize};

use super::ProviderKind;
use super::{no_terms_checks, non_empty, AccountField, AccountIds, Capabilities, ProviderRules};
use crate::error::InvalidInput;

/// ProcessOut: the project whose secret key authenticates the calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProcessOutAccount {
    /// `proj_…`.
    pub project_id: String,
}

impl AccountIds for ProcessOutAccount {
    fn account_id(&self) -> &str {
        &self.project_id
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        non_empty("project_id", &self.project_id)
    }
}

/// ProcessOut's entry of [`super::rules`].
pub static RULES: ProviderRules = ProviderRules {
    kind: ProviderKind::ProcessOut,
    label: "ProcessOut",
    capabilities: Capabilities {
        lists_customers: true,
        hosted_card_page: false,
        needs_buyer_address: false,
        has_regions: false,
        own_host: false,
        advance_notice_required: false,
        deletes_saved_cards: true,
        enrollment: crate::enrollment::EnrollmentReach::CounterOnly {
            why: "ProcessOut.js tokenizes the card inside a page the merchant hosts: Coffer hosts it in an app window, so the cardholder types the card at the counter",
        },
    },
    account_fields: &[AccountField {
        key: "project_id",
        label: "Project id (proj_…)",
        required: true,
        default: "",
    }],
    own_rules: &[],
    replaced_rules: &[],
    registered_cap: None,
    amount_range_names: None,
    first_charge_after_one_period: false,
    check_terms: no_terms_checks,
    // ProcessOut limits a project by a GCRA bucket whose numbers no source we hold gives
    // (notes: the x-ratelimit headers); its 429s are honoured as they come.
    rate_limit: None,
};
