//! The Svea client against its sandbox over real HTTP: every trait method, the flag mapping,
//! each error kind, lost answers resolved by status query, the monthly limit and the cap, the
//! card-page flow, and a tampered answer hash.

// Test helpers panic on anything unexpected, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use coffer_core::{
    CardToken, Currency, CustomerRef, Environment, IdempotencyKey, Merchant, MerchantId, Money,
    ProviderRef, Reason, StoredCredential,
};
// The card page and card refresh are Svea's optional parts of a provider.
use coffer_providers::http::HttpPolicy;
use coffer_providers::svea::{SandboxCard, SveaAuth, SveaClient, SveaHash, SveaOptions};
use coffer_providers::{CardPage as _, CardRefresh as _};
use coffer_providers::{
    ChargeLookup, ChargeRequest, InitialRequest, InitialStep, Provider, ProviderErrorKind,
    RefundExtent, RefundLookup, RefundRequest, RefundsSeen, RemoteStatus,
};
use coffer_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;

struct Setup {
    sandbox: Sandbox,
    http: reqwest::Client,
    merchant: Merchant,
    secret: String,
}

async fn setup() -> Setup {
    let sandbox = Sandbox::start(SandboxConfig::demo(60)).await.unwrap();
    let http = reqwest::Client::new();
    let merchants: Vec<serde_json::Value> = http
        .get(format!("{}/merchants", sandbox.urls.admin))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let m = merchants
        .iter()
        .find(|m| m["account"]["provider"] == "svea")
        .expect("a svea merchant");
    let merchant = Merchant {
        id: MerchantId(1),
        name: m["name"].as_str().unwrap().into(),
        account: serde_json::from_value(m["account"].clone()).unwrap(),
        environment: Environment::Sandbox,
        base_url: m["base_url"].as_str().unwrap().into(),
        time_zone: m["time_zone"].as_str().unwrap().parse().unwrap(),
        currency: Currency::EUR,
        notice_lead_days: 3,
        group: None,
        endpoint: Default::default(),
    };
    Setup {
        secret: m["secret"].as_str().unwrap().into(),
        sandbox,
        http,
        merchant,
    }
}

impl Setup {
    fn client(&self) -> Box<dyn Provider> {
        coffer_providers::connect(&self.merchant, SecretString::from(self.secret.clone())).unwrap()
    }

    fn client_with(&self, auth: SveaAuth, policy: HttpPolicy) -> SveaClient {
        SveaClient::with_options(
            &self.merchant,
            SecretString::from(self.secret.clone()),
            SveaOptions { auth, policy },
        )
        .unwrap()
    }

    fn seller_id(&self) -> String {
        self.merchant.account.account_id().to_string()
    }

