//! The token listing by CustomerNumber.

use super::*;

#[tokio::test]
async fn token_listing_returns_one_click_cards_by_customer_number() {
    let f = fixture(30).await;
    let customer = &f.register(&f.by, 7, 1).await[0];
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let listing = f.tokens(json!({"merchant": credentials, "customernumber": customer["customer_number"], "language": "EN"})).await;
    let cards = listing.as_array().expect("a bare array by default");
    assert_eq!(cards.len(), customer["cards"].as_array().unwrap().len());
    let card = &cards[0];
    assert_eq!(card["token"], customer["cards"][0]["token"]);
    assert_eq!(
        card["token"].as_str().unwrap().len(),
        36,
        "a UUID-shaped token"
    );
    assert_eq!(card["post"], customer["cards"][0]["last4"]);
    assert_eq!(
        card["bin"].as_u64().map(|b| b.to_string().len()),
        Some(6),
        "bin is a JSON number of six digits, as in the published example: {card}"
    );
    let expire = card["expire"].as_str().unwrap();
    assert!(
        expire.len() == 7 && &expire[2..3] == ".",
        "MM.YYYY: {expire}"
    );
    assert!(
        card["active"].is_boolean() && card["needCVC"].is_boolean() && card["assets"].is_array()
    );
    assert!(card["brand"].is_string() && card["bank"].is_string());

    let unknown = f
        .tokens(json!({"merchant": credentials, "customernumber": "BY-999999"}))
        .await;
    assert_eq!(unknown, json!([]), "an unknown customer has no cards");
    let other_merchant = f
        .tokens(json!({"merchant": credentials, "customernumber": "RU-000001"}))
        .await;
    assert_eq!(
        other_merchant,
        json!([]),
        "customer numbers are per merchant"
    );

    let bad =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": "WrongPassw0rd"});
    let refused = f
        .tokens(json!({"merchant": bad, "customernumber": customer["customer_number"]}))
        .await;
    assert_eq!(
        (
            refused["fault"]["faultcode"].as_u64(),
            refused["fault"]["faultstring"].as_u64(),
            refused["fault"]["detail"].is_string()
        ),
        (Some(7), Some(141), true),
        "the published fault object, codes as numbers: {refused}"
    );

    let any_case = f
        .tokens(json!({"MERCHANT": credentials, "CustomerNumber": customer["customer_number"]}))
        .await;
    assert_eq!(
        any_case.as_array().map(Vec::len),
        Some(cards.len()),
        "any-case names, still a bare array"
    );
}
