use coffer_core::audit::NewAuditEvent;
use coffer_store::audit_log::AuditFilter;
use coffer_store::repo::prelude::*;
use coffer_store::Store;

use crate::at;

fn event(n: i64) -> NewAuditEvent {
    NewAuditEvent {
        at: at(n),
        actor: "anna".into(),
        merchant_id: Some(n % 2),
        action: if n % 2 == 0 {
            "charge_sent"
        } else {
            "merchant_added"
        }
        .into(),
        subject: format!("thing:{n}"),
        details: format!(r#"{{"n":{n}}}"#),
    }
}

#[test]
fn appended_events_form_a_verifiable_chain() {
    let mut store = Store::open_in_memory().unwrap();
    for n in 1..=6 {
        store.append_audit(event(n)).unwrap();
    }
    assert_eq!(store.verify_audit().unwrap(), Ok(6));
    let filtered = store
        .audit_events(&AuditFilter {
            action: Some("charge_sent".into()),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(filtered.len(), 3, "filter by action");
    assert!(filtered.iter().all(|e| e.action == "charge_sent"));
}

#[test]
fn the_database_refuses_update_and_delete_of_audit_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let mut store = Store::open(&path).unwrap();
    store.append_audit(event(1)).unwrap();
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    let update = raw.execute("UPDATE audit_log SET details = '{}'", []);
    assert!(
        update.unwrap_err().to_string().contains("append-only"),
        "UPDATE must be refused"
    );
    let delete = raw.execute("DELETE FROM audit_log", []);
    assert!(
        delete.unwrap_err().to_string().contains("append-only"),
        "DELETE must be refused"
    );
}

#[test]
fn an_edit_made_behind_the_triggers_back_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let mut store = Store::open(&path).unwrap();
    for n in 1..=4 {
        store.append_audit(event(n)).unwrap();
    }
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET details = '{\"n\":99}' WHERE seq = 2;",
    )
    .unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    let broken = store.verify_audit().unwrap().unwrap_err();
    assert_eq!(broken.seq, 2, "the edited row is named: {broken}");
}

/// A file of `n` events, then `sql` run on it by hand (as with the sqlite3 shell), reopened.
fn tampered(n: i64, sql: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let mut store = Store::open(&path).unwrap();
    for i in 1..=n {
        store.append_audit(event(i)).unwrap();
    }
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute_batch(sql).unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    (dir, store)
}

#[test]
fn rows_cut_from_the_end_of_the_log_are_found() {
    let (_dir, store) = tampered(
        5,
        "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= 4;",
    );
    let broken = store.verify_audit().unwrap().unwrap_err();
    assert_eq!(broken.seq, 4, "the first missing event is named: {broken}");
    assert_eq!(broken.verified, 3, "the three left still verify: {broken}");
    assert!(broken.reason.contains("removed from its end"), "{broken}");
}

#[test]
fn a_cut_end_with_its_head_record_deleted_too_is_found() {
    let (_dir, store) = tampered(
        3,
        "DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_head_no_delete;
         DELETE FROM audit_log WHERE seq = 3; DELETE FROM audit_head;",
    );
    let broken = store.verify_audit().unwrap().unwrap_err();
    assert!(broken.reason.contains("audit_head"), "{broken}");
}

#[test]
fn a_last_row_replaced_with_a_rehashed_one_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let mut store = Store::open(&path).unwrap();
    for n in 1..=3 {
        store.append_audit(event(n)).unwrap();
    }
    // A forger who knows the hash recipe rewrites the last event consistently with the chain.
    let events = store.audit_events(&AuditFilter::default()).unwrap();
    let mut forged = events[2].clone();
    forged.details = r#"{"n":99}"#.into();
    forged.hash = coffer_core::audit::event_hash(&forged);
    drop(store);
    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute("DROP TRIGGER audit_log_no_update", []).unwrap();
    raw.execute(
        "UPDATE audit_log SET details = ?1, hash = ?2 WHERE seq = 3",
        rusqlite::params![forged.details, forged.hash],
    )
    .unwrap();
    drop(raw);
    let store = Store::open(&path).unwrap();
    let broken = store.verify_audit().unwrap().unwrap_err();
    assert_eq!(broken.seq, 3, "{broken}");
    assert!(broken.reason.contains("replaced"), "{broken}");
}

#[test]
fn a_value_of_the_wrong_type_is_a_break_at_its_row_not_an_error() {
    let (_dir, store) = tampered(
        4,
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET at = 'yesterday' WHERE seq = 3;",
    );
    let broken = store.verify_audit().unwrap().unwrap_err();
    assert_eq!(broken.seq, 3, "{broken}");
    assert_eq!(broken.verified, 2, "{broken}");
    assert!(
        broken.reason.contains("at field"),
        "the field is named: {broken}"
    );
}

#[test]
fn dropped_triggers_are_reported_even_when_the_chain_still_holds() {
    let (_dir, store) = tampered(2, "DROP TRIGGER audit_log_no_update;");
    assert_eq!(store.verify_audit().unwrap(), Ok(2), "no row was touched");
    assert_eq!(
        store.audit_protection_gaps().unwrap(),
        vec!["audit_log_no_update".to_string()],
        "the missing protection is named"
    );
    let (_dir, intact) = tampered(2, "SELECT 1;");
    assert!(intact.audit_protection_gaps().unwrap().is_empty());
}
