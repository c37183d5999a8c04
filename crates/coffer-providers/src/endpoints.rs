//! Where each provider's servers are: the published production and test base URLs, and the
//! domains a live merchant's secret may be sent to (both listed in the provider's own folder,
//! [`crate::Client`]). The owner picks provider, stage (production or the provider's own test
//! environment) and, for Clover, a region; the base URL comes from here.
//!
//! Every row cites where it was read. Hosts are matched by domain (the host equals the domain or
//! ends with `.` + domain), never by substring, so `api.clover.com.evil.example` is not Clover's.

use coffer_core::{
    CloverRegion, InvalidInput, Merchant, ProcessOutAccount, ProviderAccount, ProviderKind, Stage,
};
use url::Url;

/// One published base URL of a provider (its folder's [`crate::Client::published`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    /// Production or the provider's test environment.
    pub stage: Stage,
    /// The base URL Coffer calls (no trailing slash).
    pub base_url: &'static str,
    /// Where it was read.
    pub source: &'static str,
}

/// Clover's Platform REST API host per region (docs.clover.com "Use Clover REST API": North
/// America api.clover.com, Europe api.eu.clover.com, Latin America api.la.clover.com; one sandbox
/// apisandbox.dev.clover.com for all).
pub fn clover_platform_host(stage: Stage, region: CloverRegion) -> &'static str {
    match (stage, region) {
        (Stage::Test, _) => "apisandbox.dev.clover.com",
        (Stage::Production, CloverRegion::NorthAmerica) => "api.clover.com",
        (Stage::Production, CloverRegion::Europe) => "api.eu.clover.com",
        (Stage::Production, CloverRegion::LatinAmerica) => "api.la.clover.com",
    }
}

/// Known Assist servers (for the form's suggestions and for telling test from production).
/// Assist's pages say to use the `<SERVER_NAME>` Assist support gives the merchant, so any host
/// under [`ASSIST_DOMAINS`] is accepted; these are the ones seen published.
pub const ASSIST_HOSTS: [(&str, Stage, &str); 6] = [
    // docs.belassist.by (Belarus): test and production servers, providers/assist.md §1
    ("test.paysec.by", Stage::Test, "docs.belassist.by"),
    ("payments.paysec.by", Stage::Production, "docs.belassist.by"),
    // docs.assist.ru (Russia); payments.demo.paysecure.ru is the PHP SDK's and Ruby gem's test
    // host, payments.t.paysecure.ru the Android SDK's default (avmelnikoff/assist-mcommerce-sdk-android
    // AssistAddress.java), test.paysecure.ru a plugin's test URL
    (
        "payments.demo.paysecure.ru",
        Stage::Test,
        "assist_ru_php_core SDK; docs.assist.ru",
    ),
    (
        "payments.t.paysecure.ru",
        Stage::Test,
        "assist-mcommerce-sdk-android AssistAddress.java",
    ),
    (
        "test.paysecure.ru",
        Stage::Test,
        "Assist SDK host lists; Webasyst assist plugin",
    ),
    ("payments.paysecure.ru", Stage::Production, "docs.assist.ru"),
];

/// The domains whose hosts belong to each provider (its folder's [`crate::Client::domains`]): a
/// live merchant's secret goes only there (without an override).
pub fn provider_domains(provider: ProviderKind) -> &'static [&'static str] {
    crate::client(provider).domains
}

/// `true` when `host` is `domain` or a subdomain of it (compared without case, ignoring a
/// trailing dot). `notclover.com` and `clover.com.evil.example` are not under `clover.com`.
pub fn host_is_under(host: &str, domain: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let domain = domain.trim_end_matches('.').to_ascii_lowercase();
    host == domain || host.ends_with(&format!(".{domain}"))
}

/// `true` when `host` belongs to `provider` (one of [`provider_domains`]).
pub fn is_provider_host(provider: ProviderKind, host: &str) -> bool {
    provider_domains(provider)
        .iter()
        .any(|d| host_is_under(host, d))
}

