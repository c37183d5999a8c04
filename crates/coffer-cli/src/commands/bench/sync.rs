//! `coffer bench sync`: how fast Coffer fills its cache from a provider, against how fast the
//! provider's endpoint answers at all.
//!
//! For each size N: an in-process sandbox seeded with N customers per merchant, one Clover
//! merchant registered in a throw-away profile, then
//! 1. a first sync (every customer and card new), timed;
//! 2. a second sync of the same data (every row compared, nothing changed), timed;
//! 3. the raw rate: a plain reqwest loop reading the very pages the sync read
//!    (`GET /v3/merchants/{mId}/customers?expand=cards,…&limit=100&offset=…`), one request in
//!    flight as the sync has, the body read to the end and not parsed.
//!
//! ratio = Coffer's customers per second / the raw loop's customers per second.
//!
//! The cache floor: the raw loop's pages parsed and written to a bare cache while the next is
//! read (as the sync does), each customer and card one row keyed by its provider id with its
//! JSON as the body, up to 4,000 customers per durable transaction. No cache that a later sync
//! can match row by row is cheaper to fill, so its rate over the raw loop's bounds the first
//! sync's ratio; the rest is the cost of Coffer's columns and search indexes.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use coffer_core::MerchantId;
use coffer_engine::progress::NoProgress;
use coffer_sandbox::{Sandbox, SandboxConfig};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use super::{clover_of, engine_at, rate, register, TempDir};

/// The page size the sync asks for (`coffer_engine::sync`), so the raw loop reads the same pages.
const PAGE: usize = 100;

#[derive(Args)]
pub struct SyncArgs {
    /// Customers in the sandbox's Clover merchant; several sizes separated by commas.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    pub customers: Vec<usize>,
    /// Keep the profile of the last size in this folder (e.g. for the desktop benchmark).
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
}

/// The figures of one size.
#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub customers: u64,
    pub cards: u64,
    /// First sync: every row new.
    pub first_seconds: f64,
    pub first_customers_per_s: f64,
    pub first_cards_per_s: f64,
    /// Second sync: the same data again, nothing changed.
    pub resync_seconds: f64,
    pub resync_customers_per_s: f64,
    /// The plain HTTP loop over the same pages.
    pub raw_requests: u64,
    pub raw_seconds: f64,
    pub raw_customers_per_s: f64,
    pub raw_bytes: u64,
    /// first_customers_per_s / raw_customers_per_s.
    pub ratio_first: f64,
    /// resync_customers_per_s / raw_customers_per_s.
    pub ratio_resync: f64,
    /// The cache floor (`cache_floor`): the pages written to a bare cache.
    pub floor_seconds: f64,
    pub floor_customers_per_s: f64,
    /// floor_customers_per_s / raw_customers_per_s: the ceiling of `ratio_first`.
    pub floor_ratio: f64,
    /// Size of the profile's database (and its WAL) after the sync, in bytes.
    pub database_bytes: u64,
}

