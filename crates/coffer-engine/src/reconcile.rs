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

use chrono::{Duration, NaiveDate};
use coffer_core::{AttemptId, AttemptKind, ChargeAttempt, ChargeState, Money, ProviderRef};
use coffer_providers::{
    ChargeLookup, ChargeRequest, Provider, RefundExtent, RefundLookup, RefundsSeen, RemoteStatus,
    ResendRule,
};
use coffer_store::alerts::AlertKind;
use coffer_store::charges::Settlement;
use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::pipeline::{settled_action, Answer};
use crate::scope::Scope;
use crate::Engine;

/// The default time a sent request is left alone as possibly still in flight (from another
/// process, or in this one's retries): longer than a request can take with its retries.
pub const DEFAULT_GRACE_SECS: i64 = 120;

/// How long after a hand resolution reconcile still asks the provider about it.
const RESOLUTIONS_WATCHED_DAYS: i64 = 35;

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

/// What an alert is about.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertKindView {
    /// Resolved as not charged, but the provider shows it charged: the card may have paid twice.
    PossibleDuplicate,
    /// Resolved as charged, but the provider shows it declined or under another reference.
    ResolutionContradicted,
}

impl From<AlertKind> for AlertKindView {
    fn from(kind: AlertKind) -> AlertKindView {
        match kind {
            AlertKind::PossibleDuplicate => AlertKindView::PossibleDuplicate,
            AlertKind::ResolutionContradicted => AlertKindView::ResolutionContradicted,
        }
    }
}

impl std::fmt::Display for AlertKindView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AlertKindView::PossibleDuplicate => "possible_duplicate",
            AlertKindView::ResolutionContradicted => "resolution_contradicted",
        })
    }
}

/// An alert for a person: a provider's record against what Coffer settled.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertView {
    /// Its id.
    pub id: i64,
    /// When it was raised.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The merchant.
    pub merchant_id: i64,
    /// The attempt it is about.
    pub attempt_id: i64,
    /// What the provider's record says against the resolution.
    pub kind: AlertKindView,
    /// What was found.
    pub message: String,
}

