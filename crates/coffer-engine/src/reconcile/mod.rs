//! Settling attempts left in `sending`, by the provider's record (DESIGN §4 step 4). Runs before
//! a card is charged again, at every start, and on demand.
//!
//! Absence is not proof: lookups lag, page and window, so a provider that shows nothing settles
//! nothing. An attempt is settled only by the provider's record, or by sending the very same
//! request again where the provider's own guard makes that safe ([`ResendRule`]: Svea refuses a
//! second payment with one `pmt_id`; Clover and ProcessOut replay the first answer to one
//! idempotency key within the window we chose; Assist never). What none of these settles stays
//! unknown, with what to check at the provider, until a person resolves it by hand (audited).
//! Reconcile keeps asking about hand resolutions for a while and raises an alert when the
//! provider's record contradicts one.
//!
//! Time is counted from when the request left (`sent_at`), never from planning. A refund is
//! settled from what the provider records of its charge's refunds (by Coffer's id where the
//! provider keeps it, else from the sum or the status when exactly one reading fits) and is
//! never sent again.
//!
//! Hand resolutions and the alerts that watch them are `resolutions.rs`; settling a refund from
//! what the provider reports is `refunds.rs`.

use chrono::Duration;
use coffer_core::{AttemptKind, ChargeAttempt, ChargeState, Money};
use coffer_providers::{ChargeLookup, ChargeRequest, Provider, RemoteStatus, ResendRule};
use coffer_store::charges::Settlement;
use serde::Serialize;

use crate::error::EngineResult;
use crate::pipeline::{settled_action, Answer};
use crate::scope::Scope;
use crate::Engine;

mod refunds;
mod resolutions;

pub use resolutions::{AlertKindView, AlertView, Resolution};

/// The default time a sent request is left alone as possibly still in flight (from another
/// process, or in this one's retries): longer than a request can take with its retries.
pub const DEFAULT_GRACE_SECS: i64 = 120;

/// What reconcile did with one attempt.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconciledAttempt {
    /// The ledger row.
    pub attempt_id: i64,
    /// Its state after reconcile.
    pub status: ChargeState,
    /// What was learned.
    pub note: String,
    /// For an attempt still unknown: what to check at the provider, and how to resolve it.
    pub what_to_check: Option<String>,
}

/// What reconcile did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileSummary {
    /// Attempts settled now.
    pub settled: Vec<ReconciledAttempt>,
    /// Attempts still without an outcome, and why.
    pub unresolved: Vec<ReconciledAttempt>,
    /// Hand resolutions the provider's record now contradicts (alerts raised).
    pub alerts: Vec<String>,
}

/// An attempt whose outcome no answer or record has proved yet, as the dashboard, the due list
/// and the card show it.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnknownAttempt {
    /// The ledger row.
    pub attempt_id: i64,
    /// Charge or refund.
    pub kind: AttemptKind,
    /// The merchant it went out under.
    pub merchant_id: i64,
    /// The card.
    pub card_id: i64,
    /// The contract, for a scheduled charge.
    pub contract_id: Option<i64>,
    /// How much.
    pub amount: Money,
    /// When the request left.
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    /// What to check at the provider, and how to resolve it by hand.
    pub what_to_check: String,
}

/// The open attempts a reconcile looks at: those of some merchants (all when empty), or of one
/// card (the card page's button).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileScope {
    /// Only these merchants' attempts.
    pub merchants: Scope,
    /// Only this card's attempts.
    pub card: Option<coffer_core::CardId>,
}

/// What the provider's lookup showed of an attempt that is to be resent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    /// No record of it.
    Nothing,
    /// A record still in process (a ProcessOut invoice never captured, an Assist order "In
    /// Process").
    InProcess,
}

/// What reconcile made of one attempt: settled now (`Ok`), or still open, and why (`Err`).
type Reconciled = Result<ReconciledAttempt, ReconciledAttempt>;

/// A settled row as reconcile left it.
pub(super) fn reconciled(row: &ChargeAttempt, note: impl Into<String>) -> ReconciledAttempt {
    ReconciledAttempt {
        attempt_id: row.id.0,
        status: row.state,
        note: note.into(),
        what_to_check: None,
    }
}

