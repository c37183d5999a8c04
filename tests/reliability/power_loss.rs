//! Power-loss style: the `coffer` process killed with SIGKILL in the middle of long writes (a
//! large register import, a first-start demo that syncs every merchant), then the profile opened
//! again as the next start would: SQLite's integrity check says ok, the audit chain verifies, and
//! the import is all or nothing. Needs no keyring (the embedded sandboxes).

use std::time::Duration;

use coffer_e2e::Profile;
use rand::{Rng, SeedableRng};

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
