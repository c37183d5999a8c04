//! Erasing a customer: the migration that keeps audit events' personal details apart, the
//! trigger that lets a settled row lose only its buyer, and the erasure itself.

use coffer_core::audit::NewAuditEvent;
use coffer_core::{
    CardBrand, CardExpiry, CardToken, ChargeState, CustomerId, CustomerRef, Last4, ProviderRef,
};
use coffer_store::audit_log::AuditFilter;
use coffer_store::cards::CardFields;
use coffer_store::charges::Settlement;
use coffer_store::customers::{CustomerFields, CustomerOrigin};
use coffer_store::migrations::{migrations, version_of, AUDIT_PERSONAL_DIGEST};
use coffer_store::repo::prelude::*;
use coffer_store::Store;
use rusqlite::{params, Connection};

use crate::{at, charge_of, clover_merchant};

fn anna() -> CustomerFields {
    CustomerFields {
        reference: CustomerRef("C1".into()),
        name: "Anna Virtanen".into(),
        email: Some("anna@example.com".into()),
        phone: Some("+358401234567".into()),
        address: None,
    }
}

/// A database at the schema before the migration, with the released fixture and two customer
/// events whose details name the customer, chained as Coffer wrote them then.
fn old_database(path: &std::path::Path) {
    let before = version_of(AUDIT_PERSONAL_DIGEST) - 1;
    let mut conn = Connection::open(path).unwrap();
    conn.pragma_update(None, "foreign_keys", "ON").unwrap();
    migrations().unwrap().to_version(&mut conn, before).unwrap();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/store/fixtures/v{before}.sql"));
    conn.execute_batch(&std::fs::read_to_string(fixture).unwrap())
        .unwrap();
    let (mut seq, mut prev): (i64, String) = conn
        .query_row("SELECT seq, hash FROM audit_head", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    for (action, details) in [
        ("customer_created", r#"{"name":"Anna Virtanen"}"#),
        (
            "customer_edited",
            r#"{"address":"Mannerheimintie 1, 00100 Helsinki, FI","name":"Anna V."}"#,
        ),
        ("export", r#"{"rows":1}"#),
    ] {
        seq += 1;
        let subject = if action == "export" {
            "export:ledger"
        } else {
            "customer:C1"
        };
        let e = NewAuditEvent {
            at: at(seq),
            actor: "fixture".into(),
            merchant_id: Some(1),
            action: action.into(),
            subject: subject.into(),
            details: details.into(),
        }
        .chain(seq, &prev);
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, merchant_id, action, subject, details, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![e.seq, e.at.timestamp_millis(), e.actor, e.merchant_id, e.action, e.subject, e.details, e.prev_hash, e.hash],
        )
        .unwrap();
        prev = e.hash;
    }
}

#[test]
fn the_migration_moves_personal_details_apart_and_the_chain_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    old_database(&path);
    let before: Vec<String> = {
        let conn = Connection::open(&path).unwrap();
        let mut stmt = conn
            .prepare("SELECT hash FROM audit_log ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let store = Store::open(&path).unwrap();
    assert_eq!(store.verify_audit().unwrap(), Ok(6));
    assert!(store.audit_protection_gaps().unwrap().is_empty());
    let events = store.audit_events(&AuditFilter::default()).unwrap();
    assert_eq!(
        events[..3].iter().map(|e| &e.hash).collect::<Vec<_>>(),
        before[..3].iter().collect::<Vec<_>>(),
        "events before the first with personal details keep their hashes"
    );
    assert_ne!(
        events[3].hash, before[3],
        "from there on the chain is rehashed"
    );
    assert_eq!(events[3].details, "{}");
    assert_eq!(
        events[3].personal.as_deref(),
        Some(r#"{"name":"Anna Virtanen"}"#)
    );
    assert!(events[3].personal_digest.is_some());
    assert!(!events[4].details.contains("Mannerheimintie"));
    assert_eq!(events[5].details, r#"{"rows":1}"#);
    assert_eq!(events[5].personal_digest, None);

    // The log is append-only again, its head moves only forward.
    let raw = Connection::open(&path).unwrap();
    assert!(raw
        .execute("UPDATE audit_log SET details = '{}' WHERE seq = 6", [])
        .is_err());
    assert!(raw
        .execute("DELETE FROM audit_log WHERE seq = 6", [])
        .is_err());
    assert!(raw
        .execute("UPDATE audit_head SET seq = 1 WHERE id = 1", [])
        .is_err());
    // Kept personal details that are edited no longer match their digest.
    raw.execute_batch("DROP TRIGGER audit_personal_only_erased")
        .unwrap();
    raw.execute(
        "UPDATE audit_personal SET details = '{\"name\":\"Bert\"}' WHERE seq = 4",
        [],
    )
    .unwrap();
    let broken = store.verify_audit().unwrap().unwrap_err();
    assert_eq!(broken.seq, 4, "{broken}");
    assert!(broken.reason.contains("personal details"), "{broken}");
}

#[test]
fn a_chain_already_broken_before_the_migration_is_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    old_database(&path);
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER audit_log_no_update;
             UPDATE audit_log SET details = '{\"name\":\"Eve\"}' WHERE seq = 5;",
        )
        .unwrap();
        // Put back so that the migration finds the schema it expects.
        conn.execute_batch(
            "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
                 SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated');
             END;",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let broken = store.verify_audit().unwrap().unwrap_err();
    assert_eq!(
        broken.seq, 5,
        "the break is still named where it was: {broken}"
    );
    let events = store.audit_events(&AuditFilter::default()).unwrap();
    assert_eq!(
        events[3].details, r#"{"name":"Anna Virtanen"}"#,
        "nothing was rehashed over the break"
    );
    assert!(store.audit_protection_gaps().unwrap().is_empty());
}

/// A settled charge of 9.90 EUR whose kept request names its buyer; returns its customer and
/// the charge.
fn settled_charge(store: &Store) -> (CustomerId, coffer_core::AttemptId) {
    let m = store
        .insert_merchant(&clover_merchant("MIDERASE0001"), at(0))
        .unwrap();
    let (c, _) = store
        .upsert_customer(m.id, &anna(), CustomerOrigin::Sync, at(0))
        .unwrap();
    let card = CardFields {
        token: CardToken("tok1".into()),
        brand: CardBrand::Visa,
        last4: Last4::new("4242").unwrap(),
        bin: None,
        bank: None,
        expiry: CardExpiry::new(2030, 1).unwrap(),
        active: true,
        needs_cvc: false,
        art_url: None,
    };
    let (card, _) = store.upsert_card(m.id, c, &card, at(0)).unwrap();
    let request = r#"{"order_id":"CFORDER1","buyer":{"name":"Anna Virtanen","address":"x"}}"#;
    let id = store
        .insert_sending(&charge_of(m.id, card, request), at(5))
        .unwrap();
    store
        .settle_attempt(
            id,
            &Settlement {
                state: ChargeState::Succeeded,
                provider_ref: Some(ProviderRef("ch_1".into())),
                decline_code: None,
                hard_decline: false,
                message: None,
                warnings: Vec::new(),
                at: at(6),
            },
        )
        .unwrap();
    (c, id)
}

#[test]
fn a_settled_row_may_lose_its_buyer_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let store = Store::open(&path).unwrap();
    let (_, id) = settled_charge(&store);
    let raw = Connection::open(&path).unwrap();
    let refused = |sql: &str| {
        let err = raw.execute(sql, [id.0]).unwrap_err().to_string();
        assert!(
            err.contains("a settled charge attempt cannot change"),
            "{sql}: {err}"
        );
    };
    refused("UPDATE charge_attempts SET amount_minor = 1 WHERE id = ?1");
    refused("UPDATE charge_attempts SET provider_ref = NULL WHERE id = ?1");
    refused("UPDATE charge_attempts SET request_json = '{}' WHERE id = ?1");
    refused(
        "UPDATE charge_attempts SET request_json = json_set(request_json, '$.order_id', 'X') WHERE id = ?1",
    );
    refused(
        "UPDATE charge_attempts SET amount_minor = 1,
             request_json = json_set(request_json, '$.buyer', json('null')) WHERE id = ?1",
    );
    raw.execute(
        "UPDATE charge_attempts SET request_json = json_set(request_json, '$.buyer', json('null')) WHERE id = ?1",
        [id.0],
    )
    .unwrap();
    let kept: String = raw
        .query_row(
            "SELECT request_json FROM charge_attempts WHERE id = ?1",
            [id.0],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kept, r#"{"order_id":"CFORDER1","buyer":null}"#);
}

/// Anna's edit as the audit log records it: her details apart, in `personal`.
fn customer_edited(store: &Store, merchant: coffer_core::MerchantId, personal: &str) {
    store
        .batch(|s| {
            s.append_audit_personal_here(
                NewAuditEvent {
                    at: at(7),
                    actor: "anna".into(),
                    merchant_id: Some(merchant.0),
                    action: "customer_edited".into(),
                    subject: "customer:C1".into(),
                    details: "{}".into(),
                },
                personal.into(),
            )
        })
        .unwrap();
}

#[test]
fn erasure_blanks_the_person_keeps_the_money_and_the_chain_and_a_sync_brings_nothing_back() {
    let store = Store::open_in_memory().unwrap();
    let (customer, attempt) = settled_charge(&store);
    let merchant = store.customer(customer).unwrap().merchant_id;
    customer_edited(&store, merchant, r#"{"name":"Anna Virtanen"}"#);
    assert_eq!(store.verify_audit().unwrap(), Ok(1));

    let erased = store
        .batch(|s| s.erase_customer_records(customer, at(8)))
        .unwrap();
    assert_eq!((erased.ledger_rows, erased.audit_events), (1, 1));
    let row = store.customer(customer).unwrap();
    assert_eq!((row.name.as_str(), row.email, row.phone), ("", None, None));
    assert_eq!(store.customer_erased_at(customer).unwrap(), Some(at(8)));
    let charge = store.attempt(attempt).unwrap();
    assert_eq!(charge.amount.minor, 990);
    assert_eq!(charge.order_id, "CFORDER1");
    let request = store.attempt_request(attempt).unwrap().unwrap();
    assert!(
        !request.contains("Anna") && request.contains("CFORDER1"),
        "{request}"
    );
    assert_eq!(
        store.verify_audit().unwrap(),
        Ok(1),
        "the chain still verifies"
    );
    let events = store.audit_events(&AuditFilter::default()).unwrap();
    assert_eq!(events[0].personal, None);

    store
        .upsert_customer(merchant, &anna(), CustomerOrigin::Sync, at(9))
        .unwrap();
    assert_eq!(
        store.customer(customer).unwrap().name,
        "",
        "a sync brings nothing back"
    );
}

/// Whether the database file or its write-ahead log holds `needle` anywhere, in any case: in
/// live rows, in the free space of a page, in an old page image, in the full-text index.
pub fn on_disk(path: &std::path::Path, needle: &str) -> bool {
    let needle = needle.to_lowercase().into_bytes();
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    [path.to_path_buf(), std::path::PathBuf::from(wal)]
        .iter()
        .filter_map(|file| std::fs::read(file).ok())
        .any(|bytes| {
            bytes
                .to_ascii_lowercase()
                .windows(needle.len())
                .any(|w| w == needle.as_slice())
        })
}

#[test]
fn after_an_erasure_the_files_hold_nothing_of_the_person() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("coffer.db");
    let store = Store::open(&path).unwrap();
    let (customer, _) = settled_charge(&store);
    let merchant = store.customer(customer).unwrap().merchant_id;
    // An earlier e-mail and phone, replaced by a sync before the erasure: their old bytes are
    // what a file keeps in its free space.
    let earlier = CustomerFields {
        email: Some("anna.earlier@example.com".into()),
        phone: Some("+358409876543".into()),
        ..anna()
    };
    store
        .upsert_customer(merchant, &earlier, CustomerOrigin::Sync, at(1))
        .unwrap();
    store
        .upsert_customer(merchant, &anna(), CustomerOrigin::Sync, at(2))
        .unwrap();
    customer_edited(
        &store,
        merchant,
        r#"{"name":"Anna Virtanen","email":"anna@example.com"}"#,
    );
    // The full-text index keeps a term as the suffix it does not share with the term before
    // it, so the needles are the parts no other term starts like.
    let traces = [
        "Virtanen",
        "anna@example.com",
        "earlier@example",
        "401234567",
        "409876543",
    ];
    for trace in traces {
        assert!(on_disk(&path, trace), "before: {trace} is on the disk");
    }
    store
        .batch(|s| s.erase_customer_records(customer, at(8)))
        .unwrap();
    let wal_emptied = store.scrub_after_erasure().unwrap();

    for trace in traces {
        assert!(
            !on_disk(&path, trace),
            "after: {trace} is still on the disk"
        );
    }
    assert!(wal_emptied, "the write-ahead log was emptied");
    store.integrity_check().unwrap();
    assert_eq!(store.verify_audit().unwrap(), Ok(1));
    let fts_ok: i64 = Connection::open(&path)
        .unwrap()
        .query_row(
            "SELECT count(*) FROM customers_fts WHERE customers_fts MATCH 'virtanen'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(fts_ok, 0, "the search no longer finds the name");
}
