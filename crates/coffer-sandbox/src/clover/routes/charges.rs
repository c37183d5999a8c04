//! Charges: create (with idempotency and the test cards), look up, list and capture.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::response::Response;
use chrono::{DateTime, Utc};
use http::HeaderMap;
use serde_json::{Map, Value};

use super::{
    created_filter, header_str, list_limit, lock, millis, not_found, object, ok, page, param,
    query, refuse, respond, token_used, Authed, Merchant, Reject,
};
use crate::clover::rules::{self, Refusal};
use crate::clover::state::{self, CardAt, Charge, MerchantState, Replay, SourceCard};
use crate::clover::wire;
use crate::clover::Emulator;
use crate::seed::{CardBehaviour, Seed};
use crate::AcceptedCharge;

/// What the locked part of a create-charge decided.
enum Decided {
    Answer {
        status: u16,
        body: String,
    },
    Refused(Refusal),
    /// The response-lost card: the charge is recorded, the answer is never sent.
    Lost,
    /// The timeout card: nothing is charged and the request is held open.
    Hang,
}

/// The card a source names, with everything a charge needs from it.
struct Resolved {
    card: SourceCard,
    behaviour: CardBehaviour,
    at: CardAt,
    customer: Option<String>,
    initial_ref: Option<String>,
    source_is_customer: bool,
    live_cards: usize,
}

fn resolve_source(
    merchant: &MerchantState,
    seed: &Seed,
    source: &str,
) -> Result<Resolved, Refusal> {
    let no_such = || Refusal::invalid("source", format!("No such source: {source}"));
    let from_saved =
        |index: usize, position: usize, source_is_customer: bool| -> Result<Resolved, Refusal> {
            let customer = merchant.customer(seed, index).ok_or_else(no_such)?;
            let card = customer.cards.get(position).ok_or_else(no_such)?;
            Ok(Resolved {
                card: SourceCard {
                    token: card.token.clone(),
                    brand: card.brand.clone(),
                    first6: card.first6.clone(),
                    last4: card.last4.clone(),
                    exp_month: card.exp_month,
                    exp_year: card.exp_year,
                },
                behaviour: card.behaviour,
                at: CardAt::Saved(index, position),
                customer: Some(customer.id.clone()),
                initial_ref: card.initial_ref.clone(),
                source_is_customer,
                live_cards: customer.cards.iter().filter(|k| !k.deleted).count(),
            })
        };
    if source.starts_with("clv_") {
        match merchant.card_at(seed, source).ok_or_else(no_such)? {
            CardAt::Saved(i, k) => from_saved(i, k, false),
            CardAt::Loose => {
                let token = merchant.tokens.get(source).ok_or_else(no_such)?;
                if token.used {
                    return Err(token_used());
                }
                Ok(Resolved {
                    card: SourceCard {
                        token: token.id.clone(),
                        brand: token.brand.clone(),
                        first6: token.first6.clone(),
                        last4: token.last4.clone(),
                        exp_month: token.exp_month,
                        exp_year: token.exp_year,
                    },
                    behaviour: token.behaviour,
                    at: CardAt::Loose,
                    customer: None,
                    initial_ref: None,
                    source_is_customer: false,
                    live_cards: 1,
                })
            }
        }
    } else {
        let index = rules::parse_customer_id(merchant.number, source).ok_or_else(no_such)?;
        let customer = merchant.customer(seed, index).ok_or_else(no_such)?;
        // A customer id charges its default (first live) card (notes §2.5, §6.3).
        let position = customer
            .cards
            .iter()
            .position(|k| !k.deleted)
            .ok_or_else(|| {
                Refusal::code(
                    400,
                    "card_on_file_missing",
                    "invalid_request_error",
                    "The customer has no card on file.",
                )
            })?;
        from_saved(index, position, true)
    }
}

/// Everything the locked part of a charge needs from outside the state.
struct ChargeCall<'a> {
    body: &'a Map<String, Value>,
    key: Option<&'a str>,
    hash: String,
    now: DateTime<Utc>,
}

