//! The app never misleads its owner (issue 21), the engine's part: a manual charge above the
//! merchant's "confirm charges above" limit is refused unless confirmed again, whatever the UI
//! shows; and a live merchant of a provider that requires advance notice (Svea) cannot have a
//! notice lead of 0 days, while sandbox merchants still may.

use std::sync::Arc;

use coffer_core::{CardId, Environment, ProviderAccount, Reason, Stage, SveaAccount};
use coffer_engine::charge::{ChargeInput, ChargeStatus};
use coffer_engine::merchants::{EndpointInput, EnvironmentKind, MerchantEdit, MerchantInput};
use coffer_engine::secrets::MemoryStore;
use coffer_engine::{Engine, ErrorKind};
use secrecy::SecretString;

use crate::world::{ready, World};

fn charge(card: i64, amount: &str, confirm_large: bool) -> ChargeInput {
    ChargeInput {
        card: CardId(card),
        amount: amount.into(),
        reason: Reason::Unscheduled,
        merchant: None,
        idempotency_key: None,
        description: None,
        confirm_large,
    }
}

#[tokio::test]
async fn a_charge_above_the_merchants_limit_is_refused_until_confirmed_again() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let card = world.card(paris, ready).await;
    let view = world
        .engine
        .list_merchants()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == paris.0)
        .unwrap();
    let limit = view
        .confirm_above
        .expect("a new merchant gets the default limit");
    assert_eq!(
        limit.grouped(),
        format!("1,000.00 {}", view.currency),
        "the default is a thousand in the merchant's currency"
    );
    assert_eq!(view.environment_kind, EnvironmentKind::Sandbox);

    let preview = world
        .engine
        .preview_charge(charge(card.id, "99999999.00", false))
        .await
        .unwrap();
    assert!(
        preview.needs_large_confirmation,
        "the preview tells the dialog to ask again"
    );
    assert!(
        preview.answer_wait_secs >= 30,
        "the wait bound covers at least one whole request timeout: {}",
        preview.answer_wait_secs
    );
    let refused = world
        .engine
        .charge_card(charge(card.id, "99999999.00", false))
        .await
        .expect_err("the engine refuses an unconfirmed large charge, not only the UI");
    assert_eq!(refused.kind(), ErrorKind::InvalidInput, "{refused}");
    assert_eq!(
        refused.envelope().field.as_deref(),
        Some("confirm_large"),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("99,999,999.00") && refused.to_string().contains("1,000.00"),
        "names the amount and the limit, grouped: {refused}"
    );
    assert!(
        world.sandbox_charges().is_empty(),
        "nothing reached the provider"
    );

    // The owner lowers the limit; an amount just above it asks again, and goes once confirmed.
    let edited = world
        .engine
        .edit_merchant(
            paris,
            MerchantEdit {
                confirm_above: Some(Some("5,00".into())),
                ..MerchantEdit::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(edited.confirm_above.map(|m| m.minor), Some(500));
    assert!(
        !world
            .engine
            .preview_charge(charge(card.id, "5.00", false))
            .await
            .unwrap()
            .needs_large_confirmation,
        "the limit itself needs no second confirmation"
    );
    let err = world
        .engine
        .charge_card(charge(card.id, "6.00", false))
        .await
        .expect_err("6.00 is above 5.00");
    assert_eq!(err.envelope().field.as_deref(), Some("confirm_large"));
    let confirmed = world
        .engine
        .charge_card(charge(card.id, "6.00", true))
        .await
        .unwrap();
    assert_eq!(confirmed.status, ChargeStatus::Succeeded, "{confirmed:?}");
    assert_eq!(world.sandbox_charges().len(), 1, "charged once");

    // A limit of zero is no limit the owner meant; an empty one removes it.
    let zero = world
        .engine
        .edit_merchant(
            paris,
            MerchantEdit {
                confirm_above: Some(Some("0".into())),
                ..MerchantEdit::default()
            },
            None,
        )
        .await
        .expect_err("a zero limit is refused");
    assert_eq!(zero.envelope().field.as_deref(), Some("confirm_above"));
    let cleared = world
        .engine
        .edit_merchant(
            paris,
            MerchantEdit {
                confirm_above: Some(None),
                ..MerchantEdit::default()
            },
            None,
        )
        .await
        .unwrap();
    assert_eq!(cleared.confirm_above, None);
    assert!(
        !world
            .engine
            .preview_charge(charge(card.id, "2000.00", false))
            .await
            .unwrap()
            .needs_large_confirmation,
        "without a limit nothing asks twice"
    );
}

fn offline_engine(dir: &tempfile::TempDir) -> Engine {
    coffer_demo::with_embedded_sandboxes(Engine::builder())
        .data_dir(Some(dir.path().to_path_buf()))
        .secrets(Arc::new(MemoryStore::default()))
        .open()
        .unwrap()
}

fn svea(environment: Environment, endpoint: EndpointInput, lead: u32) -> MerchantInput {
    MerchantInput {
        name: "Helsinki".into(),
        account: ProviderAccount::Svea(SveaAccount {
            seller_id: "SELLER1".into(),
            key_generation: "001".into(),
        }),
        environment,
        endpoint,
        time_zone: "Europe/Helsinki".into(),
        currency: "EUR".into(),
        notice_lead_days: lead,
        group: None,
    }
}

fn production() -> EndpointInput {
    EndpointInput {
        stage: Some(Stage::Production),
        ..EndpointInput::default()
    }
}

#[tokio::test]
async fn a_live_svea_merchant_needs_a_notice_lead_and_a_sandbox_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let engine = offline_engine(&dir);
    let secret = || Some(SecretString::from("k3y".to_string()));
    let refused = engine
        .add_merchant(svea(Environment::Live, production(), 0), secret())
        .await
        .expect_err("a live Svea merchant with no notice lead is refused");
    assert_eq!(refused.kind(), ErrorKind::InvalidInput, "{refused}");
    assert_eq!(
        refused.envelope().field.as_deref(),
        Some("notice_lead_days"),
        "{refused}"
    );
    assert!(
        refused.to_string().contains("notified before each"),
        "the rule is said: {refused}"
    );
    assert!(
        engine.list_merchants().await.unwrap().is_empty(),
        "nothing saved"
    );

    let live = engine
        .add_merchant(svea(Environment::Live, production(), 2), secret())
        .await
        .unwrap();
    assert_eq!(live.environment_kind, EnvironmentKind::Live);
    let err = engine
        .edit_merchant(
            coffer_core::MerchantId(live.id),
            MerchantEdit {
                notice_lead_days: Some(0),
                ..MerchantEdit::default()
            },
            None,
        )
        .await
        .expect_err("an edit to a lead of 0 is refused too");
    assert_eq!(err.envelope().field.as_deref(), Some("notice_lead_days"));

    // The provider's own test environment is the provider's servers: the rule holds there too,
    // and the merchant is shown as "test", not as Coffer's sandbox.
    let test_stage = EndpointInput {
        stage: Some(Stage::Test),
        ..EndpointInput::default()
    };
    let mut input = svea(Environment::Live, test_stage.clone(), 0);
    input.account = ProviderAccount::Svea(SveaAccount {
        seller_id: "SELLER2".into(),
        key_generation: "001".into(),
    });
    assert!(engine.add_merchant(input.clone(), secret()).await.is_err());
    input.notice_lead_days = 1;
    let test = engine.add_merchant(input, secret()).await.unwrap();
    assert_eq!(test.environment_kind, EnvironmentKind::Test);

    // Sandbox merchants keep charging the day they announce (the tests rely on it).
    let sandbox = engine
        .add_merchant(
            svea(
                Environment::Sandbox,
                EndpointInput {
                    base_url: Some("embedded:svea".into()),
                    ..EndpointInput::default()
                },
                0,
            ),
            None,
        )
        .await
        .unwrap();
    assert_eq!(sandbox.notice_lead_days, 0);
    assert_eq!(sandbox.environment_kind, EnvironmentKind::Sandbox);
}

