//! Sandbox only: the token listing, a settlement run and each seller's authentication modes.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use super::Shared;
use crate::svea::rules::{self};
use crate::svea::state::{self, PaymentStatus};
use crate::svea::wire::Form;

#[derive(Deserialize)]
pub(crate) struct TokensQuery {
    seller_id: String,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// `GET /__sandbox/tokens?seller_id=…&offset=…&limit=…` (sandbox only): the seeded customers
/// with their tokens, card display fields and initial payment, so Coffer's demo can register
/// them; Svea itself has no such listing.
pub(crate) async fn sandbox_tokens(
    State(emu): Shared,
    Query(query): Query<TokensQuery>,
) -> Response {
    let state = emu.state();
    let Some(seller) = state.sellers.get(&query.seller_id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": format!("unknown seller_id '{}'", query.seller_id)})),
        )
            .into_response();
    };
    let total = state.seed.customers;
    let limit = query.limit.unwrap_or(100).min(1000);
    let end = query.offset.saturating_add(limit).min(total);
    let customers: Vec<serde_json::Value> = (query.offset.min(end)..end)
        .map(|index| {
            let customer = crate::seed::customer(&state.seed, &seller.merchant_key, index);
            let cards: Vec<serde_json::Value> = customer
                .cards
                .iter()
                .enumerate()
                .map(|(n, card)| {
                    // What happened to the card since the seed, else the seed itself.
                    let derived =
                        state::seeded_card(seller.seller_no, state.seed.today, &customer, n);
                    let token = derived.as_ref().map(|(p, t)| {
                        let initial = seller.payments.get(&p.pmt_id).unwrap_or(p);
                        (seller.tokens.get(&t.token).unwrap_or(t), initial)
                    });
                    let initial = token.map(|(_, p)| p);
                    let token = token.map(|(t, _)| t);
                    serde_json::json!({
                        "pmt_token": token.map(|t| t.token.clone()),
                        "brand": card.brand,
                        "bin": card.bin,
                        "last4": card.last4,
                        "bank": card.bank,
                        "exp_month": card.exp_month,
                        "exp_year": card.exp_year,
                        "behaviour": card.behaviour,
                        "initial": initial.map(|p| serde_json::json!({
                            "pmt_id": p.pmt_id,
                            "pmt_reference": p.reference,
                            "amount": rules::format_amount(p.amount),
                            "amount_minor": p.amount,
                            "date": p.payment_date.map(rules::format_date),
                        })),
                    })
                })
                .collect();
            serde_json::json!({
                "index": index,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "cards": cards,
            })
        })
        .collect();
    Json(serde_json::json!({
        "seller_id": seller.seller_id,
        "total": total,
        "offset": query.offset,
        "customers": customers,
    }))
    .into_response()
}

/// `POST /__sandbox/settle` (sandbox only, form `seller_id`, `pmt_id`): settles a paid payment,
/// so its status becomes `40` and refunds need `REFUND_AFTER_SETTLEMENT`. With `paid_before`
/// (`dd.MM.yyyy`) instead of `pmt_id`: a settlement run, settling every paid payment of the
/// seller paid before that date; answers how many.
pub(crate) async fn sandbox_settle(State(emu): Shared, body: Bytes) -> Response {
    let Ok(form) = Form::parse(&body, "charset") else {
        return (StatusCode::BAD_REQUEST, "unreadable form").into_response();
    };
    let mut state = emu.state();
    let seed = state.seed.clone();
    if let Some(point) = form.get("paid_before") {
        let Some(point) = rules::parse_date(point) else {
            return (StatusCode::BAD_REQUEST, "paid_before is not dd.MM.yyyy").into_response();
        };
        let Some(seller) = state.sellers.get_mut(form.text("seller_id")) else {
            return (StatusCode::NOT_FOUND, "unknown seller_id").into_response();
        };
        let mut settled = 0;
        for payment in seller.payments.values_mut() {
            if payment.status == PaymentStatus::Paid
                && payment.payment_date.is_some_and(|paid| paid < point)
            {
                payment.status = PaymentStatus::Settled;
                settled += 1;
            }
        }
        return (StatusCode::OK, format!("settled {settled}")).into_response();
    }
    let payment = state.sellers.get_mut(form.text("seller_id")).and_then(|s| {
        s.touch_payment(&seed, form.text("pmt_id"));
        s.payments.get_mut(form.text("pmt_id"))
    });
    match payment {
        None => (StatusCode::NOT_FOUND, "unknown seller_id or pmt_id").into_response(),
        Some(p) if p.status == PaymentStatus::Paid => {
            p.status = PaymentStatus::Settled;
            (StatusCode::OK, "settled").into_response()
        }
        Some(_) => (
            StatusCode::CONFLICT,
            "only a paid, unsettled payment can be settled",
        )
            .into_response(),
    }
}

/// `POST /__sandbox/auth-modes` (sandbox only, form `seller_id`, `hash=Y|N`, `basic=Y|N`): which
/// authentication the seller accepts, both by default (§6).
pub(crate) async fn sandbox_auth_modes(State(emu): Shared, body: Bytes) -> Response {
    let Ok(form) = Form::parse(&body, "charset") else {
        return (StatusCode::BAD_REQUEST, "unreadable form").into_response();
    };
    let flag = |name: &str| match form.get(name) {
        Some("Y") => Ok(Some(true)),
        Some("N") => Ok(Some(false)),
        None => Ok(None),
        Some(_) => Err(name.to_string()),
    };
    let (hash, basic) = match (flag("hash"), flag("basic")) {
        (Ok(hash), Ok(basic)) => (hash, basic),
        (Err(name), _) | (_, Err(name)) => {
            return (StatusCode::BAD_REQUEST, format!("{name} must be Y or N")).into_response()
        }
    };
    let mut state = emu.state();
    let Some(seller) = state.sellers.get_mut(form.text("seller_id")) else {
        return (StatusCode::NOT_FOUND, "unknown seller_id").into_response();
    };
    seller.accepts_hash = hash.unwrap_or(seller.accepts_hash);
    seller.accepts_basic = basic.unwrap_or(seller.accepts_basic);
    Json(serde_json::json!({"hash": seller.accepts_hash, "basic": seller.accepts_basic}))
        .into_response()
}
