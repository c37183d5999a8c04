//! The Clover client against its sandbox, in-process over real HTTP: its [`Harness`] for the
//! shared battery (`battery/`), and what only Clover does (its warning on an unlinked MIT, the
//! ref_num link, ecomind, paging back in a lookup, one token per location).
// Test helpers are not #[test] functions; a failed setup should panic there too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use coffer_core::{
    CustomerRef, Environment, IdempotencyKey, Merchant, MerchantId, Money, ProviderRef, Reason,
    StoredCredential,
};
use coffer_providers::clover::CloverClient;
use coffer_providers::http::HttpPolicy;
use coffer_providers::{
    connect, ChargeLookup, ChargeRequest, InitialRequest, InitialStep, Provider, ProviderErrorKind,
    RemoteStatus, ResendRule,
};
use coffer_sandbox::seed::{self, CardBehaviour};
use coffer_sandbox::{Sandbox, SandboxConfig, SandboxMerchant};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::battery::published::{Found, Reading, Route};
use crate::battery::{Capabilities, Decline, Facts, Harness, Refusal, Seen, Settles};

const WARNING: &str = "Subsequent credential on file pay request sent for without Initial credential on file pay request.";

pub(super) struct Env {
    sandbox: Sandbox,
    config: SandboxConfig,
    http: reqwest::Client,
    merchants: Vec<SandboxMerchant>,
}