    /// Seeded cards with `behaviour` and a token: (token, initial pmt_id, initial amount).
    async fn cards(&self, behaviour: &str) -> Vec<(String, String, Money)> {
        let listing: serde_json::Value = self
            .http
            .get(format!(
                "{}/__sandbox/tokens?seller_id={}&limit=60",
                self.merchant.base_url,
                self.seller_id()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let this_month = {
            use chrono::Datelike;
            let now = chrono::Utc::now().with_timezone(&self.merchant.time_zone);
            i64::from(now.year()) * 12 + i64::from(now.month())
        };
        listing["customers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["cards"].as_array().unwrap().clone())
            .filter(|c| c["behaviour"] == behaviour && !c["pmt_token"].is_null())
            .filter(|c| {
                behaviour != "approve"
                    || c["exp_year"].as_i64().unwrap() * 12 + c["exp_month"].as_i64().unwrap()
                        >= this_month
            })
            .map(|c| {
                (
                    c["pmt_token"].as_str().unwrap().to_string(),
                    c["initial"]["pmt_id"].as_str().unwrap().to_string(),
                    Money::from_minor(
                        c["initial"]["amount_minor"].as_i64().unwrap(),
                        Currency::EUR,
                    ),
                )
            })
            .collect()
    }

    async fn card(&self, behaviour: &str) -> (String, String, Money) {
        self.cards(behaviour)
            .await
            .into_iter()
            .next()
            .expect("a seeded card")
    }

    async fn faults(&self, knobs: serde_json::Value) {
        self.http
            .put(format!("{}/faults", self.sandbox.urls.admin))
            .json(&knobs)
            .send()
            .await
            .unwrap();
    }

    async fn charges(&self) -> Vec<serde_json::Value> {
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

/// A register customer with the address Svea requires in every payment.
fn buyer() -> coffer_providers::Buyer {
    coffer_providers::Buyer {
        name: "Matti Virtanen".into(),
        address: coffer_core::Address::new("Mannerheimintie 1", "00100", "Helsinki", "FI").unwrap(),
    }
}

fn charge_request(order_id: &str, token: &str, initial: &str, amount: Money) -> ChargeRequest {
    ChargeRequest {
        amount,
        card_token: CardToken(token.into()),
        customer: CustomerRef("Matti Virtanen".into()),
        credential: StoredCredential::merchant_initiated(
            Reason::Recurring,
            ProviderRef(initial.into()),
        ),
        idempotency_key: IdempotencyKey(format!("key-{order_id}")),
        order_id: order_id.into(),
        description: "Monthly subscription".into(),
        agreement: None,
        buyer: Some(buyer()),
    }
}

fn lookup(request: &ChargeRequest) -> ChargeLookup {
    ChargeLookup {
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        idempotency_key: request.idempotency_key.clone(),
        order_id: request.order_id.clone(),
        provider_ref: None,
        customer: request.customer.clone(),
        card_token: request.card_token.clone(),
        amount: request.amount,
    }
}

fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

#[tokio::test]
async fn check_credentials_accepts_the_secret_and_refuses_another_in_both_auth_modes() {
    let s = setup().await;
    s.client().check_credentials().await.unwrap();
    let hashed = s.client_with(SveaAuth::Hash(SveaHash::Sha256), HttpPolicy::default());
    hashed.check_credentials().await.unwrap();
    for auth in [SveaAuth::Basic, SveaAuth::Hash(SveaHash::Sha512)] {
        let wrong = SveaClient::with_options(
            &s.merchant,
            SecretString::from("not-the-secret".to_string()),
            SveaOptions {
                auth,
                policy: HttpPolicy::default(),
            },
        )
        .unwrap();
        let error = wrong.check_credentials().await.unwrap_err();
        assert_eq!(error.kind, ProviderErrorKind::Auth, "{auth:?}: {error}");
    }
}

#[tokio::test]
async fn capabilities_say_card_page_and_no_listing() {
    let s = setup().await;
    let client = s.client();
    let caps = client.capabilities();
    assert!(caps.initial_needs_card_page);
    assert!(!caps.lists_customers);
    assert!(caps.partial_refunds);
    assert_eq!(caps.currencies, vec![Currency::EUR]);
    assert_eq!(
        client.list_customers(None, 50).await.unwrap_err().kind,
        ProviderErrorKind::Unsupported
    );
    assert_eq!(
        client
            .cards_of(&CustomerRef("x".into()))
            .await
            .unwrap_err()
            .kind,
        ProviderErrorKind::Unsupported
    );
}

#[tokio::test]
async fn charges_a_token_with_basic_and_with_each_hash_version_and_finds_it_again() {
    let s = setup().await;
    let cards = s.cards("approve").await;
    let clients: Vec<Box<dyn Provider>> = vec![
        s.client(),
        Box::new(s.client_with(SveaAuth::Hash(SveaHash::Sha512), HttpPolicy::default())),
        Box::new(s.client_with(SveaAuth::Hash(SveaHash::Sha256), HttpPolicy::default())),
        Box::new(s.client_with(SveaAuth::Hash(SveaHash::Md5), HttpPolicy::default())),
    ];
    for (n, client) in clients.iter().enumerate() {
        let (token, initial, cap) = &cards[n];
        let request = charge_request(&format!("MIT-OK-{n}"), token, initial, *cap);
        let outcome = client.charge(&request).await.unwrap();
        assert_eq!(outcome.status, RemoteStatus::Succeeded);
        assert_eq!(outcome.amount, *cap);
        assert_eq!(
            outcome.provider_ref,
            ProviderRef(format!("MIT-OK-{n}")),
            "Svea's reference is the pmt_id"
        );
        assert!(outcome.warnings.is_empty());
        let found = client
            .find_charge(&lookup(&request))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.status, RemoteStatus::Succeeded);
        assert_eq!(found.amount, *cap);
        assert!(found.at.is_some(), "the payment date is read");
    }
    let ledger = s.charges().await;
    assert_eq!(ledger.len(), 4);
    assert!(
        ledger
            .iter()
            .all(|c| c["stored_credential"]["pmt_version"] == "4204"
                && c["stored_credential"]["pmt_paymentmethod"] == "FI50"),
        "a MIT maps to a 4204 FI50 token charge"
    );
}

#[tokio::test]
async fn an_initial_cit_is_refused_as_a_token_charge() {
    let s = setup().await;
    let (token, _, cap) = s.card("approve").await;
    let mut request = charge_request("CIT-1", &token, "", cap);
    request.credential = StoredCredential::initial(Reason::Recurring);
    let error = s.client().charge(&request).await.unwrap_err();
    assert!(
        matches!(error.kind, ProviderErrorKind::InvalidRequest { .. }),
        "{error}"
    );
    assert!(s.charges().await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn declines_come_back_hard_or_soft_with_the_svea_code_and_are_found_as_declined() {
    let s = setup().await;
    let client = s.client();
    for (n, (behaviour, kind, code, hard)) in [
        (
            "soft_decline",
            ProviderErrorKind::DeclinedSoft,
            "ERROR_CARD_AUTHORIZATION_FAILED",
            false,
        ),
        (
            "hard_decline",
            ProviderErrorKind::DeclinedHard,
            "EXTERNAL_SERVICE_DENIED",
            true,
        ),
        (
            "expired",
            ProviderErrorKind::DeclinedHard,
            "ERROR_PAYMENT_INSTRUMENT_EXPIRED",
            true,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (token, initial, _) = s.card(behaviour).await;
        let request = charge_request(&format!("DECL-{n}"), &token, &initial, eur(100));
        let error = client.charge(&request).await.unwrap_err();
        assert_eq!(error.kind, kind, "{behaviour}");
        assert_eq!(error.provider_code.as_deref(), Some(code));
        assert_eq!(error.provider_ref, Some(ProviderRef(format!("DECL-{n}"))));
        let found = client
            .find_charge(&lookup(&request))
            .await
            .unwrap()
            .unwrap();
        match found.status {
            RemoteStatus::Declined {
                hard: h, code: c, ..
            } => {
                assert_eq!(h, hard, "{behaviour}");
                assert_eq!(c.as_deref(), Some(code));
            }
            other => panic!("{behaviour}: expected a decline, got {other:?}"),
        }
    }
    let unknown = charge_request("DECL-9", "no-such-token", "INIT", eur(100));
    let error = client.charge(&unknown).await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::DeclinedHard);
    assert_eq!(
        error.provider_code.as_deref(),
        Some("ERROR_PAYMENT_INSTRUMENT_NOT_FOUND")
    );
}

#[tokio::test]
async fn every_svea_test_card_declines_with_a_code_from_svea_s_published_list_and_its_table_reading(
) {
    use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
    use coffer_core::CardBrand;
    let s = setup().await;
    let client = s.client();
    // The codes of Svea's "Possible Error Codes" list for NewChargeWithTokenActionExtended.pmt
    // (maksuturva-developer.readme.io, cited in svea/errors.rs); the sandbox's cards: docs/svea.md.
    let (token, initial, cap) = s.card("approve").await;
    client
        .charge(&charge_request("TC-MONTH-1", &token, &initial, cap))
        .await
        .unwrap();
    let mut declines = Vec::new();
    for (n, behaviour) in ["soft_decline", "hard_decline", "expired"]
        .into_iter()
        .enumerate()
    {
        let (token, initial, _) = s.card(behaviour).await;
        let request = charge_request(&format!("TC-{n}"), &token, &initial, eur(100));
        declines.push((behaviour, client.charge(&request).await.unwrap_err()));
    }
    let month = client
        .charge(&charge_request("TC-MONTH-2", &token, &initial, eur(100)))
        .await
        .unwrap_err();
    declines.push(("monthly limit", month));
    let expected = [
        (
            "ERROR_CARD_AUTHORIZATION_FAILED",
            ProviderErrorKind::DeclinedSoft,
            DeclineMeaning::UNKNOWN_SOFT,
        ),
        (
            "EXTERNAL_SERVICE_DENIED",
            ProviderErrorKind::DeclinedHard,
            DeclineMeaning::hard(VisaCategory::Generic),
        ),
        (
            "ERROR_PAYMENT_INSTRUMENT_EXPIRED",
            ProviderErrorKind::DeclinedHard,
            DeclineMeaning::hard(VisaCategory::DataQuality),
        ),
        (
            "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED",
            ProviderErrorKind::DeclinedSoft,
            DeclineMeaning::UNKNOWN_SOFT,
        ),
    ];
    for ((card, error), (code, kind, meaning)) in declines.iter().zip(expected) {
        assert_eq!(
            error.provider_code.as_deref(),
            Some(code),
            "{card}: the sandbox answers Svea's own code"
        );
        assert_eq!(
            error.kind, kind,
            "{card}: {code} reaches the engine as {kind:?}"
        );
        let decline = error
            .decline
            .as_ref()
            .expect("a decline carries its table reading");
        assert_eq!(
            decline.meaning, meaning,
            "{card}: the errors.rs table row for {code}"
        );
        assert_eq!(
            (
                decline.network_code.as_deref(),
                decline.merchant_advice_code.as_deref()
            ),
            (None, None),
            "{card}: Svea passes no network or advice code on"
        );
        for brand in [CardBrand::Visa, CardBrand::Mastercard] {
            let never = decline.never_retry(&brand);
            assert!(
                never.as_ref().is_none_or(|n| !n.stops_contract),
                "{card}: Svea publishes no stop-payment code, so no Svea decline ends a contract"
            );
            if kind == ProviderErrorKind::DeclinedSoft {
                assert_eq!(
                    never, None,
                    "{card}: a soft decline is retried within the networks' limits"
                );
            }
        }
    }
}

#[tokio::test]
async fn monthly_limit_and_the_original_amount_cap_are_soft_declines() {
    let s = setup().await;
    let client = s.client();
    let (token, initial, cap) = s.card("approve").await;
    let above = eur(cap.minor + 1);
    let error = client
        .charge(&charge_request("CAP-1", &token, &initial, above))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::DeclinedSoft);
    assert_eq!(
        error.provider_code.as_deref(),
        Some("ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED")
    );
    client
        .charge(&charge_request("MONTH-1", &token, &initial, cap))
        .await
        .unwrap();
    let error = client
        .charge(&charge_request("MONTH-2", &token, &initial, eur(100)))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::DeclinedSoft,
        "one charge per calendar month"
    );
    assert_eq!(
        error.provider_code.as_deref(),
        Some("ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED")
    );
}

#[tokio::test]
async fn request_errors_map_to_invalid_request_and_duplicate() {
    let s = setup().await;
    let client = s.client();
    let (token, initial, cap) = s.card("approve").await;
    let long = charge_request("ORDER-ID-LONGER-THAN-20", &token, &initial, cap);
    assert_eq!(
        client.charge(&long).await.unwrap_err().kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_id".into())
        }
    );
    let odd_token = "t".repeat(80);
    let error = client
        .charge(&charge_request("BADTOKEN-1", &odd_token, &initial, cap))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_token".into())
        },
        "Svea's field error names the field: {error}"
    );
    let usd = charge_request(
        "USD-1",
        &token,
        &initial,
        Money::from_minor(100, Currency::USD),
    );
    assert!(matches!(
        client.charge(&usd).await.unwrap_err().kind,
        ProviderErrorKind::InvalidRequest { .. }
    ));
    let (soft, soft_initial, _) = s.card("soft_decline").await;
    client
        .charge(&charge_request("REUSE-1", &soft, &soft_initial, eur(100)))
        .await
        .unwrap_err();
    let reused = client
        .charge(&charge_request("REUSE-1", &token, &initial, cap))
        .await
        .unwrap_err();
    assert_eq!(
        reused.kind,
        ProviderErrorKind::Duplicate,
        "existingPayment: {reused}"
    );
}

#[tokio::test]
async fn a_rate_limited_write_is_returned_at_once_and_unavailable_is_reported() {
    let s = setup().await;
    let client = s.client();
    let cards = s.cards("approve").await;
    let (token, initial, cap) = cards[0].clone();
    let (token2, initial2, cap2) = cards[1].clone();
    s.faults(serde_json::json!({"rate_limit_next": 1, "retry_after_secs": 0}))
        .await;
    let limited = client
        .charge(&charge_request("RL-1", &token, &initial, cap))
        .await
        .unwrap_err();
    assert!(
        matches!(limited.kind, ProviderErrorKind::RateLimited { .. }),
        "a write never waits after its sending commit: {limited}"
    );
    s.faults(serde_json::json!({"error_next": 1, "next_writes_only": true}))
        .await;
    let error = client
        .charge(&charge_request("UNAV-1", &token2, &initial2, cap2))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::UnknownOutcome,
        "a 5xx to a charge does not prove Svea never processed it"
    );
    assert_eq!(
        error.provider_ref,
        Some(ProviderRef("UNAV-1".into())),
        "the pmt_id to look up"
    );
    s.faults(serde_json::json!({"next_writes_only": false}))
        .await;
    assert!(
        client
            .find_charge(&lookup(&charge_request("UNAV-1", &token2, &initial2, cap2)))
            .await
            .unwrap()
            .is_none(),
        "a 503 before processing charged nothing"
    );
    s.faults(serde_json::json!({"error_next": 3})).await;
    assert_eq!(
        client.check_credentials().await.unwrap_err().kind,
        ProviderErrorKind::Unavailable
    );
}

