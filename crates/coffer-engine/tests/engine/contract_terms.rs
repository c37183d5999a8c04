//! Changing a contract's terms tells the cardholder and never charges beyond their consent
//! (issue 21): a notice of the change, new consent for a higher amount, a new initial
//! transaction above Svea's original amount or Assist's registered maximum; skip and pause
//! cancel announced charges with a notice, and resume announces the next one.

use chrono::Days;
use coffer_core::contract::{Frequency, OccurrenceState};
use coffer_core::NoticeKind;
use coffer_engine::contracts::{ContractEdit, ContractInput};
use coffer_engine::due::{DueRun, DueSummary};
use coffer_engine::ErrorKind;
use coffer_store::repo::prelude::*;

use crate::*;

/// The text of a delivered `.eml`, with quoted-printable soft line breaks joined.
fn eml(location: &str) -> String {
    std::fs::read_to_string(location)
        .unwrap()
        .replace("=\r\n", "")
        .replace("=\n", "")
}

/// Judges the due run as of `date` without sending or writing anything.
async fn dry_run(world: &World, date: chrono::NaiveDate) -> DueSummary {
    world
        .engine
        .run_due(
            DueRun {
                date: Some(date),
                dry_run: true,
                ..DueRun::default()
            },
            Arc::new(NoProgress),
        )
        .await
        .unwrap()
}

fn rules_refusing(run: &DueSummary, contract: ContractId) -> Vec<(String, String)> {
    run.refused
        .iter()
        .filter(|i| i.contract_id == contract.0)
        .flat_map(|i| i.violations.iter())
        .map(|v| (v.rule.clone(), v.message.clone()))
        .collect()
}

