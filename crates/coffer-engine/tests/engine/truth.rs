//! The app never misleads its owner (issue #21): one status per card, derived by the engine; what
//! a refunded charge says; exact counts; when the next try is allowed.

use coffer_core::{AttemptId, CardId, MerchantId, Reason};
use coffer_engine::charge::ChargeInput;
use coffer_engine::refunds::{refund_standing, RefundInput, RefundState};
use coffer_engine::search::{CardSearch, CardState, CardView, CustomerSearch};

use crate::world::{ready, World};

fn charge(card: i64, amount: &str) -> ChargeInput {
    ChargeInput {
        card: CardId(card),
        amount: amount.into(),
        reason: Reason::Unscheduled,
        merchant: None,
        idempotency_key: None,
        description: None,
        confirm_large: false,
    }
}

/// The profile's database, for the states a test cannot reach through the engine.
fn db(world: &World) -> rusqlite::Connection {
    rusqlite::Connection::open(coffer_engine::config::database_path(world.dir.path())).unwrap()
}

/// The card's ledger rows, charges and refunds.
async fn ledger(world: &World, card: i64) -> Vec<coffer_core::ChargeAttempt> {
    world
        .engine
        .list_charges(coffer_engine::charge::ChargeQuery {
            card: Some(CardId(card)),
            ..Default::default()
        })
        .await
        .unwrap()
}

async fn show(world: &World, card: i64) -> CardView {
    world.engine.show_card(CardId(card)).await.unwrap()
}

#[tokio::test]
async fn an_expired_card_is_expired_even_while_the_provider_calls_it_active() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let expired = world
        .card(paris, |c| c.expired && c.active && c.mit_ready)
        .await;
    assert_eq!(
        expired.status.state,
        CardState::Expired,
        "active at the provider, consent and initial on file, but past its month: {:?}",
        expired.status
    );
    assert!(!expired.status.chargeable);
    assert_eq!(expired.status.label, "Expired", "never \"Ready\"");
    assert!(
        expired.status.reason.contains("expired"),
        "the reason says why: {}",
        expired.status.reason
    );
    assert!(!expired.status.next_step.is_empty(), "and what to do next");
    let refused = world
        .engine
        .charge_card(charge(expired.id, "1.00"))
        .await
        .unwrap();
    assert_eq!(
        refused.status.to_string(),
        "refused",
        "the status agrees with the policy: {refused:?}"
    );
}

#[tokio::test]
async fn a_ready_card_is_the_one_status_the_policy_lets_through() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    for card in world.cards(paris).await {
        let preview = world
            .engine
            .preview_charge(charge(card.id, "1.00"))
            .await
            .unwrap();
        assert_eq!(
            card.status.chargeable,
            preview.violations.is_empty(),
            "card {} is {:?} but the policy says {:?}",
            card.last4,
            card.status,
            preview.violations
        );
        assert_eq!(
            card.status.chargeable,
            card.status.state == CardState::Ready,
            "only Ready is chargeable: {:?}",
            card.status
        );
    }
}

#[tokio::test]
async fn an_inactive_card_is_inactive_not_ready() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let card = world.card(paris, ready).await;
    db(&world)
        .execute("UPDATE cards SET active = 0 WHERE id = ?1", [card.id])
        .unwrap();
    let view = show(&world, card.id).await;
    assert_eq!(view.status.state, CardState::Inactive, "{:?}", view.status);
    assert!(!view.status.chargeable);
}

#[tokio::test]
async fn recording_consent_alone_leaves_a_card_that_needs_its_initial_payment() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let bare = world
        .card(paris, |c| {
            c.consent_at.is_none() && c.initial_ref.is_none() && c.active && !c.expired
        })
        .await;
    assert_eq!(
        bare.status.state,
        CardState::NeedsConsent,
        "{:?}",
        bare.status
    );
    let after = world
        .engine
        .record_consent(CardId(bare.id), "I agree to later charges.".into())
        .await
        .unwrap();
    assert_eq!(
        after.status.state,
        CardState::NeedsInitial,
        "consent is on file, but no initial links later charges: {:?}",
        after.status
    );
    assert!(!after.status.chargeable, "and it cannot be charged");
    assert_eq!(show(&world, bare.id).await.status, after.status);
}

