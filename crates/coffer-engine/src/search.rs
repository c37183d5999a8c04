//! Searching the cache: customers and cards, for one location or a group.

use std::collections::HashMap;

use chrono::NaiveDate;
use coffer_core::{Card, CardExpiry, CustomerId, MerchantId};
use coffer_store::search::{CardQuery, CustomerQuery, CustomerRow, CustomerSort};
use serde::Serialize;

use crate::error::EngineResult;
use crate::Engine;

/// Days before the end of its expiry month a card counts as "expiring soon".
pub const EXPIRING_SOON_DAYS: i64 = 60;

/// A card as the CLI and the UI show it: display fields only, never a card number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CardView {
    /// Coffer id.
    pub id: i64,
    /// Merchant.
    pub merchant_id: i64,
    /// Customer.
    pub customer_id: i64,
    /// Provider.
    pub provider: String,
    /// The provider's token.
    pub token: String,
    /// Brand.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// BIN.
    pub bin: Option<String>,
    /// Issuing bank.
    pub bank: Option<String>,
    /// Expiry month.
    pub exp_month: u32,
    /// Expiry year.
    pub exp_year: i32,
    /// Usable at the provider.
    pub active: bool,
    /// Past its expiry month today.
    pub expired: bool,
    /// Expires within 60 days.
    pub expiring_soon: bool,
    /// When the cardholder consented to merchant-initiated charges.
    pub consent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The initial transaction MITs link to.
    pub initial_ref: Option<String>,
    /// Consent and an initial transaction that links merchant-initiated charges are both
    /// recorded.
    pub mit_ready: bool,
    /// What the initial registered: `recurring` (merchant-initiated charges point to it) or
    /// `one_click` (a One Click payment: no merchant-initiated charge can point to it).
    pub initial_kind: Option<String>,
    /// Why the card must be re-enrolled (a new initial on the provider's payment page) before
    /// any merchant-initiated charge; `None` when it need not be.
    pub reenroll: Option<String>,
    /// The provider's card art (an image address), display only.
    pub art_url: Option<String>,
}

impl CardView {
    /// The view of `card` on `today`.
    pub fn of(card: &Card, provider: &str, today: NaiveDate) -> CardView {
        CardView {
            id: card.id.0,
            merchant_id: card.merchant_id.0,
            customer_id: card.customer_id.0,
            provider: provider.to_string(),
            token: card.token.0.clone(),
            brand: card.brand.name().to_string(),
            last4: card.last4.as_str().to_string(),
            bin: card.bin.as_ref().map(|b| b.as_str().to_string()),
            bank: card.bank.clone(),
            exp_month: card.expiry.month,
            exp_year: card.expiry.year,
            active: card.active,
            expired: card.expiry.is_expired_on(today),
            expiring_soon: card.expiry.expires_within(today, EXPIRING_SOON_DAYS),
            consent_at: card.consent.as_ref().map(|c| c.given_at),
            initial_ref: card.initial.as_ref().map(|i| i.reference.0.clone()),
            mit_ready: card.is_mit_ready(),
            initial_kind: card.initial.as_ref().map(|i| i.kind.as_str().to_string()),
            reenroll: card.reenroll_reason(),
            art_url: card.art_url.clone(),
        }
    }
}

/// A customer search from the CLI or the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerSearch {
    /// One merchant.
    pub merchant: Option<MerchantId>,
    /// A group of merchants.
    pub group: Option<String>,
    /// Free text.
    pub text: Option<String>,
    /// Order.
    pub sort: CustomerSort,
    /// Page size.
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
}

/// A card listing from the CLI or the UI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardSearch {
    /// One merchant.
    pub merchant: Option<MerchantId>,
    /// A group.
    pub group: Option<String>,
    /// One customer.
    pub customer: Option<CustomerId>,
    /// Last four.
    pub last4: Option<String>,
    /// Brand.
    pub brand: Option<String>,
    /// BIN.
    pub bin: Option<String>,
    /// Cards that expire before this date (their last valid day is before it).
    pub expiring_before: Option<NaiveDate>,
    /// Only active.
    pub active_only: bool,
    /// Page size.
    pub limit: Option<u32>,
    /// Offset.
    pub offset: Option<u32>,
}

impl Engine {
    /// Customers matching the search, one page.
    pub async fn search_customers(&self, search: CustomerSearch) -> EngineResult<Vec<CustomerRow>> {
        let merchants = self
            .merchant_scope(search.merchant, search.group.clone())
            .await?;
        let today = CardExpiry::of_date(self.now().date_naive());
        self.with_store(move |store| {
            Ok(store.search_customers(
                &CustomerQuery {
                    merchants,
                    text: search.text,
                    sort: search.sort,
                    limit: search.limit,
                    offset: search.offset,
                },
                today,
            )?)
        })
        .await
    }

    /// One card as the CLI and the UI show it, with its re-enroll reason and card art.
    pub async fn show_card(&self, id: coffer_core::CardId) -> EngineResult<CardView> {
        let today = self.now().date_naive();
        self.with_store(move |store| {
            let card = store.card(id)?;
            let merchant = store.merchant(card.merchant_id)?;
            Ok(CardView::of(&card, merchant.provider().as_str(), today))
        })
        .await
    }

    /// Cards matching the search, one page.
    pub async fn list_cards(&self, search: CardSearch) -> EngineResult<Vec<CardView>> {
        let merchants = self
            .merchant_scope(search.merchant, search.group.clone())
            .await?;
        let today = self.now().date_naive();
        self.with_store(move |store| {
            let providers: HashMap<i64, String> = store
                .merchants()?
                .into_iter()
                .map(|m| (m.id.0, m.provider().to_string()))
                .collect();
            // "Expiring before D": the card's last valid day is before D, i.e. its expiry month
            // is before D's month.
            let before = search.expiring_before.map(CardExpiry::of_date);
            let cards = store.search_cards(&CardQuery {
                merchants,
                customer: search.customer,
                last4: search.last4,
                brand: search
                    .brand
                    .map(|b| coffer_core::CardBrand::from_name(&b).name().to_string()),
                bin: search.bin,
                expiring_before: before,
                active_only: search.active_only,
                limit: search.limit,
                offset: search.offset,
            })?;
            Ok(cards
                .iter()
                .map(|c| {
                    CardView::of(
                        c,
                        providers
                            .get(&c.merchant_id.0)
                            .map(String::as_str)
                            .unwrap_or(""),
                        today,
                    )
                })
                .collect())
        })
        .await
    }
}
