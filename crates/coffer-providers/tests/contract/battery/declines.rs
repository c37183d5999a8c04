//! The shared test cards' declines: soft or hard with the provider's own code, the declined
//! charge found again as declined, and the decline table's reading riding on the error.

use coffer_core::CardBrand;
use coffer_providers::{ProviderErrorKind, RemoteStatus};

use super::{ledger, lookup, Harness};

/// Each decline is the provider's kind and code with the declined charge's reference; a lookup
/// by order id and one by that reference both find it declined, hard or soft alike.
pub(crate) async fn declines_come_back_hard_or_soft_with_the_providers_code<H: Harness>() {
    let h = H::start().await;
    let facts = H::facts();
    let client = h.client();
    for (n, decline) in facts.declines.iter().enumerate() {
        let what = format!("{:?}", decline.behaviour);
        let request = h
            .charge_request(decline.behaviour, 0, &format!("BT-DECL-{n}"))
            .await;
        let error = client.charge(&request).await.unwrap_err();
        assert_eq!(error.kind, decline.kind, "{what}: {error}");
        assert_eq!(
            error.provider_code.as_deref(),
            Some(decline.code),
            "{what}: the raw code stays the provider's"
        );
        let reference = error
            .provider_ref
            .clone()
            .expect("a declined charge keeps the provider's reference");
        if facts.reference_is_order_id {
            assert_eq!(reference.as_str(), request.order_id, "{what}: the order id");
        }
        let found = client
            .find_charge(&lookup(&request, None))
            .await
            .unwrap()
            .expect("the provider keeps declined charges");
        assert_eq!(found.provider_ref, reference, "{what}");
        match &found.status {
            RemoteStatus::Declined { hard, code, .. } => {
                assert_eq!(
                    *hard,
                    decline.kind == ProviderErrorKind::DeclinedHard,
                    "{what}: a lookup reads the decline as the charge did"
                );
                assert_eq!(code.as_deref(), Some(decline.code), "{what}");
            }
            other => panic!("{what}: expected a decline, got {other:?}"),
        }
        let by_ref = client
            .find_charge(&lookup(&request, Some(reference.clone())))
            .await
            .unwrap()
            .map(|c| c.provider_ref);
        assert_eq!(by_ref, Some(reference), "{what}: found by its reference");
    }
}

/// Each decline carries its table row: the policy reads it to decide whether the card may ever
/// be tried again. A soft decline is retried within the networks' limits; none of the shared
/// test cards ends a contract. No test card moves money.
pub(crate) async fn declines_carry_their_table_reading_and_move_no_money<H: Harness>() {
    let h = H::start().await;
    let facts = H::facts();
    let client = h.client();
    for (n, expected) in facts.declines.iter().enumerate() {
        let what = format!("{:?} ({})", expected.behaviour, expected.code);
        let request = h
            .charge_request(expected.behaviour, 0, &format!("BT-READ-{n}"))
            .await;
        let error = client.charge(&request).await.unwrap_err();
        let decline = error
            .decline
            .as_ref()
            .expect("every decline carries its table reading");
        assert_eq!(
            decline.meaning, expected.reading,
            "{what}: the errors.rs table row"
        );
        assert_eq!(
            (
                decline.network_code.as_deref(),
                decline.merchant_advice_code.as_deref()
            ),
            (None, None),
            "{what}: the sandbox's test cards pass no network or advice code on"
        );
        for brand in [CardBrand::Visa, CardBrand::Mastercard] {
            let never = decline.never_retry(&brand);
            assert!(
                never.as_ref().is_none_or(|n| !n.stops_contract),
                "{what}: a test card ends the card at most, never the cardholder's contract"
            );
            if expected.kind == ProviderErrorKind::DeclinedSoft {
                assert_eq!(
                    never, None,
                    "{what}: a soft decline is retried within the networks' limits"
                );
            }
        }
        assert_eq!(
            decline.never_retry(&CardBrand::Visa).is_some(),
            expected.never_retried_on_visa,
            "{what}: whether Visa's rules forbid any retry of the card"
        );
    }
    let ledger = ledger(&h).await;
    assert!(
        ledger.iter().all(|row| row["status"] == "declined"),
        "no declined test card may move money: {ledger:?}"
    );
}