#[tokio::test]
async fn a_decline_changes_the_cards_status_and_says_when_the_next_try_is_allowed() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let soft = world
        .card(paris, |c| {
            c.last4 == "0341" && c.mit_ready && c.active && !c.expired
        })
        .await;
    let declined = world
        .engine
        .charge_card(charge(soft.id, "2.00"))
        .await
        .unwrap();
    assert_eq!(declined.status.to_string(), "declined", "{declined:?}");
    let next = declined.next_try.clone().unwrap_or_default();
    assert!(
        next.contains("now") && next.contains("left"),
        "a soft decline within the limits may be tried again now, and says how many tries are \
         left: {next:?}"
    );
    assert_eq!(declined.next_try_at, None, "no wait is needed yet");
    let view = show(&world, soft.id).await;
    assert_eq!(view.status.state, CardState::Ready, "{:?}", view.status);
    assert_eq!(view.status.next_step, next, "the card says the same");

    let stolen = world
        .card(paris, |c| c.last4 == "0002" && c.active && !c.expired)
        .await;
    let hard = world
        .engine
        .charge_card(charge(stolen.id, "2.00"))
        .await
        .unwrap();
    assert!(hard.hard_decline, "{hard:?}");
    let view = show(&world, stolen.id).await;
    assert_eq!(
        view.status.state,
        CardState::HardDeclined,
        "after a hard decline the card is never Ready again: {:?}",
        view.status
    );
}

#[tokio::test]
async fn past_the_networks_limit_the_status_names_the_instant_of_the_next_try() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let card = world
        .card(paris, |c| {
            c.last4 == "0341" && c.mit_ready && !c.expired && c.active
        })
        .await;
    let limit = if card.brand == "visa" { 21 } else { 10 };
    for _ in 0..limit {
        world
            .engine
            .charge_card(charge(card.id, "2.00"))
            .await
            .unwrap();
    }
    let view = show(&world, card.id).await;
    assert_eq!(
        view.status.state,
        CardState::RetryLater,
        "{:?}",
        view.status
    );
    let at = view
        .status
        .next_try_at
        .expect("the status says when the next try is allowed");
    let refused = world
        .engine
        .charge_card(charge(card.id, "2.00"))
        .await
        .unwrap();
    let rule = refused
        .violations
        .iter()
        .find(|v| v.rule == "network_retry_limits")
        .unwrap();
    assert_eq!(
        rule.allowed_after,
        Some(at),
        "the card's status and the policy name the same instant"
    );
    assert!(
        view.status
            .next_step
            .contains(&at.format("%Y-%m-%d").to_string()),
        "{}",
        view.status.next_step
    );
}

