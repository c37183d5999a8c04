//! The Svea emulator over raw HTTP: documented form fields in, XML out, hashes computed here
//! independently of the emulator (providers/svea.md §4), every documented error, the token
//! rules and the test cards.

// Test helpers panic on anything unexpected, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod admin;
mod auth;
mod card_page;
mod charges;
mod refunds;
mod status;

use coffer_core::ProviderKind;
use coffer_sandbox::{Sandbox, SandboxConfig};
use reqwest::redirect::Policy;
use sha2::{Digest, Sha256, Sha512};

struct Seller {
    id: String,
    secret: String,
}

struct Svea {
    sandbox: Sandbox,
    http: reqwest::Client,
    base: String,
    sellers: Vec<Seller>,
}

#[derive(Clone, Copy)]
enum Auth<'a> {
    Basic,
    BasicWith(&'a str, &'a str),
    Hash(&'a str),
    None,
}

struct Answer {
    status: u16,
    content_type: String,
    body: String,
}

impl Answer {
    fn field(&self, name: &str) -> Option<String> {
        let open = format!("<{name}>");
        let start = self.body.find(&open)? + open.len();
        let end = self.body[start..].find(&format!("</{name}>"))? + start;
        Some(self.body[start..end].to_string())
    }

    fn has_error(&self, name: &str, kind: &str) -> bool {
        self.body
            .contains(&format!("<error name=\"{name}\" type=\"{kind}\">"))
    }
}

async fn start(customers: usize) -> Svea {
    start_with(SandboxConfig::demo(customers)).await
}

