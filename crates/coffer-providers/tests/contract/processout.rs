//! The ProcessOut client against its sandbox over real HTTP: every trait method, the flag
//! mapping, each error kind, lost answers resolved by lookup, and refunds.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use std::time::Duration;

use coffer_core::{
    CardBrand, Currency, CustomerRef, Environment, IdempotencyKey, Initiator, Merchant, MerchantId,
    Money, ProviderKind, ProviderRef, Reason, Sequence, StoredCredential,
};
use coffer_providers::http::HttpPolicy;
use coffer_providers::processout::ProcessOutClient;
use coffer_providers::{
    ChargeLookup, ChargeOutcome, ChargeRequest, InitialRequest, InitialStep, Provider,
    ProviderError, ProviderErrorKind, RefundLookup, RefundRequest, RefundsSeen, RemoteCard,
    RemoteStatus,
};
use coffer_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use serde_json::{json, Value};

pub(super) struct Rig {
    sandbox: Sandbox,
    merchant: Merchant,
    secret: String,
    pub(super) client: Box<dyn Provider>,
    http: reqwest::Client,
}

impl Rig {
    pub(super) async fn start(customers: usize) -> Rig {
        Rig::start_in(customers, "EUR").await
    }

    /// The seeded project charging in `currency`.
    async fn start_in(customers: usize, currency: &str) -> Rig {
        let sandbox = Sandbox::start(SandboxConfig::demo(customers))
            .await
            .unwrap();
        let http = reqwest::Client::new();
        let merchants: Vec<Value> = http
            .get(format!("{}/merchants", sandbox.urls.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let m = merchants
            .iter()
            .find(|m| m["account"]["provider"] == "process_out" && m["currency"] == currency)
            .unwrap();
        let merchant = Merchant {
            id: MerchantId(1),
            name: m["name"].as_str().unwrap().to_string(),
            account: serde_json::from_value(m["account"].clone()).unwrap(),
            environment: Environment::Sandbox,
            base_url: m["base_url"].as_str().unwrap().to_string(),
            time_zone: coffer_core::merchant::parse_time_zone(m["time_zone"].as_str().unwrap())
                .unwrap(),
            currency: Currency::from_code(m["currency"].as_str().unwrap()).unwrap(),
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        };
        let secret = m["secret"].as_str().unwrap().to_string();
        let client =
            coffer_providers::connect(&merchant, SecretString::from(secret.clone())).unwrap();
        Rig {
            sandbox,
            merchant,
            secret,
            client,
            http,
        }
    }

    async fn faults(&self, knobs: Value) {
        let r = self
            .http
            .put(format!("{}/faults", self.sandbox.urls.admin))
            .json(&knobs)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
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

    /// The seeded customer with this last name and its only card.
    pub(super) async fn special(&self, last_name: &str) -> (CustomerRef, RemoteCard) {
        let page = self.client.list_customers(None, 100).await.unwrap();
        let c = page
            .items
            .iter()
            .find(|c| c.name.ends_with(last_name))
            .unwrap();
        let cards = self.client.cards_of(&c.reference).await.unwrap();
        (c.reference.clone(), cards[0].clone())
    }

    /// A customer past the special ones with an approving card, linked to an initial CIT or not.
    async fn approving(&self, linked: bool) -> (CustomerRef, RemoteCard) {
        let page = self.client.list_customers(None, 100).await.unwrap();
        for c in page.items.iter().filter(|c| !c.name.starts_with("Test ")) {
            for card in self.client.cards_of(&c.reference).await.unwrap() {
                if card.initial_ref.is_some() == linked
                    && !["0010", "1216"].contains(&card.last4.as_str())
                {
                    return (c.reference.clone(), card);
                }
            }
        }
        panic!("no approving card with linked={linked}");
    }
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

pub(super) fn mit(
    customer: &CustomerRef,
    card: &RemoteCard,
    minor: i64,
    key: &str,
) -> ChargeRequest {
    ChargeRequest {
        amount: eur(minor),
        card_token: card.token.clone(),
        customer: customer.clone(),
        credential: StoredCredential {
            sequence: Sequence::Subsequent,
            initiator: Initiator::Merchant,
            reason: Reason::Recurring,
            scheduled: true,
            initial_ref: card.initial_ref.clone(),
        },
        idempotency_key: IdempotencyKey(key.into()),
        order_id: format!("order-{key}"),
        description: "Monthly plan".into(),
        agreement: None,
        buyer: None,
    }
}

fn lookup(request: &ChargeRequest, provider_ref: Option<ProviderRef>) -> ChargeLookup {
    ChargeLookup {
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        idempotency_key: request.idempotency_key.clone(),
        order_id: request.order_id.clone(),
        provider_ref,
        customer: request.customer.clone(),
        card_token: request.card_token.clone(),
        amount: request.amount,
    }
}

fn charges_with_key<'a>(ledger: &'a [Value], key: &str) -> Vec<&'a Value> {
    ledger
        .iter()
        .filter(|c| c["kind"] == "charge" && c["idempotency_key"] == key)
        .collect()
}

#[tokio::test]
async fn credentials_are_checked_and_bad_ones_are_auth_errors() {
    let rig = Rig::start(3).await;
    rig.client.check_credentials().await.unwrap();
    assert_eq!(rig.client.kind(), ProviderKind::ProcessOut);
    let e = rig.client.finish_initial("x", &[]).await.unwrap_err();
    assert_eq!(
        e.kind,
        ProviderErrorKind::Unsupported,
        "no card page to return from"
    );
    let bad = coffer_providers::connect(
        &rig.merchant,
        SecretString::from("key_sandbox_wrong".to_string()),
    )
    .unwrap();
    let e = bad.check_credentials().await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::Auth, "{e}");
    assert_eq!(
        e.provider_code.as_deref(),
        Some("request.authentication.invalid")
    );
    assert!(!e.message.contains(&rig.secret), "no secret in messages");
    let caps = rig.client.capabilities();
    assert!(caps.lists_customers && caps.idempotency_key && caps.partial_refunds);
}

#[tokio::test]
async fn customers_are_listed_page_by_page_with_the_cursor() {
    let rig = Rig::start(30).await;
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let page = rig.client.list_customers(cursor.clone(), 7).await.unwrap();
        assert_eq!(page.total, Some(30));
        assert!(page.items.len() <= 7);
        seen.extend(page.items.iter().map(|c| c.reference.clone()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 30, "every customer once");
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), 30);
    let first = rig.client.list_customers(None, 100).await.unwrap();
    let named = first
        .items
        .iter()
        .find(|c| c.name == "Test Soft-Decline")
        .unwrap();
    assert!(named.email.as_deref().is_some_and(|e| e.contains('@')));
    assert!(named.phone.is_some());
}

