//! Svea's card page: the initial transaction a cardholder completes on Svea's own page, in
//! the sandbox, and every way its return may fail or be forged.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers: a panic is the failure report

use super::*;

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
