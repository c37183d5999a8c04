//! Every released schema version upgrades to the current one without losing a row.
//!
//! `fixtures/vN.sql` holds data as a Coffer of schema N wrote it (audit rows with their real
//! hash chain). The test builds a file at version N, loads the fixture, opens it with today's
//! store and checks the rows, the chain and the backup made before upgrading. When a migration
//! is added, run `cargo test -p coffer-store --test store -- --ignored write_fixture` once to
//! write the fixture of the version just released.

use coffer_core::audit::{NewAuditEvent, GENESIS_HASH};
use coffer_store::migrations::{latest_version, migrations, version_of};
use coffer_store::repo::prelude::*;
use coffer_store::Store;
use rusqlite::Connection;

use crate::at;

/// Coffer's own records, in the schema since version 2: a contract with its occurrence and
/// notices, a charge of that occurrence and a partial refund of it.
const LEDGER_ROWS: &str = r#"INSERT INTO contracts (id, merchant_id, card_id, amount_kind, amount_minor, min_amount_minor, original_amount_minor, currency, frequency_json, start_date, end_date, status, terms_accepted_at, confirmation_sent_at, created_at) VALUES
 (1, 1, 1, 'fixed', 1500, NULL, 1000, 'EUR', '{"kind":"monthly","day":15}', '2026-09-15', NULL, 'active', 1790000000000, 1790000000000, 1790000000000);
INSERT INTO occurrences (contract_id, number, due_date, amount_minor, currency, notice_sent_at, state) VALUES
 (1, 1, '2026-09-15', 1500, 'EUR', 1790000000000, 'charged');
INSERT INTO notices (id, contract_id, occurrence, kind, recipient, amount_minor, currency, due_date, sent_at, channel, location) VALUES
 (1, 1, NULL, 'confirmation', 'anna@example.com', 1500, 'EUR', '2026-09-15', 1790000000000, 'outbox', 'outbox/contract-1-confirmation.eml'),
 (2, 1, 1, 'pre_charge', 'anna@example.com', 1500, 'EUR', '2026-09-15', 1790000000000, 'outbox', 'outbox/contract-1-pre_charge-1.eml');
INSERT INTO charge_attempts (id, kind, merchant_id, card_id, contract_id, occurrence, try_number, refund_of, amount_minor, currency, credential_json, idempotency_key, order_id, state, provider_ref, decline_code, hard_decline, message, warnings_json, created_at, settled_at) VALUES
 (1, 'charge', 1, 1, 1, 1, 1, NULL, 1500, 'EUR', '{"sequence":"subsequent","initiator":"merchant","reason":"recurring","scheduled":true,"initial_ref":"REFNUM0001"}', 'due-1-1-1-1', 'CFFIXTURE000000001', 'succeeded', 'CHARGEREF0001', NULL, 0, NULL, '[]', 1790000000000, 1790000000001),
 (2, 'refund', 1, 1, NULL, NULL, 1, 1, 500, 'EUR', '{"sequence":"subsequent","initiator":"merchant","reason":"recurring","scheduled":true,"initial_ref":"REFNUM0001"}', 'refund-key-0001', 'CFFIXTURE000000002', 'succeeded', 'REFUNDREF0001', NULL, 0, NULL, '[]', 1790000000002, 1790000000003);
"#;

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

/// Writes `fixtures/v{latest}.sql` (or `v$COFFER_FIXTURE_VERSION.sql`) for the schema as it is now.
#[test]
#[ignore = "run by hand when a schema version is released"]
fn write_fixture() {
    let mut sql =
        String::from("-- Written by write_fixture for this schema version; do not edit.\n");
    sql.push_str(
        "INSERT INTO merchants (id, name, provider, account_json, account_id, environment, base_url, time_zone, currency, notice_lead_days, merchant_group, secret_service, secret_account, created_at) VALUES
 (1, 'Downtown', 'clover', '{\"provider\":\"clover\",\"merchant_uuid\":\"MIDDOWNTOWN01\",\"pakms_key\":null}', 'MIDDOWNTOWN01', 'sandbox', 'http://127.0.0.1:9/clover', 'Europe/Helsinki', 'EUR', 3, 'owner', 'coffer-test', 'clover/MIDDOWNTOWN01', 1790000000000),
 (2, 'Minsk shop', 'assist', '{\"provider\":\"assist\",\"merchant_id\":\"679471\",\"login\":\"shop_login\"}', '679471', 'sandbox', 'http://127.0.0.1:9/assist', 'Europe/Minsk', 'BYN', 5, NULL, 'coffer-test', 'assist/679471', 1790000000000);
INSERT INTO customers (id, merchant_id, reference, name, email, phone, origin, synced_at) VALUES
 (1, 1, 'CUST0001', 'Anna Virtanen', 'anna@example.com', NULL, 'sync', 1790000000000),
 (2, 2, '1001', 'Pavel Petrov', NULL, '+375 29 000 0000', 'coffer', 1790000000000);
INSERT INTO cards (id, merchant_id, customer_id, token, brand, last4, bin, bank, exp_year, exp_month, active, needs_cvc, consent_at, consent_terms, initial_ref, initial_amount_minor, initial_currency, initial_at, synced_at) VALUES
 (1, 1, 1, 'clv_1TSTfixture0001', 'visa', '4242', '424242', 'Nordea', 2029, 4, 1, 0, 1790000000000, 'I agree to recurring charges', 'REFNUM0001', 1000, 'EUR', 1790000000000, 1790000000000),
 (2, 1, 1, 'clv_1TSTfixture0002', 'mastercard', '4444', NULL, NULL, 2025, 1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 1790000000000);
",
    );
    let mut prev = GENESIS_HASH.to_string();
    for seq in 1..=3 {
        let e = NewAuditEvent {
            at: at(seq),
            actor: "fixture".into(),
            merchant_id: Some(1),
            action: "merchant_added".into(),
            subject: format!("merchant:{seq}"),
            details: "{}".into(),
        }
        .chain(seq, &prev);
        sql.push_str(&format!(
            "INSERT INTO audit_log (seq, at, actor, merchant_id, action, subject, details, prev_hash, hash) VALUES ({}, {}, '{}', {}, '{}', '{}', '{}', '{}', '{}');\n",
            e.seq,
            e.at.timestamp_millis(),
            e.actor,
            1,
            e.action,
            e.subject,
            e.details,
            e.prev_hash,
            e.hash
        ));
        prev = e.hash;
    }
    let version = std::env::var("COFFER_FIXTURE_VERSION")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(latest_version);
    if version >= 2 {
        sql.push_str(LEDGER_ROWS);
    }
    if version >= version_of("12-contract-term-changes") {
        // Since schema 12 Coffer records the consented maximum with the contract.
        sql.push_str("UPDATE contracts SET consented_max_minor = amount_minor WHERE id = 1;\n");
    }
    std::fs::write(fixture_path(version), sql).unwrap();
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
