//! Merchant accounts: add, edit, list, remove, and the secret that goes with each (keyring only).

use coffer_core::merchant::parse_time_zone;
use coffer_core::{
    Currency, Environment, InvalidInput, Merchant, MerchantId, ProviderAccount, SecretRef,
};
use coffer_store::merchants::NewMerchant;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use crate::embedded::{is_embedded, EMBEDDED_PREFIX};
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::merchant_check::{ConnectionCheck, SecretSource};
use crate::secrets::keyring_service;
use crate::Engine;

/// What the owner enters for a merchant account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantInput {
    /// Display name.
    pub name: String,
    /// The provider's ids.
    pub account: ProviderAccount,
    /// Sandbox or live.
    pub environment: Environment,
    /// `https://…`, `http://127.0.0.1:…` for an external sandbox, or `embedded:<provider>`.
    pub base_url: String,
    /// IANA time zone.
    pub time_zone: String,
    /// ISO 4217 code.
    pub currency: String,
    /// Days of notice before a scheduled charge.
    pub notice_lead_days: u32,
    /// Group of locations.
    pub group: Option<String>,
}

/// Changes to a merchant; `None` keeps the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MerchantEdit {
    /// New name.
    pub name: Option<String>,
    /// New base URL.
    pub base_url: Option<String>,
    /// New environment.
    pub environment: Option<Environment>,
    /// New time zone.
    pub time_zone: Option<String>,
    /// New currency.
    pub currency: Option<String>,
    /// New lead days.
    pub notice_lead_days: Option<u32>,
    /// New group (`Some(None)` clears it).
    pub group: Option<Option<String>>,
}

/// A merchant as the CLI and the UI show it. No secret, ever.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MerchantView {
    /// Coffer id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Provider.
    pub provider: String,
    /// The provider's ids.
    pub account: ProviderAccount,
    /// sandbox | live.
    pub environment: Environment,
    /// Base URL.
    pub base_url: String,
    /// Talks to the embedded sandbox.
    pub embedded: bool,
    /// Time zone.
    pub time_zone: String,
    /// Currency.
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub currency: Currency,
    /// Notice lead days.
    pub notice_lead_days: u32,
    /// Group.
    pub group: Option<String>,
}

impl From<&Merchant> for MerchantView {
    fn from(m: &Merchant) -> Self {
        MerchantView {
            id: m.id.0,
            name: m.name.clone(),
            provider: m.provider().to_string(),
            account: m.account.clone(),
            environment: m.environment,
            base_url: m.base_url.clone(),
            embedded: is_embedded(m),
            time_zone: m.time_zone.name().to_string(),
            currency: m.currency,
            notice_lead_days: m.notice_lead_days,
            group: m.group.clone(),
        }
    }
}

fn validate_base_url(base_url: &str, account: &ProviderAccount) -> Result<(), InvalidInput> {
    if let Some(provider) = base_url.strip_prefix(EMBEDDED_PREFIX) {
        if provider != account.kind().as_str() {
            return Err(InvalidInput::new(
                "base_url",
                format!(
                    "embedded:{provider} does not match the provider {}",
                    account.kind()
                ),
            ));
        }
        return Ok(());
    }
    let scheme_ok = base_url.starts_with("https://") || base_url.starts_with("http://");
    if !scheme_ok || base_url.len() < "http://x".len() {
        return Err(InvalidInput::new(
            "base_url",
            format!("'{base_url}' must start with https:// (or http:// for a local sandbox), or be embedded:{}", account.kind()),
        ));
    }
    Ok(())
}

fn validate(input: &MerchantInput) -> Result<NewMerchant, InvalidInput> {
    if input.name.trim().is_empty() {
        return Err(InvalidInput::new("name", "must not be empty"));
    }
    input.account.validate()?;
    validate_base_url(&input.base_url, &input.account)?;
    if input.environment == Environment::Live && input.base_url.starts_with(EMBEDDED_PREFIX) {
        return Err(InvalidInput::new(
            "environment",
            "an embedded sandbox merchant cannot be live",
        ));
    }
    let time_zone = parse_time_zone(&input.time_zone)?;
    let currency = Currency::from_code(&input.currency).map_err(|e| e.in_field("currency"))?;
    if input.notice_lead_days > 60 {
        return Err(InvalidInput::new(
            "notice_lead_days",
            "must be at most 60 days",
        ));
    }
    Ok(NewMerchant {
        name: input.name.trim().to_string(),
        account: input.account.clone(),
        environment: input.environment,
        base_url: input.base_url.trim_end_matches('/').to_string(),
        time_zone,
        currency,
        notice_lead_days: input.notice_lead_days,
        group: input.group.clone().filter(|g| !g.trim().is_empty()),
        secret: SecretRef {
            service: keyring_service(),
            account: format!(
                "{}/{}@{}",
                input.account.kind(),
                input.account.account_id(),
                input.base_url.trim_end_matches('/')
            ),
        },
    })
}

