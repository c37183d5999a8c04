//! Merchants and their credentials (the secret goes to the OS keyring inside the engine), and
//! sandbox mode's demo set-up.

use std::sync::Arc;

use coffer_core::{Environment, MerchantId, ProviderAccount};
use coffer_demo::DemoSummary;
use coffer_engine::merchant_check::{ConnectionCheck, MerchantTest};
use coffer_engine::merchants::{EndpointInput, MerchantEdit, MerchantInput, MerchantView};
use coffer_engine::progress::ProgressEvent;
use coffer_engine::Engine;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use tauri::ipc::Channel;
use tauri::State;

use crate::ipc_error::IpcError;
use crate::progress::ChannelProgress;

/// A new merchant and its one secret.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct AddMerchantRequest {
    /// Shown in the switcher.
    pub name: String,
    /// The provider's identifiers.
    pub account: ProviderAccount,
    /// Sandbox or live (the provider's own servers; `endpoint.stage` says production or test).
    pub environment: Environment,
    /// Where the calls go: stage, Clover region, Assist host; a URL only for a sandbox or as an
    /// override with a reason.
    pub endpoint: EndpointInput,
    /// IANA time zone.
    pub time_zone: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Days between a notice and its charge.
    pub notice_lead_days: u32,
    /// Location group, if any.
    pub group: Option<String>,
    /// The access token, key or password; stored in the OS keyring, never in the database.
    /// A `SecretString` from the moment it is read off IPC, so no `Debug` print shows it.
    #[specta(type = Option<String>)]
    pub secret: Option<SecretString>,
    /// Save without asking the provider first whether the account and secret work (offline).
    #[serde(default)]
    pub skip_check: bool,
}

/// Changes to a merchant; absent fields stay as they are.
#[derive(Debug, Clone, Deserialize, specta::Type)]
pub struct EditMerchantRequest {
    /// Which merchant.
    pub id: i64,
    /// New name.
    pub name: Option<String>,
    /// A new endpoint (derived again; a live merchant's new host needs `secret`).
    pub endpoint: Option<EndpointInput>,
    /// New environment.
    pub environment: Option<Environment>,
    /// New time zone.
    pub time_zone: Option<String>,
    /// New currency.
    pub currency: Option<String>,
    /// New notice lead time.
    pub notice_lead_days: Option<u32>,
    /// New group; an empty string removes it.
    pub group: Option<String>,
    /// New amount above which a charge by hand is confirmed twice; an empty string removes it.
    #[serde(default)]
    pub confirm_above: Option<String>,
    /// A new secret to store in the keyring (empty keeps the old one).
    #[specta(type = Option<String>)]
    pub secret: Option<SecretString>,
    /// Save without asking the provider first whether the account and secret work (offline).
    #[serde(default)]
    pub skip_check: bool,
}

/// The connection check the owner asked for.
fn check(skip_check: bool) -> ConnectionCheck {
    if skip_check {
        ConnectionCheck::Skip
    } else {
        ConnectionCheck::First
    }
}

impl AddMerchantRequest {
    fn into_parts(self) -> (MerchantInput, Option<SecretString>, ConnectionCheck) {
        let input = MerchantInput {
            name: self.name,
            account: self.account,
            environment: self.environment,
            endpoint: self.endpoint,
            time_zone: self.time_zone,
            currency: self.currency,
            notice_lead_days: self.notice_lead_days,
            group: self.group,
        };
        (
            input,
            self.secret.filter(|s| !s.expose_secret().is_empty()),
            check(self.skip_check),
        )
    }
}

impl EditMerchantRequest {
    fn into_parts(
        self,
    ) -> (
        MerchantId,
        MerchantEdit,
        Option<SecretString>,
        ConnectionCheck,
    ) {
        let edit = MerchantEdit {
            name: self.name,
            endpoint: self.endpoint,
            environment: self.environment,
            time_zone: self.time_zone,
            currency: self.currency,
            notice_lead_days: self.notice_lead_days,
            group: self.group.map(|g| Some(g).filter(|g| !g.trim().is_empty())),
            confirm_above: self
                .confirm_above
                .map(|a| Some(a).filter(|a| !a.trim().is_empty())),
        };
        let secret = self.secret.filter(|s| !s.expose_secret().is_empty());
        (MerchantId(self.id), edit, secret, check(self.skip_check))
    }
}

/// Every merchant, for the switcher and settings.
#[tauri::command]
#[specta::specta]
pub async fn list_merchants(engine: State<'_, Engine>) -> Result<Vec<MerchantView>, IpcError> {
    Ok(engine.list_merchants().await?)
}

/// Adds a merchant after the provider accepted its account and secret (unless `skip_check`);
/// its secret goes to the keyring.
#[tauri::command]
#[specta::specta]
pub async fn add_merchant(
    engine: State<'_, Engine>,
    request: AddMerchantRequest,
) -> Result<MerchantView, IpcError> {
    let (input, secret, check) = request.into_parts();
    Ok(engine.add_merchant_checked(input, secret, check).await?)
}

/// Edits a merchant and, when given, replaces its secret; a new base URL or secret is checked
/// with the provider first (unless `skip_check`).
#[tauri::command]
#[specta::specta]
pub async fn edit_merchant(
    engine: State<'_, Engine>,
    request: EditMerchantRequest,
) -> Result<MerchantView, IpcError> {
    let (id, edit, secret, check) = request.into_parts();
    Ok(engine
        .edit_merchant_checked(id, edit, secret, check)
        .await?)
}

/// Asks the merchant's provider whether it accepts the saved account and secret.
#[tauri::command]
#[specta::specta]
pub async fn test_merchant(engine: State<'_, Engine>, id: i64) -> Result<MerchantTest, IpcError> {
    Ok(engine.test_merchant(MerchantId(id)).await?)
}

/// Removes a merchant and its keyring entry.
#[tauri::command]
#[specta::specta]
pub async fn remove_merchant(engine: State<'_, Engine>, id: i64) -> Result<(), IpcError> {
    Ok(engine.remove_merchant(MerchantId(id)).await?)
}

/// Sandbox mode: starts the embedded sandboxes, registers their demo merchants and syncs them.
#[tauri::command]
#[specta::specta]
pub async fn demo(
    engine: State<'_, Engine>,
    on_progress: Channel<ProgressEvent>,
) -> Result<DemoSummary, IpcError> {
    Ok(coffer_demo::demo(&engine, None, Arc::new(ChannelProgress(on_progress))).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_read_off_ipc_never_shows_in_a_debug_print() {
        let request: EditMerchantRequest = serde_json::from_value(serde_json::json!({
            "id": 3, "name": null, "endpoint": null, "environment": null, "time_zone": null,
            "currency": null, "notice_lead_days": null, "group": null,
            "secret": "tok-live-5f1e9c", "skip_check": true
        }))
        .expect("an edit request");
        let printed = format!("{request:?}");
        assert!(!printed.contains("tok-live-5f1e9c"), "{printed}");
        let (_, _, secret, _) = request.into_parts();
        assert_eq!(
            secret.as_ref().map(|s| s.expose_secret()),
            Some("tok-live-5f1e9c"),
            "the engine still gets the secret"
        );
    }

    #[test]
    fn an_empty_secret_keeps_the_saved_one() {
        let request: EditMerchantRequest = serde_json::from_value(serde_json::json!({
            "id": 3, "name": null, "endpoint": null, "environment": null, "time_zone": null,
            "currency": null, "notice_lead_days": null, "group": null, "secret": ""
        }))
        .expect("an edit request");
        assert!(request.into_parts().2.is_none());
    }
}
