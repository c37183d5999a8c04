//! Requests the provider refuses before money moves, the same charge sent twice, and a lookup
//! of what was never sent.

use coffer_core::{Currency, Money};
use coffer_providers::{ProviderErrorKind, ResendRule};
use coffer_sandbox::seed::CardBehaviour;

use super::{assert_refused, charges_of, ledger, lookup, Harness};

/// A field the provider refuses is `InvalidRequest` naming it (the engine shows the field),
/// and a currency the account does not take is refused too; nothing is charged.
pub(crate) async fn an_invalid_field_is_an_invalid_request_naming_it<H: Harness>() {
    let h = H::start().await;
    let client = h.client();
    let valid = h
        .charge_request(CardBehaviour::Approve, 0, "BT-VALID")
        .await;
    let invalid = h.invalid_requests(&valid);
    assert!(!invalid.is_empty(), "each provider refuses some field");
    for (request, refusal) in invalid {
        let error = client.charge(&request).await.unwrap_err();
        assert_refused(&format!("order {}", request.order_id), &error, &refusal);
    }
    let currencies = client.capabilities().currencies;
    if !currencies.is_empty() {
        let other = [Currency::USD, Currency::EUR]
            .into_iter()
            .find(|c| !currencies.contains(c))
            .unwrap();
        let mut foreign = h
            .charge_request(CardBehaviour::Approve, 0, "BT-CURRENCY")
            .await;
        foreign.amount = Money::from_minor(foreign.amount.minor, other);
        let error = client.charge(&foreign).await.unwrap_err();
        assert!(
            matches!(error.kind, ProviderErrorKind::InvalidRequest { .. }),
            "the account charges in {currencies:?} only, not {other}: {error}"
        );
    }
    assert!(
        ledger(&h).await.is_empty(),
        "a refused request charged nothing"
    );
}

/// The same key and order id with another body is `Duplicate`: the engine looks it up and never
/// marks it failed. The same request again is answered with the first charge where the
/// provider replays keys, and is a `Duplicate` elsewhere: either way it charges once.
pub(crate) async fn a_reused_id_with_another_body_is_a_duplicate_and_a_resend_charges_once<
    H: Harness,
>() {
    let h = H::start().await;
    let client = h.client();
    let first = h.charge_request(CardBehaviour::Approve, 0, "BT-DUP").await;
    let made = client.charge(&first).await.unwrap();
    let mut other = first.clone();
    other.amount = Money::from_minor(first.amount.minor - 1, first.amount.currency);
    let error = client.charge(&other).await.unwrap_err();
    assert_eq!(
        error.kind,
        ProviderErrorKind::Duplicate,
        "the id was used: look it up, never a failure ({error})"
    );
    assert!(
        error.kind.outcome_unknown(),
        "the engine must not mark it failed"
    );
    assert_eq!(ledger(&h).await.len(), 1, "the second body charged nothing");
    let again = client.charge(&first).await;
    match client.capabilities().resend {
        ResendRule::SameKey { .. } => {
            let again = again.expect("the same request under the same key is replayed");
            assert_eq!(again.provider_ref, made.provider_ref, "the first charge");
            assert_eq!(again.amount, first.amount);
        }
        ResendRule::SameOrderId | ResendRule::Never => assert_eq!(
            again.unwrap_err().kind,
            ProviderErrorKind::Duplicate,
            "the provider's guard refuses the order id a second time"
        ),
    }
    let all = ledger(&h).await;
    assert_eq!(charges_of(&all, &first).len(), 1, "a resend charges once");
    assert_eq!(all.len(), 1, "and nothing else");
}

/// A lookup of an order the provider never saw is `None`: absence, not an error.
pub(crate) async fn a_lookup_of_an_order_never_sent_is_none<H: Harness>() {
    let h = H::start().await;
    let never = h
        .charge_request(CardBehaviour::Approve, 0, "BT-NEVER")
        .await;
    assert_eq!(
        h.client().find_charge(&lookup(&never, None)).await.unwrap(),
        None,
        "a charge never sent is not there"
    );
}
