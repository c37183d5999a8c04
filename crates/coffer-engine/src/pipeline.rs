//! The one path every movement of money takes (DESIGN §4): plan → send → settle. Manual
//! charges, due occurrences, initial transactions and refunds each build an [`Order`] and hand
//! it here, so each rule of exactly-once is written once:
//!
//! 1. **Plan** ([`Engine::place`]): in ONE immediate transaction the idempotency key is looked up
//!    (a second click or a second process finds the first row), the guard is judged again under
//!    the write lock (the policy for a charge, the refundable rest for a refund), and the row is
//!    written `sending` with its `sent_at`, the exact request and its audit event. Whatever can
//!    wait or prompt (keyring, token refresh, a 429's Retry-After) happens before this commit.
//! 2. **Send**: the request leaves only after that commit.
//! 3. **Settle** ([`judge`], [`Engine::settle_answer`]): only an answer that proves what happened
//!    settles the row; only an explicit refusal or decline, or a request that provably never
//!    left, is a failure. Everything else leaves it `sending` for reconcile.

use std::time::Duration;

use coffer_core::audit::NewAuditEvent;
use coffer_core::charge::ChargePlan;
use coffer_core::policy::{self, Violation};
use coffer_core::{AttemptId, AttemptKind, CardId, ChargeAttempt, ChargeState};
use coffer_providers::{
    ChargeOutcome, ProviderError, ProviderErrorKind, RefundOutcome, RemoteStatus,
};
use coffer_store::charges::{NewAttempt, Settlement};
use coffer_store::repo::prelude::*;
use coffer_store::{StoreError, StoreResult};

use crate::error::EngineResult;
use crate::judging::history_of;
use crate::Engine;

/// Reads a charge's plan from the store, under the write lock.
pub(crate) type ReadPlan = Box<dyn FnOnce(&dyn Repositories) -> StoreResult<ChargePlan> + Send>;

/// What must still hold, judged under the write lock, before an attempt may be sent.
pub(crate) enum Guard {
    /// A charge: the policy, on the plan this reads from the store.
    Policy(ReadPlan),
    /// A refund: what is refunded of the charge (in flight included), this one too, stays
    /// within the charge.
    RefundWithin {
        /// The charge refunded.
        charge: AttemptId,
    },
}

/// One movement of money, ready to plan.
pub(crate) struct Order {
    /// The ledger row to write (its `request_json` is what a safe resend sends again).
    pub new: NewAttempt,
    /// What must hold under the lock.
    pub guard: Guard,
    /// The audit event of the `sending` commit; its subject becomes `attempt:{id}`.
    pub sending: NewAuditEvent,
    /// The audit event of a refusal; its details become the amount and the rules.
    pub refused: NewAuditEvent,
}

/// What planning did.
pub(crate) enum Placed {
    /// A rule refused it; nothing was written but the refusal's audit event.
    Refused(Vec<Violation>),
    /// The same key was planned before (by this or another process): its first row.
    Existing(Box<ChargeAttempt>),
    /// Committed `sending`: send it now.
    Sending(AttemptId),
    /// Another run planned the same occurrence try (the UNIQUE keys said so), or a refund took
    /// the rest meanwhile: why.
    Taken(String),
}

/// An answer from the provider to a write.
pub(crate) enum Answer {
    /// To a charge (manual, scheduled or initial).
    Charge(Result<ChargeOutcome, ProviderError>),
    /// To a refund or cancellation.
    Refund(Result<RefundOutcome, ProviderError>),
}

/// What an answer proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// It settles the attempt.
    Settled(Settlement),
    /// It proves nothing: the attempt stays `sending`, and why.
    Open(String),
}

impl Verdict {
    fn failed(e: &ProviderError, why: String, at: chrono::DateTime<chrono::Utc>) -> Verdict {
        Verdict::Settled(Settlement {
            state: ChargeState::Failed,
            provider_ref: e.provider_ref.clone(),
            decline_code: e
                .provider_code
                .clone()
                .or_else(|| Some(e.kind.code().into())),
            hard_decline: false,
            message: Some(why),
            warnings: Vec::new(),
            at,
        })
    }
}