#[tokio::test]
async fn a_dropped_answer_is_unknown_outcome_and_find_charge_resolves_it_once() {
    let s = setup().await;
    let client = s.client();
    let (token, initial, cap) = s.card("approve").await;
    s.faults(serde_json::json!({"drop_next": 1})).await;
    let request = charge_request("DROP-1", &token, &initial, cap);
    let error = client.charge(&request).await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::UnknownOutcome, "{error}");
    let found = client
        .find_charge(&lookup(&request))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, RemoteStatus::Succeeded);
    assert_eq!(found.amount, cap);

    let (lost, lost_initial, lost_cap) = s.card("response_lost").await;
    let request = charge_request("LOST-1", &lost, &lost_initial, lost_cap);
    assert_eq!(
        client.charge(&request).await.unwrap_err().kind,
        ProviderErrorKind::UnknownOutcome
    );
    assert_eq!(
        client
            .find_charge(&lookup(&request))
            .await
            .unwrap()
            .unwrap()
            .status,
        RemoteStatus::Succeeded
    );
    let charges = s.charges().await;
    for order in ["DROP-1", "LOST-1"] {
        assert_eq!(
            charges.iter().filter(|c| c["order_id"] == order).count(),
            1,
            "exactly one charge for {order}"
        );
    }
}

