//! The Assist client against its sandbox over real HTTP: its [`Harness`] for the shared battery
//! (`battery/`), and what only Assist does: the mapping of the stored-credential flags to
//! Token Pay / rp.cfm, the recurring bounds, its own test cards and advice codes, In Process
//! answers, the in-body rate limit, and refunds by cancel with their external id.
// Test helpers outside #[test] functions panic on purpose: a failed setup is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use chrono::NaiveDate;
use coffer_core::{
    CardToken, Currency, CustomerRef, Environment, IdempotencyKey, Merchant, MerchantId, Money,
    ProviderAccount, ProviderRef, Reason, StoredCredential,
};
use coffer_providers::assist::AssistClient;
use coffer_providers::http::HttpPolicy;
use coffer_providers::{
    ChargeLookup, ChargeRequest, InitialRequest, InitialStep, Provider, ProviderErrorKind,
    RecurringAgreement, RefundRequest, RemoteStatus, ResendRule,
};
use coffer_sandbox::seed::CardBehaviour;
use coffer_sandbox::{Sandbox, SandboxConfig};
use secrecy::SecretString;
use serde_json::{json, Value};

mod published;

use crate::battery::published::{Call, Kind, Refused, Route};
use crate::battery::{Capabilities, Decline, Facts, Harness, Refusal, Seen, Settles};

pub(crate) struct Fixture {
    sandbox: Sandbox,
    http: reqwest::Client,
    merchant: Merchant,
    secret: String,
}

pub(super) async fn fixture() -> Fixture {
    let sandbox = Sandbox::start(SandboxConfig::demo(40)).await.unwrap();
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
    Fixture {
        sandbox,
        http,
        merchant,
        secret,
    }
}

impl Fixture {
    fn client(&self) -> Box<dyn Provider> {
        coffer_providers::connect(&self.merchant, SecretString::from(self.secret.clone())).unwrap()
    }

    fn client_with_timeout(&self, timeout: Duration) -> AssistClient {
        let policy = HttpPolicy {
            request_timeout: timeout,
            ..HttpPolicy::default()
        };
        AssistClient::with_policy(
            &self.merchant,
            SecretString::from(self.secret.clone()),
            policy,
        )
        .unwrap()
    }

    /// The seeded register row of customer `index` (sandbox-only endpoint).
    async fn customer(&self, index: usize) -> Value {
        let merchant_id = self.merchant.account.account_id();
        let url = format!(
            "{}/__sandbox/customers?merchant_id={merchant_id}&offset={index}&limit=1",
            self.merchant.base_url
        );
        let rows: Vec<Value> = self
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        rows.into_iter().next().unwrap()
    }

    /// The first customer from index 5 whose first card approves and has a seeded initial.
    pub(super) async fn good_customer(&self) -> Value {
        self.good_customer_from(5).await
    }

    /// The next such customer after `previous`.
    pub(super) async fn good_customer_after(&self, previous: &Value) -> Value {
        let number = previous["customer_number"].as_str().unwrap();
        let index: usize = number[number.len() - 6..].parse().unwrap();
        self.good_customer_from(index).await
    }

    /// The `nth` such customer from index 5.
    async fn good_customer_nth(&self, nth: usize) -> Value {
        let mut customer = self.good_customer().await;
        for _ in 0..nth {
            customer = self.good_customer_after(&customer).await;
        }
        customer
    }

    async fn good_customer_from(&self, from: usize) -> Value {
        for index in from..40 {
            let c = self.customer(index).await;
            let card = &c["cards"][0];
            let special = SPECIAL_LAST4.contains(&card["last4"].as_str().unwrap());
            if special || !card["initial_billnumber"].is_string() {
                continue;
            }
            let number = CustomerRef::from(c["customer_number"].as_str().unwrap());
            let listed = self.client().cards_of(&number).await.unwrap();
            if listed[0].active && !listed[0].needs_cvc {
                return c;
            }
        }
        panic!("no approving customer in the seed");
    }

