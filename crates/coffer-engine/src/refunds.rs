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
    /// For a refund of a payment the provider has already paid out (Svea's refund after
    /// settlement): what the merchant must transfer to the provider before the cardholder is
    /// refunded, and when that transfer was recorded made.
    pub transfer: Option<coffer_core::RefundTransfer>,
    /// The refunded charge's amount.
    pub charge_amount: Money,
    /// What is left to refund of the charge after this refund (refunds whose outcome is
    /// unknown hold their amount until settled).
    pub left: Money,
}

/// How much of a charge was given back.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundState {
    /// Nothing.
    None,
    /// Part of it; the rest may still be refunded.
    Partly,
    /// All of it.
    Full,
}

/// A charge's refunds, as its row in a history shows them.
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundStanding {
    /// How much was given back.
    pub state: RefundState,
    /// Refunded (succeeded, or taken by the provider and awaiting the merchant's transfer).
    pub refunded: Money,
    /// Refunds sent whose outcome is not known yet.
    pub pending: Money,
    /// What may still be refunded.
    pub left: Money,
    /// The charge's state in words: "succeeded", "refunded", "partly refunded: € 7.50 left".
    pub words: String,
    /// The refund taken by the provider that waits for the merchant's transfer (Svea after
    /// settlement), if any: no other refund of the charge is made meanwhile.
    pub awaiting_transfer: Option<i64>,
}

/// A ledger row as a charge history shows it: a charge carries the standing of its refunds,
/// summed from every refund of it (not only those on the page shown).
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChargeLine {
    /// The ledger row.
    #[serde(flatten)]
    pub attempt: ChargeAttempt,
    /// For a charge, what its refunds make of it; `None` for a refund row.
    pub refunds: Option<RefundStanding>,
}

