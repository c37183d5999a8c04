//! Merchant accounts: add, edit, list, remove, and the secret that goes with each (keyring only).
//!
//! The owner picks the provider and the environment, not a URL: a live merchant's base URL comes
//! from the published table in `coffer_providers::endpoints` (stage production or the provider's
//! own test environment, Clover's region, Assist's server name). A typed URL is for sandbox
//! merchants, or for a live one only as an explicit override with a reason, which is audited,
//! stored on the merchant and shown wherever the merchant is. A live merchant's secret follows no
//! host change: a new host needs the secret again.

use coffer_core::merchant::parse_time_zone;
use coffer_core::policy::{charge_limit, notice_lead};
use coffer_core::{
    BaseUrl, CloverRegion, Currency, Endpoint, Environment, HostOverride, InvalidInput, Merchant,
    MerchantId, Money, ProviderAccount, Stage,
};
use coffer_providers::endpoints::{self, EndpointError};
use coffer_store::merchants::NewMerchant;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::{EngineError, EngineResult};
use crate::merchant_check::{ConnectionCheck, SecretSource};
use crate::secrets::merchant_secret_address;
use crate::Engine;
use coffer_core::providers::labels_where as provider_labels;

/// What the merchant's provider offers (regions, its own server name…).
fn capabilities_of(merchant: &Merchant) -> coffer_core::providers::Capabilities {
    coffer_core::providers::rules(merchant.provider()).capabilities
}

/// The audit action recorded when the owner allows a live merchant's secret to go to a host that
/// is not the provider's own. The engine finds it again before every use of the override.
pub const HOST_OVERRIDE_ACTION: &str = "merchant_host_override";

/// Where a merchant's calls go, as the owner chooses it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EndpointInput {
    /// Live only: the provider's production servers (default) or its own test environment.
    #[serde(default)]
    pub stage: Option<Stage>,
    /// Clover only: its market, which picks the Platform API host (default North America).
    #[serde(default)]
    pub region: Option<CloverRegion>,
    /// Live Assist only: the server name Assist support gave the merchant (`payments.paysec.by`);
    /// it must lie under Assist's own domains.
    #[serde(default)]
    pub host: Option<String>,
    /// A sandbox merchant's URL (`embedded:<provider>`, or an external sandbox's
    /// `http://127.0.0.1:…`). For a live merchant only together with `override_reason`.
    #[serde(default)]
    pub base_url: Option<String>,
    /// Live only: why the secret may go to `base_url` although it is not https on the provider's
    /// own hosts. Audited, stored on the merchant and shown with it.
    #[serde(default)]
    pub override_reason: Option<String>,
}

/// What the owner enters for a merchant account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MerchantInput {
    /// Display name.
    pub name: String,
    /// The provider's ids.
    pub account: ProviderAccount,
    /// Sandbox or live.
    pub environment: Environment,
    /// Where the calls go; the base URL is derived from it.
    pub endpoint: EndpointInput,
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
    /// New endpoint (derived again as on add). With only `environment` changed, the endpoint is
    /// derived from the defaults (and the current region).
    pub endpoint: Option<EndpointInput>,
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
    /// New amount above which a manual charge is confirmed again, in the merchant's currency
    /// ("1000.00"); `Some(None)` removes the second confirmation.
    pub confirm_above: Option<Option<String>>,
}

/// Whether money can move, as the owner must be told: Coffer's own sandbox, the provider's own
/// test environment (no real money either, but the provider's servers and a credential it
/// issued), or live. A live merchant whose secret goes to an overridden host counts as live:
/// Coffer cannot tell what that host does with a charge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum EnvironmentKind {
    /// Coffer's built-in or external emulator.
    Sandbox,
    /// The provider's own test environment.
    Test,
    /// The provider's production servers, or an overridden host.
    Live,
}

