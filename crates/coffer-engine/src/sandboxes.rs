//! The sandboxes embedded in the host app, as the engine sees them: something the host plugs in
//! (the CLI and the desktop shell plug in `coffer-demo`'s in-process emulators), so the engine
//! never links an emulator. A merchant whose base URL is [`BaseUrl::Embedded`] is reached
//! through it; every other merchant through the keyring and the provider clients.
//!
//! [`BaseUrl::Embedded`]: coffer_core::BaseUrl::Embedded

use std::path::Path;

use async_trait::async_trait;
use coffer_core::Merchant;
use secrecy::SecretString;

use crate::error::{EngineError, EngineResult, ErrorKind};

/// The host's embedded sandboxes. Their credentials are the emulators' public demo values, so
/// sandbox mode needs no keyring.
#[async_trait]
pub trait EmbeddedSandboxes: Send + Sync {
    /// The real base URL and the demo secret of an embedded merchant, starting the sandboxes on
    /// first use with their state kept under the profile directory `data_dir`.
    async fn reach(
        &self,
        data_dir: &Path,
        merchant: &Merchant,
    ) -> EngineResult<(String, SecretString)>;

    /// The sandboxes' admin URL (`…/__sandbox`), starting them on first use.
    async fn admin_url(&self, data_dir: &Path) -> EngineResult<String>;
}

/// What an engine opened without embedded sandboxes answers for an embedded merchant.
pub(crate) struct NoEmbeddedSandboxes;

#[async_trait]
impl EmbeddedSandboxes for NoEmbeddedSandboxes {
    async fn reach(&self, _: &Path, merchant: &Merchant) -> EngineResult<(String, SecretString)> {
        Err(missing(&format!(
            "{} talks to the embedded {} sandbox",
            merchant.name,
            merchant.provider()
        )))
    }

    async fn admin_url(&self, _: &Path) -> EngineResult<String> {
        Err(missing("demo mode needs the embedded sandboxes"))
    }
}

fn missing(what: &str) -> EngineError {
    EngineError::new(
        ErrorKind::ProviderUnavailable,
        format!("{what}, and this program was started without them (give an external sandbox's URL instead)"),
    )
}
