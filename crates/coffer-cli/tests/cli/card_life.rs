//! `coffer card stop-using` and `coffer card delete --yes`: two acts, said plainly, shown by
//! `coffer cards`.

use serde_json::Value;

use crate::{coffer, stdout_json};

fn clover_downtown(d: &std::path::Path) -> (String, Vec<Value>) {
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
    (id.clone(), cards(d, &id))
}

fn cards(d: &std::path::Path, merchant: &str) -> Vec<Value> {
    stdout_json(&coffer(
        d,
        &["cards", "--merchant", merchant, "--limit", "1000", "--json"],
    ))
    .as_array()
    .unwrap()
    .clone()
}

#[test]
fn stop_using_and_delete_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = coffer(d, &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let (merchant, listed) = clover_downtown(d);
    let active: Vec<String> = listed
        .iter()
        .filter(|c| c["active"] == true && c["usage"] == "in_use")
        .take(2)
        .map(|c| c["id"].as_i64().unwrap().to_string())
        .collect();
    let (stop, delete) = (&active[0], &active[1]);

    let stopped = coffer(d, &["card", "stop-using", stop]);
    assert!(
        stopped.status.success(),
        "{}",
        String::from_utf8_lossy(&stopped.stderr)
    );
    let said = String::from_utf8_lossy(&stopped.stdout);
    assert!(
        said.contains("Coffer charges it no more") && said.contains("stays saved at Clover"),
        "says plainly what stopping does: {said}"
    );

    let unconfirmed = coffer(d, &["card", "delete", delete, "--json"]);
    assert_eq!(
        unconfirmed.status.code(),
        Some(2),
        "invalid_input without --yes"
    );
    assert!(
        String::from_utf8_lossy(&unconfirmed.stdout).contains("cannot be undone"),
        "{}",
        String::from_utf8_lossy(&unconfirmed.stdout)
    );
    let deleted = stdout_json(&coffer(d, &["card", "delete", delete, "--yes", "--json"]));
    assert_eq!(deleted["card"]["usage"], "removed", "{deleted}");

    let after = cards(d, &merchant);
    let usage = |id: &str| {
        after
            .iter()
            .find(|c| c["id"].as_i64().unwrap().to_string() == id)
            .unwrap()["usage"]
            .clone()
    };
    assert_eq!(usage(stop), "stopped");
    assert_eq!(usage(delete), "removed");
    let human =
        String::from_utf8_lossy(&coffer(d, &["cards", "--merchant", &merchant]).stdout).to_string();
    assert!(
        human
            .lines()
            .any(|l| l.trim_start().starts_with(stop.as_str()) && l.contains("stopped")),
        "`coffer cards` shows the stopped card as such: {human}"
    );
    assert!(
        human
            .lines()
            .any(|l| l.trim_start().starts_with(delete.as_str()) && l.contains("removed")),
        "`coffer cards` shows the deleted card as such: {human}"
    );
}
