//! The append-only audit log. Appends chain each event to the previous one's hash inside one
//! IMMEDIATE transaction, so two processes appending at once still form one unbroken chain.

use coffer_core::audit::{
    verify_chain, AuditEvent, ChainBreak, NewAuditEvent, PersonalDetails, GENESIS_HASH,
};
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// Which events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this merchant's events.
    pub merchant_id: Option<i64>,
    /// Only this action.
    pub action: Option<String>,
    /// Events after this sequence number (paging).
    pub after_seq: Option<i64>,
    /// At most this many.
    pub limit: Option<u32>,
}

pub(crate) fn read_event(row: &Row<'_>) -> rusqlite::Result<Result<AuditEvent, StoreError>> {
    let at: i64 = row.get(1)?;
    let event = (
        row.get::<_, i64>(0)?,
        row.get::<_, String>(2)?,
        row.get::<_, Option<i64>>(3)?,
        row.get::<_, String>(4)?,
        row.get::<_, String>(5)?,
        row.get::<_, String>(6)?,
        row.get::<_, String>(7)?,
        row.get::<_, String>(8)?,
        row.get::<_, Option<String>>(9)?,
        row.get::<_, Option<String>>(10)?,
    );
    Ok(instant(at).map(|at| AuditEvent {
        seq: event.0,
        at,
        actor: event.1,
        merchant_id: event.2,
        action: event.3,
        subject: event.4,
        details: event.5,
        personal_digest: event.8,
        personal: event.9,
        prev_hash: event.6,
        hash: event.7,
    }))
}

/// The log's columns as [`read_event`] reads them, from `audit_log l` joined with the personal
/// details kept apart (`audit_personal p`, schema 14).
pub(crate) const COLUMNS: &str =
    "l.seq, l.at, l.actor, l.merchant_id, l.action, l.subject, l.details, \
     l.prev_hash, l.hash, l.personal_digest, p.details";
/// See [`COLUMNS`].
pub(crate) const FROM: &str = "audit_log l LEFT JOIN audit_personal p ON p.seq = l.seq";
const INSERT_COLUMNS: &str =
    "seq, at, actor, merchant_id, action, subject, details, prev_hash, hash, personal_digest";

/// Reading and verifying the audit chain.
pub trait AuditReads {
    /// Events matching `filter`, oldest first.
    fn audit_events(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>>;

    /// Walks the whole log and checks the chain, then that it ends at the head recorded with the
    /// last append. `Ok(Ok(n))` is an intact chain of `n` events; `Ok(Err(break))` names the
    /// first event that fails: edited, removed, reordered, replaced, cut from the end, or holding
    /// a value of the wrong type.
    fn verify_audit(&self) -> StoreResult<Result<u64, ChainBreak>>;

    /// The database triggers that keep the audit log append-only and its head recorded which
    /// are missing (dropped by hand). Empty when the log is protected as the schema made it.
    fn audit_protection_gaps(&self) -> StoreResult<Vec<String>>;
}

/// Appending to the audit chain (never updating or deleting).
pub trait AuditWrites: AuditReads {
    /// Appends one event, chained to the last.
    fn append_audit(&mut self, event: NewAuditEvent) -> StoreResult<AuditEvent>;

    /// Appends one event inside the caller's [`Store::batch`], so an action and its audit event
    /// land together or not at all.
    fn append_audit_here(&self, event: NewAuditEvent) -> StoreResult<AuditEvent>;

