//! Clover's hosted enrollment (issue 25) against its sandbox over real HTTP: the page, the
//! sandbox's card fields filled as a browser would, and the server-side confirmation (customer
//! with the token, FIRST charge) that a forged return never passes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use coffer_core::{
    CardBrand, CustomerRef, EnrollmentMode, Environment, IdempotencyKey, InitialKind, Money,
    Reason, StoredCredential,
};
use coffer_providers::clover::CloverClient;
use coffer_providers::{
    EnrollmentPage, EnrollmentRequest, EnrollmentSeen, HostedEnrollment, ProviderErrorKind,
    RemoteStatus, SandboxCardholder,
};
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::clover::{request, Env};

const RETURN_URL: &str = "https://coffer.invalid/enroll/7/return";

fn enrollment(order: &str, customer: Option<CustomerRef>) -> EnrollmentRequest {
    EnrollmentRequest {
        order_id: order.into(),
        customer,
        name: "Ana Lopes".into(),
        email: Some(format!("{order}@example.org")),
        buyer: None,
        amount: Money::from_minor(1250, coffer_core::Currency::USD),
        reason: Reason::Recurring,
        registered: None,
        mode: EnrollmentMode::Counter,
        return_url: RETURN_URL.into(),
        expires_at: Utc::now() + Duration::minutes(30),
        idempotency_key: IdempotencyKey(format!("key-{order}")),
    }
}

fn card(test_card: &str) -> SandboxCardholder {
    SandboxCardholder {
        test_card: test_card.into(),
        cancel: false,
    }
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Opens the page and fills it with `holder`: the page and the return's pairs.
async fn fill(
    client: &dyn HostedEnrollment,
    request: &EnrollmentRequest,
    holder: &SandboxCardholder,
) -> (EnrollmentPage, Vec<(String, String)>) {
    let started = client.start_enrollment(request).await.unwrap();
    assert_eq!(started.pending_ref, None, "nothing is opened at Clover");
    let returned = client
        .fill_sandbox_page(&started.page, holder)
        .await
        .unwrap();
    (started.page, returned)
}

/// The ledger's charges of one order.
async fn charges_of(env: &Env, order: &str) -> Vec<Value> {
    env.ledger()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == order)
        .collect()
}

#[tokio::test]
async fn approve_confirms_the_card_and_a_later_mit_is_accepted_against_its_initial() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().expect("Clover enrolls cards");
    let order = "enr-approve";
    let request = enrollment(order, None);
    let (_, returned) = fill(client, &request, &SandboxCardholder::approving()).await;
    assert_eq!(returned.len(), 1);
    assert_eq!(returned[0].0, "token");
    assert!(returned[0].1.starts_with("clv_"), "{returned:?}");

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
        panic!("an approved enrollment is confirmed: {seen:?}");
    };
    assert_eq!(registered, None);
    let customer = customer.expect("a new customer was created at Clover");
    assert_eq!(outcome.kind, InitialKind::Recurring, "MIT-ready");
    assert_eq!(outcome.amount, request.amount);
    assert_eq!(outcome.card.last4, "4242");
    assert_eq!(outcome.card.brand, CardBrand::Visa);
    assert_eq!(outcome.card.bin.as_deref(), Some("424242"));
    assert_eq!(
        outcome.card.token.as_str(),
        returned[0].1,
        "the page's token became the customer's multi-pay token"
    );
    let saved = provider.cards_of(&customer).await.unwrap();
    assert!(
        saved.iter().any(|c| c.token == outcome.card.token),
        "Clover keeps the card on the new customer"
    );

    let ledger = charges_of(&env, order).await;
    assert_eq!(ledger.len(), 1, "one FIRST charge: {ledger:?}");
    assert_eq!(
        ledger[0]["stored_credential"],
        json!({"sequence": "FIRST", "initiator": "CARDHOLDER", "is_scheduled": true})
    );

    let mit = provider
        .charge(&request_for(&customer, &outcome, "enr-approve-mit"))
        .await
        .unwrap();
    assert_eq!(mit.status, RemoteStatus::Succeeded);
    assert!(
        mit.warnings.is_empty(),
        "the MIT links the enrollment's initial: {:?}",
        mit.warnings
    );
}

