//! The due run's charges at volume, with group commit (DESIGN §4, the same three steps as one
//! charge): one task plans and settles, the requests go out beside it.
//!
//! The writer loop takes the answers that came in and the next due occurrences that fit, and
//! writes both in ONE durable transaction: each answer settled (its row, audit event, the
//! occurrence's state, a contract a stop-payment decline ends), each new charge planned (the
//! policy judged again under the write lock, the row committed `sending` with its audit event,
//! each in a savepoint so one refusal costs the others nothing). Only after that commit do the
//! new requests leave. The policy of a charge sees every plan made before it in the same
//! transaction (Svea's one-a-month rule, retry counts), as it sees committed ones.
//!
//! Rows planned and not yet settled never exceed the run's concurrency, nor what the provider
//! lets run at once where it publishes it (Clover: 5 per token), so a crash leaves at most that
//! many `sending` rows for reconcile. Once one answer has come, the loop gathers the others in
//! flight (at most 1 ms) so that one commit settles the whole window and plans the next. A 429 holds the merchant's next plans for its
//! Retry-After, its occurrence is tried again in this run (the provider refused it before
//! processing it), and from then on the run keeps under the provider's published rate
//! (`coffer_core::providers::RateLimit`) instead of meeting the limit again.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use coffer_core::contract::{Occurrence, OccurrenceState};
use coffer_core::providers::RateLimit;
use coffer_core::{AttemptId, CardBrand, ContractId, Merchant};
use coffer_providers::{ChargeOutcome, ChargeRequest, Provider, ProviderError};
use tokio::sync::mpsc;

use super::{
    next_try, not_sent, record_outcome, ApprovedCharge, DueCharge, DueItem, DueRun, DueStatus,
    NextTry,
};
use crate::charge::{stop_payment_of, ChargeResult};
use crate::error::{EngineError, EngineResult};
use crate::pipeline::{
    judge, place_here, rate_limit_wait, settle_here, Answer, Order, Placed, Verdict,
};
use crate::Engine;

/// Occurrences read and judged in one read transaction.
const PREPARE_CHUNK: usize = 256;

/// How long a commit waits for the answers still in flight once one has come.
const GATHER: Duration = Duration::from_millis(1);

/// Times one occurrence is planned again in a run after its provider answered 429.
const RATE_LIMIT_RETRIES: u32 = 3;

/// A due occurrence read from the store and judged.
enum Prepared {
    /// Decided without a request (skipped, or already charged and marked so here).
    Done(DueItem, Option<OccurrenceState>),
    /// Left to the one-at-a-time path: an earlier try still unsettled (reconcile asks the
    /// provider first) or a charge the owner's approval does not cover.
    Alone(Occurrence),
    /// To plan.
    Ready(Box<Ready>),
}

/// A charge ready to plan.
struct Ready {
    item: DueItem,
    occurrence: Occurrence,
    request: ChargeRequest,
    order: Option<Order>,
    brand: CardBrand,
    /// 429s met so far in this run.
    rate_limited: u32,
}

/// A request's answer, back from the wire.
struct Sent {
    ready: Box<Ready>,
    id: AttemptId,
    answer: Result<ChargeOutcome, ProviderError>,
}

/// The decisions of one write transaction, and what to send after it.
struct Committed {
    finished: Vec<DueItem>,
    sending: Vec<(AttemptId, Box<Ready>)>,
    /// Occurrences to try again (a 429), with the try to use and the 429s so far.
    again: Vec<(Occurrence, u32, u32)>,
    /// Items whose occurrence state the next commit writes.
    marks: Vec<(DueItem, OccurrenceState)>,
    /// An answer was a 429.
    rate_limited: bool,
}

