//! Cards and customer tokens: `/cards` and `/customers/{customer_id}/tokens`.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{list_body, page, scan, take_card, Authed, Params};
use crate::processout::rules::{self, ApiError};
use crate::processout::state::{CardSnapshot, Token};
use crate::processout::wire::{CardCreate, CardOut, TokenCreate, TokenOut};
use crate::processout::{success, PublicCaller, Reply};

pub(crate) async fn list_tokens(
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
    Query(q): Params,
) -> Response {
    em.read(&caller, |p| {
        let params = rules::list_params(&q)?;
        let c = p
            .customer(&id)
            .ok_or_else(|| ApiError::not_found("customer", &id))?;
        let all = &c.tokens;
        let (items, more) = page(all, scan(all, |t| &t.id), &params, "token")?;
        let items = items
            .iter()
            .map(|t| {
                json!(TokenOut::new(&p.id, t, c.default_token_id.as_deref())
                    .expanded(expands_gateway(&q)))
            })
            .collect();
        Ok(list_body("tokens", items, more, &params, all.len()))
    })
}

pub(crate) async fn get_token(
    Authed { emu: em, caller }: Authed,
    Path((customer_id, token_id)): Path<(String, String)>,
    Query(q): Params,
) -> Response {
    em.read(&caller, |p| {
        let c = p
            .customer(&customer_id)
            .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
        // A token of another customer is "not found" here, as documented.
        let t = c
            .tokens
            .iter()
            .find(|t| t.id == token_id)
            .ok_or_else(|| ApiError::not_found("token", &token_id))?;
        let token =
            TokenOut::new(&p.id, t, c.default_token_id.as_deref()).expanded(expands_gateway(&q));
        Ok(json!({ "token": token }))
    })
}

/// `expand=gateway_configuration` (or `expand[]=…`): ProcessOut's expansion of a
/// sub-resource, here the APM token's gateway configuration (processout-go
/// `Token.GatewayConfiguration`). Other expansions are accepted and ignored.
fn expands_gateway(q: &std::collections::HashMap<String, String>) -> bool {
    q.iter().any(|(k, v)| {
        (k == "expand" || k == "expand[]")
            && v.split(',').any(|e| e.trim() == "gateway_configuration")
    })
}

pub(crate) async fn create_token(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path(customer_id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("POST /customers/{customer_id}/tokens");
    em.write(
        &caller,
        &headers,
        &route,
        &body,
        |p, ctx, req: TokenCreate, _| {
            rules::max_len(req.description.as_deref(), "description", 255)?;
            p.customer(&customer_id)
                .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
            let mut card = req.source.as_deref().map(|s| take_card(p, s)).transpose()?;
            let token_id = p.next_id("tok_");
            let (verification_status, invoice_id) = match (card.as_mut(), req.verify) {
                (Some(card), Some(true)) => {
                    let (status, invoice) = p.verify_card(&customer_id, &token_id, card, ctx.now());
                    (status, Some(invoice))
                }
                _ => ("not-requested", None),
            };
            let token = Token {
                id: token_id,
                customer_id: customer_id.clone(),
                kind: if card.is_some() { "card" } else { "pending" }.into(),
                card,
                gateway: None,
                gateway_chargeable: false,
                verification_status: verification_status.into(),
                invoice_id,
                description: req.description,
                return_url: req.return_url,
                metadata: req.metadata.unwrap_or_default(),
                created_at: ctx.now(),
            };
            let project_id = p.id.clone();
            let c = p
                .customer_mut(&customer_id)
                .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
            if req.set_default == Some(true)
                || (c.default_token_id.is_none() && token.card.is_some())
            {
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
        },
    )
    .await
}

pub(crate) async fn update_token(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path((customer_id, token_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let route = format!("PUT /customers/{customer_id}/tokens/{token_id}");
    em.write(
        &caller,
        &headers,
        &route,
        &body,
        |p, ctx, req: TokenCreate, _| {
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
            // A `gway_req_…` from an APM's page (seed 002 "Saving APM tokens" step 4), else a card.
            let source = req.source.as_deref();
            let gateway =
                match source {
                    Some(s) if s.starts_with("gway_req_") => Some(
                        super::apm::take_gateway_request(p, s, &customer_id, &token_id)?,
                    ),
                    _ => None,
                };
            let card = match source {
                Some(s) if gateway.is_none() => Some(take_card(p, s)?),
                _ => None,
            };
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
            if let Some(gateway) = gateway {
                token.kind = "gateway_token".into();
                token.card = None;
                token.gateway = Some(gateway);
                // Our choice: the sandbox's PayPal configuration lets the merchant charge the
                // saved token without the customer (seed 002: `is_chargeable` true once saved).
                token.gateway_chargeable = true;
            }
            if let Some(metadata) = req.metadata {
                token.metadata = metadata;
            }
            let mut token = token.clone();
            if req.verify == Some(true) {
                if let Some(mut card) = token.card.take() {
                    let (status, invoice) =
                        p.verify_card(&customer_id, &token_id, &mut card, ctx.now());
                    token.verification_status = status.into();
                    token.invoice_id = Some(invoice);
                    token.card = Some(card);
                } else if token.gateway.is_some() {
                    // Our choice: the sandbox's PayPal verifies at once (seed 002 allows
                    // `pending` for asynchronous APMs; none is emulated).
                    token.verification_status = "success".into();
                }
            }
            let c = p
                .customer_mut(&customer_id)
                .ok_or_else(|| ApiError::not_found("customer", &customer_id))?;
            if let Some(stored) = c.tokens.iter_mut().find(|t| t.id == token_id) {
                *stored = token.clone();
            }
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
        },
    )
    .await
}

pub(crate) async fn delete_token(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path((customer_id, token_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let route = format!("DELETE /customers/{customer_id}/tokens/{token_id}");
    em.write(&caller, &headers, &route, &body, |p, ctx, _: Value, _| {
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

/// `POST /cards`: tokenizes a card number into a single-use `card_…`, as ProcessOut.js does
/// (processout/processout.js `src/processout/processout.ts` `tokenizeCard`: `number`,
/// `exp_month`, `exp_year`, `cvc2`; answer `{success, card: {id, …}}`), authenticated by the
/// project id alone ([`PublicCaller`]). The number and CVC are read, checked and dropped; only
/// display fields stay.
pub(crate) async fn create_card(
    crate::scaffold::Authed { emu: em, caller }: crate::scaffold::Authed<PublicCaller>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    em.write(
        &caller.caller(),
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

/// `GET /cards/{card_id}` (processout/processout-go `card.go` `Card.Find`): a card of the
/// project, with `used` (a `card_…` source is single-use). A card of another project is not
/// found, as ProcessOut keeps projects apart.
pub(crate) async fn get_card(
    Authed { emu: em, caller }: Authed,
    Path(card_id): Path<String>,
) -> Response {
    em.read(&caller, |p| {
        let card = p
            .cards
            .iter()
            .find(|c| c.id == card_id)
            .ok_or_else(|| ApiError::not_found("card", &card_id))?;
        Ok(json!({ "card": CardOut::new(&p.id, card) }))
    })
}