/// Why an endpoint is refused. Each names the field and the rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    /// Not a URL.
    #[error("base_url: '{0}' is not a URL")]
    NotUrl(String),
    /// A live merchant's URL over plain http.
    #[error("base_url: '{url}' is not https; a live merchant's secret goes only over https to {provider}'s own servers (an override with a reason allows another)")]
    NotHttps {
        /// The URL given.
        url: String,
        /// The provider.
        provider: ProviderKind,
    },
    /// A live merchant's host outside the provider's domains.
    #[error("{field}: '{host}' is not one of {provider}'s own hosts (under {domains}); a live merchant's secret goes only there (an override with a reason allows another)")]
    ForeignHost {
        /// `base_url` or `host`.
        field: &'static str,
        /// The host given.
        host: String,
        /// The provider.
        provider: ProviderKind,
        /// The provider's domains, joined.
        domains: String,
    },
    /// An override granted for another host than the one now in the URL.
    #[error("base_url: the override was granted for {granted}, not for {host}; give a new override with a reason")]
    OverrideForAnotherHost {
        /// The host of the URL.
        host: String,
        /// The host the override names.
        granted: String,
    },
    /// ProcessOut: the project id's `test-` prefix disagrees with the chosen stage.
    #[error("project_id: '{project_id}' {why}")]
    ProcessOutStage {
        /// The project id.
        project_id: String,
        /// The rule broken.
        why: &'static str,
    },
    /// A choice the provider does not have (a region for a provider without regions, …).
    #[error("{field}: {rule}")]
    Choice {
        /// The field.
        field: &'static str,
        /// The rule.
        rule: String,
    },
}

impl EndpointError {
    /// The form field at fault.
    pub fn field(&self) -> &'static str {
        match self {
            EndpointError::NotUrl(_)
            | EndpointError::NotHttps { .. }
            | EndpointError::OverrideForAnotherHost { .. } => "base_url",
            EndpointError::ForeignHost { field, .. } => field,
            EndpointError::ProcessOutStage { .. } => "project_id",
            EndpointError::Choice { field, .. } => field,
        }
    }
}

impl From<EndpointError> for InvalidInput {
    fn from(e: EndpointError) -> InvalidInput {
        let field = e.field();
        let text = e.to_string();
        let rule = text
            .strip_prefix(&format!("{field}: "))
            .unwrap_or(&text)
            .to_string();
        InvalidInput::new(field, rule)
    }
}

/// The stage a ProcessOut project id belongs to: sandbox project ids start with `test-`
/// (docs.processout.com "Testing in the sandbox": `test-proj_…`; production `proj_…`).
pub fn processout_stage(project_id: &str) -> Stage {
    if project_id.trim().starts_with("test-") {
        Stage::Test
    } else {
        Stage::Production
    }
}

/// Refuses a ProcessOut project whose `test-` prefix disagrees with `stage`.
pub fn check_processout_stage(project_id: &str, stage: Stage) -> Result<(), EndpointError> {
    match (processout_stage(project_id), stage) {
        (Stage::Test, Stage::Production) => Err(EndpointError::ProcessOutStage {
            project_id: project_id.to_string(),
            why: "is a sandbox project (test- prefix); choose the test stage, or give the production project id (proj_…)",
        }),
        (Stage::Production, Stage::Test) => Err(EndpointError::ProcessOutStage {
            project_id: project_id.to_string(),
            why: "is a production project; ProcessOut's test stage needs the sandbox project id (test-proj_…)",
        }),
        _ => Ok(()),
    }
}

/// Refuses an account whose own ids tie it to another stage than `stage` (a ProcessOut project
/// id says which it is); other accounts fit either stage.
pub fn check_account_stage(account: &ProviderAccount, stage: Stage) -> Result<(), EndpointError> {
    match account {
        ProviderAccount::ProcessOut(ProcessOutAccount { project_id }) => {
            check_processout_stage(project_id, stage)
        }
        _ => Ok(()),
    }
}

/// The published base URL of `provider` at `stage` (its folder's [`crate::Client::published`]),
/// or `None` for Assist (host per merchant). Clover's is the Ecommerce host (the client derives
/// the Platform host with [`clover_platform_base`]).
pub fn published_base_url(provider: ProviderKind, stage: Stage) -> Option<&'static str> {
    crate::client(provider)
        .published
        .iter()
        .find(|p| p.stage == stage)
        .map(|p| p.base_url)
}

