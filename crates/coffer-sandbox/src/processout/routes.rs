//! The handlers, one per documented route. Each authenticates through [`Emulator::read`] or
//! [`Emulator::write`] and then applies the rules of `rules.rs` to the project's state.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::rules::{self, ApiError, Attempt, CardOutcome, ListParams};
use super::state::{
    CardSnapshot, Customer, Detail, Event, Invoice, Operation, Project, Refund, Token, Transaction,
};
use super::wire::{
    CardCreate, CardOut, CustomerCreate, CustomerOut, EventOut, InvoiceCreate, InvoiceOut,
    PaymentIn, RefundCreate, RefundOut, TokenCreate, TokenOut, TransactionOut,
};
use super::{error_body, success, Emulator, Reply};
use crate::faults::Horizon;
use crate::ledger::AcceptedCharge;
use crate::Ctx;

type Shared = State<Arc<Emulator>>;
type Params = Query<HashMap<String, String>>;

/// A list answer: the array under its plural key plus the documented pagination fields.
fn list_body(
    key: &str,
    items: Vec<Value>,
    has_more: bool,
    params: &ListParams,
    total: usize,
) -> Value {
    json!({
        key: items,
        "count": items.len(),
        "has_more": has_more,
        "limit": params.limit,
        "order": if params.ascending { "asc" } else { "desc" },
        "total_count": total,
    })
}

fn page<'a, T>(
    items: &'a [T],
    position_of: impl Fn(&str) -> Option<usize>,
    params: &ListParams,
    kind: &str,
) -> Result<(Vec<&'a T>, bool), ApiError> {
    let cursor = params
        .start_after
        .as_deref()
        .or(params.end_before.as_deref())
        .unwrap_or("");
    rules::paginate(items, position_of, params).ok_or_else(|| ApiError::not_found(kind, cursor))
}

/// `tr_op_<transaction>_<n>`: the next operation's id, unique and deterministic.
fn operation_id(t: &Transaction) -> String {
    format!(
        "tr_op_{}_{}",
        t.id.trim_start_matches("tr_"),
        t.operations.len() + 1
    )
}

/// One page of a listing as a lookup may show it under `lookup_lag_secs`, with the total:
/// without lag, a page of `items` by their cursor index; with it, a page of the objects made up
/// to the horizon, found by scanning (seeded objects may be dated after run-time ones, so the
/// visible ones are not always a prefix).
struct Listing<'a, T> {
    items: &'a [T],
    index: &'a dyn Fn(&str) -> Option<usize>,
    id: fn(&T) -> &str,
    made: fn(&T) -> DateTime<Utc>,
    kind: &'a str,
}

impl<'a, T> Listing<'a, T> {
    fn page(
        &self,
        params: &ListParams,
        horizon: Horizon,
    ) -> Result<(Vec<&'a T>, bool, usize), ApiError> {
        if !horizon.lags() {
            let (items, more) = page(self.items, self.index, params, self.kind)?;
            return Ok((items, more, self.items.len()));
        }
        let made = self.made;
        let id = self.id;
        let seen: Vec<&'a T> = self
            .items
            .iter()
            .filter(|item| horizon.shows(made(item)))
            .collect();
        let (items, more) = page(&seen, scan(&seen, |item| id(item)), params, self.kind)?;
        Ok((items.into_iter().copied().collect(), more, seen.len()))
    }
}

/// An invoice as a lookup may show it, with what its transaction shows.
fn invoice_seen(p: &Project, invoice: &Invoice, horizon: Horizon) -> Option<InvoiceOut> {
    let paid = p
        .transaction(&invoice.transaction_id)
        .and_then(|t| t.as_seen(horizon))
        .is_some_and(|t| t.is_paid());
    invoice
        .as_seen(horizon, paid)
        .map(|i| InvoiceOut::new(&p.id, &i))
}

/// Finds a cursor in a short list by scanning it.
fn scan<'a, T>(
    items: &'a [T],
    id_of: impl Fn(&T) -> &str + 'a,
) -> impl Fn(&str) -> Option<usize> + 'a {
    move |cursor| items.iter().position(|item| id_of(item) == cursor)
}

// ---- customers ----

pub(crate) async fn list_customers(
    State(em): Shared,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    em.read(&headers, |p| {
        let params = rules::list_params(&q)?;
        let index = |id: &str| p.customer_index.get(id).copied();
        let (items, more) = page(&p.customers, index, &params, "customer")?;
        let items = items
            .iter()
            .map(|c| json!(CustomerOut::new(&p.id, c)))
            .collect();
        Ok(list_body(
            "customers",
            items,
            more,
            &params,
            p.customers.len(),
        ))
    })
}

pub(crate) async fn get_customer(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    em.read(&headers, |p| {
        let c = p
            .customer(&id)
            .ok_or_else(|| ApiError::not_found("customer", &id))?;
        Ok(json!({"customer": CustomerOut::new(&p.id, c)}))
    })
}

