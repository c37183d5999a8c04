//! A card's life on the customer page: stop using it, or delete it at the provider (where the
//! provider offers that: `PROVIDERS[…].capabilities.deletes_saved_cards`).

use coffer_core::CardId;
use coffer_engine::card_life::CardLifeResult;
use coffer_engine::Engine;
use tauri::State;

use crate::ipc_error::IpcError;

/// Stops using a card: Coffer charges it no more and its contracts end (the cardholder is
/// told); it stays saved at the provider.
#[tauri::command]
#[specta::specta]
pub async fn stop_using_card(
    engine: State<'_, Engine>,
    card_id: i64,
) -> Result<CardLifeResult, IpcError> {
    Ok(engine.stop_using_card(CardId(card_id)).await?)
}

/// Deletes a card at the provider (irreversible); its contracts end (the cardholder is told).
#[tauri::command]
#[specta::specta]
pub async fn delete_card(
    engine: State<'_, Engine>,
    card_id: i64,
) -> Result<CardLifeResult, IpcError> {
    Ok(engine.delete_card(CardId(card_id)).await?)
}
