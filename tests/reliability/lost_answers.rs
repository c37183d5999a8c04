//! Answers lost after the provider acted (issue 19), on each of the four providers: the
//! sandbox makes the charge or refund in full, then a proxy answers `502 Bad Gateway`
//! (`error_after_write_next`), with and without the provider's lookups lagging behind
//! (`lookup_lag_secs`). Such an attempt must never be failed: it stays unknown until the
//! provider's record settles it, a resend happens only where the provider's own guard makes it
//! safe (Clover and ProcessOut: the same Idempotency-Key; Svea: the same pmt_id, answered as a
//! duplicate; Assist and refunds: never), and each ends as exactly one charge or refund at the
//! provider with its succeeded ledger row. In-process engine and sandboxes; no keyring.

use std::time::Duration;

use coffer_core::{AttemptId, CardId, ChargeAttempt, ChargeState, Reason};
use coffer_engine::charge::ChargeInput;
use coffer_engine::charge::ChargeQuery;
use coffer_engine::reconcile::{ReconcileSummary, DEFAULT_GRACE_SECS};
use coffer_engine::refunds::RefundInput;
use serde_json::json;

use crate::report::{self, Row, PROVIDERS};
use crate::world::{failed, tally, Findings, Kept, Made, World};

/// The charges of these tests (minor units).
/// At most 5.00: Svea caps a token's charges at its initial payment, 5.00 or more in the seed.
const CHARGE_MINOR: i64 = 441;
/// Their refunds.
const REFUND_MINOR: i64 = 200;
/// The lag of the lagging scenarios: long enough that a reconcile right after the charge falls
/// inside it on a slow machine, short enough to wait out.
const LAG_SECS: u64 = 5;
/// More 502s than any client tries one write: every answer to it is lost.
const EVERY_ANSWER: u32 = 10;

/// Does a provider's client send a write again under the same key when a proxy answers 502
/// (Clover charges, ProcessOut)? Then a single 502 is absorbed and the charge succeeds at once.
fn resends_on_a_502(provider: &str) -> bool {
    matches!(provider, "clover" | "processout")
}

/// A manual charge of 4.41 on `card` (recurring: Svea takes no other MIT; Assist sends it
/// through rp.cfm against the card's initial order).
fn charge_of(card: i64) -> ChargeInput {
    ChargeInput {
        card: CardId(card),
        amount: "4.41".into(),
        reason: Reason::Recurring,
        merchant: None,
        idempotency_key: None,
        description: None,
        confirm_large: false,
    }
}

async fn row_of(world: &World, id: i64) -> ChargeAttempt {
    world
        .engine
        .list_charges(ChargeQuery {
            limit: Some(10_000),
            ..ChargeQuery::default()
        })
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.id.0 == id)
        .unwrap_or_else(|| panic!("attempt {id} is in the ledger"))
}

/// Arms `error_after_write_next: n` (writes only), runs `work`, then reads what is left of the
/// counter and clears it: the 502s served while `work` ran.
async fn with_502s<T>(
    world: &World,
    n: u32,
    work: impl std::future::Future<Output = T>,
) -> (T, u64) {
    world
        .faults(json!({"error_after_write_next": n, "next_writes_only": true}))
        .await;
    let out = work.await;
    let left = world.knobs().await.error_after_write_next;
    world
        .faults(json!({"error_after_write_next": 0, "next_writes_only": false}))
        .await;
    (out, u64::from(n - left))
}

