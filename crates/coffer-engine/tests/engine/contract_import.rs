//! Contract import (issue 24): contracts the old billing system charged, with its last charge
//! and next due date, so the first run neither bills a period twice nor breaks Svea's monthly
//! rule; all rows or none.

use chrono::{Datelike, Days, Months, NaiveDate};
use coffer_core::{CardId, MerchantId};
use coffer_engine::contracts::import::ContractImportSummary;
use coffer_engine::Engine;
use coffer_store::audit_log::AuditFilter;
use coffer_store::repo::prelude::*;

use crate::*;

const HEADER: &str =
    "card,amount,frequency,last_charged_on,last_result,retries,last_declined_on,next_due,terms";

async fn import(
    world: &World,
    engine: &Engine,
    merchant: &str,
    rows: &[String],
) -> coffer_engine::EngineResult<ContractImportSummary> {
    let path = world.dir.path().join("old-system.csv");
    std::fs::write(&path, format!("{HEADER}\n{}\n", rows.join("\n"))).unwrap();
    let merchant = MerchantId(world.merchant_id(merchant).await);
    engine.import_contracts(merchant, &path).await
}

fn row(card: i64, amount: &str, last: NaiveDate, next: NaiveDate) -> String {
    format!("{card},{amount},monthly,{last},,,,{next},Monthly plan as agreed with the old shop")
}

fn imported_events(world: &World) -> usize {
    world
        .store()
        .audit_events(&AuditFilter {
            action: Some("contract_imported".into()),
            ..AuditFilter::default()
        })
        .unwrap()
        .len()
}

#[tokio::test]
async fn an_imported_contract_is_first_charged_on_its_next_due_date_and_not_before() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    // The old system's last charge, a month and more back (an earlier calendar month).
    let last = due.checked_sub_days(Days::new(35)).unwrap();
    let summary = import(
        &world,
        &world.engine,
        "Svea Demo Helsinki",
        &[row(card.id, "3.00", last, due)],
    )
    .await
    .unwrap();
    assert_eq!(summary.contracts.len(), 1, "{summary:?}");
    let imported = &summary.contracts[0];
    assert_eq!((imported.line, imported.next_due), (2, due));
    assert_eq!(imported_events(&world), 1, "one audit event per contract");
    let history = world.store().imported_attempts(card_id(card)).unwrap();
    assert_eq!(history.len(), 1, "the old system's last charge is kept");
    assert_eq!(local_date(history[0].at, chrono_tz::Europe::Helsinki), last);

    let notices = run_on(&world, today()).await;
    assert!(notices.charged.is_empty(), "{notices:?}");
    let before = run_on(&world, due.checked_sub_days(Days::new(1)).unwrap()).await;
    assert!(
        before.charged.is_empty() && before.refused.is_empty(),
        "nothing is due the day before next_due: {before:?}"
    );
    assert_eq!(world.charges_of(&card.token).await, 0);
    let on_due = run_on(&world, due).await;
    assert_eq!(on_due.charged.len(), 1, "charged on next_due: {on_due:?}");
    assert_eq!(on_due.charged[0].contract_id, imported.contract_id);
    let again = run_on(&world, due).await;
    assert!(again.charged.is_empty(), "{again:?}");
    assert_eq!(
        world.charges_of(&card.token).await,
        1,
        "the provider saw one charge"
    );
}

/// The first of a month at least two months ahead that has 29 days or more (not February).
fn month_ahead() -> NaiveDate {
    let mut first = today()
        .with_day(1)
        .unwrap()
        .checked_add_months(Months::new(2))
        .unwrap();
    if first.month() == 2 {
        first = first.checked_add_months(Months::new(1)).unwrap();
    }
    first
}

#[tokio::test]
async fn svea_refuses_the_first_run_in_the_month_the_old_system_charged_until_the_next_month() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let first = month_ahead();
    let last = first; // the old system charged on the 1st
    let due = first.checked_add_days(Days::new(28)).unwrap(); // the 29th, same month
    let import_day = first.checked_add_days(Days::new(1)).unwrap();
    let engine = world.engine_on(import_day);
    import(
        &world,
        &engine,
        "Svea Demo Helsinki",
        &[row(card.id, "3.00", last, due)],
    )
    .await
    .unwrap();
    // The pre-charge notice goes out by its deadline, the lead time (3 days) before the charge.
    let notices = run_on(&world, due.checked_sub_days(Days::new(3)).unwrap()).await;
    assert_eq!(
        notices.notices.len(),
        2,
        "confirmation and pre-charge notice: {notices:?}"
    );
    let run = run_on(&world, due).await;
    assert_eq!(run.refused.len(), 1, "{run:?}");
    assert!(
        run.refused[0]
            .violations
            .iter()
            .any(|v| v.rule == "svea_monthly"),
        "the old system's charge this month counts: {:?}",
        run.refused[0].violations
    );
    assert_eq!(
        world.charges_of(&card.token).await,
        0,
        "nothing reached Svea"
    );
    let next_month = first.checked_add_months(Months::new(1)).unwrap();
    let later = run_on(&world, next_month).await;
    assert_eq!(
        later.charged.len(),
        1,
        "allowed from the 1st of the next month: {later:?}"
    );
    assert_eq!(world.charges_of(&card.token).await, 1);
}

