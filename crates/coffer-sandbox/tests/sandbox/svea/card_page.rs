//! The sandbox card page: tokenization through the browser flow.

use super::*;

#[tokio::test]
async fn tokenization_goes_through_the_card_page_and_the_new_token_can_be_charged() {
    let svea = start(5).await;
    let seller = svea.seller().id.clone();
    let form = payment_form(&seller, "TOKENIZE", "4504", "TOK1", "0,00", None);
    let created = svea.post("/TokenizeExtended.pmt", &form, Auth::Basic).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let page_url = created
        .field("pmt_paymenturl")
        .unwrap()
        .replace("&amp;", "&");
    let page = svea.http.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"card_number\""));
    let submit =
        |number: &'static str, three_ds: &'static str, action: &'static str, id: &'static str| {
            let http = svea.http.clone();
            let url = format!("{}/card-page", svea.base);
            let seller = seller.clone();
            async move {
                http.post(url)
                    .form(&[
                        ("s", seller.as_str()),
                        ("id", id),
                        ("card_number", number),
                        ("exp_month", "12"),
                        ("exp_year", "2099"),
                        ("cvv", "123"),
                        ("three_ds", three_ds),
                        ("action", action),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
    let typo = submit("4242424242424241", "pass", "pay", "TOK1").await;
    assert_eq!(typo.status(), 422, "a Luhn error is shown on the page");
    let done = submit("4242424242424242", "pass", "pay", "TOK1").await;
    assert_eq!(done.status(), 303);
    let location = reqwest::Url::parse(done.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/svea/ok");
    let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(value("pmt_reference"), "00000000000010000427");
    assert_eq!(value("pmt_amount"), "0,00");
    let token = value("pmt_token");
    let names = [
        "pmt_action",
        "pmt_version",
        "pmt_id",
        "pmt_reference",
        "pmt_amount",
        "pmt_currency",
        "pmt_sellercosts",
        "pmt_paymentmethod",
        "pmt_escrow",
        "pmt_token",
    ];
    assert!(
        !pairs.iter().any(|(k, _)| k == "pmt_hash"),
        "a card page started with Basic returns no hash; Svea's S2S page says to confirm such a \
         return with a status query: {pairs:?}"
    );
    assert!(names.iter().all(|n| !value(n).is_empty()));
    let status = svea.status("TOK1").await;
    assert_eq!(status.field("pmtq_card_number_masked").unwrap(), "4242");
    assert_eq!(status.field("pmtq_card_scheme").unwrap(), "VISA");
    let charged = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "AFTER1", "9,90", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(charged.status, 200, "{}", charged.body);
    assert!(charged.field("pmt_errorcode").is_none(), "{}", charged.body);

    let second = svea
        .post(
            "/TokenizeExtended.pmt",
            &payment_form(&seller, "TOKENIZE", "4504", "TOK2", "0,00", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(second.status, 200);
    let cancelled = submit("4242424242424242", "pass", "cancel", "TOK2").await;
    assert!(cancelled.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("https://merchant.example/svea/cancel?pmt_id=TOK2"));
    svea.post(
        "/TokenizeExtended.pmt",
        &payment_form(&seller, "TOKENIZE", "4504", "TOK3", "0,00", None),
        Auth::Basic,
    )
    .await;
    let failed = submit("4242424242424242", "fail", "pay", "TOK3").await;
    assert!(failed.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("https://merchant.example/svea/error?pmt_id=TOK3"));
    let mut browser = payment_form(
        &seller,
        "NEW_PAYMENT_EXTENDED",
        "4304",
        "PAY1",
        "12,00",
        None,
    );
    set(&mut browser, "pmt_row_price_gross1", "12,00");
    let posted = svea
        .post("/NewPaymentExtended.pmt", &browser, Auth::Hash("SHA-256"))
        .await;
    assert_eq!(
        posted.status, 303,
        "a browser form post is sent on to the card page"
    );
    // A page started in hash mode returns its answer hashed with the request's algorithm.
    let paid = submit("4242424242424242", "pass", "pay", "PAY1").await;
    let location = reqwest::Url::parse(paid.headers()["location"].to_str().unwrap()).unwrap();
    let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let values: Vec<String> = names.iter().map(|n| value(n)).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        value("pmt_hash"),
        hex_hash("SHA-256", &hash_string(&refs, &svea.seller().secret)),
        "the hash-mode return is hashed per §4.3, token included"
    );
}
