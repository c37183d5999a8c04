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
    let profile = Profile::new();
    profile.coffer(&["--json", "demo"]).ok();
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let assist = array(&merchants)
        .iter()
        .find(|m| m["provider"] == "assist")
        .expect("the embedded demo has an Assist merchant")["id"]
        .to_string();
    let csv = register_csv(profile.path());
    let csv = csv.to_str().unwrap();
    let mut completed = false;
    for kill in 0..4 {
        let mut child = spawn(
            &profile,
            &["customer", "import", csv, "--merchant", &assist],
        );
        let delay = rng.gen_range(50..2500u64);
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
        profile
            .coffer(&["--json", "customer", "import", csv, "--merchant", &assist])
            .ok();
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
    for _ in 0..3 {
        let mut child = spawn(&profile, &["--json", "demo"]);
        let delay = rng.gen_range(100..2000u64);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.kill().unwrap();
        child.wait().unwrap();
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
