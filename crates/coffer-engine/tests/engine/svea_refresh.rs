//! Svea lists neither customers nor cards: sync re-reads each known token through a status query
//! of its tokenization, and corrects what the cache got wrong.

use std::sync::Arc;

use coffer_core::{CardExpiry, CustomerId, Last4};
use coffer_engine::progress::NoProgress;
use coffer_store::cards::CardFields;
use coffer_store::repo::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::world::{ready, World};

#[tokio::test]
async fn sync_refreshes_svea_tokens_through_status_queries_and_corrects_the_cache() {
    let world = World::new().await;
    let helsinki = world.merchant("svea", 0).await;
    let card = world.card(helsinki, ready).await;
    let cards_before = world.cards(helsinki).await.len();
    // Spoil the cached expiry, as a stale cache would have it.
    {
        let store =
            coffer_store::Store::open(&coffer_engine::config::database_path(world.dir.path()))
                .unwrap();
        let cached = store.card(coffer_core::CardId(card.id)).unwrap();
        store
            .upsert_card(
                helsinki,
                CustomerId(card.customer_id),
                &CardFields {
                    token: cached.token.clone(),
                    brand: cached.brand.clone(),
                    last4: Last4::new(cached.last4.as_str()).unwrap(),
                    bin: cached.bin.clone(),
                    bank: cached.bank.clone(),
                    expiry: CardExpiry::new(2031, 1).unwrap(),
                    active: true,
                    needs_cvc: false,
                    art_url: None,
                },
                world.engine.now(),
            )
            .unwrap();
    }
    let summary = world
        .engine
        .sync_merchant(helsinki, Arc::new(NoProgress), CancellationToken::new())
        .await
        .unwrap();
    assert!(
        summary.error.is_none() && summary.note.is_none(),
        "{summary:?}"
    );
    assert_eq!(
        summary.cards as usize, cards_before,
        "every known token was re-read"
    );
    assert_eq!(
        summary.cards_updated, 1,
        "only the spoiled card differed from Svea's record"
    );
    let after = world
        .cards(helsinki)
        .await
        .into_iter()
        .find(|c| c.id == card.id)
        .unwrap();
    assert_eq!(
        (after.exp_month, after.exp_year),
        (card.exp_month, card.exp_year),
        "Svea's expiry is back"
    );
    assert!(
        after.mit_ready,
        "consent and the initial payment survive the refresh"
    );
}