#[tokio::test]
async fn refunds_say_refunded_or_what_is_left() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let card = world.card(paris, ready).await;
    let made = world
        .engine
        .charge_card(charge(card.id, "12.50"))
        .await
        .unwrap();
    let id = AttemptId(made.attempt_id.unwrap());
    let rows = ledger(&world, card.id).await;
    let original = rows.iter().find(|a| a.id == id).unwrap().clone();
    let before = refund_standing(&original, &rows);
    assert_eq!(before.state, RefundState::None);
    assert_eq!(before.words, "succeeded");

    let part = world
        .engine
        .refund_charge(RefundInput {
            charge: id,
            amount: Some("5.00".into()),
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(part.left.minor, 750, "the result says what is left");
    assert_eq!(part.charge_amount.minor, 1250);
    let rows = ledger(&world, card.id).await;
    let partly = refund_standing(&original, &rows);
    assert_eq!(partly.state, RefundState::Partly);
    assert_eq!(partly.left.minor, 750);
    // The history the app and `coffer charges` show carries that standing with the charge.
    let history = world
        .engine
        .charge_history(coffer_engine::charge::ChargeQuery {
            card: Some(coffer_core::CardId(card.id)),
            ..Default::default()
        })
        .await
        .unwrap();
    let line = history.iter().find(|l| l.attempt.id == id).unwrap();
    assert_eq!(line.refunds.as_ref(), Some(&partly));
    assert!(history
        .iter()
        .filter(|l| l.attempt.kind == coffer_core::AttemptKind::Refund)
        .all(|l| l.refunds.is_none()));
    assert!(
        partly.words.starts_with("partly refunded") && partly.words.contains("7.50"),
        "{}",
        partly.words
    );

    let rest = world
        .engine
        .refund_charge(RefundInput {
            charge: id,
            amount: None,
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(
        rest.amount.minor, 750,
        "an empty amount is all that is left"
    );
    assert_eq!(rest.left.minor, 0);
    let rows = ledger(&world, card.id).await;
    let full = refund_standing(&original, &rows);
    assert_eq!(full.state, RefundState::Full);
    assert_eq!(
        full.words, "refunded",
        "never \"succeeded\" once all is back"
    );
}

#[tokio::test]
async fn the_customer_count_is_exact_and_a_never_synced_location_says_so() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let search = |merchant: MerchantId, text: Option<&str>| CustomerSearch {
        merchant: Some(merchant),
        text: text.map(str::to_string),
        limit: Some(1000),
        ..CustomerSearch::default()
    };
    let all = world
        .engine
        .search_customers(search(paris, None))
        .await
        .unwrap();
    let totals = world
        .engine
        .count_customers(CustomerSearch {
            limit: Some(1),
            ..search(paris, None)
        })
        .await
        .unwrap();
    assert_eq!(
        totals.total as usize,
        all.len(),
        "the count is every customer of the location, not the page"
    );
    assert!(
        totals.never_synced.is_empty(),
        "the demo synced every location"
    );

    // A last4 search says which card matched.
    let card = world.card(paris, ready).await;
    let found = world
        .engine
        .search_customers(search(paris, Some(&card.last4)))
        .await
        .unwrap();
    let row = found
        .iter()
        .find(|r| r.id == card.customer_id)
        .expect("the card's customer is found by its last4");
    assert_eq!(
        row.matched_card.as_deref(),
        Some(format!("{} •••• {}", card.brand, card.last4).as_str())
    );
    let counted = world
        .engine
        .count_customers(search(paris, Some(&card.last4)))
        .await
        .unwrap();
    assert_eq!(counted.total as usize, found.len());

    // A new location, never synced: its empty list is not "no customer matches".
    let fresh: i64 = db(&world)
        .query_row(
            "INSERT INTO merchants (name, provider, account_json, account_id, environment, base_url,
                                    time_zone, currency, secret_service, secret_account, created_at)
             SELECT 'Never synced', provider, account_json, account_id || '-copy', environment,
                    base_url, time_zone, currency, secret_service, secret_account || '-copy', created_at
               FROM merchants WHERE id = ?1 RETURNING id",
            [paris.0],
            |r| r.get(0),
        )
        .unwrap();
    let totals = world
        .engine
        .count_customers(search(MerchantId(fresh), None))
        .await
        .unwrap();
    assert_eq!(totals.total, 0);
    assert_eq!(totals.never_synced, vec!["Never synced".to_string()]);
}

#[tokio::test]
async fn the_dashboard_counts_the_configured_currencies() {
    let world = World::new().await;
    let all = world.engine.list_merchants().await.unwrap();
    let mut configured: Vec<String> = all.iter().map(|m| m.currency.code().to_string()).collect();
    configured.sort();
    configured.dedup();
    let view = world.engine.dashboard(Vec::new()).await.unwrap();
    assert_eq!(
        view.currencies, configured,
        "every configured currency, whether or not it charged yet"
    );
}

#[tokio::test]
async fn card_lists_carry_the_same_status_as_the_card_itself() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let listed = world
        .engine
        .list_cards(CardSearch {
            merchant: Some(paris),
            limit: Some(50),
            ..CardSearch::default()
        })
        .await
        .unwrap();
    for card in listed.iter().take(10) {
        assert_eq!(show(&world, card.id).await.status, card.status);
    }
}

#[tokio::test]
async fn the_due_list_says_the_day_a_declined_charge_is_tried_again() {
    use chrono::Days;
    let world = crate::World::new().await;
    let soft = &world.cards("Svea Demo Helsinki", Some("0341"), 1).await[0];
    let due = crate::due_soon();
    let contract = crate::monthly(&world.engine, soft.id, "2.50", due)
        .await
        .contract
        .id;
    crate::run_on(&world, crate::today()).await;
    let first = crate::run_on(&world, due).await;
    assert_eq!(first.declined.len(), 1, "{first:?}");
    let merchant = MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let listed = world
        .engine_on(due)
        .upcoming_charges(vec![merchant], 7)
        .await
        .unwrap();
    let declined = listed
        .iter()
        .find(|c| c.contract_id == contract.0)
        .expect("the declined occurrence stays on the due list");
    assert_eq!(
        declined.retry_from,
        due.checked_add_days(Days::new(1)),
        "one try a day: the due run tries it again the next day, and the badge says so"
    );
    let scheduled = listed
        .iter()
        .filter(|c| c.contract_id != contract.0 || c.occurrence != declined.occurrence);
    assert!(
        scheduled.into_iter().all(|c| c.retry_from.is_none()),
        "only a declined occurrence has a retry day"
    );
}
