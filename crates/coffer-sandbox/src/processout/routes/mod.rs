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

use std::borrow::Cow;
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

/// One page of a listing as a lookup may show it under `lookup_lag_secs`, with the total. The
/// listing is a sequence of positions in creation order (`store.rs`), the seeded ones first
/// (all made by `seeded_made_by`), some positions empty; a page reads only what it shows.
/// Under lag an object made after the horizon is left out, and a cursor naming one is unknown.
struct Listing<'a, T: Clone> {
    /// Positions `0..slots`; the first `seeded_slots` are the seed's.
    slots: usize,
    seeded_slots: usize,
    /// How many seeded objects exist.
    seeded_total: &'a dyn Fn() -> usize,
    seeded_made_by: DateTime<Utc>,
    at: &'a dyn Fn(usize) -> Option<Cow<'a, T>>,
    position: &'a dyn Fn(&str) -> Option<usize>,
    made: fn(&T) -> DateTime<Utc>,
    kind: &'a str,
}

impl<'a, T: Clone> Listing<'a, T> {
    fn page(
        &self,
        params: &ListParams,
        horizon: Horizon,
    ) -> Result<(Vec<Cow<'a, T>>, bool, usize), ApiError> {
        let made = self.made;
        let shown = |position: usize| (self.at)(position).filter(|t| horizon.shows(made(t)));
        let position = |id: &str| (self.position)(id).filter(|&p| shown(p).is_some());
        let cursor = params
            .start_after
            .as_deref()
            .or(params.end_before.as_deref())
            .unwrap_or("");
        let (items, more) = rules::paginate_sparse(self.slots, shown, position, params)
            .ok_or_else(|| ApiError::not_found(self.kind, cursor))?;
        let run_time = self.seeded_slots..self.slots;
        let total = if !horizon.lags() {
            (self.seeded_total)() + run_time.len()
        } else {
            let seeded = if horizon.shows(self.seeded_made_by) {
                (self.seeded_total)()
            } else {
                (0..self.seeded_slots)
                    .filter(|&p| shown(p).is_some())
                    .count()
            };
            seeded + run_time.filter(|&p| shown(p).is_some()).count()
        };
        Ok((items, more, total))
    }
}

/// An invoice as a lookup may show it, with what its transaction shows.
fn invoice_seen(p: &Project, invoice: &Invoice, horizon: Horizon) -> Option<InvoiceOut> {
    let paid = p
        .transaction(&invoice.transaction_id)
        .and_then(|t| Transaction::seen(t, horizon))
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
