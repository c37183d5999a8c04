//! The engine in this process against in-process sandboxes: sync compared field by field with
//! what each sandbox serves over its own API, and a second sync after the provider changed cards.
//! Secrets stay in the engine's `MemoryStore` here; the keyring is the CLI tests' business.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod providers;
mod sync;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use coffer_core::MerchantId;
use coffer_e2e::raw::{self, RawCard, RawCustomer};
use coffer_engine::merchants::MerchantView;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::{CardSearch, CardView, CustomerSearch};
use coffer_engine::secrets::MemoryStore;
use coffer_engine::Engine;
use coffer_sandbox::{Sandbox, SandboxConfig, SandboxMerchant};

/// An in-process sandbox, an engine on a fresh profile, and `demo` run against the sandbox.
pub struct World {
    pub sandbox: Sandbox,
    pub engine: Engine,
    pub seeded: Vec<SandboxMerchant>,
    _profile: tempfile::TempDir,
}

impl World {
    pub async fn demo(customers: usize) -> World {
        let sandbox = Sandbox::start(SandboxConfig::demo(customers))
            .await
            .unwrap();
        let profile = tempfile::tempdir().unwrap();
        let engine = coffer_demo::with_embedded_sandboxes(Engine::builder())
            .data_dir(Some(profile.path().to_path_buf()))
            .secrets(Arc::new(MemoryStore::default()))
            .open()
            .unwrap();
        let summary = coffer_demo::demo(
            &engine,
            Some(sandbox.urls.admin.clone()),
            Arc::new(NoProgress),
        )
        .await
        .unwrap();
        for s in &summary.synced {
            assert_eq!(
                s.error, None,
                "demo syncs {} without error",
                s.merchant_name
            );
        }
        let seeded = raw::merchants(&sandbox.urls.admin).await;
        World {
            sandbox,
            engine,
            seeded,
            _profile: profile,
        }
    }

    /// The seeded accounts of one provider.
    pub fn seeded(&self, provider: &str) -> Vec<SandboxMerchant> {
        raw::of_provider(&self.seeded, provider)
            .into_iter()
            .cloned()
            .collect()
    }

    /// Coffer's merchant for a seeded account.
    pub async fn merchant_of(&self, seeded: &SandboxMerchant) -> MerchantView {
        self.engine
            .list_merchants()
            .await
            .unwrap()
            .into_iter()
            .find(|m| m.account == seeded.account && m.base_url == seeded.base_url)
            .unwrap_or_else(|| panic!("demo registered {}", seeded.name))
    }

    /// Every card Coffer caches for a merchant.
    pub async fn cards(&self, merchant: i64) -> Vec<CardView> {
        self.engine
            .list_cards(CardSearch {
                merchant: Some(MerchantId(merchant)),
                limit: Some(10_000),
                ..CardSearch::default()
            })
            .await
            .unwrap()
    }

    /// Coffer's cache of one merchant, in the shape of the provider's view.
    /// `with_initial` keeps the cards' initial refs (for providers whose listing tells them).
    pub async fn cached(&self, merchant: i64, with_initial: bool) -> BTreeMap<String, RawCustomer> {
        let customers = self
            .engine
            .search_customers(CustomerSearch {
                merchant: Some(MerchantId(merchant)),
                limit: Some(1000),
                ..CustomerSearch::default()
            })
            .await
            .unwrap();
        let cards = self.cards(merchant).await;
        customers
            .into_iter()
            .map(|c| {
                let cards = cards
                    .iter()
                    // APM tokens have no card fields to compare: `apm_tokens` lists them.
                    .filter(|k| k.customer_id == c.id && k.apm.is_none())
                    .map(|k| card_of_view(k, with_initial))
                    .collect();
                (
                    c.reference.clone(),
                    RawCustomer {
                        reference: c.reference,
                        name: c.name,
                        email: c.email,
                        phone: c.phone,
                        cards,
                    },
                )
            })
            .collect()
    }
}

impl World {
    /// The merchant's cached APM tokens: token, method name, open to merchant-initiated charges.
    pub async fn apm_tokens(&self, merchant: i64) -> BTreeSet<(String, String, bool)> {
        self.cards(merchant)
            .await
            .into_iter()
            .filter_map(|k| {
                let name = k.apm.clone()?;
                Some((k.token, name, k.merchant_initiated_allowed))
            })
            .collect()
    }
}

/// A cached card in the provider's shape (no provider handle: Coffer keeps the token).
pub fn card_of_view(k: &CardView, with_initial: bool) -> RawCard {
    RawCard {
        handle: None,
        token: k.token.clone(),
        brand: raw::brand_key(&k.brand),
        last4: k.last4.clone(),
        bin: k.bin.clone(),
        bank: k.bank.clone(),
        exp_month: k.exp_month,
        exp_year: k.exp_year,
        active: k.active,
        initial_ref: k.initial_ref.clone().filter(|_| with_initial),
    }
}

/// The provider's customers keyed by reference, cards sorted by token and without handles.
pub fn by_reference(customers: Vec<RawCustomer>) -> BTreeMap<String, RawCustomer> {
    customers
        .into_iter()
        .map(|mut c| {
            for k in &mut c.cards {
                k.handle = None;
            }
            c.cards.sort_by(|a, b| a.token.cmp(&b.token));
            (c.reference.clone(), c)
        })
        .collect()
}

/// Sorts each customer's cards by token, for comparison.
pub fn sorted(mut cached: BTreeMap<String, RawCustomer>) -> BTreeMap<String, RawCustomer> {
    for c in cached.values_mut() {
        c.cards.sort_by(|a, b| a.token.cmp(&b.token));
    }
    cached
}

/// Asserts two views are equal customer by customer, naming the first difference.
pub fn assert_same(
    expected: &BTreeMap<String, RawCustomer>,
    cached: &BTreeMap<String, RawCustomer>,
    why: &str,
) {
    let missing: Vec<_> = expected
        .keys()
        .filter(|k| !cached.contains_key(*k))
        .collect();
    let extra: Vec<_> = cached
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{why}: the cache should hold exactly the provider's customers; missing {missing:?}, extra {extra:?}"
    );
    for (reference, want) in expected {
        assert_eq!(
            &cached[reference], want,
            "{why}: customer {reference} in the cache should match the provider field by field"
        );
    }
}