/// The base URL for an Assist server name as Assist support gave it (`payments.paysec.by` or
/// `https://payments.paysec.by`), refused unless it lies under Assist's own domains.
pub fn assist_base_url(host: &str) -> Result<String, EndpointError> {
    let given = host.trim().trim_end_matches('/');
    let url = if given.contains("://") {
        given.to_string()
    } else {
        format!("https://{given}")
    };
    let parsed = Url::parse(&url).map_err(|_| EndpointError::NotUrl(given.to_string()))?;
    if parsed.scheme() != "https" {
        return Err(EndpointError::NotHttps {
            url,
            provider: ProviderKind::Assist,
        });
    }
    let name = parsed.host_str().unwrap_or_default().to_string();
    if !is_provider_host(ProviderKind::Assist, &name) {
        return Err(foreign("host", name, ProviderKind::Assist));
    }
    Ok(format!("https://{name}{}", port_suffix(&parsed)))
}

fn foreign(field: &'static str, host: String, provider: ProviderKind) -> EndpointError {
    EndpointError::ForeignHost {
        field,
        host,
        provider,
        domains: provider_domains(provider).join(", "),
    }
}

fn port_suffix(url: &Url) -> String {
    url.port().map(|p| format!(":{p}")).unwrap_or_default()
}

/// The host (with a non-default port) of a URL, as an override names it.
pub fn override_host(base_url: &str) -> Result<String, EndpointError> {
    let parsed = Url::parse(base_url).map_err(|_| EndpointError::NotUrl(base_url.to_string()))?;
    let host = parsed
        .host_str()
        .ok_or_else(|| EndpointError::NotUrl(base_url.to_string()))?;
    Ok(format!(
        "{}{}",
        host.to_ascii_lowercase(),
        port_suffix(&parsed)
    ))
}

/// The check made before a live merchant's secret leaves Coffer, at save time and again at
/// every use (the merchant may come from a database edited by hand): https on one of the
/// provider's own hosts, or exactly the host the owner's override names. A sandbox merchant may
/// point anywhere and is not checked here.
pub fn check_destination(merchant: &Merchant) -> Result<(), EndpointError> {
    if merchant.environment == coffer_core::Environment::Sandbox {
        return Ok(());
    }
    let parsed = Url::parse(&merchant.base_url)
        .map_err(|_| EndpointError::NotUrl(merchant.base_url.clone()))?;
    let host = override_host(&merchant.base_url)?;
    if let Some(granted) = &merchant.endpoint.host_override {
        return if granted.host.eq_ignore_ascii_case(&host) {
            Ok(())
        } else {
            Err(EndpointError::OverrideForAnotherHost {
                host,
                granted: granted.host.clone(),
            })
        };
    }
    if parsed.scheme() != "https" {
        return Err(EndpointError::NotHttps {
            url: merchant.base_url.clone(),
            provider: merchant.provider(),
        });
    }
    let name = parsed.host_str().unwrap_or_default();
    if !is_provider_host(merchant.provider(), name) {
        return Err(foreign("base_url", name.to_string(), merchant.provider()));
    }
    Ok(())
}

/// Which of the provider's environments a live merchant's base URL is, when it is a known one
/// (`None`: an overridden host, or an Assist server not in [`ASSIST_HOSTS`], shown as
/// production). ProcessOut's is its project id's prefix.
pub fn stage_of(merchant: &Merchant) -> Option<Stage> {
    if let coffer_core::ProviderAccount::ProcessOut(coffer_core::ProcessOutAccount { project_id }) =
        &merchant.account
    {
        return Some(processout_stage(project_id));
    }
    let host = Url::parse(&merchant.base_url)
        .ok()?
        .host_str()?
        .to_ascii_lowercase();
    if let Some(p) = crate::client(merchant.provider())
        .published
        .iter()
        .find(|p| {
            Url::parse(p.base_url)
                .ok()
                .and_then(|u| u.host_str().map(|h| h == host))
                .unwrap_or(false)
        })
    {
        return Some(p.stage);
    }
    ASSIST_HOSTS
        .iter()
        .find(|(h, _, _)| merchant.provider() == ProviderKind::Assist && *h == host)
        .map(|(_, stage, _)| *stage)
}

