//! `coffer export`, `coffer upcoming` and `coffer dashboard` as a script would use them.

use crate::{coffer, stdout_json};

#[test]
fn export_upcoming_and_dashboard_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let demo = coffer(dir.path(), &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let merchants = stdout_json(&coffer(dir.path(), &["merchant", "list", "--json"]));
    let svea = merchants
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "Svea Demo Helsinki")
        .unwrap()["id"]
        .to_string();

    let out = dir.path().join("mine.csv");
    let export = coffer(
        dir.path(),
        &[
            "--json",
            "export",
            "cards",
            "--merchant",
            &svea,
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let result = stdout_json(&export);
    let text = std::fs::read_to_string(&out).expect("the file named by --out");
    assert_eq!(
        text.lines().count() as u64 - 1,
        result["rows"].as_u64().unwrap(),
        "the row count matches the file (header aside)"
    );
    assert!(
        text.starts_with("id,merchant_id,customer_id,"),
        "a header row"
    );
    assert!(
        !dir.path().join("mine.csv.partial").exists(),
        "no partial file is left behind"
    );

    let bad = coffer(dir.path(), &["--json", "export", "invoices"]);
    assert_eq!(
        bad.status.code(),
        Some(2),
        "an unknown kind is a usage error"
    );
    let envelope: serde_json::Value = serde_json::from_slice(&bad.stdout)
        .or_else(|_| serde_json::from_slice(&bad.stderr))
        .unwrap();
    assert_eq!(envelope["kind"], "invalid_input");
    assert!(
        envelope["message"].as_str().unwrap().contains("kind"),
        "{envelope}"
    );

    let upcoming = stdout_json(&coffer(dir.path(), &["--json", "upcoming", "--days", "10"]));
    assert!(
        upcoming.is_array(),
        "a list, empty without contracts: {upcoming}"
    );
    let dashboard = stdout_json(&coffer(
        dir.path(),
        &["--json", "dashboard", "--merchant", &svea],
    ));
    assert_eq!(dashboard["months"].as_array().unwrap().len(), 12);
    assert_eq!(dashboard["expiring"].as_array().unwrap().len(), 12);
}
