//! The browser flows (`NewPaymentExtended.pmt`, `TokenizeExtended.pmt`) and the sandbox card
//! page they redirect to.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use super::{
    answer_hash, auth_refused, authenticate, bad_form, existing_payment, new_payment_record,
    redirect, sign, with_query, Auth, AuthError, Shared,
};
use crate::seed::{behaviour_of_last4, CardBehaviour};
use crate::svea::rules::{self};
use crate::svea::state::{self, Flow, Payment, PaymentStatus, Seller, Token};
use crate::svea::wire::{self, Form, XmlDoc};
use crate::svea::Emulator;

/// `POST /NewPaymentExtended.pmt`: 0004 (payment) or 4304 (payment + tokenization).
pub(crate) async fn new_payment(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmt_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    let flow = match form.get("pmt_version") {
        Some("4304") => Flow::PaymentAndTokenize,
        _ => Flow::Payment,
    };
    start_page_flow(&emu, &headers, &form, flow)
}

/// `POST /TokenizeExtended.pmt` (4504): zero-sum card registration.
pub(crate) async fn tokenize(State(emu): Shared, headers: HeaderMap, body: Bytes) -> Response {
    let form = match Form::parse(&body, "pmt_charsethttp") {
        Ok(form) => form,
        Err(field) => return bad_form(&field),
    };
    start_page_flow(&emu, &headers, &form, Flow::Tokenize)
}

/// Records the pending payment and sends the payer to the card page: server-to-server (Basic)
/// callers get `<pmt>` with `pmt_paymenturl`, browsers (hash mode) a redirect to it.
fn start_page_flow(emu: &Emulator, headers: &HeaderMap, form: &Form, flow: Flow) -> Response {
    let mut state = emu.state();
    let seller_id = form.text("pmt_sellerid").to_string();
    let values = rules::payment_hash_values(form);
    let auth = match authenticate(state.sellers.get(&seller_id), headers, form, "pmt", &values) {
        Ok(auth) => auth,
        Err(error) => return auth_refused(error, "pmt"),
    };
    let request = match rules::validate_payment(form, flow) {
        Ok(request) => request,
        Err(errors) => return wire::errors_response(StatusCode::BAD_REQUEST, &errors),
    };
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&seller_id) else {
        return auth_refused(AuthError::Refused("unknown seller".into()), "pmt");
    };
    seller.touch_payment(&seed, &request.pmt_id);
    if seller.payments.contains_key(&request.pmt_id) {
        return existing_payment();
    }
    let payment = new_payment_record(
        &request,
        flow,
        PaymentStatus::AwaitingPayer,
        answer_hash(auth),
        emu.ctx.now(),
    );
    let page = page_url(&emu.ctx.base_url, &seller_id, &payment.pmt_id);
    let answer = XmlDoc::new("pmt")
        .field("pmt_action", flow.action())
        .field("pmt_version", flow.version())
        .field("pmt_id", payment.pmt_id.as_str())
        .field(
            "pmt_reference",
            rules::technical_reference(&payment.reference),
        )
        .field("pmt_amount", rules::format_amount(payment.amount))
        .field("pmt_currency", "EUR")
        .field(
            "pmt_sellercosts",
            rules::format_amount(payment.seller_costs),
        )
        .field("pmt_paymentmethod", payment.method.as_str())
        .field("pmt_escrow", payment.escrow.as_str())
        .field("pmt_paymenturl", page.as_str());
    seller.payments.insert(payment.pmt_id.clone(), payment);
    match auth {
        Auth::Basic => answer.respond(StatusCode::OK),
        Auth::Hash(_) => redirect(&page),
    }
}

fn page_url(base: &str, seller_id: &str, pmt_id: &str) -> String {
    with_query(
        &format!("{base}/card-page"),
        &[("s", seller_id), ("id", pmt_id)],
    )
}

#[derive(Deserialize)]
pub(crate) struct PageQuery {
    s: String,
    id: String,
}

/// `GET /card-page`: the sandbox's stand-in for Svea's payment page.
pub(crate) async fn card_page(State(emu): Shared, Query(query): Query<PageQuery>) -> Response {
    let mut state = emu.state();
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(&query.s) else {
        return (StatusCode::NOT_FOUND, Html("unknown seller".to_string())).into_response();
    };
    seller.touch_payment(&seed, &query.id);
    match seller.payments.get(&query.id) {
        Some(payment) if payment.status == PaymentStatus::AwaitingPayer => {
            Html(page_html(&emu.ctx.base_url, seller, payment, None)).into_response()
        }
        Some(_) => (
            StatusCode::CONFLICT,
            Html("this payment is already completed".to_string()),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, Html("unknown payment".to_string())).into_response(),
    }
}

