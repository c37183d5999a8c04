use coffer_core::{CardExpiry, CustomerRef};
use coffer_store::customers::CustomerFields;
use coffer_store::repo::prelude::*;
use coffer_store::search::CustomerQuery;
use coffer_store::Store;

use crate::{at, clover_merchant};

fn customer(reference: &str, name: &str, email: &str) -> CustomerFields {
    CustomerFields {
        reference: CustomerRef(reference.into()),
        name: name.into(),
        email: Some(email.into()),
        phone: None,
        address: None,
    }
}

fn found(store: &Store, text: &str) -> Vec<String> {
    let query = CustomerQuery {
        text: Some(text.into()),
        ..Default::default()
    };
    let mut refs: Vec<String> = store
        .search_customers(&query, CardExpiry::new(2026, 1).unwrap())
        .unwrap()
        .into_iter()
        .map(|row| row.reference)
        .collect();
    refs.sort();
    refs
}

#[test]
fn customers_a_sync_writes_in_bulk_are_found_by_name_e_mail_and_reference_and_rewritten_once() {
    let store = Store::open_in_memory().unwrap();
    let m = store
        .insert_merchant(&clover_merchant("MIDAAAA000010"), at(0))
        .unwrap();
    let page = [
        customer("C-ANNA", "Anna Lindqvist", "anna@example.com"),
        customer("C-BERT", "Bertil Lindqvist", "bertil@example.com"),
    ];
    let written = store.sync_customers(m.id, &page, at(0)).unwrap();
    assert!(written.iter().all(|(_, new)| *new));
    assert_eq!(found(&store, "lindqvist"), ["C-ANNA", "C-BERT"]);
    assert_eq!(found(&store, "bertil@example.com"), ["C-BERT"]);
    assert_eq!(found(&store, "C-ANNA"), ["C-ANNA"]);

    // The next sync: Anna renamed, Bertil unchanged, Cecilia new.
    let next = [
        customer("C-ANNA", "Anna Berg", "anna@example.com"),
        customer("C-BERT", "Bertil Lindqvist", "bertil@example.com"),
        customer("C-CECI", "Cecilia Berg", "cecilia@example.com"),
    ];
    let again = store.sync_customers(m.id, &next, at(10)).unwrap();
    assert_eq!(
        again
            .iter()
            .map(|(_, changed)| *changed)
            .collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!((again[0].0, again[1].0), (written[0].0, written[1].0));
    assert_eq!(found(&store, "berg"), ["C-ANNA", "C-CECI"]);
    assert_eq!(
        found(&store, "lindqvist"),
        ["C-BERT"],
        "the old name is gone"
    );

    // One at a time and the register index their customers too.
    let (_, new) = store
        .upsert_customer(
            m.id,
            &customer("C-DAVE", "David Berg", "dave@example.com"),
            coffer_store::customers::CustomerOrigin::Sync,
            at(20),
        )
        .unwrap();
    assert!(new);
    let mut store = store;
    store
        .insert_register_customers(
            m.id,
            &[customer("R-EVA", "Eva Berg", "eva@example.com")],
            at(30),
        )
        .unwrap();
    assert_eq!(
        found(&store, "berg"),
        ["C-ANNA", "C-CECI", "C-DAVE", "R-EVA"]
    );
}
