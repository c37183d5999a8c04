//! The published-examples corpus (`tests/published/<provider>/`): each file is a verbatim
//! excerpt of a provider's page or code, with the `source:` it was copied from and the date it
//! was `read:`. Here: every file has the three parts; the Clover and ProcessOut clients read the
//! published answers into the right values (through their real HTTP path, against a stand-in
//! that answers with the excerpt); their requests carry what the published examples mark
//! compulsory; and the sandboxes answer in the published shapes. The readings every provider
//! shares (status answers, declines, refusals) run in the battery (`battery/published.rs`);
//! Svea's and Assist's own readings stay in their files.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use std::sync::{Arc, Mutex};

use coffer_core::{
    CardToken, Currency, CustomerRef, Environment, IdempotencyKey, Merchant, MerchantId, Money,
    ProviderKind, ProviderRef, Reason, StoredCredential,
};
use coffer_providers::{
    connect, ChargeRequest, Provider, ProviderErrorKind, RefundRequest, RemoteStatus,
};
use coffer_sandbox::{Sandbox, SandboxConfig, SandboxMerchant};
use secrecy::SecretString;
use serde_json::{json, Value};

/// The published examples of one provider: (file name, header lines, excerpt).
pub(super) fn published(provider: &str) -> Vec<(String, Vec<String>, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/published")
        .join(provider);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let (head, excerpt) = text
                .split_once("\n---\n")
                .unwrap_or_else(|| panic!("{path:?} has no '---' line before its excerpt"));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                head.lines().map(str::to_string).collect(),
                excerpt.to_string(),
            )
        })
        .collect()
}

#[test]
fn every_published_example_holds_an_excerpt_its_source_and_the_date_it_was_read() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/published");
    let mut seen = 0;
    for provider in std::fs::read_dir(&root).unwrap() {
        let provider = provider.unwrap();
        if !provider.file_type().unwrap().is_dir() {
            continue;
        }
        let name = provider.file_name().to_string_lossy().into_owned();
        for (file, head, excerpt) in published(&name) {
            seen += 1;
            let field = |key: &str| {
                head.iter()
                    .find_map(|l| l.strip_prefix(key))
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
            };
            let source = field("source:");
            assert!(
                source
                    .as_deref()
                    .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://")),
                "{name}/{file}: a source line names the page or repository it was copied from"
            );
            let read = field("read:").unwrap_or_default();
            assert!(
                chrono::NaiveDate::parse_from_str(&read, "%Y-%m-%d").is_ok(),
                "{name}/{file}: a read: date (YYYY-MM-DD) says when the source said so, not '{read}'"
            );
            assert!(
                !excerpt.trim().is_empty(),
                "{name}/{file}: the verbatim excerpt follows the '---' line"
            );
        }
    }
    assert!(seen > 0, "the corpus is not empty");
}

/// The excerpt of `provider/file`.
pub(crate) fn excerpt(provider: &str, file: &str) -> String {
    published(provider)
        .into_iter()
        .find(|(name, _, _)| name == file)
        .unwrap_or_else(|| panic!("tests/published/{provider}/{file}"))
        .2
}

/// The excerpt of `provider/file` as JSON: from its first line that is `{` on (the excerpt
/// may start with the request line that goes with the answer).
fn excerpt_json(provider: &str, file: &str) -> Value {
    let text = excerpt(provider, file);
    let start = text
        .find("\n{")
        .map(|i| i + 1)
        .filter(|_| !text.starts_with('{'))
        .unwrap_or(0);
    serde_json::from_str(&text[start..])
        .unwrap_or_else(|e| panic!("{provider}/{file} is JSON from its first '{{' line: {e}"))
}

/// One request a stand-in received: request line, head (header names lower-cased), body.
#[derive(Debug, Clone)]
struct Received {
    line: String,
    head: String,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim().eq_ignore_ascii_case(name)).then(|| v.trim().to_string())
        })
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("{} sent a JSON body: {e}", self.line))
    }
}

type Seen = Arc<Mutex<Vec<Received>>>;

/// One canned answer: the first route whose method matches and whose fragment is in the path.
struct Route {
    method: &'static str,
    path_has: &'static str,
    status: u16,
    body: String,
}

fn route(method: &'static str, path_has: &'static str, status: u16, body: String) -> Route {
    Route {
        method,
        path_has,
        status,
        body,
    }
}

