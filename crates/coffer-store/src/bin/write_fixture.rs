//! Writes the migration fixture of a schema version: `tests/store/fixtures/vN.sql`, data as a
//! Coffer of schema N writes it (two merchants, their customers and cards, an audit chain of
//! three events with its real hashes, and from schema 2 a contract with its charge and refund).
//! The migration tests load every fixture into its version and upgrade it to today's schema.
//!
//! Run once when a schema version is released:
//! `cargo run -p coffer-store --bin write_fixture -- [VERSION] [--out FILE]`
//! (VERSION: the latest schema by default; FILE: the fixtures folder by default).

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{TimeZone, Utc};
use coffer_core::audit::{NewAuditEvent, GENESIS_HASH};
use coffer_store::migrations::{latest_version, version_of};

const MERCHANTS_AND_CARDS: &str = "INSERT INTO merchants (id, name, provider, account_json, account_id, environment, base_url, time_zone, currency, notice_lead_days, merchant_group, secret_service, secret_account, created_at) VALUES
 (1, 'Downtown', 'clover', '{\"provider\":\"clover\",\"merchant_uuid\":\"MIDDOWNTOWN01\",\"pakms_key\":null}', 'MIDDOWNTOWN01', 'sandbox', 'http://127.0.0.1:9/clover', 'Europe/Helsinki', 'EUR', 3, 'owner', 'coffer-test', 'clover/MIDDOWNTOWN01', 1790000000000),
 (2, 'Minsk shop', 'assist', '{\"provider\":\"assist\",\"merchant_id\":\"679471\",\"login\":\"shop_login\"}', '679471', 'sandbox', 'http://127.0.0.1:9/assist', 'Europe/Minsk', 'BYN', 5, NULL, 'coffer-test', 'assist/679471', 1790000000000);
INSERT INTO customers (id, merchant_id, reference, name, email, phone, origin, synced_at) VALUES
 (1, 1, 'CUST0001', 'Anna Virtanen', 'anna@example.com', NULL, 'sync', 1790000000000),
 (2, 2, '1001', 'Pavel Petrov', NULL, '+375 29 000 0000', 'coffer', 1790000000000);
INSERT INTO cards (id, merchant_id, customer_id, token, brand, last4, bin, bank, exp_year, exp_month, active, needs_cvc, consent_at, consent_terms, initial_ref, initial_amount_minor, initial_currency, initial_at, synced_at) VALUES
 (1, 1, 1, 'clv_1TSTfixture0001', 'visa', '4242', '424242', 'Nordea', 2029, 4, 1, 0, 1790000000000, 'I agree to recurring charges', 'REFNUM0001', 1000, 'EUR', 1790000000000, 1790000000000),
 (2, 1, 1, 'clv_1TSTfixture0002', 'mastercard', '4444', NULL, NULL, 2025, 1, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL, 1790000000000);
";
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

/// The fixture of schema `version`.
fn fixture(version: usize) -> String {
    let mut sql =
        String::from("-- Written by write_fixture for this schema version; do not edit.\n");
    sql.push_str(MERCHANTS_AND_CARDS);
    let mut prev = GENESIS_HASH.to_string();
    for seq in 1..=3 {
        let event = NewAuditEvent {
            at: Utc
                .timestamp_millis_opt(1_790_000_000_000 + seq)
                .single()
                .unwrap_or_default(),
            actor: "fixture".into(),
            merchant_id: Some(1),
            action: "merchant_added".into(),
            subject: format!("merchant:{seq}"),
            details: "{}".into(),
        }
        .chain(seq, &prev);
        sql.push_str(&format!(
            "INSERT INTO audit_log (seq, at, actor, merchant_id, action, subject, details, prev_hash, hash) VALUES ({}, {}, '{}', {}, '{}', '{}', '{}', '{}', '{}');\n",
            event.seq,
            event.at.timestamp_millis(),
            event.actor,
            1,
            event.action,
            event.subject,
            event.details,
            event.prev_hash,
            event.hash
        ));
        prev = event.hash;
    }
    if version >= 2 {
        sql.push_str(LEDGER_ROWS);
    }
    if version >= version_of("12-contract-term-changes") {
        // Since schema 12 Coffer records the consented maximum with the contract.
        sql.push_str("UPDATE contracts SET consented_max_minor = amount_minor WHERE id = 1;\n");
    }
    if version >= version_of("21-search-by-location-and-name-order") {
        // Since schema 20 the store indexes the customers it inserts; the fixtures of 20 and
        // before were written without it (schema 21 rebuilt the index).
        sql.push_str(
            "INSERT INTO customers_fts (rowid, name, email, reference, location) \
             SELECT id, name, email, reference, location FROM customers;\n",
        );
    }
    if version >= version_of("22-search-words-in-name-order") {
        // Since schema 22 the store writes each customer's search words with it (and from 24
        // their prefixes, which the update trigger writes here).
        sql.push_str(
            "UPDATE customers SET words = '[\"anna\",\"anna@example.com\",\"cust0001\",\"virtanen\"]' WHERE id = 1;\n\
             UPDATE customers SET words = '[\"1001\",\"pavel\",\"petrov\"]' WHERE id = 2;\n",
        );
    }
    if version >= version_of("23-card-terms-and-counts-in-bulk") {
        // Since schema 23 the store writes the card terms, the per-location counts and the
        // name-order version with each page of inserts; no trigger does it for these rows.
        sql.push_str(
            "INSERT INTO card_terms (term, name, customer_id, card_id, merchant_id) \
             SELECT t.term, c.name, k.customer_id, k.id, k.merchant_id FROM cards k \
             JOIN customers c ON c.id = k.customer_id \
             JOIN (SELECT id, 'l' || last4 AS term FROM cards WHERE apm_name IS NULL \
                   UNION ALL SELECT id, 'b' || bin FROM cards WHERE bin IS NOT NULL \
                   UNION ALL SELECT id, 'r' || brand FROM cards) t ON t.id = k.id;\n\
             INSERT INTO customer_counts (merchant_id, customers) \
             SELECT merchant_id, count(*) FROM customers WHERE true GROUP BY merchant_id;\n\
             UPDATE name_order SET version = version + 1;\n",
        );
    }
    sql
}

fn main() -> ExitCode {
    let mut version = latest_version();
    let mut out = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--out" => match args.next() {
                Some(path) => out = Some(PathBuf::from(path)),
                None => return usage("--out needs a file"),
            },
            number => match number.parse::<usize>() {
                Ok(v) if (1..=latest_version()).contains(&v) => version = v,
                _ => {
                    return usage(&format!(
                        "VERSION must be a schema version from 1 to {}, not '{number}'",
                        latest_version()
                    ))
                }
            },
        }
    }
    let out = out.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join(format!("tests/store/fixtures/v{version}.sql"))
    });
    match std::fs::write(&out, fixture(version)) {
        Ok(()) => {
            println!("wrote the schema {version} fixture to {}", out.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", out.display());
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("{problem}\nusage: write_fixture [VERSION] [--out FILE]");
    ExitCode::from(2)
}
