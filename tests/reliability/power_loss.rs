//! Power-loss style: the `coffer` process killed with SIGKILL in the middle of long writes (a
//! large register import, a first-start demo that syncs every merchant), then the profile opened
//! again as the next start would: SQLite's integrity check says ok, the audit chain verifies, and
//! the import is all or nothing. Those two need no keyring (the embedded sandboxes).
//!
//! SIGKILL leaves the OS page cache, and with it every write the process made, synced or not:
//! it cannot show what a power cut loses. The third test runs `coffer run-due` under the
//! power-cut shim (`powercut/`): at a chosen write everything not yet fsync'd to the profile's
//! files is undone, as the disk would have lost it, and the process dies at once. Then every
//! charge the provider made must still have its ledger row: the `sending` row and its audit
//! event are durable before the request leaves (`synchronous=FULL` in WAL mode). Linux only;
//! needs the keyring (a `coffer sandbox` child process) and a C compiler.

use std::collections::HashSet;
use std::time::Duration;

use coffer_e2e::{require_keyring, Profile, SandboxProcess};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::crash_loop::{put_faults, usable_cards};
use crate::powercut::{copy_of, Outcome, Shim};
use crate::{array, assert_database_intact, env_number, spawn};

/// Register customers of the import (one transaction: all of them or none).
const ROWS: usize = 30_000;

fn register_csv(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = String::from("customer_number,name,email,phone\n");
    for i in 0..ROWS {
        text.push_str(&format!(
            "PWR{i:07},Power Cut {i},power.cut.{i}@example.com,+358 40 {:03} {:04}\n",
            i % 1000,
            i % 10_000
        ));
    }
    let path = dir.join("register.csv");
    std::fs::write(&path, text).unwrap();
    path
}

fn imported(profile: &Profile) -> i64 {
    let db = rusqlite::Connection::open(profile.path().join("coffer.db")).unwrap();
    db.query_row(
        "SELECT COUNT(*) FROM customers WHERE reference LIKE 'PWR%'",
        [],
        |r| r.get(0),
    )
    .unwrap()
}

/// How long `args` takes to run to the end on a scratch profile prepared by `prepare`: the
/// window the kills are then drawn from, whatever the machine's speed.
fn duration_of(prepare: impl Fn(&Profile) -> Vec<String>) -> Duration {
    let scratch = Profile::new();
    let args = prepare(&scratch);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    scratch.coffer(&args).ok();
    started.elapsed()
}

/// A kill moment inside a run that takes `window`, skipping the first and last few percent.
fn kill_moment(rng: &mut rand::rngs::SmallRng, window: Duration) -> Duration {
    let ms = window.as_millis().max(20) as u64;
    Duration::from_millis(rng.gen_range(ms / 20..ms - ms / 20))
}

