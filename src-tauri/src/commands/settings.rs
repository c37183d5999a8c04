//! Settings beyond the merchants themselves: how each merchant's notices go out (the .eml outbox
//! or SMTP, its password into the keyring), and the data folder.

use coffer_core::MerchantId;
use coffer_engine::config::ProfileView;
use coffer_engine::copies::UpgradeCopyView;
use coffer_engine::notices::{SmtpInput, SmtpView};
use coffer_engine::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tauri::State;

use crate::ipc_error::IpcError;

/// SMTP settings of one merchant.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct SetSmtpRequest {
    /// The merchant.
    pub merchant_id: i64,
    /// Server host.
    pub host: String,
    /// Port (587 STARTTLS, 465 TLS, 25 plain).
    pub port: u16,
    /// none | starttls | tls.
    pub security: String,
    /// Login, if the server wants one.
    pub username: Option<String>,
    /// The From address of the notices.
    pub from_address: String,
    /// The password; kept in the OS keyring, never in the database. Empty keeps none. A
    /// `SecretString` from the moment it is read off IPC, so no `Debug` print shows it.
    #[specta(type = Option<String>)]
    pub password: Option<SecretString>,
}

/// How a merchant's notices go out.
#[tauri::command]
#[specta::specta]
pub async fn smtp(engine: State<'_, Engine>, merchant_id: i64) -> Result<SmtpView, IpcError> {
    Ok(engine.smtp(MerchantId(merchant_id)).await?)
}

/// Sends a merchant's notices by SMTP from now on.
#[tauri::command]
#[specta::specta]
pub async fn set_smtp(
    engine: State<'_, Engine>,
    request: SetSmtpRequest,
) -> Result<SmtpView, IpcError> {
    let password = request.password.filter(|p| !p.expose_secret().is_empty());
    Ok(engine
        .set_smtp(
            MerchantId(request.merchant_id),
            SmtpInput {
                host: request.host,
                port: request.port,
                security: request.security,
                username: request.username.filter(|u| !u.trim().is_empty()),
                from_address: request.from_address,
            },
            password,
        )
        .await?)
}

/// Back to writing a merchant's notices as .eml files in the outbox.
#[tauri::command]
#[specta::specta]
pub async fn clear_smtp(engine: State<'_, Engine>, merchant_id: i64) -> Result<SmtpView, IpcError> {
    Ok(engine.clear_smtp(MerchantId(merchant_id)).await?)
}

/// Where this profile's files are.
#[tauri::command]
#[specta::specta]
pub async fn profile(engine: State<'_, Engine>) -> Result<ProfileView, IpcError> {
    Ok(engine.profile())
}

/// Opens another data folder from the next start on.
#[tauri::command]
#[specta::specta]
pub async fn choose_data_dir(
    engine: State<'_, Engine>,
    data_dir: String,
) -> Result<ProfileView, IpcError> {
    Ok(engine.choose_data_dir(&data_dir)?)
}

/// The copies of the database kept before upgrades, oldest first.
#[tauri::command]
#[specta::specta]
pub async fn upgrade_copies(engine: State<'_, Engine>) -> Result<Vec<UpgradeCopyView>, IpcError> {
    Ok(engine.upgrade_copies().await?)
}

/// Deletes one of them by its file name (recorded in the audit log); the copies left.
#[tauri::command]
#[specta::specta]
pub async fn delete_upgrade_copy(
    engine: State<'_, Engine>,
    file: String,
) -> Result<Vec<UpgradeCopyView>, IpcError> {
    Ok(engine.delete_upgrade_copy(&file).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_password_read_off_ipc_never_shows_in_a_debug_print() {
        let request: SetSmtpRequest = serde_json::from_value(serde_json::json!({
            "merchant_id": 1, "host": "smtp.example.com", "port": 465, "security": "tls",
            "username": "shop", "from_address": "shop@example.com", "password": "pw-9d2k7"
        }))
        .expect("an SMTP request");
        let printed = format!("{request:?}");
        assert!(!printed.contains("pw-9d2k7"), "{printed}");
        assert_eq!(
            request.password.as_ref().map(|p| p.expose_secret()),
            Some("pw-9d2k7")
        );
    }
}
