//! The Svea emulator over raw HTTP: documented form fields in, XML out, hashes computed here
//! independently of the emulator (providers/svea.md §4), every documented error, the token
//! rules and the test cards.

// Test helpers panic on anything unexpected, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
        base: sandbox.urls.svea.clone(),
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

#[tokio::test]
async fn seeds_two_eur_sellers_in_helsinki_with_key_generation_001() {
    let svea = start(5).await;
    let merchants: Vec<serde_json::Value> = svea
        .http
        .get(format!("{}/merchants", svea.sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ours: Vec<_> = merchants
        .iter()
        .filter(|m| m["account"]["provider"] == "svea")
        .collect();
    assert_eq!(ours.len(), 2, "two seller accounts");
    for m in ours {
        assert_eq!(m["currency"], "EUR");
        assert_eq!(m["time_zone"], "Europe/Helsinki");
        assert_eq!(m["account"]["key_generation"], "001");
        assert_eq!(m["base_url"], svea.base);
        assert!(
            m["account"]["seller_id"].as_str().unwrap().len() <= 15,
            "seller id is AN15"
        );
    }
}

#[tokio::test]
async fn worked_hash_example_of_the_notes_is_reproduced() {
    let mut form = charge_form(
        "TESTSELLER",
        "MIT202601000001",
        "568,10",
        "7b3c9e2a1f4d4c8e9a6b2d5e8f1a0c37",
    );
    set(&mut form, "pmt_duedate", "15.01.2026");
    set(&mut form, "pmt_row_deliverydate1", "15.01.2026");
    assert_eq!(
        payment_hash(&form, "SHA-256", "TESTSECRET123"),
        "D9FEED2CD32FF8FB1F45DD96BE0ACEB0EC0CAB04C91390CDC65B35E2D707DFB1"
    );
    assert_eq!(
        payment_hash(&form, "SHA-512", "TESTSECRET123"),
        "BD1713E3092DEB4B538CEEBE3EBA48BD0FDABB11A14323B1D421627D1F4F390A72E6B17CFC871FDFDE933E568CE4BB5773A32A701149A098D6648A7F5B04A5AE"
    );
}

#[tokio::test]
async fn token_charge_with_basic_auth_answers_xml_over_the_padded_reference_without_a_hash() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let form = charge_form(&svea.seller().id, "MIT0001", &cap, &token);
    let answer = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::Basic)
        .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.content_type, "text/xml; charset=UTF-8");
    assert!(
        answer.body.contains("<chargeWithTokenResponse>"),
        "{}",
        answer.body
    );
    assert_eq!(
        answer.field("pmt_reference").unwrap(),
        "00000000000010000427",
        "technical format"
    );
    assert_eq!(answer.field("pmt_amount").unwrap(), cap);
    assert_eq!(answer.field("pmt_token").unwrap(), token);
    assert_eq!(
        answer.field("pmt_hash"),
        None,
        "a Basic request gets an answer without a hash, as Svea's S2S answers show: {}",
        answer.body
    );
    // A pmt_hashversion sent with Basic anyway (Svea asks to leave it out) changes nothing.
    let mut named = charge_form(&svea.seller().id, "MIT0002", &cap, &token);
    set(&mut named, "pmt_hashversion", "SHA-512");
    let again = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &named, Auth::Basic)
        .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.field("pmt_hash"), None, "{}", again.body);
    let ledger = svea.ledger().await;
    assert_eq!(ledger.len(), 2, "MIT0001 and MIT0002 were charged");
    assert_eq!(ledger[0]["order_id"], "MIT0001");
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["stored_credential"]["pmt_version"], "4204");
    let status = svea.status("MIT0001").await;
    assert_eq!(
        status.field("pmtq_returncode").unwrap(),
        "30",
        "a token charge is paid at once"
    );
    assert!(status.field("pmtq_paymentdate").unwrap().len() == 10);
}

