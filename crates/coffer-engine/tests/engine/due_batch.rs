//! The due run's group commit: a 429 in the middle of a run, and the policy of one batch seeing
//! the plans made before it in the same transaction.

use coffer_core::ChargeState;
use coffer_engine::charge::ChargeQuery;
use coffer_store::repo::prelude::*;

use crate::*;

/// Sets the sandboxes' fault knobs.
async fn faults(world: &World, knobs: serde_json::Value) {
    reqwest::Client::new()
        .put(format!("{}/faults", world.sandbox.urls.admin))
        .json(&knobs)
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
}

#[tokio::test]
async fn a_429_in_a_due_run_is_waited_out_and_its_occurrence_charged_once_in_the_same_run() {
    let world = World::new().await;
    let cards = world.cards("Clover Downtown", None, 4).await;
    let due = due_soon();
    for card in &cards {
        monthly(&world.engine, card.id, "6.10", due).await;
    }
    run_on(&world, today()).await;
    // The provider refuses the next two charges before processing them, asking for a second.
    faults(
        &world,
        serde_json::json!({"rate_limit_next": 2, "retry_after_secs": 1, "next_writes_only": true}),
    )
    .await;
    let started = std::time::Instant::now();
    let run = run_on(&world, due).await;
    let took = started.elapsed();
    faults(
        &world,
        serde_json::json!({"rate_limit_next": 0, "next_writes_only": false}),
    )
    .await;
    assert_eq!(
        run.charged.len(),
        cards.len(),
        "every occurrence charged in this run, the refused ones after the wait: {run:?}"
    );
    assert!(run.failed.is_empty(), "{run:?}");
    for card in &cards {
        assert_eq!(
            world.charges_of(&card.token).await,
            1,
            "card {} once",
            card.id
        );
    }
    let ledger = world
        .engine
        .list_charges(ChargeQuery::default())
        .await
        .unwrap();
    let refused: Vec<_> = ledger
        .iter()
        .filter(|a| a.decline_code.as_deref() == Some("rate_limited"))
        .collect();
    assert_eq!(
        refused.len(),
        2,
        "the two 429s are in the ledger: {ledger:?}"
    );
    for row in &refused {
        assert_eq!(
            row.state,
            ChargeState::Failed,
            "nothing was charged by them"
        );
        let again = ledger
            .iter()
            .find(|a| {
                a.contract_id == row.contract_id
                    && a.occurrence == row.occurrence
                    && a.state == ChargeState::Succeeded
            })
            .unwrap_or_else(|| panic!("{row:?} tried again"));
        assert!(
            again.idempotency_key.0.ends_with("-2"),
            "the second try has a key of its own: {}",
            again.idempotency_key
        );
    }
    // A lower bound, not a speed goal: the run cannot end before the Retry-After it was given.
    assert!(
        took >= std::time::Duration::from_secs(1),
        "the run waited out the provider's Retry-After (took {took:?})"
    );
}

#[tokio::test]
async fn two_contracts_of_one_svea_card_due_the_same_day_make_one_charge() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    // Two contracts on one card, both due the same day: planned in one transaction, the second
    // is judged after the first's `sending` row and refused by Svea's one-a-month rule.
    monthly(&world.engine, card.id, "3.00", due).await;
    monthly(&world.engine, card.id, "2.00", due).await;
    run_on(&world, today()).await;
    let before = world.charges_of(&card.token).await;
    let run = run_on(&world, due).await;
    assert_eq!(run.charged.len(), 1, "{run:?}");
    assert_eq!(run.refused.len(), 1, "{run:?}");
    assert!(
        run.refused[0]
            .violations
            .iter()
            .any(|v| v.rule == "svea_monthly"),
        "{:?}",
        run.refused[0].violations
    );
    assert_eq!(world.charges_of(&card.token).await, before + 1);
    let sending = world
        .store()
        .list_attempts(&coffer_store::charges::AttemptFilter::default())
        .unwrap()
        .into_iter()
        .filter(|a| a.state == ChargeState::Sending)
        .count();
    assert_eq!(sending, 0, "nothing is left unsettled");
}

/// Counts the ledger's `sending` rows each time the run reports a finished occurrence.
struct UnsettledWatch {
    store: std::sync::Mutex<coffer_store::Store>,
    most: std::sync::atomic::AtomicUsize,
    reports: std::sync::atomic::AtomicUsize,
}

impl coffer_engine::progress::Progress for UnsettledWatch {
    fn report(&self, event: coffer_engine::progress::ProgressEvent) {
        if event.done == 0 {
            return;
        }
        let store = self.store.lock().unwrap();
        let sending = store
            .list_attempts(&coffer_store::charges::AttemptFilter {
                state: Some(ChargeState::Sending),
                ..coffer_store::charges::AttemptFilter::default()
            })
            .unwrap()
            .len();
        self.most
            .fetch_max(sending, std::sync::atomic::Ordering::SeqCst);
        self.reports
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_run_never_holds_more_unsettled_charges_than_the_provider_lets_run_at_once() {
    let world = World::new().await;
    let cards = world.cards("Clover Downtown", None, 14).await;
    let due = due_soon();
    for card in &cards {
        monthly(&world.engine, card.id, "3.30", due).await;
    }
    run_on(&world, today()).await;
    let watch = std::sync::Arc::new(UnsettledWatch {
        store: std::sync::Mutex::new(world.store()),
        most: std::sync::atomic::AtomicUsize::new(0),
        reports: std::sync::atomic::AtomicUsize::new(0),
    });
    let run = world
        .engine_on(due)
        .run_due(
            coffer_engine::due::DueRun {
                date: Some(due),
                concurrency: 16,
                ..coffer_engine::due::DueRun::default()
            },
            watch.clone(),
        )
        .await
        .unwrap();
    assert_eq!(run.charged.len(), cards.len(), "{run:?}");
    assert_eq!(
        watch.reports.load(std::sync::atomic::Ordering::SeqCst),
        cards.len()
    );
    let most = watch.most.load(std::sync::atomic::Ordering::SeqCst);
    // Clover publishes 5 requests at once per token: a crash at any moment of the run leaves at
    // most 5 charges for reconcile, whatever concurrency the run was asked for.
    assert!(
        (1..=5).contains(&most),
        "at most 5 unsettled at once, saw {most}"
    );
}
