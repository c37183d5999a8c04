//! The connection check: an owner connecting a merchant learns at once whether the provider
//! accepts the account and secret, and which field is wrong when it does not. The sandboxes
//! answer as the providers do, so the demo merchants must pass and a wrong secret or a dead
//! address must fail on the right field, saving nothing.

use std::sync::Arc;

use coffer_core::{Environment, MerchantId};
use coffer_engine::merchant_check::{ConnectionCheck, MerchantTest};
use coffer_engine::merchants::{EndpointInput, MerchantEdit, MerchantInput, MerchantView};
use coffer_engine::progress::NoProgress;
use coffer_engine::secrets::MemoryStore;
use coffer_engine::{Engine, ErrorKind};
use secrecy::SecretString;

use crate::world::World;

const PROVIDERS: [&str; 4] = ["clover", "processout", "assist", "svea"];

/// A new account like `demo` with another name, at `base_url`.
fn input_like(demo: &MerchantView, name: &str, base_url: &str) -> MerchantInput {
    MerchantInput {
        name: name.to_string(),
        account: demo.account.clone(),
        environment: Environment::Sandbox,
        endpoint: EndpointInput {
            base_url: Some(base_url.to_string()),
            ..EndpointInput::default()
        },
        time_zone: demo.time_zone.clone(),
        currency: demo.currency.code().to_string(),
        notice_lead_days: 3,
        group: None,
    }
}

fn secret(text: &str) -> Option<SecretString> {
    Some(SecretString::from(text.to_string()))
}

async fn first_of(engine: &Engine, provider: &str) -> MerchantView {
    engine
        .list_merchants()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.provider == provider)
        .unwrap_or_else(|| panic!("the demo has a {provider} merchant"))
}

fn assert_passed(test: &MerchantTest, why: &str) {
    assert!(
        test.ok,
        "{why}: {} {} failed the check: {:?} {:?} {}",
        test.provider, test.account_id, test.kind, test.field, test.message
    );
    assert_eq!(test.kind, None, "a passed check has no error kind");
    assert_eq!(test.field, None, "a passed check blames no field");
}

#[tokio::test]
async fn demo_merchants_of_all_four_sandboxes_pass_the_check_so_demo_keeps_working() {
    let world = World::new().await;
    let merchants = world.engine.list_merchants().await.unwrap();
    for provider in PROVIDERS {
        assert!(
            merchants.iter().any(|m| m.provider == provider),
            "the demo covers {provider}, so the check is tried against its sandbox"
        );
    }
    for m in &merchants {
        let test = world.engine.test_merchant(MerchantId(m.id)).await.unwrap();
        assert_passed(
            &test,
            "the sandbox is given the demo secret from the keyring",
        );
        assert_eq!(test.merchant_id, Some(m.id), "the view says which merchant");
        assert_eq!(test.provider, m.provider, "the view says which provider");
        assert!(
            test.checked.contains(&m.account.account_id().to_string()),
            "the view says what was checked: {}",
            test.checked
        );
    }
}

#[tokio::test]
async fn every_embedded_sandbox_merchant_passes_the_check_because_coffer_demo_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let engine = coffer_demo::with_embedded_sandboxes(Engine::builder())
        .data_dir(Some(dir.path().to_path_buf()))
        .secrets(Arc::new(MemoryStore::default()))
        .open()
        .unwrap();
    coffer_demo::demo(&engine, None, Arc::new(NoProgress))
        .await
        .unwrap();
    let merchants = engine.list_merchants().await.unwrap();
    for provider in PROVIDERS {
        assert!(
            merchants
                .iter()
                .any(|m| m.provider == provider && m.embedded),
            "the embedded demo covers {provider}"
        );
    }
    for m in &merchants {
        let test = engine.test_merchant(MerchantId(m.id)).await.unwrap();
        assert_passed(
            &test,
            "the built-in sandbox's demo secret opens its account",
        );
    }
}

#[tokio::test]
async fn a_wrong_secret_fails_the_check_on_the_secret_field_for_every_provider_and_saves_nothing() {
    let world = World::new().await;
    let before = world.engine.list_merchants().await.unwrap().len();
    for provider in PROVIDERS {
        let demo = first_of(&world.engine, provider).await;
        let error = world
            .engine
            .add_merchant_checked(
                input_like(&demo, "Wrong secret", &demo.base_url),
                secret("not-the-secret"),
                ConnectionCheck::First,
            )
            .await
            .expect_err("the provider refuses a secret that is not the account's");
        assert_eq!(
            error.kind(),
            ErrorKind::Auth,
            "{provider}: a refused secret is an auth error, so the owner re-enters it: {error}"
        );
        assert!(
            error.to_string().starts_with("secret:")
                && error.to_string().contains("nothing was saved"),
            "{provider}: the message names the field and says nothing was saved: {error}"
        );
    }
    assert_eq!(
        world.engine.list_merchants().await.unwrap().len(),
        before,
        "a failed check adds no merchant"
    );
}

#[tokio::test]
async fn a_saved_merchant_whose_keyring_secret_went_stale_fails_the_test_on_the_secret() {
    let world = World::new().await;
    let demo = first_of(&world.engine, "processout").await;
    let merchant = world.engine.merchant(MerchantId(demo.id)).await.unwrap();
    use coffer_engine::secrets::SecretStore;
    world
        .secrets
        .set(
            &coffer_engine::secrets::merchant_secret_address(&merchant),
            &SecretString::from("key_rotated_elsewhere".to_string()),
        )
        .unwrap();
    let test = world
        .engine
        .test_merchant(MerchantId(demo.id))
        .await
        .unwrap();
    assert!(!test.ok, "the provider no longer accepts the saved secret");
    assert_eq!(test.kind, Some(ErrorKind::Auth), "{}", test.message);
    assert_eq!(
        test.field.as_deref(),
        Some("secret"),
        "the owner is told to replace the secret, not the account id"
    );
}

