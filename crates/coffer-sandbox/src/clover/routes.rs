//! The handlers: authenticate like Clover (Bearer OAuth token on Ecommerce and Platform calls,
//! the PAKMS `apikey` on the tokenizer), validate, apply the rules, answer the documented
//! shapes. The state lock is held only while deciding, never across an `.await`.

use std::sync::{Arc, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::{header, HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::rules::{self, Refusal};
use super::state::{self, CardAt, Charge, Customer, MerchantState, Refund, Replay, SourceCard};
use super::wire;
use super::Emulator;
use crate::seed::{CardBehaviour, Seed};
use crate::AcceptedCharge;

type Emu = State<Arc<Emulator>>;

fn respond(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn ok(value: &Value) -> Response {
    respond(200, value.to_string())
}

fn refuse(refusal: &Refusal) -> Response {
    respond(refusal.status, wire::error_body(refusal).to_string())
}

fn bare(status: u16) -> Response {
    respond(
        status,
        json!({ "message": wire::status_phrase(status) }).to_string(),
    )
}

fn not_found(what: &str, id: &str) -> Response {
    refuse(&Refusal::code(
        404,
        "resource_missing",
        "invalid_request_error",
        format!("No such {what}: {id}"),
    ))
}

/// Why a request stops before its handler's own logic: kept small so `Result`s stay cheap,
/// turned into the documented body only when answered.
enum Reject {
    Bare(u16),
    Refused(Refusal),
}

impl IntoResponse for Reject {
    fn into_response(self) -> Response {
        match self {
            Reject::Bare(status) => bare(status),
            Reject::Refused(refusal) => refuse(&refusal),
        }
    }
}

fn lock(emu: &Emulator) -> Result<MutexGuard<'_, state::State>, Reject> {
    emu.state.lock().map_err(|_| Reject::Bare(500))
}

/// The merchant whose Bearer token came with the request; 401 with the bare message otherwise
/// (notes §6.1).
fn authorize(emu: &Emulator, headers: &HeaderMap) -> Result<usize, Reject> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(Reject::Bare(401))?;
    lock(emu)?.by_token(token).ok_or(Reject::Bare(401))
}

/// The Platform API names the merchant in the path; a token of another merchant is refused.
fn authorize_mid(emu: &Emulator, headers: &HeaderMap, mid: &str) -> Result<usize, Reject> {
    let m = authorize(emu, headers)?;
    if lock(emu)?.merchants[m].mid == mid {
        Ok(m)
    } else {
        Err(Reject::Bare(401))
    }
}

fn object(body: &Bytes) -> Result<Map<String, Value>, Reject> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(Reject::Refused(Refusal::code(
            400,
            "invalid_request",
            "invalid_request_error",
            "The request body must be a JSON object.",
        ))),
    }
}

fn query(raw: Option<String>) -> Vec<(String, String)> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn int_param(pairs: &[(String, String)], name: &str) -> Result<Option<i64>, Reject> {
    match param(pairs, name) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            Reject::Refused(Refusal::invalid(name, format!("{name} must be an integer")))
        }),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

// ---------------------------------------------------------------- rate limits

/// Clover allows 5 concurrent requests per token (notes §1, §6.11).
const CONCURRENT_PER_TOKEN: usize = 5;

/// Frees a slot when the request ends, also when the client hangs up mid-request.
struct Slot<'a> {
    emu: &'a Emulator,
    credential: String,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        if let Ok(mut counts) = self.emu.in_flight.lock() {
            if let Some(n) = counts.get_mut(&self.credential) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    counts.remove(&self.credential);
                }
            }
        }
    }
}

