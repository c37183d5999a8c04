//! Secrets live only in the OS keyring. The domain holds a `SecretRef` (an address); the secret
//! itself is a `SecretString` (redacted `Debug`, no `Serialize`) that exists only inside the
//! engine and the provider client for the length of a call.
//!
//! When no keyring is reachable (a headless session without a Secret Service) Coffer stops with
//! a clear message; it never falls back to storing a secret anywhere else.

use std::collections::HashMap;
use std::sync::Mutex;

use coffer_core::{Environment, Merchant, ProviderKind, SecretRef};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{EngineError, ErrorKind};

/// The keyring service name. It carries the app identifier, so a dev or test profile (another
/// `COFFER_KEYRING_SERVICE`) never sees the live secrets.
pub fn keyring_service() -> String {
    std::env::var("COFFER_KEYRING_SERVICE")
        .ok()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "dev.coffer.app".to_string())
}

/// Where a merchant's secret lives in the keyring: derived from the provider, the provider's
/// account id and the environment, at use time, and nowhere else. Nothing stored in the database
/// takes part, so a row edited by hand cannot point a lookup at another account's secret, and a
/// live secret is never found under a sandbox merchant (the environment is part of the address).
/// One account at one provider in one environment has one secret, whatever its base URL.
pub fn secret_address(
    provider: ProviderKind,
    account_id: &str,
    environment: Environment,
) -> SecretRef {
    SecretRef {
        service: keyring_service(),
        account: format!("{provider}/{account_id}@{}", environment.as_str()),
    }
}

/// [`secret_address`] of a merchant.
pub fn merchant_secret_address(merchant: &Merchant) -> SecretRef {
    secret_address(
        merchant.provider(),
        merchant.account.account_id(),
        merchant.environment,
    )
}

/// Where Coffer before schema 8 put the secret: `<provider>/<account id>@<base URL>` (the
/// `secret_account` column always held exactly this). Read once, on first use, and moved to
/// [`merchant_secret_address`]; it names the same provider account, so it cannot lead to
/// another account's secret.
pub(crate) fn legacy_secret_address(merchant: &Merchant) -> SecretRef {
    SecretRef {
        service: keyring_service(),
        account: format!(
            "{}/{}@{}",
            merchant.provider(),
            merchant.account.account_id(),
            merchant.base_url
        ),
    }
}

/// Reads a merchant's secret at its derived address; a secret still at the pre-schema-8 address
/// is moved there first (written at the new address, then removed from the old one).
pub(crate) fn read_merchant_secret(
    store: &dyn SecretStore,
    merchant: &Merchant,
) -> Result<SecretString, SecretError> {
    let at = merchant_secret_address(merchant);
    match store.get(&at) {
        Err(SecretError::Missing(missing)) => {
            let legacy = legacy_secret_address(merchant);
            match store.get(&legacy) {
                Ok(secret) => {
                    store.set(&at, &secret)?;
                    store.delete(&legacy)?;
                    Ok(secret)
                }
                Err(SecretError::Missing(_)) => Err(SecretError::Missing(missing)),
                Err(e) => Err(e),
            }
        }
        other => other,
    }
}

/// Why a secret could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No keyring service is reachable.
    #[error("no OS keyring is reachable ({0}); Coffer keeps secrets only in the keyring. On Linux start a Secret Service (e.g. gnome-keyring) in your desktop session")]
    Unavailable(String),
    /// Nothing is stored at this address.
    #[error("no secret is saved in the keyring for {0}")]
    Missing(String),
    /// The keyring refused.
    #[error("the keyring refused: {0}")]
    Refused(String),
}

impl From<SecretError> for EngineError {
    fn from(e: SecretError) -> EngineError {
        let kind = match e {
            SecretError::Unavailable(_) => ErrorKind::KeyringUnavailable,
            SecretError::Missing(_) => ErrorKind::NotFound,
            SecretError::Refused(_) => ErrorKind::KeyringUnavailable,
        };
        EngineError::new(kind, e.to_string())
    }
}

