//! `coffer charge`, `refund`, `charges` as a store owner runs them, on the embedded sandboxes:
//! the `--json` fields scripts read, the exit codes, refunds as new ledger rows, and the audit.

use serde_json::Value;

use crate::{coffer, stdout_json};

const SPECIAL: [&str; 5] = ["0341", "0002", "0069", "0077", "0019"];

fn clover_downtown_cards(d: &std::path::Path) -> (String, Vec<Value>) {
    let merchants = stdout_json(&coffer(d, &["merchant", "list", "--json"]));
    let id = merchants
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Clover Downtown")
        .unwrap()["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let cards = stdout_json(&coffer(
        d,
        &["cards", "--merchant", &id, "--limit", "1000", "--json"],
    ));
    (id, cards.as_array().unwrap().clone())
}

#[test]
fn charge_refund_and_the_ledger_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = coffer(d, &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let (merchant, cards) = clover_downtown_cards(d);
    let pick = |f: &dyn Fn(&Value) -> bool| -> String {
        cards
            .iter()
            .find(|c| f(c))
            .expect("the demo has such a card")["id"]
            .as_i64()
            .unwrap()
            .to_string()
    };
    let usable = |c: &Value| c["active"] == true && c["expired"] == false;
    let good = pick(&|c| {
        usable(c) && c["mit_ready"] == true && !SPECIAL.contains(&c["last4"].as_str().unwrap())
    });
    let soft = pick(&|c| usable(c) && c["mit_ready"] == true && c["last4"] == "0341");
    let no_consent = pick(&|c| usable(c) && c["consent_at"].is_null());

    // A dry run shows the flags and the verdict and writes nothing.
    let dry = coffer(
        d,
        &[
            "charge",
            "--card",
            &good,
            "--amount",
            "5.00",
            "--dry-run",
            "--json",
        ],
    );
    assert!(
        dry.status.success(),
        "{}",
        String::from_utf8_lossy(&dry.stdout)
    );
    let preview = stdout_json(&dry);
    assert_eq!(preview["flags"]["initiator"], "merchant", "{preview}");
    assert_eq!(preview["violations"], serde_json::json!([]), "{preview}");
    let ledger = stdout_json(&coffer(d, &["charges", "--json"]));
    assert!(
        ledger.as_array().unwrap().is_empty(),
        "a dry run makes no ledger row: {ledger}"
    );

    // A charge: exit 0 and the fields scripts read.
    let made = coffer(
        d,
        &["charge", "--card", &good, "--amount", "5.00", "--json"],
    );
    assert_eq!(
        made.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&made.stdout)
    );
    let made = stdout_json(&made);
    assert_eq!(made["status"], "succeeded", "{made}");
    assert!(made["attempt_id"].is_i64(), "{made}");
    assert!(made["provider_ref"].is_string(), "{made}");
    assert!(made["warnings"].is_array(), "{made}");
    assert_eq!(made["violations"], serde_json::json!([]), "{made}");
    let attempt = made["attempt_id"].as_i64().unwrap().to_string();

    // Declined by the provider: exit 4.
    let declined = coffer(
        d,
        &["charge", "--card", &soft, "--amount", "5.00", "--json"],
    );
    assert_eq!(
        declined.status.code(),
        Some(4),
        "declined by the provider exits 4"
    );
    assert_eq!(stdout_json(&declined)["status"], "declined");

    // Refused by a rule: exit 3, with each rule and its reason.
    let refused = coffer(
        d,
        &[
            "charge",
            "--card",
            &no_consent,
            "--amount",
            "5.00",
            "--json",
        ],
    );
    assert_eq!(refused.status.code(), Some(3), "refused by a rule exits 3");
    let refused = stdout_json(&refused);
    assert_eq!(refused["status"], "refused");
    assert!(
        refused["attempt_id"].is_null(),
        "nothing was written or sent: {refused}"
    );
    let violation = &refused["violations"][0];
    assert_eq!(violation["rule"], "consent_and_initial", "{refused}");
    assert!(
        violation["message"].as_str().unwrap().contains("consent"),
        "{refused}"
    );

    // Refunds: part, then the rest, each a new ledger row; then nothing is left.
    let part = stdout_json(&coffer(
        d,
        &["refund", &attempt, "--amount", "2.00", "--json"],
    ));
    assert_eq!(part["status"], "succeeded", "{part}");
    assert_eq!(part["amount"]["minor"], 200);
    let rest = stdout_json(&coffer(d, &["refund", &attempt, "--json"]));
    assert_eq!(rest["amount"]["minor"], 300, "the rest by default: {rest}");
    let none_left = coffer(d, &["refund", &attempt, "--json"]);
    assert_eq!(
        none_left.status.code(),
        Some(2),
        "nothing left to refund is invalid input"
    );

    let rows = stdout_json(&coffer(d, &["charges", "--card", &good, "--json"]));
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "the charge and two refunds: {rows:?}");
    let charge_row = rows.iter().find(|r| r["kind"] == "charge").unwrap();
    assert_eq!(
        charge_row["state"], "succeeded",
        "the charge row itself never changes"
    );
    assert!(
        rows.iter()
            .filter(|r| r["kind"] == "refund")
            .all(|r| r["refund_of"].as_i64().map(|v| v.to_string()) == Some(attempt.clone())),
        "the refunds point at the charge: {rows:?}"
    );
    let declined_rows = stdout_json(&coffer(
        d,
        &[
            "charges",
            "--merchant",
            &merchant,
            "--status",
            "declined",
            "--json",
        ],
    ));
    assert_eq!(
        declined_rows.as_array().unwrap().len(),
        1,
        "{declined_rows}"
    );

    // Every action is in the audit log, and the log verifies.
    let audit = stdout_json(&coffer(d, &["audit", "list", "--json"]));
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in [
        "charge_sending",
        "charge_succeeded",
        "charge_declined",
        "charge_refused",
        "refund_sending",
        "refund_succeeded",
    ] {
        assert!(
            actions.contains(&action),
            "{action} is audited: {actions:?}"
        );
    }
    assert!(coffer(d, &["audit", "verify"]).status.success());
}
