//! Enrollment through a page the provider hosts itself (issue 25): Assist's payment page with
//! the recurring registration, at the counter, with its contract, and as the re-enrollment of a
//! contract whose initial was a One Click payment; each confirmed only by the provider's own
//! lookup.

use chrono::{Days, Utc};
use coffer_core::contract::Frequency;
use coffer_core::{EnrollmentMode, EnrollmentState, InitialKind, ProviderKind};
use coffer_engine::contracts::ContractInput;
use coffer_engine::enrollment::{EnrollmentInput, SandboxCardholder};
use coffer_store::repo::prelude::*;

use crate::enrollment::{customer_with_email, input, saved_card, store};
use crate::world::World;

/// The sandbox's rp.cfm counts the period from the initial order (its own choice; Assist's is
/// unconfirmed): off, so the MIT right after the enrollment reaches the series' limits check.
async fn assist_period_off(world: &World) {
    reqwest::Client::new()
        .put(format!(
            "{}/__sandbox/rules",
            world.sandbox.urls.of(ProviderKind::Assist)
        ))
        .json(&serde_json::json!({"enforce_period": false}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

/// An Assist enrollment at the counter with the contract Assist registers on the initial.
fn assist_input(
    world_merchant: coffer_core::MerchantId,
    customer: coffer_core::CustomerId,
) -> EnrollmentInput {
    let today = Utc::now().date_naive();
    EnrollmentInput {
        amount: "9.90".into(),
        terms: "I agree that the shop charges my card 9.90 BYN every 30 days for a year.".into(),
        contract: Some(ContractInput {
            amount: Some("9.90".into()),
            frequency: Some(Frequency::EveryDays { days: 30 }),
            start: today.checked_add_days(Days::new(30)),
            end: today.checked_add_days(Days::new(365)),
            ..ContractInput::default()
        }),
        ..input(world_merchant, customer, EnrollmentMode::Counter)
    }
}

#[tokio::test]
async fn an_assist_card_is_enrolled_at_the_counter_with_its_series_and_contract() {
    let world = World::new().await;
    assist_period_off(&world).await;
    let assist = world.merchant("assist", 0).await;
    let customer = customer_with_email(&world, assist).await;
    let before = world.cards(assist).await.len();

    let started = world
        .engine
        .start_enrollment(assist_input(assist, customer))
        .await
        .unwrap();
    assert!(!started.hosted_page, "Assist's page is its own");
    let window = world.engine.enrollment_window(started.id).await.unwrap();
    let url = window.url.clone().expect("the payment page's address");
    assert!(url.contains("/pay/order.cfm?"), "{url}");
    assert!(url.contains("RecurringIndicator=1"), "{url}");
    assert!(!url.contains("CustomerNumber"), "{url}");

    // A return that says "ok" before anything was paid is a hint orderresult refutes.
    let forged = world
        .engine
        .enrollment_returned(
            started.id,
            &format!("{}?assist_return=ok", window.return_prefix),
        )
        .await
        .unwrap();
    assert_eq!(forged.state, EnrollmentState::Pending, "{forged:?}");
    assert_eq!(world.cards(assist).await.len(), before, "no card saved");

    let confirmed = world
        .engine
        .fill_sandbox_enrollment(started.id, SandboxCardholder::approving())
        .await
        .unwrap();
    assert_eq!(confirmed.state, EnrollmentState::Confirmed, "{confirmed:?}");
    assert!(confirmed.failure.is_none(), "{confirmed:?}");
    let card = saved_card(&world, &confirmed).await;
    assert!(card.mit_ready, "{card:?}");
    assert_eq!(card.last4, "4242");
    let stored = store(&world).card(coffer_core::CardId(card.id)).unwrap();
    let initial = stored.initial.expect("the initial order");
    assert_eq!(initial.kind, InitialKind::Recurring);
    let series = initial.registered.expect("the registered series");
    assert_eq!(series.period_days, Some(30));
    assert_eq!(
        series.max_amount.map(|m| m.to_string()),
        Some(confirmed.amount.to_string())
    );
    let contract = confirmed
        .contract_id
        .expect("the contract of the same flow");
    let view = world.engine.show_contract(contract).await.unwrap();
    assert_eq!(view.contract.card_id.0, card.id);
    assert!(view.reenroll.is_none(), "{view:?}");

    // The MIT on the new card goes through rp.cfm against the page's initial.
    let charges_before = world.sandbox_charges().len();
    let charged = world
        .engine
        .charge_card(crate::charging::charge(card.id, "9.90"))
        .await
        .unwrap();
    assert_eq!(
        charged.status,
        coffer_engine::charge::ChargeStatus::Succeeded,
        "{charged:?}"
    );
    assert_eq!(world.sandbox_charges().len(), charges_before + 1);

    // A second check saves nothing twice.
    let again = world.engine.check_enrollment(started.id).await.unwrap();
    assert_eq!(again.card_id, confirmed.card_id);
    assert_eq!(world.cards(assist).await.len(), before + 1);
}

#[tokio::test]
async fn an_assist_contract_flagged_reenroll_moves_to_the_card_enrolled_on_the_page() {
    let world = World::new().await;
    assist_period_off(&world).await;
    let assist = world.merchant("assist", 0).await;
    let customer = customer_with_email(&world, assist).await;
    let first = world
        .engine
        .start_enrollment(assist_input(assist, customer))
        .await
        .unwrap();
    let first = world
        .engine
        .fill_sandbox_enrollment(first.id, SandboxCardholder::approving())
        .await
        .unwrap();
    let old_card = first.card_id.expect("the first card");
    let contract = first.contract_id.expect("its contract");

    // Its initial turns out to be a One Click (Token Pay) order: rp.cfm cannot point to it.
    let db = store(&world);
    let mut one_click = db.card(old_card).unwrap().initial.unwrap();
    one_click.kind = InitialKind::OneClick;
    db.set_card_initial(old_card, &one_click).unwrap();
    let flagged = world.engine.show_contract(contract).await.unwrap();
    assert!(flagged.reenroll.is_some(), "{flagged:?}");

    let again = world
        .engine
        .start_enrollment(EnrollmentInput {
            replaces_for: Some(contract),
            ..assist_input(assist, customer)
        })
        .await
        .unwrap();
    assert_eq!(again.replaces_for, Some(contract));
    let declined = world
        .engine
        .fill_sandbox_enrollment(
            again.id,
            SandboxCardholder {
                test_card: "decline".into(),
                cancel: false,
            },
        )
        .await
        .unwrap();
    assert_eq!(declined.state, EnrollmentState::Failed, "{declined:?}");
    assert_eq!(
        world
            .engine
            .show_contract(contract)
            .await
            .unwrap()
            .contract
            .card_id,
        old_card,
        "a failed page moves nothing"
    );

    let retry = world
        .engine
        .start_enrollment(EnrollmentInput {
            replaces_for: Some(contract),
            ..assist_input(assist, customer)
        })
        .await
        .unwrap();
    let moved = world
        .engine
        .fill_sandbox_enrollment(retry.id, SandboxCardholder::approving())
        .await
        .unwrap();
    assert_eq!(moved.state, EnrollmentState::Confirmed, "{moved:?}");
    let new_card = moved.card_id.expect("the new card");
    assert_ne!(new_card, old_card);
    let view = world.engine.show_contract(contract).await.unwrap();
    assert_eq!(view.contract.card_id, new_card, "the contract moved");
    assert!(view.reenroll.is_none(), "{view:?}");
}
