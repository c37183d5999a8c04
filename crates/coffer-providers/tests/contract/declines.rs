//! Live declines from the Clover and ProcessOut sandboxes, read the way the policy reads them:
//! the raw code stays the provider's, the decline table's reading travels with the error, and
//! `network_limits::never_retry_from` decides whether the card may ever be tried again.
//! (Clover's and ProcessOut's stop-payment codes have no seeded test card; their table rows are
//! unit-tested in each provider's `errors.rs`. Assist's stop-payment card, a Mastercard advice
//! code 21 on the order, and its MAC 03 card are held in `assist.rs`
//! (`every_test_card_declines_with_assists_own_code_its_kind_and_its_advice_code`); Svea's test
//! cards in `svea.rs`.)

use coffer_core::policy::network_limits::{never_retry_from, DeclineMeaning, VisaCategory};
use coffer_core::CardBrand;
use coffer_providers::{ProviderError, ProviderErrorKind};

fn reading(error: &ProviderError) -> DeclineMeaning {
    error
        .decline
        .as_ref()
        .map(|d| d.meaning)
        .expect("every decline carries its table reading")
}

#[tokio::test]
async fn a_processout_hard_decline_is_declined_hard_and_the_card_is_never_retried() {
    let rig = super::processout::Rig::start(10).await;
    let (customer, card) = rig.special("Hard-Decline").await;
    let error = rig
        .client
        .charge(&super::processout::mit(&customer, &card, 1200, "dec-hard"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::DeclinedHard, "{error}");
    assert_eq!(
        error.provider_code.as_deref(),
        Some("card.stolen"),
        "the raw code is ProcessOut's own"
    );
    let meaning = reading(&error);
    assert_eq!(
        meaning.visa_category,
        VisaCategory::NeverApprove,
        "a stolen card is Visa category 1 (43)"
    );
    let decline = error.decline.as_ref().unwrap();
    assert!(
        decline.never_retry(&CardBrand::Visa).is_some(),
        "the policy refuses any retry on a Visa card"
    );
    assert!(
        decline
            .never_retry(&CardBrand::Visa)
            .is_some_and(|n| !n.stops_contract),
        "a stolen card ends the card, not the cardholder's contract"
    );
}

#[tokio::test]
async fn a_processout_soft_decline_is_retryable_within_the_limits() {
    let rig = super::processout::Rig::start(10).await;
    let (customer, card) = rig.special("Soft-Decline").await;
    let error = rig
        .client
        .charge(&super::processout::mit(&customer, &card, 1200, "dec-soft"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ProviderErrorKind::DeclinedSoft, "{error}");
    assert_eq!(error.provider_code.as_deref(), Some("card.no-money"));
    assert_eq!(
        reading(&error).visa_category,
        VisaCategory::NotNow,
        "insufficient funds is Visa category 2 (51)"
    );
    for brand in [CardBrand::Visa, CardBrand::Mastercard] {
        assert_eq!(
            error.decline.as_ref().unwrap().never_retry(&brand),
            None,
            "a soft decline is retried, counted under the networks' limits"
        );
    }
}

#[tokio::test]
async fn a_clover_decline_without_a_reason_is_the_stated_assumption_and_a_hard_one_is_never_retried(
) {
    let env = super::clover::Env::start().await;
    let client = env.client(0);
    let (customer, token) = env.card(0).await;
    let soft = client
        .charge(&super::clover::request(
            &customer,
            &token,
            super::clover::unscheduled_mit(),
            "dec-clover-soft",
            900,
        ))
        .await
        .unwrap_err();
    assert_eq!(soft.kind, ProviderErrorKind::DeclinedSoft, "{soft}");
    assert_eq!(soft.provider_code.as_deref(), Some("issuer_declined"));
    assert_eq!(
        reading(&soft),
        DeclineMeaning::UNKNOWN_SOFT,
        "Clover names no reason: soft, Visa's generic category 4"
    );
    assert_eq!(
        never_retry_from(&CardBrand::Visa, &soft.decline.as_ref().unwrap().signals()),
        None,
        "retried within the limits"
    );

    let (customer, token) = env.card(1).await;
    let hard = client
        .charge(&super::clover::request(
            &customer,
            &token,
            super::clover::unscheduled_mit(),
            "dec-clover-hard",
            900,
        ))
        .await
        .unwrap_err();
    assert_eq!(hard.kind, ProviderErrorKind::DeclinedHard, "{hard}");
    assert!(reading(&hard).hard);
    assert!(
        hard.decline
            .as_ref()
            .unwrap()
            .never_retry(&CardBrand::Visa)
            .is_some(),
        "the sandbox's stolen card is Visa category 1: never retried"
    );
    assert_eq!(
        hard.decline.as_ref().unwrap().network_code,
        None,
        "Clover passes no network code on"
    );
}
