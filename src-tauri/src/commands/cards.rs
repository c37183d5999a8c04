//! Stored cards: a customer's cards on the customer page, or a search by last4/brand.

use coffer_core::{CustomerId, MerchantId};
use coffer_engine::search::{CardSearch, CardView};
use coffer_engine::Engine;
use serde::Deserialize;
use tauri::State;

use crate::ipc_error::IpcError;

/// Which cards to list.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct CardSearchRequest {
    /// One merchant.
    pub merchant_id: Option<i64>,
    /// A group of locations.
    pub group: Option<String>,
    /// One customer's cards.
    pub customer_id: Option<i64>,
    /// Last four digits.
    pub last4: Option<String>,
    /// Brand name.
    pub brand: Option<String>,
    /// Only active cards.
    pub active_only: bool,
    /// Page size.
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

impl From<CardSearchRequest> for CardSearch {
    fn from(r: CardSearchRequest) -> Self {
        CardSearch {
            merchant: r.merchant_id.map(MerchantId),
            group: r.group,
            customer: r.customer_id.map(CustomerId),
            last4: r.last4,
            brand: r.brand,
            bin: None,
            expiring_before: None,
            active_only: r.active_only,
            limit: r.limit,
            offset: r.offset,
        }
    }
}

/// Cards matching the request.
#[tauri::command]
#[specta::specta]
pub async fn list_cards(
    engine: State<'_, Engine>,
    request: CardSearchRequest,
) -> Result<Vec<CardView>, IpcError> {
    Ok(engine.list_cards(request.into()).await?)
}

/// Records the cardholder's consent to merchant-initiated charges of a card.
#[tauri::command]
#[specta::specta]
pub async fn record_consent(
    engine: State<'_, Engine>,
    card_id: i64,
    terms: String,
) -> Result<CardView, IpcError> {
    Ok(engine
        .record_consent(coffer_core::CardId(card_id), terms)
        .await?)
}
