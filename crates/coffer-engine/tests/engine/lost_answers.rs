//! Charges and refunds whose answer was lost, or that never reached the provider: settled from
//! the provider's record or by a person, never made twice (split from charging.rs).

use coffer_core::ChargeState;
use coffer_core::{AttemptId, CardId, CustomerId, Reason};
use coffer_engine::charge::ChargeInput;
use coffer_engine::consent::InitialInput;
use coffer_engine::search::CardView;

use crate::charging::{a_charge_whose_answer_is_lost, charge};
use crate::world::{ready, World};

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

/// A succeeded charge of 10.00 on a card of the first `provider` merchant: a manual MIT, or for
/// Assist (whose MITs need a contract) the initial Token Pay.
async fn a_made_charge(world: &World, provider: &str) -> AttemptId {
    let merchant = world.merchant(provider, 0).await;
    if provider == "assist" {
        let card = world
            .card(merchant, |c| {
                !c.mit_ready
                    && ready(&CardView {
                        mit_ready: true,
                        ..c.clone()
                    })
            })
            .await;
        world
            .engine
            .record_initial(InitialInput {
                customer: CustomerId(card.customer_id),
                card: Some(CardId(card.id)),
                amount: "10.00".into(),
                reason: Reason::Unscheduled,
                terms: "I agree that the shop may charge this card later.".into(),
            })
            .await
            .unwrap();
        let charges = world
            .engine
            .list_charges(coffer_engine::charge::ChargeQuery {
                card: Some(CardId(card.id)),
                ..Default::default()
            })
            .await
            .unwrap();
        let initial = charges
            .iter()
            .find(|a| a.kind == coffer_core::AttemptKind::Charge && a.state.as_str() == "succeeded")
            .expect("the initial Token Pay is a succeeded charge in the ledger");
        assert_eq!(initial.amount.minor, 1000);
        return initial.id;
    }
    let card = world.card(merchant, ready).await;
    let made = world
        .engine
        .charge_card(ChargeInput {
            reason: if provider == "svea" {
                Reason::Recurring
            } else {
                Reason::Unscheduled
            },
            ..charge(card.id, "10.00")
        })
        .await
        .unwrap();
    assert_eq!(made.status.to_string(), "succeeded", "{provider}: {made:?}");
    AttemptId(made.attempt_id.unwrap())
}

fn sandbox_refunds(world: &World, provider: &str) -> Vec<coffer_sandbox::AcceptedCharge> {
    world
        .sandbox_charges()
        .into_iter()
        .filter(|c| c.provider == provider && c.kind == "refund")
        .collect()
}

/// A refund of 4.00 while the sandbox knob `next` (`drop_next`, `error_next`) hits the next
/// writes, then the knob cleared.
async fn refund_4_00_under(
    world: &World,
    charge_id: AttemptId,
    next: &str,
) -> coffer_engine::refunds::RefundResult {
    faults(
        world,
        serde_json::json!({next: 10, "next_writes_only": true}),
    )
    .await;
    let refund = world
        .engine
        .refund_charge(coffer_engine::refunds::RefundInput {
            charge: charge_id,
            amount: Some("4.00".into()),
            idempotency_key: None,
        })
        .await
        .unwrap();
    faults(
        world,
        serde_json::json!({next: 0, "next_writes_only": false}),
    )
    .await;
    refund
}

