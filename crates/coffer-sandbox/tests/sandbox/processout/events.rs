//! The event log of payments, refunds and tokens.

use super::*;

#[tokio::test]
async fn events_record_payments_refunds_and_tokens() {
    let po = Po::start(12).await;
    let (_, none) = po.get("/events").await;
    assert_eq!(none["total_count"], 0, "the seed fired nothing");
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "8", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    po.post(
        &format!("/invoices/{iv}/capture"),
        json!({"source": token}),
        None,
    )
    .await;
    po.post(
        &format!("/invoices/{iv}/refunds"),
        json!({"amount": "2"}),
        None,
    )
    .await;
    let (soft, soft_token) = po.special("Soft-Decline").await;
    let failing = po.invoice(&soft, "8", "mit", "recurring").await;
    po.post(
        &format!("/invoices/{}/capture", failing["id"].as_str().unwrap()),
        json!({"source": soft_token}),
        None,
    )
    .await;
    po.post(&format!("/customers/{customer}/tokens"), json!({}), None)
        .await;
    let (_, events) = po.get("/events?order=asc").await;
    let names: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "transaction.captured",
            "transaction.refunded",
            "transaction.failed",
            "customer.token.created"
        ]
    );
    let first = &events["events"][0];
    assert_eq!(
        first["data"]["transaction"]["invoice_id"], iv,
        "transaction events carry invoice_id"
    );
    assert_eq!(first["data"]["name"], "transaction.captured");
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("ev_"));
    let (status, one) = po.get(&format!("/events/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["event"]["data"], first["data"]);
    let (status, body) = po.get("/events/ev_nope").await;
    assert_error(status, &body, 404, "resource.event.not-found");
}
