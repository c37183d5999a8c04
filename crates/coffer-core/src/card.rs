//! A stored card: only the provider's token and the display fields. Coffer never holds a full
//! card number or a CVV; the types here have no place for one.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::ids::{CardId, CardToken, CustomerId, MerchantId, ProviderRef};
use crate::money::Money;

/// The card scheme, as far as Coffer needs to tell them apart.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CardBrand {
    /// Visa.
    Visa,
    /// Mastercard.
    Mastercard,
    /// Maestro.
    Maestro,
    /// American Express.
    Amex,
    /// Discover.
    Discover,
    /// Diners Club.
    DinersClub,
    /// JCB.
    Jcb,
    /// UnionPay.
    UnionPay,
    /// Mir (Russia).
    Mir,
    /// Belkart (Belarus).
    Belkart,
    /// Any other scheme, by the provider's name for it.
    Other(String),
}

impl CardBrand {
    /// Reads a provider's brand name leniently ("VISA", "visa", "MC", "American Express").
    pub fn from_name(name: &str) -> CardBrand {
        let key: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        match key.as_str() {
            "visa" | "visaelectron" => CardBrand::Visa,
            "mastercard" | "mc" => CardBrand::Mastercard,
            "maestro" => CardBrand::Maestro,
            "amex" | "americanexpress" => CardBrand::Amex,
            "discover" => CardBrand::Discover,
            "diners" | "dinersclub" => CardBrand::DinersClub,
            "jcb" => CardBrand::Jcb,
            "unionpay" | "cup" | "chinaunionpay" => CardBrand::UnionPay,
            "mir" => CardBrand::Mir,
            "belkart" => CardBrand::Belkart,
            _ => CardBrand::Other(name.trim().to_string()),
        }
    }

    /// The display and storage name.
    pub fn name(&self) -> &str {
        match self {
            CardBrand::Visa => "visa",
            CardBrand::Mastercard => "mastercard",
            CardBrand::Maestro => "maestro",
            CardBrand::Amex => "amex",
            CardBrand::Discover => "discover",
            CardBrand::DinersClub => "diners_club",
            CardBrand::Jcb => "jcb",
            CardBrand::UnionPay => "unionpay",
            CardBrand::Mir => "mir",
            CardBrand::Belkart => "belkart",
            CardBrand::Other(name) => name,
        }
    }
}

impl fmt::Display for CardBrand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The last four digits of the card number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Last4(String);

impl Last4 {
    /// Exactly four ASCII digits.
    pub fn new(value: &str) -> Result<Last4, InvalidInput> {
        if value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Last4(value.to_string()))
        } else {
            Err(InvalidInput::new(
                "last4",
                format!("'{value}' must be exactly 4 digits"),
            ))
        }
    }

    /// The four digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Last4 {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Last4::new(&s)
    }
}

impl From<Last4> for String {
    fn from(l: Last4) -> String {
        l.0
    }
}

/// The bank identification number: the first 6 to 8 digits of the card number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Bin(String);

impl Bin {
    /// 6 to 8 ASCII digits.
    pub fn new(value: &str) -> Result<Bin, InvalidInput> {
        if (6..=8).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Bin(value.to_string()))
        } else {
            Err(InvalidInput::new(
                "bin",
                format!("'{value}' must be 6 to 8 digits"),
            ))
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Bin {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Bin::new(&s)
    }
}

impl From<Bin> for String {
    fn from(b: Bin) -> String {
        b.0
    }
}

/// A card's expiry: a year and month. The card is valid through the last day of that month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CardExpiry {
    /// Four-digit year.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
}

