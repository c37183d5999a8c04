//! The handlers, one file per ProcessOut resource (customers, tokens, invoices, refunds,
//! transactions, events). Each takes the scaffold's [`Authed`] (HTTP Basic with the project's
//! secret, refused with ProcessOut's own error body), runs through [`Emulator::read`] or
//! [`Emulator::write`] and applies the rules of `rules.rs` to the project's state. This file
//! holds the listing and paging every resource shares.
//!
//! Every field and answer shape here rests on `shared/providers/processout.md` (whose facts name their
//! published page, example or official module) and is listed with its source in
//! `docs/processout.md`; what no source covers is marked there as our choice. The split into one file
//! per resource moved the handlers as they were; only the order changed for a request that is
//! both unauthenticated and unreadable (over 2 MB): it now gets the provider's 401, not a 413.

pub(crate) mod apm;
pub(crate) mod customers;
pub(crate) mod invoices;
pub(crate) mod js;
pub(crate) mod refunds;
pub(crate) mod tokens;
pub(crate) mod transactions;

use std::collections::HashMap;

use axum::extract::Query;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::rules::{self, ApiError, ListParams};
use super::state::{CardSnapshot, Invoice, Project, Transaction};
use super::wire::InvoiceOut;
use crate::faults::Horizon;

/// A request from a project that authenticated with HTTP Basic.
type Authed = crate::scaffold::Authed<super::Caller>;

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
