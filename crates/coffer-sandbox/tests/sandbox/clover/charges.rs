//! Charges: the documented shape and fields, the initial/subsequent warning, test cards,
//! idempotency, the rate limit and the fault knobs on a charge.

use super::*;

#[tokio::test]
async fn approves_with_the_documented_charge_shape_and_consumes_single_use_tokens() {
    let env = Env::start(5).await;
    let token = env.tokenize(0, "4242424242424242").await;
    assert!(token.starts_with("clv_") && token[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    let (status, charge) = env.charge(0, &usd(2500, &token), Some("k-approve")).await;
    assert_eq!(status, 200, "{charge}");
    assert_eq!(charge["paid"], true);
    assert_eq!(charge["status"], "succeeded");
    assert_eq!(charge["captured"], true);
    assert_eq!(charge["amount"], 2500);
    assert_eq!(charge["currency"], "usd");
    assert_eq!(charge["outcome"]["network_status"], "approved_by_network");
    assert_eq!(charge["id"].as_str().unwrap().len(), 13);
    let ref_num = charge["ref_num"].as_str().unwrap();
    assert!(ref_num.len() == 12 && ref_num.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(charge["auth_code"].as_str().unwrap().len(), 6);
    assert_eq!(
        charge["source"]["exp_month"], "12",
        "expiry fields are strings"
    );
    assert_eq!(charge["source"]["exp_year"], "2030");
    assert_eq!(charge["source"]["last4"], "4242");
    assert_eq!(charge["source"]["brand"], "VISA");
    assert!(
        charge.get("warning_message").is_none(),
        "a plain token charge is not card on file"
    );
    let (status, again) = env.charge(0, &usd(2500, &token), Some("k-again")).await;
    assert_eq!(status, 400);
    assert_eq!(again["error"]["code"], "token_already_used");
    assert_eq!(
        again["error"]["message"],
        "You cannot use a clover token more than once unless it is marked as multipay."
    );
    let (status, read) = env
        .get(
            0,
            &format!("/v1/charges/{}", charge["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        (status, read),
        (200, charge.clone()),
        "GET returns the same charge object"
    );
    let (status, auth_only) = env.charge(0, &json!({"amount": 900, "currency": "usd", "source": env.tokenize(0, "4242424242424242").await, "capture": false}), None).await;
    assert_eq!(
        (status, auth_only["captured"].clone()),
        (200, json!(false)),
        "capture:false is an open authorization"
    );
}

#[tokio::test]
async fn validates_every_documented_charge_field() {
    let env = Env::start(5).await;
    let no_header = env
        .http
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .json(&usd(100, "clv_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), 400, "x-forwarded-for is required");
    let body: Value = no_header.json().await.unwrap();
    assert_eq!(body["message"], "400 Bad Request");
    assert_eq!(body["error"]["param"], "x-forwarded-for");
    let no_agent = reqwest::Client::new()
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&usd(100, "clv_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), 400, "User-Agent is required too");
    assert_eq!(
        no_agent.json::<Value>().await.unwrap()["error"]["param"],
        "User-Agent"
    );
    let long = "x".repeat(256);
    let cases = [
        (
            json!({"currency": "usd", "source": "clv_x"}),
            "invalid_request",
            "amount",
        ),
        (
            json!({"amount": "25.00", "currency": "usd", "source": "clv_x"}),
            "invalid_request",
            "amount",
        ),
        (
            json!({"amount": 100_000_000, "currency": "usd", "source": "clv_x"}),
            "amount_too_large",
            "amount",
        ),
        (
            json!({"amount": 100, "currency": "dollars", "source": "clv_x"}),
            "invalid_request",
            "currency",
        ),
        (
            json!({"amount": 100, "currency": "eur", "source": "clv_x"}),
            "invalid_request",
            "currency",
        ),
        (
            json!({"amount": 100, "currency": "usd"}),
            "invalid_request",
            "source",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_unknown"}),
            "invalid_request",
            "source",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "description": long}),
            "invalid_request",
            "description",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "external_reference_id": "INV-000000042"}),
            "invalid_request",
            "external_reference_id",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "ecomind": "pos"}),
            "invalid_request",
            "ecomind",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "stored_credentials": {"sequence": "FIRST", "initiator": "BANK"}}),
            "invalid_request",
            "stored_credentials.initiator",
        ),
    ];
    for (body, code, param) in cases {
        let (status, answer) = env.charge(0, &body, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["error"]["code"], code, "{body}");
        assert_eq!(answer["error"]["param"], param, "{body}");
    }
    let bad_json = env
        .http
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert!(
        env.ledger().await.is_empty(),
        "nothing invalid was processed"
    );
}

