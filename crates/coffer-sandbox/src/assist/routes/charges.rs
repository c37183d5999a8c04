//! Charges: Token Pay (`tokenpay.cfm`) and the confirmation of a two-stage order (`charge.cfm`).

use axum::response::Response;

use super::{
    answer, decide, optional_amount, order_element, refuses_duplicates, required, After, Authed,
    Decision, NewOrder, Outcome,
};
use crate::assist::rules::{self};
use crate::assist::state::{
    AssistState, CardSummary, MerchantAccount, Operation, OrderSource, OrderState,
};
use crate::assist::wire::{self, Element, Params, WsError};
use crate::assist::Emulator;

/// `POST /pay/tokenpay.cfm`: a CIT charge of a One Click card (TokenType 5).
pub(crate) async fn tokenpay(Authed { emu, caller: call }: Authed) -> Response {
    let after = {
        let mut state = emu.lock();
        match tokenpay_locked(&emu, &mut state, &call.merchant, &call.params) {
            Ok(after) => after,
            Err(error) => After::Answer(Err(error)),
        }
    };
    after.respond(&emu, call.format, rules::PAYMENT).await
}

fn tokenpay_locked(
    emu: &Emulator,
    state: &mut AssistState,
    merchant: &MerchantAccount,
    p: &Params,
) -> Result<After, WsError> {
    let ordernumber = required(p, "OrderNumber", rules::ORDERNUMBER)?;
    rules::check_ordernumber(ordernumber)?;
    let currency = match p.get("OrderCurrency") {
        Some(code) => rules::parse_currency(code)?,
        None => merchant.currency,
    };
    if currency != merchant.currency {
        return Err(WsError::new(rules::INVALID, rules::CURRENCY));
    }
    let amount_minor = rules::parse_amount(required(p, "OrderAmount", rules::AMOUNT)?, currency)?;
    let delay = match p.get("Delay") {
        None | Some("0") => false,
        Some("1") => true,
        Some(_) => return Err(WsError::new(rules::FORMAT, rules::DELAY)),
    };
    if p.get("TokenType").unwrap_or("1") != "5" {
        // Wallet tokens (Apple/Google/Samsung/Mir Pay) need a device; the sandbox has none.
        return Err(WsError::new(rules::PROHIBITED, rules::PAYMENT));
    }
    let raw_token = required(p, "PaymentToken", rules::PAYMENT)?;
    let payment_token: serde_json::Value =
        serde_json::from_str(raw_token).map_err(|_| WsError::new(rules::FORMAT, rules::PAYMENT))?;
    let field = |name: &str| {
        payment_token
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
            .map(|(_, v)| wire::json_text(v))
            .filter(|v| !v.is_empty())
    };
    let token = field("Token").ok_or(WsError::new(rules::MISSING, rules::PAYMENT))?;
    let customer_number =
        field("CustomerNumber").ok_or(WsError::new(rules::MISSING, rules::PAYMENT))?;
    if !merchant.cit_cof {
        return Err(WsError::new(rules::PROHIBITED, rules::PAYMENT));
    }
    let previous: Vec<OrderState> = state
        .orders_numbered(merchant, ordernumber)
        .iter()
        .map(|o| o.state)
        .collect();
    rules::may_reuse_ordernumber(&previous, refuses_duplicates(emu, state))?;
    let credential = p.subset(&["TokenType", "PaymentToken"]);
    let now = emu.ctx.now();
    let owned = state.seeded_card(merchant, &token).filter(|(customer, _)| {
        AssistState::customer_number(merchant, customer.index) == customer_number
    });
    let (card, decision) = match owned {
        Some((customer, index)) => {
            let card = AssistState::card_summary(merchant, &customer, index)
                .ok_or(WsError::new(rules::MISSING_OBJECT, rules::ORDER))?;
            let decision = decide(
                &card,
                rules::needs_cvc(customer.index, index),
                amount_minor,
                currency,
                now.date_naive(),
            );
            (card, decision)
        }
        None if state.rules.unknown_token_as_error => {
            return Err(WsError::new(rules::MISSING_OBJECT, rules::ORDER))
        }
        None => (
            CardSummary {
                token: token.clone(),
                customer_number: customer_number.clone(),
                brand: String::new(),
                bin: String::new(),
                last4: String::new(),
                bank: String::new(),
                exp_month: 1,
                exp_year: 1970,
            },
            Decision::Code("AS100"),
        ),
    };
    let new = NewOrder {
        ordernumber: ordernumber.to_string(),
        amount_minor,
        currency,
        comment: p.get("OrderComment").unwrap_or_default().to_string(),
        card,
        source: OrderSource::TokenPay,
        delay,
        credential,
        warnings: Vec::new(),
        wrapped: false,
    };
    Ok(emu.settle(state, merchant, new, decision))
}

/// `POST /charge/charge.cfm`: confirms a `Delayed` (two-stage) order.
pub(crate) async fn confirm(Authed { emu, caller: call }: Authed) -> Response {
    let outcome = {
        let mut state = emu.lock();
        confirm_locked(&emu, &mut state, &call.merchant, &call.params)
    };
    answer(outcome, call.format)
}

fn confirm_locked(
    emu: &Emulator,
    state: &mut AssistState,
    merchant: &MerchantAccount,
    p: &Params,
) -> Outcome {
    let (bill, _) = rules::parse_billnumber(required(p, "Billnumber", rules::BILLNUMBER)?)?;
    let index = state
        .resolve_order(merchant, &bill)
        .ok_or(WsError::new(rules::MISSING_OBJECT, rules::BILLNUMBER))?;
    if state.orders[index].state != OrderState::Delayed {
        return Err(WsError::new(rules::PROHIBITED, rules::CONFIRMATION));
    }
    let currency = state.orders[index].currency;
    let amount = optional_amount(p, currency)?.unwrap_or(state.orders[index].amount_minor);
    if amount > state.orders[index].amount_minor {
        return Err(WsError::new(rules::INVALID, rules::AMOUNT));
    }
    let now = emu.ctx.now();
    let order = &mut state.orders[index];
    let number = order.operations.len() as u32 + 1;
    order.operations.push(Operation {
        number,
        operation_type: 200,
        state: "Success".into(),
        amount_minor: amount,
        responsecode: "AS000".into(),
        at: now,
        order_state_before: Some(order.state),
    });
    order.state = if amount == order.amount_minor {
        OrderState::Approved
    } else {
        OrderState::PartialDelayed
    };
    let order = order.clone();
    Ok(wire::ok_root().child(Element::new("orders").child(order_element(&order, true, now))))
}
