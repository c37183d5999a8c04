//! Serializable read models: what the CLI's `--json` prints and the desktop app shows.

use chrono::{DateTime, Utc};
use serde::Serialize;

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AuditEventView {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Merchant concerned.
    pub merchant_id: Option<i64>,
    /// Verb.
    pub action: String,
    /// Object.
    pub subject: String,
    /// JSON details.
    pub details: serde_json::Value,
    /// This event's hash.
    pub hash: String,
}

/// The result of checking the audit chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AuditVerification {
    /// `true` when every link holds.
    pub intact: bool,
    /// Events checked before the first break (all of them when intact).
    pub verified: u64,
    /// The first event that fails, if any.
    pub broken_at: Option<i64>,
    /// Why it fails.
    pub reason: Option<String>,
}
