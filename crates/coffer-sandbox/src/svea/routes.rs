//! The handlers. Each one decodes the form in its declared charset, finds the seller,
//! authenticates (Basic first, else the request hash), validates, then applies the rules to the
//! state under the lock and answers XML (or HTML and redirects for the card page).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::rules::{self, Charset, HashVersion, PaymentRequest};
use super::state::{self, Flow, Payment, PaymentStatus, Seller, Token};
use super::wire::{self, BasicAuth, FieldError, Form, XmlDoc};
use super::Emulator;
use crate::ledger::AcceptedCharge;
use crate::seed::{behaviour_of_last4, CardBehaviour};

type Shared = State<Arc<Emulator>>;

/// How a request proved who sent it.
#[derive(Debug, Clone, Copy)]
enum Auth {
    Basic,
    Hash(HashVersion),
}

enum AuthError {
    Refused(String),
    Field(FieldError),
}

/// Basic auth when the header is there, else the `{prefix}_hash` over `values`.
fn authenticate(
    seller: Option<&Seller>,
    headers: &HeaderMap,
    form: &Form,
    prefix: &str,
    values: &[&str],
) -> Result<Auth, AuthError> {
    let Some(seller) = seller else {
        return Err(AuthError::Refused(format!("unknown {prefix}_sellerid")));
    };
    match wire::basic_auth(headers) {
        BasicAuth::Given { user, password } => {
            if !seller.accepts_basic {
                return Err(AuthError::Refused(
                    "Basic authentication is not enabled for this seller".into(),
                ));
            }
            if user == seller.seller_id && password == seller.secret {
                Ok(Auth::Basic)
            } else {
                Err(AuthError::Refused("Basic authentication failed".into()))
            }
        }
        BasicAuth::Malformed => Err(AuthError::Refused(
            "Authorization header is not Basic".into(),
        )),
        BasicAuth::Absent => {
            if !seller.accepts_hash {
                return Err(AuthError::Refused(
                    "hash authentication is not enabled for this seller".into(),
                ));
            }
            let Some(sent) = form.get(&format!("{prefix}_hash")) else {
                return Err(AuthError::Refused(format!(
                    "no Authorization header and no {prefix}_hash"
                )));
            };
            let version_field = format!("{prefix}_hashversion");
            let version = form
                .get(&version_field)
                .and_then(HashVersion::parse)
                .ok_or_else(|| AuthError::Field(FieldError::invalid(&version_field)))?;
            // §1: the key generation defaults to 001 when not sent.
            if form
                .get(&format!("{prefix}_keygeneration"))
                .unwrap_or("001")
                != seller.key_generation
            {
                return Err(AuthError::Refused(format!(
                    "unknown {prefix}_keygeneration"
                )));
            }
            let charset_field = format!("{prefix}_charset");
            let charset = match form.get(&charset_field) {
                Some(name) => Charset::parse(name)
                    .ok_or_else(|| AuthError::Field(FieldError::invalid(&charset_field)))?,
                None => Charset::Latin1,
            };
            let expected = rules::hash(version, charset, values, &seller.secret)
                .ok_or_else(|| AuthError::Field(FieldError::invalid(&charset_field)))?;
            if expected.eq_ignore_ascii_case(sent) {
                Ok(Auth::Hash(version))
            } else {
                Err(AuthError::Refused(format!("{prefix}_hash does not match")))
            }
        }
    }
}

/// The algorithm an answer is hashed with: the request's in hash mode, none under Basic. Svea's
/// current Payment Status Query examples show answers to Basic requests without any hash
/// (sveapayments.atlassian.net DOCS page 1657014098), and Svea's Magento 2 module, Basic only,
/// checks none; a `…_hashversion` sent with Basic is ignored (Svea asks to leave it out).
fn answer_hash(auth: Auth) -> Option<HashVersion> {
    match auth {
        Auth::Hash(version) => Some(version),
        Auth::Basic => None,
    }
}

/// The answer's hash, when the request was hashed. Answers are sent in UTF-8 and hashed over
/// the same bytes (for the ASCII values they mostly carry, ISO-8859-1 would give the same hash).
fn sign(version: Option<HashVersion>, values: &[&str], secret: &str) -> Option<String> {
    version.and_then(|version| rules::hash(version, Charset::Utf8, values, secret))
}

/// The answer to a form that cannot be decoded: the field whose charset or bytes are wrong.
fn bad_form(field: &str) -> Response {
    wire::errors_response(StatusCode::BAD_REQUEST, &[FieldError::invalid(field)])
}

fn auth_refused(error: AuthError, prefix: &str) -> Response {
    match error {
        AuthError::Field(field) => wire::errors_response(StatusCode::BAD_REQUEST, &[field]),
        AuthError::Refused(reason) => wire::unauthorized(&[FieldError {
            name: format!("{prefix}_hash"),
            kind: "authentication",
            text: reason,
        }]),
    }
}

fn existing_payment() -> Response {
    wire::errors_response(
        StatusCode::BAD_REQUEST,
        &[FieldError {
            name: "pmt_id".into(),
            kind: "existingPayment",
            text: "[generic][pmt_sellerid][pmt_id][existingPayment]".into(),
        }],
    )
}

impl Emulator {
    fn record(
        &self,
        seller_id: &str,
        payment: &Payment,
        card_token: &str,
        approved: bool,
        received: serde_json::Value,
    ) {
        self.record_entry(
            seller_id,
            &payment.pmt_id,
            "charge",
            payment.amount,
            card_token,
            approved,
            received,
        );
    }

    #[allow(clippy::too_many_arguments)]
    fn record_entry(
        &self,
        seller_id: &str,
        id: &str,
        kind: &str,
        amount: i64,
        card_token: &str,
        approved: bool,
        received: serde_json::Value,
    ) {
        self.ctx.ledger.record(AcceptedCharge {
            provider: "svea".into(),
            merchant: seller_id.to_string(),
            id: id.to_string(),
            kind: kind.to_string(),
            amount_minor: amount,
            currency: "EUR".into(),
            card_token: card_token.to_string(),
            customer: None,
            idempotency_key: None,
            order_id: Some(id.to_string()),
            stored_credential: received,
            status: if approved { "approved" } else { "declined" }.into(),
            warnings: Vec::new(),
            at: self.ctx.now(),
        });
    }
}