#[tokio::test]
async fn bad_rows_are_all_reported_by_line_and_field_and_nothing_is_saved() {
    let world = World::new().await;
    let cards = world.cards("Svea Demo Helsinki", None, 3).await;
    let other = world.cards("Clover Downtown", None, 1).await;
    let due = due_soon();
    let last = due.checked_sub_days(Days::new(35)).unwrap();
    let rows = [
        // line 2: good
        row(cards[0].id, "3.00", last, due),
        // line 3: hard-declined by the old system
        format!(
            "{},3.00,monthly,{last},hard_decline,,{last},{due},",
            cards[1].id
        ),
        // line 4: a bad amount, a bad date
        format!("{},abc,monthly,{last},,,,2027-13-01,", cards[2].id),
        // line 5: no such card
        row(999_999, "3.00", last, due),
        // line 6: another merchant's card
        row(other[0].id, "3.00", last, due),
        // line 7: the old system billed the period next_due would bill again
        row(
            cards[2].id,
            "3.00",
            due.checked_sub_days(Days::new(10)).unwrap(),
            due,
        ),
    ];
    let error = import(&world, &world.engine, "Svea Demo Helsinki", &rows)
        .await
        .unwrap_err();
    let message = error.to_string();
    for expected in [
        "line 3, last_result",
        "hard-declined",
        "line 4, amount",
        "line 4, next_due",
        "line 5, card",
        "line 6, card",
        "line 7, next_due",
        "less than one period",
    ] {
        assert!(message.contains(expected), "'{expected}' in: {message}");
    }
    assert!(
        !message.contains("line 2"),
        "the good row has no problem: {message}"
    );
    let merchant = MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let contracts = world
        .engine
        .list_contracts(vec![merchant], None, None)
        .await
        .unwrap();
    assert!(contracts.is_empty(), "all rows or none: {contracts:?}");
    for card in &cards {
        assert!(world
            .store()
            .imported_attempts(CardId(card.id))
            .unwrap()
            .is_empty());
    }
    assert_eq!(imported_events(&world), 0);
}

#[tokio::test]
async fn the_old_systems_declines_count_against_the_networks_retry_limits() {
    let world = World::new().await;
    let card = world
        .cards("Svea Demo Helsinki", None, 40)
        .await
        .into_iter()
        .find(|c| c.brand.eq_ignore_ascii_case("visa"))
        .expect("a Visa card in the Svea demo seed");
    let due = due_soon();
    let last = due.checked_sub_days(Days::new(35)).unwrap();
    // Visa allows 20 declines in 30 days; the old system used them all yesterday.
    let yesterday = today().checked_sub_days(Days::new(1)).unwrap();
    let row = format!(
        "{},3.00,monthly,{last},soft_decline,25,{yesterday},{due},",
        card.id
    );
    import(&world, &world.engine, "Svea Demo Helsinki", &[row])
        .await
        .unwrap();
    run_on(&world, today()).await;
    let run = run_on(&world, due).await;
    assert_eq!(run.refused.len(), 1, "{run:?}");
    assert!(
        run.refused[0]
            .violations
            .iter()
            .any(|v| v.rule == "network_retry_limits"),
        "{:?}",
        run.refused[0].violations
    );
    assert_eq!(world.charges_of(&card.token).await, 0);
}

#[tokio::test]
async fn the_text_the_app_read_is_imported_within_the_bounds_of_a_file() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let merchant = MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let due = due_soon();
    let last = due.checked_sub_days(Days::new(35)).unwrap();
    let good = format!("{HEADER}\n{}\n", row(card.id, "3.00", last, due));

    // A Windows-1252 file as the window reads it: the bytes that are not UTF-8 replaced.
    let mangled = good.replace("as agreed", "as agr\u{FFFD}ed");
    let error = world
        .engine
        .import_contracts_text(merchant, "old-system.csv", mangled)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("line 2") && error.contains("CSV UTF-8"),
        "{error}"
    );
    let oversize = format!(
        "{good}{}",
        "x".repeat(coffer_engine::import_file::MAX_FILE_BYTES as usize)
    );
    let error = world
        .engine
        .import_contracts_text(merchant, "old-system.csv", oversize)
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("file old-system.csv") && error.contains("larger than"),
        "{error}"
    );
    assert_eq!(imported_events(&world), 0, "nothing saved");

    let summary = world
        .engine
        .import_contracts_text(merchant, "old-system.csv", format!("\u{FEFF}{good}"))
        .await
        .unwrap();
    assert_eq!(summary.contracts.len(), 1, "{summary:?}");
    assert_eq!(summary.contracts[0].next_due, due);
    let events = world
        .store()
        .audit_events(&AuditFilter {
            action: Some("contract_imported".into()),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(events.len(), 1);
    assert!(
        events[0].details.contains("\"file\":\"old-system.csv\""),
        "the audit event names the file: {}",
        events[0].details
    );
    let history = world.store().imported_attempts(card_id(card)).unwrap();
    assert_eq!(history[0].source, "old-system.csv line 2");
}