/// Judges a provider's answer to a write (DESIGN §4 step 3). A decline settles as declined; a
/// refusal the provider stated (invalid request, credentials refused, no such card, rate
/// limited, an operation it does not have) and a request that never left (`Unavailable`: the
/// connection failed before the first byte) settle as failed; anything else (a 5xx, a timeout
/// or reset after sending, an unreadable answer, "in process", a duplicate order id or
/// idempotency conflict) proves nothing, and the attempt waits for the provider's record.
pub(crate) fn judge(answer: Answer, at: chrono::DateTime<chrono::Utc>) -> Verdict {
    let error = match answer {
        Answer::Charge(Ok(outcome)) => {
            return match outcome.status {
                RemoteStatus::Succeeded => Verdict::Settled(Settlement {
                    state: ChargeState::Succeeded,
                    provider_ref: Some(outcome.provider_ref),
                    decline_code: None,
                    hard_decline: false,
                    message: None,
                    warnings: outcome.warnings,
                    at,
                }),
                RemoteStatus::Declined {
                    hard,
                    code,
                    message,
                } => Verdict::Settled(Settlement {
                    state: ChargeState::Declined,
                    provider_ref: Some(outcome.provider_ref),
                    decline_code: code,
                    hard_decline: hard,
                    message,
                    warnings: outcome.warnings,
                    at,
                }),
                RemoteStatus::Pending => Verdict::Open(
                    "the provider has the charge in process and has not decided yet".into(),
                ),
            }
        }
        Answer::Refund(Ok(outcome)) => {
            return Verdict::Settled(Settlement {
                state: ChargeState::Succeeded,
                provider_ref: Some(outcome.provider_ref),
                decline_code: None,
                hard_decline: false,
                message: None,
                warnings: Vec::new(),
                at,
            })
        }
        Answer::Charge(Err(e)) if e.kind.is_decline() => {
            return Verdict::Settled(Settlement {
                state: ChargeState::Declined,
                provider_ref: e.provider_ref.clone(),
                decline_code: e.provider_code.clone(),
                hard_decline: e.kind == ProviderErrorKind::DeclinedHard,
                message: Some(e.message.clone()),
                warnings: Vec::new(),
                at,
            })
        }
        Answer::Charge(Err(e)) | Answer::Refund(Err(e)) => e,
    };
    match &error.kind {
        ProviderErrorKind::UnknownOutcome | ProviderErrorKind::MalformedResponse => {
            Verdict::Open(format!("{error}; only the provider's record can tell"))
        }
        ProviderErrorKind::Duplicate => Verdict::Open(format!(
            "the provider already has a request with this order id or key ({error}): an earlier \
             send of this very attempt arrived, so it is looked up, never failed"
        )),
        ProviderErrorKind::Unavailable => Verdict::failed(
            &error,
            format!("{error}; the request never reached the provider, so nothing was charged"),
            at,
        ),
        ProviderErrorKind::RateLimited { .. } => Verdict::failed(
            &error,
            format!("{error}; the provider refused it before processing, so nothing was charged"),
            at,
        ),
        ProviderErrorKind::DeclinedHard | ProviderErrorKind::DeclinedSoft => {
            Verdict::failed(&error, format!("the provider refused it: {error}"), at)
        }
        ProviderErrorKind::InvalidRequest { .. }
        | ProviderErrorKind::Auth
        | ProviderErrorKind::NotFound
        | ProviderErrorKind::Unsupported => {
            Verdict::failed(&error, format!("the provider refused it: {error}"), at)
        }
    }
}

/// The key the owner gave (a dialog holds one while it is open), or a new one.
pub(crate) fn key_or_new(
    given: Option<&str>,
) -> Result<coffer_core::IdempotencyKey, coffer_core::InvalidInput> {
    let Some(key) = given.map(str::trim).filter(|k| !k.is_empty()) else {
        return Ok(coffer_core::IdempotencyKey(
            uuid::Uuid::new_v4().to_string(),
        ));
    };
    let field = "idempotency_key";
    if key
        .get(..DUE_KEY_PREFIX.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(DUE_KEY_PREFIX))
    {
        // A manual charge under a due run's key would stand for that scheduled occurrence: the
        // run would take it as its own charge, or be refused as a duplicate.
        return Err(coffer_core::InvalidInput::new(
            field,
            format!("keys starting '{DUE_KEY_PREFIX}' are the due run's own; choose another"),
        ));
    }
    if key.len() > MAX_KEY_LEN || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(coffer_core::InvalidInput::new(
            field,
            format!(
                "must be at most {MAX_KEY_LEN} printable ASCII characters without spaces \
                 (providers carry it in an HTTP header)"
            ),
        ));
    }
    Ok(coffer_core::IdempotencyKey(key.to_string()))
}

/// The prefix of the due run's keys (`due-MERCHANT-CONTRACT-NUMBER-TRY`).
pub(crate) const DUE_KEY_PREFIX: &str = "due-";

