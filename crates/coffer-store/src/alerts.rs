//! Alerts for a person: what a provider's record says against what Coffer settled. They are
//! raised once per attempt and kind (UNIQUE), shown until acknowledged, and never deleted.

use chrono::{DateTime, Utc};
use coffer_core::{AttemptId, MerchantId};
use rusqlite::params;

use crate::error::{StoreError, StoreResult};
use crate::{instant, millis, Store};

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// A charge settled by hand as "not charged" that the provider shows made: the card may have
    /// been charged twice if it was charged again since.
    PossibleDuplicate,
    /// A charge settled by hand as "charged" that the provider shows declined or under another
    /// reference.
    ResolutionContradicted,
}

impl AlertKind {
    /// The storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertKind::PossibleDuplicate => "possible_duplicate",
            AlertKind::ResolutionContradicted => "resolution_contradicted",
        }
    }

    fn parse(text: &str) -> StoreResult<AlertKind> {
        match text {
            "possible_duplicate" => Ok(AlertKind::PossibleDuplicate),
            "resolution_contradicted" => Ok(AlertKind::ResolutionContradicted),
            other => Err(StoreError::Corrupt(format!("unknown alert kind '{other}'"))),
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRow {
    /// Its id.
    pub id: i64,
    /// When it was raised.
    pub at: DateTime<Utc>,
    /// The merchant.
    pub merchant_id: MerchantId,
    /// The attempt it is about.
    pub attempt_id: AttemptId,
    /// What kind.
    pub kind: AlertKind,
    /// What was found, in words.
    pub message: String,
    /// When a person acknowledged it.
    pub acknowledged_at: Option<DateTime<Utc>>,
}

/// Alerts the owner sees until acknowledged.
pub trait AlertReads {
    /// Alerts of these merchants (all when empty), newest first; only those not acknowledged
    /// unless `all`.
    fn alerts(&self, merchants: &[MerchantId], all: bool) -> StoreResult<Vec<AlertRow>>;
}

/// Raising and acknowledging alerts.
pub trait AlertWrites: AlertReads {
    /// Raises an alert; `Ok(false)` when the same alert was raised before.
    fn raise_alert(
        &self,
        at: DateTime<Utc>,
        merchant: MerchantId,
        attempt: AttemptId,
        kind: AlertKind,
        message: &str,
    ) -> StoreResult<bool>;

    /// Marks an alert seen; `Ok(false)` when there is no such open alert.
    fn acknowledge_alert(&self, id: i64, at: DateTime<Utc>) -> StoreResult<bool>;
}

impl AlertReads for Store {
    fn alerts(&self, merchants: &[MerchantId], all: bool) -> StoreResult<Vec<AlertRow>> {
        let mut stmt = self.conn().prepare(
            "SELECT id, at, merchant_id, attempt_id, kind, message, acknowledged_at FROM alerts
             WHERE (?1 OR acknowledged_at IS NULL) ORDER BY id DESC",
        )?;
        let rows = stmt.query_map(params![all], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, at, merchant, attempt, kind, message, acknowledged) = row?;
            if !merchants.is_empty() && !merchants.contains(&MerchantId(merchant)) {
                continue;
            }
            out.push(AlertRow {
                id,
                at: instant(at)?,
                merchant_id: MerchantId(merchant),
                attempt_id: AttemptId(attempt),
                kind: AlertKind::parse(&kind)?,
                message,
                acknowledged_at: acknowledged.map(instant).transpose()?,
            });
        }
        Ok(out)
    }
}

impl AlertWrites for Store {
    fn raise_alert(
        &self,
        at: DateTime<Utc>,
        merchant: MerchantId,
        attempt: AttemptId,
        kind: AlertKind,
        message: &str,
    ) -> StoreResult<bool> {
        let added = self.conn().execute(
            "INSERT OR IGNORE INTO alerts (at, merchant_id, attempt_id, kind, message) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![millis(at), merchant.0, attempt.0, kind.as_str(), message],
        )?;
        Ok(added == 1)
    }

    fn acknowledge_alert(&self, id: i64, at: DateTime<Utc>) -> StoreResult<bool> {
        let changed = self.conn().execute(
            "UPDATE alerts SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL",
            params![id, millis(at)],
        )?;
        Ok(changed == 1)
    }
}
