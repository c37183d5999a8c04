//! Token charges (`pmt_version` 4204).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use chrono::{DateTime, Utc};

use super::{
    answer_hash, auth_refused, authenticate, bad_form, credential_fields, existing_payment,
    new_payment_record, sign, AuthError, Shared,
};
use crate::seed::CardBehaviour;
use crate::svea::rules::{self};
use crate::svea::state::{Flow, Payment, PaymentStatus};
use crate::svea::wire::{self, Form, XmlDoc};
use crate::svea::Emulator;

/// `<chargeWithTokenResponse>` carrying a `pmt_errorcode` (§3.3; placement Inferred).
fn charge_error(form: &Form, code: &str, text: &str) -> Response {
    XmlDoc::new("chargeWithTokenResponse")
        .field("pmt_action", form.text("pmt_action"))
        .field("pmt_version", form.text("pmt_version"))
        .field("pmt_id", form.text("pmt_id"))
        .field("pmt_errorcode", code)
        .field("pmt_errortext", text)
        .respond(StatusCode::OK)
}

/// The OK answer of a token charge, hashed per §4.3 over the 20-digit reference.
fn charge_ok(payment: &Payment, token: &str, secret: &str) -> Response {
    let reference = rules::technical_reference(&payment.reference);
    let amount = rules::format_amount(payment.amount);
    let costs = rules::format_amount(payment.seller_costs);
    let values = [
        payment.flow.action(),
        payment.flow.version(),
        payment.pmt_id.as_str(),
        reference.as_str(),
        amount.as_str(),
        "EUR",
        costs.as_str(),
        payment.method.as_str(),
        payment.escrow.as_str(),
        token,
    ];
    let hash = sign(payment.hash_version, &values, secret);
    XmlDoc::new("chargeWithTokenResponse")
        .field("pmt_action", values[0])
        .field("pmt_version", values[1])
        .field("pmt_id", values[2])
        .field("pmt_reference", values[3])
        .field("pmt_amount", values[4])
        .field("pmt_currency", values[5])
        .field("pmt_sellercosts", values[6])
        .field("pmt_paymentmethod", values[7])
        .field("pmt_escrow", values[8])
        .field("pmt_token", token)
        .field_opt("pmt_hash", hash)
        .respond(StatusCode::OK)
}

enum ChargeStep {
    Answer(Response),
    /// The timeout card: hold, then answer with the timeout error and charge nothing.
    Hold {
        seller_id: String,
        pmt_id: String,
    },
    /// Recorded as paid; the answer is lost on purpose.
    Drop,
}

