//! The Assist client against its published examples: the token listing and its fault read
//! through a stand-in that answers with them, and the sandbox's answers in the published shapes.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use super::*;

/// The excerpt of a published example: what follows its `---` header line.
fn published(file: &str) -> &str {
    file.split_once("\n---\n").map_or(file, |(_, body)| body)
}

const LISTING: &str = include_str!("../../published/assist/token_listing_example.txt");
const FAULT: &str = include_str!("../../published/assist/token_listing_fault.txt");
const ORDERRESULT_JSON: &str = include_str!("../../published/assist/orderresult_json.txt");

/// The published listing's first card, whole: the stored copy breaks off in its second asset
/// (see the file's note), so the excerpt is cut after the first asset and closed.
fn published_listing() -> String {
    let body = published(LISTING);
    let cut = body
        .find(r#",{"assetType":"CARD_BACKGROUND""#)
        .expect("the excerpt has a second asset");
    format!("{}]}}]", &body[..cut])
}

/// The published fault with its placeholders filled (codes unquoted there, so numbers).
pub(super) fn published_fault(first: u16, second: u16) -> String {
    published(FAULT)
        .replace("<error message>", "Authentication failed")
        .replace("<first tcode>", &first.to_string())
        .replace("<second code >", &second.to_string())
}

/// A server on an ephemeral port answering every request with 200 and `body` as JSON.
async fn published_server(body: String) -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                if crate::read_request(&mut socket).await.is_none() {
                    return;
                }
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn the_published_token_listing_reads_into_a_card() {
    let f = fixture().await;
    let at = |base_url: String| Merchant {
        base_url,
        ..f.merchant.clone()
    };
    let secret = || SecretString::from(f.secret.clone());
    let listing =
        coffer_providers::connect(&at(published_server(published_listing()).await), secret())
            .unwrap();
    let cards = listing
        .cards_of(&CustomerRef::from("CUST-000042"))
        .await
        .expect("the published listing, bin a JSON number, reads (it failed before)");
    assert_eq!(cards.len(), 1);
    let card = &cards[0];
    assert_eq!(card.token.as_str(), "49D902C6-1CCF-4605-9228-11D0E8115C77");
    assert_eq!(card.last4, "0028");
    assert_eq!(
        card.bin.as_deref(),
        Some("412362"),
        "the number 412362 as the BIN"
    );
    assert_eq!(card.brand, coffer_core::CardBrand::Visa);
    assert_eq!(card.expiry, coffer_core::CardExpiry::new(2025, 12).unwrap());
    assert_eq!(card.bank, None, "an empty bank is no bank");
    assert!(card.active && !card.needs_cvc);
    // The published fault, read into Auth 7/141 and OrderNumber 3/107: the battery's
    // published refusals (Assist's Harness).
}

/// The JSON type of a value, for shape comparisons.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Keys and value types of an object, sorted.
fn shape(value: &Value) -> Vec<(String, &'static str)> {
    let mut pairs: Vec<(String, &'static str)> = value
        .as_object()
        .map(|o| o.iter().map(|(k, v)| (k.clone(), json_type(v))).collect())
        .unwrap_or_default();
    pairs.sort();
    pairs
}

#[tokio::test]
async fn the_sandbox_answers_the_listing_and_a_json_cancel_in_the_published_shapes() {
    let f = fixture().await;
    let published_cards: Value = serde_json::from_str(&published_listing()).unwrap();
    let published_card = &published_cards[0];
    let credentials = json!({
        "merchant_id": f.merchant.account.account_id(),
        "login": match &f.merchant.account { ProviderAccount::Assist(coffer_core::AssistAccount { login, .. }) => login.clone(), _ => unreachable!() },
        "password": f.secret,
    });
    let listing_url = format!("{}/pay/oneclick/v1/token.cfm", f.merchant.base_url);
    let customer = f.customer(7).await;
    let answer: Value = f
        .http
        .post(&listing_url)
        .json(&json!({"merchant": credentials, "customernumber": customer["customer_number"], "language": "EN"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer.is_array(), "a bare array, as published: {answer}");
    let with_art = answer
        .as_array()
        .unwrap()
        .iter()
        .find(|c| !c["assets"].as_array().unwrap().is_empty())
        .expect("a seeded VISA or MC card carries card art");
    assert_eq!(
        shape(with_art),
        shape(published_card),
        "the same keys with the same JSON types as the published card"
    );
    assert_eq!(
        shape(&with_art["assets"][0]),
        shape(&published_card["assets"][0]),
        "an asset as published"
    );
    assert_eq!(
        shape(&with_art["assets"][0]["assetData"][0]),
        shape(&published_card["assets"][0]["assetData"][0]),
        "assetData is an array of {{url, mediaType, width, height}}"
    );

    let refused: Value = f
        .http
        .post(&listing_url)
        .json(&json!({"merchant": {"merchant_id": f.merchant.account.account_id(), "login": "coffer_nobody_1", "password": "WrongPassw0rd1"}, "customernumber": "BY-000001"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let fault: Value = serde_json::from_str(&published_fault(7, 141)).unwrap();
    assert_eq!(
        shape(&refused),
        shape(&fault),
        "the fault envelope: {refused}"
    );
    assert_eq!(
        shape(&refused["fault"]),
        shape(&fault["fault"]),
        "detail a string, faultcode and faultstring numbers"
    );

    // The cancel: no published wscancel JSON answer was readable (its shape is in Assist's
    // swagger), so the sandbox's JSON answer is checked against the names the published JSON
    // order answer uses, and against the client that reads both.
    let client = f.client();
    let good = f.good_customer().await;
    let charge = client
        .charge(&cit(&good, "CF-SHAPE-1", 1500))
        .await
        .unwrap();
    let cancel: Value = f
        .http
        .post(format!("{}/cancel/wscancel.cfm", f.merchant.base_url))
        .json(&json!({
            "Billnumber": charge.provider_ref.as_str(),
            "Merchant_ID": f.merchant.account.account_id(),
            "Login": credentials["login"],
            "Password": f.secret,
            "Amount": "5.00",
            "Currency": "BYN",
            "Externalrefundid": "RF-SHAPE-00001",
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let published_order_answer: Value =
        serde_json::from_str(&format!("{}}}", published(ORDERRESULT_JSON))).unwrap();
    let published_order = &published_order_answer["orderresult"]["orders"][0];
    let order = &cancel["orders"]["order"][0];
    for name in [
        "billnumber",
        "ordernumber",
        "orderstate",
        "orderamount",
        "ordercurrency",
        "orderdate",
    ] {
        assert!(
            published_order.get(name).is_some() && order.get(name).is_some(),
            "order field {name} named as in the published JSON answer: {order}"
        );
    }
    let operation = &order["operation"][1];
    for name in [
        "billnumber",
        "operationtype",
        "amount",
        "currency",
        "responsecode",
        "operationdate",
    ] {
        assert!(
            published_order["operations"][0].get(name).is_some() && operation.get(name).is_some(),
            "operation field {name} named as in the published JSON answer: {operation}"
        );
    }
    assert_eq!(order["orderstate"], "PartialCanceled", "{cancel}");
}
