//! Customers: `/customers` and a customer's transactions.

use axum::body::Bytes;
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{list_body, page, scan, Authed, Params};
use crate::processout::rules::{self, ApiError};
use crate::processout::state::{Customer, Transaction};
use crate::processout::wire::{CustomerCreate, CustomerOut, TransactionOut};
use crate::processout::{success, Reply};

pub(crate) async fn list_customers(
    Authed { emu: em, caller }: Authed,
    Query(q): Params,
) -> Response {
    em.read(&caller, |p| {
        let params = rules::list_params(&q)?;
        let cursor = params
            .start_after
            .as_deref()
            .or(params.end_before.as_deref())
            .unwrap_or("");
        let (items, more) = rules::paginate_sparse(
            p.customer_slots(),
            |position| p.customer_at(position),
            |id| p.customer_position(id),
            &params,
        )
        .ok_or_else(|| ApiError::not_found("customer", cursor))?;
        let items = items
            .iter()
            .map(|c| json!(CustomerOut::new(&p.id, c)))
            .collect();
        Ok(list_body(
            "customers",
            items,
            more,
            &params,
            p.customer_total(),
        ))
    })
}

pub(crate) async fn get_customer(
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
) -> Response {
    em.read(&caller, |p| {
        let c = p
            .customer(&id)
            .ok_or_else(|| ApiError::not_found("customer", &id))?;
        Ok(json!({"customer": CustomerOut::new(&p.id, &c)}))
    })
}

pub(crate) async fn create_customer(
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    em.write(
        &caller,
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
                Some(id) if p.customer_position(&id).is_some() => {
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
    Authed { emu: em, caller }: Authed,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let route = format!("DELETE /customers/{id}");
    em.write(&caller, &headers, &route, &body, |p, ctx, _: Value, _| {
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
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
    Query(q): Params,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let params = rules::list_params(&q)?;
        p.customer(&id)
            .ok_or_else(|| ApiError::not_found("customer", &id))?;
        let all: Vec<_> = p
            .transactions_of(&id)
            .into_iter()
            .filter_map(|t| Transaction::seen(t, horizon))
            .collect();
        let (items, more) = page(&all, scan(&all, |t| &t.id), &params, "transaction")?;
        let items = items
            .iter()
            .map(|t| json!(TransactionOut::new(&p.id, t)))
            .collect();
        Ok(list_body("transactions", items, more, &params, all.len()))
    })
}
