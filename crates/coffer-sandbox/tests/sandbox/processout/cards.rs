//! Tokens filled from sandbox cards, and their verification.

use super::*;

#[tokio::test]
async fn tokens_are_filled_from_sandbox_cards_and_verified() {
    let po = Po::start(3).await;
    let (_, customer) = po
        .post(
            "/customers",
            json!({"first_name": "Jo", "last_name": "Test"}),
            None,
        )
        .await;
    let customer = customer["customer"]["id"].as_str().unwrap().to_string();
    let (status, body) = po
        .post(
            "/cards",
            json!({"number": "4242 4242 4242 4241", "exp_month": 3, "exp_year": 2030}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "card.invalid-number");
    let (status, card) = po
        .post(
            "/cards",
            json!({"number": "4242424242424242", "exp_month": 3, "exp_year": 2030, "cvc": "123"}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{card}");
    let card_id = card["card"]["id"].as_str().unwrap().to_string();
    assert_eq!(card["card"]["last_4_digits"], "4242");
    assert_eq!(card["card"]["scheme"], "visa");
    assert!(
        !card.to_string().contains("4242424242424242"),
        "the number is never echoed"
    );
    let (status, pending) = po
        .post(
            &format!("/customers/{customer}/tokens"),
            json!({"verify": true, "metadata": {"contract": "K-1042"}}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{pending}");
    let token = pending["token"]["id"].as_str().unwrap().to_string();
    assert_eq!(pending["token"]["type"], "pending");
    assert_eq!(pending["token"]["is_chargeable"], false);
    assert_eq!(pending["token"]["verification_status"], "not-requested");
    let invoice = po.invoice(&customer, "3", "cit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.source.not-chargeable");
    let put = po
        .req(
            reqwest::Method::PUT,
            &format!("/customers/{customer}/tokens/{token}"),
        )
        .json(&json!({"source": card_id, "verify": true}));
    let (status, filled) = read(put.send().await.unwrap()).await;
    assert_eq!(status, 200, "{filled}");
    assert_eq!(filled["token"]["type"], "card");
    assert_eq!(filled["token"]["is_chargeable"], true);
    assert_eq!(filled["token"]["verification_status"], "success");
    assert_eq!(filled["token"]["summary"], "**** **** **** 4242");
    let (status, body) = po
        .post(
            &format!("/customers/{customer}/tokens"),
            json!({"source": card_id}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.card.already-used");
    let put = po
        .req(
            reqwest::Method::PUT,
            &format!("/customers/cust_nope/tokens/{token}"),
        )
        .json(&json!({}));
    let (status, body) = read(put.send().await.unwrap()).await;
    assert_error(status, &body, 400, "resource.customer.not-found");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": customer}),
            None,
        )
        .await;
    assert_eq!(status, 200, "cust_ charges the default token: {body}");
    let deleted = po
        .req(
            reqwest::Method::DELETE,
            &format!("/customers/{customer}/tokens/{token}"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(read(deleted).await.1["success"], true);
    let (status, body) = po
        .get(&format!("/customers/{customer}/tokens/{token}"))
        .await;
    assert_error(status, &body, 404, "resource.token.not-found");
}
