//! Customers: the Ecommerce `/v1/customers` and the Platform API's `/v3/merchants/{mId}/customers`
//! with their cards.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::response::Response;
use serde_json::{json, Map, Value};

use super::{
    int_param, lock, millis, not_found, object, ok, platform, query, string_field, token_used,
    Authed, Merchant, Reject,
};
use crate::clover::rules::{self, Refusal};
use crate::clover::state::{self, Customer, MerchantState};
use crate::clover::wire;
use crate::clover::Emulator;
use crate::seed::Seed;

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
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(mid): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Reject> {
    let m = platform(&emu, m, &mid)?;
    let pairs = query(raw);
    let expand = expansions(&pairs);
    // limit: default 100, hard maximum 1000 (notes §2.6); larger asks are clamped.
    let limit = int_param(&pairs, "limit")?.unwrap_or(100).clamp(1, 1000) as usize;
    let offset = int_param(&pairs, "offset")?.unwrap_or(0).max(0) as usize;
    let filters = customer_filters(&pairs)?;
    let state = lock(&emu)?;
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
    Ok(ok(&json!({
        "elements": elements,
        "href": format!("{}/v3/merchants/{}/customers?limit={limit}&offset={offset}", emu.ctx.base_url, merchant.mid),
    })))
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
    m: usize,
    mid: &str,
    id: &str,
) -> Result<(String, Customer), Reject> {
    let m = platform(emu, m, mid)?;
    let state = lock(emu)?;
    let merchant = &state.merchants[m];
    merchant
        .customer_by_id(&state.seed, id)
        .map(|c| (merchant.mid.clone(), c))
        .ok_or(Reject::Bare(404))
}

pub(crate) async fn v3_customer(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path((mid, id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, Reject> {
    let (mid, c) = v3_customer_of(&emu, m, &mid, &id)?;
    Ok(ok(&wire::customer_v3(&c, &mid, expansions(&query(raw)))))
}

pub(crate) async fn v3_customer_cards(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path((mid, id)): Path<(String, String)>,
) -> Result<Response, Reject> {
    let (_, c) = v3_customer_of(&emu, m, &mid, &id)?;
    let cards: Vec<Value> = c
        .cards
        .iter()
        .filter(|k| !k.deleted)
        .map(|k| wire::card_v3(k, &c))
        .collect();
    Ok(ok(&json!({ "elements": cards })))
}

/// Takes a loose, unused token for saving on a customer: it becomes a multi-pay card.
fn take_token(
    merchant: &mut MerchantState,
    source: &str,
    index: usize,
    position: usize,
    now: i64,
) -> Result<state::Card, Refusal> {
    // A token already saved on a customer was used up by that save: Clover refuses a used
    // single-pay token with `token_already_used` (notes §2.7, §4.1, the SDK tests' message).
    if merchant.token_owner.contains_key(source) {
        return Err(token_used());
    }
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

pub(crate) async fn create_customer(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    body: Bytes,
) -> Result<Response, Reject> {
    let fields = customer_fields(&object(&body)?)?;
    let now = millis(emu.ctx.now());
    let mut state = lock(&emu)?;
    let merchant = &mut state.merchants[m];
    let c = save_customer(merchant, fields, now)?;
    Ok(ok(&wire::customer_v1(&c, merchant.currency.code())))
}

pub(crate) async fn get_customer(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(id): Path<String>,
) -> Result<Response, Reject> {
    let state = lock(&emu)?;
    let merchant = &state.merchants[m];
    Ok(match merchant.customer_by_id(&state.seed, &id) {
        Some(c) => ok(&wire::customer_v1(&c, merchant.currency.code())),
        None => not_found("customer", &id),
    })
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
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Reject> {
    let fields = customer_fields(&object(&body)?)?;
    let now = millis(emu.ctx.now());
    let mut guard = lock(&emu)?;
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    let Some(index) = rules::parse_customer_id(merchant.number, &id) else {
        return Ok(not_found("customer", &id));
    };
    let c = update_saved_customer(merchant, seed, index, fields, now)?;
    Ok(ok(&wire::customer_v1(&c, merchant.currency.code())))
}
