//! The embedded sandboxes: the default for a new user. Merchants whose base URL is
//! `embedded:<provider>` talk to the four emulators started inside this process on loopback,
//! with their state kept in the profile (`sandbox/state.json`) so it survives restarts of the
//! app or the next `coffer` command. Their credentials are the emulators' public demo values,
//! read from the emulator itself, so sandbox mode needs no keyring.

use std::path::Path;

use async_trait::async_trait;
use coffer_core::{Merchant, ProviderKind};
use coffer_engine::sandboxes::EmbeddedSandboxes;
use coffer_engine::{EngineError, EngineResult, ErrorKind};
use coffer_sandbox::{Sandbox, SandboxConfig, SandboxMerchant, Seed};
use secrecy::SecretString;
use tokio::sync::OnceCell;

/// Customers per seeded merchant in the embedded sandbox.
pub const EMBEDDED_CUSTOMERS: usize = 60;

/// The four emulators in this process, started on first use.
#[derive(Default)]
pub struct Embedded {
    sandbox: OnceCell<Sandbox>,
}

impl Embedded {
    async fn sandbox(&self, data_dir: &Path) -> EngineResult<&Sandbox> {
        self.sandbox
            .get_or_try_init(|| async {
                let mut config = SandboxConfig::demo(EMBEDDED_CUSTOMERS);
                config.seed = Seed::demo(EMBEDDED_CUSTOMERS, chrono::Utc::now().date_naive());
                config.state_file = Some(data_dir.join("sandbox").join("state.json"));
                if let Some(dir) = config.state_file.as_ref().and_then(|f| f.parent()) {
                    coffer_store::private::create_dir(dir).map_err(|e| {
                        EngineError::new(
                            ErrorKind::Internal,
                            format!("cannot create {}: {e}", dir.display()),
                        )
                    })?;
                }
                Sandbox::start(config).await.map_err(|e| {
                    EngineError::new(
                        ErrorKind::ProviderUnavailable,
                        format!("embedded sandbox: {e}"),
                    )
                })
            })
            .await
    }
}

#[async_trait]
impl EmbeddedSandboxes for Embedded {
    async fn reach(
        &self,
        data_dir: &Path,
        merchant: &Merchant,
    ) -> EngineResult<(String, SecretString)> {
        let sandbox = self.sandbox(data_dir).await?;
        let all = sandbox.merchants();
        let seeded =
            find(&all, merchant.provider(), merchant.account.account_id()).ok_or_else(|| {
                EngineError::new(
                    ErrorKind::NotFound,
                    format!(
                        "the embedded {} sandbox has no account {}",
                        merchant.provider(),
                        merchant.account.account_id()
                    ),
                )
            })?;
        Ok((
            sandbox.urls.of(merchant.provider()).to_string(),
            SecretString::from(seeded.secret.clone()),
        ))
    }

    async fn admin_url(&self, data_dir: &Path) -> EngineResult<String> {
        Ok(self.sandbox(data_dir).await?.urls.admin.clone())
    }
}

fn find<'a>(
    merchants: &'a [SandboxMerchant],
    kind: ProviderKind,
    account_id: &str,
) -> Option<&'a SandboxMerchant> {
    merchants
        .iter()
        .find(|m| m.account.kind() == kind && m.account.account_id() == account_id)
}
