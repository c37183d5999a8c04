//! Contract tests of the Clover client against its sandbox, in-process over real HTTP.
// Test helpers are not #[test] functions; a failed setup should panic there too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use coffer_core::{
    CustomerRef, Environment, IdempotencyKey, Merchant, MerchantId, Money, ProviderRef, Reason,
    StoredCredential,
};
use coffer_providers::clover::CloverClient;
use coffer_providers::http::HttpPolicy;
use coffer_providers::{
    connect, ChargeLookup, ChargeRequest, InitialRequest, InitialStep, Provider, ProviderErrorKind,
    RefundLookup, RefundRequest, RefundsSeen, RemoteStatus,
};
use coffer_sandbox::seed::{self, CardBehaviour};
use coffer_sandbox::{Sandbox, SandboxConfig, SandboxMerchant};
use secrecy::SecretString;
use serde_json::{json, Value};

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

    fn merchant(&self, m: usize) -> Merchant {
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

    async fn faults(&self, knobs: Value) {
        let response = self
            .http
            .put(format!("{}/faults", self.sandbox.urls.admin))
            .json(&knobs)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
    }

    async fn ledger(&self) -> Vec<Value> {
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
    fn usable(&self, has_initial: bool, skip: usize) -> usize {
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

#[tokio::test]
async fn checks_credentials_and_refuses_a_wrong_token() {
    let env = Env::start().await;
    env.client(0).check_credentials().await.unwrap();
    let wrong = connect(
        &env.merchant(0),
        SecretString::from("not-the-token".to_string()),
    )
    .unwrap();
    assert_eq!(
        wrong.check_credentials().await.unwrap_err().kind,
        ProviderErrorKind::Auth
    );
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
    assert_eq!(caps.currencies, vec![coffer_core::Currency::EUR]);
    assert_eq!(env.client(0).kind(), coffer_core::ProviderKind::Clover);
    assert_eq!(
        env.client(0)
            .finish_initial("x", &[])
            .await
            .unwrap_err()
            .kind,
        ProviderErrorKind::Unsupported,
        "Clover has no card page to come back from"
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
async fn declines_are_soft_or_hard_with_their_reference_and_found_again() {
    let env = Env::start().await;
    let client = env.client(0);
    for (index, kind, code) in [
        (0, ProviderErrorKind::DeclinedSoft, "issuer_declined"),
        (1, ProviderErrorKind::DeclinedHard, "stolen_card"),
        (2, ProviderErrorKind::DeclinedHard, "expired_card"),
    ] {
        let (customer, token) = env.card(index).await;
        let r = request(
            &customer,
            &token,
            unscheduled_mit(),
            &format!("decline-{index}"),
            900,
        );
        let error = client.charge(&r).await.unwrap_err();
        assert_eq!(error.kind, kind, "{error}");
        assert_eq!(error.provider_code.as_deref(), Some(code));
        let reference = error
            .provider_ref
            .clone()
            .expect("the declined charge's id");
        let found = client
            .find_charge(&lookup(&r))
            .await
            .unwrap()
            .expect("Clover keeps declined charges");
        assert_eq!(found.provider_ref, reference);
        assert!(
            matches!(found.status, RemoteStatus::Declined { hard, .. } if hard == (kind == ProviderErrorKind::DeclinedHard))
        );
        let by_ref = ChargeLookup {
            sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
            provider_ref: Some(reference.clone()),
            ..lookup(&r)
        };
        assert_eq!(
            client
                .find_charge(&by_ref)
                .await
                .unwrap()
                .map(|c| c.provider_ref),
            Some(reference)
        );
    }
}

#[tokio::test]
async fn an_invalid_field_is_an_invalid_request() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(env.usable(true, 0)).await;
    let too_large = request(
        &customer,
        &token,
        unscheduled_mit(),
        "too-large",
        100_000_000,
    );
    let error = client.charge(&too_large).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("amount".into())
        }
    );
    assert_eq!(error.provider_code.as_deref(), Some("amount_too_large"));
    let unknown = request(
        &customer,
        &coffer_core::CardToken("clv_1TSTSnosuchtoken".into()),
        unscheduled_mit(),
        "no-token",
        100,
    );
    let error = client.charge(&unknown).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("source".into())
        }
    );
    let mut euros = request(&customer, &token, unscheduled_mit(), "euros", 100);
    euros.amount = Money::from_minor(100, coffer_core::Currency::EUR);
    assert!(matches!(
        client.charge(&euros).await.unwrap_err().kind,
        ProviderErrorKind::InvalidRequest { .. }
    ));
    assert!(env.ledger().await.is_empty());
}

