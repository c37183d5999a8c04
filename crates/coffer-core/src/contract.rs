//! A recurring agreement on one card, and its occurrences (the due charges).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::card::Card;
use crate::error::InvalidInput;
use crate::ids::{CardId, ContractId, MerchantId};
use crate::money::{Currency, Money};

/// How much each occurrence charges.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AmountRule {
    /// The same amount every time.
    Fixed {
        /// The amount.
        amount: Money,
    },
    /// A varying amount within bounds (Assist `RecurringMinAmount`..`RecurringMaxAmount`).
    Variable {
        /// The smallest allowed amount, where the provider has one.
        min: Option<Money>,
        /// The largest allowed amount.
        max: Money,
    },
}

impl AmountRule {
    /// The currency of the rule's amounts.
    pub fn currency(&self) -> Currency {
        match self {
            AmountRule::Fixed { amount } => amount.currency,
            AmountRule::Variable { max, .. } => max.currency,
        }
    }

    /// Checks amounts are positive, of one currency and `min <= max`.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        match self {
            AmountRule::Fixed { amount } if !amount.is_positive() => Err(InvalidInput::new(
                "amount",
                format!("{amount} must be above zero"),
            )),
            AmountRule::Fixed { .. } => Ok(()),
            AmountRule::Variable { min, max } => {
                if !max.is_positive() {
                    return Err(InvalidInput::new(
                        "max_amount",
                        format!("{max} must be above zero"),
                    ));
                }
                if let Some(min) = min {
                    if min.currency != max.currency {
                        return Err(InvalidInput::new(
                            "min_amount",
                            "must be in the same currency as max_amount",
                        ));
                    }
                    if min.minor <= 0 || min.minor > max.minor {
                        return Err(InvalidInput::new(
                            "min_amount",
                            format!("{min} must be above zero and not above the maximum {max}"),
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

/// How often the contract charges.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Frequency {
    /// Every month on `day` (1–31); in shorter months, on their last day.
    Monthly {
        /// Day of month.
        day: u32,
    },
    /// Every year on `month`/`day`; 29 February falls on 28 February in common years.
    Yearly {
        /// Month 1–12.
        month: u32,
        /// Day of month.
        day: u32,
    },
    /// Every `days` days from the start date.
    EveryDays {
        /// The interval, at least 1.
        days: u32,
    },
}

/// Where a contract stands.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractStatus {
    /// Charges as scheduled.
    Active,
    /// No charges until resumed.
    Paused,
    /// Stopped by the cardholder or merchant; no charge after it.
    Cancelled,
    /// Past its end date.
    Ended,
}

/// A recurring agreement on one card.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// Coffer's id.
    pub id: ContractId,
    /// The merchant account that charges.
    pub merchant_id: MerchantId,
    /// The card charged.
    pub card_id: CardId,
    /// Amount per occurrence.
    pub amount: AmountRule,
    /// The amount of the initial transaction; Svea never charges above it.
    pub original_amount: Option<Money>,
    /// Schedule.
    pub frequency: Frequency,
    /// First possible due date.
    pub start: NaiveDate,
    /// Last possible due date.
    pub end: Option<NaiveDate>,
    /// Status.
    pub status: ContractStatus,
    /// When the cardholder accepted the terms.
    pub terms_accepted_at: DateTime<Utc>,
    /// When the contract confirmation went to the cardholder.
    pub confirmation_sent_at: Option<DateTime<Utc>>,
    /// The most one charge may take that the cardholder consented to (at `terms_accepted_at`).
    /// A change of terms above it is not charged until new consent is recorded. `None` in terms
    /// kept before Coffer recorded it: those terms were the consented ones.
    #[serde(default)]
    pub consented_max: Option<Money>,
    /// The most one charge may take that the card's initial transaction registered with the
    /// provider, where the provider keeps such a cap apart from the original amount: Assist's
    /// `RecurringMaxAmount`. Above it new consent is not enough: the card needs a new initial
    /// transaction. (Svea's cap is [`Contract::original_amount`].)
    #[serde(default)]
    pub registered_max: Option<Money>,
}

impl Contract {
    /// The most the cardholder agreed one charge may take: the consented maximum, else (terms
    /// kept before it was recorded) the contract's own maximum.
    pub fn consented_up_to(&self) -> Money {
        self.consented_max.unwrap_or_else(|| self.amount.bounds().1)
    }
}

/// Why a contract charge waits for the cardholder after a change of its terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermsWait {
    /// Above the cap the card's initial transaction registered: only a new initial transaction
    /// at the new terms lifts it.
    NewInitial {
        /// The cap.
        cap: Money,
        /// The provider's name for it.
        name: &'static str,
    },
    /// Above what the cardholder consented to: recording new consent lifts it.
    NewConsent {
        /// What the cardholder consented to.
        consented: Money,
    },
}

impl TermsWait {
    /// The reason, in a store owner's words, for a charge of `amount` under `contract`.
    pub fn reason(&self, contract: ContractId, amount: Money) -> String {
        match self {
            TermsWait::NewInitial { cap, name } => format!(
                "new initial transaction needed: the card's initial transaction registered \
                 charges up to {cap} ({name}), contract {contract} now charges {amount}; new \
                 consent is not enough: the cardholder must make a new initial payment at the \
                 new terms before this charge"
            ),
            TermsWait::NewConsent { consented } => format!(
                "new consent needed: consented up to {consented}, contract {contract} now charges \
                 {amount}; record the cardholder's consent to the changed terms first"
            ),
        }
    }
}

/// Where one due charge stands.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OccurrenceState {
    /// Not yet charged.
    Scheduled,
    /// Charged successfully; never charged again.
    Charged,
    /// Declined; may be retried within the networks' limits.
    Declined,
    /// Cancelled by the cardholder or merchant.
    Cancelled,
    /// Refused by policy.
    Refused,
}

/// One due charge of a contract.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Occurrence {
    /// The contract.
    pub contract_id: ContractId,
    /// 1-based number within the contract; with the contract, the unique key of the charge.
    pub number: u32,
    /// The merchant-local date it is due.
    pub due: NaiveDate,
    /// The amount announced and charged.
    pub amount: Money,
    /// The owner set this occurrence's amount (a varying contract); otherwise it is the
    /// contract's own.
    pub amount_set: bool,
    /// When the pre-charge notice went out.
    pub notice_sent_at: Option<DateTime<Utc>>,
    /// Where it stands.
    pub state: OccurrenceState,
}