fn seed() -> u64 {
    let seed = env_number(
        "COFFER_RELIABILITY_SEED",
        chrono::Utc::now().timestamp_millis() as u64,
    );
    eprintln!("power loss: seed {seed} (COFFER_RELIABILITY_SEED={seed} replays it)");
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_killed_mid_write_leaves_an_intact_database_and_all_or_none_of_its_rows() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed());
    // Any Assist merchant takes a register import; an embedded one needs no keyring.
    let ready = |profile: &Profile| -> Vec<String> {
        let added = profile
            .coffer(&[
                "--json",
                "merchant",
                "add",
                "--provider",
                "assist",
                "--name",
                "Power Cut",
                "--environment",
                "sandbox",
                "--base-url",
                "embedded:assist",
                "--account-id",
                "777001",
                "--login",
                "powercut",
                "--time-zone",
                "Europe/Helsinki",
                "--currency",
                "EUR",
                // Not an account of the built-in sandbox: the test is not about the connection.
                "--no-check",
            ])
            .ok()
            .json();
        let csv = register_csv(profile.path());
        let id = added["id"].to_string();
        [
            "customer",
            "import",
            csv.to_str().unwrap(),
            "--merchant",
            &id,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect()
    };
    let window = duration_of(ready);
    eprintln!("power loss: the import takes {window:?} here; kills are drawn inside that");
    let profile = Profile::new();
    let args = ready(&profile);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut completed = false;
    for kill in 0..4 {
        let mut child = spawn(&profile, &args);
        let delay = kill_moment(&mut rng, window).as_millis() as u64;
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let exited = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        assert_database_intact(&profile, &format!("an import killed after {delay} ms"));
        let rows = imported(&profile);
        assert!(
            rows == 0 || rows == ROWS as i64,
            "kill {kill} after {delay} ms: the import is one transaction, so all {ROWS} rows or \
             none are there, not {rows}"
        );
        eprintln!(
            "power loss: import killed after {delay} ms (exited before: {exited}): {rows} rows"
        );
        if rows == ROWS as i64 {
            completed = true;
            break;
        }
    }
    if !completed {
        profile.coffer(&args).ok();
    }
    assert_eq!(
        imported(&profile),
        ROWS as i64,
        "after the kills, one more import brings every row in"
    );
    assert_database_intact(&profile, "the completed import");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_start_killed_mid_sync_reopens_intact_and_finishes_on_the_next_start() {
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed());
    let profile = Profile::new();
    // A first-start demo takes seconds (tens of seconds in a debug build on a busy machine): two
    // kills early in it, where it registers merchants and syncs the first of them.
    for _ in 0..2 {
        let mut child = spawn(&profile, &["--json", "demo"]);
        let delay = rng.gen_range(300..4000u64);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        let exited = child.try_wait().unwrap().is_some();
        child.kill().unwrap();
        child.wait().unwrap();
        eprintln!("power loss: demo killed after {delay} ms (exited before: {exited})");
        if profile.path().join("coffer.db").exists() {
            assert_database_intact(&profile, &format!("a demo killed after {delay} ms"));
        }
    }
    let summary = profile.coffer(&["--json", "demo"]).ok().json();
    for s in array(&summary["synced"]) {
        assert!(
            s["error"].is_null(),
            "the next start syncs every merchant despite the killed ones: {s}"
        );
    }
    assert_database_intact(&profile, "the demo that ran to the end");
}

/// Every contract of the power-cut test charges this much (minor units).
const CUT_AMOUNT_MINOR: i64 = 913;
/// How long the sandbox holds each answer after making the charge: the window between "the
/// provider charged" and "Coffer heard it", where a cut must not lose the `sending` row.
const HOLD_MS: u64 = 150;
/// Cuts aimed at an answer's commit after the planned ones, while none has landed there.
const EXTRA_AIMS: u64 = 6;

