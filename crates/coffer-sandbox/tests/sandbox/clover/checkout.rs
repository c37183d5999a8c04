//! Clover's checkout host: the iframe SDK, its card fields and their test cards, and the
//! tokens they make meeting `/v1/customers` and the first charge.

use super::*;

/// The start tag of the test-card option `value`.
fn option<'a>(page: &'a str, value: &str) -> &'a str {
    let at = page
        .find(&format!("<option value=\"{value}\""))
        .unwrap_or_else(|| panic!("no test card {value} in the card fields"));
    &page[at..at + page[at..].find('>').unwrap()]
}

fn attribute(tag: &str, name: &str) -> String {
    let marker = format!(" {name}=\"");
    let start = tag.find(&marker).unwrap() + marker.len();
    tag[start..start + tag[start..].find('"').unwrap()].to_string()
}

#[tokio::test]
async fn the_sdk_and_card_fields_are_served_under_the_checkout_paths() {
    let env = Env::start(5).await;
    let sdk = env.http.get(env.url("/sdk.js")).send().await.unwrap();
    assert_eq!(sdk.status(), 200);
    assert!(sdk.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    let script = sdk.text().await.unwrap();
    for surface in [
        "window.Clover",
        "prototype.elements",
        "prototype.createToken",
        "widget.html",
        "postTokenRequest",
    ] {
        assert!(script.contains(surface), "sdk.js lacks {surface}");
    }

    let unknown = env
        .http
        .get(env.url("/widget.html?element=CARD&apiKey=not-a-key"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        unknown.status(),
        401,
        "fields opened with an unknown PAKMS key"
    );

    let widget = env
        .http
        .get(env.url(&format!(
            "/widget.html?element=CARD&apiKey={}&mId={}&origin=null",
            env.apikey(0),
            env.mid(0)
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(widget.status(), 200);
    let page = widget.text().await.unwrap();
    let form_at = page.find("id=\"clover-fields\"").unwrap();
    let form = &page[page[..form_at].rfind('<').unwrap()..form_at + 200];
    assert_eq!(
        attribute(form, "data-tokenizer"),
        env.url("/v1/tokens"),
        "the iframe tokenizes at the sandbox's own tokenizer, same origin"
    );
    assert!(
        attribute(option(&page, "fail_3ds"), "data-error").contains("3-D Secure"),
        "fail_3ds is answered by the fields themselves"
    );
    assert!(
        page.contains("<option value=\"typed\""),
        "a human may type a number"
    );
    assert!(
        !page.contains(&env.token(0)),
        "the card fields carry no OAuth token"
    );
}

#[tokio::test]
async fn the_test_cards_approve_and_hard_decline_at_the_first_charge() {
    let env = Env::start(5).await;
    let page = env
        .http
        .get(env.url(&format!("/widget.html?apiKey={}", env.apikey(0))))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for (choice, expected) in [("approve", 200), ("decline", 402)] {
        let number = attribute(option(&page, choice), "data-number");
        let (customer, token) = env.saved_card(0, &number).await;
        let (status, body) = env
            .charge(
                0,
                &json!({"amount": 100, "currency": "usd", "source": token,
                    "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": true}}),
                Some(&format!("first-{choice}")),
            )
            .await;
        assert_eq!(status, expected, "{choice}: {body}");
        if choice == "decline" {
            assert_eq!(
                body["error"]["declineCode"], "stolen_card",
                "a hard decline"
            );
        } else {
            assert_eq!(body["customer"], customer.as_str());
        }
    }
}

#[tokio::test]
async fn customers_refuse_an_unknown_token_and_a_token_already_saved() {
    let env = Env::start(5).await;
    let post = reqwest::Method::POST;
    let (status, unknown) = env
        .send(
            0,
            post.clone(),
            "/v1/customers",
            &json!({"email": "ana@example.org", "source": "clv_1TSTTmadeupmadeupmadeup"}),
        )
        .await;
    assert_eq!(status, 400, "{unknown}");
    assert_eq!(unknown["error"]["param"], "source");
    let (_, token) = env.saved_card(0, "4242424242424242").await;
    let (status, again) = env
        .send(
            0,
            post,
            "/v1/customers",
            &json!({"email": "bea@example.org", "source": token}),
        )
        .await;
    assert_eq!(status, 400, "{again}");
    assert_eq!(
        again["error"]["code"], "token_already_used",
        "saving used the single-pay token up"
    );
}
