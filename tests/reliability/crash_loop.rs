//! The crash loop: a `coffer run-due` process killed with SIGKILL at random moments, then run
//! again, `COFFER_RELIABILITY_RUNS` times (5 by default, 20 with `scripts/reliability.sh
//! --long`), against a `coffer sandbox` child process that holds every answer a little while, so
//! kills land before, during and after "the provider charged but nobody heard". Afterwards cron's
//! next runs finish the job, and the sandbox's own ledger must show exactly one charge per due
//! occurrence, each of them a settled row in Coffer's ledger.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use chrono::{Datelike, Days};

use coffer_e2e::{require_keyring, Profile, SandboxProcess};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::{array, assert_database_intact, env_number, spawn};

/// Every contract of this test charges this much (minor units), so its charges are easy to find.
const AMOUNT_MINOR: i64 = 913;
/// Cards (and contracts) per provider: two per run in all, so that later runs still find work
/// that the earlier ones left (at most 20 per provider, what the sandbox seed below offers).
fn per_provider(runs: u64) -> usize {
    (runs as usize).clamp(3, 20)
}

pub async fn put_faults(admin: &str, knobs: Value) {
    let status = reqwest::Client::new()
        .put(format!("{admin}/faults"))
        .json(&knobs)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "the sandbox takes the fault knobs");
}

