//! The sync of a provider that lists its customers (Clover, ProcessOut), as a pipeline: one
//! task reads the listing page after page (one request in flight, as before) and converts it,
//! while the writer stores the pages already read. The writer takes every page waiting for it
//! into one transaction, so a slow disk means fewer, larger commits instead of a stalled fetch.
//!
//! What a failure leaves is what it left before: every page written is whole (a transaction
//! holds whole pages), and nothing is deactivated unless the listing was read to its end.

use std::collections::HashSet;

use coffer_core::{CardId, Merchant, MerchantId};
use coffer_providers::{Provider, RemoteCard, RemoteCustomer};
use coffer_store::cards::SyncedCard;
use coffer_store::customers::CustomerFields;
use coffer_store::repo::prelude::*;
use futures::stream::{self, StreamExt};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{add, synced_card, SyncSummary, CARD_CONCURRENCY, PAGE_SIZE};
use crate::error::EngineResult;
use crate::Engine;

/// Pages read ahead of the writer: the reading goes on while a transaction commits, and a
/// writer that falls behind finds several pages waiting and commits them together. Few enough
/// that a cancelled sync stops soon (the writer takes them in well under a second).
const PAGES_AHEAD: usize = 40;
/// Customers one transaction takes at most. Each customer and card lands at a random place in
/// a dozen indexes, so a transaction's WAL frames are mostly whole index pages written for a
/// row or two each; the more rows a commit carries, the more of them share a page. 4,000 rather
/// than 1,000: the first sync of 100,000 customers in 12.4 s instead of 16.8 s (`coffer bench
/// sync`, 2026-12-06), with the write lock held for about 0.4 s at a time.
const CUSTOMERS_PER_TRANSACTION: usize = 4_000;

/// One listing page, converted for the store.
struct Fetched {
    customers: Vec<CustomerFields>,
    /// Each customer's cards, in the same order.
    cards: Vec<Cards>,
    /// The provider's total, for progress.
    total: Option<u64>,
}

/// A customer's cards as the store takes them.
struct Cards {
    cards: Vec<SyncedCard>,
    /// Cards whose display fields the provider sent in a form Coffer refuses.
    rejected: u64,
}

/// What a transaction wrote of one page: its counts, and the provider's total for progress.
type PageWritten = (SyncSummary, Option<u64>);

/// How the reading ended.
enum Read {
    /// The listing was read to its end.
    Whole,
    /// Stopped before the end (cancelled, or the writer failed and reports why).
    Stopped,
}

impl Engine {
    /// Reads the whole listing into the cache; returns the cards it listed, or `None` when the
    /// reading stopped before the end (then nothing may be deactivated).
    pub(super) async fn sync_listing(
        &self,
        merchant: &Merchant,
        provider: &dyn Provider,
        report: &(dyn Fn(&SyncSummary, Option<u64>) + Sync),
        cancel: &CancellationToken,
        summary: &mut SyncSummary,
    ) -> EngineResult<Option<HashSet<CardId>>> {
        let (pages, queue) = mpsc::channel::<Fetched>(PAGES_AHEAD);
        let read = async move {
            let mut cursor = None;
            loop {
                if cancel.is_cancelled() {
                    return Ok(Read::Stopped);
                }
                let page = provider.list_customers(cursor.take(), PAGE_SIZE).await?;
                let (customers, cards) = fill_cards(provider, page.items)
                    .await?
                    .into_iter()
                    .map(listed)
                    .unzip();
                let fetched = Fetched {
                    customers,
                    cards,
                    total: page.total,
                };
                if pages.send(fetched).await.is_err() {
                    // The writer failed; its error is the one returned.
                    return Ok(Read::Stopped);
                }
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => return EngineResult::Ok(Read::Whole),
                }
            }
        };
        let mut listed_cards = HashSet::new();
        let write = self.write_pages(merchant.id, queue, report, summary, &mut listed_cards);
        let (read, written) = tokio::join!(read, write);
        written?;
        Ok(match read? {
            Read::Whole => Some(listed_cards),
            Read::Stopped => None,
        })
    }

    /// Stores the pages as they come, each transaction taking every page waiting (up to
    /// [`CUSTOMERS_PER_TRANSACTION`]); progress after every page.
    async fn write_pages(
        &self,
        merchant: MerchantId,
        mut queue: mpsc::Receiver<Fetched>,
        report: &(dyn Fn(&SyncSummary, Option<u64>) + Sync),
        summary: &mut SyncSummary,
        listed_cards: &mut HashSet<CardId>,
    ) -> EngineResult<()> {
        while let Some(first) = queue.recv().await {
            let mut rows = first.customers.len();
            let mut batch = vec![first];
            while rows < CUSTOMERS_PER_TRANSACTION {
                match queue.try_recv() {
                    Ok(page) => {
                        rows += page.customers.len();
                        batch.push(page);
                    }
                    Err(_) => break,
                }
            }
            let now = self.now();
            let mut customers = Vec::with_capacity(rows);
            let mut pages = Vec::with_capacity(batch.len());
            for page in batch {
                customers.extend(page.customers);
                pages.push((page.cards, page.total));
            }
            let (deltas, cards) = self
                .with_store(move |store| {
                    Ok(store
                        .batch(|store| write_batch(store, merchant, &customers, &pages, now))?)
                })
                .await?;
            listed_cards.extend(cards);
            for (delta, total) in &deltas {
                add(summary, delta);
                report(summary, *total);
            }
        }
        Ok(())
    }
}

