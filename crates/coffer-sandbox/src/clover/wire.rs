//! The JSON the emulator answers with, written from Clover's docs (notes §2, §4) and never
//! shared with the client: Ecommerce objects in snake_case with epoch-millisecond times and
//! string expiry fields, Platform v3 objects in camelCase with `{"elements": [...]}` expansions.

use serde_json::{json, Map, Value};

use super::rules::{Decline, Refusal};
use super::state::{Card, Charge, Customer, Refund, Token};

/// The phrase of the top-level `message` ("400 Bad Request").
pub(crate) fn status_phrase(status: u16) -> &'static str {
    match status {
        400 => "400 Bad Request",
        401 => "401 Unauthorized",
        402 => "402 Payment Required",
        404 => "404 Not Found",
        409 => "409 Conflict",
        500 => "500 Internal Server Error",
        504 => "504 Gateway Timeout",
        _ => "Error",
    }
}

/// The documented error body (notes §4.1).
pub(crate) fn error_body(refusal: &Refusal) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), json!(refusal.code));
    error.insert("message".into(), json!(refusal.message));
    error.insert("type".into(), json!(refusal.kind));
    if let Some(param) = &refusal.param {
        error.insert("param".into(), json!(param));
    }
    json!({ "message": status_phrase(refusal.status), "error": error })
}

/// A decline: no top-level `id`, the failed charge in `error.charge`, camel-case `declineCode`
/// as live Clover sends it (notes §4.1).
pub(crate) fn decline_body(decline: &Decline, charge_id: &str) -> Value {
    let mut error = Map::new();
    error.insert("code".into(), json!(decline.code));
    if let Some(code) = decline.decline_code {
        error.insert("declineCode".into(), json!(code));
    }
    error.insert("charge".into(), json!(charge_id));
    error.insert("type".into(), json!("card_error"));
    error.insert("message".into(), json!(decline.message));
    json!({ "message": status_phrase(decline.status), "error": error })
}

/// The charge object (notes §2.1).
pub(crate) fn charge(c: &Charge) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(c.id));
    o.insert("amount".into(), json!(c.amount));
    o.insert("amount_refunded".into(), json!(c.amount_refunded));
    o.insert("currency".into(), json!(c.currency));
    o.insert("created".into(), json!(c.created_ms));
    o.insert("captured".into(), json!(c.captured));
    o.insert("paid".into(), json!(c.paid));
    o.insert("status".into(), json!(c.status));
    o.insert(
        "refunded".into(),
        json!(c.amount_refunded > 0 && c.amount_refunded >= c.amount),
    );
    o.insert("livemode".into(), json!(false));
    o.insert("ecomind".into(), json!(c.ecomind));
    if let Some(v) = &c.ref_num {
        o.insert("ref_num".into(), json!(v));
    }
    if let Some(v) = &c.auth_code {
        o.insert("auth_code".into(), json!(v));
    }
    o.insert(
        "outcome".into(),
        if c.paid {
            json!({ "network_status": "approved_by_network", "type": "authorized" })
        } else {
            json!({ "network_status": "declined_by_network", "type": "issuer_declined" })
        },
    );
    o.insert(
        "source".into(),
        json!({
            "id": c.source.token,
            "brand": c.source.brand,
            "cvc_check": "unchecked",
            "exp_month": format!("{:02}", c.source.exp_month),
            "exp_year": c.source.exp_year.to_string(),
            "first6": c.source.first6,
            "last4": c.source.last4,
        }),
    );
    let optional = [
        ("customer", c.customer.as_ref().map(|v| json!(v))),
        ("description", c.description.as_ref().map(|v| json!(v))),
        (
            "external_reference_id",
            c.external_reference_id.as_ref().map(|v| json!(v)),
        ),
        ("metadata", c.metadata.clone()),
        ("tax_amount", c.tax_amount.map(|v| json!(v))),
        ("tip_amount", c.tip_amount.map(|v| json!(v))),
        (
            "warning_message",
            c.warning_message.as_ref().map(|v| json!(v)),
        ),
        ("failure_code", c.failure_code.as_ref().map(|v| json!(v))),
        (
            "failure_message",
            c.failure_message.as_ref().map(|v| json!(v)),
        ),
        ("decline_code", c.decline_code.as_ref().map(|v| json!(v))),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            o.insert(k.into(), v);
        }
    }
    if !c.stored_credentials.is_null() {
        o.insert("stored_credentials".into(), c.stored_credentials.clone());
    }
    Value::Object(o)
}

