//! Charging exactly once (issue #6) against the sandboxes.

use coffer_core::ChargeState;
use coffer_core::{AttemptId, CardId, CustomerId, MerchantId, Reason};
use coffer_engine::charge::{ChargeInput, ChargeResult};
use coffer_engine::consent::InitialInput;

use coffer_engine::search::CardView;

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

#[tokio::test]
async fn each_rule_refuses_before_anything_reaches_the_provider() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let london = world.merchant("processout", 1).await;
    let no_consent = world
        .card(paris, |c| !c.mit_ready && c.active && !c.expired)
        .await;
    let expired = world.card(paris, |c| c.expired && c.mit_ready).await;
    let good = world.card(paris, ready).await;
    let cases = [
        (charge(no_consent.id, "5.00"), "consent_and_initial"),
        (charge(expired.id, "5.00"), "card_usable"),
        (charge(good.id, "0"), "amount_valid"),
        (
            ChargeInput {
                merchant: Some(london),
                ..charge(good.id, "5.00")
            },
            "card_of_merchant",
        ),
    ];
    for (input, rule) in cases {
        let result = world.engine.charge_card(input).await.unwrap();
        assert_eq!(result.status.to_string(), "refused", "{rule}: {result:?}");
        assert!(
            result.violations.iter().any(|v| v.rule == rule),
            "{rule} must be named: {:?}",
            result.violations
        );
        assert!(
            result.attempt_id.is_none(),
            "a refusal writes no ledger row"
        );
    }
    assert!(
        world.sandbox_charges().is_empty(),
        "nothing reached the sandbox"
    );
}

#[tokio::test]
async fn a_hard_decline_flags_the_card_and_no_retry_reaches_the_provider() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let stolen = world.card(paris, |c| c.last4 == "0002").await;
    let first = world
        .engine
        .charge_card(charge(stolen.id, "5.00"))
        .await
        .unwrap();
    assert_eq!(first.status.to_string(), "declined");
    assert!(
        first.hard_decline,
        "the sandbox's stolen card is a hard decline: {first:?}"
    );
    let before = world.sandbox_charges().len();
    let retry = world
        .engine
        .charge_card(charge(stolen.id, "5.00"))
        .await
        .unwrap();
    assert_eq!(retry.status.to_string(), "refused");
    assert!(retry
        .violations
        .iter()
        .any(|v| v.rule == "no_retry_after_hard_decline"));
    assert_eq!(
        world.sandbox_charges().len(),
        before,
        "the retry never left Coffer"
    );
}

#[tokio::test]
async fn the_same_key_from_two_engines_at_once_makes_one_charge() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let card = world.card(paris, ready).await;
    let other = world.second_engine();
    let input = ChargeInput {
        idempotency_key: Some("double-click-1".into()),
        ..charge(card.id, "7.00")
    };
    let (a, b) = tokio::join!(
        world.engine.charge_card(input.clone()),
        other.charge_card(input.clone())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.attempt_id, b.attempt_id,
        "both answers are the one attempt"
    );
    let made: Vec<_> = world
        .sandbox_charges()
        .into_iter()
        .filter(|c| c.kind == "charge" && c.amount_minor == 700)
        .collect();
    assert_eq!(made.len(), 1, "one charge at the provider: {made:?}");
    let again = world.engine.charge_card(input).await.unwrap();
    assert!(
        again.replayed,
        "a later request with the key returns the first attempt"
    );
    assert_eq!(again.attempt_id, a.attempt_id);
    // The key of a 7.00 charge reused for 9.00 is a mistake, not a replay: answering "succeeded"
    // with the 7.00 charge would tell the owner 9.00 was taken.
    let reused = world
        .engine
        .charge_card(ChargeInput {
            idempotency_key: Some("double-click-1".into()),
            ..charge(card.id, "9.00")
        })
        .await
        .unwrap_err();
    assert_eq!(reused.kind().code(), "conflict", "{reused}");
    assert!(reused.to_string().contains("7.00"), "{reused}");
    assert!(
        !world
            .sandbox_charges()
            .iter()
            .any(|c| c.amount_minor == 900),
        "nothing was sent for the reused key"
    );
}

/// A charge of 3.00 on ProcessOut's "0019" card, which the sandbox charges and whose answer it
/// drops: the card and what `charge_card` returned.
async fn a_charge_whose_answer_is_lost(world: &World) -> (CardView, ChargeResult) {
    let paris = world.merchant("processout", 0).await;
    let lost = world
        .card(paris, |c| c.last4 == "0019" && c.mit_ready)
        .await;
    let result = world
        .engine
        .charge_card(charge(lost.id, "3.00"))
        .await
        .unwrap();
    (lost, result)
}

