//! `coffer contract import FILE --merchant ID`: contracts the old billing system charged, all
//! rows or none, first charged by `run-due` on their next due date.

use chrono::{Days, NaiveDate, Utc};

use crate::contracts::svea_cards;
use crate::{coffer, coffer_on, stdout_json};

fn today() -> NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Europe::Helsinki)
        .date_naive()
}

#[test]
fn a_contract_file_is_refused_whole_with_each_line_and_field_then_imported_and_charged_on_next_due()
{
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(coffer(d, &["demo"]).status.success());
    let (merchant, cards) = svea_cards(d, 2);
    let m = merchant.to_string();
    let due = today().checked_add_days(Days::new(6)).unwrap();
    let last = due.checked_sub_days(Days::new(35)).unwrap();
    let header = "card;amount;frequency;last_charged_on;last_result;next_due\n";
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        format!(
            "{header}{};3,00;monthly;{last};approved;{due}\n{};3,00;monthly;{last};hard_decline;{due}\n{};3,00;fortnightly;{last};;{due}\n",
            cards[0], cards[1], cards[1]
        ),
    )
    .unwrap();
    let refused = coffer(
        d,
        &[
            "contract",
            "import",
            bad.to_str().unwrap(),
            "--merchant",
            &m,
            "--json",
        ],
    );
    assert_eq!(refused.status.code(), Some(2), "invalid input exits 2");
    let envelope = stdout_json(&refused);
    assert_eq!(envelope["kind"], "invalid_input", "{envelope}");
    let message = envelope["message"].as_str().unwrap();
    for expected in ["line 3, last_result", "line 4, frequency", "line 4, card"] {
        assert!(message.contains(expected), "'{expected}' in: {message}");
    }
    let listed = stdout_json(&coffer(
        d,
        &["contract", "list", "--merchant", &m, "--json"],
    ));
    assert_eq!(listed, serde_json::json!([]), "nothing was imported");

    let good = d.join("good.csv");
    std::fs::write(
        &good,
        format!("{header}{};3,00;monthly;{last};approved;{due}\n", cards[0]),
    )
    .unwrap();
    let imported = stdout_json(&coffer(
        d,
        &[
            "contract",
            "import",
            good.to_str().unwrap(),
            "--merchant",
            &m,
            "--json",
        ],
    ));
    assert_eq!(
        imported["contracts"].as_array().unwrap().len(),
        1,
        "{imported}"
    );
    assert_eq!(imported["contracts"][0]["next_due"], due.to_string());
    let human = coffer(d, &["contract", "list", "--merchant", &m]);
    assert!(String::from_utf8_lossy(&human.stdout).contains(&due.to_string()));

    let run = |date: NaiveDate| {
        stdout_json(&coffer_on(
            d,
            date,
            &["run-due", "--merchant", &m, "--json"],
        ))
    };
    run(today());
    let early = run(due.checked_sub_days(Days::new(1)).unwrap());
    assert_eq!(
        early["charged"],
        serde_json::json!([]),
        "not before next_due: {early}"
    );
    let on_due = run(due);
    assert_eq!(on_due["charged"].as_array().unwrap().len(), 1, "{on_due}");
}