#[tokio::test]
async fn cards_come_with_display_fields_and_their_initial_reference() {
    let rig = Rig::start(30).await;
    let (_, soft) = rig.special("Soft-Decline").await;
    assert_eq!(soft.last4, "0341");
    assert!(soft.token.as_str().starts_with("tok_"));
    assert!(
        soft.initial_ref.is_some(),
        "the special cards have an initial CIT"
    );
    let (_, linked) = rig.approving(true).await;
    assert_eq!(
        linked.initial_ref.as_ref().unwrap().as_str().len(),
        15,
        "a scheme transaction id"
    );
    assert!(linked.bin.as_ref().is_some_and(|b| b.len() == 6));
    assert_ne!(linked.brand, CardBrand::Other(String::new()));
    let (_, unlinked) = rig.approving(false).await;
    assert_eq!(unlinked.initial_ref, None);
    let e = rig
        .client
        .cards_of(&CustomerRef("cust_nope".into()))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::NotFound);
}

#[tokio::test]
async fn a_merchant_initiated_charge_is_tagged_and_linked() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(true).await;
    let request = mit(&customer, &card, 56810, "k-mit-1");
    let outcome = rig.client.charge(&request).await.unwrap();
    assert_eq!(outcome.status, RemoteStatus::Succeeded);
    assert_eq!(outcome.amount, eur(56810));
    assert!(outcome.provider_ref.as_str().starts_with("tr_"));
    assert_eq!(outcome.initial_ref, None, "an MIT starts no series");
    assert!(outcome.at.is_some());
    let ledger = rig.ledger().await;
    let charges = charges_with_key(&ledger, "k-mit-1");
    assert_eq!(charges.len(), 1);
    let sc = &charges[0]["stored_credential"];
    assert_eq!(sc["initiation_type"], "mit");
    assert_eq!(sc["payment_intent"], "recurring");
    assert_eq!(
        sc["initial_scheme_transaction_id"],
        card.initial_ref.as_ref().unwrap().as_str()
    );
    assert_eq!(
        charges[0]["warnings"],
        json!([]),
        "a linked MIT raises no warning"
    );
    assert_eq!(
        charges[0]["order_id"], "order-k-mit-1",
        "the invoice name is the order id"
    );
    let found = rig
        .client
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.provider_ref, outcome.provider_ref,
        "found by order id"
    );
    let by_ref = rig
        .client
        .find_charge(&lookup(&request, Some(outcome.provider_ref.clone())))
        .await
        .unwrap();
    assert_eq!(by_ref.map(|o| o.status), Some(RemoteStatus::Succeeded));
}

