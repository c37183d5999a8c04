//! The ProcessOut client against its sandbox over real HTTP: its [`Harness`] for the shared
//! battery (`battery/`), and what only ProcessOut does: the flag mapping, the initial CIT's
//! scheme id, invoices and captures, the second project's currency.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use coffer_core::{
    CardBrand, Currency, CustomerRef, Environment, IdempotencyKey, Initiator, Merchant, MerchantId,
    Money, ProviderKind, ProviderRef, Reason, Sequence, StoredCredential,
};
use coffer_providers::http::HttpPolicy;
use coffer_providers::processout::ProcessOutClient;
use coffer_providers::{
    ChargeLookup, ChargeRequest, InitialRequest, InitialStep, Provider, ProviderErrorKind,
    RemoteCard, RemoteStatus, ResendRule,
};
use coffer_sandbox::seed::{self, CardBehaviour};
use coffer_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::battery::published::{Call, Found, Kind, Reading, Refused, Route};
use crate::battery::{Capabilities, Decline, Facts, Harness, Refusal, Seen, Settles};

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

    /// The project's merchant, as Coffer keeps it.
    pub(super) fn merchant(&self) -> Merchant {
        self.merchant.clone()
    }

    /// The project's secret key.
    pub(super) fn secret(&self) -> String {
        self.secret.clone()
    }

    /// The sandbox's merchants, as its admin API lists them.
    pub(super) async fn sandbox_merchants(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/merchants", self.sandbox.urls.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub(super) async fn ledger(&self) -> Vec<Value> {
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
    pub(super) async fn approving(&self, linked: bool) -> (CustomerRef, RemoteCard) {
        self.approving_nth(linked, 0).await
    }

    /// An approving linked card of another customer than [`Rig::approving`]'s.
    pub(super) async fn approving_other(&self) -> (CustomerRef, RemoteCard) {
        self.approving_nth(true, 1).await
    }

    /// The `nth` such card, each of another customer.
    async fn approving_nth(&self, linked: bool, nth: usize) -> (CustomerRef, RemoteCard) {
        let page = self.client.list_customers(None, 100).await.unwrap();
        let mut found = Vec::new();
        for c in page.items.iter().filter(|c| !c.name.starts_with("Test ")) {
            for card in self.client.cards_of(&c.reference).await.unwrap() {
                if card.method == coffer_providers::StoredMethod::Card
                    && card.initial_ref.is_some() == linked
                    && !["0010", "1216"].contains(&card.last4.as_str())
                {
                    found.push((c.reference.clone(), card));
                    break;
                }
            }
            if found.len() > nth {
                return found.swap_remove(nth);
            }
        }
        panic!("no approving card {nth} with linked={linked}");
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

pub(super) fn charges_with_key<'a>(ledger: &'a [Value], key: &str) -> Vec<&'a Value> {
    ledger
        .iter()
        .filter(|c| c["kind"] == "charge" && c["idempotency_key"] == key)
        .collect()
}

impl Harness for Rig {
    const LEDGER: &'static str = "processout";

    async fn start() -> Self {
        Rig::start(30).await
    }

    fn admin(&self) -> String {
        self.sandbox.urls.admin.clone()
    }

    fn client(&self) -> Box<dyn Provider> {
        self.client_with_secret(&self.secret)
    }

    fn client_with_policy(&self, policy: HttpPolicy) -> Box<dyn Provider> {
        Box::new(
            ProcessOutClient::with_policy(
                &self.merchant,
                SecretString::from(self.secret.clone()),
                policy,
            )
            .unwrap(),
        )
    }

    fn client_with_secret(&self, secret: &str) -> Box<dyn Provider> {
        coffer_providers::connect(&self.merchant, SecretString::from(secret.to_string())).unwrap()
    }

    fn secret(&self) -> String {
        self.secret.clone()
    }

    /// The special customers are named after what their card does ("Test Soft-Decline").
    async fn charge_request(
        &self,
        behaviour: CardBehaviour,
        nth: usize,
        key: &str,
    ) -> ChargeRequest {
        let (customer, card) = match seed::special_name(behaviour) {
            Some(name) => self.special(name.trim_start_matches("Test ")).await,
            None => self.approving_nth(true, nth).await,
        };
        mit(&customer, &card, 1000, key)
    }

    fn invalid_requests(&self, valid: &ChargeRequest) -> Vec<(ChargeRequest, Refusal)> {
        let long = ChargeRequest {
            idempotency_key: IdempotencyKey("BT-LONG".into()),
            order_id: "x".repeat(81),
            ..valid.clone()
        };
        vec![(
            long,
            Refusal {
                field: None,
                code: None,
            },
        )]
    }

    fn client_at(&self, base_url: &str) -> Box<dyn Provider> {
        let merchant = Merchant {
            base_url: base_url.to_string(),
            ..self.merchant.clone()
        };
        coffer_providers::connect(&merchant, SecretString::from(self.secret.clone())).unwrap()
    }

    /// The published transaction (authorized, not captured) read by a lookup of its id.
    fn published_readings() -> Vec<Reading> {
        let reference = ProviderRef("tr_msUOyQgmJp8UduKANzblNwa5hrjQGag5".into());
        vec![Reading {
            example: "processout/transaction_answer.txt",
            routes: vec![
                published_route("GET", "/transactions/", 200, "transaction_answer.txt"),
                published_route("GET", "/invoices/", 200, "invoice_create_answer.txt"),
            ],
            lookup: ChargeLookup {
                sent_at: chrono::Utc::now(),
                idempotency_key: IdempotencyKey("k".into()),
                order_id: "123456".into(),
                provider_ref: Some(reference.clone()),
                customer: CustomerRef("cust_D5BDaQQ8XL4xoUfKRjpBQjoEIwMA6asA".into()),
                card_token: coffer_core::CardToken("tok_x".into()),
                amount: eur(2900),
            },
            found: Some(Found {
                // Authorized, not captured: no money taken yet.
                status: RemoteStatus::Pending,
                amount: eur(2900),
                provider_ref: Some(reference),
                at: "2023-04-22T15:19:08.653492+00:00".parse().ok(),
            }),
        }]
    }

