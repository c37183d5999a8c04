//! Cancels, full or partial: `wscancel.cfm` and `cancel.cfm`.

use axum::response::Response;

use super::{answer, optional_amount, order_element, required, Authed, Call, Entry, Outcome};
use crate::assist::rules::{self};
use crate::assist::state::{AssistState, MerchantAccount, Operation, OrderState};
use crate::assist::wire::{self, Element, Params, WsError};
use crate::assist::Emulator;

/// Which cancel path a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelPath {
    /// `/cancel/wscancel.cfm`: SOAP or JSON.
    WsCancel,
    /// `/cancel/cancel.cfm`: plain POST.
    Plain,
}

/// `POST /cancel/wscancel.cfm`: full or partial cancel/refund.
pub(crate) async fn wscancel(Authed { emu, caller: call }: Authed) -> Response {
    cancel_on(&emu, CancelPath::WsCancel, &call)
}

/// `POST /cancel/cancel.cfm`: the same over plain POST.
pub(crate) async fn cancel(Authed { emu, caller: call }: Authed) -> Response {
    cancel_on(&emu, CancelPath::Plain, &call)
}

fn cancel_on(emu: &Emulator, path: CancelPath, call: &Call) -> Response {
    // Externalrefundid "is used only for the wscancel service and for JSON and SOAP formats"
    // (docs.belassist.by pageId=78512286, footnote 2); the emulator speaks no SOAP, so only a
    // JSON body on wscancel.cfm has its duplicate guard.
    let guarded = path == CancelPath::WsCancel && call.params.json;
    let outcome = {
        let mut state = emu.lock();
        cancel_locked(emu, &mut state, &call.merchant, &call.params, guarded)
    };
    answer(outcome, call.format)
}

fn cancel_locked(
    emu: &Emulator,
    state: &mut AssistState,
    merchant: &MerchantAccount,
    p: &Params,
    guarded: bool,
) -> Outcome {
    let (bill, _) = rules::parse_billnumber(required(p, "Billnumber", rules::BILLNUMBER)?)?;
    let index = state
        .resolve_order(merchant, &bill)
        .ok_or(WsError::new(rules::MISSING_OBJECT, rules::BILLNUMBER))?;
    let order = state.orders[index].clone();
    let requested = optional_amount(p, order.currency)?;
    let refund_id = p.get("Externalrefundid").filter(|_| guarded);
    if let Some(id) = refund_id {
        rules::check_refund_id(id)?;
        if order.refund_ids.iter().any(|used| used == id) {
            return Err(WsError::new(rules::DUPLICATE, rules::REFUND));
        }
    }
    let amount = match order.state {
        OrderState::Approved | OrderState::PartialApproved | OrderState::PartialCanceled => {
            rules::refund_amount(order.amount_minor, order.refunded_minor, requested)?
        }
        // An authorization awaiting confirmation is released whole.
        OrderState::Delayed if requested.is_none_or(|a| a == order.amount_minor) => {
            order.amount_minor
        }
        _ => return Err(WsError::new(rules::PROHIBITED, rules::CANCEL)),
    };
    let now = emu.ctx.now();
    let order = &mut state.orders[index];
    let number = order.operations.len() as u32 + 1;
    order.operations.push(Operation {
        number,
        operation_type: 300,
        state: "Success".into(),
        amount_minor: amount,
        responsecode: "AS000".into(),
        at: now,
        order_state_before: Some(order.state),
    });
    order.refunded_minor += amount;
    order.state = if order.refunded_minor >= order.amount_minor {
        OrderState::Canceled
    } else {
        OrderState::PartialCanceled
    };
    if let Some(id) = refund_id {
        order.refund_ids.push(id.to_string());
    }
    let order = order.clone();
    let reason = p.subset(&["CancelReason", "Externalrefundid"]);
    let mut warnings = Vec::new();
    if !guarded && p.get("Externalrefundid").is_some() {
        warnings.push(
            "Externalrefundid ignored: it works only in wscancel's JSON and SOAP formats".into(),
        );
    }
    let entry = Entry {
        kind: "refund",
        id: order.operation_ref(number),
        amount_minor: amount,
        fields: reason,
        status: "approved",
        warnings,
    };
    emu.record(&order, entry);
    Ok(wire::ok_root().child(Element::new("orders").child(order_element(&order, true, now))))
}