/// `POST /NewChargeWithTokenActionExtended.pmt` (4204): a merchant-initiated charge of a token.
pub(crate) async fn charge_with_token(
    State(emu): Shared,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = match Form::parse(&body, "pmt_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let now = emu.ctx.now();
    let step = charge_step(&emu, &headers, &form, now);
    match step {
        ChargeStep::Answer(response) => response,
        ChargeStep::Drop => crate::faults::dropped_response(),
        ChargeStep::Hold { seller_id, pmt_id } => {
            let text = "card authorization timed out; query the payment status";
            // The outcome is settled in its own task: a client that gives up closes the
            // connection, which cancels this handler, and the payment must not stay in progress.
            let holder = emu.clone();
            let settled = tokio::spawn(async move {
                tokio::time::sleep(holder.ctx.faults.timeout()).await;
                if let Some(payment) = holder
                    .state()
                    .sellers
                    .get_mut(&seller_id)
                    .and_then(|s| s.payments.get_mut(&pmt_id))
                {
                    payment.status = PaymentStatus::Unpaid {
                        code: "ERROR_CARD_AUTHORIZATION_TIMEOUT".into(),
                        text: text.into(),
                    };
                }
            });
            let _ = settled.await;
            charge_error(&form, "ERROR_CARD_AUTHORIZATION_TIMEOUT", text)
        }
    }
}

fn charge_step(emu: &Emulator, headers: &HeaderMap, form: &Form, now: DateTime<Utc>) -> ChargeStep {
    let mut state = emu.state();
    let seller_id = form.text("pmt_sellerid").to_string();
    let values = rules::payment_hash_values(form);
    let auth = match authenticate(state.sellers.get(&seller_id), headers, form, "pmt", &values) {
        Ok(auth) => auth,
        Err(AuthError::Refused(reason)) => {
            let mut response = charge_error(form, "ERROR_IN_REQUEST_TECHNICAL_DATA", &reason);
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"Svea Payments\""),
            );
            return ChargeStep::Answer(response);
        }
        Err(error) => return ChargeStep::Answer(auth_refused(error, "pmt")),
    };
    let request = match rules::validate_payment(form, Flow::TokenCharge) {
        Ok(request) => request,
        Err(errors) => {
            return ChargeStep::Answer(wire::errors_response(StatusCode::BAD_REQUEST, &errors))
        }
    };
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&seller_id) else {
        return ChargeStep::Answer(auth_refused(
            AuthError::Refused("unknown seller".into()),
            "pmt",
        ));
    };
    seller.touch_payment(&seed, &request.pmt_id);
    if let Some(existing) = seller.payments.get(&request.pmt_id) {
        return ChargeStep::Answer(if existing.is_paid() {
            charge_error(form, "ALREADY_PAID", "order has already been paid")
        } else {
            existing_payment()
        });
    }
    let hash_version = answer_hash(auth);
    let token_id = request.token.clone().unwrap_or_default();
    let received = credential_fields(form);
    let mut payment = new_payment_record(
        &request,
        Flow::TokenCharge,
        PaymentStatus::Processing,
        hash_version,
        now,
    );
    let today = rules::helsinki_date(now);
    let decline = |payment: &mut Payment, code: &str, text: &str| {
        payment.status = PaymentStatus::Unpaid {
            code: code.into(),
            text: text.into(),
        };
    };
    if request.method != "FI50" {
        decline(
            &mut payment,
            "ERROR_PAYMENT_METHOD_NOT_AVAILABLE",
            "payment method not available for this seller",
        );
        seller.payments.insert(payment.pmt_id.clone(), payment);
        return ChargeStep::Answer(charge_error(
            form,
            "ERROR_PAYMENT_METHOD_NOT_AVAILABLE",
            "payment method not available for this seller",
        ));
    }
    seller.touch_token(&seed, &token_id);
    let Some(token) = seller.tokens.get_mut(&token_id) else {
        let text = "unknown payment token";
        decline(&mut payment, "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND", text);
        emu.record(&seller_id, &payment, &token_id, false, received);
        seller.payments.insert(payment.pmt_id.clone(), payment);
        return ChargeStep::Answer(charge_error(
            form,
            "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND",
            text,
        ));
    };
    let outcome =
        rules::check_token_charge(&token.limits(), request.amount, today).and_then(|()| {
            let refusal = |code: &'static str, text: &str| {
                Err(rules::Refusal {
                    code,
                    text: text.to_string(),
                })
            };
            match token.behaviour {
                CardBehaviour::SoftDecline => refusal(
                    "ERROR_CARD_AUTHORIZATION_FAILED",
                    "card authorization failed",
                ),
                CardBehaviour::HardDecline => refusal(
                    "EXTERNAL_SERVICE_DENIED",
                    "payment service denied the transaction",
                ),
                CardBehaviour::Expired => refusal(
                    "ERROR_PAYMENT_INSTRUMENT_EXPIRED",
                    "payment instrument not valid",
                ),
                CardBehaviour::Approve | CardBehaviour::Timeout | CardBehaviour::ResponseLost => {
                    Ok(())
                }
            }
        });
    if let Err(refusal) = outcome {
        decline(&mut payment, refusal.code, &refusal.text);
        emu.record(&seller_id, &payment, &token_id, false, received);
        seller.payments.insert(payment.pmt_id.clone(), payment);
        return ChargeStep::Answer(charge_error(form, refusal.code, &refusal.text));
    }
    if token.behaviour == CardBehaviour::Timeout {
        let pmt_id = payment.pmt_id.clone();
        seller.payments.insert(pmt_id.clone(), payment);
        return ChargeStep::Hold { seller_id, pmt_id };
    }
    payment.status = PaymentStatus::Paid;
    payment.payment_date = Some(today);
    token
        .charges
        .push((rules::month_key(today), request.amount));
    emu.record(&seller_id, &payment, &token_id, true, received);
    let lost = token.behaviour == CardBehaviour::ResponseLost;
    let response = charge_ok(&payment, &token_id, &seller.secret);
    seller.payments.insert(payment.pmt_id.clone(), payment);
    if lost {
        ChargeStep::Drop
    } else {
        ChargeStep::Answer(response)
    }
}
