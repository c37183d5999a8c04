use coffer_core::{
    AttemptKind, Bin, CardBrand, CardExpiry, CardToken, ChargeState, Currency, CustomerRef,
    IdempotencyKey, Last4, Money, ProviderRef,
};
use coffer_store::alerts::AlertKind;
use coffer_store::cards::CardFields;
use coffer_store::charges::{NewAttempt, Settlement};
use coffer_store::customers::{CustomerFields, CustomerOrigin};
use coffer_store::repo::prelude::*;
use coffer_store::Store;

use crate::{at, charge_of, clover_merchant};

fn store_with_attempt() -> (Store, coffer_core::AttemptId) {
    let store = Store::open_in_memory().unwrap();
    let attempt = store.insert_attempt(&first_attempt(&store)).unwrap();
    (store, attempt)
}

/// The same charge, written `sending` at `at(5)` as Coffer writes it.
fn store_with_sending_attempt() -> (Store, coffer_core::AttemptId) {
    let store = Store::open_in_memory().unwrap();
    let attempt = store.insert_sending(&first_attempt(&store), at(5)).unwrap();
    (store, attempt)
}

/// A charge of 9.90 EUR under key `key-1` on a card of a new Clover merchant of `store`.
fn first_attempt(store: &Store) -> NewAttempt {
    let m = store
        .insert_merchant(&clover_merchant("MIDLEDGER0001"), at(0))
        .unwrap();
    let customer = CustomerFields {
        reference: CustomerRef("C1".into()),
        name: "Anna".into(),
        email: None,
        phone: None,
        address: None,
    };
    let (c, _) = store
        .upsert_customer(m.id, &customer, CustomerOrigin::Sync, at(0))
        .unwrap();
    let card = CardFields {
        token: CardToken("tok1".into()),
        brand: CardBrand::Visa,
        last4: Last4::new("4242").unwrap(),
        bin: Some(Bin::new("424242").unwrap()),
        bank: None,
        expiry: CardExpiry::new(2030, 1).unwrap(),
        active: true,
        needs_cvc: false,
        art_url: None,
    };
    let (card, _) = store.upsert_card(m.id, c, &card, at(0)).unwrap();
    charge_of(m.id, card, "{\"exact\":\"request\"}")
}

/// What exactly-once rests on, held by the schema itself whatever the code above it does: one
/// row per idempotency key, a settled row never rewritten, no row ever deleted.
#[test]
fn the_schema_keeps_one_row_per_key_settled_rows_final_and_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let store = Store::open(&path).unwrap();
    let first = first_attempt(&store);
    let id = store.insert_sending(&first, at(5)).unwrap();
    let again = NewAttempt {
        order_id: "CFORDER2".into(),
        ..first.clone()
    };
    assert!(
        store.insert_sending(&again, at(5)).is_err(),
        "a second row under key-1 is refused"
    );
    let made = Settlement {
        state: ChargeState::Succeeded,
        provider_ref: Some(ProviderRef("ch_1".into())),
        decline_code: None,
        hard_decline: false,
        message: None,
        warnings: Vec::new(),
        at: at(6),
    };
    assert!(store.settle_attempt(id, &made).unwrap());
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let rewrite = raw.execute(
        "UPDATE charge_attempts SET state = 'failed' WHERE id = ?1",
        [id.0],
    );
    assert!(
        rewrite
            .unwrap_err()
            .to_string()
            .contains("a settled charge attempt cannot change"),
        "a settled row is final in the database"
    );
    let delete = raw.execute("DELETE FROM charge_attempts", []);
    assert!(
        delete.unwrap_err().to_string().contains("never deleted"),
        "ledger rows are never deleted"
    );
}

#[test]
fn a_sending_row_keeps_when_it_left_and_the_exact_request_for_a_resend() {
    let (store, planned) = store_with_attempt();
    assert_eq!(
        store.attempt(planned).unwrap().sent_at,
        None,
        "planned: never left"
    );
    let (store, id) = store_with_sending_attempt();
    let row = store.attempt(id).unwrap();
    assert_eq!(row.state, ChargeState::Sending);
    assert_eq!(row.sent_at, Some(at(5)), "time counts from when it left");
    assert_eq!(
        store.attempt_request(id).unwrap().as_deref(),
        Some("{\"exact\":\"request\"}")
    );
}

#[test]
fn a_hand_resolution_settles_once_names_who_and_is_final() {
    let (store, id) = store_with_sending_attempt();
    let not_made = Settlement {
        state: ChargeState::Failed,
        provider_ref: None,
        decline_code: None,
        hard_decline: false,
        message: Some("not made, checked on 2026-12-04".into()),
        warnings: Vec::new(),
        at: at(10),
    };
    assert!(store
        .settle_by_hand(id, &not_made, "owner", "{\"verdict\":\"not_made\"}")
        .unwrap());
    let row = store.attempt(id).unwrap();
    assert_eq!(row.state, ChargeState::Failed);
    assert_eq!(row.resolved_by.as_deref(), Some("owner"));
    assert!(
        !store
            .settle_by_hand(id, &not_made, "someone else", "{}")
            .unwrap(),
        "a settled row is not resolved again"
    );
    let watched = store.resolved_by_hand_since(at(0)).unwrap();
    assert_eq!(watched.len(), 1, "reconcile keeps asking about it");
    assert_eq!(watched[0].1, "{\"verdict\":\"not_made\"}");
    let made = Settlement {
        state: ChargeState::Succeeded,
        provider_ref: Some(ProviderRef("ch_1".into())),
        ..not_made
    };
    assert!(
        !store.settle_attempt(id, &made).unwrap(),
        "reconcile cannot overwrite a person's resolution"
    );
    assert_eq!(store.attempt(id).unwrap().state, ChargeState::Failed);
}