impl CardExpiry {
    /// Validates month 1–12 and a plausible four-digit year; a two-digit year is read as 20YY.
    pub fn new(year: i32, month: u32) -> Result<CardExpiry, InvalidInput> {
        if !(1..=12).contains(&month) {
            return Err(InvalidInput::new(
                "exp_month",
                format!("{month} must be between 1 and 12"),
            ));
        }
        let year = if (0..100).contains(&year) {
            2000 + year
        } else {
            year
        };
        if !(2000..=2199).contains(&year) {
            return Err(InvalidInput::new(
                "exp_year",
                format!("{year} is not a plausible expiry year"),
            ));
        }
        Ok(CardExpiry { year, month })
    }

    /// The last day on which the card can be charged.
    pub fn last_day(&self) -> NaiveDate {
        let (y, m) = if self.month == 12 {
            (self.year + 1, 1)
        } else {
            (self.year, self.month + 1)
        };
        NaiveDate::from_ymd_opt(y, m, 1)
            .and_then(|first_of_next| first_of_next.pred_opt())
            .unwrap_or(NaiveDate::MAX)
    }

    /// `true` once `date` is after the last day of the expiry month.
    pub fn is_expired_on(&self, date: NaiveDate) -> bool {
        date > self.last_day()
    }

    /// `true` when the card expires within `days` of `date` but has not yet.
    pub fn expires_within(&self, date: NaiveDate, days: i64) -> bool {
        !self.is_expired_on(date) && (self.last_day() - date).num_days() <= days
    }

    /// The first day of the expiry month, for range queries.
    pub fn month_start(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    /// The expiry of a card whose last valid day is `date`'s month.
    pub fn of_date(date: NaiveDate) -> CardExpiry {
        CardExpiry {
            year: date.year(),
            month: date.month(),
        }
    }
}

impl fmt::Display for CardExpiry {
    /// "MM/YYYY".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}/{}", self.month, self.year)
    }
}

/// The cardholder's agreement that the merchant may charge the stored card later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// When the cardholder agreed.
    pub given_at: DateTime<Utc>,
    /// The terms text they agreed to, as shown to them.
    pub terms: String,
}

/// What an initial transaction registered at the provider, which decides whether later
/// merchant-initiated charges may point to it.
///
/// Assist keeps two different things apart (providers/assist.md §3.2): a One Click card is a
/// token for cardholder-initiated Token Pay payments, saved by an order that carried
/// `CustomerNumber`; a recurring series is registered by an order that carried
/// `RecurringIndicator=1` and its limits, and `rp.cfm` charges against that order's
/// BillNumber. Assist's One Click page says `CustomerNumber` must not be sent together with the
/// recurring parameters, so one order is never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InitialKind {
    /// It registered the card for merchant-initiated charges, which point to it: the first
    /// cardholder-initiated charge of Clover and ProcessOut, Svea's pay+tokenize, an Assist
    /// order registered as recurring (its BillNumber is rp.cfm's `BillNumber`).
    #[default]
    Recurring,
    /// A One Click payment with a saved-card token (Assist Token Pay). It registered no
    /// recurring terms, so no merchant-initiated charge can point to it: the cardholder must
    /// make a new initial on the provider's payment page (re-enroll).
    OneClick,
}

impl InitialKind {
    /// The storage and display name.
    pub fn as_str(self) -> &'static str {
        match self {
            InitialKind::Recurring => "recurring",
            InitialKind::OneClick => "one_click",
        }
    }

    /// Reads a stored name.
    pub fn parse(text: &str) -> Result<InitialKind, InvalidInput> {
        match text {
            "recurring" => Ok(InitialKind::Recurring),
            "one_click" => Ok(InitialKind::OneClick),
            other => Err(InvalidInput::new(
                "initial_kind",
                format!("'{other}' is not 'recurring' or 'one_click'"),
            )),
        }
    }
}