impl Engine {
    /// Charges `due` (the occurrences of one merchant, at most one per contract) with group
    /// commit; each finished item goes to `done` as soon as its outcome is written.
    pub(super) async fn charge_due_batched(
        &self,
        merchant: &Merchant,
        due: Vec<Occurrence>,
        today: NaiveDate,
        run: &DueRun,
        done: &mut (dyn FnMut(DueItem) + Send),
    ) -> EngineResult<()> {
        let rules = coffer_core::providers::rules(merchant.provider());
        let limit = rules.rate_limit;
        // In flight at once: the run's concurrency, within the provider's published limit.
        let in_flight_cap = run
            .concurrency
            .max(1)
            .min(limit.map_or(usize::MAX, |l| l.concurrent.max(1) as usize));
        // Planned and not yet settled: the same bound, so a crash leaves at most that many
        // `sending` rows for reconcile.
        let planned_cap = in_flight_cap;
        let provider: Arc<dyn Provider> = Arc::from(self.provider_for(merchant).await?);
        let (answers_tx, mut answers) = mpsc::unbounded_channel::<Sent>();
        let send = |id: AttemptId, ready: Box<Ready>| {
            let (provider, answers_tx) = (provider.clone(), answers_tx.clone());
            tokio::spawn(async move {
                let answer = provider.charge(&ready.request).await;
                // The loop waits for every request it sent; if it ended meanwhile (an error),
                // the row stays `sending` for reconcile.
                let _ = answers_tx.send(Sent { ready, id, answer });
            });
        };
        let mut pending: VecDeque<(Occurrence, Option<(u32, u32)>)> =
            due.into_iter().map(|o| (o, None)).collect();
        let mut queue: VecDeque<Ready> = VecDeque::new();
        let mut armed: VecDeque<(AttemptId, Box<Ready>)> = VecDeque::new();
        let mut came: Vec<Sent> = Vec::new();
        let mut marks: Vec<(DueItem, OccurrenceState)> = Vec::new();
        let mut alone: Vec<Occurrence> = Vec::new();
        let mut pace = Pace::new(limit);
        // Planned and not settled (armed, in flight, answered); in flight.
        let (mut unsettled, mut in_flight) = (0usize, 0usize);
        loop {
            if queue.len() < planned_cap && !pending.is_empty() {
                let take = pending.len().min(PREPARE_CHUNK);
                let chunk: Vec<_> = pending.drain(..take).collect();
                for prepared in self
                    .prepare_due(merchant, chunk, today, run.approved.as_deref())
                    .await?
                {
                    match prepared {
                        Prepared::Done(item, None) => done(item),
                        Prepared::Done(item, Some(state)) => marks.push((item, state)),
                        Prepared::Alone(occurrence) => alone.push(occurrence),
                        Prepared::Ready(ready) => queue.push_back(*ready),
                    }
                }
                continue;
            }
            while let Ok(sent) = answers.try_recv() {
                in_flight -= 1;
                self.heed(merchant, &sent, &mut pace);
                came.push(sent);
            }
            // Committed rows leave as places free up, never while a 429's Retry-After runs and
            // never faster than the pace; `wake` is when the next one may.
            let mut wake = None;
            while in_flight < in_flight_cap && !armed.is_empty() {
                let gate = self.held_until(merchant.id).max(pace.next());
                if gate > tokio::time::Instant::now() {
                    wake = Some(gate);
                    break;
                }
                if let Some((id, ready)) = armed.pop_front() {
                    pace.take();
                    in_flight += 1;
                    send(id, ready);
                }
            }
            let free = planned_cap.saturating_sub(unsettled - came.len());
            if came.is_empty() && marks.is_empty() && (free == 0 || queue.is_empty()) {
                if unsettled == 0 {
                    break;
                }
                // Nothing to write until an answer comes, or until a waiting row may leave.
                let next = match wake {
                    Some(at) => tokio::select! {
                        sent = answers.recv() => sent,
                        () = tokio::time::sleep_until(at) => continue,
                    },
                    None => answers.recv().await,
                };
                match next {
                    Some(sent) => {
                        in_flight -= 1;
                        self.heed(merchant, &sent, &mut pace);
                        came.push(sent);
                    }
                    None => break,
                }
                continue;
            }
            // The other answers are usually a fraction of a commit away: gathering them makes
            // one commit of what would be two, and a commit's sync is most of its cost.
            if !came.is_empty() && in_flight > 0 {
                let until = tokio::time::Instant::now() + GATHER;
                while in_flight > 0 {
                    match tokio::time::timeout_at(until, answers.recv()).await {
                        Ok(Some(sent)) => {
                            in_flight -= 1;
                            self.heed(merchant, &sent, &mut pace);
                            came.push(sent);
                        }
                        _ => break,
                    }
                }
            }
            let free = planned_cap.saturating_sub(unsettled - came.len());
            let mut plans = Vec::new();
            if !queue.is_empty() && free > 0 {
                plans.extend(queue.drain(..free.min(queue.len())));
            }
            let settled_now = came.len();
            let (planned_now, started) = (plans.len(), std::time::Instant::now());
            let committed = self
                .commit_due(std::mem::take(&mut came), std::mem::take(&mut marks), plans)
                .await?;
            unsettled -= settled_now;
            tracing::debug!(
                merchant = merchant.id.0,
                settled = settled_now,
                planned = planned_now,
                in_flight,
                commit_us = started.elapsed().as_micros() as u64,
                "due: one commit"
            );
            for item in committed.finished {
                done(item);
            }
            marks.extend(committed.marks);
            for (occurrence, try_number, times) in committed.again {
                pending.push_front((occurrence, Some((try_number, times))));
            }
            for (id, mut ready) in committed.sending {
                unsettled += 1;
                ready.item.attempt_id = Some(id.0);
                armed.push_back((id, ready));
            }
        }
        // The few left to the careful path, one at a time.
        for occurrence in alone {
            let item = self
                .charge_due(merchant, &occurrence, today, false, run.approved.as_deref())
                .await;
            done(item);
        }
        Ok(())
    }

