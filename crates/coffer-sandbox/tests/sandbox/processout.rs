//! The ProcessOut emulator over real HTTP: the documented shapes, errors, rules and test cards.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use coffer_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

struct Po {
    sandbox: Sandbox,
    http: reqwest::Client,
    base: String,
    project: String,
    secret: String,
    other_project: String,
    other_secret: String,
    /// Every provider's merchants, as the admin API lists them.
    merchants: Vec<Value>,
}

impl Po {
    async fn start(customers: usize) -> Po {
        Po::with_config(SandboxConfig::demo(customers)).await
    }

    async fn with_config(config: SandboxConfig) -> Po {
        let sandbox = Sandbox::start(config).await.unwrap();
        let http = reqwest::Client::new();
        let merchants: Vec<Value> = http
            .get(format!("{}/merchants", sandbox.urls.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let ours: Vec<&Value> = merchants
            .iter()
            .filter(|m| m["account"]["provider"] == "process_out")
            .collect();
        assert_eq!(ours.len(), 2, "two ProcessOut projects are seeded");
        let currencies: Vec<&str> = ours
            .iter()
            .map(|m| m["currency"].as_str().unwrap())
            .collect();
        assert!(
            currencies.contains(&"EUR") && currencies.iter().any(|c| *c != "EUR"),
            "EUR and another currency"
        );
        let project = ours[0]["account"]["project_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            project.starts_with("test-proj_"),
            "sandbox project ids carry test-: {project}"
        );
        Po {
            base: sandbox.urls.processout.clone(),
            secret: ours[0]["secret"].as_str().unwrap().to_string(),
            other_project: ours[1]["account"]["project_id"]
                .as_str()
                .unwrap()
                .to_string(),
            other_secret: ours[1]["secret"].as_str().unwrap().to_string(),
            merchants: merchants.clone(),
            project,
            http,
            sandbox,
        }
    }

    fn req(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{}", self.base, path))
            .basic_auth(&self.project, Some(&self.secret))
            .header("API-Version", "1.4.0.0")
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        read(self.req(reqwest::Method::GET, path).send().await.unwrap()).await
    }

    async fn post(&self, path: &str, body: Value, key: Option<&str>) -> (u16, Value) {
        let mut r = self.req(reqwest::Method::POST, path).json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        read(r.send().await.unwrap()).await
    }

    async fn ledger(&self) -> Vec<Value> {
        self.http
            .get(format!(
                "{}/charges?provider=processout",
                self.sandbox.urls.admin
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The seeded customer with this last name ("Soft-Decline", …) and its first token.
    async fn special(&self, last_name: &str) -> (String, String) {
        let (_, page) = self.get("/customers?order=asc&limit=10").await;
        let c = page["customers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["last_name"] == last_name)
            .unwrap_or_else(|| panic!("no customer {last_name}"))
            .clone();
        let id = c["id"].as_str().unwrap().to_string();
        (id, c["default_token_id"].as_str().unwrap().to_string())
    }

    /// A customer past the special ones whose default card approves and whose initial CIT is
    /// recorded (`linked`) or not.
    async fn approving(&self, linked: bool) -> (String, String) {
        let (_, page) = self.get("/customers?order=asc&limit=100").await;
        for c in page["customers"].as_array().unwrap().iter().skip(5) {
            let id = c["id"].as_str().unwrap();
            let (_, tokens) = self.get(&format!("/customers/{id}/tokens")).await;
            for t in tokens["tokens"].as_array().unwrap() {
                let card = &t["card"];
                let last4 = card["last_4_digits"].as_str().unwrap();
                if ["0010", "1216"].contains(&last4) {
                    continue;
                }
                if card["initial_scheme_transaction_id"].is_string() == linked {
                    return (id.to_string(), t["id"].as_str().unwrap().to_string());
                }
            }
        }
        panic!("no approving card with linked={linked}");
    }

    async fn invoice(&self, customer: &str, amount: &str, initiation: &str, intent: &str) -> Value {
        let (status, body) = self
            .post(
                "/invoices",
                json!({"name": "Contract K-1042 February 2026", "amount": amount, "currency": "EUR",
                       "customer_id": customer, "order_id": "K1042-2026-02",
                       "initiation_type": initiation, "payment_intent": intent}),
                None,
            )
            .await;
        assert_eq!(status, 200, "invoice created: {body}");
        body["invoice"].clone()
    }
}

async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

fn assert_error(status: u16, body: &Value, want_status: u16, error_type: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["success"], false, "errors carry success:false: {body}");
    assert_eq!(body["error_type"], error_type, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "errors carry a message"
    );
}

#[tokio::test]
async fn every_route_needs_basic_auth_with_the_project_secret() {
    let po = Po::start(3).await;
    let anonymous = po
        .http
        .get(format!("{}/customers", po.base))
        .send()
        .await
        .unwrap();
    let (status, body) = read(anonymous).await;
    assert_error(status, &body, 401, "request.authentication.invalid");
    let wrong = po
        .http
        .get(format!("{}/customers", po.base))
        .basic_auth(&po.project, Some("key_sandbox_nope"));
    let (status, body) = read(wrong.send().await.unwrap()).await;
    assert_error(status, &body, 401, "request.authentication.invalid");
    let crossed = po
        .http
        .post(format!("{}/invoices", po.base))
        .basic_auth(&po.other_project, Some(&po.secret));
    let (status, body) = read(crossed.json(&json!({})).send().await.unwrap()).await;
    assert_error(status, &body, 401, "request.authentication.invalid");
    let (status, body) = po.get("/customers").await;
    assert_eq!(status, 200);
    assert_eq!(body["success"], true, "every success carries success:true");
}

#[tokio::test]
async fn a_sandbox_seeded_for_clover_alone_keeps_the_projects_without_customers() {
    let po = Po::with_config(SandboxConfig {
        only_seed: Some(coffer_core::ProviderKind::Clover),
        ..SandboxConfig::demo(7)
    })
    .await;
    let (status, body) = po.get("/customers").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["customers"].as_array().map(Vec::len),
        Some(0),
        "{body}"
    );
    let clover = po
        .merchants
        .iter()
        .find(|m| m["account"]["provider"] == "clover")
        .unwrap();
    let (mid, token) = (
        clover["account"]["merchant_uuid"].as_str().unwrap(),
        clover["secret"].as_str().unwrap(),
    );
    let url = format!(
        "{}/v3/merchants/{mid}/customers?limit=100",
        po.sandbox.urls.clover
    );
    let (_, page) = read(po.http.get(url).bearer_auth(token).send().await.unwrap()).await;
    assert_eq!(page["elements"].as_array().map(Vec::len), Some(7), "{page}");
}

#[tokio::test]
async fn customers_page_with_the_documented_cursor() {
    let po = Po::start(60).await;
    let (status, first) = po.get("/customers").await;
    assert_eq!(status, 200);
    assert_eq!(
        first["customers"].as_array().unwrap().len(),
        10,
        "default limit is 10"
    );
    assert_eq!(first["limit"], 10);
    assert_eq!(first["order"], "desc");
    assert_eq!(first["has_more"], true);
    assert_eq!(first["total_count"], 60);
    assert_eq!(first["count"], 10);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/customers?limit=25&start_after={c}"),
            None => "/customers?limit=25".to_string(),
        };
        let (_, page) = po.get(&path).await;
        let ids: Vec<String> = page["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect();
        if let Some(c) = &cursor {
            assert!(!ids.contains(c), "the cursor object is excluded");
        }
        cursor = ids.last().cloned();
        seen.extend(ids);
        if page["has_more"] == false {
            break;
        }
    }
    assert_eq!(seen.len(), 60, "every customer once");
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 60);
    assert!(seen
        .iter()
        .all(|id| id.starts_with("cust_") && id.len() == 37));
    let (_, asc) = po.get("/customers?order=asc&limit=1").await;
    assert_eq!(
        asc["customers"][0]["id"].as_str(),
        seen.last().map(String::as_str),
        "asc starts with the oldest"
    );
    let (_, before) = po
        .get(&format!("/customers?limit=5&end_before={}", seen[20]))
        .await;
    let before_ids: Vec<&str> = before["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        before_ids,
        seen[15..20].iter().map(String::as_str).collect::<Vec<_>>()
    );
    let (status, body) = po
        .get(&format!(
            "/customers?start_after={}&end_before={}",
            seen[1], seen[5]
        ))
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-pagination");
    let (status, body) = po.get("/customers?limit=101").await;
    assert_error(status, &body, 400, "request.validation.invalid-limit");
    let (status, body) = po.get("/customers?limit=0").await;
    assert_error(status, &body, 400, "request.validation.invalid-limit");
}

#[tokio::test]
async fn customers_and_tokens_are_found_only_where_they_belong() {
    let po = Po::start(10).await;
    let (customer, token) = po.special("Soft-Decline").await;
    let (status, body) = po.get(&format!("/customers/{customer}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["customer"]["default_token_id"], token.as_str());
    assert_eq!(body["customer"]["sandbox"], true);
    let (_, tokens) = po.get(&format!("/customers/{customer}/tokens")).await;
    let t = &tokens["tokens"][0];
    assert_eq!(t["id"], token.as_str());
    assert_eq!(t["type"], "card");
    assert_eq!(t["is_default"], true);
    assert_eq!(t["is_chargeable"], true);
    assert_eq!(t["card"]["last_4_digits"], "0341");
    assert_eq!(t["summary"], "**** **** **** 0341");
    assert!(
        t["card"]["exp_year"].as_i64().unwrap() > 2000,
        "4-digit year as a number"
    );
    let (status, _) = po
        .get(&format!("/customers/{customer}/tokens/{token}"))
        .await;
    assert_eq!(status, 200);
    let (other, _) = po.special("Hard-Decline").await;
    let (status, body) = po.get(&format!("/customers/{other}/tokens/{token}")).await;
    assert_error(status, &body, 404, "resource.token.not-found");
    let theirs = po.invoice(&other, "5", "mit", "recurring").await;
    let (status, body) = po
        .post(
            &format!("/invoices/{}/capture", theirs["id"].as_str().unwrap()),
            json!({"source": token}),
            None,
        )
        .await;
    assert_error(status, &body, 404, "resource.token.not-found");
    assert!(
        po.ledger().await.is_empty(),
        "another customer's token charges nothing"
    );
    let (status, body) = po.get("/customers/cust_nope").await;
    assert_error(status, &body, 404, "resource.customer.not-found");
    let (status, body) = po.get("/invoices/iv_nope").await;
    assert_error(status, &body, 404, "resource.invoice.not-found");
    let (status, body) = po.get("/transactions/tr_nope").await;
    assert_error(status, &body, 404, "resource.transaction.not-found");
    let (status, body) = po
        .post(
            "/customers",
            json!({"first_name": "Eva", "email": "eva@example.com", "phone": null}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let created = body["customer"]["id"].as_str().unwrap();
    let (_, first) = po.get("/customers?limit=1").await;
    assert_eq!(
        first["customers"][0]["id"], created,
        "the newest customer leads the default desc order"
    );
}

#[tokio::test]
async fn a_monthly_mit_charge_follows_the_documented_example() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "568.10", "mit", "recurring").await;
    assert_eq!(invoice["amount"], "568.1", "amounts come back unpadded");
    assert_eq!(
        invoice["initiation_type"], "MIT",
        "echoed upper case as in the docs"
    );
    assert_eq!(invoice["payment_intent"], "recurring");
    assert!(invoice["id"].as_str().unwrap().starts_with("iv_"));
    let iv = invoice["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("coffer-capture-K1042-2026-02"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let tr = &body["transaction"];
    assert_eq!(tr["status"], "completed");
    assert_eq!(tr["amount"], "568.1");
    assert_eq!(tr["captured_amount"], "568.1");
    assert_eq!(tr["currency"], "EUR");
    assert_eq!(tr["invoice_id"], iv);
    assert!(tr["error_code"].is_null());
    assert_eq!(tr["scheme_id"].as_str().unwrap().len(), 15);
    assert!(
        tr["initial_scheme_transaction_id"].is_string(),
        "the MIT is linked to the card's initial CIT"
    );
    let tr_id = tr["id"].as_str().unwrap();
    let (_, again) = po.get(&format!("/transactions/{tr_id}")).await;
    assert_eq!(again["transaction"]["status"], "completed");
    let (_, by_invoice) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(by_invoice["transaction"]["id"], tr_id);
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    assert!(mine["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == tr_id));
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1, "one payment processed");
    let entry = &ledger[0];
    assert_eq!(entry["amount_minor"], 56810);
    assert_eq!(entry["status"], "approved");
    assert_eq!(entry["card_token"], token.as_str());
    assert_eq!(entry["idempotency_key"], "coffer-capture-K1042-2026-02");
    assert_eq!(entry["stored_credential"]["initiation_type"], "mit");
    assert_eq!(entry["stored_credential"]["payment_intent"], "recurring");
    assert_eq!(
        entry["warnings"],
        json!([]),
        "a linked MIT raises no warning"
    );
}

#[tokio::test]
async fn an_mit_on_a_card_without_an_initial_cit_is_flagged() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(false).await;
    let invoice = po.invoice(&customer, "10", "mit", "unscheduled").await;
    let (status, _) = po
        .post(
            &format!("/invoices/{}/capture", invoice["id"].as_str().unwrap()),
            json!({"source": token}),
            None,
        )
        .await;
    assert_eq!(status, 200);
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert!(
        ledger[0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("without an initial scheme transaction"),
        "{}",
        ledger[0]
    );
    // A CIT that starts a series records the link; the next MIT on the card is then clean.
    let cit = po.invoice(&customer, "1", "cit", "recurring").await;
    po.post(
        &format!("/invoices/{}/capture", cit["id"].as_str().unwrap()),
        json!({"source": token}),
        None,
    )
    .await;
    let (_, t) = po
        .get(&format!("/customers/{customer}/tokens/{token}"))
        .await;
    assert!(
        t["token"]["card"]["initial_scheme_transaction_id"].is_string(),
        "{t}"
    );
    let mit = po.invoice(&customer, "10", "mit", "recurring").await;
    po.post(
        &format!("/invoices/{}/capture", mit["id"].as_str().unwrap()),
        json!({"source": token}),
        None,
    )
    .await;
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger[2]["warnings"], json!([]));
}

#[tokio::test]
async fn invoice_creation_validates_the_documented_fields() {
    let po = Po::start(3).await;
    let cases = [
        (
            json!({"amount": "1", "currency": "EUR"}),
            "request.validation.invalid-name",
        ),
        (
            json!({"name": "x", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "1"}),
            "request.validation.invalid-currency",
        ),
        (
            json!({"name": "x", "amount": "1.234", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "-5", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "ten", "currency": "EUR"}),
            "request.validation.invalid-amount",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EURO"}),
            "request.validation.invalid-currency",
        ),
        (
            json!({"name": "x".repeat(81), "amount": "1", "currency": "EUR"}),
            "request.validation.invalid-name",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EUR", "initiation_type": "moto"}),
            "request.validation.invalid-initiation-type",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EUR", "payment_intent": "monthly"}),
            "request.validation.invalid-payment-intent",
        ),
        (
            json!({"name": "x", "amount": "1", "currency": "EUR", "description": "d".repeat(256)}),
            "request.validation.invalid-description",
        ),
    ];
    for (body, error_type) in cases {
        let (status, answer) = po.post("/invoices", body.clone(), None).await;
        assert_error(status, &answer, 400, error_type);
    }
    let (status, body) = po
        .post(
            "/invoices",
            json!({"name": "x", "amount": "1", "currency": "EUR", "customer_id": "cust_nope"}),
            None,
        )
        .await;
    assert_error(status, &body, 404, "resource.customer.not-found");
    let (status, body) = po
        .post(
            "/invoices",
            json!({"name": "x", "amount": "29.50", "currency": "EUR", "order_id": null, "customer_id": null,
                   "some_future_field": {"a": 1}, "details": [{"name": "Plan", "amount": "29.50", "quantity": 1}]}),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "null is absent and unknown keys are ignored: {body}"
    );
    assert_eq!(body["invoice"]["amount"], "29.5");
    assert!(body["invoice"]["details"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("iv_det_"));
    let raw = po
        .req(reqwest::Method::POST, "/invoices")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = read(raw).await;
    assert_error(status, &body, 400, "request.validation.invalid-body");
    let patch = po
        .req(reqwest::Method::PATCH, "/invoices")
        .send()
        .await
        .unwrap();
    let (status, body) = read(patch).await;
    assert_error(status, &body, 405, "request.route.method-not-allowed");
}

#[tokio::test]
async fn test_cards_decline_with_documented_codes() {
    let po = Po::start(10).await;
    for (last_name, code) in [
        ("Soft-Decline", "card.no-money"),
        ("Hard-Decline", "card.stolen"),
        ("Expired-Card", "card.expired"),
    ] {
        let (customer, token) = po.special(last_name).await;
        let invoice = po.invoice(&customer, "12.00", "mit", "recurring").await;
        let iv = invoice["id"].as_str().unwrap();
        let (status, body) = po
            .post(
                &format!("/invoices/{iv}/capture"),
                json!({"source": token}),
                None,
            )
            .await;
        assert_error(status, &body, 410, code);
        let (_, t) = po.get(&format!("/invoices/{iv}/transactions")).await;
        assert_eq!(t["transaction"]["status"], "failed", "{last_name}");
        assert_eq!(t["transaction"]["error_code"], code);
    }
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 3, "declines are recorded too");
    assert!(ledger.iter().all(|c| c["status"] == "declined"));
}

#[tokio::test]
async fn idempotency_key_replays_the_first_answer_and_refuses_another_body() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let body = json!({"name": "K-1", "amount": "25", "currency": "EUR", "customer_id": customer});
    let first = po
        .req(reqwest::Method::POST, "/invoices")
        .header("Idempotency-Key", "inv-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    let first = first.text().await.unwrap();
    let second = po
        .req(reqwest::Method::POST, "/invoices")
        .header("Idempotency-Key", "inv-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(first, second.text().await.unwrap(), "byte-for-byte replay");
    let (status, answer) = po
        .post(
            "/invoices",
            json!({"name": "K-1", "amount": "26", "currency": "EUR", "customer_id": customer}),
            Some("inv-1"),
        )
        .await;
    assert_error(status, &answer, 409, "request.idempotency-key.reused");
    let iv: Value = serde_json::from_str(&first).unwrap();
    let iv = iv["invoice"]["id"].as_str().unwrap().to_string();
    let (_, a) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("cap-1"),
        )
        .await;
    let (_, b) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("cap-1"),
        )
        .await;
    assert_eq!(a, b);
    assert_eq!(po.ledger().await.len(), 1, "a replay charges nothing");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("cap-2"),
        )
        .await;
    assert_error(status, &body, 400, "request.transaction.already-captured");
}

#[tokio::test]
async fn refunds_accumulate_up_to_the_captured_amount() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "10.00", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let (_, captured) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    let tr = captured["transaction"]["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "4", "reason": "customer_request"}),
            Some("r1"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["refund"]["id"].as_str().unwrap().starts_with("refd_"));
    assert_eq!(body["refund"]["amount"], "4");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "6.01"}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    let (status, body) = po
        .post(&format!("/invoices/{iv}/refunds"), json!({}), None)
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "1", "reason": "bored"}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-reason");
    let (status, _) = po
        .post(&format!("/transactions/{tr}/refunds"), json!({}), None)
        .await;
    assert_eq!(status, 200, "omitting the amount refunds what is left");
    let (_, t) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(t["transaction"]["refunded_amount"], "10");
    assert_eq!(t["transaction"]["status"], "refunded");
    let (_, refunds) = po.get(&format!("/transactions/{tr}/refunds")).await;
    assert_eq!(refunds["refunds"].as_array().unwrap().len(), 2);
    let (status, body) = po
        .post(&format!("/transactions/{tr}/refunds"), json!({}), None)
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    assert_eq!(
        body["message"],
        "No amount is available on the transaction to be refunded."
    );
    let kinds: Vec<Value> = po
        .ledger()
        .await
        .iter()
        .map(|c| c["kind"].clone())
        .collect();
    assert_eq!(
        kinds,
        vec![json!("charge"), json!("refund"), json!("refund")]
    );
}

#[tokio::test]
async fn authorizations_can_be_voided_or_captured_once() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let first = po.invoice(&customer, "5", "mit", "recurring").await;
    let iv = first["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/authorize"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["transaction"]["status"], "authorized");
    let (status, body) = po
        .post(&format!("/invoices/{iv}/void"), json!({}), None)
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["transaction"]["status"], "voided");
    assert_eq!(body["transaction"]["voided_amount"], "5");
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.transaction.voided");
    let second = po.invoice(&customer, "7", "mit", "recurring").await;
    let iv = second["id"].as_str().unwrap();
    po.post(
        &format!("/invoices/{iv}/authorize"),
        json!({"source": token}),
        None,
    )
    .await;
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"capture_amount": "4.5"}),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "capturing an authorization needs no source: {body}"
    );
    assert_eq!(body["transaction"]["status"], "completed");
    assert_eq!(body["transaction"]["authorized_amount"], "7");
    assert_eq!(
        body["transaction"]["captured_amount"], "4.5",
        "a partial capture"
    );
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/refunds"),
            json!({"amount": "5"}),
            None,
        )
        .await;
    assert_error(status, &body, 400, "request.validation.invalid-amount");
    let (status, body) = po
        .post(&format!("/invoices/{iv}/void"), json!({}), None)
        .await;
    assert_error(status, &body, 400, "request.transaction.not-voidable");
}

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