/// The initial cardholder-initiated transaction that every later merchant-initiated charge must
/// point to (Clover `ref_num`, ProcessOut transaction id, Assist `billnumber`, Svea `pmt_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InitialTransaction {
    /// The provider's reference of the initial transaction.
    pub reference: ProviderRef,
    /// Its amount, when there was one: Svea caps later charges at it.
    pub amount: Option<Money>,
    /// When it was made.
    pub at: DateTime<Utc>,
    /// What it registered: only a [`InitialKind::Recurring`] initial links merchant-initiated
    /// charges.
    #[serde(default)]
    pub kind: InitialKind,
    /// The recurring series it registered with the provider, where the provider registers one
    /// and it is known (Assist's `Recurring*` fields, from an imported card's file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registered: Option<RegisteredSeries>,
}

/// The recurring series an initial transaction registered with the provider (Assist's
/// `RecurringMinAmount`, `RecurringMaxAmount`, `RecurringPeriod`, `RecurringMaxDate`): the
/// provider declines a later charge outside it, so a contract on the card must fit inside.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredSeries {
    /// Smallest amount a charge may take.
    pub min_amount: Option<Money>,
    /// Largest amount a charge may take.
    pub max_amount: Option<Money>,
    /// Days between charges.
    pub period_days: Option<u32>,
    /// The last day a charge may be made.
    pub end: Option<NaiveDate>,
}

/// A stored card as Coffer knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// Coffer's id.
    pub id: CardId,
    /// The merchant account that holds the card; no other may charge it.
    pub merchant_id: MerchantId,
    /// The customer the card belongs to.
    pub customer_id: CustomerId,
    /// The provider's token.
    pub token: CardToken,
    /// Scheme.
    pub brand: CardBrand,
    /// Last four digits.
    pub last4: Last4,
    /// First 6–8 digits, when the provider gives them.
    pub bin: Option<Bin>,
    /// Issuing bank, when known.
    pub bank: Option<String>,
    /// Expiry month.
    pub expiry: CardExpiry,
    /// `false` once the provider no longer lists the card, or after a hard decline.
    pub active: bool,
    /// The provider says the card needs a CVC for the next charge.
    pub needs_cvc: bool,
    /// The cardholder's consent to merchant-initiated charges.
    pub consent: Option<Consent>,
    /// The initial cardholder-initiated transaction.
    pub initial: Option<InitialTransaction>,
    /// The provider's card art (an image address), when it gives one: display only, never
    /// card data.
    pub art_url: Option<String>,
    /// A payment card, or an alternative payment method saved as a token (ProcessOut APM).
    #[serde(default)]
    pub method: PaymentMethod,
    /// Whether Coffer still charges it: the owner may stop using it, or delete it at the
    /// provider. Coffer's own decision; a sync never changes it.
    #[serde(default)]
    pub usage: CardUse,
}

/// What a stored credential is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PaymentMethod {
    /// A payment card: brand, last4 and expiry are the card's.
    #[default]
    Card,
    /// An alternative payment method saved as a token (a ProcessOut APM token such as PayPal):
    /// it has no last4 and no expiry of its own.
    Apm {
        /// The method's name as the provider shows it ("PayPal").
        name: String,
        /// The provider lets the merchant charge it without the holder present.
        merchant_initiated: bool,
    },
}

/// Whether Coffer still charges a card. Stopping and deleting are two different acts: a stopped
/// card stays at the provider (the merchant's web shop may still use it); a removed one was
/// deleted at the provider too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state", content = "at")]
pub enum CardUse {
    /// Coffer charges it.
    #[default]
    InUse,
    /// The owner stopped using it in Coffer at this instant; it stays at the provider.
    Stopped(DateTime<Utc>),
    /// The owner deleted it at the provider at this instant.
    Removed(DateTime<Utc>),
}

