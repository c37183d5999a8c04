//! PAKMS and the Platform API's merchant and gateway: who the token belongs to.

use axum::extract::Path;
use axum::response::Response;
use serde_json::json;

use super::{lock, ok, platform, Authed, Merchant, Reject};

pub(crate) async fn pakms_apikey(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
) -> Result<Response, Reject> {
    let state = lock(&emu)?;
    let merchant = &state.merchants[m];
    Ok(ok(
        &json!({ "apiAccessKey": merchant.apikey, "merchantUuid": merchant.mid, "active": true }),
    ))
}

pub(crate) async fn merchant(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(mid): Path<String>,
) -> Result<Response, Reject> {
    let m = platform(&emu, m, &mid)?;
    let state = lock(&emu)?;
    let merchant = &state.merchants[m];
    Ok(ok(&json!({
        "id": merchant.mid,
        "name": merchant.name,
        "defaultCurrency": merchant.currency.code(),
        "timezone": merchant.time_zone,
        "href": format!("{}/v3/merchants/{}", emu.ctx.base_url, merchant.mid),
    })))
}

pub(crate) async fn gateway(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(mid): Path<String>,
) -> Result<Response, Reject> {
    platform(&emu, m, &mid)?;
    // A Rapid Connect sandbox gateway, the one on which the test cards behave (notes §5).
    Ok(ok(
        &json!({ "paymentGatewayApi": "fdcrcip-sandbox", "supportsMultiPayToken": true }),
    ))
}