/// The secret an added merchant needs: none for an embedded-sandbox merchant, else a non-empty one.
fn required_secret(
    new: &NewMerchant,
    secret: Option<SecretString>,
) -> Result<Option<SecretString>, InvalidInput> {
    let embedded = new.base_url.starts_with(EMBEDDED_PREFIX);
    match (embedded, secret) {
        (true, _) => Ok(None),
        (false, Some(s)) if !s.expose_secret().trim().is_empty() => Ok(Some(s)),
        (false, _) => Err(InvalidInput::new("secret", "is required for a merchant that is not embedded; give it on stdin or in an environment variable")),
    }
}

/// The merchant as it would be saved, before it has an id.
fn unsaved(new: NewMerchant) -> Merchant {
    Merchant {
        id: MerchantId(0),
        name: new.name,
        account: new.account,
        environment: new.environment,
        base_url: new.base_url,
        time_zone: new.time_zone,
        currency: new.currency,
        notice_lead_days: new.notice_lead_days,
        group: new.group,
        secret: new.secret,
    }
}

/// `current` with `edit` applied and validated; the secret's address follows the base URL so two
/// endpoints never share one keyring entry.
fn edited(current: &Merchant, edit: &MerchantEdit) -> Result<Merchant, InvalidInput> {
    let input = MerchantInput {
        name: edit.name.clone().unwrap_or_else(|| current.name.clone()),
        account: current.account.clone(),
        environment: edit.environment.unwrap_or(current.environment),
        base_url: edit
            .base_url
            .clone()
            .unwrap_or_else(|| current.base_url.clone()),
        time_zone: edit
            .time_zone
            .clone()
            .unwrap_or_else(|| current.time_zone.name().to_string()),
        currency: edit
            .currency
            .clone()
            .unwrap_or_else(|| current.currency.code().to_string()),
        notice_lead_days: edit.notice_lead_days.unwrap_or(current.notice_lead_days),
        group: edit.group.clone().unwrap_or_else(|| current.group.clone()),
    };
    Ok(Merchant {
        id: current.id,
        ..unsaved(validate(&input)?)
    })
}

impl Engine {
    /// Adds a merchant account. A merchant on a real or external endpoint needs its secret,
    /// which goes to the OS keyring only; an embedded-sandbox merchant needs none.
    pub async fn add_merchant(
        &self,
        input: MerchantInput,
        secret: Option<SecretString>,
    ) -> EngineResult<MerchantView> {
        let new = validate(&input)?;
        let secret = required_secret(&new, secret)?;
        if secret.is_some() {
            self.secrets_blocking(|s| s.probe()).await?;
        }
        let now = self.now();
        let audit = self.audit_event(
            None,
            "merchant_added",
            String::new(),
            serde_json::json!({"name": new.name, "provider": new.account.kind().as_str(), "account_id": new.account.account_id(), "base_url": new.base_url}),
        );
        let merchant = self
            .with_store(move |store| {
                Ok(store.batch(|store| {
                    let merchant = store.insert_merchant(&new, now)?;
                    let mut audit = audit;
                    audit.merchant_id = Some(merchant.id.0);
                    audit.subject = format!("merchant:{}", merchant.id);
                    store.append_audit_here(audit)?;
                    Ok(merchant)
                })?)
            })
            .await?;
        if let Some(secret) = secret {
            let at = merchant.secret.clone();
            if let Err(e) = self.secrets_blocking(move |s| s.set(&at, &secret)).await {
                // Without its secret the account is unusable: take it back out.
                let id = merchant.id;
                let _ = self
                    .with_store(move |store| Ok(store.remove_merchant(id, now)?))
                    .await;
                return Err(e);
            }
        }
        Ok(MerchantView::from(&merchant))
    }

    /// Changes a merchant's fields and, when given, replaces its secret in the keyring.
    pub async fn edit_merchant(
        &self,
        id: MerchantId,
        edit: MerchantEdit,
        secret: Option<SecretString>,
    ) -> EngineResult<MerchantView> {
        let current = self
            .with_store(move |store| Ok(store.merchant(id)?))
            .await?;
        let updated = edited(&current, &edit)?;
        let moved = updated.secret != current.secret;
        if let Some(secret) = secret {
            let at = updated.secret.clone();
            self.secrets_blocking(move |s| s.set(&at, &secret)).await?;
        } else if moved && !is_embedded(&updated) {
            let (from, to) = (current.secret.clone(), updated.secret.clone());
            self.secrets_blocking(move |s| {
                let secret = s.get(&from)?;
                s.set(&to, &secret)?;
                s.delete(&from)
            })
            .await?;
        }
        let audit = self.audit_event(
            Some(id.0),
            "merchant_edited",
            format!("merchant:{id}"),
            serde_json::json!({"name": updated.name, "base_url": updated.base_url, "time_zone": updated.time_zone.name(),
                               "currency": updated.currency.code(), "notice_lead_days": updated.notice_lead_days, "group": updated.group}),
        );
        let saved = updated.clone();
        self.with_store(move |store| {
            store.batch(|store| {
                store.update_merchant(&saved)?;
                store.append_audit_here(audit)?;
                Ok(())
            })?;
            Ok(())
        })
        .await?;
        Ok(MerchantView::from(&updated))
    }