#[tokio::test]
async fn token_charge_with_request_hash_uses_the_named_algorithm_and_accepts_lower_case() {
    let svea = start(60).await;
    let listing = svea.tokens(5, 55).await;
    let approve: Vec<(String, String)> = listing["customers"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap().clone())
        .filter(|c| c["behaviour"] == "approve" && !c["pmt_token"].is_null())
        .filter(|c| {
            c["exp_year"].as_i64().unwrap() * 12 + c["exp_month"].as_i64().unwrap()
                >= chrono_months_now()
        })
        .map(|c| {
            (
                c["pmt_token"].as_str().unwrap().into(),
                c["initial"]["amount"].as_str().unwrap().into(),
            )
        })
        .collect();
    for (n, version) in ["SHA-256", "SHA-512", "MD5"].iter().enumerate() {
        let (token, cap) = &approve[n];
        let mut form = charge_form(&svea.seller().id, &format!("HASH{n}"), cap, token);
        if *version == "MD5" {
            let hash = format!(
                "{:x}",
                md5::Md5::digest(
                    hash_string(
                        &PAYMENT_HASH_ORDER
                            .iter()
                            .filter_map(|f| get(&form, f))
                            .collect::<Vec<_>>(),
                        &svea.seller().secret,
                    )
                    .as_bytes()
                )
            );
            set(&mut form, "pmt_hashversion", "MD5");
            set(&mut form, "pmt_hash", &hash);
            let answer = svea
                .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::None)
                .await;
            assert_eq!(
                answer.status, 200,
                "lower-case MD5 hex is accepted: {}",
                answer.body
            );
            assert_eq!(
                answer.field("pmt_hash").unwrap().len(),
                32,
                "the answer uses MD5 too"
            );
            continue;
        }
        let answer = svea
            .post(
                "/NewChargeWithTokenActionExtended.pmt",
                &form,
                Auth::Hash(version),
            )
            .await;
        assert_eq!(answer.status, 200, "{version}: {}", answer.body);
        assert_eq!(
            answer.field("pmt_hash").unwrap(),
            charge_answer_hash(&answer, version, &svea.seller().secret)
        );
    }
}

#[tokio::test]
async fn bad_credentials_are_refused_with_401() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let form = charge_form(&seller, "AUTH1", &cap, &token);
    let wrong_secret = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &form,
            Auth::BasicWith(&seller, "wrong"),
        )
        .await;
    assert_eq!(wrong_secret.status, 401);
    assert_eq!(
        wrong_secret.field("pmt_errorcode").unwrap(),
        "ERROR_IN_REQUEST_TECHNICAL_DATA"
    );
    let mut tampered = form.clone();
    set(&mut tampered, "pmt_hashversion", "SHA-256");
    set(&mut tampered, "pmt_hash", &"A".repeat(64));
    let bad_hash = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &tampered,
            Auth::None,
        )
        .await;
    assert_eq!(bad_hash.status, 401, "a wrong hash is refused");
    let mut other_key = form.clone();
    set(&mut other_key, "pmt_keygeneration", "002");
    let wrong_generation = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &other_key,
            Auth::Hash("SHA-256"),
        )
        .await;
    assert_eq!(
        wrong_generation.status, 401,
        "an unknown key generation is refused"
    );
    let nothing = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::None)
        .await;
    assert_eq!(nothing.status, 401, "no credentials at all");
    let status = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &svea.status_form("X"),
            Auth::BasicWith(&seller, "nope"),
        )
        .await;
    assert_eq!(status.status, 401, "status queries authenticate too");
    assert!(
        svea.ledger().await.is_empty(),
        "nothing refused reaches the ledger"
    );
    let after = svea.status("AUTH1").await;
    assert_eq!(
        after.field("pmtq_amount").unwrap(),
        "0,00",
        "a refused request consumes no pmt_id"
    );
}

#[tokio::test]
async fn field_errors_name_the_field() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    type Edit = Box<dyn Fn(&mut Form)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "pmt_amount",
            Box::new(|f: &mut Form| set(f, "pmt_amount", "568.10")),
        ),
        (
            "pmt_currency",
            Box::new(|f: &mut Form| set(f, "pmt_currency", "USD")),
        ),
        (
            "pmt_reference",
            Box::new(|f: &mut Form| set(f, "pmt_reference", "10000428")),
        ),
        (
            "pmt_duedate",
            Box::new(|f: &mut Form| set(f, "pmt_duedate", "2026-01-15")),
        ),
        (
            "pmt_userlocale",
            Box::new(|f: &mut Form| set(f, "pmt_userlocale", "de_DE")),
        ),
        ("pmt_rows", Box::new(|f: &mut Form| set(f, "pmt_rows", "2"))),
        (
            "pmt_row_price_gross1",
            Box::new(|f: &mut Form| set(f, "pmt_row_price_net1", "1,00")),
        ),
        (
            "pmt_amount",
            Box::new(|f: &mut Form| set(f, "pmt_row_price_gross1", "1,00")),
        ),
        (
            "pmt_sellercosts",
            Box::new(|f: &mut Form| set(f, "pmt_sellercosts", "5,00")),
        ),
        (
            "pmt_id",
            Box::new(|f: &mut Form| set(f, "pmt_id", "ID-LONGER-THAN-TWENTY")),
        ),
        (
            "pmt_buyername",
            Box::new(|f: &mut Form| f.retain(|(k, _)| k != "pmt_buyername")),
        ),
    ];
    for (n, (field, change)) in cases.iter().enumerate() {
        let mut form = charge_form(&seller, &format!("FIELD{n}"), &cap, &token);
        change(&mut form);
        let answer = svea
            .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::Basic)
            .await;
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        assert!(answer.body.contains("<errors>"), "{}", answer.body);
        assert!(
            answer.body.contains(&format!(
                "<error name=\"{field}\" type=\"field\">{field} is invalid</error>"
            )),
            "{field} expected in {}",
            answer.body
        );
    }
    let mut not_zero = payment_form(&seller, "TOKENIZE", "4504", "TOK-NONZERO", "1,00", None);
    set(&mut not_zero, "pmt_row_price_gross1", "1,00");
    let answer = svea
        .post("/TokenizeExtended.pmt", &not_zero, Auth::Basic)
        .await;
    assert!(
        answer.has_error("pmt_amount", "field"),
        "a tokenization must be zero: {}",
        answer.body
    );
}