pub(crate) async fn create_customer(
    State(em): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    em.write(
        &headers,
        "POST /customers",
        &body,
        |p, ctx, req: CustomerCreate, _| {
            rules::max_len(req.first_name.as_deref(), "first_name", 80)?;
            rules::max_len(req.last_name.as_deref(), "last_name", 80)?;
            let currency = req
                .currency
                .as_deref()
                .map(rules::parse_currency)
                .transpose()?;
            let id = match req.id {
                Some(id) if !id.starts_with("cust_") => {
                    return Err(ApiError::invalid(
                        "request.validation.invalid-id",
                        "A customer id must start with cust_.",
                    ))
                }
                Some(id) if p.customer_index.contains_key(&id) => {
                    return Err(ApiError::invalid(
                        "request.validation.invalid-id",
                        format!("The customer {id} exists."),
                    ))
                }
                Some(id) => id,
                None => p.next_id("cust_"),
            };
            let customer = Customer {
                id,
                first_name: req.first_name,
                last_name: req.last_name,
                email: req.email,
                phone_number: req.phone_number,
                company_name: req.company_name,
                country_code: req.country_code,
                currency,
                reference_id: req.reference_id,
                metadata: req.metadata.unwrap_or_default(),
                default_token_id: None,
                tokens: Vec::new(),
                created_at: ctx.now(),
            };
            let resource = json!(CustomerOut::new(&p.id, &customer));
            p.fire(
                "customer.created",
                "customer",
                resource.clone(),
                customer.created_at,
            );
            let body = success(json!({ "customer": resource }));
            p.push_customer(customer);
            Ok(Reply::Done(StatusCode::OK, body))
        },
    )
    .await
}

pub(crate) async fn delete_customer(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("DELETE /customers/{id}");
    em.write(&headers, &route, &body, |p, ctx, _: Value, _| {
        if !p.remove_customer(&id) {
            return Err(ApiError::not_found("customer", &id));
        }
        p.fire(
            "customer.deleted",
            "customer",
            json!({ "id": id }),
            ctx.now(),
        );
        Ok(Reply::Done(StatusCode::OK, json!({"success": true})))
    })
    .await
}

pub(crate) async fn customer_transactions(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let params = rules::list_params(&q)?;
        p.customer(&id)
            .ok_or_else(|| ApiError::not_found("customer", &id))?;
        let all: Vec<_> = p
            .transactions_of(&id)
            .into_iter()
            .filter_map(|t| t.as_seen(horizon))
            .collect();
        let (items, more) = page(&all, scan(&all, |t| &t.id), &params, "transaction")?;
        let items = items
            .iter()
            .map(|t| json!(TransactionOut::new(&p.id, t)))
            .collect();
        Ok(list_body("transactions", items, more, &params, all.len()))
    })
}

// ---- customer tokens ----

pub(crate) async fn list_tokens(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Params,
) -> Response {
    em.read(&headers, |p| {
        let params = rules::list_params(&q)?;
        let c = p
            .customer(&id)
            .ok_or_else(|| ApiError::not_found("customer", &id))?;
        let all = &c.tokens;
        let (items, more) = page(all, scan(all, |t| &t.id), &params, "token")?;
        let items = items
            .iter()
            .map(|t| json!(TokenOut::new(&p.id, t, c.default_token_id.as_deref())))
            .collect();
        Ok(list_body("tokens", items, more, &params, all.len()))
    })
}

pub(crate) async fn get_token(
    State(em): Shared,
    headers: HeaderMap,
    Path((customer_id, token_id)): Path<(String, String)>,
) -> Response {
    em.read(&headers, |p| {
        let c = p
            .customer(&customer_id)
            .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
        // A token of another customer is "not found" here, as documented.
        let t = c
            .tokens
            .iter()
            .find(|t| t.id == token_id)
            .ok_or_else(|| ApiError::not_found("token", &token_id))?;
        Ok(json!({"token": TokenOut::new(&p.id, t, c.default_token_id.as_deref())}))
    })
}

/// Takes a single-use `card_…` source minted by `POST /cards`.
fn take_card(p: &mut Project, source: &str) -> Result<CardSnapshot, ApiError> {
    if !source.starts_with("card_") {
        return Err(ApiError::invalid(
            "request.validation.invalid-source",
            format!("The source '{source}' must be a card_ id here."),
        ));
    }
    let card = p
        .cards
        .iter_mut()
        .find(|c| c.id == source)
        .ok_or_else(|| ApiError::not_found("card", source))?;
    if card.used {
        return Err(ApiError::invalid(
            "request.card.already-used",
            format!("The card {source} was already used; a card_ source is single-use."),
        ));
    }
    card.used = true;
    Ok(card.clone())
}

