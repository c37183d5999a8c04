//! Connecting a merchant by provider and environment (issue 20): the engine derives the base URL
//! from the published table, sends a live secret only to the provider's own https hosts or an
//! audited override, asks for the secret again when a live merchant's host changes, and finds the
//! secret in the keyring by provider, account id and environment — never by a database column.
//! Every check is made in the engine, also on a merchant read from a database edited by hand.

use std::sync::{Arc, Mutex};

use coffer_core::{
    AssistAccount, CloverAccount, CloverRegion, Environment, MerchantId, ProcessOutAccount,
    ProviderAccount, SecretRef, Stage, SveaAccount,
};
use coffer_engine::audit::AuditQuery;
use coffer_engine::merchants::{
    EndpointInput, MerchantEdit, MerchantInput, MerchantView, HOST_OVERRIDE_ACTION,
};
use coffer_engine::secrets::{
    merchant_secret_address, secret_address, MemoryStore, SecretError, SecretStore,
};
use coffer_engine::{Engine, ErrorKind};
use secrecy::{ExposeSecret, SecretString};

/// The in-memory keyring, remembering every address read.
#[derive(Default)]
struct Recording {
    inner: MemoryStore,
    reads: Mutex<Vec<SecretRef>>,
}

impl SecretStore for Recording {
    fn set(&self, at: &SecretRef, secret: &SecretString) -> Result<(), SecretError> {
        self.inner.set(at, secret)
    }
    fn get(&self, at: &SecretRef) -> Result<SecretString, SecretError> {
        self.reads.lock().unwrap().push(at.clone());
        self.inner.get(at)
    }
    fn delete(&self, at: &SecretRef) -> Result<(), SecretError> {
        self.inner.delete(at)
    }
    fn probe(&self) -> Result<(), SecretError> {
        Ok(())
    }
}

struct Desk {
    engine: Engine,
    keyring: Arc<Recording>,
    dir: tempfile::TempDir,
}

fn desk() -> Desk {
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(Recording::default());
    let engine = coffer_demo::with_embedded_sandboxes(Engine::builder())
        .data_dir(Some(dir.path().to_path_buf()))
        .secrets(keyring.clone())
        .open()
        .unwrap();
    Desk {
        engine,
        keyring,
        dir,
    }
}

impl Desk {
    /// Edits the database behind the engine's back, as someone with a SQLite shell could.
    fn edit_database(&self, sql: &str) {
        let conn =
            rusqlite::Connection::open(coffer_engine::config::database_path(self.dir.path()))
                .unwrap();
        conn.execute_batch(sql).unwrap();
    }
}

fn secret(text: &str) -> Option<SecretString> {
    Some(SecretString::from(text.to_string()))
}

fn input(
    account: ProviderAccount,
    environment: Environment,
    endpoint: EndpointInput,
) -> MerchantInput {
    MerchantInput {
        name: format!("{} shop", account.kind()),
        account,
        environment,
        endpoint,
        time_zone: "Europe/Helsinki".into(),
        currency: "EUR".into(),
        notice_lead_days: 3,
        group: None,
    }
}

fn clover(uuid: &str) -> ProviderAccount {
    ProviderAccount::Clover(CloverAccount {
        merchant_uuid: uuid.into(),
        pakms_key: None,
    })
}

fn live(stage: Stage) -> EndpointInput {
    EndpointInput {
        stage: Some(stage),
        ..EndpointInput::default()
    }
}

fn overridden(url: &str, reason: &str) -> EndpointInput {
    EndpointInput {
        base_url: Some(url.into()),
        override_reason: Some(reason.into()),
        ..EndpointInput::default()
    }
}

async fn add(desk: &Desk, input: MerchantInput, with: &str) -> MerchantView {
    desk.engine.add_merchant(input, secret(with)).await.unwrap()
}

async fn refused(desk: &Desk, input: MerchantInput) -> (String, String) {
    let e = desk
        .engine
        .add_merchant(input, secret("s3cret"))
        .await
        .expect_err("the endpoint is refused");
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    let field = e.envelope().field.expect("the error names the field");
    assert!(
        desk.engine.list_merchants().await.unwrap().is_empty(),
        "a refused merchant is not saved"
    );
    (field, e.to_string())
}

