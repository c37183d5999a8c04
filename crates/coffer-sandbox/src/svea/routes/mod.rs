//! The handlers, one file per Svea service: token charges, the card page (with the
//! browser flows that lead to it), status queries, cancels and the sandbox-only admin routes.
//! This file holds what they share: authenticating like Svea (Basic auth or the request hash),
//! signing answers, the common error answers and the ledger.
//!
//! Every field and answer shape here rests on `shared/providers/svea.md` (whose facts name their
//! published page, example or official module) and is listed with its source in
//! `docs/svea.md`; what no source covers is marked there as our choice. The split into one file
//! per resource moved the handlers as they were: no answer changed.

pub(crate) mod admin;
pub(crate) mod card_page;
pub(crate) mod charges;
pub(crate) mod refunds;
pub(crate) mod status;

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};

use super::charset::Charset;
use super::rules::{self, HashVersion, PaymentRequest};
use super::state::{Flow, Payment, PaymentStatus, Seller};
use super::wire::{self, BasicAuth, FieldError, Form};
use super::Emulator;
use crate::ledger::AcceptedCharge;

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

/// `pmtq_returntext` of Svea's answer for a `pmtq_id` it does not know (DOCS page 1657014098).
pub(crate) const UNKNOWN_PAYMENT_TEXT: &str = "No payment found with specified data";

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