#[tokio::test]
async fn the_timeout_card_is_unknown_outcome_and_settles_as_declined() {
    let s = setup().await;
    s.faults(serde_json::json!({"timeout_ms": 1500})).await;
    let policy = HttpPolicy {
        request_timeout: Duration::from_millis(300),
        ..HttpPolicy::default()
    };
    let client = s.client_with(SveaAuth::Basic, policy);
    let (token, initial, _) = s.card("timeout").await;
    let request = charge_request("SLOW-1", &token, &initial, eur(100));
    assert_eq!(
        client.charge(&request).await.unwrap_err().kind,
        ProviderErrorKind::UnknownOutcome
    );
    let mut status = client
        .find_charge(&lookup(&request))
        .await
        .unwrap()
        .unwrap()
        .status;
    for _ in 0..100 {
        if status != RemoteStatus::Pending {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = client
            .find_charge(&lookup(&request))
            .await
            .unwrap()
            .unwrap()
            .status;
    }
    match status {
        RemoteStatus::Declined { hard, code, .. } => {
            assert!(!hard);
            assert_eq!(code.as_deref(), Some("ERROR_CARD_AUTHORIZATION_TIMEOUT"));
        }
        other => panic!("expected the timed-out charge to settle as declined, got {other:?}"),
    }
    assert!(s.charges().await.is_empty(), "nothing was charged");
}

#[tokio::test]
async fn find_charge_of_an_order_svea_never_saw_is_none() {
    let s = setup().await;
    let request = charge_request("NEVER-1", "t", "i", eur(100));
    assert!(s
        .client()
        .find_charge(&lookup(&request))
        .await
        .unwrap()
        .is_none());
}

fn refund(order_id: &str, amount: Money, charged: Money, n: u32) -> RefundRequest {
    RefundRequest {
        charge_ref: ProviderRef(order_id.into()),
        order_id: order_id.into(),
        amount,
        charge_amount: charged,
        idempotency_key: IdempotencyKey(format!("refund-{order_id}-{n}")),
        refund_id: format!("R{n}"),
    }
}

#[tokio::test]
async fn refunds_partly_then_the_rest_then_refuses_more() {
    let s = setup().await;
    let client = s.client();
    let (token, initial, cap) = s.card("approve").await;
    client
        .charge(&charge_request("REF-1", &token, &initial, cap))
        .await
        .unwrap();
    let seen = |amount: Money, n: u32| {
        let r = refund("REF-1", amount, cap, n);
        RefundLookup {
            sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
            charge_ref: r.charge_ref,
            order_id: r.order_id,
            charge_amount: r.charge_amount,
            amount: r.amount,
            refund_id: r.refund_id,
        }
    };
    assert_eq!(
        client.find_refund(&seen(eur(100), 1)).await.unwrap(),
        RefundsSeen::Extent(RefundExtent::None),
        "the status query of a paid payment says nothing is refunded"
    );
    let part = client
        .refund(&refund("REF-1", eur(100), cap, 1))
        .await
        .unwrap();
    assert_eq!(part.amount, eur(100));
    assert_eq!(
        client.find_refund(&seen(eur(100), 1)).await.unwrap(),
        RefundsSeen::Extent(RefundExtent::Part)
    );
    let rest = eur(cap.minor - 100);
    client.refund(&refund("REF-1", rest, cap, 2)).await.unwrap();
    assert_eq!(
        client.find_refund(&seen(rest, 2)).await.unwrap(),
        RefundsSeen::Extent(RefundExtent::Whole)
    );
    let more = client
        .refund(&refund("REF-1", eur(1), cap, 3))
        .await
        .unwrap_err();
    assert!(
        matches!(more.kind, ProviderErrorKind::InvalidRequest { .. }),
        "{more}"
    );
    assert_eq!(more.provider_code.as_deref(), Some("99"));
    let found = client
        .find_charge(&lookup(&charge_request("REF-1", &token, &initial, cap)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        found.status,
        RemoteStatus::Succeeded,
        "a refunded charge was still made"
    );
    let missing = client
        .refund(&refund("NOPE-1", eur(100), eur(100), 1))
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ProviderErrorKind::NotFound);
    let hashed = s.client_with(SveaAuth::Hash(SveaHash::Sha256), HttpPolicy::default());
    let (token2, initial2, cap2) = s.cards("approve").await.into_iter().nth(1).unwrap();
    hashed
        .charge(&charge_request("REF-2", &token2, &initial2, cap2))
        .await
        .unwrap();
    hashed
        .refund(&refund("REF-2", cap2, cap2, 1))
        .await
        .unwrap();
    let refunds: Vec<i64> = s
        .charges()
        .await
        .iter()
        .filter(|c| c["kind"] == "refund")
        .map(|c| c["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(refunds, [100, cap.minor - 100, cap2.minor]);
}

fn initial_request(order_id: &str, amount: Money) -> InitialRequest {
    InitialRequest {
        customer: CustomerRef("Aino Laine".into()),
        card_token: None,
        amount,
        reason: Reason::Recurring,
        order_id: order_id.into(),
        idempotency_key: IdempotencyKey(format!("init-{order_id}")),
        return_url: Some("https://shop.example/svea/return".into()),
        buyer: Some(buyer()),
    }
}

#[tokio::test]
async fn a_card_enters_through_the_sandbox_card_page_and_can_then_be_charged() {
    let s = setup().await;
    let client = s.client_with(SveaAuth::Basic, HttpPolicy::default());
    for (order, amount) in [("INIT-ZERO", eur(0)), ("INIT-PAY", eur(1990))] {
        let step = client
            .record_initial(&initial_request(order, amount))
            .await
            .unwrap();
        let InitialStep::CardPage { url, pending_id } = step else {
            panic!("Svea needs the card page");
        };
        assert_eq!(pending_id, order);
        let returned = client
            .complete_sandbox_card_page(&url, &SandboxCard::approving())
            .await
            .unwrap();
        let done = client.finish_initial(&pending_id, &returned).await.unwrap();
        assert_eq!(done.initial_ref, ProviderRef(order.into()));
        assert_eq!(done.amount, amount);
        assert_eq!(done.card.last4, "4242");
        assert_eq!(done.card.brand, coffer_core::CardBrand::Visa);
        let charge_amount = if amount.minor == 0 { eur(500) } else { amount };
        let charged = client
            .charge(&charge_request(
                &format!("{order}-M1"),
                done.card.token.as_str(),
                order,
                charge_amount,
            ))
            .await
            .unwrap();
        assert_eq!(charged.status, RemoteStatus::Succeeded);
    }
    let hashed = s.client_with(SveaAuth::Hash(SveaHash::Sha256), HttpPolicy::default());
    let InitialStep::CardPage { url, pending_id } = hashed
        .record_initial(&initial_request("INIT-H", eur(0)))
        .await
        .unwrap()
    else {
        panic!("card page");
    };
    let returned = hashed
        .complete_sandbox_card_page(&url, &SandboxCard::approving())
        .await
        .unwrap();
    assert!(
        !returned.iter().any(|(k, _)| k == "pmt_hash"),
        "the card page is started with Basic even in hash mode, so its return carries no hash \
         (Svea's S2S page); the status query confirms it: {returned:?}"
    );
    hashed.finish_initial(&pending_id, &returned).await.unwrap();
}

#[tokio::test]
async fn a_cancelled_or_failed_card_page_is_a_decline_and_a_tampered_return_is_refused() {
    let s = setup().await;
    let client = s.client_with(SveaAuth::Basic, HttpPolicy::default());
    let page = |order: &'static str| {
        let client = &client;
        async move {
            match client
                .record_initial(&initial_request(order, eur(0)))
                .await
                .unwrap()
            {
                InitialStep::CardPage { url, pending_id } => (url, pending_id),
                InitialStep::Done(_) => panic!("card page expected"),
            }
        }
    };
    let (url, id) = page("INIT-C").await;
    let cancelled = SandboxCard {
        cancel: true,
        ..SandboxCard::approving()
    };
    let returned = client
        .complete_sandbox_card_page(&url, &cancelled)
        .await
        .unwrap();
    assert_eq!(
        client
            .finish_initial(&id, &returned)
            .await
            .unwrap_err()
            .kind,
        ProviderErrorKind::DeclinedSoft
    );
    let (url, id) = page("INIT-3DS").await;
    let failing = SandboxCard {
        passes_3ds: false,
        ..SandboxCard::approving()
    };
    let returned = client
        .complete_sandbox_card_page(&url, &failing)
        .await
        .unwrap();
    let error = client.finish_initial(&id, &returned).await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::DeclinedHard);
    assert_eq!(
        error.provider_code.as_deref(),
        Some("ERROR_CARD_AUTHENTICATION_FAILED")
    );
    let (url, id) = page("INIT-T").await;
    let mut returned = client
        .complete_sandbox_card_page(&url, &SandboxCard::approving())
        .await
        .unwrap();
    for (k, v) in returned.iter_mut() {
        if k == "pmt_token" {
            v.replace_range(0..1, if v.starts_with('0') { "1" } else { "0" });
        }
    }
    let error = client.finish_initial(&id, &returned).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_token".into())
        },
        "a return whose token the status query does not show is refused: {error}"
    );
    let typo = SandboxCard {
        number: "4242424242424241".into(),
        ..SandboxCard::approving()
    };
    let (url, _) = page("INIT-TYPO").await;
    let error = client
        .complete_sandbox_card_page(&url, &typo)
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind, ProviderErrorKind::InvalidRequest { .. }),
        "{error}"
    );
}