#[tokio::test]
async fn a_refund_whose_answer_was_lost_is_settled_from_the_providers_record_without_a_second_refund(
) {
    let world = World::new().await;
    for provider in ["clover", "processout", "assist", "svea"] {
        let charge_id = a_made_charge(&world, provider).await;
        let before = sandbox_refunds(&world, provider).len();
        // The refund is made and its answer dropped (ProcessOut's resends under the same key
        // are dropped too).
        let lost = refund_4_00_under(&world, charge_id, "drop_next").await;
        assert_eq!(
            lost.status.to_string(),
            "sending",
            "{provider}: the answer never came: {lost:?}"
        );
        let more = world
            .engine
            .refund_charge(coffer_engine::refunds::RefundInput {
                charge: charge_id,
                amount: Some("6.01".into()),
                idempotency_key: None,
            })
            .await
            .unwrap_err();
        assert_eq!(
            more.kind().code(),
            "invalid_input",
            "{provider}: the unknown 4.00 counts as refunded, so 6.01 would be too much: {more}"
        );
        let summary = world
            .engine
            .reconcile(chrono::Duration::seconds(0))
            .await
            .unwrap();
        let settled = summary
            .settled
            .iter()
            .find(|a| a.attempt_id == lost.attempt_id)
            .unwrap_or_else(|| panic!("{provider}: the lost refund is settled: {summary:?}"));
        assert_eq!(
            settled.status.to_string(),
            "succeeded",
            "{provider}: {settled:?}"
        );
        let made = sandbox_refunds(&world, provider);
        assert_eq!(
            made.len(),
            before + 1,
            "{provider}: exactly one refund at the provider"
        );
        assert_eq!(made.last().unwrap().amount_minor, 400, "{provider}");
        let row = world
            .engine
            .list_charges(coffer_engine::charge::ChargeQuery::default())
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.id.0 == lost.attempt_id)
            .unwrap();
        assert_eq!(row.state.as_str(), "succeeded", "{provider}: {row:?}");
        if matches!(provider, "clover" | "processout") {
            assert_eq!(
                row.provider_ref.as_ref().map(|r| r.as_str()),
                Some(made.last().unwrap().id.as_str()),
                "{provider} names its refunds: the row carries the provider's id"
            );
        }
        // The rest can still be refunded, once.
        let rest = world
            .engine
            .refund_charge(coffer_engine::refunds::RefundInput {
                charge: charge_id,
                amount: None,
                idempotency_key: None,
            })
            .await
            .unwrap();
        assert_eq!(rest.status.to_string(), "succeeded", "{provider}: {rest:?}");
        assert_eq!(rest.amount.minor, 600, "{provider}");
    }
}

#[tokio::test]
async fn a_refund_the_provider_never_received_stays_unknown_until_a_person_resolves_it_then_can_be_asked_again(
) {
    let world = World::new().await;
    for provider in ["clover", "processout", "assist", "svea"] {
        let charge_id = a_made_charge(&world, provider).await;
        let before = sandbox_refunds(&world, provider).len();
        // A 503 before the request is processed: the client cannot know that nothing happened.
        let lost = refund_4_00_under(&world, charge_id, "error_next").await;
        assert_eq!(
            lost.status,
            ChargeState::Sending,
            "{provider}: a 5xx to a refund proves nothing: {lost:?}"
        );
        let summary = world
            .engine
            .reconcile(chrono::Duration::seconds(0))
            .await
            .unwrap();
        let open = summary
            .unresolved
            .iter()
            .find(|a| a.attempt_id == lost.attempt_id)
            .unwrap_or_else(|| {
                panic!("{provider}: absence is not proof, the refund stays open: {summary:?}")
            });
        assert!(
            open.what_to_check
                .as_deref()
                .is_some_and(|w| w.contains("coffer resolve")),
            "{provider}: the owner is told what to check and how to resolve it: {open:?}"
        );
        assert_eq!(
            sandbox_refunds(&world, provider).len(),
            before,
            "{provider}: reconcile never sends a refund again"
        );
        let blocked = world
            .engine
            .refund_charge(coffer_engine::refunds::RefundInput {
                charge: charge_id,
                amount: Some("6.01".into()),
                idempotency_key: None,
            })
            .await
            .unwrap_err();
        assert_eq!(
            blocked.kind().code(),
            "invalid_input",
            "{provider}: while unknown, its 4.00 counts as refunded: {blocked}"
        );
        // Two days ahead is the future in every zone; today in the merchant's zone is not,
        // even when UTC is still on yesterday.
        let future = world
            .engine
            .resolve_attempt(
                AttemptId(lost.attempt_id),
                coffer_engine::reconcile::Resolution::NotMade {
                    checked_on: chrono::Utc::now().date_naive() + chrono::Days::new(2),
                },
            )
            .await
            .unwrap_err();
        assert!(
            future.to_string().contains("checked_on") && future.to_string().contains("future"),
            "{provider}: {future}"
        );
        let resolved = world
            .engine
            .resolve_attempt(
                AttemptId(lost.attempt_id),
                coffer_engine::reconcile::Resolution::NotMade {
                    checked_on: crate::today(),
                },
            )
            .await
            .unwrap();
        assert_eq!(resolved.status, ChargeState::Failed, "{provider}");
        let again = world
            .engine
            .refund_charge(coffer_engine::refunds::RefundInput {
                charge: charge_id,
                amount: Some("4.00".into()),
                idempotency_key: None,
            })
            .await
            .unwrap();
        assert_eq!(
            again.status,
            ChargeState::Succeeded,
            "{provider}: {again:?}"
        );
        assert_eq!(
            sandbox_refunds(&world, provider).len(),
            before + 1,
            "{provider}"
        );
    }
}