/// A row still unknown, with what a person can check at the provider and how to resolve it.
pub(super) fn unknown(row: &ChargeAttempt, note: impl Into<String>) -> ReconciledAttempt {
    let what = if row.kind == AttemptKind::Refund {
        "refund"
    } else {
        "charge"
    };
    ReconciledAttempt {
        attempt_id: row.id.0,
        status: row.state,
        note: note.into(),
        what_to_check: Some(format!(
            "In the provider's dashboard, look for a {what} of {} with order id {} (idempotency \
             key {}) made from {} on. Then resolve it by hand: `coffer resolve {} --made \
             REFERENCE` if you find it, or `coffer resolve {} --not-made --checked-on DATE` if \
             it is not there.",
            row.amount,
            row.order_id,
            row.idempotency_key,
            row.sent_at
                .unwrap_or(row.created_at)
                .format("%Y-%m-%d %H:%M UTC"),
            row.id,
            row.id
        )),
    }
}

impl Engine {
    /// Settles every attempt left in `sending` (or `planned`) that the provider's record, or a
    /// safe resend, can settle; leaves the rest unknown with what to check. `grace` leaves a
    /// request that left less than that long ago alone (it may still be in flight).
    pub async fn reconcile(&self, grace: Duration) -> EngineResult<ReconcileSummary> {
        self.reconcile_in(&ReconcileScope::default(), grace).await
    }

    /// [`Engine::reconcile`] of the attempts in `scope` only.
    pub async fn reconcile_in(
        &self,
        scope: &ReconcileScope,
        grace: Duration,
    ) -> EngineResult<ReconcileSummary> {
        let merchants = self.resolve_scope(scope.merchants.clone()).await?;
        let holds = |attempt: &ChargeAttempt| {
            (merchants.is_empty() || merchants.contains(&attempt.merchant_id))
                && scope.card.is_none_or(|card| attempt.card_id == card)
        };
        let open = self
            .read_store(|store| Ok(store.unsettled_attempts()?))
            .await?;
        let mut summary = ReconcileSummary::default();
        for attempt in open.into_iter().filter(|a| holds(a)) {
            match self.reconcile_one(&attempt, grace).await {
                Ok(Ok(done)) => summary.settled.push(done),
                Ok(Err(open)) => summary.unresolved.push(open),
                Err(e) => {
                    let note = format!("could not ask the provider: {e}");
                    summary.unresolved.push(unknown(&attempt, note));
                }
            }
        }
        summary.alerts = self.watch_resolutions().await?;
        Ok(summary)
    }

    /// Reconcile at start (desktop and CLI hosts call it beside their first work): settles what
    /// a crash left unknown; a failure is logged, never fatal, and the next reconcile retries.
    pub async fn reconcile_at_start(&self) {
        match self.reconcile(Duration::seconds(DEFAULT_GRACE_SECS)).await {
            Ok(summary) => tracing::info!(
                settled = summary.settled.len(),
                unknown = summary.unresolved.len(),
                alerts = summary.alerts.len(),
                "reconcile at start"
            ),
            Err(e) => tracing::warn!("reconcile at start failed: {e}"),
        }
    }

    /// Reconciles the open attempts of one card (before a new charge of it).
    pub(crate) async fn reconcile_card(&self, card: coffer_core::CardId) -> EngineResult<()> {
        let open = self
            .read_store(|store| Ok(store.unsettled_attempts()?))
            .await?;
        let grace = Duration::seconds(DEFAULT_GRACE_SECS);
        for attempt in open.iter().filter(|a| a.card_id == card) {
            // A provider that cannot answer now leaves the row open; the policy then refuses.
            let _ = self.reconcile_one(attempt, grace).await;
        }
        Ok(())
    }