#[tokio::test]
async fn pmt_id_is_never_reusable() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let (soft, _) = svea.card("soft_decline").await;
    let seller = svea.seller().id.clone();
    let declined = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE1", "1,00", &soft),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        declined.field("pmt_errorcode").unwrap(),
        "ERROR_CARD_AUTHORIZATION_FAILED"
    );
    let reused = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert!(
        reused.has_error("pmt_id", "existingPayment"),
        "{}",
        reused.body
    );
    assert!(reused
        .body
        .contains("[generic][pmt_sellerid][pmt_id][existingPayment]"));
    let paid = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE2", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(paid.status, 200);
    let again = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ONCE2", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(again.field("pmt_errorcode").unwrap(), "ALREADY_PAID");
    let page = payment_form(&seller, "TOKENIZE", "4504", "ONCE2", "0,00", None);
    let tokenize = svea.post("/TokenizeExtended.pmt", &page, Auth::Basic).await;
    assert!(
        tokenize.has_error("pmt_id", "existingPayment"),
        "ids are shared by every endpoint"
    );
}

#[tokio::test]
async fn refuses_second_token_charge_in_same_month_and_any_charge_above_the_original() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let cents = |text: &str| text.replace(',', "").parse::<i64>().unwrap();
    let above =
        coffer_core::Money::from_minor(cents(&cap) + 1, coffer_core::Currency::EUR).to_decimal(',');
    let too_much = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "CAP1", &above, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        too_much.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED"
    );
    let first = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MONTH1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.field("pmt_errorcode").is_none());
    let second = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MONTH2", "1,00", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        second.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED"
    );
    let statuses: Vec<String> = svea
        .ledger()
        .await
        .iter()
        .map(|c| c["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        ["declined", "approved", "declined"],
        "every processed charge is in the ledger"
    );
}

#[tokio::test]
async fn test_cards_answer_with_the_documented_codes() {
    let svea = start(60).await;
    let seller = svea.seller().id.clone();
    for (n, (behaviour, code)) in [
        ("soft_decline", "ERROR_CARD_AUTHORIZATION_FAILED"),
        ("hard_decline", "EXTERNAL_SERVICE_DENIED"),
        ("expired", "ERROR_PAYMENT_INSTRUMENT_EXPIRED"),
    ]
    .into_iter()
    .enumerate()
    {
        let (token, _) = svea.card(behaviour).await;
        let answer = svea
            .post(
                "/NewChargeWithTokenActionExtended.pmt",
                &charge_form(&seller, &format!("CARD{n}"), "1,00", &token),
                Auth::Basic,
            )
            .await;
        assert_eq!(answer.status, 200);
        assert_eq!(answer.field("pmt_errorcode").unwrap(), code, "{behaviour}");
        let status = svea.status(&format!("CARD{n}")).await;
        assert_eq!(
            status.field("pmtq_returncode").unwrap(),
            "11",
            "{behaviour} is unpaid"
        );
        assert_eq!(status.field("pmt_errorcode").unwrap(), code);
    }
    let unknown = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "CARD9", "1,00", "no-such-token"),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        unknown.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND"
    );
}

#[tokio::test]
async fn timeout_card_holds_the_request_then_answers_timeout_and_charges_nothing() {
    let svea = start(60).await;
    svea.http
        .put(format!("{}/faults", svea.sandbox.urls.admin))
        .json(&serde_json::json!({"timeout_ms": 300}))
        .send()
        .await
        .unwrap();
    let (token, _) = svea.card("timeout").await;
    let answer = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&svea.seller().id, "SLOW1", "1,00", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        answer.field("pmt_errorcode").unwrap(),
        "ERROR_CARD_AUTHORIZATION_TIMEOUT"
    );
    assert_eq!(
        svea.status("SLOW1").await.field("pmtq_returncode").unwrap(),
        "11",
        "nothing was charged"
    );
    assert!(
        svea.ledger().await.is_empty(),
        "the timeout card charges nothing"
    );
}

#[tokio::test]
async fn response_lost_card_records_the_charge_and_closes_the_connection() {
    let svea = start(60).await;
    let (token, cap) = svea.card("response_lost").await;
    let form = charge_form(&svea.seller().id, "LOST1", &cap, &token);
    let sent = svea
        .http
        .post(format!(
            "{}/NewChargeWithTokenActionExtended.pmt",
            svea.base
        ))
        .basic_auth(&svea.seller().id, Some(&svea.seller().secret))
        .form(&form)
        .send()
        .await;
    assert!(sent.is_err(), "no answer arrives");
    assert_eq!(
        svea.status("LOST1").await.field("pmtq_returncode").unwrap(),
        "30",
        "but the payment was made"
    );
    let ledger = svea.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["status"], "approved");
}

