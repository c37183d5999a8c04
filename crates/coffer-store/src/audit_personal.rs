//! The Rust step of the migration that keeps audit events' personal details apart
//! (`AUDIT_PERSONAL_DIGEST` in the migrations module): today's
//! chain is verified, the personal details of events about customers move to `audit_personal`
//! (salted), every hash from the first such event on is recomputed over their digest, the chain
//! is verified again and the append-only triggers the SQL dropped are recreated.

use coffer_core::audit::{verify_chain, AuditEvent, PersonalDetails, GENESIS_HASH};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::HookError;

use crate::audit_log::{new_salt, read_event, COLUMNS, FROM};

/// Keys of a customer event's details that name or reach a person: they leave the hashed
/// details for the event's personal details.
pub const PERSONAL_KEYS: [&str; 4] = ["name", "email", "phone", "address"];

/// Splits an event's JSON details into what stays hashed as is and its personal details (`None`
/// when it has none). Only events about a customer (subject `customer:…`) have any: a
/// merchant's name is a business's, not a person's. Details that are not a JSON object stay
/// whole.
pub fn split_personal(subject: &str, details: &str) -> (String, Option<String>) {
    if !subject.starts_with("customer:") {
        return (details.to_string(), None);
    }
    let Ok(serde_json::Value::Object(mut rest)) = serde_json::from_str(details) else {
        return (details.to_string(), None);
    };
    let mut personal = serde_json::Map::new();
    for key in PERSONAL_KEYS {
        if let Some(value) = rest.remove(key) {
            personal.insert(key.to_string(), value);
        }
    }
    if personal.is_empty() {
        return (details.to_string(), None);
    }
    (
        serde_json::Value::Object(rest).to_string(),
        Some(serde_json::Value::Object(personal).to_string()),
    )
}

fn hook_error(e: impl std::fmt::Display) -> HookError {
    HookError::Hook(e.to_string())
}

fn events(conn: &Connection) -> Result<Vec<AuditEvent>, HookError> {
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY l.seq"))?;
    let rows = stmt.query_map([], read_event)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(row?.map_err(hook_error)?);
    }
    Ok(out)
}

/// Whether the chain verifies and ends at the head its trigger recorded.
fn intact(conn: &Connection, events: &[AuditEvent]) -> Result<Result<(), String>, HookError> {
    if let Err(broken) = verify_chain(events) {
        return Ok(Err(broken.to_string()));
    }
    let head: Option<(i64, String)> = conn
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let end = events.last().map(|e| (e.seq, e.hash.clone()));
    if head != end {
        return Ok(Err(format!(
            "the log ends at {end:?} but its head records {head:?}"
        )));
    }
    Ok(Ok(()))
}

/// The migration's Rust step, inside its transaction. A chain that does not verify before the
/// upgrade is left exactly as it is (rehashing it would hide whatever broke it; `coffer audit
/// verify` goes on naming the break), and its events keep their details whole.
pub(crate) fn move_personal_details(tx: &rusqlite::Transaction<'_>) -> Result<(), HookError> {
    let old = events(tx)?;
    if intact(tx, &old)?.is_ok() {
        let mut prev = GENESIS_HASH.to_string();
        let mut rewriting = false;
        for event in old {
            let (details, personal) = split_personal(&event.subject, &event.details);
            let personal = match personal {
                Some(details) => Some(PersonalDetails {
                    salt: new_salt(tx).map_err(hook_error)?,
                    details,
                }),
                None => None,
            };
            rewriting |= personal.is_some();
            if !rewriting {
                // Before the first event with personal details nothing changes.
                prev = event.hash;
                continue;
            }
            let seq = event.seq;
            let chained = coffer_core::audit::NewAuditEvent {
                at: event.at,
                actor: event.actor,
                merchant_id: event.merchant_id,
                action: event.action,
                subject: event.subject,
                details,
            }
            .chain_with(seq, &prev, personal.as_ref());
            tx.execute(
                "UPDATE audit_log SET details = ?2, personal_digest = ?3, prev_hash = ?4, hash = ?5
                 WHERE seq = ?1",
                params![
                    seq,
                    chained.details,
                    chained.personal_digest,
                    chained.prev_hash,
                    chained.hash
                ],
            )?;
            if let Some(personal) = personal {
                tx.execute(
                    "INSERT INTO audit_personal (seq, salt, details) VALUES (?1, ?2, ?3)",
                    params![seq, personal.salt, personal.details],
                )?;
            }
            prev = chained.hash;
        }
        if rewriting {
            tx.execute("UPDATE audit_head SET hash = ?1 WHERE id = 1", [&prev])?;
        }
        let moved = events(tx)?;
        if let Err(reason) = intact(tx, &moved)? {
            return Err(HookError::Hook(format!(
                "the audit chain does not verify after moving its personal details apart \
                 ({reason}); the upgrade was not made"
            )));
        }
    }
    tx.execute_batch(
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
             SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be updated');
         END;
         CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
             SELECT RAISE(ABORT, 'audit_log is append-only: rows cannot be deleted');
         END;
         CREATE TRIGGER audit_head_only_forward BEFORE UPDATE ON audit_head
             WHEN NEW.seq <= OLD.seq BEGIN
             SELECT RAISE(ABORT, 'audit_head only moves forward with the audit log');
         END;",
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_customer_events_personal_keys_move() {
        assert_eq!(
            split_personal("customer:C1", r#"{"name":"Anna","address":"x","rows":2}"#),
            (
                r#"{"rows":2}"#.to_string(),
                Some(r#"{"address":"x","name":"Anna"}"#.to_string())
            )
        );
        assert_eq!(
            split_personal("merchant:1", r#"{"name":"Shop"}"#),
            (r#"{"name":"Shop"}"#.to_string(), None)
        );
        assert_eq!(
            split_personal("customer:C1", r#"{"rows":2}"#),
            (r#"{"rows":2}"#.to_string(), None)
        );
        assert_eq!(
            split_personal("customer:C1", "not json"),
            ("not json".to_string(), None)
        );
    }
}