#[tokio::test]
async fn subsequent_charge_without_initial_warns_and_a_linked_one_does_not() {
    let env = Env::start(8).await;
    let (customer, token) = env.saved_card(0, "4242424242424242").await;
    let mit = |invoice: Option<&str>, scheduled: bool| {
        let mut flags =
            json!({"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": scheduled});
        if let Some(invoice) = invoice {
            flags["installment_info"] =
                json!({"bill_pay_indicator": "Recurring", "invoice_number": invoice});
        }
        json!({"amount": 300, "currency": "usd", "source": token, "ecomind": "moto", "stored_credentials": flags})
    };
    let (status, unlinked) = env.charge(0, &mit(None, false), Some("mit-1")).await;
    assert_eq!(status, 200, "the warning never declines");
    assert_eq!(unlinked["paid"], true);
    assert_eq!(unlinked["warning_message"], WARNING, "Clover's exact text");
    let (_, by_customer) = env.charge(0, &usd(150, &customer), None).await;
    assert_eq!(
        by_customer["warning_message"], WARNING,
        "a customer-id source counts as subsequent"
    );

    let first = json!({"amount": 100, "currency": "usd", "source": token, "ecomind": "ecom",
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}});
    let (status, initial) = env.charge(0, &first, Some("cit-1")).await;
    assert_eq!(status, 200);
    assert!(
        initial.get("warning_message").is_none(),
        "a FIRST charge raises no warning"
    );
    let ref_num = initial["ref_num"].as_str().unwrap().to_string();

    let (_, linked) = env
        .charge(0, &mit(Some(&ref_num), true), Some("mit-2"))
        .await;
    assert_eq!(linked["paid"], true);
    assert!(
        linked.get("warning_message").is_none(),
        "linked to the initial ref_num: {linked}"
    );
    let (_, unscheduled) = env.charge(0, &mit(None, false), Some("mit-3")).await;
    assert!(
        unscheduled.get("warning_message").is_none(),
        "an initial is on record for the card"
    );
    let (_, wrong) = env
        .charge(0, &mit(Some("999999999999"), true), Some("mit-4"))
        .await;
    assert!(
        wrong["warning_message"]
            .as_str()
            .unwrap()
            .starts_with("Sandbox:"),
        "the sandbox flags a link to another ref_num: {wrong}"
    );

    let ledger = env.ledger().await;
    let entry = |key: &str| {
        ledger
            .iter()
            .find(|c| c["idempotency_key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(entry("mit-1")["warnings"], json!([WARNING]));
    assert_eq!(entry("mit-2")["warnings"], json!([]));
    assert_eq!(
        entry("mit-2")["stored_credential"]["installment_info"]["invoice_number"],
        ref_num,
        "the ledger keeps the flags exactly as received"
    );
    assert_eq!(entry("cit-1")["stored_credential"]["sequence"], "FIRST");
}

#[tokio::test]
async fn test_cards_decline_with_the_documented_error_shape() {
    let env = Env::start(6).await;
    for (index, status, code, decline) in [
        (0, 402, "card_declined", Some("issuer_declined")),
        (1, 402, "card_declined", Some("stolen_card")),
        (2, 400, "expired_card", None),
    ] {
        let demo = seed::customer(&env.config.seed, "clover/1", index);
        assert_eq!(
            seed::behaviour_of_last4(&demo.cards[0].last4),
            demo.cards[0].behaviour
        );
        let (_, token) = env.seeded_token(0, index).await;
        let body = json!({"amount": 500, "currency": "usd", "source": token,
            "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
        let (got, answer) = env
            .charge(0, &body, Some(&format!("decline-{index}")))
            .await;
        assert_eq!(got, status, "{:?}: {answer}", demo.cards[0].behaviour);
        assert!(
            answer.get("id").is_none(),
            "a declined charge has no top-level id"
        );
        assert_eq!(answer["error"]["code"], code);
        assert_eq!(
            answer["error"].get("declineCode").and_then(Value::as_str),
            decline
        );
        let charge_id = answer["error"]["charge"].as_str().unwrap();
        let (_, stored) = env.get(0, &format!("/v1/charges/{charge_id}")).await;
        assert_eq!(stored["paid"], false);
        assert_eq!(stored["status"], "failed");
    }
    let documented = env.tokenize(0, "4005571702222222").await;
    let (status, answer) = env.charge(0, &usd(500, &documented), None).await;
    assert_eq!(
        (status, answer["error"]["declineCode"].clone()),
        (402, json!("issuer_declined")),
        "Clover's decline test card"
    );
    let ledger = env.ledger().await;
    assert_eq!(
        ledger.iter().filter(|c| c["status"] == "declined").count(),
        4,
        "declines are recorded too"
    );
}

#[tokio::test]
async fn response_lost_card_charges_once_and_is_found_by_listing() {
    let env = Env::start(6).await;
    let (customer, token) = env.seeded_token(0, 4).await;
    assert_eq!(
        seed::customer(&env.config.seed, "clover/1", 4).cards[0].behaviour,
        CardBehaviour::ResponseLost
    );
    let body = json!({"amount": 700, "currency": "usd", "source": token, "metadata": {"order": "lost-1"},
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    for _ in 0..2 {
        let sent = env
            .http
            .post(env.url("/v1/charges"))
            .bearer_auth(env.token(0))
            .header("x-forwarded-for", "203.0.113.7")
            .header("idempotency-key", "lost-key")
            .json(&body)
            .send()
            .await;
        assert!(
            sent.is_err(),
            "the connection closes without an answer, on a resend too"
        );
    }
    let ledger = env.ledger().await;
    assert_eq!(ledger.len(), 1, "charged exactly once");
    assert_eq!(ledger[0]["status"], "approved");
    let (_, list) = env
        .get(0, &format!("/v1/charges?customer={customer}&limit=5"))
        .await;
    let found = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metadata"]["order"] == "lost-1")
        .cloned();
    assert_eq!(
        found.map(|c| c["id"].clone()),
        Some(ledger[0]["id"].clone()),
        "the lost charge is listed"
    );
}

#[tokio::test]
async fn timeout_card_holds_the_request_and_charges_nothing() {
    let env = Env::start(6).await;
    env.http
        .put(format!("{}/faults", env.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 150}))
        .send()
        .await
        .unwrap();
    let (_, token) = env.seeded_token(0, 3).await;
    let (status, answer) = env.charge(0, &usd(700, &token), Some("slow")).await;
    assert_eq!(status, 504, "{answer}");
    assert!(
        env.ledger().await.is_empty(),
        "the timeout card charges nothing"
    );
    let short = reqwest::Client::builder()
        .user_agent("coffer-sandbox-tests")
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let cut = short
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&usd(700, &token))
        .send()
        .await;
    assert!(cut.is_err(), "a client with a shorter timeout gives up");
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let env = Env::start(30).await;
    let (_, token) = env.seeded_token(0, env.usable(true, 0)).await;
    let body = json!({"amount": 1200, "currency": "usd", "source": token,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let send = |b: Value| {
        env.http
            .post(env.url("/v1/charges"))
            .bearer_auth(env.token(0))
            .header("x-forwarded-for", "203.0.113.7")
            .header("idempotency-key", "4b1c0d2e-0000-4000-8000-000000000001")
            .json(&b)
            .send()
    };
    let first = send(body.clone()).await.unwrap().text().await.unwrap();
    let replay = send(body.clone()).await.unwrap().text().await.unwrap();
    assert_eq!(first, replay, "byte-for-byte replay");
    let mut other = body.clone();
    other["amount"] = json!(1300);
    let refused = send(other).await.unwrap();
    assert_eq!(refused.status(), 400);
    let answer: Value = refused.json().await.unwrap();
    assert_eq!(answer["error"]["type"], "idempotency_error");
    assert_eq!(env.ledger().await.len(), 1, "one charge for one key");
    let (_, declined) = env.seeded_token(0, 0).await;
    let d = json!({"amount": 100, "currency": "usd", "source": declined});
    let (s1, a1) = env.charge(0, &d, Some("decline-key")).await;
    let (s2, a2) = env.charge(0, &d, Some("decline-key")).await;
    assert_eq!((s1, &a1), (s2, &a2), "a decline replays too");
    assert_eq!(env.ledger().await.len(), 2);
}

#[tokio::test]
async fn a_sixth_concurrent_request_of_one_token_is_rate_limited() {
    let env = Env::start(6).await;
    env.http
        .put(format!("{}/faults", env.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 400}))
        .send()
        .await
        .unwrap();
    let (_, token) = env.seeded_token(0, 3).await;
    let send = || {
        env.http
            .post(env.url("/v1/charges"))
            .bearer_auth(env.token(0))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&usd(100, &token))
            .send()
    };
    let (a, b, c, d, e, f) = tokio::join!(send(), send(), send(), send(), send(), send());
    let responses: Vec<reqwest::Response> =
        [a, b, c, d, e, f].into_iter().map(Result::unwrap).collect();
    let limited: Vec<&reqwest::Response> = responses.iter().filter(|r| r.status() == 429).collect();
    assert_eq!(limited.len(), 1, "five run at once, the sixth is refused");
    assert_eq!(limited[0].headers()["retry-after"], "1");
    assert_eq!(
        limited[0].headers()["x-ratelimit-tokenconcurrentlimit"],
        "5"
    );
    assert_eq!(responses.iter().filter(|r| r.status() == 504).count(), 5);
    let (status, _) = env.get(0, "/pakms/apikey").await;
    assert_eq!(status, 200, "the slots are free again");
}

#[tokio::test]
async fn a_charge_answered_502_by_the_proxy_was_made_and_is_found_by_its_lookup() {
    let env = Env::start(5).await;
    let token = env.tokenize(0, "4242424242424242").await;
    let next = env.tokenize(0, "4242424242424242").await;
    let knobs = crate::set_faults(&env.sandbox, json!({"error_after_write_next": 1})).await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let (status, _) = env.get(0, "/v1/charges").await;
    assert_eq!(status, 200, "a lookup passes the counter by");
    let response = env
        .http
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .header("idempotency-key", "k-502")
        .json(&usd(2500, &token))
        .send()
        .await
        .unwrap();
    crate::assert_bad_gateway(response, "the charge").await;
    let ledger = env.ledger().await;
    assert_eq!(ledger.len(), 1, "the charge behind the 502 was made");
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["amount_minor"], 2500);
    assert_eq!(ledger[0]["idempotency_key"], "k-502");
    let id = ledger[0]["id"].as_str().unwrap();
    let (status, found) = env.get(0, &format!("/v1/charges/{id}")).await;
    assert_eq!(status, 200, "Clover's own lookup finds the charge: {found}");
    assert_eq!(found["paid"], true, "and shows it paid");
    let (status, listed) = env.get(0, "/v1/charges?limit=1").await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["data"][0]["id"], id,
        "the listing a key search walks shows it too: {listed}"
    );
    let (status, replay) = env.charge(0, &usd(2500, &token), Some("k-502")).await;
    assert_eq!(
        (status, replay["id"].as_str()),
        (200, Some(id)),
        "a resend under the same key replays the answer the proxy lost: {replay}"
    );
    let (status, other) = env.charge(0, &usd(1200, &next), Some("k-next")).await;
    assert_eq!(status, 200, "the next write is answered as usual: {other}");
    assert_eq!(
        env.ledger().await.len(),
        2,
        "one charge per card: the replay moved no money"
    );
}
