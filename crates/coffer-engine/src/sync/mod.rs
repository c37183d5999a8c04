//! Sync: pull customers and cards from the providers into the SQLite cache.
//!
//! Paged and pipelined: the next page is read while the last ones are written, whole pages per
//! transaction (`listing`); cards fetched per customer with bounded concurrency where the
//! listing does not carry them; incremental (an unchanged row is compared and not written,
//! changed rows updated, cards the provider no longer lists marked inactive, never deleted,
//! because contracts and the ledger point at them); cancellable between pages; progress after
//! every page.
//!
//! A ProcessOut APM token (PayPal…) is kept like a card, under its method's name, with whether
//! the provider opens it to merchant-initiated charges. A card the owner stopped using or
//! deleted stays so: sync writes the provider's fields only.
//!
//! Per provider: Clover and ProcessOut list customers. Assist cannot: Coffer is the customer
//! register there, and each registered `CustomerNumber`'s cards are fetched. Svea lists
//! neither: its tokens enter Coffer when a tokenization completes, so its sync is a no-op
//! that says so.

use std::collections::HashSet;
use std::sync::Arc;

use coffer_core::{
    Bin, CardBrand, CardExpiry, CardId, CustomerId, Last4, Merchant, MerchantId, PaymentMethod,
};
use coffer_providers::{Provider, RemoteCard, StoredMethod};
use coffer_store::cards::{CardFields, SyncedCard, Upsert, APM_EXPIRY, APM_LAST4};
use coffer_store::repo::prelude::*;
use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::connection::describe;
use crate::error::EngineResult;
use crate::progress::{Progress, ProgressEvent};
use crate::Engine;

mod listing;

/// Customers asked for per page.
const PAGE_SIZE: u32 = 100;
/// Card lookups in flight at once per merchant.
const CARD_CONCURRENCY: usize = 8;

/// What one merchant's sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SyncSummary {
    /// The merchant.
    pub merchant_id: i64,
    /// Its name.
    pub merchant_name: String,
    /// Customers seen.
    pub customers: u64,
    /// Customers new or changed.
    pub customers_changed: u64,
    /// Cards seen.
    pub cards: u64,
    /// Cards new.
    pub cards_added: u64,
    /// Cards whose fields changed.
    pub cards_updated: u64,
    /// Cards the provider no longer lists, now inactive.
    pub cards_deactivated: u64,
    /// Cards whose display fields the provider sent in a form Coffer refuses (kept out).
    pub cards_rejected: u64,
    /// `true` when stopped before the end (nothing was deactivated then).
    pub cancelled: bool,
    /// Why there was nothing to sync (a provider without listings).
    pub note: Option<String>,
    /// What went wrong, when the merchant could not be synced.
    pub error: Option<String>,
}

impl Engine {
    /// Syncs one merchant.
    pub async fn sync_merchant(
        &self,
        id: MerchantId,
        progress: Arc<dyn Progress>,
        cancel: CancellationToken,
    ) -> EngineResult<SyncSummary> {
        let merchant = self.merchant(id).await?;
        let provider = self.provider_for(&merchant).await?;
        let summary = self
            .sync_with(&merchant, provider.as_ref(), progress, cancel)
            .await?;
        let details = serde_json::to_value(&summary).unwrap_or_default();
        self.record_audit(
            Some(id.0),
            "merchant_synced",
            format!("merchant:{id}"),
            details,
        )
        .await?;
        Ok(summary)
    }

    /// Syncs every merchant (or a group), one after another; a failing merchant is reported in
    /// its summary and does not stop the others.
    pub async fn sync_all(
        &self,
        scope: Vec<MerchantId>,
        progress: Arc<dyn Progress>,
        cancel: CancellationToken,
    ) -> EngineResult<Vec<SyncSummary>> {
        let merchants = self.list_merchants().await?;
        let mut summaries = Vec::new();
        for m in merchants
            .iter()
            .filter(|m| scope.is_empty() || scope.contains(&MerchantId(m.id)))
        {
            if cancel.is_cancelled() {
                break;
            }
            match self
                .sync_merchant(MerchantId(m.id), progress.clone(), cancel.clone())
                .await
            {
                Ok(summary) => summaries.push(summary),
                Err(e) => summaries.push(SyncSummary {
                    merchant_id: m.id,
                    merchant_name: m.name.clone(),
                    error: Some(describe(&e)),
                    ..SyncSummary::default()
                }),
            }
        }
        Ok(summaries)
    }

