//! The due run: exactly once, in parallel, after a lost answer; Svea's monthly rule; retries.

use std::sync::Arc;

use chrono::Days;
use coffer_core::{ProviderKind, Reason};
use coffer_engine::charge::ChargeInput;
use coffer_engine::due::DueRun;
use coffer_engine::progress::RecordedProgress;
use coffer_store::repo::prelude::*;

use crate::*;

#[tokio::test]
async fn two_runs_at_once_charge_each_due_occurrence_exactly_once() {
    let world = World::new().await;
    let cards = world.cards("Svea Demo Helsinki", None, 5).await;
    let due = due_soon();
    for card in &cards {
        monthly(&world.engine, card.id, "4.20", due).await;
    }
    let notices = run_on(&world, today()).await;
    assert_eq!(
        notices
            .notices
            .iter()
            .filter(|n| n.status.to_string() == "sent")
            .count(),
        cards.len(),
        "one pre-charge notice per contract: {:?}",
        notices.notices
    );
    let before = world.sandbox_charges().await.len();
    // Two engines on one profile (two processes, in effect), started together.
    let (a, b) = (world.engine_on(due), world.engine_on(due));
    let (progress_a, progress_b) = (
        Arc::new(RecordedProgress::default()),
        Arc::new(RecordedProgress::default()),
    );
    let run = |engine: coffer_engine::Engine, progress: Arc<RecordedProgress>| async move {
        engine
            .run_due(
                DueRun {
                    date: Some(due),
                    concurrency: 3,
                    ..DueRun::default()
                },
                progress,
            )
            .await
            .unwrap()
    };
    let (first, second) = tokio::join!(run(a, progress_a.clone()), run(b, progress_b.clone()));
    assert_eq!(
        first.charged.len() + second.charged.len(),
        cards.len(),
        "each occurrence charged by exactly one of the runs: {first:?} {second:?}"
    );
    assert!(
        first.failed.is_empty() && second.failed.is_empty(),
        "{first:?} {second:?}"
    );
    assert_eq!(
        world.sandbox_charges().await.len() - before,
        cards.len(),
        "the provider saw one charge per occurrence"
    );
    for card in &cards {
        assert_eq!(
            world.charges_of(&card.token).await,
            1,
            "card {} once",
            card.id
        );
    }
    // Either run may find everything already taken by the other; each still reports its start,
    // ends its bar (done == total), and between them every occurrence is reported.
    let mut reported = 0;
    for progress in [&progress_a, &progress_b] {
        let events = progress.0.lock().unwrap();
        let mut last_by_merchant = std::collections::BTreeMap::new();
        for event in events.iter() {
            last_by_merchant.insert(event.merchant_id, event);
        }
        assert!(!last_by_merchant.is_empty(), "a run reports its start");
        for last in last_by_merchant.values() {
            assert_eq!(Some(last.done), last.total, "the bar ends full: {events:?}");
            reported += last.done;
        }
    }
    assert!(
        reported >= cards.len() as u64,
        "the two runs reported every occurrence between them"
    );
    // Cron a few minutes later: nothing more.
    let third = run_on(&world, due).await;
    assert!(third.charged.is_empty(), "{third:?}");
    assert_eq!(world.sandbox_charges().await.len() - before, cards.len());
}

#[tokio::test]
async fn a_run_that_lost_its_answer_is_settled_by_the_next_without_a_second_charge() {
    let world = World::new().await;
    // 0019: the sandbox takes the money, then drops the connection, as a run killed mid-charge.
    let card = &world.cards("Svea Demo Helsinki", Some("0019"), 1).await[0];
    let due = due_soon();
    let contract = monthly(&world.engine, card.id, "2.00", due)
        .await
        .contract
        .id;
    run_on(&world, today()).await;
    let first = run_on(&world, due).await;
    assert_eq!(first.failed.len(), 1, "the outcome is unknown: {first:?}");
    assert_eq!(first.failed[0].status.to_string(), "unknown");
    assert_eq!(
        world.charges_of(&card.token).await,
        1,
        "the provider took it once"
    );
    let second = run_on(&world, due).await;
    assert!(
        second.charged.is_empty() && second.failed.is_empty(),
        "{second:?}"
    );
    assert_eq!(second.skipped.len(), 1, "{second:?}");
    assert_eq!(
        occurrence_state(&world, contract, 1),
        "charged",
        "the provider's record settled it"
    );
    assert_eq!(
        world.charges_of(&card.token).await,
        1,
        "and it was never sent again"
    );
}

