//! Sandbox only: customer registration, the seeded initials, the rule switches and card-on-file.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;

use crate::assist::rules::{self};
use crate::assist::state::{AssistState, MerchantAccount, SeededInitials};
use crate::assist::wire::{RegisterCard, RegisterCustomer};
use crate::assist::Emulator;
use crate::seed::Seed;

#[derive(Deserialize)]
pub(crate) struct RegisterQuery {
    merchant_id: String,
    offset: Option<usize>,
    limit: Option<usize>,
}

/// `GET /__sandbox/customers?merchant_id=…[&offset=…&limit=…]`: sandbox-only. Assist has no
/// customer listing; this stands in for the merchant's own customer register.
pub(crate) async fn register(
    State(emu): State<Arc<Emulator>>,
    Query(query): Query<RegisterQuery>,
) -> Response {
    let state = emu.lock();
    let Some(merchant) = state.merchant(&query.merchant_id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "unknown merchant_id"})),
        )
            .into_response();
    };
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(usize::MAX);
    let end = offset.saturating_add(limit).min(state.seed.customers);
    let rows: Vec<RegisterCustomer> = (offset.min(end)..end)
        .map(|index| {
            let customer = state.customer(&merchant, index);
            let cards = customer
                .cards
                .iter()
                .enumerate()
                .map(|(n, card)| RegisterCard {
                    token: AssistState::token(&merchant, index, n),
                    last4: card.last4.clone(),
                    initial_billnumber: card
                        .has_initial
                        .then(|| AssistState::seeded_billnumber(&merchant, index, n)),
                    initial_ordernumber: card
                        .has_initial
                        .then(|| AssistState::seeded_ordernumber(&merchant, index, n)),
                    initial_kind: card.has_initial.then(|| {
                        if rules::one_click_initial(index, n) {
                            "one_click"
                        } else {
                            "recurring"
                        }
                    }),
                })
                .collect();
            RegisterCustomer {
                customer_number: AssistState::customer_number(&merchant, index),
                name: customer.name,
                email: customer.email,
                phone: customer.phone,
                cards,
            }
        })
        .collect();
    drop(state);
    Json(rows).into_response()
}

#[derive(Deserialize)]
pub(crate) struct InitialsQuery {
    merchant: Option<String>,
    offset: Option<usize>,
    limit: Option<usize>,
}

/// The seed's initials counts of `merchant`, built outside the state lock on first use.
fn seeded_initials(emu: &Emulator, seed: &Seed, merchant: &MerchantAccount) -> Arc<SeededInitials> {
    let cache = || {
        emu.seeded_initials
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let cached = cache().get(&merchant.slot).cloned();
    if let Some(counts) = cached.filter(|c| c.fits(seed)) {
        return counts;
    }
    let built = Arc::new(SeededInitials::build(seed, merchant));
    cache().insert(merchant.slot, built.clone());
    built
}

/// `GET /__sandbox/initials?merchant=<Merchant_ID>&offset=0&limit=100` (sandbox only, `limit`
/// at most 1000): the seeded cards with an initial One Click order, in customer then card order,
/// with the initial billnumber rp.cfm charges against. Assist lists no such thing; Coffer's demo
/// needs it to register the seeded cards.
pub(crate) async fn sandbox_initials(
    State(emu): State<Arc<Emulator>>,
    Query(query): Query<InitialsQuery>,
) -> Response {
    let error = |status: StatusCode, message: String| {
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    };
    let Some(merchant_id) = query.merchant else {
        return error(
            StatusCode::BAD_REQUEST,
            "merchant (the Merchant_ID) is required".into(),
        );
    };
    let offset = query.offset.unwrap_or(0);
    let limit = query.limit.unwrap_or(100).min(1000);
    let found = {
        let state = emu.lock();
        state
            .merchant(&merchant_id)
            .cloned()
            .map(|m| (m, state.seed.clone()))
    };
    let Some((merchant, seed)) = found else {
        return error(
            StatusCode::NOT_FOUND,
            format!("unknown merchant '{merchant_id}'"),
        );
    };
    let mut counts = seeded_initials(&emu, &seed, &merchant);
    let state = emu.lock();
    if !counts.fits(&state.seed) {
        // Reset or restored in between: rare, so built under the lock.
        counts = Arc::new(SeededInitials::build(&state.seed, &merchant));
    }
    let initials = state.initials_page(&merchant, &counts, offset, limit);
    drop(state);
    Json(serde_json::json!({
        "merchant": merchant.merchant_id,
        "total": counts.total,
        "offset": offset,
        "initials": initials,
    }))
    .into_response()
}

/// `GET /__sandbox/rules`: the switches for UNCONFIRMED behaviours.
pub(crate) async fn get_rules(State(emu): State<Arc<Emulator>>) -> Response {
    let rules = emu.lock().rules.clone();
    Json(rules).into_response()
}

/// `PUT /__sandbox/rules`: changes only the switches named in the body.
pub(crate) async fn put_rules(
    State(emu): State<Arc<Emulator>>,
    Json(update): Json<serde_json::Value>,
) -> Response {
    let mut state = emu.lock();
    let mut current = serde_json::to_value(&state.rules).unwrap_or_default();
    if let (Some(target), Some(changes)) = (current.as_object_mut(), update.as_object()) {
        for (k, v) in changes {
            if target.contains_key(k) {
                target.insert(k.clone(), v.clone());
            }
        }
    }
    match serde_json::from_value(current) {
        Ok(rules) => {
            state.rules = rules;
            Json(state.rules.clone()).into_response()
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": e.to_string()})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct CofUpdate {
    merchant_id: String,
    cit_cof: Option<bool>,
    mit_cof: Option<bool>,
}

/// `PUT /__sandbox/cof`: turns a merchant's CIT/MIT COF processing on or off, as support would.
pub(crate) async fn put_cof(
    State(emu): State<Arc<Emulator>>,
    Json(update): Json<CofUpdate>,
) -> Response {
    let mut state = emu.lock();
    let Some(merchant) = state
        .merchants
        .iter_mut()
        .find(|m| m.merchant_id == update.merchant_id)
    else {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": "unknown merchant_id"})),
        )
            .into_response();
    };
    if let Some(v) = update.cit_cof {
        merchant.cit_cof = v;
    }
    if let Some(v) = update.mit_cof {
        merchant.mit_cof = v;
    }
    Json(serde_json::json!({"merchant_id": merchant.merchant_id, "cit_cof": merchant.cit_cof, "mit_cof": merchant.mit_cof})).into_response()
}