fn decide_charge(
    emu: &Emulator,
    state: &mut state::State,
    m: usize,
    call: &ChargeCall<'_>,
) -> Decided {
    let state::State { seed, merchants } = state;
    let merchant = &mut merchants[m];
    let now = millis(call.now);
    merchant.expire_replays(now);
    if let Some(key) = call.key {
        if let Some(replay) = merchant.replay(key, now) {
            if replay.request_hash != call.hash {
                return Decided::Refused(Refusal::code(
                    400,
                    "idempotency_error",
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                ));
            }
            return if replay.lost {
                Decided::Lost
            } else {
                Decided::Answer {
                    status: replay.status,
                    body: replay.body.clone(),
                }
            };
        }
    }
    let input = match rules::charge_input(call.body, merchant.currency.code()) {
        Ok(i) => i,
        Err(r) => return Decided::Refused(r),
    };
    let resolved = match resolve_source(merchant, seed, &input.source) {
        Ok(r) => r,
        Err(r) => return Decided::Refused(r),
    };
    if input.stored.is_none()
        && matches!(resolved.at, CardAt::Saved(..))
        && !resolved.source_is_customer
        && resolved.live_cards > 1
    {
        return Decided::Refused(Refusal::invalid(
            "stored_credentials",
            "stored_credentials is required when charging a multi-pay token of a customer with several cards",
        ));
    }
    if resolved.behaviour == CardBehaviour::Timeout {
        return Decided::Hang;
    }
    let counter = merchant.next_counter();
    let id = rules::charge_id(merchant.number, counter);
    let expired = rules::is_expired(
        resolved.card.exp_month,
        resolved.card.exp_year,
        call.now.date_naive(),
    );
    let decline = rules::decline_of(resolved.behaviour, expired);
    if resolved.at == CardAt::Loose {
        if let Some(token) = merchant.tokens.get_mut(&input.source) {
            token.used = true;
        }
    }
    let mut charge = Charge {
        id: id.clone(),
        amount: input.amount,
        amount_refunded: 0,
        currency: input.currency.clone(),
        created_ms: now,
        captured: false,
        paid: false,
        status: "failed".into(),
        ref_num: None,
        auth_code: None,
        source: resolved.card.clone(),
        customer: resolved.customer.clone(),
        description: input.description.clone(),
        external_reference_id: input.external_reference_id.clone(),
        metadata: input.metadata.clone(),
        stored_credentials: input.stored_raw.clone(),
        ecomind: input.ecomind.clone(),
        tax_amount: input.tax_amount,
        tip_amount: input.tip_amount,
        warning_message: None,
        failure_code: None,
        failure_message: None,
        decline_code: None,
    };
    let (status, body) = match &decline {
        Some(d) => {
            charge.failure_code = Some(d.code.to_string());
            charge.failure_message = Some(d.message.to_string());
            charge.decline_code = d.decline_code.map(str::to_string);
            (d.status, wire::decline_body(d, &id).to_string())
        }
        None => {
            let warning = rules::warning(
                input.stored.as_ref(),
                resolved.source_is_customer,
                resolved.initial_ref.as_deref(),
            );
            let ref_num = rules::ref_num(merchant.number, counter);
            if rules::records_initial(input.stored.as_ref()) {
                if let CardAt::Saved(i, k) = resolved.at {
                    if let Some(card) = merchant
                        .customer_mut(seed, i)
                        .and_then(|c| c.cards.get_mut(k))
                    {
                        card.initial_ref = Some(ref_num.clone());
                    }
                }
            }
            charge.paid = true;
            charge.captured = input.capture;
            charge.status = "succeeded".into();
            charge.ref_num = Some(ref_num);
            charge.auth_code = Some(rules::auth_code(counter));
            charge.warning_message = warning.map(str::to_string);
            (200, wire::charge(&charge).to_string())
        }
    };
    emu.ctx.ledger.record(AcceptedCharge {
        provider: "clover".into(),
        merchant: merchant.mid.clone(),
        id: id.clone(),
        kind: "charge".into(),
        amount_minor: input.amount,
        currency: input.currency.to_ascii_uppercase(),
        card_token: resolved.card.token.clone(),
        customer: resolved.customer.clone(),
        idempotency_key: call.key.map(str::to_string),
        order_id: input.external_reference_id.clone(),
        stored_credential: input.stored_raw.clone(),
        status: if decline.is_some() {
            "declined"
        } else {
            "approved"
        }
        .into(),
        warnings: charge.warning_message.iter().cloned().collect(),
        at: call.now,
    });
    merchant.charges.push(charge);
    let lost = resolved.behaviour == CardBehaviour::ResponseLost;
    if let Some(key) = call.key {
        merchant.idempotency.insert(
            key.to_string(),
            Replay {
                request_hash: call.hash.clone(),
                status,
                body: body.clone(),
                created_ms: now,
                lost,
            },
        );
    }
    if lost {
        Decided::Lost
    } else {
        Decided::Answer { status, body }
    }
}

