//! The handlers, one file per Clover resource: authenticate like Clover (Bearer OAuth token on
//! Ecommerce and Platform calls, the PAKMS `apikey` on the tokenizer), validate, apply the rules,
//! answer the documented shapes. The state lock is held only while deciding, never across an
//! `.await`. This file holds what every resource shares: the answers, the request readers and
//! Clover's per-token concurrency limit.
//!
//! Every field and answer shape here rests on `shared/providers/clover.md` (whose facts name their
//! published page, example or official module) and is listed with its source in
//! `docs/clover.md`; what no source covers is marked there as our choice. The split into one file
//! per resource moved the handlers as they were; only the order changed for a request that is
//! both unauthenticated and unreadable (over 2 MB): it now gets the provider's 401, not a 413.

pub(crate) mod admin;
pub(crate) mod cards;
pub(crate) mod charges;
pub(crate) mod checkout;
pub(crate) mod customers;
pub(crate) mod limits;
pub(crate) mod merchant;
pub(crate) mod refunds;

use std::sync::{Arc, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use http::request::Parts;
use http::{header, HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

use super::rules::Refusal;
use super::state;
use super::wire;
use super::Emulator;
use crate::scaffold::{self, Credentials, Emulated};

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
pub(crate) enum Reject {
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

impl From<Refusal> for Reject {
    fn from(refusal: Refusal) -> Reject {
        Reject::Refused(refusal)
    }
}

impl Emulated for Emulator {
    type State = state::State;
    type Rejection = Reject;

    fn lock(&self) -> Result<MutexGuard<'_, state::State>, Reject> {
        self.state.lock().map_err(|_| Reject::Bare(500))
    }
}

fn lock(emu: &Emulator) -> Result<MutexGuard<'_, state::State>, Reject> {
    emu.lock()
}

/// A merchant's OAuth token (`Authorization: Bearer …`), on Ecommerce and Platform calls: the
/// merchant's number in the state.
pub(crate) struct Merchant(pub usize);

impl Credentials for Merchant {
    type Emulator = Emulator;

    fn authenticate(emu: &Emulator, parts: &Parts) -> Result<Merchant, Reject> {
        authorize(emu, &parts.headers).map(Merchant)
    }
}

/// A request made with a merchant's Bearer token.
type Authed = scaffold::Authed<Merchant>;

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
fn platform(emu: &Emulator, m: usize, mid: &str) -> Result<usize, Reject> {
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

fn string_field(body: &Map<String, Value>, field: &str) -> Result<Option<String>, Refusal> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(Refusal::invalid(field, format!("{field} must be a string"))),
    }
}

fn token_used() -> Refusal {
    Refusal::code(
        400,
        "token_already_used",
        "invalid_request_error",
        "You cannot use a clover token more than once unless it is marked as multipay.",
    )
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
    let Some(credential) = limits::credential_of(&request) else {
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