#[tokio::test]
async fn svea_refuses_a_second_charge_in_a_month_before_the_wire() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    // The owner charged the card by hand (recurring, on its own: no contract yet) the day before
    // the contract's first charge falls due.
    let manual = world
        .engine_on(due.checked_sub_days(Days::new(1)).unwrap())
        .charge_card(ChargeInput {
            card: card_id(card),
            amount: "3.00".into(),
            reason: Reason::Recurring,
            merchant: None,
            idempotency_key: None,
            description: None,
            confirm_large: false,
        })
        .await
        .unwrap();
    assert_eq!(manual.status.to_string(), "succeeded", "{manual:?}");
    monthly(&world.engine, card.id, "3.00", due).await;
    run_on(&world, today()).await;
    let before = world.sandbox_charges().await;
    let run = run_on(&world, due).await;
    assert_eq!(run.refused.len(), 1, "{run:?}");
    assert!(
        run.refused[0]
            .violations
            .iter()
            .any(|v| v.rule == "svea_monthly"),
        "refused by Svea's monthly rule: {:?}",
        run.refused[0].violations
    );
    assert_eq!(
        world.sandbox_charges().await,
        before,
        "nothing reached Svea"
    );
}

#[tokio::test]
async fn a_late_notice_refuses_the_charge() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    monthly(&world.engine, card.id, "3.00", due).await;
    // No run sent the notice in time: the first run is on the due date itself.
    let before = world.sandbox_charges().await;
    let run = run_on(&world, due).await;
    assert!(
        run.notices
            .iter()
            .all(|n| n.kind != coffer_core::NoticeKind::PreCharge),
        "a notice too late to count is not sent: {:?}",
        run.notices
    );
    assert_eq!(run.refused.len(), 1, "{run:?}");
    assert!(
        run.refused[0]
            .violations
            .iter()
            .any(|v| v.rule == "notice_sent"),
        "{:?}",
        run.refused[0].violations
    );
    assert_eq!(world.sandbox_charges().await, before);
    // Time cannot fix a late notice: later runs leave the occurrence alone.
    let again = run_on(&world, due).await;
    assert!(again.refused.is_empty(), "judged once: {again:?}");
    assert_eq!(world.sandbox_charges().await, before);
}

#[tokio::test]
async fn soft_declines_are_retried_on_later_days_and_hard_declines_never() {
    let world = World::new().await;
    let soft = &world.cards("Svea Demo Helsinki", Some("0341"), 1).await[0];
    let hard = &world.cards("Svea Demo Helsinki", Some("0002"), 1).await[0];
    let due = due_soon();
    let soft_contract = monthly(&world.engine, soft.id, "2.50", due)
        .await
        .contract
        .id;
    let hard_contract = monthly(&world.engine, hard.id, "2.50", due)
        .await
        .contract
        .id;
    run_on(&world, today()).await;
    let first = run_on(&world, due).await;
    assert_eq!(first.declined.len(), 2, "{first:?}");
    assert!(
        first
            .declined
            .iter()
            .any(|d| d.contract_id == hard_contract.0 && d.hard_decline),
        "{first:?}"
    );
    let same_day = run_on(&world, due).await;
    assert_eq!(same_day.skipped.len(), 2, "one try a day: {same_day:?}");
    let next_day = run_on(&world, due.checked_add_days(Days::new(1)).unwrap()).await;
    let retried: Vec<_> = next_day
        .declined
        .iter()
        .filter(|d| d.contract_id == soft_contract.0)
        .collect();
    assert_eq!(
        retried.len(),
        1,
        "the soft decline is retried: {next_day:?}"
    );
    assert_eq!(retried[0].try_number, Some(2), "with a new try number");
    assert!(
        next_day
            .skipped
            .iter()
            .any(|s| s.contract_id == hard_contract.0
                && s.message.as_deref().unwrap_or("").contains("hard decline")),
        "the hard decline is never retried: {next_day:?}"
    );
    assert_eq!(
        world.charges_of(&hard.token).await,
        1,
        "the hard-declined card was tried once"
    );
}