    /// Appends one event about a customer with its personal details (JSON text) kept apart,
    /// salted, so that erasing the customer can blank them without touching the chain; inside
    /// the caller's batch.
    fn append_audit_personal_here(
        &self,
        event: NewAuditEvent,
        personal: String,
    ) -> StoreResult<AuditEvent>;
}

impl AuditReads for Store {
    fn audit_events(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {COLUMNS} FROM {FROM}
             WHERE (?1 IS NULL OR l.merchant_id = ?1) AND (?2 IS NULL OR l.action = ?2) AND l.seq > coalesce(?3, 0)
             ORDER BY l.seq LIMIT ?4"
        ))?;
        let limit = filter.limit.map(i64::from).unwrap_or(-1);
        let rows = stmt.query_map(
            params![filter.merchant_id, filter.action, filter.after_seq, limit],
            read_event,
        )?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    fn verify_audit(&self) -> StoreResult<Result<u64, ChainBreak>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {COLUMNS} FROM {FROM} ORDER BY l.seq"))?;
        let mut rows = stmt.query([])?;
        let mut events = Vec::new();
        let mut unreadable = None;
        while let Some(row) = rows.next()? {
            match read_event(row) {
                Ok(Ok(event)) => events.push(event),
                Ok(Err(StoreError::Corrupt(reason))) => {
                    unreadable = Some((row.get::<_, i64>(0)?, reason));
                    break;
                }
                Ok(Err(e)) => return Err(e),
                Err(rusqlite::Error::InvalidColumnType(_, name, kind)) => {
                    let reason = format!(
                        "its {name} field holds a value of type {kind}, which Coffer never \
                         writes there: the row was edited"
                    );
                    unreadable = Some((row.get::<_, i64>(0)?, reason));
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let verified = match verify_chain(&events) {
            Ok(n) => n,
            Err(broken) => return Ok(Err(broken)),
        };
        if let Some(broken) = self.edited_personal_details(verified)? {
            return Ok(Err(broken));
        }
        if let Some((seq, reason)) = unreadable {
            return Ok(Err(ChainBreak {
                seq,
                verified,
                reason,
            }));
        }
        self.check_head(events.last(), verified)
    }

    fn audit_protection_gaps(&self) -> StoreResult<Vec<String>> {
        let mut missing = Vec::new();
        for trigger in [
            "audit_log_no_update",
            "audit_log_no_delete",
            "audit_log_moves_head",
            "audit_head_only_forward",
            "audit_personal_only_erased",
            "audit_personal_no_delete",
        ] {
            let found: Option<i64> = self
                .conn()
                .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = ?1")?
                .query_row([trigger], |r| r.get(0))
                .optional()?;
            if found.is_none() {
                missing.push(trigger.to_string());
            }
        }
        Ok(missing)
    }
}

impl AuditWrites for Store {
    fn append_audit(&mut self, event: NewAuditEvent) -> StoreResult<AuditEvent> {
        self.transaction(|tx| append_audit_in(tx, event))
    }

    fn append_audit_here(&self, event: NewAuditEvent) -> StoreResult<AuditEvent> {
        append_audit_in(self.conn(), event)
    }

    fn append_audit_personal_here(
        &self,
        event: NewAuditEvent,
        personal: String,
    ) -> StoreResult<AuditEvent> {
        let salt = new_salt(self.conn())?;
        append_chained(
            self.conn(),
            event,
            Some(PersonalDetails {
                salt,
                details: personal,
            }),
        )
    }
}

/// Random hex for a digest's salt, from SQLite's own generator (core stays free of I/O).
pub(crate) fn new_salt(conn: &rusqlite::Connection) -> StoreResult<String> {
    Ok(conn
        .prepare_cached("SELECT lower(hex(randomblob(16)))")?
        .query_row([], |r| r.get(0))?)
}

impl Store {
    /// The first event whose kept personal details no longer match the digest its hash covers
    /// (they were edited behind the triggers' back). Erased details are blank and not checked.
    fn edited_personal_details(&self, verified: u64) -> StoreResult<Option<ChainBreak>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT p.seq, p.salt, p.details, l.personal_digest FROM audit_personal p
             LEFT JOIN audit_log l ON l.seq = p.seq WHERE p.details IS NOT NULL ORDER BY p.seq",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
            ))
        })?;
        for row in rows {
            let (seq, salt, details, digest) = row?;
            let kept = PersonalDetails {
                salt: salt.unwrap_or_default(),
                details,
            };
            if digest.as_deref() != Some(kept.digest().as_str()) {
                return Ok(Some(ChainBreak {
                    seq,
                    verified: u64::try_from(seq - 1).unwrap_or(0).min(verified),
                    reason: "its personal details do not match the digest its hash covers: they \
                             were edited"
                        .into(),
                }));
            }
        }
        Ok(None)
    }

    /// Compares the end of a verified chain with the head the log's trigger recorded.
    fn check_head(
        &self,
        last: Option<&AuditEvent>,
        verified: u64,
    ) -> StoreResult<Result<u64, ChainBreak>> {
        let end = last.map_or(0, |e| e.seq);
        let head: Option<(i64, String)> = if self.audit_table_exists("audit_head")? {
            self.conn()
                .prepare_cached("SELECT seq, hash FROM audit_head WHERE id = 1")?
                .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?
        } else {
            None
        };
        let broken = |seq: i64, verified: u64, reason: String| {
            Ok(Err(ChainBreak {
                seq,
                verified,
                reason,
            }))
        };
        match (head, last) {
            (None, None) => Ok(Ok(0)),
            (None, Some(_)) => broken(
                end + 1,
                verified,
                "the record of the log's last event (audit_head) is missing, so events removed \
                 from its end could not be told: the file was edited"
                    .into(),
            ),
            (Some((seq, _)), _) if seq > end => broken(
                end + 1,
                verified,
                format!(
                    "the log ends at event {end}, but event {seq} was recorded as its last: {} \
                     removed from its end",
                    if seq == end + 1 {
                        format!("event {seq} was")
                    } else {
                        format!("events {} to {seq} were", end + 1)
                    }
                ),
            ),
            (Some((seq, _)), _) if seq < end => broken(
                seq + 1,
                u64::try_from(seq).unwrap_or(0),
                format!(
                    "event {seq} was recorded as the log's last, but it goes on to {end}: \
                     events were added behind the log's back"
                ),
            ),
            (Some((_, hash)), Some(event)) if hash != event.hash => broken(
                end,
                verified.saturating_sub(1),
                format!(
                    "event {end} is not the one recorded as the log's last (its hash differs): \
                     it was replaced"
                ),
            ),
            _ => Ok(Ok(verified)),
        }
    }

    fn audit_table_exists(&self, name: &str) -> StoreResult<bool> {
        let found: Option<i64> = self
            .conn()
            .prepare_cached("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1")?
            .query_row([name], |r| r.get(0))
            .optional()?;
        Ok(found.is_some())
    }
}

/// Appends inside a caller's transaction, so an action and its audit event land together.
pub(crate) fn append_audit_in(
    tx: &rusqlite::Connection,
    event: NewAuditEvent,
) -> StoreResult<AuditEvent> {
    append_chained(tx, event, None)
}

fn append_chained(
    tx: &rusqlite::Connection,
    event: NewAuditEvent,
    personal: Option<PersonalDetails>,
) -> StoreResult<AuditEvent> {
    let last: Option<(i64, String)> = tx
        .prepare_cached("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let chained = event.chain_with(seq, &prev, personal.as_ref());
    tx.prepare_cached(&format!(
        "INSERT INTO audit_log ({INSERT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?
    .execute(params![
        chained.seq,
        millis(chained.at),
        chained.actor,
        chained.merchant_id,
        chained.action,
        chained.subject,
        chained.details,
        chained.prev_hash,
        chained.hash,
        chained.personal_digest
    ])?;
    if let Some(personal) = personal {
        tx.prepare_cached("INSERT INTO audit_personal (seq, salt, details) VALUES (?1, ?2, ?3)")?
            .execute(params![chained.seq, personal.salt, personal.details])?;
    }
    Ok(chained)
}
