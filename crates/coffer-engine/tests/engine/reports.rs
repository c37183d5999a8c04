//! What the owner reads off the engine: the due list, the dashboard and CSV exports, checked
//! against what was done through the sandboxes.

use chrono::{Datelike, Days, Months};
use coffer_core::contract::Frequency;
use coffer_core::{CardId, MerchantId, Reason};
use coffer_engine::charge::ChargeInput;
use coffer_engine::contracts::ContractInput;
use coffer_engine::export::ExportKind;
use coffer_engine::search::CardSearch;
use coffer_engine::upcoming::NoticeState;
use coffer_engine::ErrorKind;

use crate::*;

fn manual(card: i64, amount: &str) -> ChargeInput {
    ChargeInput {
        card: CardId(card),
        amount: amount.into(),
        reason: Reason::Unscheduled,
        merchant: None,
        idempotency_key: None,
        description: None,
        confirm_large: false,
    }
}

#[tokio::test]
async fn the_due_list_shows_each_contracts_next_charges_and_where_their_notices_stand() {
    let world = World::new().await;
    let svea = MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    let contract = monthly(&world.engine, card.id, "4.50", due)
        .await
        .contract
        .id;
    let next_month = due.checked_add_months(Months::new(1)).unwrap();

    let list = world.engine.upcoming_charges(vec![svea], 40).await.unwrap();
    let ours: Vec<_> = list
        .iter()
        .filter(|c| c.contract_id == contract.0)
        .collect();
    assert_eq!(
        ours.iter().map(|c| c.occurrence).collect::<Vec<_>>(),
        vec![1, 2],
        "the next two monthly charges fall within 40 days: {ours:?}"
    );
    assert_eq!(ours[0].due, due);
    assert_eq!(ours[1].due.month(), next_month.month());
    assert_eq!(ours[0].amount.to_string(), "4.50 EUR");
    assert_eq!(
        ours[0].notice,
        NoticeState::Pending,
        "no notice has gone out yet, and there is still time"
    );
    assert!(
        !ours[0].customer_name.is_empty(),
        "the list names the cardholder: {ours:?}"
    );

    run_on(&world, today()).await;
    let list = world.engine.upcoming_charges(vec![svea], 40).await.unwrap();
    let first = list
        .iter()
        .find(|c| c.contract_id == contract.0 && c.occurrence == 1)
        .expect("still due");
    assert_eq!(first.notice, NoticeState::Sent, "the run sent the notice");

    run_on(&world, due).await;
    let after = world
        .engine_on(due)
        .upcoming_charges(vec![svea], 40)
        .await
        .unwrap();
    assert!(
        !after
            .iter()
            .any(|c| c.contract_id == contract.0 && c.occurrence == 1),
        "a charged occurrence leaves the list: {after:?}"
    );
    assert!(
        after
            .iter()
            .any(|c| c.contract_id == contract.0 && c.occurrence == 2),
        "the next one stays"
    );
    let shown = world.engine_on(due).show_contract(contract).await.unwrap();
    assert_eq!(
        shown.next_due.map(|d| d.month()),
        Some(next_month.month()),
        "the contract's next charge is next month's: {:?}",
        shown.next_due
    );
}

