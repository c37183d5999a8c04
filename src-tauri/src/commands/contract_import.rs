//! Importing the recurring contracts a merchant's old billing system charged (the Import
//! dialog of the contracts view): one call into `Engine::import_contracts_text`. The window
//! reads the file the owner chose (it has no file-system access) and sends its text.

use coffer_core::MerchantId;
use coffer_engine::contracts::import::ContractImportSummary;
use coffer_engine::Engine;
use serde::Deserialize;
use tauri::State;

use crate::ipc_error::IpcError;

/// A contract file for one merchant, as the window read it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct ContractImportRequest {
    /// The merchant whose cards the contracts are on.
    pub merchant_id: i64,
    /// The file's name, for the messages and the audit events.
    pub file_name: String,
    /// The CSV file's text.
    pub text: String,
}

/// Imports the contracts of a CSV file into a merchant: all rows or none; a refusal names each
/// bad row's line, field and rule. The file has the bounds of one the CLI reads (size, lines,
/// UTF-8).
#[tauri::command]
#[specta::specta]
pub async fn import_contracts(
    engine: State<'_, Engine>,
    request: ContractImportRequest,
) -> Result<ContractImportSummary, IpcError> {
    Ok(engine
        .import_contracts_text(
            MerchantId(request.merchant_id),
            &request.file_name,
            request.text,
        )
        .await?)
}