    /// [`Engine::add_merchant`], after asking the provider whether it accepts the account and
    /// its secret (unless `check` is [`ConnectionCheck::Skip`]). A failed check saves nothing:
    /// the error has the check's kind and names the field at fault (`secret`, `base_url`, the
    /// account id).
    pub async fn add_merchant_checked(
        &self,
        input: MerchantInput,
        secret: Option<SecretString>,
        check: ConnectionCheck,
    ) -> EngineResult<MerchantView> {
        if check == ConnectionCheck::First {
            let new = validate(&input)?;
            let given = required_secret(&new, secret.clone())?;
            let source = match given {
                Some(secret) => {
                    // No keyring, no merchant: say so before asking the provider anything.
                    self.secrets_blocking(|s| s.probe()).await?;
                    SecretSource::Given(secret)
                }
                None => SecretSource::Saved,
            };
            self.check_connection(&unsaved(new), source, None)
                .await
                .into_result()?;
        }
        self.add_merchant(input, secret).await
    }

    /// [`Engine::edit_merchant`], after asking the provider whether it accepts the edited
    /// account, when the edit changes what the provider sees (the base URL or the secret) and
    /// `check` is not [`ConnectionCheck::Skip`]. A failed check changes nothing. Renaming or
    /// regrouping an account never needs the provider.
    pub async fn edit_merchant_checked(
        &self,
        id: MerchantId,
        edit: MerchantEdit,
        secret: Option<SecretString>,
        check: ConnectionCheck,
    ) -> EngineResult<MerchantView> {
        if check == ConnectionCheck::First {
            let current = self.merchant(id).await?;
            let updated = edited(&current, &edit)?;
            let source = match &secret {
                Some(secret) => {
                    self.secrets_blocking(|s| s.probe()).await?;
                    Some(SecretSource::Given(secret.clone()))
                }
                None if updated.base_url != current.base_url => {
                    Some(SecretSource::SavedAt(current.secret.clone()))
                }
                None => None,
            };
            if let Some(source) = source {
                self.check_connection(&updated, source, Some(id))
                    .await
                    .into_result()?;
            }
        }
        self.edit_merchant(id, edit, secret).await
    }

    /// Every merchant account, grouped then by name.
    pub async fn list_merchants(&self) -> EngineResult<Vec<MerchantView>> {
        self.with_store(|store| Ok(store.merchants()?.iter().map(MerchantView::from).collect()))
            .await
    }

    /// Removes a merchant account and its keyring entry. Its ledger, contracts and audit events
    /// stay.
    pub async fn remove_merchant(&self, id: MerchantId) -> EngineResult<()> {
        let merchant = self
            .with_store(move |store| Ok(store.merchant(id)?))
            .await?;
        if !is_embedded(&merchant) {
            let at = merchant.secret.clone();
            self.secrets_blocking(move |s| s.delete(&at)).await?;
        }
        let now = self.now();
        let audit = self.audit_event(
            Some(id.0),
            "merchant_removed",
            format!("merchant:{id}"),
            serde_json::json!({"name": merchant.name}),
        );
        self.with_store(move |store| {
            store.batch(|store| {
                store.remove_merchant(id, now)?;
                store.append_audit_here(audit)?;
                Ok(())
            })?;
            Ok(())
        })
        .await
    }

    /// One merchant.
    pub async fn merchant(&self, id: MerchantId) -> EngineResult<Merchant> {
        self.with_store(move |store| Ok(store.merchant(id)?)).await
    }

    /// The merchants of a group, or the one merchant, or all: the scope of a consolidated view.
    pub async fn merchant_scope(
        &self,
        merchant: Option<MerchantId>,
        group: Option<String>,
    ) -> EngineResult<Vec<MerchantId>> {
        let all = self.with_store(|store| Ok(store.merchants()?)).await?;
        match (merchant, group) {
            (Some(id), _) => all
                .iter()
                .find(|m| m.id == id)
                .map(|m| vec![m.id])
                .ok_or_else(|| {
                    EngineError::new(ErrorKind::NotFound, format!("merchant {id} not found"))
                }),
            (None, Some(group)) => {
                let ids: Vec<_> = all
                    .iter()
                    .filter(|m| m.group.as_deref() == Some(group.as_str()))
                    .map(|m| m.id)
                    .collect();
                if ids.is_empty() {
                    Err(
                        InvalidInput::new("group", format!("no merchant is in group '{group}'"))
                            .into(),
                    )
                } else {
                    Ok(ids)
                }
            }
            (None, None) => Ok(Vec::new()),
        }
    }
}
