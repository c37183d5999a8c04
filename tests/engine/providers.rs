//! Every provider is in every table that lists providers. A new `ProviderKind` variant that one
//! of them misses fails here, naming the table (the exhaustive matches of the three
//! registrations catch the rest at compile time; ARCHITECTURE.md "Adding a provider" lists them).

use coffer_core::providers::{facts, rules};
use coffer_core::{Endpoint, Environment, Merchant, MerchantId, ProviderKind, Stage};
use coffer_providers::endpoints;
use coffer_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;

#[tokio::test]
async fn every_provider_is_in_every_table_and_its_client_matches_its_capabilities() {
    let sandbox = Sandbox::start(SandboxConfig::demo(2)).await.unwrap();
    let seeded = sandbox.merchants();
    let profile = tempfile::tempdir().unwrap();
    let db = profile.path().join("coffer.db");
    drop(coffer_store::Store::open(&db).unwrap());
    let sql_names: Vec<String> = rusqlite::Connection::open(&db)
        .unwrap()
        .prepare("SELECT name FROM providers")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let bindings = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts"),
    )
    .unwrap();
    let ui = facts();
    for kind in ProviderKind::ALL {
        let rules = rules(kind);
        assert_eq!(rules.kind, kind, "{kind}: coffer_core::providers::rules");
        assert!(
            ui.iter()
                .any(|f| f.provider == kind && f.label == rules.label),
            "{kind}: the facts exported to the UI"
        );
        assert!(
            bindings.contains(&format!("\"label\":\"{}\"", rules.label))
                || bindings.contains(&format!("\"label\": \"{}\"", rules.label)),
            "{kind}: the UI's bindings.ts is regenerated with its label (COFFER_BLESS_BINDINGS=1)"
        );
        assert!(
            sql_names.iter().any(|n| n == kind.as_str()),
            "{kind}: the store's providers table (filled from ProviderKind::ALL at open)"
        );
        assert!(
            !endpoints::provider_domains(kind).is_empty(),
            "{kind}: its client folder's CLIENT lists its own domains"
        );
        assert!(
            endpoints::published_base_url(kind, Stage::Production).is_some()
                || rules.capabilities.own_host,
            "{kind}: its client folder's CLIENT publishes its production URL, or each account has its own host"
        );
        assert!(
            sandbox.urls.of(kind).ends_with(kind.as_str()),
            "{kind}: the sandbox serves it"
        );
        let seed = seeded
            .iter()
            .find(|m| m.account.kind() == kind)
            .unwrap_or_else(|| panic!("{kind}: the sandbox seeds a demo merchant"));
        let merchant = Merchant {
            id: MerchantId(1),
            name: seed.name.clone(),
            account: seed.account.clone(),
            environment: Environment::Sandbox,
            base_url: seed.base_url.clone(),
            time_zone: seed.time_zone.parse().unwrap(),
            currency: seed.currency,
            notice_lead_days: 0,
            group: None,
            endpoint: Endpoint::default(),
        };
        let client = coffer_providers::connect(&merchant, SecretString::from(seed.secret.clone()))
            .unwrap_or_else(|e| panic!("{kind}: providers::connect builds its client: {e}"));
        assert_eq!(client.kind(), kind, "{kind}: providers::connect");
        assert_eq!(
            client.capabilities().lists_customers,
            rules.capabilities.lists_customers,
            "{kind}: core's and the client's word on listing customers agree"
        );
        assert_eq!(
            client.card_page().is_some(),
            rules.capabilities.hosted_card_page,
            "{kind}: a hosted card page in core is a CardPage in the client"
        );
        assert_eq!(
            client.capabilities().initial_needs_card_page,
            rules.capabilities.hosted_card_page,
            "{kind}: the client's initial goes through the card page core announces"
        );
    }
}
