use coffer_core::{
    Bin, CardBrand, CardExpiry, CardToken, Consent, CustomerRef, InitialTransaction, Last4,
    ProviderRef,
};
use coffer_store::cards::{CardFields, SyncedCard, Upsert};
use coffer_store::customers::{CustomerFields, CustomerOrigin};
use coffer_store::repo::prelude::*;
use coffer_store::Store;

use crate::{at, clover_merchant};

fn card(token: &str, month: u32) -> CardFields {
    CardFields {
        token: CardToken(token.into()),
        brand: CardBrand::Visa,
        last4: Last4::new("4242").unwrap(),
        bin: Some(Bin::new("424242").unwrap()),
        bank: Some("Nordea".into()),
        expiry: CardExpiry::new(2029, month).unwrap(),
        active: true,
        needs_cvc: false,
        art_url: None,
    }
}

/// A fresh store with one Clover merchant and its synced customer "C1".
fn merchant_with_customer(
    merchant_uuid: &str,
) -> (Store, coffer_core::Merchant, coffer_core::CustomerId) {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant(merchant_uuid), at(0))
        .unwrap();
    let fields = CustomerFields {
        reference: CustomerRef("C1".into()),
        name: "Anna".into(),
        email: None,
        phone: None,
        address: None,
    };
    let (c, _) = store
        .upsert_customer(m.id, &fields, CustomerOrigin::Sync, at(0))
        .unwrap();
    (store, m, c)
}

#[test]
fn resync_updates_changed_cards_deactivates_missing_ones_and_keeps_coffer_columns() {
    let (store, m, c) = merchant_with_customer("MIDAAAA000001");
    let (k1, r1) = store.upsert_card(m.id, c, &card("tok1", 4), at(0)).unwrap();
    let (k2, _) = store.upsert_card(m.id, c, &card("tok2", 5), at(0)).unwrap();
    assert_eq!(r1, Upsert::Inserted);
    store
        .set_card_consent(
            k1,
            &Consent {
                given_at: at(0),
                terms: "terms".into(),
            },
        )
        .unwrap();
    store
        .set_card_initial(
            k1,
            &InitialTransaction {
                reference: ProviderRef("REF".into()),
                amount: None,
                at: at(0),
                kind: coffer_core::InitialKind::Recurring,
                registered: Some(coffer_core::RegisteredSeries {
                    min_amount: None,
                    max_amount: Some(coffer_core::Money::from_minor(
                        50_000,
                        coffer_core::Currency::EUR,
                    )),
                    period_days: Some(28),
                    end: chrono::NaiveDate::from_ymd_opt(2028, 2, 29),
                }),
            },
        )
        .unwrap();

    // Second sync: tok1's expiry changed, tok2 is gone.
    let (_, r) = store
        .upsert_card(m.id, c, &card("tok1", 9), at(10))
        .unwrap();
    assert_eq!(r, Upsert::Updated);
    assert_eq!(
        store.deactivate_unseen_cards(m.id, None, at(10)).unwrap(),
        1
    );
    let k1 = store.card(k1).unwrap();
    assert_eq!(k1.expiry.month, 9);
    let registered = k1.initial.as_ref().and_then(|i| i.registered.clone());
    assert_eq!(
        registered.and_then(|r| r.max_amount.zip(r.period_days.zip(r.end))),
        Some((
            coffer_core::Money::from_minor(50_000, coffer_core::Currency::EUR),
            (28, chrono::NaiveDate::from_ymd_opt(2028, 2, 29).unwrap())
        )),
        "the series the initial registered is kept with it"
    );
    assert!(
        k1.is_mit_ready(),
        "consent and initial transaction survive a re-sync"
    );
    assert!(
        !store.card(k2).unwrap().active,
        "a card the provider no longer lists is inactive, not deleted"
    );
    let (_, r) = store
        .upsert_card(m.id, c, &card("tok1", 9), at(20))
        .unwrap();
    assert_eq!(r, Upsert::Unchanged);
}

#[test]
fn a_flagged_card_stays_inactive_after_a_resync() {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant("MIDAAAA000001"), at(0))
        .unwrap();
    let fields = CustomerFields {
        reference: CustomerRef("C1".into()),
        name: "A".into(),
        email: None,
        phone: None,
        address: None,
    };
    let (c, _) = store
        .upsert_customer(m.id, &fields, CustomerOrigin::Sync, at(0))
        .unwrap();
    let (k, _) = store.upsert_card(m.id, c, &card("tok1", 4), at(0)).unwrap();
    store.flag_card(k, "hard decline: stolen card").unwrap();
    store.upsert_card(m.id, c, &card("tok1", 5), at(1)).unwrap();
    assert!(
        !store.card(k).unwrap().active,
        "a hard-declined card is not revived by the provider's listing"
    );
}

