//! Pages of whole tables for CSV export, in id order from a given id ("keyset" paging), so an
//! export of a million cards reads each row once and holds the store only a page at a time.

use coffer_core::{Card, ChargeAttempt, Customer, MerchantId};
use rusqlite::params;

use crate::cards::{read_card, CARD_COLUMNS};
use crate::charges::{read_attempt, ATTEMPT_COLUMNS};
use crate::customers::{read_customer, CUSTOMER_COLUMNS};
use crate::error::{StoreError, StoreResult};
use crate::search::merchants_json;
use crate::Store;

/// A customer with what an export adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerExport {
    /// The customer.
    pub customer: Customer,
    /// Its merchant's name.
    pub merchant_name: String,
    /// Its provider (storage name).
    pub provider: String,
    /// Cards on file.
    pub cards: u32,
}

/// A card with what an export adds to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardExport {
    /// The card (display fields and token only).
    pub card: Card,
    /// Its provider (storage name).
    pub provider: String,
    /// The customer's provider reference.
    pub customer_reference: String,
    /// Why the card must not be charged again, if it was flagged.
    pub flagged: Option<String>,
}

/// A ledger row with its card's display fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptExport {
    /// The row.
    pub attempt: ChargeAttempt,
    /// The card's brand.
    pub brand: String,
    /// The card's last four digits.
    pub last4: String,
}

/// Keyset pages for the CSV export.
pub trait ExportReads {
    /// Customers of `merchants` (all when empty) with an id above `after`, at most `limit`.
    fn customers_after(
        &self,
        merchants: &[MerchantId],
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CustomerExport>>;

    /// Cards of `merchants` (all when empty) with an id above `after`, at most `limit`.
    fn cards_after(
        &self,
        merchants: &[MerchantId],
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CardExport>>;

    /// Ledger rows of `merchants` (all when empty) with an id above `after`, at most `limit`.
    fn attempts_after(
        &self,
        merchants: &[MerchantId],
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AttemptExport>>;
}

impl ExportReads for Store {
    fn customers_after(
        &self,
        merchants: &[MerchantId],
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CustomerExport>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CUSTOMER_COLUMNS}, m.name, m.provider,
                    (SELECT count(*) FROM cards k WHERE k.customer_id = c.id)
             FROM customers c JOIN merchants m ON m.id = c.merchant_id AND m.archived_at IS NULL
             WHERE c.id > ?1 AND (?2 IS NULL OR c.merchant_id IN (SELECT value FROM json_each(?2)))
             ORDER BY c.id LIMIT ?3"
        ))?;
        let extra = CUSTOMER_COLUMNS.split(',').count();
        let rows = stmt.query_map(params![after, merchants_json(merchants), limit], |r| {
            Ok(CustomerExport {
                customer: read_customer(r)?,
                merchant_name: r.get(extra)?,
                provider: r.get(extra + 1)?,
                cards: r.get(extra + 2)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn cards_after(
        &self,
        merchants: &[MerchantId],
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<CardExport>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {CARD_COLUMNS}, m.provider, c.reference, k.flagged_reason
             FROM cards k JOIN merchants m ON m.id = k.merchant_id AND m.archived_at IS NULL
                  JOIN customers c ON c.id = k.customer_id
             WHERE k.id > ?1 AND (?2 IS NULL OR k.merchant_id IN (SELECT value FROM json_each(?2)))
             ORDER BY k.id LIMIT ?3"
        ))?;
        let extra = CARD_COLUMNS.split(',').count();
        let rows = stmt.query_map(params![after, merchants_json(merchants), limit], |r| {
            let provider: String = r.get(extra)?;
            let customer_reference: String = r.get(extra + 1)?;
            let flagged: Option<String> = r.get(extra + 2)?;
            Ok(read_card(r)?.map(|card| CardExport {
                card,
                provider,
                customer_reference,
                flagged,
            }))
        })?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }

    fn attempts_after(
        &self,
        merchants: &[MerchantId],
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<AttemptExport>> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS}, k.brand, k.last4
             FROM charge_attempts a JOIN cards k ON k.id = a.card_id
             WHERE a.id > ?1 AND (?2 IS NULL OR a.merchant_id IN (SELECT value FROM json_each(?2)))
             ORDER BY a.id LIMIT ?3"
        ))?;
        let extra = ATTEMPT_COLUMNS.split(',').count();
        let rows = stmt.query_map(params![after, merchants_json(merchants), limit], |r| {
            let brand: String = r.get(extra)?;
            let last4: String = r.get(extra + 1)?;
            Ok(read_attempt(r)?.map(|attempt| AttemptExport {
                attempt,
                brand,
                last4,
            }))
        })?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }
}
