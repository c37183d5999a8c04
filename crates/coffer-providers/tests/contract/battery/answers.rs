//! Answers that do not come, or come late: a 429, an outage, a lost answer, a dropped one, the
//! timeout card. Whatever happened, the charge is found exactly once or proven absent.

use std::time::Duration;

use coffer_providers::http::HttpPolicy;
use coffer_providers::{ProviderErrorKind, RemoteStatus, ResendRule};
use coffer_sandbox::seed::CardBehaviour;
use serde_json::json;

use super::{charges_of, faults, ledger, lookup, Harness, Settles};

/// A 429 to a write comes back at once (the engine waits before its next write, after its
/// sending commit); nothing was processed. A read waits a 429 out and tries again.
pub(crate) async fn a_rate_limited_write_is_returned_at_once_and_a_read_waits<H: Harness>() {
    let h = H::start().await;
    let client = h.client();
    let request = h.charge_request(CardBehaviour::Approve, 0, "BT-429").await;
    faults(&h, json!({"rate_limit_next": 1, "retry_after_secs": 0})).await;
    let limited = client.charge(&request).await.unwrap_err();
    assert!(
        matches!(limited.kind, ProviderErrorKind::RateLimited { .. }),
        "a write never waits after its sending commit: {limited}"
    );
    assert!(ledger(&h).await.is_empty(), "the 429 processed nothing");
    faults(&h, json!({"rate_limit_next": 1, "retry_after_secs": 0})).await;
    client
        .check_credentials()
        .await
        .expect("a read waits a 429 out and tries again");
}

/// An outage is `Unavailable` to a read. To a charge, a 5xx does not prove nothing was
/// processed, so it is an unknown outcome; the lookup then proves it never arrived.
pub(crate) async fn an_outage_is_unavailable_to_a_read_and_an_unknown_outcome_to_a_charge<
    H: Harness,
>() {
    let h = H::start().await;
    let client = h.client();
    faults(&h, json!({"error_next": 3})).await;
    assert_eq!(
        client.check_credentials().await.unwrap_err().kind,
        ProviderErrorKind::Unavailable,
        "a read that met only 503s"
    );
    if client.capabilities().lists_customers {
        faults(&h, json!({"error_next": 3})).await;
        assert_eq!(
            client.list_customers(None, 10).await.unwrap_err().kind,
            ProviderErrorKind::Unavailable,
            "the customer listing likewise"
        );
    }
    let request = h.charge_request(CardBehaviour::Approve, 0, "BT-503").await;
    faults(&h, json!({"error_next": 3, "next_writes_only": true})).await;
    let error = client.charge(&request).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::UnknownOutcome,
        "a 5xx to a charge may have charged: {error}"
    );
    if H::facts().reference_is_order_id {
        assert_eq!(
            error.provider_ref.as_ref().map(|r| r.as_str()),
            Some(request.order_id.as_str()),
            "the id to look up"
        );
    }
    faults(&h, json!({"error_next": 0, "next_writes_only": false})).await;
    assert_eq!(
        client.find_charge(&lookup(&request, None)).await.unwrap(),
        None,
        "the sandbox answers 503 before processing: the lookup says it never arrived"
    );
    assert!(ledger(&h).await.is_empty(), "nothing was processed");
}

/// The response-lost card is charged and its answer lost: an unknown outcome, which the
/// lookup resolves to the one charge made.
pub(crate) async fn a_lost_answer_is_an_unknown_outcome_that_lookup_resolves_once<H: Harness>() {
    let h = H::start().await;
    let client = h.client();
    let request = h
        .charge_request(CardBehaviour::ResponseLost, 0, "BT-LOST")
        .await;
    let error = client.charge(&request).await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::UnknownOutcome, "{error}");
    let found = client
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .expect("the charge was made");
    assert_eq!(found.status, RemoteStatus::Succeeded);
    assert_eq!(found.amount, request.amount);
    let ledger = ledger(&h).await;
    let charges = charges_of(&ledger, &request);
    assert_eq!(charges.len(), 1, "exactly one charge");
    assert_eq!(ledger.len(), 1, "and nothing else");
    assert_eq!(
        Some(found.provider_ref.as_str()),
        charges[0]["id"].as_str(),
        "the lookup found that charge"
    );
}

