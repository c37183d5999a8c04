//! Sync against the seeded sandboxes, compared with what each sandbox serves over its own API.

use std::sync::Arc;

use coffer_core::{CardId, Consent, MerchantId};
use coffer_e2e::raw;
use coffer_engine::progress::NoProgress;
use coffer_store::repo::prelude::*;
use tokio_util::sync::CancellationToken;

use crate::{assert_same, by_reference, sorted, World};

/// Customers per seeded merchant: more than one page of Coffer's sync (100) and of the
/// ProcessOut listing (100), so paging is part of every comparison.
const CUSTOMERS: usize = 130;

/// A card expiry year safely in the future, whenever the tests run.
fn future_year() -> i32 {
    use chrono::Datelike;
    chrono::Utc::now().year() + 5
}

/// A cancellation token that is never cancelled.
fn cancel() -> CancellationToken {
    CancellationToken::new()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_caches_exactly_the_clover_customers_and_cards_the_sandbox_serves() {
    let world = World::demo(CUSTOMERS).await;
    let clover = world.seeded("clover");
    assert!(
        clover.len() >= 2,
        "the demo seed has several Clover locations"
    );
    for m in &clover {
        let expected = by_reference(raw::clover_customers(m).await);
        assert_eq!(
            expected.len(),
            CUSTOMERS,
            "the sandbox serves every seeded customer of {}",
            m.name
        );
        let id = world.merchant_of(m).await.id;
        let cached = sorted(world.cached(id, false).await);
        assert_same(&expected, &cached, &m.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_caches_exactly_the_processout_customers_tokens_and_initial_refs_the_sandbox_serves() {
    let world = World::demo(CUSTOMERS).await;
    let projects = world.seeded("processout");
    assert!(
        !projects.is_empty(),
        "the demo seed has ProcessOut projects"
    );
    for m in &projects {
        let expected = by_reference(raw::processout_customers(m).await);
        assert_eq!(
            expected.len(),
            CUSTOMERS,
            "the sandbox serves every seeded customer of {}",
            m.name
        );
        assert!(
            expected.values().flat_map(|c| &c.cards).any(|k| k.initial_ref.is_some()),
            "some seeded ProcessOut cards carry an initial_scheme_transaction_id, so the comparison covers it"
        );
        let id = world.merchant_of(m).await.id;
        let cached = sorted(world.cached(id, true).await);
        assert_same(&expected, &cached, &m.name);
        let apms = raw::processout_apm_tokens(m).await;
        assert!(!apms.is_empty(), "{} has seeded APM tokens", m.name);
        let apms: std::collections::BTreeSet<_> = apms.into_iter().collect();
        assert_eq!(
            world.apm_tokens(id).await,
            apms,
            "{}: every APM token kept, named by its gateway, open to MITs as ProcessOut says",
            m.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_fetches_the_assist_cards_of_every_customer_number_in_the_register() {
    let world = World::demo(CUSTOMERS).await;
    let accounts = world.seeded("assist");
    assert!(!accounts.is_empty(), "the demo seed has Assist accounts");
    for m in &accounts {
        let mut register = raw::assist_register(m).await;
        assert_eq!(
            register.len(),
            CUSTOMERS,
            "the sandbox's register lists every seeded customer of {}",
            m.name
        );
        for customer in &mut register {
            customer.cards = raw::assist_cards(m, &customer.reference).await;
        }
        let expected = by_reference(register);
        assert!(
            expected.values().any(|c| c.cards.iter().any(|k| !k.active)),
            "the seed has inactive (expired) Assist cards, so `active` is compared too"
        );
        let id = world.merchant_of(m).await.id;
        let cached = sorted(world.cached(id, false).await);
        assert_same(&expected, &cached, &m.name);
    }
}

/// Records consent on a cached card straight in the store, as the consent use case would.
fn give_consent(world: &World, card: i64) -> Consent {
    let consent = Consent {
        given_at: chrono::DateTime::from_timestamp_millis(1_780_000_000_000).unwrap(),
        terms: "e2e: consent recorded before the second sync".into(),
    };
    let store = coffer_store::Store::open(&coffer_engine::config::database_path(
        world.engine.data_dir(),
    ))
    .unwrap();
    store.set_card_consent(CardId(card), &consent).unwrap();
    consent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_after_clover_revokes_a_card_deactivates_it_and_keeps_its_consent() {
    let world = World::demo(20).await;
    let m = world.seeded("clover").remove(0);
    let id = world.merchant_of(&m).await.id;
    let before = raw::clover_customers(&m).await;
    let (customer, card) = before
        .iter()
        .find_map(|c| {
            c.cards
                .iter()
                .find(|k| k.active)
                .map(|k| (c.clone(), k.clone()))
        })
        .expect("a seeded Clover customer with an active card");
    let cached = world.cards(id).await;
    let mine = cached
        .iter()
        .find(|k| k.token == card.token)
        .expect("the card was synced")
        .clone();
    let consent = give_consent(&world, mine.id);

    raw::clover_revoke_card(&m, &customer.reference, card.handle.as_deref().unwrap()).await;
    let summary = world
        .engine
        .sync_merchant(MerchantId(id), Arc::new(NoProgress), cancel())
        .await
        .unwrap();

    assert_eq!(
        summary.cards_deactivated, 1,
        "exactly the revoked card is deactivated: {summary:?}"
    );
    assert_eq!(
        summary.cards_added, 0,
        "nothing new at the provider: {summary:?}"
    );
    let after = world.cards(id).await;
    let revoked = after
        .iter()
        .find(|k| k.id == mine.id)
        .expect("a revoked card stays in the cache: contracts and the ledger point at it");
    assert!(
        !revoked.active,
        "the card Clover no longer lists is inactive"
    );
    assert_eq!(
        revoked.consent_at,
        Some(consent.given_at),
        "Coffer's own consent column survives the sync"
    );
    assert_eq!(
        revoked.initial_ref, mine.initial_ref,
        "the initial ref survives the sync"
    );
    assert_eq!(after.len(), cached.len(), "sync never deletes cards");

    // Everything else still matches the provider, and the revoked card is there, inactive.
    let mut expected = by_reference(raw::clover_customers(&m).await);
    let mut gone = card.clone();
    gone.handle = None;
    gone.active = false;
    let holder = expected.get_mut(&customer.reference).unwrap();
    holder.cards.push(gone);
    holder.cards.sort_by(|a, b| a.token.cmp(&b.token));
    assert_same(
        &expected,
        &sorted(world.cached(id, false).await),
        "after revoking a card",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_after_processout_deletes_and_replaces_tokens_updates_deactivates_and_keeps_coffers_columns(
) {
    let world = World::demo(20).await;
    let m = world.seeded("processout").remove(0);
    let id = world.merchant_of(&m).await.id;
    let cached = world.cards(id).await;
    let ready = |token: &str| {
        cached
            .iter()
            .find(|k| k.token == token && k.consent_at.is_some() && k.initial_ref.is_some())
            .cloned()
    };
    let before = raw::processout_customers(&m).await;
    let (customer, deleted, replaced) = before
        .iter()
        .find_map(|c| {
            let mut usable = c.cards.iter().filter_map(|k| ready(&k.token));
            Some((c.clone(), usable.next()?, usable.next()?))
        })
        .expect(
            "a seeded ProcessOut customer with two cards that demo gave consent and an initial ref",
        );

    raw::processout_delete_token(&m, &customer.reference, &deleted.token).await;
    raw::processout_replace_card(
        &m,
        &customer.reference,
        &replaced.token,
        "4242424242424242",
        12,
        future_year(),
    )
    .await;
    let summary = world
        .engine
        .sync_merchant(MerchantId(id), Arc::new(NoProgress), cancel())
        .await
        .unwrap();

    assert_eq!(
        summary.cards_deactivated, 1,
        "the deleted token's card is deactivated: {summary:?}"
    );
    assert_eq!(
        summary.cards_updated, 1,
        "the token with a new card is updated: {summary:?}"
    );
    let after = world.cards(id).await;
    let gone = after
        .iter()
        .find(|k| k.id == deleted.id)
        .expect("a deleted token's card stays cached");
    assert!(
        !gone.active,
        "a token ProcessOut no longer lists is inactive"
    );
    assert_eq!(gone.consent_at, deleted.consent_at, "its consent is kept");
    assert_eq!(
        gone.initial_ref, deleted.initial_ref,
        "its initial ref is kept"
    );
    let changed = after
        .iter()
        .find(|k| k.id == replaced.id)
        .expect("the replaced token is the same card row");
    assert_eq!(
        (
            changed.last4.as_str(),
            changed.bin.as_deref(),
            changed.exp_month,
            changed.exp_year,
            changed.active
        ),
        ("4242", Some("424242"), 12, future_year(), true),
        "the display fields follow the token's new card"
    );
    assert_eq!(
        changed.consent_at, replaced.consent_at,
        "Coffer's consent survives the update"
    );
    assert_eq!(
        changed.initial_ref, replaced.initial_ref,
        "the recorded initial transaction survives a listing that no longer tells one"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sync_picks_up_a_changed_clover_customer_and_its_new_card() {
    let world = World::demo(20).await;
    let m = world.seeded("clover").remove(1);
    let id = world.merchant_of(&m).await.id;
    let before = raw::clover_customers(&m).await;
    let customer = before
        .iter()
        .find(|c| !c.name.starts_with("Test"))
        .expect("an ordinary seeded customer")
        .clone();

    raw::clover_update_customer(
        &m,
        &customer.reference,
        "moved@example.org",
        "Newname",
        "5555555555554444",
        future_year(),
    )
    .await;
    let summary = world
        .engine
        .sync_merchant(MerchantId(id), Arc::new(NoProgress), cancel())
        .await
        .unwrap();

    assert_eq!(
        summary.customers_changed, 1,
        "exactly the edited customer changed: {summary:?}"
    );
    assert_eq!(
        summary.cards_added, 1,
        "the card saved on the customer is new: {summary:?}"
    );
    assert_eq!(
        summary.cards_deactivated, 0,
        "no card went away: {summary:?}"
    );
    let expected = by_reference(raw::clover_customers(&m).await);
    let cached = sorted(world.cached(id, false).await);
    let edited = &cached[&customer.reference];
    assert_eq!(
        edited.email.as_deref(),
        Some("moved@example.org"),
        "the new e-mail is cached"
    );
    assert!(
        edited.name.ends_with("Newname"),
        "the new name is cached: {}",
        edited.name
    );
    assert!(
        edited
            .cards
            .iter()
            .any(|k| k.last4 == "4444" && k.exp_year == future_year() && k.active),
        "the new card is cached and active: {:?}",
        edited.cards
    );
    assert_same(&expected, &cached, "after editing a customer at Clover");
}