#[tokio::test]
async fn status_query_answers_unknown_ids_with_00_and_hashes_per_the_notes() {
    let svea = start(60).await;
    let seller = svea.seller();
    let unknown = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &svea.status_form("NOPE1"),
            Auth::Hash("SHA-256"),
        )
        .await;
    assert_eq!(unknown.status, 200, "{}", unknown.body);
    assert!(unknown.body.contains("<pmtq>"));
    assert_eq!(unknown.field("pmtq_returncode").unwrap(), "00");
    assert_eq!(unknown.field("pmtq_amount").unwrap(), "0,00");
    assert_eq!(
        unknown.field("pmtq_returntext").unwrap(),
        "No payment found with specified data",
        "Svea's own words for an unknown payment (DOCS page 1657014098)"
    );
    let basic = svea.status("NOPE2").await;
    assert_eq!(basic.field("pmtq_returncode").unwrap(), "00");
    assert_eq!(
        basic.field("pmtq_hash"),
        None,
        "Svea's unknown-payment answer to a Basic request has no hash: {}",
        basic.body
    );
    assert_eq!(
        basic.field("pmtq_orderid"),
        None,
        "nor an order id: there is no order"
    );
    let names = [
        "pmtq_action",
        "pmtq_version",
        "pmtq_sellerid",
        "pmtq_id",
        "pmtq_amount",
        "pmtq_returncode",
        "pmtq_returntext",
    ];
    let values: Vec<String> = names.iter().map(|n| unknown.field(n).unwrap()).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        unknown.field("pmtq_hash").unwrap(),
        hex_hash("SHA-256", &hash_string(&refs, &seller.secret))
    );

    let (token, cap) = svea.card("approve").await;
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller.id, "Q1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let paid = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &svea.status_form("Q1"),
            Auth::Hash("SHA-512"),
        )
        .await;
    let names = [
        "pmtq_action",
        "pmtq_version",
        "pmtq_sellerid",
        "pmtq_id",
        "pmtq_amount",
        "pmtq_returncode",
        "pmtq_returntext",
        "pmtq_sellercosts",
        "pmtq_paymentmethod",
        "pmtq_escrow",
        "pmtq_certification",
        "pmtq_paymentdate",
    ];
    let values: Vec<String> = names.iter().map(|n| paid.field(n).unwrap()).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        paid.field("pmtq_hash").unwrap(),
        hex_hash("SHA-512", &hash_string(&refs, &seller.secret))
    );
    assert_eq!(paid.field("pmtq_orderid").unwrap(), "CONTRACT-42-2026-01");
    assert_eq!(
        paid.field("pmtq_token_debit_limit").unwrap(),
        cap,
        "the cap is the original amount"
    );
    assert_eq!(paid.field("pmtq_token_expiration_month").unwrap().len(), 2);
    assert!(
        paid.field("pmtq_token").unwrap().ends_with("****"),
        "the token is masked"
    );
    assert_eq!(paid.field("pmtq_card_number_masked").unwrap().len(), 4);
    let bad = svea
        .post(
            "/PaymentStatusQuery.pmt",
            &{
                let mut f = svea.status_form("Q1");
                set(&mut f, "pmtq_version", "0004");
                f
            },
            Auth::Basic,
        )
        .await;
    assert!(bad.has_error("pmtq_version", "field"));
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

#[tokio::test]
async fn cancel_refunds_partly_then_fully_and_refuses_what_is_not_left() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller, "R1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let partial = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "PARTIAL_REFUND", Some("1,00")),
            Auth::Hash("SHA-256"),
        )
        .await;
    assert_eq!(
        partial.field("pmtc_returncode").unwrap(),
        "00",
        "{}",
        partial.body
    );
    let names = [
        "pmtc_action",
        "pmtc_version",
        "pmtc_sellerid",
        "pmtc_id",
        "pmtc_returntext",
        "pmtc_returncode",
    ];
    let values: Vec<String> = names.iter().map(|n| partial.field(n).unwrap()).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        partial.field("pmtc_hash").unwrap(),
        hex_hash("SHA-256", &hash_string(&refs, &svea.seller().secret)),
        "text before code in the cancel hash"
    );
    assert_eq!(
        svea.status("R1").await.field("pmtq_returncode").unwrap(),
        "92"
    );
    let wrong_original = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", "1,00", "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(wrong_original.field("pmtc_returncode").unwrap(), "90");
    assert!(wrong_original.has_error("pmtc_amount", "field"));
    let full_with_amount = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "FULL_REFUND", Some("1,00")),
            Auth::Basic,
        )
        .await;
    assert!(
        full_with_amount.has_error("pmtc_cancelamount", "field"),
        "a full refund names no amount"
    );
    let rest = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(rest.field("pmtc_returncode").unwrap(), "00");
    assert_eq!(
        svea.status("R1").await.field("pmtq_returncode").unwrap(),
        "99",
        "fully refunded"
    );
    let nothing = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "R1", &cap, "PARTIAL_REFUND", Some("1,00")),
            Auth::Basic,
        )
        .await;
    assert_eq!(nothing.field("pmtc_returncode").unwrap(), "99");
    let unknown = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "NOPE", "1,00", "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(unknown.field("pmtc_returncode").unwrap(), "20");
    let refunds: Vec<i64> = svea
        .ledger()
        .await
        .iter()
        .filter(|c| c["kind"] == "refund")
        .map(|c| c["amount_minor"].as_i64().unwrap())
        .collect();
    let cents = cap.replace(',', "").parse::<i64>().unwrap();
    assert_eq!(refunds, [100, cents - 100]);
}