fn page_html(base: &str, seller: &Seller, payment: &Payment, problem: Option<&str>) -> String {
    let e = wire::html_escape;
    let what = if payment.flow == Flow::Tokenize {
        "Register your card for recurring payments (no charge now)".to_string()
    } else {
        format!("Pay {} EUR", rules::format_amount(payment.amount))
    };
    let problem = problem
        .map(|p| format!("<p class=\"error\" role=\"alert\">{}</p>", e(p)))
        .unwrap_or_default();
    format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Svea Payments sandbox</title></head>
<body>
<h1>Svea Payments (sandbox)</h1>
<p>{seller}: order {order}</p>
<p>{what}</p>
{problem}
<form method="post" action="{base}/card-page">
<input type="hidden" name="s" value="{s}">
<input type="hidden" name="id" value="{id}">
<label>Card number <input name="card_number" autocomplete="cc-number" inputmode="numeric"></label>
<label>or a sandbox test card <select name="test_card"><option value="">(the number typed above)</option><option value="approve">Visa ending 4242, approves</option><option value="decline">Visa ending 0002, declined</option></select></label>
<label>Expiry month <input name="exp_month" size="2"></label>
<label>Expiry year <input name="exp_year" size="4"></label>
<label>CVC <input name="cvv" size="4" autocomplete="cc-csc"></label>
<label>3-D Secure <select name="three_ds"><option value="pass">authenticate</option><option value="fail">fail authentication</option></select></label>
<button name="action" value="pay">Continue</button>
<button name="action" value="cancel">Cancel</button>
</form>
</body></html>
"#,
        seller = e(&seller.name),
        order = e(&payment.order_id),
        s = e(&seller.seller_id),
        id = e(&payment.pmt_id),
        base = e(base),
    )
}