#[test]
fn an_initials_kind_and_the_card_art_are_stored_and_a_demo_rerun_corrects_the_kind() {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant("MIDAAAA000001"), at(0))
        .unwrap();
    let fields = CustomerFields {
        reference: CustomerRef("C1".into()),
        name: "A".into(),
        email: None,
        phone: None,
        address: None,
    };
    let (c, _) = store
        .upsert_customer(m.id, &fields, CustomerOrigin::Sync, at(0))
        .unwrap();
    let art = CardFields {
        art_url: Some("https://assets.example/art.png".into()),
        ..card("tok1", 4)
    };
    let (k, _) = store.upsert_card(m.id, c, &art, at(0)).unwrap();
    assert_eq!(
        store.card(k).unwrap().art_url.as_deref(),
        Some("https://assets.example/art.png")
    );
    let (_, r) = store.upsert_card(m.id, c, &card("tok1", 4), at(1)).unwrap();
    assert_eq!(r, Upsert::Updated, "art the provider dropped is a change");
    assert_eq!(store.card(k).unwrap().art_url, None);
    let one_click = InitialTransaction {
        reference: ProviderRef("7100000000000001".into()),
        amount: None,
        at: at(0),
        kind: coffer_core::InitialKind::OneClick,
        registered: None,
    };
    store.set_card_initial(k, &one_click).unwrap();
    let read = store.card(k).unwrap();
    assert_eq!(
        read.initial.as_ref().unwrap().kind,
        coffer_core::InitialKind::OneClick
    );
    assert!(read.reenroll_reason().is_some() && !read.is_mit_ready());
    let recurring = InitialTransaction {
        kind: coffer_core::InitialKind::Recurring,
        ..one_click.clone()
    };
    assert!(
        !store
            .set_initial_by_token(m.id, &CardToken("tok1".into()), &recurring)
            .unwrap(),
        "the card has an initial: not replaced"
    );
    assert_eq!(
        store.card(k).unwrap().initial.unwrap().kind,
        coffer_core::InitialKind::Recurring,
        "the same reference listed as recurring takes that kind"
    );
    let other = InitialTransaction {
        reference: ProviderRef("OTHER".into()),
        kind: coffer_core::InitialKind::OneClick,
        ..one_click
    };
    store
        .set_initial_by_token(m.id, &CardToken("tok1".into()), &other)
        .unwrap();
    let kept = store.card(k).unwrap().initial.unwrap();
    assert_eq!(
        (kept.reference.0.as_str(), kept.kind),
        ("7100000000000001", coffer_core::InitialKind::Recurring),
        "another reference changes nothing"
    );
}

#[test]
fn a_card_s_use_survives_a_resync_and_a_removed_card_never_comes_back() {
    use coffer_core::{CardUse, PaymentMethod};
    let (store, m, c) = merchant_with_customer("MIDAAAA000002");
    let (k, _) = store.upsert_card(m.id, c, &card("tok1", 4), at(0)).unwrap();
    assert_eq!(store.card(k).unwrap().usage, CardUse::InUse);
    store.set_card_use(k, CardUse::Stopped(at(5))).unwrap();
    store.upsert_card(m.id, c, &card("tok1", 6), at(9)).unwrap();
    let read = store.card(k).unwrap();
    assert_eq!(
        read.usage,
        CardUse::Stopped(at(5)),
        "a sync changes the display fields, never the use"
    );
    assert_eq!(read.expiry.month, 6);
    store.set_card_use(k, CardUse::Removed(at(10))).unwrap();
    let back = store.set_card_use(k, CardUse::InUse).unwrap_err();
    assert!(
        matches!(back, coffer_store::StoreError::Conflict(ref m) if m.contains("cannot be used again")),
        "the schema refuses to bring a deleted card back: {back:?}"
    );
    assert_eq!(store.card(k).unwrap().usage, CardUse::Removed(at(10)));

    let apm = PaymentMethod::Apm {
        name: "PayPal".into(),
        merchant_initiated: false,
    };
    store.set_card_method(k, &apm).unwrap();
    assert_eq!(store.card(k).unwrap().method, apm, "the APM's name is kept");
}

fn synced(token: &str, month: u32) -> SyncedCard {
    SyncedCard {
        fields: card(token, month),
        method: coffer_core::PaymentMethod::Card,
        initial_ref: None,
    }
}