#[tokio::test]
async fn a_live_merchant_gets_the_published_url_of_its_provider_stage_and_region() {
    let desk = desk();
    let na = add(
        &desk,
        input(
            clover("MIDNORTHAM001"),
            Environment::Live,
            live(Stage::Production),
        ),
        "t1",
    )
    .await;
    assert_eq!(na.base_url, "https://scl.clover.com");
    assert_eq!(na.stage, Some(Stage::Production));
    assert_eq!(
        na.region,
        Some(CloverRegion::NorthAmerica),
        "North America is the default"
    );
    let eu = add(
        &desk,
        input(
            clover("MIDEUROPE0001"),
            Environment::Live,
            EndpointInput {
                region: Some(CloverRegion::Europe),
                ..live(Stage::Production)
            },
        ),
        "t2",
    )
    .await;
    assert_eq!(
        eu.base_url, "https://scl.clover.com",
        "the region changes only the Platform host"
    );
    assert_eq!(eu.region, Some(CloverRegion::Europe));
    let test = add(
        &desk,
        input(
            clover("MIDTEST000001"),
            Environment::Live,
            live(Stage::Test),
        ),
        "t3",
    )
    .await;
    assert_eq!(test.base_url, "https://scl-sandbox.dev.clover.com");
    assert_eq!(
        test.stage,
        Some(Stage::Test),
        "the provider's test environment is not Coffer's sandbox"
    );
    assert_eq!(test.environment, Environment::Live);
    let svea = add(
        &desk,
        input(
            ProviderAccount::Svea(SveaAccount {
                seller_id: "SELLER1".into(),
                key_generation: "001".into(),
            }),
            Environment::Live,
            live(Stage::Test),
        ),
        "t4",
    )
    .await;
    assert_eq!(svea.base_url, "https://test1.maksuturva.fi");
    let assist = add(
        &desk,
        input(
            ProviderAccount::Assist(AssistAccount {
                merchant_id: "600123".into(),
                login: "coffer_bo_01".into(),
            }),
            Environment::Live,
            EndpointInput {
                host: Some("pay140.paysec.by".into()),
                ..live(Stage::Production)
            },
        ),
        "t5",
    )
    .await;
    assert_eq!(
        assist.base_url, "https://pay140.paysec.by",
        "Assist's host is the one Assist gave"
    );
}

#[tokio::test]
async fn a_processout_stage_must_match_the_project_ids_test_prefix() {
    let desk = desk();
    let sandbox_project = ProviderAccount::ProcessOut(ProcessOutAccount {
        project_id: "test-proj_abc".into(),
    });
    let (field, message) = refused(
        &desk,
        input(
            sandbox_project.clone(),
            Environment::Live,
            live(Stage::Production),
        ),
    )
    .await;
    assert_eq!(field, "project_id", "{message}");
    assert!(message.contains("test- prefix"), "{message}");
    let production_project = ProviderAccount::ProcessOut(ProcessOutAccount {
        project_id: "proj_abc".into(),
    });
    let (field, _) = refused(
        &desk,
        input(production_project, Environment::Live, live(Stage::Test)),
    )
    .await;
    assert_eq!(field, "project_id");
    let ok = add(
        &desk,
        input(sandbox_project, Environment::Live, live(Stage::Test)),
        "k",
    )
    .await;
    assert_eq!(ok.base_url, "https://api.processout.com");
    assert_eq!(ok.stage, Some(Stage::Test));
}

#[tokio::test]
async fn an_assist_host_outside_assists_domains_is_refused() {
    let desk = desk();
    let account = ProviderAccount::Assist(AssistAccount {
        merchant_id: "600123".into(),
        login: "coffer_bo_01".into(),
    });
    for host in [
        "payments.paysec.by.evil.example",
        "notpaysec.by",
        "evil.example",
    ] {
        let (field, message) = refused(
            &desk,
            input(
                account.clone(),
                Environment::Live,
                EndpointInput {
                    host: Some(host.into()),
                    ..live(Stage::Production)
                },
            ),
        )
        .await;
        assert_eq!(field, "host", "{host}: {message}");
        assert!(
            message.contains("paysec.by"),
            "the message lists Assist's domains: {message}"
        );
    }
    let (field, _) = refused(
        &desk,
        input(account, Environment::Live, live(Stage::Production)),
    )
    .await;
    assert_eq!(field, "host", "Assist's server name must be entered");
}