/// Clover's Platform base URL for a merchant whose base URL is the Ecommerce host: the region's
/// Platform host for Clover's own Ecommerce hosts; any other base URL (Coffer's sandbox, an
/// overridden host) serves both APIs.
pub fn clover_platform_base(base_url: &str, region: Option<CloverRegion>) -> String {
    let Ok(parsed) = Url::parse(base_url) else {
        return base_url.to_string();
    };
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    let stage = match host.as_str() {
        "scl.clover.com" => Stage::Production,
        "scl-sandbox.dev.clover.com" => Stage::Test,
        _ => return base_url.to_string(),
    };
    let platform = clover_platform_host(stage, region.unwrap_or_default());
    base_url.replacen(&host, platform, 1)
}

/// The host of Clover's hosted iframe SDK (`sdk.js`) and its card-field pages for a merchant
/// whose base URL is the Ecommerce host: `https://checkout.clover.com` for production and
/// `https://checkout.sandbox.dev.clover.com` for Clover's sandbox (docs.clover.com "Iframe—Create
/// a payment form", https://docs.clover.com/docs/using-the-clover-hosted-iframe, which loads
/// `https://checkout.sandbox.dev.clover.com/sdk.js`; the production script
/// `https://checkout.clover.com/sdk.js` is what Clover's own SDK looks for, `clover.com/sdk.js`,
/// in its `determineEnv`). One checkout host serves North America, where the iframe is offered;
/// any other base URL (Coffer's sandbox, an overridden host) serves the SDK itself.
pub fn clover_checkout_base(base_url: &str) -> String {
    let Ok(parsed) = Url::parse(base_url) else {
        return base_url.trim_end_matches('/').to_string();
    };
    match parsed
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "scl.clover.com" => "https://checkout.clover.com".to_string(),
        "scl-sandbox.dev.clover.com" => "https://checkout.sandbox.dev.clover.com".to_string(),
        _ => base_url.trim_end_matches('/').to_string(),
    }
}

/// Where ProcessOut.js and its card-field page are loaded from for a merchant whose base URL is
/// the API host: `https://js.processout.com` for ProcessOut's own API host, which serves sandbox
/// and live projects alike (processout/processout.js `src/processout/processout.ts`: the script
/// must come from `https://js.processout.com/processout.js`, and the card fields are
/// `https://js.<host>/ccfield.html`, `endpoint("js", "/ccfield.html")`). Any other base URL
/// (Coffer's sandbox, an overridden host) serves them under its own `/js`.
pub fn processout_js_base(base_url: &str) -> String {
    let trimmed = base_url.trim_end_matches('/');
    let Ok(parsed) = Url::parse(base_url) else {
        return format!("{trimmed}/js");
    };
    match parsed
        .host_str()
        .unwrap_or_default()
        .to_ascii_lowercase()
        .as_str()
    {
        "api.processout.com" => "https://js.processout.com".to_string(),
        _ => format!("{trimmed}/js"),
    }
}

