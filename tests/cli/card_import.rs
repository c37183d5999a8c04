//! `coffer card import FILE.csv --merchant ID`: cards a merchant's shop stored, with the
//! consent and initial it made there, made MIT-ready; a wrong row saves nothing, exits 2 and
//! names its line and column.

use crate::{array, embedded_demo};

const HEADER: &str = "customer_reference,card_token,initial_ref,consent_at,terms";

/// Two ready Clover demo cards of different customers: (merchant, [(card id, customer
/// reference, token, initial_ref)]).
fn clover_cards(profile: &coffer_e2e::Profile) -> (String, Vec<(i64, String, String, String)>) {
    let merchants = profile.coffer(&["--json", "merchant", "list"]).ok().json();
    let merchant = array(&merchants)
        .iter()
        .find(|m| m["provider"] == "clover")
        .expect("a Clover demo merchant")["id"]
        .to_string();
    let customers = profile
        .coffer(&[
            "--json",
            "customers",
            "--merchant",
            &merchant,
            "--limit",
            "1000",
        ])
        .ok()
        .json();
    let cards = profile
        .coffer(&[
            "--json",
            "cards",
            "--merchant",
            &merchant,
            "--limit",
            "10000",
        ])
        .ok()
        .json();
    let mut picked: Vec<(i64, String, String, String)> = Vec::new();
    for c in array(&cards) {
        let ready = c["mit_ready"] == true
            && c["active"] == true
            && c["expired"] == false
            && !["0341", "0002", "0069", "0077", "0019"].contains(&c["last4"].as_str().unwrap());
        let customer = c["customer_id"].as_i64().unwrap();
        if !ready || picked.iter().any(|p| p.0 == customer) {
            continue;
        }
        let Some(reference) = array(&customers)
            .iter()
            .find(|k| k["id"].as_i64() == Some(customer))
            .map(|k| k["reference"].as_str().unwrap().to_string())
        else {
            continue;
        };
        picked.push((
            c["id"].as_i64().unwrap(),
            reference,
            c["token"].as_str().unwrap().to_string(),
            c["initial_ref"].as_str().unwrap().to_string(),
        ));
        if picked.len() == 2 {
            break;
        }
    }
    assert_eq!(picked.len(), 2, "two ready Clover demo cards");
    (merchant, picked)
}

/// Takes a card's consent and initial off the profile's records, as if the shop had made them.
fn forget(profile: &coffer_e2e::Profile, card: i64) {
    let db =
        rusqlite::Connection::open(coffer_engine::config::database_path(profile.path())).unwrap();
    db.execute(
        "UPDATE cards SET consent_at = NULL, consent_terms = NULL, initial_ref = NULL, \
         initial_amount_minor = NULL, initial_currency = NULL, initial_at = NULL, \
         initial_kind = NULL WHERE id = ?1",
        [card],
    )
    .unwrap();
}

fn show(profile: &coffer_e2e::Profile, card: i64) -> serde_json::Value {
    profile
        .coffer(&["--json", "card", "show", &card.to_string()])
        .ok()
        .json()
}

#[test]
fn a_wrong_row_saves_nothing_and_a_good_file_makes_the_card_mit_ready() {
    let profile = embedded_demo();
    let (merchant, cards) = clover_cards(&profile);
    let (held, ready) = (&cards[0], &cards[1]);
    forget(&profile, held.0);
    assert_eq!(show(&profile, held.0)["mit_ready"], false);
    let row = |c: &(i64, String, String, String)| {
        format!(
            "{},{},{},2026-01-15,I agree to monthly charges.\n",
            c.1, c.2, c.3
        )
    };
    let bad = profile.path().join("bad.csv");
    std::fs::write(&bad, format!("{HEADER}\n{}{}", row(held), row(ready))).unwrap();
    let run = profile.coffer(&[
        "card",
        "import",
        bad.to_str().unwrap(),
        "--merchant",
        &merchant,
    ]);
    assert_eq!(
        run.output.status.code(),
        Some(2),
        "a wrong row is invalid input: {}",
        run.stderr()
    );
    assert!(
        run.stderr().contains("line 3, card_token") && run.stderr().contains("already MIT-ready"),
        "the problem names its line, column and rule: {}",
        run.stderr()
    );
    let json = profile.coffer(&[
        "--json",
        "card",
        "import",
        bad.to_str().unwrap(),
        "--merchant",
        &merchant,
    ]);
    assert_eq!(json.output.status.code(), Some(2));
    let report = json.json();
    assert!(
        array(&report["imported"]).is_empty(),
        "all rows or none: {report}"
    );
    assert_eq!(report["problems"][0]["line"], 3, "{report}");
    assert_eq!(report["problems"][0]["field"], "card_token", "{report}");
    assert_eq!(
        show(&profile, held.0)["mit_ready"],
        false,
        "the good row was not saved either"
    );

    let good = profile.path().join("good.csv");
    std::fs::write(&good, format!("{HEADER}\n{}", row(held))).unwrap();
    let run = profile
        .coffer(&[
            "card",
            "import",
            good.to_str().unwrap(),
            "--merchant",
            &merchant,
        ])
        .ok();
    assert!(
        run.stdout().contains("imported 1 card(s)"),
        "a summary: {}",
        run.stdout()
    );
    let card = show(&profile, held.0);
    assert_eq!(card["mit_ready"], true, "{card}");
    assert_eq!(
        card["initial_ref"].as_str(),
        Some(held.3.as_str()),
        "{card}"
    );
}