/// The refund standing of `charge` among `ledger` (rows of any kind; its refunds are picked
/// out). The one place that says "refunded" or "partly refunded" and what is left.
pub fn refund_standing(charge: &ChargeAttempt, ledger: &[ChargeAttempt]) -> RefundStanding {
    let currency = charge.amount.currency;
    let mut refunded = 0i64;
    let mut pending = 0i64;
    let mut awaiting_transfer = None;
    for row in ledger
        .iter()
        .filter(|r| r.kind == AttemptKind::Refund && r.refund_of == Some(charge.id))
    {
        match row.state {
            ChargeState::Succeeded => refunded = refunded.saturating_add(row.amount.minor),
            ChargeState::AwaitingTransfer => {
                refunded = refunded.saturating_add(row.amount.minor);
                awaiting_transfer = Some(row.id.0);
            }
            ChargeState::Planned | ChargeState::Sending => {
                pending = pending.saturating_add(row.amount.minor)
            }
            ChargeState::Declined | ChargeState::Failed => {}
        }
    }
    let left = (charge.amount.minor - refunded - pending).max(0);
    let state = if refunded == 0 {
        RefundState::None
    } else if refunded >= charge.amount.minor {
        RefundState::Full
    } else {
        RefundState::Partly
    };
    let money = |minor| Money::from_minor(minor, currency);
    let mut words = match state {
        RefundState::None => charge.state.to_string(),
        RefundState::Full => "refunded".to_string(),
        RefundState::Partly => {
            format!("partly refunded: {} of {} left", money(left), charge.amount)
        }
    };
    if pending > 0 {
        words.push_str(&format!(
            " (a refund of {} has no known outcome yet)",
            money(pending)
        ));
    }
    RefundStanding {
        state,
        refunded: money(refunded),
        pending: money(pending),
        left: money(left),
        words,
        awaiting_transfer,
    }
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
            // Filled in by `with_left` from the charge's ledger.
            charge_amount: row.amount,
            left: Money::from_minor(0, row.amount.currency),
            attempt_id: row.id.0,
            refund_of: charge.0,
            status: row.state,
            amount: row.amount,
            provider_ref: row.provider_ref.as_ref().map(|r| r.0.clone()),
            transfer: row.transfer.clone(),
            message: row
                .message
                .clone()
                .or_else(|| transfer_note(row))
                .or_else(|| {
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

/// The instructions of a refund awaiting the merchant's transfer, in an owner's words.
pub fn transfer_note(row: &ChargeAttempt) -> Option<String> {
    let t = row.transfer.as_ref()?;
    Some(match t.transferred_at {
        None => format!(
            "The payment was already settled to you, so the provider refunds the cardholder only \
             after you pay it back: transfer {} to {}, IBAN {}, reference {} (the amount and \
             reference must match). Then record it made: coffer refund-transferred {}",
            t.amount, t.recipient, t.iban, t.reference, row.id
        ),
        Some(at) => format!(
            "You recorded the transfer of {} to {} (reference {}) made on {}; the provider \
             refunds the cardholder once it arrives",
            t.amount,
            t.recipient,
            t.reference,
            at.format("%Y-%m-%d")
        ),
    })
}

impl Engine {
    /// The ledger as a history shows it, newest first: each charge with its refunds' standing.
    pub async fn charge_history(
        &self,
        query: crate::charge::ChargeQuery,
    ) -> EngineResult<Vec<ChargeLine>> {
        let rows = self.list_charges(query).await?;
        self.read_store(move |store| {
            rows.into_iter()
                .map(|attempt| {
                    let refunds = match attempt.kind {
                        AttemptKind::Charge => {
                            Some(refund_standing(&attempt, &store.refunds_of(attempt.id)?))
                        }
                        AttemptKind::Refund => None,
                    };
                    Ok(ChargeLine { attempt, refunds })
                })
                .collect()
        })
        .await
    }

    /// `result` with its charge's amount and what is left of it after the refund.
    async fn with_left(&self, mut result: RefundResult) -> EngineResult<RefundResult> {
        let charge = AttemptId(result.refund_of);
        let (amount, refunded) = self
            .read_store(move |store| {
                let original = store.attempt(charge)?;
                let rows = store.refunds_of(charge)?;
                Ok((original.amount, refund_standing(&original, &rows)))
            })
            .await?;
        result.charge_amount = amount;
        result.left = refunded.left;
        Ok(result)
    }

    /// Records the merchant's bank transfer for a refund awaiting it (Svea's refund after
    /// settlement) as made: the refund becomes `succeeded` and the charge may be refunded
    /// again. Svea publishes no way to ask whether the money arrived, so the owner says so.
    pub async fn record_refund_transfer(&self, refund: AttemptId) -> EngineResult<RefundResult> {
        let now = self.now();
        let actor = self.inner.actor.clone();
        let audit = self.audit_event(
            None,
            "refund_transfer_recorded",
            format!("attempt:{refund}"),
            serde_json::Value::Null,
        );
        let row = self
            .with_store(move |store| {
                let row = store.attempt(refund)?;
                if row.kind != AttemptKind::Refund || row.transfer.is_none() {
                    return Err(InvalidInput::new(
                        "attempt",
                        format!(
                            "attempt {refund} is not a refund waiting for a transfer to the provider"
                        ),
                    )
                    .into());
                }
                store.batch(|store| {
                    if store.record_transfer_made(refund, now, &actor)? {
                        let mut audit = audit;
                        audit.merchant_id = Some(row.merchant_id.0);
                        audit.details = serde_json::json!({
                            "transfer": row.transfer,
                            "refund_of": row.refund_of.map(|c| c.0),
                        })
                        .to_string();
                        store.append_audit_here(audit)?;
                    }
                    Ok(())
                })?;
                Ok(store.attempt(refund)?)
            })
            .await?;
        let charge = row.refund_of.unwrap_or(row.id);
        self.with_left(RefundResult::of(&row, charge, None)).await
    }

    /// Returns `amount` (all that is left when `None`) of a succeeded charge, once per key, and
    /// says what is left of the charge after it.
    pub async fn refund_charge(&self, input: RefundInput) -> EngineResult<RefundResult> {
        let result = self.refund_once(input).await?;
        self.with_left(result).await
    }

    async fn refund_once(&self, input: RefundInput) -> EngineResult<RefundResult> {
        let charge = input.charge;
        let key = key_or_new(input.idempotency_key.as_deref())?;
        let now = self.now();
        let (original, refunded, merchant, first) = {
            let key = key.clone();
            self.read_store(move |store| {
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
        if let Some(waiting) = {
            let charge = input.charge;
            self.read_store(move |store| Ok(crate::pipeline::awaiting_transfer(store, charge)?))
                .await?
        } {
            return Err(EngineError::new(ErrorKind::Conflict, waiting));
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