impl EnvironmentKind {
    /// The merchant's kind.
    pub fn of(m: &Merchant) -> EnvironmentKind {
        match m.environment {
            Environment::Sandbox => EnvironmentKind::Sandbox,
            Environment::Live if m.endpoint.host_override.is_some() => EnvironmentKind::Live,
            Environment::Live => match endpoints::stage_of(m) {
                Some(Stage::Test) => EnvironmentKind::Test,
                _ => EnvironmentKind::Live,
            },
        }
    }

    /// "sandbox", "test" or "live".
    pub fn as_str(self) -> &'static str {
        match self {
            EnvironmentKind::Sandbox => "sandbox",
            EnvironmentKind::Test => "test",
            EnvironmentKind::Live => "live",
        }
    }
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
    /// For a live merchant: the provider's production or test environment, when the host is a
    /// known one (`None` for a sandbox, an overridden host or an unlisted Assist server).
    pub stage: Option<Stage>,
    /// Clover's region, when one was chosen.
    pub region: Option<CloverRegion>,
    /// Base URL.
    pub base_url: String,
    /// The owner's override letting this live merchant's secret go to a host that is not the
    /// provider's own; shown wherever the merchant is.
    pub host_override: Option<HostOverride>,
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
    /// Sandbox, the provider's test environment, or live: what the banner and every
    /// confirmation say.
    pub environment_kind: EnvironmentKind,
    /// A manual charge above this amount is confirmed a second time; `None`: never.
    pub confirm_above: Option<Money>,
}

impl MerchantView {
    /// The view of `m`, whose second-confirmation limit is `confirm_above_minor` (its
    /// currency's minor units, as the store keeps it).
    pub fn of(m: &Merchant, confirm_above_minor: Option<i64>) -> Self {
        MerchantView {
            id: m.id.0,
            name: m.name.clone(),
            provider: m.provider().to_string(),
            account: m.account.clone(),
            environment: m.environment,
            stage: match m.environment {
                Environment::Sandbox => None,
                Environment::Live if m.endpoint.host_override.is_some() => None,
                Environment::Live => endpoints::stage_of(m),
            },
            region: m.endpoint.region,
            base_url: m.base_url.clone(),
            host_override: m.endpoint.host_override.clone(),
            embedded: m.is_embedded(),
            time_zone: m.time_zone.name().to_string(),
            currency: m.currency,
            notice_lead_days: m.notice_lead_days,
            group: m.group.clone(),
            environment_kind: EnvironmentKind::of(m),
            confirm_above: confirm_above_minor.map(|minor| Money::from_minor(minor, m.currency)),
        }
    }
}

/// The limit an edit asks for, in `currency`'s minor units: `None` to clear it.
fn parse_limit(text: Option<&str>, currency: Currency) -> Result<Option<i64>, InvalidInput> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let limit = Money::parse(text, currency).map_err(|e| e.in_field("confirm_above"))?;
    if !limit.is_positive() {
        return Err(InvalidInput::new(
            "confirm_above",
            "must be above zero; leave it empty to never confirm a charge twice",
        ));
    }
    Ok(Some(limit.minor))
}

/// A sandbox merchant's URL: `embedded:<provider>` or any http(s) URL.
fn validate_sandbox_url(base_url: &str, account: &ProviderAccount) -> Result<(), InvalidInput> {
    if let BaseUrl::Embedded(provider) = BaseUrl::parse(base_url)? {
        if provider != account.kind() {
            return Err(InvalidInput::new(
                "base_url",
                format!("{base_url} does not match the provider {}", account.kind()),
            ));
        }
        return Ok(());
    }
    let scheme_ok = base_url.starts_with("https://") || base_url.starts_with("http://");
    if !scheme_ok || base_url.len() < "http://x".len() {
        return Err(InvalidInput::new(
            "base_url",
            format!(
                "'{base_url}' must start with https:// (or http:// for a local sandbox), or be {}",
                BaseUrl::embedded(account.kind())
            ),
        ));
    }
    Ok(())
}