#[tokio::test]
async fn a_live_url_on_a_foreign_domain_or_over_http_needs_an_override() {
    let desk = desk();
    let typed = |url: &str| EndpointInput {
        base_url: Some(url.into()),
        ..live(Stage::Production)
    };
    let (field, message) = refused(
        &desk,
        input(
            clover("MID1"),
            Environment::Live,
            typed("https://scl.clover.com.evil.example"),
        ),
    )
    .await;
    assert_eq!(field, "base_url", "{message}");
    assert!(
        message.contains("override"),
        "the message says how to allow it: {message}"
    );
    let (field, _) = refused(
        &desk,
        input(
            clover("MID1"),
            Environment::Live,
            typed("http://scl.clover.com"),
        ),
    )
    .await;
    assert_eq!(field, "base_url");
    let (field, _) = refused(
        &desk,
        input(
            clover("MID1"),
            Environment::Live,
            EndpointInput {
                override_reason: Some("no URL".into()),
                ..live(Stage::Production)
            },
        ),
    )
    .await;
    assert_eq!(field, "override_reason");
    let sandbox = add(
        &desk,
        input(
            clover("MID1"),
            Environment::Sandbox,
            EndpointInput {
                base_url: Some("http://anything.example:8080".into()),
                ..EndpointInput::default()
            },
        ),
        "demo",
    )
    .await;
    assert_eq!(
        sandbox.base_url, "http://anything.example:8080",
        "a sandbox merchant may point anywhere"
    );
}