#[tokio::test]
async fn record_initial_makes_the_reference_later_mits_link_to() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(false).await;
    let initial = InitialRequest {
        customer: customer.clone(),
        card_token: Some(card.token.clone()),
        amount: eur(100),
        reason: Reason::Recurring,
        order_id: "initial-1".into(),
        idempotency_key: IdempotencyKey("k-initial-1".into()),
        return_url: None,
        buyer: None,
    };
    let InitialStep::Done(done) = rig.client.record_initial(&initial).await.unwrap() else {
        panic!("ProcessOut needs no card page");
    };
    assert_eq!(
        done.initial_ref.as_str().len(),
        15,
        "the scheme id of the CIT"
    );
    assert!(done.provider_ref.as_str().starts_with("tr_"));
    assert_eq!(done.amount, eur(100));
    assert_eq!(
        done.card.initial_ref.as_ref(),
        Some(&done.initial_ref),
        "the card now carries its initial CIT"
    );
    let ledger = rig.ledger().await;
    let cit = charges_with_key(&ledger, "k-initial-1");
    assert_eq!(cit[0]["stored_credential"]["initiation_type"], "cit");
    assert_eq!(cit[0]["stored_credential"]["payment_intent"], "recurring");

    // Linked by the scheme id, or by the CIT's own transaction id, which the client resolves.
    let mut by_scheme = mit(&customer, &done.card, 2000, "k-after-1");
    by_scheme.credential.initial_ref = Some(done.initial_ref.clone());
    rig.client.charge(&by_scheme).await.unwrap();
    let mut by_transaction = mit(&customer, &done.card, 2000, "k-after-2");
    by_transaction.credential.initial_ref = Some(done.provider_ref.clone());
    rig.client.charge(&by_transaction).await.unwrap();
    let ledger = rig.ledger().await;
    for key in ["k-after-1", "k-after-2"] {
        let c = charges_with_key(&ledger, key)[0];
        assert_eq!(
            c["stored_credential"]["initial_scheme_transaction_id"],
            done.initial_ref.as_str(),
            "{key}"
        );
        assert_eq!(c["warnings"], json!([]), "{key}");
    }
    let missing = InitialRequest {
        card_token: None,
        ..initial
    };
    let e = rig.client.record_initial(&missing).await.unwrap_err();
    assert!(
        matches!(e.kind, ProviderErrorKind::InvalidRequest { ref field } if field.as_deref() == Some("card_token"))
    );
}