/// Svea has no stored-credential flags; what marks a charge as merchant-initiated on a token is
/// the action, version and method, so those are what the ledger keeps "as received".
fn credential_fields(form: &Form) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for (name, value) in form.pairs() {
        if matches!(
            name.as_str(),
            "pmt_action" | "pmt_version" | "pmt_paymentmethod"
        ) {
            map.insert(name.clone(), serde_json::Value::String(value.clone()));
        }
    }
    serde_json::Value::Object(map)
}

/// `<chargeWithTokenResponse>` carrying a `pmt_errorcode` (§3.3; placement Inferred).
fn charge_error(form: &Form, code: &str, text: &str) -> Response {
    XmlDoc::new("chargeWithTokenResponse")
        .field("pmt_action", form.text("pmt_action"))
        .field("pmt_version", form.text("pmt_version"))
        .field("pmt_id", form.text("pmt_id"))
        .field("pmt_errorcode", code)
        .field("pmt_errortext", text)
        .respond(StatusCode::OK)
}

/// The OK answer of a token charge, hashed per §4.3 over the 20-digit reference.
fn charge_ok(payment: &Payment, token: &str, secret: &str) -> Response {
    let reference = rules::technical_reference(&payment.reference);
    let amount = rules::format_amount(payment.amount);
    let costs = rules::format_amount(payment.seller_costs);
    let values = [
        payment.flow.action(),
        payment.flow.version(),
        payment.pmt_id.as_str(),
        reference.as_str(),
        amount.as_str(),
        "EUR",
        costs.as_str(),
        payment.method.as_str(),
        payment.escrow.as_str(),
        token,
    ];
    let hash = sign(payment.hash_version, &values, secret);
    XmlDoc::new("chargeWithTokenResponse")
        .field("pmt_action", values[0])
        .field("pmt_version", values[1])
        .field("pmt_id", values[2])
        .field("pmt_reference", values[3])
        .field("pmt_amount", values[4])
        .field("pmt_currency", values[5])
        .field("pmt_sellercosts", values[6])
        .field("pmt_paymentmethod", values[7])
        .field("pmt_escrow", values[8])
        .field("pmt_token", token)
        .field_opt("pmt_hash", hash)
        .respond(StatusCode::OK)
}

fn new_payment_record(
    request: &PaymentRequest,
    flow: Flow,
    status: PaymentStatus,
    hash_version: Option<HashVersion>,
    now: DateTime<Utc>,
) -> Payment {
    Payment {
        pmt_id: request.pmt_id.clone(),
        order_id: request.order_id.clone(),
        reference: request.reference.clone(),
        amount: request.amount,
        seller_costs: request.seller_costs,
        method: request.method.clone(),
        escrow: request.escrow.clone(),
        flow,
        status,
        payment_date: None,
        refunded: 0,
        token: request.token.clone(),
        buyer_name: request.buyer_name.clone(),
        returns: Some(request.returns.clone()),
        hash_version,
        created_at: Some(now),
        paid_at: None,
        refunds_made: Vec::new(),
    }
}

enum ChargeStep {
    Answer(Response),
    /// The timeout card: hold, then answer with the timeout error and charge nothing.
    Hold {
        seller_id: String,
        pmt_id: String,
    },
    /// Recorded as paid; the answer is lost on purpose.
    Drop,
}

