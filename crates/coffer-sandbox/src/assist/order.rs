//! What an Assist order is, apart from where it is kept: its states as Assist spells them and
//! the recurring limits an initial order registers. Both the rules and the state read these, so
//! they live below both.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Assist's order states (assist.md §4.2), spelled as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum OrderState {
    InProcess,
    Delayed,
    Approved,
    PartialApproved,
    PartialDelayed,
    Canceled,
    PartialCanceled,
    Declined,
    Timeout,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::InProcess => "In Process",
            OrderState::Delayed => "Delayed",
            OrderState::Approved => "Approved",
            OrderState::PartialApproved => "PartialApproved",
            OrderState::PartialDelayed => "PartialDelayed",
            OrderState::Canceled => "Canceled",
            OrderState::PartialCanceled => "PartialCanceled",
            OrderState::Declined => "Declined",
            OrderState::Timeout => "Timeout",
        }
    }

    /// Money was taken (possibly returned since): a reuse of the OrderNumber is a second charge.
    pub fn took_money(self) -> bool {
        matches!(
            self,
            OrderState::Approved
                | OrderState::PartialApproved
                | OrderState::Canceled
                | OrderState::PartialCanceled
                | OrderState::Delayed
                | OrderState::PartialDelayed
                | OrderState::InProcess
        )
    }
}

/// Limits registered on an initial recurring order (assist.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RecurringTerms {
    pub min_minor: i64,
    pub max_minor: i64,
    pub period_days: u32,
    pub max_date: NaiveDate,
}