    async fn ledger(&self) -> Vec<Value> {
        let url = format!("{}/charges?provider=assist", self.sandbox.urls.admin);
        self.http
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

/// The last four digits of every test card: the shared ones (seed.rs) and the Assist-only ones
/// (docs/assist.md "Test cards").
const SPECIAL_LAST4: [&str; 9] = [
    "0341", "0002", "0069", "0077", "0019", "0100", "0108", "0121", "0103",
];

fn byn(minor: i64) -> Money {
    Money::from_minor(minor, Currency::BYN)
}

fn cit(customer: &Value, order: &str, minor: i64) -> ChargeRequest {
    let mut credential = StoredCredential::initial(Reason::Unscheduled);
    credential.sequence = coffer_core::Sequence::Subsequent;
    ChargeRequest {
        amount: byn(minor),
        card_token: CardToken::from(customer["cards"][0]["token"].as_str().unwrap()),
        customer: CustomerRef::from(customer["customer_number"].as_str().unwrap()),
        credential,
        idempotency_key: IdempotencyKey::from(format!("key-{order}")),
        order_id: order.into(),
        description: "Coffer contract test".into(),
        agreement: None,
        buyer: None,
    }
}

fn mit(customer: &Value, order: &str, minor: i64, initial: &str) -> ChargeRequest {
    ChargeRequest {
        credential: StoredCredential::merchant_initiated(
            Reason::Recurring,
            ProviderRef::from(initial),
        ),
        agreement: Some(RecurringAgreement {
            min_amount: Some(byn(100)),
            max_amount: Some(byn(50_000)),
            period_days: Some(30),
            end_date: NaiveDate::from_ymd_opt(2099, 12, 31),
        }),
        ..cit(customer, order, minor)
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

impl Harness for Fixture {
    const LEDGER: &'static str = "assist";

    async fn start() -> Self {
        fixture().await
    }

    fn admin(&self) -> String {
        self.sandbox.urls.admin.clone()
    }

    fn client(&self) -> Box<dyn Provider> {
        Fixture::client(self)
    }

    fn client_with_policy(&self, policy: HttpPolicy) -> Box<dyn Provider> {
        Box::new(
            AssistClient::with_policy(
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

    /// The special customers come first, in the seed's order; approving ones from index 5.
    async fn charge_request(
        &self,
        behaviour: CardBehaviour,
        nth: usize,
        key: &str,
    ) -> ChargeRequest {
        let customer = match behaviour {
            CardBehaviour::SoftDecline => self.customer(0).await,
            CardBehaviour::HardDecline => self.customer(1).await,
            CardBehaviour::Expired => self.customer(2).await,
            CardBehaviour::Timeout => self.customer(3).await,
            CardBehaviour::ResponseLost => self.customer(4).await,
            CardBehaviour::Approve => self.good_customer_nth(nth).await,
        };
        cit(&customer, key, 2500)
    }

    fn invalid_requests(&self, valid: &ChargeRequest) -> Vec<(ChargeRequest, Refusal)> {
        let long = "X".repeat(129);
        vec![(
            ChargeRequest {
                idempotency_key: IdempotencyKey::from(format!("key-{long}")),
                order_id: long,
                ..valid.clone()
            },
            Refusal {
                field: Some("OrderNumber"),
                code: Some("4/107"),
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

    /// The token listing's published fault with its placeholders filled: a web-service pair
    /// (faultcode/faultstring), never a malformed answer.
    fn published_refusals() -> Vec<Refused> {
        let fault =
            |first: u16, second: u16, kind: ProviderErrorKind, code: &'static str| Refused {
                example: "assist/token_listing_fault.txt",
                routes: vec![Route {
                    method: "",
                    path_has: "",
                    status: 200,
                    content_type: "application/json",
                    body: published::published_fault(first, second),
                }],
                call: Call::CardsOf(CustomerRef::from("CUST-000042")),
                kind: Kind::Exactly(kind),
                code: Some(code),
                provider_ref: None,
            };
        vec![
            fault(7, 141, ProviderErrorKind::Auth, "7/141"),
            fault(
                3,
                107,
                ProviderErrorKind::InvalidRequest {
                    field: Some("OrderNumber".into()),
                },
                "3/107",
            ),
        ]
    }

    fn facts() -> Facts {
        use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
        Facts {
            kind: coffer_core::ProviderKind::Assist,
            wrong_secret: "WrongPassw0rd1",
            auth_code: Some("7/141"),
            capabilities: Capabilities {
                lists_customers: false,
                cards_by_customer: true,
                idempotency_key: false,
                partial_refunds: true,
                initial_needs_card_page: false,
                currencies: vec![Currency::BYN],
                resend: ResendRule::Never,
            },
            declines: vec![
                Decline {
                    behaviour: CardBehaviour::SoftDecline,
                    kind: ProviderErrorKind::DeclinedSoft,
                    code: "AS102",
                    reading: DeclineMeaning::soft(VisaCategory::NotNow),
                    never_retried_on_visa: false,
                },
                Decline {
                    behaviour: CardBehaviour::HardDecline,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "AS108",
                    reading: DeclineMeaning::hard(VisaCategory::NotNow),
                    never_retried_on_visa: false,
                },
                Decline {
                    behaviour: CardBehaviour::Expired,
                    kind: ProviderErrorKind::DeclinedHard,
                    code: "AS104",
                    reading: DeclineMeaning::hard(VisaCategory::DataQuality),
                    never_retried_on_visa: false,
                },
            ],
            reference_is_order_id: false,
            two_step_charge: false,
            timeout_settles: Settles::Absent,
            refund_over: Refusal {
                field: Some("Amount"),
                code: None,
            },
            refund_after_whole: Refusal {
                field: None,
                code: None,
            },
            refunds_seen: Seen::Total,
            refund_key_replayed: false,
            refund_ref_prefix: None,
            unknown_charge_ref: "7199999999999999",
        }
    }
}

#[tokio::test]
async fn the_password_never_shows_and_a_wrong_one_is_refused_by_the_token_listing_too() {
    let f = fixture().await;
    let debug = format!("{:?}", f.client_with_timeout(Duration::from_secs(1)));
    assert!(
        !debug.contains(&f.secret),
        "the password never shows in Debug: {debug}"
    );
    let wrong = coffer_providers::connect(
        &f.merchant,
        SecretString::from("WrongPassw0rd1".to_string()),
    )
    .unwrap();
    let cards = wrong
        .cards_of(&CustomerRef::from("BY-000001"))
        .await
        .unwrap_err();
    assert_eq!(
        cards.kind,
        ProviderErrorKind::Auth,
        "the token listing refuses it too"
    );
}

#[tokio::test]
async fn cards_of_lists_the_customers_one_click_cards() {
    let f = fixture().await;
    let customer = f.customer(7).await;
    let cards = f
        .client()
        .cards_of(&CustomerRef::from(
            customer["customer_number"].as_str().unwrap(),
        ))
        .await
        .unwrap();
    let seeded = customer["cards"].as_array().unwrap();
    assert_eq!(cards.len(), seeded.len());
    for (card, seed) in cards.iter().zip(seeded) {
        assert_eq!(card.token.as_str(), seed["token"].as_str().unwrap());
        assert_eq!(card.last4, seed["last4"].as_str().unwrap());
        assert_eq!(card.bin.as_ref().map(String::len), Some(6));
        assert!((1..=12).contains(&card.expiry.month));
    }
    let none = f
        .client()
        .cards_of(&CustomerRef::from("BY-999999"))
        .await
        .unwrap();
    assert!(none.is_empty(), "an unknown CustomerNumber has no cards");
}

#[tokio::test]
async fn cardholder_initiated_charge_goes_through_token_pay_and_is_found_and_refunded() {
    let f = fixture().await;
    let client = f.client();
    let customer = f.good_customer().await;
    let request = cit(&customer, "CF-CIT-1", 2590);
    let outcome = client.charge(&request).await.unwrap();
    assert_eq!(outcome.status, RemoteStatus::Succeeded);
    assert_eq!(outcome.amount, byn(2590));
    assert_eq!(outcome.provider_ref.as_str().len(), 16, "the billnumber");
    assert_eq!(
        outcome.initial_ref, None,
        "a subsequent CIT is not an initial"
    );
    assert!(outcome.at.is_some(), "orderdate is read");

    let found = client
        .find_charge(&lookup(&request))
        .await
        .unwrap()
        .expect("orderresult finds it");
    assert_eq!(found.provider_ref, outcome.provider_ref);
    assert_eq!(found.status, RemoteStatus::Succeeded);
    let ledger = f.ledger().await;
    assert_eq!(ledger[0]["stored_credential"]["TokenType"], "5");

    let partial = client
        .refund(&RefundRequest {
            charge_ref: outcome.provider_ref.clone(),
            order_id: request.order_id.clone(),
            amount: byn(1000),
            charge_amount: byn(2590),
            idempotency_key: IdempotencyKey::from("refund-1"),
            refund_id: "RF-CIT-0000001".into(),
        })
        .await
        .unwrap();
    assert_eq!(partial.amount, byn(1000));
    assert_eq!(
        partial.provider_ref.as_str(),
        format!("{}.2", outcome.provider_ref.as_str()),
        "the cancel operation"
    );
    // A refund of more than is left, the ledger and find_refund's sum: battery/refunds.rs.
}

#[tokio::test]
async fn a_full_refund_sends_no_amount_and_returns_everything() {
    let f = fixture().await;
    let client = f.client();
    let customer = f.good_customer().await;
    let outcome = client
        .charge(&cit(&customer, "CF-FULL-1", 1234))
        .await
        .unwrap();
    let refund = client
        .refund(&RefundRequest {
            charge_ref: outcome.provider_ref.clone(),
            order_id: "CF-FULL-1".into(),
            amount: byn(1234),
            charge_amount: byn(1234),
            idempotency_key: IdempotencyKey::from("refund-full"),
            refund_id: "RF-FULL-0000001".into(),
        })
        .await
        .unwrap();
    assert_eq!(refund.amount, byn(1234));
    let ledger = f.ledger().await;
    let refund_row = ledger.iter().find(|c| c["kind"] == "refund").unwrap();
    assert_eq!(refund_row["amount_minor"], 1234);
    let again = client
        .refund(&RefundRequest {
            charge_ref: outcome.provider_ref,
            order_id: "CF-FULL-1".into(),
            amount: byn(1234),
            charge_amount: byn(1234),
            idempotency_key: IdempotencyKey::from("refund-full-2"),
            refund_id: "RF-FULL-0000002".into(),
        })
        .await
        .unwrap_err();
    assert!(
        matches!(again.kind, ProviderErrorKind::InvalidRequest { .. }),
        "nothing left: {again:?}"
    );
}

#[tokio::test]
async fn merchant_initiated_charge_goes_through_rp_cfm_linked_to_the_initial_billnumber() {
    let f = fixture().await;
    let client = f.client();
    let customer = f.good_customer().await;
    let initial = customer["cards"][0]["initial_billnumber"].as_str().unwrap();
    let outcome = client
        .charge(&mit(&customer, "CF-MIT-1", 2900, initial))
        .await
        .unwrap();
    assert_eq!(outcome.status, RemoteStatus::Succeeded);
    assert_ne!(
        outcome.provider_ref.as_str(),
        initial,
        "a MIT has its own billnumber"
    );
    let ledger = f.ledger().await;
    let row = ledger.iter().find(|c| c["order_id"] == "CF-MIT-1").unwrap();
    assert_eq!(
        row["stored_credential"]["BillNumber"], initial,
        "linked to the initial order"
    );
    assert_eq!(
        row["stored_credential"],
        json!({"BillNumber": initial}),
        "no Recurring* on rp.cfm: the terms were registered with the initial authorization \
         (docs.belassist.by pageId=78513199 lists none), though the request had an agreement"
    );
    assert_eq!(row["warnings"], json!([]), "no warning for a linked MIT");

    let too_soon = client
        .charge(&mit(&customer, "CF-MIT-2", 2900, initial))
        .await
        .unwrap_err();
    assert_eq!(
        too_soon.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("RecurringPeriod".into())
        },
        "sooner than the registered 30-day period: refused by the series' terms, not a verdict \
         on the card"
    );
    assert_eq!(too_soon.provider_code.as_deref(), Some("15/320"));
    let other = f.good_customer_after(&customer).await;
    let other_initial = other["cards"][0]["initial_billnumber"].as_str().unwrap();
    let too_much = client
        .charge(&mit(&other, "CF-MIT-3", 50_001, other_initial))
        .await
        .unwrap_err();
    assert_eq!(
        too_much.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("Amount".into())
        },
        "above RecurringMaxAmount"
    );
    assert_eq!(too_much.provider_code.as_deref(), Some("5/108"));
    let mut unlinked = mit(&customer, "CF-MIT-4", 2900, initial);
    unlinked.credential.initial_ref = None;
    let refused = client.charge(&unlinked).await.unwrap_err();
    assert_eq!(
        refused.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("BillNumber".into())
        }
    );
    let unknown = client
        .charge(&mit(&customer, "CF-MIT-5", 2900, "7199999999999999"))
        .await
        .unwrap_err();
    assert_eq!(unknown.kind, ProviderErrorKind::NotFound);
    assert_eq!(f.ledger().await.len(), 1, "only the first MIT was charged");
}

#[tokio::test]
async fn every_test_card_declines_with_assists_own_code_its_kind_and_its_advice_code() {
    use coffer_core::CardBrand;
    let f = fixture().await;
    let client = f.client();
    // (customer index, raw code, kind, merchantadvicecode) — docs/assist.md "Test cards".
    let cases = [
        (0, "AS102", ProviderErrorKind::DeclinedSoft, None),
        (1, "AS108", ProviderErrorKind::DeclinedHard, None),
        (2, "AS104", ProviderErrorKind::DeclinedHard, None),
        (10, "AS100", ProviderErrorKind::DeclinedSoft, None),
        (11, "AS108", ProviderErrorKind::DeclinedHard, None),
        (12, "AS100", ProviderErrorKind::DeclinedHard, Some("21")),
        (13, "AS100", ProviderErrorKind::DeclinedHard, Some("03")),
    ];
    for (index, code, kind, advice) in cases {
        let customer = f.customer(index).await;
        let initial = customer["cards"][0]["initial_billnumber"]
            .as_str()
            .expect("every test card has an initial order")
            .to_string();
        let requests = [
            cit(&customer, &format!("CF-TC-CIT-{index}"), 1000),
            mit(&customer, &format!("CF-TC-MIT-{index}"), 1000, &initial),
        ];
        for request in requests {
            let route = &request.order_id;
            let error = client.charge(&request).await.unwrap_err();
            assert_eq!(
                error.kind, kind,
                "{route}: {code} with advice {advice:?} must reach the engine as {kind:?}"
            );
            assert_eq!(
                error.provider_code.as_deref(),
                Some(code),
                "{route}: the raw code stays Assist's own"
            );
            let decline = error
                .decline
                .as_ref()
                .expect("a decline carries what is known of it");
            assert_eq!(
                decline.merchant_advice_code.as_deref(),
                advice,
                "{route}: the order's merchantadvicecode rides on the decline"
            );
            assert_eq!(
                decline.network_code, None,
                "{route}: Assist passes no network response code"
            );
        }
    }

    let stop = f.customer(12).await;
    let request = cit(&stop, "CF-TC-STOP", 1000);
    let error = client.charge(&request).await.unwrap_err();
    let never = error
        .decline
        .as_ref()
        .and_then(|d| d.never_retry(&CardBrand::Mastercard))
        .expect("MAC 21 forbids every further attempt on the card");
    assert!(
        never.stops_contract,
        "MAC 21 is the cardholder's cancellation: the engine must end the contract, not only the card"
    );
    let found = client
        .find_charge(&lookup(&request))
        .await
        .unwrap()
        .expect("the declined order is found");
    assert!(
        matches!(found.status, RemoteStatus::Declined { hard: true, ref code, .. } if code.as_deref() == Some("AS100")),
        "a lookup must not report the stop-payment decline as retryable: {:?}",
        found.status
    );

    let do_not_retry = f.customer(13).await;
    let error = client
        .charge(&cit(&do_not_retry, "CF-TC-MAC03", 1000))
        .await
        .unwrap_err();
    let never = error
        .decline
        .as_ref()
        .and_then(|d| d.never_retry(&CardBrand::Mastercard))
        .expect("MAC 03: do not try again");
    assert!(
        !never.stops_contract,
        "MAC 03 ends the card, not the cardholder's contract"
    );
    let soft = f.customer(10).await;
    let error = client
        .charge(&cit(&soft, "CF-TC-AS100", 1000))
        .await
        .unwrap_err();
    for brand in [CardBrand::Visa, CardBrand::Mastercard] {
        assert_eq!(
            error.decline.as_ref().unwrap().never_retry(&brand),
            None,
            "AS100 without advice is a soft decline, retried within the networks' limits"
        );
    }
    let ledger = f.ledger().await;
    assert!(
        ledger.iter().all(|row| row["status"] == "declined"),
        "no declined test card may move money: {ledger:?}"
    );
}

#[tokio::test]
async fn an_in_process_answer_is_an_unknown_outcome_until_the_lookup_settles_it() {
    let f = fixture().await;
    let client = f.client();
    let customer = f.good_customer().await;
    let request = cit(&customer, "CF-WAIT-1", 99_930);
    let pending = client.charge(&request).await.unwrap_err();
    assert_eq!(
        pending.kind,
        ProviderErrorKind::UnknownOutcome,
        "In Process is not settled (assist.md §4.5): look it up, never a failure"
    );
    assert!(
        pending.provider_ref.is_some(),
        "the billnumber is kept for the lookup"
    );
    let settled = client
        .find_charge(&lookup(&request))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(settled.status, RemoteStatus::Succeeded);
    let undecided = client
        .charge(&cit(&customer, "CF-AS998-1", 99_998))
        .await
        .unwrap_err();
    assert_eq!(
        undecided.kind,
        ProviderErrorKind::UnknownOutcome,
        "AS998 is looked up, not read as a decline"
    );
    assert!(undecided.provider_ref.is_some());
}

#[tokio::test]
async fn record_initial_makes_a_token_pay_whose_billnumber_links_later_mits() {
    let f = fixture().await;
    let client = f.client();
    let customer = f.good_customer().await;
    let token = CardToken::from(customer["cards"][0]["token"].as_str().unwrap());
    let step = client
        .record_initial(&InitialRequest {
            customer: CustomerRef::from(customer["customer_number"].as_str().unwrap()),
            card_token: Some(token.clone()),
            amount: byn(100),
            reason: Reason::Recurring,
            order_id: "CF-INIT-1".into(),
            idempotency_key: IdempotencyKey::from("init-1"),
            return_url: None,
            buyer: None,
        })
        .await
        .unwrap();
    let InitialStep::Done(done) = step else {
        panic!("Assist has no card page step")
    };
    assert_eq!(done.initial_ref, done.provider_ref);
    assert_eq!(done.card.token, token);
    assert_eq!(
        done.card.last4,
        customer["cards"][0]["last4"].as_str().unwrap()
    );
    assert_eq!(done.card.initial_ref.as_ref(), Some(&done.initial_ref));
    let linked = client
        .charge(&mit(
            &customer,
            "CF-INIT-MIT",
            2000,
            done.initial_ref.as_str(),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (linked.kind, linked.provider_code.as_deref()),
        (
            ProviderErrorKind::InvalidRequest {
                field: Some("RecurringPeriod".into())
            },
            Some("15/320")
        ),
        "a Token Pay initial registered no recurring terms (those come with RecurringIndicator=1 \
         on the payment page), so rp.cfm refuses it; rp.cfm can no longer register terms"
    );
    let ledger = f.ledger().await;
    assert_eq!(ledger.len(), 1, "only the initial was charged");
    let without_token = client
        .record_initial(&InitialRequest {
            customer: CustomerRef::from("BY-000001"),
            card_token: None,
            amount: byn(100),
            reason: Reason::Recurring,
            order_id: "CF-INIT-2".into(),
            idempotency_key: IdempotencyKey::from("init-2"),
            return_url: None,
            buyer: None,
        })
        .await
        .unwrap_err();
    assert_eq!(
        without_token.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("card_token".into())
        }
    );
}

#[tokio::test]
async fn an_in_body_rate_limit_is_rate_limited_and_a_garbled_charge_is_settled_by_lookup() {
    let f = fixture().await;
    let client = f.client();
    let customer = f.good_customer().await;
    let rules = format!("{}/__sandbox/rules", f.merchant.base_url);
    f.http
        .put(&rules)
        .json(&json!({"rate_limit_in_body_next": 1}))
        .send()
        .await
        .unwrap();
    let limited = client
        .charge(&cit(&customer, "CF-RL-1", 1000))
        .await
        .unwrap_err();
    assert_eq!(
        limited.kind,
        ProviderErrorKind::RateLimited { retry_after: None }
    );
    assert_eq!(limited.provider_code.as_deref(), Some("17/3"));
    f.http
        .put(&rules)
        .json(&json!({"malformed_next": 1}))
        .send()
        .await
        .unwrap();
    let request = cit(&customer, "CF-MAL-1", 1000);
    let garbled = client.charge(&request).await.unwrap_err();
    assert_eq!(
        garbled.kind,
        ProviderErrorKind::UnknownOutcome,
        "a garbled answer to a charge may hide a payment: the engine looks it up"
    );
    let found = client
        .find_charge(&lookup(&request))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, RemoteStatus::Succeeded);
    assert_eq!(
        f.ledger().await.len(),
        1,
        "one charge, none for the rate-limited try"
    );
}

#[tokio::test]
async fn a_refund_repeated_with_its_refund_id_refunds_once_because_it_goes_as_json() {
    let f = fixture().await;
    let client = f.client();
    let customer = f.good_customer().await;
    let charge = client
        .charge(&cit(&customer, "CF-RF-ONCE", 2000))
        .await
        .unwrap();
    let refund = RefundRequest {
        charge_ref: charge.provider_ref.clone(),
        order_id: "CF-RF-ONCE".into(),
        amount: byn(500),
        charge_amount: byn(2000),
        idempotency_key: IdempotencyKey::from("refund-once"),
        refund_id: "RF-ONCE-0000001".into(),
    };
    client.refund(&refund).await.unwrap();
    let again = client.refund(&refund).await.unwrap_err();
    assert_eq!(
        (again.kind, again.provider_code.as_deref()),
        (ProviderErrorKind::Duplicate, Some("11/301")),
        "Externalrefundid works in wscancel's JSON format, which the client now uses"
    );
    let refunds: Vec<Value> = f
        .ledger()
        .await
        .into_iter()
        .filter(|c| c["kind"] == "refund")
        .collect();
    assert_eq!(refunds.len(), 1, "one refund, not two");
    assert_eq!(
        refunds[0]["stored_credential"]["Externalrefundid"],
        "RF-ONCE-0000001"
    );
    assert_eq!(
        refunds[0]["warnings"],
        json!([]),
        "the guard was honoured, not ignored"
    );
}