pub(crate) async fn create_token(
    State(em): Shared,
    headers: HeaderMap,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /customers/{customer_id}/tokens");
    em.write(&headers, &route, &body, |p, ctx, req: TokenCreate, _| {
        rules::max_len(req.description.as_deref(), "description", 255)?;
        p.customer(&customer_id)
            .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
        let card = req.source.as_deref().map(|s| take_card(p, s)).transpose()?;
        let verification_status = match (&card, req.verify) {
            (Some(card), Some(true)) => rules::verification_status(&card.last_4_digits),
            _ => "not-requested",
        };
        let token = Token {
            id: p.next_id("tok_"),
            customer_id: customer_id.clone(),
            kind: if card.is_some() { "card" } else { "pending" }.into(),
            card,
            verification_status: verification_status.into(),
            description: req.description,
            return_url: req.return_url,
            metadata: req.metadata.unwrap_or_default(),
            created_at: ctx.now(),
        };
        let project_id = p.id.clone();
        let c = p
            .customer_mut(&customer_id)
            .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
        if req.set_default == Some(true) || (c.default_token_id.is_none() && token.card.is_some()) {
            c.default_token_id = Some(token.id.clone());
        }
        let resource = json!(TokenOut::new(
            &project_id,
            &token,
            c.default_token_id.as_deref()
        ));
        c.tokens.push(token);
        p.fire(
            "customer.token.created",
            "token",
            resource.clone(),
            ctx.now(),
        );
        let body = success(json!({ "token": resource }));
        Ok(Reply::Done(StatusCode::OK, body))
    })
    .await
}

pub(crate) async fn update_token(
    State(em): Shared,
    headers: HeaderMap,
    Path((customer_id, token_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let route = format!("PUT /customers/{customer_id}/tokens/{token_id}");
    em.write(&headers, &route, &body, |p, ctx, req: TokenCreate, _| {
        // Documented oddity: an unknown customer on this PUT is a 400, not a 404.
        if p.customer(&customer_id).is_none() {
            return Err(ApiError::invalid(
                "resource.customer.not-found",
                format!("The customer {customer_id} could not be found."),
            ));
        }
        let exists = p
            .customer(&customer_id)
            .is_some_and(|c| c.tokens.iter().any(|t| t.id == token_id));
        if !exists {
            return Err(ApiError::not_found("token", &token_id));
        }
        let card = req.source.as_deref().map(|s| take_card(p, s)).transpose()?;
        let project_id = p.id.clone();
        let c = p
            .customer_mut(&customer_id)
            .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
        let default = c.default_token_id.clone();
        let token = c
            .tokens
            .iter_mut()
            .find(|t| t.id == token_id)
            .ok_or_else(|| ApiError::not_found("token", &token_id))?;
        if let Some(card) = card {
            token.kind = "card".into();
            token.card = Some(card);
        }
        if req.verify == Some(true) {
            if let Some(card) = &token.card {
                token.verification_status = rules::verification_status(&card.last_4_digits).into();
            }
        }
        if let Some(metadata) = req.metadata {
            token.metadata = metadata;
        }
        let token = token.clone();
        if req.set_default == Some(true) || (default.is_none() && token.card.is_some()) {
            c.default_token_id = Some(token.id.clone());
        }
        let resource = json!(TokenOut::new(
            &project_id,
            &token,
            c.default_token_id.as_deref()
        ));
        p.fire(
            "customer.token.updated",
            "token",
            resource.clone(),
            ctx.now(),
        );
        Ok(Reply::Done(
            StatusCode::OK,
            success(json!({ "token": resource })),
        ))
    })
    .await
}

pub(crate) async fn delete_token(
    State(em): Shared,
    headers: HeaderMap,
    Path((customer_id, token_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let route = format!("DELETE /customers/{customer_id}/tokens/{token_id}");
    em.write(&headers, &route, &body, |p, ctx, _: Value, _| {
        let c = p
            .customer_mut(&customer_id)
            .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
        let before = c.tokens.len();
        c.tokens.retain(|t| t.id != token_id);
        if c.tokens.len() == before {
            return Err(ApiError::not_found("token", &token_id));
        }
        if c.default_token_id.as_deref() == Some(token_id.as_str()) {
            c.default_token_id = None;
        }
        let resource = json!({"id": token_id, "customer_id": customer_id});
        p.fire("customer.token.deleted", "token", resource, ctx.now());
        Ok(Reply::Done(StatusCode::OK, json!({"success": true})))
    })
    .await
}

/// Sandbox-only: tokenizes a test card number into a single-use `card_…`, standing in for
/// ProcessOut.js. The number and CVC are read, checked and dropped; only display fields stay.
pub(crate) async fn create_card(State(em): Shared, headers: HeaderMap, body: Bytes) -> Response {
    em.write(
        &headers,
        "POST /cards",
        &body,
        |p, ctx, req: CardCreate, _| {
            let number: String = req
                .number
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            if !rules::luhn_ok(&number) {
                return Err(ApiError::invalid(
                    "card.invalid-number",
                    "The card number is invalid.",
                ));
            }
            let exp_month = req
                .exp_month
                .filter(|m| (1..=12).contains(m))
                .ok_or_else(|| {
                    ApiError::invalid(
                        "card.invalid-expiry-month",
                        "The expiry month must be from 1 to 12.",
                    )
                })?;
            let exp_year = req
                .exp_year
                .map(|y| if y < 100 { 2000 + y } else { y })
                .ok_or_else(|| {
                    ApiError::invalid("card.missing-expiry", "The expiry year is missing.")
                })?;
            let card = CardSnapshot {
                id: p.next_id("card_"),
                scheme: rules::scheme_of_number(&number).into(),
                card_type: "credit".into(),
                bank_name: None,
                iin: number.chars().take(6).collect(),
                last_4_digits: number.chars().skip(number.len() - 4).collect(),
                exp_month,
                exp_year,
                name: req.name,
                initial_scheme_transaction_id: None,
                used: false,
                created_at: ctx.now(),
            };
            let body = success(json!({"card": CardOut::new(&p.id, &card)}));
            p.cards.push(card);
            Ok(Reply::Done(StatusCode::OK, body))
        },
    )
    .await
}

// ---- invoices ----

pub(crate) async fn list_invoices(
    State(em): Shared,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let params = rules::list_params(&q)?;
        let listing = Listing {
            items: &p.invoices,
            index: &|id: &str| p.invoice_index.get(id).copied(),
            id: |i: &Invoice| &i.id,
            made: |i: &Invoice| i.created_at,
            kind: "invoice",
        };
        let (items, more, total) = listing.page(&params, horizon)?;
        let items = items
            .iter()
            .filter_map(|i| invoice_seen(p, i, horizon))
            .map(|i| json!(i))
            .collect();
        Ok(list_body("invoices", items, more, &params, total))
    })
}

pub(crate) async fn get_invoice(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let i = p
            .invoice(&id)
            .and_then(|i| invoice_seen(p, i, horizon))
            .ok_or_else(|| ApiError::not_found("invoice", &id))?;
        Ok(json!({ "invoice": i }))
    })
}

