//! The connection check: does the provider accept this merchant account and its secret? It asks
//! the provider client's own `check_credentials()` (one cheap authenticated read, chosen by each
//! client) and turns the answer into a [`MerchantTest`] that names the field at fault, so an
//! owner learns at once whether the secret, the account id or the base URL is wrong.
//!
//! The check is a read: it moves no money and changes nothing at the provider or in Coffer.
//! Add and edit run it before saving unless told to skip it ([`ConnectionCheck::Skip`], for an
//! owner who is offline).

use coffer_core::{Merchant, MerchantId, ProviderAccount};
use coffer_providers::{ProviderError, ProviderErrorKind};
use secrecy::SecretString;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;

/// Whether adding or editing a merchant first asks its provider whether the account works.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ConnectionCheck {
    /// Check first; a failed check saves nothing.
    #[default]
    First,
    /// Save without asking the provider (offline set-up).
    Skip,
}

/// The answer to "does this merchant's provider accept its account and secret?".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MerchantTest {
    /// The merchant's id; `None` for an account that is not saved yet.
    pub merchant_id: Option<i64>,
    /// Provider.
    pub provider: String,
    /// The provider's account id that was checked.
    pub account_id: String,
    /// Where the provider was asked (`embedded:<provider>` for the built-in sandbox).
    pub base_url: String,
    /// What was checked, in plain words.
    pub checked: String,
    /// The provider accepted the account and its secret.
    pub ok: bool,
    /// Why not, as the stable code; `None` when `ok`.
    pub kind: Option<ErrorKind>,
    /// The field at fault (`secret`, `base_url`, the account id's field, or the provider's own
    /// field name), when the provider's answer tells which.
    pub field: Option<String>,
    /// What the provider said, in plain words, naming the field and the rule.
    pub message: String,
}

impl MerchantTest {
    /// `Ok` when the check passed; otherwise the error that stops a save, naming the field.
    pub fn into_result(self) -> EngineResult<MerchantTest> {
        if self.ok {
            return Ok(self);
        }
        let kind = self.kind.unwrap_or(ErrorKind::Internal);
        const NOTHING_SAVED: &str = "; nothing was saved (the connection check failed)";
        Err(match (kind, self.field) {
            (ErrorKind::InvalidInput, Some(field)) => {
                let prefix = format!("{field}: ");
                let rule = self.message.strip_prefix(&prefix).unwrap_or(&self.message);
                coffer_core::InvalidInput::new(field, format!("{rule}{NOTHING_SAVED}")).into()
            }
            _ => EngineError::new(kind, format!("{}{NOTHING_SAVED}", self.message)),
        })
    }
}

/// Where the secret for a check comes from.
pub(crate) enum SecretSource {
    /// The secret the owner just gave (add, or edit with a new secret).
    Given(SecretString),
    /// Wherever the merchant's own secret lives: the keyring, or the built-in sandbox.
    Saved,
}

/// A failed check before it becomes a view.
struct Failure {
    kind: ErrorKind,
    field: Option<String>,
    message: String,
}

/// The name of the field holding the provider's account id, as the forms and
/// `ProviderAccount::validate` name it.
/// The account id is the first field each provider's account lists.
fn account_id_field(account: &ProviderAccount) -> &'static str {
    coffer_core::providers::rules(account.kind())
        .account_fields
        .first()
        .map_or("account", |field| field.key)
}

/// What the provider's answer says is wrong, in the owner's terms.
fn provider_failure(merchant: &Merchant, e: &ProviderError) -> Failure {
    let provider = merchant.provider();
    let kind = EngineError::from(e.clone()).kind();
    let (field, message) = match &e.kind {
        ProviderErrorKind::Auth => (
            Some("secret".to_string()),
            format!(
                "secret: {provider} refused the credentials of {} {}; check the secret (and the login, where there is one): {}",
                account_id_field(&merchant.account),
                merchant.account.account_id(),
                e.message
            ),
        ),
        ProviderErrorKind::InvalidRequest { field: Some(field) } => (
            Some(field.clone()),
            format!("{field}: {provider} says it is wrong: {}", e.message),
        ),
        ProviderErrorKind::Unavailable => (
            Some("base_url".to_string()),
            format!(
                "base_url: cannot reach {provider} at {}: {}",
                merchant.base_url, e.message
            ),
        ),
        ProviderErrorKind::MalformedResponse => (
            Some("base_url".to_string()),
            format!(
                "base_url: {} answered, but not as {provider}'s API does: {}",
                merchant.base_url, e.message
            ),
        ),
        ProviderErrorKind::NotFound => {
            let field = account_id_field(&merchant.account);
            (
                Some(field.to_string()),
                format!(
                    "{field}: {provider} has no account {}: {}",
                    merchant.account.account_id(),
                    e.message
                ),
            )
        }
        ProviderErrorKind::RateLimited { .. } => (
            None,
            format!(
                "{provider} asked to slow down; try the check again in a moment: {}",
                e.message
            ),
        ),
        _ => (None, format!("{provider}: {}", e.message)),
    };
    Failure {
        kind,
        field,
        message,
    }
}

