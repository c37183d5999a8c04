//! Cards: the tokenizer's `/v1/tokens` (the PAKMS `apikey`) and revoking a saved card.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::Response;
use http::HeaderMap;
use serde_json::{json, Map, Value};

use super::{header_str, lock, millis, not_found, object, ok, Authed, Emu, Merchant, Reject};
use crate::clover::rules::{self, Refusal};
use crate::clover::state;
use crate::clover::wire;

fn exp_field(card: &Map<String, Value>, field: &str) -> Option<i64> {
    match card.get(field)? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

pub(crate) async fn create_token(
    State(emu): Emu,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Reject> {
    let Some(key) = header_str(&headers, "apikey") else {
        return Err(Reject::Bare(401));
    };
    let body = object(&body)?;
    let Some(Value::Object(card)) = body.get("card") else {
        return Err(Refusal::invalid("card", "card is required").into());
    };
    let number: String = card
        .get("number")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !rules::luhn_ok(&number) {
        return Err(
            Refusal::invalid("card.number", "The card number is not a valid card number.").into(),
        );
    }
    let Some(exp_month) = exp_field(card, "exp_month").filter(|m| (1..=12).contains(m)) else {
        return Err(Refusal::invalid("card.exp_month", "exp_month must be 01 to 12").into());
    };
    let Some(exp_year) = exp_field(card, "exp_year")
        .map(|y| if y < 100 { 2000 + y } else { y })
        .filter(|y| (2000..2200).contains(y))
    else {
        return Err(Refusal::invalid("card.exp_year", "exp_year must be a four-digit year").into());
    };
    if let Some(cvv) = card.get("cvv") {
        let valid = cvv
            .as_str()
            .is_some_and(|c| (3..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            return Err(Refusal::invalid("card.cvv", "cvv must be 3 or 4 digits").into());
        }
    }
    let now = millis(emu.ctx.now());
    let mut state = lock(&emu)?;
    let Some(m) = state.by_apikey(key) else {
        return Err(Reject::Bare(401));
    };
    let merchant = &mut state.merchants[m];
    let counter = merchant.next_counter();
    // Only display fields are kept: the number and CVV go no further than this function.
    let token = state::Token {
        id: rules::api_token(merchant.number, counter),
        brand: rules::brand_of_number(&number).to_string(),
        first6: number[..6].to_string(),
        last4: number[number.len() - 4..].to_string(),
        exp_month: exp_month as u32,
        exp_year: exp_year as i32,
        behaviour: rules::behaviour_of_number(&number),
        used: false,
        created_ms: now,
    };
    let answer = wire::token(&token);
    merchant.tokens.insert(token.id.clone(), token);
    Ok(ok(&answer))
}

pub(crate) async fn revoke_card(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path((id, card)): Path<(String, String)>,
) -> Result<Response, Reject> {
    let now = millis(emu.ctx.now());
    let mut guard = lock(&emu)?;
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    let Some(index) = rules::parse_customer_id(merchant.number, &id) else {
        return Ok(not_found("customer", &id));
    };
    let live = merchant
        .customer(seed, index)
        .is_some_and(|c| c.cards.iter().any(|k| k.id == card && !k.deleted));
    if !live {
        return Ok(not_found("source", &card));
    }
    if let Some(customer) = merchant.customer_mut(seed, index) {
        for k in customer.cards.iter_mut().filter(|k| k.id == card) {
            k.deleted = true;
            k.modified_ms = now;
        }
    }
    Ok(ok(
        &json!({ "id": card, "object": "card", "deleted": true }),
    ))
}
