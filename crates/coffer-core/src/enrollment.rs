//! A new card enrolled through the provider's own hosted page: the cardholder types the card
//! and completes 3-D Secure there (never in Coffer), either at the counter in an app window or
//! elsewhere through a link. The page's return is a hint carried by the cardholder's browser;
//! only the provider's own answer to a server-side check saves the card.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::card::RegisteredSeries;
use crate::ids::{CardId, ContractId, CustomerId, EnrollmentId, IdempotencyKey, MerchantId};
use crate::money::Money;
use crate::stored_credential::Reason;

/// Where a provider's hosted enrollment page can be used. A static fact of the provider
/// ([`crate::providers::Capabilities::enrollment`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "reach", rename_all = "snake_case")]
pub enum EnrollmentReach {
    /// The provider hosts a whole page: it opens in an app window at the counter and works as a
    /// link sent to a cardholder elsewhere.
    CounterAndLink {
        /// The provider's page that is sent, as its docs name it.
        link_page: &'static str,
        /// Where the page sends the cardholder back after a link, and why that is enough.
        returns_to: &'static str,
    },
    /// The card fields must sit in a page the merchant hosts (an iframe, a JS library): Coffer
    /// hosts it in an app window, so the cardholder must be at the counter.
    CounterOnly {
        /// Why no link can work, for the owner.
        why: &'static str,
    },
}

impl EnrollmentReach {
    /// Whether an enrollment link can be sent to a cardholder elsewhere.
    pub fn links(self) -> bool {
        matches!(self, EnrollmentReach::CounterAndLink { .. })
    }
}

/// Where the cardholder completes the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentMode {
    /// In an app window on the owner's screen.
    Counter,
    /// Elsewhere, through a link sent by the notices channel.
    Link,
}

impl EnrollmentMode {
    /// The storage and display name.
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentMode::Counter => "counter",
            EnrollmentMode::Link => "link",
        }
    }

    /// From the storage name.
    pub fn parse(name: &str) -> Option<EnrollmentMode> {
        match name {
            "counter" => Some(EnrollmentMode::Counter),
            "link" => Some(EnrollmentMode::Link),
            _ => None,
        }
    }

    /// How long the page stays open before the enrollment expires. Our choice: a cardholder at
    /// the counter finishes within minutes (Clover's own hosted sessions last 15), a link waits
    /// a week for a cardholder who reads mail now and then.
    pub fn lifetime(self) -> Duration {
        match self {
            EnrollmentMode::Counter => Duration::minutes(30),
            EnrollmentMode::Link => Duration::days(7),
        }
    }
}

/// Where an enrollment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum EnrollmentState {
    /// The page is open; the provider has not confirmed a card yet.
    Pending,
    /// The provider confirmed the card and its initial transaction: saved, MIT-ready.
    Confirmed,
    /// The provider declined it or the cardholder cancelled: no card.
    Failed,
    /// Nobody completed the page in time.
    Expired,
    /// The owner withdrew it.
    Cancelled,
}

impl EnrollmentState {
    /// The storage and display name.
    pub fn as_str(self) -> &'static str {
        match self {
            EnrollmentState::Pending => "pending",
            EnrollmentState::Confirmed => "confirmed",
            EnrollmentState::Failed => "failed",
            EnrollmentState::Expired => "expired",
            EnrollmentState::Cancelled => "cancelled",
        }
    }

    /// From the storage name.
    pub fn parse(name: &str) -> Option<EnrollmentState> {
        match name {
            "pending" => Some(EnrollmentState::Pending),
            "confirmed" => Some(EnrollmentState::Confirmed),
            "failed" => Some(EnrollmentState::Failed),
            "expired" => Some(EnrollmentState::Expired),
            "cancelled" => Some(EnrollmentState::Cancelled),
            _ => None,
        }
    }

    /// Whether nothing more can happen to it.
    pub fn is_settled(self) -> bool {
        !matches!(self, EnrollmentState::Pending)
    }
}

