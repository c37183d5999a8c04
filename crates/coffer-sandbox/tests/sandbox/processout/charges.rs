//! Invoices and their payment: MIT charges, validation, test cards, idempotency, capture and
//! void, the fault knobs on a charge.

use super::*;

#[tokio::test]
async fn a_monthly_mit_charge_follows_the_documented_example() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "568.10", "mit", "recurring").await;
    assert_eq!(invoice["amount"], "568.1", "amounts come back unpadded");
    assert_eq!(
        invoice["initiation_type"], "MIT",
        "echoed upper case as in the docs"
    );
    assert_eq!(invoice["payment_intent"], "recurring");
    assert!(invoice["id"].as_str().unwrap().starts_with("iv_"));
    let iv = invoice["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("coffer-capture-K1042-2026-02"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let tr = &body["transaction"];
    assert_eq!(tr["status"], "completed");
    assert_eq!(tr["amount"], "568.1");
    assert_eq!(tr["captured_amount"], "568.1");
    assert_eq!(tr["currency"], "EUR");
    assert_eq!(tr["invoice_id"], iv);
    assert!(tr["error_code"].is_null());
    assert_eq!(tr["scheme_id"].as_str().unwrap().len(), 15);
    assert!(
        tr["initial_scheme_transaction_id"].is_string(),
        "the MIT is linked to the card's initial CIT"
    );
    let tr_id = tr["id"].as_str().unwrap();
    let (_, again) = po.get(&format!("/transactions/{tr_id}")).await;
    assert_eq!(again["transaction"]["status"], "completed");
    let (_, by_invoice) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(by_invoice["transaction"]["id"], tr_id);
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    assert!(mine["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == tr_id));
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1, "one payment processed");
    let entry = &ledger[0];
    assert_eq!(entry["amount_minor"], 56810);
    assert_eq!(entry["status"], "approved");
    assert_eq!(entry["card_token"], token.as_str());
    assert_eq!(entry["idempotency_key"], "coffer-capture-K1042-2026-02");
    assert_eq!(entry["stored_credential"]["initiation_type"], "mit");
    assert_eq!(entry["stored_credential"]["payment_intent"], "recurring");
    assert_eq!(
        entry["warnings"],
        json!([]),
        "a linked MIT raises no warning"
    );
}

#[tokio::test]
async fn an_mit_on_a_card_without_an_initial_cit_is_flagged() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(false).await;
    let invoice = po.invoice(&customer, "10", "mit", "unscheduled").await;
    let (status, _) = po
        .post(
            &format!("/invoices/{}/capture", invoice["id"].as_str().unwrap()),
            json!({"source": token}),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert!(
        ledger[0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("without an initial scheme transaction"),
        "{}",
        ledger[0]
    );
    // A CIT that starts a series records the link; the next MIT on the card is then clean.
    let cit = po.invoice(&customer, "1", "cit", "recurring").await;
    po.post(
        &format!("/invoices/{}/capture", cit["id"].as_str().unwrap()),
        json!({"source": token}),
        None,
    )
    .await;
    let (_, t) = po
        .get(&format!("/customers/{customer}/tokens/{token}"))
        .await;
    assert!(
        t["token"]["card"]["initial_scheme_transaction_id"].is_string(),
        "{t}"
    );
    let mit = po.invoice(&customer, "10", "mit", "recurring").await;
    po.post(
        &format!("/invoices/{}/capture", mit["id"].as_str().unwrap()),
        json!({"source": token}),
        None,
    )
    .await;
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger[2]["warnings"], json!([]));
}

#[tokio::test]
async fn invoice_creation_validates_the_documented_fields() {
    let po = Po::start(3).await;
    let cases = [
        (
            json!({"amount": "1", "currency": "EUR"}),
            "request.validation.invalid-name",
        ),
        (
            json!({"name": "x", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "1"}),
            "request.validation.invalid-currency",
        ),
        (
            json!({"name": "x", "amount": "1.234", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "-5", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "ten", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EURO"}),
            "request.validation.invalid-currency",
        ),
        (
            json!({"name": "x".repeat(81), "amount": "1", "currency": "EUR"}),
            "request.validation.invalid-name",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EUR", "initiation_type": "moto"}),
            "request.validation.invalid-initiation-type",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EUR", "payment_intent": "monthly"}),
            "request.validation.invalid-payment-intent",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EUR", "description": "d".repeat(256)}),
            "request.validation.invalid-description",
        ),
    ];
    for (body, error_type) in cases {
        let (status, answer) = po.post("/invoices", body.clone(), None).await;
        assert_error(status, &answer, 400, error_type);
    }
    let (status, body) = po
        .post(
            "/invoices",
            json!({"name": "x", "amount": "1", "currency": "EUR", "customer_id": "cust_nope"}),
            None,
        )
        .await;
    assert_error(status, &body, 404, "resource.customer.not-found");
    let (status, body) = po
        .post(
            "/invoices",
            json!({"name": "x", "amount": "29.50", "currency": "EUR", "order_id": null, "customer_id": null,
                   "some_future_field": {"a": 1}, "details": [{"name": "Plan", "amount": "29.50", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "null is absent and unknown keys are ignored: {body}"
    );
    assert_eq!(body["invoice"]["amount"], "29.5");
    assert!(body["invoice"]["details"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("iv_det_"));
    let raw = po
        .req(reqwest::Method::POST, "/invoices")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = read(raw).await;
    assert_error(status, &body, 400, "request.validation.invalid-body");
    let patch = po
        .req(reqwest::Method::PATCH, "/invoices")
        .send()
        .await
        .unwrap();
    let (status, body) = read(patch).await;
    assert_error(status, &body, 405, "request.route.method-not-allowed");
}

#[tokio::test]
async fn test_cards_decline_with_documented_codes() {
    let po = Po::start(10).await;
    for (last_name, code) in [
        ("Soft-Decline", "card.no-money"),
        ("Hard-Decline", "card.stolen"),
        ("Expired-Card", "card.expired"),
    ] {
        let (customer, token) = po.special(last_name).await;
        let invoice = po.invoice(&customer, "12.00", "mit", "recurring").await;
        let iv = invoice["id"].as_str().unwrap();
        let (status, body) = po
            .post(
                &format!("/invoices/{iv}/capture"),
                json!({"source": token}),
                None,
            )
            .await;
        assert_error(status, &body, 410, code);
        let (_, t) = po.get(&format!("/invoices/{iv}/transactions")).await;
        assert_eq!(t["transaction"]["status"], "failed", "{last_name}");
        assert_eq!(t["transaction"]["error_code"], code);
    }
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 3, "declines are recorded too");
    assert!(ledger.iter().all(|c| c["status"] == "declined"));
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let body = json!({"name": "K-1", "amount": "25", "currency": "EUR", "customer_id": customer});
    let first = po
        .req(reqwest::Method::POST, "/invoices")
        .header("Idempotency-Key", "inv-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let first = first.text().await.unwrap();
    let second = po
        .req(reqwest::Method::POST, "/invoices")
        .header("Idempotency-Key", "inv-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(first, second.text().await.unwrap(), "byte-for-byte replay");
    let (status, answer) = po
        .post(
            "/invoices",
            json!({"name": "K-1", "amount": "26", "currency": "EUR", "customer_id": customer}),
            Some("inv-1"),
        )
        .await;
    assert_error(status, &answer, 409, "request.idempotency-key.reused");
    let iv: Value = serde_json::from_str(&first).unwrap();
    let iv = iv["invoice"]["id"].as_str().unwrap().to_string();
    let (_, a) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("cap-1"),
        )
        .await;
    let (_, b) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("cap-1"),
        )
        .await;
    assert_eq!(a, b);
    assert_eq!(po.ledger().await.len(), 1, "a replay charges nothing");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("cap-2"),
        )
        .await;
    assert_error(status, &body, 400, "request.transaction.already-captured");
}

#[tokio::test]
async fn authorizations_can_be_voided_or_captured_once() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let first = po.invoice(&customer, "5", "mit", "recurring").await;
    let iv = first["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/authorize"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["transaction"]["status"], "authorized");
    let (status, body) = po
        .post(&format!("/invoices/{iv}/void"), json!({}), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["transaction"]["status"], "voided");
    assert_eq!(body["transaction"]["voided_amount"], "5");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.transaction.voided");
    let second = po.invoice(&customer, "7", "mit", "recurring").await;
    let iv = second["id"].as_str().unwrap();
    po.post(
        &format!("/invoices/{iv}/authorize"),
        json!({"source": token}),
        None,
    )
    .await;
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"capture_amount": "4.5"}),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "capturing an authorization needs no source: {body}"
    );
    assert_eq!(body["transaction"]["status"], "completed");
    assert_eq!(body["transaction"]["authorized_amount"], "7");
    assert_eq!(
        body["transaction"]["captured_amount"], "4.5",
        "a partial capture"
    );
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "5"}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    let (status, body) = po
        .post(&format!("/invoices/{iv}/void"), json!({}), None)
        .await;
    assert_error(status, &body, 400, "request.transaction.not-voidable");
}

#[tokio::test]
async fn the_timeout_card_holds_the_request_and_charges_nothing() {
    let po = Po::start(10).await;
    po.http
        .put(format!("{}/faults", po.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 400}))
        .send()
        .await
        .unwrap();
    let (customer, token) = po.special("Timeout").await;
    let invoice = po.invoice(&customer, "9", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let sent = po
        .req(reqwest::Method::POST, &format!("/invoices/{iv}/capture"))
        .json(&json!({"source": token}))
        .timeout(std::time::Duration::from_millis(100))
        .send()
        .await;
    assert!(
        sent.unwrap_err().is_timeout(),
        "no answer within the client's timeout"
    );
    let (_, t) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(
        t["transaction"]["status"], "waiting",
        "nothing was attempted"
    );
    assert!(po.ledger().await.is_empty(), "nothing charged");
}

#[tokio::test]
async fn the_response_lost_card_charges_and_never_answers() {
    let po = Po::start(10).await;
    let (customer, token) = po.special("Response-Lost").await;
    let invoice = po.invoice(&customer, "9", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    for _ in 0..2 {
        let sent = po
            .req(reqwest::Method::POST, &format!("/invoices/{iv}/capture"))
            .header("Idempotency-Key", "lost-1")
            .json(&json!({"source": token}))
            .send()
            .await;
        assert!(
            sent.is_err(),
            "the connection closes without an answer, replays included"
        );
    }
    let (_, t) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(
        t["transaction"]["status"], "completed",
        "the charge was made"
    );
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1, "once");
    assert_eq!(ledger[0]["status"], "approved");
}

#[tokio::test]
async fn a_capture_answered_502_by_the_proxy_was_made_and_is_found_by_its_lookup() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "12.00", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let knobs = crate::set_faults(&po.sandbox, json!({"error_after_write_next": 1})).await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let (status, _) = po.get(&format!("/invoices/{iv}")).await;
    assert_eq!(status, 200, "a lookup passes the counter by");
    let capture = format!("/invoices/{iv}/capture");
    let response = po
        .req(reqwest::Method::POST, &capture)
        .header("Idempotency-Key", "k-502")
        .json(&json!({"source": token}))
        .send()
        .await
        .unwrap();
    crate::assert_bad_gateway(response, "the capture").await;
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1, "the capture behind the 502 was made");
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["amount_minor"], 1200);
    let tr = ledger[0]["id"].as_str().unwrap();
    let (status, found) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(status, 200, "ProcessOut's own lookup finds it: {found}");
    assert_eq!(found["transaction"]["status"], "completed", "captured");
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    assert!(
        mine["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tr && t["invoice_id"] == iv),
        "the customer's listing a reconcile walks shows it: {mine}"
    );
    let (status, replay) = po
        .post(&capture, json!({"source": token}), Some("k-502"))
        .await;
    assert_eq!(
        (status, &replay["transaction"]["id"]),
        (200, &json!(tr)),
        "a resend under the same key replays the answer the proxy lost: {replay}"
    );
    let next = po.invoice(&customer, "3.00", "mit", "recurring").await;
    assert!(
        next["id"].is_string(),
        "the next write is answered as usual"
    );
    assert_eq!(po.ledger().await.len(), 1, "the replay moved no money");
}