#[tokio::test]
async fn a_double_submitted_refund_with_one_key_makes_one_refund() {
    let world = World::new().await;
    for provider in ["clover", "processout", "assist", "svea"] {
        let charge_id = a_made_charge(&world, provider).await;
        let before = sandbox_refunds(&world, provider).len();
        let ask = || coffer_engine::refunds::RefundInput {
            charge: charge_id,
            amount: Some("3.00".into()),
            idempotency_key: Some(format!("refund-dialog-{provider}-{}", charge_id.0)),
        };
        let (first, second) = tokio::join!(
            world.engine.refund_charge(ask()),
            world.engine.refund_charge(ask())
        );
        let (first, second) = (first.unwrap(), second.unwrap());
        assert_eq!(
            first.attempt_id, second.attempt_id,
            "{provider}: both submits name the one refund"
        );
        assert_eq!(
            sandbox_refunds(&world, provider).len(),
            before + 1,
            "{provider}: one refund at the provider"
        );
        let other = world
            .engine
            .refund_charge(coffer_engine::refunds::RefundInput {
                amount: Some("1.00".into()),
                ..ask()
            })
            .await
            .unwrap_err();
        assert_eq!(
            other.kind().code(),
            "conflict",
            "{provider}: the key names a refund of 3.00, not another one: {other}"
        );
    }
}

#[tokio::test]
async fn a_charge_the_provider_never_received_is_resent_unchanged_where_its_guard_allows_and_stays_unknown_on_assist(
) {
    let world = World::new().await;
    for provider in ["clover", "processout", "svea", "assist"] {
        let merchant = world.merchant(provider, 0).await;
        let card = world.card(merchant, ready).await;
        let before = world.sandbox_charges().len();
        // Every write answered 503 before it is processed: nothing is charged, but the client
        // cannot know that.
        faults(
            &world,
            serde_json::json!({"error_next": 10, "next_writes_only": true}),
        )
        .await;
        let sent = world
            .engine
            .charge_card(ChargeInput {
                reason: Reason::Recurring,
                ..charge(card.id, "5.55")
            })
            .await
            .unwrap();
        faults(
            &world,
            serde_json::json!({"error_next": 0, "next_writes_only": false}),
        )
        .await;
        assert_eq!(
            sent.status.to_string(),
            "sending",
            "{provider}: a 5xx to a charge proves nothing: {sent:?}"
        );
        assert_eq!(world.sandbox_charges().len(), before, "{provider}");
        let summary = world
            .engine
            .reconcile(chrono::Duration::seconds(0))
            .await
            .unwrap();
        let id = sent.attempt_id.unwrap();
        if provider == "assist" {
            let open = summary
                .unresolved
                .iter()
                .find(|a| a.attempt_id == id)
                .unwrap_or_else(|| panic!("assist: never resent, so still open: {summary:?}"));
            assert!(open.what_to_check.is_some(), "{open:?}");
            assert_eq!(
                world.sandbox_charges().len(),
                before,
                "assist: an OrderNumber is no idempotency key, so nothing is sent again"
            );
            // Assist's procedure (assist.md §4.5): no order 15 minutes after the send means
            // it was never created.
            let later = world
                .engine_later(chrono::Duration::minutes(16))
                .reconcile(chrono::Duration::seconds(0))
                .await
                .unwrap();
            let settled = later
                .settled
                .iter()
                .find(|a| a.attempt_id == id)
                .unwrap_or_else(|| panic!("assist: settled after 15 minutes: {later:?}"));
            assert_eq!(settled.status, ChargeState::Failed, "{settled:?}");
            assert_eq!(world.sandbox_charges().len(), before, "still nothing sent");
        } else {
            let settled = summary
                .settled
                .iter()
                .find(|a| a.attempt_id == id)
                .unwrap_or_else(|| panic!("{provider}: resent and settled: {summary:?}"));
            assert_eq!(settled.status, ChargeState::Succeeded, "{provider}");
            let made: Vec<_> = world
                .sandbox_charges()
                .into_iter()
                .skip(before)
                .filter(|c| c.amount_minor == 555)
                .collect();
            assert_eq!(
                made.len(),
                1,
                "{provider}: the resend made the one charge: {made:?}"
            );
        }
    }
}

