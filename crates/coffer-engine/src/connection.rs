//! Reaching a merchant's provider: the secret from the keyring (or the host's embedded sandboxes), the
//! client from `coffer_providers::connect`, and provider errors in the engine's kinds.

use coffer_core::{Environment, InvalidInput, Merchant};
use coffer_providers::endpoints;
use coffer_providers::{Provider, ProviderError, ProviderErrorKind};
use coffer_store::audit_log::AuditFilter;
use secrecy::SecretString;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::merchants::HOST_OVERRIDE_ACTION;
use crate::secrets::read_merchant_secret;
use crate::Engine;

impl From<ProviderError> for EngineError {
    fn from(e: ProviderError) -> EngineError {
        let kind = match e.kind {
            ProviderErrorKind::DeclinedHard => ErrorKind::DeclinedHard,
            ProviderErrorKind::DeclinedSoft => ErrorKind::DeclinedSoft,
            ProviderErrorKind::InvalidRequest { .. } | ProviderErrorKind::Unsupported => {
                ErrorKind::InvalidInput
            }
            ProviderErrorKind::Auth => ErrorKind::Auth,
            ProviderErrorKind::RateLimited { .. } | ProviderErrorKind::Unavailable => {
                ErrorKind::ProviderUnavailable
            }
            ProviderErrorKind::UnknownOutcome | ProviderErrorKind::MalformedResponse => {
                ErrorKind::UnknownOutcome
            }
            ProviderErrorKind::NotFound => ErrorKind::NotFound,
            ProviderErrorKind::Duplicate => ErrorKind::Conflict,
        };
        EngineError::new(kind, e.to_string())
    }
}

impl Engine {
    /// The provider client for a merchant, with its secret for the length of this client.
    pub(crate) async fn provider_for(
        &self,
        merchant: &Merchant,
    ) -> EngineResult<Box<dyn Provider>> {
        let mut target = merchant.clone();
        let secret = if merchant.is_embedded() {
            let (base_url, secret) = self
                .inner
                .embedded
                .reach(&self.inner.data_dir, merchant)
                .await?;
            target.base_url = base_url;
            secret
        } else {
            self.saved_secret(merchant).await?
        };
        Ok(coffer_providers::connect(&target, secret)?)
    }

    /// A saved merchant's secret from the keyring, at the address derived from its provider,
    /// account id and environment, after [`Engine::ensure_destination`] has passed.
    pub(crate) async fn saved_secret(&self, merchant: &Merchant) -> EngineResult<SecretString> {
        self.ensure_destination(merchant).await?;
        let merchant = merchant.clone();
        self.secrets_blocking(move |s| read_merchant_secret(s, &merchant))
            .await
    }

    /// The check made at use time, before a saved merchant's secret is read: the merchant may
    /// come from a database edited by hand. A live merchant's base URL must be https on the
    /// provider's own hosts, or the host of an override that the audit log shows was granted for
    /// this merchant (an override typed into the database has no such event).
    pub(crate) async fn ensure_destination(&self, merchant: &Merchant) -> EngineResult<()> {
        if merchant.is_embedded() || merchant.environment == Environment::Sandbox {
            return Ok(());
        }
        endpoints::check_destination(merchant)?;
        let Some(granted) = merchant.endpoint.host_override.clone() else {
            return Ok(());
        };
        let id = merchant.id.0;
        let host = granted.host.clone();
        let audited = self
            .read_store(move |store| {
                let events = store.audit_events(&AuditFilter {
                    merchant_id: Some(id),
                    action: Some(HOST_OVERRIDE_ACTION.to_string()),
                    ..AuditFilter::default()
                })?;
                Ok(events.iter().any(|e| {
                    serde_json::from_str::<serde_json::Value>(&e.details)
                        .ok()
                        .and_then(|d| {
                            d.get("host")?
                                .as_str()
                                .map(|h| h.eq_ignore_ascii_case(&host))
                        })
                        .unwrap_or(false)
                }))
            })
            .await?;
        if audited {
            Ok(())
        } else {
            Err(InvalidInput::new(
                "base_url",
                format!("{}'s override for {} has no audit record of the owner granting it; no secret is sent there (give the override again with a reason)", merchant.name, granted.host),
            )
            .into())
        }
    }

    /// Starts the embedded sandboxes (if not yet) and returns their admin URL.
    pub async fn embedded_admin_url(&self) -> EngineResult<String> {
        self.inner.embedded.admin_url(&self.inner.data_dir).await
    }
}

/// A provider error in one line for a sync summary.
pub(crate) fn describe(e: &EngineError) -> String {
    format!("{} ({})", e, e.kind().code())
}