impl AmountRule {
    /// The smallest and largest amount one occurrence may charge: a fixed amount is both.
    pub fn bounds(&self) -> (Option<Money>, Money) {
        match self {
            AmountRule::Fixed { amount } => (Some(*amount), *amount),
            AmountRule::Variable { min, max } => (*min, *max),
        }
    }

    /// The smallest and largest amount one occurrence may charge, where a contract without an
    /// agreed minimum still charges at least one minor unit.
    pub fn range(&self) -> (Money, Money) {
        let (min, max) = self.bounds();
        (min.unwrap_or(Money::from_minor(1, max.currency)), max)
    }
}

impl Frequency {
    /// Checks the numbers: a day of month 1–31, a real month/day (29 February allowed), and an
    /// interval of at least one day, since an interval of zero would never advance.
    pub fn validate(&self) -> Result<(), InvalidInput> {
        match *self {
            Frequency::Monthly { day } if !(1..=31).contains(&day) => Err(InvalidInput::new(
                "frequency.day",
                format!("{day} must be a day of the month, 1 to 31"),
            )),
            Frequency::Yearly { month, day } => {
                // 2000 is a leap year, so 29 February passes and 30 February does not.
                if NaiveDate::from_ymd_opt(2000, month, day).is_none() {
                    return Err(InvalidInput::new(
                        "frequency.day",
                        format!("{day}/{month} (day/month) is not a date of the year"),
                    ));
                }
                Ok(())
            }
            Frequency::EveryDays { days: 0 } => Err(InvalidInput::new(
                "frequency.days",
                "the interval must be at least 1 day",
            )),
            _ => Ok(()),
        }
    }