/// A sixth concurrent request of one token gets 429 with `retry-after` and the header naming
/// the limit hit (notes §4.2).
pub(crate) async fn limit_concurrency(State(emu): Emu, request: Request, next: Next) -> Response {
    let credential = request
        .headers()
        .get(header::AUTHORIZATION)
        .or_else(|| request.headers().get("apikey"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let Some(credential) = credential else {
        return next.run(request).await;
    };
    let admitted = match emu.in_flight.lock() {
        Ok(mut counts) => {
            let n = counts.entry(credential.clone()).or_insert(0);
            if *n >= CONCURRENT_PER_TOKEN {
                false
            } else {
                *n += 1;
                true
            }
        }
        Err(_) => return bare(500),
    };
    if !admitted {
        let mut response = respond(
            429,
            json!({ "message": "429 Too Many Requests" }).to_string(),
        );
        let headers = response.headers_mut();
        headers.insert(header::RETRY_AFTER, http::HeaderValue::from_static("1"));
        headers.insert(
            "x-ratelimit-tokenconcurrentlimit",
            http::HeaderValue::from(CONCURRENT_PER_TOKEN),
        );
        return response;
    }
    let _slot = Slot {
        emu: &emu,
        credential,
    };
    next.run(request).await
}

// ---------------------------------------------------------------- PAKMS and Platform v3

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

fn expansions(pairs: &[(String, String)]) -> wire::Expand {
    let mut expand = wire::Expand::default();
    for (_, value) in pairs.iter().filter(|(k, _)| k == "expand") {
        for name in value.split(',').map(str::trim) {
            match name {
                "cards" => expand.cards = true,
                "emailAddresses" => expand.emails = true,
                "phoneNumbers" => expand.phones = true,
                "addresses" => expand.addresses = true,
                _ => {}
            }
        }
    }
    expand
}

pub(crate) async fn v3_customers(
    State(emu): Emu,
    headers: HeaderMap,
    Path(mid): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let m = match authorize_mid(&emu, &headers, &mid) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let pairs = query(raw);
    let expand = expansions(&pairs);
    // limit: default 100, hard maximum 1000 (notes §2.6); larger asks are clamped.
    let limit = match int_param(&pairs, "limit") {
        Ok(l) => l.unwrap_or(100).clamp(1, 1000) as usize,
        Err(r) => return r.into_response(),
    };
    let offset = match int_param(&pairs, "offset") {
        Ok(o) => o.unwrap_or(0).max(0) as usize,
        Err(r) => return r.into_response(),
    };
    let filters = match customer_filters(&pairs) {
        Ok(f) => f,
        Err(r) => return r.into_response(),
    };
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let merchant = &state.merchants[m];
    // Without a filter the offset is a position; with one it counts matching customers.
    let (start, skip) = if filters.is_empty() {
        (offset, 0)
    } else {
        (0, offset)
    };
    let elements: Vec<Value> = merchant
        .customers_from(&state.seed, start)
        .filter(|c| filters.iter().all(|f| f.matches(c)))
        .skip(skip)
        .take(limit)
        .map(|c| wire::customer_v3(&c, &merchant.mid, expand))
        .collect();
    ok(&json!({
        "elements": elements,
        "href": format!("{}/v3/merchants/{}/customers?limit={limit}&offset={offset}", emu.ctx.base_url, merchant.mid),
    }))
}

/// One `filter=field=value` of the Platform API (notes §2.6); equality only.
struct CustomerFilter {
    field: String,
    value: String,
}

impl CustomerFilter {
    fn matches(&self, c: &Customer) -> bool {
        let actual = match self.field.as_str() {
            "id" => &c.id,
            "emailAddress" => &c.email,
            "firstName" => &c.first_name,
            "lastName" => &c.last_name,
            "phoneNumber" => &c.phone,
            _ => return false,
        };
        actual.eq_ignore_ascii_case(&self.value)
    }
}

fn customer_filters(pairs: &[(String, String)]) -> Result<Vec<CustomerFilter>, Reject> {
    pairs
        .iter()
        .filter(|(k, _)| k == "filter")
        .map(|(_, expression)| {
            let (field, value) = expression.split_once('=').ok_or_else(|| {
                Reject::Refused(Refusal::invalid("filter", "filter must be field=value"))
            })?;
            if !["id", "emailAddress", "firstName", "lastName", "phoneNumber"].contains(&field) {
                return Err(Reject::Refused(Refusal::invalid(
                    "filter",
                    format!("cannot filter customers by {field}"),
                )));
            }
            Ok(CustomerFilter {
                field: field.to_string(),
                value: value.to_string(),
            })
        })
        .collect()
}

fn v3_customer_of(
    emu: &Emulator,
    headers: &HeaderMap,
    mid: &str,
    id: &str,
) -> Result<(String, Customer), Reject> {
    let m = authorize_mid(emu, headers, mid)?;
    let state = lock(emu)?;
    let merchant = &state.merchants[m];
    merchant
        .customer_by_id(&state.seed, id)
        .map(|c| (merchant.mid.clone(), c))
        .ok_or(Reject::Bare(404))
}

pub(crate) async fn v3_customer(
    State(emu): Emu,
    headers: HeaderMap,
    Path((mid, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Response {
    match v3_customer_of(&emu, &headers, &mid, &id) {
        Ok((mid, c)) => ok(&wire::customer_v3(&c, &mid, expansions(&query(raw)))),
        Err(r) => r.into_response(),
    }
}

pub(crate) async fn v3_customer_cards(
    State(emu): Emu,
    headers: HeaderMap,
    Path((mid, id)): Path<(String, String)>,
) -> Response {
    match v3_customer_of(&emu, &headers, &mid, &id) {
        Ok((_, c)) => {
            let cards: Vec<Value> = c
                .cards
                .iter()
                .filter(|k| !k.deleted)
                .map(|k| wire::card_v3(k, &c))
                .collect();
            ok(&json!({ "elements": cards }))
        }
        Err(r) => r.into_response(),
    }
}

// ---------------------------------------------------------------- tokenizer

fn exp_field(card: &Map<String, Value>, field: &str) -> Option<i64> {
    match card.get(field)? {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

pub(crate) async fn create_token(State(emu): Emu, headers: HeaderMap, body: Bytes) -> Response {
    let Some(key) = header_str(&headers, "apikey") else {
        return bare(401);
    };
    let body = match object(&body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let Some(Value::Object(card)) = body.get("card") else {
        return refuse(&Refusal::invalid("card", "card is required"));
    };
    let number: String = card
        .get("number")
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !rules::luhn_ok(&number) {
        return refuse(&Refusal::invalid(
            "card.number",
            "The card number is not a valid card number.",
        ));
    }
    let Some(exp_month) = exp_field(card, "exp_month").filter(|m| (1..=12).contains(m)) else {
        return refuse(&Refusal::invalid(
            "card.exp_month",
            "exp_month must be 01 to 12",
        ));
    };
    let Some(exp_year) = exp_field(card, "exp_year")
        .map(|y| if y < 100 { 2000 + y } else { y })
        .filter(|y| (2000..2200).contains(y))
    else {
        return refuse(&Refusal::invalid(
            "card.exp_year",
            "exp_year must be a four-digit year",
        ));
    };
    if let Some(cvv) = card.get("cvv") {
        let valid = cvv
            .as_str()
            .is_some_and(|c| (3..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_digit()));
        if !valid {
            return refuse(&Refusal::invalid("card.cvv", "cvv must be 3 or 4 digits"));
        }
    }
    let now = millis(emu.ctx.now());
    let mut state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let Some(m) = state.by_apikey(key) else {
        return bare(401);
    };
    let merchant = &mut state.merchants[m];
    let counter = merchant.next_counter();
    // Only display fields are kept: the number and CVV go no further than this function.
    let token = state::Token {
        id: rules::api_token(merchant.number, counter),
        brand: rules::brand_of_number(&number).to_string(),
        first6: number[..6].to_string(),
        last4: number[number.len() - 4..].to_string(),
        exp_month: exp_month as u32,
        exp_year: exp_year as i32,
        behaviour: rules::behaviour_of_number(&number),
        used: false,
        created_ms: now,
    };
    let answer = wire::token(&token);
    merchant.tokens.insert(token.id.clone(), token);
    ok(&answer)
}

// ---------------------------------------------------------------- customers (Ecommerce)

/// Takes a loose, unused token for saving on a customer: it becomes a multi-pay card.
fn take_token(
    merchant: &mut MerchantState,
    source: &str,
    index: usize,
    position: usize,
    now: i64,
) -> Result<state::Card, Refusal> {
    let token = merchant
        .tokens
        .get(source)
        .ok_or_else(|| Refusal::invalid("source", format!("No such token: {source}")))?;
    if token.used {
        return Err(token_used());
    }
    Ok(state::Card {
        id: rules::card_id(merchant.number, index, position),
        token: token.id.clone(),
        brand: token.brand.clone(),
        first6: token.first6.clone(),
        last4: token.last4.clone(),
        exp_month: token.exp_month,
        exp_year: token.exp_year,
        behaviour: token.behaviour,
        deleted: false,
        initial_ref: None,
        modified_ms: now,
    })
}

fn token_used() -> Refusal {
    Refusal::code(
        400,
        "token_already_used",
        "invalid_request_error",
        "You cannot use a clover token more than once unless it is marked as multipay.",
    )
}

fn string_field(body: &Map<String, Value>, field: &str) -> Result<Option<String>, Refusal> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Refusal::invalid(field, format!("{field} must be a string"))),
    }
}

fn check_ecomind(body: &Map<String, Value>) -> Result<(), Refusal> {
    match string_field(body, "ecomind")?.as_deref() {
        None | Some("ecom") | Some("moto") => Ok(()),
        Some(other) => Err(Refusal::invalid(
            "ecomind",
            format!("ecomind '{other}' must be ecom or moto"),
        )),
    }
}

/// The customer fields a create or update may carry, read before anything changes.
struct CustomerFields {
    email: Option<String>,
    source: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
}

fn customer_fields(body: &Map<String, Value>) -> Result<CustomerFields, Refusal> {
    check_ecomind(body)?;
    let email = string_field(body, "email")?;
    if email.as_deref().is_some_and(|e| !e.contains('@')) {
        return Err(Refusal::invalid("email", "email is not an e-mail address"));
    }
    Ok(CustomerFields {
        email,
        source: string_field(body, "source")?,
        first_name: string_field(body, "firstName")?,
        last_name: string_field(body, "lastName")?,
        phone: string_field(body, "phone")?,
    })
}

/// `POST /v1/customers`: `email` and `source` are required (notes §2.5).
fn save_customer(
    merchant: &mut MerchantState,
    fields: CustomerFields,
    now: i64,
) -> Result<Customer, Refusal> {
    let email = fields
        .email
        .ok_or_else(|| Refusal::invalid("email", "email is required"))?;
    let source = fields
        .source
        .ok_or_else(|| Refusal::invalid("source", "source is required"))?;
    let index = merchant.next_customer;
    let card = take_token(merchant, &source, index, 0, now)?;
    merchant.tokens.remove(&source);
    merchant.token_owner.insert(source, index);
    merchant.next_customer += 1;
    let customer = Customer {
        index,
        id: rules::customer_id(merchant.number, index),
        first_name: fields.first_name.unwrap_or_default(),
        last_name: fields.last_name.unwrap_or_default(),
        email,
        phone: fields.phone.unwrap_or_default(),
        created_ms: now,
        cards: vec![card],
    };
    merchant.customers.insert(index, customer.clone());
    Ok(customer)
}

pub(crate) async fn create_customer(State(emu): Emu, headers: HeaderMap, body: Bytes) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let fields = match object(&body) {
        Ok(b) => match customer_fields(&b) {
            Ok(f) => f,
            Err(refusal) => return refuse(&refusal),
        },
        Err(r) => return r.into_response(),
    };
    let now = millis(emu.ctx.now());
    let mut state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let merchant = &mut state.merchants[m];
    match save_customer(merchant, fields, now) {
        Ok(c) => ok(&wire::customer_v1(&c, merchant.currency.code())),
        Err(refusal) => refuse(&refusal),
    }
}

pub(crate) async fn get_customer(
    State(emu): Emu,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let merchant = &state.merchants[m];
    match merchant.customer_by_id(&state.seed, &id) {
        Some(c) => ok(&wire::customer_v1(&c, merchant.currency.code())),
        None => not_found("customer", &id),
    }
}

/// `PUT /v1/customers/{id}`: changes the given fields; a `source` adds a card unless the same
/// card is already saved, which is a 409 (notes §2.5).
fn update_saved_customer(
    merchant: &mut MerchantState,
    seed: &Seed,
    index: usize,
    fields: CustomerFields,
    now: i64,
) -> Result<Customer, Refusal> {
    let existing = merchant.customer(seed, index).ok_or_else(|| {
        Refusal::code(
            404,
            "resource_missing",
            "invalid_request_error",
            "No such customer",
        )
    })?;
    let new_card = match &fields.source {
        Some(source) => {
            let card = take_token(merchant, source, index, existing.cards.len(), now)?;
            let duplicate = existing.cards.iter().any(|k| {
                !k.deleted
                    && k.first6 == card.first6
                    && k.last4 == card.last4
                    && (k.exp_month, k.exp_year) == (card.exp_month, card.exp_year)
            });
            if duplicate {
                return Err(Refusal::code(
                    409,
                    "invalid_request",
                    "invalid_request_error",
                    "This card is already saved for the customer.",
                ));
            }
            merchant.tokens.remove(source);
            merchant.token_owner.insert(source.clone(), index);
            Some(card)
        }
        None => None,
    };
    let customer = merchant.customer_mut(seed, index).ok_or_else(|| {
        Refusal::code(
            404,
            "resource_missing",
            "invalid_request_error",
            "No such customer",
        )
    })?;
    if let Some(e) = fields.email {
        customer.email = e;
    }
    if let Some(f) = fields.first_name {
        customer.first_name = f;
    }
    if let Some(l) = fields.last_name {
        customer.last_name = l;
    }
    if let Some(p) = fields.phone {
        customer.phone = p;
    }
    customer.cards.extend(new_card);
    Ok(customer.clone())
}

pub(crate) async fn update_customer(
    State(emu): Emu,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let fields = match object(&body) {
        Ok(b) => match customer_fields(&b) {
            Ok(f) => f,
            Err(refusal) => return refuse(&refusal),
        },
        Err(r) => return r.into_response(),
    };
    let now = millis(emu.ctx.now());
    let mut guard = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    let Some(index) = rules::parse_customer_id(merchant.number, &id) else {
        return not_found("customer", &id);
    };
    match update_saved_customer(merchant, seed, index, fields, now) {
        Ok(c) => ok(&wire::customer_v1(&c, merchant.currency.code())),
        Err(refusal) => refuse(&refusal),
    }
}

pub(crate) async fn revoke_card(
    State(emu): Emu,
    headers: HeaderMap,
    Path((id, card)): Path<(String, String)>,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let now = millis(emu.ctx.now());
    let mut guard = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    let Some(index) = rules::parse_customer_id(merchant.number, &id) else {
        return not_found("customer", &id);
    };
    let live = merchant
        .customer(seed, index)
        .is_some_and(|c| c.cards.iter().any(|k| k.id == card && !k.deleted));
    if !live {
        return not_found("source", &card);
    }
    if let Some(customer) = merchant.customer_mut(seed, index) {
        for k in customer.cards.iter_mut().filter(|k| k.id == card) {
            k.deleted = true;
            k.modified_ms = now;
        }
    }
    ok(&json!({ "id": card, "object": "card", "deleted": true }))
}

// ---------------------------------------------------------------- charges

/// What the locked part of a create-charge decided.
enum Decided {
    Answer {
        status: u16,
        body: String,
    },
    Refused(Refusal),
    /// The response-lost card: the charge is recorded, the answer is never sent.
    Lost,
    /// The timeout card: nothing is charged and the request is held open.
    Hang,
}

/// The card a source names, with everything a charge needs from it.
struct Resolved {
    card: SourceCard,
    behaviour: CardBehaviour,
    at: CardAt,
    customer: Option<String>,
    initial_ref: Option<String>,
    source_is_customer: bool,
    live_cards: usize,
}

fn resolve_source(
    merchant: &MerchantState,
    seed: &Seed,
    source: &str,
) -> Result<Resolved, Refusal> {
    let no_such = || Refusal::invalid("source", format!("No such source: {source}"));
    let from_saved =
        |index: usize, position: usize, source_is_customer: bool| -> Result<Resolved, Refusal> {
            let customer = merchant.customer(seed, index).ok_or_else(no_such)?;
            let card = customer.cards.get(position).ok_or_else(no_such)?;
            Ok(Resolved {
                card: SourceCard {
                    token: card.token.clone(),
                    brand: card.brand.clone(),
                    first6: card.first6.clone(),
                    last4: card.last4.clone(),
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                },
                behaviour: card.behaviour,
                at: CardAt::Saved(index, position),
                customer: Some(customer.id.clone()),
                initial_ref: card.initial_ref.clone(),
                source_is_customer,
                live_cards: customer.cards.iter().filter(|k| !k.deleted).count(),
            })
        };
    if source.starts_with("clv_") {
        match merchant.card_at(seed, source).ok_or_else(no_such)? {
            CardAt::Saved(i, k) => from_saved(i, k, false),
            CardAt::Loose => {
                let token = merchant.tokens.get(source).ok_or_else(no_such)?;
                if token.used {
                    return Err(token_used());
                }
                Ok(Resolved {
                    card: SourceCard {
                        token: token.id.clone(),
                        brand: token.brand.clone(),
                        first6: token.first6.clone(),
                        last4: token.last4.clone(),
                        exp_month: token.exp_month,
                        exp_year: token.exp_year,
                    },
                    behaviour: token.behaviour,
                    at: CardAt::Loose,
                    customer: None,
                    initial_ref: None,
                    source_is_customer: false,
                    live_cards: 1,
                })
            }
        }
    } else {
        let index = rules::parse_customer_id(merchant.number, source).ok_or_else(no_such)?;
        let customer = merchant.customer(seed, index).ok_or_else(no_such)?;
        // A customer id charges its default (first live) card (notes §2.5, §6.3).
        let position = customer
            .cards
            .iter()
            .position(|k| !k.deleted)
            .ok_or_else(|| {
                Refusal::code(
                    400,
                    "card_on_file_missing",
                    "invalid_request_error",
                    "The customer has no card on file.",
                )
            })?;
        from_saved(index, position, true)
    }
}

/// Everything the locked part of a charge needs from outside the state.
struct ChargeCall<'a> {
    body: &'a Map<String, Value>,
    key: Option<&'a str>,
    hash: String,
    now: DateTime<Utc>,
}

fn decide_charge(
    emu: &Emulator,
    state: &mut state::State,
    m: usize,
    call: &ChargeCall<'_>,
) -> Decided {
    let state::State { seed, merchants } = state;
    let merchant = &mut merchants[m];
    let now = millis(call.now);
    merchant.expire_replays(now);
    if let Some(key) = call.key {
        if let Some(replay) = merchant.replay(key, now) {
            if replay.request_hash != call.hash {
                return Decided::Refused(Refusal::code(
                    400,
                    "idempotency_error",
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                ));
            }
            return if replay.lost {
                Decided::Lost
            } else {
                Decided::Answer {
                    status: replay.status,
                    body: replay.body.clone(),
                }
            };
        }
    }
    let input = match rules::charge_input(call.body, merchant.currency.code()) {
        Ok(i) => i,
        Err(r) => return Decided::Refused(r),
    };
    let resolved = match resolve_source(merchant, seed, &input.source) {
        Ok(r) => r,
        Err(r) => return Decided::Refused(r),
    };
    if input.stored.is_none()
        && matches!(resolved.at, CardAt::Saved(..))
        && !resolved.source_is_customer
        && resolved.live_cards > 1
    {
        return Decided::Refused(Refusal::invalid(
            "stored_credentials",
            "stored_credentials is required when charging a multi-pay token of a customer with several cards",
        ));
    }
    if resolved.behaviour == CardBehaviour::Timeout {
        return Decided::Hang;
    }
    let counter = merchant.next_counter();
    let id = rules::charge_id(merchant.number, counter);
    let expired = rules::is_expired(
        resolved.card.exp_month,
        resolved.card.exp_year,
        call.now.date_naive(),
    );
    let decline = rules::decline_of(resolved.behaviour, expired);
    if resolved.at == CardAt::Loose {
        if let Some(token) = merchant.tokens.get_mut(&input.source) {
            token.used = true;
        }
    }
    let mut charge = Charge {
        id: id.clone(),
        amount: input.amount,
        amount_refunded: 0,
        currency: input.currency.clone(),
        created_ms: now,
        captured: false,
        paid: false,
        status: "failed".into(),
        ref_num: None,
        auth_code: None,
        source: resolved.card.clone(),
        customer: resolved.customer.clone(),
        description: input.description.clone(),
        external_reference_id: input.external_reference_id.clone(),
        metadata: input.metadata.clone(),
        stored_credentials: input.stored_raw.clone(),
        ecomind: input.ecomind.clone(),
        tax_amount: input.tax_amount,
        tip_amount: input.tip_amount,
        warning_message: None,
        failure_code: None,
        failure_message: None,
        decline_code: None,
    };
    let (status, body) = match &decline {
        Some(d) => {
            charge.failure_code = Some(d.code.to_string());
            charge.failure_message = Some(d.message.to_string());
            charge.decline_code = d.decline_code.map(str::to_string);
            (d.status, wire::decline_body(d, &id).to_string())
        }
        None => {
            let warning = rules::warning(
                input.stored.as_ref(),
                resolved.source_is_customer,
                resolved.initial_ref.as_deref(),
            );
            let ref_num = rules::ref_num(merchant.number, counter);
            if rules::records_initial(input.stored.as_ref()) {
                if let CardAt::Saved(i, k) = resolved.at {
                    if let Some(card) = merchant
                        .customer_mut(seed, i)
                        .and_then(|c| c.cards.get_mut(k))
                    {
                        card.initial_ref = Some(ref_num.clone());
                    }
                }
            }
            charge.paid = true;
            charge.captured = input.capture;
            charge.status = "succeeded".into();
            charge.ref_num = Some(ref_num);
            charge.auth_code = Some(rules::auth_code(counter));
            charge.warning_message = warning.map(str::to_string);
            (200, wire::charge(&charge).to_string())
        }
    };
    emu.ctx.ledger.record(AcceptedCharge {
        provider: "clover".into(),
        merchant: merchant.mid.clone(),
        id: id.clone(),
        kind: "charge".into(),
        amount_minor: input.amount,
        currency: input.currency.to_ascii_uppercase(),
        card_token: resolved.card.token.clone(),
        customer: resolved.customer.clone(),
        idempotency_key: call.key.map(str::to_string),
        order_id: input.external_reference_id.clone(),
        stored_credential: input.stored_raw.clone(),
        status: if decline.is_some() {
            "declined"
        } else {
            "approved"
        }
        .into(),
        warnings: charge.warning_message.iter().cloned().collect(),
        at: call.now,
    });
    merchant.charges.push(charge);
    let lost = resolved.behaviour == CardBehaviour::ResponseLost;
    if let Some(key) = call.key {
        merchant.idempotency.insert(
            key.to_string(),
            Replay {
                request_hash: call.hash.clone(),
                status,
                body: body.clone(),
                created_ms: now,
                lost,
            },
        );
    }
    if lost {
        Decided::Lost
    } else {
        Decided::Answer { status, body }
    }
}

pub(crate) async fn create_charge(State(emu): Emu, headers: HeaderMap, body: Bytes) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    // Required since fall 2023; the error code is not documented (notes §6.2).
    if header_str(&headers, "x-forwarded-for").is_none() {
        return refuse(&Refusal::invalid(
            "x-forwarded-for",
            "The x-forwarded-for header is required.",
        ));
    }
    // The current reference page lists User-Agent as required on create-charge (notes §1).
    if header_str(&headers, "user-agent").is_none() {
        return refuse(&Refusal::invalid(
            "User-Agent",
            "The User-Agent header is required.",
        ));
    }
    let map = match object(&body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let call = ChargeCall {
        body: &map,
        key: header_str(&headers, "idempotency-key"),
        hash: rules::digest_hex(&body),
        now: emu.ctx.now(),
    };
    let decided = match lock(&emu) {
        Ok(mut state) => decide_charge(&emu, &mut state, m, &call),
        Err(r) => return r.into_response(),
    };
    match decided {
        Decided::Answer { status, body } => respond(status, body),
        Decided::Refused(refusal) => refuse(&refusal),
        Decided::Lost => crate::faults::dropped_response(),
        Decided::Hang => {
            tokio::time::sleep(emu.ctx.faults.timeout()).await;
            refuse(&Refusal::code(
                504,
                "processing_error",
                "api_error",
                "The gateway did not answer in time.",
            ))
        }
    }
}

pub(crate) async fn get_charge(
    State(emu): Emu,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let horizon = emu.ctx.horizon();
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let merchant = &state.merchants[m];
    match merchant
        .charge(&state.seed, &id)
        .and_then(|c| merchant.as_seen(c, horizon))
    {
        Some(c) => ok(&wire::charge(&c)),
        None => not_found("charge", &id),
    }
}

/// `created.gt/gte/lt/lte` filters (notes §2.2).
fn created_filter(pairs: &[(String, String)]) -> Result<impl Fn(i64) -> bool, Reject> {
    let gt = int_param(pairs, "created.gt")?;
    let gte = int_param(pairs, "created.gte")?;
    let lt = int_param(pairs, "created.lt")?;
    let lte = int_param(pairs, "created.lte")?;
    Ok(move |t: i64| {
        gt.is_none_or(|v| t > v)
            && gte.is_none_or(|v| t >= v)
            && lt.is_none_or(|v| t < v)
            && lte.is_none_or(|v| t <= v)
    })
}

/// limit 1–100, default 10 (notes §2.2).
fn list_limit(pairs: &[(String, String)]) -> Result<usize, Reject> {
    match int_param(pairs, "limit")? {
        None => Ok(10),
        Some(l) if (1..=100).contains(&l) => Ok(l as usize),
        Some(_) => Err(Reject::Refused(Refusal::invalid(
            "limit",
            "limit must be between 1 and 100",
        ))),
    }
}

/// One page of a newest-first sequence, with Stripe-style cursors.
fn page<T>(
    items: impl Iterator<Item = T>,
    id: impl Fn(&T) -> &str,
    limit: usize,
    after: Option<&str>,
    before: Option<&str>,
) -> (Vec<T>, bool) {
    match (after, before) {
        (_, Some(before)) => {
            let mut newer: Vec<T> = items.take_while(|t| id(t) != before).collect();
            let has_more = newer.len() > limit;
            let start = newer.len().saturating_sub(limit);
            (newer.split_off(start), has_more)
        }
        (Some(after), None) => {
            let mut rest = items.skip_while(|t| id(t) != after).skip(1);
            let taken: Vec<T> = rest.by_ref().take(limit).collect();
            let has_more = rest.next().is_some();
            (taken, has_more)
        }
        (None, None) => {
            let mut items = items;
            let taken: Vec<T> = items.by_ref().take(limit).collect();
            let has_more = items.next().is_some();
            (taken, has_more)
        }
    }
}

pub(crate) async fn list_charges(
    State(emu): Emu,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let pairs = query(raw);
    let (limit, created) = match (list_limit(&pairs), created_filter(&pairs)) {
        (Ok(l), Ok(c)) => (l, c),
        (Err(r), _) | (_, Err(r)) => return r.into_response(),
    };
    let horizon = emu.ctx.horizon();
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let merchant = &state.merchants[m];
    let customer = match param(&pairs, "customer") {
        None => None,
        Some(id) => match rules::parse_customer_id(merchant.number, id)
            .filter(|i| merchant.customer(&state.seed, *i).is_some())
        {
            Some(i) => Some(i),
            None => return ok(&wire::list(Vec::new(), false, "/v1/charges")),
        },
    };
    let items = merchant
        .charges_newest_first(&state.seed, customer)
        .filter_map(|c| merchant.as_seen(c, horizon))
        .filter(|c| created(c.created_ms));
    let (charges, has_more) = page(
        items,
        |c| c.id.as_str(),
        limit,
        param(&pairs, "starting_after"),
        param(&pairs, "ending_before"),
    );
    ok(&wire::list(
        charges.iter().map(wire::charge).collect(),
        has_more,
        "/v1/charges",
    ))
}

pub(crate) async fn capture_charge(
    State(emu): Emu,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let body = match object(&body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let asked = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(a) => Some(a),
            None => {
                return refuse(&Refusal::invalid(
                    "amount",
                    "amount must be an integer in cents",
                ))
            }
        },
    };
    let mut guard = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    let Some(mut charge) = merchant.charge(seed, &id) else {
        return not_found("charge", &id);
    };
    if !charge.paid {
        return refuse(&Refusal::invalid(
            "charge",
            "A declined charge cannot be captured.",
        ));
    }
    match rules::capture_amount(charge.amount, charge.captured, asked) {
        Ok(amount) => {
            charge.amount = amount;
            charge.captured = true;
            let answer = wire::charge(&charge);
            merchant.put_charge(charge);
            ok(&answer)
        }
        Err(refusal) => refuse(&refusal),
    }
}

// ---------------------------------------------------------------- refunds

/// `POST /v1/refunds`: validates, refunds no more than is left, and records the refund.
fn refund_charge(
    emu: &Emulator,
    merchant: &mut MerchantState,
    seed: &Seed,
    body: &Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Refund, Refusal> {
    let charge_id = string_field(body, "charge")?
        .ok_or_else(|| Refusal::invalid("charge", "charge is required"))?;
    let asked = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| Refusal::invalid("amount", "amount must be an integer in cents"))?,
        ),
    };
    let reason = string_field(body, "reason")?;
    if let Some(r) = &reason {
        if !["duplicate", "fraudulent", "requested_by_customer"].contains(&r.as_str()) {
            return Err(Refusal::invalid(
                "reason",
                "reason must be duplicate, fraudulent or requested_by_customer",
            ));
        }
    }
    let external_reference_id = string_field(body, "external_reference_id")?;
    if external_reference_id
        .as_ref()
        .is_some_and(|r| r.chars().count() > 12)
    {
        return Err(Refusal::invalid(
            "external_reference_id",
            "external_reference_id must be at most 12 characters",
        ));
    }
    let mut charge = merchant.charge(seed, &charge_id).ok_or_else(|| {
        Refusal::code(
            404,
            "resource_missing",
            "invalid_request_error",
            format!("No such charge: {charge_id}"),
        )
    })?;
    if !charge.paid {
        return Err(Refusal::invalid(
            "charge",
            "A declined charge cannot be refunded.",
        ));
    }
    let has_extras =
        charge.tax_amount.is_some_and(|t| t > 0) || charge.tip_amount.is_some_and(|t| t > 0);
    let amount = rules::refund_amount(charge.amount, charge.amount_refunded, asked, has_extras)?;
    charge.amount_refunded += amount;
    let counter = merchant.next_counter();
    let refund = Refund {
        id: rules::refund_id(merchant.number, counter),
        amount,
        charge: charge.id.clone(),
        currency: charge.currency.clone(),
        created_ms: millis(now),
        status: "succeeded".into(),
        reason,
        external_reference_id,
    };
    emu.ctx.ledger.record(AcceptedCharge {
        provider: "clover".into(),
        merchant: merchant.mid.clone(),
        id: refund.id.clone(),
        kind: "refund".into(),
        amount_minor: amount,
        currency: charge.currency.to_ascii_uppercase(),
        card_token: charge.source.token.clone(),
        customer: charge.customer.clone(),
        idempotency_key: None,
        order_id: refund.external_reference_id.clone(),
        stored_credential: Value::Null,
        status: "approved".into(),
        warnings: Vec::new(),
        at: now,
    });
    merchant.put_charge(charge);
    merchant.refunds.push(refund.clone());
    Ok(refund)
}

