//! Fault storms on all four providers, during sync and during a due run, with the engine in
//! this process against an in-process sandbox (secrets in memory). The storm is the sandbox's
//! counters, re-armed at random (seeded) as they are spent while the work runs: 429s with
//! Retry-After, 503s before processing, answers dropped after processing, 502s after processing
//! (`error_after_write_next`), now counting every request and now only writes, with latency and
//! lagging lookups (`lookup_lag_secs`) changing as it goes. Counters make the count exact: what
//! was armed less what is left is what the sandbox served. Afterwards, in calm weather: the
//! cache holds every card the provider has and none the storm made look withdrawn, each due
//! occurrence is charged exactly once at the provider with its succeeded ledger row, and after
//! cron's next runs and reconcile nothing is left for a person.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use coffer_core::contract::Frequency;
use coffer_core::{ChargeState, MerchantId};
use coffer_e2e::raw;
use coffer_engine::charge::ChargeQuery;
use coffer_engine::contracts::ContractInput;
use coffer_engine::due::DueRun;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::CardSearch;
use coffer_engine::Engine;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::env_number;
use crate::report::{self, Row, PROVIDERS};
use crate::world::{tally, Findings, Kept, Made, World};

/// The charges of the due-run storm (minor units); at most 5.00, Svea's smallest cap.
const AMOUNT_MINOR: i64 = 417;
/// Contracts per provider in the due-run storm, per [`scale`].
const CONTRACTS: usize = 15;

/// How much bigger the storms are than CI's: one more round of syncs and 15 more contracts per
/// provider for every 5 runs of `COFFER_RELIABILITY_RUNS` (so 4 with `--long`).
fn scale() -> usize {
    (env_number("COFFER_RELIABILITY_RUNS", 5).div_ceil(5) as usize).clamp(1, 4)
}

/// The counters of the storm, what each serves, and the odds of arming it again when spent,
/// at each tick. The sandbox spends them in this order, and a 429 makes the engine wait out
/// its Retry-After (1 s) before the next write, so 429s are kept rare: frequent ones would leave
/// the other faults no request to land on.
const COUNTERS: [(&str, &str, f64); 4] = [
    ("rate_limit_next", "429", 0.01),
    ("error_next", "503", 0.1),
    ("drop_next", "dropped", 0.15),
    ("error_after_write_next", "502", 0.15),
];
/// How often the storm looks at its counters.
const TICK: Duration = Duration::from_millis(25);

fn seed(what: &str) -> u64 {
    let seed = env_number(
        "COFFER_RELIABILITY_SEED",
        chrono::Utc::now().timestamp_millis() as u64,
    );
    eprintln!("faults: {what}: seed {seed} (COFFER_RELIABILITY_SEED={seed} replays its draws)");
    seed
}

fn left(knobs: &coffer_sandbox::FaultConfig, counter: &str) -> u64 {
    u64::from(match counter {
        "rate_limit_next" => knobs.rate_limit_next,
        "error_next" => knobs.error_next,
        "drop_next" => knobs.drop_next,
        _ => knobs.error_after_write_next,
    })
}