    /// The shortest gap, in days, between two consecutive due dates. Providers that limit charges
    /// by a period in days (Assist `RecurringPeriod`) are registered with this number, so that no
    /// scheduled charge comes too soon: a monthly contract on the 31st has 28 days from 31
    /// January to 28 February, and a yearly one on 29 February has 365 from 2028 to 2029.
    pub fn min_gap_days(&self) -> u32 {
        match *self {
            Frequency::Monthly { .. } => 28,
            Frequency::Yearly { .. } => 365,
            Frequency::EveryDays { days } => days,
        }
    }
}

/// The terms of a contract the owner is about to create, before it has an id or a status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewContractTerms {
    /// The merchant account that will charge.
    pub merchant_id: MerchantId,
    /// The card to charge.
    pub card_id: CardId,
    /// Amount per occurrence.
    pub amount: AmountRule,
    /// The amount of the initial transaction, when the owner enters it; otherwise the card's.
    pub original_amount: Option<Money>,
    /// Schedule.
    pub frequency: Frequency,
    /// First possible due date (merchant-local).
    pub start: NaiveDate,
    /// Last possible due date (merchant-local); Assist's `RecurringMaxDate`.
    pub end: Option<NaiveDate>,
}

impl NewContractTerms {
    /// The original amount the contract is bound by: the one entered, else the card's initial
    /// transaction amount.
    pub fn effective_original_amount(&self, card: &Card) -> Option<Money> {
        self.original_amount
            .or_else(|| card.initial.as_ref().and_then(|initial| initial.amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::contract_check::*;
    use crate::merchant::ProviderKind;

    #[test]
    fn variable_rule_needs_min_below_max() {
        let eur = |m| Money::from_minor(m, Currency::EUR);
        let bad = AmountRule::Variable {
            min: Some(eur(5000)),
            max: eur(1000),
        };
        assert_eq!(bad.validate().unwrap_err().field, "min_amount");
        let good = AmountRule::Variable {
            min: Some(eur(100)),
            max: eur(1000),
        };
        assert!(good.validate().is_ok());
        assert_eq!(
            AmountRule::Fixed { amount: eur(0) }
                .validate()
                .unwrap_err()
                .field,
            "amount"
        );
    }
    fn card() -> Card {
        crate::policy::fixtures::plan(ProviderKind::Clover).card
    }

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// 10.00 EUR on the 23rd, for a year, on the fixture card (initial amount 20.00 EUR).
    fn terms() -> NewContractTerms {
        NewContractTerms {
            merchant_id: MerchantId(7),
            card_id: CardId(42),
            amount: AmountRule::Fixed { amount: eur(1000) },
            original_amount: None,
            frequency: Frequency::Monthly { day: 23 },
            start: day(2026, 12, 23),
            end: Some(day(2027, 11, 23)),
        }
    }

    fn fields(problems: &[InvalidInput]) -> Vec<&str> {
        problems.iter().map(|p| p.field.as_str()).collect()
    }

    #[test]
    fn accepts_sound_terms_for_every_provider() {
        for provider in ProviderKind::ALL {
            let mut terms = terms();
            if provider == ProviderKind::Assist {
                terms.amount = AmountRule::Variable {
                    min: Some(eur(100)),
                    max: eur(1000),
                };
            }
            assert_eq!(
                validate_contract(&terms, provider, &card(), Currency::EUR),
                Ok(()),
                "{provider}"
            );
        }
    }

    #[test]
    fn refuses_a_contract_on_a_card_whose_initial_was_a_one_click_payment() {
        let mut card = card();
        card.initial.as_mut().unwrap().kind = crate::card::InitialKind::OneClick;
        let mut terms = terms();
        terms.amount = AmountRule::Variable {
            min: Some(eur(100)),
            max: eur(1000),
        };
        let problems =
            validate_contract(&terms, ProviderKind::Assist, &card, Currency::EUR).unwrap_err();
        assert_eq!(fields(&problems), ["initial_transaction"]);
        assert!(
            problems[0].rule.contains("re-enroll"),
            "the owner is told to re-enroll the card: {}",
            problems[0].rule
        );
    }

    #[test]
    fn refuses_a_svea_contract_above_the_original_amount() {
        let mut terms = terms();
        terms.amount = AmountRule::Fixed { amount: eur(2500) };
        let problems =
            validate_contract(&terms, ProviderKind::Svea, &card(), Currency::EUR).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(
            problems[0].to_string(),
            "amount: 25.00 EUR is above the original payment amount of 20.00 EUR; Svea refuses \
             recurring charges above it"
        );
        assert!(
            validate_contract(&terms, ProviderKind::Clover, &card(), Currency::EUR).is_ok(),
            "other providers have no such cap"
        );
    }

    #[test]
    fn a_change_of_terms_may_rise_above_the_svea_original_amount() {
        let mut terms = terms();
        terms.amount = AmountRule::Fixed { amount: eur(2500) };
        assert!(
            validate_contract_change(&terms, ProviderKind::Svea, &card(), Currency::EUR).is_ok(),
            "charged only after a new initial transaction (rule terms_consented)"
        );
        terms.frequency = Frequency::EveryDays { days: 30 };
        assert_eq!(
            fields(
                &validate_contract_change(&terms, ProviderKind::Svea, &card(), Currency::EUR)
                    .unwrap_err()
            ),
            vec!["frequency.days"],
            "the other rules still hold"
        );
    }

    #[test]
    fn refuses_a_svea_contract_that_could_charge_twice_a_month_or_lacks_an_original() {
        let mut terms = terms();
        terms.frequency = Frequency::EveryDays { days: 30 };
        let mut card = card();
        card.initial.as_mut().unwrap().amount = None;
        let problems =
            validate_contract(&terms, ProviderKind::Svea, &card, Currency::EUR).unwrap_err();
        assert_eq!(fields(&problems), vec!["original_amount", "frequency.days"]);
        terms.frequency = Frequency::EveryDays { days: 31 };
        terms.original_amount = Some(eur(1000));
        assert!(validate_contract(&terms, ProviderKind::Svea, &card, Currency::EUR).is_ok());
    }

    #[test]
    fn an_assist_card_whose_initial_registered_its_series_takes_only_contracts_inside_it() {
        let mut card = card();
        if let Some(initial) = card.initial.as_mut() {
            initial.registered = Some(crate::card::RegisteredSeries {
                min_amount: Some(eur(500)),
                max_amount: Some(eur(1500)),
                period_days: Some(28),
                end: Some(day(2027, 6, 30)),
            });
        }
        let mut terms = terms();
        terms.amount = AmountRule::Variable {
            min: Some(eur(100)),
            max: eur(2000),
        };
        terms.frequency = Frequency::EveryDays { days: 14 };
        let problems =
            validate_contract(&terms, ProviderKind::Assist, &card, Currency::EUR).unwrap_err();
        assert_eq!(
            fields(&problems),
            vec!["min_amount", "amount", "frequency", "end"],
            "below RecurringMinAmount, above RecurringMaxAmount, closer than RecurringPeriod, \
             after RecurringMaxDate: {problems:?}"
        );
        terms.amount = AmountRule::Variable {
            min: Some(eur(500)),
            max: eur(1500),
        };
        terms.frequency = Frequency::EveryDays { days: 30 };
        terms.end = Some(day(2027, 6, 30));
        assert!(validate_contract(&terms, ProviderKind::Assist, &card, Currency::EUR).is_ok());
        assert_eq!(
            crate::contract_check::registered_max_of(ProviderKind::Assist, &terms.amount, &card),
            Some(eur(1500)),
            "charges are held to what the initial registered"
        );
        // A change of terms may rise above it: terms_consented holds such charges instead.
        terms.amount = AmountRule::Variable {
            min: Some(eur(500)),
            max: eur(2000),
        };
        assert!(
            validate_contract_change(&terms, ProviderKind::Assist, &card, Currency::EUR).is_ok()
        );
    }

    #[test]
    fn refuses_assist_terms_it_cannot_register() {
        let mut terms = terms();
        terms.amount = AmountRule::Variable {
            min: Some(eur(2000)),
            max: eur(1000),
        };
        terms.end = None;
        terms.frequency = Frequency::EveryDays { days: 1000 };
        let problems =
            validate_contract(&terms, ProviderKind::Assist, &card(), Currency::EUR).unwrap_err();
        assert_eq!(
            fields(&problems),
            vec!["min_amount", "end", "frequency"],
            "min above max, no RecurringMaxDate, a four-digit RecurringPeriod: {problems:?}"
        );
        terms.amount = AmountRule::Variable {
            min: None,
            max: eur(1000),
        };
        terms.end = Some(day(2027, 1, 1));
        terms.frequency = Frequency::Monthly { day: 1 };
        let problems =
            validate_contract(&terms, ProviderKind::Assist, &card(), Currency::EUR).unwrap_err();
        assert_eq!(fields(&problems), vec!["min_amount"]);
    }

    #[test]
    fn refuses_an_end_before_the_start_and_a_foreign_currency() {
        let mut terms = terms();
        terms.end = Some(day(2026, 12, 22));
        let problems =
            validate_contract(&terms, ProviderKind::Clover, &card(), Currency::SEK).unwrap_err();
        assert_eq!(fields(&problems), vec!["amount", "end"]);
        assert_eq!(
            problems[0].rule,
            "is in EUR but the merchant account charges in SEK"
        );
    }

    #[test]
    fn refuses_a_card_not_ready_for_merchant_initiated_charges() {
        let mut card = card();
        card.consent = None;
        card.initial = None;
        card.active = false;
        card.expiry = crate::card::CardExpiry::new(2026, 11).unwrap();
        let problems =
            validate_contract(&terms(), ProviderKind::Clover, &card, Currency::EUR).unwrap_err();
        assert_eq!(
            fields(&problems),
            vec!["card_id", "card_id", "consent", "initial_transaction"]
        );
        assert!(problems[1]
            .rule
            .contains("expires 11/2026, before the contract starts"));
    }

    #[test]
    fn refuses_a_card_of_another_merchant() {
        let mut card = card();
        card.merchant_id = MerchantId(8);
        let problems =
            validate_contract(&terms(), ProviderKind::Clover, &card, Currency::EUR).unwrap_err();
        assert_eq!(fields(&problems), vec!["card_id"]);
        assert!(problems[0].rule.contains("merchant account 8, not 7"));
    }

    #[test]
    fn frequency_numbers_are_validated() {
        assert!(Frequency::Monthly { day: 0 }.validate().is_err());
        assert!(Frequency::Monthly { day: 31 }.validate().is_ok());
        assert!(Frequency::Yearly { month: 2, day: 29 }.validate().is_ok());
        assert!(Frequency::Yearly { month: 4, day: 31 }.validate().is_err());
        assert!(Frequency::Yearly { month: 13, day: 1 }.validate().is_err());
        assert!(Frequency::EveryDays { days: 0 }.validate().is_err());
        assert_eq!(Frequency::Monthly { day: 31 }.min_gap_days(), 28);
        assert_eq!(Frequency::EveryDays { days: 14 }.min_gap_days(), 14);
    }
}
