//! Issue 21 from the command line: `coffer charge` above the merchant's "confirm charges
//! above" limit is refused, naming the limit, until `--confirm-large`; `coffer merchant edit
//! --confirm-above` changes the limit; `coffer run-due` on a scope with a live merchant prints
//! the rehearsal's charges and totals first, naming the live one, and (no terminal, as under
//! cron) goes on. Embedded sandboxes; the live merchant's secret needs the keyring.

use coffer_e2e::require_keyring;

use crate::{array, embedded_demo};

/// A ready card of the demo's ProcessOut merchant, and that merchant's id.
fn paris_card(profile: &coffer_e2e::Profile) -> (String, String) {
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let merchant = array(&merchants)
        .iter()
        .find(|m| m["name"] == "ProcessOut Paris")
        .expect("the demo has ProcessOut Paris")["id"]
        .as_i64()
        .unwrap()
        .to_string();
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
    (merchant, card)
}

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

#[test]
fn run_due_with_a_live_merchant_in_scope_prints_what_it_will_charge_first() {
    if !require_keyring() {
        return;
    }
    let profile = embedded_demo();
    let (paris, card) = paris_card(&profile);
    profile
        .coffer(&[
            "merchant",
            "edit",
            &paris,
            "--notice-lead-days",
            "0",
            "--no-check",
        ])
        .ok();
    profile
        .coffer(&[
            "contract",
            "create",
            "--card",
            &card,
            "--amount",
            "1234.50",
            "--every-days",
            "30",
        ])
        .ok();
    profile
        .coffer_with(
            &[
                "merchant",
                "add",
                "--provider",
                "clover",
                "--name",
                "Downtown (live)",
                "--environment",
                "live",
                "--account-id",
                "LIVECLI000001",
                "--time-zone",
                "Europe/Dublin",
                "--currency",
                "EUR",
                "--secret-env",
                "COFFER_TEST_LIVE_SECRET",
                "--no-check",
            ],
            None,
            &[("COFFER_TEST_LIVE_SECRET", "made-up-live-secret")],
        )
        .ok();
    let run = profile.coffer(&["run-due"]).ok();
    let said = run.stderr();
    assert!(
        said.contains("This run includes live merchants (real money): Downtown (live)."),
        "the live merchant is named before anything is charged: {said}"
    );
    assert!(
        said.contains("1 charge would be made: 1,234.50 EUR."),
        "the rehearsal's count and total per currency: {said}"
    );
    assert!(
        said.contains("ProcessOut Paris (sandbox): 1 charge, 1,234.50 EUR"),
        "per merchant, with its environment: {said}"
    );
    assert!(
        run.stdout().contains("1 charge made: 1,234.50 EUR."),
        "without a terminal the run goes on and makes what it said: {}",
        run.stdout()
    );
}
