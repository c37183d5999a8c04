//! The handlers, one per documented service (assist.md §2), plus the sandbox-only register and
//! switches under `/__sandbox`. Every handler reads its parameters, authenticates, checks the
//! rules in `rules.rs`, changes the state under the lock, releases it, and only then waits
//! (timeout card) or drops the answer (response-lost card).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use coffer_core::Currency;
use serde::Deserialize;

use super::rules::{self, RecurringChecks};
use super::state::{
    AssistState, CardSummary, MerchantAccount, Operation, Order, OrderSource, OrderState,
    SeededInitials,
};
use super::wire::{
    self, Element, Format, Params, RegisterCard, RegisterCustomer, TokenCard, WsError,
};
use super::Emulator;
use crate::ledger::AcceptedCharge;
use crate::seed::{behaviour_of_last4, CardBehaviour, Seed};

type Outcome = Result<Element, WsError>;

/// Reads the body and the requested format; unreadable bodies and unsupported formats are
/// answered here.
fn read(headers: &HeaderMap, body: &Bytes) -> Result<(Params, Format), (WsError, Format)> {
    let params = Params::from_body(headers, body)
        .map_err(|_| (WsError::new(rules::FORMAT, 0), Format::Xml))?;
    let format = wire::negotiate(&params).map_err(|f| (WsError::new(6, rules::FORMAT_FIELD), f))?;
    Ok((params, format))
}

fn answer(outcome: Outcome, format: Format) -> Response {
    match outcome {
        Ok(element) => element.render(format),
        Err(error) => error.element().render(format),
    }
}

fn required<'a>(p: &'a Params, name: &str, subject: u16) -> Result<&'a str, WsError> {
    p.get(name).ok_or(WsError::new(rules::MISSING, subject))
}

/// Merchant_ID + Login + Password, as every service takes them (assist.md §1). Unknown
/// Merchant_ID is 7/100; a wrong Login or Password is 7/141 (pairs Inferred, §6).
fn authenticate(
    state: &AssistState,
    merchant_id: Option<&str>,
    login: Option<&str>,
    password: Option<&str>,
) -> Result<MerchantAccount, WsError> {
    let merchant_id = merchant_id.ok_or(WsError::new(rules::MISSING, rules::MERCHANT_ID))?;
    if !merchant_id.bytes().all(|b| b.is_ascii_digit()) {
        return Err(WsError::new(rules::FORMAT, rules::MERCHANT_ID));
    }
    let login = login.ok_or(WsError::new(rules::MISSING, 101))?;
    let password = password.ok_or(WsError::new(rules::MISSING, 102))?;
    let merchant = state
        .merchant(merchant_id)
        .ok_or(WsError::new(rules::AUTHENTICATION, rules::MERCHANT_ID))?;
    if merchant.login != login || merchant.password != password {
        return Err(WsError::new(rules::AUTHENTICATION, rules::LOGIN_PASSWORD));
    }
    Ok(merchant.clone())
}

fn authenticate_params(state: &AssistState, p: &Params) -> Result<MerchantAccount, WsError> {
    authenticate(
        state,
        p.get("Merchant_ID"),
        p.get("Login"),
        p.get("Password"),
    )
}

/// GMT timestamps in answers. The exact pattern is UNCONFIRMED (assist.md §1); this is the
/// `dd.MM.yyyy HH:mm:ss` form Assist's pages use for dates.
fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%d.%m.%Y %H:%M:%S").to_string()
}

fn operation_element(order: &Order, op: &Operation) -> Element {
    let success = op.responsecode.starts_with("AS0");
    let approval = if success && op.operation_type == 100 {
        format!("{:06}", (op.at.timestamp().unsigned_abs() % 1_000_000))
    } else {
        String::new()
    };
    Element::new("operation")
        .field("billnumber", order.operation_ref(op.number))
        .field("operationtype", op.operation_type)
        .field("operationstate", &op.state)
        .field(
            "amount",
            rules::format_amount(op.amount_minor, order.currency),
        )
        .field("currency", order.currency.code())
        .field("clientip", "127.0.0.1")
        .field("meantypename", &order.card.brand)
        .field("meannumber", order.card.masked())
        .field("cardholder", "")
        .field("cardexpirationdate", order.card.expiry())
        .field("issuebank", &order.card.bank)
        .field("responsecode", &op.responsecode)
        .field("message", rules::code_message(&op.responsecode))
        .field("customermessage", rules::code_message(&op.responsecode))
        .field("recommendation", "")
        .field("approvalcode", approval)
        .field("protocoltypename", "NET")
        .field("processingname", "Coffer sandbox")
        .field("operationdate", timestamp(op.at))
        .field("authresult", "N")
        .field("authrequired", "0")
}