pub(crate) async fn invoice_transaction(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let i = p
            .invoice(&id)
            .filter(|i| horizon.shows(i.created_at))
            .ok_or_else(|| ApiError::not_found("invoice", &id))?;
        let t = p
            .transaction(&i.transaction_id)
            .and_then(|t| t.as_seen(horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &i.transaction_id))?;
        Ok(json!({"transaction": TransactionOut::new(&p.id, &t)}))
    })
}

pub(crate) async fn create_invoice(State(em): Shared, headers: HeaderMap, body: Bytes) -> Response {
    em.write(
        &headers,
        "POST /invoices",
        &body,
        |p, ctx, req: InvoiceCreate, _| {
            let missing = |field: &str| {
                ApiError::invalid(
                    &format!("request.validation.invalid-{field}"),
                    format!("The {field} is required."),
                )
            };
            let name = req
                .name
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| missing("name"))?;
            rules::max_len(Some(&name), "name", 80)?;
            rules::max_len(req.description.as_deref(), "description", 255)?;
            rules::max_len(
                req.statement_descriptor.as_deref(),
                "statement_descriptor",
                25,
            )?;
            let currency =
                rules::parse_currency(&req.currency.ok_or_else(|| missing("currency"))?)?;
            let amount = rules::parse_amount(
                &req.amount.ok_or_else(|| missing("amount"))?,
                currency,
                "amount",
            )?;
            let initiation_type = req
                .initiation_type
                .as_deref()
                .map(rules::initiation_type)
                .transpose()?;
            let payment_intent = req
                .payment_intent
                .as_deref()
                .map(rules::payment_intent)
                .transpose()?;
            let merchant_initiator_type = req
                .merchant_initiator_type
                .as_deref()
                .map(rules::merchant_initiator_type)
                .transpose()?;
            if let Some(customer_id) = &req.customer_id {
                p.customer(customer_id)
                    .ok_or_else(|| ApiError::not_found("customer", customer_id))?;
            }
            let mut details = Vec::new();
            for d in req.details.unwrap_or_default() {
                let name = d
                    .name
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| missing("detail-name"))?;
                rules::max_len(Some(&name), "detail_name", 80)?;
                let amount_minor = rules::parse_amount(
                    &d.amount.ok_or_else(|| missing("detail-amount"))?,
                    currency,
                    "detail-amount",
                )?;
                details.push(Detail {
                    id: p.next_id("iv_det_"),
                    name,
                    amount_minor,
                    quantity: d.quantity.unwrap_or(1),
                    kind: d.kind,
                });
            }
            let now = ctx.now();
            let id = p.next_id("iv_");
            let transaction_id = p.next_id("tr_");
            let invoice = Invoice {
                id: id.clone(),
                name: name.clone(),
                amount_minor: amount,
                currency,
                customer_id: req.customer_id.clone(),
                order_id: req.order_id,
                transaction_id: transaction_id.clone(),
                token_id: None,
                initiation_type,
                payment_intent,
                merchant_initiator_type,
                statement_descriptor: req.statement_descriptor,
                metadata: req.metadata.unwrap_or_default(),
                details,
                created_at: now,
            };
            // The transaction exists from the start, `waiting` until a payment is attempted.
            p.push_transaction(Transaction {
                id: transaction_id,
                invoice_id: id,
                customer_id: req.customer_id,
                token_id: None,
                card_id: None,
                name,
                status: "waiting".into(),
                amount_minor: amount,
                currency,
                authorized_minor: 0,
                captured_minor: 0,
                refunded_minor: 0,
                voided_minor: 0,
                error_code: None,
                error_message: None,
                scheme_id: None,
                initial_scheme_transaction_id: None,
                operations: Vec::new(),
                refunds: Vec::new(),
                metadata: invoice.metadata.clone(),
                created_at: now,
                authorized_at: None,
                captured_at: None,
                refunded_at: None,
                voided_at: None,
            });
            let body = success(json!({"invoice": InvoiceOut::new(&p.id, &invoice)}));
            p.push_invoice(invoice);
            Ok(Reply::Done(StatusCode::OK, body))
        },
    )
    .await
}

