//! `coffer contract edit|consent|skip|unskip` say what a change of terms, a skip and its undo
//! do: the notice, the wait for new consent, and how to undo.

use chrono::{Datelike, Days};

use crate::{array, embedded_demo};

#[test]
fn a_raise_is_previewed_waits_for_consent_and_a_skip_is_undone() {
    let profile = embedded_demo();
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let clover: Vec<i64> = array(&merchants)
        .iter()
        .filter(|m| m["provider"] == "clover")
        .map(|m| m["id"].as_i64().unwrap())
        .collect();
    let cards = profile
        .coffer(&["--json", "cards", "--limit", "10000"])
        .ok()
        .json();
    let card = array(&cards)
        .iter()
        .find(|c| {
            clover.contains(&c["merchant_id"].as_i64().unwrap())
                && c["mit_ready"] == true
                && c["active"] == true
                && c["expired"] == false
                && c["expiring_soon"] == false
                && !["0341", "0002", "0069", "0077", "0019"].contains(&c["last4"].as_str().unwrap())
        })
        .expect("a chargeable Clover demo card")["id"]
        .to_string();
    let today = chrono::Utc::now().date_naive();
    let mut due = today.checked_add_days(Days::new(6)).unwrap();
    if due.day() > 28 {
        due = due.checked_add_days(Days::new(5)).unwrap();
    }
    let created = profile
        .coffer(&[
            "--json",
            "contract",
            "create",
            "--card",
            &card,
            "--amount",
            "9.90",
            "--monthly",
            &due.day().to_string(),
        ])
        .ok()
        .json();
    let id = created["id"].to_string();

    let preview = profile
        .coffer(&[
            "--json",
            "contract",
            "edit",
            &id,
            "--amount",
            "12.90",
            "--dry-run",
        ])
        .ok()
        .json();
    assert!(
        preview["consent_needed"]
            .as_str()
            .is_some_and(|s| s.starts_with("new consent needed: consented up to 9.90")),
        "{preview}"
    );
    let shown = profile
        .coffer(&["--json", "contract", "show", &id])
        .ok()
        .json();
    assert_eq!(
        shown["amount"]["amount"]["minor"], 990,
        "a dry run changes nothing: {shown}"
    );

    let edited = profile
        .coffer(&["contract", "edit", &id, "--amount", "12.90"])
        .ok()
        .stdout();
    assert!(edited.contains("Changes: amount 9.90"), "{edited}");
    assert!(edited.contains("WAITING: new consent needed"), "{edited}");
    assert!(
        edited.contains("coffer contract consent"),
        "says how: {edited}"
    );

    let consented = profile
        .coffer(&[
            "--json",
            "contract",
            "consent",
            &id,
            "--terms",
            "I agree to 12.90 a month.",
        ])
        .ok()
        .json();
    assert!(consented["consent_needed"].is_null(), "{consented}");

    let skipped = profile
        .coffer(&["contract", "skip", &id, "--occurrence", "1"])
        .ok()
        .stdout();
    assert!(
        skipped.contains("will not be made") && skipped.contains("Undo: un-skip"),
        "{skipped}"
    );
    let restored = profile
        .coffer(&["contract", "unskip", &id, "--occurrence", "1"])
        .ok()
        .stdout();
    assert!(restored.contains("scheduled again"), "{restored}");
}