/// What a stand-in Svea received: each request's head (lower-cased header names) and body.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>;

/// A stand-in for Svea on a local port: answers every request with `answer(request body)`,
/// and keeps what it received.
async fn stand_in_svea(answer: impl Fn(&str) -> String + Send + Sync + 'static) -> (String, Seen) {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen: Seen = Default::default();
    let kept = seen.clone();
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = answer.clone();
            let kept = kept.clone();
            tokio::spawn(async move {
                let Some((head, body)) = crate::read_request(&mut stream).await else {
                    return;
                };
                let head = head.to_ascii_lowercase();
                let reply = answer(&body);
                kept.lock().unwrap().push((head, body));
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/xml; charset=UTF-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{reply}",
                    reply.len()
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), seen)
}

/// A stand-in for Svea that answers every request with `body`.
async fn tampering_svea(body: String) -> String {
    stand_in_svea(move |_| body.clone()).await.0
}

/// The value of `name` in a form body.
fn form_value(body: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(body.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn a_tampered_answer_hash_is_an_error_and_nothing_is_reported_paid() {
    let s = setup().await;
    let (token, initial, cap) = s.card("approve").await;
    let real = s
        .client()
        .charge(&charge_request("TAMPER-0", &token, &initial, cap))
        .await
        .unwrap();
    assert_eq!(
        real.status,
        RemoteStatus::Succeeded,
        "the untampered answer verifies"
    );
    // Replay a genuine-looking answer for another order with one digit of the amount changed.
    let reference = "00000000000010000427";
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><chargeWithTokenResponse><pmt_action>NEW_PAYMENT_EXTENDED</pmt_action>\
         <pmt_version>4204</pmt_version><pmt_id>TAMPER-1</pmt_id><pmt_reference>{reference}</pmt_reference>\
         <pmt_amount>9,99</pmt_amount><pmt_currency>EUR</pmt_currency><pmt_sellercosts>0,00</pmt_sellercosts>\
         <pmt_paymentmethod>FI50</pmt_paymentmethod><pmt_escrow>N</pmt_escrow><pmt_token>{token}</pmt_token>\
         <pmt_hash>6A0C0F76E51D709704853592D32CDAFE7D92D235A24487BEC1CE5E1CAF2FCEE7</pmt_hash></chargeWithTokenResponse>"
    );
    let mut merchant = s.merchant.clone();
    merchant.base_url = tampering_svea(body).await;
    // Hash mode: there, and only there, Svea hashes its answers with the algorithm we name.
    let client = SveaClient::with_options(
        &merchant,
        SecretString::from(s.secret.clone()),
        SveaOptions {
            auth: SveaAuth::Hash(SveaHash::Sha256),
            policy: HttpPolicy::default(),
        },
    )
    .unwrap();
    let error = client
        .charge(&charge_request("TAMPER-1", &token, &initial, eur(999)))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::UnknownOutcome,
        "an answer whose hash fails cannot be trusted either way; the engine looks the pmt_id \
         up by status query: {error}"
    );
    assert_eq!(error.provider_ref, Some(ProviderRef("TAMPER-1".into())));
}

