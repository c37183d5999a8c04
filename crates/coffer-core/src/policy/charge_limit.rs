//! The owner's second look at a large manual charge (issue 21): each merchant may name an amount
//! above which a charge "by hand" must be confirmed again. Not a network rule: a typo guard
//! (99,999,999.00 typed for 99.00), so it lives beside the rules and not in [`super::RULES`],
//! and the engine enforces it whatever the UI shows.

use crate::money::{Currency, Money};

/// A new merchant's limit, in major units of its currency: 1,000.00 USD or EUR, ¥1,000, and so
/// on. Chosen, not sourced: above a typical card-on-file one-off of a small shop, far below the
/// typo that lets an extra few digits through. The owner changes it in Settings or with
/// `coffer merchant edit --confirm-above`.
pub const DEFAULT_CONFIRM_ABOVE_MAJOR: i64 = 1_000;

/// [`DEFAULT_CONFIRM_ABOVE_MAJOR`] in `currency`.
pub fn default_confirm_above(currency: Currency) -> Money {
    Money::from_minor(
        DEFAULT_CONFIRM_ABOVE_MAJOR.saturating_mul(10_i64.pow(currency.exponent())),
        currency,
    )
}

/// Whether `amount` needs the second confirmation under `limit`: strictly above it, so a
/// charge of exactly the limit goes with the first. Another currency than the limit's is always
/// above (a merchant charges in one currency; a mismatch is never waved through).
pub fn needs_confirmation(amount: Money, limit: Option<Money>) -> bool {
    match limit {
        None => false,
        Some(limit) if limit.currency != amount.currency => true,
        Some(limit) => amount.minor > limit.minor,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_a_thousand_in_any_currency() {
        assert_eq!(default_confirm_above(Currency::USD).minor, 100_000);
        assert_eq!(default_confirm_above(Currency::JPY).minor, 1_000);
        assert_eq!(default_confirm_above(Currency::KWD).minor, 1_000_000);
    }

    #[test]
    fn only_an_amount_above_the_limit_asks_again() {
        let limit = Some(Money::from_minor(100_000, Currency::USD));
        let usd = |minor| Money::from_minor(minor, Currency::USD);
        assert!(
            !needs_confirmation(usd(100_000), limit),
            "the limit itself goes"
        );
        assert!(
            needs_confirmation(usd(100_001), limit),
            "one cent above asks"
        );
        assert!(
            needs_confirmation(usd(9_999_999_900), limit),
            "the issue's typo"
        );
        assert!(
            !needs_confirmation(usd(9_999_999_900), None),
            "no limit set"
        );
        assert!(
            needs_confirmation(Money::from_minor(1, Currency::EUR), limit),
            "another currency is never compared as if it were the limit's"
        );
    }
}
