//! Sandbox only: the seeded initials Coffer's demo registers.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use serde_json::json;

use super::{bare, ok, param, query, respond, Emu};
use crate::clover::state;
use crate::clover::Emulator;
use crate::seed::Seed;

/// The seed's initials counts of merchant `number`, built outside the state lock on first use.
fn seeded_initials(
    emu: &Emulator,
    number: usize,
    seed: &Seed,
    key: &str,
    seeded: usize,
) -> Arc<state::SeededInitials> {
    let cached = emu
        .seeded_initials
        .lock()
        .ok()
        .and_then(|cache| cache.get(&number).cloned())
        .filter(|c| c.fits(seed, seeded));
    if let Some(counts) = cached {
        return counts;
    }
    let built = Arc::new(state::SeededInitials::build(seed, key, seeded));
    if let Ok(mut cache) = emu.seeded_initials.lock() {
        cache.insert(number, built.clone());
    }
    built
}

/// `GET /__sandbox/initials?merchant=<mId>&offset=0&limit=100` (sandbox only, `limit` at most
/// 1000): the saved cards with an initial (FIRST) charge on record, in customer then card order,
/// with the `ref_num` a linked MIT names as `invoice_number`. Clover lists no such thing; Coffer's
/// demo needs it to register the seeded cards.
pub(crate) async fn sandbox_initials(State(emu): Emu, RawQuery(raw): RawQuery) -> Response {
    let error =
        |status: u16, message: String| respond(status, json!({ "error": message }).to_string());
    let pairs = query(raw);
    let number = |name: &str, default: usize| match param(&pairs, name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| format!("{name} must be a non-negative integer")),
    };
    let (offset, limit) = match (number("offset", 0), number("limit", 100)) {
        (Ok(offset), Ok(limit)) => (offset, limit.min(1000)),
        (Err(e), _) | (_, Err(e)) => return error(400, e),
    };
    let Some(mid) = param(&pairs, "merchant") else {
        return error(400, "merchant (the merchant UUID) is required".into());
    };
    let unknown = || error(404, format!("unknown merchant '{mid}'"));
    let (number, seed, key, seeded) = {
        let Ok(state) = emu.state.lock() else {
            return bare(500);
        };
        let Some(m) = state.merchants.iter().find(|m| m.mid == mid) else {
            return unknown();
        };
        (m.number, state.seed.clone(), m.key(), m.seeded)
    };
    let mut counts = seeded_initials(&emu, number, &seed, &key, seeded);
    let Ok(state) = emu.state.lock() else {
        return bare(500);
    };
    let Some(merchant) = state.merchants.iter().find(|m| m.mid == mid) else {
        return unknown();
    };
    if !counts.fits(&state.seed, merchant.seeded) {
        // Reset or restored in between: rare, so built under the lock.
        counts = Arc::new(state::SeededInitials::build(
            &state.seed,
            &merchant.key(),
            merchant.seeded,
        ));
    }
    let (total, initials) = merchant.initials_page(&state.seed, &counts, offset, limit);
    ok(&json!({
        "merchant": merchant.mid,
        "total": total,
        "offset": offset,
        "initials": initials,
    }))
}