/// An order with the fields of assist.md §2.4; `flat` adds the per-answer fields rp.cfm,
/// tokenpay and cancel put on the order itself (responsecode, message, amount, currency).
fn order_element(order: &Order, flat: bool, now: DateTime<Utc>) -> Element {
    let mut e = Element::new("order")
        .field("ordernumber", &order.ordernumber)
        .field("billnumber", &order.billnumber)
        .field("testmode", "1")
        .field("ordercomment", &order.comment)
        .field(
            "orderamount",
            rules::format_amount(order.amount_minor, order.currency),
        )
        .field("ordercurrency", order.currency.code())
        .field("firstname", "")
        .field("lastname", "")
        .field("middlename", "")
        .field("email", "")
        .field("orderdate", timestamp(order.created_at))
        .field("orderstate", order.state.as_str())
        .field("packetdate", timestamp(now));
    // Newer versions of the orderresult page add the scheme's decline advice to an order
    // (eng.docs.belassist.by pageId=116032578; assist.md §2.4 "Order fields"); the sandbox
    // sends it only where a test card set one.
    if let Some(advice) = &order.merchant_advice_code {
        e = e.field("merchantadvicecode", advice);
    }
    // `errorcategory`: "the category of responses to unsuccessful payments, received from VISA"
    // (same page); only the Visa test cards set one.
    if let Some(category) = &order.error_category {
        e = e.field("errorcategory", category);
    }
    if !matches!(order.source, OrderSource::Recurring { .. }) {
        e = e.field("token", &order.card.token);
    }
    if flat {
        let last = order.operations.last();
        e = e
            .field("responsecode", order.responsecode())
            .field("message", rules::code_message(order.responsecode()))
            .field(
                "amount",
                rules::format_amount(
                    last.map_or(order.amount_minor, |o| o.amount_minor),
                    order.currency,
                ),
            )
            .field("currency", order.currency.code());
    }
    for op in &order.operations {
        e = e.child(operation_element(order, op));
    }
    e
}

impl Emulator {
    fn record(&self, order: &Order, entry: Entry) {
        self.ctx.ledger.record(AcceptedCharge {
            provider: "assist".into(),
            merchant: order.merchant_id.clone(),
            id: entry.id,
            kind: entry.kind.into(),
            amount_minor: entry.amount_minor,
            currency: order.currency.code().into(),
            card_token: order.card.token.clone(),
            customer: Some(order.card.customer_number.clone()),
            idempotency_key: None,
            order_id: Some(order.ordernumber.clone()),
            stored_credential: entry.fields,
            status: entry.status.into(),
            warnings: entry.warnings,
            at: self.ctx.now(),
        });
    }

    fn record_charge(&self, order: &Order, credential: serde_json::Value, warnings: Vec<String>) {
        let status = match order.state {
            OrderState::Declined | OrderState::Timeout => "declined",
            _ => "approved",
        };
        let entry = Entry {
            kind: "charge",
            id: order.billnumber.clone(),
            amount_minor: order.amount_minor,
            fields: credential,
            status,
            warnings,
        };
        self.record(order, entry);
    }
}

/// One ledger line about an order.
struct Entry {
    /// "charge" or "refund".
    kind: &'static str,
    id: String,
    amount_minor: i64,
    /// The request's stored-credential (or refund) fields, as received.
    fields: serde_json::Value,
    status: &'static str,
    warnings: Vec<String>,
}

/// What happens after the lock is released.
enum After {
    Answer(Outcome),
    /// The timeout card: hold the request, charge nothing.
    Hang,
    /// The response-lost card: charged and recorded, no answer.
    Drop,
}