#[test]
fn an_alert_is_raised_once_per_attempt_and_kind_and_stays_until_acknowledged() {
    let (store, id) = store_with_attempt();
    let merchant = store.attempt(id).unwrap().merchant_id;
    let raise = || {
        store
            .raise_alert(
                at(20),
                merchant,
                id,
                AlertKind::PossibleDuplicate,
                "found charged",
            )
            .unwrap()
    };
    assert!(raise());
    assert!(!raise(), "the same alert is not raised twice");
    let open = store.alerts(&[], false).unwrap();
    assert_eq!(open.len(), 1);
    assert!(store.acknowledge_alert(open[0].id, at(30)).unwrap());
    assert!(store.alerts(&[], false).unwrap().is_empty());
    assert_eq!(
        store.alerts(&[], true).unwrap().len(),
        1,
        "acknowledged, never deleted"
    );
}

#[test]
fn a_refund_awaiting_the_merchants_transfer_reads_so_until_the_transfer_is_recorded_once() {
    let (store, charge) = store_with_attempt();
    let charge_row = store.attempt(charge).unwrap();
    let refund = store
        .insert_sending(
            &NewAttempt {
                kind: AttemptKind::Refund,
                refund_of: Some(charge),
                amount: Money::from_minor(500, Currency::EUR),
                idempotency_key: IdempotencyKey("refund-1".into()),
                order_id: "CFREFUND1".into(),
                request_json: None,
                merchant_id: charge_row.merchant_id,
                card_id: charge_row.card_id,
                contract_id: None,
                occurrence: None,
                try_number: 1,
                credential: charge_row.credential.clone(),
                created_at: at(1),
            },
            at(2),
        )
        .unwrap();
    let transfer = coffer_core::RefundTransfer {
        recipient: "Svea Payments Oy".into(),
        iban: "FI0000000000000000".into(),
        reference: "1232".into(),
        amount: Money::from_minor(500, Currency::EUR),
        transferred_at: None,
    };
    let settlement = Settlement {
        state: ChargeState::Succeeded,
        provider_ref: Some(ProviderRef("CFORDER1".into())),
        decline_code: None,
        hard_decline: false,
        message: None,
        warnings: Vec::new(),
        at: at(3),
    };
    assert!(store
        .settle_awaiting_transfer(refund, &settlement, &transfer)
        .unwrap());
    let row = store.attempt(refund).unwrap();
    assert_eq!(row.state, ChargeState::AwaitingTransfer);
    assert_eq!(row.transfer.as_ref(), Some(&transfer));
    assert_eq!(
        store.refunded_minor(charge).unwrap(),
        500,
        "the refund counts as taken while its transfer is awaited"
    );
    let awaiting = store
        .list_attempts(&coffer_store::charges::AttemptFilter {
            state: Some(ChargeState::AwaitingTransfer),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(awaiting.iter().map(|a| a.id).collect::<Vec<_>>(), [refund]);
    assert!(store.record_transfer_made(refund, at(9), "owner").unwrap());
    assert!(
        !store
            .record_transfer_made(refund, at(10), "someone else")
            .unwrap(),
        "the first record stands"
    );
    let row = store.attempt(refund).unwrap();
    assert_eq!(row.state, ChargeState::Succeeded);
    assert_eq!(row.transfer.unwrap().transferred_at, Some(at(9)));
    assert!(
        store.record_transfer_made(charge, at(9), "owner").is_err(),
        "a charge awaits no transfer"
    );
}

/// Coffer writes a new row `sending`, stamped with when its request leaves; a row of an older
/// Coffer that only planned reads as never sent. Both refuse a second row under their key.
#[test]
fn a_row_is_written_sending_and_an_older_planned_one_reads_as_never_sent() {
    let store = Store::open_in_memory().unwrap();
    let first = first_attempt(&store);
    let planned = store.insert_attempt(&first).unwrap();
    let second = NewAttempt {
        idempotency_key: IdempotencyKey("key-2".into()),
        order_id: "CFORDER2".into(),
        try_number: first.try_number + 1,
        ..first.clone()
    };
    let sending = store.insert_sending(&second, at(5)).unwrap();
    let (a, b) = (
        store.attempt(planned).unwrap(),
        store.attempt(sending).unwrap(),
    );
    assert_eq!((a.state, a.sent_at), (ChargeState::Planned, None));
    assert_eq!((b.state, b.sent_at), (ChargeState::Sending, Some(at(5))));
    assert_eq!(b.created_at, a.created_at);
    assert_eq!(
        store.unsettled_attempts().unwrap().len(),
        2,
        "both await their answer"
    );
    for again in [
        NewAttempt {
            order_id: "CFORDER3".into(),
            ..first.clone()
        },
        NewAttempt {
            order_id: "CFORDER4".into(),
            ..second.clone()
        },
    ] {
        assert!(
            store.insert_sending(&again, at(6)).is_err(),
            "a second row under {} is refused",
            again.idempotency_key
        );
        assert!(store.insert_attempt(&again).is_err());
    }
}
