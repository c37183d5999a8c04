//! The Assist emulator over raw HTTP: documented paths, form and JSON bodies, `Format=3` XML
//! answers, web-service error pairs, the recurring and refund rules, and the test cards.
// Test helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod auth;
mod charges;
mod recurring;
mod refunds;
mod tokens;

use coffer_core::ProviderKind;
use coffer_sandbox::{Sandbox, SandboxConfig};
use serde_json::{json, Value};

struct Account {
    merchant_id: String,
    login: String,
    password: String,
    currency: String,
}

struct Fixture {
    sandbox: Sandbox,
    http: reqwest::Client,
    base: String,
    by: Account,
    ru: Account,
}

async fn fixture(customers: usize) -> Fixture {
    fixture_from(
        Sandbox::start(SandboxConfig::demo(customers))
            .await
            .unwrap(),
    )
    .await
}

impl Fixture {
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> String {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            200,
            "Assist answers 200 for every processed request"
        );
        response.text().await.unwrap()
    }

    /// A form with the Belarus merchant's credentials and Format=3, plus `extra`.
    async fn by_post(&self, path: &str, extra: &[(&str, &str)]) -> String {
        self.post(path, &self.by_form(extra)).await
    }

    /// [`Fixture::by_post`] without expecting Assist's 200: the raw response.
    async fn by_send(&self, path: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}{path}", self.base))
            .form(&self.by_form(extra))
            .send()
            .await
            .unwrap()
    }

    fn by_form<'a>(&'a self, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
        let mut form = vec![
            ("Merchant_ID", self.by.merchant_id.as_str()),
            ("Login", self.by.login.as_str()),
            ("Password", self.by.password.as_str()),
        ];
        if !extra.iter().any(|(k, _)| k.eq_ignore_ascii_case("Format")) {
            form.push(("Format", "3"));
        }
        form.extend_from_slice(extra);
        form
    }

    async fn register(&self, account: &Account, offset: usize, limit: usize) -> Vec<Value> {
        self.http
            .get(format!(
                "{}/__sandbox/customers?merchant_id={}&offset={offset}&limit={limit}",
                self.base, account.merchant_id
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// `GET /__sandbox/initials?{query}`: (status, body).
    async fn initials(&self, query: &str) -> (u16, Value) {
        let response = self
            .http
            .get(format!("{}/__sandbox/initials?{query}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The first seeded Belarus customer from index `from` whose first card passes `keep` and
    /// is listed active without a CVC requirement.
    async fn customer(&self, from: usize, keep: impl Fn(&Value) -> bool) -> Value {
        let credentials = json!({"merchant_id": self.by.merchant_id, "login": self.by.login, "password": self.by.password});
        for customer in self.register(&self.by, from, 60).await {
            if !keep(&customer["cards"][0]) {
                continue;
            }
            let listed = self
                .tokens(
                    json!({"merchant": credentials, "customernumber": customer["customer_number"]}),
                )
                .await;
            if listed[0]["active"] == true && listed[0]["needCVC"] == false {
                return customer;
            }
        }
        panic!("no matching seeded customer")
    }

    async fn tokens(&self, body: Value) -> Value {
        let response = self
            .http
            .post(format!("{}/pay/oneclick/v1/token.cfm", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    async fn token_pay(&self, customer: &Value, order: &str, amount: &str) -> String {
        let payment_token = payment_token(customer);
        self.by_post(
            "/pay/tokenpay.cfm",
            &token_pay_form(order, amount, &payment_token),
        )
        .await
    }

    async fn order_result(&self, order: &str) -> String {
        self.by_post("/orderresult/orderresult.cfm", &[("Ordernumber", order)])
            .await
    }

    async fn rules(&self, body: Value) {
        let response = self
            .http
            .put(format!("{}/__sandbox/rules", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    async fn ledger(&self) -> Vec<Value> {
        self.http
            .get(format!(
                "{}/charges?provider=assist",
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

/// The One Click `PaymentToken` of a customer's first card.
fn payment_token(customer: &Value) -> String {
    json!({"Token": customer["cards"][0]["token"], "CustomerNumber": customer["customer_number"]})
        .to_string()
}

/// A Token Pay (TokenType 5) form in BYN.
fn token_pay_form<'a>(
    order: &'a str,
    amount: &'a str,
    payment_token: &'a str,
) -> [(&'a str, &'a str); 5] {
    [
        ("OrderNumber", order),
        ("OrderAmount", amount),
        ("OrderCurrency", "BYN"),
        ("TokenType", "5"),
        ("PaymentToken", payment_token),
    ]
}

/// `firstcode/secondcode` of the root.
fn codes(xml: &str) -> String {
    format!("{}/{}", attr(xml, "firstcode"), attr(xml, "secondcode"))
}

fn attr(xml: &str, name: &str) -> String {
    let needle = format!("{name}=\"");
    let start = xml
        .find(&needle)
        .map(|i| i + needle.len())
        .unwrap_or_else(|| panic!("no {name} in {xml}"));
    xml[start..].split('"').next().unwrap().to_string()
}

/// Every `<tag>text</tag>` in document order.
fn all(xml: &str, tag: &str) -> Vec<String> {
    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
    xml.match_indices(&open)
        .filter_map(|(i, _)| {
            let rest = &xml[i + open.len()..];
            rest.find(&close).map(|end| rest[..end].to_string())
        })
        .collect()
}

fn first(xml: &str, tag: &str) -> String {
    all(xml, tag)
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no <{tag}> in {xml}"))
}

fn is_approver(card: &Value) -> bool {
    let last4 = card["last4"].as_str().unwrap();
    ![
        "0341", "0002", "0069", "0077", "0019", "0100", "0108", "0121", "0103", "0141",
    ]
    .contains(&last4)
        && card["initial_billnumber"].is_string()
        && card["initial_kind"] == "recurring"
}

async fn fixture_from(sandbox: Sandbox) -> Fixture {
    let http = reqwest::Client::new();
    let merchants: Vec<Value> = http
        .get(format!("{}/merchants", sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut accounts = merchants
        .iter()
        .filter(|m| m["account"]["provider"] == "assist")
        .map(|m| Account {
            merchant_id: m["account"]["merchant_id"].as_str().unwrap().into(),
            login: m["account"]["login"].as_str().unwrap().into(),
            password: m["secret"].as_str().unwrap().into(),
            currency: m["currency"].as_str().unwrap().into(),
        });
    let by = accounts.next().unwrap();
    let ru = accounts.next().unwrap();
    let base = sandbox.urls.of(ProviderKind::Assist).to_string();
    Fixture {
        sandbox,
        http,
        base,
        by,
        ru,
    }
}
