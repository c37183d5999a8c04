//! The sandboxes read and changed over their own documented APIs with plain reqwest calls
//! (`crates/coffer-sandbox/docs/*.md`), never through `coffer-providers`: what a sync must end up
//! with, seen from the provider's side.

use coffer_core::{AssistAccount, CloverAccount, ProviderAccount};
use coffer_sandbox::SandboxMerchant;
use serde_json::{json, Value};

/// A customer as the provider serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCustomer {
    /// Clover customer id, ProcessOut `cust_…`, Assist CustomerNumber.
    pub reference: String,
    /// First and last name joined by a space.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// The customer's cards.
    pub cards: Vec<RawCard>,
}

/// A stored card as the provider serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCard {
    /// The provider's id of the card object (Clover card id, ProcessOut `card_…`), when it has
    /// one besides the token.
    pub handle: Option<String>,
    /// The token Coffer charges.
    pub token: String,
    /// Brand as [`brand_key`] normalizes it.
    pub brand: String,
    /// Last four digits.
    pub last4: String,
    /// First six digits.
    pub bin: Option<String>,
    /// Issuing bank.
    pub bank: Option<String>,
    /// Expiry month.
    pub exp_month: u32,
    /// Expiry year.
    pub exp_year: i32,
    /// Chargeable, as the provider says.
    pub active: bool,
    /// The initial transaction the provider records on the card (ProcessOut
    /// `initial_scheme_transaction_id`); `None` where the listing does not tell.
    pub initial_ref: Option<String>,
}

/// A brand name reduced to compare the providers' spellings ("MC", "American Express") with
/// Coffer's ("mastercard", "amex").
pub fn brand_key(brand: &str) -> String {
    let key: String = brand
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_lowercase();
    match key.as_str() {
        "mc" => "mastercard".into(),
        "americanexpress" => "amex".into(),
        "diners" => "dinersclub".into(),
        _ => key,
    }
}

fn http() -> reqwest::Client {
    reqwest::Client::new()
}

async fn ok_json(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let text = response.text().await.expect("a readable answer");
    assert!(
        status.is_success(),
        "{what}: the sandbox answered {status}: {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
}

fn text(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string).filter(|s| !s.is_empty())
}

