//! The customers screen's Import dialog: cards a merchant already holds, with the consent and
//! initial transaction its shop made, made MIT-ready in one go. The window reads the file (it
//! has no file-system access) and sends its text.

use coffer_core::MerchantId;
use coffer_engine::card_import::CardImportReport;
use coffer_engine::Engine;
use serde::Deserialize;
use tauri::State;

use crate::ipc_error::IpcError;

/// A card import file for one merchant.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct CardImportRequest {
    /// The merchant the cards are stored at.
    pub merchant_id: i64,
    /// The CSV file's text.
    pub text: String,
}

/// Checks every row with the provider and saves all of them, or none: the report lists what
/// was imported, or every problem by line and column.
#[tauri::command]
#[specta::specta]
pub async fn import_cards(
    engine: State<'_, Engine>,
    request: CardImportRequest,
) -> Result<CardImportReport, IpcError> {
    Ok(engine
        .import_cards_csv(MerchantId(request.merchant_id), request.text)
        .await?)
}