/// Choice: long enough for a UUID with a prefix, short enough for every provider's header.
const MAX_KEY_LEN: usize = 64;

/// How long a 429 keeps a merchant's next write waiting when the provider names no time.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

impl Engine {
    /// Plans `order` (step 1): the guard judged under the write lock, the row committed
    /// `sending` with its audit event before anything is sent. A 429 from this merchant's
    /// provider is waited out first, never between the commit and the request.
    pub(crate) async fn place(&self, order: Order) -> EngineResult<Placed> {
        self.wait_for_rate_limit(order.new.merchant_id).await;
        let now = self.now();
        self.with_store(move |store| Ok(store.batch(|store| place_here(store, order, now))?))
            .await
    }

    /// Writes what `answer` proves into the ledger (step 3) with its audit event, in one
    /// transaction; flags the card after a hard decline. Returns the row as it now stands and,
    /// when it stays open, why.
    pub(crate) async fn settle_answer(
        &self,
        id: AttemptId,
        answer: Answer,
    ) -> EngineResult<(ChargeAttempt, Option<String>)> {
        if let Answer::Charge(answer) = &answer {
            if let Some(wait) = rate_limit_wait(answer) {
                self.note_rate_limit(id, wait).await?;
            }
        }
        let refund = matches!(answer, Answer::Refund(_));
        let transfer = match &answer {
            Answer::Refund(Ok(outcome)) => outcome.transfer.clone(),
            _ => None,
        };
        match judge(answer, self.now()) {
            Verdict::Open(why) => {
                tracing::warn!(attempt = id.0, "outcome unknown: {why}");
                let row = self.read_store(move |store| Ok(store.attempt(id)?)).await?;
                Ok((row, Some(why)))
            }
            Verdict::Settled(settlement) => {
                let audit = self.settled_event(id, refund, &settlement, transfer.as_ref());
                let row = self
                    .settle_row_with(id, settlement, audit, transfer)
                    .await?;
                Ok((row, None))
            }
        }
    }

    /// The audit event of a settled charge or refund.
    pub(crate) fn settled_event(
        &self,
        id: AttemptId,
        refund: bool,
        settlement: &Settlement,
        transfer: Option<&coffer_core::RefundTransfer>,
    ) -> NewAuditEvent {
        let action = match transfer {
            Some(_) => "refund_awaiting_transfer",
            None => settled_action(refund, settlement.state),
        };
        let details = serde_json::json!({
            "provider_ref": settlement.provider_ref,
            "code": settlement.decline_code,
            "hard": settlement.hard_decline,
            "warnings": settlement.warnings,
            "message": settlement.message,
            "transfer": transfer,
        });
        self.audit_event(None, action, format!("attempt:{id}"), details)
    }

    /// Settles row `id` and appends its audit event, both in one transaction and the event only
    /// if this call settled it (a row settled meanwhile keeps its first outcome); a hard decline
    /// of a charge flags the card. Returns the row as it now stands.
    pub(crate) async fn settle_row(
        &self,
        id: AttemptId,
        settlement: Settlement,
        audit: NewAuditEvent,
    ) -> EngineResult<ChargeAttempt> {
        self.settle_row_with(id, settlement, audit, None).await
    }

    /// [`Engine::settle_row`], for a refund the provider took on condition of the merchant's
    /// `transfer` when there is one: the row and its open transfer in the same transaction.
    pub(crate) async fn settle_row_with(
        &self,
        id: AttemptId,
        settlement: Settlement,
        audit: NewAuditEvent,
        transfer: Option<coffer_core::RefundTransfer>,
    ) -> EngineResult<ChargeAttempt> {
        self.with_store(move |store| {
            store.batch(|store| settle_here(store, id, &settlement, audit, transfer.as_ref()))?;
            Ok(store.attempt(id)?)
        })
        .await
    }

    pub(crate) async fn wait_for_rate_limit(&self, merchant: coffer_core::MerchantId) {
        let until = self
            .inner
            .rate_limited
            .lock()
            .ok()
            .and_then(|m| m.get(&merchant).copied());
        if let Some(until) = until {
            let now = tokio::time::Instant::now();
            if until > now {
                tokio::time::sleep_until(until).await;
            }
        }
    }

    async fn note_rate_limit(&self, id: AttemptId, wait: Duration) -> EngineResult<()> {
        let merchant = self
            .read_store(move |store| Ok(store.attempt(id)?.merchant_id))
            .await?;
        self.hold_writes(merchant, wait);
        Ok(())
    }