/// Measures one size.
pub async fn measure(customers: usize, keep: Option<&Path>) -> anyhow::Result<SyncReport> {
    let sandbox = Sandbox::start(SandboxConfig::demo(customers)).await?;
    let seeded = clover_of(&sandbox)?;
    let temp = TempDir::new("sync")?;
    let dir = match keep {
        Some(dir) => {
            if dir.join("coffer.db").exists() {
                anyhow::bail!(
                    "{} already holds a profile; give an empty folder to --keep",
                    dir.display()
                );
            }
            std::fs::create_dir_all(dir)?;
            dir.to_path_buf()
        }
        None => temp.path().to_path_buf(),
    };
    let engine = engine_at(&dir)?;
    let merchant = MerchantId(register(&engine, &seeded).await?.id);
    errln!("bench sync: {customers} customers, first sync");
    let started = Instant::now();
    let first = engine
        .sync_merchant(merchant, Arc::new(NoProgress), CancellationToken::new())
        .await?;
    let first_took = started.elapsed();
    anyhow::ensure!(
        first.error.is_none() && first.customers == customers as u64,
        "the first sync should see all {customers} customers: {first:?}"
    );
    errln!("bench sync: {customers} customers, second sync");
    let started = Instant::now();
    let second = engine
        .sync_merchant(merchant, Arc::new(NoProgress), CancellationToken::new())
        .await?;
    let resync_took = started.elapsed();
    anyhow::ensure!(
        second.customers_changed == 0 && second.cards_added == 0,
        "the second sync should find nothing new: {second:?}"
    );
    errln!("bench sync: {customers} customers, raw loop");
    let (raw_requests, raw_bytes, raw_took) = raw_pages(&seeded, customers).await?;
    errln!("bench sync: {customers} customers, cache floor");
    let (floor_customers, floor_took) = cache_floor(&seeded, customers, temp.path()).await?;
    anyhow::ensure!(
        floor_customers == customers as u64,
        "the cache floor should write all {customers} customers; it wrote {floor_customers}"
    );
    // The database with its write-ahead log (WAL mode: recent pages live there until a
    // checkpoint).
    let database_bytes = ["coffer.db", "coffer.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(dir.join(f)).ok())
        .map(|m| m.len())
        .sum();
    drop(engine);
    drop(sandbox);
    let first_rate = rate(first.customers, first_took);
    let resync_rate = rate(second.customers, resync_took);
    let raw_rate = rate(customers as u64, raw_took);
    Ok(SyncReport {
        customers: first.customers,
        cards: first.cards,
        first_seconds: first_took.as_secs_f64(),
        first_customers_per_s: first_rate,
        first_cards_per_s: rate(first.cards, first_took),
        resync_seconds: resync_took.as_secs_f64(),
        resync_customers_per_s: resync_rate,
        raw_requests,
        raw_seconds: raw_took.as_secs_f64(),
        raw_customers_per_s: raw_rate,
        raw_bytes,
        ratio_first: ratio(first_rate, raw_rate),
        ratio_resync: ratio(resync_rate, raw_rate),
        floor_seconds: floor_took.as_secs_f64(),
        floor_customers_per_s: rate(floor_customers, floor_took),
        floor_ratio: ratio(rate(floor_customers, floor_took), raw_rate),
        database_bytes,
    })
}

pub fn ratio(ours: f64, raw: f64) -> f64 {
    if raw > 0.0 {
        ours / raw
    } else {
        0.0
    }
}

/// The merchant's customer listing.
fn customers_url(m: &coffer_sandbox::SandboxMerchant) -> String {
    format!(
        "{}/v3/merchants/{}/customers",
        m.base_url,
        m.account.account_id()
    )
}

/// One listing page as the sync asks for it (`url`: `customers_url`).
async fn listing_page(
    client: &reqwest::Client,
    url: &str,
    secret: &str,
    offset: usize,
) -> anyhow::Result<reqwest::Response> {
    Ok(client
        .get(url)
        .bearer_auth(secret)
        .query(&[
            ("expand", "cards,emailAddresses,phoneNumbers".to_string()),
            ("limit", PAGE.to_string()),
            ("offset", offset.to_string()),
        ])
        .send()
        .await?
        .error_for_status()?)
}

/// Every listing page of the merchant, one request at a time, bodies read and dropped.
async fn raw_pages(
    m: &coffer_sandbox::SandboxMerchant,
    customers: usize,
) -> anyhow::Result<(u64, u64, std::time::Duration)> {
    let client = reqwest::Client::new();
    let url = customers_url(m);
    let started = Instant::now();
    let (mut requests, mut bytes) = (0u64, 0u64);
    // One page past the end, as the sync reads a short (here: empty) last page when N is a
    // multiple of the page size.
    let mut offset = 0;
    loop {
        let response = listing_page(&client, &url, &m.secret, offset).await?;
        bytes += response.bytes().await?.len() as u64;
        requests += 1;
        offset += PAGE;
        if offset > customers {
            break;
        }
    }
    Ok((requests, bytes, started.elapsed()))
}

/// A listing page as the floor reads it: each customer's JSON as it came.
#[derive(serde::Deserialize)]
struct FloorPage<'a> {
    #[serde(borrow)]
    elements: Vec<&'a serde_json::value::RawValue>,
}

/// What the floor reads of a customer or a card: its id; its cards, as they came.
#[derive(serde::Deserialize)]
struct FloorIds<'a> {
    id: &'a str,
    #[serde(borrow, default)]
    cards: Option<FloorPage<'a>>,
}

/// A customer to write: its id and JSON, and each card's.
struct FloorRow {
    id: String,
    body: String,
    cards: Vec<(String, String)>,
}

impl FloorRow {
    fn of(customer: &serde_json::value::RawValue) -> anyhow::Result<FloorRow> {
        let ids: FloorIds = serde_json::from_str(customer.get())?;
        let mut cards = Vec::new();
        for card in ids.cards.iter().flat_map(|c| &c.elements) {
            let card_ids: FloorIds = serde_json::from_str(card.get())?;
            cards.push((card_ids.id.to_string(), card.get().to_string()));
        }
        Ok(FloorRow {
            id: ids.id.to_string(),
            body: customer.get().to_string(),
            cards,
        })
    }
}

