//! `PaymentCancel.pmt`: refunds in part or in full.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{answer_hash, auth_refused, authenticate, bad_form, sign, AuthError, Shared};
use crate::svea::rules::{self};
use crate::svea::state::PaymentStatus;
use crate::svea::wire::{FieldError, Form, XmlDoc};

/// `POST /PaymentCancel.pmt` (§3.5): full or partial refunds while unsettled; after settlement
/// `30`, or payment instructions for `REFUND_AFTER_SETTLEMENT`.
pub(crate) async fn cancel(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmtc_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let mut state = emu.state();
    let seller_id = form.text("pmtc_sellerid").to_string();
    let mut values: Vec<&str> = [
        "pmtc_action",
        "pmtc_version",
        "pmtc_sellerid",
        "pmtc_id",
        "pmtc_amount",
        "pmtc_currency",
        "pmtc_canceltype",
    ]
    .iter()
    .map(|f| form.text(f))
    .collect();
    for optional in ["pmtc_cancelamount", "pmtc_payeribanrefund"] {
        if let Some(value) = form.get(optional) {
            values.push(value);
        }
    }
    let auth = match authenticate(
        state.sellers.get(&seller_id),
        &headers,
        &form,
        "pmtc",
        &values,
    ) {
        Ok(auth) => auth,
        Err(error) => return auth_refused(error, "pmtc"),
    };
    let version = answer_hash(auth);
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&seller_id) else {
        return auth_refused(AuthError::Refused("unknown seller".into()), "pmtc");
    };
    let pmt_id = form.text("pmtc_id").to_string();
    let secret = seller.secret.clone();
    let answer =
        |code: &str, text: &str, errors: Vec<FieldError>, pay_with: Vec<(&str, String)>| {
            let values = [
                form.text("pmtc_action"),
                form.text("pmtc_version"),
                seller_id.as_str(),
                pmt_id.as_str(),
                text,
                code,
            ];
            let mut doc = XmlDoc::new("pmtc")
                .field("pmtc_action", values[0])
                .field("pmtc_version", values[1])
                .field("pmtc_sellerid", values[2])
                .field("pmtc_id", values[3])
                .field("pmtc_returncode", code)
                .field("pmtc_returntext", text);
            for (name, value) in pay_with {
                doc = doc.field(name, value);
            }
            doc.field_opt("pmtc_hash", sign(version, &values, &secret))
                .errors(errors)
                .respond(StatusCode::OK)
        };
    let action = form.text("pmtc_action");
    let cancel_type = form.text("pmtc_canceltype");
    let mut errors = Vec::new();
    if !matches!(action, "CANCEL" | "REFUND_AFTER_SETTLEMENT") {
        errors.push(FieldError::invalid("pmtc_action"));
    }
    if form.get("pmtc_version") != Some("0005") {
        errors.push(FieldError::invalid("pmtc_version"));
    }
    if !(1..=20).contains(&pmt_id.chars().count()) {
        errors.push(FieldError::invalid("pmtc_id"));
    }
    let amount = form.get("pmtc_amount").and_then(rules::parse_amount);
    if amount.is_none() {
        errors.push(FieldError::invalid("pmtc_amount"));
    }
    if form.get("pmtc_currency") != Some("EUR") {
        errors.push(FieldError::invalid("pmtc_currency"));
    }
    let after_settlement = action == "REFUND_AFTER_SETTLEMENT";
    let type_ok = match cancel_type {
        "FULL_REFUND" | "PARTIAL_REFUND" | "PARTIAL_REFUND_AND_RETURN_OF_DELIVERIES" => {
            !after_settlement
        }
        "REFUND_AFTER_SETTLEMENT" => after_settlement,
        _ => false,
    };
    if !type_ok {
        errors.push(FieldError::invalid("pmtc_canceltype"));
    }
    let cancel_amount = form.get("pmtc_cancelamount").map(rules::parse_amount);
    let needs_amount = cancel_type != "FULL_REFUND";
    match (&cancel_amount, needs_amount) {
        (Some(Some(a)), true) if *a > 0 => {}
        (None, false) => {}
        _ => errors.push(FieldError::invalid("pmtc_cancelamount")),
    }
    if form.get("pmtc_resptype").is_some_and(|t| t != "XML") {
        errors.push(FieldError::invalid("pmtc_resptype"));
    }
    if form
        .get("pmtc_canceldescription")
        .is_some_and(|d| d.chars().count() > 500)
    {
        errors.push(FieldError::invalid("pmtc_canceldescription"));
    }
    if !errors.is_empty() {
        return answer("90", "Errors in input data", errors, Vec::new());
    }
    seller.touch_payment(&seed, &pmt_id);
    let Some(payment) = seller.payments.get_mut(&pmt_id) else {
        return answer("20", "Payment not found", Vec::new(), Vec::new());
    };
    if amount != Some(payment.amount) {
        return answer(
            "90",
            "Errors in input data",
            vec![FieldError {
                name: "pmtc_amount".into(),
                kind: "field",
                text: "pmtc_amount must be the original payment amount".into(),
            }],
            Vec::new(),
        );
    }
    if !payment.is_paid() {
        return answer(
            "99",
            "Payment is not paid; nothing to cancel",
            Vec::new(),
            Vec::new(),
        );
    }
    let settled = payment.status == PaymentStatus::Settled;
    if settled && !after_settlement {
        return answer(
            "30",
            "Payment already settled; use REFUND_AFTER_SETTLEMENT",
            Vec::new(),
            Vec::new(),
        );
    }
    if !settled && after_settlement {
        return answer(
            "99",
            "Payment is not settled yet; use CANCEL",
            Vec::new(),
            Vec::new(),
        );
    }
    let remaining = payment.amount - payment.refunded;
    if remaining <= 0 {
        return answer(
            "99",
            "Payment is already fully refunded",
            Vec::new(),
            Vec::new(),
        );
    }
    let refund = match cancel_amount {
        Some(Some(partial)) => partial,
        _ => remaining,
    };
    if refund > remaining {
        return answer(
            "99",
            &format!(
                "Cancel amount exceeds the remaining {}",
                rules::format_amount(remaining)
            ),
            Vec::new(),
            Vec::new(),
        );
    }
    payment.refunded += refund;
    payment.refunds_made.push((emu.ctx.now(), refund));
    let token = payment.token.clone().unwrap_or_default();
    seller.refunds += 1;
    let refund_id = format!("{pmt_id}-R{}", seller.refunds);
    let reference_base = 9_000_000 + seller.refunds;
    let received = serde_json::json!({ "pmtc_action": action, "pmtc_canceltype": cancel_type });
    emu.record_entry(
        &seller_id, &refund_id, "refund", refund, &token, true, received,
    );
    let pay_with = if after_settlement {
        vec![
            (
                "pmtc_pay_with_recipientname",
                "Svea Payments Oy".to_string(),
            ),
            ("pmtc_pay_with_iban", "FI2112345600000785".to_string()),
            (
                "pmtc_pay_with_reference",
                rules::reference_of(reference_base),
            ),
            ("pmtc_pay_with_amount", rules::format_amount(refund)),
        ]
    } else {
        Vec::new()
    };
    answer("00", "OK", Vec::new(), pay_with)
}
