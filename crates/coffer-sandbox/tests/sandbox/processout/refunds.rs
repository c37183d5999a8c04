//! Refunds, and what lagged lookups show of a capture and a refund.

use super::*;

#[tokio::test]
async fn refunds_accumulate_up_to_the_captured_amount() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "10.00", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let (_, captured) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    let tr = captured["transaction"]["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "4", "reason": "customer_request"}),
            Some("r1"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["refund"]["id"].as_str().unwrap().starts_with("refd_"));
    assert_eq!(body["refund"]["amount"], "4");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "6.01"}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    let (status, body) = po
        .post(&format!("/invoices/{iv}/refunds"), json!({}), None)
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "1", "reason": "bored"}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-reason");
    let (status, _) = po
        .post(&format!("/transactions/{tr}/refunds"), json!({}), None)
        .await;
    assert_eq!(status, 200, "omitting the amount refunds what is left");
    let (_, t) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(t["transaction"]["refunded_amount"], "10");
    assert_eq!(t["transaction"]["status"], "refunded");
    let (_, refunds) = po.get(&format!("/transactions/{tr}/refunds")).await;
    assert_eq!(refunds["refunds"].as_array().unwrap().len(), 2);
    let (status, body) = po
        .post(&format!("/transactions/{tr}/refunds"), json!({}), None)
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    assert_eq!(
        body["message"],
        "No amount is available on the transaction to be refunded."
    );
    let kinds: Vec<Value> = po
        .ledger()
        .await
        .iter()
        .map(|c| c["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![json!("charge"), json!("refund"), json!("refund")]
    );
}

#[tokio::test]
async fn lookups_under_lag_show_a_capture_and_a_refund_only_once_they_are_old_enough() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    let seeded = mine["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "completed")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let knobs = crate::set_faults(&po.sandbox, json!({"lookup_lag_secs": crate::LAG_SECS})).await;
    assert_eq!(
        knobs["lookup_lag_secs"],
        crate::LAG_SECS,
        "the PUT echoes the knob"
    );
    let invoice = po.invoice(&customer, "12.00", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let (status, paid) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("k-lag"),
        )
        .await;
    assert_eq!(status, 200, "the writes themselves are not lagged: {paid}");
    let tr = paid["transaction"]["id"].as_str().unwrap();
    let (status, _) = po.get(&format!("/invoices/{iv}")).await;
    assert_eq!(
        status, 404,
        "a fresh invoice is not visible to a lookup yet"
    );
    let (status, _) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(status, 404, "nor its transaction");
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    let listed: Vec<&Value> = mine["transactions"].as_array().unwrap().iter().collect();
    assert!(
        listed.iter().all(|t| t["id"] != tr),
        "nor the customer's listing: {mine}"
    );
    assert!(
        listed.iter().any(|t| t["id"] == seeded.as_str()),
        "what was made long before shows as usual"
    );
    let (status, refund) = po
        .post(
            &format!("/transactions/{seeded}/refunds"),
            json!({"amount": "0.40"}),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "a refund of a visible capture is made: {refund}"
    );
    let (_, refunds) = po.get(&format!("/transactions/{seeded}/refunds")).await;
    assert_eq!(
        refunds["refunds"],
        json!([]),
        "the fresh refund is not listed yet"
    );
    let (_, old) = po.get(&format!("/transactions/{seeded}")).await;
    assert_eq!(
        (
            &old["transaction"]["status"],
            &old["transaction"]["refunded"]
        ),
        (&json!("completed"), &json!(false)),
        "the transaction shows as before the refund: {old}"
    );
    tokio::time::sleep(crate::PAST_LAG).await;
    let (status, found) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(status, 200, "once the lag has passed the capture shows");
    assert_eq!(found["transaction"]["status"], "completed");
    let (status, _) = po.get(&format!("/invoices/{iv}")).await;
    assert_eq!(status, 200, "and its invoice");
    let (_, refunds) = po.get(&format!("/transactions/{seeded}/refunds")).await;
    assert_eq!(
        refunds["refunds"].as_array().unwrap().len(),
        1,
        "and the refund: {refunds}"
    );
}
