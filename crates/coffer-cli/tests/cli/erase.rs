//! `coffer customer erase ID --yes` on the embedded sandboxes: refused without `--yes`, then the
//! customer's name is gone, its card deleted at Clover and the audit chain still verifies.

use crate::{coffer, stdout_json};

#[test]
fn a_customer_is_erased_only_with_yes_and_the_audit_chain_still_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let demo = coffer(d, &["demo"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let merchants = stdout_json(&coffer(d, &["merchant", "list", "--json"]));
    let merchant = merchants
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
        &[
            "cards",
            "--merchant",
            &merchant,
            "--limit",
            "1000",
            "--json",
        ],
    ));
    let card = cards
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["active"] == true)
        .unwrap()
        .clone();
    let customer = card["customer_id"].as_i64().unwrap().to_string();

    let asked = coffer(d, &["customer", "erase", &customer]);
    assert_eq!(
        asked.status.code(),
        Some(2),
        "no --yes: refused as bad input"
    );
    let said = String::from_utf8_lossy(&asked.stderr);
    assert!(
        said.contains("--yes") && said.contains("cannot be undone"),
        "{said}"
    );

    let erased = coffer(d, &["customer", "erase", &customer, "--yes", "--json"]);
    assert!(
        erased.status.success(),
        "{}",
        String::from_utf8_lossy(&erased.stderr)
    );
    let report = stdout_json(&erased);
    assert_eq!(
        report["customer_id"].as_i64().unwrap().to_string(),
        customer
    );
    assert!(report["cards"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["card_id"] == card["id"] && c["at_provider"] == "deleted"));

    let again = coffer(d, &["customer", "erase", &customer, "--yes"]);
    assert!(!again.status.success(), "a second erasure is refused");

    let verify = coffer(d, &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "the chain verifies after erasure: {}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );
}