/// The sandbox's charges of the power-cut test (any status): each one was made at the provider.
async fn provider_charges(admin: &str) -> Vec<Value> {
    let all: Vec<Value> = reqwest::get(format!("{admin}/charges"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all.into_iter()
        .filter(|c| c["kind"] == "charge" && c["amount_minor"] == CUT_AMOUNT_MINOR)
        .collect()
}

/// Coffer's ledger rows of the power-cut test.
fn ledger_rows(profile: &Profile) -> Vec<Value> {
    let ledger = profile
        .coffer(&["--json", "charges", "--limit", "1000"])
        .ok()
        .json();
    array(&ledger)
        .iter()
        .filter(|a| a["amount"]["minor"] == CUT_AMOUNT_MINOR)
        .cloned()
        .collect()
}

/// The sandbox as it was before any run: no charges, no idempotency records, answers held.
async fn fresh_sandbox(admin: &str) {
    let status = reqwest::Client::new()
        .post(format!("{admin}/reset"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "the sandbox resets to its seed");
    put_faults(admin, json!({"response_delay_ms": HOLD_MS})).await;
}

/// A profile with the demo merchants of `admin`'s sandbox, no notice lead, and two contracts due
/// today on usable cards of each provider, closed cleanly (no WAL left) so it can be copied.
fn due_profile(admin: &str) -> (Profile, usize) {
    let (profile, merchants, end) = crate::demo_forty_days_back(admin);
    let mut contracts = 0;
    for provider in ["assist", "clover", "processout", "svea"] {
        let merchant = array(&merchants)
            .iter()
            .find(|m| m["provider"] == provider)
            .unwrap()["id"]
            .to_string();
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
        for (card, _) in usable_cards(&profile, provider, 2) {
            // Every 31 days: Svea allows one recurring charge per card per month, Assist needs
            // RecurringPeriod >= 31 and an end date (RecurringMaxDate).
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
                    "31",
                    "--end",
                    &end,
                ])
                .ok();
            contracts += 1;
        }
    }
    (profile, contracts)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(target_os = "linux"),
    ignore = "the power-cut shim is an LD_PRELOAD library that finds files through /proc/self/fd"
)]
async fn a_due_run_cut_by_power_loss_at_any_write_keeps_a_ledger_row_for_every_charge_the_provider_made(
) {
    if !require_keyring() {
        return;
    }
    let started = std::time::Instant::now();
    let cuts = env_number("COFFER_RELIABILITY_RUNS", 5).max(2);
    let mut rng = rand::rngs::SmallRng::seed_from_u64(seed());
    let shim = Shim::build();
    let sandbox = SandboxProcess::start(60);
    let admin = sandbox.urls.admin.clone();
    let (template, contracts) = due_profile(&admin);
    let args = ["--json", "run-due", "--concurrency", "1"];

    // A whole run, traced: how many tracked writes it makes (the cuts are drawn among them),
    // which of them are the closing checkpoint's writes to the database file, and which come
    // after each charge the provider made (by the wall clock: the sandbox stamps a charge when
    // it makes it, before it holds the answer), when the `sending` row must be on disk already.
    // Runs from the same copy make nearly the same writes in the same order (one charge at a
    // time per merchant), so a write's number finds about the same moment again in the runs
    // that are cut. Not exactly: the four merchants run side by side and the writer commits
    // together what arrives together, so a run can be a few commits ahead or behind the trace.
    fresh_sandbox(&admin).await;
    let whole = copy_of(&template);
    let Outcome::Completed { writes, events } = shim.run(&whole, &args, None, false).await else {
        panic!("a run with no cut asked for is not cut");
    };
    let made = provider_charges(&admin).await;
    let rows = ledger_rows(&whole);
    assert_eq!(
        (
            made.len(),
            rows.iter().filter(|r| r["state"] == "succeeded").count()
        ),
        (contracts, contracts),
        "the traced run charges each of the {contracts} contracts once and records it: the shim \
         itself changes nothing ({rows:?})"
    );
    let checkpoint: Vec<u64> = events
        .iter()
        .filter(|e| e.what == "write" && e.kind == "main")
        .map(|e| e.number)
        .collect();
    // For each charge, the writes of the commit that records its answer: from the first write
    // after the charge was made up to the next sync. A cut inside them, past their first,
    // lands between the `sending` commit and the answer's, in the middle of a transaction.
    let answers: Vec<(u64, u64)> = made
        .iter()
        .map(|c| {
            let at: chrono::DateTime<chrono::Utc> = c["at"].as_str().unwrap().parse().unwrap();
            let first = events
                .iter()
                .position(|e| e.what == "write" && e.wall_us > at.timestamp_micros())
                .unwrap_or_else(|| panic!("the run writes after the charge {c}"));
            let last = events[first..]
                .iter()
                .take_while(|e| e.what == "write")
                .last()
                .unwrap();
            (events[first].number, last.number)
        })
        .collect();
    eprintln!(
        "power cut: a whole run makes {writes} tracked writes ({} syncs), {} of them in the \
         closing checkpoint; the writes that record each answer: {answers:?}",
        events.iter().filter(|e| e.what == "sync").count(),
        checkpoint.len(),
    );
    assert!(
        !checkpoint.is_empty(),
        "the trace shows the closing checkpoint's writes to the database file: {events:?}"
    );

    let (mut cut, mut in_checkpoint, mut in_wal, mut in_flight, mut torn) = (0, 0, 0, 0, 0);
    let (mut restored, mut lost) = (0, 0);
    let (mut made_in_all, mut unrecorded) = (0u64, 0u64);
    for i in 0.. {
        // The first cut aims inside the commit of a charge's answer (the charge made, its
        // outcome half written), the second inside the closing checkpoint, the rest anywhere;
        // a quarter of those tear the write they land on. A run that drifted from the trace
        // can miss the answer's window (the cut comes before the charge or after its answer is
        // durable): then up to EXTRA_AIMS more cuts aim at another answer.
        let aim_at_answer = i == 0 || (i >= cuts && in_flight == 0);
        if i >= cuts && (!aim_at_answer || i >= cuts + EXTRA_AIMS) {
            break;
        }
        let at = if aim_at_answer {
            let (first, last) = answers[rng.gen_range(0..answers.len())];
            rng.gen_range((first + 1).min(last)..=last)
        } else if i == 1 {
            checkpoint[rng.gen_range(0..checkpoint.len())]
        } else {
            rng.gen_range(1..=writes)
        };
        let tear = !aim_at_answer && i >= 2 && rng.gen_bool(0.25);
        fresh_sandbox(&admin).await;
        let profile = copy_of(&template);
        let report = match shim.run(&profile, &args, Some(at), tear).await {
            Outcome::Cut(report) => report,
            Outcome::Completed { writes: w, .. } => {
                eprintln!("power cut: write {at} never came (this run made {w}); no cut");
                continue;
            }
        };
        assert_eq!(report.write, at, "the shim cut at the write asked for");
        let after = format!("a power cut at write {at} ({})", report.line.trim());
        cut += 1;
        restored += report.restored;
        lost += report.restored_wal + report.restored_main;
        in_checkpoint += usize::from(report.kind == "main");
        in_wal += usize::from(report.kind == "wal" && report.restored_wal > 0);
        torn += usize::from(report.torn);

        assert_database_intact(&profile, &after);
        let charges = provider_charges(&admin).await;
        let rows = ledger_rows(&profile);
        // Clover and ProcessOut record the Idempotency-Key; Assist and Svea take none, and
        // record Coffer's order id (Assist OrderNumber, Svea pmt_id) instead.
        let keys: HashSet<&str> = rows
            .iter()
            .filter_map(|r| r["idempotency_key"].as_str())
            .collect();
        let orders: HashSet<&str> = rows.iter().filter_map(|r| r["order_id"].as_str()).collect();
        made_in_all += charges.len() as u64;
        for c in &charges {
            let recorded = match (c["idempotency_key"].as_str(), c["order_id"].as_str()) {
                (Some(key), _) => keys.contains(key),
                (None, Some(order)) => orders.contains(order),
                (None, None) => false,
            };
            if !recorded {
                unrecorded += 1;
                record_power_cut(cut, in_flight, &[], made_in_all, unrecorded);
            }
            assert!(
                recorded,
                "after {after}, the provider's charge has its ledger row: the `sending` row was \
                 durable before the request left\nthe charge: {c}\nthe ledger: {rows:?}"
            );
        }
        let approved = charges.iter().filter(|c| c["status"] == "approved").count();
        let succeeded = rows.iter().filter(|r| r["state"] == "succeeded").count();
        let open = rows.iter().filter(|r| r["state"] == "sending").count();
        if approved > succeeded {
            in_flight += 1;
        }
        eprintln!(
            "power cut {i}: write {at} of {writes} in {} ({}{} unsynced writes undone, {} of \
             them to the WAL, {} to the database file): the provider made {} charges, the \
             ledger has {succeeded} succeeded and {open} sending rows",
            report.file,
            if report.torn { "torn, " } else { "" },
            report.restored,
            report.restored_wal,
            report.restored_main,
            charges.len()
        );
    }
    eprintln!(
        "power cut: {cut} cuts, {in_checkpoint} inside a checkpoint, {in_wal} inside a \
         transaction in the WAL, {in_flight} between a `sending` commit and its answer, {torn} \
         torn; {restored} unsynced writes undone in all, {lost} of them to the database and \
         its WAL; in {:?}",
        started.elapsed()
    );
    record_power_cut(
        cut,
        in_flight,
        &[
            ("in a checkpoint", in_checkpoint as u64),
            ("mid-transaction in the WAL", in_wal as u64),
            ("torn", torn as u64),
        ],
        made_in_all,
        unrecorded,
    );
    assert!(
        in_wal > 0 && lost > 0,
        "at least one cut landed mid-transaction and undid unsynced WAL writes: the simulation \
         really lost database writes"
    );
    assert!(
        in_flight > 0,
        "at least one cut landed after the provider charged and before Coffer recorded the \
         answer: the window the `sending` row exists for"
    );
}

/// The power-cut scenario's row of docs/reliability.md (recorded only under
/// `COFFER_RELIABILITY_REPORT`).
fn record_power_cut(cuts: u64, in_flight: u64, mix: &[(&str, u64)], made: u64, lost: u64) {
    crate::report::record(&[crate::report::Row {
        scenario: "power cut".into(),
        provider: "all four".into(),
        runs: cuts,
        kills: cuts,
        kills_in_window: in_flight,
        faults: cuts,
        fault_mix: crate::report::mix(mix),
        sandbox_charges: made,
        lost_records: lost,
        ..crate::report::Row::default()
    }]);
}
