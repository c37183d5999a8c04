//! Refunds: create (no more than is left of the charge), look up and list.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::{
    created_filter, list_limit, lock, millis, not_found, object, ok, page, param, query,
    string_field, Authed, Merchant, Reject,
};
use crate::clover::rules::{self, Refusal};
use crate::clover::state::{self, MerchantState, Refund};
use crate::clover::wire;
use crate::clover::Emulator;
use crate::seed::Seed;
use crate::AcceptedCharge;

/// `POST /v1/refunds`: validates, refunds no more than is left, and records the refund.
fn refund_charge(
    emu: &Emulator,
    merchant: &mut MerchantState,
    seed: &Seed,
    body: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Refund, Refusal> {
    let charge_id = string_field(body, "charge")?
        .ok_or_else(|| Refusal::invalid("charge", "charge is required"))?;
    let asked = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| Refusal::invalid("amount", "amount must be an integer in cents"))?,
        ),
    };
    let reason = string_field(body, "reason")?;
    if let Some(r) = &reason {
        if !["duplicate", "fraudulent", "requested_by_customer"].contains(&r.as_str()) {
            return Err(Refusal::invalid(
                "reason",
                "reason must be duplicate, fraudulent or requested_by_customer",
            ));
        }
    }
    let external_reference_id = string_field(body, "external_reference_id")?;
    if external_reference_id
        .as_ref()
        .is_some_and(|r| r.chars().count() > 12)
    {
        return Err(Refusal::invalid(
            "external_reference_id",
            "external_reference_id must be at most 12 characters",
        ));
    }
    let mut charge = merchant.charge(seed, &charge_id).ok_or_else(|| {
        Refusal::code(
            404,
            "resource_missing",
            "invalid_request_error",
            format!("No such charge: {charge_id}"),
        )
    })?;
    if !charge.paid {
        return Err(Refusal::invalid(
            "charge",
            "A declined charge cannot be refunded.",
        ));
    }
    let has_extras =
        charge.tax_amount.is_some_and(|t| t > 0) || charge.tip_amount.is_some_and(|t| t > 0);
    let amount = rules::refund_amount(charge.amount, charge.amount_refunded, asked, has_extras)?;
    charge.amount_refunded += amount;
    let counter = merchant.next_counter();
    let refund = Refund {
        id: rules::refund_id(merchant.number, counter),
        amount,
        charge: charge.id.clone(),
        currency: charge.currency.clone(),
        created_ms: millis(now),
        status: "succeeded".into(),
        reason,
        external_reference_id,
    };
    emu.ctx.ledger.record(AcceptedCharge {
        provider: "clover".into(),
        merchant: merchant.mid.clone(),
        id: refund.id.clone(),
        kind: "refund".into(),
        amount_minor: amount,
        currency: charge.currency.to_ascii_uppercase(),
        card_token: charge.source.token.clone(),
        customer: charge.customer.clone(),
        idempotency_key: None,
        order_id: refund.external_reference_id.clone(),
        stored_credential: Value::Null,
        status: "approved".into(),
        warnings: Vec::new(),
        at: now,
    });
    merchant.put_charge(charge);
    merchant.refunds.push(refund.clone());
    Ok(refund)
}

pub(crate) async fn create_refund(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    body: Bytes,
) -> Result<Response, Reject> {
    let body = object(&body)?;
    let now = emu.ctx.now();
    let mut guard = lock(&emu)?;
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    let r = refund_charge(&emu, merchant, seed, &body, now)?;
    Ok(ok(&wire::refund(&r)))
}

pub(crate) async fn get_refund(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(id): Path<String>,
) -> Result<Response, Reject> {
    let horizon = emu.ctx.horizon();
    let state = lock(&emu)?;
    let seen = state.merchants[m]
        .refunds
        .iter()
        .find(|r| r.id == id)
        .filter(|r| horizon.shows_ms(r.created_ms));
    Ok(match seen {
        Some(r) => ok(&wire::refund(r)),
        None => not_found("refund", &id),
    })
}

pub(crate) async fn list_refunds(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    RawQuery(raw): RawQuery,
) -> Result<Response, Reject> {
    let pairs = query(raw);
    let limit = list_limit(&pairs)?;
    let created = created_filter(&pairs)?;
    let horizon = emu.ctx.horizon();
    let state = lock(&emu)?;
    let charge = param(&pairs, "charge");
    let items = state.merchants[m].refunds.iter().rev().filter(|r| {
        charge.is_none_or(|c| r.charge == c)
            && created(r.created_ms)
            && horizon.shows_ms(r.created_ms)
    });
    let (refunds, has_more) = page(
        items,
        |r| r.id.as_str(),
        limit,
        param(&pairs, "starting_after"),
        param(&pairs, "ending_before"),
    );
    Ok(ok(&wire::list(
        refunds.into_iter().map(wire::refund).collect(),
        has_more,
        "/v1/refunds",
    )))
}