fn request_for(
    customer: &CustomerRef,
    outcome: &coffer_providers::InitialOutcome,
    key: &str,
) -> coffer_providers::ChargeRequest {
    request(
        customer,
        &outcome.card.token,
        StoredCredential::merchant_initiated(Reason::Recurring, outcome.initial_ref.clone()),
        key,
        1250,
    )
}

#[tokio::test]
async fn a_second_confirmation_and_a_lookup_find_the_first_charge_instead_of_charging_again() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();
    let order = "enr-twice";
    let request = enrollment(order, None);
    let (_, returned) = fill(client, &request, &SandboxCardholder::approving()).await;
    let first = client
        .confirm_enrollment(&request, None, Some(&returned))
        .await
        .unwrap();
    let again = client
        .confirm_enrollment(&request, None, Some(&returned))
        .await
        .unwrap();
    let lookup = client
        .confirm_enrollment(&request, None, None)
        .await
        .unwrap();
    assert!(
        matches!(first, EnrollmentSeen::Confirmed { .. }),
        "{first:?}"
    );
    assert_eq!(again, first, "the second return finds the same charge");
    assert_eq!(lookup, first, "a lookup without a return finds it too");
    assert_eq!(
        charges_of(&env, order).await.len(),
        1,
        "charged once whatever the number of confirmations"
    );
}

#[tokio::test]
async fn a_retry_after_the_customer_was_saved_but_before_the_charge_finishes_the_enrollment() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();
    let request = enrollment("enr-crash", None);
    let (_, returned) = fill(client, &request, &SandboxCardholder::approving()).await;
    // As a confirmation that crashed after its customer write: the token is saved already.
    let saved: Value = reqwest::Client::new()
        .post(format!("{}/v1/customers", env.merchant(0).base_url))
        .bearer_auth(env.secret(0))
        .json(&json!({"email": request.email, "firstName": "Ana", "source": returned[0].1}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seen = client
        .confirm_enrollment(&request, None, Some(&returned))
        .await
        .unwrap();
    let EnrollmentSeen::Confirmed { customer, .. } = seen else {
        panic!("the retry finishes the enrollment: {seen:?}");
    };
    assert_eq!(
        customer.unwrap().as_str(),
        saved["id"].as_str().unwrap(),
        "the customer the first attempt created, found by its e-mail and the token"
    );
    assert_eq!(charges_of(&env, "enr-crash").await.len(), 1);
}

#[tokio::test]
async fn a_known_customer_gets_the_card_added_and_no_new_customer() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();
    let (customer, _) = env.card(env.usable(false, 0)).await;
    let request = enrollment("enr-known", Some(customer.clone()));
    let (_, returned) = fill(client, &request, &SandboxCardholder::approving()).await;
    let seen = client
        .confirm_enrollment(&request, None, Some(&returned))
        .await
        .unwrap();
    let EnrollmentSeen::Confirmed {
        outcome,
        customer: created,
        ..
    } = seen
    else {
        panic!("{seen:?}");
    };
    assert_eq!(created, None, "the customer was known already");
    assert!(provider
        .cards_of(&customer)
        .await
        .unwrap()
        .iter()
        .any(|c| c.token == outcome.card.token));
}

