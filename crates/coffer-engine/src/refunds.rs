//! Refunds and cancellations of a made charge, full or partial: new ledger rows that point at
//! the original, which itself never changes.

use coffer_core::{AttemptId, AttemptKind, ChargeState, IdempotencyKey, InvalidInput, Money};
use coffer_providers::RefundRequest;
use coffer_store::charges::{NewAttempt, Settlement};
use serde::Serialize;

use crate::charge::new_order_id;
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;

/// The outcome of a refund.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundResult {
    /// The refund's ledger row.
    pub attempt_id: i64,
    /// The charge refunded.
    pub refund_of: i64,
    /// succeeded | failed | sending.
    pub status: String,
    /// Amount returned.
    pub amount: Money,
    /// The provider's reference of the refund.
    pub provider_ref: Option<String>,
    /// Words.
    pub message: Option<String>,
}

impl Engine {
    /// Returns `amount` (all that is left when `None`) of a succeeded charge.
    pub async fn refund_charge(
        &self,
        charge: AttemptId,
        amount: Option<String>,
    ) -> EngineResult<RefundResult> {
        let now = self.now();
        let (original, refunded, merchant) = self
            .with_store(move |store| {
                let original = store.attempt(charge)?;
                let refunded = store.refunded_minor(charge)?;
                let merchant = store.merchant(original.merchant_id)?;
                Ok((original, refunded, merchant))
            })
            .await?;
        if original.kind != AttemptKind::Charge || original.state != ChargeState::Succeeded {
            return Err(InvalidInput::new(
                "attempt",
                format!(
                    "attempt {charge} is a {} {:?}; only a succeeded charge can be refunded",
                    original.state, original.kind
                ),
            )
            .into());
        }
        let left = original.amount.minor - refunded;
        let amount = match amount {
            Some(text) => {
                Money::parse(&text, original.amount.currency).map_err(|e| e.in_field("amount"))?
            }
            None => Money::from_minor(left, original.amount.currency),
        };
        if !amount.is_positive() || amount.minor > left {
            return Err(InvalidInput::new(
                "amount",
                format!(
                    "{amount} must be above zero and at most the {} not yet refunded of attempt {charge}",
                    Money::from_minor(left, original.amount.currency)
                ),
            )
            .into());
        }
        let provider_ref = original.provider_ref.clone().ok_or_else(|| {
            EngineError::new(
                ErrorKind::Internal,
                format!("attempt {charge} succeeded without a provider reference"),
            )
        })?;
        let provider = self.provider_for(&merchant).await?;
        let new = NewAttempt {
            kind: AttemptKind::Refund,
            merchant_id: original.merchant_id,
            card_id: original.card_id,
            contract_id: None,
            occurrence: None,
            try_number: 1,
            refund_of: Some(charge),
            amount,
            credential: original.credential.clone(),
            idempotency_key: IdempotencyKey(uuid::Uuid::new_v4().to_string()),
            order_id: new_order_id(),
            created_at: now,
        };
        let audit = self.audit_event(
            Some(original.merchant_id.0),
            "refund_sending",
            format!("attempt:{charge}"),
            serde_json::json!({"amount": amount.to_string()}),
        );
        let request = RefundRequest {
            charge_ref: provider_ref,
            order_id: original.order_id.clone(),
            amount,
            charge_amount: original.amount,
            idempotency_key: new.idempotency_key.clone(),
            refund_id: new.order_id.clone(),
        };
        let id = self
            .with_store(move |store| {
                Ok(store.batch(|store| {
                    // Checked again under the write lock: two refunds cannot both take the rest.
                    let refunded = store.refunded_minor(charge)?;
                    if refunded + new.amount.minor > original.amount.minor {
                        return Err(coffer_store::StoreError::Conflict(format!(
                            "another refund of attempt {charge} was made meanwhile"
                        )));
                    }
                    let id = store.insert_attempt(&new)?;
                    store.mark_sending(id)?;
                    store.append_audit_here(audit)?;
                    Ok(id)
                })?)
            })
            .await?;
        let answer = provider.refund(&request).await;
        let settlement = match &answer {
            Ok(outcome) => Some(Settlement {
                state: ChargeState::Succeeded,
                provider_ref: Some(outcome.provider_ref.clone()),
                decline_code: None,
                hard_decline: false,
                message: None,
                warnings: Vec::new(),
                at: self.now(),
            }),
            Err(e) if e.kind.outcome_unknown() => None,
            Err(e) => Some(Settlement {
                state: ChargeState::Failed,
                provider_ref: None,
                decline_code: e.provider_code.clone(),
                hard_decline: false,
                message: Some(e.to_string()),
                warnings: Vec::new(),
                at: self.now(),
            }),
        };
        let settlement = settlement.map(|s| {
            let audit = self.audit_event(
                Some(merchant.id.0),
                refund_action(s.state),
                format!("attempt:{id}"),
                serde_json::json!({"refund_of": charge.0, "provider_ref": s.provider_ref, "message": s.message}),
            );
            (s, audit)
        });
        let row = self.settle_audited(id, settlement).await?;
        Ok(RefundResult {
            attempt_id: row.id.0,
            refund_of: charge.0,
            status: row.state.as_str().into(),
            amount: row.amount,
            provider_ref: row.provider_ref.map(|r| r.0),
            message: row.message.or_else(|| {
                answer.err().map(|e| {
                    format!("{e}; the refund's outcome is unknown: check it with the provider")
                })
            }),
        })
    }
}

/// The audit action of a settled refund.
pub(crate) fn refund_action(state: ChargeState) -> &'static str {
    if state == ChargeState::Succeeded {
        "refund_succeeded"
    } else {
        "refund_failed"
    }
}