#[tokio::test]
async fn declines_are_soft_or_hard_with_the_provider_code_and_reference() {
    let rig = Rig::start(10).await;
    let cases = [
        (
            "Soft-Decline",
            ProviderErrorKind::DeclinedSoft,
            "card.no-money",
            false,
        ),
        (
            "Hard-Decline",
            ProviderErrorKind::DeclinedHard,
            "card.stolen",
            true,
        ),
        (
            "Expired-Card",
            ProviderErrorKind::DeclinedHard,
            "card.expired",
            true,
        ),
    ];
    for (name, kind, code, hard) in cases {
        let (customer, card) = rig.special(name).await;
        let request = mit(&customer, &card, 1200, &format!("k-{name}"));
        let e: ProviderError = rig.client.charge(&request).await.unwrap_err();
        assert_eq!(e.kind, kind, "{name}: {e}");
        assert_eq!(e.provider_code.as_deref(), Some(code));
        let reference = e
            .provider_ref
            .clone()
            .expect("a declined charge has a transaction");
        let found = rig
            .client
            .find_charge(&lookup(&request, None))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.provider_ref, reference);
        assert!(
            matches!(&found.status, RemoteStatus::Declined { hard: h, code: Some(c), .. } if *h == hard && c == code),
            "{name}: {:?}",
            found.status
        );
    }
}

#[tokio::test]
async fn invalid_fields_and_key_reuse_are_refused() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(true).await;
    let mut long = mit(&customer, &card, 100, "k-long");
    long.order_id = "x".repeat(81);
    let e = rig.client.charge(&long).await.unwrap_err();
    assert!(
        matches!(e.kind, ProviderErrorKind::InvalidRequest { .. }),
        "{e}"
    );
    let first = mit(&customer, &card, 100, "k-dup");
    rig.client.charge(&first).await.unwrap();
    let changed = mit(&customer, &card, 200, "k-dup");
    let e = rig.client.charge(&changed).await.unwrap_err();
    assert_eq!(
        e.kind,
        ProviderErrorKind::Duplicate,
        "same key, different request: {e}"
    );
    let e = rig
        .client
        .charge(&mit(
            &CustomerRef("cust_nope".into()),
            &card,
            100,
            "k-nobody",
        ))
        .await
        .unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::NotFound, "{e}");
}

#[tokio::test]
async fn a_rate_limited_write_is_returned_at_once_and_an_outage_is_unavailable() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(true).await;
    rig.faults(json!({"rate_limit_next": 1, "retry_after_secs": 0}))
        .await;
    let limited = rig
        .client
        .charge(&mit(&customer, &card, 300, "k-429"))
        .await
        .unwrap_err();
    assert!(
        matches!(limited.kind, ProviderErrorKind::RateLimited { .. }),
        "a write never waits after its sending commit: {limited}"
    );
    assert!(charges_with_key(&rig.ledger().await, "k-429").is_empty());
    rig.faults(json!({"error_next": 3, "next_writes_only": true}))
        .await;
    let request = mit(&customer, &card, 300, "k-503");
    let e = rig.client.charge(&request).await.unwrap_err();
    assert_eq!(
        e.kind,
        ProviderErrorKind::UnknownOutcome,
        "a 503 to a write, retried under its key and still 503, does not prove nothing was \
         processed: {e}"
    );
    assert!(
        charges_with_key(&rig.ledger().await, "k-503").is_empty(),
        "the sandbox answers 503 before processing"
    );
    assert_eq!(
        rig.client
            .find_charge(&lookup(&request, None))
            .await
            .unwrap(),
        None,
        "no invoice and no transaction: the lookup says it never arrived"
    );
    rig.faults(json!({"error_next": 3, "next_writes_only": false}))
        .await;
    let e = rig.client.list_customers(None, 10).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::Unavailable);
}

