//! Exactly one charge (issues #6 and #7) across real processes: two `coffer` processes with one
//! idempotency key, and a `coffer` process killed with SIGKILL after the provider charged but
//! before the answer arrived. All against a `coffer sandbox` child process, whose admin ledger
//! counts what the provider really did.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use chrono::{Datelike, Days};
use coffer_e2e::{coffer_binary, require_keyring, Profile, SandboxProcess};
use serde_json::Value;

use crate::array;

/// `coffer …` of this profile as a child that runs on while the test watches it.
fn spawn(profile: &Profile, args: &[&str], env: &[(&str, &str)]) -> Child {
    Command::new(coffer_binary())
        .arg("--data-dir")
        .arg(profile.path())
        .args(args)
        .envs(env.iter().copied())
        .env_remove("COFFER_DATA_DIR")
        .env("COFFER_KEYRING_SERVICE", &profile.service)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("coffer starts")
}

async fn sandbox_charges(admin: &str, amount_minor: i64) -> Vec<Value> {
    let all: Vec<Value> = reqwest::get(format!("{admin}/charges"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    all.into_iter()
        .filter(|c| c["kind"] == "charge" && c["amount_minor"] == amount_minor)
        .collect()
}

async fn set_faults(admin: &str, knobs: Value) {
    let status = reqwest::Client::new()
        .put(format!("{admin}/faults"))
        .json(&knobs)
        .send()
        .await
        .unwrap()
        .status();
    assert!(status.is_success(), "the sandbox takes the fault knobs");
}

/// Waits until the sandbox has processed a charge of `amount_minor`.
async fn until_charged(admin: &str, amount_minor: i64) {
    let started = Instant::now();
    while sandbox_charges(admin, amount_minor).await.is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the sandbox never received the charge"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A demo profile against the sandbox process, and a ready ProcessOut card of it.
fn demo_with_card(sandbox: &SandboxProcess) -> (Profile, i64, i64) {
    let profile = Profile::new();
    profile
        .coffer(&["--json", "demo", "--sandbox", &sandbox.urls.admin])
        .ok();
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let merchant = array(&merchants)
        .iter()
        .find(|m| m["provider"] == "processout")
        .unwrap()["id"]
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
    let card = array(&cards)
        .iter()
        .find(|c| {
            c["mit_ready"] == true
                && c["active"] == true
                && c["expired"] == false
                && c["expiring_soon"] == false
                && !["0341", "0002", "0069", "0077", "0019"].contains(&c["last4"].as_str().unwrap())
        })
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    (profile, merchant, card)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_with_one_idempotency_key_make_one_charge() {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let (profile, _, card) = demo_with_card(&sandbox);
    let card = card.to_string();
    let args = [
        "--json",
        "charge",
        "--card",
        &card,
        "--amount",
        "4.20",
        "--idempotency-key",
        "order-4711",
    ];
    let (a, b) = (spawn(&profile, &args, &[]), spawn(&profile, &args, &[]));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let parse = |o: &std::process::Output| -> Value {
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)))
    };
    let (a, b) = (parse(&a), parse(&b));
    assert_eq!(
        a["attempt_id"], b["attempt_id"],
        "both processes answer with the one attempt: {a} {b}"
    );
    assert_eq!(
        sandbox_charges(&sandbox.urls.admin, 420).await.len(),
        1,
        "the provider charged once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_killed_after_the_provider_charged_is_reconciled_to_exactly_one_charge() {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let admin = sandbox.urls.admin.clone();
    let (profile, _, card) = demo_with_card(&sandbox);
    // The sandbox charges at once but holds its answer: the window in which Coffer has
    // committed `sending` and the provider has the money, but nobody has heard back.
    set_faults(&admin, serde_json::json!({"response_delay_ms": 10_000})).await;
    let mut child = spawn(
        &profile,
        &[
            "--json",
            "charge",
            "--card",
            &card.to_string(),
            "--amount",
            "6.60",
        ],
        &[],
    );
    until_charged(&admin, 660).await;
    child.kill().unwrap(); // SIGKILL: no destructor, no cleanup, like a crash
    child.wait().unwrap();
    set_faults(&admin, serde_json::json!({"response_delay_ms": 0})).await;

    let open = profile
        .coffer(&["--json", "charges", "--status", "sending"])
        .ok()
        .json();
    assert_eq!(
        array(&open).len(),
        1,
        "the killed charge was left in sending: {open}"
    );
    let summary = profile.coffer(&["--json", "reconcile"]).ok().json();
    assert_eq!(summary["settled"][0]["status"], "succeeded", "{summary}");
    let ledger = profile.coffer(&["--json", "charges"]).ok().json();
    let row = array(&ledger)
        .iter()
        .find(|a| a["amount"]["minor"] == 660)
        .unwrap()
        .clone();
    assert_eq!(row["state"], "succeeded");
    assert_eq!(
        sandbox_charges(&admin, 660).await.len(),
        1,
        "exactly one charge at the provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_run_killed_mid_charge_and_run_again_charges_the_occurrence_once() {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let admin = sandbox.urls.admin.clone();
    let (profile, merchant, card) = demo_with_card(&sandbox);
    let today = chrono::Utc::now().date_naive();
    let mut due = today.checked_add_days(Days::new(5)).unwrap();
    if due.day() > 28 {
        due = due.checked_add_days(Days::new(5)).unwrap();
    }
    profile
        .coffer(&[
            "--json",
            "contract",
            "create",
            "--card",
            &card.to_string(),
            "--amount",
            "7.70",
            "--monthly",
            &due.day().to_string(),
        ])
        .ok();
    let merchant = merchant.to_string();
    // Today's run sends the pre-charge notice, in time for the due date.
    profile
        .coffer(&["--json", "run-due", "--merchant", &merchant])
        .ok();
    set_faults(&admin, serde_json::json!({"response_delay_ms": 10_000})).await;
    // The due date, as cron sees it (the debug binary's test clock; `--date` never runs ahead).
    let on_due = format!("{due}T12:00:00Z");
    let due_day = [("COFFER_TEST_NOW", on_due.as_str())];
    let mut child = spawn(
        &profile,
        &["--json", "run-due", "--merchant", &merchant],
        &due_day,
    );
    until_charged(&admin, 770).await;
    child.kill().unwrap();
    child.wait().unwrap();
    set_faults(&admin, serde_json::json!({"response_delay_ms": 0})).await;

    // cron's next run: it settles what the killed run left and charges nothing twice.
    for _ in 0..2 {
        profile
            .coffer_with(
                &["--json", "run-due", "--merchant", &merchant],
                None,
                &due_day,
            )
            .ok();
    }
    let ledger = profile.coffer(&["--json", "charges"]).ok().json();
    let rows: Vec<&Value> = array(&ledger)
        .iter()
        .filter(|a| a["amount"]["minor"] == 770)
        .collect();
    assert_eq!(rows.len(), 1, "one ledger row for the occurrence: {ledger}");
    assert_eq!(rows[0]["state"], "succeeded", "{ledger}");
    assert_eq!(
        sandbox_charges(&admin, 770).await.len(),
        1,
        "exactly one charge at the provider"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refunding_with_one_key_make_one_refund() {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let (profile, _, card) = demo_with_card(&sandbox);
    let made = profile
        .coffer(&[
            "--json",
            "charge",
            "--card",
            &card.to_string(),
            "--amount",
            "7.70",
        ])
        .ok()
        .json();
    let charge = made["attempt_id"].to_string();
    let args = [
        "--json",
        "refund",
        &charge,
        "--amount",
        "2.00",
        "--idempotency-key",
        "refund-dialog-1",
    ];
    let (a, b) = (spawn(&profile, &args, &[]), spawn(&profile, &args, &[]));
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    let parse = |o: &std::process::Output| -> Value {
        serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("JSON ({e}): {}", String::from_utf8_lossy(&o.stderr)))
    };
    let (a, b) = (parse(&a), parse(&b));
    assert_eq!(
        a["attempt_id"], b["attempt_id"],
        "both processes answer with the one refund: {a} {b}"
    );
    let all: Vec<Value> = reqwest::get(format!("{}/charges", sandbox.urls.admin))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        all.iter()
            .filter(|c| c["kind"] == "refund" && c["amount_minor"] == 200)
            .count(),
        1,
        "the provider refunded once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_charge_resolved_by_hand_against_the_providers_record_raises_an_alert() {
    if !require_keyring() {
        return;
    }
    let sandbox = SandboxProcess::start(10);
    let (profile, merchant, _) = demo_with_card(&sandbox);
    // The sandbox's "0019" card: the provider captures the charge and the answer is lost.
    let cards = profile
        .coffer(&[
            "--json",
            "cards",
            "--merchant",
            &merchant.to_string(),
            "--last4",
            "0019",
        ])
        .ok()
        .json();
    let card = array(&cards)
        .iter()
        .find(|c| c["mit_ready"] == true)
        .expect("the demo has a ready 0019 card")["id"]
        .to_string();
    let sent = profile
        .coffer(&["--json", "charge", "--card", &card, "--amount", "8.80"])
        .json();
    assert_eq!(sent["status"], "sending", "{sent}");
    let id = sent["attempt_id"].to_string();
    let today = chrono::Utc::now().date_naive().to_string();
    let resolved = profile
        .coffer(&[
            "--json",
            "resolve",
            &id,
            "--not-made",
            "--checked-on",
            &today,
        ])
        .ok()
        .json();
    assert_eq!(resolved["status"], "failed", "{resolved}");
    let reconciled = profile.coffer(&["--json", "reconcile"]);
    assert_eq!(
        reconciled.output.status.code(),
        Some(1),
        "an alert is something to act on: {}",
        reconciled.stdout()
    );
    let summary = reconciled.json();
    assert_eq!(
        array(&summary["alerts"]).len(),
        1,
        "the provider shows it charged: a possible duplicate: {summary}"
    );
    let alerts = profile.coffer(&["--json", "alerts"]).json();
    let alert = array(&alerts)[0]["id"].to_string();
    assert_eq!(alerts[0]["kind"], "possible_duplicate", "{alerts}");
    let after = profile
        .coffer(&["--json", "alerts", "--acknowledge", &alert])
        .ok()
        .json();
    assert!(array(&after).is_empty(), "acknowledged: {after}");
}