pub(crate) async fn create_refund(State(emu): Emu, headers: HeaderMap, body: Bytes) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let body = match object(&body) {
        Ok(b) => b,
        Err(r) => return r.into_response(),
    };
    let now = emu.ctx.now();
    let mut guard = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    match refund_charge(&emu, merchant, seed, &body, now) {
        Ok(r) => ok(&wire::refund(&r)),
        Err(refusal) => refuse(&refusal),
    }
}

pub(crate) async fn get_refund(
    State(emu): Emu,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let horizon = emu.ctx.horizon();
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let seen = state.merchants[m]
        .refunds
        .iter()
        .find(|r| r.id == id)
        .filter(|r| horizon.shows_ms(r.created_ms));
    match seen {
        Some(r) => ok(&wire::refund(r)),
        None => not_found("refund", &id),
    }
}

pub(crate) async fn list_refunds(
    State(emu): Emu,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let m = match authorize(&emu, &headers) {
        Ok(m) => m,
        Err(r) => return r.into_response(),
    };
    let pairs = query(raw);
    let (limit, created) = match (list_limit(&pairs), created_filter(&pairs)) {
        (Ok(l), Ok(c)) => (l, c),
        (Err(r), _) | (_, Err(r)) => return r.into_response(),
    };
    let horizon = emu.ctx.horizon();
    let state = match lock(&emu) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let charge = param(&pairs, "charge");
    let items = state.merchants[m].refunds.iter().rev().filter(|r| {
        charge.is_none_or(|c| r.charge == c)
            && created(r.created_ms)
            && horizon.shows_ms(r.created_ms)
    });
    let (refunds, has_more) = page(
        items,
        |r| r.id.as_str(),
        limit,
        param(&pairs, "starting_after"),
        param(&pairs, "ending_before"),
    );
    ok(&wire::list(
        refunds.into_iter().map(wire::refund).collect(),
        has_more,
        "/v1/refunds",
    ))
}