    /// The attempts of these merchants (all when empty) whose outcome is unknown, oldest first,
    /// each with what to check at the provider.
    pub async fn unknown_attempts(
        &self,
        scope: impl Into<Scope>,
    ) -> EngineResult<Vec<UnknownAttempt>> {
        let merchants = self.resolve_scope(scope).await?;
        let rows = self
            .read_store(|store| Ok(store.unsettled_attempts()?))
            .await?;
        Ok(rows
            .iter()
            .filter(|a| merchants.is_empty() || merchants.contains(&a.merchant_id))
            .map(|a| UnknownAttempt {
                attempt_id: a.id.0,
                kind: a.kind,
                merchant_id: a.merchant_id.0,
                card_id: a.card_id.0,
                contract_id: a.contract_id.map(|c| c.0),
                amount: a.amount,
                sent_at: a.sent_at,
                what_to_check: unknown(a, String::new()).what_to_check.unwrap_or_default(),
            })
            .collect())
    }

    /// Settles one open attempt: `Ok(Ok)` settled, `Ok(Err)` still open, with the reason.
    pub(super) async fn reconcile_one(
        &self,
        attempt: &ChargeAttempt,
        grace: Duration,
    ) -> EngineResult<Reconciled> {
        let now = self.now();
        let Some(sent_at) = attempt
            .sent_at
            .filter(|_| attempt.state == ChargeState::Sending)
        else {
            // Never marked sending, so the request never left.
            let settled = self
                .settle_failed(attempt, "abandoned before it was sent")
                .await?;
            return Ok(Ok(reconciled(&settled, "never sent")));
        };
        if attempt.kind == AttemptKind::Refund {
            return self.reconcile_refund(attempt, sent_at, grace).await;
        }
        let request = {
            let id = attempt.id;
            self.read_store(move |store| Ok(store.attempt_request(id)?))
                .await?
        };
        let (provider, lookup) = self.lookup_of(attempt).await?;
        let found = provider.find_charge(&lookup).await?;
        let young = now - sent_at < grace;
        match found {
            Some(outcome) if outcome.status == RemoteStatus::Pending && young => Ok(Err(unknown(
                attempt,
                "the provider has it in process and has not decided yet",
            ))),
            // In process long after it left (a ProcessOut invoice never captured, say): the same
            // request again finishes it where the provider's guard makes that safe.
            Some(outcome) if outcome.status == RemoteStatus::Pending => {
                self.resend(
                    attempt,
                    sent_at,
                    request,
                    provider.as_ref(),
                    Seen::InProcess,
                )
                .await
            }
            Some(outcome) => {
                let (row, open) = self
                    .settle_answer(attempt.id, Answer::Charge(Ok(outcome)))
                    .await?;
                Ok(match open {
                    None => Ok(reconciled(&row, "settled by the provider's record")),
                    Some(why) => Err(unknown(&row, why)),
                })
            }
            None if young => Ok(Err(unknown(
                attempt,
                "the provider shows nothing yet; the request may still be in flight",
            ))),
            None => {
                self.resend(attempt, sent_at, request, provider.as_ref(), Seen::Nothing)
                    .await
            }
        }
    }

