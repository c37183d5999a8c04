//! Transactions and the event log: lookups only.

use std::borrow::Cow;

use axum::extract::{Path, Query};
use axum::response::Response;
use serde_json::json;

use super::{list_body, Authed, Listing, Params};
use crate::processout::rules::{self, ApiError};
use crate::processout::state::{Event, Transaction};
use crate::processout::wire::{EventOut, TransactionOut};

pub(crate) async fn list_transactions(
    Authed { emu: em, caller }: Authed,
    Query(q): Params,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let params = rules::list_params(&q)?;
        let listing = Listing {
            slots: p.transaction_slots(),
            seeded_slots: p.initial_slots(),
            seeded_total: &|| p.seeded_initials(),
            seeded_made_by: p.seeded_made_by(),
            at: &|position| p.transaction_at(position),
            position: &|id: &str| p.transaction_position(id),
            made: |t: &Transaction| t.created_at,
            kind: "transaction",
        };
        let (items, more, total) = listing.page(&params, horizon)?;
        let items = items
            .into_iter()
            .filter_map(|t| Transaction::seen(t, horizon))
            .map(|t| json!(TransactionOut::new(&p.id, &t)))
            .collect();
        Ok(list_body("transactions", items, more, &params, total))
    })
}

pub(crate) async fn get_transaction(
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let t = p
            .transaction(&id)
            .and_then(|t| Transaction::seen(t, horizon))
            .ok_or_else(|| ApiError::not_found("transaction", &id))?;
        Ok(json!({"transaction": TransactionOut::new(&p.id, &t)}))
    })
}

pub(crate) async fn list_events(Authed { emu: em, caller }: Authed, Query(q): Params) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let params = rules::list_params(&q)?;
        let listing = Listing {
            slots: p.events.len(),
            seeded_slots: 0,
            seeded_total: &|| 0,
            seeded_made_by: p.seeded_made_by(),
            at: &|position| p.events.get(position).map(Cow::Borrowed),
            position: &|id: &str| p.event_index.get(id).copied(),
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
    Authed { emu: em, caller }: Authed,
    Path(id): Path<String>,
) -> Response {
    let horizon = em.ctx.horizon();
    em.read(&caller, |p| {
        let e = p
            .event(&id)
            .filter(|e| horizon.shows(e.fired_at))
            .ok_or_else(|| ApiError::not_found("event", &id))?;
        Ok(json!({"event": EventOut::new(&p.id, e)}))
    })
}