    /// The published capture answer whose transaction is voided, and the 410 card error.
    fn published_declines() -> Vec<Refused> {
        vec![
            Refused {
                example: "processout/invoice_capture_answer.txt",
                routes: vec![
                    published_route("POST", "/capture", 200, "invoice_capture_answer.txt"),
                    published_route("POST", "/invoices", 200, "invoice_create_answer.txt"),
                ],
                call: Call::Charge(Box::new(published_charge("published-po-1"))),
                kind: Kind::Exactly(ProviderErrorKind::DeclinedSoft),
                code: None,
                provider_ref: Some(ProviderRef("tr_6uooTOHO71Fq0wysK8FpxBH6t45SEBrg".into())),
            },
            Refused {
                example: "processout/invoice_capture_declined.txt",
                routes: vec![
                    published_route("POST", "/capture", 410, "invoice_capture_declined.txt"),
                    published_route("POST", "/invoices", 200, "invoice_create_answer.txt"),
                ],
                call: Call::Charge(Box::new(published_charge("published-po-2"))),
                kind: Kind::AnyDecline,
                code: Some("card.do-not-honor"),
                provider_ref: None,
            },
        ]
    }

    /// The published 401 and validation error.
    fn published_refusals() -> Vec<Refused> {
        vec![
            Refused {
                example: "processout/authentication_invalid.txt",
                routes: vec![published_route(
                    "GET",
                    "/customers",
                    401,
                    "authentication_invalid.txt",
                )],
                call: Call::CheckCredentials,
                kind: Kind::Exactly(ProviderErrorKind::Auth),
                code: Some("request.authentication.invalid"),
                provider_ref: None,
            },
            Refused {
                example: "processout/invoice_create_validation_error.txt",
                routes: vec![published_route(
                    "POST",
                    "/invoices",
                    400,
                    "invoice_create_validation_error.txt",
                )],
                call: Call::Charge(Box::new(published_charge("published-po-3"))),
                kind: Kind::AnyInvalid,
                code: Some("request.validation.invalid-phone-number"),
                provider_ref: None,
            },
        ]
    }

    fn facts() -> Facts {
        use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
        Facts {
            kind: ProviderKind::ProcessOut,
            wrong_secret: "key_sandbox_wrong",
            auth_code: Some("request.authentication.invalid"),
            capabilities: Capabilities {
                lists_customers: true,
                cards_by_customer: true,
                idempotency_key: true,
                partial_refunds: true,
                initial_needs_card_page: false,
                currencies: vec![],
                resend: ResendRule::SameKey {
                    window: coffer_providers::IDEMPOTENCY_WINDOW,
                },
            },
            declines: vec![
                Decline {
                    behaviour: CardBehaviour::SoftDecline,
                    kind: ProviderErrorKind::DeclinedSoft,
                    code: "card.no-money",
                    // Insufficient funds is Visa category 2 (51).
                    reading: DeclineMeaning::soft(VisaCategory::NotNow),
                    never_retried_on_visa: false,
                },
                Decline {
                    behaviour: CardBehaviour::HardDecline,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "card.stolen",
                    // A stolen card is Visa category 1 (43): it ends the card, not the contract.
                    reading: DeclineMeaning::hard(VisaCategory::NeverApprove),
                    never_retried_on_visa: true,
                },
                Decline {
                    behaviour: CardBehaviour::Expired,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "card.expired",
                    reading: DeclineMeaning::hard(VisaCategory::DataQuality),
                    never_retried_on_visa: false,
                },
            ],
            reference_is_order_id: false,
            two_step_charge: true,
            // The invoice exists but its capture never completed: a resend under the key is safe.
            timeout_settles: Settles::Pending,
            refund_over: Refusal {
                field: Some("amount"),
                code: None,
            },
            refund_after_whole: Refusal {
                field: None,
                code: None,
            },
            refunds_seen: Seen::Exact,
            refund_key_replayed: true,
            refund_ref_prefix: Some("refd_"),
            unknown_charge_ref: "tr_nope",
        }
    }
}

/// A route of a ProcessOut stand-in answering with a published example.
fn published_route(method: &'static str, path_has: &'static str, status: u16, file: &str) -> Route {
    Route {
        method,
        path_has,
        status,
        content_type: "application/json",
        body: crate::published::po(file),
    }
}

/// An initial charge of the published examples' customer.
fn published_charge(key: &str) -> ChargeRequest {
    ChargeRequest {
        amount: eur(2900),
        card_token: coffer_core::CardToken("tok_published".into()),
        customer: CustomerRef("cust_MFW0Z4jtoXLfADjPKlVRl5LxWkCTUgRw".into()),
        credential: StoredCredential::initial(Reason::Recurring),
        idempotency_key: IdempotencyKey(key.into()),
        order_id: format!("order-{key}"),
        description: "Membership".into(),
        agreement: None,
        buyer: None,
    }
}

#[tokio::test]
async fn a_charge_for_a_customer_processout_does_not_know_is_not_found() {
    let rig = Rig::start(30).await;
    let (_, card) = rig.approving(true).await;
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