/// The origin (`scheme://host[:port]`) of a base URL, which ProcessOut.js posts the card to
/// (the page names it so the app window's policy may connect there, and nowhere else).
pub fn processout_api_origin(base_url: &str) -> String {
    match Url::parse(base_url) {
        Ok(url) => url.origin().ascii_serialization(),
        Err(_) => base_url.trim_end_matches('/').to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_core::{
        AssistAccount, CloverAccount, Currency, Endpoint, Environment, HostOverride, MerchantId,
        ProviderAccount,
    };

    fn merchant(account: ProviderAccount, environment: Environment, base_url: &str) -> Merchant {
        Merchant {
            id: MerchantId(1),
            name: "Shop".into(),
            account,
            environment,
            base_url: base_url.into(),
            time_zone: coffer_core::merchant::parse_time_zone("Europe/Helsinki").unwrap(),
            currency: Currency::EUR,
            notice_lead_days: 3,
            group: None,
            endpoint: Endpoint::default(),
        }
    }

    fn clover() -> ProviderAccount {
        ProviderAccount::Clover(CloverAccount {
            merchant_uuid: "MID0000000001".into(),
            pakms_key: None,
        })
    }

    #[test]
    fn every_provider_but_assist_has_a_published_production_and_test_url_on_its_own_domain() {
        for provider in ProviderKind::ALL {
            for stage in [Stage::Production, Stage::Test] {
                match (provider, published_base_url(provider, stage)) {
                    (ProviderKind::Assist, url) => {
                        assert_eq!(url, None, "Assist gives each merchant its own server")
                    }
                    (_, None) => panic!("{provider} {stage:?} has no published URL"),
                    (_, Some(url)) => {
                        let parsed = Url::parse(url).unwrap();
                        assert_eq!(parsed.scheme(), "https", "{url}: secrets travel over https");
                        assert!(
                            is_provider_host(provider, parsed.host_str().unwrap()),
                            "{url} must lie under {provider}'s own domains"
                        );
                    }
                }
            }
        }
        for (host, _, _) in ASSIST_HOSTS {
            assert!(is_provider_host(ProviderKind::Assist, host), "{host}");
        }
    }

    #[test]
    fn the_published_table_gives_the_documented_hosts() {
        assert_eq!(
            published_base_url(ProviderKind::Clover, Stage::Production),
            Some("https://scl.clover.com")
        );
        assert_eq!(
            published_base_url(ProviderKind::Clover, Stage::Test),
            Some("https://scl-sandbox.dev.clover.com")
        );
        assert_eq!(
            published_base_url(ProviderKind::Svea, Stage::Test),
            Some("https://test1.maksuturva.fi")
        );
        assert_eq!(
            published_base_url(ProviderKind::ProcessOut, Stage::Test),
            published_base_url(ProviderKind::ProcessOut, Stage::Production),
            "ProcessOut's sandbox is chosen by the project id, not by a host"
        );
    }

    #[test]
    fn hosts_match_by_domain_not_by_substring() {
        assert!(host_is_under("api.eu.clover.com", "clover.com"));
        assert!(host_is_under("CLOVER.COM.", "clover.com"));
        assert!(!host_is_under("notclover.com", "clover.com"));
        assert!(!host_is_under("clover.com.evil.example", "clover.com"));
        assert!(!host_is_under("paysec.by.evil.example", "paysec.by"));
        assert!(is_provider_host(ProviderKind::Assist, "pay140.paysec.by"));
        assert!(!is_provider_host(
            ProviderKind::Assist,
            "assist.ru.example.com"
        ));
    }

    #[test]
    fn clover_checkout_host_follows_the_ecommerce_host() {
        assert_eq!(
            clover_checkout_base("https://scl.clover.com"),
            "https://checkout.clover.com"
        );
        assert_eq!(
            clover_checkout_base("https://scl-sandbox.dev.clover.com/"),
            "https://checkout.sandbox.dev.clover.com"
        );
        assert_eq!(
            clover_checkout_base("http://127.0.0.1:4000/clover/"),
            "http://127.0.0.1:4000/clover",
            "Coffer's sandbox serves the SDK under its own base URL"
        );
    }

    #[test]
    fn clover_region_changes_only_the_platform_host() {
        let eu = clover_platform_base("https://scl.clover.com", Some(CloverRegion::Europe));
        assert_eq!(eu, "https://api.eu.clover.com");
        let la = clover_platform_base("https://scl.clover.com", Some(CloverRegion::LatinAmerica));
        assert_eq!(la, "https://api.la.clover.com");
        assert_eq!(
            clover_platform_base("https://scl.clover.com", None),
            "https://api.clover.com"
        );
        assert_eq!(
            clover_platform_base(
                "https://scl-sandbox.dev.clover.com",
                Some(CloverRegion::Europe)
            ),
            "https://apisandbox.dev.clover.com",
            "one Clover sandbox serves every region"
        );
        assert_eq!(
            clover_platform_base("http://127.0.0.1:4000/clover", None),
            "http://127.0.0.1:4000/clover",
            "Coffer's sandbox serves both APIs"
        );
    }

    #[test]
    fn processout_stage_must_match_the_test_prefix() {
        assert!(check_processout_stage("test-proj_abc", Stage::Test).is_ok());
        assert!(check_processout_stage("proj_abc", Stage::Production).is_ok());
        let e = check_processout_stage("test-proj_abc", Stage::Production).unwrap_err();
        assert_eq!(e.field(), "project_id");
        assert!(e.to_string().contains("test- prefix"), "{e}");
        assert!(check_processout_stage("proj_abc", Stage::Test).is_err());
    }

    #[test]
    fn assist_hosts_must_lie_under_assist_domains() {
        assert_eq!(
            assist_base_url("payments.paysec.by").unwrap(),
            "https://payments.paysec.by"
        );
        assert_eq!(
            assist_base_url("https://pay140.paysec.by/").unwrap(),
            "https://pay140.paysec.by"
        );
        let e = assist_base_url("payments.paysec.by.evil.example").unwrap_err();
        assert_eq!(e.field(), "host");
        assert!(e.to_string().contains("paysec.by"), "{e}");
        assert!(matches!(
            assist_base_url("http://payments.paysec.by"),
            Err(EndpointError::NotHttps { .. })
        ));
    }

    #[test]
    fn a_live_secret_goes_only_over_https_to_the_providers_hosts_or_an_overridden_one() {
        let ok = merchant(clover(), Environment::Live, "https://scl.clover.com");
        assert!(check_destination(&ok).is_ok());
        let http = merchant(clover(), Environment::Live, "http://scl.clover.com");
        assert!(matches!(
            check_destination(&http),
            Err(EndpointError::NotHttps { .. })
        ));
        let foreign = merchant(
            clover(),
            Environment::Live,
            "https://clover.com.evil.example",
        );
        assert_eq!(check_destination(&foreign).unwrap_err().field(), "base_url");
        let mut overridden = merchant(clover(), Environment::Live, "http://127.0.0.1:9000");
        overridden.endpoint.host_override = Some(HostOverride {
            host: "127.0.0.1:9000".into(),
            reason: "staging proxy".into(),
        });
        assert!(check_destination(&overridden).is_ok());
        overridden.base_url = "https://elsewhere.example".into();
        assert!(
            matches!(
                check_destination(&overridden),
                Err(EndpointError::OverrideForAnotherHost { .. })
            ),
            "an override covers only the host it was granted for"
        );
        let sandbox = merchant(clover(), Environment::Sandbox, "http://anything.example");
        assert!(
            check_destination(&sandbox).is_ok(),
            "a sandbox may point anywhere"
        );
    }

    #[test]
    fn the_stage_is_read_from_the_known_hosts() {
        let test = merchant(
            clover(),
            Environment::Live,
            "https://scl-sandbox.dev.clover.com",
        );
        assert_eq!(stage_of(&test), Some(Stage::Test));
        let assist = merchant(
            ProviderAccount::Assist(AssistAccount {
                merchant_id: "1".into(),
                login: "login_01".into(),
            }),
            Environment::Live,
            "https://test.paysec.by",
        );
        assert_eq!(stage_of(&assist), Some(Stage::Test));
        let po = merchant(
            ProviderAccount::ProcessOut(ProcessOutAccount {
                project_id: "test-proj_1".into(),
            }),
            Environment::Live,
            "https://api.processout.com",
        );
        assert_eq!(stage_of(&po), Some(Stage::Test));
    }

    #[test]
    fn processout_js_comes_from_js_processout_com_or_the_sandbox_itself() {
        assert_eq!(
            processout_js_base("https://api.processout.com"),
            "https://js.processout.com"
        );
        assert_eq!(
            processout_js_base("https://API.processout.com/"),
            "https://js.processout.com"
        );
        assert_eq!(
            processout_js_base("http://127.0.0.1:4010/"),
            "http://127.0.0.1:4010/js"
        );
        assert_eq!(
            processout_js_base("https://api.processout.com.evil.example"),
            "https://api.processout.com.evil.example/js"
        );
    }
}
