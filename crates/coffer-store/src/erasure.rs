//! Erasing a customer's personal data (a data-protection request) from Coffer's records. Rows
//! stay: the ledger keeps every settled attempt with its amounts and references (DESIGN §4),
//! notices keep what they said was charged and when, the audit log keeps every event. What goes
//! is what names or reaches the person: the customer's name, e-mail, phone and address, the
//! buyer in the requests the ledger kept, the notices' recipient, and the personal details of
//! the audit events about the customer (their digest, which the chain covers, stays). The card
//! rows keep brand, last four digits and expiry, for bookkeeping; they name no one.

use chrono::{DateTime, Utc};
use coffer_core::{CardId, CustomerId};
use rusqlite::{params, OptionalExtension};

use crate::error::StoreResult;
use crate::search::words::words_json;
use crate::{instant, millis, Store};

/// What an erasure blanked, row by row.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErasedRows {
    /// Ledger rows whose kept request lost its buyer (name and address).
    pub ledger_rows: u64,
    /// Notices whose recipient was blanked.
    pub notices: u64,
    /// Audit events whose personal details were blanked.
    pub audit_events: u64,
}

/// Reading what an erasure needs.
pub trait ErasureReads {
    /// When the customer was erased, if it was.
    fn customer_erased_at(&self, customer: CustomerId) -> StoreResult<Option<DateTime<Utc>>>;

    /// The customer's cards (all of them, active or not).
    fn card_ids_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<CardId>>;

    /// Ids of the customer's attempts still `planned` or `sending`.
    fn unsettled_attempts_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<i64>>;

    /// Where the customer's notices delivered to the outbox were written (.eml paths).
    fn outbox_notices_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<String>>;
}

/// Erasing.
pub trait ErasureWrites: ErasureReads {
    /// Blanks the customer's personal data everywhere Coffer keeps it and marks the customer
    /// erased (a later sync leaves the row as it is). Call inside a batch with the erasure's
    /// audit event.
    fn erase_customer_records(
        &self,
        customer: CustomerId,
        now: DateTime<Utc>,
    ) -> StoreResult<ErasedRows>;

    /// After the erasure's transaction: empties and truncates the write-ahead log (its older
    /// page images hold what was just blanked; the file itself no longer does, its freed
    /// content zeroed by `secure_delete`). False when another connection still read an older
    /// state, and the log's page images stay until later commits overwrite them.
    fn scrub_after_erasure(&self) -> StoreResult<bool>;
}

const CARDS_OF: &str = "SELECT id FROM cards WHERE customer_id = ?1";

impl ErasureReads for Store {
    fn customer_erased_at(&self, customer: CustomerId) -> StoreResult<Option<DateTime<Utc>>> {
        let at: Option<Option<i64>> = self
            .conn()
            .query_row(
                "SELECT erased_at FROM customers WHERE id = ?1",
                [customer.0],
                |r| r.get(0),
            )
            .optional()?;
        at.flatten().map(instant).transpose()
    }

    fn card_ids_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<CardId>> {
        let mut stmt = self.conn().prepare(&format!("{CARDS_OF} ORDER BY id"))?;
        let rows = stmt.query_map([customer.0], |r| Ok(CardId(r.get(0)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn unsettled_attempts_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<i64>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT id FROM charge_attempts WHERE state IN ('planned', 'sending')
               AND card_id IN ({CARDS_OF}) ORDER BY id"
        ))?;
        let rows = stmt.query_map([customer.0], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn outbox_notices_of_customer(&self, customer: CustomerId) -> StoreResult<Vec<String>> {
        let mut stmt = self.conn().prepare(&format!(
            "SELECT location FROM notices WHERE channel = 'outbox'
               AND contract_id IN (SELECT id FROM contracts WHERE card_id IN ({CARDS_OF}))
             ORDER BY id"
        ))?;
        let rows = stmt.query_map([customer.0], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl ErasureWrites for Store {
    fn erase_customer_records(
        &self,
        customer: CustomerId,
        now: DateTime<Utc>,
    ) -> StoreResult<ErasedRows> {
        let conn = self.conn();
        let (merchant, reference): (i64, String) = conn.query_row(
            "SELECT merchant_id, reference FROM customers WHERE id = ?1",
            [customer.0],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        // The search index follows name and e-mail through its triggers; the search words keep
        // only the reference's, which stays.
        conn.execute(
            "UPDATE customers SET name = '', email = NULL, phone = NULL, address_street = NULL,
                 address_postal_code = NULL, address_city = NULL, address_country = NULL,
                 erased_at = coalesce(erased_at, ?2), words = ?3
             WHERE id = ?1",
            params![
                customer.0,
                millis(now),
                words_json(conn, [None, None, Some(reference.as_str())])?
            ],
        )?;
        // The one change the trigger on settled attempts allows.
        let ledger_rows = conn.execute(
            &format!(
                "UPDATE charge_attempts SET request_json = json_set(request_json, '$.buyer', json('null'))
                 WHERE card_id IN ({CARDS_OF}) AND request_json IS NOT NULL
                   AND json_valid(request_json) AND json_extract(request_json, '$.buyer') IS NOT NULL"
            ),
            [customer.0],
        )?;
        let notices = conn.execute(
            &format!(
                "UPDATE notices SET recipient = ''
                 WHERE recipient <> ''
                   AND contract_id IN (SELECT id FROM contracts WHERE card_id IN ({CARDS_OF}))"
            ),
            [customer.0],
        )?;
        let audit_events = conn.execute(
            "UPDATE audit_personal SET salt = NULL, details = NULL, erased_at = ?3
             WHERE details IS NOT NULL AND seq IN
                 (SELECT seq FROM audit_log WHERE merchant_id = ?1 AND subject = 'customer:' || ?2)",
            params![merchant, reference, millis(now)],
        )?;
        Ok(ErasedRows {
            ledger_rows: ledger_rows as u64,
            notices: notices as u64,
            audit_events: audit_events as u64,
        })
    }

    fn scrub_after_erasure(&self) -> StoreResult<bool> {
        crate::migrations::truncate_wal(self.conn())
    }
}
