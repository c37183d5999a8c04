//! Assist's enrollment through its own payment page (issue 25) against the sandbox over real
//! HTTP: the page address with the recurring registration, the sandbox's page filled as a
//! browser would, and the orderresult confirmation that no return alone ever passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, NaiveDate, Utc};
use coffer_core::card::RegisteredSeries;
use coffer_core::{
    CardBrand, Currency, CustomerRef, EnrollmentMode, Environment, IdempotencyKey, InitialKind,
    Merchant, MerchantId, Money, ProviderAccount, Reason, StoredCredential,
};
use coffer_providers::{
    ChargeRequest, EnrollmentPage, EnrollmentRequest, EnrollmentSeen, HostedEnrollment, Provider,
    ProviderErrorKind, RemoteStatus, SandboxCardholder,
};
use coffer_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use serde_json::{json, Value};

const RETURN_URL: &str = "https://coffer.invalid/enroll/11/return";

struct Env {
    _sandbox: Sandbox,
    admin: String,
    http: reqwest::Client,
    merchant: Merchant,
    secret: String,
}

impl Env {
    async fn start() -> Env {
        let sandbox = Sandbox::start(SandboxConfig::demo(12)).await.unwrap();
        let http = reqwest::Client::new();
        let admin = sandbox.urls.admin.clone();
        let merchants: Vec<Value> = http
            .get(format!("{admin}/merchants"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let m = merchants
            .iter()
            .find(|m| m["account"]["provider"] == "assist")
            .expect("an Assist merchant");
        let merchant = Merchant {
            id: MerchantId(1),
            name: m["name"].as_str().unwrap().into(),
            account: serde_json::from_value::<ProviderAccount>(m["account"].clone()).unwrap(),
            environment: Environment::Sandbox,
            base_url: m["base_url"].as_str().unwrap().into(),
            time_zone: coffer_core::merchant::parse_time_zone(m["time_zone"].as_str().unwrap())
                .unwrap(),
            currency: serde_json::from_value::<Currency>(m["currency"].clone()).unwrap(),
            notice_lead_days: 3,
            group: None,
            endpoint: Default::default(),
        };
        let secret = m["secret"].as_str().unwrap().to_string();
        // The MIT right after its initial: the sandbox's period check (UNCONFIRMED at Assist) off.
        http.put(format!("{}/__sandbox/rules", merchant.base_url))
            .json(&json!({"enforce_period": false}))
            .send()
            .await
            .unwrap();
        Env {
            _sandbox: sandbox,
            admin,
            http,
            merchant,
            secret,
        }
    }

    fn client(&self) -> Box<dyn Provider> {
        coffer_providers::connect(&self.merchant, SecretString::from(self.secret.clone())).unwrap()
    }

    fn money(&self, minor: i64) -> Money {
        Money::from_minor(minor, self.merchant.currency)
    }

    fn request(&self, order: &str, minor: i64) -> EnrollmentRequest {
        EnrollmentRequest {
            order_id: order.into(),
            customer: Some(CustomerRef("BY-900001".into())),
            name: "Ana Lopes".into(),
            email: Some("ana@example.org".into()),
            buyer: None,
            amount: self.money(minor),
            reason: Reason::Recurring,
            registered: Some(RegisteredSeries {
                min_amount: Some(self.money(100)),
                max_amount: Some(self.money(5_000)),
                period_days: Some(30),
                end: NaiveDate::from_ymd_opt(2099, 12, 31),
            }),
            mode: EnrollmentMode::Counter,
            return_url: RETURN_URL.into(),
            expires_at: Utc::now() + Duration::minutes(30),
            idempotency_key: IdempotencyKey(format!("key-{order}")),
        }
    }

    fn mit(
        &self,
        request: &EnrollmentRequest,
        initial: &str,
        order: &str,
        minor: i64,
    ) -> ChargeRequest {
        ChargeRequest {
            amount: self.money(minor),
            card_token: coffer_core::CardToken(format!("assist-initial-{initial}")),
            customer: request.customer.clone().unwrap(),
            credential: StoredCredential::merchant_initiated(
                Reason::Recurring,
                coffer_core::ProviderRef::from(initial),
            ),
            idempotency_key: IdempotencyKey(format!("key-{order}")),
            order_id: order.into(),
            description: "Membership".into(),
            agreement: None,
            buyer: None,
        }
    }

    async fn charges_of(&self, order: &str) -> Vec<Value> {
        let all: Vec<Value> = self
            .http
            .get(format!("{}/charges?provider=assist", self.admin))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        all.into_iter().filter(|c| c["order_id"] == order).collect()
    }
}

fn card(test_card: &str) -> SandboxCardholder {
    SandboxCardholder {
        test_card: test_card.into(),
        cancel: false,
    }
}

fn cancel() -> SandboxCardholder {
    SandboxCardholder {
        test_card: "approve".into(),
        cancel: true,
    }
}

async fn page(client: &dyn HostedEnrollment, request: &EnrollmentRequest) -> EnrollmentPage {
    let started = client.start_enrollment(request).await.unwrap();
    assert_eq!(started.pending_ref, None, "the OrderNumber finds the order");
    started.page
}

fn marker(returned: &[(String, String)]) -> Option<&str> {
    returned
        .iter()
        .find(|(k, _)| k == "assist_return")
        .map(|(_, v)| v.as_str())
}

fn confirmed(seen: EnrollmentSeen) -> coffer_providers::InitialOutcome {
    match seen {
        EnrollmentSeen::Confirmed { outcome, .. } => outcome,
        other => panic!("expected a confirmation: {other:?}"),
    }
}

#[tokio::test]
async fn approve_confirms_the_initial_and_rp_cfm_then_charges_within_its_limits() {
    let env = Env::start().await;
    let provider = env.client();
    let client = provider.hosted_enrollment().expect("Assist enrolls cards");
    let request = env.request("ENR-APPROVE", 1250);
    let page = page(client, &request).await;
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    assert_eq!(marker(&returned), Some("ok"), "{returned:?}");

    let seen = client
        .confirm_enrollment(&request, None, Some(&returned))
        .await
        .unwrap();
    let EnrollmentSeen::Confirmed {
        outcome,
        registered,
        customer,
    } = seen
    else {
        panic!("an approved initial is confirmed: {seen:?}");
    };
    assert_eq!(
        registered, request.registered,
        "as sent: orderresult does not list them"
    );
    assert_eq!(customer, None, "Coffer keeps Assist's register");
    assert_eq!(
        outcome.kind,
        InitialKind::Recurring,
        "rp.cfm may point to it"
    );
    assert_eq!(outcome.amount, request.amount);
    assert_eq!(outcome.initial_ref, outcome.provider_ref);
    assert_eq!(outcome.card.last4, "4242");
    assert_eq!(outcome.card.brand, CardBrand::Visa);
    assert_eq!(
        outcome.card.initial_ref.as_ref(),
        Some(&outcome.initial_ref)
    );
    let bill = outcome.initial_ref.as_str().to_string();
    assert_eq!(bill.len(), 16, "a billnumber: {bill}");

    let ledger = env.charges_of("ENR-APPROVE").await;
    assert_eq!(ledger.len(), 1, "{ledger:?}");
    assert_eq!(ledger[0]["stored_credential"]["RecurringIndicator"], "1");
    assert_eq!(ledger[0]["stored_credential"]["RecurringPeriod"], "30");

    let charged = provider
        .charge(&env.mit(&request, &bill, "ENR-APPROVE-MIT-1", 2_000))
        .await
        .unwrap();
    assert_eq!(charged.status, RemoteStatus::Succeeded, "within the limits");
    let refused = provider
        .charge(&env.mit(&request, &bill, "ENR-APPROVE-MIT-2", 9_000))
        .await
        .unwrap_err();
    assert!(
        refused.kind.is_decline()
            || matches!(refused.kind, ProviderErrorKind::InvalidRequest { .. }),
        "above RecurringMaxAmount the registered series refuses: {refused:?}"
    );
}

#[tokio::test]
async fn a_second_confirmation_replays_and_the_page_cannot_be_paid_twice() {
    let env = Env::start().await;
    let provider = env.client();
    let client = provider.hosted_enrollment().unwrap();
    let request = env.request("ENR-REPLAY", 1250);
    let page = page(client, &request).await;
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    let first = confirmed(
        client
            .confirm_enrollment(&request, None, Some(&returned))
            .await
            .unwrap(),
    );
    let again = confirmed(
        client
            .confirm_enrollment(&request, None, None)
            .await
            .unwrap(),
    );
    assert_eq!(
        first, again,
        "a lookup without a return finds the same order"
    );
    let twice = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap_err();
    assert!(twice.message.contains("paid already"), "{twice:?}");
    assert_eq!(env.charges_of("ENR-REPLAY").await.len(), 1, "one payment");
}

#[tokio::test]
async fn zero_registers_the_card_without_paying() {
    let env = Env::start().await;
    let provider = env.client();
    let client = provider.hosted_enrollment().unwrap();
    let request = env.request("ENR-ZERO", 0);
    let page = page(client, &request).await;
    let EnrollmentPage::Provider { url } = &page else {
        panic!("Assist's own page");
    };
    assert!(
        url.contains("BlockOrderType=2") && url.contains("OrderAmount=0&"),
        "{url}"
    );
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    let outcome = confirmed(
        client
            .confirm_enrollment(&request, None, Some(&returned))
            .await
            .unwrap(),
    );
    assert_eq!(outcome.amount, env.money(0));
    let charged = provider
        .charge(&env.mit(&request, outcome.initial_ref.as_str(), "ENR-ZERO-MIT", 500))
        .await
        .unwrap();
    assert_eq!(charged.status, RemoteStatus::Succeeded);
}

#[tokio::test]
async fn decline_fail_3ds_and_cancel_fail_an_unfinished_page_waits_and_a_retry_pays() {
    let env = Env::start().await;
    let provider = env.client();
    let client = provider.hosted_enrollment().unwrap();

    for (order, holder) in [
        ("ENR-DECLINE", card("decline")),
        ("ENR-3DS", card("fail_3ds")),
        ("ENR-CANCEL", cancel()),
    ] {
        let request = env.request(order, 1250);
        let page = page(client, &request).await;
        let returned = client.fill_sandbox_page(&page, &holder).await.unwrap();
        assert_eq!(marker(&returned), Some("no"), "{order}");
        let seen = client
            .confirm_enrollment(&request, None, Some(&returned))
            .await
            .unwrap();
        assert!(
            matches!(seen, EnrollmentSeen::Failed { .. }),
            "{order}: {seen:?}"
        );
    }
    assert!(
        env.charges_of("ENR-CANCEL").await.is_empty(),
        "Cancel pays nothing"
    );

    let request = env.request("ENR-WAIT", 1250);
    let page = page(client, &request).await;
    assert_eq!(
        client
            .confirm_enrollment(&request, None, None)
            .await
            .unwrap(),
        EnrollmentSeen::Waiting,
        "nothing paid yet"
    );
    // The cardholder's first card is declined, the second pays: the order that took money decides.
    client
        .fill_sandbox_page(&page, &card("decline"))
        .await
        .unwrap();
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    let outcome = confirmed(
        client
            .confirm_enrollment(&request, None, Some(&returned))
            .await
            .unwrap(),
    );
    assert_eq!(outcome.card.last4, "4242");
    let unknown = client
        .fill_sandbox_page(&page, &card("no-such-card"))
        .await
        .unwrap_err();
    assert!(matches!(
        unknown.kind,
        ProviderErrorKind::InvalidRequest { .. }
    ));
}

#[tokio::test]
async fn a_forged_return_is_never_confirmed() {
    let env = Env::start().await;
    let provider = env.client();
    let client = provider.hosted_enrollment().unwrap();
    let ok = vec![("assist_return".to_string(), "ok".to_string())];

    // assist_return=ok for an order nobody paid.
    let unpaid = env.request("ENR-FORGED-UNPAID", 1250);
    page(client, &unpaid).await;
    assert_eq!(
        client
            .confirm_enrollment(&unpaid, None, Some(&ok))
            .await
            .unwrap(),
        EnrollmentSeen::Waiting
    );

    // The return of another, paid order.
    let paid = env.request("ENR-FORGED-OTHER", 1250);
    let paid_page = page(client, &paid).await;
    let returned = client
        .fill_sandbox_page(&paid_page, &SandboxCardholder::approving())
        .await
        .unwrap();
    let victim = env.request("ENR-FORGED-VICTIM", 1250);
    page(client, &victim).await;
    assert_eq!(
        client
            .confirm_enrollment(&victim, None, Some(&returned))
            .await
            .unwrap(),
        EnrollmentSeen::Waiting,
        "another order's return proves nothing for this one"
    );

    // The link's amount edited down, or its recurring registration removed.
    for (order, from, to) in [
        ("ENR-FORGED-AMOUNT", "OrderAmount=12.50&", "OrderAmount=1&"),
        (
            "ENR-FORGED-NOREC",
            "RecurringIndicator=1&",
            "RecurringIndicator=0&",
        ),
    ] {
        let request = env.request(order, 1250);
        let EnrollmentPage::Provider { url } = page(client, &request).await else {
            panic!("Assist's own page");
        };
        assert!(url.contains(from), "{url}");
        let edited = EnrollmentPage::Provider {
            url: url.replace(from, to),
        };
        let returned = client
            .fill_sandbox_page(&edited, &SandboxCardholder::approving())
            .await
            .unwrap();
        assert_eq!(marker(&returned), Some("ok"), "the page was paid");
        let seen = client
            .confirm_enrollment(&request, None, Some(&returned))
            .await
            .unwrap();
        assert!(
            matches!(seen, EnrollmentSeen::Failed { .. }),
            "{order}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn a_live_merchants_page_is_never_filled_and_incomplete_limits_are_refused() {
    let env = Env::start().await;
    let mut live = env.merchant.clone();
    live.environment = Environment::Live;
    let provider =
        coffer_providers::connect(&live, SecretString::from(env.secret.clone())).unwrap();
    let client = provider.hosted_enrollment().unwrap();
    let request = env.request("ENR-LIVE", 1250);
    let page = page(client, &request).await;
    let error = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Unsupported);

    let mut no_series = env.request("ENR-NOSERIES", 1250);
    no_series.registered = None;
    let error = client.start_enrollment(&no_series).await.unwrap_err();
    assert!(matches!(
        error.kind,
        ProviderErrorKind::InvalidRequest { .. }
    ));
}