// ---------------------------------------------------------------- sandbox only

/// The seed's initials counts of merchant `number`, built outside the state lock on first use.
fn seeded_initials(
    emu: &Emulator,
    number: usize,
    seed: &Seed,
    key: &str,
    seeded: usize,
) -> Arc<state::SeededInitials> {
    let cached = emu
        .seeded_initials
        .lock()
        .ok()
        .and_then(|cache| cache.get(&number).cloned())
        .filter(|c| c.fits(seed, seeded));
    if let Some(counts) = cached {
        return counts;
    }
    let built = Arc::new(state::SeededInitials::build(seed, key, seeded));
    if let Ok(mut cache) = emu.seeded_initials.lock() {
        cache.insert(number, built.clone());
    }
    built
}

/// `GET /__sandbox/initials?merchant=<mId>&offset=0&limit=100` (sandbox only, `limit` at most
/// 1000): the saved cards with an initial (FIRST) charge on record, in customer then card order,
/// with the `ref_num` a linked MIT names as `invoice_number`. Clover lists no such thing; Coffer's
/// demo needs it to register the seeded cards.
pub(crate) async fn sandbox_initials(State(emu): Emu, RawQuery(raw): RawQuery) -> Response {
    let error =
        |status: u16, message: String| respond(status, json!({ "error": message }).to_string());
    let pairs = query(raw);
    let number = |name: &str, default: usize| match param(&pairs, name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a non-negative integer")),
    };
    let (offset, limit) = match (number("offset", 0), number("limit", 100)) {
        (Ok(offset), Ok(limit)) => (offset, limit.min(1000)),
        (Err(e), _) | (_, Err(e)) => return error(400, e),
    };
    let Some(mid) = param(&pairs, "merchant") else {
        return error(400, "merchant (the merchant UUID) is required".into());
    };
    let unknown = || error(404, format!("unknown merchant '{mid}'"));
    let (number, seed, key, seeded) = {
        let Ok(state) = emu.state.lock() else {
            return bare(500);
        };
        let Some(m) = state.merchants.iter().find(|m| m.mid == mid) else {
            return unknown();
        };
        (m.number, state.seed.clone(), m.key(), m.seeded)
    };
    let mut counts = seeded_initials(&emu, number, &seed, &key, seeded);
    let Ok(state) = emu.state.lock() else {
        return bare(500);
    };
    let Some(merchant) = state.merchants.iter().find(|m| m.mid == mid) else {
        return unknown();
    };
    if !counts.fits(&state.seed, merchant.seeded) {
        // Reset or restored in between: rare, so built under the lock.
        counts = Arc::new(state::SeededInitials::build(
            &state.seed,
            &merchant.key(),
            merchant.seeded,
        ));
    }
    let (total, initials) = merchant.initials_page(&state.seed, &counts, offset, limit);
    ok(&json!({
        "merchant": merchant.mid,
        "total": total,
        "offset": offset,
        "initials": initials,
    }))
}
