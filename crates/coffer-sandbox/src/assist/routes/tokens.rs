//! The One Click token listing (`token.cfm`): a customer's saved cards.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::authenticate;
use crate::assist::rules::{self};
use crate::assist::state::AssistState;
use crate::assist::wire::{self, TokenCard, WsError};
use crate::assist::Emulator;

fn token_error(error: WsError, message: &str) -> Response {
    // The published error object (wire::TokenFault). Its HTTP status is not published; the
    // emulator answers 200, as every other Assist service does for a processed request.
    Json(wire::TokenFault {
        fault: wire::FaultBody {
            detail: message.into(),
            faultcode: error.firstcode,
            faultstring: error.secondcode,
        },
    })
    .into_response()
}

/// `POST /pay/oneclick/v1/token.cfm`: the saved cards of one CustomerNumber (JSON in and out).
pub(crate) async fn tokens(State(emu): State<Arc<Emulator>>, body: Bytes) -> Response {
    let Ok(serde_json::Value::Object(request)) = serde_json::from_slice::<serde_json::Value>(&body)
    else {
        return token_error(
            WsError::new(rules::FORMAT, 0),
            "the body must be a JSON object",
        );
    };
    let member = |object: &serde_json::Map<String, serde_json::Value>, name: &str| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| wire::json_text(v))
            .filter(|v| !v.trim().is_empty())
    };
    let credentials = request
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("merchant"))
        .and_then(|(_, v)| v.as_object())
        .cloned()
        .unwrap_or_default();
    let state = emu.lock();
    let merchant = match authenticate(
        &state,
        member(&credentials, "merchant_id").as_deref(),
        member(&credentials, "login").as_deref(),
        member(&credentials, "password").as_deref(),
    ) {
        Ok(m) => m,
        Err(e) if e.firstcode == rules::AUTHENTICATION => {
            return token_error(e, "authentication failed")
        }
        Err(e) => return token_error(e, "merchant credentials are missing or malformed"),
    };
    let Some(customer_number) = member(&request, "customernumber") else {
        return token_error(
            WsError::new(rules::MISSING, 0),
            "customernumber is required",
        );
    };
    if customer_number.chars().count() > 32 {
        return token_error(
            WsError::new(rules::FORMAT, 0),
            "customernumber is longer than 32 characters",
        );
    }
    let today = emu.ctx.now().date_naive();
    let cards: Vec<TokenCard> = match state.customer_index(&merchant, &customer_number) {
        None => Vec::new(),
        Some(index) => {
            let customer = state.customer(&merchant, index);
            customer
                .cards
                .iter()
                .enumerate()
                .map(|(n, card)| TokenCard {
                    token: AssistState::token(&merchant, index, n),
                    post: card.last4.clone(),
                    // Seeded BINs are six digits, never starting with 0; a malformed one
                    // would be a seed bug, listed as 0 rather than failing the listing.
                    bin: card.bin.parse().unwrap_or(0),
                    brand: brand_name(card.brand).to_string(),
                    bank: card.bank.to_string(),
                    expire: format!("{:02}.{}", card.exp_month, card.exp_year),
                    active: !rules::expired(card.exp_year, card.exp_month, today),
                    need_cvc: rules::needs_cvc(index, n),
                    assets: brand_assets(card.brand, &emu.ctx.base_url),
                })
                .collect()
        }
    };
    drop(state);
    // A bare array, as the published example is.
    Json(cards).into_response()
}

/// The scheme as the listing spells it: the published example has `VISA` and `MasterCard`
/// (the latter as given in the brief; the part of the page we could read shows only `VISA`).
/// Other seeded schemes keep the seed's name (no source shows them).
fn brand_name(seed_brand: &'static str) -> &'static str {
    match seed_brand {
        "MC" => "MasterCard",
        other => other,
    }
}

/// Card art for the two schemes the docs list as `paymentType` (VISA, MC): an `ICON` with one
/// PNG, as the published example's first asset is. Other schemes get none ("an empty value").
fn brand_assets(brand: &str, base_url: &str) -> Vec<wire::CardAsset> {
    let payment_type = match brand {
        "VISA" => "VISA",
        "MC" => "MC",
        _ => return Vec::new(),
    };
    vec![wire::CardAsset {
        asset_type: "ICON",
        alt_text: "cardSymbol",
        payment_type,
        asset_data: vec![wire::AssetData {
            url: format!(
                "{base_url}/__sandbox/assets/{}.png",
                brand.to_ascii_lowercase()
            ),
            media_type: "image/png",
            width: 100,
            height: 100,
        }],
    }]
}