#[tokio::test]
async fn a_contract_whose_first_charge_cannot_be_announced_in_time_is_refused() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    // The demo merchants give three days' notice; tomorrow is too soon.
    let tomorrow = today().checked_add_days(Days::new(1)).unwrap();
    let err = world
        .engine
        .create_contract(ContractInput {
            card: card.id,
            amount: Some("3.00".into()),
            frequency: Some(Frequency::EveryDays { days: 31 }),
            start: Some(tomorrow),
            ..ContractInput::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.envelope().field.as_deref(), Some("start"), "{err}");
    assert!(
        err.to_string().contains("told at least 3 days before"),
        "the reason names the notice rule: {err}"
    );
    assert!(
        world
            .engine
            .list_contracts(Vec::new(), None, Some(CardId(card.id)))
            .await
            .unwrap()
            .is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn the_dashboard_counts_this_months_charges_declines_and_the_cards_expiring() {
    let world = World::new().await;
    let name = "Svea Demo Helsinki";
    let svea = MerchantId(world.merchant_id(name).await);
    let good = &world.cards(name, None, 1).await[0];
    let soft = &world.cards(name, Some("0341"), 1).await[0];
    let charged = world
        .engine
        .charge_card(manual(good.id, "7.25"))
        .await
        .unwrap();
    assert_eq!(charged.status.to_string(), "succeeded", "{charged:?}");
    let declined = world
        .engine
        .charge_card(manual(soft.id, "7.25"))
        .await
        .unwrap();
    assert_eq!(declined.status.to_string(), "declined", "{declined:?}");
    world
        .engine
        .refund_charge(coffer_engine::refunds::RefundInput {
            charge: coffer_core::AttemptId(charged.attempt_id.unwrap()),
            amount: Some("1.00".into()),
            idempotency_key: None,
        })
        .await
        .unwrap();
    monthly(&world.engine, good.id, "2.00", due_soon()).await;

    let view = world.engine.dashboard(vec![svea]).await.unwrap();
    let this_month = format!("{:04}-{:02}", today().year(), today().month());
    assert_eq!(view.months.last(), Some(&this_month), "{:?}", view.months);
    let revenue = view
        .revenue
        .iter()
        .find(|r| r.month == this_month && r.currency == "EUR")
        .expect("this month's euros");
    assert_eq!(revenue.manual_minor, 725, "the manual charge: {revenue:?}");
    assert_eq!(revenue.refunded_minor, 100, "the partial refund");
    assert_eq!(revenue.recurring_minor, 0, "no contract has charged yet");
    let declines = view.declines.last().unwrap();
    assert_eq!((declines.soft, declines.hard), (1, 0), "{declines:?}");
    assert_eq!(view.active_contracts, 1);
    assert_eq!(
        view.upcoming.iter().map(|d| d.charges).sum::<u64>(),
        1,
        "the contract's first charge is within 30 days: {:?}",
        view.upcoming
    );

    // Expiring per month agrees with the cards themselves.
    let cards = world
        .engine
        .list_cards(CardSearch {
            merchant: Some(svea),
            active_only: true,
            limit: Some(10_000),
            ..CardSearch::default()
        })
        .await
        .unwrap();
    for month in &view.expiring {
        let (year, m) = month.month.split_once('-').unwrap();
        let want = cards
            .iter()
            .filter(|c| c.exp_year.to_string() == year && format!("{:02}", c.exp_month) == m)
            .count() as u64;
        assert_eq!(month.cards, want, "cards expiring in {}", month.month);
    }
    assert_eq!(
        view.expired_on_file,
        cards.iter().filter(|c| c.expired).count() as u64,
        "active cards past their expiry"
    );
}

#[tokio::test]
async fn exports_hold_every_row_of_the_scope_and_never_a_card_number() {
    let world = World::new().await;
    let name = "Svea Demo Helsinki";
    let svea = MerchantId(world.merchant_id(name).await);
    let card = &world.cards(name, None, 1).await[0];
    world
        .engine
        .charge_card(manual(card.id, "12.34"))
        .await
        .unwrap();

    let cards = world
        .engine
        .export_csv(ExportKind::Cards, vec![svea], None)
        .await
        .unwrap();
    let known = world
        .engine
        .list_cards(CardSearch {
            merchant: Some(svea),
            limit: Some(10_000),
            ..CardSearch::default()
        })
        .await
        .unwrap();
    assert_eq!(
        cards.rows,
        known.len() as u64,
        "one row per card of the merchant"
    );
    let mut reader = csv::Reader::from_path(&cards.path).unwrap();
    let header = reader.headers().unwrap().clone();
    let token = header.iter().position(|h| h == "token").unwrap();
    let tokens: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[token].to_string())
        .collect();
    assert!(
        tokens.contains(&card.token),
        "the card's provider token is there"
    );

    let charges = world
        .engine
        .export_csv(ExportKind::Charges, vec![svea], None)
        .await
        .unwrap();
    assert_eq!(charges.rows, 1);
    let mut reader = csv::Reader::from_path(&charges.path).unwrap();
    let header = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let field = |name: &str| row[header.iter().position(|h| h == name).unwrap()].to_string();
    assert_eq!(field("amount"), "12.34");
    assert_eq!(field("amount_minor"), "1234");
    assert_eq!(field("currency"), "EUR");
    assert_eq!(field("state"), "succeeded");
    assert_eq!(
        (field("sequence"), field("initiator")),
        ("subsequent".to_string(), "merchant".to_string()),
        "the stored-credential flags sent"
    );

    // Provider tokens and references are opaque strings that may hold long digit runs; every
    // other cell is a display field, where 13 or more digits in a row could be a card number.
    let opaque = [
        "token",
        "idempotency_key",
        "order_id",
        "provider_ref",
        "initial_ref",
    ];
    for path in [&cards.path, &charges.path] {
        let mut reader = csv::Reader::from_path(path).unwrap();
        let header = reader.headers().unwrap().clone();
        for record in reader.records() {
            let record = record.unwrap();
            for (name, cell) in header.iter().zip(record.iter()) {
                if opaque.contains(&name) {
                    continue;
                }
                let longest = cell
                    .split(|c: char| !c.is_ascii_digit())
                    .map(str::len)
                    .max()
                    .unwrap_or(0);
                assert!(
                    longest < 13,
                    "{name} = {cell} in {path} looks like a card number"
                );
            }
        }
    }
    let audit = world
        .engine
        .export_csv(ExportKind::Audit, Vec::new(), None)
        .await
        .unwrap();
    assert!(audit.rows > 0, "the audit log exports too");
    assert!(
        std::path::Path::new(&audit.path).starts_with(world.engine.exports_dir()),
        "by default exports go to the profile's exports folder"
    );
}

#[tokio::test]
async fn a_varying_contracts_charge_is_the_amount_the_owner_set_before_its_notice() {
    let world = World::new().await;
    let card = &world.cards("Clover Downtown", None, 1).await[0];
    let due = due_soon();
    let contract = world
        .engine
        .create_contract(ContractInput {
            card: card.id,
            max_amount: Some("20.00".into()),
            min_amount: Some("5.00".into()),
            frequency: Some(Frequency::Monthly { day: due.day() }),
            ..ContractInput::default()
        })
        .await
        .unwrap()
        .contract
        .id;

    let err = world
        .engine
        .set_occurrence_amount(contract, 1, "25.00".into())
        .await
        .unwrap_err();
    assert_eq!(err.envelope().field.as_deref(), Some("amount"), "{err}");
    assert!(err.to_string().contains("outside"), "{err}");
    let set = world
        .engine
        .set_occurrence_amount(contract, 1, "12.50".into())
        .await
        .unwrap();
    let first = set.occurrences.iter().find(|o| o.number == 1).unwrap();
    assert_eq!(
        (first.amount.minor, first.amount_set),
        (1250, true),
        "{first:?}"
    );
    // Months ahead of the stored schedule too.
    world
        .engine
        .set_occurrence_amount(contract, 3, "7.00".into())
        .await
        .unwrap();

    run_on(&world, today()).await;
    let notices = world.engine.list_notices(Vec::new()).await.unwrap();
    let notice = notices
        .iter()
        .find(|n| n.contract_id == contract.0 && n.occurrence == Some(1))
        .expect("the pre-charge notice went out");
    assert_eq!(
        notice.amount.map(|m| m.minor),
        Some(1250),
        "the notice announces the amount the owner set"
    );
    let late = world
        .engine
        .set_occurrence_amount(contract, 1, "13.00".into())
        .await
        .unwrap_err();
    assert!(
        late.to_string().contains("announced amount cannot change"),
        "{late}"
    );

    run_on(&world, due).await;
    let charged = world
        .engine
        .list_charges(coffer_engine::charge::ChargeQuery {
            card: Some(CardId(card.id)),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        charged.iter().map(|a| a.amount.minor).collect::<Vec<_>>(),
        vec![1250],
        "one charge, of the amount announced"
    );

    // New bounds that exclude an amount set ahead give that occurrence back to the contract.
    let edited = world
        .engine_on(due)
        .edit_contract(
            contract,
            coffer_engine::contracts::ContractEdit {
                max_amount: Some("6.00".into()),
                min_amount: Some("5.00".into()),
                reason: Some("cheaper plan".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let third = edited.occurrences.iter().find(|o| o.number == 3).unwrap();
    assert_eq!(
        (third.amount.minor, third.amount_set),
        (600, false),
        "7.00 is above the new maximum: {third:?}"
    );
}

#[tokio::test]
async fn a_fixed_contracts_occurrences_keep_the_contracts_amount() {
    let world = World::new().await;
    let card = &world.cards("Clover Downtown", None, 1).await[0];
    let contract = monthly(&world.engine, card.id, "9.00", due_soon())
        .await
        .contract
        .id;
    let err = world
        .engine
        .set_occurrence_amount(contract, 1, "5.00".into())
        .await
        .unwrap_err();
    assert_eq!(err.envelope().field.as_deref(), Some("amount"), "{err}");
    assert!(err.to_string().contains("fixed"), "{err}");
}

/// Two exports of one kind in the same second (two merchants, one after the other) are two
/// files: the second never overwrites the first.
#[tokio::test]
async fn two_exports_of_a_kind_in_one_second_keep_both_files() {
    let world = World::new().await;
    // The world's clock stands still: both exports are stamped with the same second.
    let engine = &world.engine;
    let first = MerchantId(world.merchant_id("Clover Downtown").await);
    let second = MerchantId(world.merchant_id("Svea Demo Helsinki").await);
    let a = engine
        .export_csv(ExportKind::Customers, vec![first], None)
        .await
        .unwrap();
    let b = engine
        .export_csv(ExportKind::Customers, vec![second], None)
        .await
        .unwrap();
    assert_ne!(a.path, b.path);
    assert!(b.path.ends_with("-2.csv"), "{}", b.path);
    let rows = |path: &str| csv::Reader::from_path(path).unwrap().records().count() as u64;
    assert_eq!((rows(&a.path), rows(&b.path)), (a.rows, b.rows));
}