    /// Until when `merchant`'s writes wait for a 429's Retry-After (now when they don't).
    pub(crate) fn held_until(&self, merchant: coffer_core::MerchantId) -> tokio::time::Instant {
        let now = tokio::time::Instant::now();
        self.inner
            .rate_limited
            .lock()
            .ok()
            .and_then(|m| m.get(&merchant).copied())
            .map_or(now, |until| until.max(now))
    }

    /// Keeps `merchant`'s next write waiting `wait` (a 429's Retry-After, or the default).
    pub(crate) fn hold_writes(&self, merchant: coffer_core::MerchantId, wait: Duration) {
        if let Ok(mut limits) = self.inner.rate_limited.lock() {
            let until = tokio::time::Instant::now() + wait;
            let held = limits.entry(merchant).or_insert(until);
            *held = (*held).max(until);
        }
    }
}

/// How long a 429 answer keeps the merchant's next write waiting, when it is one.
pub(crate) fn rate_limit_wait(answer: &Result<ChargeOutcome, ProviderError>) -> Option<Duration> {
    match answer {
        Err(ProviderError {
            kind: ProviderErrorKind::RateLimited { retry_after },
            ..
        }) => Some(retry_after.unwrap_or(DEFAULT_RETRY_AFTER)),
        _ => None,
    }
}

/// Settles row `id` inside an open transaction and appends its audit event, the event only if
/// this call settled it (a row settled meanwhile keeps its first outcome); a hard decline of a
/// charge flags the card.
pub(crate) fn settle_here(
    store: &dyn Repositories,
    id: AttemptId,
    settlement: &Settlement,
    audit: NewAuditEvent,
    transfer: Option<&coffer_core::RefundTransfer>,
) -> StoreResult<()> {
    let attempt = store.attempt(id)?;
    let mut audit = audit;
    audit.merchant_id = Some(attempt.merchant_id.0);
    let settled = match transfer {
        Some(transfer) => store.settle_awaiting_transfer(id, settlement, transfer)?,
        None => store.settle_attempt(id, settlement)?,
    };
    if settled {
        store.append_audit_here(audit)?;
        if settlement.hard_decline && attempt.kind == AttemptKind::Charge {
            flag_card(store, attempt.card_id, id)?;
        }
    }
    Ok(())
}

/// Plans `order` inside an open write transaction, as one item of it: a try another run took
/// (the UNIQUE keys refused it) undoes only this item's writes and says so.
pub(crate) fn place_here(
    store: &dyn Repositories,
    order: Order,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<Placed> {
    let key = order.new.idempotency_key.clone();
    match store.savepoint(|store| place_under_lock(store, order, now)) {
        Err(StoreError::Conflict(why)) => Ok(match store.attempt_by_key(&key)? {
            Some(first) => Placed::Existing(Box::new(first)),
            None => Placed::Taken(why),
        }),
        other => other,
    }
}

fn place_under_lock(
    store: &dyn Repositories,
    order: Order,
    now: chrono::DateTime<chrono::Utc>,
) -> StoreResult<Placed> {
    let Order {
        new,
        guard,
        sending,
        refused,
    } = order;
    // Another process may have planned this very request since the caller looked.
    if let Some(first) = store.attempt_by_key(&new.idempotency_key)? {
        return Ok(Placed::Existing(Box::new(first)));
    }
    match guard {
        Guard::Policy(plan) => {
            let plan = plan(store)?;
            let history = history_of(store, plan.card.id, now)?;
            if let Err(violations) = policy::check(&plan, &history, now) {
                let mut audit = refused;
                audit.details = serde_json::json!({
                    "amount": plan.amount.to_string(),
                    "rules": violations.iter().map(|v| v.rule.as_str()).collect::<Vec<_>>(),
                })
                .to_string();
                store.append_audit_here(audit)?;
                return Ok(Placed::Refused(violations));
            }
        }
        Guard::RefundWithin { charge } => {
            let original = store.attempt(charge)?;
            // Svea takes no second refund of a settled payment while the first waits for the
            // merchant's money; checked again here for a refund planned meanwhile.
            if let Some(waiting) = awaiting_transfer(store, charge)? {
                return Ok(Placed::Taken(waiting));
            }
            // Checked again under the write lock: two refunds cannot both take the rest.
            if store.refunded_minor(charge)? + new.amount.minor > original.amount.minor {
                return Ok(Placed::Taken(format!(
                    "another refund of attempt {charge} took what was left of it meanwhile"
                )));
            }
        }
    }
    let id = store.insert_sending(&new, now)?;
    let mut audit = sending;
    audit.subject = format!("attempt:{id}");
    store.append_audit_here(audit)?;
    Ok(Placed::Sending(id))
}

/// Why a new refund of `charge` must wait, when an earlier one awaits the merchant's transfer.
pub(crate) fn awaiting_transfer(
    store: &dyn ReadRepositories,
    charge: AttemptId,
) -> StoreResult<Option<String>> {
    Ok(store
        .refunds_of(charge)?
        .into_iter()
        .find(|r| r.state == ChargeState::AwaitingTransfer)
        .map(|r| {
            let how = r.transfer.as_ref().map_or_else(String::new, |t| {
                format!(
                    " ({} to {}, IBAN {}, reference {})",
                    t.amount, t.recipient, t.iban, t.reference
                )
            });
            format!(
                "refund {} of attempt {charge} is waiting for your bank transfer to the provider{how}; \
                 the provider refunds the cardholder only after it arrives, so no other refund of \
                 this charge can start until you record that transfer made (coffer \
                 refund-transferred {})",
                r.id, r.id
            )
        }))
}

fn flag_card(store: &dyn Repositories, card: CardId, attempt: AttemptId) -> StoreResult<()> {
    store.flag_card(
        card,
        &format!("hard decline on attempt {attempt}: never retry this card"),
    )
}

/// The audit action of a settled charge or refund.
pub(crate) fn settled_action(refund: bool, state: ChargeState) -> &'static str {
    match (refund, state) {
        (true, ChargeState::Succeeded) => "refund_succeeded",
        (true, _) => "refund_failed",
        (false, ChargeState::Succeeded) => "charge_succeeded",
        (false, ChargeState::Declined) => "charge_declined",
        (false, _) => "charge_failed",
    }
}

