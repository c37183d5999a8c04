//! Erasing a customer (a data-protection request): one call into `Engine::erase_customer`.

use coffer_core::CustomerId;
use coffer_engine::erase::ErasureReport;
use coffer_engine::Engine;
use tauri::State;

use crate::ipc_error::IpcError;

/// Erases a customer: cards deleted at providers that offer it, contracts ended without
/// notice, name, e-mail, phone and address gone; amounts, references and the audit chain kept.
/// The UI asks first, naming what is kept and what is gone.
#[tauri::command]
#[specta::specta]
pub async fn erase_customer(
    engine: State<'_, Engine>,
    customer_id: i64,
) -> Result<ErasureReport, IpcError> {
    Ok(engine.erase_customer(CustomerId(customer_id)).await?)
}
