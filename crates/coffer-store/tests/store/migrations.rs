//! Every released schema version upgrades to the current one without losing a row.
//!
//! `fixtures/vN.sql` holds data as a Coffer of schema N wrote it (audit rows with their real
//! hash chain). The test builds a file at version N, loads the fixture, opens it with today's
//! store and checks the rows, the chain and the backup made before upgrading. When a migration
//! is added, run `cargo run -p coffer-store --bin write_fixture` once to write the fixture of
//! the version just released (the bin's own doc says how).

use coffer_store::migrations::{latest_version, migrations, pending_upgrade, version_of};
use coffer_store::repo::prelude::*;
use coffer_store::Store;
use rusqlite::Connection;

fn fixture_path(version: usize) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/store/fixtures/v{version}.sql"))
}

#[test]
fn migrations_are_valid() {
    migrations().unwrap().validate().unwrap();
    assert!(latest_version() >= 2);
}

#[test]
fn a_database_of_every_earlier_version_opens_and_keeps_its_rows() {
    for version in 1..latest_version() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("coffer.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "foreign_keys", "ON").unwrap();
            migrations()
                .unwrap()
                .to_version(&mut conn, version)
                .unwrap();
            let fixture = std::fs::read_to_string(fixture_path(version))
                .unwrap_or_else(|e| panic!("fixture for schema v{version} is missing: {e}"));
            conn.execute_batch(&fixture).unwrap();
        }
        let store = Store::open(&path).unwrap();
        let backup = store
            .backup_made()
            .expect("a copy is kept before upgrading");
        assert!(backup.exists(), "backup {backup:?} exists");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode =
                |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(
                mode(backup),
                0o600,
                "the backup is private like the database"
            );
            assert_eq!(mode(&path), 0o600, "an old database is made private");
        }
        let merchants = store.merchants().unwrap();
        assert_eq!(merchants.len(), 2, "v{version}: merchants survive");
        assert_eq!(
            store.verify_audit().unwrap(),
            Ok(3),
            "v{version}: the audit chain survives"
        );
        let cards = store.cards_of_customer(coffer_core::CustomerId(1)).unwrap();
        assert_eq!(cards.len(), 2, "v{version}: cards survive");
        assert_eq!(
            cards[0].initial.as_ref().unwrap().reference.as_str(),
            "REFNUM0001"
        );
        store.integrity_check().unwrap();
        if version >= 2 {
            // Coffer's own records: never silently dropped by an upgrade, and readable by it.
            let charge = store.attempt(coffer_core::AttemptId(1)).unwrap();
            assert_eq!(
                (charge.state.as_str(), charge.amount.minor),
                ("succeeded", 1500),
                "v{version}: the charge survives"
            );
            assert_eq!(
                store.refunded_minor(coffer_core::AttemptId(1)).unwrap(),
                500,
                "v{version}: its refund survives"
            );
            let contract = store.contract(coffer_core::ContractId(1)).unwrap();
            assert_eq!(
                contract.status,
                coffer_core::contract::ContractStatus::Active,
                "v{version}: the contract survives"
            );
            assert_eq!(
                contract.consented_max.map(|m| m.minor),
                Some(1500),
                "v{version}: a contract kept before consent was recorded was consented on its terms"
            );
            let occurrences = store.occurrences_of(contract.id).unwrap();
            assert_eq!(occurrences.len(), 1, "v{version}: its occurrence survives");
            assert!(occurrences[0].notice_sent_at.is_some());
            let raw = Connection::open(&path).unwrap();
            let notices: i64 = raw
                .query_row("SELECT count(*) FROM notices", [], |r| r.get(0))
                .unwrap();
            assert_eq!(notices, 2, "v{version}: the notices survive");
        }
        let old = Connection::open(backup).unwrap();
        let v: i64 = old
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v as usize, version, "the backup is the file as it was");
        let (merchants, check): (i64, String) = (
            old.query_row("SELECT count(*) FROM merchants", [], |r| r.get(0))
                .unwrap(),
            old.query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap(),
        );
        assert_eq!(
            (merchants, check.as_str()),
            (2, "ok"),
            "v{version}: the backup holds the rows, whole"
        );
        drop(old);
        drop(store);
        // The upgrade recorded the old log's head, so a row cut from its end is found.
        let raw = Connection::open(&path).unwrap();
        raw.execute_batch("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 3;")
            .unwrap();
        drop(raw);
        let store = Store::open(&path).unwrap();
        assert_eq!(
            store.verify_audit().unwrap().map_err(|b| b.seq),
            Err(3),
            "v{version}: the head of the upgraded log is known"
        );
    }
}

