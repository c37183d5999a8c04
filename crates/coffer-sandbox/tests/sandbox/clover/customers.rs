//! Customers: OAuth tokens per merchant, saved cards, duplicates, revocation, v3 paging.

use super::*;

#[tokio::test]
async fn refuses_missing_wrong_and_foreign_tokens() {
    let env = Env::start(5).await;
    let bare = env.http.get(env.url("/pakms/apikey")).send().await.unwrap();
    assert_eq!(bare.status(), 401);
    assert_eq!(
        bare.json::<Value>().await.unwrap(),
        json!({"message": "401 Unauthorized"})
    );
    let wrong = env
        .http
        .get(env.url("/v1/charges"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let (status, _) = env
        .get(1, &format!("/v3/merchants/{}/customers", env.mid(0)))
        .await;
    assert_eq!(status, 401, "merchant B's token cannot read merchant A");
    let (a_customer, _) = env.seeded_token(0, 2).await;
    let (status, body) = env.get(1, &format!("/v1/customers/{a_customer}")).await;
    assert_eq!(status, 404, "A's objects do not exist for B");
    assert_eq!(body["error"]["code"], "resource_missing");
    let tokenizer = env
        .http
        .post(env.url("/v1/tokens"))
        .header("apikey", "wrong")
        .json(
            &json!({"card": {"number": "4242424242424242", "exp_month": "12", "exp_year": "2030"}}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(tokenizer.status(), 401, "the tokenizer wants the PAKMS key");
}

#[tokio::test]
async fn customers_save_cards_refuse_duplicates_revoke_and_page_in_v3() {
    let env = Env::start(12).await;
    let (customer, _) = env.saved_card(1, "4242424242424242").await;
    let duplicate = env.tokenize(1, "4242424242424242").await;
    let put = reqwest::Method::PUT;
    let (status, conflict) = env
        .send(
            1,
            put.clone(),
            &format!("/v1/customers/{customer}"),
            &json!({"email": "ana@example.org", "source": duplicate}),
        )
        .await;
    assert_eq!(
        status, 409,
        "the same card twice on one customer: {conflict}"
    );
    let other = env.tokenize(1, "5424180273333333").await;
    let (status, updated) = env
        .send(
            1,
            put,
            &format!("/v1/customers/{customer}"),
            &json!({"email": "ana@example.org", "source": other}),
        )
        .await;
    assert_eq!(status, 200);
    let sources = updated["sources"]["data"].as_array().unwrap().clone();
    assert_eq!(sources.len(), 2, "sources hold card ids only");
    assert!(sources.iter().all(|s| s.is_string()));
    let (status, missing) = env
        .send(
            1,
            reqwest::Method::POST,
            "/v1/customers",
            &json!({"firstName": "No Mail", "source": env.tokenize(1, "4242424242424242").await}),
        )
        .await;
    assert_eq!(
        (status, missing["error"]["param"].clone()),
        (400, json!("email"))
    );
    let kept = env.tokenize(1, "4242424242424242").await;
    let (status, _) = env
        .send(
            1,
            reqwest::Method::POST,
            "/v1/customers",
            &json!({"email": "b@example.org", "firstName": 5, "source": kept}),
        )
        .await;
    assert_eq!(status, 400, "a bad field is refused");
    let (status, _) = env
        .send(
            1,
            reqwest::Method::POST,
            "/v1/customers",
            &json!({"email": "b@example.org", "source": kept}),
        )
        .await;
    assert_eq!(status, 200, "a refused request used up nothing");

    let card = sources[0].as_str().unwrap();
    let (status, deleted) = env
        .send(
            1,
            reqwest::Method::DELETE,
            &format!("/v1/customers/{customer}/sources/{card}"),
            &Value::Null,
        )
        .await;
    assert_eq!((status, deleted["deleted"].clone()), (200, json!(true)));
    let (_, cards) = env
        .get(
            1,
            &format!("/v3/merchants/{}/customers/{customer}/cards", env.mid(1)),
        )
        .await;
    assert_eq!(
        cards["elements"].as_array().unwrap().len(),
        1,
        "a revoked card is gone"
    );
    assert_eq!(cards["elements"][0]["tokenType"], "MULTIPAY");
    assert_eq!(cards["elements"][0]["expirationDate"], "1230", "MMYY");

    let mid = env.mid(1);
    let (_, first) = env
        .get(
            1,
            &format!("/v3/merchants/{mid}/customers?expand=cards&limit=5&offset=0"),
        )
        .await;
    let (_, last) = env
        .get(
            1,
            &format!("/v3/merchants/{mid}/customers?expand=cards&limit=5&offset=10"),
        )
        .await;
    assert_eq!(first["elements"].as_array().unwrap().len(), 5);
    assert_eq!(
        last["elements"].as_array().unwrap().len(),
        4,
        "12 seeded + 2 created"
    );
    assert!(first["elements"][0]["cards"]["elements"][0]["token"]
        .as_str()
        .unwrap()
        .starts_with("clv_"));
    let (_, plain) = env
        .get(1, &format!("/v3/merchants/{mid}/customers?limit=1"))
        .await;
    assert!(
        plain["elements"][0].get("cards").is_none(),
        "cards only when expanded"
    );
    let (status, one) = env
        .get(
            1,
            &format!("/v3/merchants/{mid}/customers/{customer}?expand=cards,emailAddresses"),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        one["emailAddresses"]["elements"][0]["emailAddress"],
        "ana@example.org"
    );
}
