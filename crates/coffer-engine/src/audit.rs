//! Reading and checking the audit log. Writing happens inside each use case, in the same
//! transaction as the action it records.

use coffer_store::audit_log::AuditFilter;

use crate::error::EngineResult;
use crate::views::{AuditEventView, AuditVerification};
use crate::Engine;

/// Which audit events to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only this merchant's events.
    pub merchant_id: Option<i64>,
    /// Only this action.
    pub action: Option<String>,
    /// Events after this sequence number (paging).
    pub after_seq: Option<i64>,
    /// At most this many.
    pub limit: Option<u32>,
}

impl From<AuditQuery> for AuditFilter {
    fn from(q: AuditQuery) -> Self {
        AuditFilter {
            merchant_id: q.merchant_id,
            action: q.action,
            after_seq: q.after_seq,
            limit: q.limit,
        }
    }
}

/// An event's details as shown: its hashed details with its personal details (kept apart, so
/// that erasure can blank them) put back in, while they are kept.
fn shown_details(details: &str, personal: Option<&str>) -> serde_json::Value {
    let mut shown =
        serde_json::from_str(details).unwrap_or(serde_json::Value::String(details.to_string()));
    let personal = personal.and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok());
    if let (serde_json::Value::Object(shown), Some(serde_json::Value::Object(personal))) =
        (&mut shown, personal)
    {
        shown.extend(personal);
    }
    shown
}

impl Engine {
    /// Events, oldest first, filtered by merchant and action.
    pub async fn list_audit(&self, query: AuditQuery) -> EngineResult<Vec<AuditEventView>> {
        let filter = AuditFilter::from(query);
        self.read_store(move |store| {
            Ok(store
                .audit_events(&filter)?
                .into_iter()
                .map(|e| AuditEventView {
                    seq: e.seq,
                    at: e.at,
                    actor: e.actor,
                    merchant_id: e.merchant_id,
                    action: e.action,
                    details: shown_details(&e.details, e.personal.as_deref()),
                    subject: e.subject,
                    hash: e.hash,
                })
                .collect())
        })
        .await
    }

    /// Walks the hash chain of the whole log, checks that it ends where its last append left
    /// it, and that the database still refuses edits to it.
    pub async fn verify_audit(&self) -> EngineResult<AuditVerification> {
        self.read_store(|store| {
            let chain = store.verify_audit()?;
            let gaps = store.audit_protection_gaps()?;
            let unprotected = (!gaps.is_empty()).then(|| {
                format!(
                    "the audit log is no longer append-only: the database trigger{} {} {} been \
                     removed, so edits are not refused any more",
                    if gaps.len() == 1 { "" } else { "s" },
                    gaps.join(", "),
                    if gaps.len() == 1 { "has" } else { "have" }
                )
            });
            Ok(match chain {
                Ok(verified) => AuditVerification {
                    intact: unprotected.is_none(),
                    verified,
                    broken_at: None,
                    reason: unprotected,
                },
                Err(broken) => AuditVerification {
                    intact: false,
                    verified: broken.verified,
                    broken_at: Some(broken.seq),
                    reason: Some(match unprotected {
                        Some(more) => format!("{}; and {more}", broken.reason),
                        None => broken.reason,
                    }),
                },
            })
        })
        .await
    }

    /// Records an event on its own (for actions with no other write).
    pub async fn record_audit(
        &self,
        merchant_id: Option<i64>,
        action: &str,
        subject: String,
        details: serde_json::Value,
    ) -> EngineResult<()> {
        let event = self.audit_event(merchant_id, action, subject, details);
        self.with_store(move |store| {
            store.append_audit(event)?;
            Ok(())
        })
        .await
    }
}