impl CardUse {
    /// The storage and CLI name: `in_use`, `stopped`, `removed`.
    pub fn as_str(self) -> &'static str {
        match self {
            CardUse::InUse => "in_use",
            CardUse::Stopped(_) => "stopped",
            CardUse::Removed(_) => "removed",
        }
    }

    /// When it stopped being used, if it did.
    pub fn since(self) -> Option<DateTime<Utc>> {
        match self {
            CardUse::InUse => None,
            CardUse::Stopped(at) | CardUse::Removed(at) => Some(at),
        }
    }

    /// Reads the stored name and instant.
    pub fn parse(state: &str, at: Option<DateTime<Utc>>) -> Result<CardUse, InvalidInput> {
        let missing = || InvalidInput::new("use_changed_at", format!("'{state}' needs its date"));
        match state {
            "in_use" => Ok(CardUse::InUse),
            "stopped" => Ok(CardUse::Stopped(at.ok_or_else(missing)?)),
            "removed" => Ok(CardUse::Removed(at.ok_or_else(missing)?)),
            other => Err(InvalidInput::new(
                "use_state",
                format!("'{other}' is not 'in_use', 'stopped' or 'removed'"),
            )),
        }
    }

    /// Why Coffer charges it no more, in a store owner's words; `None` while in use.
    pub fn refusal(self, label: &str) -> Option<String> {
        match self {
            CardUse::InUse => None,
            CardUse::Stopped(at) => Some(format!(
                "{label} was stopped on {}: Coffer charges it no more (it stays at the provider)",
                at.format("%Y-%m-%d")
            )),
            CardUse::Removed(at) => Some(format!(
                "{label} was deleted at the provider on {}: it cannot be charged again",
                at.format("%Y-%m-%d")
            )),
        }
    }
}

impl Card {
    /// How the owner names it: "card ending 4242", or the method's name for an APM token
    /// ("PayPal account").
    pub fn label(&self) -> String {
        match &self.method {
            PaymentMethod::Card => format!("card ending {}", self.last4.as_str()),
            PaymentMethod::Apm { name, .. } => format!("{name} account"),
        }
    }

    /// Ready for merchant-initiated charges: consent given and an initial transaction known
    /// that links them ([`InitialKind::Recurring`]).
    pub fn is_mit_ready(&self) -> bool {
        self.consent.is_some()
            && self
                .initial
                .as_ref()
                .is_some_and(|i| i.kind == InitialKind::Recurring)
    }

