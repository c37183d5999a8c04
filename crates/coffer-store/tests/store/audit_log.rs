use coffer_core::audit::NewAuditEvent;
use coffer_store::audit_log::AuditFilter;
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