fn non_blank(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// The base URL and endpoint settings `input` chooses for `account` in `environment`.
fn resolve_endpoint(
    account: &ProviderAccount,
    environment: Environment,
    input: &EndpointInput,
) -> Result<(String, Endpoint), InvalidInput> {
    let provider = account.kind();
    let capabilities = coffer_core::providers::rules(provider).capabilities;
    if input.region.is_some() && !capabilities.has_regions {
        let with_regions = provider_labels(|c| c.has_regions);
        return Err(InvalidInput::new(
            "region",
            format!("only {with_regions} has regions; {provider} has none"),
        ));
    }
    let region = capabilities
        .has_regions
        .then(|| input.region.unwrap_or_default());
    let base_url = non_blank(&input.base_url).map(|u| u.trim_end_matches('/').to_string());
    let reason = non_blank(&input.override_reason);
    if environment == Environment::Sandbox {
        if reason.is_some() {
            return Err(InvalidInput::new(
                "override_reason",
                "an override is for live merchants only; a sandbox merchant may point anywhere",
            ));
        }
        let Some(base_url) = base_url else {
            return Err(InvalidInput::new(
                "base_url",
                format!("a sandbox merchant needs its sandbox's URL: {}, or an external sandbox's http://127.0.0.1:…", BaseUrl::embedded(provider)),
            ));
        };
        validate_sandbox_url(&base_url, account)?;
        return Ok((
            base_url,
            Endpoint {
                region,
                host_override: None,
            },
        ));
    }
    let stage = input.stage.unwrap_or_default();
    endpoints::check_account_stage(account, stage)?;
    match (base_url, reason) {
        (Some(base_url), Some(reason)) => {
            if matches!(BaseUrl::parse(&base_url), Ok(BaseUrl::Embedded(_)) | Err(_)) {
                return Err(InvalidInput::new(
                    "environment",
                    "an embedded sandbox merchant cannot be live",
                ));
            }
            let host = endpoints::override_host(&base_url)?;
            Ok((
                base_url,
                Endpoint {
                    region,
                    host_override: Some(HostOverride {
                        host,
                        reason: reason.to_string(),
                    }),
                },
            ))
        }
        (Some(base_url), None) => Err(InvalidInput::new(
            "base_url",
            format!("a live merchant's URL comes from its provider and stage ('{base_url}' was given); to send its secret to another host, add an override with a reason"),
        )),
        (None, Some(_)) => Err(InvalidInput::new(
            "override_reason",
            "an override needs the base URL it allows",
        )),
        (None, None) => {
            let host = non_blank(&input.host);
            // A provider that gives each live account its own server (Assist) is asked for it.
            let base_url = match (capabilities.own_host, host) {
                (true, None) => {
                    return Err(InvalidInput::new(
                        "host",
                        "Assist gives each merchant its own server name (such as payments.paysec.by); enter it",
                    ))
                }
                (true, Some(host)) => {
                    let url = endpoints::assist_base_url(host)?;
                    let known = endpoints::ASSIST_HOSTS
                        .iter()
                        .find(|(h, _, _)| url == format!("https://{h}"));
                    if let Some((h, known_stage, _)) = known {
                        if *known_stage != stage {
                            return Err(InvalidInput::new(
                                "host",
                                format!("{h} is Assist's {} server, not {}", known_stage.as_str(), stage.as_str()),
                            ));
                        }
                    }
                    url
                }
                (false, Some(_)) => {
                    let own_hosts = provider_labels(|c| c.own_host);
                    return Err(InvalidInput::new(
                        "host",
                        format!("only {own_hosts} assigns a server per merchant; {provider}'s comes from its stage"),
                    ))
                }
                (false, None) => endpoints::published_base_url(provider, stage)
                    .ok_or_else(|| {
                        InvalidInput::new("stage", format!("{provider} publishes no {} URL", stage.as_str()))
                    })?
                    .to_string(),
            };
            Ok((
                base_url,
                Endpoint {
                    region,
                    host_override: None,
                },
            ))
        }
    }
}

fn validate(input: &MerchantInput) -> Result<NewMerchant, InvalidInput> {
    if input.name.trim().is_empty() {
        return Err(InvalidInput::new("name", "must not be empty"));
    }
    coffer_core::free_text::refuse_card_number("name", &input.name)?;
    input.account.validate()?;
    let (base_url, endpoint) =
        resolve_endpoint(&input.account, input.environment, &input.endpoint)?;
    let time_zone = parse_time_zone(&input.time_zone)?;
    let currency = Currency::from_code(&input.currency).map_err(|e| e.in_field("currency"))?;
    if input.notice_lead_days > 60 {
        return Err(InvalidInput::new(
            "notice_lead_days",
            "must be at most 60 days",
        ));
    }
    notice_lead::check_notice_lead(
        input.account.kind(),
        input.environment,
        input.notice_lead_days,
    )?;
    let new = NewMerchant {
        name: input.name.trim().to_string(),
        account: input.account.clone(),
        environment: input.environment,
        base_url,
        time_zone,
        currency,
        notice_lead_days: input.notice_lead_days,
        group: input.group.clone().filter(|g| !g.trim().is_empty()),
        endpoint,
    };
    endpoints::check_destination(&unsaved(new.clone()))?;
    Ok(new)
}

/// The secret an added merchant needs: none for an embedded-sandbox merchant, else a non-empty one.
fn required_secret(
    new: &NewMerchant,
    secret: Option<SecretString>,
) -> Result<Option<SecretString>, InvalidInput> {
    let embedded = matches!(BaseUrl::parse(&new.base_url), Ok(BaseUrl::Embedded(_)));
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
        endpoint: new.endpoint,
    }
}

