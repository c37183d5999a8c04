//! `coffer contract …`, `coffer notices`, `coffer run-due` on the embedded sandboxes.

use std::collections::HashSet;

use chrono::{Datelike, Days, NaiveDate, Utc};
use serde_json::Value;

use crate::{coffer, coffer_on, on, stdout_json};

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Helsinki)
        .date_naive()
}

/// Usable Svea Helsinki cards whose customer has an e-mail, without test behaviours.
pub(crate) fn svea_cards(dir: &std::path::Path, count: usize) -> (i64, Vec<i64>) {
    let merchants = stdout_json(&coffer(dir, &["merchant", "list", "--json"]));
    let merchant = merchants
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Svea Demo Helsinki")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let m = merchant.to_string();
    let customers = stdout_json(&coffer(
        dir,
        &["customers", "--merchant", &m, "--limit", "500", "--json"],
    ));
    let with_email: HashSet<i64> = customers
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["email"].is_string())
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    let cards = stdout_json(&coffer(
        dir,
        &[
            "cards",
            "--merchant",
            &m,
            "--active",
            "--limit",
            "1000",
            "--json",
        ],
    ));
    let mut seen = HashSet::new();
    let ids: Vec<i64> = cards
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["mit_ready"] == true && c["expired"] == false && c["expiring_soon"] == false)
        .filter(|c| {
            !["0341", "0002", "0069", "0077", "0019"].contains(&c["last4"].as_str().unwrap())
        })
        .filter(|c| with_email.contains(&c["customer_id"].as_i64().unwrap()))
        .filter(|c| seen.insert(c["customer_id"].as_i64().unwrap()))
        .map(|c| c["id"].as_i64().unwrap())
        .take(count)
        .collect();
    assert_eq!(ids.len(), count, "the demo has enough usable Svea cards");
    (merchant, ids)
}

#[test]
fn contracts_notices_and_the_due_run_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = coffer(d, &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let (merchant, cards) = svea_cards(d, 3);
    let mut due = today().checked_add_days(Days::new(5)).unwrap();
    if due.day() == 1 {
        due = due.checked_add_days(Days::new(1)).unwrap();
    }
    let day = due.day().to_string();

    // Above the original amount: refused at once, with the reason, exit 2.
    let refused = coffer(
        d,
        &[
            "contract",
            "create",
            "--card",
            &cards[0].to_string(),
            "--amount",
            "99999",
            "--monthly",
            &day,
            "--json",
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "invalid input exits 2");
    let envelope = stdout_json(&refused);
    assert_eq!(envelope["kind"], "invalid_input");
    assert!(
        envelope["message"]
            .as_str()
            .unwrap()
            .contains("above the original payment amount"),
        "{envelope}"
    );

    let mut contracts = Vec::new();
    for card in &cards {
        let created = coffer(
            d,
            &[
                "contract",
                "create",
                "--card",
                &card.to_string(),
                "--amount",
                "1.50",
                "--monthly",
                &day,
                "--json",
            ],
        );
        assert!(
            created.status.success(),
            "{}",
            String::from_utf8_lossy(&created.stderr)
        );
        let view = stdout_json(&created);
        assert_eq!(view["status"], "active");
        assert_eq!(view["notices_sent"][0]["kind"], "confirmation", "{view}");
        contracts.push(view["id"].as_i64().unwrap());
    }

    let dry = stdout_json(&coffer(d, &["run-due", "--dry-run", "--json"]));
    assert_eq!(dry["dry_run"], true);
    assert_eq!(
        dry["notices"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["status"] == "would_send")
            .count(),
        cards.len(),
        "{dry}"
    );
    let owed = stdout_json(&coffer(d, &["notices", "--pending", "--json"]));
    assert_eq!(owed.as_array().unwrap().len(), cards.len(), "{owed}");
    assert_eq!(owed[0]["late"], false, "{owed}");
    let notices_run = coffer(d, &["run-due", "--json"]);
    assert!(notices_run.status.success());
    let pending = stdout_json(&coffer(d, &["notices", "--json"]));
    assert_eq!(
        pending
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "pre_charge")
            .count(),
        cards.len(),
        "{pending}"
    );

    // Two cron runs at once on the due date: every occurrence is charged once in the ledger.
    let spawn = || {
        on(
            d,
            due,
            &["run-due", "--merchant", &merchant.to_string(), "--json"],
        )
        .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    let (a, b) = (stdout_json(&a), stdout_json(&b));
    let charged = |v: &Value| v["charged"].as_array().unwrap().len();
    assert_eq!(charged(&a) + charged(&b), cards.len(), "{a}\n{b}");
    let ledger = stdout_json(&coffer(
        d,
        &["charges", "--merchant", &merchant.to_string(), "--json"],
    ));
    for contract in &contracts {
        let rows: Vec<&Value> = ledger
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["contract_id"] == *contract && r["kind"] == "charge")
            .collect();
        assert_eq!(
            rows.len(),
            1,
            "contract {contract}: one ledger row: {ledger}"
        );
        assert_eq!(rows[0]["state"], "succeeded");
    }

    let show = stdout_json(&coffer(
        d,
        &["contract", "show", &contracts[0].to_string(), "--json"],
    ));
    assert_eq!(show["occurrences"][0]["state"], "charged", "{show}");
    assert!(
        show["occurrences"][0]["notice_sent_at"].is_string(),
        "{show}"
    );

    let cancel = stdout_json(&coffer(
        d,
        &["contract", "cancel", &contracts[1].to_string(), "--json"],
    ));
    assert_eq!(cancel["status"], "cancelled");
    let list = stdout_json(&coffer(
        d,
        &["contract", "list", "--status", "active", "--json"],
    ));
    assert_eq!(list.as_array().unwrap().len(), cards.len() - 1);
    let human = coffer(d, &["contract", "list"]);
    assert!(String::from_utf8_lossy(&human.stdout).contains("every month on day"));
}

