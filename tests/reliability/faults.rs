//! Faults from the sandbox's knobs (dropped responses, 5xx, 429 storms with Retry-After, added
//! latency) during sync and during a due run, with the engine in this process against an
//! in-process sandbox (secrets in memory). Afterwards, with the knobs off: the cache holds
//! every record the provider has, each due occurrence is charged exactly once at the provider,
//! and after reconcile no attempt is left unsettled.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::Datelike;
use coffer_core::contract::Frequency;
use coffer_core::{ChargeState, MerchantId};
use coffer_e2e::raw;
use coffer_engine::contracts::ContractInput;
use coffer_engine::due::DueRun;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::{CardSearch, CustomerSearch};
use coffer_engine::secrets::MemoryStore;
use coffer_engine::Engine;
use coffer_sandbox::{FaultConfig, Sandbox, SandboxConfig};
use coffer_store::charges::AttemptFilter;
use tokio_util::sync::CancellationToken;

use crate::crash_loop::due_date;

const AMOUNT_MINOR: i64 = 917;

/// Every knob at once: what a bad day at a provider looks like.
fn storm() -> FaultConfig {
    FaultConfig {
        latency_ms: 15,
        error_rate: 15,
        rate_limit_rate: 10,
        retry_after_secs: 1,
        drop_rate: 15,
        ..FaultConfig::default()
    }
}

async fn set(sandbox: &Sandbox, knobs: FaultConfig) {
    let status = reqwest::Client::new()
        .put(format!("{}/faults", sandbox.urls.admin))
        .json(&knobs)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "the sandbox takes the fault knobs");
}

async fn world() -> (Sandbox, Engine, tempfile::TempDir) {
    let sandbox = Sandbox::start(SandboxConfig::demo(25)).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let engine = Engine::builder()
        .data_dir(Some(profile.path().to_path_buf()))
        .secrets(Arc::new(MemoryStore::default()))
        .open()
        .unwrap();
    (sandbox, engine, profile)
}

/// A second engine on `profile` with `secrets`, whose clock reads noon (UTC) of `date`: the due
/// run of that day, which a due run of today may not stand in for.
fn engine_on(
    profile: &std::path::Path,
    secrets: Arc<MemoryStore>,
    date: chrono::NaiveDate,
) -> Engine {
    let noon = date.and_hms_opt(12, 0, 0).unwrap_or_default().and_utc();
    Engine::builder()
        .data_dir(Some(profile.to_path_buf()))
        .secrets(secrets)
        .clock(Arc::new(coffer_core::clock::FixedClock(noon)))
        .open()
        .unwrap()
}

/// Card tokens per seeded merchant account, as the provider lists them over its own API.
async fn provider_tokens(sandbox: &Sandbox, provider: &str) -> BTreeSet<String> {
    let seeded = raw::merchants(&sandbox.urls.admin).await;
    let m = raw::of_provider(&seeded, provider)[0].clone();
    let customers = match provider {
        "clover" => raw::clover_customers(&m).await,
        _ => raw::processout_customers(&m).await,
    };
    customers
        .into_iter()
        .flat_map(|c| c.cards.into_iter().map(|k| k.token))
        .collect()
}