/// A dropped answer: where the provider replays a key, the client resends at once and gets the
/// first answer; elsewhere it is an unknown outcome the lookup resolves. A client allowed one
/// try never resends. One charge each time.
pub(crate) async fn a_dropped_answer_is_resent_where_safe_and_otherwise_looked_up<H: Harness>() {
    let h = H::start().await;
    let client = h.client();
    let request = h.charge_request(CardBehaviour::Approve, 0, "BT-DROP").await;
    faults(&h, json!({"drop_next": 1})).await;
    let charged = client.charge(&request).await;
    if let ResendRule::SameKey { .. } = client.capabilities().resend {
        let outcome = charged.expect("the resend under the same key got the first answer back");
        assert_eq!(outcome.status, RemoteStatus::Succeeded);
    } else {
        assert_eq!(
            charged.unwrap_err().kind,
            ProviderErrorKind::UnknownOutcome,
            "no resend without the provider's key replay"
        );
        let found = client
            .find_charge(&lookup(&request, None))
            .await
            .unwrap()
            .expect("made before the drop");
        assert_eq!(found.status, RemoteStatus::Succeeded);
        assert_eq!(found.amount, request.amount);
    }
    let all = ledger(&h).await;
    assert_eq!(
        charges_of(&all, &request).len(),
        1,
        "one charge for the sends"
    );
    assert_eq!(all.len(), 1, "and nothing else");

    let once = h.client_with_policy(HttpPolicy {
        max_tries: 1,
        ..HttpPolicy::default()
    });
    let request = h
        .charge_request(CardBehaviour::Approve, 1, "BT-DROP-1")
        .await;
    faults(&h, json!({"drop_next": 1})).await;
    assert_eq!(
        once.charge(&request).await.unwrap_err().kind,
        ProviderErrorKind::UnknownOutcome
    );
    let found = once
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .expect("the provider has it: the drop came after processing");
    if H::facts().two_step_charge {
        assert_eq!(
            found.status,
            RemoteStatus::Pending,
            "the first step's answer was lost, so the second never went"
        );
        assert!(charges_of(&ledger(&h).await, &request).is_empty());
        let resent = once.charge(&request).await.unwrap();
        assert_eq!(
            resent.status,
            RemoteStatus::Succeeded,
            "a resend under the key completes it"
        );
    } else {
        assert_eq!(
            found.status,
            RemoteStatus::Succeeded,
            "made before the drop"
        );
    }
    let all = ledger(&h).await;
    assert_eq!(charges_of(&all, &request).len(), 1);
    assert_eq!(all.len(), 2, "one charge each");
}

/// The timeout card keeps the request open past the client's timeout: an unknown outcome, and
/// nothing is charged. The lookup then shows what the provider made of it.
pub(crate) async fn the_timeout_card_is_an_unknown_outcome_and_settles_as_the_provider_says<
    H: Harness,
>() {
    let h = H::start().await;
    faults(&h, json!({"timeout_ms": 1500})).await;
    let client = h.client_with_policy(HttpPolicy {
        request_timeout: Duration::from_millis(300),
        max_tries: 1,
        ..HttpPolicy::default()
    });
    let request = h.charge_request(CardBehaviour::Timeout, 0, "BT-SLOW").await;
    assert_eq!(
        client.charge(&request).await.unwrap_err().kind,
        ProviderErrorKind::UnknownOutcome
    );
    let settles = H::facts().timeout_settles;
    let mut found = client.find_charge(&lookup(&request, None)).await.unwrap();
    // A provider that declines it later shows it pending until the sandbox's timeout ends.
    if let Settles::Declined { .. } = settles {
        for _ in 0..100 {
            if found.as_ref().map(|f| &f.status) != Some(&RemoteStatus::Pending) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            found = client.find_charge(&lookup(&request, None)).await.unwrap();
        }
    }
    let status = found.map(|f| f.status);
    match settles {
        Settles::Absent => assert_eq!(status, None, "nothing was charged"),
        Settles::Pending => assert_eq!(
            status,
            Some(RemoteStatus::Pending),
            "the provider has it but never completed it: not settled, not absent"
        ),
        Settles::Declined { hard, code } => match status {
            Some(RemoteStatus::Declined {
                hard: was_hard,
                code: was_code,
                ..
            }) => {
                assert_eq!(was_hard, hard);
                assert_eq!(was_code.as_deref(), Some(code));
            }
            other => panic!("expected the timed-out charge to settle as declined, got {other:?}"),
        },
    }
    assert!(ledger(&h).await.is_empty(), "nothing was charged");
}