#[test]
fn a_run_that_lost_its_answer_is_settled_by_the_next_run_without_charging_twice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(coffer(d, &["demo"]).status.success());
    let merchants = stdout_json(&coffer(d, &["merchant", "list", "--json"]));
    let merchant = merchants
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Svea Demo Helsinki")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // 0019: the sandbox takes the money and drops the answer, as if the run was killed then.
    let cards = stdout_json(&coffer(
        d,
        &[
            "cards",
            "--merchant",
            &merchant,
            "--last4",
            "0019",
            "--json",
        ],
    ));
    let card = cards
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["mit_ready"] == true && c["expired"] == false)
        .expect("a usable 0019 card in the demo")["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let mut due = today().checked_add_days(Days::new(5)).unwrap();
    if due.day() == 1 {
        due = due.checked_add_days(Days::new(1)).unwrap();
    }
    let created = coffer(
        d,
        &[
            "contract",
            "create",
            "--card",
            &card,
            "--amount",
            "1.00",
            "--monthly",
            &due.day().to_string(),
            "--json",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let contract = stdout_json(&created)["id"].as_i64().unwrap();
    assert!(coffer(d, &["run-due", "--merchant", &merchant])
        .status
        .success());
    let first = coffer_on(d, due, &["run-due", "--merchant", &merchant, "--json"]);
    assert_eq!(
        first.status.code(),
        Some(1),
        "an unknown outcome is an error for cron"
    );
    assert_eq!(stdout_json(&first)["failed"][0]["status"], "unknown");
    let second = coffer_on(d, due, &["run-due", "--merchant", &merchant, "--json"]);
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&second.stdout)
    );
    let ledger = stdout_json(&coffer(d, &["charges", "--card", &card, "--json"]));
    let rows: Vec<&Value> = ledger
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["contract_id"] == contract)
        .collect();
    assert_eq!(rows.len(), 1, "one attempt, never resent: {ledger}");
    assert_eq!(
        rows[0]["state"], "succeeded",
        "settled by the provider's record"
    );
    let show = stdout_json(&coffer(
        d,
        &["contract", "show", &contract.to_string(), "--json"],
    ));
    assert_eq!(show["occurrences"][0]["state"], "charged");
}