pub(crate) async fn authorize_invoice(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/authorize");
    em.write(&headers, &route, &body, |p, ctx, req: PaymentIn, key| {
        pay(p, ctx, &id, req, key, Attempt::Authorize)
    })
    .await
}

pub(crate) async fn capture_invoice(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/capture");
    em.write(&headers, &route, &body, |p, ctx, req: PaymentIn, key| {
        pay(p, ctx, &id, req, key, Attempt::Capture)
    })
    .await
}

/// Where a payment's card comes from.
struct Source {
    token_id: Option<String>,
    customer_id: Option<String>,
    card: CardSnapshot,
}

fn resolve_source(p: &mut Project, invoice: &Invoice, source: &str) -> Result<Source, ApiError> {
    let token_of = |c: &Customer, token_id: &str| -> Result<Source, ApiError> {
        let token = c
            .tokens
            .iter()
            .find(|t| t.id == token_id)
            .ok_or_else(|| ApiError::not_found("token", token_id))?;
        let card = token.card.clone().ok_or_else(|| {
            ApiError::invalid(
                "request.source.not-chargeable",
                format!("The token {token_id} has no payment details attached yet."),
            )
        })?;
        Ok(Source {
            token_id: Some(token.id.clone()),
            customer_id: Some(c.id.clone()),
            card,
        })
    };
    if source.starts_with("tok_") {
        // A token must belong to the invoice's customer when the invoice names one.
        return match &invoice.customer_id {
            Some(customer_id) => {
                let c = p
                    .customer(customer_id)
                    .ok_or_else(|| ApiError::not_found("customer", customer_id))?;
                token_of(c, source)
            }
            None => {
                let c = p
                    .customers
                    .iter()
                    .find(|c| c.tokens.iter().any(|t| t.id == source))
                    .ok_or_else(|| ApiError::not_found("token", source))?;
                token_of(c, source)
            }
        };
    }
    if source.starts_with("cust_") {
        if invoice.customer_id.as_deref().is_some_and(|c| c != source) {
            return Err(ApiError::invalid(
                "request.validation.invalid-source",
                format!("The customer {source} is not the invoice's customer."),
            ));
        }
        let c = p
            .customer(source)
            .ok_or_else(|| ApiError::not_found("customer", source))?;
        let default = c.default_token_id.clone().ok_or_else(|| {
            ApiError::invalid(
                "request.source.not-chargeable",
                format!("The customer {source} has no default token to charge."),
            )
        })?;
        return token_of(c, &default);
    }
    if source.starts_with("card_") {
        let card = take_card(p, source)?;
        return Ok(Source {
            token_id: None,
            customer_id: invoice.customer_id.clone(),
            card,
        });
    }
    Err(ApiError::invalid(
        "request.validation.invalid-source",
        format!("The source '{source}' is not a tok_, cust_ or card_ id."),
    ))
}

