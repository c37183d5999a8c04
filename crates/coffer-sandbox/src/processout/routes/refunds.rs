//! Refunds of an invoice's transaction.

use axum::body::Bytes;
use axum::extract::Path;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{operation_id, Authed};
use crate::ledger::AcceptedCharge;
use crate::processout::rules::{self, ApiError};
use crate::processout::state::{Operation, Project, Refund, Transaction};
use crate::processout::wire::{RefundCreate, RefundOut, TransactionOut};
use crate::processout::{success, Reply};
use crate::Ctx;

/// Refunds part or all of what is left on a captured transaction.
fn refund(
    p: &mut Project,
    ctx: &Ctx,
    transaction_id: &str,
    req: RefundCreate,
    key: Option<&str>,
    amount_required: bool,
) -> Result<Reply, ApiError> {
    let now = ctx.now();
    let reason = req.reason.unwrap_or_else(|| "other".into());
    if !["customer_request", "duplicate", "fraud", "other"].contains(&reason.as_str()) {
        return Err(ApiError::invalid(
            "request.validation.invalid-reason",
            format!("The reason '{reason}' must be customer_request, duplicate, fraud or other."),
        ));
    }
    let refund_id = p.next_id("refd_");
    let project_id = p.id.clone();
    let invoice_name = p
        .transaction(transaction_id)
        .and_then(|t| p.invoice(&t.invoice_id))
        .map(|i| i.name.clone());
    let t = p
        .transaction_mut(transaction_id)
        .ok_or_else(|| ApiError::not_found("transaction", transaction_id))?;
    let available = t.captured_minor - t.refunded_minor;
    if available <= 0 {
        return Err(ApiError::invalid(
            "request.validation.invalid-amount",
            "No amount is available on the transaction to be refunded.",
        ));
    }
    let amount = match req.amount {
        Some(text) => rules::parse_amount(&text, t.currency, "amount")?,
        None if amount_required => {
            return Err(ApiError::invalid(
                "request.validation.invalid-amount",
                "The amount is required.",
            ))
        }
        None => available,
    };
    if amount > available {
        return Err(ApiError::invalid(
            "request.validation.invalid-amount",
            format!(
                "The amount {} is above the {} left to refund.",
                rules::render_amount(amount, t.currency),
                rules::render_amount(available, t.currency)
            ),
        ));
    }
    let refund = Refund {
        id: refund_id,
        transaction_id: t.id.clone(),
        amount_minor: amount,
        reason,
        information: req.information,
        metadata: req.metadata.unwrap_or_default(),
        created_at: now,
    };
    t.refunded_minor += amount;
    t.status = "refunded".into();
    t.refunded_at = Some(now);
    t.operations.push(Operation {
        id: operation_id(t),
        kind: "refund".into(),
        amount_minor: amount,
        is_successful: true,
        error_code: None,
        created_at: now,
    });
    let body = success(json!({"refund": RefundOut::new(&refund, t.currency)}));
    ctx.ledger.record(AcceptedCharge {
        provider: "processout".into(),
        merchant: project_id.clone(),
        id: refund.id.clone(),
        kind: "refund".into(),
        amount_minor: amount,
        currency: t.currency.code().into(),
        card_token: t
            .token_id
            .clone()
            .or_else(|| t.card_id.clone())
            .unwrap_or_default(),
        customer: t.customer_id.clone(),
        idempotency_key: key.map(str::to_string),
        order_id: invoice_name,
        stored_credential: Value::Null,
        status: "approved".into(),
        warnings: Vec::new(),
        at: now,
    });
    t.refunds.push(refund);
    let resource = json!(TransactionOut::new(&project_id, t));
    p.fire("transaction.refunded", "transaction", resource, now);
    Ok(Reply::Done(StatusCode::OK, body))
}

pub(crate) async fn refund_invoice(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/refunds");
    em.write(
        &caller,
        &headers,
        &route,
        &body,
        |p, ctx, req: RefundCreate, key| {
            let transaction_id = p
                .invoice(&id)
                .map(|i| i.transaction_id.clone())
                .ok_or_else(|| ApiError::not_found("invoice", &id))?;
            refund(p, ctx, &transaction_id, req, key, true)
        },
    )
    .await
}

pub(crate) async fn refund_transaction(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /transactions/{id}/refunds");
    em.write(
        &caller,
        &headers,
        &route,
        &body,
        |p, ctx, req: RefundCreate, key| refund(p, ctx, &id, req, key, false),
    )
    .await
}

pub(crate) async fn list_refunds(
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let t = p
            .transaction(&id)
            .and_then(|t| Transaction::seen(t, horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &id))?;
        let refunds: Vec<Value> = t
            .refunds
            .iter()
            .map(|r| json!(RefundOut::new(r, t.currency)))
            .collect();
        Ok(json!({"refunds": refunds}))
    })
}

pub(crate) async fn get_refund(
    Authed { emu: em, caller }: Authed,
    Path((id, refund_id)): Path<(String, String)>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let t = p
            .transaction(&id)
            .and_then(|t| Transaction::seen(t, horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &id))?;
        let r = t
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .ok_or_else(|| ApiError::not_found("refund", &refund_id))?;
        Ok(json!({"refund": RefundOut::new(r, t.currency)}))
    })
}