#[tokio::test]
async fn a_hand_resolution_the_providers_record_contradicts_raises_a_possible_duplicate_alert() {
    let world = World::new().await;
    let (_, sent) = a_charge_whose_answer_is_lost(&world).await;
    let id = AttemptId(sent.attempt_id.unwrap());
    // A person looked too early (or in the wrong place) and says it was not charged.
    let resolved = world
        .engine
        .resolve_attempt(
            id,
            coffer_engine::reconcile::Resolution::NotMade {
                checked_on: chrono::Utc::now().date_naive(),
            },
        )
        .await
        .unwrap();
    assert_eq!(resolved.status, ChargeState::Failed);
    let again = world
        .engine
        .resolve_attempt(
            id,
            coffer_engine::reconcile::Resolution::Made {
                provider_ref: "x".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        again.kind().code(),
        "conflict",
        "a settled attempt is not resolved twice: {again}"
    );
    let summary = world
        .engine
        .reconcile(chrono::Duration::seconds(0))
        .await
        .unwrap();
    assert_eq!(
        summary.alerts.len(),
        1,
        "the provider shows the charge made: a possible duplicate for a person: {summary:?}"
    );
    assert!(summary.alerts[0].contains("twice"), "{:?}", summary.alerts);
    let audit = world
        .engine
        .list_audit(coffer_engine::audit::AuditQuery {
            limit: Some(10_000),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "attempt_resolved_by_hand" && e.subject == format!("attempt:{id}")),
        "the hand resolution is audited"
    );
    assert!(
        audit.iter().any(|e| e.action == "alert_raised"),
        "so is the alert"
    );
    let later = world
        .engine
        .reconcile(chrono::Duration::seconds(0))
        .await
        .unwrap();
    assert!(
        later.alerts.is_empty(),
        "an alert is raised once: {later:?}"
    );
}

#[tokio::test]
async fn a_manual_key_cannot_pass_for_a_due_runs_and_no_card_number_hides_in_free_text() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let good = world.card(paris, ready).await;
    for key in ["due-1-2-3-1", "DUE-anything", "has space", &"k".repeat(65)] {
        let refused = world
            .engine
            .charge_card(ChargeInput {
                idempotency_key: Some(key.to_string()),
                ..charge(good.id, "5.00")
            })
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), coffer_engine::ErrorKind::InvalidInput);
        assert!(
            refused.to_string().contains("idempotency_key"),
            "{key}: {refused}"
        );
    }
    let described = world
        .engine
        .charge_card(ChargeInput {
            description: Some(format!(
                "card {}",
                ["4111", "1111", "1111", "1111"].join(" ")
            )),
            ..charge(good.id, "5.00")
        })
        .await
        .unwrap_err();
    assert!(described.to_string().contains("description"), "{described}");
    assert!(
        !described.to_string().contains("4111"),
        "the number is not repeated: {described}"
    );
    assert!(
        world.sandbox_charges().is_empty(),
        "nothing reached the provider"
    );

    let before = world.card(paris, |c| c.id == good.id).await;
    let refused = world
        .engine
        .record_consent(
            CardId(good.id),
            format!(
                "Agreed; card {}",
                ["4111", "1111", "1111", "1111"].join("-")
            ),
        )
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("terms"), "{refused}");
    let after = world.card(paris, |c| c.id == good.id).await;
    assert_eq!(
        before.consent_at, after.consent_at,
        "the consent already saved is kept"
    );
}