/// The contract to create on the new card once it is confirmed, as the owner entered it in the
/// same flow: the engine's contract input as JSON text (core does not know its shape).
pub type ContractDraft = String;

/// A customer who is not on record yet, for a provider that keeps the customers (Clover,
/// ProcessOut): the provider's customer is created with the card, and Coffer's with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NewCustomer {
    /// Name.
    pub name: String,
    /// E-mail (Clover's card-on-file customer needs one).
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// One enrollment, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrollment {
    /// Coffer's id.
    pub id: EnrollmentId,
    /// The merchant account the card is saved with.
    pub merchant_id: MerchantId,
    /// The customer the card is for; `None` until a new customer of a provider that keeps the
    /// customers is confirmed (then [`Enrollment::new_customer`] says who).
    pub customer_id: Option<CustomerId>,
    /// The customer to create with the card, where there was none on record.
    pub new_customer: Option<NewCustomer>,
    /// Counter or link.
    pub mode: EnrollmentMode,
    /// Where it stands.
    pub state: EnrollmentState,
    /// Our order id at the provider (Assist `OrderNumber`, Svea `pmt_id`, ProcessOut invoice
    /// name, Clover charge `external_reference_id`): unique, so a lookup finds exactly it.
    pub order_id: String,
    /// The key of every write the confirmation makes, so a repeated check replays.
    pub idempotency_key: IdempotencyKey,
    /// The provider's reference of the open page to confirm by, where it gives one at start.
    pub pending_ref: Option<String>,
    /// The page to open or send (a provider page), or `None` where Coffer hosts the page.
    pub page_url: Option<String>,
    /// The page Coffer hosts in its window (the provider's card fields inside it).
    pub page_html: Option<String>,
    /// Where the page sends the browser back.
    pub return_url: String,
    /// The amount of the initial transaction (zero: a verification, where the provider takes
    /// one).
    pub amount: Money,
    /// What later merchant-initiated charges will be.
    pub reason: Reason,
    /// The consent text the cardholder is shown and accepts.
    pub terms: String,
    /// The recurring series registered with the initial (Assist's limits).
    pub registered: Option<RegisteredSeries>,
    /// The contract to create on the confirmed card.
    pub contract: Option<ContractDraft>,
    /// The contract whose card this enrollment replaces (an Assist "re-enroll").
    pub replaces_for: Option<ContractId>,
    /// Where the link was sent.
    pub sent_to: Option<String>,
    /// What the return carried (query pairs), kept so a check can be repeated after a crash.
    pub returned: Option<Vec<(String, String)>>,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When the page stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it settled.
    pub settled_at: Option<DateTime<Utc>>,
    /// The saved card, once confirmed.
    pub card_id: Option<CardId>,
    /// Why it failed or expired, in the provider's words where it gave some.
    pub failure: Option<String>,
    /// The contract created on the card in the same flow.
    pub contract_id: Option<ContractId>,
    /// While pending: what the provider showed that the owner must act on (the page was paid
    /// but the card's reference only comes with the browser's return).
    pub waiting_on: Option<String>,
}

impl Enrollment {
    /// Whether it is still open at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.state == EnrollmentState::Pending && now < self.expires_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_modes_round_trip_their_storage_names() {
        for state in [
            EnrollmentState::Pending,
            EnrollmentState::Confirmed,
            EnrollmentState::Failed,
            EnrollmentState::Expired,
            EnrollmentState::Cancelled,
        ] {
            assert_eq!(EnrollmentState::parse(state.as_str()), Some(state));
        }
        for mode in [EnrollmentMode::Counter, EnrollmentMode::Link] {
            assert_eq!(EnrollmentMode::parse(mode.as_str()), Some(mode));
        }
        assert_eq!(EnrollmentState::parse("done"), None);
    }

    #[test]
    fn a_link_waits_longer_than_the_counter() {
        assert!(EnrollmentMode::Link.lifetime() > EnrollmentMode::Counter.lifetime());
    }
}