/// `POST /NewChargeWithTokenActionExtended.pmt` (4204): a merchant-initiated charge of a token.
pub(crate) async fn charge_with_token(
    State(emu): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match Form::parse(&body, "pmt_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let now = emu.ctx.now();
    let step = charge_step(&emu, &headers, &form, now);
    match step {
        ChargeStep::Answer(response) => response,
        ChargeStep::Drop => crate::faults::dropped_response(),
        ChargeStep::Hold { seller_id, pmt_id } => {
            let text = "card authorization timed out; query the payment status";
            // The outcome is settled in its own task: a client that gives up closes the
            // connection, which cancels this handler, and the payment must not stay in progress.
            let holder = emu.clone();
            let settled = tokio::spawn(async move {
                tokio::time::sleep(holder.ctx.faults.timeout()).await;
                if let Some(payment) = holder
                    .state()
                    .sellers
                    .get_mut(&seller_id)
                    .and_then(|s| s.payments.get_mut(&pmt_id))
                {
                    payment.status = PaymentStatus::Unpaid {
                        code: "ERROR_CARD_AUTHORIZATION_TIMEOUT".into(),
                        text: text.into(),
                    };
                }
            });
            let _ = settled.await;
            charge_error(&form, "ERROR_CARD_AUTHORIZATION_TIMEOUT", text)
        }
    }
}

fn charge_step(emu: &Emulator, headers: &HeaderMap, form: &Form, now: DateTime<Utc>) -> ChargeStep {
    let mut state = emu.state();
    let seller_id = form.text("pmt_sellerid").to_string();
    let values = rules::payment_hash_values(form);
    let auth = match authenticate(state.sellers.get(&seller_id), headers, form, "pmt", &values) {
        Ok(auth) => auth,
        Err(AuthError::Refused(reason)) => {
            let mut response = charge_error(form, "ERROR_IN_REQUEST_TECHNICAL_DATA", &reason);
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"Svea Payments\""),
            );
            return ChargeStep::Answer(response);
        }
        Err(error) => return ChargeStep::Answer(auth_refused(error, "pmt")),
    };
    let request = match rules::validate_payment(form, Flow::TokenCharge) {
        Ok(request) => request,
        Err(errors) => {
            return ChargeStep::Answer(wire::errors_response(StatusCode::BAD_REQUEST, &errors))
        }
    };
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&seller_id) else {
        return ChargeStep::Answer(auth_refused(
            AuthError::Refused("unknown seller".into()),
            "pmt",
        ));
    };
    seller.touch_payment(&seed, &request.pmt_id);
    if let Some(existing) = seller.payments.get(&request.pmt_id) {
        return ChargeStep::Answer(if existing.is_paid() {
            charge_error(form, "ALREADY_PAID", "order has already been paid")
        } else {
            existing_payment()
        });
    }
    let hash_version = answer_hash(auth);
    let token_id = request.token.clone().unwrap_or_default();
    let received = credential_fields(form);
    let mut payment = new_payment_record(
        &request,
        Flow::TokenCharge,
        PaymentStatus::Processing,
        hash_version,
        now,
    );
    let today = rules::helsinki_date(now);
    let decline = |payment: &mut Payment, code: &str, text: &str| {
        payment.status = PaymentStatus::Unpaid {
            code: code.into(),
            text: text.into(),
        };
    };
    if request.method != "FI50" {
        decline(
            &mut payment,
            "ERROR_PAYMENT_METHOD_NOT_AVAILABLE",
            "payment method not available for this seller",
        );
        seller.payments.insert(payment.pmt_id.clone(), payment);
        return ChargeStep::Answer(charge_error(
            form,
            "ERROR_PAYMENT_METHOD_NOT_AVAILABLE",
            "payment method not available for this seller",
        ));
    }
    seller.touch_token(&seed, &token_id);
    let Some(token) = seller.tokens.get_mut(&token_id) else {
        let text = "unknown payment token";
        decline(&mut payment, "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND", text);
        emu.record(&seller_id, &payment, &token_id, false, received);
        seller.payments.insert(payment.pmt_id.clone(), payment);
        return ChargeStep::Answer(charge_error(
            form,
            "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND",
            text,
        ));
    };
    let outcome =
        rules::check_token_charge(&token.limits(), request.amount, today).and_then(|()| {
            let refusal = |code: &'static str, text: &str| {
                Err(rules::Refusal {
                    code,
                    text: text.to_string(),
                })
            };
            match token.behaviour {
                CardBehaviour::SoftDecline => refusal(
                    "ERROR_CARD_AUTHORIZATION_FAILED",
                    "card authorization failed",
                ),
                CardBehaviour::HardDecline => refusal(
                    "EXTERNAL_SERVICE_DENIED",
                    "payment service denied the transaction",
                ),
                CardBehaviour::Expired => refusal(
                    "ERROR_PAYMENT_INSTRUMENT_EXPIRED",
                    "payment instrument not valid",
                ),
                CardBehaviour::Approve | CardBehaviour::Timeout | CardBehaviour::ResponseLost => {
                    Ok(())
                }
            }
        });
    if let Err(refusal) = outcome {
        decline(&mut payment, refusal.code, &refusal.text);
        emu.record(&seller_id, &payment, &token_id, false, received);
        seller.payments.insert(payment.pmt_id.clone(), payment);
        return ChargeStep::Answer(charge_error(form, refusal.code, &refusal.text));
    }
    if token.behaviour == CardBehaviour::Timeout {
        let pmt_id = payment.pmt_id.clone();
        seller.payments.insert(pmt_id.clone(), payment);
        return ChargeStep::Hold { seller_id, pmt_id };
    }
    payment.status = PaymentStatus::Paid;
    payment.payment_date = Some(today);
    token
        .charges
        .push((rules::month_key(today), request.amount));
    emu.record(&seller_id, &payment, &token_id, true, received);
    let lost = token.behaviour == CardBehaviour::ResponseLost;
    let response = charge_ok(&payment, &token_id, &seller.secret);
    seller.payments.insert(payment.pmt_id.clone(), payment);
    if lost {
        ChargeStep::Drop
    } else {
        ChargeStep::Answer(response)
    }
}

/// `POST /NewPaymentExtended.pmt`: 0004 (payment) or 4304 (payment + tokenization).
pub(crate) async fn new_payment(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmt_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let flow = match form.get("pmt_version") {
        Some("4304") => Flow::PaymentAndTokenize,
        _ => Flow::Payment,
    };
    start_page_flow(&emu, &headers, &form, flow)
}

/// `POST /TokenizeExtended.pmt` (4504): zero-sum card registration.
pub(crate) async fn tokenize(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmt_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    start_page_flow(&emu, &headers, &form, Flow::Tokenize)
}

/// Records the pending payment and sends the payer to the card page: server-to-server (Basic)
/// callers get `<pmt>` with `pmt_paymenturl`, browsers (hash mode) a redirect to it.
fn start_page_flow(emu: &Emulator, headers: &HeaderMap, form: &Form, flow: Flow) -> Response {
    let mut state = emu.state();
    let seller_id = form.text("pmt_sellerid").to_string();
    let values = rules::payment_hash_values(form);
    let auth = match authenticate(state.sellers.get(&seller_id), headers, form, "pmt", &values) {
        Ok(auth) => auth,
        Err(error) => return auth_refused(error, "pmt"),
    };
    let request = match rules::validate_payment(form, flow) {
        Ok(request) => request,
        Err(errors) => return wire::errors_response(StatusCode::BAD_REQUEST, &errors),
    };
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&seller_id) else {
        return auth_refused(AuthError::Refused("unknown seller".into()), "pmt");
    };
    seller.touch_payment(&seed, &request.pmt_id);
    if seller.payments.contains_key(&request.pmt_id) {
        return existing_payment();
    }
    let payment = new_payment_record(
        &request,
        flow,
        PaymentStatus::AwaitingPayer,
        answer_hash(auth),
        emu.ctx.now(),
    );
    let page = page_url(&emu.ctx.base_url, &seller_id, &payment.pmt_id);
    let answer = XmlDoc::new("pmt")
        .field("pmt_action", flow.action())
        .field("pmt_version", flow.version())
        .field("pmt_id", payment.pmt_id.as_str())
        .field(
            "pmt_reference",
            rules::technical_reference(&payment.reference),
        )
        .field("pmt_amount", rules::format_amount(payment.amount))
        .field("pmt_currency", "EUR")
        .field(
            "pmt_sellercosts",
            rules::format_amount(payment.seller_costs),
        )
        .field("pmt_paymentmethod", payment.method.as_str())
        .field("pmt_escrow", payment.escrow.as_str())
        .field("pmt_paymenturl", page.as_str());
    seller.payments.insert(payment.pmt_id.clone(), payment);
    match auth {
        Auth::Basic => answer.respond(StatusCode::OK),
        Auth::Hash(_) => redirect(&page),
    }
}

