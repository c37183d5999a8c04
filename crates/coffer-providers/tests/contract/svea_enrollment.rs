//! Svea's enrollment through its own card page (issue 25) against the sandbox over real HTTP:
//! the page started server-to-server, the sandbox's page filled as a browser would, and the
//! confirmation by the status query plus the browser's return, whose token must agree with the
//! status query's mask. A forged return never confirms; a paid page without its return waits
//! for it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::{Duration, Utc};
use coffer_core::{CustomerRef, EnrollmentMode, Environment, IdempotencyKey, InitialKind, Reason};
use coffer_providers::svea::{SveaAuth, SveaHash};
use coffer_providers::{
    EnrollmentPage, EnrollmentRequest, EnrollmentSeen, HostedEnrollment, ProviderErrorKind,
    RemoteStatus, SandboxCardholder,
};
use secrecy::SecretString;

use crate::svea::{buyer, charge_request, eur, setup};

const RETURN_URL: &str = "https://coffer.invalid/enroll/21/return";

fn request(order: &str, minor: i64) -> EnrollmentRequest {
    EnrollmentRequest {
        order_id: order.into(),
        customer: Some(CustomerRef("Matti Virtanen".into())),
        name: "Matti Virtanen".into(),
        email: Some("matti@example.fi".into()),
        buyer: Some(buyer()),
        amount: eur(minor),
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

/// Starts the page: its address and `pmt_id`.
async fn start(
    client: &dyn HostedEnrollment,
    request: &EnrollmentRequest,
) -> (EnrollmentPage, String) {
    let started = client.start_enrollment(request).await.unwrap();
    let pmt_id = started
        .pending_ref
        .expect("the pmt_id is the pending reference");
    (started.page, pmt_id)
}

fn with(returned: &[(String, String)], name: &str, value: &str) -> Vec<(String, String)> {
    let mut changed: Vec<(String, String)> = returned
        .iter()
        .filter(|(k, _)| k != name)
        .cloned()
        .collect();
    changed.push((name.to_string(), value.to_string()));
    changed
}

fn value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test]
async fn pay_and_tokenize_confirms_and_the_token_then_charges() {
    let s = setup().await;
    let provider = s.client();
    let client = provider.hosted_enrollment().expect("Svea enrolls cards");
    let request = request("ENR-SVEA-PAY", 990);
    let (page, pmt_id) = start(client, &request).await;
    let EnrollmentPage::Provider { url } = &page else {
        panic!("Svea's page is its own");
    };
    assert!(url.contains("card-page"), "{url}");
    assert_eq!(
        client
            .confirm_enrollment(&request, Some(&pmt_id), None)
            .await
            .unwrap(),
        EnrollmentSeen::Waiting,
        "nothing done on the page yet"
    );
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    assert_eq!(value(&returned, "svea_return"), Some("ok"), "{returned:?}");
    let token = value(&returned, "pmt_token")
        .expect("the return's token")
        .to_string();

    // Paid, but without the browser's return the token is not known.
    let seen = client
        .confirm_enrollment(&request, Some(&pmt_id), None)
        .await
        .unwrap();
    assert!(
        matches!(seen, EnrollmentSeen::AwaitingReturn { .. }),
        "{seen:?}"
    );

    let seen = client
        .confirm_enrollment(&request, Some(&pmt_id), Some(&returned))
        .await
        .unwrap();
    let EnrollmentSeen::Confirmed { outcome, .. } = seen else {
        panic!("a paid page with its return confirms: {seen:?}");
    };
    assert_eq!(outcome.card.token.as_str(), token);
    assert_eq!(outcome.initial_ref.as_str(), pmt_id);
    assert_eq!(outcome.amount, request.amount);
    assert_eq!(outcome.kind, InitialKind::Recurring);
    assert_eq!(outcome.card.last4, "4242");
    // Again: the same answer, nothing charged twice.
    let again = client
        .confirm_enrollment(&request, Some(&pmt_id), Some(&returned))
        .await
        .unwrap();
    assert!(matches!(again, EnrollmentSeen::Confirmed { .. }));
    let paid = s
        .charges()
        .await
        .into_iter()
        .filter(|c| c["order_id"] == "ENR-SVEA-PAY")
        .count();
    assert_eq!(paid, 1, "one payment on the page");

    let mit = provider
        .charge(&charge_request("ENR-SVEA-MIT", &token, &pmt_id, eur(990)))
        .await
        .unwrap();
    assert_eq!(mit.status, RemoteStatus::Succeeded, "the token charges");
}

#[tokio::test]
async fn zero_tokenizes_only() {
    let s = setup().await;
    let provider = s.client();
    let client = provider.hosted_enrollment().unwrap();
    let request = request("ENR-SVEA-ZERO", 0);
    let (page, pmt_id) = start(client, &request).await;
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    let seen = client
        .confirm_enrollment(&request, Some(&pmt_id), Some(&returned))
        .await
        .unwrap();
    let EnrollmentSeen::Confirmed { outcome, .. } = seen else {
        panic!("a tokenization confirms: {seen:?}");
    };
    assert_eq!(outcome.amount, eur(0));
}

#[tokio::test]
async fn decline_fail_3ds_and_cancel_fail() {
    let s = setup().await;
    let provider = s.client();
    let client = provider.hosted_enrollment().unwrap();
    for (order, holder) in [
        ("ENR-SVEA-DECLINE", card("decline")),
        ("ENR-SVEA-3DS", card("fail_3ds")),
        (
            "ENR-SVEA-CANCEL",
            SandboxCardholder {
                test_card: "approve".into(),
                cancel: true,
            },
        ),
    ] {
        let request = request(order, 990);
        let (page, pmt_id) = start(client, &request).await;
        let returned = client.fill_sandbox_page(&page, &holder).await.unwrap();
        assert_ne!(value(&returned, "svea_return"), Some("ok"), "{order}");
        let seen = client
            .confirm_enrollment(&request, Some(&pmt_id), Some(&returned))
            .await
            .unwrap();
        assert!(
            matches!(seen, EnrollmentSeen::Failed { .. }),
            "{order}: {seen:?}"
        );
    }
}

#[tokio::test]
async fn a_forged_return_is_never_confirmed() {
    let s = setup().await;
    let provider = s.client();
    let client = provider.hosted_enrollment().unwrap();

    // Not paid: a made-up return for a page nobody completed.
    let unpaid = request("ENR-SVEA-UNPAID", 990);
    let (_, unpaid_id) = start(client, &unpaid).await;
    let made_up = vec![
        ("svea_return".to_string(), "ok".to_string()),
        ("pmt_id".to_string(), unpaid_id.clone()),
        ("pmt_amount".to_string(), "9,90".to_string()),
        (
            "pmt_token".to_string(),
            "0123456789abcdef0123456789abcdef".to_string(),
        ),
    ];
    assert_eq!(
        client
            .confirm_enrollment(&unpaid, Some(&unpaid_id), Some(&made_up))
            .await
            .unwrap(),
        EnrollmentSeen::Waiting
    );

    let request = request("ENR-SVEA-FORGED", 990);
    let (page, pmt_id) = start(client, &request).await;
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    let token = value(&returned, "pmt_token").unwrap().to_string();
    let other = request_for_other(client).await;
    let swapped: String = token.chars().rev().collect();
    let hashed = s.client_with(SveaAuth::Hash(SveaHash::Sha512), Default::default());
    let forgeries = [
        ("another token", with(&returned, "pmt_token", &swapped)),
        (
            "another payment's token",
            with(&returned, "pmt_token", &other),
        ),
        ("another pmt_id", with(&returned, "pmt_id", "ENR-SVEA-ELSE")),
        ("a bad hash", with(&returned, "pmt_hash", "00FF00FF")),
    ];
    for (what, forged) in &forgeries {
        let seen = client
            .confirm_enrollment(&request, Some(&pmt_id), Some(forged))
            .await
            .unwrap();
        assert!(
            matches!(seen, EnrollmentSeen::AwaitingReturn { .. }),
            "{what}: {seen:?}"
        );
    }
    let seen = hashed
        .confirm_enrollment(&request, Some(&pmt_id), Some(&forgeries[3].1))
        .await
        .unwrap();
    assert!(
        matches!(seen, EnrollmentSeen::AwaitingReturn { .. }),
        "a hash-mode client refuses a bad hash too: {seen:?}"
    );
    // The true return still confirms afterwards.
    assert!(matches!(
        client
            .confirm_enrollment(&request, Some(&pmt_id), Some(&returned))
            .await
            .unwrap(),
        EnrollmentSeen::Confirmed { .. }
    ));
}

/// The token of another completed page of the same seller.
async fn request_for_other(client: &dyn HostedEnrollment) -> String {
    let other = request("ENR-SVEA-OTHER", 500);
    let (page, _) = start(client, &other).await;
    let returned = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap();
    value(&returned, "pmt_token").unwrap().to_string()
}

#[tokio::test]
async fn a_live_merchants_page_is_never_filled() {
    let s = setup().await;
    let mut live = s.merchant.clone();
    live.environment = Environment::Live;
    let provider = coffer_providers::connect(&live, SecretString::from(s.secret.clone())).unwrap();
    let client = provider.hosted_enrollment().unwrap();
    let page = EnrollmentPage::Provider {
        url: format!("{}/card-page?s=x&id=y", s.merchant.base_url),
    };
    let error = client
        .fill_sandbox_page(&page, &SandboxCardholder::approving())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Unsupported);
}
