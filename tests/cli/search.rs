//! Search with `--json` over an embedded demo profile: each filter is checked against the full
//! listing, so a filter that drops or adds cards fails.

use std::collections::BTreeSet;

use coffer_e2e::Profile;
use serde_json::Value;

use crate::{array, embedded_demo};

fn cards(profile: &Profile, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["--json", "cards", "--limit", "10000"];
    args.extend_from_slice(filters);
    array(&profile.coffer(&args).ok().json()).clone()
}

fn customers(profile: &Profile, filters: &[&str]) -> Vec<Value> {
    let mut args = vec!["--json", "customers", "--limit", "1000"];
    args.extend_from_slice(filters);
    array(&profile.coffer(&args).ok().json()).clone()
}

fn ids(rows: &[Value]) -> BTreeSet<i64> {
    rows.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

fn ids_where(rows: &[Value], keep: impl Fn(&Value) -> bool) -> BTreeSet<i64> {
    rows.iter()
        .filter(|r| keep(r))
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// A row's merchant id, as the text the command line takes.
fn merchant_id(row: &Value) -> String {
    row["merchant_id"].to_string()
}

/// The demo merchants of one provider, by id.
fn merchants_of(profile: &Profile, provider: &str) -> Vec<String> {
    let list = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    array(&list)
        .iter()
        .filter(|m| m["provider"] == provider)
        .map(|m| m["id"].to_string())
        .collect()
}

#[test]
fn cards_json_carries_the_fields_the_issue_names_with_initial_ref_null_when_none() {
    let profile = embedded_demo();
    let all = cards(&profile, &[]);
    assert!(!all.is_empty(), "the demo cached cards");
    for card in &all {
        for (field, ok) in [
            ("id", card["id"].is_i64()),
            ("merchant_id", card["merchant_id"].is_i64()),
            ("customer_id", card["customer_id"].is_i64()),
            ("provider", card["provider"].is_string()),
            ("token", card["token"].is_string()),
            ("brand", card["brand"].is_string()),
            (
                "last4",
                card["last4"].as_str().is_some_and(|l| l.len() == 4),
            ),
            (
                "exp_month",
                card["exp_month"]
                    .as_u64()
                    .is_some_and(|m| (1..=12).contains(&m)),
            ),
            (
                "exp_year",
                card["exp_year"].as_i64().is_some_and(|y| y > 2000),
            ),
            ("active", card["active"].is_boolean()),
            (
                "initial_ref",
                card.get("initial_ref")
                    .is_some_and(|r| r.is_null() || r.is_string()),
            ),
        ] {
            assert!(ok, "every card has `{field}` of the issue's type: {card}");
        }
    }
    assert!(
        all.iter().any(|k| k["initial_ref"].is_null()),
        "a card without an initial transaction shows initial_ref: null"
    );
    assert!(
        all.iter().any(|k| k["initial_ref"].is_string()),
        "a card with one shows its reference"
    );
    let providers: BTreeSet<_> = all
        .iter()
        .map(|k| k["provider"].as_str().unwrap())
        .collect();
    assert!(
        ["clover", "processout", "assist"]
            .iter()
            .all(|p| providers.contains(p)),
        "cards of every listing provider are searchable: {providers:?}"
    );
}

#[test]
fn card_search_by_last4_brand_and_bin_finds_exactly_the_matching_cards_of_one_merchant() {
    let profile = embedded_demo();
    let merchant = merchants_of(&profile, "processout").remove(0);
    let all = cards(&profile, &["--merchant", &merchant]);
    let sample = &all[all.len() / 2];
    let last4 = sample["last4"].as_str().unwrap();
    assert_eq!(
        ids(&cards(
            &profile,
            &["--merchant", &merchant, "--last4", last4]
        )),
        ids_where(&all, |k| k["last4"] == last4),
        "--last4 finds exactly the merchant's cards ending in {last4}"
    );
    let bin = sample["bin"]
        .as_str()
        .expect("ProcessOut cards carry a BIN");
    let by_bin = cards(&profile, &["--merchant", &merchant, "--bin", bin]);
    assert!(!by_bin.is_empty(), "the sample card's BIN finds it");
    assert_eq!(
        ids(&by_bin),
        ids_where(&all, |k| k["bin"] == bin),
        "--bin finds exactly the merchant's cards with BIN {bin}"
    );
    for brand in ["visa", "VISA", "Mastercard", "American Express"] {
        let key: String = brand
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_lowercase();
        let key = if key == "americanexpress" {
            "amex".to_string()
        } else {
            key
        };
        let expected = ids_where(&all, |k| k["brand"] == key.as_str());
        assert!(!expected.is_empty(), "the demo merchant has {key} cards");
        assert_eq!(
            ids(&cards(
                &profile,
                &["--merchant", &merchant, "--brand", brand]
            )),
            expected,
            "--brand '{brand}' finds exactly the merchant's {key} cards, whatever the spelling"
        );
    }
}

#[test]
fn card_search_for_a_group_spans_its_locations_and_no_other_merchant() {
    let profile = embedded_demo();
    let clover = merchants_of(&profile, "clover");
    assert!(
        clover.len() >= 2,
        "the Clover demo group has several locations"
    );
    let all = cards(&profile, &[]);
    let in_group = |k: &Value| clover.contains(&k["merchant_id"].to_string());
    let group = cards(&profile, &["--group", "Demo clover"]);
    assert_eq!(
        ids(&group),
        ids_where(&all, in_group),
        "a group lists exactly its locations' cards"
    );
    let merchants: BTreeSet<_> = group.iter().map(|k| k["merchant_id"].to_string()).collect();
    assert_eq!(
        merchants.len(),
        clover.len(),
        "every location of the group contributes cards"
    );
    let last4 = group[0]["last4"].as_str().unwrap();
    assert_eq!(
        ids(&cards(
            &profile,
            &["--group", "Demo clover", "--last4", last4]
        )),
        ids_where(&all, |k| in_group(k) && k["last4"] == last4),
        "filters apply across the whole group"
    );
    let unknown = profile.coffer(&["--json", "cards", "--group", "No such group"]);
    assert_eq!(
        unknown.output.status.code(),
        Some(2),
        "an unknown group is invalid input, not an empty list"
    );
}

#[test]
fn cards_expiring_before_a_date_are_exactly_those_whose_last_valid_day_is_before_it() {
    let profile = embedded_demo();
    let all = cards(&profile, &[]);
    let expiry = |k: &Value| {
        (
            k["exp_year"].as_i64().unwrap(),
            k["exp_month"].as_i64().unwrap(),
        )
    };
    // The date is the 15th of a month some cards expire in (the seed spreads expiries around
    // today): those cards are still valid that day, so they are not "expiring before" it.
    let mut months: Vec<_> = all.iter().map(expiry).collect();
    months.sort();
    let (year, month) = months[months.len() / 2];
    let date = format!("{year:04}-{month:02}-15");
    let before = |k: &Value| expiry(k) < (year, month);
    let expected = ids_where(&all, before);
    assert!(
        !expected.is_empty() && expected.len() < all.len(),
        "the demo has cards on both sides of {date}"
    );
    assert_eq!(
        ids(&cards(&profile, &["--expiring-before", &date])),
        expected,
        "--expiring-before {date} lists exactly the cards whose expiry month ends before it"
    );
    let clover = merchants_of(&profile, "clover").remove(0);
    assert_eq!(
        ids(&cards(
            &profile,
            &["--merchant", &clover, "--expiring-before", &date]
        )),
        ids_where(&all, |k| merchant_id(k) == clover && before(k)),
        "the date filter combines with one merchant"
    );
}

#[test]
fn customer_search_finds_a_customer_by_name_email_and_reference_within_its_merchant_or_group() {
    let profile = embedded_demo();
    let merchant = merchants_of(&profile, "clover").remove(0);
    let all = customers(&profile, &["--merchant", &merchant]);
    let target = all
        .iter()
        .find(|c| c["email"].is_string() && !c["name"].as_str().unwrap().starts_with("Test"))
        .expect("a demo customer with a name and an e-mail");
    let id = target["id"].as_i64().unwrap();
    let name = target["name"].as_str().unwrap();
    let email = target["email"].as_str().unwrap();
    let reference = target["reference"].as_str().unwrap();
    for (what, text) in [("name", name), ("e-mail", email), ("reference", reference)] {
        let found = customers(&profile, &["--merchant", &merchant, "--search", text]);
        assert!(
            ids(&found).contains(&id),
            "searching by {what} '{text}' finds the customer"
        );
        assert!(
            found.iter().all(|c| merchant_id(c) == merchant),
            "a merchant's search stays within the merchant"
        );
    }
    let by_name = customers(&profile, &["--merchant", &merchant, "--search", name]);
    for c in &by_name {
        let haystack = format!("{} {}", c["name"], c["email"]).to_lowercase();
        assert!(
            name.split_whitespace()
                .all(|w| haystack.contains(&w.to_lowercase())),
            "a name search only returns customers with that name: {c}"
        );
    }
    assert!(
        ids(&customers(
            &profile,
            &["--group", "Demo clover", "--search", reference]
        ))
        .contains(&id),
        "the group of the customer's location finds it"
    );
    assert!(
        !ids(&customers(
            &profile,
            &["--group", "Demo processout", "--search", reference]
        ))
        .contains(&id),
        "another group does not"
    );
}

#[test]
fn customer_search_by_last4_bin_or_brand_finds_exactly_the_holders_of_such_cards() {
    let profile = embedded_demo();
    let merchant = merchants_of(&profile, "processout").remove(0);
    let all = cards(&profile, &["--merchant", &merchant]);
    let sample = &all[all.len() / 3];
    let holders = |keep: &dyn Fn(&Value) -> bool| -> BTreeSet<i64> {
        all.iter()
            .filter(|k| keep(k))
            .map(|k| k["customer_id"].as_i64().unwrap())
            .collect()
    };
    for (what, text, keep) in [
        ("last4", sample["last4"].as_str().unwrap(), "last4"),
        ("BIN", sample["bin"].as_str().unwrap(), "bin"),
        ("brand", sample["brand"].as_str().unwrap(), "brand"),
    ] {
        let expected = holders(&|k: &Value| k[keep].as_str() == Some(text));
        let found = customers(&profile, &["--merchant", &merchant, "--search", text]);
        assert_eq!(
            ids(&found),
            expected,
            "searching customers by {what} '{text}' finds exactly the holders of such cards"
        );
    }
}