fn unresolved_ids(summary: &ReconcileSummary) -> Vec<i64> {
    summary.unresolved.iter().map(|a| a.attempt_id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_the_provider_made_and_answered_with_a_502_is_never_failed_and_reconcile_settles_it_by_its_record(
) {
    let world = World::new(20).await;
    let mut findings = Findings::default();
    let mut rows = Vec::new();
    for provider in PROVIDERS {
        let merchant = world.merchant(provider).await;
        let cards = world.usable_cards(merchant, 0, 2).await;
        for (card, (scenario, n)) in cards.iter().zip([
            ("charge: 502 once", 1),
            ("charge: every answer 502", EVERY_ANSWER),
        ]) {
            let (sent, injected) =
                with_502s(&world, n, world.engine.charge_card(charge_of(card.id))).await;
            let sent = sent.unwrap();
            let id = sent.attempt_id.expect("the charge was planned and sent");
            let state = row_of(&world, id).await.state;
            findings.check(!failed(state), || {
                format!("{provider}, {scenario}: the provider made the charge, so it is never {state}: {sent:?}")
            });
            let must_be_open = n == EVERY_ANSWER || !resends_on_a_502(provider);
            findings.check(!must_be_open || state == ChargeState::Sending, || {
                format!("{provider}, {scenario}: no answer reached Coffer, so the outcome is unknown (sending), not {state}")
            });
            // First by the record only: the default grace leaves no room for a resend. What
            // that leaves open is reconciled once more past the grace, where a resend rule may
            // settle it: nothing may be left for a person on a provider that has one.
            let mut summary = world
                .engine
                .reconcile(chrono::Duration::seconds(DEFAULT_GRACE_SECS))
                .await
                .unwrap();
            let by_record = row_of(&world, id).await.state;
            if by_record == ChargeState::Sending {
                summary = world
                    .engine
                    .reconcile(chrono::Duration::zero())
                    .await
                    .unwrap();
            }
            let after = row_of(&world, id).await;
            findings.check(after.state == ChargeState::Succeeded, || {
                format!(
                    "{provider}, {scenario}: reconcile settles it succeeded (by the provider's \
                     record, or past the grace by a safe resend), not {} ({:?}); after the \
                     first reconcile it was {by_record}; the last one said {summary:?}",
                    after.state, after.message
                )
            });
            let made: Vec<Made> = world
                .made("charge", CHARGE_MINOR)
                .iter()
                .filter(|c| c.card_token == card.token)
                .map(Made::from)
                .collect();
            let t = tally(provider, &made, &[Kept::from(&after)]);
            findings.check(t.made == 1, || {
                format!(
                    "{provider}, {scenario}: exactly one charge at the provider, not {}",
                    t.made
                )
            });
            let left = unresolved_ids(&summary).contains(&id);
            rows.push(Row {
                scenario: scenario.into(),
                provider: provider.into(),
                runs: 1,
                faults: injected,
                fault_mix: report::mix(&[("502", injected)]),
                sandbox_charges: t.made,
                duplicates: t.duplicates,
                lost_records: t.lost,
                wrong_outcomes: t.wrong,
                left_for_a_person: u64::from(left),
                ..Row::default()
            });
        }
    }
    report::record(&rows);
    findings.assert_none("charges answered with a 502 after the provider made them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_charge_answered_502_while_lookups_lag_is_not_failed_during_the_lag_and_is_settled_after_it(
) {
    let world = World::new(20).await;
    let mut findings = Findings::default();
    world.faults(json!({"lookup_lag_secs": LAG_SECS})).await;
    let mut sent = Vec::new();
    let mut injected = Vec::new();
    for provider in PROVIDERS {
        let merchant = world.merchant(provider).await;
        let card = world.usable_cards(merchant, 0, 1).await.remove(0);
        let (result, served) = with_502s(
            &world,
            EVERY_ANSWER,
            world.engine.charge_card(charge_of(card.id)),
        )
        .await;
        let result = result.unwrap();
        let id = result.attempt_id.expect("the charge was planned and sent");
        findings.check(result.status.to_string() == "sending", || {
            format!("{provider}: every answer lost, so the charge is unknown, not {result:?}")
        });
        // During the lag: the provider's lookups show nothing yet. Grace 0, so reconcile goes
        // as far as the resend rule lets it.
        let during = world
            .engine
            .reconcile(chrono::Duration::zero())
            .await
            .unwrap();
        let made_at = world
            .made("charge", CHARGE_MINOR)
            .iter()
            .find(|c| c.card_token == card.token)
            .map(|c| c.at);
        let state = row_of(&world, id).await.state;
        let inside = made_at
            .is_some_and(|at| chrono::Utc::now() - at < chrono::Duration::seconds(LAG_SECS as i64));
        findings.check(!failed(state), || {
            format!("{provider}: reconcile during the lag must not fail a charge the provider made: {state}; {during:?}")
        });
        if !resends_on_a_502(provider) {
            // Svea's resend is answered "duplicate" and looked up again; Assist is never resent.
            findings.check(state == ChargeState::Sending || !inside, || {
                format!("{provider}: during the lag nothing proves the outcome, so it stays open, not {state}")
            });
        }
        let note = during
            .settled
            .iter()
            .chain(&during.unresolved)
            .find(|a| a.attempt_id == id)
            .map(|a| a.note.clone())
            .unwrap_or_default();
        eprintln!(
            "lost answers: {provider} during a {LAG_SECS} s lag: {state} (inside the lag: \
             {inside}): {note}"
        );
        sent.push((provider, id, card.token));
        injected.push(served);
    }
    // Once the last charge is older than the lag, every lookup shows every charge.
    let newest = world
        .made("charge", CHARGE_MINOR)
        .iter()
        .map(|c| c.at)
        .max()
        .unwrap();
    let over = newest + chrono::Duration::seconds(LAG_SECS as i64 + 1) - chrono::Utc::now();
    tokio::time::sleep(over.to_std().unwrap_or_default()).await;
    world.faults(json!({"lookup_lag_secs": 0})).await;
    let after = world
        .engine
        .reconcile(chrono::Duration::zero())
        .await
        .unwrap();
    let mut rows = Vec::new();
    for ((provider, id, token), served) in sent.into_iter().zip(injected) {
        let row = row_of(&world, id).await;
        findings.check(row.state == ChargeState::Succeeded, || {
            format!(
                "{provider}: after the lag reconcile settles it succeeded, not {} ({:?})",
                row.state, row.message
            )
        });
        let made: Vec<Made> = world
            .made("charge", CHARGE_MINOR)
            .iter()
            .filter(|c| c.card_token == token)
            .map(Made::from)
            .collect();
        let t = tally(provider, &made, &[Kept::from(&row)]);
        findings.check(t.made == 1, || {
            format!("{provider}: exactly one charge at the provider (a resend under the lag must not charge again), not {}", t.made)
        });
        let left = unresolved_ids(&after).contains(&id);
        findings.check(!left, || {
            format!("{provider}: nothing is left for a person once the lag is over: {after:?}")
        });
        rows.push(Row {
            scenario: "charge: 502, lookups lagging".into(),
            provider: provider.into(),
            runs: 1,
            faults: served,
            fault_mix: report::mix(&[("502", served)]),
            sandbox_charges: t.made,
            duplicates: t.duplicates,
            lost_records: t.lost,
            wrong_outcomes: t.wrong,
            left_for_a_person: u64::from(left),
            ..Row::default()
        });
    }
    report::record(&rows);
    findings.assert_none("charges answered with a 502 while lookups lag");
}

/// A succeeded charge of 4.41 on a usable card of each provider, in calm weather.
async fn made_charges(world: &World) -> Vec<(&'static str, AttemptId, String)> {
    let mut made = Vec::new();
    for provider in PROVIDERS {
        let merchant = world.merchant(provider).await;
        let card = world.usable_cards(merchant, 0, 1).await.remove(0);
        let result = world.engine.charge_card(charge_of(card.id)).await.unwrap();
        assert_eq!(
            result.status.to_string(),
            "succeeded",
            "{provider}: the charge to refund is made in calm weather: {result:?}"
        );
        made.push((provider, AttemptId(result.attempt_id.unwrap()), card.token));
    }
    made
}

/// The sandbox's refunds of 2.00 of one provider.
fn refunds_at(world: &World, provider: &str) -> u64 {
    world
        .made("refund", REFUND_MINOR)
        .iter()
        .filter(|r| r.provider == provider)
        .count() as u64
}

fn refund_of(charge: AttemptId) -> RefundInput {
    RefundInput {
        charge,
        amount: Some("2.00".into()),
        idempotency_key: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_the_provider_made_and_answered_with_a_502_is_settled_by_its_record_and_never_sent_again(
) {
    let world = World::new(20).await;
    let mut findings = Findings::default();
    let mut rows = Vec::new();
    for (provider, charge, _) in made_charges(&world).await {
        let (refund, served) = with_502s(
            &world,
            EVERY_ANSWER,
            world.engine.refund_charge(refund_of(charge)),
        )
        .await;
        let refund = refund.unwrap();
        findings.check(refund.status == ChargeState::Sending, || {
            format!("{provider}: every answer to the refund lost, so it is unknown, not {refund:?}")
        });
        let summary = world
            .engine
            .reconcile(chrono::Duration::seconds(DEFAULT_GRACE_SECS))
            .await
            .unwrap();
        let row = row_of(&world, refund.attempt_id).await;
        findings.check(row.state == ChargeState::Succeeded, || {
            format!("{provider}: reconcile settles the refund succeeded by the provider's record, not {} ({:?}); {summary:?}", row.state, row.message)
        });
        let made = refunds_at(&world, provider);
        findings.check(made == 1, || {
            format!("{provider}: exactly one refund at the provider, not {made}")
        });
        let left = unresolved_ids(&summary).contains(&refund.attempt_id);
        rows.push(Row {
            scenario: "refund: 502".into(),
            provider: provider.into(),
            runs: 1,
            faults: served,
            fault_mix: report::mix(&[("502", served)]),
            sandbox_charges: made,
            duplicates: made.saturating_sub(1),
            wrong_outcomes: u64::from(made > 0 && failed(row.state)),
            left_for_a_person: u64::from(left),
            ..Row::default()
        });
    }
    report::record(&rows);
    findings.assert_none("refunds answered with a 502 after the provider made them");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_answered_502_while_lookups_lag_is_not_failed_during_the_lag_and_is_settled_after_it(
) {
    let world = World::new(20).await;
    let mut findings = Findings::default();
    let charges = made_charges(&world).await;
    // The charges older than the lag, so that lookups show them and hide only the refunds.
    tokio::time::sleep(Duration::from_secs(LAG_SECS + 1)).await;
    world.faults(json!({"lookup_lag_secs": LAG_SECS})).await;
    let mut refunds = Vec::new();
    for (provider, charge, _) in charges {
        let (refund, served) = with_502s(
            &world,
            EVERY_ANSWER,
            world.engine.refund_charge(refund_of(charge)),
        )
        .await;
        let refund = refund.unwrap();
        findings.check(refund.status == ChargeState::Sending, || {
            format!("{provider}: every answer to the refund lost, so it is unknown, not {refund:?}")
        });
        let during = world
            .engine
            .reconcile(chrono::Duration::zero())
            .await
            .unwrap();
        let row = row_of(&world, refund.attempt_id).await;
        findings.check(!failed(row.state), || {
            format!("{provider}: reconcile during the lag must not fail a refund the provider made: {}; {during:?}", row.state)
        });
        let made = refunds_at(&world, provider);
        findings.check(made == 1, || {
            format!("{provider}: a refund is never sent again: {made} at the provider")
        });
        eprintln!(
            "lost answers: {provider} refund during a {LAG_SECS} s lag: {}",
            row.state
        );
        refunds.push((provider, refund.attempt_id, served));
    }
    tokio::time::sleep(Duration::from_secs(LAG_SECS + 1)).await;
    world.faults(json!({"lookup_lag_secs": 0})).await;
    let after = world
        .engine
        .reconcile(chrono::Duration::zero())
        .await
        .unwrap();
    let mut rows = Vec::new();
    for (provider, id, served) in refunds {
        let row = row_of(&world, id).await;
        findings.check(row.state == ChargeState::Succeeded, || {
            format!(
                "{provider}: after the lag reconcile settles the refund succeeded, not {} ({:?})",
                row.state, row.message
            )
        });
        let made = refunds_at(&world, provider);
        findings.check(made == 1, || {
            format!("{provider}: exactly one refund at the provider, not {made}")
        });
        let left = unresolved_ids(&after).contains(&id);
        findings.check(!left, || {
            format!("{provider}: nothing is left for a person once the lag is over: {after:?}")
        });
        rows.push(Row {
            scenario: "refund: 502, lookups lagging".into(),
            provider: provider.into(),
            runs: 1,
            faults: served,
            fault_mix: report::mix(&[("502", served)]),
            sandbox_charges: made,
            duplicates: made.saturating_sub(1),
            wrong_outcomes: u64::from(made > 0 && failed(row.state)),
            left_for_a_person: u64::from(left),
            ..Row::default()
        });
    }
    report::record(&rows);
    findings.assert_none("refunds answered with a 502 while lookups lag");
}
