//! Order lookups (`orderresult.cfm`); an `In Process` order turns final after its lookups.

use axum::response::Response;
use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{answer, order_element, required, Authed, Outcome};
use crate::assist::rules::{self};
use crate::assist::state::{AssistState, MerchantAccount, Order, OrderState};
use crate::assist::wire::{self, Params, WsError};
use crate::assist::Emulator;

/// `POST /orderresult/orderresult.cfm`: every attempt under one OrderNumber in a GMT window.
pub(crate) async fn orderresult(Authed { emu, caller: call }: Authed) -> Response {
    let outcome = {
        let mut state = emu.lock();
        orderresult_locked(&emu, &mut state, &call.merchant, &call.params)
    };
    answer(outcome, call.format)
}

fn orderresult_locked(
    emu: &Emulator,
    state: &mut AssistState,
    merchant: &MerchantAccount,
    p: &Params,
) -> Outcome {
    let ordernumber = required(p, "Ordernumber", rules::ORDERNUMBER)?;
    rules::check_ordernumber(ordernumber)?;
    let now = emu.ctx.now();
    let horizon = emu.ctx.horizon();
    let start = window_end(p, "Start", rules::START_DATE)?.unwrap_or(now - Duration::days(3));
    let end = window_end(p, "End", rules::END_DATE)?.unwrap_or(now);
    // End* has minute precision; an order made within the end minute still belongs to it.
    let end = end + Duration::seconds(59);
    // An `In Process` order becomes final after the configured number of lookups (that could
    // see it: an order hidden by `lookup_lag_secs` was not looked at).
    let pending: Vec<usize> = state
        .numbered(&merchant.merchant_id, ordernumber)
        .into_iter()
        .filter(|&i| {
            let order = &state.orders[i];
            order.state == OrderState::InProcess && horizon.shows(order.created_at)
        })
        .collect();
    for i in pending {
        let order = &mut state.orders[i];
        order.lookups_left = order.lookups_left.saturating_sub(1);
        if order.lookups_left == 0 {
            let code = order.pending_code.take().unwrap_or_else(|| "AS000".into());
            order.state = rules::state_after(&code, false);
            if let Some(op) = order.operations.last_mut() {
                op.state = if code.starts_with("AS0") {
                    "Success".into()
                } else {
                    "Declined".into()
                };
                op.responsecode = code;
            }
            let fields = order.pending_fields.take().unwrap_or_default();
            let order = order.clone();
            emu.record_charge(&order, fields, vec!["settled after In Process".into()]);
        }
    }
    let orders: Vec<Order> = state
        .orders_numbered(merchant, ordernumber)
        .into_iter()
        .filter(|o| o.created_at >= start && o.created_at <= end)
        .collect();
    let seen: Vec<_> = orders.iter().filter_map(|o| o.as_seen(horizon)).collect();
    let mut root = wire::ok_root().attr("count", seen.len());
    for order in &seen {
        root = root.child(order_element(order, false, now));
    }
    Ok(root)
}

/// One end of an orderresult window from its split GMT fields; `None` when no field is sent.
fn window_end(p: &Params, prefix: &str, subject: u16) -> Result<Option<DateTime<Utc>>, WsError> {
    let names = ["Year", "Month", "Day", "Hour", "Min"];
    let values: Vec<Option<&str>> = names
        .iter()
        .map(|n| p.get(&format!("{prefix}{n}")))
        .collect();
    if values.iter().all(Option::is_none) {
        return Ok(None);
    }
    let bad = WsError::new(rules::FORMAT, subject);
    let number = |i: usize, default: u32| -> Result<u32, WsError> {
        match values[i] {
            None => Ok(default),
            Some(v) => v.parse::<u32>().map_err(|_| bad),
        }
    };
    let year = values[0]
        .ok_or(WsError::new(rules::MISSING, subject))?
        .parse::<i32>()
        .map_err(|_| bad)?;
    Utc.with_ymd_and_hms(
        year,
        number(1, 1)?,
        number(2, 1)?,
        number(3, 0)?,
        number(4, 0)?,
        0,
    )
    .single()
    .map(Some)
    .ok_or(bad)
}