async fn start_with(config: SandboxConfig) -> Svea {
    let sandbox = Sandbox::start(config).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let merchants: Vec<serde_json::Value> = http
        .get(format!("{}/merchants", sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sellers = merchants
        .iter()
        .filter(|m| m["account"]["provider"] == "svea")
        .map(|m| Seller {
            id: m["account"]["seller_id"].as_str().unwrap().to_string(),
            secret: m["secret"].as_str().unwrap().to_string(),
        })
        .collect();
    Svea {
        base: sandbox.urls.of(ProviderKind::Svea).to_string(),
        sandbox,
        http,
        sellers,
    }
}

fn hex_hash(version: &str, text: &str) -> String {
    match version {
        "SHA-512" => hex::encode_upper(Sha512::digest(text.as_bytes())),
        "SHA-256" => hex::encode_upper(Sha256::digest(text.as_bytes())),
        other => panic!("test helper has no {other}"),
    }
}

fn hash_string(values: &[&str], secret: &str) -> String {
    values.iter().map(|v| format!("{v}&")).collect::<String>() + secret + "&"
}

/// §4.2 field order for the one-row forms these tests send.
const PAYMENT_HASH_ORDER: [&str; 37] = [
    "pmt_action",
    "pmt_version",
    "pmt_id",
    "pmt_orderid",
    "pmt_reference",
    "pmt_duedate",
    "pmt_amount",
    "pmt_currency",
    "pmt_okreturn",
    "pmt_errorreturn",
    "pmt_cancelreturn",
    "pmt_delayedpayreturn",
    "pmt_escrow",
    "pmt_escrowchangeallowed",
    "pmt_paymentmethod",
    "pmt_buyername",
    "pmt_buyeraddress",
    "pmt_buyerpostalcode",
    "pmt_buyercity",
    "pmt_buyercountry",
    "pmt_deliveryname",
    "pmt_deliveryaddress",
    "pmt_deliverypostalcode",
    "pmt_deliverycity",
    "pmt_deliverycountry",
    "pmt_sellercosts",
    "pmt_token",
    "pmt_row_name1",
    "pmt_row_desc1",
    "pmt_row_quantity1",
    "pmt_row_deliverydate1",
    "pmt_row_price_gross1",
    "pmt_row_vat1",
    "pmt_row_discountpercentage1",
    "pmt_row_type1",
    "",
    "",
];

type Form = Vec<(String, String)>;

fn get<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn set(form: &mut Form, name: &str, value: &str) {
    form.retain(|(k, _)| k != name);
    form.push((name.to_string(), value.to_string()));
}

fn payment_hash(form: &Form, version: &str, secret: &str) -> String {
    let values: Vec<&str> = PAYMENT_HASH_ORDER
        .iter()
        .filter(|name| !name.is_empty())
        .filter_map(|name| get(form, name))
        .collect();
    hex_hash(version, &hash_string(&values, secret))
}

fn today() -> String {
    chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Helsinki)
        .format("%d.%m.%Y")
        .to_string()
}

/// A complete V4 form as §3.2 lists it.
fn payment_form(
    seller: &str,
    action: &str,
    version: &str,
    pmt_id: &str,
    amount: &str,
    token: Option<&str>,
) -> Form {
    let date = today();
    let mut form: Form = vec![
        ("pmt_action", action),
        ("pmt_version", version),
        ("pmt_sellerid", seller),
        ("pmt_id", pmt_id),
        ("pmt_orderid", "CONTRACT-42-2026-01"),
        ("pmt_reference", "10000427"),
        ("pmt_duedate", &date),
        ("pmt_userlocale", "fi_FI"),
        ("pmt_amount", amount),
        ("pmt_currency", "EUR"),
        ("pmt_okreturn", "https://merchant.example/svea/ok"),
        ("pmt_errorreturn", "https://merchant.example/svea/error"),
        ("pmt_cancelreturn", "https://merchant.example/svea/cancel"),
        (
            "pmt_delayedpayreturn",
            "https://merchant.example/svea/delayed",
        ),
        ("pmt_escrow", "N"),
        ("pmt_escrowchangeallowed", "N"),
        ("pmt_paymentmethod", "FI50"),
        ("pmt_buyername", "Matti Virtanen"),
        ("pmt_buyeraddress", "Mannerheimintie 1"),
        ("pmt_buyerpostalcode", "00100"),
        ("pmt_buyercity", "Helsinki"),
        ("pmt_buyercountry", "FI"),
        ("pmt_deliveryname", "Matti Virtanen"),
        ("pmt_deliveryaddress", "Mannerheimintie 1"),
        ("pmt_deliverypostalcode", "00100"),
        ("pmt_deliverycity", "Helsinki"),
        ("pmt_deliverycountry", "FI"),
        ("pmt_sellercosts", "0,00"),
        ("pmt_rows", "1"),
        ("pmt_row_name1", "Monthly subscription"),
        ("pmt_row_desc1", "January 2026"),
        ("pmt_row_quantity1", "1"),
        ("pmt_row_deliverydate1", &date),
        ("pmt_row_price_gross1", amount),
        ("pmt_row_vat1", "25,50"),
        ("pmt_row_discountpercentage1", "0,00"),
        ("pmt_row_type1", "1"),
        ("pmt_charset", "UTF-8"),
        ("pmt_charsethttp", "UTF-8"),
        ("pmt_keygeneration", "001"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(token) = token {
        form.push(("pmt_token".into(), token.into()));
    }
    form
}

fn charge_form(seller: &str, pmt_id: &str, amount: &str, token: &str) -> Form {
    payment_form(
        seller,
        "NEW_PAYMENT_EXTENDED",
        "4204",
        pmt_id,
        amount,
        Some(token),
    )
}

impl Svea {
    fn seller(&self) -> &Seller {
        &self.sellers[0]
    }

    async fn post(&self, path: &str, form: &Form, auth: Auth<'_>) -> Answer {
        let mut form = form.clone();
        let seller = self.seller();
        let mut request = self.http.post(format!("{}{path}", self.base));
        match auth {
            Auth::Basic => request = request.basic_auth(&seller.id, Some(&seller.secret)),
            Auth::BasicWith(user, password) => request = request.basic_auth(user, Some(password)),
            Auth::Hash(version) => {
                let prefix = form[0].0.split('_').next().unwrap().to_string();
                let hash = if prefix == "pmt" {
                    payment_hash(&form, version, &seller.secret)
                } else {
                    let order: &[&str] = if prefix == "pmtq" {
                        &["pmtq_action", "pmtq_version", "pmtq_sellerid", "pmtq_id"]
                    } else {
                        &[
                            "pmtc_action",
                            "pmtc_version",
                            "pmtc_sellerid",
                            "pmtc_id",
                            "pmtc_amount",
                            "pmtc_currency",
                            "pmtc_canceltype",
                            "pmtc_cancelamount",
                        ]
                    };
                    let values: Vec<&str> = order.iter().filter_map(|n| get(&form, n)).collect();
                    hex_hash(version, &hash_string(&values, &seller.secret))
                };
                set(&mut form, &format!("{prefix}_hashversion"), version);
                set(&mut form, &format!("{prefix}_hash"), &hash);
            }
            Auth::None => {}
        }
        let response = request.form(&form).send().await.unwrap();
        Answer {
            status: response.status().as_u16(),
            content_type: response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default(),
            body: response.text().await.unwrap(),
        }
    }

    async fn status(&self, pmt_id: &str) -> Answer {
        let form = self.status_form(pmt_id);
        self.post("/PaymentStatusQuery.pmt", &form, Auth::Basic)
            .await
    }

    fn status_form(&self, pmt_id: &str) -> Form {
        [
            ("pmtq_action", "PAYMENT_STATUS_QUERY"),
            ("pmtq_version", "0005"),
            ("pmtq_sellerid", self.seller().id.as_str()),
            ("pmtq_id", pmt_id),
            ("pmtq_resptype", "XML"),
            ("pmtq_keygeneration", "001"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    async fn tokens(&self, offset: usize, limit: usize) -> serde_json::Value {
        self.http
            .get(format!(
                "{}/__sandbox/tokens?seller_id={}&offset={offset}&limit={limit}",
                self.base,
                self.seller().id
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// The first seeded card with `behaviour` and an initial payment: (token, initial amount).
    async fn card(&self, behaviour: &str) -> (String, String) {
        let (token, amount, _) = self.nth_card(behaviour, 0).await;
        (token, amount)
    }

    /// The `n`th seeded card with `behaviour` and an initial payment: (token, initial amount,
    /// initial `pmt_id`).
    async fn nth_card(&self, behaviour: &str, n: usize) -> (String, String, String) {
        let listing = self.tokens(0, 60).await;
        let mut seen = 0;
        for customer in listing["customers"].as_array().unwrap() {
            for card in customer["cards"].as_array().unwrap() {
                if card["behaviour"] == behaviour && !card["pmt_token"].is_null() {
                    let expired = card["exp_year"].as_i64().unwrap() * 12
                        + card["exp_month"].as_i64().unwrap()
                        < chrono_months_now();
                    if behaviour == "approve" && expired {
                        continue;
                    }
                    if seen < n {
                        seen += 1;
                        continue;
                    }
                    return (
                        card["pmt_token"].as_str().unwrap().to_string(),
                        card["initial"]["amount"].as_str().unwrap().to_string(),
                        card["initial"]["pmt_id"].as_str().unwrap().to_string(),
                    );
                }
            }
        }
        panic!("no seeded {behaviour} card number {n}");
    }

    async fn ledger(&self) -> Vec<serde_json::Value> {
        self.http
            .get(format!("{}/charges?provider=svea", self.sandbox.urls.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn chrono_months_now() -> i64 {
    use chrono::Datelike;
    let now = chrono::Utc::now().with_timezone(&chrono_tz::Europe::Helsinki);
    i64::from(now.year()) * 12 + i64::from(now.month())
}

/// §4.3 response hash of a token-charge answer.
fn charge_answer_hash(answer: &Answer, version: &str, secret: &str) -> String {
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
    let values: Vec<String> = names.iter().map(|n| answer.field(n).unwrap()).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    hex_hash(version, &hash_string(&refs, secret))
}

fn cancel_form(
    seller: &str,
    pmt_id: &str,
    amount: &str,
    kind: &str,
    cancel_amount: Option<&str>,
) -> Form {
    let action = if kind == "REFUND_AFTER_SETTLEMENT" {
        kind
    } else {
        "CANCEL"
    };
    let mut form: Form = [
        ("pmtc_action", action),
        ("pmtc_version", "0005"),
        ("pmtc_sellerid", seller),
        ("pmtc_id", pmt_id),
        ("pmtc_amount", amount),
        ("pmtc_currency", "EUR"),
        ("pmtc_canceltype", kind),
        ("pmtc_resptype", "XML"),
        ("pmtc_keygeneration", "001"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    if let Some(a) = cancel_amount {
        form.push(("pmtc_cancelamount".into(), a.into()));
    }
    form
}