/// Runs `work` in a storm drawn from `rng`, and returns its output with the faults the sandbox
/// served, by kind. At the start a 503 or a drop and a 502 are armed; at every tick each spent counter may be
/// armed again with 1 or 2, and latency, lookup lag and `next_writes_only` are redrawn. A counter is armed only when it reads 0, and only
/// the storm arms them, so armed less left is exactly what was served.
async fn in_a_storm<T>(
    world: &World,
    rng: &mut SmallRng,
    work: impl Future<Output = T>,
) -> (T, Vec<(&'static str, u64)>) {
    world.faults(json!({"retry_after_secs": 1})).await;
    let mut armed: HashMap<&str, u64> = HashMap::new();
    // The storm is on from the first request: a 503 or a dropped answer, counting every
    // request, and a 502 for the first write.
    let counter = if rng.gen_bool(0.5) {
        "error_next"
    } else {
        "drop_next"
    };
    armed.insert(counter, 1);
    armed.insert("error_after_write_next", 1);
    world
        .faults(json!({counter: 1, "error_after_write_next": 1, "next_writes_only": false}))
        .await;
    tokio::pin!(work);
    let out = loop {
        tokio::select! {
            out = &mut work => break out,
            () = tokio::time::sleep(TICK) => rearm(world, rng, &mut armed).await,
        }
    };
    let knobs = world.knobs().await;
    let served = COUNTERS
        .iter()
        .map(|(counter, what, _)| {
            let armed = armed.get(counter).copied().unwrap_or(0);
            (*what, armed - left(&knobs, counter).min(armed))
        })
        .collect();
    world
        .faults(json!({
            "rate_limit_next": 0, "error_next": 0, "drop_next": 0, "error_after_write_next": 0,
            "next_writes_only": false, "latency_ms": 0, "lookup_lag_secs": 0,
        }))
        .await;
    (out, served)
}

/// Arms each spent counter with 1 or 2 at its odds, and redraws latency, lookup lag and
/// `next_writes_only`.
async fn rearm(world: &World, rng: &mut SmallRng, armed: &mut HashMap<&'static str, u64>) {
    let knobs = world.knobs().await;
    let mut update = serde_json::Map::new();
    for (counter, _, odds) in COUNTERS {
        if left(&knobs, counter) == 0 && rng.gen_bool(odds) {
            let n = rng.gen_range(1..=2u64);
            *armed.entry(counter).or_default() += n;
            update.insert(counter.into(), json!(n));
        }
    }
    update.insert("next_writes_only".into(), json!(rng.gen_bool(0.5)));
    update.insert("latency_ms".into(), json!(rng.gen_range(0..30u64)));
    update.insert("lookup_lag_secs".into(), json!(rng.gen_range(0..=2u64)));
    world.faults(serde_json::Value::Object(update)).await;
}

/// Cards of `merchant` in the cache, with whether each is active.
async fn cached(engine: &Engine, merchant: MerchantId) -> BTreeSet<(String, bool)> {
    engine
        .list_cards(CardSearch {
            merchant: Some(merchant),
            limit: Some(10_000),
            ..CardSearch::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.token, c.active))
        .collect()
}

/// The active card tokens the provider lists for the seeded account of `merchant`, over its own
/// API; `None` where the provider lists no cards (Svea).
async fn listed(world: &World, engine: &Engine, merchant: MerchantId) -> Option<BTreeSet<String>> {
    let view = engine
        .list_merchants()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.id == merchant.0)
        .unwrap();
    let seeded = raw::merchants(&world.sandbox.urls.admin).await;
    let m = seeded.iter().find(|m| m.account == view.account).unwrap();
    let customers = match view.provider.as_str() {
        "clover" => raw::clover_customers(m).await,
        "processout" => raw::processout_customers(m).await,
        "assist" => {
            let mut customers = raw::assist_register(m).await;
            for c in &mut customers {
                c.cards = raw::assist_cards(m, &c.reference).await;
            }
            customers
        }
        _ => return None,
    };
    let mut active: BTreeSet<String> = customers
        .into_iter()
        .flat_map(|c| c.cards)
        .filter(|k| k.active)
        .map(|k| k.token)
        .collect();
    if view.provider == "processout" {
        // Its APM tokens are kept beside the cards, active where ProcessOut says chargeable.
        active.extend(
            raw::processout_apm_tokens(m)
                .await
                .into_iter()
                .filter(|(_, _, chargeable)| *chargeable)
                .map(|(token, _, _)| token),
        );
    }
    Some(active)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_through_a_fault_storm_loses_no_card_on_any_provider_once_the_storm_is_over() {
    let seed = seed("sync storm");
    let mut rng = SmallRng::seed_from_u64(seed);
    let rounds = scale();
    // Enough customers for several pages and many card lookups per merchant.
    let world = World::new(150).await;
    let engine = &world.engine;
    let mut findings = Findings::default();
    let mut rows = Vec::new();
    for provider in PROVIDERS {
        let merchant = world.merchant(provider).await;
        let before = cached(engine, merchant).await;
        let mut served: Vec<(&str, u64)> = Vec::new();
        for _ in 0..rounds {
            let (stormy, faults) = in_a_storm(
                &world,
                &mut rng,
                engine.sync_merchant(merchant, Arc::new(NoProgress), CancellationToken::new()),
            )
            .await;
            eprintln!("faults: {provider} synced in the storm ({faults:?}): {stormy:?}");
            if let Ok(s) = &stormy {
                findings.check(s.cards_deactivated == 0, || {
                    format!("{provider}: a storm makes no card look withdrawn: {s:?}")
                });
            }
            served = if served.is_empty() {
                faults
            } else {
                served
                    .iter()
                    .zip(&faults)
                    .map(|((w, a), (_, b))| (*w, a + b))
                    .collect()
            };
        }
        let calm = engine
            .sync_merchant(merchant, Arc::new(NoProgress), CancellationToken::new())
            .await;
        findings.check(calm.as_ref().is_ok_and(|s| s.error.is_none()), || {
            format!("{provider} syncs once the storm is over: {calm:?}")
        });
        let after = cached(engine, merchant).await;
        let active: BTreeSet<String> = after
            .iter()
            .filter(|(_, active)| *active)
            .map(|(t, _)| t.clone())
            .collect();
        // Lost: cards the provider lists that the cache lacks (or holds as withdrawn), and for
        // Svea, which lists none, cards active before the storm and not after it.
        let lost: Vec<String> = match listed(&world, engine, merchant).await {
            Some(listed) => {
                findings.check(active == listed, || {
                    format!(
                        "{provider}: after the storm the cache holds exactly the active cards the \
                         provider lists: missing {:?}, extra {:?}",
                        listed.difference(&active).collect::<Vec<_>>(),
                        active.difference(&listed).collect::<Vec<_>>()
                    )
                });
                listed.difference(&active).cloned().collect()
            }
            None => before
                .iter()
                .filter(|(t, was_active)| *was_active && !active.contains(t))
                .map(|(t, _)| t.clone())
                .collect(),
        };
        findings.check(lost.is_empty() && !after.is_empty(), || {
            format!("{provider}: no card lost or made to look withdrawn by the storm: {lost:?}")
        });
        rows.push(Row {
            scenario: "sync storm".into(),
            provider: provider.into(),
            runs: rounds as u64,
            faults: served.iter().map(|(_, n)| n).sum(),
            fault_mix: report::mix(&served),
            lost_records: lost.len() as u64,
            seed: Some(seed),
            ..Row::default()
        });
    }
    report::record(&rows);
    findings.assert_none("syncs through a fault storm");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_run_through_a_fault_storm_charges_each_occurrence_once_on_every_provider_and_reconcile_settles_every_attempt(
) {
    let seed = seed("due-run storm");
    let mut rng = SmallRng::seed_from_u64(seed);
    let contracts = CONTRACTS * scale();
    // About two of three seeded cards can be charged.
    let world = World::new(contracts * 2).await;
    let mut scope = Vec::new();
    // The latest of the merchants' todays: the next day's run is after it everywhere.
    let mut latest_today = chrono::NaiveDate::MIN;
    for provider in PROVIDERS {
        let merchant = world.merchant(provider).await;
        let today = world.today(merchant).await;
        latest_today = latest_today.max(today);
        let end = today.checked_add_days(chrono::Days::new(365)).unwrap();
        world.no_notice_lead(merchant).await;
        for card in world.usable_cards(merchant, 0, contracts).await {
            // Every 31 days with an end date: Svea allows one recurring charge per card a
            // month, Assist needs RecurringPeriod >= 31 and RecurringMaxDate.
            world
                .engine
                .create_contract(ContractInput {
                    card: card.id,
                    amount: Some("4.17".into()),
                    frequency: Some(Frequency::EveryDays { days: 31 }),
                    start: Some(today),
                    end: Some(end),
                    ..ContractInput::default()
                })
                .await
                .unwrap();
        }
        scope.push((provider, merchant));
    }
    // Each merchant's due run of today, on the real clock, in the storm.
    let mut served = HashMap::new();
    for (provider, merchant) in &scope {
        let run = DueRun {
            merchants: vec![*merchant].into(),
            ..DueRun::default()
        };
        let (stormy, faults) = in_a_storm(
            &world,
            &mut rng,
            world.engine.run_due(run, Arc::new(NoProgress)),
        )
        .await;
        let stormy = stormy.unwrap();
        eprintln!(
            "faults: {provider} due run in the storm ({faults:?}): {} charged, {} failed or \
             unknown, {} skipped, {} refused",
            stormy.charged.len(),
            stormy.failed.len(),
            stormy.skipped.len(),
            stormy.refused.len()
        );
        for item in &stormy.failed {
            eprintln!(
                "faults: {provider} in the storm: occurrence of contract {} {}: {}",
                item.contract_id,
                item.status.as_str(),
                item.message.as_deref().unwrap_or("")
            );
        }
        served.insert(*provider, faults);
    }
    // Calm, but lookups still lag: reconcile resends only where the provider's guard allows.
    world.faults(json!({"lookup_lag_secs": 2})).await;
    let lagging = world
        .engine
        .reconcile(chrono::Duration::zero())
        .await
        .unwrap();
    eprintln!(
        "faults: reconcile under lagging lookups: {} settled, {} unresolved",
        lagging.settled.len(),
        lagging.unresolved.len()
    );
    world.faults(json!({"lookup_lag_secs": 0})).await;
    // cron: the day's later runs settle lost answers; a try that failed is retried the next
    // day (one try a day); the next day's run is at noon, on a fixed clock.
    for _ in 0..2 {
        world
            .engine
            .run_due(DueRun::default(), Arc::new(NoProgress))
            .await
            .unwrap();
    }
    world
        .engine
        .reconcile(chrono::Duration::zero())
        .await
        .unwrap();
    let tomorrow = latest_today
        .succ_opt()
        .unwrap()
        .and_hms_opt(12, 0, 0)
        .unwrap()
        .and_utc();
    let next_day = world.engine_at(tomorrow);
    for _ in 0..2 {
        next_day
            .run_due(DueRun::default(), Arc::new(NoProgress))
            .await
            .unwrap();
    }
    // The last reconcile on a clock past Assist's 15 minutes, after which an order orderresult
    // does not show was never created (assist.md §4.5).
    let last = world
        .engine_at(tomorrow + chrono::Duration::minutes(16))
        .reconcile(chrono::Duration::zero())
        .await
        .unwrap();

    let made: Vec<Made> = world
        .made("charge", AMOUNT_MINOR)
        .iter()
        .map(Made::from)
        .collect();
    let ledger: Vec<_> = world
        .engine
        .list_charges(ChargeQuery {
            limit: Some(10_000),
            ..ChargeQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.amount.minor == AMOUNT_MINOR)
        .collect();
    let kept: Vec<Kept> = ledger.iter().map(Kept::from).collect();
    let mut findings = Findings::default();
    let mut rows = Vec::new();
    for (provider, merchant) in &scope {
        let t = tally(provider, &made, &kept);
        let ours: Vec<_> = ledger
            .iter()
            .filter(|a| a.merchant_id == *merchant)
            .collect();
        let left = last
            .unresolved
            .iter()
            .filter(|u| ours.iter().any(|a| a.id.0 == u.attempt_id))
            .count() as u64;
        let succeeded = ours
            .iter()
            .filter(|a| a.state == ChargeState::Succeeded)
            .count();
        eprintln!("faults: {provider} after the storm: {t:?}, {succeeded} succeeded rows, {left} left for a person");
        findings.check(t.made == contracts as u64 && t.duplicates == 0, || {
            format!("{provider}: each of the {contracts} occurrences charged exactly once at the provider: {t:?}")
        });
        findings.check(t.lost == 0 && t.wrong == 0 && t.open == 0, || {
            format!(
                "{provider}: every charge the provider made has its succeeded ledger row: {t:?}"
            )
        });
        findings.check(succeeded == contracts, || {
            format!("{provider}: one succeeded row per occurrence, not {succeeded}")
        });
        findings.check(left == 0, || {
            format!(
                "{provider}: nothing is left for a person after cron's runs and reconcile: {:?}",
                last.unresolved
            )
        });
        let faults = &served[provider];
        rows.push(Row {
            scenario: "due-run storm".into(),
            provider: (*provider).into(),
            runs: 1,
            faults: faults.iter().map(|(_, n)| n).sum(),
            fault_mix: report::mix(faults),
            sandbox_charges: t.made,
            duplicates: t.duplicates,
            lost_records: t.lost,
            wrong_outcomes: t.wrong,
            left_for_a_person: left,
            seed: Some(seed),
            ..Row::default()
        });
    }
    report::record(&rows);
    findings.assert_none("due runs through a fault storm");
}