#[tokio::test]
async fn a_lost_answer_is_an_unknown_outcome_that_lookup_resolves() {
    let rig = Rig::start(10).await;
    let (customer, card) = rig.special("Response-Lost").await;
    let request = mit(&customer, &card, 1500, "k-lost");
    let e = rig.client.charge(&request).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::UnknownOutcome, "{e}");
    let found: ChargeOutcome = rig
        .client
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, RemoteStatus::Succeeded);
    assert_eq!(found.amount, eur(1500));
    assert_eq!(
        charges_with_key(&rig.ledger().await, "k-lost").len(),
        1,
        "charged exactly once"
    );
}

#[tokio::test]
async fn a_dropped_answer_is_resent_under_the_same_key_and_charged_once() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(true).await;
    rig.faults(json!({"drop_next": 1})).await;
    let request = mit(&customer, &card, 700, "k-drop");
    let outcome = rig.client.charge(&request).await.unwrap();
    assert_eq!(outcome.status, RemoteStatus::Succeeded);
    assert_eq!(charges_with_key(&rig.ledger().await, "k-drop").len(), 1);
    let never = mit(&customer, &card, 700, "k-never-sent");
    assert_eq!(
        rig.client.find_charge(&lookup(&never, None)).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn the_timeout_card_is_an_unknown_outcome_with_nothing_charged() {
    let rig = Rig::start(10).await;
    rig.faults(json!({"timeout_ms": 1500})).await;
    let policy = HttpPolicy {
        request_timeout: Duration::from_millis(300),
        max_tries: 2,
        backoff: Duration::from_millis(10),
        ..HttpPolicy::default()
    };
    let client = ProcessOutClient::with_policy(
        &rig.merchant,
        SecretString::from(rig.secret.clone()),
        policy,
    )
    .unwrap();
    let (customer, card) = rig.special("Timeout").await;
    let request = mit(&customer, &card, 900, "k-timeout");
    let e = client.charge(&request).await.unwrap_err();
    assert_eq!(e.kind, ProviderErrorKind::UnknownOutcome, "{e}");
    let found = client
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .expect("the invoice exists, so the charge is not 'not found'");
    assert_eq!(
        found.status,
        RemoteStatus::Pending,
        "its capture never completed: not settled, and a resend under the same key is safe"
    );
    assert!(
        charges_with_key(&rig.ledger().await, "k-timeout").is_empty(),
        "nothing was charged"
    );
}

#[tokio::test]
async fn refunds_may_be_partial_and_stop_at_the_charge() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(true).await;
    let charged = rig
        .client
        .charge(&mit(&customer, &card, 1000, "k-refund"))
        .await
        .unwrap();
    let refund = |minor: i64, key: &str| RefundRequest {
        charge_ref: charged.provider_ref.clone(),
        order_id: "order-k-refund".into(),
        amount: eur(minor),
        charge_amount: eur(1000),
        idempotency_key: IdempotencyKey(key.into()),
        refund_id: key.into(),
    };
    let first = rig.client.refund(&refund(400, "r-1")).await.unwrap();
    assert!(first.provider_ref.as_str().starts_with("refd_"));
    assert_eq!(first.amount, eur(400));
    let again = rig.client.refund(&refund(400, "r-1")).await.unwrap();
    assert_eq!(
        again.provider_ref, first.provider_ref,
        "the same key refunds once"
    );
    let e = rig.client.refund(&refund(601, "r-2")).await.unwrap_err();
    assert_eq!(
        e.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("amount".into())
        },
        "{e}"
    );
    let rest = rig.client.refund(&refund(600, "r-3")).await.unwrap();
    assert_eq!(rest.amount, eur(600));
    let refunds = rig
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["kind"] == "refund")
        .count();
    assert_eq!(refunds, 2);
    let find = |minor: i64, key: &str| RefundLookup {
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        charge_ref: charged.provider_ref.clone(),
        order_id: "order-k-refund".into(),
        charge_amount: eur(1000),
        amount: eur(minor),
        refund_id: key.into(),
    };
    assert_eq!(
        rig.client.find_refund(&find(600, "r-3")).await.unwrap(),
        RefundsSeen::Exact(Some(rest.clone())),
        "a made refund is found by the id in its metadata"
    );
    assert_eq!(
        rig.client.find_refund(&find(601, "r-2")).await.unwrap(),
        RefundsSeen::Exact(None),
        "a refused refund was never made"
    );
    let found = rig
        .client
        .find_charge(&lookup(&mit(&customer, &card, 1000, "k-refund"), None))
        .await
        .unwrap();
    assert_eq!(
        found.map(|o| o.status),
        Some(RemoteStatus::Succeeded),
        "a refunded charge was still made"
    );
    let unknown = RefundRequest {
        charge_ref: ProviderRef("tr_nope".into()),
        ..refund(100, "r-4")
    };
    assert_eq!(
        rig.client.refund(&unknown).await.unwrap_err().kind,
        ProviderErrorKind::NotFound
    );
}