fn page_url(base: &str, seller_id: &str, pmt_id: &str) -> String {
    with_query(
        &format!("{base}/card-page"),
        &[("s", seller_id), ("id", pmt_id)],
    )
}

fn with_query(url: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{}", query.finish())
}

fn redirect(location: &str) -> Response {
    match header::HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::SEE_OTHER, [(header::LOCATION, value)]).into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            "return URL is not a valid header value",
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    s: String,
    id: String,
}

/// `GET /card-page`: the sandbox's stand-in for Svea's payment page.
pub(crate) async fn card_page(State(emu): Shared, Query(query): Query<PageQuery>) -> Response {
    let mut state = emu.state();
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&query.s) else {
        return (StatusCode::NOT_FOUND, Html("unknown seller".to_string())).into_response();
    };
    seller.touch_payment(&seed, &query.id);
    match seller.payments.get(&query.id) {
        Some(payment) if payment.status == PaymentStatus::AwaitingPayer => {
            Html(page_html(&emu.ctx.base_url, seller, payment, None)).into_response()
        }
        Some(_) => (
            StatusCode::CONFLICT,
            Html("this payment is already completed".to_string()),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, Html("unknown payment".to_string())).into_response(),
    }
}

fn page_html(base: &str, seller: &Seller, payment: &Payment, problem: Option<&str>) -> String {
    let e = wire::html_escape;
    let what = if payment.flow == Flow::Tokenize {
        "Register your card for recurring payments (no charge now)".to_string()
    } else {
        format!("Pay {} EUR", rules::format_amount(payment.amount))
    };
    let problem = problem
        .map(|p| format!("<p class=\"error\" role=\"alert\">{}</p>", e(p)))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Svea Payments sandbox</title></head>
<body>
<h1>Svea Payments (sandbox)</h1>
<p>{seller}: order {order}</p>
<p>{what}</p>
{problem}
<form method="post" action="{base}/card-page">
<input type="hidden" name="s" value="{s}">
<input type="hidden" name="id" value="{id}">
<label>Card number <input name="card_number" autocomplete="cc-number" inputmode="numeric"></label>
<label>or a sandbox test card <select name="test_card"><option value="">(the number typed above)</option><option value="approve">Visa ending 4242, approves</option></select></label>
<label>Expiry month <input name="exp_month" size="2"></label>
<label>Expiry year <input name="exp_year" size="4"></label>
<label>CVC <input name="cvv" size="4" autocomplete="cc-csc"></label>
<label>3-D Secure <select name="three_ds"><option value="pass">authenticate</option><option value="fail">fail authentication</option></select></label>
<button name="action" value="pay">Continue</button>
<button name="action" value="cancel">Cancel</button>
</form>
</body></html>
"#,
        seller = e(&seller.name),
        order = e(&payment.order_id),
        s = e(&seller.seller_id),
        id = e(&payment.pmt_id),
        base = e(base),
    )
}