/// A stand-in provider on a local port: answers each request with its route's status and
/// JSON body (404 `{}` when none matches), and keeps what it received.
async fn stand_in(routes: Vec<Route>) -> (String, Seen) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Default::default();
    let kept = seen.clone();
    let routes = Arc::new(routes);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let routes = routes.clone();
            let kept = kept.clone();
            tokio::spawn(async move {
                let Some((head, body)) = crate::read_request(&mut stream).await else {
                    return;
                };
                let line = head.lines().next().unwrap_or_default().to_string();
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_string();
                let path = parts.next().unwrap_or_default().to_string();
                let (status, reply) = routes
                    .iter()
                    .find(|r| r.method == method && path.contains(r.path_has))
                    .map(|r| (r.status, r.body.clone()))
                    .unwrap_or((404, "{}".into()));
                kept.lock().unwrap().push(Received { line, head, body });
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// The sandbox and its seeded merchant of `kind` (the first, or the one in `currency`).
async fn sandbox_merchant(
    kind: ProviderKind,
    currency: Option<Currency>,
) -> (Sandbox, SandboxMerchant) {
    let sandbox = Sandbox::start(SandboxConfig::demo(12)).await.unwrap();
    let all: Vec<SandboxMerchant> = reqwest::get(format!("{}/merchants", sandbox.urls.admin))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let merchant = all
        .into_iter()
        .find(|m| m.account.kind() == kind && currency.is_none_or(|c| m.currency == c))
        .unwrap();
    (sandbox, merchant)
}

/// Coffer's merchant record for a sandbox merchant, at `base_url`.
fn merchant(sm: &SandboxMerchant, base_url: &str) -> Merchant {
    Merchant {
        id: MerchantId(1),
        name: sm.name.clone(),
        account: sm.account.clone(),
        environment: Environment::Sandbox,
        base_url: base_url.to_string(),
        time_zone: coffer_core::merchant::parse_time_zone(&sm.time_zone).unwrap(),
        currency: sm.currency,
        notice_lead_days: 3,
        group: None,
        endpoint: Default::default(),
    }
}

/// The client of `sm` talking to `base_url`.
fn client_at(sm: &SandboxMerchant, base_url: &str) -> Box<dyn Provider> {
    connect(
        &merchant(sm, base_url),
        SecretString::from(sm.secret.clone()),
    )
    .unwrap()
}

fn charge_request(
    amount: Money,
    customer: &str,
    token: &str,
    credential: StoredCredential,
    key: &str,
) -> ChargeRequest {
    ChargeRequest {
        amount,
        card_token: CardToken(token.into()),
        customer: CustomerRef(customer.into()),
        credential,
        idempotency_key: IdempotencyKey(key.into()),
        order_id: format!("order-{key}"),
        description: "Membership".into(),
        agreement: None,
        buyer: None,
    }
}

/// The JSON type of a value, by name.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `sandbox` has each of `keys` (a dotted path for nested ones) with the JSON type it has in
/// `published`; a key published as `null` may be anything or absent.
fn same_shape(what: &str, published: &Value, sandbox: &Value, keys: &[&str]) {
    for key in keys {
        let at = |v: &Value| {
            key.split('.')
                .try_fold(v.clone(), |v, k| v.get(k).cloned())
                .unwrap_or(Value::Null)
        };
        let (p, s) = (at(published), at(sandbox));
        assert_ne!(
            kind(&p),
            "null",
            "{what}: '{key}' is in the published example (the test names only published keys)"
        );
        assert_eq!(
            kind(&s),
            kind(&p),
            "{what}: the sandbox's '{key}' has the published JSON type ({p} published, {s} from the sandbox)"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Clover

/// The published charge answer, read up to the page's elision of the card source and closed
/// there (the file's note says so).
pub(crate) fn clover_charge_answer() -> String {
    let text = excerpt("clover", "charge_answer_with_tax.txt");
    let cut = text
        .find("\"paid\" : true")
        .expect("the published answer names paid");
    format!("{}\"paid\" : true\n}}", &text[..cut])
}

#[tokio::test]
async fn clovers_published_charge_answer_is_read_into_its_id_amount_approval_and_ref_num() {
    let (_sandbox, sm) = sandbox_merchant(ProviderKind::Clover, Some(Currency::USD)).await;
    let answer = clover_charge_answer();
    let (base, seen) = stand_in(vec![route("POST", "/v1/charges", 200, answer)]).await;
    let client = client_at(&sm, &base);
    let outcome = client
        .charge(&charge_request(
            Money::from_minor(1100, Currency::USD),
            "R2D7XK9Q4M1PA",
            "clv_1TSTSexampleexampleexample",
            StoredCredential::initial(Reason::Recurring),
            "published-1",
        ))
        .await
        .unwrap();
    assert_eq!(outcome.provider_ref, ProviderRef("2G1RQC0VTH7WY".into()));
    assert_eq!(
        outcome.amount,
        Money::from_minor(1100, Currency::USD),
        "amount is cents and includes the tax"
    );
    assert_eq!(
        outcome.status,
        RemoteStatus::Succeeded,
        "paid: true is an approval even where the page elides status"
    );
    assert_eq!(
        outcome.initial_ref,
        Some(ProviderRef("116400500490".into())),
        "an initial charge's ref_num is what later MITs link to"
    );
    assert_eq!(
        outcome.at.map(|t| t.timestamp_millis()),
        Some(1_623_551_758_243),
        "created is epoch milliseconds"
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "one POST /v1/charges");
}

#[tokio::test]
async fn clovers_charge_request_carries_every_field_and_header_clover_marks_required() {
    let (_sandbox, sm) = sandbox_merchant(ProviderKind::Clover, Some(Currency::USD)).await;
    let (base, seen) = stand_in(vec![route(
        "POST",
        "/v1/charges",
        200,
        clover_charge_answer(),
    )])
    .await;
    let client = client_at(&sm, &base);
    let mit = StoredCredential::merchant_initiated(Reason::Recurring, "116400500490".into());
    client
        .charge(&charge_request(
            Money::from_minor(1100, Currency::USD),
            "R2D7XK9Q4M1PA",
            "clv_1TSTSexampleexampleexample",
            mit,
            "published-2",
        ))
        .await
        .unwrap();
    let sent = seen.lock().unwrap()[0].clone();
    let body = sent.json();

    // "Required parameters": amount (cents), source, currency (lower case, at most 3), and the
    // authorization and idempotency-key headers.
    let required = excerpt("clover", "charge_request_required.txt");
    for field in ["`amount`", "`source`", "`currency`", "`idempotency-key`"] {
        assert!(
            required.contains(field),
            "the published table names {field}"
        );
    }
    assert_eq!(body["amount"], json!(1100), "amount: an integer of cents");
    assert!(body["source"].is_string(), "source: the saved card's token");
    let currency = body["currency"].as_str().unwrap();
    assert!(
        currency.len() <= 3 && currency == currency.to_ascii_lowercase(),
        "currency: 'Format: Lowercase  Length: Maximum 3', not '{currency}'"
    );
    assert!(
        sent.header("authorization")
            .is_some_and(|a| a.starts_with("Bearer ")),
        "authorization: the OAuth access token as Bearer"
    );
    assert_eq!(
        sent.header("idempotency-key").as_deref(),
        Some("published-2"),
        "idempotency-key: the charge's own key"
    );

    // The API reference marks the User-Agent and x-forwarded-for headers required.
    let reference = excerpt("clover", "createcharge_reference.txt");
    for header in ["User-Agent", "x-forwarded-for"] {
        assert!(
            reference.contains(&format!("{header}stringrequired")),
            "the reference marks {header} required"
        );
        assert!(
            sent.header(header).is_some_and(|v| !v.is_empty()),
            "{header} is sent: Clover refuses a charge without it"
        );
    }

    // ecomind: one of the published values, and ecom for a saved card's MIT (the card data was
    // entered by the cardholder, not keyed by the merchant from a call or a letter).
    let indicator = excerpt("clover", "transaction_type_indicator.txt");
    assert!(indicator.contains("`moto`—a payment where the merchant enters the customer's card details received over the phone or by mail"));
    assert_eq!(
        body["ecomind"], "ecom",
        "Coffer never keys card data from a phone call or a letter"
    );
    assert_eq!(
        excerpt_json("clover", "order_pay_saved_customer.txt")["ecomind"],
        "ecom",
        "Clover's own saved-customer payment is ecom"
    );
    assert!(
        !excerpt("clover", "woocommerce_create_charge.txt").contains("ecomind"),
        "Clover's WooCommerce plugin leaves ecomind to its default, ecom"
    );
    assert_eq!(
        body["stored_credentials"]["initiator"], "MERCHANT",
        "who started the charge travels in stored_credentials, not in ecomind"
    );
}

#[tokio::test]
async fn clovers_refund_request_names_the_charge_as_the_published_example_does() {
    let (_sandbox, sm) = sandbox_merchant(ProviderKind::Clover, Some(Currency::USD)).await;
    let refund = json!({"id": "RF1", "object": "refund", "amount": 1100, "charge": "2G1RQC0VTH7WY",
        "currency": "usd", "created": 1_623_551_758_243_i64, "status": "succeeded"});
    let (base, seen) = stand_in(vec![route("POST", "/v1/refunds", 200, refund.to_string())]).await;
    let client = client_at(&sm, &base);
    client
        .refund(&RefundRequest {
            charge_ref: ProviderRef("2G1RQC0VTH7WY".into()),
            order_id: "order-1".into(),
            amount: Money::from_minor(1100, Currency::USD),
            charge_amount: Money::from_minor(1100, Currency::USD),
            idempotency_key: IdempotencyKey("refund-1".into()),
            refund_id: "refund-1".into(),
        })
        .await
        .unwrap();
    assert!(
        excerpt("clover", "refund_request.txt").contains(r#"--data '{"charge":"{charge_id}"}'"#)
    );
    let body = seen.lock().unwrap()[0].json();
    assert_eq!(
        body["charge"], "2G1RQC0VTH7WY",
        "charge: the id of the charge to refund, a string"
    );
    assert!(
        body.get("amount").is_none(),
        "a full refund sends no amount, as the published example"
    );
}

#[tokio::test]
async fn clovers_sandbox_answers_a_charge_in_the_published_shapes() {
    let (sandbox, sm) = sandbox_merchant(ProviderKind::Clover, Some(Currency::USD)).await;
    // Saved cards of seeded customers, through the client; the first that approves.
    let client = client_at(&sm, &sm.base_url);
    let page = client.list_customers(None, 20).await.unwrap();
    let tokens: Vec<CardToken> = page
        .items
        .iter()
        .filter_map(|c| Some(c.cards.as_ref()?.first()?.token.clone()))
        .collect();
    let http = reqwest::Client::new();
    let mut answer = Value::Null;
    for (i, token) in tokens.iter().enumerate() {
        // An unlinked MIT: approved with Clover's warning, the fields of the saved-card example.
        // A seeded card that times out (or drops the answer) is passed over.
        let Ok(sent) = http
            .post(format!("{}/v1/charges", sm.base_url))
            .bearer_auth(&sm.secret)
            .header("idempotency-key", format!("shape-{i}"))
            .header("x-forwarded-for", "203.0.113.7")
            .header("User-Agent", "coffer-published-test")
            .json(&json!({"amount": 1100, "currency": "usd", "source": token.as_str(), "ecomind": "ecom",
                "stored_credentials": {"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false}}))
            .timeout(std::time::Duration::from_secs(3))
            .send()
            .await
        else {
            continue;
        };
        let Ok(read) = sent.json::<Value>().await else {
            continue;
        };
        answer = read;
        if answer["paid"] == true && answer.get("warning_message").is_some() {
            break;
        }
    }
    assert_eq!(answer["paid"], true, "a seeded card approves: {answer}");

    let published_charge: Value = serde_json::from_str(&clover_charge_answer()).unwrap();
    same_shape(
        "Clover charge",
        &published_charge,
        &answer,
        &[
            "id",
            "amount",
            "amount_refunded",
            "currency",
            "created",
            "captured",
            "ref_num",
            "auth_code",
            "outcome",
            "outcome.network_status",
            "outcome.type",
            "paid",
        ],
    );
    assert_eq!(
        answer["outcome"], published_charge["outcome"],
        "an approval's outcome reads as published"
    );
    let saved = excerpt_json("clover", "order_pay_saved_customer.txt");
    same_shape(
        "Clover saved-card payment",
        &saved,
        &answer,
        &[
            "warning_message",
            "ref_num",
            "auth_code",
            "created",
            "ecomind",
            "source",
            "source.brand",
            "source.exp_month",
            "source.exp_year",
            "source.first6",
            "source.last4",
        ],
    );
    assert_eq!(
        answer["warning_message"], saved["warning_message"],
        "the same words as Clover's own answer"
    );
    drop(sandbox);
}

// ---------------------------------------------------------------------------------------------
// ProcessOut

pub(crate) fn po(file: &str) -> String {
    excerpt("processout", file).trim().to_string()
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

#[tokio::test]
async fn processouts_published_invoice_and_capture_answers_are_read_and_the_voided_example_takes_no_money(
) {
    let (_sandbox, sm) = sandbox_merchant(ProviderKind::ProcessOut, Some(Currency::EUR)).await;
    let (base, seen) = stand_in(vec![
        route("POST", "/capture", 200, po("invoice_capture_answer.txt")),
        route("POST", "/invoices", 200, po("invoice_create_answer.txt")),
    ])
    .await;
    let client = client_at(&sm, &base);
    let error = client
        .charge(&charge_request(
            eur(2900),
            "cust_MFW0Z4jtoXLfADjPKlVRl5LxWkCTUgRw",
            "tok_published",
            StoredCredential::initial(Reason::Recurring),
            "published-po-1",
        ))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::DeclinedSoft,
        "the published capture answer's transaction is 'voided': no money was taken ({error})"
    );
    assert_eq!(
        error.provider_ref,
        Some(ProviderRef("tr_6uooTOHO71Fq0wysK8FpxBH6t45SEBrg".into())),
        "the decline names the transaction"
    );
    let received = seen.lock().unwrap().clone();
    let capture_path = received[1].line.split_whitespace().nth(1).unwrap();
    assert!(
        capture_path.contains("/invoices/iv_MyNUnrEwNf7mrXZO1x6x8eeCoTWC8OQG/capture"),
        "the capture names the invoice id read from the published invoice answer: {capture_path}"
    );

    // The request marks name, amount and currency required, all strings: amount a decimal in
    // the major unit, currency three letters.
    let schema: Value = serde_json::from_str(&po("invoice_create_request_required.txt")).unwrap();
    let invoice = received[0].json();
    for field in schema["required"].as_array().unwrap() {
        let field = field.as_str().unwrap();
        assert_eq!(
            kind(&invoice[field]),
            schema["properties"][field]["type"].as_str().unwrap(),
            "'{field}' is sent as the published type: {invoice}"
        );
    }
    assert_eq!(
        invoice["amount"]
            .as_str()
            .map(|a| a.trim_end_matches('0').trim_end_matches('.')),
        Some("29"),
        "29.00 EUR as a decimal in the major unit, as the published \"29\""
    );
    assert_eq!(invoice["currency"], "EUR");
}

#[tokio::test]
async fn processouts_published_refund_answer_is_read_and_the_request_carries_the_required_amount() {
    let (_sandbox, sm) = sandbox_merchant(ProviderKind::ProcessOut, Some(Currency::EUR)).await;
    let (base, seen) = stand_in(vec![
        route("POST", "/refunds", 200, po("refund_create_answer.txt")),
        route("GET", "/transactions/", 200, po("transaction_answer.txt")),
    ])
    .await;
    let client = client_at(&sm, &base);
    let refund = client
        .refund(&RefundRequest {
            charge_ref: ProviderRef("tr_msUOyQgmJp8UduKANzblNwa5hrjQGag5".into()),
            order_id: "123456".into(),
            amount: eur(2900),
            charge_amount: eur(2900),
            idempotency_key: IdempotencyKey("refund-po-1".into()),
            refund_id: "refund-po-1".into(),
        })
        .await
        .unwrap();
    assert_eq!(
        refund.provider_ref,
        ProviderRef("refd_F5rkWLrLw2KmzwTovfqG5YcRvtrxrjOb".into())
    );
    assert_eq!(
        refund.amount,
        eur(2900),
        "\"29\" is 29.00 in the charge's currency"
    );
    let received = seen.lock().unwrap().clone();
    let post = received
        .iter()
        .find(|r| r.line.starts_with("POST"))
        .unwrap();
    assert!(
        post.line
            .contains("/invoices/iv_cyxGn7nrOHuqQO4X5jbbwv16eN7GkZvB/refunds"),
        "the refund goes to the transaction's invoice as published: {}",
        post.line
    );
    let schema: Value = serde_json::from_str(&po("refund_create_request_required.txt")).unwrap();
    let body = post.json();
    for field in schema["required"].as_array().unwrap() {
        let field = field.as_str().unwrap();
        assert_eq!(
            kind(&body[field]),
            schema["properties"][field]["type"].as_str().unwrap(),
            "'{field}' is sent as the published type: {body}"
        );
    }
}

#[tokio::test]
async fn processouts_sandbox_answers_invoices_captures_transactions_refunds_and_errors_in_the_published_shapes(
) {
    let (_sandbox, sm) = sandbox_merchant(ProviderKind::ProcessOut, Some(Currency::EUR)).await;
    let coffer_core::ProviderAccount::ProcessOut(coffer_core::ProcessOutAccount { project_id }) =
        &sm.account
    else {
        panic!("a ProcessOut merchant");
    };
    let client = client_at(&sm, &sm.base_url);
    let page = client.list_customers(None, 100).await.unwrap();
    let http = reqwest::Client::new();
    let call = |method: reqwest::Method, path: String, body: Option<Value>, key: String| {
        let mut r = http
            .request(method, format!("{}{path}", sm.base_url))
            .basic_auth(project_id, Some(&sm.secret))
            .header("Idempotency-Key", key);
        if let Some(b) = body {
            r = r.json(&b);
        }
        r.send()
    };
    // The first seeded card that captures: an invoice, its capture, the invoice id.
    let mut found = None;
    'customers: for (i, c) in page.items.iter().enumerate() {
        for card in client.cards_of(&c.reference).await.unwrap() {
            let invoice: Value = call(
                reqwest::Method::POST,
                "/invoices".into(),
                Some(
                    json!({"name": format!("order-shape-{i}"), "amount": "29", "currency": "EUR",
                    "customer_id": c.reference.as_str()}),
                ),
                format!("shape-iv-{i}-{}", card.token.as_str()),
            )
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
            let id = invoice["invoice"]["id"].as_str().unwrap().to_string();
            let captured = call(
                reqwest::Method::POST,
                format!("/invoices/{id}/capture"),
                Some(json!({"source": card.token.as_str()})),
                format!("shape-cap-{i}-{}", card.token.as_str()),
            )
            .await
            .unwrap();
            if captured.status() == 200 {
                let captured: Value = captured.json().await.unwrap();
                found = Some((invoice, id, captured, card.token.clone()));
                break 'customers;
            }
        }
    }
    let (invoice, id, captured, token) = found.expect("a seeded card that captures");
    let published = |f: &str| -> Value { serde_json::from_str(&po(f)).unwrap() };
    let pi = published("invoice_create_answer.txt");
    same_shape(
        "ProcessOut invoice",
        &pi,
        &invoice,
        &[
            "success",
            "invoice",
            "invoice.id",
            "invoice.name",
            "invoice.amount",
            "invoice.currency",
            "invoice.metadata",
        ],
    );
    let transaction_keys = [
        "success",
        "transaction",
        "transaction.id",
        "transaction.invoice_id",
        "transaction.status",
        "transaction.amount",
        "transaction.currency",
        "transaction.created_at",
        "transaction.metadata",
    ];
    same_shape(
        "ProcessOut capture",
        &published("invoice_capture_answer.txt"),
        &captured,
        &transaction_keys,
    );
    let tr = captured["transaction"]["id"].as_str().unwrap().to_string();
    let fetched: Value = call(
        reqwest::Method::GET,
        format!("/transactions/{tr}"),
        None,
        "g".into(),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    same_shape(
        "ProcessOut transaction",
        &published("transaction_answer.txt"),
        &fetched,
        &transaction_keys,
    );
    let refund: Value = call(
        reqwest::Method::POST,
        format!("/invoices/{id}/refunds"),
        Some(json!({"amount": "10", "reason": "customer_request"})),
        "shape-ref".into(),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    same_shape(
        "ProcessOut refund",
        &published("refund_create_answer.txt"),
        &refund,
        &[
            "success",
            "refund",
            "refund.id",
            "refund.transaction_id",
            "refund.amount",
            "refund.metadata",
            "refund.reason",
            "refund.has_failed",
        ],
    );
    let missing = call(
        reqwest::Method::POST,
        "/invoices/iv_doesnotexist/capture".into(),
        Some(json!({"source": token.as_str()})),
        "shape-404".into(),
    )
    .await
    .unwrap();
    assert_eq!(missing.status(), 404);
    let missing: Value = missing.json().await.unwrap();
    let published_missing = published("invoice_not_found.txt");
    same_shape(
        "ProcessOut not found",
        &published_missing,
        &missing,
        &["error_type", "message", "success"],
    );
    assert_eq!(missing["error_type"], published_missing["error_type"]);
    let refused = http
        .get(format!("{}/customers", sm.base_url))
        .basic_auth(project_id, Some("not-the-secret"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
    let refused: Value = refused.json().await.unwrap();
    let published_refused = published("authentication_invalid.txt");
    same_shape(
        "ProcessOut authentication",
        &published_refused,
        &refused,
        &["error_type", "message", "success"],
    );
    assert_eq!(refused["error_type"], published_refused["error_type"]);
}
