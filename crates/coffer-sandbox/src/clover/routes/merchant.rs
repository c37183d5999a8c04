//! PAKMS and the Platform API's merchant and gateway: who the token belongs to.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::HeaderMap;
use serde_json::json;

use super::{authorize, authorize_mid, lock, ok, Emu};

pub(crate) async fn pakms_apikey(State(emu): Emu, headers: HeaderMap) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let merchant = &state.merchants[m];
    ok(&json!({ "apiAccessKey": merchant.apikey, "merchantUuid": merchant.mid, "active": true }))
}

pub(crate) async fn merchant(
    State(emu): Emu,
    headers: HeaderMap,
    Path(mid): Path<String>,
) -> Response {
    let m = match authorize_mid(&emu, &headers, &mid) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let merchant = &state.merchants[m];
    ok(&json!({
        "id": merchant.mid,
        "name": merchant.name,
        "defaultCurrency": merchant.currency.code(),
        "timezone": merchant.time_zone,
        "href": format!("{}/v3/merchants/{}", emu.ctx.base_url, merchant.mid),
    }))
}

pub(crate) async fn gateway(
    State(emu): Emu,
    headers: HeaderMap,
    Path(mid): Path<String>,
) -> Response {
    if let Err(r) = authorize_mid(&emu, &headers, &mid) {
        return r.into_response();
    }
    // A Rapid Connect sandbox gateway, the one on which the test cards behave (notes §5).
    ok(&json!({ "paymentGatewayApi": "fdcrcip-sandbox", "supportsMultiPayToken": true }))
}