#[tokio::test]
async fn a_cardholder_charge_with_a_stored_card_is_a_one_off_cit() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(true).await;
    let mut request = mit(&customer, &card, 500, "k-cit");
    request.credential = StoredCredential {
        sequence: Sequence::Subsequent,
        initiator: Initiator::Cardholder,
        reason: Reason::Unscheduled,
        scheduled: false,
        initial_ref: None,
    };
    rig.client.charge(&request).await.unwrap();
    let ledger = rig.ledger().await;
    let c = charges_with_key(&ledger, "k-cit")[0];
    assert_eq!(c["stored_credential"]["initiation_type"], "cit");
    assert_eq!(c["stored_credential"]["payment_intent"], "one-off");
    assert!(c["stored_credential"]["initial_scheme_transaction_id"].is_null());
}

#[tokio::test]
async fn the_second_project_charges_in_its_own_currency() {
    let rig = Rig::start_in(30, "GBP").await;
    assert_eq!(rig.merchant.currency, Currency::GBP);
    let (customer, card) = rig.approving(true).await;
    let mut request = mit(&customer, &card, 1999, "k-gbp");
    request.amount = Money::from_minor(1999, Currency::GBP);
    let outcome = rig.client.charge(&request).await.unwrap();
    assert_eq!(outcome.amount, Money::from_minor(1999, Currency::GBP));
    let ledger = rig.ledger().await;
    let charge = charges_with_key(&ledger, "k-gbp")[0];
    assert_eq!(charge["currency"], "GBP");
    assert_eq!(charge["amount_minor"], 1999);
    assert_eq!(
        charge["merchant"],
        rig.merchant.account.account_id(),
        "charged in the GBP project"
    );
}

#[tokio::test]
async fn an_invoice_whose_capture_never_arrived_is_pending_not_missing_and_a_resend_completes_it() {
    let rig = Rig::start(30).await;
    let (customer, card) = rig.approving(true).await;
    let request = mit(&customer, &card, 1100, "k-invoice-only");
    // What an earlier send left behind when its capture was lost: the invoice alone, made under
    // the charge's order id (no customer, so only the invoice search can find it).
    let created: Value = rig
        .http
        .post(format!("{}/invoices", rig.merchant.base_url))
        .basic_auth(rig.merchant.account.account_id(), Some(&rig.secret))
        .json(
            &json!({"name": request.order_id, "order_id": request.order_id,
            "amount": "11.00", "currency": "EUR"}),
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["success"], true, "{created}");
    let found = rig
        .client
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .expect("the invoice exists: the charge is not 'not found'");
    assert_eq!(
        found.status,
        RemoteStatus::Pending,
        "no captured transaction yet: not settled, so the engine resends under the same key"
    );
    assert_eq!(found.amount, eur(1100));
    assert!(
        charges_with_key(&rig.ledger().await, "k-invoice-only").is_empty(),
        "nothing was charged"
    );
    let charged = rig.client.charge(&request).await.unwrap();
    assert_eq!(charged.status, RemoteStatus::Succeeded);
    let settled = rig
        .client
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        settled.status,
        RemoteStatus::Succeeded,
        "the resend's capture is what the lookup now finds"
    );
    assert_eq!(settled.provider_ref, charged.provider_ref);
}
