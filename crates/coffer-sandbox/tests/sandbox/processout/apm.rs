//! Saving an APM as a customer token (seed 002 "Saving APM tokens"): the gateway
//! configurations ProcessOut.js lists with the project id alone, the sandbox's PayPal page and
//! its redirect to the blank token's `return_url`, and the token saved with the single-use
//! `gway_req_…` it carries.

use super::*;

const RETURN_URL: &str = "https://shop.example/return?order=7#top";

/// A client that does not follow redirects: the APM page's redirect is the return.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A new customer and a blank token with the return address: `(customer, token)`.
async fn blank_token(po: &Po) -> (String, String) {
    let (_, customer) = po
        .post("/customers", json!({"first_name": "Paula"}), None)
        .await;
    let customer = customer["customer"]["id"].as_str().unwrap().to_string();
    let (status, token) = po
        .post(
            &format!("/customers/{customer}/tokens"),
            json!({"return_url": RETURN_URL, "verify": true}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{token}");
    assert_eq!(token["token"]["is_chargeable"], false, "a blank token");
    (customer, token["token"]["id"].as_str().unwrap().to_string())
}

/// Answers the PayPal page for the token: the redirect's status and `Location`.
async fn decide(po: &Po, customer: &str, token: &str, decision: &str) -> (u16, String) {
    let path = format!("{}/apm/gway_conf_sandbox_paypal/tokenize", po.base);
    let fields = [
        ("project_id", po.project.as_str()),
        ("customer_id", customer),
        ("token_id", token),
    ];
    let page = browser().get(&path).query(&fields).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"apm-form\""), "{html}");
    assert!(html.contains("value=\"approve\"") && html.contains("value=\"cancel\""));
    let mut form = fields.to_vec();
    form.push(("decision", decision));
    let answer = browser().post(&path).form(&form).send().await.unwrap();
    let location = answer
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (answer.status().as_u16(), location)
}

fn query_of(location: &str) -> Vec<(String, String)> {
    let url = reqwest::Url::parse(location).unwrap();
    url.query_pairs().into_owned().collect()
}

async fn save(po: &Po, customer: &str, token: &str, source: &str) -> (u16, Value) {
    read(
        po.req(
            reqwest::Method::PUT,
            &format!("/customers/{customer}/tokens/{token}"),
        )
        .json(&json!({"source": source, "verify": true}))
        .send()
        .await
        .unwrap(),
    )
    .await
}

#[tokio::test]
async fn the_gateway_configurations_list_paypal_to_the_project_id_alone() {
    let po = Po::start(3).await;
    let list = |project: String, filter: &'static str| {
        let http = po.http.clone();
        let url = format!("{}/gateway-configurations", po.base);
        async move {
            read(
                http.get(url)
                    .query(&[("filter", filter)])
                    .basic_auth(project, Some(""))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (status, body) = list(
        po.project.clone(),
        "alternative-payment-methods-with-tokenization",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let confs = body["gateway_configurations"].as_array().unwrap();
    assert_eq!(confs.len(), 1, "{body}");
    assert_eq!(confs[0]["id"], "gway_conf_sandbox_paypal");
    assert_eq!(confs[0]["gateway"]["name"], "paypal");
    assert_eq!(confs[0]["gateway"]["display_name"], "PayPal");
    let (_, cards) = list(po.project.clone(), "card-payments").await;
    assert_eq!(cards["gateway_configurations"], json!([]));
    let (status, body) = list("test-proj_unknown".into(), "").await;
    assert_error(status, &body, 401, "request.authentication.invalid");

    // Allowed cross-origin: ProcessOut.js calls it from the merchant's page.
    let preflight = po
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/gateway-configurations", po.base),
        )
        .header("Origin", "null")
        .header("Access-Control-Request-Method", "GET")
        .header("Access-Control-Request-Headers", "authorization")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status(), 204);
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    assert!(preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .contains("Authorization"));
    let listed = po
        .http
        .get(format!("{}/gateway-configurations", po.base))
        .basic_auth(&po.project, Some(""))
        .send()
        .await
        .unwrap();
    assert_eq!(listed.headers()["access-control-allow-origin"], "*");

    let script = po
        .http
        .get(format!("{}/js/processout.js", po.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(script.contains("fetchGatewayConfigurations"));
    assert!(script.contains("handleCustomerTokenAction"));
}

#[tokio::test]
async fn approving_at_paypal_returns_a_gateway_request_that_saves_the_token_once() {
    let po = Po::start(3).await;
    let (customer, token) = blank_token(&po).await;
    let (status, location) = decide(&po, &customer, &token, "approve").await;
    assert_eq!(status, 303);
    assert!(location.starts_with("https://shop.example/return?order=7&token=gway_req_"));
    assert!(location.ends_with("#top"), "{location}");
    let pairs = query_of(&location);
    let find = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(find("customer_id"), customer);
    assert_eq!(find("token_id"), token);
    let gway_req = find("token");

    // Not for another customer's token.
    let (other_customer, other_token) = blank_token(&po).await;
    let (status, body) = save(&po, &other_customer, &other_token, &gway_req).await;
    assert_error(status, &body, 400, "request.source.invalid");

    let (status, saved) = save(&po, &customer, &token, &gway_req).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["token"]["type"], "gateway_token");
    assert_eq!(saved["token"]["is_chargeable"], true);
    assert_eq!(saved["token"]["verification_status"], "success");
    let (_, expanded) = po
        .get(&format!(
            "/customers/{customer}/tokens/{token}?expand=gateway_configuration"
        ))
        .await;
    assert_eq!(
        expanded["token"]["gateway_configuration"]["gateway"]["display_name"],
        "PayPal"
    );

    // Single-use; and an unknown one is not found.
    let (status, body) = save(&po, &customer, &token, &gway_req).await;
    assert_error(status, &body, 400, "request.source.already-used");
    let (status, body) = save(&po, &other_customer, &other_token, "gway_req_unknown").await;
    assert_eq!(status, 404, "{body}");

    // The saved token pays an invoice, as a merchant-initiated charge too.
    let invoice = po.invoice(&customer, "5", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn cancelling_at_paypal_returns_an_error_and_a_used_token_has_no_page() {
    let po = Po::start(3).await;
    let (customer, token) = blank_token(&po).await;
    let (status, location) = decide(&po, &customer, &token, "cancel").await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        "https://shop.example/return?order=7&error=customer.canceled#top"
    );
    let (_, location) = decide(&po, &customer, &token, "approve").await;
    let gway_req = query_of(&location)
        .into_iter()
        .find(|(k, _)| k == "token")
        .unwrap()
        .1;
    save(&po, &customer, &token, &gway_req).await;
    // The token holds PayPal now: its APM page is refused.
    let page = browser()
        .get(format!("{}/apm/gway_conf_sandbox_paypal/tokenize", po.base))
        .query(&[
            ("project_id", po.project.as_str()),
            ("customer_id", customer.as_str()),
            ("token_id", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 400);
    let unknown = browser()
        .get(format!("{}/apm/gway_conf_other/tokenize", po.base))
        .query(&[("project_id", po.project.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
}