#[tokio::test]
async fn decline_fail_3ds_and_cancel_fail_and_an_unfinished_page_waits() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();

    let declined = enrollment("enr-decline", None);
    let (_, returned) = fill(client, &declined, &card("decline")).await;
    let seen = client
        .confirm_enrollment(&declined, None, Some(&returned))
        .await
        .unwrap();
    assert!(
        matches!(seen, EnrollmentSeen::Failed { ref reason } if reason.contains("declined")),
        "{seen:?}"
    );
    let ledger = charges_of(&env, "enr-decline").await;
    assert_eq!(ledger.len(), 1, "the FIRST charge was tried once");
    assert_ne!(ledger[0]["status"], "succeeded");
    let again = client
        .confirm_enrollment(&declined, None, Some(&returned))
        .await
        .unwrap();
    assert!(
        matches!(again, EnrollmentSeen::Failed { ref reason } if reason.contains("declined")),
        "the declined FIRST charge is found again, not retried: {again:?}"
    );
    assert_eq!(charges_of(&env, "enr-decline").await.len(), 1);

    let three_ds = enrollment("enr-3ds", None);
    let (_, returned) = fill(client, &three_ds, &card("fail_3ds")).await;
    assert_eq!(returned[0].0, "error", "the fields refuse: {returned:?}");
    let seen = client
        .confirm_enrollment(&three_ds, None, Some(&returned))
        .await
        .unwrap();
    assert!(matches!(seen, EnrollmentSeen::Failed { .. }), "{seen:?}");

    let cancelled = enrollment("enr-cancel", None);
    let holder = SandboxCardholder {
        test_card: "approve".into(),
        cancel: true,
    };
    let (_, returned) = fill(client, &cancelled, &holder).await;
    assert_eq!(returned, pairs(&[("cancelled", "1")]));
    let seen = client
        .confirm_enrollment(&cancelled, None, Some(&returned))
        .await
        .unwrap();
    assert!(matches!(seen, EnrollmentSeen::Failed { .. }), "{seen:?}");

    let open = enrollment("enr-open", None);
    client.start_enrollment(&open).await.unwrap();
    assert_eq!(
        client.confirm_enrollment(&open, None, None).await.unwrap(),
        EnrollmentSeen::Waiting,
        "nothing at Clover yet"
    );
    assert_eq!(
        client
            .confirm_enrollment(&open, None, Some(&[]))
            .await
            .unwrap(),
        EnrollmentSeen::Waiting
    );
    for order in ["enr-3ds", "enr-cancel", "enr-open"] {
        assert!(
            charges_of(&env, order).await.is_empty(),
            "{order} charged nothing"
        );
    }
}

#[tokio::test]
async fn a_forged_return_is_never_confirmed() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();

    let request = enrollment("enr-forged", None);
    client.start_enrollment(&request).await.unwrap();
    for forged in [
        pairs(&[("token", "clv_1TSTTmadeupmadeupmadeup00")]),
        pairs(&[("token", "not-a-token")]),
        pairs(&[("status", "succeeded"), ("id", "H100000000001")]),
        pairs(&[("ref_num", "300000000001")]),
    ] {
        let seen = client
            .confirm_enrollment(&request, None, Some(&forged))
            .await
            .unwrap();
        assert!(
            !matches!(seen, EnrollmentSeen::Confirmed { .. }),
            "{forged:?} was confirmed: {seen:?}"
        );
    }
    let seen = client
        .confirm_enrollment(
            &request,
            None,
            Some(&pairs(&[("token", "clv_1TSTTmadeupmadeupmadeup00")])),
        )
        .await
        .unwrap();
    assert!(
        matches!(seen, EnrollmentSeen::Failed { ref reason } if reason.contains("No such token")),
        "Clover's reason for an unknown token: {seen:?}"
    );

    // A real return of another order, once that order was confirmed.
    let other = enrollment("enr-other", None);
    let (_, returned) = fill(client, &other, &SandboxCardholder::approving()).await;
    let confirmed = client
        .confirm_enrollment(&other, None, Some(&returned))
        .await
        .unwrap();
    assert!(matches!(confirmed, EnrollmentSeen::Confirmed { .. }));
    let seen = client
        .confirm_enrollment(&request, None, Some(&returned))
        .await
        .unwrap();
    assert!(
        matches!(seen, EnrollmentSeen::Failed { .. }),
        "another order's token is used up and not this customer's: {seen:?}"
    );
    assert!(charges_of(&env, "enr-forged").await.is_empty());
}