/// The refund object (notes §2.4).
pub(crate) fn refund(r: &Refund) -> Value {
    json!({
        "id": r.id,
        "object": "refund",
        "amount": r.amount,
        "charge": r.charge,
        "currency": r.currency,
        "created": r.created_ms,
        "status": r.status,
        "reason": r.reason,
        "external_reference_id": r.external_reference_id,
        "failure_reason": Value::Null,
        "metadata": {},
        "receipt_number": Value::Null,
    })
}

/// A `{"object":"list","data":[...],"has_more":..}` page. Clover's envelope for v1 lists is
/// unconfirmed (notes §2.2); this is the emulator's choice.
pub(crate) fn list(data: Vec<Value>, has_more: bool, url: &str) -> Value {
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

/// The tokenizer's answer (notes §2.7).
pub(crate) fn token(t: &Token) -> Value {
    json!({
        "id": t.id,
        "object": "token",
        "card": {
            "brand": t.brand,
            "exp_month": format!("{:02}", t.exp_month),
            "exp_year": t.exp_year.to_string(),
            "first6": t.first6,
            "last4": t.last4,
        }
    })
}

/// The v1 customer (notes §2.5): `sources.data` holds card ids only.
pub(crate) fn customer_v1(c: &Customer, currency: &str) -> Value {
    let live: Vec<&Card> = c.cards.iter().filter(|k| !k.deleted).collect();
    let mut o = json!({
        "id": c.id,
        "object": "customer",
        "created": c.created_ms,
        "currency": currency.to_ascii_uppercase(),
        "email": c.email,
        "name": format!("{} {}", c.first_name, c.last_name).trim().to_string(),
        "phone": c.phone,
        "sources": { "object": "list", "data": live.iter().map(|k| k.id.clone()).collect::<Vec<_>>() },
    });
    if let (Some(first), Value::Object(map)) = (live.first(), &mut o) {
        map.insert("default_source".into(), json!(first.id));
    }
    o
}

/// The v3 card element (notes §2.6); `expirationDate` is "MMYY" (format inferred).
pub(crate) fn card_v3(card: &Card, customer: &Customer) -> Value {
    json!({
        "id": card.id,
        "first6": card.first6,
        "last4": card.last4,
        "firstName": customer.first_name,
        "lastName": customer.last_name,
        "expirationDate": format!("{:02}{:02}", card.exp_month, card.exp_year.rem_euclid(100)),
        "cardType": card.brand,
        "token": card.token,
        "tokenType": "MULTIPAY",
        "modifiedTime": card.modified_ms,
        "customer": { "id": customer.id },
    })
}

/// Which v3 expansions a request asked for.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Expand {
    pub cards: bool,
    pub emails: bool,
    pub phones: bool,
    pub addresses: bool,
}

/// Nested expansions are not paged and are cut at 100 items (notes §2.6).
const NESTED_LIMIT: usize = 100;

/// The v3 customer with the asked expansions.
pub(crate) fn customer_v3(c: &Customer, mid: &str, expand: Expand) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(c.id));
    o.insert("firstName".into(), json!(c.first_name));
    o.insert("lastName".into(), json!(c.last_name));
    o.insert("marketingAllowed".into(), json!(false));
    o.insert("customerSince".into(), json!(c.created_ms));
    o.insert("merchant".into(), json!({ "id": mid }));
    if expand.cards {
        let cards: Vec<Value> = c
            .cards
            .iter()
            .filter(|k| !k.deleted)
            .take(NESTED_LIMIT)
            .map(|k| card_v3(k, c))
            .collect();
        o.insert("cards".into(), json!({ "elements": cards }));
    }
    if expand.emails {
        o.insert(
            "emailAddresses".into(),
            json!({ "elements": [{ "id": format!("E{}", &c.id[1..]), "emailAddress": c.email, "customer": { "id": c.id } }] }),
        );
    }
    if expand.phones {
        o.insert(
            "phoneNumbers".into(),
            json!({ "elements": [{ "id": format!("P{}", &c.id[1..]), "phoneNumber": c.phone, "customer": { "id": c.id } }] }),
        );
    }
    if expand.addresses {
        o.insert("addresses".into(), json!({ "elements": [] }));
    }
    Value::Object(o)
}