#[test]
fn opening_a_current_database_makes_no_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    drop(Store::open(&path).unwrap());
    let again = Store::open(&path).unwrap();
    assert!(again.backup_made().is_none());
}

#[test]
fn a_newer_database_is_refused_not_damaged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    drop(Store::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = Store::open(&path).unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

/// What the desktop asks before it opens a profile, to say an upgrade is running meanwhile.
#[test]
fn the_pending_upgrade_is_known_before_opening_and_only_when_one_will_run() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    assert_eq!(pending_upgrade(&path).unwrap(), None, "no file yet");
    assert!(!path.exists(), "asking creates no file");
    let before = latest_version() - 1;
    {
        let mut conn = Connection::open(&path).unwrap();
        migrations().unwrap().to_version(&mut conn, before).unwrap();
    }
    // Read while another connection holds the write lock (a WAL file, as Coffer keeps it).
    let holder = Connection::open(&path).unwrap();
    holder.pragma_update(None, "journal_mode", "WAL").unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    assert_eq!(
        pending_upgrade(&path).unwrap(),
        Some((before, latest_version()))
    );
    holder.execute_batch("ROLLBACK").unwrap();
    drop(holder);
    drop(Store::open(&path).unwrap());
    assert_eq!(pending_upgrade(&path).unwrap(), None, "upgraded");
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", latest_version() + 1)
        .unwrap();
    assert_eq!(
        pending_upgrade(&path).unwrap(),
        None,
        "a newer file is not upgraded: opening it says why"
    );
}

/// The fixture writer is a bin that stays true to the fixtures: it writes a released version's
/// fixture byte for byte, and today's fixture loads into today's schema.
#[test]
fn the_fixture_writer_writes_the_released_fixtures_and_todays_schema() {
    let dir = tempfile::tempdir().unwrap();
    let written = dir.path().join("v12.sql");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_write_fixture"))
        .args(["12", "--out"])
        .arg(&written)
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(
        std::fs::read_to_string(&written).unwrap(),
        std::fs::read_to_string(fixture_path(12)).unwrap(),
        "the writer no longer writes the released v12 fixture"
    );

    let latest = dir.path().join("latest.sql");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_write_fixture"))
        .arg("--out")
        .arg(&latest)
        .status()
        .unwrap();
    assert!(status.success());
    let path = dir.path().join("coffer.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().unwrap().to_latest(&mut conn).unwrap();
        conn.execute_batch(&std::fs::read_to_string(&latest).unwrap())
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.merchants().unwrap().len(), 2);
    assert_eq!(store.verify_audit().unwrap(), Ok(3));

    let refused = std::process::Command::new(env!("CARGO_BIN_EXE_write_fixture"))
        .arg(format!("{}", latest_version() + 1))
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("VERSION must be a schema version"));
}

