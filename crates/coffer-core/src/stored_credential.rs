//! The network-level stored-credential flags. Issuers judge a merchant-initiated charge by them:
//! a subsequent charge must say who started it and point at the initial cardholder-initiated
//! transaction, or it looks like an unauthorised card-not-present charge.

use serde::{Deserialize, Serialize};

use crate::ids::ProviderRef;

/// First use of a stored credential, or a later one.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sequence {
    /// The transaction that stores the credential, with the cardholder present.
    Initial,
    /// Any later use of the stored credential.
    Subsequent,
}

/// Who starts the transaction.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    /// Cardholder-initiated (CIT).
    Cardholder,
    /// Merchant-initiated (MIT).
    Merchant,
}

/// Why the credential is used.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Fixed-interval subscription.
    Recurring,
    /// Installments of one purchase.
    Installment,
    /// Unscheduled card on file (top-up, no-show fee, manual charge).
    Unscheduled,
}

impl Reason {
    /// Whether this kind of charge runs on a schedule.
    pub fn is_scheduled(self) -> bool {
        matches!(self, Reason::Recurring | Reason::Installment)
    }
}

/// The flags sent with a charge of a stored credential.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StoredCredential {
    /// Initial or subsequent.
    pub sequence: Sequence,
    /// Cardholder or merchant.
    pub initiator: Initiator,
    /// Recurring, installment or unscheduled.
    pub reason: Reason,
    /// Part of an agreed schedule.
    pub scheduled: bool,
    /// The initial transaction this one points to; `None` only for the initial one.
    pub initial_ref: Option<ProviderRef>,
}

impl StoredCredential {
    /// The cardholder-initiated transaction that stores the card.
    pub fn initial(reason: Reason) -> StoredCredential {
        StoredCredential {
            sequence: Sequence::Initial,
            initiator: Initiator::Cardholder,
            reason,
            scheduled: reason.is_scheduled(),
            initial_ref: None,
        }
    }

    /// A merchant-initiated charge linked to the initial transaction.
    pub fn merchant_initiated(reason: Reason, initial_ref: ProviderRef) -> StoredCredential {
        StoredCredential {
            sequence: Sequence::Subsequent,
            initiator: Initiator::Merchant,
            reason,
            scheduled: reason.is_scheduled(),
            initial_ref: Some(initial_ref),
        }
    }

    /// `true` for a merchant-initiated transaction.
    pub fn is_mit(&self) -> bool {
        self.initiator == Initiator::Merchant
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mit_is_subsequent_and_linked() {
        let flags = StoredCredential::merchant_initiated(Reason::Recurring, "REF1".into());
        assert_eq!(flags.sequence, Sequence::Subsequent);
        assert!(flags.scheduled, "a recurring charge is scheduled");
        assert!(flags.is_mit());
        let manual = StoredCredential::merchant_initiated(Reason::Unscheduled, "REF1".into());
        assert!(!manual.scheduled, "an unscheduled charge is not");
        let first = StoredCredential::initial(Reason::Recurring);
        assert_eq!(first.initiator, Initiator::Cardholder);
        assert!(first.initial_ref.is_none());
    }
}
