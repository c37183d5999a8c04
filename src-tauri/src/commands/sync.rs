//! Pulling customers and cards from the providers into the local cache.

use std::sync::Arc;

use coffer_core::MerchantId;
use coffer_engine::progress::ProgressEvent;
use coffer_engine::sync::SyncSummary;
use coffer_engine::Engine;
use tauri::ipc::Channel;
use tauri::State;
use tokio_util::sync::CancellationToken;

use crate::ipc_error::IpcError;
use crate::progress::ChannelProgress;

/// Syncs one merchant.
#[tauri::command]
#[specta::specta]
pub async fn sync_merchant(
    engine: State<'_, Engine>,
    merchant_id: i64,
    on_progress: Channel<ProgressEvent>,
) -> Result<SyncSummary, IpcError> {
    let progress = Arc::new(ChannelProgress(on_progress));
    Ok(engine
        .sync_merchant(MerchantId(merchant_id), progress, CancellationToken::new())
        .await?)
}

/// Syncs every merchant; one failing merchant is reported in its summary.
#[tauri::command]
#[specta::specta]
pub async fn sync_all(
    engine: State<'_, Engine>,
    on_progress: Channel<ProgressEvent>,
) -> Result<Vec<SyncSummary>, IpcError> {
    let progress = Arc::new(ChannelProgress(on_progress));
    Ok(engine
        .sync_all(Vec::new(), progress, CancellationToken::new())
        .await?)
}