/// Schema 10 names the kind of every existing initial: Assist ones are One Click (re-enroll)
/// unless they came from the sandbox's demo seed, which registered them as recurring.
#[test]
fn upgrading_to_card_kinds_flags_assist_initials_made_by_token_pay_or_on_live_accounts() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        let before = version_of("10-assist-card-kinds") - 1;
        migrations().unwrap().to_version(&mut conn, before).unwrap();
        conn.execute_batch(
            "INSERT INTO merchants (id, name, provider, account_json, account_id, environment, base_url, time_zone, currency, secret_service, secret_account, created_at) VALUES
 (1, 'Downtown', 'clover', '{}', 'MID1', 'live', 'https://clover.example', 'Europe/Helsinki', 'EUR', 's', 'a', 0),
 (2, 'Assist demo', 'assist', '{}', '600101', 'sandbox', 'coffer-embedded://assist', 'Europe/Minsk', 'BYN', 's', 'b', 0),
 (3, 'Assist shop', 'assist', '{}', '679471', 'live', 'https://payments.paysec.by', 'Europe/Minsk', 'BYN', 's', 'c', 0);
INSERT INTO customers (id, merchant_id, reference) VALUES (1, 1, 'C1'), (2, 2, 'BY-000001'), (3, 3, 'CUST-1');
INSERT INTO cards (id, merchant_id, customer_id, token, brand, last4, exp_year, exp_month, initial_ref, initial_at) VALUES
 (1, 1, 1, 'clv1', 'visa', '4242', 2030, 1, 'REFNUM1', 0),
 (2, 2, 2, 'tok-demo', 'belkart', '0028', 2030, 1, '5100000000010123', 0),
 (3, 2, 2, 'tok-made', 'visa', '1111', 2030, 1, '7100000000000001', 0),
 (4, 3, 3, 'tok-live', 'visa', '2222', 2030, 1, '5733000000000001', 0),
 (5, 2, 2, 'tok-none', 'visa', '3333', 2030, 1, NULL, NULL);
INSERT INTO charge_attempts (kind, merchant_id, card_id, amount_minor, currency, credential_json, idempotency_key, order_id, state, provider_ref, created_at, settled_at) VALUES
 ('charge', 2, 3, 100, 'BYN', '{}', 'k-initial', 'CF-1', 'succeeded', '7100000000000001', 0, 1);",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let kind = |id: i64| {
        store
            .card(coffer_core::CardId(id))
            .unwrap()
            .initial
            .map(|i| i.kind)
    };
    use coffer_core::InitialKind::{OneClick, Recurring};
    assert_eq!(
        kind(1),
        Some(Recurring),
        "other providers keep their meaning"
    );
    assert_eq!(
        kind(2),
        Some(Recurring),
        "a sandbox initial Coffer did not make came from the demo seed's recurring orders"
    );
    assert_eq!(
        kind(3),
        Some(OneClick),
        "an initial Coffer made itself was a Token Pay: re-enroll"
    );
    assert_eq!(
        kind(4),
        Some(OneClick),
        "a live Assist initial is not known to be recurring-registered: re-enroll"
    );
    assert_eq!(kind(5), None, "no initial, no kind");
}

/// Schema 13 turns the CHECK on provider names into a foreign key to `providers`: the schema
/// still refuses an unknown provider, and the table names every provider core knows.
#[test]
fn the_providers_table_names_every_provider_and_refuses_an_unknown_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    drop(Store::open(&path).unwrap());
    let raw = Connection::open(&path).unwrap();
    raw.pragma_update(None, "foreign_keys", "ON").unwrap();
    let mut names: Vec<String> = raw
        .prepare("SELECT name FROM providers ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    names.sort();
    let mut known: Vec<String> = coffer_core::ProviderKind::ALL
        .iter()
        .map(|p| p.as_str().to_string())
        .collect();
    known.sort();
    assert_eq!(
        names, known,
        "a provider in ProviderKind::ALL is missing from the providers table (the store fills it at open)"
    );
    let insert = |provider: &str, account: &str| {
        raw.execute(
            "INSERT INTO merchants (name, provider, account_json, account_id, environment, base_url, time_zone, currency, secret_service, secret_account, created_at) VALUES ('Shop', ?1, '{}', ?2, 'sandbox', 'http://127.0.0.1:9', 'UTC', 'EUR', '', '', 0)",
            [provider, account],
        )
    };
    let refused = insert("paypal", "A1").unwrap_err();
    assert!(
        refused.to_string().contains("FOREIGN KEY"),
        "an unknown provider is refused by the schema: {refused}"
    );
    for (i, provider) in known.iter().enumerate() {
        insert(provider, &format!("A{i}")).unwrap_or_else(|e| panic!("{provider}: {e}"));
    }
}

