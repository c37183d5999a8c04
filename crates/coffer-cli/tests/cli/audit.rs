use chrono::Utc;
use coffer_core::audit::NewAuditEvent;
use coffer_store::repo::prelude::*;
use coffer_store::Store;

use crate::{coffer, stdout_json};

fn write_events(dir: &std::path::Path, n: i64) {
    let mut store = Store::open(&dir.join("coffer.db")).unwrap();
    for i in 1..=n {
        store
            .append_audit(NewAuditEvent {
                at: Utc::now(),
                actor: "test".into(),
                merchant_id: Some(1),
                action: "merchant_added".into(),
                subject: format!("merchant:{i}"),
                details: "{}".into(),
            })
            .unwrap();
    }
}

#[test]
fn verify_reports_an_intact_chain() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 3);
    let out = coffer(dir.path(), &["--json", "audit", "verify"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = stdout_json(&out);
    assert_eq!(v["intact"], true);
    assert_eq!(v["verified"], 3);
    let list = stdout_json(&coffer(dir.path(), &["--json", "audit", "list"]));
    assert_eq!(list.as_array().unwrap().len(), 3);
}

#[test]
fn verify_finds_a_row_edited_by_hand_with_sqlite_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 4);
    let raw = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap();
    raw.execute_batch("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET subject = 'merchant:99' WHERE seq = 3;")
        .unwrap();
    drop(raw);
    let out = coffer(dir.path(), &["--json", "audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "a broken chain is a failure");
    let v = stdout_json(&out);
    assert_eq!(v["intact"], false);
    assert_eq!(v["broken_at"], 3, "the edited event is named");
    let human = coffer(dir.path(), &["audit", "verify"]);
    assert_eq!(human.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&human.stderr).contains("broken at event 3"));
}

#[test]
fn verify_finds_rows_deleted_from_the_end_with_sqlite_and_exits_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 5);
    let raw = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap();
    raw.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 5;")
        .unwrap();
    drop(raw);
    let out = coffer(dir.path(), &["--json", "audit", "verify"]);
    assert_eq!(out.status.code(), Some(1), "a cut log is a failure");
    let v = stdout_json(&out);
    assert_eq!(v["intact"], false, "{v}");
    assert_eq!(v["broken_at"], 5, "the first missing event is named: {v}");
    assert_eq!(v["verified"], 4, "the rest still verifies: {v}");
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("removed from its end"),
        "{v}"
    );
    assert!(
        v["reason"]
            .as_str()
            .unwrap()
            .contains("no longer append-only"),
        "the dropped trigger is reported as well: {v}"
    );
}

#[test]
fn verify_reports_a_log_whose_triggers_were_dropped_even_before_any_edit() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 2);
    let raw = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap();
    raw.execute_batch("DROP TRIGGER audit_log_no_update;")
        .unwrap();
    drop(raw);
    let human = coffer(dir.path(), &["audit", "verify"]);
    assert_eq!(
        human.status.code(),
        Some(1),
        "an unprotected log is a failure"
    );
    let stderr = String::from_utf8_lossy(&human.stderr);
    assert!(
        stderr.contains("audit_log_no_update"),
        "the removed trigger is named: {stderr}"
    );
}

#[test]
fn verify_names_a_row_whose_value_was_given_the_wrong_type() {
    let dir = tempfile::tempdir().unwrap();
    write_events(dir.path(), 3);
    let raw = rusqlite::Connection::open(dir.path().join("coffer.db")).unwrap();
    raw.execute_batch(
        "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET merchant_id = 'one' WHERE seq = 2;",
    )
    .unwrap();
    drop(raw);
    let out = coffer(dir.path(), &["--json", "audit", "verify"]);
    assert_eq!(out.status.code(), Some(1));
    let v = stdout_json(&out);
    assert_eq!(v["broken_at"], 2, "a report, not an internal error: {v}");
}

#[cfg(target_os = "linux")]
#[test]
fn the_audit_names_the_os_user_even_when_cron_sets_no_user_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "--json",
            "merchant",
            "add",
            "--provider",
            "clover",
            "--name",
            "Downtown",
            "--environment",
            "sandbox",
            "--base-url",
            "embedded:clover",
            "--account-id",
            "WDEVSNNHH8VQP",
            "--time-zone",
            "America/New_York",
            "--currency",
            "USD",
        ])
        .env_remove("COFFER_DATA_DIR")
        .env_remove("USER")
        .env_remove("USERNAME")
        .env_remove("LOGNAME")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let events = stdout_json(&coffer(dir.path(), &["--json", "audit", "list"]));
    let actor = events[0]["actor"].as_str().unwrap().to_string();
    assert!(
        !actor.is_empty() && actor != "unknown",
        "who did it is the process's user, not '{actor}'"
    );
}
