//! The Svea client against its sandbox over real HTTP: its [`Harness`] for the shared battery
//! (`battery/`), and what only Svea does: hash mode beside Basic, the 4204 FI50 token charge,
//! the monthly limit and the original-amount cap, a refund after settlement. The card page is
//! in `card_page.rs`, the stand-ins (answer hashes, published answers) in `stand_ins.rs`.

// Test helpers panic on anything unexpected, like the tests that call them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
    RefundRequest, RemoteStatus, ResendRule,
};
use coffer_sandbox::seed::CardBehaviour;
use coffer_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;

mod card_page;
mod stand_ins;

use crate::battery::published::{Found, Reading, Route};
use crate::battery::{self, Capabilities, Decline, Facts, Harness, Refusal, Settles};

pub(crate) struct Setup {
    sandbox: Sandbox,
    http: reqwest::Client,
    pub(crate) merchant: Merchant,
    pub(crate) secret: String,
}

pub(crate) async fn setup() -> Setup {
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
    pub(crate) fn client(&self) -> Box<dyn Provider> {
        coffer_providers::connect(&self.merchant, SecretString::from(self.secret.clone())).unwrap()
    }

    pub(crate) fn client_with(&self, auth: SveaAuth, policy: HttpPolicy) -> SveaClient {
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

    pub(super) async fn card(&self, behaviour: &str) -> (String, String, Money) {
        self.cards(behaviour)
            .await
            .into_iter()
            .next()
            .expect("a seeded card")
    }

    pub(crate) async fn charges(&self) -> Vec<serde_json::Value> {
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
pub(crate) fn buyer() -> coffer_providers::Buyer {
    coffer_providers::Buyer {
        name: "Matti Virtanen".into(),
        address: coffer_core::Address::new("Mannerheimintie 1", "00100", "Helsinki", "FI").unwrap(),
    }
}

pub(crate) fn charge_request(
    order_id: &str,
    token: &str,
    initial: &str,
    amount: Money,
) -> ChargeRequest {
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

pub(crate) fn eur(minor: i64) -> Money {
    Money::from_minor(minor, Currency::EUR)
}

impl Harness for Setup {
    const LEDGER: &'static str = "svea";

    async fn start() -> Self {
        setup().await
    }

    fn admin(&self) -> String {
        self.sandbox.urls.admin.clone()
    }

    fn client(&self) -> Box<dyn Provider> {
        Setup::client(self)
    }

    fn client_with_policy(&self, policy: HttpPolicy) -> Box<dyn Provider> {
        Box::new(self.client_with(SveaAuth::Basic, policy))
    }

    fn client_with_secret(&self, secret: &str) -> Box<dyn Provider> {
        coffer_providers::connect(&self.merchant, SecretString::from(secret.to_string())).unwrap()
    }

    fn secret(&self) -> String {
        self.secret.clone()
    }

    /// Seeded tokens by behaviour; an approving or lost charge takes the card's whole
    /// original amount (Svea's cap), a declined one a euro.
    async fn charge_request(
        &self,
        behaviour: CardBehaviour,
        nth: usize,
        key: &str,
    ) -> ChargeRequest {
        let name = match behaviour {
            CardBehaviour::Approve => "approve",
            CardBehaviour::SoftDecline => "soft_decline",
            CardBehaviour::HardDecline => "hard_decline",
            CardBehaviour::Expired => "expired",
            CardBehaviour::Timeout => "timeout",
            CardBehaviour::ResponseLost => "response_lost",
        };
        let (token, initial, cap) = self.cards(name).await.swap_remove(nth);
        let amount = match behaviour {
            CardBehaviour::Approve | CardBehaviour::ResponseLost => cap,
            _ => eur(100),
        };
        charge_request(key, &token, &initial, amount)
    }

    fn invalid_requests(&self, valid: &ChargeRequest) -> Vec<(ChargeRequest, Refusal)> {
        let long = "ORDER-ID-LONGER-THAN-20";
        vec![
            (
                ChargeRequest {
                    idempotency_key: IdempotencyKey(format!("key-{long}")),
                    order_id: long.into(),
                    ..valid.clone()
                },
                Refusal {
                    field: Some("pmt_id"),
                    code: None,
                },
            ),
            (
                ChargeRequest {
                    idempotency_key: IdempotencyKey("key-BADTOKEN-1".into()),
                    order_id: "BADTOKEN-1".into(),
                    card_token: CardToken("t".repeat(80)),
                    ..valid.clone()
                },
                Refusal {
                    field: Some("pmt_token"),
                    code: None,
                },
            ),
        ]
    }

    fn client_at(&self, base_url: &str) -> Box<dyn Provider> {
        let merchant = Merchant {
            base_url: base_url.to_string(),
            ..self.merchant.clone()
        };
        coffer_providers::connect(&merchant, SecretString::from(self.secret.clone())).unwrap()
    }

    /// Svea's published status-query answers, under Basic (their hashes are masked).
    fn published_readings() -> Vec<Reading> {
        let reading = |example: &'static str, order: &str, found: Option<Found>| Reading {
            example,
            routes: vec![Route {
                method: "",
                path_has: "",
                status: 200,
                content_type: "text/xml; charset=UTF-8",
                body: crate::published::excerpt("svea", example.trim_start_matches("svea/")),
            }],
            lookup: lookup(&charge_request(order, "t", "INIT1", eur(56810))),
            found,
        };
        vec![
            // 00 with 0,00 and no hash: Svea has never seen the payment.
            reading("svea/status_query_unknown_payment.txt", "1998524_1", None),
            // 00 with an amount and a method: Svea does not know the outcome yet.
            reading(
                "svea/status_query_not_confirmed.txt",
                "1998524_1",
                Some(Found {
                    status: RemoteStatus::Pending,
                    amount: eur(56810),
                    provider_ref: None,
                    at: None,
                }),
            ),
            // 40: settled to the seller; 568,10 is 568.10 EUR.
            reading(
                "svea/status_query_token_payment.txt",
                "1234567",
                Some(Found {
                    status: RemoteStatus::Succeeded,
                    amount: eur(56810),
                    provider_ref: Some(ProviderRef("1234567".into())),
                    at: None,
                }),
            ),
        ]
    }

    fn facts() -> Facts {
        use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
        Facts {
            kind: coffer_core::ProviderKind::Svea,
            wrong_secret: "not-the-secret",
            auth_code: None,
            capabilities: Capabilities {
                lists_customers: false,
                cards_by_customer: false,
                idempotency_key: false,
                partial_refunds: true,
                initial_needs_card_page: true,
                currencies: vec![Currency::EUR],
                resend: ResendRule::SameOrderId,
            },
            // Codes of Svea's "Possible Error Codes" list for NewChargeWithTokenActionExtended.pmt
            // (maksuturva-developer.readme.io, cited in svea/errors.rs); cards: docs/svea.md.
            declines: vec![
                Decline {
                    behaviour: CardBehaviour::SoftDecline,
                    kind: ProviderErrorKind::DeclinedSoft,
                    code: "ERROR_CARD_AUTHORIZATION_FAILED",
                    reading: DeclineMeaning::UNKNOWN_SOFT,
                    never_retried_on_visa: false,
                },
                Decline {
                    behaviour: CardBehaviour::HardDecline,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "EXTERNAL_SERVICE_DENIED",
                    reading: DeclineMeaning::hard(VisaCategory::Generic),
                    never_retried_on_visa: false,
                },
                Decline {
                    behaviour: CardBehaviour::Expired,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "ERROR_PAYMENT_INSTRUMENT_EXPIRED",
                    reading: DeclineMeaning::hard(VisaCategory::DataQuality),
                    never_retried_on_visa: false,
                },
            ],
            reference_is_order_id: true,
            two_step_charge: false,
            timeout_settles: Settles::Declined {
                hard: false,
                code: "ERROR_CARD_AUTHORIZATION_TIMEOUT",
            },
            refund_over: Refusal {
                field: None,
                code: None,
            },
            refund_after_whole: Refusal {
                field: None,
                code: Some("99"),
            },
            refunds_seen: battery::Seen::Extent,
            refund_key_replayed: false,
            refund_ref_prefix: None,
            unknown_charge_ref: "NOPE-1",
        }
    }
}

#[tokio::test]
async fn hash_mode_accepts_the_secret_and_refuses_another() {
    let s = setup().await;
    let hashed = s.client_with(SveaAuth::Hash(SveaHash::Sha256), HttpPolicy::default());
    hashed.check_credentials().await.unwrap();
    let wrong = SveaClient::with_options(
        &s.merchant,
        SecretString::from("not-the-secret".to_string()),
        SveaOptions {
            auth: SveaAuth::Hash(SveaHash::Sha512),
            policy: HttpPolicy::default(),
        },
    )
    .unwrap();
    let error = wrong.check_credentials().await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Auth, "{error}");
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
async fn a_token_svea_does_not_know_is_a_hard_decline() {
    let s = setup().await;
    let unknown = charge_request("DECL-9", "no-such-token", "INIT", eur(100));
    let error = s.client().charge(&unknown).await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::DeclinedHard);
    assert_eq!(
        error.provider_code.as_deref(),
        Some("ERROR_PAYMENT_INSTRUMENT_NOT_FOUND")
    );
}

#[tokio::test]
async fn the_monthly_limit_declines_with_svea_s_published_code_and_its_table_reading() {
    use coffer_core::policy::network_limits::DeclineMeaning;
    use coffer_core::CardBrand;
    let s = setup().await;
    let client = s.client();
    // The code of Svea's "Possible Error Codes" list for NewChargeWithTokenActionExtended.pmt
    // (maksuturva-developer.readme.io, cited in svea/errors.rs); the shared test cards' codes
    // and readings are in the battery (battery/declines.rs, Svea's Harness).
    let (token, initial, cap) = s.card("approve").await;
    client
        .charge(&charge_request("TC-MONTH-1", &token, &initial, cap))
        .await
        .unwrap();
    let error = client
        .charge(&charge_request("TC-MONTH-2", &token, &initial, eur(100)))
        .await
        .unwrap_err();
    assert_eq!(
        error.provider_code.as_deref(),
        Some("ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED"),
        "the sandbox answers Svea's own code"
    );
    assert_eq!(error.kind, ProviderErrorKind::DeclinedSoft);
    let decline = error
        .decline
        .as_ref()
        .expect("a decline carries its table reading");
    assert_eq!(
        decline.meaning,
        DeclineMeaning::UNKNOWN_SOFT,
        "the errors.rs table row"
    );
    assert_eq!(
        (
            decline.network_code.as_deref(),
            decline.merchant_advice_code.as_deref()
        ),
        (None, None),
        "Svea passes no network or advice code on"
    );
    for brand in [CardBrand::Visa, CardBrand::Mastercard] {
        assert_eq!(
            decline.never_retry(&brand),
            None,
            "a soft decline is retried within the networks' limits"
        );
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
async fn a_pmt_id_used_by_a_declined_payment_is_a_duplicate_too() {
    let s = setup().await;
    let client = s.client();
    let (token, initial, cap) = s.card("approve").await;
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
async fn a_hash_mode_client_refunds_a_whole_charge() {
    let s = setup().await;
    let hashed = s.client_with(SveaAuth::Hash(SveaHash::Sha256), HttpPolicy::default());
    let (token, initial, cap) = s.card("approve").await;
    hashed
        .charge(&charge_request("REF-2", &token, &initial, cap))
        .await
        .unwrap();
    hashed.refund(&refund("REF-2", cap, cap, 1)).await.unwrap();
    let refunds: Vec<i64> = s
        .charges()
        .await
        .iter()
        .filter(|c| c["kind"] == "refund")
        .map(|c| c["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(refunds, [cap.minor]);
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
