//! The Clover emulator over raw HTTP: documented shapes, errors, rules and test cards.
// Test helpers are not #[test] functions; a failed setup should panic there too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use coffer_sandbox::seed::{self, CardBehaviour};
use coffer_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

const WARNING: &str = "Subsequent credential on file pay request sent for without Initial credential on file pay request.";

struct Env {
    sandbox: Sandbox,
    config: SandboxConfig,
    http: reqwest::Client,
    merchants: Vec<Value>,
}

impl Env {
    async fn start(customers: usize) -> Env {
        Env::with(SandboxConfig::demo(customers)).await
    }

    async fn with(config: SandboxConfig) -> Env {
        let sandbox = Sandbox::start(config.clone()).await.unwrap();
        let http = reqwest::Client::builder()
            .user_agent("coffer-sandbox-tests")
            .build()
            .unwrap();
        let all: Vec<Value> = http
            .get(format!("{}/merchants", sandbox.urls.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let merchants = all
            .into_iter()
            .filter(|m| m["account"]["provider"] == "clover")
            .collect();
        Env {
            sandbox,
            config,
            http,
            merchants,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sandbox.urls.clover)
    }

    fn token(&self, m: usize) -> String {
        self.merchants[m]["secret"].as_str().unwrap().to_string()
    }

    fn mid(&self, m: usize) -> String {
        self.merchants[m]["account"]["merchant_uuid"]
            .as_str()
            .unwrap()
            .to_string()
    }

    fn apikey(&self, m: usize) -> String {
        self.merchants[m]["account"]["pakms_key"]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn get(&self, m: usize, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(self.token(m))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn send(
        &self,
        m: usize,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let response = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.token(m))
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn charge(&self, m: usize, body: &Value, key: Option<&str>) -> (u16, Value) {
        let mut request = self
            .http
            .post(self.url("/v1/charges"))
            .bearer_auth(self.token(m))
            .header("x-forwarded-for", "203.0.113.7")
            .json(body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn tokenize(&self, m: usize, number: &str) -> String {
        let response = self
            .http
            .post(self.url("/v1/tokens"))
            .header("apikey", self.apikey(m))
            .json(&json!({"card": {"number": number, "exp_month": "12", "exp_year": "2030", "cvv": "123", "brand": "VISA"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "tokenizer accepts a valid card");
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_string()
    }

    /// A new customer with one saved card and no initial charge: returns (customer id, token).
    async fn saved_card(&self, m: usize, number: &str) -> (String, String) {
        let token = self.tokenize(m, number).await;
        let (status, customer) = self
            .send(m, reqwest::Method::POST, "/v1/customers", &json!({"email": "ana@example.org", "firstName": "Ana", "lastName": "Lopes", "source": token}))
            .await;
        assert_eq!(status, 200, "{customer}");
        (customer["id"].as_str().unwrap().to_string(), token)
    }

    /// The token of the first card of seeded customer `index` of merchant `m`, via the v3 API.
    async fn seeded_token(&self, m: usize, index: usize) -> (String, String) {
        let (status, page) = self
            .get(
                m,
                &format!(
                    "/v3/merchants/{}/customers?expand=cards&limit=1&offset={index}",
                    self.mid(m)
                ),
            )
            .await;
        assert_eq!(status, 200);
        let customer = &page["elements"][0];
        (
            customer["id"].as_str().unwrap().to_string(),
            customer["cards"]["elements"][0]["token"]
                .as_str()
                .unwrap()
                .to_string(),
        )
    }

    /// A seeded customer of merchant 1 from 5 on whose first card approves, is not expired and
    /// has (or lacks) an initial charge.
    fn usable(&self, has_initial: bool, skip: usize) -> usize {
        let today = chrono::Utc::now().date_naive();
        (5..self.config.seed.customers)
            .filter(|&i| {
                let card = &seed::customer(&self.config.seed, "clover/1", i).cards[0];
                let expiry =
                    chrono::NaiveDate::from_ymd_opt(card.exp_year, card.exp_month, 1).unwrap();
                card.behaviour == CardBehaviour::Approve
                    && card.has_initial == has_initial
                    && expiry > today
            })
            .nth(skip)
            .unwrap()
    }

    /// `GET /__sandbox/initials?{query}` (no credentials).
    async fn initials(&self, query: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.url(&format!("/__sandbox/initials?{query}")))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn ledger(&self) -> Vec<Value> {
        self.http
            .get(format!(
                "{}/charges?provider=clover",
                self.sandbox.urls.admin
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn usd(amount: i64, source: &str) -> Value {
    json!({"amount": amount, "currency": "usd", "source": source})
}

#[tokio::test]
async fn seeds_three_store_locations_with_their_own_credentials() {
    let env = Env::start(5).await;
    assert_eq!(env.merchants.len(), 3, "three locations of one owner");
    let mut mids: Vec<String> = (0..3).map(|m| env.mid(m)).collect();
    assert!(mids.iter().all(|id| id.len() == 13
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())));
    mids.dedup();
    assert_eq!(mids.len(), 3, "distinct merchant UUIDs");
    assert_ne!(env.token(0), env.token(1));
    assert_ne!(env.apikey(0), env.apikey(2));
    let currencies: Vec<&str> = env
        .merchants
        .iter()
        .map(|m| m["currency"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["USD", "USD", "EUR"]);
    let (status, key) = env.get(0, "/pakms/apikey").await;
    assert_eq!(status, 200);
    assert_eq!(
        key["apiAccessKey"],
        env.apikey(0),
        "PAKMS key of the token's merchant"
    );
    let (status, gateway) = env
        .get(1, &format!("/v3/merchants/{}/gateway", env.mid(1)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(gateway["supportsMultiPayToken"], true);
}

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
async fn approves_with_the_documented_charge_shape_and_consumes_single_use_tokens() {
    let env = Env::start(5).await;
    let token = env.tokenize(0, "4242424242424242").await;
    assert!(token.starts_with("clv_") && token[4..].bytes().all(|b| b.is_ascii_alphanumeric()));
    let (status, charge) = env.charge(0, &usd(2500, &token), Some("k-approve")).await;
    assert_eq!(status, 200, "{charge}");
    assert_eq!(charge["paid"], true);
    assert_eq!(charge["status"], "succeeded");
    assert_eq!(charge["captured"], true);
    assert_eq!(charge["amount"], 2500);
    assert_eq!(charge["currency"], "usd");
    assert_eq!(charge["outcome"]["network_status"], "approved_by_network");
    assert_eq!(charge["id"].as_str().unwrap().len(), 13);
    let ref_num = charge["ref_num"].as_str().unwrap();
    assert!(ref_num.len() == 12 && ref_num.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(charge["auth_code"].as_str().unwrap().len(), 6);
    assert_eq!(
        charge["source"]["exp_month"], "12",
        "expiry fields are strings"
    );
    assert_eq!(charge["source"]["exp_year"], "2030");
    assert_eq!(charge["source"]["last4"], "4242");
    assert_eq!(charge["source"]["brand"], "VISA");
    assert!(
        charge.get("warning_message").is_none(),
        "a plain token charge is not card on file"
    );
    let (status, again) = env.charge(0, &usd(2500, &token), Some("k-again")).await;
    assert_eq!(status, 400);
    assert_eq!(again["error"]["code"], "token_already_used");
    assert_eq!(
        again["error"]["message"],
        "You cannot use a clover token more than once unless it is marked as multipay."
    );
    let (status, read) = env
        .get(
            0,
            &format!("/v1/charges/{}", charge["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(
        (status, read),
        (200, charge.clone()),
        "GET returns the same charge object"
    );
    let (status, auth_only) = env.charge(0, &json!({"amount": 900, "currency": "usd", "source": env.tokenize(0, "4242424242424242").await, "capture": false}), None).await;
    assert_eq!(
        (status, auth_only["captured"].clone()),
        (200, json!(false)),
        "capture:false is an open authorization"
    );
}

#[tokio::test]
async fn validates_every_documented_charge_field() {
    let env = Env::start(5).await;
    let no_header = env
        .http
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .json(&usd(100, "clv_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_header.status(), 400, "x-forwarded-for is required");
    let body: Value = no_header.json().await.unwrap();
    assert_eq!(body["message"], "400 Bad Request");
    assert_eq!(body["error"]["param"], "x-forwarded-for");
    let no_agent = reqwest::Client::new()
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&usd(100, "clv_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(no_agent.status(), 400, "User-Agent is required too");
    assert_eq!(
        no_agent.json::<Value>().await.unwrap()["error"]["param"],
        "User-Agent"
    );
    let long = "x".repeat(256);
    let cases = [
        (
            json!({"currency": "usd", "source": "clv_x"}),
            "invalid_request",
            "amount",
        ),
        (
            json!({"amount": "25.00", "currency": "usd", "source": "clv_x"}),
            "invalid_request",
            "amount",
        ),
        (
            json!({"amount": 100_000_000, "currency": "usd", "source": "clv_x"}),
            "amount_too_large",
            "amount",
        ),
        (
            json!({"amount": 100, "currency": "dollars", "source": "clv_x"}),
            "invalid_request",
            "currency",
        ),
        (
            json!({"amount": 100, "currency": "eur", "source": "clv_x"}),
            "invalid_request",
            "currency",
        ),
        (
            json!({"amount": 100, "currency": "usd"}),
            "invalid_request",
            "source",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_unknown"}),
            "invalid_request",
            "source",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "description": long}),
            "invalid_request",
            "description",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "external_reference_id": "INV-000000042"}),
            "invalid_request",
            "external_reference_id",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "ecomind": "pos"}),
            "invalid_request",
            "ecomind",
        ),
        (
            json!({"amount": 100, "currency": "usd", "source": "clv_x", "stored_credentials": {"sequence": "FIRST", "initiator": "BANK"}}),
            "invalid_request",
            "stored_credentials.initiator",
        ),
    ];
    for (body, code, param) in cases {
        let (status, answer) = env.charge(0, &body, None).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(answer["error"]["code"], code, "{body}");
        assert_eq!(answer["error"]["param"], param, "{body}");
    }
    let bad_json = env
        .http
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    assert!(
        env.ledger().await.is_empty(),
        "nothing invalid was processed"
    );
}

#[tokio::test]
async fn subsequent_charge_without_initial_warns_and_a_linked_one_does_not() {
    let env = Env::start(8).await;
    let (customer, token) = env.saved_card(0, "4242424242424242").await;
    let mit = |invoice: Option<&str>, scheduled: bool| {
        let mut flags =
            json!({"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": scheduled});
        if let Some(invoice) = invoice {
            flags["installment_info"] =
                json!({"bill_pay_indicator": "Recurring", "invoice_number": invoice});
        }
        json!({"amount": 300, "currency": "usd", "source": token, "ecomind": "moto", "stored_credentials": flags})
    };
    let (status, unlinked) = env.charge(0, &mit(None, false), Some("mit-1")).await;
    assert_eq!(status, 200, "the warning never declines");
    assert_eq!(unlinked["paid"], true);
    assert_eq!(unlinked["warning_message"], WARNING, "Clover's exact text");
    let (_, by_customer) = env.charge(0, &usd(150, &customer), None).await;
    assert_eq!(
        by_customer["warning_message"], WARNING,
        "a customer-id source counts as subsequent"
    );

    let first = json!({"amount": 100, "currency": "usd", "source": token, "ecomind": "ecom",
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}});
    let (status, initial) = env.charge(0, &first, Some("cit-1")).await;
    assert_eq!(status, 200);
    assert!(
        initial.get("warning_message").is_none(),
        "a FIRST charge raises no warning"
    );
    let ref_num = initial["ref_num"].as_str().unwrap().to_string();

    let (_, linked) = env
        .charge(0, &mit(Some(&ref_num), true), Some("mit-2"))
        .await;
    assert_eq!(linked["paid"], true);
    assert!(
        linked.get("warning_message").is_none(),
        "linked to the initial ref_num: {linked}"
    );
    let (_, unscheduled) = env.charge(0, &mit(None, false), Some("mit-3")).await;
    assert!(
        unscheduled.get("warning_message").is_none(),
        "an initial is on record for the card"
    );
    let (_, wrong) = env
        .charge(0, &mit(Some("999999999999"), true), Some("mit-4"))
        .await;
    assert!(
        wrong["warning_message"]
            .as_str()
            .unwrap()
            .starts_with("Sandbox:"),
        "the sandbox flags a link to another ref_num: {wrong}"
    );

    let ledger = env.ledger().await;
    let entry = |key: &str| {
        ledger
            .iter()
            .find(|c| c["idempotency_key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(entry("mit-1")["warnings"], json!([WARNING]));
    assert_eq!(entry("mit-2")["warnings"], json!([]));
    assert_eq!(
        entry("mit-2")["stored_credential"]["installment_info"]["invoice_number"],
        ref_num,
        "the ledger keeps the flags exactly as received"
    );
    assert_eq!(entry("cit-1")["stored_credential"]["sequence"], "FIRST");
}

#[tokio::test]
async fn seeded_cards_with_an_initial_are_listed_and_link_without_warning() {
    let env = Env::start(30).await;
    let seeded = env.usable(true, 0);
    let without = env.usable(false, 0);
    let (customer, token) = env.seeded_token(0, seeded).await;
    let (status, list) = env
        .get(0, &format!("/v1/charges?customer={customer}"))
        .await;
    assert_eq!(status, 200);
    let initial = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["id"] == token.as_str())
        .expect("the seeded initial charge is listed")
        .clone();
    assert_eq!(initial["stored_credentials"]["sequence"], "FIRST");
    let ref_num = initial["ref_num"].as_str().unwrap();
    let linked = json!({"amount": 300, "currency": "usd", "source": token, "ecomind": "moto",
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": true,
            "installment_info": {"bill_pay_indicator": "Recurring", "invoice_number": ref_num}}});
    let (status, charge) = env.charge(0, &linked, None).await;
    assert_eq!(status, 200);
    assert!(charge.get("warning_message").is_none(), "{charge}");
    let (_, token_without) = env.seeded_token(0, without).await;
    let unlinked = json!({"amount": 300, "currency": "usd", "source": token_without,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let (_, charge) = env.charge(0, &unlinked, None).await;
    assert_eq!(
        charge["warning_message"], WARNING,
        "a seeded card without an initial CIT warns"
    );
}

#[tokio::test]
async fn sandbox_initials_list_the_seeded_initials_that_link_without_warning() {
    let env = Env::start(30).await;
    let mid = env.mid(0);
    let (status, all) = env
        .initials(&format!("merchant={mid}&offset=0&limit=1000"))
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["merchant"], mid.as_str());
    assert_eq!(all["offset"], 0);
    let listed = all["initials"].as_array().unwrap().clone();
    // Every seeded card with an initial, in customer then card order.
    let expected: Vec<(usize, usize)> = (0..30)
        .flat_map(|i| {
            seed::customer(&env.config.seed, "clover/1", i)
                .cards
                .iter()
                .enumerate()
                .filter(|(_, c)| c.has_initial)
                .map(|(k, _)| (i, k))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(all["total"], expected.len());
    assert_eq!(listed.len(), expected.len());
    for (entry, (index, k)) in listed.iter().zip(&expected).take(8) {
        let (status, page) = env
            .get(
                0,
                &format!("/v3/merchants/{mid}/customers?expand=cards&limit=1&offset={index}"),
            )
            .await;
        assert_eq!(status, 200);
        let customer = &page["elements"][0];
        assert_eq!(entry["customer"], customer["id"]);
        assert_eq!(
            entry["token"], customer["cards"]["elements"][*k]["token"],
            "the token exactly as the card listing gives it"
        );
        assert_eq!(entry["amount_minor"], 100);
        assert_eq!(entry["currency"], "USD");
        assert_eq!(entry["initial_ref"].as_str().unwrap().len(), 12);
    }
    // The listed ref_num is the seeded FIRST charge's, and a scheduled MIT linked to it is
    // approved without a warning.
    let seeded = env.usable(true, 0);
    let (customer, token) = env.seeded_token(0, seeded).await;
    let entry = listed
        .iter()
        .find(|e| e["token"] == token.as_str())
        .expect("the seeded card is listed")
        .clone();
    assert_eq!(entry["customer"], customer.as_str());
    let (_, charges) = env
        .get(0, &format!("/v1/charges?customer={customer}"))
        .await;
    let first = charges["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["source"]["id"] == token.as_str())
        .unwrap()
        .clone();
    assert_eq!(first["stored_credentials"]["sequence"], "FIRST");
    assert_eq!(entry["initial_ref"], first["ref_num"]);
    assert_eq!(entry["amount_minor"], first["amount"]);
    let linked = json!({"amount": 300, "currency": "usd", "source": token, "ecomind": "moto",
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": true,
            "installment_info": {"bill_pay_indicator": "Recurring", "invoice_number": entry["initial_ref"]}}});
    let (status, charge) = env.charge(0, &linked, Some("listed-mit")).await;
    assert_eq!(status, 200);
    assert_eq!(charge["paid"], true);
    assert!(charge.get("warning_message").is_none(), "{charge}");
    let ledger = env.ledger().await;
    let recorded = ledger
        .iter()
        .find(|c| c["idempotency_key"] == "listed-mit")
        .unwrap();
    assert_eq!(recorded["warnings"], json!([]));

    // Paging: windows of the full list; past the end is empty.
    let (_, window) = env
        .initials(&format!("merchant={mid}&offset=5&limit=3"))
        .await;
    assert_eq!(window["offset"], 5);
    assert_eq!(window["total"], all["total"]);
    assert_eq!(window["initials"], json!(listed[5..8]));
    let mut paged = Vec::new();
    for offset in (0..listed.len()).step_by(7) {
        let (_, page) = env
            .initials(&format!("merchant={mid}&offset={offset}&limit=7"))
            .await;
        paged.extend(page["initials"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(paged, listed, "pages put together give the whole list");
    let (_, past) = env
        .initials(&format!("merchant={mid}&offset={}", listed.len()))
        .await;
    assert_eq!(past["initials"], json!([]));

    // A new FIRST charge replaces the card's initial; a card saved at run time joins at the end.
    let (new_customer, new_token) = env.saved_card(0, "4242424242424242").await;
    let first = json!({"amount": 250, "currency": "usd", "source": new_token, "ecomind": "ecom",
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}});
    let (status, initial) = env.charge(0, &first, None).await;
    assert_eq!(status, 200);
    let again = json!({"amount": 175, "currency": "usd", "source": token, "ecomind": "ecom",
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}});
    let (status, renewed) = env.charge(0, &again, None).await;
    assert_eq!(status, 200);
    let (_, after) = env.initials(&format!("merchant={mid}&limit=1000")).await;
    let after = after["initials"].as_array().unwrap();
    assert_eq!(after.len(), listed.len() + 1);
    assert_eq!(
        after.last().unwrap(),
        &json!({"token": new_token, "initial_ref": initial["ref_num"], "amount_minor": 250,
            "currency": "USD", "customer": new_customer})
    );
    let moved = after.iter().find(|e| e["token"] == token.as_str()).unwrap();
    assert_eq!(moved["initial_ref"], renewed["ref_num"]);
    assert_eq!(moved["amount_minor"], 175);

    // Each merchant lists its own; an unknown one is 404.
    let (status, other) = env
        .initials(&format!("merchant={}&limit=1", env.mid(2)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(other["initials"][0]["currency"], "EUR");
    assert_ne!(other["initials"][0]["token"], listed[0]["token"]);
    let (status, unknown) = env.initials("merchant=NOSUCHMERCHANT").await;
    assert_eq!(status, 404);
    assert!(unknown["error"].is_string(), "{unknown}");
}

#[tokio::test]
async fn test_cards_decline_with_the_documented_error_shape() {
    let env = Env::start(6).await;
    for (index, status, code, decline) in [
        (0, 402, "card_declined", Some("issuer_declined")),
        (1, 402, "card_declined", Some("stolen_card")),
        (2, 400, "expired_card", None),
    ] {
        let demo = seed::customer(&env.config.seed, "clover/1", index);
        assert_eq!(
            seed::behaviour_of_last4(&demo.cards[0].last4),
            demo.cards[0].behaviour
        );
        let (_, token) = env.seeded_token(0, index).await;
        let body = json!({"amount": 500, "currency": "usd", "source": token,
            "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
        let (got, answer) = env
            .charge(0, &body, Some(&format!("decline-{index}")))
            .await;
        assert_eq!(got, status, "{:?}: {answer}", demo.cards[0].behaviour);
        assert!(
            answer.get("id").is_none(),
            "a declined charge has no top-level id"
        );
        assert_eq!(answer["error"]["code"], code);
        assert_eq!(
            answer["error"].get("declineCode").and_then(Value::as_str),
            decline
        );
        let charge_id = answer["error"]["charge"].as_str().unwrap();
        let (_, stored) = env.get(0, &format!("/v1/charges/{charge_id}")).await;
        assert_eq!(stored["paid"], false);
        assert_eq!(stored["status"], "failed");
    }
    let documented = env.tokenize(0, "4005571702222222").await;
    let (status, answer) = env.charge(0, &usd(500, &documented), None).await;
    assert_eq!(
        (status, answer["error"]["declineCode"].clone()),
        (402, json!("issuer_declined")),
        "Clover's decline test card"
    );
    let ledger = env.ledger().await;
    assert_eq!(
        ledger.iter().filter(|c| c["status"] == "declined").count(),
        4,
        "declines are recorded too"
    );
}

#[tokio::test]
async fn response_lost_card_charges_once_and_is_found_by_listing() {
    let env = Env::start(6).await;
    let (customer, token) = env.seeded_token(0, 4).await;
    assert_eq!(
        seed::customer(&env.config.seed, "clover/1", 4).cards[0].behaviour,
        CardBehaviour::ResponseLost
    );
    let body = json!({"amount": 700, "currency": "usd", "source": token, "metadata": {"order": "lost-1"},
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    for _ in 0..2 {
        let sent = env
            .http
            .post(env.url("/v1/charges"))
            .bearer_auth(env.token(0))
            .header("x-forwarded-for", "203.0.113.7")
            .header("idempotency-key", "lost-key")
            .json(&body)
            .send()
            .await;
        assert!(
            sent.is_err(),
            "the connection closes without an answer, on a resend too"
        );
    }
    let ledger = env.ledger().await;
    assert_eq!(ledger.len(), 1, "charged exactly once");
    assert_eq!(ledger[0]["status"], "approved");
    let (_, list) = env
        .get(0, &format!("/v1/charges?customer={customer}&limit=5"))
        .await;
    let found = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["metadata"]["order"] == "lost-1")
        .cloned();
    assert_eq!(
        found.map(|c| c["id"].clone()),
        Some(ledger[0]["id"].clone()),
        "the lost charge is listed"
    );
}

#[tokio::test]
async fn timeout_card_holds_the_request_and_charges_nothing() {
    let env = Env::start(6).await;
    env.http
        .put(format!("{}/faults", env.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 150}))
        .send()
        .await
        .unwrap();
    let (_, token) = env.seeded_token(0, 3).await;
    let (status, answer) = env.charge(0, &usd(700, &token), Some("slow")).await;
    assert_eq!(status, 504, "{answer}");
    assert!(
        env.ledger().await.is_empty(),
        "the timeout card charges nothing"
    );
    let short = reqwest::Client::builder()
        .user_agent("coffer-sandbox-tests")
        .timeout(Duration::from_millis(50))
        .build()
        .unwrap();
    let cut = short
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .json(&usd(700, &token))
        .send()
        .await;
    assert!(cut.is_err(), "a client with a shorter timeout gives up");
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let env = Env::start(30).await;
    let (_, token) = env.seeded_token(0, env.usable(true, 0)).await;
    let body = json!({"amount": 1200, "currency": "usd", "source": token,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let send = |b: Value| {
        env.http
            .post(env.url("/v1/charges"))
            .bearer_auth(env.token(0))
            .header("x-forwarded-for", "203.0.113.7")
            .header("idempotency-key", "4b1c0d2e-0000-4000-8000-000000000001")
            .json(&b)
            .send()
    };
    let first = send(body.clone()).await.unwrap().text().await.unwrap();
    let replay = send(body.clone()).await.unwrap().text().await.unwrap();
    assert_eq!(first, replay, "byte-for-byte replay");
    let mut other = body.clone();
    other["amount"] = json!(1300);
    let refused = send(other).await.unwrap();
    assert_eq!(refused.status(), 400);
    let answer: Value = refused.json().await.unwrap();
    assert_eq!(answer["error"]["type"], "idempotency_error");
    assert_eq!(env.ledger().await.len(), 1, "one charge for one key");
    let (_, declined) = env.seeded_token(0, 0).await;
    let d = json!({"amount": 100, "currency": "usd", "source": declined});
    let (s1, a1) = env.charge(0, &d, Some("decline-key")).await;
    let (s2, a2) = env.charge(0, &d, Some("decline-key")).await;
    assert_eq!((s1, &a1), (s2, &a2), "a decline replays too");
    assert_eq!(env.ledger().await.len(), 2);
}

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

#[tokio::test]
async fn state_file_round_trip_keeps_charges_and_cards() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(6);
    config.state_file = Some(path.clone());
    let env = Env::with(config.clone()).await;
    let (customer, token) = env.saved_card(0, "4242424242424242").await;
    let (_, charge) = env.charge(0, &json!({"amount": 100, "currency": "usd", "source": token,
        "stored_credentials": {"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": false}}), Some("persist")).await;
    let id = charge["id"].as_str().unwrap().to_string();
    let (_, before) = env.get(0, &format!("/v1/charges/{id}")).await;
    drop(env);
    for _ in 0..100 {
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        if written.contains(&id) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let again = Env::with(config).await;
    let (status, after) = again.get(0, &format!("/v1/charges/{id}")).await;
    assert_eq!(
        (status, after),
        (200, before),
        "the charge survives a restart"
    );
    let mit = json!({"amount": 300, "currency": "usd", "source": token,
        "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}});
    let (_, charge) = again.charge(0, &mit, None).await;
    assert!(
        charge.get("warning_message").is_none(),
        "the recorded initial survives too"
    );
    let (status, _) = again.get(0, &format!("/v1/customers/{customer}")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn seeds_one_hundred_thousand_customers_per_merchant() {
    let env = Env::start(100_000).await;
    for m in 0..3 {
        let mid = env.mid(m);
        let (status, tail) = env
            .get(
                m,
                &format!("/v3/merchants/{mid}/customers?expand=cards&limit=1000&offset=99990"),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            tail["elements"].as_array().unwrap().len(),
            10,
            "exactly 100,000 customers"
        );
        let last = tail["elements"][9]["id"].as_str().unwrap();
        let (status, _) = env.get(m, &format!("/v1/customers/{last}")).await;
        assert_eq!(status, 200);
        let (_, page) = env
            .get(m, &format!("/v3/merchants/{mid}/customers?limit=5000"))
            .await;
        assert_eq!(
            page["elements"].as_array().unwrap().len(),
            1000,
            "pages stop at the hard maximum"
        );
    }
    let (_, charges) = env.get(0, "/v1/charges?limit=100").await;
    assert_eq!(charges["data"].as_array().unwrap().len(), 100);
    assert_eq!(charges["has_more"], true);
    let mid = env.mid(1);
    let (status, head) = env.initials(&format!("merchant={mid}&limit=5000")).await;
    assert_eq!(status, 200);
    assert_eq!(
        head["initials"].as_array().unwrap().len(),
        1000,
        "initials pages stop at 1000"
    );
    let total = head["total"].as_u64().unwrap() as usize;
    assert!(total > 100_000, "most cards have an initial: {total}");
    let (_, tail) = env
        .initials(&format!("merchant={mid}&offset={}&limit=1000", total - 2))
        .await;
    let tail = tail["initials"].as_array().unwrap();
    assert_eq!(tail.len(), 2, "the last page ends at total");
    let last = (0..100_000)
        .rev()
        .find(|&i| {
            seed::customer(&env.config.seed, "clover/2", i)
                .cards
                .iter()
                .any(|c| c.has_initial)
        })
        .unwrap();
    assert_eq!(tail[1]["customer"], format!("C2{last:011}"));
}

#[tokio::test]
async fn a_sixth_concurrent_request_of_one_token_is_rate_limited() {
    let env = Env::start(6).await;
    env.http
        .put(format!("{}/faults", env.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 400}))
        .send()
        .await
        .unwrap();
    let (_, token) = env.seeded_token(0, 3).await;
    let send = || {
        env.http
            .post(env.url("/v1/charges"))
            .bearer_auth(env.token(0))
            .header("x-forwarded-for", "203.0.113.7")
            .json(&usd(100, &token))
            .send()
    };
    let (a, b, c, d, e, f) = tokio::join!(send(), send(), send(), send(), send(), send());
    let responses: Vec<reqwest::Response> =
        [a, b, c, d, e, f].into_iter().map(Result::unwrap).collect();
    let limited: Vec<&reqwest::Response> = responses.iter().filter(|r| r.status() == 429).collect();
    assert_eq!(limited.len(), 1, "five run at once, the sixth is refused");
    assert_eq!(limited[0].headers()["retry-after"], "1");
    assert_eq!(
        limited[0].headers()["x-ratelimit-tokenconcurrentlimit"],
        "5"
    );
    assert_eq!(responses.iter().filter(|r| r.status() == 504).count(), 5);
    let (status, _) = env.get(0, "/pakms/apikey").await;
    assert_eq!(status, 200, "the slots are free again");
}

#[tokio::test]
async fn a_charge_answered_502_by_the_proxy_was_made_and_is_found_by_its_lookup() {
    let env = Env::start(5).await;
    let token = env.tokenize(0, "4242424242424242").await;
    let next = env.tokenize(0, "4242424242424242").await;
    let knobs = crate::set_faults(&env.sandbox, json!({"error_after_write_next": 1})).await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let (status, _) = env.get(0, "/v1/charges").await;
    assert_eq!(status, 200, "a lookup passes the counter by");
    let response = env
        .http
        .post(env.url("/v1/charges"))
        .bearer_auth(env.token(0))
        .header("x-forwarded-for", "203.0.113.7")
        .header("idempotency-key", "k-502")
        .json(&usd(2500, &token))
        .send()
        .await
        .unwrap();
    crate::assert_bad_gateway(response, "the charge").await;
    let ledger = env.ledger().await;
    assert_eq!(ledger.len(), 1, "the charge behind the 502 was made");
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["amount_minor"], 2500);
    assert_eq!(ledger[0]["idempotency_key"], "k-502");
    let id = ledger[0]["id"].as_str().unwrap();
    let (status, found) = env.get(0, &format!("/v1/charges/{id}")).await;
    assert_eq!(status, 200, "Clover's own lookup finds the charge: {found}");
    assert_eq!(found["paid"], true, "and shows it paid");
    let (status, listed) = env.get(0, "/v1/charges?limit=1").await;
    assert_eq!(status, 200);
    assert_eq!(
        listed["data"][0]["id"], id,
        "the listing a key search walks shows it too: {listed}"
    );
    let (status, replay) = env.charge(0, &usd(2500, &token), Some("k-502")).await;
    assert_eq!(
        (status, replay["id"].as_str()),
        (200, Some(id)),
        "a resend under the same key replays the answer the proxy lost: {replay}"
    );
    let (status, other) = env.charge(0, &usd(1200, &next), Some("k-next")).await;
    assert_eq!(status, 200, "the next write is answered as usual: {other}");
    assert_eq!(
        env.ledger().await.len(),
        2,
        "one charge per card: the replay moved no money"
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