pub async fn sandbox_charges(admin: &str, amount_minor: i64) -> Vec<Value> {
    let all: Vec<Value> = reqwest::get(format!("{admin}/charges"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all.into_iter()
        .filter(|c| {
            c["kind"] == "charge" && c["amount_minor"] == amount_minor && c["status"] == "approved"
        })
        .collect()
}

/// Usable cards (consent, initial, active, not expiring, no test behaviour) of one provider.
pub fn usable_cards(profile: &Profile, provider: &str, count: usize) -> Vec<(i64, String)> {
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let merchant = array(&merchants)
        .iter()
        .find(|m| m["provider"] == provider)
        .unwrap_or_else(|| panic!("demo registered a {provider} merchant"))["id"]
        .as_i64()
        .unwrap();
    let cards = profile
        .coffer(&[
            "--json",
            "cards",
            "--merchant",
            &merchant.to_string(),
            "--limit",
            "1000",
        ])
        .ok()
        .json();
    let chosen: Vec<(i64, String)> = array(&cards)
        .iter()
        .filter(|c| {
            c["mit_ready"] == true
                && c["active"] == true
                && c["expired"] == false
                && c["expiring_soon"] == false
                && !["0341", "0002", "0069", "0077", "0019"].contains(&c["last4"].as_str().unwrap())
        })
        .take(count)
        .map(|c| {
            (
                c["id"].as_i64().unwrap(),
                c["token"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        chosen.len(),
        count,
        "the {provider} sandbox merchant has {count} usable cards"
    );
    chosen
}

/// A due date five days ahead on a day every month has.
pub fn due_date() -> chrono::NaiveDate {
    let today = chrono::Utc::now().date_naive();
    let mut due = today.checked_add_days(Days::new(5)).unwrap();
    if due.day() > 28 {
        due = due.checked_add_days(Days::new(5)).unwrap();
    }
    due
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_run_killed_at_random_moments_and_rerun_charges_every_occurrence_exactly_once() {
    if !require_keyring() {
        return;
    }
    let runs = env_number("COFFER_RELIABILITY_RUNS", 5);
    let seed = env_number(
        "COFFER_RELIABILITY_SEED",
        chrono::Utc::now().timestamp_millis() as u64,
    );
    eprintln!("crash loop: {runs} runs, seed {seed} (COFFER_RELIABILITY_SEED={seed} replays it)");
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed);

    let sandbox = SandboxProcess::start(60);
    let admin = sandbox.urls.admin.clone();
    let profile = Profile::new();
    profile
        .coffer(&["--json", "demo", "--sandbox", &admin])
        .ok();
    // Contracts due today at merchants that give no notice days, so that the runs below go
    // on the real clock as cron's would: `run-due --date` runs on a fixed clock at noon of that
    // date, and a `sending` row it stamps in the future stays within reconcile's grace until
    // that noon has passed.
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let mut tokens = HashSet::new();
    let mut scope = Vec::new();
    for provider in ["clover", "processout"] {
        let merchant = array(&merchants)
            .iter()
            .find(|m| m["provider"] == provider)
            .unwrap()["id"]
            .to_string();
        scope.push(merchant.clone());
        profile
            .coffer(&[
                "--json",
                "merchant",
                "edit",
                &merchant,
                "--notice-lead-days",
                "0",
            ])
            .ok();
        for (card, token) in usable_cards(&profile, provider, per_provider(runs)) {
            profile
                .coffer(&[
                    "--json",
                    "contract",
                    "create",
                    "--card",
                    &card.to_string(),
                    "--amount",
                    "9.13",
                    "--every-days",
                    "30",
                ])
                .ok();
            tokens.insert(token);
        }
    }
    let expected = tokens.len();

    // Every answer is held 250 ms after the charge is made, and the run charges one at a time:
    // a kill lands before, inside or after that window, and each run leaves work for the next.
    put_faults(&admin, json!({"response_delay_ms": 250})).await;
    let mut finished_on_its_own = 0;
    for run in 0..runs {
        // Each run takes one of the two merchants, so that its kill lands among that
        // merchant's charges rather than while it walks the others.
        let merchant = &scope[run as usize % scope.len()];
        let mut child = spawn(
            &profile,
            &[
                "--json",
                "run-due",
                "--merchant",
                merchant,
                "--concurrency",
                "1",
            ],
        );
        let delay = rng.gen_range(100..1400u64);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if child.try_wait().unwrap().is_some() {
            finished_on_its_own += 1;
        }
        child.kill().unwrap(); // SIGKILL: no destructor, no cleanup, like a crash or power cut
        child.wait().unwrap();
        let charged = sandbox_charges(&admin, AMOUNT_MINOR).await.len();
        eprintln!(
            "crash loop: run {run} killed after {delay} ms; the sandbox holds {charged} charges"
        );
        assert!(
            charged <= expected,
            "run {run}: never more charges than occurrences ({charged} > {expected})"
        );
    }
    put_faults(&admin, json!({"response_delay_ms": 0})).await;

    // A killed run may leave `sending` rows whose request never reached the provider. Reconcile
    // settles such a row as not charged only once it is older than its grace (120 s by
    // default), so that a request still on its way is never taken for lost. Here every killed
    // process is gone and the sandbox holds answers for 250 ms: a grace of 2 s, after waiting
    // it out, is the same rule on a shorter clock.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let _ = profile.coffer(&["--json", "reconcile", "--older-than", "2"]);
    // cron's next runs: today's charges what is still due and untried; a try that a kill cut
    // off before it reached the provider is settled as failed, and the due run retries a failed
    // try on a later day only (one try a day), so tomorrow's run charges those.
    let _ = profile.coffer(&["--json", "run-due"]);
    let tomorrow = chrono::Utc::now()
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap()
        .to_string();
    // Tomorrow's cron run: the debug binary reads its clock from COFFER_TEST_NOW.
    let _ = profile.coffer_with(
        &["--json", "run-due"],
        None,
        &[("COFFER_TEST_NOW", &format!("{tomorrow}T12:00:00Z"))],
    );
    let settled = profile
        .coffer(&["--json", "reconcile", "--older-than", "2"])
        .json();
    if !array(&settled["unresolved"]).is_empty() {
        let open = profile
            .coffer(&["--json", "charges", "--status", "sending"])
            .json();
        let all: Vec<Value> = reqwest::get(format!("{admin}/charges"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        panic!(
            "nothing is left unresolved after the reruns (seed {seed}): {settled}\n\
             open rows: {open}\nthe sandbox's charges: {all:?}"
        );
    }

    let charges = sandbox_charges(&admin, AMOUNT_MINOR).await;
    let mut per_card: HashMap<String, usize> = HashMap::new();
    for c in &charges {
        *per_card
            .entry(c["card_token"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    for token in &tokens {
        assert_eq!(
            per_card.get(token).copied().unwrap_or(0),
            1,
            "card {token} is charged exactly once at the provider after {runs} killed runs \
             (seed {seed}); the sandbox holds {per_card:?}"
        );
    }
    assert_eq!(
        charges.len(),
        expected,
        "no charge at the provider beyond one per occurrence (seed {seed})"
    );

    let ledger = profile
        .coffer(&["--json", "charges", "--limit", "1000"])
        .ok()
        .json();
    let ours: Vec<&Value> = array(&ledger)
        .iter()
        .filter(|a| a["amount"]["minor"] == AMOUNT_MINOR)
        .collect();
    let keys: HashSet<&str> = ours
        .iter()
        .filter_map(|a| a["idempotency_key"].as_str())
        .collect();
    for c in &charges {
        let key = c["idempotency_key"].as_str().unwrap_or("");
        assert!(
            keys.contains(key),
            "the provider's charge with key {key:?} has its row in Coffer's ledger (no row lost, \
             seed {seed})"
        );
    }
    let succeeded = ours.iter().filter(|a| a["state"] == "succeeded").count();
    assert_eq!(
        succeeded, expected,
        "one succeeded ledger row per occurrence (seed {seed}): {ours:?}"
    );
    assert!(
        ours.iter()
            .all(|a| a["state"] != "sending" && a["state"] != "planned"),
        "every attempt is settled after the reruns and reconcile (seed {seed}): {ours:?}"
    );
    assert_database_intact(&profile, &format!("{runs} killed due runs"));
    eprintln!("crash loop: {finished_on_its_own} of {runs} runs had finished before their kill");
}
