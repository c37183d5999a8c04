//! Refunds and cancellations of a made charge, full or partial: new ledger rows that point at
//! the original, which itself never changes.

use coffer_core::{AttemptId, AttemptKind, ChargeAttempt, ChargeState, InvalidInput, Money};
use coffer_providers::RefundRequest;
use coffer_store::charges::NewAttempt;
use serde::Serialize;

use crate::charge::new_order_id;
use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::pipeline::{key_or_new, Answer, Guard, Order, Placed};
use crate::Engine;

/// The outcome of a refund.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundResult {
    /// The refund's ledger row.
    pub attempt_id: i64,
    /// The charge refunded.
    pub refund_of: i64,
    /// Where the refund stands: succeeded, failed, or sending while its outcome is unknown.
    pub status: ChargeState,
    /// Amount returned.
    pub amount: Money,
    /// The provider's reference of the refund.
    pub provider_ref: Option<String>,
    /// Words.
    pub message: Option<String>,
}

/// A refund as the owner asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundInput {
    /// The succeeded charge to return money of.
    pub charge: AttemptId,
    /// How much, as typed; all that is left when `None`.
    pub amount: Option<String>,
    /// The same key from any process returns the first refund (a double-submitted dialog makes
    /// one refund); none means a new request.
    pub idempotency_key: Option<String>,
}

impl RefundResult {
    fn of(row: &ChargeAttempt, charge: AttemptId, open: Option<String>) -> RefundResult {
        RefundResult {
            attempt_id: row.id.0,
            refund_of: charge.0,
            status: row.state,
            amount: row.amount,
            provider_ref: row.provider_ref.as_ref().map(|r| r.0.clone()),
            message: row.message.clone().or_else(|| {
                open.map(|why| {
                    format!(
                        "{why}. The refund's outcome is unknown: reconcile settles it from the \
                         provider's record, and it is never sent again"
                    )
                })
            }),
        }
    }
}

impl Engine {
    /// Returns `amount` (all that is left when `None`) of a succeeded charge, once per key.
    pub async fn refund_charge(&self, input: RefundInput) -> EngineResult<RefundResult> {
        let charge = input.charge;
        let key = key_or_new(input.idempotency_key.as_deref())?;
        let now = self.now();
        let (original, refunded, merchant, first) = {
            let key = key.clone();
            self.with_store(move |store| {
                let original = store.attempt(charge)?;
                let refunded = store.refunded_minor(charge)?;
                let merchant = store.merchant(original.merchant_id)?;
                let first = store.attempt_by_key(&key)?;
                Ok((original, refunded, merchant, first))
            })
            .await?
        };
        if let Some(first) = first {
            return same_refund(&first, &original, input.amount.as_deref())
                .map(|()| RefundResult::of(&first, charge, None));
        }
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
        let amount = match &input.amount {
            Some(text) => {
                Money::parse(text, original.amount.currency).map_err(|e| e.in_field("amount"))?
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
        let refund_id = new_order_id();
        let request = RefundRequest {
            charge_ref: provider_ref,
            order_id: original.order_id.clone(),
            amount,
            charge_amount: original.amount,
            idempotency_key: key.clone(),
            refund_id: refund_id.clone(),
        };
        let order = Order {
            new: NewAttempt {
                kind: AttemptKind::Refund,
                merchant_id: original.merchant_id,
                card_id: original.card_id,
                contract_id: None,
                occurrence: None,
                try_number: 1,
                refund_of: Some(charge),
                amount,
                credential: original.credential.clone(),
                idempotency_key: key,
                order_id: refund_id,
                created_at: now,
                // A refund whose outcome is unknown is settled by lookup and never resent.
                request_json: None,
            },
            guard: Guard::RefundWithin { charge },
            sending: self.audit_event(
                Some(original.merchant_id.0),
                "refund_sending",
                String::new(),
                serde_json::json!({"amount": amount.to_string(), "refund_of": charge.0}),
            ),
            refused: self.audit_event(
                Some(original.merchant_id.0),
                "refund_refused",
                format!("attempt:{charge}"),
                serde_json::Value::Null,
            ),
        };
        let id = match self.place(order).await? {
            Placed::Sending(id) => id,
            Placed::Existing(first) => {
                same_refund(&first, &original, input.amount.as_deref())?;
                return Ok(RefundResult::of(&first, charge, None));
            }
            Placed::Taken(why) => return Err(EngineError::new(ErrorKind::Conflict, why)),
            Placed::Refused(_) => {
                return Err(EngineError::new(
                    ErrorKind::Internal,
                    "a refund is judged by what is left of its charge, not by the charge rules",
                ))
            }
        };
        let answer = provider.refund(&request).await;
        let (row, open) = self.settle_answer(id, Answer::Refund(answer)).await?;
        Ok(RefundResult::of(&row, charge, open))
    }
}

/// A refund key used again must name the same refund: the same charge (and the same amount,
/// when one is given).
fn same_refund(
    first: &ChargeAttempt,
    charge: &ChargeAttempt,
    amount: Option<&str>,
) -> EngineResult<()> {
    let same_amount = amount
        .map(|text| Money::parse(text, first.amount.currency).ok() == Some(first.amount))
        .unwrap_or(true);
    if first.kind == AttemptKind::Refund && first.refund_of == Some(charge.id) && same_amount {
        return Ok(());
    }
    Err(EngineError::new(
        ErrorKind::Conflict,
        format!(
            "idempotency key {} was already used for {} of {} (attempt {}); a different refund \
             needs a new key",
            first.idempotency_key,
            if first.kind == AttemptKind::Refund {
                "a refund"
            } else {
                "a charge"
            },
            first.amount,
            first.id
        ),
    ))
}
