//! `coffer customer erase ID --yes` on the embedded sandboxes: refused without `--yes`, then the
//! customer's name is gone, its card deleted at Clover, `customer show` and `customers` say it
//! was erased, and the audit chain still verifies.

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

    let shown = coffer(d, &["customer", "show", &customer]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.status.success() && text.contains("name:"), "{text}");
    assert!(!text.contains("erased"), "{text}");

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

    // The customer page and the list say the customer was erased, not just a blank name.
    let shown = coffer(d, &["customer", "show", &customer]);
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.status.success() && text.contains("erased on") && !text.contains("name:"),
        "{text}"
    );
    let record = stdout_json(&coffer(d, &["customer", "show", &customer, "--json"]));
    assert!(record["erased_at"].is_string(), "{record}");
    assert_eq!(record["customer"]["name"], "");
    let listed = coffer(
        d,
        &["customers", "--merchant", &merchant, "--limit", "1000"],
    );
    let line = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .find(|l| l.split_whitespace().next() == Some(customer.as_str()))
        .map(str::to_string)
        .unwrap();
    assert!(line.contains("(erased 20"), "{line}");
    let rows = stdout_json(&coffer(
        d,
        &[
            "customers",
            "--merchant",
            &merchant,
            "--limit",
            "1000",
            "--json",
        ],
    ));
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_i64().unwrap().to_string() == customer)
        .unwrap();
    assert_eq!(row["erased_at"], record["erased_at"]);

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
