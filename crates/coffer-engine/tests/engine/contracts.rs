//! Creating contracts against the provider's rules, editing with history, cancelling.

use chrono::Days;
use coffer_core::contract::{Frequency, OccurrenceState};
use coffer_engine::contracts::{ContractEdit, ContractInput};
use coffer_engine::ErrorKind;
use coffer_store::repo::prelude::*;

use crate::*;

#[tokio::test]
async fn refuses_a_svea_contract_above_the_original_amount_before_the_wire() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let before = world.sandbox_charges().await;
    let err = world
        .engine
        .create_contract(ContractInput {
            card: card.id,
            amount: Some("100000.00".into()),
            frequency: Some(Frequency::Monthly { day: 15 }),
            ..ContractInput::default()
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string()
            .contains("above the original payment amount"),
        "the owner is told why: {err}"
    );
    assert!(
        world
            .engine
            .list_contracts(Vec::new(), None, None)
            .await
            .unwrap()
            .is_empty(),
        "nothing is saved"
    );
    assert_eq!(
        world.sandbox_charges().await,
        before,
        "nothing reached the provider"
    );
}

#[tokio::test]
async fn refuses_assist_contracts_it_cannot_register() {
    let world = World::new().await;
    // Assist cards become usable through an initial CIT; record one directly.
    let merchant = world.merchant_id("Assist Minsk").await;
    let card = {
        let store = world.store();
        let card = world
            .engine
            .list_cards(coffer_engine::search::CardSearch {
                merchant: Some(coffer_core::MerchantId(merchant)),
                active_only: true,
                limit: Some(1000),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_iter()
            .find(|c| !c.expired && !c.expiring_soon && !SPECIAL_LAST4.contains(&c.last4.as_str()))
            .unwrap();
        let id = card_id(&card);
        store
            .set_card_consent(
                id,
                &coffer_core::Consent {
                    given_at: chrono::Utc::now(),
                    terms: "recurring terms".into(),
                },
            )
            .unwrap();
        store
            .set_card_initial(
                id,
                &coffer_core::InitialTransaction {
                    reference: coffer_core::ProviderRef("BILL-1".into()),
                    amount: Some(coffer_core::Money::from_minor(
                        2000,
                        coffer_core::Currency::BYN,
                    )),
                    at: chrono::Utc::now(),
                    kind: coffer_core::InitialKind::Recurring,
                    registered: None,
                },
            )
            .unwrap();
        card
    };
    let end = today().checked_add_days(Days::new(365));
    let base = ContractInput {
        card: card.id,
        max_amount: Some("20.00".into()),
        min_amount: Some("1.00".into()),
        frequency: Some(Frequency::EveryDays { days: 30 }),
        // The first charge falls on the start: far enough ahead for the pre-charge notice.
        start: Some(due_soon()),
        end,
        ..ContractInput::default()
    };
    let before = world.sandbox_charges().await;
    let cases = [
        (
            ContractInput {
                min_amount: None,
                ..base.clone()
            },
            "RecurringMinAmount",
        ),
        (
            ContractInput {
                end: None,
                ..base.clone()
            },
            "RecurringMaxDate",
        ),
        (
            ContractInput {
                frequency: Some(Frequency::EveryDays { days: 1000 }),
                ..base.clone()
            },
            "three-digit RecurringPeriod",
        ),
        (
            ContractInput {
                min_amount: Some("30.00".into()),
                ..base.clone()
            },
            "not above the maximum",
        ),
    ];
    for (input, why) in cases {
        let err = world.engine.create_contract(input).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(err.to_string().contains(why), "expected '{why}' in: {err}");
    }
    // Assist counts RecurringPeriod from the initial order as well.
    let store = world.store();
    let mut recent = store.card(card_id(&card)).unwrap().initial.unwrap();
    recent.at = chrono::Utc::now();
    store.set_card_initial(card_id(&card), &recent).unwrap();
    let err = world
        .engine
        .create_contract(base.clone())
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("RecurringPeriod (30 days) apart"),
        "a first charge too soon after the initial payment is refused: {err}"
    );
    recent.at = chrono::Utc::now() - chrono::Duration::days(60);
    store.set_card_initial(card_id(&card), &recent).unwrap();
    let ok = world.engine.create_contract(base).await.unwrap();
    assert_eq!(
        ok.contract.status,
        coffer_core::contract::ContractStatus::Active,
        "sound Assist terms are accepted"
    );
    assert_eq!(
        world.sandbox_charges().await,
        before,
        "nothing went to Assist"
    );
}

#[tokio::test]
async fn regenerating_a_schedule_keeps_settled_and_cancelled_occurrences() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    let contract = monthly(&world.engine, card.id, "5.00", due).await;
    let id = contract.contract.id;
    // Notices today, the charge on the due date.
    run_on(&world, today()).await;
    let run = run_on(&world, due).await;
    assert_eq!(run.charged.len(), 1, "{run:?}");
    // A month later: cancel the next occurrence, then change amount and frequency.
    let later = world.engine_on(due.checked_add_days(Days::new(1)).unwrap());
    let shown = later.show_contract(id).await.unwrap();
    let second = shown
        .occurrences
        .iter()
        .find(|o| o.number == 2)
        .map(|o| o.number)
        .unwrap_or(2);
    later.cancel_occurrence(id, second).await.unwrap();
    let edited = later
        .edit_contract(
            id,
            ContractEdit {
                amount: Some("4.00".into()),
                frequency: Some(Frequency::EveryDays { days: 31 }),
                reason: Some("cheaper plan".into()),
                ..ContractEdit::default()
            },
        )
        .await
        .unwrap();
    let first = edited.occurrences.iter().find(|o| o.number == 1).unwrap();
    assert_eq!(
        first.state,
        OccurrenceState::Charged,
        "a charged occurrence stays charged"
    );
    assert_eq!(
        first.amount.to_string(),
        "5.00 EUR",
        "and keeps the amount it was charged"
    );
    assert_eq!(first.due, due, "and its date");
    let cancelled = edited
        .occurrences
        .iter()
        .find(|o| o.number == second)
        .unwrap();
    assert_eq!(
        cancelled.state,
        OccurrenceState::Cancelled,
        "a cancelled occurrence is not revived by a new schedule"
    );
    assert!(
        edited
            .occurrences
            .iter()
            .filter(|o| o.state == OccurrenceState::Scheduled)
            .all(|o| o.amount.to_string() == "4.00 EUR"),
        "open occurrences take the new amount: {:?}",
        edited.occurrences
    );
    assert_eq!(edited.history.len(), 1, "the old terms are kept");
    assert_eq!(edited.history[0].reason, "cheaper plan");
    assert_eq!(
        edited.history[0].before.amount, contract.contract.amount,
        "history holds the terms before the edit"
    );
    // Running again on the charged date charges nothing more.
    let again = run_on(&world, due).await;
    assert!(again.charged.is_empty(), "{again:?}");
    assert_eq!(world.charges_of(&card.token).await, 1, "one charge in all");
}

