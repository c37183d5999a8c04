//! Money as integer minor units plus an ISO 4217 currency.
//!
//! There is no float anywhere on this path: amounts are parsed from and formatted to decimal
//! strings digit by digit, so "568,10" (Svea), "4.99" (Assist) and 1099 cents (Clover) all meet
//! in one exact `Money`. Each provider client picks its wire format once, at its edge.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;

/// An ISO 4217 currency Coffer knows, with its minor-unit exponent.
///
/// The list is closed on purpose: an unknown code is refused at the edge rather than guessed at,
/// because a wrong exponent moves money by a factor of 10 or 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
#[cfg_attr(feature = "specta", derive(specta::Type), specta(type = String))]
pub enum Currency {
    /// Euro.
    EUR,
    /// US dollar.
    USD,
    /// Pound sterling.
    GBP,
    /// Belarusian ruble.
    BYN,
    /// Russian ruble.
    RUB,
    /// Swedish krona.
    SEK,
    /// Norwegian krone.
    NOK,
    /// Danish krone.
    DKK,
    /// Polish złoty.
    PLN,
    /// Swiss franc.
    CHF,
    /// Canadian dollar.
    CAD,
    /// Australian dollar.
    AUD,
    /// Czech koruna.
    CZK,
    /// Kazakhstani tenge.
    KZT,
    /// Ukrainian hryvnia.
    UAH,
    /// Japanese yen (no minor unit).
    JPY,
    /// Icelandic króna (no minor unit).
    ISK,
    /// Kuwaiti dinar (three decimals).
    KWD,
    /// Bahraini dinar (three decimals).
    BHD,
}

impl Currency {
    /// Every currency Coffer knows, in a stable order.
    pub const ALL: [Currency; 19] = [
        Currency::EUR,
        Currency::USD,
        Currency::GBP,
        Currency::BYN,
        Currency::RUB,
        Currency::SEK,
        Currency::NOK,
        Currency::DKK,
        Currency::PLN,
        Currency::CHF,
        Currency::CAD,
        Currency::AUD,
        Currency::CZK,
        Currency::KZT,
        Currency::UAH,
        Currency::JPY,
        Currency::ISK,
        Currency::KWD,
        Currency::BHD,
    ];

    /// The ISO 4217 alphabetic code, upper case.
    pub fn code(self) -> &'static str {
        match self {
            Currency::EUR => "EUR",
            Currency::USD => "USD",
            Currency::GBP => "GBP",
            Currency::BYN => "BYN",
            Currency::RUB => "RUB",
            Currency::SEK => "SEK",
            Currency::NOK => "NOK",
            Currency::DKK => "DKK",
            Currency::PLN => "PLN",
            Currency::CHF => "CHF",
            Currency::CAD => "CAD",
            Currency::AUD => "AUD",
            Currency::CZK => "CZK",
            Currency::KZT => "KZT",
            Currency::UAH => "UAH",
            Currency::JPY => "JPY",
            Currency::ISK => "ISK",
            Currency::KWD => "KWD",
            Currency::BHD => "BHD",
        }
    }

    /// Number of decimal digits of the minor unit (ISO 4217 "exponent").
    pub fn exponent(self) -> u32 {
        match self {
            Currency::JPY | Currency::ISK => 0,
            Currency::KWD | Currency::BHD => 3,
            _ => 2,
        }
    }

    /// Parses a code case-insensitively ("eur" is how Clover writes it on the wire).
    pub fn from_code(code: &str) -> Result<Currency, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        Currency::ALL
            .into_iter()
            .find(|c| c.code() == upper)
            .ok_or(MoneyError::UnknownCurrency(code.to_string()))
    }

    fn scale(self) -> i64 {
        10_i64.pow(self.exponent())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::from_code(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Currency::from_code(&s)
    }
}

impl From<Currency> for String {
    fn from(c: Currency) -> String {
        c.code().to_string()
    }
}