    async fn sync_with(
        &self,
        merchant: &Merchant,
        provider: &dyn Provider,
        progress: Arc<dyn Progress>,
        cancel: CancellationToken,
    ) -> EngineResult<SyncSummary> {
        let started = self.now();
        let capabilities = provider.capabilities();
        let mut summary = SyncSummary {
            merchant_id: merchant.id.0,
            merchant_name: merchant.name.clone(),
            ..SyncSummary::default()
        };
        let report = |summary: &SyncSummary, total: Option<u64>| {
            progress.report(ProgressEvent {
                stage: "sync".into(),
                merchant_id: Some(merchant.id.0),
                done: summary.customers,
                total,
                message: format!(
                    "{}: {} customers, {} cards",
                    merchant.name, summary.customers, summary.cards
                ),
            })
        };
        if capabilities.lists_customers {
            let Some(listed) = self
                .sync_listing(merchant, provider, &report, &cancel, &mut summary)
                .await?
            else {
                summary.cancelled = true;
                return Ok(summary);
            };
            let id = merchant.id;
            summary.cards_deactivated = self
                .with_store(move |store| {
                    Ok(store.deactivate_unlisted_cards(id, None, &listed, started)? as u64)
                })
                .await?;
        } else if capabilities.cards_by_customer {
            let id = merchant.id;
            let register = self
                .read_store(move |store| Ok(store.customer_refs(id)?))
                .await?;
            let total = register.len() as u64;
            for chunk in register.chunks(PAGE_SIZE as usize) {
                if cancel.is_cancelled() {
                    summary.cancelled = true;
                    return Ok(summary);
                }
                let fetched: Vec<_> = stream::iter(chunk.iter().cloned())
                    .map(|(customer_id, reference)| async move {
                        (customer_id, provider.cards_of(&reference).await)
                    })
                    .buffer_unordered(CARD_CONCURRENCY)
                    .collect()
                    .await;
                let mut ok = Vec::with_capacity(fetched.len());
                for (customer_id, cards) in fetched {
                    ok.push((customer_id, cards?));
                }
                self.apply_register_cards(id, ok, started, &mut summary)
                    .await?;
                report(&summary, Some(total));
            }
        } else {
            self.refresh_known_cards(merchant, provider, &progress, &cancel, &mut summary)
                .await?;
        }
        Ok(summary)
    }