/// A failure to find the secret or the built-in sandbox account, before the provider is asked.
fn reach_failure(merchant: &Merchant, e: &EngineError, embedded: bool) -> Failure {
    let kind = e.kind();
    let field = match (kind, embedded) {
        (ErrorKind::NotFound, true) => Some(account_id_field(&merchant.account).to_string()),
        (ErrorKind::NotFound, false) => Some("secret".to_string()),
        // A refused destination (base_url, host, project_id) names its own field.
        _ => e.envelope().field,
    };
    let message = match &field {
        Some(_) if kind == ErrorKind::InvalidInput => e.to_string(),
        Some(field) => format!("{field}: {e}"),
        None => e.to_string(),
    };
    Failure {
        kind,
        field,
        message,
    }
}

impl Engine {
    /// Asks the merchant's provider whether it accepts the saved account and secret. A refusal
    /// is an answer (`ok: false`, with the kind and the field at fault), not an error; errors are
    /// only an unknown merchant or a broken store.
    pub async fn test_merchant(&self, id: MerchantId) -> EngineResult<MerchantTest> {
        let merchant = self.merchant(id).await?;
        Ok(self
            .check_connection(&merchant, SecretSource::Saved, Some(id))
            .await)
    }

    /// Runs the provider's credential check for `merchant` (saved or not) with the secret from
    /// `source`. Never fails: every failure is described in the view.
    pub(crate) async fn check_connection(
        &self,
        merchant: &Merchant,
        source: SecretSource,
        id: Option<MerchantId>,
    ) -> MerchantTest {
        let embedded = merchant.is_embedded();
        let provider = merchant.provider();
        let used = match (&source, embedded) {
            (_, true) => "the built-in sandbox's demo secret",
            (SecretSource::Given(_), false) => "the secret given",
            (_, false) => "the secret saved in the keyring",
        };
        let checked = format!(
            "{provider} account {} {} at {}, with {used}, by the provider's credential check (one authenticated read; nothing is charged or changed)",
            account_id_field(&merchant.account),
            merchant.account.account_id(),
            merchant.base_url
        );
        let outcome = match self.reach(merchant, source, embedded).await {
            Err(e) => Err(reach_failure(merchant, &e, embedded)),
            Ok((target, secret)) => match coffer_providers::connect(&target, secret) {
                Err(e) => Err(provider_failure(merchant, &e)),
                Ok(client) => client
                    .check_credentials()
                    .await
                    .map_err(|e| provider_failure(merchant, &e)),
            },
        };
        let (ok, kind, field, message) = match outcome {
            Ok(()) => (
                true,
                None,
                None,
                format!("{provider} accepted the account and its secret"),
            ),
            Err(f) => (false, Some(f.kind), f.field, f.message),
        };
        MerchantTest {
            merchant_id: id.map(|id| id.0),
            provider: provider.to_string(),
            account_id: merchant.account.account_id().to_string(),
            base_url: merchant.base_url.clone(),
            checked,
            ok,
            kind,
            field,
            message,
        }
    }

    /// The address and secret to call: the built-in sandbox's, the given one, or the keyring's.
    async fn reach(
        &self,
        merchant: &Merchant,
        source: SecretSource,
        embedded: bool,
    ) -> EngineResult<(Merchant, SecretString)> {
        if embedded {
            let mut target = merchant.clone();
            let (base_url, secret) = self
                .inner
                .embedded
                .reach(&self.inner.data_dir, merchant)
                .await?;
            target.base_url = base_url;
            return Ok((target, secret));
        }
        let secret = match source {
            SecretSource::Given(secret) => {
                // Not saved yet: the endpoint rules were checked when the input was validated;
                // checked again here so no path sends a live secret elsewhere.
                coffer_providers::endpoints::check_destination(merchant)?;
                secret
            }
            SecretSource::Saved => self.saved_secret(merchant).await?,
        };
        Ok((merchant.clone(), secret))
    }
}