/// `POST /card-page`: the payer's answer. The card number is read for its Luhn check, last four
/// digits, BIN and scheme, and is then dropped; neither it nor the CVC is stored.
pub(crate) async fn card_page_submit(State(emu): Shared, body: Bytes) -> Response {
    let form = match Form::parse(&body, "charset") {
        Ok(form) => form,
        Err(_) => return (StatusCode::BAD_REQUEST, "unreadable form").into_response(),
    };
    let today = rules::helsinki_date(emu.ctx.now());
    let mut state = emu.state();
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(form.text("s")) else {
        return (StatusCode::NOT_FOUND, Html("unknown seller".to_string())).into_response();
    };
    seller.touch_payment(&seed, form.text("id"));
    let seller_id = seller.seller_id.clone();
    let Some(payment) = seller.payments.get(form.text("id")).cloned() else {
        return (StatusCode::NOT_FOUND, Html("unknown payment".to_string())).into_response();
    };
    if payment.status != PaymentStatus::AwaitingPayer {
        return (
            StatusCode::CONFLICT,
            Html("this payment is already completed".to_string()),
        )
            .into_response();
    }
    let Some(returns) = payment.returns.clone() else {
        return (
            StatusCode::CONFLICT,
            Html("this payment has no return address".to_string()),
        )
            .into_response();
    };
    let back = |url: &str, code: Option<&str>| {
        let mut pairs = vec![("pmt_id", payment.pmt_id.as_str())];
        if let Some(code) = code {
            pairs.push(("pmt_errorcode", code));
        }
        redirect(&with_query(url, &pairs))
    };
    let mut update = payment.clone();
    let set_unpaid = |payment: &mut Payment, code: &str, text: &str| {
        payment.status = PaymentStatus::Unpaid {
            code: code.into(),
            text: text.into(),
        };
    };
    if form.get("action") == Some("cancel") {
        set_unpaid(&mut update, "PAYER_INTERRUPTED", "the payer cancelled");
        seller.payments.insert(update.pmt_id.clone(), update);
        return back(&returns.cancel, None);
    }
    let typed: String = form
        .text("card_number")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // A typed number wins; an empty one takes the chosen sandbox test card.
    let number = match rules::test_card_number(form.text("test_card")) {
        Some(test) if typed.is_empty() => test.to_string(),
        _ => typed,
    };
    let exp_month = form
        .text("exp_month")
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m));
    let exp_year =
        form.text("exp_year")
            .parse::<i32>()
            .ok()
            .map(|y| if y < 100 { 2000 + y } else { y });
    let cvv_ok = matches!(form.text("cvv").len(), 3 | 4)
        && form.text("cvv").bytes().all(|b| b.is_ascii_digit());
    let problem = if !rules::luhn_ok(&number) {
        Some("The card number is not valid.")
    } else if let (Some(month), Some(year)) = (exp_month, exp_year) {
        use chrono::Datelike;
        if (year, month) < (today.year(), today.month()) {
            Some("The card has expired.")
        } else if !cvv_ok {
            Some("The CVC must be 3 or 4 digits.")
        } else {
            None
        }
    } else {
        Some("The expiry date is not valid.")
    };
    if let Some(problem) = problem {
        let page = page_html(&emu.ctx.base_url, seller, &payment, Some(problem));
        return (StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response();
    }
    let (exp_month, exp_year) = (exp_month.unwrap_or(1), exp_year.unwrap_or(0));
    let last4 = number[number.len() - 4..].to_string();
    let behaviour = behaviour_of_last4(&last4);
    let received = serde_json::json!({
        "pmt_action": payment.flow.action(),
        "pmt_version": payment.flow.version(),
        "pmt_paymentmethod": payment.method,
    });
    if form.get("three_ds") == Some("fail") {
        set_unpaid(
            &mut update,
            "ERROR_CARD_AUTHENTICATION_FAILED",
            "3-D Secure authentication failed",
        );
        seller.payments.insert(update.pmt_id.clone(), update);
        return back(&returns.error, Some("ERROR_CARD_AUTHENTICATION_FAILED"));
    }
    // A zero-sum tokenization authorizes nothing, so only a paying flow meets the decline cards.
    let decline = match behaviour {
        _ if payment.amount == 0 => None,
        CardBehaviour::SoftDecline => Some("ERROR_CARD_AUTHORIZATION_FAILED"),
        CardBehaviour::HardDecline => Some("EXTERNAL_SERVICE_DENIED"),
        CardBehaviour::Expired => Some("ERROR_PAYMENT_INSTRUMENT_EXPIRED"),
        _ => None,
    };
    let token_id = payment
        .flow
        .tokenizes()
        .then(|| page_token(&seller_id, &payment.pmt_id));
    if let Some(code) = decline {
        set_unpaid(&mut update, code, "card declined");
        emu.record(
            &seller_id,
            &update,
            token_id.as_deref().unwrap_or(""),
            false,
            received,
        );
        seller.payments.insert(update.pmt_id.clone(), update);
        return back(&returns.error, Some(code));
    }
    update.status = PaymentStatus::Paid;
    update.payment_date = Some(today);
    update.paid_at = Some(emu.ctx.now());
    update.token = token_id.clone();
    if let Some(token) = &token_id {
        let limit = if payment.amount > 0 {
            payment.amount
        } else {
            state::ZERO_SUM_DEBIT_LIMIT
        };
        seller.tokens.insert(
            token.clone(),
            Token {
                token: token.clone(),
                customer: None,
                scheme: rules::scheme_of(&number).into(),
                bin: number[..6].to_string(),
                last4: last4.clone(),
                bank: None,
                exp_month,
                exp_year,
                behaviour,
                initial_pmt_id: payment.pmt_id.clone(),
                initial_amount: payment.amount,
                debit_limit: limit,
                monthly_limit: limit,
                charges: Vec::new(),
            },
        );
    }
    if payment.amount > 0 {
        emu.record(
            &seller_id,
            &update,
            token_id.as_deref().unwrap_or(""),
            true,
            received,
        );
    }
    let reference = rules::technical_reference(&update.reference);
    let amount = rules::format_amount(update.amount);
    let costs = rules::format_amount(update.seller_costs);
    let mut pairs: Vec<(&str, &str)> = vec![
        ("pmt_action", update.flow.action()),
        ("pmt_version", update.flow.version()),
        ("pmt_id", &update.pmt_id),
        ("pmt_reference", &reference),
        ("pmt_amount", &amount),
        ("pmt_currency", "EUR"),
        ("pmt_sellercosts", &costs),
        ("pmt_paymentmethod", &update.method),
        ("pmt_escrow", &update.escrow),
    ];
    if let Some(token) = &token_id {
        pairs.push(("pmt_token", token));
    }
    let values: Vec<&str> = pairs.iter().map(|(_, v)| *v).collect();
    // Only a page started in hash mode (the browser form post) returns a hash; one started with
    // Basic returns none (Svea's S2S page: validate such a return with a status query).
    let hash = sign(update.hash_version, &values, &seller.secret);
    if let Some(hash) = &hash {
        pairs.push(("pmt_hash", hash));
    }
    let location = with_query(&returns.ok, &pairs);
    seller
        .payments
        .insert(update.pmt_id.clone(), update.clone());
    redirect(&location)
}

/// A token for a card registered on the page: derived from seller and `pmt_id`, which are unique.
fn page_token(seller_id: &str, pmt_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("svea-sandbox-token/{seller_id}/{pmt_id}").as_bytes());
    hex::encode(&digest[..16])
}

/// `pmtq_returntext` of Svea's answer for a `pmtq_id` it does not know (DOCS page 1657014098).
pub(crate) const UNKNOWN_PAYMENT_TEXT: &str = "No payment found with specified data";