/// Rebuilding merchants (schema 13) keeps the rows that refer to them: nothing cascades.
#[test]
fn upgrading_to_the_providers_table_keeps_every_row_that_refers_to_a_merchant() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let before = version_of("13-providers-table") - 1;
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().unwrap().to_version(&mut conn, before).unwrap();
        conn.execute_batch(&std::fs::read_to_string(fixture_path(before)).unwrap())
            .unwrap();
    }
    let count = |conn: &Connection, table: &str| -> i64 {
        conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    let tables = [
        "merchants",
        "customers",
        "cards",
        "contracts",
        "charge_attempts",
        "audit_log",
    ];
    let rows_before: Vec<i64> = {
        let conn = Connection::open(&path).unwrap();
        tables.iter().map(|t| count(&conn, t)).collect()
    };
    drop(Store::open(&path).unwrap());
    let conn = Connection::open(&path).unwrap();
    let rows_after: Vec<i64> = tables.iter().map(|t| count(&conn, t)).collect();
    assert_eq!(rows_after, rows_before, "{tables:?}: no row lost");
    let violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(violations, 0, "every key still points at its row");
    let store = Store::open(&path).unwrap();
    store.integrity_check().unwrap();
}

/// Imported history (issue 24): a database of the schema before it upgrades with the table
/// empty, the old system's attempts on its cards can be recorded and read back, and never changed.
#[test]
fn upgrading_to_imported_history_keeps_the_rows_and_the_old_systems_attempts_never_change() {
    use coffer_store::imported::{ImportedAttempt, ImportedOutcome};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let before = version_of("14-imported-history") - 1;
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().unwrap().to_version(&mut conn, before).unwrap();
        conn.execute_batch(&std::fs::read_to_string(fixture_path(before)).unwrap())
            .unwrap();
    }
    let store = Store::open(&path).unwrap();
    assert!(
        store.backup_made().is_some(),
        "a copy is kept before upgrading"
    );
    let card = coffer_core::CardId(1);
    assert!(store.imported_attempts(card).unwrap().is_empty());
    let contract = store.contracts(&Default::default()).unwrap()[0].clone();
    let attempt = ImportedAttempt {
        merchant_id: contract.merchant_id,
        card_id: contract.card_id,
        contract_id: contract.id,
        at: chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap(),
        amount: coffer_core::Money::from_minor(1500, coffer_core::Currency::EUR),
        outcome: ImportedOutcome::SoftDecline,
        source: "old.csv line 2".into(),
    };
    store
        .insert_imported_attempt(&attempt, chrono::Utc::now())
        .unwrap();
    assert_eq!(
        store.imported_attempts(contract.card_id).unwrap(),
        vec![attempt],
        "read back as written"
    );
    let raw = Connection::open(&path).unwrap();
    let refused = raw
        .execute("UPDATE imported_attempts SET outcome = 'approved'", [])
        .unwrap_err();
    assert!(
        refused.to_string().contains("never changes"),
        "an imported attempt is a record and never changes: {refused}"
    );
    assert_eq!(
        store.verify_audit().unwrap(),
        Ok(3),
        "the audit chain survives"
    );
    store.integrity_check().unwrap();
}

