//! Refunds and captures, and what lagged lookups show of a charge and a refund.

use super::*;

#[tokio::test]
async fn refunds_and_captures_follow_the_documented_rules() {
    let env = Env::start(30).await;
    let (_, token) = env.seeded_token(0, env.usable(true, 1)).await;
    let body = json!({"amount": 2500, "currency": "usd", "source": token,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let (_, charge) = env.charge(0, &body, None).await;
    let id = charge["id"].as_str().unwrap();
    let post = reqwest::Method::POST;
    let (status, partial) = env.send(0, post.clone(), "/v1/refunds", &json!({"charge": id, "amount": 1000, "reason": "requested_by_customer", "external_reference_id": "INV-0042"})).await;
    assert_eq!(status, 200, "{partial}");
    assert_eq!(
        (
            partial["object"].clone(),
            partial["amount"].clone(),
            partial["status"].clone()
        ),
        (json!("refund"), json!(1000), json!("succeeded"))
    );
    let (status, over) = env
        .send(
            0,
            post.clone(),
            "/v1/refunds",
            &json!({"charge": id, "amount": 1600}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(over["error"]["code"], "processing_error");
    assert_eq!(
        over["error"]["message"],
        "This refund would make the order's total refunded amount greater than the original order's amount."
    );
    let (status, rest) = env
        .send(0, post.clone(), "/v1/refunds", &json!({"charge": id}))
        .await;
    assert_eq!(
        (status, rest["amount"].clone()),
        (200, json!(1500)),
        "no amount = all that is left"
    );
    let (status, again) = env
        .send(0, post.clone(), "/v1/refunds", &json!({"charge": id}))
        .await;
    assert_eq!(
        (status, again["error"]["code"].clone()),
        (400, json!("charge_already_refunded"))
    );
    let (_, read) = env.get(0, &format!("/v1/charges/{id}")).await;
    assert_eq!(
        (read["amount_refunded"].clone(), read["refunded"].clone()),
        (json!(2500), json!(true))
    );
    let (_, refunds) = env.get(0, &format!("/v1/refunds?charge={id}")).await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 2);
    let (status, _) = env
        .send(
            0,
            post.clone(),
            "/v1/refunds",
            &json!({"charge": "H9NOSUCHCHRGE"}),
        )
        .await;
    assert_eq!(status, 404);

    let auth = json!({"amount": 2000, "currency": "usd", "source": token, "capture": false,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let (_, open) = env.charge(0, &auth, None).await;
    let capture = format!("/v1/charges/{}/capture", open["id"].as_str().unwrap());
    let (status, captured) = env
        .send(0, post.clone(), &capture, &json!({"amount": 1800}))
        .await;
    assert_eq!(
        (
            status,
            captured["captured"].clone(),
            captured["amount"].clone()
        ),
        (200, json!(true), json!(1800))
    );
    let (status, twice) = env.send(0, post, &capture, &json!({})).await;
    assert_eq!(
        (status, twice["error"]["code"].clone()),
        (400, json!("charge_already_captured"))
    );
}

#[tokio::test]
async fn lookups_under_lag_show_a_charge_and_a_refund_only_once_they_are_old_enough() {
    let env = Env::start(20).await;
    let (customer, _) = env.seeded_token(0, env.usable(true, 0)).await;
    let (status, seeded) = env
        .get(0, &format!("/v1/charges?customer={customer}"))
        .await;
    assert_eq!(status, 200);
    let seeded_id = seeded["data"][0]["id"].as_str().unwrap().to_string();
    let token = env.tokenize(0, "4242424242424242").await;
    let knobs = crate::set_faults(&env.sandbox, json!({"lookup_lag_secs": crate::LAG_SECS})).await;
    assert_eq!(
        knobs["lookup_lag_secs"],
        crate::LAG_SECS,
        "the PUT echoes the knob"
    );
    let (status, charge) = env.charge(0, &usd(2500, &token), Some("k-lag")).await;
    assert_eq!(status, 200, "the write itself is not lagged: {charge}");
    let id = charge["id"].as_str().unwrap();
    let (status, _) = env.get(0, &format!("/v1/charges/{id}")).await;
    assert_eq!(status, 404, "a fresh charge is not visible to a lookup yet");
    let (_, listed) = env.get(0, "/v1/charges?limit=100").await;
    assert!(
        listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["id"] != id),
        "nor to the listing a key search walks: {listed}"
    );
    let (status, old) = env.get(0, &format!("/v1/charges/{seeded_id}")).await;
    assert_eq!(
        status, 200,
        "a charge made long before shows as usual: {old}"
    );
    let (status, refund) = env
        .send(
            0,
            reqwest::Method::POST,
            "/v1/refunds",
            &json!({"charge": seeded_id, "amount": 40}),
        )
        .await;
    assert_eq!(
        status, 200,
        "a refund of a visible charge is made: {refund}"
    );
    let refund_id = refund["id"].as_str().unwrap();
    let (status, _) = env.get(0, &format!("/v1/refunds/{refund_id}")).await;
    assert_eq!(status, 404, "the fresh refund is not visible yet");
    let (_, refunds) = env.get(0, &format!("/v1/refunds?charge={seeded_id}")).await;
    assert_eq!(refunds["data"], json!([]), "nor listed: {refunds}");
    let (_, old) = env.get(0, &format!("/v1/charges/{seeded_id}")).await;
    assert_eq!(
        old["amount_refunded"], 0,
        "the charge shows the refunded amount as before the refund: {old}"
    );
    tokio::time::sleep(crate::PAST_LAG).await;
    let (status, found) = env.get(0, &format!("/v1/charges/{id}")).await;
    assert_eq!(
        status, 200,
        "once the lag has passed the charge shows: {found}"
    );
    assert_eq!(found, charge, "as it was answered");
    let (status, _) = env.get(0, &format!("/v1/refunds/{refund_id}")).await;
    assert_eq!(status, 200, "and the refund shows");
    let (_, old) = env.get(0, &format!("/v1/charges/{seeded_id}")).await;
    assert_eq!(
        old["amount_refunded"], 40,
        "with the charge's refunded amount"
    );
}
