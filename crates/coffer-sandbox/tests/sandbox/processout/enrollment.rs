//! What ProcessOut.js needs from the sandbox (issue 25): the script and the card fields under
//! `/js`, `POST /cards` authenticated by the project id alone, `GET /cards/{id}` with `used`, and
//! the verification of a token saved from a card.

use super::*;

/// `POST /cards` as ProcessOut.js sends it: Basic with the project id and no password, the
/// expiry as strings, the CVC as `cvc2`.
async fn tokenize(po: &Po, project: &str, number: &str) -> (u16, Value) {
    read(
        po.http
            .post(format!("{}/cards", po.base))
            .basic_auth(project, Some(""))
            .json(&json!({"number": number, "exp_month": "12", "exp_year": "2031", "cvc2": "123"}))
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn processout_js_and_its_card_fields_are_served_with_the_test_cards() {
    let po = Po::start(3).await;
    for (path, kind) in [
        ("/js/processout.js", "application/javascript"),
        ("/js/ccfield.js", "application/javascript"),
        ("/js/ccfield.html", "text/html"),
    ] {
        let response = po
            .http
            .get(format!("{}{path}", po.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(content_type.starts_with(kind), "{path}: {content_type}");
    }
    let fields = po
        .http
        .get(format!(
            "{}/js/ccfield.html?project_id={}",
            po.base, po.project
        ))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for choice in ["approve", "decline", "fail_3ds"] {
        assert!(
            fields.contains(&format!("<option value=\"{choice}\"")),
            "{choice}"
        );
    }
    assert!(fields.contains(&format!("data-tokenizer=\"{}/cards\"", po.base)));
    let script = po
        .http
        .get(format!("{}/js/processout.js", po.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("window.ProcessOut = { ProcessOut: ProcessOut"));
}

#[tokio::test]
async fn cards_are_tokenized_with_the_project_id_alone_and_looked_up_with_the_secret() {
    let po = Po::start(3).await;
    let (status, body) = tokenize(&po, "test-proj_unknown", "4242424242424242").await;
    assert_error(status, &body, 401, "request.authentication.invalid");
    let (status, card) = tokenize(&po, &po.project, "4242424242424242").await;
    assert_eq!(status, 200, "{card}");
    let id = card["card"]["id"].as_str().unwrap().to_string();
    assert_eq!(card["card"]["exp_month"], 12);
    assert_eq!(card["card"]["exp_year"], 2031);

    // The project id alone reads nothing.
    let response = po
        .http
        .get(format!("{}/cards/{id}", po.base))
        .basic_auth(&po.project, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let (status, seen) = po.get(&format!("/cards/{id}")).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["card"]["used"], false);
    assert_eq!(seen["card"]["project_id"], po.project.as_str());
    let (status, body) = po.get("/cards/card_unknown").await;
    assert_error(status, &body, 404, "resource.card.not-found");

    // Another project's card is not this project's.
    let (_, other) = tokenize(&po, &po.other_project, "4242424242424242").await;
    let other_id = other["card"]["id"].as_str().unwrap();
    let (status, body) = po.get(&format!("/cards/{other_id}")).await;
    assert_error(status, &body, 404, "resource.card.not-found");

    // Saved on a customer with a verification: used, verified, linked to its initial.
    let (_, customer) = po
        .post("/customers", json!({"first_name": "Jo"}), None)
        .await;
    let customer = customer["customer"]["id"].as_str().unwrap().to_string();
    let (status, token) = po
        .post(
            &format!("/customers/{customer}/tokens"),
            json!({"source": id, "verify": true}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token"]["verification_status"], "success");
    let scheme = token["token"]["card"]["initial_scheme_transaction_id"]
        .as_str()
        .expect("the verification is the card's initial");
    let invoice = token["token"]["invoice_id"].as_str().unwrap();
    let (_, invoice) = po.get(&format!("/invoices/{invoice}")).await;
    let transaction = invoice["invoice"]["transaction_id"].as_str().unwrap();
    let (_, transaction) = po.get(&format!("/transactions/{transaction}")).await;
    assert_eq!(transaction["transaction"]["scheme_id"], scheme);
    assert_eq!(transaction["transaction"]["amount"], "0");
    assert_eq!(transaction["transaction"]["status"], "authorized");
    let (_, seen) = po.get(&format!("/cards/{id}")).await;
    assert_eq!(seen["card"]["used"], true);
}

#[tokio::test]
async fn the_3ds_test_card_fails_its_verification_and_its_capture() {
    let po = Po::start(3).await;
    let (_, customer) = po
        .post("/customers", json!({"first_name": "Jo"}), None)
        .await;
    let customer = customer["customer"]["id"].as_str().unwrap().to_string();
    let (_, card) = tokenize(&po, &po.project, "4000000000000101").await;
    let (_, token) = po
        .post(
            &format!("/customers/{customer}/tokens"),
            json!({"source": card["card"]["id"], "verify": true}),
            None,
        )
        .await;
    assert_eq!(token["token"]["verification_status"], "failed");
    assert_eq!(
        token["token"]["card"]["initial_scheme_transaction_id"],
        Value::Null
    );
    let invoice = token["token"]["invoice_id"].as_str().unwrap();
    let (_, invoice) = po.get(&format!("/invoices/{invoice}")).await;
    let transaction = invoice["invoice"]["transaction_id"].as_str().unwrap();
    let (_, transaction) = po.get(&format!("/transactions/{transaction}")).await;
    assert_eq!(transaction["transaction"]["status"], "failed");
    assert_eq!(transaction["transaction"]["error_code"], "card.failed-3ds");

    let token = token["token"]["id"].as_str().unwrap();
    let invoice = po.invoice(&customer, "5", "cit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_error(status, &body, 410, "card.failed-3ds");
}