#[tokio::test]
async fn the_page_loads_clovers_sdk_from_the_checkout_host_and_carries_no_secret() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();
    let mut request = enrollment("enr-page", None);
    request.name = "Ana </script><script>alert(1)</script> \"Lopes\"".into();
    request.return_url = "https://coffer.invalid/enroll/7/return?a=\"</script>".into();
    let started = client.start_enrollment(&request).await.unwrap();
    let EnrollmentPage::Hosted { html } = &started.page else {
        panic!("Clover's enrollment is a hosted page");
    };
    let base = env.merchant(0).base_url;
    assert!(
        html.contains(&format!("<script src=\"{base}/sdk.js\"></script>")),
        "the SDK by absolute URL from the sandbox's checkout path"
    );
    let pakms = env.merchants_pakms_key(0);
    assert!(
        html.contains(&pakms),
        "the public PAKMS key opens the fields"
    );
    assert!(
        !html.contains(&env.secret(0)),
        "the OAuth token never appears in the page"
    );
    assert!(!html.contains("<link"), "no external CSS");
    assert!(
        !html.contains("<script>alert(1)"),
        "the customer's name is escaped"
    );
    assert_eq!(
        html.matches("</script>").count(),
        3,
        "only the page's own scripts close: the return URL cannot end the JSON block"
    );
    // The robot still reads the configuration back, with the return URL as given.
    let returned = client
        .fill_sandbox_page(&started.page, &SandboxCardholder::approving())
        .await
        .unwrap();
    assert_eq!(returned[0].0, "token");
}

#[tokio::test]
async fn a_live_merchants_page_is_never_filled_and_bad_requests_are_refused_up_front() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();
    let started = client
        .start_enrollment(&enrollment("enr-live", None))
        .await
        .unwrap();
    let mut live = env.merchant(0);
    live.environment = Environment::Live;
    let live_client = CloverClient::new(&live, SecretString::from(env.secret(0))).unwrap();
    let refused = live_client
        .fill_sandbox_page(&started.page, &SandboxCardholder::approving())
        .await
        .unwrap_err();
    assert_eq!(refused.kind, ProviderErrorKind::Unsupported);

    let mut zero = enrollment("enr-zero", None);
    zero.amount = Money::from_minor(0, coffer_core::Currency::USD);
    let refused = client.start_enrollment(&zero).await.unwrap_err();
    assert_eq!(
        refused.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("amount".into())
        },
        "Clover documents no $0 verification"
    );
    let mut anonymous = enrollment("enr-anon", None);
    anonymous.email = None;
    let refused = client.start_enrollment(&anonymous).await.unwrap_err();
    assert_eq!(
        refused.kind,
        ProviderErrorKind::InvalidRequest {
            field: Some("email".into())
        },
        "Clover's card-on-file customer needs an e-mail"
    );
}

/// The page in a real browser: Chromium opens it from a file (an opaque origin, as the app's
/// custom scheme is), Clover's SDK mounts the sandbox's card fields, "Save card" is pressed, and
/// the browser is sent to the return URL with a token that the confirmation accepts.
#[tokio::test]
#[ignore = "needs a Chromium at /usr/bin/chromium: scripts/test.sh installs it and runs this with --ignored"]
async fn the_page_works_in_a_real_browser_from_an_opaque_origin() {
    let env = Env::start().await;
    let provider = env.client(0);
    let client = provider.hosted_enrollment().unwrap();
    let back = crate::browser::ReturnPage::bind().await;
    let mut request = enrollment("enr-browser", None);
    request.return_url = format!("{}/return", back.origin);
    let started = client.start_enrollment(&request).await.unwrap();
    let EnrollmentPage::Hosted { html } = &started.page else {
        panic!("a hosted page");
    };
    let (target, returned) = back.after_save(html, "clover-enroll").await;
    assert_eq!(returned.len(), 1, "{target}");
    assert_eq!(returned[0].0, "token", "{target}");
    let seen = client
        .confirm_enrollment(&request, None, Some(&returned))
        .await
        .unwrap();
    assert!(matches!(seen, EnrollmentSeen::Confirmed { .. }), "{seen:?}");
}
