//! Cards a merchant already holds: checking an imported card and its initial transaction with
//! the provider before anything is saved, and removing a saved card at the provider.
//!
//! Issue 24. Every answer says what the provider showed, and where it shows nothing it says so
//! as a value ([`Seen::NotShown`], [`InitialSeen::CannotLook`]) instead of passing silently, so
//! the engine can show "taken as given" for exactly those facts. Which facts each provider can
//! confirm, and from which documented lookup, is in each client's `holdings.rs` and in
//! `docs/<provider>.md` ("Holdings").

use chrono::NaiveDate;
use coffer_core::{CardToken, CustomerRef, Money, ProviderRef};

use crate::{RecurringAgreement, RemoteCard};

/// What the provider shows of a card kept on file for a customer.
// One value per check, moved once: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardOnFile {
    /// The provider keeps this token for this customer; its display fields.
    Found(RemoteCard),
    /// The provider keeps this token, for another customer (only where a lookup shows the
    /// owner; most providers simply answer "not found" for a foreign token).
    OtherCustomer {
        /// The customer the provider names, when it does.
        customer: Option<CustomerRef>,
    },
    /// The customer exists but the provider keeps no such token for it.
    NotFound,
    /// The provider knows no such customer.
    NoSuchCustomer,
    /// The provider has no lookup that shows this card (Svea: no card listing; the card is
    /// seen only through its tokenizing payment, [`Provider::check_initial`](crate::Provider::check_initial)).
    CannotLook {
        /// Why, in words for the owner.
        reason: &'static str,
    },
}

/// The imported initial transaction, as the import row gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialRef {
    /// The customer the card is imported for.
    pub customer: CustomerRef,
    /// The imported card's token.
    pub card_token: CardToken,
    /// The provider's reference: Clover `ref_num`, ProcessOut initial scheme transaction id
    /// (or its `tr_…`), Svea `pmt_id` of the tokenizing payment, Assist `OrderNumber`.
    pub reference: ProviderRef,
    /// When the initial was made (Assist: the day `orderresult` searches around).
    pub date: Option<NaiveDate>,
    /// The initial's amount as the merchant holds it (Svea rows carry the original amount).
    pub amount: Option<Money>,
}

/// One fact of an initial transaction, as far as the provider lets us look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen<T> {
    /// The provider shows this value.
    Shown(T),
    /// The provider's record does not carry this fact: take it as given.
    NotShown,
}

impl<T> Seen<T> {
    /// The value when shown.
    pub fn shown(&self) -> Option<&T> {
        match self {
            Seen::Shown(v) => Some(v),
            Seen::NotShown => None,
        }
    }
}

/// Whether the initial used the imported card (or was made for the imported customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The provider's record names the same card (customer).
    Same,
    /// The provider's record names another one: what it shows.
    Different(String),
    /// The provider's record does not say: take it as given.
    NotShown,
}

/// A succeeded initial transaction as the provider shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitialFound {
    /// The provider's reference of the initial (what later MITs link to).
    pub reference: ProviderRef,
    /// The amount the provider recorded.
    pub amount: Seen<Money>,
    /// The day the provider recorded it: the UTC date of its timestamp, or the day it shows
    /// where it shows only a day (Svea `pmtq_paymentdate`).
    pub date: Seen<NaiveDate>,
    /// Whether it used the imported card.
    pub card: Match,
    /// The card it used, with its display fields, where the provider's record shows them
    /// (Clover's charge `source`, Assist's operation `meannumber`, Svea's status query).
    pub card_seen: Option<RemoteCard>,
    /// Whether it was made for the imported customer.
    pub customer: Match,
    /// The recurring terms it registered, where the provider shows them (Assist `Recurring*`).
    pub agreement: Seen<RecurringAgreement>,
}

/// What the provider shows of an imported initial transaction.
// One value per check, moved once: boxing the larger variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InitialSeen {
    /// It exists and succeeded.
    Succeeded(InitialFound),
    /// It exists and did not succeed (declined, failed, cancelled, refunded in full).
    Failed {
        /// The provider's code.
        code: Option<String>,
        /// The provider's words.
        message: Option<String>,
    },
    /// It exists and is not decided yet.
    Pending,
    /// The provider shows no such transaction.
    NotFound,
    /// The provider has no lookup for this reference: the initial is taken as given.
    CannotLook {
        /// Why, in words for the owner.
        reason: &'static str,
    },
}

/// Whether a saved card can be removed at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardRevocation {
    /// The provider deletes a saved card on the merchant's request (Clover source delete,
    /// ProcessOut customer token delete).
    AtProvider,
    /// The provider documents no way for the merchant to delete a saved card: Coffer can only
    /// stop using it.
    NotOffered,
}

/// The result of removing a saved card at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// The provider deleted it now.
    Deleted,
    /// The provider no longer had it (deleted before): nothing left to remove.
    AlreadyGone,
}

/// What kind of stored payment method a [`RemoteCard`] is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum StoredMethod {
    /// A payment card: brand, last4 and expiry are the card's.
    #[default]
    Card,
    /// An alternative payment method saved as a token (ProcessOut `gateway_token`): brand is
    /// the method's name, `last4` is empty, and `expiry` means nothing
    /// ([`APM_NO_EXPIRY`]).
    Apm {
        /// The method's name as the provider shows it (e.g. "PayPal").
        name: String,
    },
}

/// The expiry a non-card method carries, which has none: the far end of the range, so that no
/// expiry rule ever fires on it. Read [`RemoteCard::method`] before any card field.
pub const APM_NO_EXPIRY: coffer_core::CardExpiry = coffer_core::CardExpiry {
    year: 9999,
    month: 12,
};
