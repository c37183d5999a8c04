//! `coffer bench search`: search latency over a large cache, measured, not asserted. It fills a
//! throw-away profile with N customers and their cards (deterministic), then runs each kind of
//! search many times with varied values and prints p50/p99 (and writes them as JSON with `--json`).
//! The fill itself is timed too: it is the store's raw write rate (no HTTP), which `bench all`
//! sets beside the sync figures.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Args;
use coffer_core::{
    Bin, CardBrand, CardExpiry, CardToken, CloverAccount, Currency, CustomerRef, Environment,
    Last4, MerchantId, ProviderAccount,
};
use coffer_store::cards::CardFields;
use coffer_store::customers::{CustomerFields, CustomerOrigin};
use coffer_store::merchants::NewMerchant;
use coffer_store::repo::prelude::*;
use coffer_store::search::{CardQuery, CustomerQuery};
use coffer_store::Store;
use serde::Serialize;

use super::TempDir;

#[derive(Args)]
pub struct SearchArgs {
    /// Cards in the cache (customers are a third of that, across four merchants).
    #[arg(long, default_value_t = 1_000_000)]
    pub cards: usize,
    /// Queries per search kind.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Keep the generated database in this folder, and reuse it when it is already there
    /// (default: a temp dir, removed after).
    #[arg(long)]
    pub keep: Option<PathBuf>,
}

/// One row of the result table.
#[derive(Debug, Serialize)]
pub struct Figure {
    pub kind: &'static str,
    pub queries: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub rows_returned_avg: f64,
}

#[derive(Debug, Serialize)]
pub struct SearchReport {
    pub cards: usize,
    pub customers: usize,
    /// Seconds to write the cache (customers and cards, 10,000 customers per transaction);
    /// `None` when an existing database was reused.
    pub fill_seconds: Option<f64>,
    pub figures: Vec<Figure>,
}

const NAMES: [&str; 16] = [
    "Anna", "Mikko", "Olga", "Erik", "Sofia", "Jonas", "Maria", "Pavel", "Elena", "Lars", "Aino",
    "Dmitri", "Hanna", "Oskar", "Irina", "Juha",
];
/// Two with diacritics, as Finnish names have them: writing those customers and searching
/// those names goes through SQLite's tokenizer (the store's search words), not the ASCII rule.
const SURNAMES: [&str; 16] = [
    "Virtanen",
    "Korhonen",
    "Ivanova",
    "Lindqvist",
    "Nieminen",
    "Petrov",
    "Mäkinen",
    "Johansson",
    "Smirnova",
    "Hämäläinen",
    "Kowalski",
    "Laine",
    "Novak",
    "Heikkinen",
    "Berg",
    "Sokolova",
];
const BRANDS: [CardBrand; 4] = [
    CardBrand::Visa,
    CardBrand::Mastercard,
    CardBrand::Amex,
    CardBrand::Mir,
];

/// A small deterministic generator, so two runs measure the same data.
fn mix(i: u64) -> u64 {
    let mut x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x00c0_ffee;
    x ^= x >> 31;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^ (x >> 29)
}

fn fill(store: &Store, cards: usize) -> anyhow::Result<Vec<MerchantId>> {
    let now = chrono::Utc::now();
    let mut merchants = Vec::new();
    for m in 0..4 {
        let merchant = store.insert_merchant(
            &NewMerchant {
                name: format!("Bench store {m}"),
                account: ProviderAccount::Clover(CloverAccount {
                    merchant_uuid: format!("BENCH{m:08}"),
                    pakms_key: None,
                }),
                environment: Environment::Sandbox,
                base_url: "embedded:clover".into(),
                time_zone: chrono_tz::Europe::Helsinki,
                currency: Currency::EUR,
                notice_lead_days: 3,
                group: Some("bench".into()),
                endpoint: Default::default(),
            },
            now,
        )?;
        merchants.push(merchant.id);
    }
    let customers = cards.div_ceil(3);
    for chunk_start in (0..customers).step_by(10_000) {
        store.batch(|store| {
            for c in chunk_start..(chunk_start + 10_000).min(customers) {
                let merchant = merchants[c % merchants.len()];
                let (customer, _) = store.upsert_customer(
                    merchant,
                    &bench_customer(c),
                    CustomerOrigin::Sync,
                    now,
                )?;
                for k in 0..3 {
                    let n = c * 3 + k;
                    if n >= cards {
                        break;
                    }
                    let r = mix(n as u64 + 7);
                    store.upsert_card(
                        merchant,
                        customer,
                        &CardFields {
                            token: CardToken(format!("tok_bench_{n:09}")),
                            brand: BRANDS[(r % 4) as usize].clone(),
                            last4: Last4::new(&format!("{:04}", r % 10_000))
                                .map_err(|e| coffer_store::StoreError::Corrupt(e.to_string()))?,
                            bin: Bin::new(&format!("{}", 400_000 + (r >> 16) % 1000)).ok(),
                            bank: Some("Bench Bank".into()),
                            expiry: CardExpiry::new(
                                2024 + ((r >> 24) % 8) as i32,
                                1 + ((r >> 32) % 12) as u32,
                            )
                            .map_err(|e| coffer_store::StoreError::Corrupt(e.to_string()))?,
                            active: true,
                            needs_cvc: false,
                            art_url: None,
                        },
                        now,
                    )?;
                }
            }
            Ok(())
        })?;
        if chunk_start % 100_000 == 0 {
            errln!("bench: {chunk_start} of {customers} customers written");
        }
    }
    Ok(merchants)
}

