//! Recurring charges (`rp.cfm`) on the terms the initial order registered.

use axum::response::Response;

use super::{decide, refuses_duplicates, required, After, Authed, Decision, NewOrder};
use crate::assist::rules::{self, RecurringChecks};
use crate::assist::state::{AssistState, MerchantAccount, OrderSource, OrderState};
use crate::assist::wire::{Params, WsError};
use crate::assist::Emulator;

/// The Recurring* names a request may carry by mistake: they are parameters of the initial
/// authorization on the payment page, not of rp.cfm (docs.belassist.by pageId=78513199 lists
/// none), so rp.cfm ignores them and the ledger notes it.
const RECURRING_NAMES: [&str; 6] = [
    "RecurringIndicator",
    "RecurringMinAmount",
    "RecurringMaxAmount",
    "RecurringPeriod",
    "RecurringCount",
    "RecurringMaxDate",
];

/// `POST /recurrent/rp.cfm`: an MIT charge against the initial order's BillNumber.
pub(crate) async fn recurring(Authed { emu, caller: call }: Authed) -> Response {
    let after = {
        let mut state = emu.lock();
        match recurring_locked(&emu, &mut state, &call.merchant, &call.params) {
            Ok(after) => after,
            Err(error) => After::Answer(Err(error)),
        }
    };
    after.respond(&emu, call.format, rules::RECURRING).await
}

fn recurring_locked(
    emu: &Emulator,
    state: &mut AssistState,
    merchant: &MerchantAccount,
    p: &Params,
) -> Result<After, WsError> {
    let (initial_bill, _) = rules::parse_billnumber(required(p, "BillNumber", rules::BILLNUMBER)?)?;
    let ordernumber = required(p, "OrderNumber", rules::ORDERNUMBER)?;
    rules::check_ordernumber(ordernumber)?;
    let currency = rules::parse_currency(required(p, "Currency", rules::CURRENCY)?)?;
    let amount_minor = rules::parse_amount(required(p, "Amount", rules::AMOUNT)?, currency)?;
    let initial_index = state
        .resolve_order(merchant, &initial_bill)
        .ok_or(WsError::new(rules::MISSING_OBJECT, rules::BILLNUMBER))?;
    let initial = state.orders[initial_index].clone();
    let chargeable = matches!(
        initial.state,
        OrderState::Approved | OrderState::PartialCanceled | OrderState::PartialApproved
    );
    if matches!(initial.source, OrderSource::Recurring { .. }) || !chargeable {
        return Err(WsError::new(rules::PROHIBITED, rules::RECURRING));
    }
    // The terms were registered with the initial authorization (RecurringIndicator=1 and the
    // limits on the payment page, docs.belassist.by pageId=24674665); an order made without
    // them is no recurring initial, whatever this request carries.
    let Some(terms) = initial.recurring else {
        return Err(WsError::new(rules::PROHIBITED, rules::RECURRING));
    };
    let mut warnings = Vec::new();
    if RECURRING_NAMES.iter().any(|name| p.get(name).is_some()) {
        warnings.push(
            "Recurring* fields are not rp.cfm parameters: ignored, the initial order's registered terms apply"
                .into(),
        );
    }
    let previous: Vec<OrderState> = state
        .orders_numbered(merchant, ordernumber)
        .iter()
        .map(|o| o.state)
        .collect();
    rules::may_reuse_ordernumber(&previous, refuses_duplicates(emu, state))?;
    let now = emu.ctx.now();
    let last_charge = state
        .series(&initial_bill)
        .filter(|o| o.state.took_money())
        .map(|o| o.created_at)
        .chain(std::iter::once(initial.created_at))
        .max()
        .unwrap_or(initial.created_at);
    let checks = RecurringChecks {
        period: state.rules.enforce_period,
        max_date: state.rules.enforce_max_date,
    };
    let mut recorded = vec!["BillNumber"];
    recorded.extend(RECURRING_NAMES);
    let credential = p.subset(&recorded);
    let breach = rules::check_recurring(
        &terms,
        initial.currency,
        amount_minor,
        currency,
        last_charge,
        now,
        checks,
    );
    let decision = match breach {
        Err(breach) if state.rules.recurring_violation_as_error => return Err(breach.error()),
        Err(_) => Decision::Code("AS100"),
        Ok(()) => decide(
            &initial.card,
            false,
            amount_minor,
            currency,
            now.date_naive(),
        ),
    };
    let new = NewOrder {
        ordernumber: ordernumber.to_string(),
        amount_minor,
        currency,
        comment: p.get("OrderComment").unwrap_or_default().to_string(),
        card: initial.card.clone(),
        source: OrderSource::Recurring {
            initial: initial_bill,
        },
        delay: false,
        credential,
        warnings,
        wrapped: true,
    };
    Ok(emu.settle(state, merchant, new, decision))
}
