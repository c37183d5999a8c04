//! Search across the cache: customers by name, e-mail or reference (FTS5, prefix matching) or by
//! a card's last4, BIN or brand; cards by customer, last4, brand, BIN and "expiring before".
//! Every query is scoped to a set of merchants (one location or a group) and paged.

use chrono::{DateTime, Utc};
use coffer_core::{Card, CardExpiry, CustomerId, MerchantId};
use rusqlite::params;
use serde::Serialize;

use crate::cards::{read_card, CARD_COLUMNS};
use crate::error::{StoreError, StoreResult};
use crate::Store;

mod customers;
pub(crate) mod name_order;
pub(crate) mod words;

/// How customer results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CustomerSort {
    /// By name, then id.
    #[default]
    Name,
    /// By the provider's reference.
    Reference,
    /// Newest first.
    Newest,
}

/// A customer search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Merchants to search; empty means every merchant.
    pub merchants: Vec<MerchantId>,
    /// Free text: words of a name, an e-mail, a reference; 4 digits also match last4,
    /// 6–8 digits a BIN, a brand name the brand.
    pub text: Option<String>,
    /// Order.
    pub sort: CustomerSort,
    /// Page size (default 50, at most 1000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

/// A customer in a result list, with card counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomerRow {
    /// Coffer id.
    pub id: i64,
    /// Merchant.
    pub merchant_id: i64,
    /// Merchant name.
    pub merchant_name: String,
    /// The provider's reference.
    pub reference: String,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Cards on file.
    pub cards: u32,
    /// Cards that are active and not expired this month.
    pub usable_cards: u32,
    /// The card a digits search matched by its last four or BIN ("visa •••• 4242"), so the
    /// owner sees why the customer is in the result.
    pub matched_card: Option<String>,
    /// When the customer was erased (a data-protection request), if it was: its name and
    /// contact fields are gone.
    pub erased_at: Option<DateTime<Utc>>,
}

/// How many customers a search finds, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CustomerCount {
    /// The customers found.
    pub total: u64,
}

/// A card search.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CardQuery {
    /// Merchants to search; empty means every merchant.
    pub merchants: Vec<MerchantId>,
    /// One customer's cards.
    pub customer: Option<CustomerId>,
    /// Exactly these last four digits.
    pub last4: Option<String>,
    /// This brand (storage name, e.g. "visa").
    pub brand: Option<String>,
    /// This BIN.
    pub bin: Option<String>,
    /// Cards whose expiry month is before this one.
    pub expiring_before: Option<CardExpiry>,
    /// Only active cards.
    pub active_only: bool,
    /// Page size (default 100, at most 10 000).
    pub limit: Option<u32>,
    /// Rows to skip.
    pub offset: Option<u32>,
}

pub(crate) fn merchants_json(merchants: &[MerchantId]) -> Option<String> {
    if merchants.is_empty() {
        None
    } else {
        Some(format!(
            "[{}]",
            merchants
                .iter()
                .map(|m| m.0.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ))
    }
}

/// Search over customers and cards.
pub trait SearchReads {
    /// Customers matching `query`, one page.
    fn search_customers(
        &self,
        query: &CustomerQuery,
        today: CardExpiry,
    ) -> StoreResult<Vec<CustomerRow>>;

    /// How many customers `query` finds, whatever its page, exactly: an index count per
    /// location for a listing, the full-text index's or a card term's matches for a search.
    fn count_matching_customers(&self, query: &CustomerQuery) -> StoreResult<CustomerCount>;

    /// The live merchants among `merchants` (all when empty) that were never synced: no
    /// `merchant_synced` event names them.
    fn never_synced(&self, merchants: &[MerchantId]) -> StoreResult<Vec<MerchantId>>;

    /// Cards matching `query`, one page: by expiry when filtering on it, else in the order they
    /// were cached. Only the filters given become SQL conditions, so each search walks the index
    /// that fits it (last4, BIN, brand, expiry, customer) instead of testing every card.
    fn search_cards(&self, query: &CardQuery) -> StoreResult<Vec<Card>>;
}

impl SearchReads for Store {
    fn search_customers(
        &self,
        query: &CustomerQuery,
        today: CardExpiry,
    ) -> StoreResult<Vec<CustomerRow>> {
        customers::search(self, query, today)
    }

    fn count_matching_customers(&self, query: &CustomerQuery) -> StoreResult<CustomerCount> {
        customers::count(self, query)
    }

    fn never_synced(&self, merchants: &[MerchantId]) -> StoreResult<Vec<MerchantId>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT m.id FROM merchants m
              WHERE m.archived_at IS NULL
                AND (?1 IS NULL OR m.id IN (SELECT value FROM json_each(?1)))
                AND m.id NOT IN (SELECT merchant_id FROM audit_log
                                  WHERE action = 'merchant_synced' AND merchant_id IS NOT NULL)
              ORDER BY m.id",
        )?;
        let rows = stmt.query_map(params![merchants_json(merchants)], |r| {
            Ok(MerchantId(r.get(0)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn search_cards(&self, query: &CardQuery) -> StoreResult<Vec<Card>> {
        let mut conditions = vec!["1 = 1".to_string()];
        let mut values: Vec<rusqlite::types::Value> = Vec::new();
        let mut bind =
            |condition: &str, value: rusqlite::types::Value, conditions: &mut Vec<String>| {
                values.push(value);
                conditions.push(condition.replace('?', &format!("?{}", values.len())));
            };
        match query.merchants.as_slice() {
            [] => {}
            // One location: an equality, so (brand, merchant) or (last4, merchant) index entries
            // come out in id order and nothing is sorted.
            [one] => bind("k.merchant_id = ?", one.0.into(), &mut conditions),
            _ => {
                if let Some(json) = merchants_json(&query.merchants) {
                    bind(
                        "k.merchant_id IN (SELECT value FROM json_each(?))",
                        json.into(),
                        &mut conditions,
                    );
                }
            }
        }
        if let Some(customer) = query.customer {
            bind("k.customer_id = ?", customer.0.into(), &mut conditions);
        }
        if let Some(last4) = &query.last4 {
            bind("k.last4 = ?", last4.clone().into(), &mut conditions);
        }
        if let Some(brand) = &query.brand {
            bind("k.brand = ?", brand.clone().into(), &mut conditions);
        }
        if let Some(bin) = &query.bin {
            bind("k.bin = ?", bin.clone().into(), &mut conditions);
        }
        if let Some(before) = query.expiring_before {
            bind(
                "k.exp_key < ?",
                i64::from(before.year * 100 + before.month as i32).into(),
                &mut conditions,
            );
        }
        if query.active_only {
            conditions.push("k.active = 1".into());
        }
        let order = if query.expiring_before.is_some() {
            "k.exp_key, k.merchant_id, k.id"
        } else {
            "k.id"
        };
        let limit = query.limit.unwrap_or(100).clamp(1, 10_000);
        let sql = format!(
            "SELECT {CARD_COLUMNS} FROM cards k JOIN merchants m ON m.id = k.merchant_id AND m.archived_at IS NULL
             WHERE {} ORDER BY {order} LIMIT {limit} OFFSET {}",
            conditions.join(" AND "),
            query.offset.unwrap_or(0)
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(values), read_card)?;
        rows.map(|r| r.map_err(StoreError::from)?).collect()
    }
}