/// Customers one floor transaction takes at most, as the sync's writer.
const FLOOR_CUSTOMERS_PER_TRANSACTION: usize = 4_000;

/// The listing read as `raw_pages` reads it, each page parsed and written to a bare cache while
/// the next is read: a customer and each of its cards one row keyed by the provider's id
/// (UNIQUE, as a re-sync matches them), the JSON as the body, the pages waiting taken into one
/// transaction of up to 4,000 customers. WAL, `synchronous=FULL` and a 64 MiB page cache, as
/// the store's writer. Returns the customers written and the time from the first request to
/// the last commit.
async fn cache_floor(
    m: &coffer_sandbox::SandboxMerchant,
    customers: usize,
    dir: &Path,
) -> anyhow::Result<(u64, std::time::Duration)> {
    let mut db = rusqlite::Connection::open(dir.join("cache-floor.sqlite"))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.pragma_update(None, "temp_store", "MEMORY")?;
    db.pragma_update(None, "cache_size", -65_536)?;
    db.execute_batch(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE, body TEXT NOT NULL);
         CREATE TABLE cards (id INTEGER PRIMARY KEY, ref TEXT NOT NULL UNIQUE,
                             customer_id INTEGER NOT NULL REFERENCES customers (id),
                             body TEXT NOT NULL);",
    )?;
    let (pages_tx, pages) = std::sync::mpsc::sync_channel::<Vec<FloorRow>>(40);
    let writer = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let mut written = 0u64;
        while let Ok(first) = pages.recv() {
            let mut batch = first;
            while batch.len() < FLOOR_CUSTOMERS_PER_TRANSACTION {
                match pages.try_recv() {
                    Ok(more) => batch.extend(more),
                    Err(_) => break,
                }
            }
            let tx = db.transaction()?;
            {
                let mut customer = tx.prepare_cached(
                    "INSERT INTO customers (ref, body) VALUES (?1, ?2)
                     ON CONFLICT (ref) DO UPDATE SET body = excluded.body
                     RETURNING id",
                )?;
                let mut card = tx.prepare_cached(
                    "INSERT INTO cards (ref, customer_id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (ref) DO UPDATE SET body = excluded.body",
                )?;
                for c in &batch {
                    let row: i64 =
                        customer.query_row(rusqlite::params![c.id, c.body], |r| r.get(0))?;
                    for (card_id, body) in &c.cards {
                        card.execute(rusqlite::params![card_id, row, body])?;
                    }
                    written += 1;
                }
            }
            tx.commit()?;
        }
        Ok(written)
    });
    let client = reqwest::Client::new();
    let url = customers_url(m);
    let started = Instant::now();
    let mut offset = 0;
    let read: anyhow::Result<()> = async {
        loop {
            let body = listing_page(&client, &url, &m.secret, offset)
                .await?
                .bytes()
                .await?;
            let page: FloorPage = serde_json::from_slice(&body)?;
            let elements = page
                .elements
                .iter()
                .map(|c| FloorRow::of(c))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let last = elements.len() < PAGE;
            if !elements.is_empty() && pages_tx.send(elements).is_err() {
                break;
            }
            offset += PAGE;
            if last || offset > customers {
                break;
            }
        }
        Ok(())
    }
    .await;
    drop(pages_tx);
    let written = writer.await??;
    read?;
    Ok((written, started.elapsed()))
}

/// The table.
pub fn print(reports: &[SyncReport]) {
    outln!(
        "{:>9} {:>9} {:>10} {:>10} {:>11} {:>10} {:>11} {:>7} {:>7} {:>10} {:>8}",
        "customers",
        "cards",
        "sync s",
        "cust/s",
        "cards/s",
        "resync c/s",
        "raw cust/s",
        "ratio",
        "resync",
        "floor c/s",
        "ceiling"
    );
    for r in reports {
        outln!(
            "{:>9} {:>9} {:>10.2} {:>10.0} {:>11.0} {:>10.0} {:>11.0} {:>7.2} {:>7.2} {:>10.0} {:>8.2}",
            r.customers,
            r.cards,
            r.first_seconds,
            r.first_customers_per_s,
            r.first_cards_per_s,
            r.resync_customers_per_s,
            r.raw_customers_per_s,
            r.ratio_first,
            r.ratio_resync,
            r.floor_customers_per_s,
            r.floor_ratio
        );
    }
}