/// The card and customer rows' `synced_at`, read beside the store: what a sync last wrote.
fn written_at(path: &std::path::Path, token: &str) -> (Option<i64>, Option<i64>) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row(
        "SELECT k.synced_at, c.synced_at FROM cards k JOIN customers c ON c.id = k.customer_id
          WHERE k.token = ?1",
        [token],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

#[test]
fn a_resync_of_unchanged_rows_writes_nothing_and_a_change_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let store = Store::open(&path).unwrap();
    let m = store
        .insert_merchant(&clover_merchant("MIDAAAA000003"), at(0))
        .unwrap();
    let anna = CustomerFields {
        reference: CustomerRef("C1".into()),
        name: "Anna".into(),
        email: Some("anna@example.com".into()),
        phone: None,
        address: None,
    };
    let (c, new) = store
        .upsert_customer(m.id, &anna, CustomerOrigin::Sync, at(0))
        .unwrap();
    assert!(new);
    let (k, r) = store.sync_card(m.id, c, &synced("tok1", 4), at(0)).unwrap();
    assert_eq!(r, Upsert::Inserted);
    let first = written_at(&path, "tok1");

    let (again, changed) = store
        .upsert_customer(m.id, &anna, CustomerOrigin::Sync, at(10))
        .unwrap();
    let (same, r) = store
        .sync_card(m.id, c, &synced("tok1", 4), at(10))
        .unwrap();
    assert_eq!((again, changed, same, r), (c, false, k, Upsert::Unchanged));
    assert_eq!(written_at(&path, "tok1"), first, "nothing was written");

    let (_, r) = store
        .sync_card(m.id, c, &synced("tok1", 7), at(20))
        .unwrap();
    assert_eq!(r, Upsert::Updated);
    assert_eq!(store.card(k).unwrap().expiry.month, 7);
    assert_eq!(written_at(&path, "tok1").0, Some(at(20).timestamp_millis()));
}

#[test]
fn a_synced_card_keeps_coffers_columns_and_the_first_initial() {
    let (store, m, c) = merchant_with_customer("MIDAAAA000004");
    let apm = coffer_core::PaymentMethod::Apm {
        name: "PayPal".into(),
        merchant_initiated: true,
    };
    let paypal = SyncedCard {
        method: apm.clone(),
        initial_ref: Some(ProviderRef("INIT-1".into())),
        ..synced("tok-apm", 4)
    };
    let (k, r) = store.sync_card(m.id, c, &paypal, at(0)).unwrap();
    assert_eq!(r, Upsert::Inserted);
    let read = store.card(k).unwrap();
    assert_eq!(
        read.method, apm,
        "an APM token is listed by its method's name"
    );
    assert_eq!(read.initial.unwrap().reference.0, "INIT-1");

    let later = SyncedCard {
        initial_ref: Some(ProviderRef("INIT-2".into())),
        method: coffer_core::PaymentMethod::Apm {
            name: "PayPal".into(),
            merchant_initiated: false,
        },
        ..paypal
    };
    store.flag_card(k, "hard decline").unwrap();
    let (_, r) = store.sync_card(m.id, c, &later, at(5)).unwrap();
    assert_eq!(
        r,
        Upsert::Unchanged,
        "a flagged card's inactivity is not a change"
    );
    let read = store.card(k).unwrap();
    assert_eq!(
        read.initial.unwrap().reference.0,
        "INIT-1",
        "the first initial wins"
    );
    assert!(!read.active, "a flagged card stays inactive");
    assert_eq!(
        read.method,
        coffer_core::PaymentMethod::Apm {
            name: "PayPal".into(),
            merchant_initiated: false
        },
        "whether the provider opens the APM to MITs follows the provider"
    );
}

#[test]
fn cards_a_whole_listing_left_out_are_deactivated_unless_written_after_it_started() {
    let (store, m, c) = merchant_with_customer("MIDAAAA000005");
    let (k1, _) = store.sync_card(m.id, c, &synced("tok1", 4), at(0)).unwrap();
    let (k2, _) = store.sync_card(m.id, c, &synced("tok2", 4), at(0)).unwrap();
    // The next sync starts at 10 and lists tok1 only (unchanged, so not written); tok3 is
    // enrolled while it runs.
    let (k1_again, _) = store
        .sync_card(m.id, c, &synced("tok1", 4), at(12))
        .unwrap();
    let (k3, _) = store
        .upsert_card(m.id, c, &card("tok3", 4), at(15))
        .unwrap();
    let listed = std::collections::HashSet::from([k1_again]);
    assert_eq!(
        store
            .deactivate_unlisted_cards(m.id, None, &listed, at(10))
            .unwrap(),
        1
    );
    assert!(store.card(k1).unwrap().active);
    assert!(
        !store.card(k2).unwrap().active,
        "no longer listed: inactive, kept"
    );
    assert!(store.card(k3).unwrap().active, "enrolled during the sync");
}