/// The query pairs of a card-page return as a cardholder's browser could forge them: "paid,
/// here is the token", with no hash (a card page started with Basic returns none).
fn forged_return(pmt_id: &str, amount: &str, token: &str) -> Vec<(String, String)> {
    [
        ("svea_return", "ok"),
        ("pmt_action", "TOKENIZE"),
        ("pmt_version", "4504"),
        ("pmt_id", pmt_id),
        ("pmt_reference", "00000000000010000427"),
        ("pmt_amount", amount),
        ("pmt_currency", "EUR"),
        ("pmt_sellercosts", "0,00"),
        ("pmt_paymentmethod", "FI50"),
        ("pmt_escrow", "N"),
        ("pmt_token", token),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

#[tokio::test]
async fn a_forged_card_page_return_is_refused_unless_the_status_query_confirms_payment_and_token() {
    let s = setup().await;
    let client = s.client_with(SveaAuth::Basic, HttpPolicy::default());
    let start = |order: &'static str, amount: Money| {
        let client = &client;
        async move {
            match client
                .record_initial(&initial_request(order, amount))
                .await
                .unwrap()
            {
                InitialStep::CardPage { url, pending_id } => (url, pending_id),
                InitialStep::Done(_) => panic!("card page expected"),
            }
        }
    };
    let token = "0123456789abcdef0123456789abcdef";

    // A payment Svea never saw: its status is Svea's unknown-payment answer.
    let error = client
        .finish_initial("INIT-NEVER", &forged_return("INIT-NEVER", "0,00", token))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_id".into())
        },
        "Svea knows no payment under the id, so the return's claim is refused: {error}"
    );
    assert_eq!(error.provider_code.as_deref(), Some("RETURN_NOT_CONFIRMED"));

    // A card page opened but never completed: the return claims what Svea has not seen yet.
    let (_, waiting) = start("INIT-F-WAIT", eur(0)).await;
    let error = client
        .finish_initial(&waiting, &forged_return(&waiting, "0,00", token))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::UnknownOutcome,
        "Svea shows the payment waiting for the payer: nothing is recorded, it is asked again \
         later: {error}"
    );

    // Cancelled on the card page, then an "ok" return forged.
    let (url, cancelled) = start("INIT-F-CANCEL", eur(0)).await;
    let cancel = SandboxCard {
        cancel: true,
        ..SandboxCard::approving()
    };
    client
        .complete_sandbox_card_page(&url, &cancel)
        .await
        .unwrap();
    let error = client
        .finish_initial(&cancelled, &forged_return(&cancelled, "0,00", token))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::DeclinedSoft,
        "the status query says unpaid, whatever the browser says: {error}"
    );
    assert_eq!(error.provider_code.as_deref(), Some("PAYER_INTERRUPTED"));

    // Paid, but the return's amount was edited.
    let (url, paid) = start("INIT-F-AMT", eur(1990)).await;
    let mut returned = client
        .complete_sandbox_card_page(&url, &SandboxCard::approving())
        .await
        .unwrap();
    for (k, v) in returned.iter_mut() {
        if k == "pmt_amount" {
            *v = "1,00".into();
        }
    }
    let error = client.finish_initial(&paid, &returned).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_amount".into())
        },
        "the status query says 19,90, so an edited amount is refused: {error}"
    );

    // Two real card pages; the token of one brought back on the other's return.
    let (url_a, paid_a) = start("INIT-F-A", eur(0)).await;
    let mut return_a = client
        .complete_sandbox_card_page(&url_a, &SandboxCard::approving())
        .await
        .unwrap();
    let (url_b, _) = start("INIT-F-B", eur(0)).await;
    let return_b = client
        .complete_sandbox_card_page(&url_b, &SandboxCard::approving())
        .await
        .unwrap();
    let token_b = return_b
        .iter()
        .find(|(k, _)| k == "pmt_token")
        .unwrap()
        .1
        .clone();
    for (k, v) in return_a.iter_mut() {
        if k == "pmt_token" {
            *v = token_b.clone();
        }
    }
    let error = client.finish_initial(&paid_a, &return_a).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_token".into())
        },
        "another payment's token does not match the token Svea shows for this one: {error}"
    );
}

#[tokio::test]
async fn under_basic_requests_carry_no_hash_and_answers_without_a_hash_are_taken() {
    let s = setup().await;
    let (token, initial, _) = s.card("approve").await;
    // Svea's token-charge answer (fields of Svea's S2S invoice page), without any hash, or
    // with a hash whose algorithm we never named: neither is required under Basic.
    let answer = |hash: &'static str| {
        move |body: &str| {
            let get = |name: &str| form_value(body, name).unwrap_or_default();
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?><chargeWithTokenResponse>\
                 <pmt_action>{}</pmt_action><pmt_version>{}</pmt_version><pmt_id>{}</pmt_id>\
                 <pmt_reference>{:0>20}</pmt_reference><pmt_amount>{}</pmt_amount><pmt_currency>EUR</pmt_currency>\
                 <pmt_sellercosts>0,00</pmt_sellercosts><pmt_paymentmethod>FI50</pmt_paymentmethod>\
                 <pmt_escrow>N</pmt_escrow><pmt_token>{}</pmt_token>{hash}</chargeWithTokenResponse>",
                get("pmt_action"),
                get("pmt_version"),
                get("pmt_id"),
                get("pmt_reference"),
                get("pmt_amount"),
                get("pmt_token"),
            )
        }
    };
    for (n, hash) in ["", "<pmt_hash>0123ABCD</pmt_hash>"]
        .into_iter()
        .enumerate()
    {
        let (url, seen) = stand_in_svea(answer(hash)).await;
        let mut merchant = s.merchant.clone();
        merchant.base_url = url;
        let client = SveaClient::with_options(
            &merchant,
            SecretString::from(s.secret.clone()),
            SveaOptions {
                auth: SveaAuth::Basic,
                policy: HttpPolicy::default(),
            },
        )
        .unwrap();
        let order = format!("BASIC-{n}");
        let charged = client
            .charge(&charge_request(&order, &token, &initial, eur(500)))
            .await
            .unwrap();
        assert_eq!(
            charged.status,
            RemoteStatus::Succeeded,
            "an answer {hash:?} under Basic is a charge: no hash is required or trusted there"
        );
        let (head, body) = seen.lock().unwrap()[0].clone();
        assert!(
            head.contains("authorization: basic "),
            "Basic authenticates: {head}"
        );
        for field in ["pmt_hash", "pmt_hashversion"] {
            assert!(
                form_value(&body, field).is_none(),
                "Svea: \"Exclude parameters pmt_hash and pmt_hashversion\" under Basic: {body}"
            );
        }
    }
    // A cancel answer with a code and text only, as Svea's Magento 2 module reads it.
    let (url, seen) = stand_in_svea(|_| {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><pmtc><pmtc_returncode>00</pmtc_returncode>\
         <pmtc_returntext>OK</pmtc_returntext></pmtc>"
            .to_string()
    })
    .await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let refunded = client
        .refund(&refund("BASIC-0", eur(100), eur(500), 1))
        .await
        .unwrap();
    assert_eq!(
        refunded.amount,
        eur(100),
        "code 00 without a hash is a refund under Basic"
    );
    let (_, body) = seen.lock().unwrap()[0].clone();
    assert!(
        form_value(&body, "pmtc_hash").is_none() && form_value(&body, "pmtc_hashversion").is_none()
    );
}

