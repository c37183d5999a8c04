//! The provider-customer cache, plus customers Coffer registers itself (Assist and Svea have no
//! customer listing: Coffer is the register there).

use chrono::{DateTime, Utc};
use coffer_core::{Address, Customer, CustomerId, CustomerRef, MerchantId};
use rusqlite::{params, OptionalExtension, Row};

use crate::error::{StoreError, StoreResult};
use crate::search::words::words_json;
use crate::{millis, Store};

/// Where a customer row came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerOrigin {
    /// Pulled from the provider.
    Sync,
    /// Created or imported in Coffer.
    Coffer,
}

impl CustomerOrigin {
    fn as_str(self) -> &'static str {
        match self {
            CustomerOrigin::Sync => "sync",
            CustomerOrigin::Coffer => "coffer",
        }
    }
}

/// A customer's fields as written by sync or by the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFields {
    /// The provider's reference.
    pub reference: CustomerRef,
    /// Name.
    pub name: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Postal address, for register customers (Svea requires one in every payment). Sync never
    /// writes it: the listing providers send none.
    pub address: Option<Address>,
}

pub(crate) const CUSTOMER_COLUMNS: &str =
    "c.id, c.merchant_id, c.reference, c.name, c.email, c.phone, \
     c.address_street, c.address_postal_code, c.address_city, c.address_country";

pub(crate) fn read_customer(row: &Row<'_>) -> rusqlite::Result<Customer> {
    let parts: [Option<String>; 4] = [row.get(6)?, row.get(7)?, row.get(8)?, row.get(9)?];
    let address = match parts {
        [Some(street), Some(postal_code), Some(city), Some(country)] => Some(Address {
            street,
            postal_code,
            city,
            country,
        }),
        _ => None,
    };
    Ok(Customer {
        id: CustomerId(row.get(0)?),
        merchant_id: MerchantId(row.get(1)?),
        reference: CustomerRef(row.get(2)?),
        name: row.get(3)?,
        email: row.get(4)?,
        phone: row.get(5)?,
        address,
    })
}

/// The four address columns of an optional address.
fn address_columns(address: Option<&Address>) -> [Option<&str>; 4] {
    match address {
        Some(a) => a.parts().map(Some),
        None => [None; 4],
    }
}

/// The cached customers.
pub trait CustomerReads {
    /// One customer.
    fn customer(&self, id: CustomerId) -> StoreResult<Customer>;

    /// The references of every customer of a merchant (for per-customer card refresh).
    fn customer_refs(&self, merchant: MerchantId) -> StoreResult<Vec<(CustomerId, CustomerRef)>>;

    /// How many customers a merchant has in the cache.
    fn count_customers(&self, merchant: MerchantId) -> StoreResult<u64>;
}

/// Customers from sync and from Coffer's register.
pub trait CustomerWrites: CustomerReads {
    /// Inserts or updates a customer by `(merchant, reference)`; returns its id and whether
    /// anything changed.
    fn upsert_customer(
        &self,
        merchant: MerchantId,
        fields: &CustomerFields,
        origin: CustomerOrigin,
        now: DateTime<Utc>,
    ) -> StoreResult<(CustomerId, bool)>;