#[tokio::test]
async fn a_rate_limited_write_is_returned_at_once_a_read_waits_and_unavailable_is_reported() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(env.usable(true, 0)).await;
    env.faults(json!({"rate_limit_next": 1, "retry_after_secs": 0}))
        .await;
    let limited = client
        .charge(&request(
            &customer,
            &token,
            unscheduled_mit(),
            "after-429",
            500,
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(limited.kind, ProviderErrorKind::RateLimited { .. }),
        "a write never waits after its sending commit: the engine waits before the next: {limited}"
    );
    assert_eq!(env.ledger().await.len(), 0, "the 429 processed nothing");
    env.faults(json!({"rate_limit_next": 1, "retry_after_secs": 0}))
        .await;
    client
        .check_credentials()
        .await
        .expect("a read waits a 429 out and tries again");

    env.faults(json!({"error_next": 3})).await;
    assert_eq!(
        client.check_credentials().await.unwrap_err().kind,
        ProviderErrorKind::Unavailable
    );
    env.faults(json!({"error_next": 3})).await;
    let r = request(&customer, &token, unscheduled_mit(), "after-503", 500);
    assert_eq!(
        client.charge(&r).await.unwrap_err().kind,
        ProviderErrorKind::UnknownOutcome,
        "a 5xx on a charge may have charged"
    );
    assert_eq!(
        client.find_charge(&lookup(&r)).await.unwrap(),
        None,
        "the lookup says it never arrived"
    );
}

#[tokio::test]
async fn a_lost_response_is_an_unknown_outcome_resolved_by_lookup() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(4).await;
    let r = request(&customer, &token, unscheduled_mit(), "lost-1", 2200);
    let error = client.charge(&r).await.unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::UnknownOutcome, "{error}");
    let found = client
        .find_charge(&lookup(&r))
        .await
        .unwrap()
        .expect("the charge was made");
    assert_eq!(found.status, RemoteStatus::Succeeded);
    assert_eq!(found.amount, usd(2200));
    let ledger = env.ledger().await;
    assert_eq!(
        ledger
            .iter()
            .filter(|c| c["idempotency_key"] == "lost-1")
            .count(),
        1,
        "exactly one charge"
    );
    assert_eq!(ledger.len(), 1);
    assert_eq!(
        found.provider_ref.as_str(),
        ledger[0]["id"].as_str().unwrap()
    );
}

#[tokio::test]
async fn a_dropped_answer_is_resent_with_the_same_key_and_charges_once() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(env.usable(true, 1)).await;
    env.faults(json!({"drop_next": 1})).await;
    let outcome = client
        .charge(&request(
            &customer,
            &token,
            unscheduled_mit(),
            "dropped-once",
            800,
        ))
        .await
        .unwrap();
    assert_eq!(
        outcome.status,
        RemoteStatus::Succeeded,
        "the resend got the first answer back"
    );
    assert_eq!(env.ledger().await.len(), 1, "one charge for two sends");

    env.faults(json!({"drop_next": 1})).await;
    let once = env.client_with(
        0,
        HttpPolicy {
            max_tries: 1,
            ..HttpPolicy::default()
        },
    );
    let r = request(&customer, &token, unscheduled_mit(), "dropped-final", 800);
    assert_eq!(
        once.charge(&r).await.unwrap_err().kind,
        ProviderErrorKind::UnknownOutcome
    );
    let found = once
        .find_charge(&lookup(&r))
        .await
        .unwrap()
        .expect("made before the drop");
    assert_eq!(found.status, RemoteStatus::Succeeded);
    assert_eq!(env.ledger().await.len(), 2);
}