/// Customer `c` of the benchmark's cache, the same wherever it is built (the fill, the e-mail
/// searches, the renames).
fn bench_customer(c: usize) -> CustomerFields {
    let r = mix(c as u64);
    let name = format!(
        "{} {}",
        NAMES[(r % 16) as usize],
        SURNAMES[((r >> 8) % 16) as usize]
    );
    CustomerFields {
        reference: CustomerRef(format!("CUST{c:08}")),
        email: Some(format!(
            "{}.{c}@example.com",
            name.replace(' ', ".").to_lowercase()
        )),
        name,
        phone: None,
        address: None,
    }
}

fn time_kind(
    kind: &'static str,
    queries: usize,
    mut run: impl FnMut(usize) -> anyhow::Result<usize>,
) -> anyhow::Result<Figure> {
    let mut times = Vec::with_capacity(queries);
    let mut rows = 0usize;
    for i in 0..queries {
        let started = Instant::now();
        rows += run(i)?;
        times.push(started.elapsed());
    }
    Ok(figure(kind, times, rows))
}

fn figure(kind: &'static str, mut times: Vec<Duration>, rows: usize) -> Figure {
    let queries = times.len().max(1);
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    Figure {
        kind,
        queries,
        p50_ms: ms(at(0.50)),
        p99_ms: ms(at(0.99)),
        max_ms: ms(times[times.len() - 1]),
        rows_returned_avg: rows as f64 / queries as f64,
    }
}