    /// Why the card must be enrolled again before any merchant-initiated charge, in a store
    /// owner's words: its initial is a One Click payment, which registered no recurring terms.
    /// `None` when it needs no new enrollment for that reason.
    pub fn reenroll_reason(&self) -> Option<String> {
        let initial = self.initial.as_ref()?;
        (initial.kind == InitialKind::OneClick).then(|| {
            format!(
                "card ending {}: its initial payment {} was a One Click (Token Pay) payment, which \
                 registers no recurring terms, so merchant-initiated charges cannot point to it; \
                 re-enroll the card: the cardholder makes a new initial payment on the \
                 provider's payment page with the recurring terms (Assist RecurringIndicator=1)",
                self.last4.as_str(),
                initial.reference
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn expiry_month_must_be_1_to_12() {
        assert_eq!(CardExpiry::new(2027, 0).unwrap_err().field, "exp_month");
        assert_eq!(CardExpiry::new(2027, 13).unwrap_err().field, "exp_month");
        assert_eq!(
            CardExpiry::new(27, 5).unwrap().year,
            2027,
            "two-digit years are 20YY"
        );
        assert_eq!(CardExpiry::new(1899, 5).unwrap_err().field, "exp_year");
    }

    #[test]
    fn card_is_valid_through_the_last_day_of_its_month() {
        let feb = CardExpiry::new(2028, 2).unwrap();
        assert_eq!(feb.last_day(), day(2028, 2, 29), "2028 is a leap year");
        assert!(!feb.is_expired_on(day(2028, 2, 29)));
        assert!(feb.is_expired_on(day(2028, 3, 1)));
        let dec = CardExpiry::new(2026, 12).unwrap();
        assert_eq!(dec.last_day(), day(2026, 12, 31));
        assert!(dec.expires_within(day(2026, 11, 23), 60));
        assert!(!dec.expires_within(day(2026, 6, 1), 60));
    }

    #[test]
    fn last4_and_bin_are_digit_strings_of_fixed_length() {
        assert!(Last4::new("4242").is_ok());
        assert_eq!(Last4::new("424").unwrap_err().field, "last4");
        assert_eq!(Last4::new("42a2").unwrap_err().field, "last4");
        assert!(Bin::new("424242").is_ok());
        assert!(Bin::new("42424242").is_ok());
        assert_eq!(Bin::new("42424").unwrap_err().field, "bin");
        assert_eq!(Bin::new("424242424").unwrap_err().field, "bin");
    }

    #[test]
    fn brand_names_are_read_leniently() {
        assert_eq!(CardBrand::from_name("VISA"), CardBrand::Visa);
        assert_eq!(CardBrand::from_name("MC"), CardBrand::Mastercard);
        assert_eq!(CardBrand::from_name("American Express"), CardBrand::Amex);
        assert_eq!(CardBrand::from_name("Elo"), CardBrand::Other("Elo".into()));
        let json = serde_json::to_string(&CardBrand::Other("Elo".into())).unwrap();
        assert_eq!(json, r#"{"other":"Elo"}"#);
    }

    #[test]
    fn a_one_click_initial_needs_re_enrollment_and_a_recurring_one_does_not() {
        let at = DateTime::parse_from_rfc3339("2026-10-01T09:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let mut card = Card {
            id: CardId(1),
            merchant_id: MerchantId(1),
            customer_id: CustomerId(1),
            token: CardToken("9b1f0c7e-2d4a-4c1e-8f3a-5a6b7c8d9e01".into()),
            brand: CardBrand::Belkart,
            last4: Last4::new("0028").unwrap(),
            bin: None,
            bank: None,
            expiry: CardExpiry::new(2029, 5).unwrap(),
            active: true,
            needs_cvc: false,
            consent: Some(Consent {
                given_at: at,
                terms: "monthly".into(),
            }),
            initial: Some(InitialTransaction {
                reference: ProviderRef("1100000000410123".into()),
                amount: None,
                at,
                kind: InitialKind::Recurring,
                registered: None,
            }),
            art_url: None,
            method: PaymentMethod::Card,
            usage: CardUse::InUse,
        };
        assert!(
            card.is_mit_ready(),
            "a recurring-registered initial links MITs"
        );
        assert_eq!(card.reenroll_reason(), None);
        card.initial.as_mut().unwrap().kind = InitialKind::OneClick;
        assert!(
            !card.is_mit_ready(),
            "a One Click initial registered no recurring terms"
        );
        let why = card.reenroll_reason().expect("flagged re-enroll");
        assert!(
            why.contains("1100000000410123") && why.contains("re-enroll"),
            "the reason names the initial and what to do: {why}"
        );
        for kind in [InitialKind::Recurring, InitialKind::OneClick] {
            assert_eq!(InitialKind::parse(kind.as_str()).unwrap(), kind);
        }
        assert!(InitialKind::parse("token").is_err());
        for usage in [CardUse::InUse, CardUse::Stopped(at), CardUse::Removed(at)] {
            assert_eq!(
                CardUse::parse(usage.as_str(), usage.since()).unwrap(),
                usage
            );
        }
        assert!(
            CardUse::parse("stopped", None).is_err(),
            "a stop has its date"
        );
        assert_eq!(card.label(), "card ending 0028");
        card.method = PaymentMethod::Apm {
            name: "PayPal".into(),
            merchant_initiated: true,
        };
        assert_eq!(
            card.label(),
            "PayPal account",
            "an APM has no last4 to show"
        );
        let old: InitialTransaction =
            serde_json::from_str(r#"{"reference":"R1","amount":null,"at":"2026-10-01T09:30:00Z"}"#)
                .unwrap();
        assert_eq!(
            old.kind,
            InitialKind::Recurring,
            "a serialized initial from before the kinds reads as before"
        );
    }
}
