//! Issue 21 from the command line: `coffer charge` above the merchant's "confirm charges
//! above" limit is refused, naming the limit, until `--confirm-large`; `coffer merchant edit
//! --confirm-above` changes the limit. Embedded sandboxes: no keyring needed.

use crate::{array, embedded_demo};

#[test]
fn a_large_charge_needs_confirm_large_and_the_limit_is_the_merchants() {
    let profile = embedded_demo();
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let paris = array(&merchants)
        .iter()
        .find(|m| m["provider"] == "processout")
        .expect("the demo has a ProcessOut merchant")
        .clone();
    assert_eq!(
        paris["confirm_above"]["minor"], 100_000,
        "a new merchant asks twice above 1,000.00: {paris}"
    );
    let merchant = paris["id"].as_i64().unwrap().to_string();
    let cards = profile
        .coffer(&[
            "--json",
            "cards",
            "--merchant",
            &merchant,
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
                && !["0341", "0002", "0069", "0077", "0019"].contains(&c["last4"].as_str().unwrap())
        })
        .expect("a ready card")["id"]
        .as_i64()
        .unwrap()
        .to_string();

    let refused = profile.coffer(&["charge", "--card", &card, "--amount", "99999999.00"]);
    assert_eq!(
        refused.output.status.code(),
        Some(2),
        "refused as invalid input\nstdout: {}\nstderr: {}",
        refused.stdout(),
        refused.stderr()
    );
    let words = format!("{}{}", refused.stdout(), refused.stderr());
    assert!(
        words.contains("--confirm-large") && words.contains("1,000.00"),
        "the error names the flag and the limit: {words}"
    );
    assert!(
        words.contains("99,999,999.00"),
        "and the amount, grouped: {words}"
    );
    let charges = profile
        .coffer(&["--json", "charges", "--card", &card])
        .ok()
        .json();
    assert!(
        array(&charges).is_empty(),
        "nothing was written or sent: {charges}"
    );

    // The owner lowers the limit; 6.00 is now above it and goes only when confirmed.
    let saved = profile
        .coffer(&[
            "--json",
            "merchant",
            "edit",
            &merchant,
            "--confirm-above",
            "5.00",
            "--no-check",
        ])
        .ok()
        .json();
    assert_eq!(saved["confirm_above"]["minor"], 500, "{saved}");
    let again = profile.coffer(&["charge", "--card", &card, "--amount", "6.00"]);
    assert_eq!(again.output.status.code(), Some(2), "{}", again.stderr());
    assert!(
        again.stderr().contains("5.00"),
        "names the new limit: {}",
        again.stderr()
    );
    let charged = profile
        .coffer(&[
            "--json",
            "charge",
            "--card",
            &card,
            "--amount",
            "6.00",
            "--confirm-large",
        ])
        .ok()
        .json();
    assert_eq!(charged["status"], "succeeded", "{charged}");

    // `none` removes the second confirmation.
    let cleared = profile
        .coffer(&[
            "--json",
            "merchant",
            "edit",
            &merchant,
            "--confirm-above",
            "none",
            "--no-check",
        ])
        .ok()
        .json();
    assert!(cleared["confirm_above"].is_null(), "{cleared}");
    let listed = profile.coffer(&["merchant", "list"]).ok().stdout();
    assert!(
        listed.contains("no second confirmation"),
        "the list says which merchant never asks twice: {listed}"
    );
}
