//! The notices a cardholder gets about a recurring contract (card network rules ask for the
//! confirmation, the notice before each charge and the cancellation).

use serde::{Deserialize, Serialize};

/// The kind of a notice.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The contract confirmation, sent when the contract starts.
    Confirmation,
    /// The notice before a charge, with its amount and date.
    PreCharge,
    /// Confirmation of a cancellation.
    Cancellation,
    /// A change of the contract's terms: what changed, from when, how to cancel.
    TermsChange,
    /// An announced charge will not be made (skipped, or the contract paused).
    ChargeCancelled,
}

impl NoticeKind {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Confirmation => "confirmation",
            NoticeKind::PreCharge => "pre_charge",
            NoticeKind::Cancellation => "cancellation",
            NoticeKind::TermsChange => "terms_change",
            NoticeKind::ChargeCancelled => "charge_cancelled",
        }
    }
}