#[tokio::test]
async fn a_cancelled_contract_is_never_charged_and_a_made_charge_is_refunded() {
    let world = World::new().await;
    let cards = world.cards("Svea Demo Helsinki", None, 2).await;
    let due = due_soon();
    let charged = monthly(&world.engine, cards[0].id, "6.00", due)
        .await
        .contract
        .id;
    let cancelled = monthly(&world.engine, cards[1].id, "6.00", due)
        .await
        .contract
        .id;
    run_on(&world, today()).await;
    let view = world
        .engine
        .cancel_contract(cancelled, Some("cardholder asked".into()))
        .await
        .unwrap();
    assert_eq!(
        view.contract.status,
        coffer_core::contract::ContractStatus::Cancelled
    );
    assert_eq!(
        view.notices_sent.len(),
        1,
        "the cardholder is told: {view:?}"
    );
    let run = run_on(&world, due).await;
    assert_eq!(run.charged.len(), 1, "{run:?}");
    assert_eq!(run.charged[0].contract_id, charged.0);
    assert_eq!(
        world.charges_of(&cards[1].token).await,
        0,
        "no charge after cancelling"
    );
    assert_eq!(occurrence_state(&world, cancelled, 1), "cancelled");
    // Part of the charge from the contract page, then all that is left.
    let part = world
        .engine_on(due)
        .cancel_charge(charged, 1, Some("2.00".into()))
        .await
        .unwrap();
    assert_eq!(part.status.to_string(), "succeeded", "{part:?}");
    assert_eq!(part.amount.to_string(), "2.00 EUR", "{part:?}");
    assert_eq!(part.left.to_string(), "4.00 EUR", "{part:?}");
    let refund = world
        .engine_on(due)
        .cancel_charge(charged, 1, None)
        .await
        .unwrap();
    assert_eq!(refund.status.to_string(), "succeeded", "{refund:?}");
    assert_eq!(refund.amount.to_string(), "4.00 EUR", "the rest");
    assert_eq!(refund.left.to_string(), "0.00 EUR", "{refund:?}");
}

#[tokio::test]
async fn a_contract_first_due_beyond_the_stored_schedule_still_shows_its_next_due_date() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    // Six weeks out: past the notice horizon, so no occurrence is stored yet.
    let first = today().checked_add_days(Days::new(42)).unwrap();
    let created = world
        .engine
        .create_contract(ContractInput {
            card: card.id,
            amount: Some("3.00".into()),
            frequency: Some(Frequency::Monthly { day: first.day() }),
            start: Some(first),
            ..ContractInput::default()
        })
        .await
        .unwrap();
    let shown = world
        .engine
        .show_contract(created.contract.id)
        .await
        .unwrap();
    assert!(
        shown.occurrences.is_empty(),
        "the schedule is stored only through the notice horizon: {:?}",
        shown.occurrences
    );
    assert_eq!(
        created.next_due,
        Some(first),
        "the owner sees when the first charge will be, right after creating the contract"
    );
    let listed = world
        .engine
        .list_contracts(Vec::new(), None, None)
        .await
        .unwrap();
    assert_eq!(listed[0].next_due, Some(first), "the list shows it too");
    let paused = world
        .engine
        .pause_contract(created.contract.id)
        .await
        .unwrap();
    assert_eq!(
        paused.next_due, None,
        "a paused contract has no next charge"
    );
}
