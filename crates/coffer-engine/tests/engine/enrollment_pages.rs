//! Enrollment through a page the provider hosts itself (issue 25): Assist's payment page with
//! the recurring registration, at the counter, with its contract, and as the re-enrollment of a
//! contract whose initial was a One Click payment; Svea's card page sent as a link, which waits
//! for the cardholder and, once paid, for the browser's return that carries the token. Each is
//! confirmed only by the provider's own lookup.

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
    // The UTC date: the merchant's own (Minsk, UTC+3) is a day later from 21:00 UTC, and Assist
    // counts the 30 days from the initial's local date, so the first charge is 31 UTC days out.
    let today = Utc::now().date_naive();
    EnrollmentInput {
        amount: "9.90".into(),
        terms: "I agree that the shop charges my card 9.90 BYN every 30 days for a year.".into(),
        contract: Some(ContractInput {
            amount: Some("9.90".into()),
            frequency: Some(Frequency::EveryDays { days: 30 }),
            start: today.checked_add_days(Days::new(31)),
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

/// The `.eml` the link went out as, with quoted-printable soft breaks undone.
fn link_mail(world: &World, id: coffer_core::EnrollmentId) -> String {
    let stem = format!("enrollment-{id}-link");
    let dir = world.engine.outbox_dir();
    let path = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&stem))
        })
        .unwrap_or_else(|| panic!("no {stem} mail in {}", dir.display()));
    std::fs::read_to_string(path)
        .unwrap()
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
}

/// Completes Svea's sandbox page as the cardholder's own browser would, elsewhere: the return
/// address the page sends the browser to (which Coffer never sees unless the owner pastes it).
async fn pay_svea_page_elsewhere(page_url: &str) -> String {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = browser
        .get(page_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let hidden = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html.find(&marker).unwrap() + marker.len();
        let end = html[start..].find('"').unwrap() + start;
        html[start..end].to_string()
    };
    let action = {
        let start = html.find("action=\"").unwrap() + "action=\"".len();
        let end = html[start..].find('"').unwrap() + start;
        html[start..end].to_string()
    };
    let year = (Utc::now()
        .date_naive()
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap()
        + 2)
    .to_string();
    let answer = browser
        .post(action)
        .form(&[
            ("s", hidden("s").as_str()),
            ("id", hidden("id").as_str()),
            ("card_number", ""),
            ("test_card", "approve"),
            ("exp_month", "12"),
            ("exp_year", year.as_str()),
            ("cvv", "123"),
            ("three_ds", "pass"),
            ("action", "pay"),
        ])
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_redirection(), "{:?}", answer.status());
    answer.headers()["location"].to_str().unwrap().to_string()
}

#[tokio::test]
async fn a_svea_link_is_mailed_waits_for_the_cardholder_and_a_paid_page_waits_for_its_return() {
    let world = World::new().await;
    let svea = world.merchant("svea", 0).await;
    let customer = customer_with_email(&world, svea).await;
    let thanks = "https://shop.example/thanks";
    world
        .engine
        .set_link_return_page(svea, Some(thanks.into()))
        .await
        .unwrap();
    let before = world.cards(svea).await.len();

    let started = world
        .engine
        .start_enrollment(input(svea, customer, EnrollmentMode::Link))
        .await
        .unwrap();
    let page = started
        .page_url
        .clone()
        .expect("Svea's page works as a link");
    assert!(started.sent_to.is_some(), "{started:?}");
    let mail = link_mail(&world, started.id);
    assert!(mail.contains(&page), "the mail holds the page: {mail}");

    // Before the cardholder did anything: still pending, nothing to wait on.
    let checked = world.engine.check_enrollment(started.id).await.unwrap();
    assert_eq!(checked.state, EnrollmentState::Pending, "{checked:?}");
    assert!(checked.waiting_on.is_none(), "{checked:?}");

    // Paid at home; the browser lands on the merchant's page, which Coffer does not see.
    let landed = pay_svea_page_elsewhere(&page).await;
    assert!(landed.starts_with(thanks), "{landed}");
    let checked = world.engine.check_enrollment(started.id).await.unwrap();
    assert_eq!(checked.state, EnrollmentState::Pending, "{checked:?}");
    let why = checked.waiting_on.clone().expect("says what it waits on");
    assert!(why.contains("paste"), "{why}");
    assert_eq!(
        world.cards(svea).await.len(),
        before,
        "no card without the token"
    );

    // A week and more later it has not expired: the cardholder paid.
    let later = world.engine_later(chrono::Duration::days(9));
    let checked = later.check_enrollment(started.id).await.unwrap();
    assert_eq!(checked.state, EnrollmentState::Pending, "{checked:?}");
    assert!(checked.waiting_on.is_some());

    // The owner pastes the address the cardholder landed on.
    let confirmed = world
        .engine
        .enrollment_returned(started.id, &landed)
        .await
        .unwrap();
    assert_eq!(confirmed.state, EnrollmentState::Confirmed, "{confirmed:?}");
    let card = saved_card(&world, &confirmed).await;
    assert!(card.mit_ready, "{card:?}");
    assert_eq!(world.cards(svea).await.len(), before + 1);
}

#[tokio::test]
async fn an_unpaid_link_expires_after_its_week_and_a_withdrawn_page_saves_nothing_when_paid_late() {
    let world = World::new().await;
    let svea = world.merchant("svea", 0).await;
    let customer = customer_with_email(&world, svea).await;
    world
        .engine
        .set_link_return_page(svea, Some("https://shop.example/thanks".into()))
        .await
        .unwrap();
    let before = world.cards(svea).await.len();

    // A link nobody opens: pending through its week, expired after it, and then settled.
    let unread = world
        .engine
        .start_enrollment(input(svea, customer, EnrollmentMode::Link))
        .await
        .unwrap();
    let later = world.engine_later(chrono::Duration::days(6));
    let checked = later.check_enrollment(unread.id).await.unwrap();
    assert_eq!(checked.state, EnrollmentState::Pending, "{checked:?}");
    let later = world.engine_later(chrono::Duration::days(8));
    let checked = later.check_enrollment(unread.id).await.unwrap();
    assert_eq!(checked.state, EnrollmentState::Expired, "{checked:?}");
    assert!(checked.failure.is_some(), "says why: {checked:?}");
    let listed = world
        .engine
        .list_enrollments(vec![svea], false)
        .await
        .unwrap();
    assert!(
        listed.iter().all(|e| e.id != unread.id),
        "no longer among the pending: {listed:?}"
    );

    // The owner withdraws a link; the cardholder pays the page anyway: the return the owner
    // might paste saves nothing, since the enrollment is over.
    let withdrawn = world
        .engine
        .start_enrollment(input(svea, customer, EnrollmentMode::Link))
        .await
        .unwrap();
    let page = withdrawn.page_url.clone().unwrap();
    let cancelled = world.engine.cancel_enrollment(withdrawn.id).await.unwrap();
    assert_eq!(cancelled.state, EnrollmentState::Cancelled, "{cancelled:?}");
    let landed = pay_svea_page_elsewhere(&page).await;
    let after = world
        .engine
        .enrollment_returned(withdrawn.id, &landed)
        .await
        .unwrap();
    assert_eq!(after.state, EnrollmentState::Cancelled, "{after:?}");
    assert!(after.card_id.is_none(), "{after:?}");
    assert_eq!(world.cards(svea).await.len(), before, "no card saved");
}