/// The details of the audit events of `action`.
async fn audited(world: &World, action: &str) -> Vec<String> {
    world
        .engine
        .list_audit(coffer_engine::audit::AuditQuery {
            action: Some(action.into()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.details.to_string())
        .collect()
}

fn raise(amount: &str) -> ContractEdit {
    ContractEdit {
        amount: Some(amount.into()),
        reason: Some("price change".into()),
        ..ContractEdit::default()
    }
}

#[tokio::test]
async fn a_raise_from_9_90_to_12_90_sends_a_notice_and_is_not_charged_until_consent() {
    let world = World::new().await;
    let card = &world.cards("Clover Downtown", None, 1).await[0];
    let due = due_soon();
    let id = monthly(&world.engine, card.id, "9.90", due)
        .await
        .contract
        .id;

    let preview = world
        .engine
        .preview_contract_edit(id, raise("12.90"))
        .await
        .unwrap();
    assert!(
        preview.consent_needed.is_some() && preview.initial_needed.is_none(),
        "the owner sees before saving that new consent is needed: {preview:?}"
    );
    assert!(
        preview.notice_to.is_some(),
        "and that a notice goes out: {preview:?}"
    );
    assert!(
        world
            .engine
            .show_contract(id)
            .await
            .unwrap()
            .history
            .is_empty(),
        "a preview changes nothing"
    );

    let edited = world
        .engine
        .edit_contract(id, raise("12.90"))
        .await
        .unwrap();
    let change = edited.terms_change.as_ref().expect("what the change did");
    assert_eq!(change.changes.len(), 1, "{change:?}");
    assert_eq!(change.changes[0].term, "amount");
    assert!(change.changes[0].before.starts_with("9.90"), "{change:?}");
    assert!(change.changes[0].after.starts_with("12.90"), "{change:?}");
    assert_eq!(
        change.effective_occurrence,
        Some(1),
        "nothing was announced yet, so the first charge is under the new terms"
    );
    let consent = edited.consent_needed.as_deref().expect("consent needed");
    assert!(
        consent.starts_with("new consent needed: consented up to 9.90")
            && consent.contains("contract now 12.90"),
        "{consent}"
    );
    let notice = edited
        .notices_sent
        .iter()
        .find(|n| n.kind == NoticeKind::TermsChange)
        .unwrap_or_else(|| panic!("a notice of the change: {edited:?}"));
    let text = eml(&notice.location);
    assert!(
        text.contains("9.90") && text.contains("12.90"),
        "the notice says what changed, old and new: {text}"
    );
    assert!(
        text.contains("charge 1 on") && text.contains(&due.to_string()),
        "and from when: {text}"
    );
    assert!(
        text.contains("told of again at least 3 days before it is made"),
        "and that the first charge under them is announced first: {text}"
    );
    assert!(text.contains("cancel"), "and how to cancel: {text}");
    assert!(
        audited(&world, "contract_edited")
            .await
            .iter()
            .any(|details| details.contains("12.90") && details.contains("changes")),
        "the change is audited"
    );

    let pending = world.engine.pending_notices(Vec::new()).await.unwrap();
    let owed = pending
        .iter()
        .find(|p| p.contract_id == id.0)
        .expect("the first charge's notice is owed");
    assert!(
        owed.held
            .as_deref()
            .is_some_and(|why| why.starts_with("new consent needed")),
        "and says why it is held: {owed:?}"
    );

    // The due run holds the pre-charge notice and the charge until consent.
    let before = world.sandbox_charges().await;
    let run = run_on(&world, today()).await;
    assert!(
        !run.notices
            .iter()
            .any(|n| n.contract_id == id.0 && n.kind == NoticeKind::PreCharge),
        "a charge waiting for consent is not announced: {run:?}"
    );
    let judged = dry_run(&world, due).await;
    let refused = rules_refusing(&judged, id);
    assert!(
        refused.iter().any(|(rule, why)| rule == "terms_consented"
            && why.starts_with("new consent needed: consented up to 9.90")),
        "{refused:?}"
    );
    assert_eq!(world.sandbox_charges().await, before, "nothing charged");
    let due_list = world.engine.upcoming_charges(Vec::new(), 40).await.unwrap();
    let listed = due_list
        .iter()
        .find(|c| c.contract_id == id.0)
        .expect("the held charge is on the due list");
    let held = listed
        .held
        .as_ref()
        .expect("marked as held on the due list");
    assert!(
        !held.new_initial && held.reason.starts_with("new consent needed"),
        "{held:?}"
    );

    let consented = world
        .engine
        .record_contract_consent(id, "I agree to 12.90 a month from now on.".into())
        .await
        .unwrap();
    let due_list = world.engine.upcoming_charges(Vec::new(), 40).await.unwrap();
    assert!(
        due_list
            .iter()
            .filter(|c| c.contract_id == id.0)
            .all(|c| c.held.is_none()),
        "no longer held once consented"
    );
    assert_eq!(consented.consent_needed, None);
    assert!(!consented.done.is_empty());
    assert_eq!(
        audited(&world, "contract_consent_recorded").await.len(),
        1,
        "recording consent is audited"
    );
    let run = run_on(&world, today()).await;
    let announced = run
        .notices
        .iter()
        .find(|n| n.contract_id == id.0 && n.kind == NoticeKind::PreCharge)
        .unwrap_or_else(|| panic!("announced once consented: {run:?}"));
    let text = eml(&announced.sent.as_ref().unwrap().location);
    assert!(text.contains("12.90"), "{text}");
    let run = run_on(&world, due).await;
    assert_eq!(run.charged.len(), 1, "{run:?}");
    assert_eq!(run.charged[0].amount.minor, 1290, "{run:?}");
}

#[tokio::test]
async fn svea_above_the_original_amount_waits_for_a_new_initial_not_just_consent() {
    let world = World::new().await;
    let card = &world.cards("Svea Demo Helsinki", None, 1).await[0];
    let due = due_soon();
    let created = monthly(&world.engine, card.id, "2.00", due).await;
    let id = created.contract.id;
    let original = created.contract.original_amount.expect("Svea knows it");
    let above = coffer_core::Money::from_minor(original.minor + 100, original.currency);

    let preview = world
        .engine
        .preview_contract_edit(id, raise(&above.to_decimal('.')))
        .await
        .unwrap();
    assert!(preview.initial_needed.is_some(), "{preview:?}");
    let edited = world
        .engine
        .edit_contract(id, raise(&above.to_decimal('.')))
        .await
        .unwrap();
    let why = edited
        .initial_needed
        .as_deref()
        .expect("a new initial needed");
    assert!(
        why.contains("Svea's original payment amount") && why.contains("new consent is not enough"),
        "{why}"
    );
    let consented = world
        .engine
        .record_contract_consent(id, "I agree to the new amount.".into())
        .await
        .unwrap();
    assert!(
        consented.initial_needed.is_some(),
        "consent alone is not enough above the original amount"
    );
    let due_list = world.engine.upcoming_charges(Vec::new(), 40).await.unwrap();
    assert!(
        due_list
            .iter()
            .filter(|c| c.contract_id == id.0)
            .any(|c| c.held.as_ref().is_some_and(|h| h.new_initial)),
        "the due list says it waits for a new initial payment"
    );
    let refused = rules_refusing(&dry_run(&world, due).await, id);
    assert!(
        refused.iter().any(|(rule, why)| rule == "terms_consented"
            && why.starts_with("new initial transaction needed")),
        "{refused:?}"
    );

    let renewed = world
        .engine
        .renew_contract_initial(id, None, "I agree to the new amount.".into())
        .await
        .unwrap();
    assert_eq!(renewed.initial_needed, None, "{renewed:?}");
    assert_eq!(renewed.consent_needed, None, "{renewed:?}");
    assert_eq!(renewed.contract.original_amount, Some(above));
    assert_eq!(
        audited(&world, "contract_initial_renewed").await.len(),
        1,
        "the new initial of the contract is audited"
    );
    run_on(&world, today()).await;
    let run = run_on(&world, due).await;
    assert_eq!(run.charged.len(), 1, "{run:?}");
    assert_eq!(run.charged[0].amount, above);
}

#[tokio::test]
async fn assist_above_the_registered_maximum_waits_for_a_new_initial() {
    let world = World::new().await;
    let merchant = world.merchant_id("Assist Minsk").await;
    let card = world
        .engine
        .list_cards(CardSearch {
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
    let store = world.store();
    store
        .set_card_consent(
            card_id(&card),
            &coffer_core::Consent {
                given_at: chrono::Utc::now(),
                terms: "recurring terms".into(),
            },
        )
        .unwrap();
    store
        .set_card_initial(
            card_id(&card),
            &coffer_core::InitialTransaction {
                reference: coffer_core::ProviderRef("BILL-1".into()),
                amount: Some(coffer_core::Money::from_minor(
                    2000,
                    coffer_core::Currency::BYN,
                )),
                at: chrono::Utc::now() - chrono::Duration::days(60),
                kind: coffer_core::InitialKind::Recurring,
                registered: None,
            },
        )
        .unwrap();
    let created = world
        .engine
        .create_contract(ContractInput {
            card: card.id,
            max_amount: Some("20.00".into()),
            min_amount: Some("1.00".into()),
            frequency: Some(Frequency::EveryDays { days: 30 }),
            start: Some(due_soon()),
            end: today().checked_add_days(Days::new(365)),
            ..ContractInput::default()
        })
        .await
        .unwrap();
    let id = created.contract.id;
    assert_eq!(
        created.contract.registered_max.map(|m| m.to_string()),
        Some("20.00 BYN".into()),
        "Coffer registers the contract's maximum"
    );
    let edited = world
        .engine
        .edit_contract(
            id,
            ContractEdit {
                max_amount: Some("25.00".into()),
                ..ContractEdit::default()
            },
        )
        .await
        .unwrap();
    let why = edited
        .initial_needed
        .as_deref()
        .expect("a new initial needed");
    assert!(why.contains("RecurringMaxAmount"), "{why}");
    world
        .engine
        .record_contract_consent(id, "I agree to up to 25.00.".into())
        .await
        .unwrap();
    let refused = rules_refusing(&dry_run(&world, due_soon()).await, id);
    assert!(
        refused.iter().any(|(rule, why)| rule == "terms_consented"
            && why.starts_with("new initial transaction needed")
            && why.contains("RecurringMaxAmount")),
        "consent is not enough above RecurringMaxAmount: {refused:?}"
    );
    let err = world
        .engine
        .renew_contract_initial(id, None, "I agree.".into())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(
        err.to_string().contains("payment page"),
        "the owner is told where the new initial is made: {err}"
    );
}

#[tokio::test]
async fn skip_and_pause_after_the_notice_send_a_cancellation_and_resume_announces_the_next() {
    let world = World::new().await;
    let cards = world.cards("Clover Downtown", None, 2).await;
    let due = due_soon();

    // Skip an announced charge.
    let skipped = monthly(&world.engine, cards[0].id, "4.00", due)
        .await
        .contract
        .id;
    run_on(&world, today()).await;
    let view = world.engine.cancel_occurrence(skipped, 1).await.unwrap();
    let cancelled = view
        .notices_sent
        .iter()
        .find(|n| n.kind == NoticeKind::ChargeCancelled && n.occurrence == Some(1))
        .unwrap_or_else(|| panic!("a cancellation of the announced charge: {view:?}"));
    let text = eml(&cancelled.location);
    assert!(
        text.contains("will not be made") && text.contains("4.00"),
        "{text}"
    );
    assert!(
        view.done.iter().any(|d| d.contains("skipped")),
        "{:?}",
        view.done
    );
    let err = world
        .engine
        .restore_occurrence(skipped, 1)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Conflict,
        "the cardholder was told it will not be made: {err}"
    );

    // Pause after the notice, then resume on a later day.
    let start = today().checked_add_days(Days::new(4)).unwrap();
    let paused = world
        .engine
        .create_contract(ContractInput {
            card: cards[1].id,
            amount: Some("6.00".into()),
            frequency: Some(Frequency::EveryDays { days: 8 }),
            start: Some(start),
            ..ContractInput::default()
        })
        .await
        .unwrap()
        .contract
        .id;
    let run = run_on(&world, today()).await;
    assert!(
        run.notices
            .iter()
            .any(|n| n.contract_id == paused.0 && n.occurrence == Some(1)),
        "{run:?}"
    );
    let view = world.engine.pause_contract(paused).await.unwrap();
    assert!(
        view.notices_sent
            .iter()
            .any(|n| n.kind == NoticeKind::ChargeCancelled && n.occurrence == Some(1)),
        "{view:?}"
    );
    assert!(
        view.done.iter().any(|d| d.contains("Undo: resume")),
        "{:?}",
        view.done
    );
    assert_eq!(occurrence_state(&world, paused, 1), "cancelled");
    let later = world.engine_on(today().checked_add_days(Days::new(2)).unwrap());
    let view = later.resume_contract(paused).await.unwrap();
    let next = view
        .notices_sent
        .iter()
        .find(|n| n.kind == NoticeKind::PreCharge)
        .unwrap_or_else(|| panic!("resuming announces the next charge: {view:?}"));
    assert_eq!(next.occurrence, Some(2), "{view:?}");
    let o = world.store().occurrence(paused, 2).unwrap().unwrap();
    assert_eq!(o.state, OccurrenceState::Scheduled);
    assert!(o.notice_sent_at.is_some());
}

#[tokio::test]
async fn an_unannounced_skip_can_be_undone() {
    let world = World::new().await;
    let card = &world.cards("Clover Downtown", None, 1).await[0];
    let id = monthly(&world.engine, card.id, "4.00", due_soon())
        .await
        .contract
        .id;
    let view = world.engine.cancel_occurrence(id, 1).await.unwrap();
    assert!(view.notices_sent.is_empty(), "nothing was announced");
    assert!(
        view.done.iter().any(|d| d.contains("Undo: un-skip")),
        "{:?}",
        view.done
    );
    let view = world.engine.restore_occurrence(id, 1).await.unwrap();
    assert!(
        view.done.iter().any(|d| d.contains("scheduled again")),
        "{:?}",
        view.done
    );
    assert_eq!(occurrence_state(&world, id, 1), "scheduled");
}