#[tokio::test]
async fn hash_mode_still_names_its_algorithm_and_signs_every_request() {
    let s = setup().await;
    let (url, seen) = stand_in_svea(|_| "<pmtq/>".to_string()).await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client = SveaClient::with_options(
        &merchant,
        SecretString::from(s.secret.clone()),
        SveaOptions {
            auth: SveaAuth::Hash(SveaHash::Sha512),
            policy: HttpPolicy::default(),
        },
    )
    .unwrap();
    let request = charge_request("HASHED-1", "0123", "INIT1", eur(500));
    assert!(client.find_charge(&lookup(&request)).await.is_err());
    let (head, body) = seen.lock().unwrap()[0].clone();
    assert!(
        !head.contains("authorization:"),
        "no Basic in hash mode: {head}"
    );
    assert_eq!(
        form_value(&body, "pmtq_hashversion").as_deref(),
        Some("SHA-512")
    );
    assert_eq!(
        form_value(&body, "pmtq_hash").map(|h| h.len()),
        Some(128),
        "a SHA-512 hash in hex"
    );
}

/// A Basic client whose Svea answers every request with `excerpt`.
async fn reading(s: &Setup, excerpt: String, auth: SveaAuth) -> SveaClient {
    let mut merchant = s.merchant.clone();
    merchant.base_url = tampering_svea(excerpt).await;
    SveaClient::with_options(
        &merchant,
        SecretString::from(s.secret.clone()),
        SveaOptions {
            auth,
            policy: HttpPolicy::default(),
        },
    )
    .unwrap()
}

fn excerpt_of(file: &str) -> String {
    super::published::published("svea")
        .into_iter()
        .find(|(name, _, _)| name == file)
        .unwrap_or_else(|| panic!("tests/published/svea/{file}"))
        .2
}

#[tokio::test]
async fn svea_published_status_answers_are_read_by_the_client_into_their_values() {
    let s = setup().await;
    let lookup_of = |order: &str| lookup(&charge_request(order, "t", "INIT1", eur(56810)));

    let client = reading(
        &s,
        excerpt_of("status_query_unknown_payment.txt"),
        SveaAuth::Basic,
    )
    .await;
    assert!(
        client
            .find_charge(&lookup_of("1998524_1"))
            .await
            .unwrap()
            .is_none(),
        "Svea's unknown-payment answer (00, 0,00, no hash) is 'never seen'"
    );

    let client = reading(
        &s,
        excerpt_of("status_query_not_confirmed.txt"),
        SveaAuth::Basic,
    )
    .await;
    let found = client
        .find_charge(&lookup_of("1998524_1"))
        .await
        .unwrap()
        .expect("a payment with a method chosen");
    assert_eq!(
        found.status,
        RemoteStatus::Pending,
        "00 with an amount and a method: Svea does not know the outcome yet"
    );
    assert_eq!(found.amount, eur(56810), "568,10 is 568.10 EUR");

    let token_answer = excerpt_of("status_query_token_payment.txt");
    let client = reading(&s, token_answer.clone(), SveaAuth::Basic).await;
    let found = client
        .find_charge(&lookup_of("1234567"))
        .await
        .unwrap()
        .expect("a settled token payment");
    assert_eq!(
        found.status,
        RemoteStatus::Succeeded,
        "40 is settled to the seller"
    );
    assert_eq!(found.amount, eur(56810));
    assert_eq!(
        found
            .at
            .map(|at| at.with_timezone(&s.merchant.time_zone).date_naive()),
        chrono::NaiveDate::from_ymd_opt(2016, 5, 11),
        "pmtq_paymentdate 11.05.2016 is a dd.MM.yyyy day"
    );
    let card = client
        .refresh_card(
            &ProviderRef("1234567".into()),
            &CardToken("57c48209-0000-1111-2222-333333333333".into()),
        )
        .await
        .unwrap()
        .expect("the card of the token payment");
    assert_eq!(card.last4, "0024");
    assert_eq!(card.brand, coffer_core::CardBrand::Visa);
    assert_eq!((card.expiry.year, card.expiry.month), (2017, 11));
    assert!(
        client
            .refresh_card(
                &ProviderRef("1234567".into()),
                &CardToken("99c48209-0000-1111-2222-333333333333".into()),
            )
            .await
            .is_err(),
        "a token whose shown characters differ from Svea's masked one is not this card"
    );

    // The page masks the hash ("***"): under Basic nothing is checked, in hash mode it fails.
    let hashed = reading(&s, token_answer, SveaAuth::Hash(SveaHash::Sha512)).await;
    let error = hashed.find_charge(&lookup_of("1234567")).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::MalformedResponse,
        "hash mode keeps checking answer hashes: {error}"
    );
}

/// The buyer and delivery fields Svea's Magento 2 module requires, with their (min, max) lengths,
/// read from the published excerpt: every `'pmt_buyer…'`/`'pmt_delivery…' => [min, max]` line
/// with a minimum of at least 1.
fn compulsory_address_fields() -> Vec<(String, usize, usize)> {
    let excerpt = excerpt_of("magento_payment_compulsory_fields.txt");
    let fields: Vec<(String, usize, usize)> = excerpt
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().strip_prefix('\'')?.split_once("' => [")?;
            let (min, rest) = rest.split_once(',')?;
            let max = rest.trim().split(']').next()?;
            let (min, max): (usize, usize) = (min.trim().parse().ok()?, max.trim().parse().ok()?);
            (min >= 1 && name != "pmt_buyername" && name != "pmt_deliveryname")
                .then(|| (name.to_string(), min, max))
        })
        .collect();
    assert_eq!(
        fields.len(),
        8,
        "four buyer and four delivery fields: {fields:?}"
    );
    fields
}

