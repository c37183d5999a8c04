//! The audit log and the verification of its hash chain.

use coffer_engine::audit::AuditQuery;
use coffer_engine::views::{AuditEventView, AuditVerification};
use coffer_engine::Engine;
use serde::Deserialize;
use tauri::State;

use crate::ipc_error::IpcError;

/// Which events to list.
#[derive(Debug, Clone, Default, Deserialize, specta::Type)]
pub struct AuditFilterRequest {
    /// Only this merchant's events.
    pub merchant_id: Option<i64>,
    /// Only this action.
    pub action: Option<String>,
    /// Events after this sequence number (paging).
    pub after_seq: Option<i64>,
    /// At most this many.
    pub limit: Option<u32>,
}

/// Audit events, oldest first.
#[tauri::command]
#[specta::specta]
pub async fn list_audit(
    engine: State<'_, Engine>,
    filter: AuditFilterRequest,
) -> Result<Vec<AuditEventView>, IpcError> {
    let filter = AuditQuery {
        merchant_id: filter.merchant_id,
        action: filter.action.filter(|a| !a.is_empty()),
        after_seq: filter.after_seq,
        limit: filter.limit,
    };
    Ok(engine.list_audit(filter).await?)
}

/// Checks every link of the chain.
#[tauri::command]
#[specta::specta]
pub async fn verify_audit(engine: State<'_, Engine>) -> Result<AuditVerification, IpcError> {
    Ok(engine.verify_audit().await?)
}
