//! A recurring agreement on one card, and its occurrences (the due charges).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::card::Card;
use crate::error::InvalidInput;
use crate::ids::{CardId, ContractId, MerchantId};
use crate::merchant::ProviderKind;
use crate::money::{Currency, Money};

/// How much each occurrence charges.
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
}

/// Where one due charge stands.
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

/// The longest `RecurringPeriod` Assist accepts: the field is three digits.
pub const ASSIST_MAX_PERIOD_DAYS: u32 = 999;

/// Checks a new contract before it is saved, and returns every problem at once so the contract
/// editor can mark all fields in one pass.
///
/// Beyond the shape of the amounts and dates, it applies what the provider will enforce later on
/// every charge, because a contract that cannot be charged should not be agreed with a
/// cardholder: Svea charges at most once a calendar month and never above the original amount
/// (and only in EUR); Assist needs `RecurringMinAmount`, `RecurringMaxAmount`, a period in days of
/// at most three digits and a `RecurringMaxDate`.
pub fn validate_contract(
    terms: &NewContractTerms,
    provider: ProviderKind,
    card: &Card,
    merchant_currency: Currency,
) -> Result<(), Vec<InvalidInput>> {
    let mut problems = Vec::new();
    if let Err(e) = terms.amount.validate() {
        problems.push(e);
    }
    if let Err(e) = terms.frequency.validate() {
        problems.push(e);
    }
    let currency = terms.amount.currency();
    if currency != merchant_currency {
        problems.push(InvalidInput::new(
            "amount",
            format!("is in {currency} but the merchant account charges in {merchant_currency}"),
        ));
    }
    if let Some(end) = terms.end {
        if end < terms.start {
            problems.push(InvalidInput::new(
                "end",
                format!("{end} is before the start date {}", terms.start),
            ));
        }
    }
    if card.id != terms.card_id {
        problems.push(InvalidInput::new(
            "card_id",
            format!(
                "the terms name card {} but card {} was given",
                terms.card_id, card.id
            ),
        ));
    }
    if card.merchant_id != terms.merchant_id {
        problems.push(InvalidInput::new(
            "card_id",
            format!(
                "card ending {} is stored under merchant account {}, not {}",
                card.last4.as_str(),
                card.merchant_id,
                terms.merchant_id
            ),
        ));
    }
    if !card.active {
        problems.push(InvalidInput::new(
            "card_id",
            format!("card ending {} is no longer active", card.last4.as_str()),
        ));
    }
    if card.expiry.is_expired_on(terms.start) {
        problems.push(InvalidInput::new(
            "card_id",
            format!(
                "card ending {} expires {}, before the contract starts on {}",
                card.last4.as_str(),
                card.expiry,
                terms.start
            ),
        ));
    }
    if card.consent.is_none() {
        problems.push(InvalidInput::new(
            "consent",
            format!(
                "card ending {} has no recorded consent to merchant-initiated charges",
                card.last4.as_str()
            ),
        ));
    }
    if card.initial.is_none() {
        problems.push(InvalidInput::new(
            "initial_transaction",
            format!(
                "card ending {} has no initial cardholder-initiated transaction to link charges to",
                card.last4.as_str()
            ),
        ));
    }
    let original = terms.effective_original_amount(card);
    if let Some(original) = original {
        if original.currency != currency {
            problems.push(InvalidInput::new(
                "original_amount",
                format!("{original} is not in the contract's currency {currency}"),
            ));
        }
    }
    let (min, max) = terms.amount.bounds();
    match provider {
        ProviderKind::Svea => {
            match original {
                None => problems.push(InvalidInput::new(
                    "original_amount",
                    "Svea never charges a token above its original payment amount, so the \
                     original amount must be known",
                )),
                Some(original)
                    if original.currency == max.currency && max.minor > original.minor =>
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
        }
        ProviderKind::Assist => {
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
            if period > ASSIST_MAX_PERIOD_DAYS {
                problems.push(InvalidInput::new(
                    "frequency",
                    format!(
                        "a period of {period} days does not fit Assist's three-digit \
                         RecurringPeriod (at most {ASSIST_MAX_PERIOD_DAYS})"
                    ),
                ));
            }
        }
        ProviderKind::Clover | ProviderKind::ProcessOut => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