#[tokio::test]
async fn every_svea_payment_carries_the_buyer_and_delivery_address_the_published_module_requires() {
    let s = setup().await;
    let (url, seen) = stand_in_svea(|_| "<errors/>".to_string()).await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let _ = client
        .charge(&charge_request("ADDR-1", "tok", "INIT1", eur(990)))
        .await;
    let _ = client
        .record_initial(&initial_request("ADDR-2", eur(0)))
        .await;
    let bodies: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(
        bodies.len(),
        2,
        "a token charge and a card page payment were sent"
    );
    let expected = |name: &str| {
        let part = name
            .trim_start_matches("pmt_buyer")
            .trim_start_matches("pmt_delivery");
        match part {
            "address" => "Mannerheimintie 1",
            "postalcode" => "00100",
            "city" => "Helsinki",
            "country" => "FI",
            other => panic!("no address part {other}"),
        }
    };
    for body in &bodies {
        for (name, min, max) in compulsory_address_fields() {
            let value = form_value(body, &name).unwrap_or_else(|| panic!("{name} is sent"));
            assert!(
                (min..=max).contains(&value.chars().count()),
                "{name} '{value}' has {min}..={max} characters"
            );
            assert_eq!(value, expected(&name), "{name} is the customer's");
        }
        assert_eq!(
            form_value(body, "pmt_buyername").as_deref(),
            Some("Matti Virtanen")
        );
    }

    let mut without = charge_request("ADDR-3", "tok", "INIT1", eur(990));
    without.buyer = None;
    let refused = client.charge(&without).await.unwrap_err();
    assert_eq!(
        refused.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("pmt_buyeraddress".into())
        },
        "{refused}"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        2,
        "nothing is sent without an address"
    );
}

/// A PaymentCancel.pmt answer in the shape the modules read: the root's children by name.
fn cancel_answer(body: &str, code: &str, pay_with: &[(&str, &str)]) -> String {
    let action = form_value(body, "pmtc_action").unwrap_or_default();
    let id = form_value(body, "pmtc_id").unwrap_or_default();
    let extra: String = pay_with
        .iter()
        .map(|(k, v)| format!("<{k}>{v}</{k}>"))
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><pmtc><pmtc_action>{action}</pmtc_action>\
         <pmtc_version>0005</pmtc_version><pmtc_sellerid>SELLER</pmtc_sellerid><pmtc_id>{id}</pmtc_id>\
         <pmtc_returncode>{code}</pmtc_returncode><pmtc_returntext>OK</pmtc_returntext>{extra}</pmtc>"
    )
}

#[tokio::test]
async fn a_cancel_answered_30_is_refunded_after_settlement_with_the_published_pay_with_fields() {
    let s = setup().await;
    // The pmtc_pay_with_* names, as Svea's WooCommerce module reads them.
    let excerpt = excerpt_of("woocommerce_refund_after_settlement.txt");
    let mut names: Vec<String> = excerpt
        .split("$response['")
        .skip(1)
        .filter_map(|rest| rest.split_once("']").map(|(name, _)| name.to_string()))
        .collect();
    names.dedup();
    assert_eq!(
        names,
        [
            "pmtc_pay_with_recipientname",
            "pmtc_pay_with_iban",
            "pmtc_pay_with_reference",
            "pmtc_pay_with_amount"
        ]
    );
    let values = ["Svea Payments Oy", "FI2112345600000785", "12344", "2,50"];
    let pay_with: Vec<(String, String)> = names
        .iter()
        .cloned()
        .zip(values.iter().map(|v| v.to_string()))
        .collect();
    let (url, seen) = stand_in_svea(move |body| {
        let pairs: Vec<(&str, &str)> = pay_with
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        match form_value(body, "pmtc_action").as_deref() {
            Some("CANCEL") => cancel_answer(body, "30", &[]),
            _ => cancel_answer(body, "00", &pairs),
        }
    })
    .await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let outcome = client
        .refund(&refund("SETTLED-1", eur(250), eur(990), 1))
        .await
        .unwrap();
    let transfer = outcome.transfer.expect("instructions for the merchant");
    assert_eq!(transfer.recipient, "Svea Payments Oy");
    assert_eq!(transfer.iban, "FI2112345600000785");
    assert_eq!(transfer.reference, "12344");
    assert_eq!(transfer.amount, eur(250));
    assert_eq!(transfer.transferred_at, None);
    assert_eq!(outcome.amount, eur(250));
    let bodies: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(_, b)| b.clone())
        .collect();
    assert_eq!(bodies.len(), 2, "a CANCEL, then a REFUND_AFTER_SETTLEMENT");
    assert_eq!(
        form_value(&bodies[0], "pmtc_action").as_deref(),
        Some("CANCEL")
    );
    for (name, value) in [
        ("pmtc_action", "REFUND_AFTER_SETTLEMENT"),
        ("pmtc_canceltype", "REFUND_AFTER_SETTLEMENT"),
        ("pmtc_cancelamount", "2,50"),
        ("pmtc_amount", "9,90"),
        ("pmtc_currency", "EUR"),
    ] {
        assert_eq!(
            form_value(&bodies[1], name).as_deref(),
            Some(value),
            "{name}"
        );
    }
}

#[tokio::test]
async fn a_refund_after_settlement_answer_without_its_instructions_is_an_unknown_outcome() {
    let s = setup().await;
    let (url, _) = stand_in_svea(|body| match form_value(body, "pmtc_action").as_deref() {
        Some("CANCEL") => cancel_answer(body, "30", &[]),
        _ => cancel_answer(body, "00", &[("pmtc_pay_with_iban", "FI2112345600000785")]),
    })
    .await;
    let mut merchant = s.merchant.clone();
    merchant.base_url = url;
    let client =
        coffer_providers::connect(&merchant, SecretString::from(s.secret.clone())).unwrap();
    let error = client
        .refund(&refund("SETTLED-2", eur(250), eur(990), 1))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::UnknownOutcome, "{error}");
}

#[tokio::test]
async fn the_sandbox_answers_a_settled_payment_s_refund_with_where_to_pay_it() {
    let s = setup().await;
    let client = s.client();
    let (token, initial, cap) = s.card("approve").await;
    client
        .charge(&charge_request("RAS-1", &token, &initial, cap))
        .await
        .unwrap();
    let settled = s
        .http
        .post(format!("{}/__sandbox/settle", s.merchant.base_url))
        .form(&[("seller_id", s.seller_id().as_str()), ("pmt_id", "RAS-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(settled.status(), 200, "{:?}", settled.text().await);
    let outcome = client
        .refund(&refund("RAS-1", eur(100), cap, 1))
        .await
        .unwrap();
    let transfer = outcome
        .transfer
        .expect("a settled payment's refund waits for the merchant");
    assert_eq!(transfer.amount, eur(100));
    assert!(transfer.iban.starts_with("FI"), "{transfer:?}");
}