    /// A provider with no listing at all (Svea): its tokens entered Coffer when a tokenization
    /// completed; each is re-read through a status query of that tokenization, so an expired
    /// or withdrawn token shows as inactive.
    async fn refresh_known_cards(
        &self,
        merchant: &Merchant,
        provider: &dyn Provider,
        progress: &Arc<dyn Progress>,
        cancel: &CancellationToken,
        summary: &mut SyncSummary,
    ) -> EngineResult<()> {
        let id = merchant.id;
        let cards = self
            .read_store(move |store| {
                Ok(store.search_cards(&coffer_store::search::CardQuery {
                    merchants: vec![id],
                    limit: Some(10_000),
                    ..Default::default()
                })?)
            })
            .await?;
        let known: Vec<_> = cards
            .into_iter()
            .filter_map(|c| c.initial.clone().map(|i| (c, i.reference)))
            .collect();
        let total = known.len() as u64;
        for chunk in known.chunks(PAGE_SIZE as usize) {
            if cancel.is_cancelled() {
                summary.cancelled = true;
                return Ok(());
            }
            let fetched: Vec<_> = stream::iter(chunk.iter().cloned())
                .map(|(card, initial)| async move {
                    let answer = provider.refresh_card(&initial, &card.token).await;
                    (card, answer)
                })
                .buffer_unordered(CARD_CONCURRENCY)
                .collect()
                .await;
            let mut refreshed = Vec::new();
            for (card, answer) in fetched {
                match answer {
                    Ok(remote) => refreshed.push((card, remote)),
                    Err(e) if e.kind == coffer_providers::ProviderErrorKind::Unsupported => {
                        summary.note = Some(format!(
                            "{} has no customer or card listing: {}",
                            merchant.provider(),
                            provider.capabilities().note
                        ));
                        return Ok(());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let now = self.now();
            let delta = self
                .with_store(move |store| {
                    Ok(store.batch(|store| {
                        let mut delta = SyncSummary::default();
                        for (card, remote) in &refreshed {
                            match remote {
                                Some(remote) => apply_cards(
                                    store,
                                    id,
                                    card.customer_id,
                                    std::slice::from_ref(remote),
                                    now,
                                    &mut delta,
                                    &mut Vec::new(),
                                )?,
                                None => {
                                    // The provider forgot the tokenization: the token is gone.
                                    delta.cards_deactivated +=
                                        store.deactivate_card(card.id)? as u64;
                                }
                            }
                        }
                        Ok(delta)
                    })?)
                })
                .await?;
            add(summary, &delta);
            progress.report(ProgressEvent {
                stage: "sync".into(),
                merchant_id: Some(id.0),
                done: summary.cards + summary.cards_deactivated + summary.cards_rejected,
                total: Some(total),
                message: format!("{}: {} cards refreshed", merchant.name, summary.cards),
            });
        }
        Ok(())
    }

    async fn apply_register_cards(
        &self,
        merchant: MerchantId,
        fetched: Vec<(CustomerId, Vec<RemoteCard>)>,
        started: chrono::DateTime<chrono::Utc>,
        summary: &mut SyncSummary,
    ) -> EngineResult<()> {
        let now = self.now();
        let delta = self
            .with_store(move |store| {
                Ok(store.batch(|store| {
                    let mut delta = SyncSummary::default();
                    for (customer_id, cards) in &fetched {
                        delta.customers += 1;
                        let mut listed = Vec::new();
                        apply_cards(
                            store,
                            merchant,
                            *customer_id,
                            cards,
                            now,
                            &mut delta,
                            &mut listed,
                        )?;
                        let listed: HashSet<CardId> = listed.into_iter().collect();
                        delta.cards_deactivated += store.deactivate_unlisted_cards(
                            merchant,
                            Some(*customer_id),
                            &listed,
                            started,
                        )? as u64;
                    }
                    Ok(delta)
                })?)
            })
            .await?;
        add(summary, &delta);
        Ok(())
    }
}

/// Converts and writes the cards of one customer; the ids written go to `listed`.
fn apply_cards(
    store: &dyn Repositories,
    merchant: MerchantId,
    customer: CustomerId,
    cards: &[RemoteCard],
    now: chrono::DateTime<chrono::Utc>,
    delta: &mut SyncSummary,
    listed: &mut Vec<CardId>,
) -> coffer_store::StoreResult<()> {
    let synced: Vec<SyncedCard> = cards.iter().filter_map(synced_card).collect();
    // A provider sending a malformed last4 or BIN must not poison the cache.
    delta.cards_rejected += (cards.len() - synced.len()) as u64;
    write_cards(store, merchant, customer, &synced, now, delta, listed)
}

/// Writes converted cards of one customer; the ids written go to `listed`.
fn write_cards(
    store: &dyn Repositories,
    merchant: MerchantId,
    customer: CustomerId,
    cards: &[SyncedCard],
    now: chrono::DateTime<chrono::Utc>,
    delta: &mut SyncSummary,
    listed: &mut Vec<CardId>,
) -> coffer_store::StoreResult<()> {
    for (card_id, upsert) in store.sync_cards(merchant, &[(customer, cards)], now)? {
        count_card(upsert, delta);
        listed.push(card_id);
    }
    Ok(())
}

/// One synced card in the summary.
fn count_card(upsert: Upsert, delta: &mut SyncSummary) {
    delta.cards += 1;
    match upsert {
        Upsert::Inserted => delta.cards_added += 1,
        Upsert::Updated => delta.cards_updated += 1,
        Upsert::Unchanged => {}
    }
}

/// A provider's card as sync writes it: `None` when its display fields are malformed. An APM
/// token is listed by its method's name, open to merchant-initiated charges only where the
/// provider says so; a sync never touches the card's use (stopped or removed stays so). The
/// provider's initial CIT is kept unless Coffer has its own.
fn synced_card(card: &RemoteCard) -> Option<SyncedCard> {
    Some(SyncedCard {
        fields: card_fields(card)?,
        method: match &card.method {
            StoredMethod::Apm { name } => PaymentMethod::Apm {
                name: name.clone(),
                merchant_initiated: card.merchant_initiated,
            },
            _ => PaymentMethod::Card,
        },
        initial_ref: card.initial_ref.clone(),
    })
}

fn card_fields(card: &RemoteCard) -> Option<CardFields> {
    if let StoredMethod::Apm { name } = &card.method {
        // No last4 and no expiry of its own: the columns hold what migration 15-card-use says.
        return Some(CardFields {
            token: card.token.clone(),
            brand: CardBrand::Other(name.clone()),
            last4: Last4::new(APM_LAST4).ok()?,
            bin: None,
            bank: None,
            expiry: APM_EXPIRY,
            active: card.active,
            needs_cvc: false,
            art_url: card.art_url.clone(),
        });
    }
    Some(CardFields {
        token: card.token.clone(),
        brand: card.brand.clone(),
        last4: Last4::new(&card.last4).ok()?,
        bin: match &card.bin {
            Some(bin) => Some(Bin::new(bin).ok()?),
            None => None,
        },
        bank: card.bank.clone(),
        expiry: CardExpiry::new(card.expiry.year, card.expiry.month).ok()?,
        active: card.active,
        needs_cvc: card.needs_cvc,
        art_url: card.art_url.clone(),
    })
}

fn add(summary: &mut SyncSummary, delta: &SyncSummary) {
    summary.customers += delta.customers;
    summary.customers_changed += delta.customers_changed;
    summary.cards += delta.cards;
    summary.cards_added += delta.cards_added;
    summary.cards_updated += delta.cards_updated;
    summary.cards_deactivated += delta.cards_deactivated;
    summary.cards_rejected += delta.cards_rejected;
}
