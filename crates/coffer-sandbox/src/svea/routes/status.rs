//! `PaymentStatusQuery.pmt`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::{
    answer_hash, auth_refused, authenticate, bad_form, sign, AuthError, Shared,
    UNKNOWN_PAYMENT_TEXT,
};
use crate::svea::rules::{self, HashVersion};
use crate::svea::state::{Flow, Payment, PaymentStatus, Seller};
use crate::svea::wire::{self, FieldError, Form, XmlDoc};

/// `POST /PaymentStatusQuery.pmt` (§3.4).
pub(crate) async fn status_query(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmtq_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let mut state = emu.state();
    let seed = state.seed.clone();
    let values = ["pmtq_action", "pmtq_version", "pmtq_sellerid", "pmtq_id"].map(|f| form.text(f));
    let seller = state.sellers.get_mut(form.text("pmtq_sellerid"));
    let auth = match authenticate(seller.as_deref(), &headers, &form, "pmtq", &values) {
        Ok(auth) => auth,
        Err(error) => return auth_refused(error, "pmtq"),
    };
    let Some(seller) = seller else {
        return auth_refused(AuthError::Refused("unknown seller".into()), "pmtq");
    };
    let mut errors = Vec::new();
    if form.get("pmtq_action") != Some("PAYMENT_STATUS_QUERY") {
        errors.push(FieldError::invalid("pmtq_action"));
    }
    if form.get("pmtq_version") != Some("0005") {
        errors.push(FieldError::invalid("pmtq_version"));
    }
    if !form
        .get("pmtq_id")
        .is_some_and(|id| (1..=20).contains(&id.chars().count()))
    {
        errors.push(FieldError::invalid("pmtq_id"));
    }
    if form.get("pmtq_resptype").is_some_and(|t| t != "XML") {
        errors.push(FieldError::invalid("pmtq_resptype"));
    }
    if !errors.is_empty() {
        return wire::errors_response(StatusCode::BAD_REQUEST, &errors);
    }
    let version = answer_hash(auth);
    let pmt_id = form.text("pmtq_id");
    seller.touch_payment(&seed, pmt_id);
    let seller: &Seller = seller;
    let horizon = emu.ctx.horizon();
    let payment = seller.payments.get(pmt_id).and_then(|p| p.as_seen(horizon));
    status_answer(seller, pmt_id, payment.as_deref(), version).respond(StatusCode::OK)
}

fn status_answer(
    seller: &Seller,
    pmt_id: &str,
    payment: Option<&Payment>,
    version: Option<HashVersion>,
) -> XmlDoc {
    let Some(payment) = payment else {
        // Svea's own answer for an unknown id, word for word (DOCS page 1657014098, "Payment
        // was not found or the payment has not been confirmed"): "00", 0,00, this text, and no
        // pmtq_orderid.
        let values = [
            "PAYMENT_STATUS_QUERY",
            "0005",
            seller.seller_id.as_str(),
            pmt_id,
            "0,00",
            "00",
            UNKNOWN_PAYMENT_TEXT,
        ];
        let hash = sign(version, &values, &seller.secret);
        return XmlDoc::new("pmtq")
            .field("pmtq_action", values[0])
            .field("pmtq_version", values[1])
            .field("pmtq_sellerid", values[2])
            .field("pmtq_id", values[3])
            .field("pmtq_amount", values[4])
            .field("pmtq_returncode", values[5])
            .field("pmtq_returntext", values[6])
            .field_opt("pmtq_hash", hash);
    };
    let (code, text) = payment.return_code();
    let amount = rules::format_amount(payment.amount);
    let costs = rules::format_amount(payment.seller_costs);
    let date = payment.payment_date.map(rules::format_date);
    let mut values = vec![
        "PAYMENT_STATUS_QUERY",
        "0005",
        seller.seller_id.as_str(),
        payment.pmt_id.as_str(),
        amount.as_str(),
        code,
        text,
        costs.as_str(),
        payment.method.as_str(),
        payment.escrow.as_str(),
        "N",
    ];
    if let Some(date) = &date {
        values.push(date);
    }
    let hash = sign(version, &values, &seller.secret);
    let mut doc = XmlDoc::new("pmtq")
        .field("pmtq_action", "PAYMENT_STATUS_QUERY")
        .field("pmtq_version", "0005")
        .field("pmtq_sellerid", seller.seller_id.as_str())
        .field("pmtq_id", payment.pmt_id.as_str())
        .field("pmtq_orderid", payment.order_id.as_str())
        .field("pmtq_amount", amount.as_str())
        .field("pmtq_returncode", code)
        .field("pmtq_returntext", text)
        .field("pmtq_sellercosts", costs.as_str())
        .field("pmtq_paymentmethod", payment.method.as_str())
        .field("pmtq_escrow", payment.escrow.as_str())
        .field("pmtq_certification", "N")
        .field_opt("pmtq_paymentdate", date.clone())
        .field("pmtq_buyername", payment.buyer_name.as_str());
    match &payment.status {
        PaymentStatus::Unpaid { code, text } => {
            doc = doc
                .field("pmtq_externaltext", format!("FAILURE: {text}"))
                .field("pmt_errorcode", code.as_str());
        }
        PaymentStatus::Paid | PaymentStatus::Settled if payment.flow == Flow::TokenCharge => {
            doc = doc.field(
                "pmtq_externaltext",
                "SUCCESS: CARD WAS DEBITED WITH A TOKEN",
            );
        }
        _ => {}
    }
    if let Some(token) = payment.token.as_ref().and_then(|t| seller.tokens.get(t)) {
        doc = doc
            .field("pmtq_card_number_masked", token.last4.as_str())
            .field("pmtq_card_scheme", token.scheme.as_str())
            .field("pmtq_token", token.masked())
            .field("pmtq_token_authentication_required", "N")
            .field(
                "pmtq_token_debit_limit",
                rules::format_amount(token.debit_limit),
            )
            .field("pmtq_token_debit_limit_currency", "EUR")
            .field(
                "pmtq_token_debit_limit_monthly",
                rules::format_amount(token.monthly_limit),
            )
            .field(
                "pmtq_token_expiration_month",
                format!("{:02}", token.exp_month),
            )
            .field("pmtq_token_expiration_year", token.exp_year.to_string());
    }
    doc.field_opt("pmtq_hash", hash)
}