/// `POST /PaymentStatusQuery.pmt` (§3.4).
pub(crate) async fn status_query(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmtq_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let mut state = emu.state();
    let seed = state.seed.clone();
    let values = ["pmtq_action", "pmtq_version", "pmtq_sellerid", "pmtq_id"].map(|f| form.text(f));
    let seller = state.sellers.get_mut(form.text("pmtq_sellerid"));
    let auth = match authenticate(seller.as_deref(), &headers, &form, "pmtq", &values) {
        Ok(auth) => auth,
        Err(error) => return auth_refused(error, "pmtq"),
    };
    let Some(seller) = seller else {
        return auth_refused(AuthError::Refused("unknown seller".into()), "pmtq");
    };
    let mut errors = Vec::new();
    if form.get("pmtq_action") != Some("PAYMENT_STATUS_QUERY") {
        errors.push(FieldError::invalid("pmtq_action"));
    }
    if form.get("pmtq_version") != Some("0005") {
        errors.push(FieldError::invalid("pmtq_version"));
    }
    if !form
        .get("pmtq_id")
        .is_some_and(|id| (1..=20).contains(&id.chars().count()))
    {
        errors.push(FieldError::invalid("pmtq_id"));
    }
    if form.get("pmtq_resptype").is_some_and(|t| t != "XML") {
        errors.push(FieldError::invalid("pmtq_resptype"));
    }
    if !errors.is_empty() {
        return wire::errors_response(StatusCode::BAD_REQUEST, &errors);
    }
    let version = answer_hash(auth);
    let pmt_id = form.text("pmtq_id");
    seller.touch_payment(&seed, pmt_id);
    let seller: &Seller = seller;
    let horizon = emu.ctx.horizon();
    let payment = seller.payments.get(pmt_id).and_then(|p| p.as_seen(horizon));
    status_answer(seller, pmt_id, payment.as_deref(), version).respond(StatusCode::OK)
}

fn status_answer(
    seller: &Seller,
    pmt_id: &str,
    payment: Option<&Payment>,
    version: Option<HashVersion>,
) -> XmlDoc {
    let Some(payment) = payment else {
        // Svea's own answer for an unknown id, word for word (DOCS page 1657014098, "Payment
        // was not found or the payment has not been confirmed"): "00", 0,00, this text, and no
        // pmtq_orderid.
        let values = [
            "PAYMENT_STATUS_QUERY",
            "0005",
            seller.seller_id.as_str(),
            pmt_id,
            "0,00",
            "00",
            UNKNOWN_PAYMENT_TEXT,
        ];
        let hash = sign(version, &values, &seller.secret);
        return XmlDoc::new("pmtq")
            .field("pmtq_action", values[0])
            .field("pmtq_version", values[1])
            .field("pmtq_sellerid", values[2])
            .field("pmtq_id", values[3])
            .field("pmtq_amount", values[4])
            .field("pmtq_returncode", values[5])
            .field("pmtq_returntext", values[6])
            .field_opt("pmtq_hash", hash);
    };
    let (code, text) = payment.return_code();
    let amount = rules::format_amount(payment.amount);
    let costs = rules::format_amount(payment.seller_costs);
    let date = payment.payment_date.map(rules::format_date);
    let mut values = vec![
        "PAYMENT_STATUS_QUERY",
        "0005",
        seller.seller_id.as_str(),
        payment.pmt_id.as_str(),
        amount.as_str(),
        code,
        text,
        costs.as_str(),
        payment.method.as_str(),
        payment.escrow.as_str(),
        "N",
    ];
    if let Some(date) = &date {
        values.push(date);
    }
    let hash = sign(version, &values, &seller.secret);
    let mut doc = XmlDoc::new("pmtq")
        .field("pmtq_action", "PAYMENT_STATUS_QUERY")
        .field("pmtq_version", "0005")
        .field("pmtq_sellerid", seller.seller_id.as_str())
        .field("pmtq_id", payment.pmt_id.as_str())
        .field("pmtq_orderid", payment.order_id.as_str())
        .field("pmtq_amount", amount.as_str())
        .field("pmtq_returncode", code)
        .field("pmtq_returntext", text)
        .field("pmtq_sellercosts", costs.as_str())
        .field("pmtq_paymentmethod", payment.method.as_str())
        .field("pmtq_escrow", payment.escrow.as_str())
        .field("pmtq_certification", "N")
        .field_opt("pmtq_paymentdate", date.clone())
        .field("pmtq_buyername", payment.buyer_name.as_str());
    match &payment.status {
        PaymentStatus::Unpaid { code, text } => {
            doc = doc
                .field("pmtq_externaltext", format!("FAILURE: {text}"))
                .field("pmt_errorcode", code.as_str());
        }
        PaymentStatus::Paid | PaymentStatus::Settled if payment.flow == Flow::TokenCharge => {
            doc = doc.field(
                "pmtq_externaltext",
                "SUCCESS: CARD WAS DEBITED WITH A TOKEN",
            );
        }
        _ => {}
    }
    if let Some(token) = payment.token.as_ref().and_then(|t| seller.tokens.get(t)) {
        doc = doc
            .field("pmtq_card_number_masked", token.last4.as_str())
            .field("pmtq_card_scheme", token.scheme.as_str())
            .field("pmtq_token", token.masked())
            .field("pmtq_token_authentication_required", "N")
            .field(
                "pmtq_token_debit_limit",
                rules::format_amount(token.debit_limit),
            )
            .field("pmtq_token_debit_limit_currency", "EUR")
            .field(
                "pmtq_token_debit_limit_monthly",
                rules::format_amount(token.monthly_limit),
            )
            .field(
                "pmtq_token_expiration_month",
                format!("{:02}", token.exp_month),
            )
            .field("pmtq_token_expiration_year", token.exp_year.to_string());
    }
    doc.field_opt("pmtq_hash", hash)
}