/// `current` with `edit` applied and validated. The endpoint is derived again only when the edit
/// gives one or changes the environment; otherwise base URL, region and override stay.
fn edited(current: &Merchant, edit: &MerchantEdit) -> Result<Merchant, InvalidInput> {
    let environment = edit.environment.unwrap_or(current.environment);
    let rederive = edit.endpoint.is_some() || environment != current.environment;
    let mut endpoint = edit.endpoint.clone().unwrap_or_else(|| EndpointInput {
        region: current
            .endpoint
            .region
            .filter(|_| capabilities_of(current).has_regions),
        ..EndpointInput::default()
    });
    if endpoint.stage.is_none() && current.environment == Environment::Live {
        // A region or host change keeps the stage the merchant is at.
        endpoint.stage = endpoints::stage_of(current);
    }
    if endpoint.region.is_none() && capabilities_of(current).has_regions {
        endpoint.region = current.endpoint.region;
    }
    let keeps_assist_host = capabilities_of(current).own_host
        && current.environment == Environment::Live
        && current.endpoint.host_override.is_none();
    if keeps_assist_host && endpoint.host.is_none() && endpoint.base_url.is_none() {
        // Assist's server name was given once; a stage change alone keeps it (and is refused
        // when the server is a known one of the other stage).
        endpoint.host = endpoints::override_host(&current.base_url).ok();
    }
    let input = MerchantInput {
        name: edit.name.clone().unwrap_or_else(|| current.name.clone()),
        account: current.account.clone(),
        environment,
        endpoint: if rederive {
            endpoint
        } else {
            // Unchanged: validated as a sandbox URL only when it is one.
            EndpointInput {
                base_url: Some(current.base_url.clone()),
                region: current.endpoint.region,
                ..EndpointInput::default()
            }
        },
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
    if rederive || environment == Environment::Sandbox {
        return Ok(Merchant {
            id: current.id,
            ..unsaved(validate(&input)?)
        });
    }
    // A live merchant whose endpoint is not being changed keeps it as it is (it is checked again
    // before every use); only the other fields are validated.
    let sandboxed = MerchantInput {
        environment: Environment::Sandbox,
        ..input
    };
    let checked = validate(&sandboxed)?;
    // Judged above as a sandbox merchant: the lead-time rule is judged again as what it is.
    notice_lead::check_notice_lead(
        current.provider(),
        current.environment,
        checked.notice_lead_days,
    )?;
    Ok(Merchant {
        id: current.id,
        environment: current.environment,
        base_url: current.base_url.clone(),
        endpoint: current.endpoint.clone(),
        ..unsaved(checked)
    })
}

/// The limit after `edit`: the one asked for, or for a new currency the default in it (a limit
/// in minor units of another currency means nothing), or the current one.
fn edited_limit(
    current: &Merchant,
    current_limit: Option<i64>,
    updated: &Merchant,
    edit: &MerchantEdit,
) -> Result<Option<i64>, InvalidInput> {
    match &edit.confirm_above {
        Some(text) => parse_limit(text.as_deref(), updated.currency),
        None if updated.currency != current.currency && current_limit.is_some() => Ok(Some(
            charge_limit::default_confirm_above(updated.currency).minor,
        )),
        None => Ok(current_limit),
    }
}

/// Refuses an edit that would let a saved live secret reach a new host or change address without
/// the owner giving the secret again.
fn secret_needed_for(current: &Merchant, updated: &Merchant) -> Option<InvalidInput> {
    if updated.is_embedded() {
        return None;
    }
    if updated.environment != current.environment {
        return Some(InvalidInput::new(
            "secret",
            format!(
                "moving a merchant from {} to {} needs its secret again (a secret never moves between environments)",
                current.environment.as_str(),
                updated.environment.as_str()
            ),
        ));
    }
    if updated.environment == Environment::Live && updated.base_url != current.base_url {
        return Some(InvalidInput::new(
            "secret",
            format!(
                "changing a live merchant's host from {} to {} needs its secret again, so a secret never follows a new host unasked",
                current.base_url, updated.base_url
            ),
        ));
    }
    None
}

impl From<EndpointError> for EngineError {
    fn from(e: EndpointError) -> EngineError {
        InvalidInput::from(e).into()
    }
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
            serde_json::json!({"name": new.name, "provider": new.account.kind().as_str(), "account_id": new.account.account_id(),
                               "environment": new.environment.as_str(), "base_url": new.base_url, "region": new.endpoint.region}),
        );
        let granted = new
            .endpoint
            .host_override
            .as_ref()
            .map(|o| self.override_event(None, o, &new.base_url));
        let merchant = self
            .with_store(move |store| {
                Ok(store.batch(|store| {
                    let merchant = store.insert_merchant(&new, now)?;
                    // A new merchant asks twice above the default (owner changes it in Settings).
                    let limit = charge_limit::default_confirm_above(merchant.currency).minor;
                    store.set_charge_limit(merchant.id, Some(limit))?;
                    for mut audit in std::iter::once(audit).chain(granted) {
                        audit.merchant_id = Some(merchant.id.0);
                        audit.subject = format!("merchant:{}", merchant.id);
                        store.append_audit_here(audit)?;
                    }
                    Ok((merchant, limit))
                })?)
            })
            .await?;
        let (merchant, limit) = merchant;
        if let Some(secret) = secret {
            let at = merchant_secret_address(&merchant);
            if let Err(e) = self.secrets_blocking(move |s| s.set(&at, &secret)).await {
                // Without its secret the account is unusable: take it back out.
                let id = merchant.id;
                let _ = self
                    .with_store(move |store| Ok(store.remove_merchant(id, now)?))
                    .await;
                return Err(e);
            }
        }
        Ok(MerchantView::of(&merchant, Some(limit)))
    }

    /// Changes a merchant's fields and, when given, replaces its secret in the keyring. A live
    /// merchant's new host, or a move between sandbox and live, needs the secret again: a saved
    /// secret never follows a new host or environment.
    pub async fn edit_merchant(
        &self,
        id: MerchantId,
        edit: MerchantEdit,
        secret: Option<SecretString>,
    ) -> EngineResult<MerchantView> {
        let (current, current_limit) = self
            .read_store(move |store| Ok((store.merchant(id)?, store.charge_limit(id)?)))
            .await?;
        let updated = edited(&current, &edit)?;
        let limit = edited_limit(&current, current_limit, &updated, &edit)?;
        let secret = secret.filter(|s| !s.expose_secret().trim().is_empty());
        if secret.is_none() {
            if let Some(refusal) = secret_needed_for(&current, &updated) {
                return Err(refusal.into());
            }
        }
        let (from, to) = (
            merchant_secret_address(&current),
            merchant_secret_address(&updated),
        );
        if let Some(secret) = secret {
            if !updated.is_embedded() {
                let at = to.clone();
                self.secrets_blocking(move |s| s.set(&at, &secret)).await?;
            }
        }
        if from != to && !current.is_embedded() {
            // The old environment's secret is not moved, only removed.
            self.secrets_blocking(move |s| s.delete(&from)).await?;
        }
        let audit = self.audit_event(
            Some(id.0),
            "merchant_edited",
            format!("merchant:{id}"),
            serde_json::json!({"name": updated.name, "environment": updated.environment.as_str(), "base_url": updated.base_url,
                               "region": updated.endpoint.region, "host_override": updated.endpoint.host_override,
                               "time_zone": updated.time_zone.name(), "currency": updated.currency.code(),
                               "notice_lead_days": updated.notice_lead_days, "group": updated.group,
                               "confirm_above_minor": limit}),
        );
        let granted = match &updated.endpoint.host_override {
            Some(o) if current.endpoint.host_override.as_ref() != Some(o) => {
                Some(self.override_event(Some(id.0), o, &updated.base_url))
            }
            _ => None,
        };
        let saved = updated.clone();
        self.with_store(move |store| {
            store.batch(|store| {
                store.update_merchant(&saved)?;
                store.set_charge_limit(saved.id, limit)?;
                store.append_audit_here(audit)?;
                if let Some(granted) = granted {
                    store.append_audit_here(granted)?;
                }
                Ok(())
            })?;
            Ok(())
        })
        .await?;
        Ok(MerchantView::of(&updated, limit))
    }

    /// The audit event that grants a host override; the engine looks for it before every use.
    fn override_event(
        &self,
        merchant: Option<i64>,
        granted: &HostOverride,
        base_url: &str,
    ) -> coffer_core::audit::NewAuditEvent {
        self.audit_event(
            merchant,
            HOST_OVERRIDE_ACTION,
            merchant.map(|m| format!("merchant:{m}")).unwrap_or_default(),
            serde_json::json!({"host": granted.host, "reason": granted.reason, "base_url": base_url}),
        )
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
            let given = secret
                .clone()
                .filter(|s| !s.expose_secret().trim().is_empty());
            let source = match given {
                Some(secret) => {
                    self.secrets_blocking(|s| s.probe()).await?;
                    Some(SecretSource::Given(secret))
                }
                None => {
                    if let Some(refusal) = secret_needed_for(&current, &updated) {
                        return Err(refusal.into());
                    }
                    // Only a sandbox merchant gets here with a new URL: its saved secret is tried
                    // at the new one.
                    (updated.base_url != current.base_url).then_some(SecretSource::Saved)
                }
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
        self.read_store(|store| {
            let limits: std::collections::HashMap<_, _> =
                store.charge_limits()?.into_iter().collect();
            Ok(store
                .merchants()?
                .iter()
                .map(|m| MerchantView::of(m, limits.get(&m.id).copied().flatten()))
                .collect())
        })
        .await
    }

    /// Removes a merchant account and its keyring entry. Its ledger, contracts and audit events
    /// stay.
    pub async fn remove_merchant(&self, id: MerchantId) -> EngineResult<()> {
        let merchant = self
            .read_store(move |store| Ok(store.merchant(id)?))
            .await?;
        if !merchant.is_embedded() {
            let at = merchant_secret_address(&merchant);
            let legacy = crate::secrets::legacy_secret_address(&merchant);
            self.secrets_blocking(move |s| {
                s.delete(&at)?;
                s.delete(&legacy)
            })
            .await?;
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
        self.read_store(move |store| Ok(store.merchant(id)?)).await
    }
}