#[tokio::test]
async fn the_timeout_card_holds_the_request_and_charges_nothing() {
    let po = Po::start(10).await;
    po.http
        .put(format!("{}/faults", po.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 400}))
        .send()
        .await
        .unwrap();
    let (customer, token) = po.special("Timeout").await;
    let invoice = po.invoice(&customer, "9", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let sent = po
        .req(reqwest::Method::POST, &format!("/invoices/{iv}/capture"))
        .json(&json!({"source": token}))
        .timeout(std::time::Duration::from_millis(100))
        .send()
        .await;
    assert!(
        sent.unwrap_err().is_timeout(),
        "no answer within the client's timeout"
    );
    let (_, t) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(
        t["transaction"]["status"], "waiting",
        "nothing was attempted"
    );
    assert!(po.ledger().await.is_empty(), "nothing charged");
}

#[tokio::test]
async fn the_response_lost_card_charges_and_never_answers() {
    let po = Po::start(10).await;
    let (customer, token) = po.special("Response-Lost").await;
    let invoice = po.invoice(&customer, "9", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    for _ in 0..2 {
        let sent = po
            .req(reqwest::Method::POST, &format!("/invoices/{iv}/capture"))
            .header("Idempotency-Key", "lost-1")
            .json(&json!({"source": token}))
            .send()
            .await;
        assert!(
            sent.is_err(),
            "the connection closes without an answer, replays included"
        );
    }
    let (_, t) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(
        t["transaction"]["status"], "completed",
        "the charge was made"
    );
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1, "once");
    assert_eq!(ledger[0]["status"], "approved");
}

