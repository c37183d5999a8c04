//! IPS Assist: a recurring series registers its bounds on the initial order
//! (`RecurringMinAmount`..`RecurringMaxAmount`, `RecurringPeriod` in days, `RecurringMaxDate`),
//! and Assist counts the period from the initial order, so the first charge waits one period.
//! Assist lists no customers: Coffer keeps the register. Each live account has its own server.

use serde::{Deserialize, Serialize};

use super::ProviderKind;
use super::{
    non_empty, AccountField, AccountIds, Capabilities, ProviderRules, RegisteredCap, TermsCheck,
};
use crate::error::InvalidInput;
use crate::violation::RuleId;

/// Assist: merchant id and login; the password is the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AssistAccount {
    /// `Merchant_ID`.
    pub merchant_id: String,
    /// `Login`.
    pub login: String,
}

impl AccountIds for AssistAccount {
    fn account_id(&self) -> &str {
        &self.merchant_id
    }

    fn validate(&self) -> Result<(), InvalidInput> {
        non_empty("merchant_id", &self.merchant_id)?;
        if !self.merchant_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(InvalidInput::new(
                "merchant_id",
                "Assist Merchant_ID is a number",
            ));
        }
        non_empty("login", &self.login)
    }
}

/// The longest period Assist's three-digit `RecurringPeriod` can carry, in days.
pub const MAX_PERIOD_DAYS: u32 = 999;

/// Assist's entry of [`super::rules`].
pub static RULES: ProviderRules = ProviderRules {
    kind: ProviderKind::Assist,
    label: "Assist",
    capabilities: Capabilities {
        lists_customers: false,
        hosted_card_page: false,
        needs_buyer_address: false,
        has_regions: false,
        own_host: true,
        advance_notice_required: false,
        deletes_saved_cards: false,
        enrollment: crate::enrollment::EnrollmentReach::CounterAndLink {
            link_page: "Assist's payment page (pay/order.cfm) with the recurring registration",
            returns_to: "URL_RETURN_OK / URL_RETURN_NO: the merchant's return page for links (the app window at the counter); Coffer confirms the order by its OrderNumber with orderresult, never by the return",
        },
    },
    account_fields: &[
        AccountField {
            key: "merchant_id",
            label: "Merchant_ID",
            required: true,
            default: "",
        },
        AccountField {
            key: "login",
            label: "Login",
            required: true,
            default: "",
        },
    ],
    own_rules: &[RuleId::AssistBounds, RuleId::AssistRecurringInitial],
    // `assist_bounds` checks the same bounds under the names Assist registered them with;
    // running both would report one problem twice.
    replaced_rules: &[RuleId::ContractAmount],
    registered_cap: Some(RegisteredCap::RegisteredMax {
        name: "Assist's registered RecurringMaxAmount",
    }),
    amount_range_names: Some("Assist RecurringMinAmount..RecurringMaxAmount"),
    first_charge_after_one_period: true,
    check_terms,
    // Assist publishes no numbers (notes §7, open question 6).
    rate_limit: None,
};

/// A series Assist can register: a minimum, an end date and a period that fits its field.
fn check_terms(check: &TermsCheck<'_>) -> Vec<InvalidInput> {
    let terms = check.terms;
    let mut problems = Vec::new();
    let (min, _) = terms.amount.bounds();
    if min.is_none() {
        problems.push(InvalidInput::new(
            "min_amount",
            "Assist needs a minimum amount (RecurringMinAmount)",
        ));
    }
    if terms.end.is_none() {
        problems.push(InvalidInput::new(
            "end",
            "Assist needs an end date for the series (RecurringMaxDate)",
        ));
    }
    let period = terms.frequency.min_gap_days();
    if let (true, Some(registered)) = (check.new, check.registered) {
        problems.extend(outside_registered_series(terms, period, registered));
    }
    if period > MAX_PERIOD_DAYS {
        problems.push(InvalidInput::new(
            "frequency",
            format!(
                "a period of {period} days does not fit Assist's three-digit \
                 RecurringPeriod (at most {MAX_PERIOD_DAYS})"
            ),
        ));
    }
    problems
}

/// A new contract on a card whose initial registered its series (an imported card) must fit
/// inside it: Assist declines a later charge outside the registered limits.
fn outside_registered_series(
    terms: &crate::contract::NewContractTerms,
    period: u32,
    registered: &crate::card::RegisteredSeries,
) -> Vec<InvalidInput> {
    let mut problems = Vec::new();
    let (min, max) = terms.amount.bounds();
    if let (Some(min), Some(floor)) = (min, registered.min_amount) {
        if min.minor < floor.minor {
            problems.push(InvalidInput::new(
                "min_amount",
                format!(
                    "{min} is below the RecurringMinAmount {floor} the card's initial registered"
                ),
            ));
        }
    }
    if let Some(ceiling) = registered.max_amount {
        if max.minor > ceiling.minor {
            problems.push(InvalidInput::new(
                "amount",
                format!(
                    "{max} is above the RecurringMaxAmount {ceiling} the card's initial registered"
                ),
            ));
        }
    }
    if let Some(days) = registered.period_days {
        if period < days {
            problems.push(InvalidInput::new(
                "frequency",
                format!(
                    "charges {period} days apart are closer than the RecurringPeriod of {days} \
                     days the card's initial registered"
                ),
            ));
        }
    }
    if let (Some(end), Some(last)) = (terms.end, registered.end) {
        if end > last {
            problems.push(InvalidInput::new(
                "end",
                format!("{end} is after the RecurringMaxDate {last} the card's initial registered"),
            ));
        }
    }
    problems
}
