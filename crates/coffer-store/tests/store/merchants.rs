use coffer_store::repo::prelude::*;
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

#[test]
fn region_and_host_override_are_kept_and_an_override_can_be_withdrawn() {
    let store = coffer_store::Store::open_in_memory().unwrap();
    let mut new = crate::clover_merchant("MIDREGION0001");
    new.environment = coffer_core::Environment::Live;
    new.base_url = "http://127.0.0.1:9".into();
    new.endpoint = coffer_core::Endpoint {
        region: Some(coffer_core::CloverRegion::Europe),
        host_override: Some(coffer_core::HostOverride {
            host: "127.0.0.1:9".into(),
            reason: "proxy".into(),
        }),
    };
    let saved = store.insert_merchant(&new, crate::at(0)).unwrap();
    assert_eq!(
        saved.endpoint, new.endpoint,
        "region and override round-trip"
    );
    let mut cleared = saved.clone();
    cleared.endpoint.host_override = None;
    store.update_merchant(&cleared).unwrap();
    assert_eq!(
        store.merchant(saved.id).unwrap().endpoint.host_override,
        None,
        "an override can be withdrawn"
    );
}
