//! The append-only audit log. Appends chain each event to the previous one's hash inside one
//! IMMEDIATE transaction, so two processes appending at once still form one unbroken chain.

use coffer_core::audit::{verify_chain, AuditEvent, ChainBreak, NewAuditEvent, GENESIS_HASH};
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

fn read_event(row: &Row<'_>) -> rusqlite::Result<Result<AuditEvent, StoreError>> {
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
    );
    Ok(instant(at).map(|at| AuditEvent {
        seq: event.0,
        at,
        actor: event.1,
        merchant_id: event.2,
        action: event.3,
        subject: event.4,
        details: event.5,
        prev_hash: event.6,
        hash: event.7,
    }))
}

const COLUMNS: &str = "seq, at, actor, merchant_id, action, subject, details, prev_hash, hash";

impl Store {
    /// Appends one event, chained to the last.
    pub fn append_audit(&mut self, event: NewAuditEvent) -> StoreResult<AuditEvent> {
        self.transaction(|tx| append_audit_in(tx, event))
    }

    /// Appends one event inside the caller's [`Store::batch`], so an action and its audit event
    /// land together or not at all.
    pub fn append_audit_here(&self, event: NewAuditEvent) -> StoreResult<AuditEvent> {
        append_audit_in(self.conn(), event)
    }

    /// Events matching `filter`, oldest first.
    pub fn audit_events(&self, filter: &AuditFilter) -> StoreResult<Vec<AuditEvent>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE (?1 IS NULL OR merchant_id = ?1) AND (?2 IS NULL OR action = ?2) AND seq > coalesce(?3, 0)
             ORDER BY seq LIMIT ?4"
        ))?;
        let limit = filter.limit.map(i64::from).unwrap_or(-1);
        let rows = stmt.query_map(
            params![filter.merchant_id, filter.action, filter.after_seq, limit],
            read_event,
        )?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    /// Walks the whole log and checks the chain. `Ok(Ok(n))` is an intact chain of `n` events;
    /// `Ok(Err(break))` names the first event that fails.
    pub fn verify_audit(&self) -> StoreResult<Result<u64, ChainBreak>> {
        let mut stmt = self
            .conn()
            .prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"))?;
        let rows = stmt.query_map([], read_event)?;
        let mut events = Vec::new();
        for row in rows {
            match row? {
                Ok(event) => events.push(event),
                Err(StoreError::Corrupt(reason)) => {
                    let seq = events.last().map(|e: &AuditEvent| e.seq + 1).unwrap_or(1);
                    return Ok(Err(ChainBreak { seq, reason }));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(verify_chain(&events))
    }
}

/// Appends inside a caller's transaction, so an action and its audit event land together.
pub(crate) fn append_audit_in(
    tx: &rusqlite::Connection,
    event: NewAuditEvent,
) -> StoreResult<AuditEvent> {
    let last: Option<(i64, String)> = tx
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let chained = event.chain(seq, &prev);
    tx.execute(
        &format!("INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
        params![
            chained.seq,
            millis(chained.at),
            chained.actor,
            chained.merchant_id,
            chained.action,
            chained.subject,
            chained.details,
            chained.prev_hash,
            chained.hash
        ],
    )?;
    Ok(chained)
}