/// Schema 25 (issue 26): the audit log is rebuilt without an index on its hashes. Every event
/// comes through as it was, the chain still verifies and grows, and the log is still append-only.
#[test]
fn upgrading_to_the_unindexed_audit_hash_keeps_every_event_and_the_log_append_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let before = version_of("25-audit-log-hash-unindexed") - 1;
    let events = |conn: &Connection| -> Vec<Vec<rusqlite::types::Value>> {
        let mut stmt = conn
            .prepare(
                "SELECT seq, at, actor, merchant_id, action, subject, details, prev_hash, hash,
                        personal_digest FROM audit_log ORDER BY seq",
            )
            .unwrap();
        stmt.query_map([], |r| (0..10).map(|i| r.get(i)).collect())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let written = {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().unwrap().to_version(&mut conn, before).unwrap();
        conn.execute_batch(&std::fs::read_to_string(fixture_path(before)).unwrap())
            .unwrap();
        events(&conn)
    };
    assert_eq!(written.len(), 3);
    let mut store = Store::open(&path).unwrap();
    assert!(
        store.backup_made().is_some(),
        "a copy is kept before upgrading"
    );
    let raw = Connection::open(&path).unwrap();
    assert_eq!(
        events(&raw),
        written,
        "every event as it was, seq and hashes included"
    );
    let unique_on_hash: i64 = raw
        .query_row(
            "SELECT count(*) FROM pragma_index_list('audit_log') l
               JOIN pragma_index_info(l.name) i ON i.name = 'hash'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(unique_on_hash, 0, "nothing indexes the hashes any more");
    let indexes: Vec<String> = raw
        .prepare("SELECT name FROM pragma_index_list('audit_log') ORDER BY name")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(indexes, ["audit_by_action", "audit_by_merchant"]);

    let appended = store
        .append_audit(coffer_core::audit::NewAuditEvent {
            at: chrono::DateTime::from_timestamp(1_790_000_100, 0).unwrap(),
            actor: "owner".into(),
            merchant_id: Some(1),
            action: "merchant_synced".into(),
            subject: "merchant:1".into(),
            details: "{}".into(),
        })
        .unwrap();
    assert_eq!(appended.seq, 4, "the log goes on from its last event");
    assert_eq!(
        store.verify_audit().unwrap(),
        Ok(4),
        "and its chain verifies"
    );
    let head: (i64, String) = raw
        .query_row("SELECT seq, hash FROM audit_head", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(
        head,
        (4, appended.hash.clone()),
        "the head follows the new event"
    );
    for (sql, rule) in [
        (
            "UPDATE audit_log SET actor = 'someone else' WHERE seq = 1",
            "cannot be updated",
        ),
        ("DELETE FROM audit_log WHERE seq = 1", "cannot be deleted"),
    ] {
        let refused = raw.execute(sql, []).unwrap_err();
        assert!(refused.to_string().contains(rule), "{sql}: {refused}");
    }
    let dangling: i64 = raw
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(dangling, 0, "audit_personal still refers to the log's rows");
    store.integrity_check().unwrap();
}

/// Schema 26: content deleted before it (a customer removed: its row in a page's free space,
/// its words in the full-text index's old segments) is gone from the file once the upgrade has
/// run; the live rows and their search stay.
#[test]
fn upgrading_to_secure_delete_rewrites_the_file_without_what_was_deleted_before() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let before = version_of("26-full-text-secure-delete") - 1;
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().unwrap().to_version(&mut conn, before).unwrap();
        conn.execute_batch(&std::fs::read_to_string(fixture_path(before)).unwrap())
            .unwrap();
        // A customer written and then removed by that version: its row's bytes stay in the
        // page's free space, its words in the full-text index's segments (a tombstone beside).
        conn.execute_batch(
            "INSERT INTO customers (id, merchant_id, reference, name, email)
                 VALUES (3, 1, 'GHOST1', 'Zq Ghost', 'zq.ghost@example.net');
             INSERT INTO customers_fts (rowid, name, email, reference, location)
                 VALUES (3, 'Zq Ghost', 'zq.ghost@example.net', 'GHOST1', 'm1');",
        )
        .unwrap();
        conn.execute("DELETE FROM customers WHERE id = 3", [])
            .unwrap();
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .unwrap();
    }
    assert!(
        crate::erasure::on_disk(&path, "ghost@example"),
        "the removed customer's e-mail is still in the file before the upgrade"
    );

    let store = Store::open(&path).unwrap();
    let backup = store.backup_made().unwrap().to_path_buf();
    assert!(
        !crate::erasure::on_disk(&path, "ghost@example"),
        "the upgrade left the removed customer's e-mail in the file"
    );
    assert!(
        crate::erasure::on_disk(&backup, "ghost@example"),
        "the copy kept before the upgrade is the file as it was"
    );
    let copies = coffer_store::copies::of(&path).unwrap();
    assert_eq!(
        copies.iter().map(|c| &c.path).collect::<Vec<_>>(),
        vec![&backup]
    );
    assert_eq!(
        copies[0].bytes,
        std::fs::metadata(&backup).unwrap().len(),
        "a copy is listed with its size on disk"
    );
    let customer = store.customer(coffer_core::CustomerId(1)).unwrap();
    assert_eq!(
        customer.email.as_deref(),
        Some("anna@example.com"),
        "the live rows are kept"
    );
    store.integrity_check().unwrap();
    let raw = Connection::open(&path).unwrap();
    let found: i64 = raw
        .query_row(
            "SELECT count(*) FROM customers_fts WHERE customers_fts MATCH '\"anna@example.com\"'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(found, 1, "the search still finds the live e-mail");
    let secure: i64 = raw
        .query_row(
            "SELECT v FROM customers_fts_config WHERE k = 'secure-delete'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(secure, 1, "the full-text index removes what is deleted");
}

/// An upgrade waits for another connection's write lock (the busy timeout) instead of failing:
/// the desktop app shows "Upgrading…" meanwhile, and a large upgrade elsewhere holds it so.
#[test]
fn an_upgrade_waits_for_another_connections_write_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let before = latest_version() - 1;
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        migrations().unwrap().to_version(&mut conn, before).unwrap();
        conn.execute_batch(&std::fs::read_to_string(fixture_path(before)).unwrap())
            .unwrap();
    }
    let holder = Connection::open(&path).unwrap();
    holder.execute_batch("BEGIN IMMEDIATE").unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(500));
        holder.execute_batch("ROLLBACK").unwrap();
    });
    let store = Store::open(&path).expect("the upgrade waited for the lock");
    release.join().unwrap();
    assert_eq!(store.merchants().unwrap().len(), 2);
    let version: usize = Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, latest_version());
}