pub(crate) async fn create_charge(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Reject> {
    // Required since fall 2023; the error code is not documented (notes §6.2).
    if header_str(&headers, "x-forwarded-for").is_none() {
        return Err(
            Refusal::invalid("x-forwarded-for", "The x-forwarded-for header is required.").into(),
        );
    }
    // The current reference page lists User-Agent as required on create-charge (notes §1).
    if header_str(&headers, "user-agent").is_none() {
        return Err(Refusal::invalid("User-Agent", "The User-Agent header is required.").into());
    }
    let map = object(&body)?;
    let call = ChargeCall {
        body: &map,
        key: header_str(&headers, "idempotency-key"),
        hash: rules::digest_hex(&body),
        now: emu.ctx.now(),
    };
    let decided = {
        let mut state = lock(&emu)?;
        decide_charge(&emu, &mut state, m, &call)
    };
    Ok(match decided {
        Decided::Answer { status, body } => respond(status, body),
        Decided::Refused(refusal) => refuse(&refusal),
        Decided::Lost => crate::faults::dropped_response(),
        Decided::Hang => {
            tokio::time::sleep(emu.ctx.faults.timeout()).await;
            refuse(&Refusal::code(
                504,
                "processing_error",
                "api_error",
                "The gateway did not answer in time.",
            ))
        }
    })
}

pub(crate) async fn get_charge(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(id): Path<String>,
) -> Result<Response, Reject> {
    let horizon = emu.ctx.horizon();
    let state = lock(&emu)?;
    let merchant = &state.merchants[m];
    Ok(
        match merchant
            .charge(&state.seed, &id)
            .and_then(|c| merchant.as_seen(c, horizon))
        {
            Some(c) => ok(&wire::charge(&c)),
            None => not_found("charge", &id),
        },
    )
}

pub(crate) async fn list_charges(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    RawQuery(raw): RawQuery,
) -> Result<Response, Reject> {
    let pairs = query(raw);
    let limit = list_limit(&pairs)?;
    let created = created_filter(&pairs)?;
    let horizon = emu.ctx.horizon();
    let state = lock(&emu)?;
    let merchant = &state.merchants[m];
    let customer = match param(&pairs, "customer") {
        None => None,
        Some(id) => match rules::parse_customer_id(merchant.number, id)
            .filter(|i| merchant.customer(&state.seed, *i).is_some())
        {
            Some(i) => Some(i),
            None => return Ok(ok(&wire::list(Vec::new(), false, "/v1/charges"))),
        },
    };
    let items = merchant
        .charges_newest_first(&state.seed, customer)
        .filter_map(|c| merchant.as_seen(c, horizon))
        .filter(|c| created(c.created_ms));
    let (charges, has_more) = page(
        items,
        |c| c.id.as_str(),
        limit,
        param(&pairs, "starting_after"),
        param(&pairs, "ending_before"),
    );
    Ok(ok(&wire::list(
        charges.iter().map(wire::charge).collect(),
        has_more,
        "/v1/charges",
    )))
}

pub(crate) async fn capture_charge(
    Authed {
        emu,
        caller: Merchant(m),
    }: Authed,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Reject> {
    let body = object(&body)?;
    let asked = match body.get("amount") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(a) => Some(a),
            None => {
                return Err(Refusal::invalid("amount", "amount must be an integer in cents").into())
            }
        },
    };
    let mut guard = lock(&emu)?;
    let state::State { seed, merchants } = &mut *guard;
    let merchant = &mut merchants[m];
    let Some(mut charge) = merchant.charge(seed, &id) else {
        return Ok(not_found("charge", &id));
    };
    if !charge.paid {
        return Err(Refusal::invalid("charge", "A declined charge cannot be captured.").into());
    }
    let amount = rules::capture_amount(charge.amount, charge.captured, asked)?;
    charge.amount = amount;
    charge.captured = true;
    let answer = wire::charge(&charge);
    merchant.put_charge(charge);
    Ok(ok(&answer))
}