#[tokio::test]
async fn settled_payments_need_refund_after_settlement() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller, "S1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let settled = svea
        .http
        .post(format!("{}/__sandbox/settle", svea.base))
        .form(&[("seller_id", seller.as_str()), ("pmt_id", "S1")])
        .send()
        .await
        .unwrap();
    assert_eq!(settled.status(), 200);
    assert_eq!(
        svea.status("S1").await.field("pmtq_returncode").unwrap(),
        "40"
    );
    let cancel = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "S1", &cap, "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(cancel.field("pmtc_returncode").unwrap(), "30");
    let after = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "S1", &cap, "REFUND_AFTER_SETTLEMENT", Some(&cap)),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        after.field("pmtc_returncode").unwrap(),
        "00",
        "{}",
        after.body
    );
    assert_eq!(after.field("pmtc_pay_with_amount").unwrap(), cap);
    assert!(after.field("pmtc_pay_with_iban").unwrap().starts_with("FI"));
}

#[tokio::test]
async fn tokenization_goes_through_the_card_page_and_the_new_token_can_be_charged() {
    let svea = start(5).await;
    let seller = svea.seller().id.clone();
    let form = payment_form(&seller, "TOKENIZE", "4504", "TOK1", "0,00", None);
    let created = svea.post("/TokenizeExtended.pmt", &form, Auth::Basic).await;
    assert_eq!(created.status, 200, "{}", created.body);
    let page_url = created
        .field("pmt_paymenturl")
        .unwrap()
        .replace("&amp;", "&");
    let page = svea.http.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("name=\"card_number\""));
    let submit =
        |number: &'static str, three_ds: &'static str, action: &'static str, id: &'static str| {
            let http = svea.http.clone();
            let url = format!("{}/card-page", svea.base);
            let seller = seller.clone();
            async move {
                http.post(url)
                    .form(&[
                        ("s", seller.as_str()),
                        ("id", id),
                        ("card_number", number),
                        ("exp_month", "12"),
                        ("exp_year", "2099"),
                        ("cvv", "123"),
                        ("three_ds", three_ds),
                        ("action", action),
                    ])
                    .send()
                    .await
                    .unwrap()
            }
        };
    let typo = submit("4242424242424241", "pass", "pay", "TOK1").await;
    assert_eq!(typo.status(), 422, "a Luhn error is shown on the page");
    let done = submit("4242424242424242", "pass", "pay", "TOK1").await;
    assert_eq!(done.status(), 303);
    let location = reqwest::Url::parse(done.headers()["location"].to_str().unwrap()).unwrap();
    assert_eq!(location.path(), "/svea/ok");
    let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(value("pmt_reference"), "00000000000010000427");
    assert_eq!(value("pmt_amount"), "0,00");
    let token = value("pmt_token");
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
    assert!(
        !pairs.iter().any(|(k, _)| k == "pmt_hash"),
        "a card page started with Basic returns no hash; Svea's S2S page says to confirm such a \
         return with a status query: {pairs:?}"
    );
    assert!(names.iter().all(|n| !value(n).is_empty()));
    let status = svea.status("TOK1").await;
    assert_eq!(status.field("pmtq_card_number_masked").unwrap(), "4242");
    assert_eq!(status.field("pmtq_card_scheme").unwrap(), "VISA");
    let charged = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "AFTER1", "9,90", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(charged.status, 200, "{}", charged.body);
    assert!(charged.field("pmt_errorcode").is_none(), "{}", charged.body);

    let second = svea
        .post(
            "/TokenizeExtended.pmt",
            &payment_form(&seller, "TOKENIZE", "4504", "TOK2", "0,00", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(second.status, 200);
    let cancelled = submit("4242424242424242", "pass", "cancel", "TOK2").await;
    assert!(cancelled.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("https://merchant.example/svea/cancel?pmt_id=TOK2"));
    svea.post(
        "/TokenizeExtended.pmt",
        &payment_form(&seller, "TOKENIZE", "4504", "TOK3", "0,00", None),
        Auth::Basic,
    )
    .await;
    let failed = submit("4242424242424242", "fail", "pay", "TOK3").await;
    assert!(failed.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("https://merchant.example/svea/error?pmt_id=TOK3"));
    let mut browser = payment_form(
        &seller,
        "NEW_PAYMENT_EXTENDED",
        "4304",
        "PAY1",
        "12,00",
        None,
    );
    set(&mut browser, "pmt_row_price_gross1", "12,00");
    let posted = svea
        .post("/NewPaymentExtended.pmt", &browser, Auth::Hash("SHA-256"))
        .await;
    assert_eq!(
        posted.status, 303,
        "a browser form post is sent on to the card page"
    );
    // A page started in hash mode returns its answer hashed with the request's algorithm.
    let paid = submit("4242424242424242", "pass", "pay", "PAY1").await;
    let location = reqwest::Url::parse(paid.headers()["location"].to_str().unwrap()).unwrap();
    let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
    let value = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    let values: Vec<String> = names.iter().map(|n| value(n)).collect();
    let refs: Vec<&str> = values.iter().map(String::as_str).collect();
    assert_eq!(
        value("pmt_hash"),
        hex_hash("SHA-256", &hash_string(&refs, &svea.seller().secret)),
        "the hash-mode return is hashed per §4.3, token included"
    );
}

#[tokio::test]
async fn sandbox_token_listing_gives_seeded_customers_with_initial_payments() {
    let svea = start(10).await;
    let listing = svea.tokens(0, 10).await;
    assert_eq!(listing["total"], 10);
    let customers = listing["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 10);
    let first = &customers[0]["cards"][0];
    assert_eq!(first["behaviour"], "soft_decline");
    let initial_id = first["initial"]["pmt_id"].as_str().unwrap();
    let status = svea.status(initial_id).await;
    assert_eq!(
        status.field("pmtq_returncode").unwrap(),
        "40",
        "the initial payment is settled"
    );
    assert_eq!(
        status.field("pmtq_amount").unwrap(),
        first["initial"]["amount"].as_str().unwrap()
    );
    let missing = svea
        .http
        .get(format!("{}/__sandbox/tokens?seller_id=NOBODY", svea.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn state_file_round_trip_keeps_payments_and_monthly_counters() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(20);
    config.state_file = Some(path.clone());
    let svea = start_with(config.clone()).await;
    let (token, cap) = svea.card("approve").await;
    let charged = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&svea.seller().id, "KEEP1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(charged.status, 200);
    drop(svea);
    for _ in 0..100 {
        if std::fs::read_to_string(&path).is_ok_and(|t| t.contains("KEEP1")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let first: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let svea = start_with(config).await;
    assert_eq!(
        svea.status("KEEP1").await.field("pmtq_returncode").unwrap(),
        "30",
        "the payment survived"
    );
    let again = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&svea.seller().id, "KEEP2", "1,00", &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        again.field("pmt_errorcode").unwrap(),
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED",
        "so did the month"
    );
    let seller_id = svea.seller().id.clone();
    drop(svea);
    for _ in 0..100 {
        if std::fs::read_to_string(&path).is_ok_and(|t| t.contains("KEEP2")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut expected = first["emulators"]["svea"].clone();
    let restored = &second["emulators"]["svea"];
    assert_ne!(&expected, restored, "KEEP2 was recorded");
    // Everything but the one new declined payment is unchanged by the restore.
    expected["sellers"][&seller_id]["payments"]["KEEP2"] =
        restored["sellers"][&seller_id]["payments"]["KEEP2"].clone();
    assert_eq!(
        &expected, restored,
        "snapshot → restore → snapshot is the same state"
    );
}

#[tokio::test]
async fn seeds_100000_customers_per_seller() {
    let svea = start(100_000).await;
    let listing = svea.tokens(99_998, 5).await;
    assert_eq!(listing["total"], 100_000);
    let customers = listing["customers"].as_array().unwrap();
    assert_eq!(customers.len(), 2, "the last page holds the last two");
    assert_eq!(customers[1]["index"], 99_999);
    let card = customers
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap())
        .find(|c| !c["pmt_token"].is_null());
    if let Some(card) = card {
        let status = svea
            .status(card["initial"]["pmt_id"].as_str().unwrap())
            .await;
        assert_eq!(
            status.field("pmtq_returncode").unwrap(),
            "40",
            "deep seeded payments are real"
        );
    }
}

#[tokio::test]
async fn a_seller_may_be_limited_to_one_authentication_mode() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let limit = |hash: &'static str, basic: &'static str| {
        let http = svea.http.clone();
        let url = format!("{}/__sandbox/auth-modes", svea.base);
        let seller = seller.clone();
        async move {
            http.post(url)
                .form(&[
                    ("seller_id", seller.as_str()),
                    ("hash", hash),
                    ("basic", basic),
                ])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(limit("N", "Y").await, 200);
    let hashed = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MODE1", &cap, &token),
            Auth::Hash("SHA-512"),
        )
        .await;
    assert_eq!(hashed.status, 401, "hash mode is off");
    assert_eq!(limit("Y", "N").await, 200);
    let basic = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MODE2", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(basic.status, 401, "Basic is off");
    let hashed = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "MODE3", &cap, &token),
            Auth::Hash("SHA-512"),
        )
        .await;
    assert_eq!(hashed.status, 200, "hash mode is on again: {}", hashed.body);
    assert_eq!(limit("maybe", "N").await, 400);
}

#[tokio::test]
async fn forms_and_hashes_are_read_in_the_declared_latin1_charset() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller();
    let mut form = charge_form(&seller.id, "LATIN1", &cap, &token);
    set(&mut form, "pmt_charset", "ISO-8859-1");
    set(&mut form, "pmt_charsethttp", "ISO-8859-1");
    set(&mut form, "pmt_buyername", "Liisa M\u{e4}kinen");
    // The hash is computed over ISO-8859-1 bytes, and the form is percent-encoded in them too.
    let text = hash_string(
        &PAYMENT_HASH_ORDER
            .iter()
            .filter_map(|f| get(&form, f))
            .collect::<Vec<_>>(),
        &seller.secret,
    );
    let latin1: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap())
        .collect();
    set(&mut form, "pmt_hashversion", "SHA-256");
    set(
        &mut form,
        "pmt_hash",
        &hex::encode_upper(Sha256::digest(&latin1)),
    );
    let body: String = form
        .iter()
        .map(|(k, v)| {
            let bytes: Vec<u8> = v
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap())
                .collect();
            let value: String = bytes
                .iter()
                .map(|b| {
                    if b.is_ascii_alphanumeric() {
                        (*b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect();
            format!("{k}={value}")
        })
        .collect::<Vec<_>>()
        .join("&");
    let answer = svea
        .http
        .post(format!(
            "{}/NewChargeWithTokenActionExtended.pmt",
            svea.base
        ))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let status = svea.status("LATIN1").await;
    assert_eq!(
        status.field("pmtq_buyername").unwrap(),
        "Liisa M\u{e4}kinen",
        "decoded as ISO-8859-1"
    );
    let mut utf8 = charge_form(&seller.id, "LATIN2", &cap, &token);
    set(&mut utf8, "pmt_charsethttp", "KOI8-R");
    let refused = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &utf8, Auth::Basic)
        .await;
    assert!(
        refused.has_error("pmt_charsethttp", "field"),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn a_token_charge_answered_502_by_the_proxy_was_made_and_its_status_query_finds_it() {
    let svea = start(60).await;
    let seller = svea.seller().id.clone();
    let (token, cap, _) = svea.nth_card("approve", 0).await;
    let (other, other_cap, _) = svea.nth_card("approve", 1).await;
    let knobs = crate::set_faults(
        &svea.sandbox,
        serde_json::json!({"error_after_write_next": 1}),
    )
    .await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let before = svea.status("GW1").await;
    assert_eq!(
        (before.status, before.field("pmtq_returncode").unwrap()),
        (200, "00".to_string()),
        "a status query is a lookup though it is a POST: it passes the counter by"
    );
    let response = svea
        .http
        .post(format!(
            "{}/NewChargeWithTokenActionExtended.pmt",
            svea.base
        ))
        .basic_auth(&seller, Some(&svea.seller().secret))
        .form(&charge_form(&seller, "GW1", &cap, &token))
        .send()
        .await
        .unwrap();
    crate::assert_bad_gateway(response, "the token charge").await;
    let ledger = svea.ledger().await;
    assert_eq!(ledger.len(), 1, "the charge behind the 502 was made");
    assert_eq!(
        (&ledger[0]["id"], &ledger[0]["status"]),
        (&serde_json::json!("GW1"), &serde_json::json!("approved"))
    );
    assert_eq!(
        svea.status("GW1").await.field("pmtq_returncode").unwrap(),
        "30",
        "Svea's own status query finds it paid"
    );
    let next = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "GW2", &other_cap, &other),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        (next.status, next.field("pmt_id")),
        (200, Some("GW2".to_string())),
        "the next write is answered as usual: {}",
        next.body
    );
    assert_eq!(svea.ledger().await.len(), 2);
}

#[tokio::test]
async fn status_queries_under_lag_show_a_charge_and_a_refund_only_once_they_are_old_enough() {
    let svea = start(60).await;
    let seller = svea.seller().id.clone();
    let (token, cap, _) = svea.nth_card("approve", 0).await;
    let (_, initial_amount, initial) = svea.nth_card("approve", 1).await;
    let knobs = crate::set_faults(
        &svea.sandbox,
        serde_json::json!({"lookup_lag_secs": crate::LAG_SECS}),
    )
    .await;
    assert_eq!(
        knobs["lookup_lag_secs"],
        crate::LAG_SECS,
        "the PUT echoes the knob"
    );
    let charged = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "LAG1", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        (charged.status, charged.field("pmt_id")),
        (200, Some("LAG1".to_string())),
        "the write itself is not lagged: {}",
        charged.body
    );
    let fresh = svea.status("LAG1").await;
    let unknown = svea.status("NEVER1").await;
    for field in ["pmtq_returncode", "pmtq_returntext", "pmtq_amount"] {
        assert_eq!(
            fresh.field(field),
            unknown.field(field),
            "a fresh charge answers like an unknown payment ({field})"
        );
    }
    assert_eq!(fresh.field("pmtq_orderid"), None, "{}", fresh.body);
    assert_eq!(
        svea.status(&initial)
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "40",
        "a payment made long before shows as usual (settled)"
    );
    let refund = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(
                &seller,
                &initial,
                &initial_amount,
                "REFUND_AFTER_SETTLEMENT",
                Some("1,00"),
            ),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        refund.field("pmtc_returncode").unwrap(),
        "00",
        "a refund of a visible payment is made: {}",
        refund.body
    );
    assert_eq!(
        svea.status(&initial)
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "40",
        "the refund extent is as before the refund"
    );
    tokio::time::sleep(crate::PAST_LAG).await;
    assert_eq!(
        svea.status("LAG1").await.field("pmtq_returncode").unwrap(),
        "30",
        "once the lag has passed the charge shows paid"
    );
    assert_eq!(
        svea.status(&initial)
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "92",
        "and the refund shows"
    );
}

#[tokio::test]
async fn a_payment_with_an_empty_buyer_or_delivery_address_is_refused_naming_each_field() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    let compulsory = [
        "pmt_buyeraddress",
        "pmt_buyerpostalcode",
        "pmt_buyercity",
        "pmt_buyercountry",
        "pmt_deliveryaddress",
        "pmt_deliverypostalcode",
        "pmt_deliverycity",
        "pmt_deliverycountry",
    ];
    let mut form = charge_form(&seller, "NOADDRESS1", &cap, &token);
    for name in compulsory {
        set(&mut form, name, "");
    }
    let answer = svea
        .post("/NewChargeWithTokenActionExtended.pmt", &form, Auth::Basic)
        .await;
    assert_eq!(answer.status, 400, "{}", answer.body);
    for name in compulsory {
        assert!(
            answer.has_error(name, "field"),
            "{name} is named: {}",
            answer.body
        );
    }
    assert_eq!(
        svea.status("NOADDRESS1")
            .await
            .field("pmtq_returncode")
            .unwrap(),
        "00",
        "nothing was charged"
    );
    let mut missing = charge_form(&seller, "NOADDRESS2", &cap, &token);
    missing.retain(|(k, _)| k != "pmt_buyercity");
    let answer = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &missing,
            Auth::Basic,
        )
        .await;
    assert!(
        answer.has_error("pmt_buyercity", "field"),
        "{}",
        answer.body
    );
    let answer = svea
        .post(
            "/NewChargeWithTokenActionExtended.pmt",
            &charge_form(&seller, "ADDRESSED", &cap, &token),
            Auth::Basic,
        )
        .await;
    assert_eq!(
        answer.status, 200,
        "with the address it goes through: {}",
        answer.body
    );
}

