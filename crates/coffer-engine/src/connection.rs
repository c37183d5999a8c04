//! Reaching a merchant's provider: the secret from the keyring (or the embedded sandbox), the
//! client from `coffer_providers::connect`, and provider errors in the engine's kinds.

use coffer_core::Merchant;
use coffer_providers::{Provider, ProviderError, ProviderErrorKind};

use crate::embedded::is_embedded;
use crate::error::{EngineError, EngineResult, ErrorKind};
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
        let secret = if is_embedded(merchant) {
            let (base_url, secret) = self
                .inner
                .embedded
                .resolve(&self.inner.data_dir, merchant)
                .await?;
            target.base_url = base_url;
            secret
        } else {
            let at = merchant.secret.clone();
            self.secrets_blocking(move |s| s.get(&at)).await?
        };
        Ok(coffer_providers::connect(&target, secret)?)
    }

    /// Starts the embedded sandboxes (if not yet) and returns their admin URL.
    pub async fn embedded_admin_url(&self) -> EngineResult<String> {
        Ok(self
            .inner
            .embedded
            .sandbox(&self.inner.data_dir)
            .await?
            .urls
            .admin
            .clone())
    }
}

/// A provider error in one line for a sync summary.
pub(crate) fn describe(e: &EngineError) -> String {
    format!("{} ({})", e, e.kind().code())
}