/// Authorize or capture an invoice: the heart of the emulator.
fn pay(
    p: &mut Project,
    ctx: &Ctx,
    invoice_id: &str,
    req: PaymentIn,
    key: Option<&str>,
    attempt: Attempt,
) -> Result<Reply, ApiError> {
    let invoice = p
        .invoice(invoice_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("invoice", invoice_id))?;
    let transaction = p
        .transaction(&invoice.transaction_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("transaction", invoice_id))?;
    match (transaction.status.as_str(), attempt) {
        ("completed" | "refunded", _) => {
            return Err(ApiError::invalid(
                "request.transaction.already-captured",
                format!("The invoice {invoice_id} was already captured."),
            ))
        }
        ("voided", _) => {
            return Err(ApiError::invalid(
                "request.transaction.voided",
                format!("The invoice {invoice_id} was voided."),
            ))
        }
        ("authorized", Attempt::Authorize) => {
            return Err(ApiError::invalid(
                "request.transaction.already-authorized",
                format!("The invoice {invoice_id} was already authorized."),
            ))
        }
        _ => {}
    }
    let amount = match &req.capture_amount {
        Some(text) => {
            let minor = rules::parse_amount(text, invoice.currency, "capture-amount")?;
            if minor > invoice.amount_minor {
                return Err(ApiError::invalid(
                    "request.validation.invalid-capture-amount",
                    "The capture_amount is above the invoice amount.",
                ));
            }
            minor
        }
        None => invoice.amount_minor,
    };
    let now = ctx.now();
    // Capturing an authorization needs no source: the card was charged already.
    if transaction.status == "authorized" && attempt == Attempt::Capture {
        let project_id = p.id.clone();
        let t = p
            .transaction_mut(&transaction.id)
            .ok_or_else(|| ApiError::not_found("transaction", invoice_id))?;
        let amount = amount.min(t.authorized_minor);
        t.status = "completed".into();
        t.captured_minor = amount;
        t.captured_at = Some(now);
        t.operations.push(Operation {
            id: operation_id(t),
            kind: "capture".into(),
            amount_minor: amount,
            is_successful: true,
            error_code: None,
            created_at: now,
        });
        let resource = json!(TransactionOut::new(&project_id, t));
        p.fire("transaction.captured", "transaction", resource.clone(), now);
        return Ok(Reply::Done(
            StatusCode::OK,
            success(json!({ "transaction": resource })),
        ));
    }
    let source_id = req.source.clone().ok_or_else(|| {
        ApiError::invalid(
            "request.validation.invalid-source",
            "A source (tok_, cust_ or card_) is required.",
        )
    })?;
    let source = resolve_source(p, &invoice, &source_id)?;
    let outcome = rules::card_outcome(&source.card.last_4_digits, attempt);
    if outcome == CardOutcome::Hang {
        return Ok(Reply::Hang);
    }

    let is_mit = invoice.initiation_type.as_deref() == Some("mit")
        || invoice.merchant_initiator_type.is_some();
    let link = req
        .initial_scheme_transaction_id
        .clone()
        .or_else(|| source.card.initial_scheme_transaction_id.clone());
    let mut warnings = Vec::new();
    if is_mit {
        if source.token_id.is_none() {
            warnings.push("merchant-initiated payment on a single-use card_ source; MITs must use a customer token".into());
        }
        match (&req.initial_scheme_transaction_id, &link) {
            (_, None) => warnings.push(
                "merchant-initiated payment without an initial scheme transaction: the card has no initial CIT \
                 and no initial_scheme_transaction_id was sent"
                    .to_string(),
            ),
            (Some(sent), _) if !p.knows_scheme_id(sent) => warnings.push(format!(
                "initial_scheme_transaction_id {sent} matches no transaction of this project"
            )),
            _ => {}
        }
    }
    let stored_credential = json!({
        "initiation_type": invoice.initiation_type,
        "payment_intent": invoice.payment_intent,
        "merchant_initiator_type": invoice.merchant_initiator_type,
        "initial_scheme_transaction_id": req.initial_scheme_transaction_id,
    });
    let approved = !matches!(outcome, CardOutcome::Decline(..));
    let scheme_id = if approved {
        Some(p.next_scheme_id())
    } else {
        None
    };
    let project_id = p.id.clone();
    let t = p
        .transaction_mut(&transaction.id)
        .ok_or_else(|| ApiError::not_found("transaction", invoice_id))?;
    t.token_id = source.token_id.clone();
    t.card_id = Some(source.card.id.clone());
    let newly_linked = match &t.customer_id {
        None => source.customer_id.clone(),
        Some(_) => None,
    };
    if newly_linked.is_some() {
        t.customer_id = newly_linked.clone();
    }
    if let Some(metadata) = req.metadata {
        t.metadata.extend(metadata);
    }
    let op_kind = if attempt == Attempt::Capture {
        "capture"
    } else {
        "authorization"
    };
    let op_id = operation_id(t);
    let reply = match outcome {
        CardOutcome::Decline(code, message) => {
            t.status = "failed".into();
            t.error_code = Some(code.into());
            t.error_message = Some(message.into());
            t.operations.push(Operation {
                id: op_id,
                kind: op_kind.into(),
                amount_minor: amount,
                is_successful: false,
                error_code: Some(code.into()),
                created_at: now,
            });
            let error = ApiError::new(StatusCode::GONE, code, message);
            Reply::Done(StatusCode::GONE, error_body(&error))
        }
        _ => {
            t.status = if attempt == Attempt::Capture {
                "completed"
            } else {
                "authorized"
            }
            .into();
            t.error_code = None;
            t.error_message = None;
            t.authorized_minor = amount;
            t.authorized_at = Some(now);
            if attempt == Attempt::Capture {
                t.captured_minor = amount;
                t.captured_at = Some(now);
            }
            t.scheme_id = scheme_id.clone();
            t.initial_scheme_transaction_id = if is_mit { link.clone() } else { None };
            t.operations.push(Operation {
                id: op_id,
                kind: op_kind.into(),
                amount_minor: amount,
                is_successful: true,
                error_code: None,
                created_at: now,
            });
            let body = success(json!({"transaction": TransactionOut::new(&project_id, t)}));
            if outcome == CardOutcome::Lose {
                Reply::Lost(StatusCode::OK, body)
            } else {
                Reply::Done(StatusCode::OK, body)
            }
        }
    };
    let transaction_id = t.id.clone();
    let event = match (approved, attempt) {
        (false, _) => "transaction.failed",
        (true, Attempt::Authorize) => "transaction.authorized",
        (true, Attempt::Capture) => "transaction.captured",
    };
    let resource = json!(TransactionOut::new(&project_id, t));
    p.fire(event, "transaction", resource, now);
    p.note_payment(
        &transaction_id,
        newly_linked.as_deref(),
        scheme_id.as_deref(),
    );
    if let Some(i) = p.invoice_index.get(invoice_id).copied() {
        if let Some(inv) = p.invoices.get_mut(i) {
            inv.token_id = source.token_id.clone();
        }
    }
    // The first successful customer-initiated payment of a series is what later MITs lean on.
    let starts_series = invoice.initiation_type.as_deref() == Some("cit")
        && invoice
            .payment_intent
            .as_deref()
            .is_some_and(|i| i != "one-off");
    if let (true, Some(scheme_id), Some(token_id), Some(customer_id)) = (
        starts_series,
        &scheme_id,
        &source.token_id,
        &source.customer_id,
    ) {
        if let Some(card) = p
            .customer_mut(customer_id)
            .and_then(|c| c.tokens.iter_mut().find(|t| &t.id == token_id))
            .and_then(|t| t.card.as_mut())
            .filter(|card| card.initial_scheme_transaction_id.is_none())
        {
            card.initial_scheme_transaction_id = Some(scheme_id.clone());
        }
    }
    ctx.ledger.record(AcceptedCharge {
        provider: "processout".into(),
        merchant: project_id,
        id: transaction_id,
        kind: "charge".into(),
        amount_minor: amount,
        currency: invoice.currency.code().into(),
        card_token: source.token_id.unwrap_or(source.card.id),
        customer: source.customer_id,
        idempotency_key: key.map(str::to_string),
        order_id: Some(invoice.name.clone()),
        stored_credential,
        status: if approved { "approved" } else { "declined" }.into(),
        warnings,
        at: now,
    });
    Ok(reply)
}