#[tokio::test]
async fn a_settlement_run_settles_payments_paid_before_its_date_so_a_cancel_answers_30() {
    let svea = start(60).await;
    let (token, cap) = svea.card("approve").await;
    let seller = svea.seller().id.clone();
    svea.post(
        "/NewChargeWithTokenActionExtended.pmt",
        &charge_form(&seller, "RUN1", &cap, &token),
        Auth::Basic,
    )
    .await;
    let settle = |before: String| {
        let url = format!("{}/__sandbox/settle", svea.base);
        let seller = seller.clone();
        let http = svea.http.clone();
        async move {
            http.post(url)
                .form(&[
                    ("seller_id", seller.as_str()),
                    ("paid_before", before.as_str()),
                ])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        settle(today()).await,
        "settled 0",
        "paid today: not before today"
    );
    assert_eq!(
        svea.status("RUN1").await.field("pmtq_returncode").unwrap(),
        "30"
    );
    let tomorrow = (chrono::Utc::now().with_timezone(&chrono_tz::Europe::Helsinki)
        + chrono::Duration::days(1))
    .format("%d.%m.%Y")
    .to_string();
    assert_eq!(settle(tomorrow).await, "settled 1");
    assert_eq!(
        svea.status("RUN1").await.field("pmtq_returncode").unwrap(),
        "40"
    );
    let cancel = svea
        .post(
            "/PaymentCancel.pmt",
            &cancel_form(&seller, "RUN1", &cap, "FULL_REFUND", None),
            Auth::Basic,
        )
        .await;
    assert_eq!(cancel.field("pmtc_returncode").unwrap(), "30");
}