#[tokio::test]
async fn an_override_is_audited_shown_and_lets_the_secret_go_only_to_its_host() {
    let desk = desk();
    let m = add(
        &desk,
        input(
            clover("MIDPROXY00001"),
            Environment::Live,
            overridden("http://127.0.0.1:1/clover", "our egress proxy"),
        ),
        "tok",
    )
    .await;
    let granted = m
        .host_override
        .clone()
        .expect("the view shows the override");
    assert_eq!(granted.host, "127.0.0.1:1");
    assert_eq!(granted.reason, "our egress proxy");
    assert_eq!(
        m.stage, None,
        "an overridden host is no known stage of the provider"
    );
    let events = desk
        .engine
        .list_audit(AuditQuery {
            merchant_id: Some(m.id),
            action: Some(HOST_OVERRIDE_ACTION.into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "granting the override is one audit event");
    assert_eq!(events[0].details["reason"], "our egress proxy");
    assert_eq!(events[0].details["host"], "127.0.0.1:1");
    let test = desk.engine.test_merchant(MerchantId(m.id)).await.unwrap();
    assert_eq!(
        test.kind,
        Some(ErrorKind::ProviderUnavailable),
        "the secret was allowed to the overridden host (nothing listens there): {}",
        test.message
    );
}

#[tokio::test]
async fn a_database_edited_by_hand_cannot_send_a_live_secret_elsewhere() {
    let desk = desk();
    let m = add(
        &desk,
        input(
            clover("MIDHANDEDIT01"),
            Environment::Live,
            live(Stage::Production),
        ),
        "live-token",
    )
    .await;
    let other = add(
        &desk,
        input(
            clover("MIDOTHER00001"),
            Environment::Live,
            live(Stage::Production),
        ),
        "other-token",
    )
    .await;
    desk.edit_database(&format!(
        "UPDATE merchants SET base_url = 'https://collector.evil.example' WHERE id = {}",
        m.id
    ));
    desk.keyring.reads.lock().unwrap().clear();
    let test = desk.engine.test_merchant(MerchantId(m.id)).await.unwrap();
    assert!(!test.ok);
    assert_eq!(test.field.as_deref(), Some("base_url"), "{}", test.message);
    assert!(
        desk.keyring.reads.lock().unwrap().is_empty(),
        "the secret is not even read for a foreign host"
    );
    // An override typed into the database has no audit event granting it.
    desk.edit_database(&format!(
        "UPDATE merchants SET base_url = 'https://collector.evil.example', host_override_host = 'collector.evil.example',
                host_override_reason = 'typed by hand' WHERE id = {}",
        other.id
    ));
    let test = desk
        .engine
        .test_merchant(MerchantId(other.id))
        .await
        .unwrap();
    assert_eq!(test.field.as_deref(), Some("base_url"), "{}", test.message);
    assert!(test.message.contains("no audit record"), "{}", test.message);
    assert!(desk.keyring.reads.lock().unwrap().is_empty());
}

#[tokio::test]
async fn changing_a_live_merchants_host_needs_the_secret_again() {
    let desk = desk();
    let m = add(
        &desk,
        input(
            clover("MIDMOVE000001"),
            Environment::Live,
            live(Stage::Production),
        ),
        "na-token",
    )
    .await;
    let to_europe = MerchantEdit {
        endpoint: Some(EndpointInput {
            region: Some(CloverRegion::Europe),
            ..EndpointInput::default()
        }),
        ..MerchantEdit::default()
    };
    let to_test = MerchantEdit {
        endpoint: Some(live(Stage::Test)),
        ..MerchantEdit::default()
    };
    let e = desk
        .engine
        .edit_merchant(MerchantId(m.id), to_test.clone(), None)
        .await
        .expect_err("a new host without the secret is refused");
    assert_eq!(e.envelope().field.as_deref(), Some("secret"), "{e}");
    let after = desk.engine.merchant(MerchantId(m.id)).await.unwrap();
    assert_eq!(after.base_url, "https://scl.clover.com", "nothing changed");
    let to_sandbox = MerchantEdit {
        environment: Some(Environment::Sandbox),
        endpoint: Some(EndpointInput {
            base_url: Some("http://127.0.0.1:9".into()),
            ..EndpointInput::default()
        }),
        ..MerchantEdit::default()
    };
    let e = desk
        .engine
        .edit_merchant(MerchantId(m.id), to_sandbox, None)
        .await
        .expect_err("a live secret never moves to a sandbox");
    assert_eq!(e.envelope().field.as_deref(), Some("secret"), "{e}");
    // Europe keeps the Ecommerce host: no new host, no new secret needed.
    let eu = desk
        .engine
        .edit_merchant(MerchantId(m.id), to_europe, None)
        .await
        .unwrap();
    assert_eq!(eu.region, Some(CloverRegion::Europe));
    let moved = desk
        .engine
        .edit_merchant(MerchantId(m.id), to_test, secret("test-token"))
        .await
        .unwrap();
    assert_eq!(moved.base_url, "https://scl-sandbox.dev.clover.com");
    assert_eq!(moved.region, Some(CloverRegion::Europe), "the region stays");
    let saved = desk.engine.merchant(MerchantId(m.id)).await.unwrap();
    assert_eq!(
        desk.keyring
            .inner
            .get(&merchant_secret_address(&saved))
            .unwrap()
            .expose_secret(),
        "test-token"
    );
}

#[tokio::test]
async fn the_keyring_address_comes_from_provider_account_and_environment_not_from_columns() {
    let desk = desk();
    let victim = add(
        &desk,
        input(
            clover("MIDVICTIM0001"),
            Environment::Live,
            live(Stage::Production),
        ),
        "victim-token",
    )
    .await;
    // Overridden to a closed local port, so the check ends at once without the network.
    let m = add(
        &desk,
        input(
            clover("MIDEDITED0001"),
            Environment::Live,
            overridden("http://127.0.0.1:1", "test"),
        ),
        "own-token",
    )
    .await;
    let victim_at = secret_address(
        coffer_core::ProviderKind::Clover,
        "MIDVICTIM0001",
        Environment::Live,
    );
    assert_eq!(
        victim_at.account, "clover/MIDVICTIM0001@live",
        "the address is provider/account@environment"
    );
    // Point the edited merchant's old address columns at the victim's entry.
    desk.edit_database(&format!(
        "UPDATE merchants SET secret_service = '{}', secret_account = '{}' WHERE id = {}",
        victim_at.service, victim_at.account, m.id
    ));
    desk.keyring.reads.lock().unwrap().clear();
    let _ = desk.engine.test_merchant(MerchantId(m.id)).await.unwrap();
    let reads = desk.keyring.reads.lock().unwrap().clone();
    let own = secret_address(
        coffer_core::ProviderKind::Clover,
        "MIDEDITED0001",
        Environment::Live,
    );
    assert_eq!(reads, vec![own], "the lookup ignores the columns");
    assert!(!reads.contains(&victim_at));
    let _ = victim;
}

#[tokio::test]
async fn a_secret_saved_under_the_old_address_is_moved_on_first_use() {
    let desk = desk();
    let m = add(
        &desk,
        input(
            clover("MIDLEGACY0001"),
            Environment::Live,
            overridden("http://127.0.0.1:1", "test"),
        ),
        "legacy-token",
    )
    .await;
    let saved = desk.engine.merchant(MerchantId(m.id)).await.unwrap();
    let new_at = merchant_secret_address(&saved);
    // As Coffer before schema 8 kept it: provider/account@base URL.
    let old_at = SecretRef {
        service: new_at.service.clone(),
        account: "clover/MIDLEGACY0001@http://127.0.0.1:1".into(),
    };
    desk.keyring.inner.delete(&new_at).unwrap();
    desk.keyring
        .inner
        .set(&old_at, &SecretString::from("legacy-token".to_string()))
        .unwrap();
    let _ = desk.engine.test_merchant(MerchantId(m.id)).await.unwrap();
    assert_eq!(
        desk.keyring.inner.get(&new_at).unwrap().expose_secret(),
        "legacy-token",
        "the secret now lives at the derived address"
    );
    assert!(
        matches!(
            desk.keyring.inner.get(&old_at),
            Err(SecretError::Missing(_))
        ),
        "and no longer at the old one"
    );
}