impl After {
    async fn respond(self, emulator: &Emulator, format: Format, service: u16) -> Response {
        match self {
            After::Answer(outcome) => answer(outcome, format),
            After::Hang => {
                tokio::time::sleep(emulator.ctx.faults.timeout()).await;
                answer(Err(WsError::new(rules::TIMED_OUT, service)), format)
            }
            After::Drop => crate::faults::dropped_response(),
        }
    }
}

/// How a payment attempt on a card ends, before an order is made.
enum Decision {
    Code(&'static str),
    /// A decline that carries the scheme's word (`rules::TEST_CARDS`): Mastercard's advice in
    /// `merchantadvicecode`, Visa's category in `errorcategory`.
    Advised {
        code: &'static str,
        merchant_advice_code: Option<&'static str>,
        error_category: Option<&'static str>,
    },
    Hang,
    Drop,
}

fn decide(
    card: &CardSummary,
    need_cvc: bool,
    amount_minor: i64,
    currency: Currency,
    today: NaiveDate,
) -> Decision {
    if let Some(code) = rules::amount_code(amount_minor, currency) {
        return Decision::Code(code);
    }
    let behaviour = behaviour_of_last4(&card.last4);
    match behaviour {
        CardBehaviour::Timeout => return Decision::Hang,
        CardBehaviour::ResponseLost => return Decision::Drop,
        _ => {}
    }
    if let Some(code) = rules::card_code(behaviour) {
        return Decision::Code(code);
    }
    if let Some(test) = rules::test_card(&card.last4) {
        return Decision::Advised {
            code: test.code,
            merchant_advice_code: test.merchant_advice_code,
            error_category: test.error_category,
        };
    }
    if rules::expired(card.exp_year, card.exp_month, today) {
        return Decision::Code("AS104");
    }
    if need_cvc {
        return Decision::Code("AS110");
    }
    Decision::Code("AS000")
}

struct NewOrder {
    ordernumber: String,
    amount_minor: i64,
    currency: Currency,
    comment: String,
    card: CardSummary,
    source: OrderSource,
    delay: bool,
    /// The request's stored-credential fields, for the ledger.
    credential: serde_json::Value,
    warnings: Vec<String>,
    /// rp.cfm wraps the order in `<orders>`; tokenpay does not.
    wrapped: bool,
}

impl Emulator {
    /// Makes the order for a decided attempt, records it, and says what to answer.
    fn settle(
        &self,
        state: &mut AssistState,
        merchant: &MerchantAccount,
        new: NewOrder,
        decision: Decision,
    ) -> After {
        let (mut code, merchant_advice_code, error_category) = match decision {
            Decision::Hang => return After::Hang,
            Decision::Drop => ("AS000", None, None),
            Decision::Code(code) => (code, None, None),
            Decision::Advised {
                code,
                merchant_advice_code,
                error_category,
            } => (
                code,
                merchant_advice_code.map(str::to_string),
                error_category.map(str::to_string),
            ),
        };
        let lookups_left = if code == "AS300" {
            state.rules.in_process_lookups
        } else {
            0
        };
        if code == "AS300" && lookups_left == 0 {
            code = "AS000";
        }
        let now = self.ctx.now();
        let order_state = rules::state_after(code, new.delay);
        let in_process = order_state == OrderState::InProcess;
        let order = Order {
            merchant_id: merchant.merchant_id.clone(),
            billnumber: state.new_billnumber(merchant.slot),
            ordernumber: new.ordernumber,
            amount_minor: new.amount_minor,
            currency: new.currency,
            state: order_state,
            created_at: now,
            comment: new.comment,
            card: new.card,
            source: new.source,
            recurring: None,
            operations: vec![Operation {
                number: 1,
                operation_type: 100,
                state: if code.starts_with("AS0") {
                    "Success".into()
                } else {
                    "Declined".into()
                },
                amount_minor: new.amount_minor,
                responsecode: code.into(),
                at: now,
                order_state_before: None,
            }],
            refunded_minor: 0,
            refund_ids: Vec::new(),
            lookups_left,
            pending_code: in_process.then(|| "AS000".to_string()),
            pending_fields: in_process.then(|| new.credential.clone()),
            merchant_advice_code,
            error_category,
        };
        if !in_process {
            self.record_charge(&order, new.credential, new.warnings);
        }
        let element = order_element(&order, true, now);
        state.push_order(order);
        if matches!(decision, Decision::Drop) {
            return After::Drop;
        }
        let root = wire::ok_root();
        After::Answer(Ok(if new.wrapped {
            root.child(Element::new("orders").child(element))
        } else {
            root.child(element)
        }))
    }

    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, AssistState> {
        // A poisoned lock only means another handler panicked; the state itself is consistent
        // because every change is applied in one step.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Whether a reused OrderNumber of an order that took money is refused (11/107): the emulator's
/// rule, unless the shared fault knob `assist_order_number_reuse_charges` makes it charge again
/// (assist.md §4.4: a live Assist may).
fn refuses_duplicates(emu: &Emulator, state: &AssistState) -> bool {
    state.rules.refuse_duplicate_order && !emu.ctx.faults.assist_reuse_charges()
}

/// `POST /pay/tokenpay.cfm`: a CIT charge of a One Click card (TokenType 5).
pub(crate) async fn tokenpay(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (params, format) = match read(&headers, &body) {
        Ok(r) => r,
        Err((error, format)) => return answer(Err(error), format),
    };
    let after = {
        let mut state = emu.lock();
        match tokenpay_locked(&emu, &mut state, &params) {
            Ok(after) => after,
            Err(error) => After::Answer(Err(error)),
        }
    };
    after.respond(&emu, format, rules::PAYMENT).await
}

fn tokenpay_locked(emu: &Emulator, state: &mut AssistState, p: &Params) -> Result<After, WsError> {
    let merchant = authenticate_params(state, p)?;
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
        .orders_numbered(&merchant, ordernumber)
        .iter()
        .map(|o| o.state)
        .collect();
    rules::may_reuse_ordernumber(&previous, refuses_duplicates(emu, state))?;
    let credential = p.subset(&["TokenType", "PaymentToken"]);
    let now = emu.ctx.now();
    let owned = state
        .seeded_card(&merchant, &token)
        .filter(|(customer, _)| {
            AssistState::customer_number(&merchant, customer.index) == customer_number
        });
    let (card, decision) = match owned {
        Some((customer, index)) => {
            let card = AssistState::card_summary(&merchant, &customer, index)
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
    Ok(emu.settle(state, &merchant, new, decision))
}

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
pub(crate) async fn recurring(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (params, format) = match read(&headers, &body) {
        Ok(r) => r,
        Err((error, format)) => return answer(Err(error), format),
    };
    let after = {
        let mut state = emu.lock();
        match recurring_locked(&emu, &mut state, &params) {
            Ok(after) => after,
            Err(error) => After::Answer(Err(error)),
        }
    };
    after.respond(&emu, format, rules::RECURRING).await
}

fn recurring_locked(emu: &Emulator, state: &mut AssistState, p: &Params) -> Result<After, WsError> {
    let merchant = authenticate_params(state, p)?;
    let (initial_bill, _) = rules::parse_billnumber(required(p, "BillNumber", rules::BILLNUMBER)?)?;
    let ordernumber = required(p, "OrderNumber", rules::ORDERNUMBER)?;
    rules::check_ordernumber(ordernumber)?;
    let currency = rules::parse_currency(required(p, "Currency", rules::CURRENCY)?)?;
    let amount_minor = rules::parse_amount(required(p, "Amount", rules::AMOUNT)?, currency)?;
    let initial_index = state
        .resolve_order(&merchant, &initial_bill)
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
        .orders_numbered(&merchant, ordernumber)
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
    Ok(emu.settle(state, &merchant, new, decision))
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

/// `POST /orderresult/orderresult.cfm`: every attempt under one OrderNumber in a GMT window.
pub(crate) async fn orderresult(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (params, format) = match read(&headers, &body) {
        Ok(r) => r,
        Err((error, format)) => return answer(Err(error), format),
    };
    let outcome = {
        let mut state = emu.lock();
        orderresult_locked(&emu, &mut state, &params)
    };
    answer(outcome, format)
}

fn orderresult_locked(emu: &Emulator, state: &mut AssistState, p: &Params) -> Outcome {
    let merchant = authenticate_params(state, p)?;
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
        .orders_numbered(&merchant, ordernumber)
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

/// Which cancel path a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CancelPath {
    /// `/cancel/wscancel.cfm`: SOAP or JSON.
    WsCancel,
    /// `/cancel/cancel.cfm`: plain POST.
    Plain,
}

/// `POST /cancel/wscancel.cfm`: full or partial cancel/refund.
pub(crate) async fn wscancel(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    cancel_on(&emu, CancelPath::WsCancel, &headers, &body)
}

/// `POST /cancel/cancel.cfm`: the same over plain POST.
pub(crate) async fn cancel(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    cancel_on(&emu, CancelPath::Plain, &headers, &body)
}

fn cancel_on(emu: &Emulator, path: CancelPath, headers: &HeaderMap, body: &Bytes) -> Response {
    let (params, format) = match read(headers, body) {
        Ok(r) => r,
        Err((error, format)) => return answer(Err(error), format),
    };
    // Externalrefundid "is used only for the wscancel service and for JSON and SOAP formats"
    // (docs.belassist.by pageId=78512286, footnote 2); the emulator speaks no SOAP, so only a
    // JSON body on wscancel.cfm has its duplicate guard.
    let guarded = path == CancelPath::WsCancel && params.json;
    let outcome = {
        let mut state = emu.lock();
        cancel_locked(emu, &mut state, &params, guarded)
    };
    answer(outcome, format)
}

/// Amount and Currency: both or neither (3/105 for an amount without currency, 3/108 for the
/// reverse); the currency must be the order's.
fn optional_amount(p: &Params, order_currency: Currency) -> Result<Option<i64>, WsError> {
    match (p.get("Amount"), p.get("Currency")) {
        (None, None) => Ok(None),
        (Some(_), None) => Err(WsError::new(rules::MISSING, rules::CURRENCY)),
        (None, Some(_)) => Err(WsError::new(rules::MISSING, rules::AMOUNT)),
        (Some(amount), Some(currency)) => {
            if rules::parse_currency(currency)? != order_currency {
                return Err(WsError::new(rules::INVALID, rules::CURRENCY));
            }
            rules::parse_amount(amount, order_currency).map(Some)
        }
    }
}

fn cancel_locked(emu: &Emulator, state: &mut AssistState, p: &Params, guarded: bool) -> Outcome {
    let merchant = authenticate_params(state, p)?;
    let (bill, _) = rules::parse_billnumber(required(p, "Billnumber", rules::BILLNUMBER)?)?;
    let index = state
        .resolve_order(&merchant, &bill)
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

/// `POST /charge/charge.cfm`: confirms a `Delayed` (two-stage) order.
pub(crate) async fn confirm(
    State(emu): State<Arc<Emulator>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (params, format) = match read(&headers, &body) {
        Ok(r) => r,
        Err((error, format)) => return answer(Err(error), format),
    };
    let outcome = {
        let mut state = emu.lock();
        confirm_locked(&emu, &mut state, &params)
    };
    answer(outcome, format)
}

fn confirm_locked(emu: &Emulator, state: &mut AssistState, p: &Params) -> Outcome {
    let merchant = authenticate_params(state, p)?;
    let (bill, _) = rules::parse_billnumber(required(p, "Billnumber", rules::BILLNUMBER)?)?;
    let index = state
        .resolve_order(&merchant, &bill)
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

/// Assist-shaped faults on the `*.cfm` services, on top of the shared HTTP-level ones: an
/// in-body rate limit before processing, and a garbled answer after it.
pub(crate) async fn service_faults(
    State(emu): State<Arc<Emulator>>,
    request: Request,
    next: Next,
) -> Response {
    let (rate_limited, garble) = {
        let mut state = emu.lock();
        let rules = &mut state.rules;
        if rules.rate_limit_in_body_next > 0 {
            rules.rate_limit_in_body_next -= 1;
            (true, false)
        } else if rules.malformed_next > 0 {
            rules.malformed_next -= 1;
            (false, true)
        } else {
            (false, false)
        }
    };
    if rate_limited {
        return answer(Err(WsError::new(17, 3)), Format::Xml);
    }
    let response = next.run(request).await;
    if !garble {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    Response::from_parts(parts, axum::body::Body::from(cut))
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