#[tokio::test]
async fn an_assist_charge_goes_to_rp_cfm_against_its_registered_initial_without_recurring_terms() {
    let world = World::new().await;
    let merchant = world.merchant_id("Assist Minsk").await;
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
        .find(|c| {
            c.mit_ready
                && !c.expired
                && !c.expiring_soon
                && !SPECIAL_LAST4.contains(&c.last4.as_str())
                && store
                    .customer(coffer_core::CustomerId(c.customer_id))
                    .unwrap()
                    .email
                    .is_some()
        })
        .unwrap();
    // A seeded initial: authorized on Assist's payment page with RecurringIndicator=1 and the
    // terms registered there (1.00 to 500.00 every 30 days), as assist.md §3.3 describes.
    // The sandbox keeps real time; the test runs a month ahead, so let the initial payment lie
    // two months back on both sides.
    reqwest::Client::new()
        .put(format!(
            "{}/__sandbox/rules",
            world.sandbox.urls.of(ProviderKind::Assist)
        ))
        .json(&serde_json::json!({"enforce_period": false}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let mut recorded = store.card(card_id(&card)).unwrap().initial.unwrap();
    recorded.at -= chrono::Duration::days(60);
    store.set_card_initial(card_id(&card), &recorded).unwrap();
    let start = due_soon();
    let contract = world
        .engine
        .create_contract(coffer_engine::contracts::ContractInput {
            card: card.id,
            max_amount: Some("20.00".into()),
            min_amount: Some("1.00".into()),
            frequency: Some(coffer_core::contract::Frequency::EveryDays { days: 30 }),
            start: Some(start),
            end: start.checked_add_days(Days::new(365)),
            ..Default::default()
        })
        .await
        .unwrap();
    run_on(&world, today()).await;
    let run = run_on(&world, start).await;
    assert_eq!(run.charged.len(), 1, "{run:?}");
    assert_eq!(run.charged[0].contract_id, contract.contract.id.0);
    let charges = world.sandbox_charges().await;
    let sent = charges
        .iter()
        .rev()
        .find(|c| c["provider"] == "assist" && c["kind"] == "charge")
        .unwrap();
    let flags = sent["stored_credential"].to_string();
    for field in [
        "RecurringMinAmount",
        "RecurringMaxAmount",
        "RecurringPeriod",
        "RecurringMaxDate",
    ] {
        assert!(
            !flags.contains(field),
            "rp.cfm's parameters have no {field}: the terms were registered with the initial: {flags}"
        );
    }
}

#[tokio::test]
async fn a_contract_past_its_end_date_ends_without_another_charge() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    let contract = world
        .engine
        .create_contract(coffer_engine::contracts::ContractInput {
            card: card.id,
            amount: Some("2.00".into()),
            frequency: Some(coffer_core::contract::Frequency::Monthly {
                day: chrono::Datelike::day(&due),
            }),
            end: Some(due),
            ..Default::default()
        })
        .await
        .unwrap()
        .contract
        .id;
    run_on(&world, today()).await;
    // Nobody ran on the due date; the next run is after the end date.
    let before = world.sandbox_charges().await;
    let run = run_on(&world, due.checked_add_days(Days::new(3)).unwrap()).await;
    assert_eq!(run.contracts_ended, vec![contract.0], "{run:?}");
    assert!(run.charged.is_empty() && run.refused.is_empty(), "{run:?}");
    assert_eq!(
        world.sandbox_charges().await,
        before,
        "nothing charged after the end"
    );
    let shown = world.engine.show_contract(contract).await.unwrap();
    assert_eq!(
        shown.contract.status,
        coffer_core::contract::ContractStatus::Ended
    );
    assert_eq!(occurrence_state(&world, contract, 1), "cancelled");
}

#[tokio::test]
async fn a_contract_edited_after_its_notice_is_not_charged_for_either_amount() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    let contract = monthly(&world.engine, card.id, "2.00", due)
        .await
        .contract
        .id;
    // The notice tells the cardholder 2.00; then the owner raises the price.
    run_on(&world, today()).await;
    let edited = world
        .engine
        .edit_contract(
            contract,
            coffer_engine::contracts::ContractEdit {
                amount: Some("3.00".into()),
                reason: Some("price up".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(
        edited
            .notices_sent
            .iter()
            .any(|n| n.kind == coffer_core::NoticeKind::ChargeCancelled && n.occurrence == Some(1)),
        "the announced 2.00 is no longer the contract's amount: it is cancelled and the \
         cardholder told, and 3.00 was never announced: {edited:?}"
    );
    assert_eq!(occurrence_state(&world, contract, 1), "cancelled");
    let before = world.sandbox_charges().await;
    let run = run_on(&world, due).await;
    assert!(run.charged.is_empty(), "{run:?}");
    assert_eq!(
        world.sandbox_charges().await,
        before,
        "nothing reached Svea"
    );
}

#[tokio::test]
async fn a_recurring_charge_by_hand_beside_a_contract_is_refused_before_the_wire() {
    let world = World::new().await;
    let card = &world.cards("Clover Downtown", None, 1).await[0];
    let due = due_soon();
    let contract = monthly(&world.engine, card.id, "4.00", due)
        .await
        .contract
        .id;
    let by_hand = |reason| ChargeInput {
        card: card_id(card),
        amount: "4.00".into(),
        reason,
        merchant: None,
        idempotency_key: None,
        description: None,
        confirm_large: false,
    };
    let before = world.sandbox_charges().await;
    let refused = world
        .engine
        .charge_card(by_hand(Reason::Recurring))
        .await
        .unwrap();
    assert_eq!(refused.status.to_string(), "refused", "{refused:?}");
    assert!(
        refused
            .violations
            .iter()
            .any(|v| v.rule == "contract_active" && v.message.contains(&contract.to_string())),
        "the contract is named: {:?}",
        refused.violations
    );
    assert_eq!(
        world.sandbox_charges().await,
        before,
        "nothing reached Clover, so the due run cannot make it a second charge of the period"
    );
    let one_off = world
        .engine
        .charge_card(by_hand(Reason::Unscheduled))
        .await
        .unwrap();
    assert_eq!(
        one_off.status.to_string(),
        "succeeded",
        "a one-off charge beside the contract is the owner's to make: {one_off:?}"
    );
}

/// A due summary as a plan: each notice and charge with what became of it, a preview's
/// "would" read as the run's "did", failures and refusals with their rules.
fn plan(summary: &coffer_engine::due::DueSummary) -> Vec<String> {
    let mut lines: Vec<String> = summary
        .notices
        .iter()
        .map(|n| {
            let status = match n.status.to_string().as_str() {
                "would_send" | "sent" => "goes out".to_string(),
                other => other.to_string(),
            };
            format!(
                "notice {:?} contract {} occurrence {:?}: {status}",
                n.kind, n.contract_id, n.occurrence
            )
        })
        .collect();
    let items = [
        ("charged", &summary.charged),
        ("charged", &summary.would_charge),
        ("declined", &summary.declined),
        ("refused", &summary.refused),
        ("skipped", &summary.skipped),
        ("failed", &summary.failed),
    ];
    for (what, list) in items {
        for item in list {
            let rules: Vec<&str> = item.violations.iter().map(|v| v.rule.as_str()).collect();
            lines.push(format!(
                "charge contract {} occurrence {} of {}: {what} {rules:?}",
                item.contract_id, item.occurrence, item.amount
            ));
        }
    }
    lines.push(format!("ended {:?}", summary.contracts_ended));
    lines.sort();
    lines
}

async fn preview_then_run(world: &World, engine: &coffer_engine::Engine, date: chrono::NaiveDate) {
    let merchant = coffer_core::MerchantId(world.merchant_id("ProcessOut Paris").await);
    let run = DueRun {
        date: Some(date),
        merchants: vec![merchant].into(),
        ..DueRun::default()
    };
    let preview = world
        .engine
        .run_due(
            DueRun {
                dry_run: true,
                ..run.clone()
            },
            Arc::new(RecordedProgress::default()),
        )
        .await
        .unwrap();
    assert!(preview.dry_run);
    let done = engine
        .run_due(run, Arc::new(RecordedProgress::default()))
        .await
        .unwrap();
    assert_eq!(
        plan(&preview),
        plan(&done),
        "the preview on {date} predicts the run\npreview: {preview:#?}\nrun: {done:#?}"
    );
    assert!(
        !plan(&done).iter().all(|l| l.starts_with("ended")),
        "the run on {date} did something to compare: {done:?}"
    );
}

#[tokio::test]
async fn the_preview_predicts_the_run_with_a_notice_lead_of_zero_and_more() {
    for lead in [0u32, 3] {
        let world = World::new().await;
        let merchant = coffer_core::MerchantId(world.merchant_id("ProcessOut Paris").await);
        world
            .engine
            .edit_merchant(
                merchant,
                coffer_engine::merchants::MerchantEdit {
                    notice_lead_days: Some(lead),
                    ..Default::default()
                },
                None,
            )
            .await
            .unwrap();
        let cards = world.cards("ProcessOut Paris", None, 3).await;
        let due = paris_today()
            .checked_add_days(Days::new(u64::from(lead)))
            .unwrap();
        for card in &cards {
            monthly(&world.engine, card.id, "2.50", due).await;
        }
        let before = world.sandbox_charges().await.len();
        // Today: the pre-charge notices (and, with no lead, the charges in the same run).
        preview_then_run(&world, &world.engine, paris_today()).await;
        if lead > 0 {
            // The due date: the notices went out `lead` days before, the charges go now.
            preview_then_run(&world, &world.engine_on(due), due).await;
        }
        assert_eq!(
            world.sandbox_charges().await.len() - before,
            cards.len(),
            "lead {lead}: only the runs charged, once per contract"
        );
    }
}

#[tokio::test]
async fn an_assist_contract_whose_initial_is_a_one_click_order_is_refused_to_re_enroll_and_a_recurring_one_is_charged(
) {
    let world = World::new().await;
    let merchant = world.merchant_id("Assist Minsk").await;
    let store = world.store();
    let cards = world
        .engine
        .list_cards(coffer_engine::search::CardSearch {
            merchant: Some(coffer_core::MerchantId(merchant)),
            active_only: true,
            limit: Some(1000),
            ..Default::default()
        })
        .await
        .unwrap();
    // The demo seed has a card whose initial was a One Click payment: flagged, not MIT-ready.
    let demo_one_click = cards
        .iter()
        .find(|c| c.initial_kind.as_deref() == Some("one_click"))
        .expect("the demo shows a card to re-enroll");
    assert!(!demo_one_click.mit_ready, "{demo_one_click:?}");
    assert!(
        demo_one_click
            .reenroll
            .as_deref()
            .is_some_and(|why| why.contains("re-enroll")),
        "{demo_one_click:?}"
    );
    // Two sound cards with recurring-registered initials: one stays so, the other's initial is
    // then recorded as a One Click order (as the upgrade marks a Token Pay initial).
    let good: Vec<&CardView> = cards
        .iter()
        .filter(|c| {
            c.mit_ready
                && c.initial_kind.as_deref() == Some("recurring")
                && !c.expired
                && !c.expiring_soon
                && !SPECIAL_LAST4.contains(&c.last4.as_str())
                && c.last4.parse::<u32>().is_ok_and(|n| n >= 1000)
                && store
                    .customer(coffer_core::CustomerId(c.customer_id))
                    .unwrap()
                    .email
                    .is_some()
        })
        .take(2)
        .collect();
    assert_eq!(good.len(), 2, "two demo cards with recurring initials");
    reqwest::Client::new()
        .put(format!(
            "{}/__sandbox/rules",
            world.sandbox.urls.of(ProviderKind::Assist)
        ))
        .json(&serde_json::json!({"enforce_period": false}))
        .send()
        .await
        .unwrap()
        .error_for_status()
        .unwrap();
    let start = due_soon();
    let mut contracts = Vec::new();
    for card in &good {
        let mut recorded = store.card(card_id(card)).unwrap().initial.unwrap();
        recorded.at -= chrono::Duration::days(60);
        store.set_card_initial(card_id(card), &recorded).unwrap();
        let contract = world
            .engine
            .create_contract(coffer_engine::contracts::ContractInput {
                card: card.id,
                max_amount: Some("20.00".into()),
                min_amount: Some("1.00".into()),
                frequency: Some(coffer_core::contract::Frequency::EveryDays { days: 30 }),
                start: Some(start),
                end: start.checked_add_days(Days::new(365)),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(contract.reenroll.is_none(), "{contract:?}");
        contracts.push(contract.contract.id.0);
    }
    let flagged = card_id(good[1]);
    let mut one_click = store.card(flagged).unwrap().initial.unwrap();
    one_click.kind = coffer_core::InitialKind::OneClick;
    store.set_card_initial(flagged, &one_click).unwrap();
    let view = world
        .engine
        .show_contract(coffer_core::ContractId(contracts[1]))
        .await
        .unwrap();
    let why = view.reenroll.clone().expect("the contract shows re-enroll");
    assert!(why.contains(one_click.reference.as_str()), "{why}");

    run_on(&world, today()).await;
    let before = world.sandbox_charges().await;
    let run = run_on(&world, start).await;
    assert_eq!(run.charged.len(), 1, "{run:?}");
    assert_eq!(
        run.charged[0].contract_id, contracts[0],
        "the recurring-registered initial is charged through rp.cfm"
    );
    let refused = run
        .refused
        .iter()
        .find(|i| i.contract_id == contracts[1])
        .unwrap_or_else(|| panic!("the One Click contract is refused: {run:?}"));
    let rule = refused
        .violations
        .iter()
        .find(|v| v.rule == "assist_recurring_initial")
        .unwrap_or_else(|| panic!("with the re-enroll rule: {refused:?}"));
    assert_eq!(
        rule.message, why,
        "the same why on the contract and the refusal"
    );
    let sent: Vec<_> = world
        .sandbox_charges()
        .await
        .into_iter()
        .skip(before.len())
        .filter(|c| c["provider"] == "assist")
        .collect();
    assert_eq!(
        sent.len(),
        1,
        "only the recurring one reached Assist: {sent:?}"
    );
    assert_eq!(
        sent[0]["card_token"], good[0].token,
        "the charge sent was the recurring card's: {sent:?}"
    );
}