#[tokio::test]
async fn the_timeout_card_is_an_unknown_outcome_and_never_charged() {
    let env = Env::start().await;
    env.faults(json!({"timeout_ms": 1500})).await;
    let client = env.client_with(
        0,
        HttpPolicy {
            request_timeout: Duration::from_millis(200),
            max_tries: 1,
            ..HttpPolicy::default()
        },
    );
    let (customer, token) = env.card(3).await;
    let r = request(&customer, &token, unscheduled_mit(), "slow-1", 600);
    assert_eq!(
        client.charge(&r).await.unwrap_err().kind,
        ProviderErrorKind::UnknownOutcome
    );
    assert_eq!(
        client.find_charge(&lookup(&r)).await.unwrap(),
        None,
        "nothing was charged"
    );
    assert!(env.ledger().await.is_empty());
}

#[tokio::test]
async fn refunds_part_then_the_rest_and_refuses_more() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(env.usable(true, 2)).await;
    let charge = client
        .charge(&request(
            &customer,
            &token,
            unscheduled_mit(),
            "to-refund",
            2500,
        ))
        .await
        .unwrap();
    let refund = |minor: i64, id: &str| RefundRequest {
        charge_ref: charge.provider_ref.clone(),
        order_id: "order-to-refund".into(),
        amount: usd(minor),
        charge_amount: usd(2500),
        idempotency_key: IdempotencyKey(id.into()),
        refund_id: id.into(),
    };
    let part = client.refund(&refund(1000, "refund-1")).await.unwrap();
    assert_eq!(part.amount, usd(1000));
    let over = client.refund(&refund(1600, "refund-2")).await.unwrap_err();
    assert!(
        matches!(over.kind, ProviderErrorKind::InvalidRequest { .. }),
        "{over}"
    );
    assert_eq!(over.provider_code.as_deref(), Some("processing_error"));
    let rest = client.refund(&refund(1500, "refund-3")).await.unwrap();
    assert_eq!(rest.amount, usd(1500));
    assert_ne!(rest.provider_ref, part.provider_ref);
    let again = client.refund(&refund(2500, "refund-4")).await.unwrap_err();
    assert_eq!(
        again.provider_code.as_deref(),
        Some("charge_already_refunded")
    );
    let missing = RefundRequest {
        charge_ref: ProviderRef("H9NOSUCHCHRGE".into()),
        ..refund(100, "refund-5")
    };
    assert_eq!(
        client.refund(&missing).await.unwrap_err().kind,
        ProviderErrorKind::NotFound
    );
    let refunds = env
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["kind"] == "refund")
        .count();
    assert_eq!(refunds, 2);
    let find = |minor: i64, id: &str| RefundLookup {
        sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
        charge_ref: charge.provider_ref.clone(),
        order_id: "order-to-refund".into(),
        charge_amount: usd(2500),
        amount: usd(minor),
        refund_id: id.into(),
    };
    assert_eq!(
        client.find_refund(&find(1000, "refund-1")).await.unwrap(),
        RefundsSeen::Exact(Some(part)),
        "a made refund is found by the id it was sent with"
    );
    assert_eq!(
        client.find_refund(&find(1600, "refund-2")).await.unwrap(),
        RefundsSeen::Exact(None),
        "a refused refund was never made"
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
async fn a_reused_key_with_another_body_is_a_duplicate_to_look_up() {
    let env = Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(env.usable(true, 4)).await;
    let first = request(&customer, &token, unscheduled_mit(), "dup-key", 700);
    client.charge(&first).await.unwrap();
    let other_body = request(&customer, &token, unscheduled_mit(), "dup-key", 701);
    let error = client.charge(&other_body).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::Duplicate,
        "Clover's idempotency_error says the key was used: look it up, never a failure ({error})"
    );
    assert!(
        error.kind.outcome_unknown(),
        "the engine must not mark it failed"
    );
    assert_eq!(
        env.ledger().await.len(),
        1,
        "the second body charged nothing"
    );
    let again = client.charge(&first).await.unwrap();
    assert_eq!(
        again.amount,
        usd(700),
        "the same request under the same key is answered with the first charge"
    );
    assert_eq!(env.ledger().await.len(), 1, "a resend charges once");
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