#[cfg(test)]
mod tests {
    use coffer_core::{Currency, Money, ProviderRef};

    use super::*;

    fn at() -> chrono::DateTime<chrono::Utc> {
        chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap_or_default()
    }

    fn error(kind: ProviderErrorKind) -> Answer {
        Answer::Charge(Err(ProviderError::new(kind, "what the provider said")))
    }

    fn state(verdict: &Verdict) -> Option<ChargeState> {
        match verdict {
            Verdict::Settled(s) => Some(s.state),
            Verdict::Open(_) => None,
        }
    }

    #[test]
    fn only_a_refusal_a_decline_or_a_request_that_never_left_settles_a_failed_answer() {
        let open = [
            ProviderErrorKind::UnknownOutcome,
            ProviderErrorKind::MalformedResponse,
            ProviderErrorKind::Duplicate,
        ];
        for kind in open {
            assert_eq!(
                state(&judge(error(kind.clone()), at())),
                None,
                "{kind:?} proves nothing: the charge may have been made"
            );
        }
        let failed = [
            ProviderErrorKind::Unavailable,
            ProviderErrorKind::RateLimited { retry_after: None },
            ProviderErrorKind::InvalidRequest { field: None },
            ProviderErrorKind::Auth,
            ProviderErrorKind::NotFound,
            ProviderErrorKind::Unsupported,
        ];
        for kind in failed {
            assert_eq!(
                state(&judge(error(kind.clone()), at())),
                Some(ChargeState::Failed),
                "{kind:?} is the provider's refusal (or never left): nothing was charged"
            );
        }
        assert_eq!(
            state(&judge(error(ProviderErrorKind::DeclinedSoft), at())),
            Some(ChargeState::Declined)
        );
    }

    #[test]
    fn an_in_process_answer_leaves_the_attempt_open() {
        let pending = Answer::Charge(Ok(ChargeOutcome {
            provider_ref: ProviderRef("ch_1".into()),
            initial_ref: None,
            amount: Money::from_minor(100, Currency::EUR),
            status: RemoteStatus::Pending,
            warnings: Vec::new(),
            at: None,
        }));
        assert_eq!(
            state(&judge(pending, at())),
            None,
            "in process is not an outcome"
        );
    }

    #[test]
    fn a_refund_answer_that_proves_nothing_stays_open_and_a_decline_of_it_is_a_failure() {
        let unknown = Answer::Refund(Err(ProviderError::new(
            ProviderErrorKind::UnknownOutcome,
            "502",
        )));
        assert_eq!(state(&judge(unknown, at())), None);
        let refused = Answer::Refund(Err(ProviderError::new(
            ProviderErrorKind::DeclinedSoft,
            "refused",
        )));
        assert_eq!(state(&judge(refused, at())), Some(ChargeState::Failed));
    }
}
