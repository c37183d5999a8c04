//! CSV export into the profile's exports folder (the page gets no file-system access: the engine
//! writes the file and the UI shows where it is).

use coffer_engine::export::{ExportKind, ExportResult};
use coffer_engine::Engine;
use tauri::State;

use crate::commands::ScopeRequest;
use crate::ipc_error::IpcError;

/// Writes customers, cards, charges or the audit log of the scope as a CSV file.
#[tauri::command]
#[specta::specta]
pub async fn export_csv(
    engine: State<'_, Engine>,
    kind: ExportKind,
    scope: ScopeRequest,
) -> Result<ExportResult, IpcError> {
    Ok(engine.export_csv(kind, scope, None).await?)
}