fn joined_name(first: &Value, last: &Value) -> String {
    [first.as_str(), last.as_str()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /__sandbox/merchants`: the seeded accounts and their sandbox secrets.
pub async fn merchants(admin: &str) -> Vec<SandboxMerchant> {
    let response = http()
        .get(format!("{admin}/merchants"))
        .send()
        .await
        .expect("the admin API answers");
    serde_json::from_value(ok_json(response, "GET /__sandbox/merchants").await)
        .expect("the admin API lists merchants")
}

/// The seeded accounts of one provider (`clover`, `processout`, `assist`, `svea`).
pub fn of_provider<'a>(all: &'a [SandboxMerchant], provider: &str) -> Vec<&'a SandboxMerchant> {
    all.iter()
        .filter(|m| m.account.kind().to_string() == provider)
        .collect()
}

/// Clover: `GET /v3/merchants/{mId}/customers?expand=cards,emailAddresses,phoneNumbers`, every
/// page (clover.md, Endpoints).
pub async fn clover_customers(m: &SandboxMerchant) -> Vec<RawCustomer> {
    let mut customers = Vec::new();
    let mut offset = 0;
    loop {
        let response = http()
            .get(format!(
                "{}/v3/merchants/{}/customers",
                m.base_url,
                m.account.account_id()
            ))
            .query(&[
                ("expand", "cards,emailAddresses,phoneNumbers"),
                ("limit", "1000"),
                ("offset", &offset.to_string()),
            ])
            .bearer_auth(&m.secret)
            .send()
            .await
            .expect("Clover answers");
        let page = ok_json(response, "Clover v3 customers").await;
        let elements = page["elements"].as_array().cloned().unwrap_or_default();
        if elements.is_empty() {
            break;
        }
        offset += elements.len();
        for c in elements {
            let cards = c["cards"]["elements"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|k| {
                    let expiry = k["expirationDate"].as_str().expect("expirationDate MMYY");
                    RawCard {
                        handle: text(&k["id"]),
                        token: text(&k["token"]).expect("a saved card has a token"),
                        brand: brand_key(k["cardType"].as_str().unwrap_or("")),
                        last4: text(&k["last4"]).expect("last4"),
                        bin: text(&k["first6"]),
                        bank: None,
                        exp_month: expiry[..2].parse().expect("MM"),
                        exp_year: 2000 + expiry[2..].parse::<i32>().expect("YY"),
                        active: k["tokenType"]
                            .as_str()
                            .is_none_or(|t| t.eq_ignore_ascii_case("MULTIPAY")),
                        initial_ref: None,
                    }
                })
                .collect();
            customers.push(RawCustomer {
                reference: text(&c["id"]).expect("a customer id"),
                name: joined_name(&c["firstName"], &c["lastName"]),
                email: text(&c["emailAddresses"]["elements"][0]["emailAddress"]),
                phone: text(&c["phoneNumbers"]["elements"][0]["phoneNumber"]),
                cards,
            });
        }
    }
    customers
}

/// Clover: `DELETE /v1/customers/{id}/sources/{cardId}`, the owner revoking a saved card.
pub async fn clover_revoke_card(m: &SandboxMerchant, customer: &str, card_id: &str) {
    let response = http()
        .delete(format!(
            "{}/v1/customers/{customer}/sources/{card_id}",
            m.base_url
        ))
        .bearer_auth(&m.secret)
        .send()
        .await
        .expect("Clover answers");
    let body = ok_json(response, "Clover DELETE source").await;
    assert_eq!(body["deleted"], true, "Clover confirms the card is revoked");
}

fn processout_auth(m: &SandboxMerchant) -> (String, String) {
    (m.account.account_id().to_string(), m.secret.clone())
}

/// Every item of a ProcessOut listing, page after page (`limit`, `order`, `start_after`,
/// `has_more`: processout.md, Endpoints).
async fn processout_list(
    m: &SandboxMerchant,
    path: String,
    key: &'static str,
) -> Vec<serde_json::Value> {
    let (user, secret) = processout_auth(m);
    let mut items = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut query = vec![("limit", "100".to_string()), ("order", "asc".into())];
        if let Some(a) = &after {
            query.push(("start_after", a.clone()));
        }
        let response = http()
            .get(&path)
            .query(&query)
            .basic_auth(&user, Some(&secret))
            .send()
            .await
            .expect("ProcessOut answers");
        let page = ok_json(response, &path).await;
        let batch = page[key].as_array().cloned().unwrap_or_default();
        after = batch.last().and_then(|i| text(&i["id"]));
        items.extend(batch);
        if page["has_more"] != true {
            break;
        }
    }
    items
}

/// ProcessOut: the APM customer tokens (`type: gateway_token`, e.g. PayPal) of every customer,
/// which Coffer keeps beside the cards since issue 24: id, gateway name as the token's expanded
/// `gateway_configuration` shows it, and `is_chargeable`.
pub async fn processout_apm_tokens(m: &SandboxMerchant) -> Vec<(String, String, bool)> {
    let mut tokens = Vec::new();
    for c in processout_list(m, format!("{}/customers", m.base_url), "customers").await {
        let id = text(&c["id"]).expect("a customer id");
        let path = format!(
            "{}/customers/{id}/tokens?expand=gateway_configuration",
            m.base_url
        );
        tokens.extend(
            processout_list(m, path, "tokens")
                .await
                .iter()
                .filter(|t| t["type"] == "gateway_token")
                .map(|t| {
                    (
                        text(&t["id"]).expect("a token id"),
                        text(&t["gateway_configuration"]["gateway"]["display_name"])
                            .expect("the expanded gateway's display name"),
                        t["is_chargeable"] == true,
                    )
                }),
        );
    }
    tokens
}

/// ProcessOut: `GET /customers` and each customer's `GET /customers/{id}/tokens`, every page
/// (processout.md, Endpoints); tokens without a card (pending) are not stored cards.
pub async fn processout_customers(m: &SandboxMerchant) -> Vec<RawCustomer> {
    let list = |path: String, key: &'static str| processout_list(m, path, key);
    let mut customers = Vec::new();
    for c in list(format!("{}/customers", m.base_url), "customers").await {
        let id = text(&c["id"]).expect("a customer id");
        let tokens = list(format!("{}/customers/{id}/tokens", m.base_url), "tokens").await;
        let cards = tokens
            .iter()
            .filter(|t| t["type"] == "card" && t["card"].is_object())
            .map(|t| {
                let card = &t["card"];
                RawCard {
                    handle: text(&card["id"]),
                    token: text(&t["id"]).expect("a token id"),
                    brand: brand_key(card["scheme"].as_str().unwrap_or("")),
                    last4: text(&card["last_4_digits"]).expect("last_4_digits"),
                    bin: text(&card["iin"]),
                    bank: text(&card["bank_name"]),
                    exp_month: card["exp_month"].as_u64().expect("exp_month") as u32,
                    exp_year: card["exp_year"].as_i64().expect("exp_year") as i32,
                    active: t["is_chargeable"] != false && t["verification_status"] != "failed",
                    initial_ref: text(&card["initial_scheme_transaction_id"]),
                }
            })
            .collect();
        customers.push(RawCustomer {
            reference: id,
            name: joined_name(&c["first_name"], &c["last_name"]),
            email: text(&c["email"]),
            phone: text(&c["phone_number"]),
            cards,
        });
    }
    customers
}

/// ProcessOut: `DELETE /customers/{id}/tokens/{token}`.
pub async fn processout_delete_token(m: &SandboxMerchant, customer: &str, token: &str) {
    let (user, secret) = processout_auth(m);
    let response = http()
        .delete(format!(
            "{}/customers/{customer}/tokens/{token}",
            m.base_url
        ))
        .basic_auth(user, Some(secret))
        .send()
        .await
        .expect("ProcessOut answers");
    let body = ok_json(response, "ProcessOut DELETE token").await;
    assert_eq!(body["success"], true, "ProcessOut deletes the token");
}

/// ProcessOut: a new card through the sandbox's `POST /cards` (ProcessOut.js stand-in), then
/// `PUT /customers/{id}/tokens/{token}` with it as the token's `source`: the token now holds
/// another card.
pub async fn processout_replace_card(
    m: &SandboxMerchant,
    customer: &str,
    token: &str,
    number: &str,
    exp_month: u32,
    exp_year: i32,
) {
    let (user, secret) = processout_auth(m);
    let response = http()
        .post(format!("{}/cards", m.base_url))
        .basic_auth(&user, Some(&secret))
        .json(&json!({"number": number, "exp_month": exp_month, "exp_year": exp_year}))
        .send()
        .await
        .expect("ProcessOut answers");
    let card = ok_json(response, "ProcessOut POST /cards").await;
    let card_id = text(&card["card"]["id"]).expect("a card_… id");
    let response = http()
        .put(format!(
            "{}/customers/{customer}/tokens/{token}",
            m.base_url
        ))
        .basic_auth(&user, Some(&secret))
        .json(&json!({"source": card_id}))
        .send()
        .await
        .expect("ProcessOut answers");
    let body = ok_json(response, "ProcessOut PUT token").await;
    assert_eq!(
        body["token"]["card"]["id"].as_str(),
        Some(card_id.as_str()),
        "the token now holds the new card"
    );
}

/// Assist: the sandbox's register, `GET {assist base}/__sandbox/customers?merchant_id=…`
/// (assist.md, sandbox-only endpoints): what a merchant's own customer register holds.
pub async fn assist_register(m: &SandboxMerchant) -> Vec<RawCustomer> {
    let mut rows = Vec::new();
    let mut offset = 0;
    loop {
        let response = http()
            .get(format!("{}/__sandbox/customers", m.base_url))
            .query(&[
                ("merchant_id", m.account.account_id().to_string()),
                ("offset", offset.to_string()),
                ("limit", "100".into()),
            ])
            .send()
            .await
            .expect("the Assist sandbox answers");
        let page = ok_json(response, "Assist register").await;
        let batch = page.as_array().cloned().unwrap_or_default();
        if batch.is_empty() {
            break;
        }
        offset += batch.len();
        for r in batch {
            rows.push(RawCustomer {
                reference: text(&r["customer_number"]).expect("customer_number"),
                name: text(&r["name"]).unwrap_or_default(),
                email: text(&r["email"]),
                phone: text(&r["phone"]),
                cards: Vec::new(),
            });
        }
    }
    rows
}

/// Assist: `POST /pay/oneclick/v1/token.cfm` (JSON), a customer's saved cards (assist.md §2.1).
pub async fn assist_cards(m: &SandboxMerchant, customer_number: &str) -> Vec<RawCard> {
    let ProviderAccount::Assist(AssistAccount { merchant_id, login }) = &m.account else {
        panic!("{} is not an Assist merchant", m.name)
    };
    let response = http()
        .post(format!("{}/pay/oneclick/v1/token.cfm", m.base_url))
        .json(&json!({
            "merchant": {"merchant_id": merchant_id, "login": login, "password": m.secret},
            "customernumber": customer_number,
        }))
        .send()
        .await
        .expect("Assist answers");
    let cards = ok_json(response, "Assist token.cfm").await;
    cards
        .as_array()
        .unwrap_or_else(|| panic!("token.cfm lists cards for {customer_number}: {cards}"))
        .iter()
        .map(|k| {
            let expire = k["expire"].as_str().expect("expire MM.YYYY");
            let (month, year) = expire.split_once('.').expect("expire is MM.YYYY");
            RawCard {
                handle: None,
                token: text(&k["token"]).expect("a token"),
                brand: brand_key(k["brand"].as_str().unwrap_or("")),
                last4: text(&k["post"]).expect("post (last 4)"),
                // Assist's published listing gives the BIN as a JSON number.
                bin: text(&k["bin"]).or_else(|| k["bin"].as_u64().map(|n| n.to_string())),
                bank: text(&k["bank"]),
                exp_month: month.parse().expect("MM"),
                exp_year: year.parse().expect("YYYY"),
                active: k["active"] != false,
                initial_ref: None,
            }
        })
        .collect()
}

/// Clover: a new card through the tokenizer (`POST /v1/tokens`, PAKMS `apikey`), saved on the
/// customer with `PUT /v1/customers/{id}` together with a new e-mail and last name. The card
/// expires in November of `exp_year`.
pub async fn clover_update_customer(
    m: &SandboxMerchant,
    customer: &str,
    email: &str,
    last_name: &str,
    new_card: &str,
    exp_year: i32,
) {
    let ProviderAccount::Clover(CloverAccount {
        pakms_key: Some(apikey),
        ..
    }) = &m.account
    else {
        panic!("{} is a Clover account with a PAKMS key", m.name)
    };
    let response = http()
        .post(format!("{}/v1/tokens", m.base_url))
        .header("apikey", apikey)
        .json(&json!({"card": {"number": new_card, "exp_month": "11", "exp_year": exp_year.to_string(), "cvv": "123"}}))
        .send()
        .await
        .expect("the Clover tokenizer answers");
    let token = ok_json(response, "Clover POST /v1/tokens").await;
    let source = text(&token["id"]).expect("a clv_ token");
    let response = http()
        .put(format!("{}/v1/customers/{customer}", m.base_url))
        .bearer_auth(&m.secret)
        .json(&json!({"email": email, "lastName": last_name, "source": source}))
        .send()
        .await
        .expect("Clover answers");
    ok_json(response, "Clover PUT customer").await;
}