/// `POST /PaymentCancel.pmt` (§3.5): full or partial refunds while unsettled; after settlement
/// `30`, or payment instructions for `REFUND_AFTER_SETTLEMENT`.
pub(crate) async fn cancel(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmtc_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let mut state = emu.state();
    let seller_id = form.text("pmtc_sellerid").to_string();
    let mut values: Vec<&str> = [
        "pmtc_action",
        "pmtc_version",
        "pmtc_sellerid",
        "pmtc_id",
        "pmtc_amount",
        "pmtc_currency",
        "pmtc_canceltype",
    ]
    .iter()
    .map(|f| form.text(f))
    .collect();
    for optional in ["pmtc_cancelamount", "pmtc_payeribanrefund"] {
        if let Some(value) = form.get(optional) {
            values.push(value);
        }
    }
    let auth = match authenticate(
        state.sellers.get(&seller_id),
        &headers,
        &form,
        "pmtc",
        &values,
    ) {
        Ok(auth) => auth,
        Err(error) => return auth_refused(error, "pmtc"),
    };
    let version = answer_hash(auth);
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&seller_id) else {
        return auth_refused(AuthError::Refused("unknown seller".into()), "pmtc");
    };
    let pmt_id = form.text("pmtc_id").to_string();
    let secret = seller.secret.clone();
    let answer =
        |code: &str, text: &str, errors: Vec<FieldError>, pay_with: Vec<(&str, String)>| {
            let values = [
                form.text("pmtc_action"),
                form.text("pmtc_version"),
                seller_id.as_str(),
                pmt_id.as_str(),
                text,
                code,
            ];
            let mut doc = XmlDoc::new("pmtc")
                .field("pmtc_action", values[0])
                .field("pmtc_version", values[1])
                .field("pmtc_sellerid", values[2])
                .field("pmtc_id", values[3])
                .field("pmtc_returncode", code)
                .field("pmtc_returntext", text);
            for (name, value) in pay_with {
                doc = doc.field(name, value);
            }
            doc.field_opt("pmtc_hash", sign(version, &values, &secret))
                .errors(errors)
                .respond(StatusCode::OK)
        };
    let action = form.text("pmtc_action");
    let cancel_type = form.text("pmtc_canceltype");
    let mut errors = Vec::new();
    if !matches!(action, "CANCEL" | "REFUND_AFTER_SETTLEMENT") {
        errors.push(FieldError::invalid("pmtc_action"));
    }
    if form.get("pmtc_version") != Some("0005") {
        errors.push(FieldError::invalid("pmtc_version"));
    }
    if !(1..=20).contains(&pmt_id.chars().count()) {
        errors.push(FieldError::invalid("pmtc_id"));
    }
    let amount = form.get("pmtc_amount").and_then(rules::parse_amount);
    if amount.is_none() {
        errors.push(FieldError::invalid("pmtc_amount"));
    }
    if form.get("pmtc_currency") != Some("EUR") {
        errors.push(FieldError::invalid("pmtc_currency"));
    }
    let after_settlement = action == "REFUND_AFTER_SETTLEMENT";
    let type_ok = match cancel_type {
        "FULL_REFUND" | "PARTIAL_REFUND" | "PARTIAL_REFUND_AND_RETURN_OF_DELIVERIES" => {
            !after_settlement
        }
        "REFUND_AFTER_SETTLEMENT" => after_settlement,
        _ => false,
    };
    if !type_ok {
        errors.push(FieldError::invalid("pmtc_canceltype"));
    }
    let cancel_amount = form.get("pmtc_cancelamount").map(rules::parse_amount);
    let needs_amount = cancel_type != "FULL_REFUND";
    match (&cancel_amount, needs_amount) {
        (Some(Some(a)), true) if *a > 0 => {}
        (None, false) => {}
        _ => errors.push(FieldError::invalid("pmtc_cancelamount")),
    }
    if form.get("pmtc_resptype").is_some_and(|t| t != "XML") {
        errors.push(FieldError::invalid("pmtc_resptype"));
    }
    if form
        .get("pmtc_canceldescription")
        .is_some_and(|d| d.chars().count() > 500)
    {
        errors.push(FieldError::invalid("pmtc_canceldescription"));
    }
    if !errors.is_empty() {
        return answer("90", "Errors in input data", errors, Vec::new());
    }
    seller.touch_payment(&seed, &pmt_id);
    let Some(payment) = seller.payments.get_mut(&pmt_id) else {
        return answer("20", "Payment not found", Vec::new(), Vec::new());
    };
    if amount != Some(payment.amount) {
        return answer(
            "90",
            "Errors in input data",
            vec![FieldError {
                name: "pmtc_amount".into(),
                kind: "field",
                text: "pmtc_amount must be the original payment amount".into(),
            }],
            Vec::new(),
        );
    }
    if !payment.is_paid() {
        return answer(
            "99",
            "Payment is not paid; nothing to cancel",
            Vec::new(),
            Vec::new(),
        );
    }
    let settled = payment.status == PaymentStatus::Settled;
    if settled && !after_settlement {
        return answer(
            "30",
            "Payment already settled; use REFUND_AFTER_SETTLEMENT",
            Vec::new(),
            Vec::new(),
        );
    }
    if !settled && after_settlement {
        return answer(
            "99",
            "Payment is not settled yet; use CANCEL",
            Vec::new(),
            Vec::new(),
        );
    }
    let remaining = payment.amount - payment.refunded;
    if remaining <= 0 {
        return answer(
            "99",
            "Payment is already fully refunded",
            Vec::new(),
            Vec::new(),
        );
    }
    let refund = match cancel_amount {
        Some(Some(partial)) => partial,
        _ => remaining,
    };
    if refund > remaining {
        return answer(
            "99",
            &format!(
                "Cancel amount exceeds the remaining {}",
                rules::format_amount(remaining)
            ),
            Vec::new(),
            Vec::new(),
        );
    }
    payment.refunded += refund;
    payment.refunds_made.push((emu.ctx.now(), refund));
    let token = payment.token.clone().unwrap_or_default();
    seller.refunds += 1;
    let refund_id = format!("{pmt_id}-R{}", seller.refunds);
    let reference_base = 9_000_000 + seller.refunds;
    let received = serde_json::json!({ "pmtc_action": action, "pmtc_canceltype": cancel_type });
    emu.record_entry(
        &seller_id, &refund_id, "refund", refund, &token, true, received,
    );
    let pay_with = if after_settlement {
        vec![
            (
                "pmtc_pay_with_recipientname",
                "Svea Payments Oy".to_string(),
            ),
            ("pmtc_pay_with_iban", "FI2112345600000785".to_string()),
            (
                "pmtc_pay_with_reference",
                rules::reference_of(reference_base),
            ),
            ("pmtc_pay_with_amount", rules::format_amount(refund)),
        ]
    } else {
        Vec::new()
    };
    answer("00", "OK", Vec::new(), pay_with)
}

#[derive(Deserialize)]
pub(crate) struct TokensQuery {
    seller_id: String,
    #[serde(default)]
    offset: usize,
    limit: Option<usize>,
}