/// `POST /card-page`: the payer's answer. The card number is read for its Luhn check, last four
/// digits, BIN and scheme, and is then dropped; neither it nor the CVC is stored.
pub(crate) async fn card_page_submit(State(emu): Shared, body: Bytes) -> Response {
    let form = match Form::parse(&body, "charset") {
        Ok(form) => form,
        Err(_) => return (StatusCode::BAD_REQUEST, "unreadable form").into_response(),
    };
    let today = rules::helsinki_date(emu.ctx.now());
    let mut state = emu.state();
    let seed = state.seed.clone();
    let Some(seller) = state.sellers.get_mut(form.text("s")) else {
        return (StatusCode::NOT_FOUND, Html("unknown seller".to_string())).into_response();
    };
    seller.touch_payment(&seed, form.text("id"));
    let seller_id = seller.seller_id.clone();
    let Some(payment) = seller.payments.get(form.text("id")).cloned() else {
        return (StatusCode::NOT_FOUND, Html("unknown payment".to_string())).into_response();
    };
    if payment.status != PaymentStatus::AwaitingPayer {
        return (
            StatusCode::CONFLICT,
            Html("this payment is already completed".to_string()),
        )
            .into_response();
    }
    let Some(returns) = payment.returns.clone() else {
        return (
            StatusCode::CONFLICT,
            Html("this payment has no return address".to_string()),
        )
            .into_response();
    };
    let back = |url: &str, code: Option<&str>| {
        let mut pairs = vec![("pmt_id", payment.pmt_id.as_str())];
        if let Some(code) = code {
            pairs.push(("pmt_errorcode", code));
        }
        redirect(&with_query(url, &pairs))
    };
    let mut update = payment.clone();
    let set_unpaid = |payment: &mut Payment, code: &str, text: &str| {
        payment.status = PaymentStatus::Unpaid {
            code: code.into(),
            text: text.into(),
        };
    };
    if form.get("action") == Some("cancel") {
        set_unpaid(&mut update, "PAYER_INTERRUPTED", "the payer cancelled");
        seller.payments.insert(update.pmt_id.clone(), update);
        return back(&returns.cancel, None);
    }
    let typed: String = form
        .text("card_number")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    // A typed number wins; an empty one takes the chosen sandbox test card.
    let number = match rules::test_card_number(form.text("test_card")) {
        Some(test) if typed.is_empty() => test.to_string(),
        _ => typed,
    };
    let exp_month = form
        .text("exp_month")
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m));
    let exp_year =
        form.text("exp_year")
            .parse::<i32>()
            .ok()
            .map(|y| if y < 100 { 2000 + y } else { y });
    let cvv_ok = matches!(form.text("cvv").len(), 3 | 4)
        && form.text("cvv").bytes().all(|b| b.is_ascii_digit());
    let problem = if !rules::luhn_ok(&number) {
        Some("The card number is not valid.")
    } else if let (Some(month), Some(year)) = (exp_month, exp_year) {
        use chrono::Datelike;
        if (year, month) < (today.year(), today.month()) {
            Some("The card has expired.")
        } else if !cvv_ok {
            Some("The CVC must be 3 or 4 digits.")
        } else {
            None
        }
    } else {
        Some("The expiry date is not valid.")
    };
    if let Some(problem) = problem {
        let page = page_html(&emu.ctx.base_url, seller, &payment, Some(problem));
        return (StatusCode::UNPROCESSABLE_ENTITY, Html(page)).into_response();
    }
    let (exp_month, exp_year) = (exp_month.unwrap_or(1), exp_year.unwrap_or(0));
    let last4 = number[number.len() - 4..].to_string();
    let behaviour = behaviour_of_last4(&last4);
    let received = serde_json::json!({
        "pmt_action": payment.flow.action(),
        "pmt_version": payment.flow.version(),
        "pmt_paymentmethod": payment.method,
    });
    if form.get("three_ds") == Some("fail") {
        set_unpaid(
            &mut update,
            "ERROR_CARD_AUTHENTICATION_FAILED",
            "3-D Secure authentication failed",
        );
        seller.payments.insert(update.pmt_id.clone(), update);
        return back(&returns.error, Some("ERROR_CARD_AUTHENTICATION_FAILED"));
    }
    // A zero-sum tokenization authorizes nothing, so only a paying flow meets the decline cards.
    let decline = match behaviour {
        _ if payment.amount == 0 => None,
        CardBehaviour::SoftDecline => Some("ERROR_CARD_AUTHORIZATION_FAILED"),
        CardBehaviour::HardDecline => Some("EXTERNAL_SERVICE_DENIED"),
        CardBehaviour::Expired => Some("ERROR_PAYMENT_INSTRUMENT_EXPIRED"),
        _ => None,
    };
    let token_id = payment
        .flow
        .tokenizes()
        .then(|| page_token(&seller_id, &payment.pmt_id));
    if let Some(code) = decline {
        set_unpaid(&mut update, code, "card declined");
        emu.record(
            &seller_id,
            &update,
            token_id.as_deref().unwrap_or(""),
            false,
            received,
        );
        seller.payments.insert(update.pmt_id.clone(), update);
        return back(&returns.error, Some(code));
    }
    update.status = PaymentStatus::Paid;
    update.payment_date = Some(today);
    update.paid_at = Some(emu.ctx.now());
    update.token = token_id.clone();
    if let Some(token) = &token_id {
        let limit = if payment.amount > 0 {
            payment.amount
        } else {
            state::ZERO_SUM_DEBIT_LIMIT
        };
        seller.tokens.insert(
            token.clone(),
            Token {
                token: token.clone(),
                customer: None,
                scheme: rules::scheme_of(&number).into(),
                bin: number[..6].to_string(),
                last4: last4.clone(),
                bank: None,
                exp_month,
                exp_year,
                behaviour,
                initial_pmt_id: payment.pmt_id.clone(),
                initial_amount: payment.amount,
                debit_limit: limit,
                monthly_limit: limit,
                charges: Vec::new(),
            },
        );
    }
    if payment.amount > 0 {
        emu.record(
            &seller_id,
            &update,
            token_id.as_deref().unwrap_or(""),
            true,
            received,
        );
    }
    let reference = rules::technical_reference(&update.reference);
    let amount = rules::format_amount(update.amount);
    let costs = rules::format_amount(update.seller_costs);
    let mut pairs: Vec<(&str, &str)> = vec![
        ("pmt_action", update.flow.action()),
        ("pmt_version", update.flow.version()),
        ("pmt_id", &update.pmt_id),
        ("pmt_reference", &reference),
        ("pmt_amount", &amount),
        ("pmt_currency", "EUR"),
        ("pmt_sellercosts", &costs),
        ("pmt_paymentmethod", &update.method),
        ("pmt_escrow", &update.escrow),
    ];
    if let Some(token) = &token_id {
        pairs.push(("pmt_token", token));
    }
    let values: Vec<&str> = pairs.iter().map(|(_, v)| *v).collect();
    // Only a page started in hash mode (the browser form post) returns a hash; one started with
    // Basic returns none (Svea's S2S page: validate such a return with a status query).
    let hash = sign(update.hash_version, &values, &seller.secret);
    if let Some(hash) = &hash {
        pairs.push(("pmt_hash", hash));
    }
    let location = with_query(&returns.ok, &pairs);
    seller
        .payments
        .insert(update.pmt_id.clone(), update.clone());
    redirect(&location)
}

/// A token for a card registered on the page: derived from seller and `pmt_id`, which are unique.
fn page_token(seller_id: &str, pmt_id: &str) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("svea-sandbox-token/{seller_id}/{pmt_id}").as_bytes());
    hex::encode(&digest[..16])
}