/// Where secrets are kept.
pub trait SecretStore: Send + Sync {
    /// Saves (or replaces) the secret at `at`.
    fn set(&self, at: &SecretRef, secret: &SecretString) -> Result<(), SecretError>;
    /// Reads the secret at `at`.
    fn get(&self, at: &SecretRef) -> Result<SecretString, SecretError>;
    /// Removes the secret at `at`; removing nothing is fine.
    fn delete(&self, at: &SecretRef) -> Result<(), SecretError>;
    /// Checks a keyring is reachable, before anything is written elsewhere.
    fn probe(&self) -> Result<(), SecretError>;
}

/// The OS keyring (Secret Service on Linux, Keychain on macOS, Credential Manager on Windows).
#[derive(Debug, Default)]
pub struct KeyringStore;

fn entry(at: &SecretRef) -> Result<keyring::Entry, SecretError> {
    keyring::Entry::new(&at.service, &at.account).map_err(map_keyring)
}

fn map_keyring(e: keyring::Error) -> SecretError {
    match e {
        keyring::Error::PlatformFailure(inner) => SecretError::Unavailable(inner.to_string()),
        keyring::Error::NoStorageAccess(inner) => SecretError::Unavailable(inner.to_string()),
        other => SecretError::Refused(other.to_string()),
    }
}

impl SecretStore for KeyringStore {
    fn set(&self, at: &SecretRef, secret: &SecretString) -> Result<(), SecretError> {
        entry(at)?
            .set_password(secret.expose_secret())
            .map_err(map_keyring)
    }

    fn get(&self, at: &SecretRef) -> Result<SecretString, SecretError> {
        match entry(at)?.get_password() {
            Ok(secret) => Ok(SecretString::from(secret)),
            Err(keyring::Error::NoEntry) => Err(SecretError::Missing(at.account.clone())),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn delete(&self, at: &SecretRef) -> Result<(), SecretError> {
        match entry(at)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }

    fn probe(&self) -> Result<(), SecretError> {
        let probe = SecretRef {
            service: keyring_service(),
            account: "coffer-probe".into(),
        };
        match entry(&probe)?.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(map_keyring(e)),
        }
    }
}

/// Secrets in this process's memory only: for tests inside one process and for the embedded
/// sandbox merchants, whose secrets are public demo values.
#[derive(Debug, Default)]
pub struct MemoryStore {
    secrets: Mutex<HashMap<(String, String), String>>,
}

impl SecretStore for MemoryStore {
    fn set(&self, at: &SecretRef, secret: &SecretString) -> Result<(), SecretError> {
        let mut map = self
            .secrets
            .lock()
            .map_err(|_| SecretError::Refused("poisoned".into()))?;
        map.insert(
            (at.service.clone(), at.account.clone()),
            secret.expose_secret().to_string(),
        );
        Ok(())
    }

    fn get(&self, at: &SecretRef) -> Result<SecretString, SecretError> {
        let map = self
            .secrets
            .lock()
            .map_err(|_| SecretError::Refused("poisoned".into()))?;
        map.get(&(at.service.clone(), at.account.clone()))
            .map(|s| SecretString::from(s.clone()))
            .ok_or_else(|| SecretError::Missing(at.account.clone()))
    }

    fn delete(&self, at: &SecretRef) -> Result<(), SecretError> {
        let mut map = self
            .secrets
            .lock()
            .map_err(|_| SecretError::Refused("poisoned".into()))?;
        map.remove(&(at.service.clone(), at.account.clone()));
        Ok(())
    }

    fn probe(&self) -> Result<(), SecretError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_store_keeps_secrets_per_address() {
        let store = MemoryStore::default();
        let at = SecretRef {
            service: "s".into(),
            account: "a".into(),
        };
        store
            .set(&at, &SecretString::from("pw".to_string()))
            .unwrap();
        assert_eq!(store.get(&at).unwrap().expose_secret(), "pw");
        store.delete(&at).unwrap();
        assert!(matches!(store.get(&at), Err(SecretError::Missing(_))));
    }

    #[test]
    fn a_secret_never_shows_in_debug_output() {
        let secret = SecretString::from("hunter2-very-secret".to_string());
        assert!(!format!("{secret:?}").contains("hunter2"));
    }
}
