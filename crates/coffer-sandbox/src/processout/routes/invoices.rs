//! Invoices, the charges: create, authorize, capture, void, and the payment itself.

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::{invoice_seen, list_body, operation_id, take_card, Authed, Listing, Params};
use crate::ledger::AcceptedCharge;
use crate::processout::rules::{self, ApiError, Attempt, CardOutcome};
use crate::processout::state::{
    CardSnapshot, Customer, Detail, Invoice, Operation, Project, Transaction,
};
use crate::processout::wire::{InvoiceCreate, InvoiceOut, PaymentIn, TransactionOut};
use crate::processout::{error_body, success, Reply};
use crate::Ctx;

pub(crate) async fn list_invoices(
    Authed { emu: em, caller }: Authed,
    Query(q): Params,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let params = rules::list_params(&q)?;
        let listing = Listing {
            slots: p.invoice_slots(),
            seeded_slots: p.initial_slots(),
            seeded_total: &|| p.seeded_initials(),
            seeded_made_by: p.seeded_made_by(),
            at: &|position| p.invoice_at(position),
            position: &|id: &str| p.invoice_position(id),
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
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let i = p
            .invoice(&id)
            .and_then(|i| invoice_seen(p, &i, horizon))
            .ok_or_else(|| ApiError::not_found("invoice", &id))?;
        Ok(json!({ "invoice": i }))
    })
}

pub(crate) async fn invoice_transaction(
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let i = p
            .invoice(&id)
            .filter(|i| horizon.shows(i.created_at))
            .ok_or_else(|| ApiError::not_found("invoice", &id))?;
        let t = p
            .transaction(&i.transaction_id)
            .and_then(|t| Transaction::seen(t, horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &i.transaction_id))?;
        Ok(json!({"transaction": TransactionOut::new(&p.id, &t)}))
    })
}

pub(crate) async fn create_invoice(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    em.write(
        &caller,
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
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/authorize");
    em.write(
        &caller,
        &headers,
        &route,
        &body,
        |p, ctx, req: PaymentIn, key| pay(p, ctx, &id, req, key, Attempt::Authorize),
    )
    .await
}

pub(crate) async fn capture_invoice(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/capture");
    em.write(
        &caller,
        &headers,
        &route,
        &body,
        |p, ctx, req: PaymentIn, key| pay(p, ctx, &id, req, key, Attempt::Capture),
    )
    .await
}

/// Where a payment's card comes from.
struct Source {
    token_id: Option<String>,
    customer_id: Option<String>,
    /// `None` for a chargeable APM token (`gateway_token`), which holds no card.
    card: Option<CardSnapshot>,
}

fn resolve_source(p: &mut Project, invoice: &Invoice, source: &str) -> Result<Source, ApiError> {
    let token_of = |c: &Customer, token_id: &str| -> Result<Source, ApiError> {
        let token = c
            .tokens
            .iter()
            .find(|t| t.id == token_id)
            .ok_or_else(|| ApiError::not_found("token", token_id))?;
        if !token.is_chargeable() {
            let why = if token.gateway.is_some() {
                format!(
                    "The token {token_id} is not chargeable: its payment method only lets the \
                     customer pay with it."
                )
            } else {
                format!("The token {token_id} has no payment details attached yet.")
            };
            return Err(ApiError::invalid("request.source.not-chargeable", why));
        }
        let card = token.card.clone();
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
                token_of(&c, source)
            }
            None => {
                let c = p
                    .token_owner(source)
                    .ok_or_else(|| ApiError::not_found("token", source))?;
                token_of(&c, source)
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
        return token_of(&c, &default);
    }
    if source.starts_with("card_") {
        let card = take_card(p, source)?;
        return Ok(Source {
            token_id: None,
            customer_id: invoice.customer_id.clone(),
            card: Some(card),
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
        .map(Cow::into_owned)
        .ok_or_else(|| ApiError::not_found("invoice", invoice_id))?;
    let transaction = p
        .transaction(&invoice.transaction_id)
        .map(Cow::into_owned)
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
    // An APM token's payment is approved (OUR CHOICE: the sandbox has no APM test accounts).
    let outcome = match &source.card {
        Some(card) => rules::card_outcome(&card.last_4_digits, attempt),
        None => CardOutcome::Approve,
    };
    if outcome == CardOutcome::Hang {
        return Ok(Reply::Hang);
    }

    let is_mit = invoice.initiation_type.as_deref() == Some("mit")
        || invoice.merchant_initiator_type.is_some();
    let link = req.initial_scheme_transaction_id.clone().or_else(|| {
        source
            .card
            .as_ref()
            .and_then(|c| c.initial_scheme_transaction_id.clone())
    });
    let mut warnings = Vec::new();
    if is_mit {
        if source.token_id.is_none() {
            warnings.push("merchant-initiated payment on a single-use card_ source; MITs must use a customer token".into());
        }
        match (&req.initial_scheme_transaction_id, &link) {
            // A card network's link: an APM token without one draws no warning (our choice).
            (_, None) if source.card.is_none() => {}
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
    t.card_id = source.card.as_ref().map(|c| c.id.clone());
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
    if let Some(inv) = p.invoice_mut(invoice_id) {
        inv.token_id = source.token_id.clone();
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
        card_token: source
            .token_id
            .or(source.card.map(|c| c.id))
            .unwrap_or_default(),
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
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /invoices/{id}/void");
    em.write(
        &caller,
        &headers,
        &route,
        &body,
        |p, ctx, req: PaymentIn, _| {
            let invoice = p
                .invoice(&id)
                .map(Cow::into_owned)
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
        },
    )
    .await
}