#[tokio::test]
async fn state_survives_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(20);
    config.state_file = Some(path.clone());
    let po = Po::with_config(config.clone()).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "42", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap().to_string();
    let (_, captured) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("k-restart"),
        )
        .await;
    let (_, before) = po.get(&format!("/invoices/{iv}/transactions")).await;
    let (_, customers_before) = po.get("/customers?limit=100").await;
    drop(po);
    for _ in 0..100 {
        if std::fs::read_to_string(&path).is_ok_and(|s| s.contains(&iv)) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let po = Po::with_config(config).await;
    let (_, after) = po.get(&format!("/invoices/{iv}/transactions")).await;
    assert_eq!(before, after, "the transaction is restored as it was");
    let (_, customers_after) = po.get("/customers?limit=100").await;
    assert_eq!(customers_before, customers_after);
    let (_, replay) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("k-restart"),
        )
        .await;
    assert_eq!(replay, captured, "the idempotency store is restored too");
}

#[tokio::test]
async fn seeding_scales_to_100000_customers_per_project() {
    let po = Po::start(100_000).await;
    let (_, page) = po.get("/customers?limit=100").await;
    assert_eq!(page["total_count"], 100_000);
    assert_eq!(page["customers"].as_array().unwrap().len(), 100);
    let last = page["customers"][99]["id"].as_str().unwrap().to_string();
    let (_, next) = po
        .get(&format!("/customers?limit=100&start_after={last}"))
        .await;
    assert_eq!(next["customers"].as_array().unwrap().len(), 100);
    assert_ne!(next["customers"][0]["id"], page["customers"][0]["id"]);
    let other = po
        .http
        .get(format!("{}/customers?limit=1", po.base))
        .basic_auth(&po.other_project, Some(&po.other_secret));
    let (_, other) = read(other.send().await.unwrap()).await;
    assert_eq!(other["total_count"], 100_000, "every project is seeded");
}

