//! A merchant's notice lead time, judged when the merchant is saved: a provider that requires
//! the cardholder to be told before every recurring charge cannot have a live merchant with a
//! lead of 0 days (the notice and the charge would leave in the same run). Sandbox merchants
//! may: tests and demos charge the day they announce.

use crate::error::InvalidInput;
use crate::merchant::{Environment, ProviderKind};

/// Whether `provider`'s recurring charges need an advance notice to the cardholder (each
/// provider's entry of [`crate::providers`] says so, with its source).
pub fn advance_notice_required(provider: ProviderKind) -> bool {
    crate::providers::rules(provider)
        .capabilities
        .advance_notice_required
}

/// The shortest lead a live merchant of such a provider may have, in days.
pub const MIN_ADVANCE_NOTICE_DAYS: u32 = 1;

/// Refuses a lead time that leaves no advance notice where the provider requires one.
pub fn check_notice_lead(
    provider: ProviderKind,
    environment: Environment,
    lead_days: u32,
) -> Result<(), InvalidInput> {
    if environment == Environment::Live
        && advance_notice_required(provider)
        && lead_days < MIN_ADVANCE_NOTICE_DAYS
    {
        return Err(InvalidInput::new(
            "notice_lead_days",
            format!(
                "must be at least {MIN_ADVANCE_NOTICE_DAYS} day for a live {provider} merchant: \
                 {provider} requires the cardholder to be notified before each recurring charge, \
                 and a lead of 0 sends the notice and the charge in the same run"
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_svea_merchant_needs_a_day_of_notice() {
        let refused = check_notice_lead(ProviderKind::Svea, Environment::Live, 0)
            .expect_err("lead 0 on live Svea must be refused");
        assert_eq!(refused.field, "notice_lead_days", "names the field");
        assert!(
            refused.rule.contains("notified before each"),
            "says the rule: {refused}"
        );
        assert!(check_notice_lead(ProviderKind::Svea, Environment::Live, 1).is_ok());
    }

    #[test]
    fn sandbox_merchants_and_other_providers_may_charge_the_day_they_announce() {
        assert!(
            check_notice_lead(ProviderKind::Svea, Environment::Sandbox, 0).is_ok(),
            "sandbox tests use lead 0"
        );
        for provider in ProviderKind::ALL {
            if !advance_notice_required(provider) {
                assert!(
                    check_notice_lead(provider, Environment::Live, 0).is_ok(),
                    "{provider}"
                );
            }
        }
    }
}
