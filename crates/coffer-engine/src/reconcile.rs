//! Settling attempts left in `sending` by asking the provider, by the same idempotency key and
//! order id the request carried. Runs before anything is retried, and at every start.
//!
//! A row the provider has an answer for is settled at once. A row the provider never saw is
//! marked failed only once it is older than the grace period: younger, it may still be on its
//! way from another process, and failing it then could hide a real charge.
//!
//! A refund is settled from what the provider records of its charge's refunds: by Coffer's id
//! where the provider keeps it (Clover, ProcessOut), else from the sum refunded (Assist) or the
//! status code (Svea) when exactly one reading fits; otherwise it stays open for a person.

use chrono::Duration;
use coffer_core::{AttemptKind, ChargeAttempt, ChargeState, Money, ProviderRef};
use coffer_providers::{ChargeLookup, RefundExtent, RefundLookup, RefundsSeen, RemoteStatus};
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
            match self.reconcile_one(&attempt, grace).await {
                Ok(Ok(done)) => summary.settled.push(done),
                Ok(Err(open)) => summary.unresolved.push(open),
                Err(e) => {
                    let note = if attempt.kind == AttemptKind::Refund {
                        format!(
                            "could not ask the provider about this refund: {e}; until it is \
                             settled its amount counts as refunded"
                        )
                    } else {
                        format!("could not ask the provider: {e}")
                    };
                    summary.unresolved.push(reconciled(&attempt, note));
                }
            }
        }
        Ok(summary)
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

    /// Settles one open attempt from the provider's record: `Ok(Ok)` settled, `Ok(Err)` still
    /// open, with the reason.
    async fn reconcile_one(
        &self,
        attempt: &ChargeAttempt,
        grace: Duration,
    ) -> EngineResult<Reconciled> {
        let now = self.now();
        let old_enough = now - attempt.created_at >= grace;
        let in_flight = || {
            reconciled(
                attempt,
                "the provider has no answer yet; it may still be in flight",
            )
        };
        if attempt.state == ChargeState::Planned {
            // Never marked sending, so the request never left.
            if !old_enough {
                return Ok(Err(in_flight()));
            }
            let settled = self.fail(attempt, "abandoned before it was sent").await?;
            return Ok(Ok(reconciled(&settled, "never sent")));
        }
        if attempt.kind == AttemptKind::Refund {
            return self.reconcile_refund(attempt, grace).await;
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
                sent_at: attempt.created_at,
            })
            .await?;
        match found {
            Some(outcome) if outcome.status == RemoteStatus::Pending => Ok(Err(in_flight())),
            Some(outcome) => {
                let settled = self
                    .settle(attempt.id, attempt.card_id, Ok(outcome))
                    .await?;
                Ok(Ok(reconciled(&settled, "settled by the provider's record")))
            }
            None if old_enough => {
                let settled = self
                    .fail(attempt, "the provider never received the request")
                    .await?;
                Ok(Ok(reconciled(&settled, "the provider never received it")))
            }
            None => Ok(Err(in_flight())),
        }
    }

    /// Settles a refund whose answer was lost from what the provider records of its charge.
    async fn reconcile_refund(
        &self,
        refund: &ChargeAttempt,
        grace: Duration,
    ) -> EngineResult<Reconciled> {
        let open_note = |note: String| reconciled(refund, note);
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
        let settled: i64 = others
            .clone()
            .filter(|r| r.state == ChargeState::Succeeded)
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
                sent_at: refund.created_at,
            })
            .await?;
        let old_enough = self.now() - refund.created_at >= grace;
        let (state, provider_ref, why) =
            match judge_refund(&seen, refund.amount, charge.amount, settled, open) {
                RefundVerdict::Made(reference) => (
                    ChargeState::Succeeded,
                    reference,
                    "the provider's record shows the refund made",
                ),
                RefundVerdict::NotMade if old_enough => (
                    ChargeState::Failed,
                    None,
                    "the provider never made this refund; it can be asked for again",
                ),
                RefundVerdict::NotMade => {
                    return Ok(Err(open_note(
                        "the provider has not made it yet; it may still be in flight".into(),
                    )))
                }
                RefundVerdict::Unclear(why) => return Ok(Err(open_note(why))),
            };
        let settlement = Settlement {
            state,
            provider_ref,
            decline_code: None,
            hard_decline: false,
            message: (state == ChargeState::Failed).then(|| why.to_string()),
            warnings: Vec::new(),
            at: self.now(),
        };
        let audit = self.audit_event(
            Some(refund.merchant_id.0),
            crate::refunds::refund_action(state),
            format!("attempt:{}", refund.id),
            serde_json::json!({
                "refund_of": charge_id.0,
                "provider_ref": settlement.provider_ref,
                "reconciled": true,
                "why": why,
            }),
        );
        let row = self
            .settle_audited(refund.id, Some((settlement, audit)))
            .await?;
        Ok(Ok(reconciled(&row, why)))
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
        self.settle_audited(attempt.id, Some((settlement, audit)))
            .await
    }
}

/// What reconcile made of one attempt: settled now (`Ok`), or still open, and why (`Err`).
type Reconciled = Result<ReconciledAttempt, ReconciledAttempt>;

/// The row as reconcile left it, with what happened to it (settled or still open).
fn reconciled(row: &ChargeAttempt, note: impl Into<String>) -> ReconciledAttempt {
    ReconciledAttempt {
        attempt_id: row.id.0,
        status: row.state.as_str().into(),
        note: note.into(),
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