/// Why an amount or currency could not be read or computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing to parse.
    #[error("is empty")]
    Empty,
    /// A character that is not a digit or the one decimal separator.
    #[error("'{input}' is not a decimal amount: unexpected '{found}'")]
    BadCharacter {
        /// The whole input.
        input: String,
        /// The first character that does not belong.
        found: char,
    },
    /// A sign where the amount must be unsigned.
    #[error("'{0}' must not carry a sign")]
    SignNotAllowed(String),
    /// More fraction digits than the currency has.
    #[error("'{input}' has {found} decimals but {currency} allows at most {allowed}")]
    TooManyDecimals {
        /// The whole input.
        input: String,
        /// How many fraction digits were given.
        found: usize,
        /// The currency's exponent.
        allowed: u32,
        /// The currency.
        currency: Currency,
    },
    /// The separator has no digits on one side, or there are two.
    #[error("'{0}' is not a decimal amount: digits must stand on both sides of one separator")]
    Malformed(String),
    /// The amount does not fit in 64-bit minor units.
    #[error("'{0}' is too large")]
    Overflow(String),
    /// Not an ISO 4217 code Coffer knows.
    #[error("'{0}' is not a supported ISO 4217 currency code")]
    UnknownCurrency(String),
    /// Arithmetic across two currencies.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(Currency, Currency),
}

impl MoneyError {
    /// Attaches the field name, for errors shown to a user.
    pub fn in_field(self, field: &str) -> InvalidInput {
        InvalidInput::new(field, self)
    }
}

/// Whether a parsed amount may be negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sign {
    /// Only `0` and up; any `+` or `-` is an error.
    Unsigned,
    /// A leading `-` (or `+`) is accepted.
    Signed,
}