/// The card page's "Reconcile this card" and a location's reconcile look at their own attempts
/// only: another card's unknown outcome stays for its own turn.
#[tokio::test]
async fn reconcile_of_one_card_or_one_location_settles_only_theirs() {
    use coffer_engine::reconcile::ReconcileScope;
    let world = World::new().await;
    let mut lost = Vec::new();
    for nth in [0, 1] {
        let merchant = world.merchant("processout", nth).await;
        let card = world
            .card(merchant, |c| c.last4 == "0019" && c.mit_ready)
            .await;
        let result = world
            .engine
            .charge_card(charge(card.id, "3.00"))
            .await
            .unwrap();
        assert_eq!(result.status.to_string(), "sending", "{result:?}");
        let attempt = result.attempt_id.expect("a ledger row");
        lost.push((merchant, card.id, attempt));
    }
    let settled = |s: &coffer_engine::reconcile::ReconcileSummary| -> Vec<i64> {
        s.settled.iter().map(|a| a.attempt_id).collect()
    };
    let grace = chrono::Duration::seconds(120);
    let by_card = world
        .engine
        .reconcile_in(
            &ReconcileScope {
                card: Some(CardId(lost[0].1)),
                ..ReconcileScope::default()
            },
            grace,
        )
        .await
        .unwrap();
    assert_eq!(settled(&by_card), vec![lost[0].2], "{by_card:?}");
    let open: Vec<i64> = world
        .engine
        .unknown_attempts(Vec::new())
        .await
        .unwrap()
        .iter()
        .map(|a| a.attempt_id)
        .collect();
    assert_eq!(open, vec![lost[1].2], "the other card's attempt waits");
    let by_location = world
        .engine
        .reconcile_in(
            &ReconcileScope {
                merchants: vec![lost[1].0].into(),
                ..ReconcileScope::default()
            },
            grace,
        )
        .await
        .unwrap();
    assert_eq!(settled(&by_location), vec![lost[1].2], "{by_location:?}");
    assert_eq!(
        world.sandbox_charges().len(),
        2,
        "each card charged once, never again by reconcile"
    );
}

#[tokio::test]
async fn a_lost_answer_stays_sending_until_reconcile_settles_it_without_a_second_charge() {
    let world = World::new().await;
    let (lost, result) = a_charge_whose_answer_is_lost(&world).await;
    assert_eq!(
        result.status.to_string(),
        "sending",
        "the sandbox charged and dropped the answer: {result:?}"
    );
    assert_eq!(world.sandbox_charges().len(), 1);
    let blocked = world
        .engine
        .preview_charge(charge(lost.id, "3.00"))
        .await
        .unwrap();
    assert!(
        blocked
            .violations
            .iter()
            .any(|v| v.rule == "no_unsettled_attempt"),
        "no new charge while the outcome is unknown"
    );
    let summary = world
        .engine
        .reconcile(chrono::Duration::seconds(120))
        .await
        .unwrap();
    assert_eq!(summary.settled.len(), 1, "{summary:?}");
    assert_eq!(
        summary.settled[0].status.to_string(),
        "succeeded",
        "the provider's record says it went through"
    );
    let row = world
        .engine
        .list_charges(Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|a| Some(a.id.0) == result.attempt_id)
        .unwrap();
    assert_eq!(row.state.as_str(), "succeeded");
    assert_eq!(
        world.sandbox_charges().len(),
        1,
        "reconcile asked; it did not charge again"
    );
}

#[tokio::test]
async fn a_clover_mit_after_the_recorded_initial_links_it_and_gets_no_warning() {
    let world = World::new().await;
    let downtown = world.merchant("clover", 0).await;
    let card = world
        .card(downtown, |c| {
            c.active
                && !c.expired
                && c.last4 != "0002"
                && c.last4 != "0341"
                && c.last4 != "0019"
                && c.last4 != "0077"
                && c.last4 != "0069"
        })
        .await;
    let initial = world
        .engine
        .record_initial(InitialInput {
            customer: CustomerId(card.customer_id),
            card: Some(CardId(card.id)),
            amount: "1.00".into(),
            reason: Reason::Recurring,
            terms: "I agree that Downtown may charge this card monthly.".into(),
        })
        .await
        .unwrap();
    let initial_ref = initial
        .initial_ref
        .clone()
        .expect("the FIRST charge's ref_num");
    let result = world
        .engine
        .charge_card(ChargeInput {
            reason: Reason::Recurring,
            ..charge(card.id, "9.99")
        })
        .await
        .unwrap();
    assert_eq!(result.status.to_string(), "succeeded", "{result:?}");
    assert!(
        result.warnings.is_empty(),
        "a linked subsequent charge draws no warning: {:?}",
        result.warnings
    );
    assert_eq!(
        result.flags.initial_ref.as_ref().map(|r| r.0.clone()),
        Some(initial_ref.clone())
    );
    let sent = world
        .sandbox_charges()
        .into_iter()
        .find(|c| c.amount_minor == 999)
        .unwrap();
    let flags = sent.stored_credential.to_string();
    assert!(
        flags.contains("SUBSEQUENT") && flags.contains("MERCHANT"),
        "flags as received: {flags}"
    );
    assert!(
        flags.contains(&initial_ref),
        "the initial ref_num travels with the charge: {flags}"
    );
    let _ = MerchantId(0);
}

