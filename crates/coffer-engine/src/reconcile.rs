//! Settling attempts left in `sending` by asking the provider, by the same idempotency key and
//! order id the request carried. Runs before anything is retried, and at every start.
//!
//! A row the provider has an answer for is settled at once. A row the provider never saw is
//! marked failed only once it is older than the grace period: younger, it may still be on its
//! way from another process, and failing it then could hide a real charge.

use chrono::Duration;
use coffer_core::{AttemptKind, ChargeAttempt, ChargeState};
use coffer_providers::{ChargeLookup, RemoteStatus};
use coffer_store::charges::Settlement;
use serde::Serialize;

use crate::error::EngineResult;
use crate::Engine;

/// The default grace period: longer than a charge request can stay in flight with its retries.
pub const DEFAULT_GRACE_SECS: i64 = 120;

/// What reconcile did with one attempt.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReconciledAttempt {
    /// The ledger row.
    pub attempt_id: i64,
    /// Its state after reconcile.
    pub status: String,
    /// What was learned.
    pub note: String,
}

/// What reconcile did.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileSummary {
    /// Attempts settled now.
    pub settled: Vec<ReconciledAttempt>,
    /// Attempts still without an outcome, and why.
    pub unresolved: Vec<ReconciledAttempt>,
}

impl Engine {
    /// Settles every attempt left in `sending` (or `planned`) that the provider can answer for.
    pub async fn reconcile(&self, grace: Duration) -> EngineResult<ReconcileSummary> {
        let open = self
            .with_store(|store| Ok(store.unsettled_attempts()?))
            .await?;
        let mut summary = ReconcileSummary::default();
        for attempt in open {
            if attempt.kind == AttemptKind::Refund && attempt.state == ChargeState::Sending {
                summary.unresolved.push(ReconciledAttempt {
                    attempt_id: attempt.id.0,
                    status: attempt.state.as_str().into(),
                    note: "a refund whose answer was lost cannot be looked up at the provider by \
                           Coffer yet: check it in the provider's dashboard; until it is settled \
                           its amount counts as refunded"
                        .into(),
                });
                continue;
            }
            match self.reconcile_one(&attempt, grace).await {
                Ok(Some(done)) => summary.settled.push(done),
                Ok(None) => summary.unresolved.push(ReconciledAttempt {
                    attempt_id: attempt.id.0,
                    status: attempt.state.as_str().into(),
                    note: "the provider has no answer yet; it may still be in flight".into(),
                }),
                Err(e) => summary.unresolved.push(ReconciledAttempt {
                    attempt_id: attempt.id.0,
                    status: attempt.state.as_str().into(),
                    note: format!("could not ask the provider: {e}"),
                }),
            }
        }
        Ok(summary)
    }

    /// Reconciles the open attempts of one card (before a new charge of it).
    pub(crate) async fn reconcile_card(&self, card: coffer_core::CardId) -> EngineResult<()> {
        let open = self
            .with_store(|store| Ok(store.unsettled_attempts()?))
            .await?;
        for attempt in open.iter().filter(|a| a.card_id == card) {
            // A provider that cannot answer now leaves the row open; the policy then refuses.
            let _ = self
                .reconcile_one(attempt, Duration::seconds(DEFAULT_GRACE_SECS))
                .await;
        }
        Ok(())
    }

    async fn reconcile_one(
        &self,
        attempt: &ChargeAttempt,
        grace: Duration,
    ) -> EngineResult<Option<ReconciledAttempt>> {
        let now = self.now();
        let old_enough = now - attempt.created_at >= grace;
        let done = |a: &ChargeAttempt, note: &str| ReconciledAttempt {
            attempt_id: a.id.0,
            status: a.state.as_str().into(),
            note: note.into(),
        };
        if attempt.state == ChargeState::Planned {
            // Never marked sending, so the request never left.
            if !old_enough {
                return Ok(None);
            }
            let settled = self.fail(attempt, "abandoned before it was sent").await?;
            return Ok(Some(done(&settled, "never sent")));
        }
        if attempt.kind == AttemptKind::Refund {
            return Ok(None);
        }
        let (card, merchant) = {
            let (card_id, merchant_id) = (attempt.card_id, attempt.merchant_id);
            self.with_store(move |store| Ok((store.card(card_id)?, store.merchant(merchant_id)?)))
                .await?
        };
        let customer = {
            let id = card.customer_id;
            self.with_store(move |store| Ok(store.customer(id)?.reference))
                .await?
        };
        let provider = self.provider_for(&merchant).await?;
        let found = provider
            .find_charge(&ChargeLookup {
                idempotency_key: attempt.idempotency_key.clone(),
                order_id: attempt.order_id.clone(),
                provider_ref: attempt.provider_ref.clone(),
                customer,
                card_token: card.token.clone(),
                amount: attempt.amount,
            })
            .await?;
        match found {
            Some(outcome) if outcome.status == RemoteStatus::Pending => Ok(None),
            Some(outcome) => {
                let settled = self
                    .settle(attempt.id, attempt.card_id, Ok(outcome))
                    .await?;
                Ok(Some(done(&settled, "settled by the provider's record")))
            }
            None if old_enough => {
                let settled = self
                    .fail(attempt, "the provider never received the request")
                    .await?;
                Ok(Some(done(&settled, "the provider never received it")))
            }
            None => Ok(None),
        }
    }

    async fn fail(&self, attempt: &ChargeAttempt, why: &str) -> EngineResult<ChargeAttempt> {
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
            "charge_failed",
            format!("attempt:{}", attempt.id),
            serde_json::json!({"reconciled": true, "why": why}),
        );
        let id = attempt.id;
        self.with_store(move |store| {
            store.batch(|store| {
                if store.settle_attempt(id, &settlement)? {
                    store.append_audit_here(audit)?;
                }
                Ok(())
            })?;
            Ok(store.attempt(id)?)
        })
        .await
    }
}