impl Env {
    pub(super) async fn start() -> Env {
        let config = SandboxConfig::demo(60);
        let sandbox = Sandbox::start(config.clone()).await.unwrap();
        let http = reqwest::Client::new();
        let all: Vec<SandboxMerchant> = http
            .get(format!("{}/merchants", sandbox.urls.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let merchants = all
            .into_iter()
            .filter(|m| m.account.kind() == coffer_core::ProviderKind::Clover)
            .collect();
        Env {
            sandbox,
            config,
            http,
            merchants,
        }
    }

    pub(super) fn merchant(&self, m: usize) -> Merchant {
        let sm = &self.merchants[m];
        Merchant {
            id: MerchantId(m as i64 + 1),
            name: sm.name.clone(),
            account: sm.account.clone(),
            environment: Environment::Sandbox,
            base_url: sm.base_url.clone(),
            time_zone: coffer_core::merchant::parse_time_zone(&sm.time_zone).unwrap(),
            currency: sm.currency,
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        }
    }

    /// Merchant `m`'s public PAKMS key.
    pub(super) fn merchants_pakms_key(&self, m: usize) -> String {
        match &self.merchants[m].account {
            coffer_core::ProviderAccount::Clover(a) => a.pakms_key.clone().unwrap(),
            other => panic!("not a Clover account: {other:?}"),
        }
    }

    /// Merchant `m`'s OAuth token (the secret).
    pub(super) fn secret(&self, m: usize) -> String {
        self.merchants[m].secret.clone()
    }

    pub(super) fn client(&self, m: usize) -> Box<dyn Provider> {
        connect(
            &self.merchant(m),
            SecretString::from(self.merchants[m].secret.clone()),
        )
        .unwrap()
    }

    fn client_with(&self, m: usize, policy: HttpPolicy) -> CloverClient {
        CloverClient::with_policy(
            &self.merchant(m),
            SecretString::from(self.merchants[m].secret.clone()),
            policy,
        )
        .unwrap()
    }

    pub(super) async fn ledger(&self) -> Vec<Value> {
        self.http
            .get(format!(
                "{}/charges?provider=clover",
                self.sandbox.urls.admin
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Seeded customer `index` of merchant 1 and the token of its first card, through the client.
    pub(super) async fn card(&self, index: usize) -> (CustomerRef, coffer_core::CardToken) {
        let page = self
            .client(0)
            .list_customers(Some(index.to_string()), 1)
            .await
            .unwrap();
        let customer = page.items.into_iter().next().unwrap();
        let token = customer.cards.unwrap()[0].token.clone();
        (customer.reference, token)
    }

    /// A seeded customer (from 5 on) whose first card approves, is not expired, and has or
    /// lacks an initial charge.
    pub(super) fn usable(&self, has_initial: bool, skip: usize) -> usize {
        let today = chrono::Utc::now().date_naive();
        (5..self.config.seed.customers)
            .filter(|&i| {
                let card = &seed::customer(&self.config.seed, "clover/1", i).cards[0];
                let expiry =
                    chrono::NaiveDate::from_ymd_opt(card.exp_year, card.exp_month, 1).unwrap();
                card.behaviour == CardBehaviour::Approve
                    && card.has_initial == has_initial
                    && expiry > today
            })
            .nth(skip)
            .unwrap()
    }
}

impl Env {
    /// The `nth` seeded card with an initial charge on record, past the special customers, as
    /// the sandbox's demo listing gives it: (customer, token, `ref_num`).
    pub(super) async fn seeded_initial(
        &self,
        nth: usize,
    ) -> (CustomerRef, coffer_core::CardToken, String) {
        let sm = &self.merchants[0];
        let coffer_core::ProviderAccount::Clover(coffer_core::CloverAccount {
            merchant_uuid, ..
        }) = &sm.account
        else {
            panic!("a Clover merchant");
        };
        let page: Value = self
            .http
            .get(format!(
                "{}/__sandbox/initials?merchant={merchant_uuid}&limit=100",
                sm.base_url
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let row = page["initials"].as_array().unwrap()[5 + nth].clone();
        (
            CustomerRef(row["customer"].as_str().unwrap().into()),
            coffer_core::CardToken(row["token"].as_str().unwrap().into()),
            row["initial_ref"].as_str().unwrap().into(),
        )
    }

    /// A charge as Clover's `GET /v1/charges/{id}` shows it.
    pub(super) async fn charge_object(&self, id: &str) -> Value {
        let sm = &self.merchants[0];
        self.http
            .get(format!("{}/v1/charges/{id}", sm.base_url))
            .bearer_auth(&sm.secret)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

fn usd(minor: i64) -> Money {
    Money::from_minor(minor, coffer_core::Currency::USD)
}

pub(super) fn request(
    customer: &CustomerRef,
    token: &coffer_core::CardToken,
    credential: StoredCredential,
    key: &str,
    minor: i64,
) -> ChargeRequest {
    ChargeRequest {
        amount: usd(minor),
        card_token: token.clone(),
        customer: customer.clone(),
        credential,
        idempotency_key: IdempotencyKey(key.into()),
        order_id: format!("order-{key}"),
        description: "Membership".into(),
        agreement: None,
        buyer: None,
    }
}

fn lookup(r: &ChargeRequest) -> ChargeLookup {
    ChargeLookup {
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        idempotency_key: r.idempotency_key.clone(),
        order_id: r.order_id.clone(),
        provider_ref: None,
        customer: r.customer.clone(),
        card_token: r.card_token.clone(),
        amount: r.amount,
    }
}

pub(super) fn unscheduled_mit() -> StoredCredential {
    StoredCredential {
        sequence: coffer_core::Sequence::Subsequent,
        initiator: coffer_core::Initiator::Merchant,
        reason: Reason::Unscheduled,
        scheduled: false,
        initial_ref: None,
    }
}

impl Harness for Env {
    const LEDGER: &'static str = "clover";

    async fn start() -> Self {
        Env::start().await
    }

    fn admin(&self) -> String {
        self.sandbox.urls.admin.clone()
    }

    fn client(&self) -> Box<dyn Provider> {
        Env::client(self, 0)
    }

    fn client_with_policy(&self, policy: HttpPolicy) -> Box<dyn Provider> {
        Box::new(self.client_with(0, policy))
    }

    fn client_with_secret(&self, secret: &str) -> Box<dyn Provider> {
        connect(&self.merchant(0), SecretString::from(secret.to_string())).unwrap()
    }

    fn secret(&self) -> String {
        self.merchants[0].secret.clone()
    }

    /// The special customers come first, in the seed's order; approving cards are taken from
    /// customer 5 on, with an initial charge and not expired.
    async fn charge_request(
        &self,
        behaviour: CardBehaviour,
        nth: usize,
        key: &str,
    ) -> ChargeRequest {
        let index = match behaviour {
            CardBehaviour::SoftDecline => 0,
            CardBehaviour::HardDecline => 1,
            CardBehaviour::Expired => 2,
            CardBehaviour::Timeout => 3,
            CardBehaviour::ResponseLost => 4,
            CardBehaviour::Approve => self.usable(true, nth),
        };
        let (customer, token) = self.card(index).await;
        request(&customer, &token, unscheduled_mit(), key, 2500)
    }

    fn invalid_requests(&self, valid: &ChargeRequest) -> Vec<(ChargeRequest, Refusal)> {
        let with = |key: &str| ChargeRequest {
            idempotency_key: IdempotencyKey(key.into()),
            order_id: format!("order-{key}"),
            ..valid.clone()
        };
        vec![
            (
                ChargeRequest {
                    amount: usd(100_000_000),
                    ..with("BT-LARGE")
                },
                Refusal {
                    field: Some("amount"),
                    code: Some("amount_too_large"),
                },
            ),
            (
                ChargeRequest {
                    card_token: coffer_core::CardToken("clv_1TSTSnosuchtoken".into()),
                    ..with("BT-NOTOKEN")
                },
                Refusal {
                    field: Some("source"),
                    code: None,
                },
            ),
        ]
    }

    fn client_at(&self, base_url: &str) -> Box<dyn Provider> {
        let merchant = Merchant {
            base_url: base_url.to_string(),
            ..self.merchant(0)
        };
        connect(
            &merchant,
            SecretString::from(self.merchants[0].secret.clone()),
        )
        .unwrap()
    }

    /// Clover's published charge answer, read by a lookup of the charge's id.
    fn published_readings() -> Vec<Reading> {
        let reference = ProviderRef("2G1RQC0VTH7WY".into());
        vec![Reading {
            example: "clover/charge_answer_with_tax.txt",
            routes: vec![Route {
                method: "GET",
                path_has: "/v1/charges/",
                status: 200,
                content_type: "application/json",
                body: crate::published::clover_charge_answer(),
            }],
            lookup: ChargeLookup {
                sent_at: chrono::Utc::now(),
                idempotency_key: IdempotencyKey("published-1".into()),
                order_id: "order-published-1".into(),
                provider_ref: Some(reference.clone()),
                customer: CustomerRef("R2D7XK9Q4M1PA".into()),
                card_token: coffer_core::CardToken("clv_1TSTSexampleexampleexample".into()),
                amount: usd(1100),
            },
            found: Some(Found {
                status: RemoteStatus::Succeeded,
                amount: usd(1100),
                provider_ref: Some(reference),
                at: chrono::DateTime::from_timestamp_millis(1_623_551_758_243),
            }),
        }]
    }

    fn facts() -> Facts {
        use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
        Facts {
            kind: coffer_core::ProviderKind::Clover,
            wrong_secret: "not-the-token",
            auth_code: None,
            capabilities: Capabilities {
                lists_customers: true,
                cards_by_customer: false,
                idempotency_key: true,
                partial_refunds: true,
                initial_needs_card_page: false,
                currencies: vec![coffer_core::Currency::USD],
                resend: ResendRule::SameKey {
                    window: coffer_providers::IDEMPOTENCY_WINDOW,
                },
            },
            declines: vec![
                Decline {
                    behaviour: CardBehaviour::SoftDecline,
                    kind: ProviderErrorKind::DeclinedSoft,
                    code: "issuer_declined",
                    // Clover names no reason: soft, Visa's generic category 4.
                    reading: DeclineMeaning::UNKNOWN_SOFT,
                    never_retried_on_visa: false,
                },
                Decline {
                    behaviour: CardBehaviour::HardDecline,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "stolen_card",
                    reading: DeclineMeaning::hard(VisaCategory::NeverApprove),
                    never_retried_on_visa: true,
                },
                Decline {
                    behaviour: CardBehaviour::Expired,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "expired_card",
                    reading: DeclineMeaning::hard(VisaCategory::DataQuality),
                    never_retried_on_visa: false,
                },
            ],
            reference_is_order_id: false,
            two_step_charge: false,
            timeout_settles: Settles::Absent,
            refund_over: Refusal {
                field: None,
                code: Some("processing_error"),
            },
            refund_after_whole: Refusal {
                field: None,
                code: Some("charge_already_refunded"),
            },
            refunds_seen: Seen::Exact,
            // The emulator keeps keys for POST /v1/charges only (coffer-sandbox docs/clover.md),
            // so a refund sent twice under one key is made twice there; the client does send
            // the key (malformed.rs). Clover's own refund key lifetime is not in our sources.
            refund_key_replayed: false,
            refund_ref_prefix: None,
            unknown_charge_ref: "H9NOSUCHCHRGE",
        }
    }
}

#[tokio::test]
async fn another_locations_token_is_refused_and_each_location_has_its_currency() {
    let env = Env::start().await;
    let foreign = connect(
        &env.merchant(0),
        SecretString::from(env.merchants[1].secret.clone()),
    )
    .unwrap();
    assert_eq!(
        foreign.check_credentials().await.unwrap_err().kind,
        ProviderErrorKind::Auth,
        "another location's token does not open this merchant"
    );
    let caps = env.client(2).capabilities();
    assert!(caps.lists_customers && caps.idempotency_key && caps.partial_refunds);
    assert_eq!(
        caps.currencies,
        vec![coffer_core::Currency::EUR],
        "the European location charges in euros"
    );
}

#[tokio::test]
async fn lists_every_customer_with_cards_page_by_page() {
    let env = Env::start().await;
    let client = env.client(1);
    let mut cursor = None;
    let mut seen = Vec::new();
    loop {
        let page = client.list_customers(cursor, 25).await.unwrap();
        for customer in &page.items {
            let cards = customer
                .cards
                .as_ref()
                .expect("cards come with the listing");
            assert!(!cards.is_empty());
            assert!(cards
                .iter()
                .all(|c| c.token.as_str().starts_with("clv_") && c.last4.len() == 4));
            assert!(customer.email.as_deref().is_some_and(|e| e.contains('@')));
        }
        seen.extend(page.items.into_iter().map(|c| c.reference));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(seen.len(), 60, "all seeded customers");
    seen.dedup();
    assert_eq!(seen.len(), 60, "no customer twice");
    let demo = seed::customer(&env.config.seed, "clover/2", 7);
    let cards = client.cards_of(&seen[7]).await.unwrap();
    assert_eq!(cards.len(), demo.cards.len());
    assert_eq!(cards[0].last4, demo.cards[0].last4);
    assert_eq!(
        (cards[0].expiry.year, cards[0].expiry.month),
        (demo.cards[0].exp_year, demo.cards[0].exp_month)
    );
    assert_eq!(
        client
            .cards_of(&CustomerRef("C900000000000".into()))
            .await
            .unwrap_err()
            .kind,
        ProviderErrorKind::NotFound
    );
    assert!(matches!(
        client
            .list_customers(Some("page-two".into()), 10)
            .await
            .unwrap_err()
            .kind,
        ProviderErrorKind::InvalidRequest { .. }
    ));
}

#[tokio::test]
async fn unlinked_mit_keeps_clovers_warning_and_a_linked_one_has_none() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(env.usable(false, 0)).await;

    let unlinked = client
        .charge(&request(
            &customer,
            &token,
            unscheduled_mit(),
            "mit-unlinked",
            1500,
        ))
        .await
        .unwrap();
    assert_eq!(
        unlinked.status,
        RemoteStatus::Succeeded,
        "the warning never declines"
    );
    assert_eq!(
        unlinked.warnings,
        vec![WARNING.to_string()],
        "kept for the operator"
    );

    let initial = InitialRequest {
        customer: customer.clone(),
        card_token: Some(token.clone()),
        amount: usd(100),
        reason: Reason::Recurring,
        order_id: "initial-1".into(),
        idempotency_key: IdempotencyKey("initial-1".into()),
        return_url: None,
        buyer: None,
    };
    let InitialStep::Done(done) = client.record_initial(&initial).await.unwrap() else {
        panic!("Clover needs no card page");
    };
    assert_eq!(
        done.initial_ref.as_str().len(),
        12,
        "the ref_num is the link"
    );
    assert_eq!(done.card.token, token);
    assert_eq!(done.card.initial_ref.as_ref(), Some(&done.initial_ref));

    let recurring =
        StoredCredential::merchant_initiated(Reason::Recurring, done.initial_ref.clone());
    let linked = client
        .charge(&request(&customer, &token, recurring, "mit-linked", 1500))
        .await
        .unwrap();
    assert!(
        linked.warnings.is_empty(),
        "linked to the initial: {:?}",
        linked.warnings
    );
    assert_eq!(
        linked.initial_ref, None,
        "only the initial charge gives a link"
    );
    assert_eq!(linked.amount, usd(1500));

    let ledger = env.ledger().await;
    let entry = |key: &str| {
        ledger
            .iter()
            .find(|c| c["idempotency_key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(
        entry("initial-1")["stored_credential"],
        json!({"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": true})
    );
    assert_eq!(
        entry("mit-linked")["stored_credential"],
        json!({"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": true,
            "installment_info": {"bill_pay_indicator": "Recurring", "invoice_number": done.initial_ref.as_str()}}),
        "the flag mapping of the notes' case D"
    );
    assert_eq!(
        entry("mit-unlinked")["stored_credential"],
        json!({"sequence": "SUBSEQUENT", "initiator": "MERCHANT", "is_scheduled": false})
    );
    let reference = entry("mit-linked")["order_id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        reference.len(),
        12,
        "a long order id is fitted to external_reference_id's 12 characters"
    );
    assert_ne!(
        Some(reference.as_str()),
        entry("mit-unlinked")["order_id"].as_str()
    );
    assert_eq!(
        entry("initial-1")["order_id"],
        "initial-1",
        "a short order id is sent as it is"
    );
}

#[tokio::test]
async fn a_lookup_reads_as_many_pages_as_it_takes_to_reach_back_past_the_send() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(env.usable(true, 3)).await;
    let sent_at = chrono::Utc::now();
    let old = request(&customer, &token, unscheduled_mit(), "paged-old", 1234);
    let made = client.charge(&old).await.unwrap();
    // The client reads 100 charges a page (Clover's most): 100 newer charges push the old one
    // onto the second page.
    for n in 0..100 {
        client
            .charge(&request(
                &customer,
                &token,
                unscheduled_mit(),
                &format!("paged-new-{n}"),
                500 + n,
            ))
            .await
            .unwrap();
    }
    let found = client
        .find_charge(&ChargeLookup {
            sent_at,
            ..lookup(&old)
        })
        .await
        .unwrap()
        .expect("the old charge is on the second page; a first-page-only lookup misses it");
    assert_eq!(
        found.provider_ref, made.provider_ref,
        "found by its key, not another charge of the customer"
    );
    assert_eq!(found.status, RemoteStatus::Succeeded);
    let never = request(&customer, &token, unscheduled_mit(), "paged-never", 999);
    assert_eq!(
        client
            .find_charge(&ChargeLookup {
                sent_at,
                ..lookup(&never)
            })
            .await
            .unwrap(),
        None,
        "after every page of the window, a charge never sent is not there"
    );
}

#[tokio::test]
async fn a_merchant_initiated_charge_is_sent_as_ecom_because_clover_defines_ecomind_by_who_entered_the_card(
) {
    let env = Env::start().await;
    let (customer, token) = env.card(env.usable(false, 1)).await;
    let outcome = env
        .client(0)
        .charge(&request(
            &customer,
            &token,
            unscheduled_mit(),
            "mit-ecom",
            700,
        ))
        .await
        .unwrap();
    let reference = outcome.provider_ref;
    let charge: Value = env
        .http
        .get(format!(
            "{}/v1/charges/{}",
            env.merchants[0].base_url,
            reference.as_str()
        ))
        .bearer_auth(&env.merchants[0].secret)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        charge["ecomind"], "ecom",
        "moto is for card data the merchant keyed from a phone call or letter; a saved card was entered by its cardholder"
    );
}