    /// Writes the customers of a sync's listing pages, in order: inserts the new, updates the
    /// changed and leaves the unchanged unwritten; returns each one's id and whether it was new
    /// or changed. The new ones are indexed for text search by one statement at the end. Runs in
    /// its caller's transaction (a batch), or in one of its own.
    fn sync_customers(
        &self,
        merchant: MerchantId,
        customers: &[CustomerFields],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(CustomerId, bool)>>;

    /// Inserts customers created in Coffer, all or none: a duplicate reference aborts the lot.
    fn insert_register_customers(
        &mut self,
        merchant: MerchantId,
        customers: &[CustomerFields],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CustomerId>>;

    /// Rewrites a register customer's name, contact fields and address (an edit in Coffer).
    fn update_register_customer(
        &self,
        id: CustomerId,
        fields: &CustomerFields,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

impl CustomerReads for Store {
    fn customer(&self, id: CustomerId) -> StoreResult<Customer> {
        self.conn()
            .prepare_cached(&format!(
                "SELECT {CUSTOMER_COLUMNS} FROM customers c WHERE c.id = ?1"
            ))?
            .query_row([id.0], read_customer)
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("customer {id}"),
            })
    }

    fn customer_refs(&self, merchant: MerchantId) -> StoreResult<Vec<(CustomerId, CustomerRef)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, reference FROM customers WHERE merchant_id = ?1 ORDER BY id")?;
        let rows = stmt.query_map([merchant.0], |r| {
            Ok((CustomerId(r.get(0)?), CustomerRef(r.get(1)?)))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn count_customers(&self, merchant: MerchantId) -> StoreResult<u64> {
        let n: i64 = self.conn().query_row(
            "SELECT count(*) FROM customers WHERE merchant_id = ?1",
            [merchant.0],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }
}

impl CustomerWrites for Store {
    fn upsert_customer(
        &self,
        merchant: MerchantId,
        fields: &CustomerFields,
        origin: CustomerOrigin,
        now: DateTime<Utc>,
    ) -> StoreResult<(CustomerId, bool)> {
        let (id, written) = self.write_customer(merchant, fields, origin, now)?;
        if written == Written::Inserted {
            index_customer(self.conn(), id)?;
        }
        Ok((id, written != Written::Unchanged))
    }

    fn sync_customers(
        &self,
        merchant: MerchantId,
        customers: &[CustomerFields],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(CustomerId, bool)>> {
        if self.conn().is_autocommit() {
            return self.batch(|store| store.sync_customers(merchant, customers, now));
        }
        // Within one transaction, the customers it inserts are exactly those with an id above
        // the largest before it.
        let before: i64 = self
            .conn()
            .prepare_cached("SELECT coalesce(max(id), 0) FROM customers")?
            .query_row([], |r| r.get(0))?;
        let mut inserted = false;
        let mut ids = Vec::with_capacity(customers.len());
        for fields in customers {
            let (id, written) = self.write_customer(merchant, fields, CustomerOrigin::Sync, now)?;
            inserted |= written == Written::Inserted;
            ids.push((id, written != Written::Unchanged));
        }
        if inserted {
            index_customers(self.conn(), before + 1, i64::MAX)?;
        }
        Ok(ids)
    }

    fn insert_register_customers(
        &mut self,
        merchant: MerchantId,
        customers: &[CustomerFields],
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<CustomerId>> {
        self.transaction(|tx| {
            let mut ids = Vec::with_capacity(customers.len());
            let mut stmt = tx.prepare(
                "INSERT INTO customers (merchant_id, reference, name, email, phone, origin, synced_at,
                     address_street, address_postal_code, address_city, address_country, words)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'coffer', ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for c in customers {
                let [street, postal, city, country] = address_columns(c.address.as_ref());
                let words = words_of(tx, c)?;
                stmt.execute(params![merchant.0, c.reference.0, c.name, c.email, c.phone, millis(now), street, postal, city, country, words])
                    .map_err(|e| StoreError::unique(e, format!("customer reference '{}' already exists", c.reference)))?;
                let id = CustomerId(tx.last_insert_rowid());
                index_customer(tx, id)?;
                ids.push(id);
            }
            Ok(ids)
        })
    }

    fn update_register_customer(
        &self,
        id: CustomerId,
        fields: &CustomerFields,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        // The reference is the register's key and is not edited: the words keep the stored one.
        let reference: String = self
            .conn()
            .query_row(
                "SELECT reference FROM customers WHERE id = ?1",
                [id.0],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound {
                what: format!("customer {id}"),
            })?;
        let words = words_json(
            self.conn(),
            [
                Some(&fields.name),
                fields.email.as_deref(),
                Some(&reference),
            ],
        )?;
        let [street, postal, city, country] = address_columns(fields.address.as_ref());
        self.conn().execute(
            "UPDATE customers SET name = ?2, email = ?3, phone = ?4, synced_at = ?5,
                 address_street = ?6, address_postal_code = ?7, address_city = ?8, address_country = ?9,
                 words = ?10
             WHERE id = ?1",
            params![id.0, fields.name, fields.email, fields.phone, millis(now), street, postal, city, country, words],
        )?;
        Ok(())
    }
}

/// What writing one customer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Written {
    Inserted,
    Changed,
    Unchanged,
}

/// A customer's search words (migration 22), written with its name, e-mail and reference.
fn words_of(conn: &rusqlite::Connection, fields: &CustomerFields) -> StoreResult<String> {
    words_json(
        conn,
        [
            Some(fields.name.as_str()),
            fields.email.as_deref(),
            Some(fields.reference.0.as_str()),
        ],
    )
}

/// Adds one inserted customer to the text index (migration 20: no trigger does it).
fn index_customer(conn: &rusqlite::Connection, id: CustomerId) -> StoreResult<()> {
    index_customers(conn, id.0, id.0)
}

/// Adds the inserted customers with ids `first..=last` to the text index, their words to the
/// search words (migration 22) and their prefixes (24), their number to their location's count, and moves the
/// name-order version (migration 23: no trigger does any of it), one statement each.
fn index_customers(conn: &rusqlite::Connection, first: i64, last: i64) -> StoreResult<()> {
    conn.prepare_cached(
        "INSERT INTO customer_counts (merchant_id, customers)
         SELECT merchant_id, count(*) FROM customers WHERE id BETWEEN ?1 AND ?2 GROUP BY merchant_id
         ON CONFLICT (merchant_id) DO UPDATE SET customers = customers + excluded.customers",
    )?
    .execute([first, last])?;
    conn.prepare_cached("UPDATE name_order SET version = version + 1")?
        .execute([])?;
    conn.prepare_cached(
        "INSERT INTO customers_fts (rowid, name, email, reference, location)
         SELECT id, name, email, reference, location FROM customers WHERE id BETWEEN ?1 AND ?2",
    )?
    .execute([first, last])?;
    // In index order, so a page of customers writes each index page it touches once.
    conn.prepare_cached(
        "INSERT OR IGNORE INTO search_words (word, merchant_id, name, customer_id)
         SELECT j.value, c.merchant_id, c.name, c.id
           FROM customers c, json_each(c.words) j WHERE c.id BETWEEN ?1 AND ?2
          ORDER BY 1, 2, 3, 4",
    )?
    .execute([first, last])?;
    conn.prepare_cached(
        "INSERT OR IGNORE INTO search_prefixes (prefix, merchant_id, name, customer_id)
         SELECT substr(j.value, 1, 3), c.merchant_id, c.name, c.id
           FROM customers c, json_each(c.words) j
          WHERE c.id BETWEEN ?1 AND ?2 AND length(j.value) >= 3
          ORDER BY 1, 2, 3 COLLATE NOCASE, 4",
    )?
    .execute([first, last])?;
    Ok(())
}

impl Store {
    /// Inserts or updates one customer without indexing it: the caller indexes what was
    /// inserted.
    fn write_customer(
        &self,
        merchant: MerchantId,
        fields: &CustomerFields,
        origin: CustomerOrigin,
        now: DateTime<Utc>,
    ) -> StoreResult<(CustomerId, Written)> {
        // Cached statements and a compare before any write: a re-sync of an unchanged customer
        // is one indexed read.
        /// id, name, e-mail, phone, erased_at.
        type Existing = (i64, String, Option<String>, Option<String>, Option<i64>);
        let existing: Option<Existing> = self
            .conn()
            .prepare_cached(
                "SELECT id, name, email, phone, erased_at FROM customers WHERE merchant_id = ?1 AND reference = ?2",
            )?
            .query_row(params![merchant.0, fields.reference.0], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        match existing {
            // An erased customer stays erased: a provider that still lists it brings nothing back.
            Some((id, _, _, _, Some(_))) => Ok((CustomerId(id), Written::Unchanged)),
            Some((id, name, email, phone, None)) => {
                let changed = name != fields.name || email != fields.email || phone != fields.phone;
                // An address is written when given and never cleared by a sync that has none.
                if let Some(address) = &fields.address {
                    let [street, postal, city, country] = address.parts();
                    self.conn().execute(
                        "UPDATE customers SET address_street = ?2, address_postal_code = ?3,
                             address_city = ?4, address_country = ?5 WHERE id = ?1",
                        params![id, street, postal, city, country],
                    )?;
                }
                // An unchanged customer is not written at all (its synced_at included).
                if changed {
                    self.conn()
                        .prepare_cached(
                            "UPDATE customers SET name = ?2, email = ?3, phone = ?4, synced_at = ?5, words = ?6
                             WHERE id = ?1",
                        )?
                        .execute(params![id, fields.name, fields.email, fields.phone, millis(now),
                                         words_of(self.conn(), fields)?])?;
                }
                let written = if changed {
                    Written::Changed
                } else {
                    Written::Unchanged
                };
                Ok((CustomerId(id), written))
            }
            None => {
                let [street, postal, city, country] = address_columns(fields.address.as_ref());
                self.conn()
                    .prepare_cached(
                        "INSERT INTO customers (merchant_id, reference, name, email, phone, origin, synced_at,
                             address_street, address_postal_code, address_city, address_country, words)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                    )?
                    .execute(params![
                        merchant.0,
                        fields.reference.0,
                        fields.name,
                        fields.email,
                        fields.phone,
                        origin.as_str(),
                        millis(now),
                        street,
                        postal,
                        city,
                        country,
                        words_of(self.conn(), fields)?
                    ])?;
                Ok((
                    CustomerId(self.conn().last_insert_rowid()),
                    Written::Inserted,
                ))
            }
        }
    }
}
