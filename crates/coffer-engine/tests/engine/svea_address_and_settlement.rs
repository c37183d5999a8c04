//! Svea's compulsory buyer address and its refunds after settlement (issue 20), through the
//! engine against the sandbox.

use coffer_core::{
    AttemptId, CardId, ChargeState, CustomerId, ProviderAccount, Reason, SveaAccount,
};
use coffer_engine::charge::ChargeInput;
use coffer_engine::consent::InitialInput;
use coffer_engine::error::ErrorKind;
use coffer_engine::refunds::RefundInput;

use crate::world::{ready, World};

fn recurring(card: i64, amount: &str) -> ChargeInput {
    ChargeInput {
        card: CardId(card),
        amount: amount.into(),
        reason: Reason::Recurring,
        merchant: None,
        idempotency_key: None,
        description: None,
        confirm_large: false,
    }
}

fn refund(charge: AttemptId, amount: &str) -> RefundInput {
    RefundInput {
        charge,
        amount: Some(amount.into()),
        idempotency_key: None,
    }
}

#[tokio::test]
async fn a_svea_customer_without_an_address_is_refused_with_the_reason_and_with_one_is_charged() {
    let world = World::new().await;
    let helsinki = world.merchant("svea", 0).await;
    let card = world.card(helsinki, ready).await;
    let customer = world
        .engine
        .customer(CustomerId(card.customer_id))
        .await
        .unwrap();
    let address = customer
        .address
        .clone()
        .expect("the demo gives Svea customers an address");
    assert_eq!(address.country, "FI");
    let edit = |address: Option<coffer_core::Address>| {
        world.engine.edit_customer(
            CustomerId(card.customer_id),
            customer.name.clone(),
            customer.email.clone(),
            customer.phone.clone(),
            address,
        )
    };
    edit(None).await.unwrap();
    let before = world.sandbox_charges().len();
    let refused = world
        .engine
        .charge_card(recurring(card.id, "1.00"))
        .await
        .unwrap();
    assert_eq!(refused.status.to_string(), "refused", "{refused:?}");
    let violation = refused
        .violations
        .iter()
        .find(|v| v.rule == "svea_buyer_address")
        .unwrap_or_else(|| panic!("{:?}", refused.violations));
    assert!(
        violation.message.contains("Svea requires them")
            && violation.message.contains("add them to the customer"),
        "{}",
        violation.message
    );
    let first_payment = world
        .engine
        .record_initial(InitialInput {
            customer: CustomerId(card.customer_id),
            card: None,
            amount: "20.00".into(),
            reason: Reason::Recurring,
            terms: "I agree to monthly charges of at most 20.00 EUR.".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        first_payment.kind(),
        ErrorKind::PolicyRefused,
        "{first_payment}"
    );
    assert!(
        first_payment.to_string().contains("svea_buyer_address"),
        "{first_payment}"
    );
    assert_eq!(
        world.sandbox_charges().len(),
        before,
        "nothing reached Svea"
    );

    let placeholder = world
        .engine
        .edit_customer(
            CustomerId(card.customer_id),
            customer.name.clone(),
            None,
            None,
            Some(coffer_core::Address {
                street: "-".into(),
                ..address.clone()
            }),
        )
        .await
        .unwrap_err();
    assert!(
        placeholder.to_string().contains("address_street")
            && placeholder.to_string().contains("placeholder"),
        "{placeholder}"
    );

    edit(Some(address)).await.unwrap();
    let charged = world
        .engine
        .charge_card(recurring(card.id, "1.00"))
        .await
        .unwrap();
    assert_eq!(charged.status.to_string(), "succeeded", "{charged:?}");
}

/// Settles a Svea payment in the sandbox, as Svea's settlement to the merchant would.
async fn settle(world: &World, merchant: coffer_core::MerchantId, pmt_id: &str) {
    let view = world
        .engine
        .list_merchants()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == merchant.0)
        .unwrap();
    let ProviderAccount::Svea(SveaAccount { seller_id, .. }) = &view.account else {
        panic!("a Svea merchant");
    };
    let answer = reqwest::Client::new()
        .post(format!("{}/__sandbox/settle", view.base_url))
        .form(&[("seller_id", seller_id.as_str()), ("pmt_id", pmt_id)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn a_settled_svea_charge_is_refunded_awaiting_the_owners_transfer_which_blocks_another_refund(
) {
    let world = World::new().await;
    let helsinki = world.merchant("svea", 0).await;
    let card = world.card(helsinki, ready).await;
    let made = world
        .engine
        .charge_card(recurring(card.id, "10.00"))
        .await
        .unwrap();
    assert_eq!(made.status.to_string(), "succeeded", "{made:?}");
    let charge = AttemptId(made.attempt_id.unwrap());
    let row = world
        .engine
        .list_charges(coffer_engine::charge::ChargeQuery {
            card: Some(CardId(card.id)),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id == charge)
        .unwrap();
    settle(&world, helsinki, &row.order_id).await;

    let first = world
        .engine
        .refund_charge(refund(charge, "4.00"))
        .await
        .unwrap();
    assert_eq!(first.status, ChargeState::AwaitingTransfer, "{first:?}");
    let transfer = first.transfer.clone().expect("where to pay");
    assert_eq!(transfer.amount.minor, 400);
    assert!(transfer.iban.starts_with("FI"));
    assert!(
        first
            .message
            .as_deref()
            .is_some_and(|m| m.contains(&transfer.iban) && m.contains(&transfer.reference)),
        "{first:?}"
    );

    let blocked = world
        .engine
        .refund_charge(refund(charge, "1.00"))
        .await
        .unwrap_err();
    assert_eq!(blocked.kind(), ErrorKind::Conflict);
    assert!(
        blocked
            .to_string()
            .contains("is waiting for your bank transfer"),
        "{blocked}"
    );

    // The card history says so with the charge, as the app shows it.
    let awaiting = || async {
        world
            .engine
            .charge_history(coffer_engine::charge::ChargeQuery {
                card: Some(CardId(card.id)),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .find(|l| l.attempt.id == charge)
            .and_then(|l| l.refunds)
            .and_then(|r| r.awaiting_transfer)
    };
    assert_eq!(awaiting().await, Some(first.attempt_id));

    let summary = world
        .engine
        .reconcile(chrono::Duration::zero())
        .await
        .unwrap();
    assert!(
        summary
            .unresolved
            .iter()
            .chain(&summary.settled)
            .all(|r| r.attempt_id != first.attempt_id),
        "a refund awaiting a transfer is nothing for reconcile: {summary:?}"
    );
    assert!(world
        .engine
        .unknown_attempts(Vec::new())
        .await
        .unwrap()
        .iter()
        .all(|u| u.attempt_id != first.attempt_id));

    let done = world
        .engine
        .record_refund_transfer(AttemptId(first.attempt_id))
        .await
        .unwrap();
    assert_eq!(done.status, ChargeState::Succeeded);
    assert!(done.transfer.unwrap().transferred_at.is_some());
    assert_eq!(awaiting().await, None, "the transfer is recorded");
    let again = world
        .engine
        .record_refund_transfer(AttemptId(first.attempt_id))
        .await
        .unwrap();
    assert_eq!(
        again.status,
        ChargeState::Succeeded,
        "recording twice is harmless"
    );

    let second = world
        .engine
        .refund_charge(refund(charge, "1.00"))
        .await
        .unwrap();
    assert_eq!(
        second.status,
        ChargeState::AwaitingTransfer,
        "once the transfer is recorded, the charge can be refunded again: {second:?}"
    );
    let not_a_refund = world
        .engine
        .record_refund_transfer(charge)
        .await
        .unwrap_err();
    assert_eq!(
        not_a_refund.kind(),
        ErrorKind::InvalidInput,
        "{not_a_refund}"
    );
}
