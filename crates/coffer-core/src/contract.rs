//! A recurring agreement on one card, and its occurrences (the due charges).

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::InvalidInput;
use crate::ids::{CardId, ContractId, MerchantId};
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