/// Fills (or reuses) the cache and times every kind of search.
pub async fn measure(args: &SearchArgs) -> anyhow::Result<SearchReport> {
    let temp = TempDir::new("search")?;
    let dir = args
        .keep
        .clone()
        .unwrap_or_else(|| temp.path().to_path_buf());
    let path = dir.join("bench.db");
    let reuse = args.keep.is_some() && path.exists();
    let store = Store::open(&path)?;
    let started = Instant::now();
    let merchants = if reuse {
        errln!("bench: reusing {}", path.display());
        store.merchants()?.iter().map(|m| m.id).collect()
    } else {
        fill(&store, args.cards)?
    };
    let fill_seconds = (!reuse).then(|| started.elapsed().as_secs_f64());
    let today = CardExpiry::new(2026, 11)?;
    let q = args.queries.max(1);
    let customers = |query: CustomerQuery| -> anyhow::Result<usize> {
        Ok(store.search_customers(&query, today)?.len())
    };
    let count = |query: CustomerQuery| -> anyhow::Result<usize> {
        let found = store.count_matching_customers(&query)?;
        Ok(usize::try_from(found.total).unwrap_or(usize::MAX))
    };
    let text = |t: String| CustomerQuery {
        text: Some(t),
        limit: Some(50),
        ..CustomerQuery::default()
    };
    let population = (args.cards as u64 / 3).max(1);
    let name = |i: usize| text(SURNAMES[i % 16].to_string());
    let prefix = |i: usize| text(NAMES[i % 16][..3].to_string());
    let email = |i: usize| {
        let c = (mix(i as u64) % population) as usize;
        text(bench_customer(c).email.unwrap_or_default())
    };
    let reference = |i: usize| {
        text(
            bench_customer((mix(i as u64) % population) as usize)
                .reference
                .0,
        )
    };
    let last4 = |i: usize| text(format!("{:04}", mix(i as u64) % 10_000));
    let bin = |i: usize| text(format!("{}", 400_000 + mix(i as u64) % 1000));
    let one_location = |query: CustomerQuery, i: usize| CustomerQuery {
        merchants: vec![merchants[i % merchants.len()]],
        ..query
    };
    // The first name search after a customer was renamed: it rebuilds the places in name
    // order (the store's name_order) before paging, once per change.
    let mut after_rename = Vec::new();
    let mut rows_after_rename = 0;
    for i in 0..(q / 10).max(1) {
        let c = (mix(i as u64 + 99) % population) as usize;
        let stamp = chrono::Utc::now();
        let mut renamed = bench_customer(c);
        // Its words kept, so every other kind finds what it found before.
        renamed.name = format!("{} {}", renamed.name, stamp.timestamp_micros());
        store.upsert_customer(
            merchants[c % merchants.len()],
            &renamed,
            CustomerOrigin::Sync,
            stamp,
        )?;
        let started = Instant::now();
        rows_after_rename += customers(name(i))?;
        after_rename.push(started.elapsed());
    }
    let figures = vec![
        time_kind("customer by name", q, |i| customers(name(i)))?,
        figure(
            "customer by name, first after a rename",
            after_rename,
            rows_after_rename,
        ),
        time_kind("customer by name prefix", q, |i| customers(prefix(i)))?,
        time_kind("customer by email", q, |i| customers(email(i)))?,
        time_kind("customer by reference", q, |i| customers(reference(i)))?,
        time_kind("customer by last4", q, |i| customers(last4(i)))?,
        time_kind("customer by BIN", q, |i| customers(bin(i)))?,
        time_kind("customer by name, one location", q, |i| {
            customers(one_location(name(i), i))
        })?,
        time_kind("customer by BIN, one location", q, |i| {
            customers(one_location(bin(i), i))
        })?,
        // The customers view's exact count beside each search: every customer counted.
        time_kind("count, one location", q, |i| {
            count(CustomerQuery {
                merchants: vec![merchants[i % merchants.len()]],
                ..CustomerQuery::default()
            })
        })?,
        time_kind("count, all locations", q, |_| {
            count(CustomerQuery::default())
        })?,
        time_kind("count by name", q, |i| count(name(i)))?,
        time_kind("count by name prefix", q, |i| count(prefix(i)))?,
        time_kind("count by email", q, |i| count(email(i)))?,
        time_kind("count by reference", q, |i| count(reference(i)))?,
        time_kind("count by last4", q, |i| count(last4(i)))?,
        time_kind("count by BIN", q, |i| count(bin(i)))?,
        time_kind("count by name, one location", q, |i| {
            count(one_location(name(i), i))
        })?,
        time_kind("count by BIN, one location", q, |i| {
            count(one_location(bin(i), i))
        })?,
        time_kind("cards by last4 in a group", q, |i| {
            Ok(store
                .search_cards(&CardQuery {
                    merchants: merchants.clone(),
                    last4: Some(format!("{:04}", mix(i as u64) % 10_000)),
                    limit: Some(100),
                    ..CardQuery::default()
                })?
                .len())
        })?,
        time_kind("cards by brand, one merchant", q, |i| {
            Ok(store
                .search_cards(&CardQuery {
                    merchants: vec![merchants[i % merchants.len()]],
                    brand: Some(BRANDS[i % 4].name().to_string()),
                    limit: Some(100),
                    ..CardQuery::default()
                })?
                .len())
        })?,
        time_kind("cards expiring before a month", q, |i| {
            Ok(store
                .search_cards(&CardQuery {
                    expiring_before: Some(CardExpiry::new(
                        2025 + (i % 6) as i32,
                        1 + (i % 12) as u32,
                    )?),
                    limit: Some(100),
                    ..CardQuery::default()
                })?
                .len())
        })?,
    ];
    let report = SearchReport {
        cards: args.cards,
        customers: args.cards.div_ceil(3),
        fill_seconds,
        figures,
    };
    drop(store);
    drop(temp);
    Ok(report)
}

/// The table.
pub fn print(r: &SearchReport) {
    match r.fill_seconds {
        Some(s) => outln!(
            "search over {} cards / {} customers (filled in {s:.1} s)",
            r.cards,
            r.customers
        ),
        None => outln!(
            "search over {} cards / {} customers (reused database)",
            r.cards,
            r.customers
        ),
    }
    outln!(
        "{:<34} {:>8} {:>9} {:>9} {:>9} {:>8}",
        "kind",
        "queries",
        "p50 ms",
        "p99 ms",
        "max ms",
        "rows"
    );
    for f in &r.figures {
        outln!(
            "{:<34} {:>8} {:>9.3} {:>9.3} {:>9.3} {:>8.1}",
            f.kind,
            f.queries,
            f.p50_ms,
            f.p99_ms,
            f.max_ms,
            f.rows_returned_avg
        );
    }
}
