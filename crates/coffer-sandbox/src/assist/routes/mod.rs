//! The handlers, one file per Assist service: the Token Pay charge and its confirmation, recurring
//! charges (`rp.cfm`), order lookups (`orderresult`), cancels, the One Click token listing and
//! the sandbox-only admin routes. This file holds what they share: reading a request in any
//! of Assist's formats and authenticating it (`Call`, the scaffold's body extractor), the order
//! elements of the answers, deciding and settling a payment attempt, and the Assist-shaped
//! service faults.
//!
//! Every field and answer shape here rests on `shared/providers/assist.md` (whose facts name their
//! published page, example or official module) and is listed with its source in
//! `docs/assist.md`; what no source covers is marked there as our choice. The split into one file
//! per resource moved the handlers as they were: no answer changed.

pub(crate) mod admin;
pub(crate) mod charges;
pub(crate) mod orders;
pub(crate) mod page;
pub(crate) mod recurring;
pub(crate) mod refunds;
pub(crate) mod tokens;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use coffer_core::Currency;

use super::rules::{self};
use super::state::{
    AssistState, CardSummary, MerchantAccount, Operation, Order, OrderSource, OrderState,
};
use super::wire::{self, Element, Format, Params, WsError};
use super::Emulator;
use crate::ledger::AcceptedCharge;
use crate::scaffold::BodyCredentials;
use crate::seed::{behaviour_of_last4, CardBehaviour};

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

/// A web-service call whose `Merchant_ID`, `Login` and `Password` Assist accepted, with its
/// parameters and the format its answer takes. A refusal is the web-service error pair in that
/// format, as before the handler ran.
pub(crate) struct Call {
    params: Params,
    format: Format,
    merchant: MerchantAccount,
}

/// A web-service error pair, answered in the format the call asked for.
pub(crate) struct Refused(WsError, Format);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        answer(Err(self.0), self.1)
    }
}

impl BodyCredentials for Call {
    type Emulator = Emulator;
    type Rejection = Refused;

    fn authenticate(emu: &Emulator, headers: &HeaderMap, body: &Bytes) -> Result<Call, Refused> {
        let (params, format) =
            read(headers, body).map_err(|(error, format)| Refused(error, format))?;
        let merchant =
            authenticate_params(&emu.lock(), &params).map_err(|error| Refused(error, format))?;
        Ok(Call {
            params,
            format,
            merchant,
        })
    }
}

/// A web-service call with accepted credentials.
type Authed = crate::scaffold::AuthedBody<Call>;

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
    // Whether orderresult says the order registered a recurring series is UNCONFIRMED
    // (assist.md §2.4, §7 question 2): the sandbox says it for the orders its payment page made
    // (no One Click token), so a page paid without the registration is visible (our choice,
    // docs/assist.md "Enrollment").
    if order.source == OrderSource::InitialPage && order.card.token.is_empty() {
        e = e.field(
            "recurringindicator",
            if order.recurring.is_some() { "1" } else { "0" },
        );
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