/// A person's verdict on an attempt no provider record could settle.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Resolution {
    /// The provider shows it made (charged or refunded), under this reference.
    Made {
        /// The provider's reference of it.
        provider_ref: String,
    },
    /// The provider shows it not made, checked on this day.
    NotMade {
        /// When the person checked at the provider.
        checked_on: NaiveDate,
    },
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
            .with_store(|store| Ok(store.unsettled_attempts()?))
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
            .with_store(|store| Ok(store.unsettled_attempts()?))
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
            .with_store(|store| Ok(store.unsettled_attempts()?))
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

    /// Open alerts of these merchants (all when empty), newest first.
    pub async fn list_alerts(&self, scope: impl Into<Scope>) -> EngineResult<Vec<AlertView>> {
        let merchants = self.resolve_scope(scope).await?;
        let rows = self
            .with_store(move |store| Ok(store.alerts(&merchants, false)?))
            .await?;
        Ok(rows
            .into_iter()
            .map(|a| AlertView {
                id: a.id,
                at: a.at,
                merchant_id: a.merchant_id.0,
                attempt_id: a.attempt_id.0,
                kind: a.kind.into(),
                message: a.message,
            })
            .collect())
    }

    /// Marks an alert seen (audited); it stays in the database.
    pub async fn acknowledge_alert(&self, id: i64) -> EngineResult<()> {
        let now = self.now();
        let audit = self.audit_event(
            None,
            "alert_acknowledged",
            format!("alert:{id}"),
            serde_json::Value::Null,
        );
        self.with_store(move |store| {
            store.batch(|store| {
                if store.acknowledge_alert(id, now)? {
                    store.append_audit_here(audit)?;
                    Ok(())
                } else {
                    Err(coffer_store::StoreError::NotFound {
                        what: format!("open alert {id}"),
                    })
                }
            })?;
            Ok(())
        })
        .await
    }

    /// Settles an attempt by hand, when no provider record could: "made, reference X" or "not
    /// made, checked at the provider on DATE". Audited with who did it; reconcile keeps asking
    /// the provider for a while and raises an alert if its record says otherwise.
    pub async fn resolve_attempt(
        &self,
        id: AttemptId,
        resolution: Resolution,
    ) -> EngineResult<ReconciledAttempt> {
        let row = self.with_store(move |store| Ok(store.attempt(id)?)).await?;
        if row.state != ChargeState::Sending && row.state != ChargeState::Planned {
            return Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "attempt {id} is already settled ({}); only an attempt whose outcome is \
                     unknown can be resolved by hand",
                    row.state
                ),
            ));
        }
        let now = self.now();
        let settlement = match &resolution {
            Resolution::Made { provider_ref } if provider_ref.trim().is_empty() => {
                return Err(coffer_core::InvalidInput::new(
                    "provider_ref",
                    "name the provider's reference of the charge or refund you found",
                )
                .into())
            }
            // The day is the person's, in their zone: only a day no zone has reached yet
            // (UTC+14 is the earliest) is refused, so 01:00 in Helsinki is not "the future".
            Resolution::NotMade { checked_on }
                if *checked_on > (now + chrono::Duration::hours(14)).date_naive() =>
            {
                return Err(coffer_core::InvalidInput::new(
                    "checked_on",
                    format!("{checked_on} is in the future; say the day you checked"),
                )
                .into())
            }
            Resolution::Made { provider_ref } => Settlement {
                state: ChargeState::Succeeded,
                provider_ref: Some(ProviderRef(provider_ref.trim().to_string())),
                decline_code: None,
                hard_decline: false,
                message: Some(format!(
                    "resolved by hand by {}: made at the provider, reference {}",
                    self.inner.actor,
                    provider_ref.trim()
                )),
                warnings: Vec::new(),
                at: now,
            },
            Resolution::NotMade { checked_on } => Settlement {
                state: ChargeState::Failed,
                provider_ref: None,
                decline_code: None,
                hard_decline: false,
                message: Some(format!(
                    "resolved by hand by {}: not made, checked at the provider on {checked_on}",
                    self.inner.actor
                )),
                warnings: Vec::new(),
                at: now,
            },
        };
        let resolution_json = serde_json::to_string(&resolution).map_err(|e| {
            EngineError::new(
                ErrorKind::Internal,
                format!("cannot keep the resolution: {e}"),
            )
        })?;
        let audit = self.audit_event(
            Some(row.merchant_id.0),
            "attempt_resolved_by_hand",
            format!("attempt:{id}"),
            serde_json::json!({"resolution": resolution, "kind": row.kind}),
        );
        let actor = self.inner.actor.clone();
        let settled = self
            .with_store(move |store| {
                let done = store.batch(|store| {
                    let done = store.settle_by_hand(id, &settlement, &actor, &resolution_json)?;
                    if done {
                        store.append_audit_here(audit)?;
                        if let (Some(contract), Some(number), ChargeState::Succeeded) =
                            (row.contract_id, row.occurrence, settlement.state)
                        {
                            store.set_occurrence_state(
                                contract,
                                number,
                                coffer_core::contract::OccurrenceState::Charged,
                            )?;
                        }
                    }
                    Ok(done)
                })?;
                Ok((done, store.attempt(id)?))
            })
            .await?;
        match settled {
            (true, row) => Ok(reconciled(&row, "resolved by hand")),
            (false, row) => Err(EngineError::new(
                ErrorKind::Conflict,
                format!(
                    "attempt {id} was settled meanwhile ({}), by the provider's record or \
                     another desk; it keeps that outcome",
                    row.state
                ),
            )),
        }
    }

    /// Settles one open attempt: `Ok(Ok)` settled, `Ok(Err)` still open, with the reason.
    async fn reconcile_one(
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
            self.with_store(move |store| Ok(store.attempt_request(id)?))
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
    async fn resend(
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

    /// Settles a refund whose answer was lost from what the provider records of its charge.
    async fn reconcile_refund(
        &self,
        refund: &ChargeAttempt,
        sent_at: chrono::DateTime<chrono::Utc>,
        grace: Duration,
    ) -> EngineResult<Reconciled> {
        let open_note = |note: String| unknown(refund, note);
        let Some(charge_id) = refund.refund_of else {
            return Ok(Err(open_note("a refund row that names no charge".into())));
        };
        let (charge, siblings, merchant) = {
            let merchant_id = refund.merchant_id;
            self.with_store(move |store| {
                Ok((
                    store.attempt(charge_id)?,
                    store.refunds_of(charge_id)?,
                    store.merchant(merchant_id)?,
                ))
            })
            .await?
        };
        let Some(charge_ref) = charge.provider_ref.clone() else {
            return Ok(Err(open_note(format!(
                "charge {charge_id} has no provider reference to look its refunds up by"
            ))));
        };
        let others = siblings.iter().filter(|r| r.id != refund.id);
        // A refund awaiting the merchant's transfer was taken by the provider: it counts as made.
        let settled: i64 = others
            .clone()
            .filter(|r| {
                matches!(
                    r.state,
                    ChargeState::Succeeded | ChargeState::AwaitingTransfer
                )
            })
            .map(|r| r.amount.minor)
            .sum();
        let open: i64 = others
            .filter(|r| matches!(r.state, ChargeState::Sending | ChargeState::Planned))
            .map(|r| r.amount.minor)
            .sum();
        let provider = self.provider_for(&merchant).await?;
        let seen = provider
            .find_refund(&RefundLookup {
                charge_ref,
                order_id: charge.order_id.clone(),
                charge_amount: charge.amount,
                amount: refund.amount,
                // The refund went out under its own order id (refunds.rs).
                refund_id: refund.order_id.clone(),
                sent_at,
            })
            .await?;
        let reference = match judge_refund(&seen, refund.amount, charge.amount, settled, open) {
            RefundVerdict::Made(reference) => reference,
            // Absence is not proof, and a refund is never sent again: a person checks.
            RefundVerdict::NotMade if self.now() - sent_at >= grace => {
                return Ok(Err(open_note(
                    "the provider shows no such refund; its lookups may lag, and a refund is \
                     never sent again without proof it was not made. Until it is settled its \
                     amount counts as refunded"
                        .into(),
                )))
            }
            RefundVerdict::NotMade => {
                return Ok(Err(open_note(
                    "the provider has not shown it yet; it may still be in flight".into(),
                )))
            }
            RefundVerdict::Unclear(why) => return Ok(Err(open_note(why))),
        };
        let why = "the provider's record shows the refund made";
        let settlement = Settlement {
            state: ChargeState::Succeeded,
            provider_ref: reference,
            decline_code: None,
            hard_decline: false,
            message: None,
            warnings: Vec::new(),
            at: self.now(),
        };
        let audit = self.audit_event(
            Some(refund.merchant_id.0),
            settled_action(true, ChargeState::Succeeded),
            format!("attempt:{}", refund.id),
            serde_json::json!({
                "refund_of": charge_id.0,
                "provider_ref": settlement.provider_ref,
                "reconciled": true,
                "why": why,
            }),
        );
        let row = self.settle_row(refund.id, settlement, audit).await?;
        Ok(Ok(reconciled(&row, why)))
    }

    /// Asks the provider again about recent hand resolutions; raises an alert (once) where its
    /// record now says otherwise. Returns the alerts raised now.
    async fn watch_resolutions(&self) -> EngineResult<Vec<String>> {
        let since = self.now() - Duration::days(RESOLUTIONS_WATCHED_DAYS);
        let resolved = self
            .with_store(move |store| Ok(store.resolved_by_hand_since(since)?))
            .await?;
        let mut raised = Vec::new();
        for (attempt, resolution) in resolved {
            let Ok(resolution) = serde_json::from_str::<Resolution>(&resolution) else {
                continue;
            };
            // A provider that cannot answer now is asked again on the next reconcile.
            let Ok(Some(found)) = self.look_up(&attempt).await else {
                continue;
            };
            let contradiction = match (&resolution, &found.status) {
                (Resolution::NotMade { checked_on }, RemoteStatus::Succeeded) => Some((
                    AlertKind::PossibleDuplicate,
                    format!(
                        "attempt {} was resolved by hand as not charged (checked on {checked_on}), \
                         but the provider now shows it charged ({} {}): if the card was charged \
                         again since, the cardholder may have paid twice; check and refund one",
                        attempt.id, found.provider_ref, found.amount
                    ),
                )),
                (Resolution::Made { provider_ref }, RemoteStatus::Declined { .. }) => Some((
                    AlertKind::ResolutionContradicted,
                    format!(
                        "attempt {} was resolved by hand as charged ({provider_ref}), but the \
                         provider shows it declined ({})",
                        attempt.id, found.provider_ref
                    ),
                )),
                (Resolution::Made { provider_ref }, RemoteStatus::Succeeded)
                    if found.provider_ref.0 != *provider_ref =>
                {
                    Some((
                        AlertKind::ResolutionContradicted,
                        format!(
                            "attempt {} was resolved by hand as charged under {provider_ref}, but \
                             the provider shows it under {}",
                            attempt.id, found.provider_ref
                        ),
                    ))
                }
                _ => None,
            };
            let Some((kind, message)) = contradiction else {
                continue;
            };
            let audit = self.audit_event(
                Some(attempt.merchant_id.0),
                "alert_raised",
                format!("attempt:{}", attempt.id),
                serde_json::json!({"kind": kind.as_str(), "message": message}),
            );
            let now = self.now();
            let (merchant, id, text) = (attempt.merchant_id, attempt.id, message.clone());
            let new = self
                .with_store(move |store| {
                    Ok(store.batch(|store| {
                        let new = store.raise_alert(now, merchant, id, kind, &text)?;
                        if new {
                            store.append_audit_here(audit)?;
                        }
                        Ok(new)
                    })?)
                })
                .await?;
            if new {
                raised.push(message);
            }
        }
        Ok(raised)
    }

    /// The provider's record of a charge, searched from when it left.
    async fn look_up(
        &self,
        attempt: &ChargeAttempt,
    ) -> EngineResult<Option<coffer_providers::ChargeOutcome>> {
        let (provider, lookup) = self.lookup_of(attempt).await?;
        Ok(provider.find_charge(&lookup).await?)
    }

    /// Settles an attempt as failed, with why, audited as reconciled.
    async fn settle_failed(
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
    async fn lookup_of(
        &self,
        attempt: &ChargeAttempt,
    ) -> EngineResult<(Box<dyn Provider>, ChargeLookup)> {
        let (card_id, merchant_id) = (attempt.card_id, attempt.merchant_id);
        let (card, merchant, customer) = self
            .with_store(move |store| {
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

/// What the provider's lookup showed of an attempt that is to be resent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// No record of it.
    Nothing,
    /// A record still in process (a ProcessOut invoice never captured, an Assist order "In
    /// Process").
    InProcess,
}

/// What reconcile made of one attempt: settled now (`Ok`), or still open, and why (`Err`).
type Reconciled = Result<ReconciledAttempt, ReconciledAttempt>;

/// A settled row as reconcile left it.
fn reconciled(row: &ChargeAttempt, note: impl Into<String>) -> ReconciledAttempt {
    ReconciledAttempt {
        attempt_id: row.id.0,
        status: row.state,
        note: note.into(),
        what_to_check: None,
    }
}

/// A row still unknown, with what a person can check at the provider and how to resolve it.
fn unknown(row: &ChargeAttempt, note: impl Into<String>) -> ReconciledAttempt {
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

/// What a provider's record says of one refund whose answer was lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RefundVerdict {
    /// It was made (with the provider's reference of it, where the provider names refunds).
    Made(Option<ProviderRef>),
    /// It was not made.
    NotMade,
    /// The record cannot tell; why, in words.
    Unclear(String),
}

/// Judges a refund of `amount` of a `charge` against what the provider reports, given the
/// charge's other refunds in the ledger: `settled` (minor units) those that succeeded, `open`
/// those still without an answer. Where the provider only keeps a sum or a status, a verdict is
/// given only when exactly one reading fits; otherwise the refund stays open for a person.
pub(crate) fn judge_refund(
    seen: &RefundsSeen,
    amount: Money,
    charge: Money,
    settled: i64,
    open: i64,
) -> RefundVerdict {
    let asked = amount.minor;
    let unclear = |what: String| {
        RefundVerdict::Unclear(format!(
            "{what}; Coffer's settled refunds of this charge come to {}, this one asked for \
             {amount}{}: check it in the provider's dashboard; until it is settled its amount \
             counts as refunded",
            Money::from_minor(settled, amount.currency),
            if open > 0 {
                format!(
                    " and others in flight for {}",
                    Money::from_minor(open, amount.currency)
                )
            } else {
                String::new()
            }
        ))
    };
    match seen {
        RefundsSeen::Exact(Some(found)) => RefundVerdict::Made(Some(found.provider_ref.clone())),
        RefundsSeen::Exact(None) => RefundVerdict::NotMade,
        RefundsSeen::Total(total) => {
            let extra = total.minor - settled;
            let made = extra == asked || (open > 0 && extra == asked + open);
            let not_made = extra == 0 || (open > 0 && extra == open);
            match (made, not_made) {
                (true, false) => RefundVerdict::Made(None),
                (false, true) => RefundVerdict::NotMade,
                _ => unclear(format!("the provider reports {total} refunded in all")),
            }
        }
        RefundsSeen::Extent(RefundExtent::Whole) => {
            let left = charge.minor - settled - asked;
            if left == 0 || (open > 0 && left == open) {
                RefundVerdict::Made(None)
            } else {
                unclear("the provider reports the whole charge refunded".into())
            }
        }
        RefundsSeen::Extent(RefundExtent::None) if settled == 0 => RefundVerdict::NotMade,
        RefundsSeen::Extent(RefundExtent::None) => {
            unclear("the provider reports nothing refunded".into())
        }
        RefundsSeen::Extent(RefundExtent::Part)
            if settled == 0 && open == 0 && asked < charge.minor =>
        {
            RefundVerdict::Made(None)
        }
        RefundsSeen::Extent(RefundExtent::Part) => {
            unclear("the provider reports part of the charge refunded, without the sum".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use coffer_core::Currency;

    use super::*;

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::from_code("EUR").unwrap())
    }

    #[test]
    fn a_provider_that_names_refunds_settles_them_exactly() {
        let found = RefundsSeen::Exact(Some(coffer_providers::RefundOutcome {
            provider_ref: ProviderRef("refd_1".into()),
            amount: eur(500),
            transfer: None,
        }));
        assert_eq!(
            judge_refund(&found, eur(500), eur(1500), 0, 0),
            RefundVerdict::Made(Some(ProviderRef("refd_1".into())))
        );
        assert_eq!(
            judge_refund(&RefundsSeen::Exact(None), eur(500), eur(1500), 0, 0),
            RefundVerdict::NotMade
        );
    }

    #[test]
    fn a_sum_settles_a_refund_only_when_one_reading_fits() {
        let total = |minor| RefundsSeen::Total(eur(minor));
        // 3.00 settled before; this refund asked 5.00.
        assert_eq!(
            judge_refund(&total(800), eur(500), eur(1500), 300, 0),
            RefundVerdict::Made(None)
        );
        assert_eq!(
            judge_refund(&total(300), eur(500), eur(1500), 300, 0),
            RefundVerdict::NotMade
        );
        // A sum that fits neither (a refund made in the dashboard meanwhile) is left to a person.
        assert!(matches!(
            judge_refund(&total(1000), eur(500), eur(1500), 300, 0),
            RefundVerdict::Unclear(_)
        ));
        // Another refund of the same amount in flight: either one may be the one made.
        assert!(matches!(
            judge_refund(&total(800), eur(500), eur(1500), 300, 500),
            RefundVerdict::Unclear(_)
        ));
        // Both in flight and both made.
        assert_eq!(
            judge_refund(&total(1000), eur(500), eur(1500), 0, 500),
            RefundVerdict::Made(None)
        );
    }

    #[test]
    fn a_status_code_settles_a_refund_only_where_it_is_unambiguous() {
        let extent = RefundsSeen::Extent;
        assert_eq!(
            judge_refund(&extent(RefundExtent::Whole), eur(1500), eur(1500), 0, 0),
            RefundVerdict::Made(None)
        );
        assert_eq!(
            judge_refund(&extent(RefundExtent::Whole), eur(1000), eur(1500), 500, 0),
            RefundVerdict::Made(None),
            "the rest after a settled partial refund"
        );
        assert!(matches!(
            judge_refund(&extent(RefundExtent::Whole), eur(500), eur(1500), 0, 0),
            RefundVerdict::Unclear(_)
        ));
        assert_eq!(
            judge_refund(&extent(RefundExtent::Part), eur(500), eur(1500), 0, 0),
            RefundVerdict::Made(None)
        );
        assert!(matches!(
            judge_refund(&extent(RefundExtent::Part), eur(500), eur(1500), 300, 0),
            RefundVerdict::Unclear(_)
        ));
        assert_eq!(
            judge_refund(&extent(RefundExtent::None), eur(500), eur(1500), 0, 0),
            RefundVerdict::NotMade
        );
        assert!(matches!(
            judge_refund(&extent(RefundExtent::None), eur(500), eur(1500), 300, 0),
            RefundVerdict::Unclear(_)
        ));
    }
}
