use coffer_store::{Store, StoreError};

use crate::{at, clover_merchant};

#[test]
fn merchants_are_saved_listed_and_unique_per_account() {
    let store = Store::open_in_memory().unwrap();
    let a = store
        .insert_merchant(&clover_merchant("MIDAAAA000001"), at(0))
        .unwrap();
    store
        .insert_merchant(&clover_merchant("MIDBBBB000002"), at(0))
        .unwrap();
    assert_eq!(store.merchants().unwrap().len(), 2);
    let again = store.insert_merchant(&clover_merchant("MIDAAAA000001"), at(1));
    assert!(
        matches!(again, Err(StoreError::Conflict(_))),
        "one row per provider account: {again:?}"
    );
    assert_eq!(
        store.merchant(a.id).unwrap().time_zone,
        chrono_tz::Europe::Helsinki
    );
}

#[test]
fn a_removed_merchant_leaves_the_lists_and_can_come_back() {
    let store = Store::open_in_memory().unwrap();
    let a = store
        .insert_merchant(&clover_merchant("MIDAAAA000001"), at(0))
        .unwrap();
    store.remove_merchant(a.id, at(1)).unwrap();
    assert!(store.merchants().unwrap().is_empty());
    assert!(matches!(
        store.merchant(a.id),
        Err(StoreError::NotFound { .. })
    ));
    let back = store
        .insert_merchant(&clover_merchant("MIDAAAA000001"), at(2))
        .unwrap();
    assert_eq!(
        back.id, a.id,
        "the same row, so its history still points at it"
    );
}