#[tokio::test]
async fn a_deleted_customer_is_gone_and_charges_without_a_customer_find_theirs() {
    let po = Po::start(12).await;
    let (customer, token) = po.approving(true).await;
    let (status, body) = po
        .post(
            "/invoices",
            json!({"name": "walk-in", "amount": "3", "currency": "EUR"}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let iv = body["invoice"]["id"].as_str().unwrap();
    let (status, body) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let tr = body["transaction"]["id"].as_str().unwrap().to_string();
    let (_, mine) = po
        .get(&format!("/customers/{customer}/transactions?order=asc"))
        .await;
    let ids: Vec<&str> = mine["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids.last(),
        Some(&tr.as_str()),
        "the token's owner is the payer"
    );

    let deleted = po
        .req(reqwest::Method::DELETE, &format!("/customers/{customer}"))
        .send()
        .await
        .unwrap();
    assert_eq!(read(deleted).await.1["success"], true);
    let (status, body) = po.get(&format!("/customers/{customer}")).await;
    assert_error(status, &body, 404, "resource.customer.not-found");
    let (_, list) = po.get("/customers?limit=100").await;
    assert_eq!(list["total_count"], 11);
    assert!(list["customers"]
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["id"] != customer.as_str()));
}

#[tokio::test]
async fn events_record_payments_refunds_and_tokens() {
    let po = Po::start(12).await;
    let (_, none) = po.get("/events").await;
    assert_eq!(none["total_count"], 0, "the seed fired nothing");
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "8", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    po.post(
        &format!("/invoices/{iv}/capture"),
        json!({"source": token}),
        None,
    )
    .await;
    po.post(
        &format!("/invoices/{iv}/refunds"),
        json!({"amount": "2"}),
        None,
    )
    .await;
    let (soft, soft_token) = po.special("Soft-Decline").await;
    let failing = po.invoice(&soft, "8", "mit", "recurring").await;
    po.post(
        &format!("/invoices/{}/capture", failing["id"].as_str().unwrap()),
        json!({"source": soft_token}),
        None,
    )
    .await;
    po.post(&format!("/customers/{customer}/tokens"), json!({}), None)
        .await;
    let (_, events) = po.get("/events?order=asc").await;
    let names: Vec<&str> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "transaction.captured",
            "transaction.refunded",
            "transaction.failed",
            "customer.token.created"
        ]
    );
    let first = &events["events"][0];
    assert_eq!(
        first["data"]["transaction"]["invoice_id"], iv,
        "transaction events carry invoice_id"
    );
    assert_eq!(first["data"]["name"], "transaction.captured");
    let id = first["id"].as_str().unwrap();
    assert!(id.starts_with("ev_"));
    let (status, one) = po.get(&format!("/events/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["event"]["data"], first["data"]);
    let (status, body) = po.get("/events/ev_nope").await;
    assert_error(status, &body, 404, "resource.event.not-found");
}

#[tokio::test]
async fn an_admin_reset_returns_to_the_seed() {
    let po = Po::start(12).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "8", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    po.post(
        &format!("/invoices/{iv}/capture"),
        json!({"source": token}),
        Some("k-reset"),
    )
    .await;
    let (_, before) = po.get("/customers?limit=100").await;
    let reset = po
        .http
        .post(format!("{}/reset", po.sandbox.urls.admin))
        .send()
        .await
        .unwrap();
    assert!(reset.status().is_success());
    let (status, body) = po.get(&format!("/invoices/{iv}")).await;
    assert_error(status, &body, 404, "resource.invoice.not-found");
    let (_, events) = po.get("/events").await;
    assert_eq!(events["total_count"], 0);
    let (_, after) = po.get("/customers?limit=100").await;
    assert_eq!(before, after, "the seeded customers are as before");
    let (_, again) = po
        .post(
            "/invoices",
            json!({"name": "again", "amount": "1", "currency": "EUR"}),
            Some("k-reset"),
        )
        .await;
    assert_eq!(
        again["success"], true,
        "the idempotency store is cleared too"
    );
}

#[tokio::test]
async fn a_capture_answered_502_by_the_proxy_was_made_and_is_found_by_its_lookup() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let invoice = po.invoice(&customer, "12.00", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let knobs = crate::set_faults(&po.sandbox, json!({"error_after_write_next": 1})).await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let (status, _) = po.get(&format!("/invoices/{iv}")).await;
    assert_eq!(status, 200, "a lookup passes the counter by");
    let capture = format!("/invoices/{iv}/capture");
    let response = po
        .req(reqwest::Method::POST, &capture)
        .header("Idempotency-Key", "k-502")
        .json(&json!({"source": token}))
        .send()
        .await
        .unwrap();
    crate::assert_bad_gateway(response, "the capture").await;
    let ledger = po.ledger().await;
    assert_eq!(ledger.len(), 1, "the capture behind the 502 was made");
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["amount_minor"], 1200);
    let tr = ledger[0]["id"].as_str().unwrap();
    let (status, found) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(status, 200, "ProcessOut's own lookup finds it: {found}");
    assert_eq!(found["transaction"]["status"], "completed", "captured");
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    assert!(
        mine["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == tr && t["invoice_id"] == iv),
        "the customer's listing a reconcile walks shows it: {mine}"
    );
    let (status, replay) = po
        .post(&capture, json!({"source": token}), Some("k-502"))
        .await;
    assert_eq!(
        (status, &replay["transaction"]["id"]),
        (200, &json!(tr)),
        "a resend under the same key replays the answer the proxy lost: {replay}"
    );
    let next = po.invoice(&customer, "3.00", "mit", "recurring").await;
    assert!(
        next["id"].is_string(),
        "the next write is answered as usual"
    );
    assert_eq!(po.ledger().await.len(), 1, "the replay moved no money");
}

#[tokio::test]
async fn lookups_under_lag_show_a_capture_and_a_refund_only_once_they_are_old_enough() {
    let po = Po::start(30).await;
    let (customer, token) = po.approving(true).await;
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    let seeded = mine["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["status"] == "completed")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let knobs = crate::set_faults(&po.sandbox, json!({"lookup_lag_secs": crate::LAG_SECS})).await;
    assert_eq!(
        knobs["lookup_lag_secs"],
        crate::LAG_SECS,
        "the PUT echoes the knob"
    );
    let invoice = po.invoice(&customer, "12.00", "mit", "recurring").await;
    let iv = invoice["id"].as_str().unwrap();
    let (status, paid) = po
        .post(
            &format!("/invoices/{iv}/capture"),
            json!({"source": token}),
            Some("k-lag"),
        )
        .await;
    assert_eq!(status, 200, "the writes themselves are not lagged: {paid}");
    let tr = paid["transaction"]["id"].as_str().unwrap();
    let (status, _) = po.get(&format!("/invoices/{iv}")).await;
    assert_eq!(
        status, 404,
        "a fresh invoice is not visible to a lookup yet"
    );
    let (status, _) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(status, 404, "nor its transaction");
    let (_, mine) = po.get(&format!("/customers/{customer}/transactions")).await;
    let listed: Vec<&Value> = mine["transactions"].as_array().unwrap().iter().collect();
    assert!(
        listed.iter().all(|t| t["id"] != tr),
        "nor the customer's listing: {mine}"
    );
    assert!(
        listed.iter().any(|t| t["id"] == seeded.as_str()),
        "what was made long before shows as usual"
    );
    let (status, refund) = po
        .post(
            &format!("/transactions/{seeded}/refunds"),
            json!({"amount": "0.40"}),
            None,
        )
        .await;
    assert_eq!(
        status, 200,
        "a refund of a visible capture is made: {refund}"
    );
    let (_, refunds) = po.get(&format!("/transactions/{seeded}/refunds")).await;
    assert_eq!(
        refunds["refunds"],
        json!([]),
        "the fresh refund is not listed yet"
    );
    let (_, old) = po.get(&format!("/transactions/{seeded}")).await;
    assert_eq!(
        (
            &old["transaction"]["status"],
            &old["transaction"]["refunded"]
        ),
        (&json!("completed"), &json!(false)),
        "the transaction shows as before the refund: {old}"
    );
    tokio::time::sleep(crate::PAST_LAG).await;
    let (status, found) = po.get(&format!("/transactions/{tr}")).await;
    assert_eq!(status, 200, "once the lag has passed the capture shows");
    assert_eq!(found["transaction"]["status"], "completed");
    let (status, _) = po.get(&format!("/invoices/{iv}")).await;
    assert_eq!(status, 200, "and its invoice");
    let (_, refunds) = po.get(&format!("/transactions/{seeded}/refunds")).await;
    assert_eq!(
        refunds["refunds"].as_array().unwrap().len(),
        1,
        "and the refund: {refunds}"
    );
}