#[tokio::test]
async fn refunds_are_new_rows_and_never_exceed_the_charge() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    let card = world.card(paris, ready).await;
    let made = world
        .engine
        .charge_card(charge(card.id, "10.00"))
        .await
        .unwrap();
    let id = AttemptId(made.attempt_id.unwrap());
    let part = world
        .engine
        .refund_charge(coffer_engine::refunds::RefundInput {
            charge: id,
            amount: Some("4.00".into()),
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(part.status.to_string(), "succeeded");
    let too_much = world
        .engine
        .refund_charge(coffer_engine::refunds::RefundInput {
            charge: id,
            amount: Some("6.01".into()),
            idempotency_key: None,
        })
        .await
        .unwrap_err();
    assert_eq!(too_much.kind().code(), "invalid_input", "{too_much}");
    let rest = world
        .engine
        .refund_charge(coffer_engine::refunds::RefundInput {
            charge: id,
            amount: None,
            idempotency_key: None,
        })
        .await
        .unwrap();
    assert_eq!(rest.amount.minor, 600, "the rest is refunded by default");
    let original = world
        .engine
        .list_charges(Default::default())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == id)
        .unwrap();
    assert_eq!(
        original.state.as_str(),
        "succeeded",
        "the charge row itself never changes"
    );
}

#[tokio::test]
async fn svea_refuses_a_second_recurring_charge_in_the_month_before_the_wire() {
    let world = World::new().await;
    let helsinki = world.merchant("svea", 0).await;
    let card = world.card(helsinki, ready).await;
    let recurring = |amount: &str| ChargeInput {
        reason: Reason::Recurring,
        ..charge(card.id, amount)
    };
    let first = world.engine.charge_card(recurring("1.00")).await.unwrap();
    assert_eq!(first.status.to_string(), "succeeded", "{first:?}");
    let before = world.sandbox_charges().len();
    let second = world.engine.charge_card(recurring("1.00")).await.unwrap();
    assert_eq!(second.status.to_string(), "refused");
    assert!(
        second.violations.iter().any(|v| v.rule == "svea_monthly"),
        "{:?}",
        second.violations
    );
    assert!(
        second.violations[0].allowed_after.is_some(),
        "the owner is told when it becomes allowed"
    );
    assert_eq!(
        world.sandbox_charges().len(),
        before,
        "refused before the wire"
    );
}

