//! Credentials and capabilities: the first calls the engine makes with a new account.

use coffer_providers::ProviderErrorKind;

use super::Harness;

/// The seeded secret opens the account; another is `Auth` with the provider's code, and no
/// message shows either secret.
pub(crate) async fn credentials_are_accepted_and_another_secret_is_refused<H: Harness>() {
    let h = H::start().await;
    let facts = H::facts();
    let client = h.client();
    assert_eq!(client.kind(), facts.kind, "the client says which provider");
    client
        .check_credentials()
        .await
        .expect("the seeded secret opens the account");
    let error = h
        .client_with_secret(facts.wrong_secret)
        .check_credentials()
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::Auth, "{error}");
    if let Some(code) = facts.auth_code {
        assert_eq!(
            error.provider_code.as_deref(),
            Some(code),
            "the provider's own refusal code is kept"
        );
    }
    assert!(
        !error.message.contains(facts.wrong_secret) && !error.message.contains(&h.secret()),
        "no secret in messages: {error}"
    );
}

/// `capabilities()` is data the engine and the UI branch on, so each flag is the provider's;
/// what a provider cannot do is `Unsupported`, never an empty answer.
pub(crate) async fn capabilities_say_what_the_provider_can_do<H: Harness>() {
    let h = H::start().await;
    let expected = H::facts().capabilities;
    let client = h.client();
    let caps = client.capabilities();
    assert_eq!(
        (
            caps.lists_customers,
            caps.cards_by_customer,
            caps.idempotency_key,
            caps.partial_refunds,
            caps.initial_needs_card_page,
        ),
        (
            expected.lists_customers,
            expected.cards_by_customer,
            expected.idempotency_key,
            expected.partial_refunds,
            expected.initial_needs_card_page,
        ),
        "(lists customers, cards by customer, idempotency key, partial refunds, card page)"
    );
    assert_eq!(caps.currencies, expected.currencies);
    assert_eq!(
        caps.resend, expected.resend,
        "when an unknown outcome may be sent again"
    );
    if !caps.lists_customers {
        assert_eq!(
            client.list_customers(None, 50).await.unwrap_err().kind,
            ProviderErrorKind::Unsupported,
            "no listing: the register is Coffer's"
        );
    }
    if !caps.lists_customers && !caps.cards_by_customer {
        assert_eq!(
            client
                .cards_of(&coffer_core::CustomerRef("x".into()))
                .await
                .unwrap_err()
                .kind,
            ProviderErrorKind::Unsupported,
            "no card listing at all"
        );
    }
    if !caps.initial_needs_card_page {
        assert_eq!(
            client.finish_initial("x", &[]).await.unwrap_err().kind,
            ProviderErrorKind::Unsupported,
            "no card page to come back from"
        );
    }
}