/// An upgrade the disk has no room for is refused before it writes anything, and says where,
/// how much and which older copies could go; with room, the same file upgrades.
#[test]
fn an_upgrade_with_too_little_disk_space_changes_nothing_and_says_what_to_free() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let before = latest_version() - 1;
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "foreign_keys", "ON").unwrap();
        migrations().unwrap().to_version(&mut conn, before).unwrap();
        conn.execute_batch(&std::fs::read_to_string(fixture_path(before)).unwrap())
            .unwrap();
    }
    let older = dir.path().join("coffer.db.before-v20-1780000000000");
    std::fs::write(&older, vec![0u8; 3_000_000]).unwrap();
    let bytes_before = std::fs::read(&path).unwrap();

    let mut conn = Connection::open(&path).unwrap();
    let refused = coffer_store::migrations::upgrade(&mut conn, Some(&path), 1, &|_| Ok(2_000_000))
        .unwrap_err();
    let message = refused.to_string();
    assert!(
        matches!(refused, coffer_store::StoreError::NoRoom { .. })
            && message.contains(&dir.path().display().to_string())
            && message.contains("2 MB is free there")
            && message.contains("Nothing was changed")
            && message.contains(&format!("{} (3 MB)", older.display())),
        "{message}"
    );
    assert_eq!(
        coffer_store::migrations::current_version(&conn).unwrap(),
        before,
        "the schema is as it was"
    );
    drop(conn);
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes_before,
        "the file is as it was"
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".before-v"))
        .collect();
    assert_eq!(
        names,
        vec!["coffer.db.before-v20-1780000000000"],
        "no copy was started"
    );

    let mut conn = Connection::open(&path).unwrap();
    let backup =
        coffer_store::migrations::upgrade(&mut conn, Some(&path), 2, &|_| Ok(u64::MAX)).unwrap();
    assert!(backup.is_some_and(|b| b.exists()));
    assert_eq!(
        coffer_store::migrations::current_version(&conn).unwrap(),
        latest_version()
    );
}
