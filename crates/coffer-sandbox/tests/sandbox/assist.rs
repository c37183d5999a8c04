//! The Assist emulator over raw HTTP: documented paths, form and JSON bodies, `Format=3` XML
//! answers, web-service error pairs, the recurring and refund rules, and the test cards.
// Test helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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

#[tokio::test]
async fn two_merchants_are_seeded_with_assist_style_credentials() {
    let f = fixture(5).await;
    assert_eq!(f.by.currency, "BYN");
    assert_eq!(f.ru.currency, "RUB");
    for account in [&f.by, &f.ru] {
        assert!(
            account.merchant_id.bytes().all(|b| b.is_ascii_digit()),
            "Merchant_ID is a number"
        );
        assert!((8..=20).contains(&account.login.len()));
        assert!(
            (8..=20).contains(&account.password.len())
                && account.password.bytes().all(|b| b.is_ascii_alphanumeric())
        );
    }
    let merchants: Vec<Value> = f
        .http
        .get(format!("{}/merchants", f.sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zones: Vec<&str> = merchants
        .iter()
        .filter(|m| m["account"]["provider"] == "assist")
        .map(|m| m["time_zone"].as_str().unwrap())
        .collect();
    assert_eq!(zones, ["Europe/Minsk", "Europe/Moscow"]);
    let customers = f.register(&f.ru, 0, 10).await;
    assert_eq!(customers.len(), 5);
    assert_eq!(customers[0]["customer_number"], "RU-000001");
    assert!(customers[0]["email"].as_str().unwrap().contains('@'));
}

#[tokio::test]
async fn token_listing_returns_one_click_cards_by_customer_number() {
    let f = fixture(30).await;
    let customer = &f.register(&f.by, 7, 1).await[0];
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let listing = f.tokens(json!({"merchant": credentials, "customernumber": customer["customer_number"], "language": "EN"})).await;
    let cards = listing.as_array().expect("a bare array by default");
    assert_eq!(cards.len(), customer["cards"].as_array().unwrap().len());
    let card = &cards[0];
    assert_eq!(card["token"], customer["cards"][0]["token"]);
    assert_eq!(
        card["token"].as_str().unwrap().len(),
        36,
        "a UUID-shaped token"
    );
    assert_eq!(card["post"], customer["cards"][0]["last4"]);
    assert_eq!(
        card["bin"].as_u64().map(|b| b.to_string().len()),
        Some(6),
        "bin is a JSON number of six digits, as in the published example: {card}"
    );
    let expire = card["expire"].as_str().unwrap();
    assert!(
        expire.len() == 7 && &expire[2..3] == ".",
        "MM.YYYY: {expire}"
    );
    assert!(
        card["active"].is_boolean() && card["needCVC"].is_boolean() && card["assets"].is_array()
    );
    assert!(card["brand"].is_string() && card["bank"].is_string());

    let unknown = f
        .tokens(json!({"merchant": credentials, "customernumber": "BY-999999"}))
        .await;
    assert_eq!(unknown, json!([]), "an unknown customer has no cards");
    let other_merchant = f
        .tokens(json!({"merchant": credentials, "customernumber": "RU-000001"}))
        .await;
    assert_eq!(
        other_merchant,
        json!([]),
        "customer numbers are per merchant"
    );

    let bad =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": "WrongPassw0rd"});
    let refused = f
        .tokens(json!({"merchant": bad, "customernumber": customer["customer_number"]}))
        .await;
    assert_eq!(
        (
            refused["fault"]["faultcode"].as_u64(),
            refused["fault"]["faultstring"].as_u64(),
            refused["fault"]["detail"].is_string()
        ),
        (Some(7), Some(141), true),
        "the published fault object, codes as numbers: {refused}"
    );

    let any_case = f
        .tokens(json!({"MERCHANT": credentials, "CustomerNumber": customer["customer_number"]}))
        .await;
    assert_eq!(
        any_case.as_array().map(Vec::len),
        Some(cards.len()),
        "any-case names, still a bare array"
    );
}

#[tokio::test]
async fn bad_credentials_are_refused_with_firstcode_7() {
    let f = fixture(1).await;
    let unknown = f
        .post(
            "/orderresult/orderresult.cfm",
            &[
                ("Merchant_ID", "699999"),
                ("Login", &f.by.login),
                ("Password", &f.by.password),
                ("Ordernumber", "x"),
                ("Format", "3"),
            ],
        )
        .await;
    assert_eq!(codes(&unknown), "7/100");
    let wrong = f
        .post(
            "/orderresult/orderresult.cfm",
            &[
                ("Merchant_ID", &f.by.merchant_id),
                ("Login", &f.by.login),
                ("Password", "Wrong1234"),
                ("Ordernumber", "x"),
                ("Format", "3"),
            ],
        )
        .await;
    assert_eq!(codes(&wrong), "7/141");
    let someone_elses = f
        .post(
            "/orderresult/orderresult.cfm",
            &[
                ("Merchant_ID", &f.by.merchant_id),
                ("Login", &f.ru.login),
                ("Password", &f.ru.password),
                ("Ordernumber", "x"),
            ],
        )
        .await;
    assert_eq!(
        codes(&someone_elses),
        "7/141",
        "another merchant's login does not open this one"
    );
    let missing = f
        .post(
            "/orderresult/orderresult.cfm",
            &[("Login", &f.by.login), ("Ordernumber", "x")],
        )
        .await;
    assert_eq!(codes(&missing), "3/100");
    let ok = f.order_result("never-used").await;
    assert_eq!(codes(&ok), "0/0");
    assert_eq!(
        attr(&ok, "count"),
        "0",
        "nothing under an unused order number"
    );
}

#[tokio::test]
async fn token_pay_charges_a_saved_card_and_orderresult_finds_it() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let payment_token = json!({"Token": customer["cards"][0]["token"], "CustomerNumber": customer["customer_number"]}).to_string();
    // Lower-case names, as one Ruby client sends them.
    let answer = f
        .post(
            "/pay/tokenpay.cfm",
            &[
                ("merchant_id", &f.by.merchant_id),
                ("login", &f.by.login),
                ("password", &f.by.password),
                ("ordernumber", "CF-2024-000187"),
                ("orderamount", "25.90"),
                ("ordercurrency", "BYN"),
                ("tokentype", "5"),
                ("paymenttoken", &payment_token),
                ("format", "3"),
            ],
        )
        .await;
    assert_eq!(codes(&answer), "0/0", "{answer}");
    assert_eq!(first(&answer, "orderstate"), "Approved");
    assert_eq!(first(&answer, "responsecode"), "AS000");
    assert_eq!(first(&answer, "orderamount"), "25.90");
    let bill = first(&answer, "billnumber");
    assert_eq!(bill.len(), 16);
    let masked = all(&answer, "meannumber");
    assert!(
        masked[0].contains("******")
            && masked[0].ends_with(customer["cards"][0]["last4"].as_str().unwrap())
    );

    let result = f.order_result("CF-2024-000187").await;
    assert_eq!(attr(&result, "count"), "1");
    assert_eq!(first(&result, "billnumber"), bill);
    assert_eq!(all(&result, "operationtype"), ["100"]);
    assert!(
        all(&result, "billnumber").contains(&format!("{bill}.1")),
        "operations carry the extended billnumber"
    );

    let ledger = f.ledger().await;
    assert_eq!(ledger.len(), 1);
    assert_eq!(ledger[0]["status"], "approved");
    assert_eq!(ledger[0]["amount_minor"], 2590);
    assert_eq!(ledger[0]["order_id"], "CF-2024-000187");
    assert_eq!(
        ledger[0]["stored_credential"]["tokentype"], "5",
        "flags kept as received"
    );

    let as_json = f
        .by_post(
            "/orderresult/orderresult.cfm",
            &[("Ordernumber", "CF-2024-000187"), ("Format", "5")],
        )
        .await;
    let value: Value = serde_json::from_str(&as_json).expect("Format=5 is JSON");
    assert_eq!(value["order"][0]["billnumber"], bill.as_str());
}

#[tokio::test]
async fn test_cards_decline_with_assist_codes() {
    let f = fixture(20).await;
    // (customer index, last4, responsecode, merchantadvicecode): docs/assist.md "Test cards".
    let cases = [
        (0, "0341", "AS102", None),
        (1, "0002", "AS108", None),
        (2, "0069", "AS104", None),
        (10, "0100", "AS100", None),
        (11, "0108", "AS108", None),
        (12, "0121", "AS100", Some("21")),
        (13, "0103", "AS100", Some("03")),
        (14, "0141", "AS100", None),
    ];
    // Visa's decline category (`errorcategory`) on the Visa test cards only.
    let categories = [
        None,
        None,
        None,
        Some("4"),
        Some("2"),
        None,
        None,
        Some("1"),
    ];
    for ((index, last4, code, advice), category) in cases.into_iter().zip(categories) {
        let customer = &f.register(&f.by, index, 1).await[0];
        assert_eq!(
            customer["cards"][0]["last4"], last4,
            "customer {index} carries the documented test card"
        );
        let order = format!("DECLINE-{index}");
        let answer = f.token_pay(customer, &order, "10.00").await;
        assert_eq!(codes(&answer), "0/0", "a decline is a processed request");
        assert_eq!(first(&answer, "orderstate"), "Declined", "{answer}");
        assert_eq!(first(&answer, "responsecode"), code, "{answer}");
        let advised = all(&answer, "merchantadvicecode");
        assert_eq!(
            advised.first().map(String::as_str),
            advice,
            "the advice code is on the order only where the card sets one: {answer}"
        );
        let looked_up = f.order_result(&order).await;
        assert_eq!(
            all(&looked_up, "merchantadvicecode")
                .first()
                .map(String::as_str),
            advice,
            "orderresult shows the same order field as the payment answer: {looked_up}"
        );
        for (xml, what) in [(&answer, "payment answer"), (&looked_up, "orderresult")] {
            assert_eq!(
                all(xml, "errorcategory").first().map(String::as_str),
                category,
                "{last4}: Visa's category in the {what}: {xml}"
            );
        }
    }
    let ledger = f.ledger().await;
    assert_eq!(ledger.len(), cases.len());
    assert!(ledger.iter().all(|c| c["status"] == "declined"));
}

#[tokio::test]
async fn order_numbers_are_reused_only_after_a_failed_attempt() {
    let f = fixture(30).await;
    let soft = &f.register(&f.by, 0, 1).await[0];
    let good = f.customer(5, is_approver).await;
    let declined = f.token_pay(soft, "ORD-1", "10.00").await;
    assert_eq!(first(&declined, "orderstate"), "Declined");
    let retry = f.token_pay(&good, "ORD-1", "10.00").await;
    assert_eq!(first(&retry, "orderstate"), "Approved");
    assert_ne!(
        first(&retry, "billnumber"),
        first(&declined, "billnumber"),
        "a new attempt gets a new billnumber"
    );
    let result = f.order_result("ORD-1").await;
    assert_eq!(
        attr(&result, "count"),
        "2",
        "orderresult lists every attempt"
    );
    assert_eq!(
        all(&result, "orderstate"),
        ["Declined", "Approved"],
        "oldest first"
    );
    let again = f.token_pay(&good, "ORD-1", "10.00").await;
    assert_eq!(
        codes(&again),
        "11/107",
        "an approved order number is refused"
    );
    f.rules(json!({"refuse_duplicate_order": false})).await;
    let charged = f.token_pay(&good, "ORD-1", "10.00").await;
    assert_eq!(
        first(&charged, "orderstate"),
        "Approved",
        "switch: charged again"
    );
}

#[tokio::test]
async fn malformed_and_missing_fields_get_web_service_errors() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let token =
        json!({"Token": good["cards"][0]["token"], "CustomerNumber": good["customer_number"]})
            .to_string();
    let pay = |extra: Vec<(&'static str, String)>| {
        let mut form: Vec<(&str, String)> = vec![
            ("OrderNumber", "V-1".into()),
            ("OrderAmount", "10.00".into()),
            ("TokenType", "5".into()),
            ("PaymentToken", token.clone()),
        ];
        for (k, v) in extra {
            form.retain(|(name, _)| *name != k);
            form.push((k, v));
        }
        form
    };
    let cases: Vec<(Vec<(&'static str, String)>, &str)> = vec![
        (vec![("OrderAmount", "10,34".into())], "4/108"),
        (vec![("OrderAmount", "0".into())], "5/108"),
        (vec![("OrderAmount", "".into())], "3/108"),
        (vec![("OrderNumber", "".into())], "3/107"),
        (vec![("OrderNumber", "x".repeat(129))], "4/107"),
        (vec![("OrderCurrency", "BY".into())], "4/105"),
        (vec![("OrderCurrency", "RUB".into())], "5/105"),
        (vec![("Delay", "2".into())], "4/109"),
        (vec![("Format", "4".into())], "6/103"),
        (vec![("PaymentToken", "{not json".into())], "4/306"),
        (vec![("TokenType", "2".into())], "15/306"),
    ];
    for (extra, expected) in cases {
        let form = pay(extra.clone());
        let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let answer = f.by_post("/pay/tokenpay.cfm", &borrowed).await;
        assert_eq!(codes(&answer), expected, "{extra:?}");
    }
    let forged = json!({"Token": "00000000-0001-4000-a000-000000000001", "CustomerNumber": good["customer_number"]}).to_string();
    let unknown = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-2"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &forged),
            ],
        )
        .await;
    assert_eq!(
        (
            first(&unknown, "orderstate").as_str(),
            first(&unknown, "responsecode").as_str()
        ),
        ("Declined", "AS100")
    );
    let others =
        json!({"Token": good["cards"][0]["token"], "CustomerNumber": "BY-000001"}).to_string();
    let stolen = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-3"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &others),
            ],
        )
        .await;
    assert_eq!(
        first(&stolen, "responsecode"),
        "AS100",
        "a token works only with its own customer"
    );
    f.rules(json!({"unknown_token_as_error": true})).await;
    let as_error = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-4"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &forged),
            ],
        )
        .await;
    assert_eq!(codes(&as_error), "10/201");
    let cof = f
        .http
        .put(format!("{}/__sandbox/cof", f.base))
        .json(&json!({"merchant_id": f.by.merchant_id, "cit_cof": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(cof.status(), 200);
    let no_cof = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "V-5"),
                ("OrderAmount", "1"),
                ("TokenType", "5"),
                ("PaymentToken", &token),
            ],
        )
        .await;
    assert_eq!(codes(&no_cof), "15/306", "Token Pay fails without CIT COF");
    let missing_page = f
        .http
        .post(format!("{}/pay/nothing.cfm", f.base))
        .send()
        .await
        .unwrap();
    assert_eq!(missing_page.status(), 404);
}

