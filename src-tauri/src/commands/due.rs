//! The due list and the due run: what the contracts will charge in the next days, and the run
//! that sends the notices and charges what is due, with its progress.

use std::sync::Arc;

use coffer_engine::due::{ApprovedCharge, DueRun, DueSummary};
use coffer_engine::progress::ProgressEvent;
use coffer_engine::upcoming::UpcomingCharge;
use coffer_engine::Engine;
use tauri::ipc::Channel;
use tauri::State;

use crate::commands::ScopeRequest;
use crate::ipc_error::IpcError;
use crate::progress::ChannelProgress;

/// Open charges from the overdue ones through `days` days ahead.
#[tauri::command]
#[specta::specta]
pub async fn upcoming_charges(
    engine: State<'_, Engine>,
    scope: ScopeRequest,
    days: u32,
) -> Result<Vec<UpcomingCharge>, IpcError> {
    Ok(engine.upcoming_charges(scope, days).await?)
}

/// Sends the notices that are due, then charges every due occurrence the rules allow; with
/// `approved` (the charges of the rehearsal the owner confirmed) none other.
#[tauri::command]
#[specta::specta]
pub async fn run_due(
    engine: State<'_, Engine>,
    scope: ScopeRequest,
    dry_run: bool,
    approved: Option<Vec<ApprovedCharge>>,
    on_progress: Channel<ProgressEvent>,
) -> Result<DueSummary, IpcError> {
    let run = DueRun {
        merchants: scope.into(),
        dry_run,
        approved,
        ..DueRun::default()
    };
    Ok(engine
        .run_due(run, Arc::new(ChannelProgress(on_progress)))
        .await?)
}