/// Writes the customers of several pages (one statement indexes the new ones), then each one's
/// cards; returns each page's counts and the cards written.
fn write_batch(
    store: &dyn Repositories,
    merchant: MerchantId,
    customers: &[CustomerFields],
    pages: &[(Vec<Cards>, Option<u64>)],
    now: chrono::DateTime<chrono::Utc>,
) -> coffer_store::StoreResult<(Vec<PageWritten>, Vec<CardId>)> {
    let written = store.sync_customers(merchant, customers, now)?;
    let disagree =
        || coffer_store::StoreError::Corrupt("a page's customers and cards disagree".into());
    // Every card of the batch in one call, so the store indexes the new ones in one statement.
    let mut owners = written.iter();
    let mut of_customers = Vec::with_capacity(written.len());
    for cards in pages.iter().flat_map(|(cards_of, _)| cards_of) {
        let (customer_id, _) = owners.next().ok_or_else(disagree)?;
        of_customers.push((*customer_id, cards.cards.as_slice()));
    }
    let mut cards_written = store.sync_cards(merchant, &of_customers, now)?.into_iter();
    let mut customers_written = written.iter();
    let mut deltas = Vec::with_capacity(pages.len());
    let mut listed = Vec::with_capacity(customers.len() * 2);
    for (cards_of, total) in pages {
        let mut delta = SyncSummary::default();
        for cards in cards_of {
            let (_, changed) = customers_written.next().ok_or_else(disagree)?;
            delta.customers += 1;
            delta.customers_changed += u64::from(*changed);
            delta.cards_rejected += cards.rejected;
            for _ in &cards.cards {
                let (card_id, upsert) = cards_written.next().ok_or_else(disagree)?;
                super::count_card(upsert, &mut delta);
                listed.push(card_id);
            }
        }
        deltas.push((delta, *total));
    }
    Ok((deltas, listed))
}

/// A listed customer converted for the store (off the writer, while it writes).
fn listed((customer, cards): (RemoteCustomer, Vec<RemoteCard>)) -> (CustomerFields, Cards) {
    let synced: Vec<SyncedCard> = cards.iter().filter_map(synced_card).collect();
    let fields = CustomerFields {
        reference: customer.reference,
        name: customer.name,
        email: customer.email,
        phone: customer.phone,
        // Listing providers send no address; sync leaves the register's.
        address: None,
    };
    let rejected = (cards.len() - synced.len()) as u64;
    (
        fields,
        Cards {
            cards: synced,
            rejected,
        },
    )
}

/// Fetches the cards of customers whose listing did not include them.
async fn fill_cards(
    provider: &dyn Provider,
    customers: Vec<RemoteCustomer>,
) -> EngineResult<Vec<(RemoteCustomer, Vec<RemoteCard>)>> {
    let results: Vec<_> = stream::iter(customers)
        .map(|mut customer| async move {
            let cards = match customer.cards.take() {
                Some(cards) => Ok(cards),
                None => provider.cards_of(&customer.reference).await,
            };
            (customer, cards)
        })
        .buffered(CARD_CONCURRENCY)
        .collect()
        .await;
    results
        .into_iter()
        .map(|(customer, cards)| Ok((customer, cards?)))
        .collect()
}