pub(crate) async fn void_invoice(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/void");
    em.write(&headers, &route, &body, |p, ctx, req: PaymentIn, _| {
        let invoice = p
            .invoice(&id)
            .cloned()
            .ok_or_else(|| ApiError::not_found("invoice", &id))?;
        let now = ctx.now();
        let project_id = p.id.clone();
        let t = p
            .transaction_mut(&invoice.transaction_id)
            .ok_or_else(|| ApiError::not_found("transaction", &id))?;
        if t.status != "authorized" {
            return Err(ApiError::invalid(
                "request.transaction.not-voidable",
                format!(
                    "Only an authorized transaction can be voided; this one is {}.",
                    t.status
                ),
            ));
        }
        t.status = "voided".into();
        t.voided_minor = t.authorized_minor;
        t.voided_at = Some(now);
        if let Some(metadata) = req.metadata {
            t.metadata.extend(metadata);
        }
        let op = Operation {
            id: operation_id(t),
            kind: "void".into(),
            amount_minor: t.authorized_minor,
            is_successful: true,
            error_code: None,
            created_at: now,
        };
        t.operations.push(op);
        let resource = json!(TransactionOut::new(&project_id, t));
        p.fire("transaction.voided", "transaction", resource.clone(), now);
        Ok(Reply::Done(
            StatusCode::OK,
            success(json!({ "transaction": resource })),
        ))
    })
    .await
}

// ---- refunds ----