/// An exact amount: integer minor units of one currency.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in the currency's minor unit (cents for EUR, yen for JPY, fils for KWD).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// Wraps minor units.
    pub const fn from_minor(minor: i64, currency: Currency) -> Money {
        Money { minor, currency }
    }

    /// Parses an unsigned decimal amount, "12.34" or "568,10" alike.
    pub fn parse(input: &str, currency: Currency) -> Result<Money, MoneyError> {
        Money::parse_with_sign(input, currency, Sign::Unsigned)
    }

    /// Parses a decimal amount with '.' or ',' as the separator, exactly.
    ///
    /// Fewer decimals than the currency allows are padded ("29" EUR is 2900 cents); more are an
    /// error, never rounded. Surrounding white space is ignored; thousands separators are not
    /// accepted because "1,234" is ambiguous between them and a decimal comma.
    pub fn parse_with_sign(
        input: &str,
        currency: Currency,
        sign: Sign,
    ) -> Result<Money, MoneyError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        let (negative, body) = match text.as_bytes()[0] {
            b'-' | b'+' if sign == Sign::Unsigned => {
                return Err(MoneyError::SignNotAllowed(input.to_string()))
            }
            b'-' => (true, &text[1..]),
            b'+' => (false, &text[1..]),
            _ => (false, text),
        };
        if let Some(found) = body
            .chars()
            .find(|c| !c.is_ascii_digit() && *c != '.' && *c != ',')
        {
            return Err(MoneyError::BadCharacter {
                input: input.to_string(),
                found,
            });
        }
        let mut parts = body.split(['.', ',']);
        let whole = parts.next().unwrap_or_default();
        let fraction = parts.next();
        if parts.next().is_some() || whole.is_empty() || fraction.is_some_and(str::is_empty) {
            return Err(MoneyError::Malformed(input.to_string()));
        }
        let fraction = fraction.unwrap_or("");
        let allowed = currency.exponent();
        if fraction.len() > allowed as usize {
            return Err(MoneyError::TooManyDecimals {
                input: input.to_string(),
                found: fraction.len(),
                allowed,
                currency,
            });
        }
        let overflow = || MoneyError::Overflow(input.to_string());
        let mut minor: i64 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(digit - b'0')))
                .ok_or_else(overflow)?;
        }
        for _ in fraction.len()..allowed as usize {
            minor = minor.checked_mul(10).ok_or_else(overflow)?;
        }
        Ok(Money {
            minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// Formats with exactly the currency's number of decimals: "12.34", "568,10", "100" (JPY).
    pub fn to_decimal(&self, separator: char) -> String {
        let exponent = self.currency.exponent();
        let scale = self.currency.scale().unsigned_abs();
        let abs = self.minor.unsigned_abs();
        let sign = if self.minor < 0 { "-" } else { "" };
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let width = exponent as usize;
        format!("{sign}{}{separator}{:0width$}", abs / scale, abs % scale)
    }

    /// Like [`Money::to_decimal`] but drops an all-zero fraction: "29" rather than "29.00".
    pub fn to_decimal_trimmed(&self, separator: char) -> String {
        if self.minor % self.currency.scale() == 0 {
            let sign = if self.minor < 0 { "-" } else { "" };
            format!(
                "{sign}{}",
                (self.minor / self.currency.scale()).unsigned_abs()
            )
        } else {
            self.to_decimal(separator)
        }
    }

    /// "99,999,999.00 USD": [`Money::to_decimal`] with its whole part grouped by thousands, for
    /// the confirmations where an extra digit must stand out.
    pub fn grouped(&self) -> String {
        let plain = self.to_decimal('.');
        let (sign, unsigned) = match plain.strip_prefix('-') {
            Some(rest) => ("-", rest),
            None => ("", plain.as_str()),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (unsigned, None),
        };
        let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
        for (i, digit) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        match fraction {
            Some(f) => format!("{sign}{grouped}.{f} {}", self.currency),
            None => format!("{sign}{grouped} {}", self.currency),
        }
    }

    /// `true` when above zero.
    pub fn is_positive(&self) -> bool {
        self.minor > 0
    }

    /// Adds two amounts of one currency; `None`-free errors for mismatch or overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_add(other.minor)
            .map(|minor| Money::from_minor(minor, self.currency))
            .ok_or_else(|| MoneyError::Overflow(format!("{self} + {other}")))
    }

    /// Subtracts two amounts of one currency.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        self.minor
            .checked_sub(other.minor)
            .map(|minor| Money::from_minor(minor, self.currency))
            .ok_or_else(|| MoneyError::Overflow(format!("{self} - {other}")))
    }

    fn same_currency(&self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    /// "12.34 EUR": the form used in messages to a store owner.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal('.'), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur(s: &str) -> Result<Money, MoneyError> {
        Money::parse(s, Currency::EUR)
    }

    #[test]
    fn groups_the_whole_part_by_thousands() {
        let usd = |minor| Money::from_minor(minor, Currency::USD).grouped();
        assert_eq!(
            usd(9_999_999_900),
            "99,999,999.00 USD",
            "the issue's amount"
        );
        assert_eq!(usd(100_000), "1,000.00 USD");
        assert_eq!(usd(99_999), "999.99 USD", "no separator below a thousand");
        assert_eq!(usd(-123_456_789), "-1,234,567.89 USD");
        assert_eq!(
            Money::from_minor(1_500_000, Currency::JPY).grouped(),
            "1,500,000 JPY"
        );
    }

    #[test]
    fn reads_both_decimal_separators_exactly() {
        assert_eq!(eur("568,10").unwrap().minor, 56810, "Svea's decimal comma");
        assert_eq!(eur("4.99").unwrap().minor, 499, "Assist's point");
        assert_eq!(eur("29").unwrap().minor, 2900, "a whole amount is padded");
        assert_eq!(eur("0.5").unwrap().minor, 50, "one decimal means tenths");
        assert_eq!(Money::parse("1500", Currency::JPY).unwrap().minor, 1500);
        assert_eq!(Money::parse("1.234", Currency::KWD).unwrap().minor, 1234);
    }

    #[test]
    fn refuses_more_decimals_than_the_currency_has() {
        let err = eur("1.234").unwrap_err();
        assert!(
            err.to_string()
                .contains("3 decimals but EUR allows at most 2"),
            "message names the rule: {err}"
        );
        assert!(matches!(
            Money::parse("100.5", Currency::JPY),
            Err(MoneyError::TooManyDecimals { allowed: 0, .. })
        ));
    }

    #[test]
    fn refuses_empty_signed_malformed_and_huge_input() {
        assert_eq!(eur("  "), Err(MoneyError::Empty));
        assert!(matches!(eur("-1.00"), Err(MoneyError::SignNotAllowed(_))));
        assert!(matches!(eur("+1.00"), Err(MoneyError::SignNotAllowed(_))));
        assert!(matches!(eur("1.2.3"), Err(MoneyError::Malformed(_))));
        assert!(matches!(eur(".50"), Err(MoneyError::Malformed(_))));
        assert!(matches!(eur("12."), Err(MoneyError::Malformed(_))));
        assert!(matches!(
            eur("1 000"),
            Err(MoneyError::BadCharacter { found: ' ', .. })
        ));
        assert!(matches!(
            eur("12e3"),
            Err(MoneyError::BadCharacter { found: 'e', .. })
        ));
        assert!(matches!(
            eur("99999999999999999999"),
            Err(MoneyError::Overflow(_))
        ));
        assert!(matches!(
            eur("92233720368547758.08"),
            Err(MoneyError::Overflow(_))
        ));
        assert_eq!(eur("92233720368547758.07").unwrap().minor, i64::MAX);
    }

    #[test]
    fn accepts_a_sign_only_when_asked() {
        let m = Money::parse_with_sign("-5,00", Currency::EUR, Sign::Signed).unwrap();
        assert_eq!(m.minor, -500);
        assert_eq!(m.to_decimal(','), "-5,00", "Svea's discount rows");
    }

    #[test]
    fn formats_with_the_currency_exponent() {
        assert_eq!(
            Money::from_minor(56810, Currency::EUR).to_decimal(','),
            "568,10"
        );
        assert_eq!(Money::from_minor(5, Currency::EUR).to_decimal('.'), "0.05");
        assert_eq!(
            Money::from_minor(1500, Currency::JPY).to_decimal('.'),
            "1500"
        );
        assert_eq!(Money::from_minor(1, Currency::KWD).to_decimal('.'), "0.001");
        assert_eq!(
            Money::from_minor(2900, Currency::BYN).to_decimal_trimmed('.'),
            "29"
        );
        assert_eq!(
            Money::from_minor(499, Currency::BYN).to_decimal_trimmed('.'),
            "4.99"
        );
        assert_eq!(
            Money::from_minor(1234, Currency::USD).to_string(),
            "12.34 USD"
        );
        assert_eq!(
            Money::from_minor(i64::MIN, Currency::EUR).to_decimal('.'),
            "-92233720368547758.08"
        );
    }

    #[test]
    fn currency_codes_are_case_insensitive_and_closed() {
        assert_eq!(Currency::from_code("eur").unwrap(), Currency::EUR);
        assert!(Currency::from_code("XXX").is_err());
        let json = serde_json::to_string(&Money::from_minor(100, Currency::SEK)).unwrap();
        assert_eq!(json, r#"{"minor":100,"currency":"SEK"}"#);
    }

    #[test]
    fn arithmetic_is_checked() {
        let a = Money::from_minor(i64::MAX, Currency::EUR);
        assert!(a.checked_add(Money::from_minor(1, Currency::EUR)).is_err());
        assert!(matches!(
            a.checked_sub(Money::from_minor(1, Currency::USD)),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    proptest! {
        #[test]
        fn format_then_parse_is_identity(minor in 0i64..=i64::MAX, idx in 0usize..Currency::ALL.len(), comma: bool) {
            let currency = Currency::ALL[idx];
            let money = Money::from_minor(minor, currency);
            let sep = if comma { ',' } else { '.' };
            prop_assert_eq!(Money::parse(&money.to_decimal(sep), currency), Ok(money));
            prop_assert_eq!(Money::parse(&money.to_decimal_trimmed(sep), currency), Ok(money));
        }

        #[test]
        fn signed_round_trip(minor in (i64::MIN + 1)..=i64::MAX, idx in 0usize..Currency::ALL.len()) {
            let currency = Currency::ALL[idx];
            let money = Money::from_minor(minor, currency);
            prop_assert_eq!(Money::parse_with_sign(&money.to_decimal('.'), currency, Sign::Signed), Ok(money));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,30}", idx in 0usize..Currency::ALL.len()) {
            let _ = Money::parse_with_sign(&s, Currency::ALL[idx], Sign::Signed);
        }

        #[test]
        fn parse_then_format_keeps_digits(whole in 0u64..1_000_000_000, frac in 0u32..100) {
            let text = format!("{whole}.{frac:02}");
            prop_assert_eq!(Money::parse(&text, Currency::EUR).unwrap().to_decimal('.'), text);
        }
    }
}