    /// Sends an attempt the provider shows nothing of (or still in process, long after it left)
    /// again, byte for byte, where the provider's own guard makes that safe; otherwise leaves
    /// it unknown, with why. Assist's absence rule applies only where nothing was seen.
    pub(super) async fn resend(
        &self,
        attempt: &ChargeAttempt,
        sent_at: chrono::DateTime<chrono::Utc>,
        request: Option<String>,
        provider: &dyn Provider,
        seen: Seen,
    ) -> EngineResult<Reconciled> {
        let elapsed = self.now() - sent_at;
        let capabilities = provider.capabilities();
        if let (Some(after), Seen::Nothing) = (capabilities.absence_proves_after, seen) {
            if elapsed.to_std().is_ok_and(|elapsed| elapsed >= after) {
                let why = format!(
                    "the provider's lookup shows no such order {} min after it was sent, so it \
                     was never created (its published procedure; Coffer never resends it)",
                    after.as_secs() / 60
                );
                let row = self.settle_failed(attempt, &why).await?;
                return Ok(Ok(reconciled(&row, why)));
            }
        }
        let refusal = match capabilities.resend {
            ResendRule::Never if seen == Seen::InProcess => Some(
                "the provider has it in process and has not decided yet; it is asked again \
                 later, never sent again"
                    .to_string(),
            ),
            ResendRule::Never => Some(format!(
                "the provider shows no record of it yet, and it takes no key that would make a \
                 resend safe (a reused order number may charge again), so it is never sent \
                 again{}",
                capabilities
                    .absence_proves_after
                    .map(|after| format!(
                        "; if the provider still shows nothing {} min after it was sent, reconcile \
                         settles it as never created",
                        after.as_secs() / 60
                    ))
                    .unwrap_or_default()
            )),
            ResendRule::SameKey { window }
                if elapsed.to_std().map_or(true, |elapsed| elapsed >= window) =>
            {
                Some(format!(
                    "the provider shows no record of it, and it left more than {} h ago: past \
                     the time Coffer trusts the provider to remember its idempotency key, a \
                     resend could charge again",
                    window.as_secs() / 3600
                ))
            }
            ResendRule::SameKey { .. } | ResendRule::SameOrderId => None,
        };
        let request: Option<ChargeRequest> = request.and_then(|r| serde_json::from_str(&r).ok());
        let (Some(request), None) = (request, &refusal) else {
            let why = refusal.unwrap_or_else(|| {
                "the provider shows no record of it, and Coffer did not keep this request to \
                 send it again unchanged"
                    .into()
            });
            return Ok(Err(unknown(attempt, why)));
        };
        tracing::info!(
            attempt = attempt.id.0,
            "resending an unsettled attempt unchanged"
        );
        let answer = provider.charge(&request).await;
        let (row, open) = self
            .settle_answer(attempt.id, Answer::Charge(answer))
            .await?;
        Ok(match open {
            None => Ok(reconciled(
                &row,
                "sent again unchanged, which the provider's guard makes safe, and settled by its answer",
            )),
            Some(why) => Err(unknown(&row, format!("sent again unchanged: {why}"))),
        })
    }

    /// The provider's record of a charge, searched from when it left.
    pub(super) async fn look_up(
        &self,
        attempt: &ChargeAttempt,
    ) -> EngineResult<Option<coffer_providers::ChargeOutcome>> {
        let (provider, lookup) = self.lookup_of(attempt).await?;
        Ok(provider.find_charge(&lookup).await?)
    }

    /// Settles an attempt as failed, with why, audited as reconciled.
    pub(super) async fn settle_failed(
        &self,
        attempt: &ChargeAttempt,
        why: &str,
    ) -> EngineResult<ChargeAttempt> {
        let settlement = Settlement {
            state: ChargeState::Failed,
            provider_ref: None,
            decline_code: None,
            hard_decline: false,
            message: Some(why.to_string()),
            warnings: Vec::new(),
            at: self.now(),
        };
        let audit = self.audit_event(
            Some(attempt.merchant_id.0),
            settled_action(attempt.kind == AttemptKind::Refund, ChargeState::Failed),
            format!("attempt:{}", attempt.id),
            serde_json::json!({"reconciled": true, "why": why}),
        );
        self.settle_row(attempt.id, settlement, audit).await
    }

    /// The provider of a charge attempt and how to look the charge up there, searched from when
    /// it left.
    pub(super) async fn lookup_of(
        &self,
        attempt: &ChargeAttempt,
    ) -> EngineResult<(Box<dyn Provider>, ChargeLookup)> {
        let (card_id, merchant_id) = (attempt.card_id, attempt.merchant_id);
        let (card, merchant, customer) = self
            .read_store(move |store| {
                let card = store.card(card_id)?;
                let customer = store.customer(card.customer_id)?.reference;
                Ok((card, store.merchant(merchant_id)?, customer))
            })
            .await?;
        let provider = self.provider_for(&merchant).await?;
        let lookup = ChargeLookup {
            idempotency_key: attempt.idempotency_key.clone(),
            order_id: attempt.order_id.clone(),
            provider_ref: attempt.provider_ref.clone(),
            customer,
            card_token: card.token,
            amount: attempt.amount,
            sent_at: attempt.sent_at.unwrap_or(attempt.created_at),
        };
        Ok((provider, lookup))
    }
}