#[test]
fn run_due_never_charges_ahead_of_today_and_a_past_date_never_back_dates_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The contract was made five days ago, a week before its first charge, and no due run has
    // sent its notice since: due in two days, the notice lead time (3 days) is now past, so this
    // charge must not happen whatever the due run is told.
    let made = today().checked_sub_days(Days::new(5)).unwrap();
    assert!(coffer_on(d, made, &["demo"]).status.success());
    let (merchant, cards) = svea_cards(d, 1);
    let m = merchant.to_string();
    let due = today().checked_add_days(Days::new(2)).unwrap();
    let created = coffer_on(
        d,
        made,
        &[
            "contract",
            "create",
            "--card",
            &cards[0].to_string(),
            "--amount",
            "1.25",
            "--monthly",
            &due.day().to_string(),
            "--json",
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stdout)
    );
    let contract = stdout_json(&created)["id"].as_i64().unwrap();
    let occurrence = |view: &Value| view["occurrences"][0].clone();
    let show = stdout_json(&coffer(
        d,
        &["contract", "show", &contract.to_string(), "--json"],
    ));
    assert_eq!(occurrence(&show)["due"], due.to_string(), "{show}");

    // A later day: refused before anything is judged or sent; a dry run may preview it.
    let ahead = coffer(
        d,
        &[
            "run-due",
            "--date",
            &due.to_string(),
            "--merchant",
            &m,
            "--json",
        ],
    );
    assert_eq!(
        ahead.status.code(),
        Some(2),
        "a run ahead of today is a usage error"
    );
    let envelope = stdout_json(&ahead);
    assert_eq!(envelope["field"], "date", "{envelope}");
    assert!(
        envelope["message"].as_str().unwrap().contains("--dry-run"),
        "the message says how to preview that day instead: {envelope}"
    );
    let preview = stdout_json(&coffer(
        d,
        &[
            "run-due",
            "--date",
            &due.to_string(),
            "--dry-run",
            "--merchant",
            &m,
            "--json",
        ],
    ));
    assert!(
        preview["refused"][0]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["rule"] == "notice_sent"),
        "the preview of the due date shows the charge refused for its missing notice: {preview}"
    );

    // An earlier day: a cut-off, judged and stamped today, so no notice is written as if it had
    // gone out five days ago in time.
    let earlier = today().checked_sub_days(Days::new(5)).unwrap();
    let past = coffer(
        d,
        &[
            "run-due",
            "--date",
            &earlier.to_string(),
            "--merchant",
            &m,
            "--json",
        ],
    );
    assert!(
        past.status.success(),
        "{}",
        String::from_utf8_lossy(&past.stdout)
    );
    let notices = stdout_json(&coffer(d, &["notices", "--json"]));
    let pre_charge: Vec<&Value> = notices
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["contract_id"] == contract && n["kind"] == "pre_charge")
        .collect();
    assert!(
        pre_charge.is_empty(),
        "a notice that can no longer be in time is not sent, let alone back-dated: {notices}"
    );
    let audit = stdout_json(&coffer(d, &["audit", "list", "--json"]));
    let times: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "the audit log's times only move forward: {times:?}"
    );

    // On the due date itself the charge is refused for the late notice; nothing is charged.
    let on_due = coffer_on(d, due, &["run-due", "--merchant", &m, "--json"]);
    assert_eq!(on_due.status.code(), Some(3), "refused by a rule");
    let summary = stdout_json(&on_due);
    assert!(
        summary["refused"][0]["violations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v["rule"] == "notice_sent"),
        "{summary}"
    );
    let ledger = stdout_json(&coffer(d, &["charges", "--merchant", &m, "--json"]));
    assert!(
        !ledger
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["contract_id"] == contract),
        "no ledger row, so nothing reached Svea: {ledger}"
    );
}