    /// A 429 among the answers holds the merchant's next requests for its Retry-After and
    /// paces the rest of the run, at once: before any other row leaves.
    fn heed(&self, merchant: &Merchant, sent: &Sent, pace: &mut Pace) {
        if let Some(wait) = rate_limit_wait(&sent.answer) {
            self.hold_writes(merchant.id, wait);
            pace.engage();
        }
    }

    /// Reads and judges `chunk` in one read transaction.
    async fn prepare_due(
        &self,
        merchant: &Merchant,
        chunk: Vec<(Occurrence, Option<(u32, u32)>)>,
        today: NaiveDate,
        approved: Option<&[ApprovedCharge]>,
    ) -> EngineResult<Vec<Prepared>> {
        let read = self
            .read_store(move |store| {
                Ok(chunk
                    .into_iter()
                    .map(|(occurrence, again)| {
                        let found = (|| {
                            let contract = store.contract(occurrence.contract_id)?;
                            let last = store.last_try(occurrence.contract_id, occurrence.number)?;
                            let card = store.card(contract.card_id)?;
                            let customer = store.customer(card.customer_id)?;
                            Ok::<_, coffer_store::StoreError>((contract, last, card, customer))
                        })();
                        (occurrence, again, found)
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        let mut out = Vec::with_capacity(read.len());
        for (occurrence, again, found) in read {
            let mut item = DueItem::of(merchant, &occurrence);
            let (contract, last, card, customer) = match found {
                Ok(found) => found,
                Err(e) => {
                    let e = EngineError::from(e);
                    item.message = Some(format!("{e} ({})", e.kind().code()));
                    out.push(Prepared::Done(item, None));
                    continue;
                }
            };
            item.card_id = contract.card_id.0;
            let (try_number, rate_limited) = match again {
                Some((try_number, times)) => (try_number, times),
                None => match next_try(last.as_ref(), merchant, today) {
                    NextTry::Try(n) => (n, 0),
                    NextTry::InFlight => {
                        out.push(Prepared::Alone(occurrence));
                        continue;
                    }
                    NextTry::Skip(why) => {
                        item.status = DueStatus::Skipped;
                        item.message = Some(why);
                        out.push(Prepared::Done(item, None));
                        continue;
                    }
                    NextTry::AlreadyCharged(why) => {
                        item.status = DueStatus::Skipped;
                        item.message = Some(why);
                        out.push(Prepared::Done(item, Some(OccurrenceState::Charged)));
                        continue;
                    }
                },
            };
            if approved.is_some_and(|a| !ApprovedCharge::covers(a, &occurrence)) {
                out.push(Prepared::Alone(occurrence));
                continue;
            }
            item.try_number = Some(try_number);
            let charge = self.due_charge(
                merchant,
                &occurrence,
                &contract,
                &card,
                &customer,
                today,
                try_number,
            );
            match charge {
                Ok(DueCharge { request, order }) => out.push(Prepared::Ready(Box::new(Ready {
                    item,
                    occurrence,
                    request,
                    order: Some(order),
                    brand: card.brand.clone(),
                    rate_limited,
                }))),
                Err(e) => {
                    item.message = Some(format!("{e} ({})", e.kind().code()));
                    out.push(Prepared::Done(item, None));
                }
            }
        }
        Ok(out)
    }

    /// One durable transaction: `came` settled, `marks` written, `plans` planned.
    async fn commit_due(
        &self,
        came: Vec<Sent>,
        marks: Vec<(DueItem, OccurrenceState)>,
        plans: Vec<Ready>,
    ) -> EngineResult<Committed> {
        let now = self.now();
        // Judged before the transaction: only the writes wait on the lock.
        let mut answered = Vec::with_capacity(came.len());
        for sent in came {
            let wait = rate_limit_wait(&sent.answer);
            let stop_payment = stop_payment_of(&sent.answer, &sent.ready.brand);
            let verdict = judge(Answer::Charge(sent.answer), now);
            answered.push((sent.ready, sent.id, verdict, stop_payment, wait));
        }
        let engine = self.clone();
        let (results, marks, placed) = self
            .with_store(move |store| {
                let started = std::time::Instant::now();
                let mut split = (0u128, 0u128);
                let value = store.batch(|store| {
                    let mut results = Vec::with_capacity(answered.len());
                    for (mut ready, id, verdict, stop_payment, wait) in answered {
                        let open = match verdict {
                            Verdict::Settled(settlement) => {
                                let event = engine.settled_event(id, false, &settlement, None);
                                settle_here(store, id, &settlement, event, None)?;
                                None
                            }
                            Verdict::Open(why) => {
                                tracing::warn!(attempt = id.0, "outcome unknown: {why}");
                                Some(why)
                            }
                        };
                        let row = store.attempt(id)?;
                        let mut result = ChargeResult::of(&row, false);
                        result.stop_payment = stop_payment;
                        if let Some(why) = open {
                            result.message = Some(format!(
                                "{why}. The outcome is unknown: reconcile asks the provider and \
                                 settles it, and no new charge of this card is made until then"
                            ));
                        }
                        let outcome = engine.answered(&mut ready.item, &result, &ready.brand);
                        let (contract, number) =
                            (ready.occurrence.contract_id, ready.occurrence.number);
                        record_outcome(store, contract, number, outcome, now)?;
                        results.push((ready, wait));
                    }
                    for (item, state) in &marks {
                        store.set_occurrence_state(
                            ContractId(item.contract_id),
                            item.occurrence,
                            *state,
                        )?;
                    }
                    split.0 = started.elapsed().as_micros();
                    let mut placed = Vec::with_capacity(plans.len());
                    for mut ready in plans {
                        let Some(order) = ready.order.take() else {
                            continue;
                        };
                        // One item's failure (its contract gone meanwhile…) is its own: its
                        // savepoint undid its writes and the others go on.
                        let outcome = place_here(store, order, now).map_err(EngineError::from);
                        placed.push((ready, outcome));
                    }
                    split.1 = started.elapsed().as_micros();
                    Ok((results, marks, placed))
                })?;
                tracing::debug!(
                    settle_us = split.0 as u64,
                    plan_us = (split.1 - split.0) as u64,
                    commit_us = (started.elapsed().as_micros() - split.1) as u64,
                    "due: inside the transaction"
                );
                Ok(value)
            })
            .await?;
        let mut committed = Committed {
            finished: marks.into_iter().map(|(item, _)| item).collect(),
            sending: Vec::new(),
            again: Vec::new(),
            marks: Vec::new(),
            rate_limited: false,
        };
        for (ready, wait) in results {
            committed.rate_limited |= wait.is_some();
            if wait.is_some()
                && ready.item.status == DueStatus::Failed
                && ready.rate_limited < RATE_LIMIT_RETRIES
            {
                // Refused before processing: nothing was charged, so this run tries again
                // after the wait, as a new try.
                committed.again.push((
                    ready.occurrence.clone(),
                    ready.item.try_number.map_or(1, |n| n + 1),
                    ready.rate_limited + 1,
                ));
                continue;
            }
            committed.finished.push(ready.item);
        }
        for (mut ready, outcome) in placed {
            match outcome {
                Ok(Placed::Sending(id)) => committed.sending.push((id, Box::new(ready))),
                Ok(other) => match not_sent(&mut ready.item, other) {
                    // Written with the next commit.
                    Some(state) => committed.marks.push((ready.item, state)),
                    None => committed.finished.push(ready.item),
                },
                Err(e) => {
                    ready.item.status = DueStatus::Failed;
                    ready.item.try_number = None;
                    ready.item.message = Some(format!("{e} ({})", e.kind().code()));
                    committed.finished.push(ready.item);
                }
            }
        }
        Ok(committed)
    }
}

/// Keeps a merchant's requests under its provider's published rate once the provider has said
/// it limits them (a 429): each request takes the next slot of the pace. Until then nothing
/// waits, so an account (or a sandbox) without the limit is not slowed by it.
struct Pace {
    limit: Option<RateLimit>,
    interval: Option<Duration>,
    next: tokio::time::Instant,
}

impl Pace {
    fn new(limit: Option<RateLimit>) -> Pace {
        Pace {
            limit,
            interval: None,
            next: tokio::time::Instant::now(),
        }
    }

    /// The provider answered 429: from now on, keep under its published rate.
    fn engage(&mut self) {
        if let Some(limit) = self.limit {
            self.interval = Some(Duration::from_secs_f64(1.0 / limit.pace_per_second()));
        }
    }

    /// When the next request may leave.
    fn next(&self) -> tokio::time::Instant {
        self.next
    }

    /// A request leaves now: the next one waits a slot.
    fn take(&mut self) {
        if let Some(interval) = self.interval {
            self.next = self.next.max(tokio::time::Instant::now()) + interval;
        }
    }
}