#[tokio::test]
async fn the_rehearsal_counts_the_runs_charges_and_totals_per_currency_per_merchant() {
    let world = crate::World::new().await;
    let paris = coffer_core::MerchantId(world.merchant_id("ProcessOut Paris").await);
    world
        .engine
        .edit_merchant(
            paris,
            MerchantEdit {
                notice_lead_days: Some(0),
                ..MerchantEdit::default()
            },
            None,
        )
        .await
        .unwrap();
    let cards = world.cards("ProcessOut Paris", None, 2).await;
    for (card, amount) in cards.iter().zip(["2.50", "1234.56"]) {
        crate::monthly(&world.engine, card.id, amount, crate::paris_today()).await;
    }
    let run = coffer_engine::due::DueRun {
        merchants: vec![paris].into(),
        ..coffer_engine::due::DueRun::default()
    };
    let rehearsal = world
        .engine
        .run_due(
            coffer_engine::due::DueRun {
                dry_run: true,
                ..run.clone()
            },
            Arc::new(coffer_engine::progress::NoProgress),
        )
        .await
        .unwrap();
    let money = &rehearsal.money;
    assert_eq!(money.charges, 2, "{money:?}");
    assert_eq!(
        money.totals.iter().map(|t| t.grouped()).collect::<Vec<_>>(),
        vec!["1,237.06 EUR"],
        "one currency, one total"
    );
    assert_eq!(money.merchants.len(), 1);
    assert_eq!(
        money.merchants[0].environment_kind,
        EnvironmentKind::Sandbox
    );
    assert!(money.live.is_empty(), "no live merchant charges here");
    let words = money.words(true);
    assert!(
        words.starts_with("2 charges would be made: 1,237.06 EUR.")
            && words.contains("ProcessOut Paris (sandbox): 2 charges"),
        "{words}"
    );
    assert!(
        world.sandbox_charges().await.is_empty(),
        "the rehearsal sent nothing"
    );
    // A third contract falls due after the question: the approved run leaves it for the next.
    let late = world.cards("ProcessOut Paris", None, 3).await;
    let late = late
        .iter()
        .find(|c| cards.iter().all(|k| k.id != c.id))
        .expect("a third card");
    crate::monthly(&world.engine, late.id, "7.00", crate::paris_today()).await;
    let done = world
        .engine
        .run_due(
            coffer_engine::due::DueRun {
                approved: Some(coffer_engine::due::ApprovedCharge::all_of(&rehearsal)),
                ..run
            },
            Arc::new(coffer_engine::progress::NoProgress),
        )
        .await
        .unwrap();
    assert_eq!(
        (done.money.charges, &done.money.totals),
        (money.charges, &money.totals),
        "the run made what its rehearsal said, and no more"
    );
    let skipped: Vec<_> = done
        .skipped
        .iter()
        .filter(|i| {
            i.message
                .as_deref()
                .is_some_and(|m| m.starts_with("not in the run you confirmed"))
        })
        .collect();
    assert_eq!(
        skipped.len(),
        1,
        "the charge nobody was shown waits: {done:?}"
    );
    assert_eq!(skipped[0].amount.grouped(), "7.00 EUR");
    assert_eq!(
        world.sandbox_charges().await.len(),
        2,
        "two charges reached the provider"
    );
}
