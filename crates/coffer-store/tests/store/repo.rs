//! The repository traits as the engine reaches them: through a `Database`.

use coffer_store::repo::prelude::*;
use coffer_store::repo::SqliteStore;
use coffer_store::Store;

use crate::{at, clover_merchant};

#[test]
fn a_write_lands_and_a_read_sees_it() {
    let db = SqliteStore::new(Store::open_in_memory().unwrap());
    db.write(Box::new(|repos| {
        repos
            .insert_merchant(&clover_merchant("MREPO01"), at(0))
            .unwrap();
    }))
    .unwrap();
    let mut names = Vec::new();
    db.read(Box::new(|repos| {
        names = repos
            .merchants()
            .unwrap()
            .into_iter()
            .map(|m| m.name)
            .collect();
    }))
    .unwrap();
    assert_eq!(names, ["Store MREPO01"]);
}

#[test]
fn a_read_that_writes_is_refused_and_the_next_write_goes_through() {
    // A reader is handed only the read traits; should a read path still write (a second
    // implementation's bug), SQLite refuses it as a read-only connection would.
    let store = Store::open_in_memory().unwrap();
    let error = store
        .read_only(|s| s.insert_merchant(&clover_merchant("MREPO02"), at(0)))
        .unwrap()
        .expect_err("a write inside a read is refused");
    assert!(error.to_string().contains("readonly"), "{error}");
    store
        .insert_merchant(&clover_merchant("MREPO02"), at(0))
        .expect("writes resume after the read");
}

#[test]
fn a_batch_through_the_traits_lands_whole_or_not_at_all() {
    let db = SqliteStore::new(Store::open_in_memory().unwrap());
    let mut failed = None;
    db.write(Box::new(|repos| {
        failed = Some(repos.batch(|repos| {
            repos.insert_merchant(&clover_merchant("MREPO03"), at(0))?;
            repos.insert_merchant(&clover_merchant("MREPO03"), at(1))
        }));
    }))
    .unwrap();
    assert!(
        failed.unwrap().is_err(),
        "the same account twice is refused"
    );
    let mut count = None;
    db.read(Box::new(|repos| {
        count = Some(repos.merchants().unwrap().len())
    }))
    .unwrap();
    assert_eq!(
        count,
        Some(0),
        "the first insert went with the failed batch"
    );
}

#[test]
fn a_rehearsal_copy_keeps_what_it_writes_to_itself() {
    let db = SqliteStore::new(Store::open_in_memory().unwrap());
    db.write(Box::new(|repos| {
        repos
            .insert_merchant(&clover_merchant("MREPO04"), at(0))
            .unwrap();
    }))
    .unwrap();
    let copy = db.rehearsal_copy().unwrap();
    copy.write(Box::new(|repos| {
        repos
            .insert_merchant(&clover_merchant("MREPO05"), at(0))
            .unwrap();
    }))
    .unwrap();
    let count = |db: &dyn Database| {
        let mut n = 0;
        db.read(Box::new(|repos| n = repos.merchants().unwrap().len()))
            .unwrap();
        n
    };
    assert_eq!(count(copy.as_ref()), 2);
    assert_eq!(count(&db), 1, "the original never sees the copy's writes");
}