/// `GET /__sandbox/tokens?seller_id=…&offset=…&limit=…` (sandbox only): the seeded customers
/// with their tokens, card display fields and initial payment, so Coffer's demo can register
/// them; Svea itself has no such listing.
pub(crate) async fn sandbox_tokens(
    State(emu): Shared,
    Query(query): Query<TokensQuery>,
) -> Response {
    let state = emu.state();
    let Some(seller) = state.sellers.get(&query.seller_id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({"error": format!("unknown seller_id '{}'", query.seller_id)})),
        )
            .into_response();
    };
    let total = state.seed.customers;
    let limit = query.limit.unwrap_or(100).min(1000);
    let end = query.offset.saturating_add(limit).min(total);
    let customers: Vec<serde_json::Value> = (query.offset.min(end)..end)
        .map(|index| {
            let customer = crate::seed::customer(&state.seed, &seller.merchant_key, index);
            let cards: Vec<serde_json::Value> = customer
                .cards
                .iter()
                .enumerate()
                .map(|(n, card)| {
                    // What happened to the card since the seed, else the seed itself.
                    let derived =
                        state::seeded_card(seller.seller_no, state.seed.today, &customer, n);
                    let token = derived.as_ref().map(|(p, t)| {
                        let initial = seller.payments.get(&p.pmt_id).unwrap_or(p);
                        (seller.tokens.get(&t.token).unwrap_or(t), initial)
                    });
                    let initial = token.map(|(_, p)| p);
                    let token = token.map(|(t, _)| t);
                    serde_json::json!({
                        "pmt_token": token.map(|t| t.token.clone()),
                        "brand": card.brand,
                        "bin": card.bin,
                        "last4": card.last4,
                        "bank": card.bank,
                        "exp_month": card.exp_month,
                        "exp_year": card.exp_year,
                        "behaviour": card.behaviour,
                        "initial": initial.map(|p| serde_json::json!({
                            "pmt_id": p.pmt_id,
                            "pmt_reference": p.reference,
                            "amount": rules::format_amount(p.amount),
                            "amount_minor": p.amount,
                            "date": p.payment_date.map(rules::format_date),
                        })),
                    })
                })
                .collect();
            serde_json::json!({
                "index": index,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "cards": cards,
            })
        })
        .collect();
    Json(serde_json::json!({
        "seller_id": seller.seller_id,
        "total": total,
        "offset": query.offset,
        "customers": customers,
    }))
    .into_response()
}

/// `POST /__sandbox/settle` (sandbox only, form `seller_id`, `pmt_id`): settles a paid payment,
/// so its status becomes `40` and refunds need `REFUND_AFTER_SETTLEMENT`. With `paid_before`
/// (`dd.MM.yyyy`) instead of `pmt_id`: a settlement run, settling every paid payment of the
/// seller paid before that date; answers how many.
pub(crate) async fn sandbox_settle(State(emu): Shared, body: Bytes) -> Response {
    let Ok(form) = Form::parse(&body, "charset") else {
        return (StatusCode::BAD_REQUEST, "unreadable form").into_response();
    };
    let mut state = emu.state();
    let seed = state.seed.clone();
    if let Some(point) = form.get("paid_before") {
        let Some(point) = rules::parse_date(point) else {
            return (StatusCode::BAD_REQUEST, "paid_before is not dd.MM.yyyy").into_response();
        };
        let Some(seller) = state.sellers.get_mut(form.text("seller_id")) else {
            return (StatusCode::NOT_FOUND, "unknown seller_id").into_response();
        };
        let mut settled = 0;
        for payment in seller.payments.values_mut() {
            if payment.status == PaymentStatus::Paid
                && payment.payment_date.is_some_and(|paid| paid < point)
            {
                payment.status = PaymentStatus::Settled;
                settled += 1;
            }
        }
        return (StatusCode::OK, format!("settled {settled}")).into_response();
    }
    let payment = state.sellers.get_mut(form.text("seller_id")).and_then(|s| {
        s.touch_payment(&seed, form.text("pmt_id"));
        s.payments.get_mut(form.text("pmt_id"))
    });
    match payment {
        None => (StatusCode::NOT_FOUND, "unknown seller_id or pmt_id").into_response(),
        Some(p) if p.status == PaymentStatus::Paid => {
            p.status = PaymentStatus::Settled;
            (StatusCode::OK, "settled").into_response()
        }
        Some(_) => (
            StatusCode::CONFLICT,
            "only a paid, unsettled payment can be settled",
        )
            .into_response(),
    }
}

/// `POST /__sandbox/auth-modes` (sandbox only, form `seller_id`, `hash=Y|N`, `basic=Y|N`): which
/// authentication the seller accepts, both by default (§6).
pub(crate) async fn sandbox_auth_modes(State(emu): Shared, body: Bytes) -> Response {
    let Ok(form) = Form::parse(&body, "charset") else {
        return (StatusCode::BAD_REQUEST, "unreadable form").into_response();
    };
    let flag = |name: &str| match form.get(name) {
        Some("Y") => Ok(Some(true)),
        Some("N") => Ok(Some(false)),
        None => Ok(None),
        Some(_) => Err(name.to_string()),
    };
    let (hash, basic) = match (flag("hash"), flag("basic")) {
        (Ok(hash), Ok(basic)) => (hash, basic),
        (Err(name), _) | (_, Err(name)) => {
            return (StatusCode::BAD_REQUEST, format!("{name} must be Y or N")).into_response()
        }
    };
    let mut state = emu.state();
    let Some(seller) = state.sellers.get_mut(form.text("seller_id")) else {
        return (StatusCode::NOT_FOUND, "unknown seller_id").into_response();
    };
    seller.accepts_hash = hash.unwrap_or(seller.accepts_hash);
    seller.accepts_basic = basic.unwrap_or(seller.accepts_basic);
    Json(serde_json::json!({"hash": seller.accepts_hash, "basic": seller.accepts_basic}))
        .into_response()
}
