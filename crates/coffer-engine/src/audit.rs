//! Reading and checking the audit log. Writing happens inside each use case, in the same
//! transaction as the action it records.

use coffer_store::audit_log::AuditFilter;

use crate::error::EngineResult;
use crate::views::{AuditEventView, AuditVerification};
use crate::Engine;

impl Engine {
    /// Events, oldest first, filtered by merchant and action.
    pub async fn list_audit(&self, filter: AuditFilter) -> EngineResult<Vec<AuditEventView>> {
        self.with_store(move |store| {
            Ok(store
                .audit_events(&filter)?
                .into_iter()
                .map(|e| AuditEventView {
                    seq: e.seq,
                    at: e.at,
                    actor: e.actor,
                    merchant_id: e.merchant_id,
                    action: e.action,
                    details: serde_json::from_str(&e.details)
                        .unwrap_or(serde_json::Value::String(e.details)),
                    subject: e.subject,
                    hash: e.hash,
                })
                .collect())
        })
        .await
    }

    /// Walks the hash chain of the whole log.
    pub async fn verify_audit(&self) -> EngineResult<AuditVerification> {
        self.with_store(|store| {
            Ok(match store.verify_audit()? {
                Ok(verified) => AuditVerification {
                    intact: true,
                    verified,
                    broken_at: None,
                    reason: None,
                },
                Err(broken) => AuditVerification {
                    intact: false,
                    verified: u64::try_from(broken.seq - 1).unwrap_or(0),
                    broken_at: Some(broken.seq),
                    reason: Some(broken.reason),
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
