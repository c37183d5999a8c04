//! The ProcessOut emulator over real HTTP: the documented shapes, errors, rules and test cards.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

mod admin;
mod apm;
mod cards;
mod charges;
mod customers;
mod enrollment;
mod events;
mod refunds;

use coffer_core::ProviderKind;
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
            base: sandbox.urls.of(ProviderKind::ProcessOut).to_string(),
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
                if !card.is_object() {
                    continue; // an APM token holds no card
                }
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