#[tokio::test]
async fn an_unreachable_base_url_fails_on_base_url_unless_the_owner_saves_without_checking() {
    let world = World::new().await;
    let demo = first_of(&world.engine, "clover").await;
    let dead = "http://127.0.0.1:1";
    let before = world.engine.list_merchants().await.unwrap().len();
    let error = world
        .engine
        .add_merchant_checked(
            input_like(&demo, "Offline store", dead),
            secret("any-token"),
            ConnectionCheck::First,
        )
        .await
        .expect_err("nothing listens on port 1");
    assert_eq!(
        error.kind(),
        ErrorKind::ProviderUnavailable,
        "cannot reach is not a bad secret: {error}"
    );
    assert!(
        error.to_string().starts_with("base_url:") && error.to_string().contains(dead),
        "the message names the base URL: {error}"
    );
    assert_eq!(
        world.engine.list_merchants().await.unwrap().len(),
        before,
        "a failed check adds no merchant"
    );
    let saved = world
        .engine
        .add_merchant_checked(
            input_like(&demo, "Offline store", dead),
            secret("any-token"),
            ConnectionCheck::Skip,
        )
        .await
        .expect("an owner setting up offline may save without the check");
    let test = world
        .engine
        .test_merchant(MerchantId(saved.id))
        .await
        .unwrap();
    assert!(
        !test.ok,
        "the saved offline merchant still cannot be reached"
    );
    assert_eq!(test.kind, Some(ErrorKind::ProviderUnavailable));
    assert_eq!(test.field.as_deref(), Some("base_url"), "{}", test.message);
}

/// The engine links no emulator: a host that plugs in no embedded sandboxes (a build without
/// sandbox mode) gets a reason for an `embedded:` merchant, not a started emulator.
#[tokio::test]
async fn without_the_host_s_sandboxes_an_embedded_merchant_is_refused_with_the_reason() {
    let world = World::new().await;
    let demo = first_of(&world.engine, "clover").await;
    let dir = tempfile::tempdir().unwrap();
    let bare = Engine::builder()
        .data_dir(Some(dir.path().to_path_buf()))
        .secrets(Arc::new(MemoryStore::default()))
        .open()
        .unwrap();
    let saved = bare
        .add_merchant(input_like(&demo, "No sandboxes", "embedded:clover"), None)
        .await
        .unwrap();
    let test = bare.test_merchant(MerchantId(saved.id)).await.unwrap();
    assert!(!test.ok);
    assert_eq!(test.kind, Some(ErrorKind::ProviderUnavailable));
    assert!(
        test.message.contains("started without them"),
        "{}",
        test.message
    );
    assert!(
        !dir.path().join("sandbox").exists(),
        "no emulator was started"
    );
}

#[tokio::test]
async fn an_unknown_embedded_account_fails_on_its_account_id_field() {
    let world = World::new().await;
    let demo = first_of(&world.engine, "processout").await;
    let mut input = input_like(&demo, "Typo", "embedded:processout");
    input.account = coffer_core::ProviderAccount::ProcessOut(coffer_core::ProcessOutAccount {
        project_id: "proj_typo".into(),
    });
    let error = world
        .engine
        .add_merchant_checked(input, None, ConnectionCheck::First)
        .await
        .expect_err("the built-in sandbox has no such project");
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    assert!(
        error.to_string().starts_with("project_id:"),
        "the message names the account id field as the form does: {error}"
    );
}

#[tokio::test]
async fn an_edit_to_a_dead_base_url_changes_nothing_while_a_rename_needs_no_provider() {
    let world = World::new().await;
    let demo = first_of(&world.engine, "svea").await;
    let id = MerchantId(demo.id);
    let error = world
        .engine
        .edit_merchant_checked(
            id,
            MerchantEdit {
                endpoint: Some(EndpointInput {
                    base_url: Some("http://127.0.0.1:1".into()),
                    ..EndpointInput::default()
                }),
                ..MerchantEdit::default()
            },
            None,
            ConnectionCheck::First,
        )
        .await
        .expect_err("the new address cannot be reached");
    assert_eq!(error.kind(), ErrorKind::ProviderUnavailable, "{error}");
    let after = world.engine.merchant(id).await.unwrap();
    assert_eq!(
        after.base_url, demo.base_url,
        "a failed check leaves the merchant as it was"
    );
    assert_passed(
        &world.engine.test_merchant(id).await.unwrap(),
        "the secret did not move with a refused edit",
    );
    let renamed = world
        .engine
        .edit_merchant_checked(
            id,
            MerchantEdit {
                name: Some("Helsinki flagship".into()),
                ..MerchantEdit::default()
            },
            None,
            ConnectionCheck::First,
        )
        .await
        .unwrap();
    assert_eq!(renamed.name, "Helsinki flagship", "a rename is saved");
    let wrong = world
        .engine
        .edit_merchant_checked(
            id,
            MerchantEdit::default(),
            secret("not-the-key"),
            ConnectionCheck::First,
        )
        .await
        .expect_err("a new secret is checked before it replaces the old one");
    assert_eq!(wrong.kind(), ErrorKind::Auth, "{wrong}");
    assert_passed(
        &world.engine.test_merchant(id).await.unwrap(),
        "the refused secret did not replace the working one",
    );
}
