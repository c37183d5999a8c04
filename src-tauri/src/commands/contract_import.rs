//! Importing the recurring contracts a merchant's old billing system charged (the Import
//! dialog of the contracts view): one call into `Engine::import_contracts`.

use std::path::PathBuf;

use coffer_core::MerchantId;
use coffer_engine::contracts::import::ContractImportSummary;
use coffer_engine::Engine;
use tauri::State;

use crate::ipc_error::IpcError;

/// Imports the contracts of the CSV file at `path` (typed by the owner, as the data folder is)
/// into `merchant_id`: all rows or none; a refusal names each bad row's line, field and rule.
#[tauri::command]
#[specta::specta]
pub async fn import_contracts(
    engine: State<'_, Engine>,
    merchant_id: i64,
    path: String,
) -> Result<ContractImportSummary, IpcError> {
    Ok(engine
        .import_contracts(MerchantId(merchant_id), &PathBuf::from(path))
        .await?)
}
