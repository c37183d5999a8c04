//! The figures behind the dashboard's charts: the ledger of a period and card expiries per
//! month. Aggregation by calendar month happens in the engine, in each merchant's time zone.

use chrono::{DateTime, Utc};
use coffer_core::{CardExpiry, ChargeAttempt, MerchantId};
use rusqlite::params;

use crate::charges::{read_attempt, ATTEMPT_COLUMNS};
use crate::error::{StoreError, StoreResult};
use crate::search::merchants_json;
use crate::{millis, Store};

fn key(expiry: CardExpiry) -> i64 {
    i64::from(expiry.year) * 100 + i64::from(expiry.month)
}

/// The dashboard's figures.
pub trait DashboardReads {
    /// Charges and refunds of `merchants` (all when empty) written at or after `since`.
    fn attempts_since(
        &self,
        merchants: &[MerchantId],
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ChargeAttempt>>;

    /// Active cards of `merchants` expiring in each month from `from` through `until`, as
    /// `(expiry, cards)`, months without any left out.
    fn cards_expiring_by_month(
        &self,
        merchants: &[MerchantId],
        from: CardExpiry,
        until: CardExpiry,
    ) -> StoreResult<Vec<(CardExpiry, u64)>>;

    /// Active cards of `merchants` whose expiry month is before `month`: on file, but no longer
    /// chargeable.
    fn active_cards_expired_before(
        &self,
        merchants: &[MerchantId],
        month: CardExpiry,
    ) -> StoreResult<u64>;
}

impl DashboardReads for Store {
    fn attempts_since(
        &self,
        merchants: &[MerchantId],
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ChargeAttempt>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM charge_attempts a
             WHERE a.created_at >= ?1 AND (?2 IS NULL OR a.merchant_id IN (SELECT value FROM json_each(?2)))
             ORDER BY a.id"
        ))?;
        let rows = stmt.query_map(
            params![millis(since), merchants_json(merchants)],
            read_attempt,
        )?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    fn cards_expiring_by_month(
        &self,
        merchants: &[MerchantId],
        from: CardExpiry,
        until: CardExpiry,
    ) -> StoreResult<Vec<(CardExpiry, u64)>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT k.exp_year, k.exp_month, count(*)
             FROM cards k JOIN merchants m ON m.id = k.merchant_id AND m.archived_at IS NULL
             WHERE k.active = 1 AND k.exp_key BETWEEN ?1 AND ?2
               AND (?3 IS NULL OR k.merchant_id IN (SELECT value FROM json_each(?3)))
             GROUP BY k.exp_key ORDER BY k.exp_key",
        )?;
        let rows = stmt.query_map(
            params![key(from), key(until), merchants_json(merchants)],
            |r| {
                let year: i32 = r.get(0)?;
                let month: u32 = r.get(1)?;
                let count: u64 = r.get(2)?;
                Ok((year, month, count))
            },
        )?;
        let mut out = Vec::new();
        for row in rows {
            let (year, month, count) = row?;
            let expiry = CardExpiry::new(year, month)
                .map_err(|e| StoreError::Corrupt(format!("card expiry {year}-{month}: {e}")))?;
            out.push((expiry, count));
        }
        Ok(out)
    }

    fn active_cards_expired_before(
        &self,
        merchants: &[MerchantId],
        month: CardExpiry,
    ) -> StoreResult<u64> {
        Ok(self.conn().query_row(
            "SELECT count(*)
             FROM cards k JOIN merchants m ON m.id = k.merchant_id AND m.archived_at IS NULL
             WHERE k.active = 1 AND k.exp_key < ?1
               AND (?2 IS NULL OR k.merchant_id IN (SELECT value FROM json_each(?2)))",
            params![key(month), merchants_json(merchants)],
            |r| r.get(0),
        )?)
    }
}
