//! The dashboard's charts.

use coffer_engine::dashboard::DashboardView;
use coffer_engine::Engine;
use tauri::State;

use crate::commands::ScopeRequest;
use crate::ipc_error::IpcError;

/// Revenue and declines by month, upcoming charges, cards expiring.
#[tauri::command]
#[specta::specta]
pub async fn dashboard(
    engine: State<'_, Engine>,
    scope: ScopeRequest,
) -> Result<DashboardView, IpcError> {
    Ok(engine.dashboard(scope).await?)
}