#[tokio::test]
async fn sandbox_initials_list_the_seeded_initial_orders_that_rp_cfm_accepts() {
    let f = fixture(30).await;
    let by = f.by.merchant_id.clone();
    let (status, all) = f
        .initials(&format!("merchant={by}&offset=0&limit=1000"))
        .await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["merchant"], by.as_str());
    assert_eq!(all["offset"], 0);
    let listed = all["initials"].as_array().unwrap().clone();
    // Every seeded card with an initial order, in customer then card order.
    let expected: Vec<(Value, Value, Value)> = f
        .register(&f.by, 0, 30)
        .await
        .iter()
        .flat_map(|c| {
            c["cards"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|k| k["initial_billnumber"].is_string())
                .map(|k| {
                    (
                        c["customer_number"].clone(),
                        k["token"].clone(),
                        k["initial_billnumber"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(all["total"], expected.len());
    let got: Vec<(Value, Value, Value)> = listed
        .iter()
        .map(|e| {
            (
                e["customer"].clone(),
                e["token"].clone(),
                e["initial_ref"].clone(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    assert!(listed
        .iter()
        .all(|e| e["currency"] == f.by.currency.as_str()
            && (500..=2400).contains(&e["amount_minor"].as_i64().unwrap())));
    // The token is the One Click listing's own.
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let cards = f
        .tokens(json!({"merchant": credentials, "customernumber": listed[0]["customer"]}))
        .await;
    assert!(
        cards
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["token"] == listed[0]["token"]),
        "{cards}"
    );

    // rp.cfm accepts a listed initial_ref, for the listed amount.
    let customer = f.customer(5, is_approver).await;
    let entry = listed
        .iter()
        .find(|e| e["token"] == customer["cards"][0]["token"])
        .expect("the seeded card is listed")
        .clone();
    let amount = format!(
        "{:.2}",
        entry["amount_minor"].as_i64().unwrap() as f64 / 100.0
    );
    let ok = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", entry["initial_ref"].as_str().unwrap()),
                ("OrderNumber", "LISTED-MIT-1"),
                ("Amount", &amount),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(codes(&ok), "0/0", "{ok}");
    assert_eq!(first(&ok, "orderstate"), "Approved");
    assert_eq!(first(&ok, "amount"), amount);
    let (_, again) = f.initials(&format!("merchant={by}&limit=1000")).await;
    assert_eq!(
        again["initials"],
        json!(listed),
        "a charge against an initial changes nothing listed"
    );

    // Paging: windows of the full list; past the end is empty.
    let (_, window) = f.initials(&format!("merchant={by}&offset=5&limit=3")).await;
    assert_eq!(window["offset"], 5);
    assert_eq!(window["total"], all["total"]);
    assert_eq!(window["initials"], json!(listed[5..8]));
    let mut paged = Vec::new();
    for offset in (0..listed.len()).step_by(7) {
        let (_, page) = f
            .initials(&format!("merchant={by}&offset={offset}&limit=7"))
            .await;
        paged.extend(page["initials"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(paged, listed, "pages put together give the whole list");
    let (_, past) = f
        .initials(&format!("merchant={by}&offset={}", listed.len()))
        .await;
    assert_eq!(past["initials"], json!([]));

    // Each merchant lists its own; an unknown one is 404.
    let (status, ru) = f
        .initials(&format!("merchant={}&limit=1", f.ru.merchant_id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(ru["initials"][0]["currency"], "RUB");
    assert!(ru["initials"][0]["customer"]
        .as_str()
        .unwrap()
        .starts_with("RU-"));
    let (status, unknown) = f.initials("merchant=999999").await;
    assert_eq!(status, 404);
    assert!(unknown["error"].is_string(), "{unknown}");
}

#[tokio::test]
async fn a_seeded_one_click_initial_is_listed_as_such_and_rp_cfm_refuses_it() {
    let f = fixture(100).await;
    let by = f.by.merchant_id.clone();
    let (_, all) = f.initials(&format!("merchant={by}&limit=1000")).await;
    let listed = all["initials"].as_array().unwrap();
    let one_click: Vec<&Value> = listed.iter().filter(|e| e["kind"] == "one_click").collect();
    assert!(
        !one_click.is_empty(),
        "the demo shows at least one card whose initial was a One Click payment"
    );
    assert!(
        listed
            .iter()
            .all(|e| e["kind"] == "one_click" || e["kind"] == "recurring"),
        "every initial names its kind: {all}"
    );
    let entry = one_click[0];
    let amount = format!(
        "{:.2}",
        entry["amount_minor"].as_i64().unwrap() as f64 / 100.0
    );
    let refused = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", entry["initial_ref"].as_str().unwrap()),
                ("OrderNumber", "ONE-CLICK-MIT-1"),
                ("Amount", &amount),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(
        codes(&refused),
        "15/320",
        "a One Click order registered no recurring terms: rp.cfm refuses it: {refused}"
    );
    let looked_up = f.order_result("ONE-CLICK-MIT-1").await;
    assert_eq!(
        attr(&looked_up, "count"),
        "0",
        "nothing was charged: {looked_up}"
    );
    // Its token still pays with the cardholder present (Token Pay).
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let cards = f
        .tokens(json!({"merchant": credentials, "customernumber": entry["customer"]}))
        .await;
    assert!(
        cards
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["token"] == entry["token"]),
        "the One Click card is in the listing: {cards}"
    );
}

#[tokio::test]
async fn recurring_charges_follow_the_initial_orders_terms() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let initial = customer["cards"][0]["initial_billnumber"]
        .as_str()
        .unwrap()
        .to_string();
    let fr = &f;
    let rp = |order: &'static str, amount: &'static str, currency: &'static str, bill: String| async move {
        fr.by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", &bill),
                ("OrderNumber", order),
                ("Amount", amount),
                ("Currency", currency),
            ],
        )
        .await
    };
    assert_eq!(
        codes(&rp("MIT-0", "500.01", "BYN", initial.clone()).await),
        "5/108",
        "above RecurringMaxAmount"
    );
    assert_eq!(
        codes(&rp("MIT-0", "0.99", "BYN", initial.clone()).await),
        "5/108",
        "below RecurringMinAmount"
    );
    assert_eq!(
        codes(&rp("MIT-0", "10.00", "RUB", initial.clone()).await),
        "5/105",
        "another currency"
    );
    assert_eq!(
        codes(&rp("MIT-0", "10.00", "BYN", "7199999999999999".into()).await),
        "10/143",
        "unknown billnumber"
    );
    assert_eq!(
        codes(&rp("MIT-0", "10.00", "BYN", "12345".into()).await),
        "4/143"
    );

    let ok = rp("MIT-1", "29", "BYN", format!("{initial}.1")).await;
    assert_eq!(codes(&ok), "0/0", "{ok}");
    assert_eq!(first(&ok, "orderstate"), "Approved");
    assert_eq!(first(&ok, "responsecode"), "AS000");
    assert_eq!(first(&ok, "amount"), "29.00");
    let mit_bill = first(&ok, "billnumber");
    assert_ne!(mit_bill, initial, "each MIT gets its own billnumber");
    assert!(
        ok.contains("<orders><order>"),
        "rp.cfm wraps the order in <orders>"
    );

    assert_eq!(
        codes(&rp("MIT-2", "29", "BYN", initial.clone()).await),
        "15/320",
        "sooner than RecurringPeriod"
    );
    assert_eq!(
        codes(&rp("MIT-3", "29", "BYN", mit_bill.clone()).await),
        "15/320",
        "a MIT is no initial order"
    );
    f.rules(json!({"enforce_period": false})).await;
    assert_eq!(
        first(
            &rp("MIT-4", "29", "BYN", initial.clone()).await,
            "orderstate"
        ),
        "Approved",
        "switch: period not enforced"
    );
    f.rules(json!({"recurring_violation_as_error": false}))
        .await;
    let declined = rp("MIT-5", "600", "BYN", initial.clone()).await;
    assert_eq!(
        (
            first(&declined, "orderstate").as_str(),
            first(&declined, "responsecode").as_str()
        ),
        ("Declined", "AS100"),
        "switch: violations as declines"
    );

    let ledger = f.ledger().await;
    let mit = ledger
        .iter()
        .find(|c| c["id"] == mit_bill.as_str())
        .unwrap();
    assert_eq!(
        mit["stored_credential"]["BillNumber"],
        format!("{initial}.1"),
        "the link to the initial order, as received"
    );
    assert_eq!(mit["card_token"], customer["cards"][0]["token"]);

    let seeded = f
        .by_post(
            "/orderresult/orderresult.cfm",
            &[
                (
                    "Ordernumber",
                    customer["cards"][0]["initial_ordernumber"]
                        .as_str()
                        .unwrap(),
                ),
                ("StartYear", "2000"),
            ],
        )
        .await;
    assert_eq!(
        attr(&seeded, "count"),
        "1",
        "the seeded initial order is listed when the window reaches it"
    );
    assert_eq!(first(&seeded, "billnumber"), initial);
    let default_window = f
        .order_result(
            customer["cards"][0]["initial_ordernumber"]
                .as_str()
                .unwrap(),
        )
        .await;
    assert_eq!(
        attr(&default_window, "count"),
        "0",
        "older than the 3-day default window"
    );
}

#[tokio::test]
async fn rp_cfm_refuses_an_initial_not_registered_as_recurring_whatever_terms_it_carries() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let cit = f.token_pay(&customer, "INIT-NEW", "5.00").await;
    let bill = first(&cit, "billnumber");
    let bare = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", &bill),
                ("OrderNumber", "M-1"),
                ("Amount", "5"),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(
        codes(&bare),
        "15/320",
        "a Token Pay order registered no recurring terms: not a recurring initial"
    );
    let with_terms = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", &bill),
                ("OrderNumber", "M-2"),
                ("Amount", "5"),
                ("Currency", "BYN"),
                ("RecurringIndicator", "1"),
                ("RecurringMinAmount", "1"),
                ("RecurringMaxAmount", "50"),
                ("RecurringPeriod", "30"),
                ("RecurringMaxDate", "31.12.2099"),
            ],
        )
        .await;
    assert_eq!(
        codes(&with_terms),
        "15/320",
        "terms are registered on the payment page, never by rp.cfm (rp.cfm has no Recurring* parameters)"
    );
    assert!(
        f.ledger().await.iter().all(|c| c["order_id"] != "M-2"),
        "nothing was charged"
    );

    let seeded = f.customer(5, is_approver).await;
    let initial = seeded["cards"][0]["initial_billnumber"].as_str().unwrap();
    let ignored = f
        .by_post(
            "/recurrent/rp.cfm",
            &[
                ("BillNumber", initial),
                ("OrderNumber", "M-3"),
                ("Amount", "29"),
                ("Currency", "BYN"),
                ("RecurringMaxAmount", "10"),
            ],
        )
        .await;
    assert_eq!(
        first(&ignored, "orderstate"),
        "Approved",
        "the registered maximum (500) applies, not the one the request names: {ignored}"
    );
    let ledger = f.ledger().await;
    let row = ledger.iter().find(|c| c["order_id"] == "M-3").unwrap();
    assert!(
        row["warnings"][0]
            .as_str()
            .unwrap()
            .contains("not rp.cfm parameters"),
        "the ledger says the Recurring* field was ignored: {row}"
    );
}

#[tokio::test]
async fn cancels_refund_fully_or_partly_within_the_rules() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let paid = f.token_pay(&customer, "REF-1", "25.90").await;
    let bill = first(&paid, "billnumber");
    let cancel = |extra: Vec<(&'static str, String)>| {
        let bill = bill.clone();
        let f = &f;
        async move {
            let mut form: Vec<(&str, String)> = vec![("Billnumber", bill)];
            form.extend(extra);
            let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            f.by_post("/cancel/wscancel.cfm", &borrowed).await
        }
    };
    assert_eq!(
        codes(&cancel(vec![("Amount", "1.00".into())]).await),
        "3/105",
        "Amount without Currency"
    );
    assert_eq!(
        codes(&cancel(vec![("Currency", "BYN".into())]).await),
        "3/108",
        "Currency without Amount"
    );
    assert_eq!(
        codes(&cancel(vec![("Amount", "1.00".into()), ("Currency", "RUB".into())]).await),
        "5/105"
    );
    assert_eq!(
        codes(&cancel(vec![("Amount", "30.00".into()), ("Currency", "BYN".into())]).await),
        "5/108",
        "more than was paid"
    );
    let json_cancel = |id: &'static str| {
        let body = json!({
            "Billnumber": bill,
            "Merchant_ID": f.by.merchant_id,
            "Login": f.by.login,
            "Password": f.by.password,
            "Amount": "5.00",
            "Currency": "BYN",
            "Externalrefundid": id,
        });
        let f = &f;
        async move {
            f.http
                .post(format!("{}/cancel/wscancel.cfm", f.base))
                .json(&body)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let partial = json_cancel("RF-0000000001").await;
    assert_eq!(
        (
            partial["firstcode"].as_str(),
            partial["secondcode"].as_str()
        ),
        (Some("0"), Some("0")),
        "a JSON request is answered in JSON: {partial}"
    );
    let order = &partial["orders"]["order"][0];
    assert_eq!(order["orderstate"], "PartialCanceled");
    assert_eq!(
        order["operation"][1]["billnumber"],
        format!("{bill}.2"),
        "the cancel is operation 2"
    );
    let repeat = json_cancel("RF-0000000001").await;
    assert_eq!(
        (repeat["firstcode"].as_str(), repeat["secondcode"].as_str()),
        (Some("11"), Some("301")),
        "in JSON a repeated Externalrefundid refunds nothing: {repeat}"
    );
    let in_a_form = cancel(vec![
        ("Amount", "5.00".into()),
        ("Currency", "BYN".into()),
        ("Externalrefundid", "RF-0000000001".into()),
    ])
    .await;
    assert_eq!(
        codes(&in_a_form),
        "0/0",
        "in a form post Externalrefundid is not a parameter (docs: JSON and SOAP only), so the \
         same id refunds again: {in_a_form}"
    );
    assert_eq!(
        codes(&cancel(vec![("Amount", "15.91".into()), ("Currency", "BYN".into())]).await),
        "5/108",
        "only 15.90 is left"
    );
    let rest = f
        .by_post("/cancel/cancel.cfm", &[("Billnumber", &bill)])
        .await;
    assert_eq!(
        first(&rest, "orderstate"),
        "Canceled",
        "no amount: the rest, on the plain-POST path too"
    );
    assert_eq!(first(&rest, "amount"), "15.90");
    assert_eq!(
        codes(&cancel(vec![]).await),
        "15/308",
        "nothing left to cancel"
    );
    let refunds: Vec<i64> = f
        .ledger()
        .await
        .iter()
        .filter(|c| c["kind"] == "refund")
        .map(|c| c["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(refunds, [500, 500, 1590]);
    let warned = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["kind"] == "refund")
        .filter(|c| !c["warnings"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(
        warned, 1,
        "the ledger notes the Externalrefundid a form post ignored"
    );
    let declined = f
        .token_pay(&f.register(&f.by, 0, 1).await[0], "REF-2", "5")
        .await;
    let refused = f
        .by_post(
            "/cancel/wscancel.cfm",
            &[("Billnumber", &first(&declined, "billnumber"))],
        )
        .await;
    assert_eq!(
        codes(&refused),
        "15/308",
        "a declined order has nothing to cancel"
    );
}

#[tokio::test]
async fn two_stage_orders_are_confirmed_by_charge_cfm() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let token = json!({"Token": customer["cards"][0]["token"], "CustomerNumber": customer["customer_number"]}).to_string();
    let held = f
        .by_post(
            "/pay/tokenpay.cfm",
            &[
                ("OrderNumber", "TWO-1"),
                ("OrderAmount", "12.00"),
                ("TokenType", "5"),
                ("PaymentToken", &token),
                ("Delay", "1"),
            ],
        )
        .await;
    assert_eq!(first(&held, "orderstate"), "Delayed");
    let bill = first(&held, "billnumber");
    let confirmed = f
        .by_post("/charge/charge.cfm", &[("Billnumber", &bill)])
        .await;
    assert_eq!(first(&confirmed, "orderstate"), "Approved", "{confirmed}");
    let again = f
        .by_post("/charge/charge.cfm", &[("Billnumber", &bill)])
        .await;
    assert_eq!(
        codes(&again),
        "15/302",
        "only a Delayed order can be confirmed"
    );
}

#[tokio::test]
async fn test_amounts_give_any_code_and_in_process_settles_on_lookup() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    let fraud = f.token_pay(&customer, "AMT-1", "999.08").await;
    assert_eq!(first(&fraud, "responsecode"), "AS108");
    let pending = f.token_pay(&customer, "AMT-2", "999.30").await;
    assert_eq!(first(&pending, "orderstate"), "In Process");
    assert!(
        f.ledger().await.iter().all(|c| c["order_id"] != "AMT-2"),
        "nothing decided yet"
    );
    let looked = f.order_result("AMT-2").await;
    assert_eq!(
        first(&looked, "orderstate"),
        "Approved",
        "final after one lookup"
    );
    let settled: Vec<Value> = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == "AMT-2")
        .collect();
    assert_eq!(settled.len(), 1);
    assert_eq!(
        settled[0]["stored_credential"]["TokenType"], "5",
        "the request's fields are kept until then"
    );

    // A JSON body is answered in JSON.
    let body = json!({"Merchant_ID": f.by.merchant_id, "Login": f.by.login, "Password": f.by.password, "Ordernumber": "AMT-2"});
    let response = f
        .http
        .post(format!("{}/orderresult/orderresult.cfm", f.base))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let value: Value = response.json().await.unwrap();
    assert_eq!(
        (value["firstcode"].as_str(), value["count"].as_str()),
        (Some("0"), Some("1"))
    );
    assert_eq!(value["order"][0]["orderstate"], "Approved");
}

#[tokio::test]
async fn timeout_card_charges_nothing_and_response_lost_card_charges_once() {
    let f = fixture(10).await;
    f.http
        .put(format!("{}/faults", f.sandbox.urls.admin))
        .json(&json!({"timeout_ms": 200}))
        .send()
        .await
        .unwrap();
    let hanging = &f.register(&f.by, 3, 1).await[0];
    let answer = f.token_pay(hanging, "HANG-1", "10.00").await;
    assert_eq!(
        codes(&answer),
        "16/306",
        "after the hold: operation timed out"
    );
    assert_eq!(
        attr(&f.order_result("HANG-1").await, "count"),
        "0",
        "nothing was made"
    );

    let lost = &f.register(&f.by, 4, 1).await[0];
    let token =
        json!({"Token": lost["cards"][0]["token"], "CustomerNumber": lost["customer_number"]})
            .to_string();
    let sent = f
        .http
        .post(format!("{}/pay/tokenpay.cfm", f.base))
        .form(&[
            ("Merchant_ID", f.by.merchant_id.as_str()),
            ("Login", &f.by.login),
            ("Password", &f.by.password),
            ("OrderNumber", "LOST-1"),
            ("OrderAmount", "10.00"),
            ("TokenType", "5"),
            ("PaymentToken", &token),
        ])
        .send()
        .await;
    assert!(sent.is_err(), "the connection closes without an answer");
    let found = f.order_result("LOST-1").await;
    assert_eq!(
        first(&found, "orderstate"),
        "Approved",
        "the charge was made"
    );
    let ledger = f.ledger().await;
    assert_eq!(
        ledger.len(),
        1,
        "one charge: the lost one, not the hung one"
    );
    assert_eq!(ledger[0]["order_id"], "LOST-1");
}

#[tokio::test]
async fn state_survives_a_restart_through_the_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let mut config = SandboxConfig::demo(30);
    config.state_file = Some(path.clone());
    let sandbox = Sandbox::start(config.clone()).await.unwrap();
    let f = fixture_from(sandbox).await;
    let customer = f.customer(5, is_approver).await;
    let paid = f.token_pay(&customer, "KEEP-1", "7.00").await;
    let before = f.order_result("KEEP-1").await;
    drop(f);
    let mut saved = String::new();
    for _ in 0..200 {
        saved = std::fs::read_to_string(&path).unwrap_or_default();
        if saved.contains("KEEP-1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(saved.contains("KEEP-1"), "the state file holds the order");
    let again = Sandbox::start(config).await.unwrap();
    let g = fixture_from(again).await;
    let after = g.order_result("KEEP-1").await;
    assert_eq!(first(&after, "billnumber"), first(&paid, "billnumber"));
    assert_eq!(all(&after, "orderstate"), all(&before, "orderstate"));
    let next = g.token_pay(&customer, "KEEP-2", "7.00").await;
    assert_ne!(
        first(&next, "billnumber"),
        first(&paid, "billnumber"),
        "the billnumber sequence continues"
    );
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
    let base = sandbox.urls.assist.clone();
    Fixture {
        sandbox,
        http,
        base,
        by,
        ru,
    }
}

#[tokio::test]
async fn seeding_scales_to_100000_customers_per_merchant() {
    let f = fixture(100_000).await;
    let all_customers = f.register(&f.ru, 0, usize::MAX).await;
    assert_eq!(all_customers.len(), 100_000);
    let last = &all_customers[99_999];
    assert_eq!(last["customer_number"], "RU-100000");
    let credentials =
        json!({"merchant_id": f.ru.merchant_id, "login": f.ru.login, "password": f.ru.password});
    let cards = f
        .tokens(json!({"merchant": credentials, "customernumber": "RU-100000"}))
        .await;
    assert_eq!(
        cards.as_array().unwrap().len(),
        last["cards"].as_array().unwrap().len()
    );
    let with_initial = all_customers
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap())
        .filter(|c| c["initial_billnumber"].is_string())
        .count();
    assert!(
        with_initial > 100_000,
        "most cards have a seeded initial order: {with_initial}"
    );
    let (status, head) = f
        .initials(&format!("merchant={}&limit=5000", f.ru.merchant_id))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        head["total"], with_initial,
        "total counts every seeded initial"
    );
    assert_eq!(
        head["initials"].as_array().unwrap().len(),
        1000,
        "initials pages stop at 1000"
    );
    let (_, tail) = f
        .initials(&format!(
            "merchant={}&offset={}&limit=1000",
            f.ru.merchant_id,
            with_initial - 2
        ))
        .await;
    let tail = tail["initials"].as_array().unwrap();
    let last_bill = all_customers
        .iter()
        .flat_map(|c| c["cards"].as_array().unwrap())
        .filter_map(|c| c["initial_billnumber"].as_str())
        .next_back()
        .unwrap();
    assert_eq!(tail.len(), 2, "the last page ends at total");
    assert_eq!(tail[1]["initial_ref"], last_bill);
}

#[tokio::test]
async fn in_body_rate_limits_and_garbled_answers_can_be_switched_on() {
    let f = fixture(30).await;
    let customer = f.customer(5, is_approver).await;
    f.rules(json!({"rate_limit_in_body_next": 1})).await;
    let limited = f.token_pay(&customer, "RL-1", "3.00").await;
    assert_eq!(
        codes(&limited),
        "17/3",
        "request rate exceeded, before processing"
    );
    assert_eq!(
        attr(&f.order_result("RL-1").await, "count"),
        "0",
        "nothing was made"
    );
    f.rules(json!({"malformed_next": 1})).await;
    let garbled = f.token_pay(&customer, "MAL-1", "3.00").await;
    assert!(
        !garbled.contains("</result>"),
        "the answer is cut off: {garbled}"
    );
    let found = f.order_result("MAL-1").await;
    assert_eq!(
        first(&found, "orderstate"),
        "Approved",
        "the garbled charge was processed"
    );
}

#[tokio::test]
async fn a_card_that_needs_its_cvc_is_not_charged_without_the_cardholder() {
    let f = fixture(60).await;
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let mut checked = 0;
    for index in [24, 49] {
        let customer = &f.register(&f.by, index, 1).await[0];
        let listed = f
            .tokens(json!({"merchant": credentials, "customernumber": customer["customer_number"]}))
            .await;
        assert_eq!(
            listed[0]["needCVC"], true,
            "every 25th customer's first card"
        );
        if listed[0]["active"] == false {
            continue;
        }
        let answer = f.token_pay(customer, &format!("CVC-{index}"), "3.00").await;
        assert_eq!(first(&answer, "responsecode"), "AS110", "{answer}");
        assert_eq!(first(&answer, "orderstate"), "Declined");
        checked += 1;
    }
    assert!(checked > 0, "at least one active needCVC card in the seed");
}

#[tokio::test]
async fn a_token_pay_answered_502_by_the_proxy_was_made_and_orderresult_finds_it() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let knobs = crate::set_faults(&f.sandbox, json!({"error_after_write_next": 1})).await;
    assert_eq!(
        knobs["error_after_write_next"], 1,
        "the PUT echoes the knob"
    );
    let before = f.order_result("GW-1").await;
    assert_eq!(
        attr(&before, "count"),
        "0",
        "orderresult is a lookup though it is a POST: it passes the counter by"
    );
    let credentials =
        json!({"merchant_id": f.by.merchant_id, "login": f.by.login, "password": f.by.password});
    let listed = f
        .tokens(json!({"merchant": credentials, "customernumber": good["customer_number"]}))
        .await;
    assert!(
        listed[0]["token"].is_string(),
        "so is the token listing: {listed}"
    );
    let payment_token = payment_token(&good);
    let response = f
        .by_send(
            "/pay/tokenpay.cfm",
            &token_pay_form("GW-1", "10.00", &payment_token),
        )
        .await;
    crate::assert_bad_gateway(response, "the Token Pay charge").await;
    let ledger = f.ledger().await;
    assert_eq!(ledger.len(), 1, "the charge behind the 502 was made");
    assert_eq!(
        (&ledger[0]["order_id"], &ledger[0]["status"]),
        (&json!("GW-1"), &json!("approved"))
    );
    let found = f.order_result("GW-1").await;
    assert_eq!(attr(&found, "count"), "1", "Assist's own lookup finds it");
    assert_eq!(first(&found, "orderstate"), "Approved");
    let next = f.token_pay(&good, "GW-2", "10.00").await;
    assert_eq!(
        first(&next, "orderstate"),
        "Approved",
        "the next write is answered as usual"
    );
    assert_eq!(f.ledger().await.len(), 2);
}

#[tokio::test]
async fn orderresult_under_lag_shows_an_order_and_a_cancel_only_once_they_are_old_enough() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let initial = good["cards"][0]["initial_billnumber"].as_str().unwrap();
    let initial_order = good["cards"][0]["initial_ordernumber"].as_str().unwrap();
    let fixture = &f;
    let seeded = move || async move {
        fixture
            .by_post(
                "/orderresult/orderresult.cfm",
                &[("Ordernumber", initial_order), ("StartYear", "2000")],
            )
            .await
    };
    let knobs = crate::set_faults(&f.sandbox, json!({"lookup_lag_secs": crate::LAG_SECS})).await;
    assert_eq!(
        knobs["lookup_lag_secs"],
        crate::LAG_SECS,
        "the PUT echoes the knob"
    );
    let paid = f.token_pay(&good, "LAG-1", "10.00").await;
    assert_eq!(
        first(&paid, "orderstate"),
        "Approved",
        "the write itself is not lagged"
    );
    assert_eq!(
        attr(&f.order_result("LAG-1").await, "count"),
        "0",
        "a fresh order is not visible to orderresult yet"
    );
    let old = seeded().await;
    assert_eq!(
        first(&old, "orderstate"),
        "Approved",
        "an order made long before shows as usual"
    );
    let cancel = f
        .by_post(
            "/cancel/wscancel.cfm",
            &[
                ("Billnumber", initial),
                ("Amount", "1.00"),
                ("Currency", "BYN"),
            ],
        )
        .await;
    assert_eq!(
        first(&cancel, "orderstate"),
        "PartialCanceled",
        "a cancel of a visible order is made: {cancel}"
    );
    let old = seeded().await;
    assert_eq!(
        (first(&old, "orderstate"), all(&old, "operationtype")),
        ("Approved".to_string(), vec!["100".to_string()]),
        "the cancel is not visible yet: {old}"
    );
    tokio::time::sleep(crate::PAST_LAG).await;
    let found = f.order_result("LAG-1").await;
    assert_eq!(
        (attr(&found, "count"), first(&found, "orderstate")),
        ("1".to_string(), "Approved".to_string()),
        "once the lag has passed the order shows"
    );
    let old = seeded().await;
    assert_eq!(
        (first(&old, "orderstate"), all(&old, "operationtype")),
        (
            "PartialCanceled".to_string(),
            vec!["100".to_string(), "300".to_string()]
        ),
        "and the cancel: {old}"
    );
}

#[tokio::test]
async fn with_the_reuse_knob_a_reused_order_number_charges_again() {
    let f = fixture(30).await;
    let good = f.customer(5, is_approver).await;
    let first_charge = f.token_pay(&good, "ORD-R", "10.00").await;
    assert_eq!(first(&first_charge, "orderstate"), "Approved");
    let refused = f.token_pay(&good, "ORD-R", "10.00").await;
    assert_eq!(
        codes(&refused),
        "11/107",
        "off (the default), a reused approved OrderNumber is refused as before"
    );
    assert_eq!(f.ledger().await.len(), 1, "and nothing more is charged");
    let knobs = crate::set_faults(
        &f.sandbox,
        json!({"assist_order_number_reuse_charges": true}),
    )
    .await;
    assert_eq!(
        knobs["assist_order_number_reuse_charges"], true,
        "the PUT echoes the knob"
    );
    let again = f.token_pay(&good, "ORD-R", "10.00").await;
    assert_eq!(
        first(&again, "orderstate"),
        "Approved",
        "on, it charges again"
    );
    assert_ne!(
        first(&again, "billnumber"),
        first(&first_charge, "billnumber"),
        "as a second, separate order"
    );
    let charges: Vec<Value> = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == "ORD-R" && c["status"] == "approved")
        .collect();
    assert_eq!(
        charges.len(),
        2,
        "money moved twice under one OrderNumber: {charges:?}"
    );
    assert_eq!(
        attr(&f.order_result("ORD-R").await, "count"),
        "2",
        "orderresult lists both orders"
    );
}

#[tokio::test]
async fn with_the_reuse_knob_an_rp_cfm_charge_on_a_used_order_number_charges_again() {
    let f = fixture(30).await;
    // The 30-day RecurringPeriod would refuse a second charge of the series on its own.
    f.rules(json!({"enforce_period": false})).await;
    let good = f.customer(5, is_approver).await;
    let initial = good["cards"][0]["initial_billnumber"].as_str().unwrap();
    let fixture = &f;
    let charge = move |order: &'static str| async move {
        fixture
            .by_post(
                "/recurrent/rp.cfm",
                &[
                    ("BillNumber", initial),
                    ("OrderNumber", order),
                    ("Amount", "5.00"),
                    ("Currency", "BYN"),
                ],
            )
            .await
    };
    let made = charge("RP-R").await;
    assert_eq!(first(&made, "orderstate"), "Approved", "{made}");
    assert_eq!(
        codes(&charge("RP-R").await),
        "11/107",
        "off, rp.cfm refuses the reused OrderNumber"
    );
    crate::set_faults(
        &f.sandbox,
        json!({"assist_order_number_reuse_charges": true}),
    )
    .await;
    let again = charge("RP-R").await;
    assert_eq!(
        first(&again, "orderstate"),
        "Approved",
        "on, it charges again"
    );
    let charges = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == "RP-R" && c["status"] == "approved")
        .count();
    assert_eq!(charges, 2, "two recurring charges under one OrderNumber");
}