#[tokio::test]
async fn a_svea_card_is_tokenized_through_the_sandbox_card_page_and_then_charged() {
    let world = World::new().await;
    let helsinki = world.merchant("svea", 0).await;
    let customer = world.card(helsinki, ready).await.customer_id;
    let before = world.cards(helsinki).await.len();
    let initial = world
        .engine
        .record_initial(InitialInput {
            customer: CustomerId(customer),
            card: None,
            amount: "20.00".into(),
            reason: Reason::Recurring,
            terms: "I agree to monthly charges of at most 20.00 EUR.".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        initial.status,
        coffer_engine::consent::InitialStatus::Done,
        "sandbox mode fills the card page itself: {initial:?}"
    );
    let card = initial.card.expect("the tokenized card");
    assert!(
        card.mit_ready,
        "consent and the initial pmt_id are recorded"
    );
    assert_eq!(
        world.cards(helsinki).await.len(),
        before + 1,
        "a new card entered the cache"
    );
    let first = world
        .engine
        .charge_card(ChargeInput {
            reason: Reason::Recurring,
            ..charge(card.id, "20.00")
        })
        .await
        .unwrap();
    assert_eq!(first.status.to_string(), "succeeded", "{first:?}");
    let above = world
        .engine
        .preview_charge(ChargeInput {
            reason: Reason::Recurring,
            ..charge(card.id, "20.01")
        })
        .await
        .unwrap();
    assert!(
        above.violations.iter().any(|v| v.rule == "svea_monthly"),
        "never above the original amount, nor twice a month: {:?}",
        above.violations
    );
}

#[tokio::test]
async fn cards_become_chargeable_after_their_initial_transaction_but_an_assist_one_click_initial_asks_to_re_enroll(
) {
    let world = World::new().await;
    for (provider, amount) in [("processout", "2.00"), ("assist", "2.00")] {
        let merchant = world.merchant(provider, 0).await;
        let card = world
            .card(merchant, |c| {
                !c.mit_ready
                    && c.active
                    && !c.expired
                    && !["0341", "0002", "0069", "0077", "0019"].contains(&c.last4.as_str())
            })
            .await;
        let refused = world
            .engine
            .preview_charge(charge(card.id, amount))
            .await
            .unwrap();
        assert!(
            refused
                .violations
                .iter()
                .any(|v| v.rule == "consent_and_initial"),
            "{provider}: no MIT before the initial transaction"
        );
        let initial = world
            .engine
            .record_initial(InitialInput {
                customer: CustomerId(card.customer_id),
                card: Some(CardId(card.id)),
                amount: "1.00".into(),
                reason: Reason::Unscheduled,
                terms: "I agree that the shop may charge this card later.".into(),
            })
            .await
            .unwrap();
        let recorded = initial.card.unwrap();
        if provider == "assist" {
            // The initial Coffer can make for Assist is a Token Pay with the One Click token: it
            // registered no recurring terms (CustomerNumber is never sent with them), so rp.cfm
            // cannot charge against it. The card says "re-enroll" and the policy refuses the
            // merchant-initiated charge before the wire.
            assert!(
                !recorded.mit_ready,
                "a One Click initial links no MIT: {recorded:?}"
            );
            assert_eq!(recorded.initial_kind.as_deref(), Some("one_click"));
            let why = recorded
                .reenroll
                .clone()
                .expect("the card is flagged re-enroll");
            let before = world.sandbox_charges().len();
            let made = world
                .engine
                .charge_card(charge(card.id, amount))
                .await
                .unwrap();
            assert_eq!(made.status.to_string(), "refused", "{made:?}");
            let rule = made
                .violations
                .iter()
                .find(|v| v.rule == "assist_recurring_initial")
                .unwrap_or_else(|| panic!("refused with the re-enroll reason: {made:?}"));
            assert_eq!(
                rule.message, why,
                "the card and the refusal say the same why"
            );
            assert_eq!(
                world.sandbox_charges().len(),
                before,
                "nothing was sent to rp.cfm"
            );
            continue;
        }
        assert!(
            recorded.mit_ready,
            "{provider}: consent and initial recorded"
        );
        let made = world
            .engine
            .charge_card(charge(card.id, amount))
            .await
            .unwrap();
        assert_eq!(made.status.to_string(), "succeeded", "{provider}: {made:?}");
        assert!(made.warnings.is_empty(), "{provider}: {:?}", made.warnings);
    }
}

#[tokio::test]
async fn the_networks_retry_limit_refuses_the_next_attempt_before_the_wire_and_says_when() {
    let world = World::new().await;
    let paris = world.merchant("processout", 0).await;
    // 0341: the sandbox declines softly every time, as an issuer with no funds would.
    let card = world
        .card(paris, |c| {
            c.last4 == "0341" && c.mit_ready && !c.expired && c.active
        })
        .await;
    let limit = match card.brand.as_str() {
        // Visa counts re-attempts: the first attempt and 20 more; Mastercard counts declined
        // attempts: 10.
        "visa" => 21,
        "mastercard" | "maestro" => 10,
        other => panic!("the demo's 0341 card is a {other}: a brand without retry limits"),
    };
    for n in 1..=limit {
        let declined = world
            .engine
            .charge_card(charge(card.id, "2.00"))
            .await
            .unwrap();
        assert_eq!(
            declined.status.to_string(),
            "declined",
            "attempt {n} is still within the limit: {declined:?}"
        );
    }
    let before = world.sandbox_charges().len();
    let refused = world
        .engine
        .charge_card(charge(card.id, "2.00"))
        .await
        .unwrap();
    assert_eq!(refused.status.to_string(), "refused", "{refused:?}");
    let rule = refused
        .violations
        .iter()
        .find(|v| v.rule == "network_retry_limits")
        .unwrap_or_else(|| panic!("the network limit is named: {:?}", refused.violations));
    assert!(
        rule.allowed_after.is_some(),
        "the owner is told when a retry becomes allowed: {rule:?}"
    );
    assert_eq!(
        world.sandbox_charges().len(),
        before,
        "the refused attempt never reached ProcessOut"
    );
}

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
