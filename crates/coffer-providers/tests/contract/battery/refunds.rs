//! Refunds: part, then the rest, then nothing more; each step read back with `find_refund` in
//! the form the provider keeps (each refund, the sum, or only how much).

use coffer_core::{IdempotencyKey, Money, ProviderRef};
use coffer_providers::{
    ProviderErrorKind, RefundExtent, RefundLookup, RefundOutcome, RefundRequest, RefundsSeen,
    RemoteStatus,
};
use coffer_sandbox::seed::CardBehaviour;

use super::{assert_refused, ledger, lookup, Harness, Seen};

/// What `find_refund` must answer for refund `this` when `refunded` of `charged` is returned.
fn expected_seen(
    seen: Seen,
    this: Option<&RefundOutcome>,
    refunded: Money,
    charged: Money,
) -> RefundsSeen {
    match seen {
        Seen::Exact => RefundsSeen::Exact(this.cloned()),
        Seen::Total => RefundsSeen::Total(refunded),
        Seen::Extent => RefundsSeen::Extent(match refunded.minor {
            0 => RefundExtent::None,
            m if m < charged.minor => RefundExtent::Part,
            _ => RefundExtent::Whole,
        }),
    }
}

/// A partial refund, a refused one for more than is left, the rest, and a refused one after
/// everything was returned; two refunds in the ledger, the charge still made, and a refund of a
/// charge the provider never made is `NotFound`.
pub(crate) async fn refunds_part_then_the_rest_then_refuse_more<H: Harness>() {
    let h = H::start().await;
    let facts = H::facts();
    let client = h.client();
    let request = h.charge_request(CardBehaviour::Approve, 0, "BT-REF").await;
    let charge = client.charge(&request).await.unwrap();
    let charged = request.amount;
    let money = |minor: i64| Money::from_minor(minor, charged.currency);
    let part = money(charged.minor * 2 / 5);
    let rest = money(charged.minor - part.minor);
    let refund = |amount: Money, n: u32| RefundRequest {
        charge_ref: charge.provider_ref.clone(),
        order_id: request.order_id.clone(),
        amount,
        charge_amount: charged,
        idempotency_key: IdempotencyKey(format!("BT-REF-R{n}")),
        refund_id: format!("RF-BT-{n:07}"),
    };
    let find = |amount: Money, n: u32| {
        let r = refund(amount, n);
        RefundLookup {
            sent_at: chrono::Utc::now() - chrono::Duration::minutes(5),
            charge_ref: r.charge_ref,
            order_id: r.order_id,
            charge_amount: r.charge_amount,
            amount: r.amount,
            refund_id: r.refund_id,
        }
    };
    assert_eq!(
        client.find_refund(&find(part, 1)).await.unwrap(),
        expected_seen(facts.refunds_seen, None, money(0), charged),
        "nothing refunded yet"
    );

    let first = client.refund(&refund(part, 1)).await.unwrap();
    assert_eq!(first.amount, part);
    if let Some(prefix) = facts.refund_ref_prefix {
        assert!(
            first.provider_ref.as_str().starts_with(prefix),
            "a refund reference: {}",
            first.provider_ref
        );
    }
    if facts.refund_key_replayed {
        let again = client.refund(&refund(part, 1)).await.unwrap();
        assert_eq!(
            again.provider_ref, first.provider_ref,
            "the same key refunds once"
        );
    }
    assert_eq!(
        client.find_refund(&find(part, 1)).await.unwrap(),
        expected_seen(facts.refunds_seen, Some(&first), part, charged),
        "a made refund is seen"
    );

    let over = money(rest.minor + 1);
    let error = client.refund(&refund(over, 2)).await.unwrap_err();
    assert_refused("a refund of more than is left", &error, &facts.refund_over);
    assert_eq!(
        client.find_refund(&find(over, 2)).await.unwrap(),
        expected_seen(facts.refunds_seen, None, part, charged),
        "a refused refund was never made"
    );

    let second = client.refund(&refund(rest, 3)).await.unwrap();
    assert_eq!(second.amount, rest);
    if facts.reference_is_order_id {
        assert_eq!(
            second.provider_ref.as_str(),
            request.order_id,
            "Svea names a refund by the payment's pmt_id"
        );
    } else {
        assert_ne!(
            second.provider_ref, first.provider_ref,
            "a refund of its own"
        );
    }
    assert_eq!(
        client.find_refund(&find(rest, 3)).await.unwrap(),
        expected_seen(facts.refunds_seen, Some(&second), charged, charged),
        "the whole charge is returned"
    );

    let error = client.refund(&refund(money(1), 4)).await.unwrap_err();
    assert_refused(
        "a refund of a wholly refunded charge",
        &error,
        &facts.refund_after_whole,
    );

    let refunds: Vec<i64> = ledger(&h)
        .await
        .iter()
        .filter(|row| row["kind"] == "refund")
        .map(|row| row["amount_minor"].as_i64().unwrap())
        .collect();
    assert_eq!(
        refunds,
        [part.minor, rest.minor],
        "two refunds, the refused ones not among them"
    );
    let found = client
        .find_charge(&lookup(&request, None))
        .await
        .unwrap()
        .map(|c| c.status);
    assert_eq!(
        found,
        Some(RemoteStatus::Succeeded),
        "a refunded charge was still made"
    );
    let missing = RefundRequest {
        charge_ref: ProviderRef(facts.unknown_charge_ref.into()),
        order_id: facts.unknown_charge_ref.into(),
        ..refund(money(100), 5)
    };
    assert_eq!(
        client.refund(&missing).await.unwrap_err().kind,
        ProviderErrorKind::NotFound,
        "no such charge"
    );
}
