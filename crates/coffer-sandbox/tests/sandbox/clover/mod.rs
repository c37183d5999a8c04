//! The Clover emulator over raw HTTP: documented shapes, errors, rules and test cards.
// Test helpers are not #[test] functions; a failed setup should panic there too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod charges;
mod checkout;
mod customers;
mod rate_limits;
mod refunds;

use std::time::Duration;

use coffer_core::ProviderKind;
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
        format!("{}{path}", self.sandbox.urls.of(ProviderKind::Clover))
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