/// Refunds part or all of what is left on a captured transaction.
fn refund(
    p: &mut Project,
    ctx: &Ctx,
    transaction_id: &str,
    req: RefundCreate,
    key: Option<&str>,
    amount_required: bool,
) -> Result<Reply, ApiError> {
    let now = ctx.now();
    let reason = req.reason.unwrap_or_else(|| "other".into());
    if !["customer_request", "duplicate", "fraud", "other"].contains(&reason.as_str()) {
        return Err(ApiError::invalid(
            "request.validation.invalid-reason",
            format!("The reason '{reason}' must be customer_request, duplicate, fraud or other."),
        ));
    }
    let refund_id = p.next_id("refd_");
    let project_id = p.id.clone();
    let invoice_name = p
        .transaction(transaction_id)
        .and_then(|t| p.invoice(&t.invoice_id))
        .map(|i| i.name.clone());
    let t = p
        .transaction_mut(transaction_id)
        .ok_or_else(|| ApiError::not_found("transaction", transaction_id))?;
    let available = t.captured_minor - t.refunded_minor;
    if available <= 0 {
        return Err(ApiError::invalid(
            "request.validation.invalid-amount",
            "No amount is available on the transaction to be refunded.",
        ));
    }
    let amount = match req.amount {
        Some(text) => rules::parse_amount(&text, t.currency, "amount")?,
        None if amount_required => {
            return Err(ApiError::invalid(
                "request.validation.invalid-amount",
                "The amount is required.",
            ))
        }
        None => available,
    };
    if amount > available {
        return Err(ApiError::invalid(
            "request.validation.invalid-amount",
            format!(
                "The amount {} is above the {} left to refund.",
                rules::render_amount(amount, t.currency),
                rules::render_amount(available, t.currency)
            ),
        ));
    }
    let refund = Refund {
        id: refund_id,
        transaction_id: t.id.clone(),
        amount_minor: amount,
        reason,
        information: req.information,
        metadata: req.metadata.unwrap_or_default(),
        created_at: now,
    };
    t.refunded_minor += amount;
    t.status = "refunded".into();
    t.refunded_at = Some(now);
    t.operations.push(Operation {
        id: operation_id(t),
        kind: "refund".into(),
        amount_minor: amount,
        is_successful: true,
        error_code: None,
        created_at: now,
    });
    let body = success(json!({"refund": RefundOut::new(&refund, t.currency)}));
    ctx.ledger.record(AcceptedCharge {
        provider: "processout".into(),
        merchant: project_id.clone(),
        id: refund.id.clone(),
        kind: "refund".into(),
        amount_minor: amount,
        currency: t.currency.code().into(),
        card_token: t
            .token_id
            .clone()
            .or_else(|| t.card_id.clone())
            .unwrap_or_default(),
        customer: t.customer_id.clone(),
        idempotency_key: key.map(str::to_string),
        order_id: invoice_name,
        stored_credential: Value::Null,
        status: "approved".into(),
        warnings: Vec::new(),
        at: now,
    });
    t.refunds.push(refund);
    let resource = json!(TransactionOut::new(&project_id, t));
    p.fire("transaction.refunded", "transaction", resource, now);
    Ok(Reply::Done(StatusCode::OK, body))
}

pub(crate) async fn refund_invoice(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/refunds");
    em.write(&headers, &route, &body, |p, ctx, req: RefundCreate, key| {
        let transaction_id = p
            .invoice(&id)
            .map(|i| i.transaction_id.clone())
            .ok_or_else(|| ApiError::not_found("invoice", &id))?;
        refund(p, ctx, &transaction_id, req, key, true)
    })
    .await
}

pub(crate) async fn refund_transaction(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /transactions/{id}/refunds");
    em.write(&headers, &route, &body, |p, ctx, req: RefundCreate, key| {
        refund(p, ctx, &id, req, key, false)
    })
    .await
}

pub(crate) async fn list_refunds(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let t = p
            .transaction(&id)
            .and_then(|t| t.as_seen(horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &id))?;
        let refunds: Vec<Value> = t
            .refunds
            .iter()
            .map(|r| json!(RefundOut::new(r, t.currency)))
            .collect();
        Ok(json!({"refunds": refunds}))
    })
}

pub(crate) async fn get_refund(
    State(em): Shared,
    headers: HeaderMap,
    Path((id, refund_id)): Path<(String, String)>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let t = p
            .transaction(&id)
            .and_then(|t| t.as_seen(horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &id))?;
        let r = t
            .refunds
            .iter()
            .find(|r| r.id == refund_id)
            .ok_or_else(|| ApiError::not_found("refund", &refund_id))?;
        Ok(json!({"refund": RefundOut::new(r, t.currency)}))
    })
}

// ---- transactions ----

pub(crate) async fn list_transactions(
    State(em): Shared,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let params = rules::list_params(&q)?;
        let listing = Listing {
            items: &p.transactions,
            index: &|id: &str| p.transaction_index.get(id).copied(),
            id: |t: &Transaction| &t.id,
            made: |t: &Transaction| t.created_at,
            kind: "transaction",
        };
        let (items, more, total) = listing.page(&params, horizon)?;
        let items = items
            .iter()
            .filter_map(|t| t.as_seen(horizon))
            .map(|t| json!(TransactionOut::new(&p.id, &t)))
            .collect();
        Ok(list_body("transactions", items, more, &params, total))
    })
}

pub(crate) async fn get_transaction(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let t = p
            .transaction(&id)
            .and_then(|t| t.as_seen(horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &id))?;
        Ok(json!({"transaction": TransactionOut::new(&p.id, &t)}))
    })
}

// ---- events ----

pub(crate) async fn list_events(
    State(em): Shared,
    headers: HeaderMap,
    Query(q): Params,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let params = rules::list_params(&q)?;
        let listing = Listing {
            items: &p.events,
            index: &|id: &str| p.event_index.get(id).copied(),
            id: |e: &Event| &e.id,
            made: |e: &Event| e.fired_at,
            kind: "event",
        };
        let (items, more, total) = listing.page(&params, horizon)?;
        let items = items
            .iter()
            .map(|e| json!(EventOut::new(&p.id, e)))
            .collect();
        Ok(list_body("events", items, more, &params, total))
    })
}

pub(crate) async fn get_event(
    State(em): Shared,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&headers, |p| {
        let e = p
            .event(&id)
            .filter(|e| horizon.shows(e.fired_at))
            .ok_or_else(|| ApiError::not_found("event", &id))?;
        Ok(json!({"event": EventOut::new(&p.id, e)}))
    })
}