async fn cached_tokens(engine: &Engine, provider: &str, sandbox: &Sandbox) -> BTreeSet<String> {
    let seeded = raw::merchants(&sandbox.urls.admin).await;
    let m = raw::of_provider(&seeded, provider)[0].clone();
    let merchant = engine
        .list_merchants()
        .await
        .unwrap()
        .into_iter()
        .find(|v| v.account == m.account)
        .unwrap();
    engine
        .list_cards(CardSearch {
            merchant: Some(MerchantId(merchant.id)),
            limit: Some(10_000),
            ..CardSearch::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.token)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_through_a_fault_storm_loses_no_record_once_the_storm_is_over() {
    let (sandbox, engine, _profile) = world().await;
    // The merchants are registered (and synced) in calm weather; then the storm.
    engine
        .demo(Some(sandbox.urls.admin.clone()), Arc::new(NoProgress))
        .await
        .unwrap();
    set(&sandbox, storm()).await;
    let stormy = engine
        .sync_all(Vec::new(), Arc::new(NoProgress), CancellationToken::new())
        .await
        .unwrap();
    for s in &stormy {
        eprintln!(
            "faults: in the storm {} saw {} customers, error: {:?}",
            s.merchant_name, s.customers, s.error
        );
        // Each merchant either synced through the retries or says why it stopped; none "succeeded"
        // with part of its data silently missing.
        if s.error.is_none() && !s.cancelled && s.note.is_none() && s.customers > 0 {
            assert_eq!(
                s.customers, 25,
                "{}: a sync that ends without error has seen every customer: {s:?}",
                s.merchant_name
            );
        }
    }
    set(&sandbox, FaultConfig::default()).await;
    let calm = engine
        .sync_all(Vec::new(), Arc::new(NoProgress), CancellationToken::new())
        .await
        .unwrap();
    for s in &calm {
        assert_eq!(
            s.error, None,
            "{} syncs once the storm is over",
            s.merchant_name
        );
        assert_eq!(
            s.cards_deactivated, 0,
            "{}: the storm made no card look withdrawn: {s:?}",
            s.merchant_name
        );
    }
    for provider in ["clover", "processout"] {
        assert_eq!(
            cached_tokens(&engine, provider, &sandbox).await,
            provider_tokens(&sandbox, provider).await,
            "{provider}: after the storm the cache holds exactly the cards the provider lists"
        );
    }
    let customers = engine
        .search_customers(CustomerSearch {
            limit: Some(1000),
            ..CustomerSearch::default()
        })
        .await
        .unwrap();
    assert!(
        customers.len() >= 50,
        "the customers of Clover and ProcessOut (25 each) are all in the cache: {}",
        customers.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_run_through_a_fault_storm_charges_each_occurrence_once_and_reconcile_settles_every_attempt(
) {
    let sandbox = Sandbox::start(SandboxConfig::demo(25)).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let secrets = Arc::new(MemoryStore::default());
    let engine = Engine::builder()
        .data_dir(Some(profile.path().to_path_buf()))
        .secrets(secrets.clone())
        .open()
        .unwrap();
    engine
        .demo(Some(sandbox.urls.admin.clone()), Arc::new(NoProgress))
        .await
        .unwrap();
    let due = due_date();
    let today = chrono::Utc::now().date_naive();
    let mut tokens = HashSet::new();
    let merchants = engine.list_merchants().await.unwrap();
    for provider in ["clover", "processout"] {
        let merchant = merchants
            .iter()
            .find(|m| m.provider == provider)
            .unwrap_or_else(|| panic!("demo registered a {provider} merchant"));
        let cards = engine
            .list_cards(CardSearch {
                merchant: Some(MerchantId(merchant.id)),
                limit: Some(1000),
                ..CardSearch::default()
            })
            .await
            .unwrap();
        let usable = cards.into_iter().filter(|c| {
            c.mit_ready
                && c.active
                && !c.expired
                && !c.expiring_soon
                && !["0341", "0002", "0069", "0077", "0019"].contains(&c.last4.as_str())
        });
        for card in usable.take(5) {
            engine
                .create_contract(ContractInput {
                    card: card.id,
                    amount: Some("9.17".into()),
                    frequency: Some(Frequency::Monthly { day: due.day() }),
                    start: Some(today),
                    ..ContractInput::default()
                })
                .await
                .unwrap();
            tokens.insert(card.token);
        }
    }
    assert_eq!(tokens.len(), 10, "five contracts per provider");
    // The notices go out in calm weather; the charges go out in the storm.
    engine
        .run_due(DueRun::default(), Arc::new(NoProgress))
        .await
        .unwrap();
    set(&sandbox, storm()).await;
    // The due date's runs: an engine whose clock reads that day.
    let engine = engine_on(profile.path(), secrets.clone(), due);
    let run = DueRun::default();
    let stormy = engine
        .run_due(run.clone(), Arc::new(NoProgress))
        .await
        .unwrap();
    eprintln!(
        "faults: in the storm {} charged, {} failed or unknown, {} skipped",
        stormy.charged.len(),
        stormy.failed.len(),
        stormy.skipped.len()
    );
    set(&sandbox, FaultConfig::default()).await;
    // Later runs (cron) and reconcile settle what the storm left open: the same day's runs
    // settle lost answers, and a try that failed is retried the next day (one try a day).
    for _ in 0..2 {
        engine
            .run_due(run.clone(), Arc::new(NoProgress))
            .await
            .unwrap();
    }
    let next_day = due.succ_opt().unwrap();
    let engine = engine_on(profile.path(), secrets.clone(), next_day);
    for _ in 0..2 {
        engine
            .run_due(run.clone(), Arc::new(NoProgress))
            .await
            .unwrap();
    }
    engine.reconcile(chrono::Duration::zero()).await.unwrap();

    let charges: Vec<_> = sandbox
        .ledger
        .all()
        .into_iter()
        .filter(|c| c.kind == "charge" && c.amount_minor == AMOUNT_MINOR && c.status == "approved")
        .collect();
    let mut per_card: HashMap<&str, usize> = HashMap::new();
    for c in &charges {
        *per_card.entry(c.card_token.as_str()).or_default() += 1;
    }
    for token in &tokens {
        assert_eq!(
            per_card.get(token.as_str()).copied().unwrap_or(0),
            1,
            "card {token} is charged exactly once at the provider through the storm: {per_card:?}"
        );
    }
    assert_eq!(
        charges.len(),
        tokens.len(),
        "no charge beyond one per occurrence"
    );
    let ledger = engine.list_charges(AttemptFilter::default()).await.unwrap();
    let ours: Vec<_> = ledger
        .iter()
        .filter(|a| a.amount.minor == AMOUNT_MINOR)
        .collect();
    let keys: HashSet<&str> = ours.iter().map(|a| a.idempotency_key.0.as_str()).collect();
    for c in &charges {
        let key = c.idempotency_key.as_deref().unwrap_or("");
        assert!(
            keys.contains(key),
            "the provider's charge with key {key:?} is a row of Coffer's ledger"
        );
    }
    assert!(
        ours.iter()
            .all(|a| !matches!(a.state, ChargeState::Sending | ChargeState::Planned)),
        "after reconcile every attempt is settled: {:?}",
        ours.iter().map(|a| (a.id, a.state)).collect::<Vec<_>>()
    );
    assert_eq!(
        ours.iter()
            .filter(|a| a.state == ChargeState::Succeeded)
            .count(),
        tokens.len(),
        "one succeeded row per occurrence"
    );
}
