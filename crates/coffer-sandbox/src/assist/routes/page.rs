//! Assist's payment page (`/pay/order.cfm`), where the cardholder pays the initial order of a
//! recurring series (issue 25).
//!
//! Sources: the payment request's fields `Merchant_ID`, `OrderNumber`, `OrderAmount`,
//! `OrderCurrency`, `URL_RETURN_OK`, `URL_RETURN_NO`, and the recurring registration
//! `RecurringIndicator=1` with `RecurringMinAmount`, `RecurringMaxAmount`, `RecurringPeriod`,
//! `RecurringMaxDate` (shared/providers/assist.md §3.1, §3.3; Assist's PHP SDK
//! assist-group/assist-ru-php-core `lib/Helpers/RequestHelper.php`); `CustomerNumber` never
//! with the Recurring* fields (§3.2); a zero amount only as the "ASI" registration with
//! `BlockOrderType=2` (§3.1).
//!
//! **Choices** (docs/assist.md "Enrollment"): the page takes its fields from a GET query or a
//! POSTed form alike; it offers the test cards `approve` (Visa 4242), `decline` (the seed's
//! hard-decline card 0002, AS108) and `fail_3ds` (AS110 on a declined order) and a Cancel
//! button, which makes no order and goes to `URL_RETURN_NO`. A payment makes an order under the
//! OrderNumber (a new billnumber per attempt, as Assist does after a failed one) that
//! remembers the recurring limits, so `rp.cfm` later accepts charges within them, and
//! orderresult shows it with `recurringindicator`. The browser is sent to `URL_RETURN_OK` after
//! an approval, else to `URL_RETURN_NO`, with nothing added: Coffer confirms by orderresult.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};

use super::{decide, refuses_duplicates, Decision, NewOrder};
use crate::assist::rules;
use crate::assist::state::{
    AssistState, CardSummary, MerchantAccount, OrderSource, OrderState, RecurringTerms,
};
use crate::assist::wire::Params;
use crate::assist::Emulator;

/// The page's test cards: `(value, label, brand, bin, last4)`, or a 3-D Secure failure.
const TEST_CARDS: [(&str, &str, &str, &str, &str); 3] = [
    ("approve", "Approve (Visa 4242)", "VISA", "424242", "4242"),
    // The seed's hard-decline card: AS108 (rules::card_code).
    (
        "decline",
        "Decline, hard (Visa 0002)",
        "VISA",
        "400000",
        "0002",
    ),
    ("fail_3ds", "3-D Secure fails", "VISA", "400000", "3220"),
];

/// The sandbox's own field names: the test-card choice and the button pressed.
const OWN_FIELDS: [&str; 2] = ["test_card", "sandbox_action"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// A page saying why the request cannot be paid (Assist shows its own error page).
fn refused(why: &str) -> Response {
    html(
        StatusCode::BAD_REQUEST,
        format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Assist: payment refused</title></head>\
             <body><h1>The payment cannot be made</h1><p class=\"problem\">{}</p></body></html>",
            escape(why)
        ),
    )
}

/// What the page was asked to take, checked.
struct Request {
    merchant: MerchantAccount,
    ordernumber: String,
    amount_minor: i64,
    currency: coffer_core::Currency,
    recurring: Option<RecurringTerms>,
    url_ok: String,
    url_no: String,
}

/// A non-negative amount: the `OrderAmount` pattern, or zero where zero is allowed.
fn amount(text: &str, currency: coffer_core::Currency, zero: bool) -> Result<i64, String> {
    if zero && text.bytes().all(|b| b == b'0' || b == b'.') && text.starts_with('0') {
        return Ok(0);
    }
    rules::parse_amount(text, currency).map_err(|_| format!("'{text}' is not an amount"))
}

fn check(state: &AssistState, p: &Params) -> Result<Request, String> {
    let need = |name: &str| p.get(name).ok_or_else(|| format!("{name} is missing"));
    let merchant = state
        .merchant(need("Merchant_ID")?)
        .cloned()
        .ok_or("unknown Merchant_ID")?;
    let ordernumber = need("OrderNumber")?.to_string();
    rules::check_ordernumber(&ordernumber).map_err(|_| "OrderNumber is too long")?;
    let currency = match p.get("OrderCurrency") {
        Some(code) => rules::parse_currency(code).map_err(|_| "OrderCurrency is not a currency")?,
        None => merchant.currency,
    };
    if currency != merchant.currency {
        return Err(format!(
            "this merchant is paid in {}, not {currency}",
            merchant.currency
        ));
    }
    let block = p.get("BlockOrderType") == Some("2");
    let amount_minor = amount(need("OrderAmount")?, currency, block)?;
    let recurring = match p.get("RecurringIndicator") {
        Some("1") => {
            if p.get("CustomerNumber").is_some() {
                return Err("CustomerNumber must not be sent with the recurring parameters".into());
            }
            let min = amount(need("RecurringMinAmount")?, currency, true)?;
            let max = amount(need("RecurringMaxAmount")?, currency, true)?;
            let period = p
                .get("RecurringPeriod")
                .or(p.get("RecurringCount"))
                .ok_or("RecurringPeriod is missing")?;
            let period_days = period
                .parse::<u32>()
                .ok()
                .filter(|d| (1..=999).contains(d))
                .ok_or("RecurringPeriod is 1 to 999 days")?;
            let max_date = NaiveDate::parse_from_str(need("RecurringMaxDate")?, "%d.%m.%Y")
                .map_err(|_| "RecurringMaxDate is DD.MM.YYYY")?;
            if min > max {
                return Err("RecurringMinAmount is above RecurringMaxAmount".into());
            }
            Some(RecurringTerms {
                min_minor: min,
                max_minor: max,
                period_days,
                max_date,
            })
        }
        None | Some("0") => None,
        Some(_) => return Err("RecurringIndicator is 0 or 1".into()),
    };
    if amount_minor == 0 && !block {
        return Err("a zero amount is only a registration (BlockOrderType=2)".into());
    }
    Ok(Request {
        merchant,
        ordernumber,
        amount_minor,
        currency,
        recurring,
        url_ok: need("URL_RETURN_OK")?.to_string(),
        url_no: need("URL_RETURN_NO")?.to_string(),
    })
}

/// `GET|POST /pay/order.cfm`: the page, or (with the sandbox's button) the payment.
pub(crate) async fn order(
    State(emu): State<Arc<Emulator>>,
    method: Method,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let read = if method == Method::POST {
        Params::from_body(&headers, &body)
    } else {
        Params::from_body(&HeaderMap::new(), raw.unwrap_or_default().as_bytes())
    };
    let Ok(params) = read else {
        return refused("the payment request cannot be read");
    };
    let mut state = emu.lock();
    let request = match check(&state, &params) {
        Ok(request) => request,
        Err(why) => return refused(&why),
    };
    match params.get("sandbox_action") {
        None => show(&emu, &request, &params),
        Some("cancel") => redirect(&request.url_no),
        Some("pay") => pay(&emu, &mut state, &request, &params),
        Some(other) => refused(&format!("unknown action '{other}'")),
    }
}

fn show(emu: &Emulator, request: &Request, params: &Params) -> Response {
    let hidden: String = params
        .pairs()
        .iter()
        .filter(|(k, _)| !OWN_FIELDS.iter().any(|own| own.eq_ignore_ascii_case(k)))
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">\n",
                escape(k),
                escape(v)
            )
        })
        .collect();
    let options: String = TEST_CARDS
        .iter()
        .map(|(value, label, ..)| format!("<option value=\"{value}\">{label}</option>\n"))
        .collect();
    let what = if request.amount_minor == 0 {
        "Card registration, nothing is charged now".to_string()
    } else {
        format!(
            "Pay {} {}",
            rules::format_amount(request.amount_minor, request.currency),
            request.currency.code()
        )
    };
    let series = match &request.recurring {
        Some(t) => format!(
            "<p>You agree to later charges of {}–{} {} at most every {} days until {}.</p>",
            rules::format_amount(t.min_minor, request.currency),
            rules::format_amount(t.max_minor, request.currency),
            request.currency.code(),
            t.period_days,
            t.max_date.format("%d.%m.%Y")
        ),
        None => String::new(),
    };
    let action = escape(&format!("{}/pay/order.cfm", emu.ctx.base_url));
    html(
        StatusCode::OK,
        format!(
            r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Assist payment page (sandbox)</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; padding: 0 1rem; }}
label {{ display: block; margin: .8rem 0; }}
button {{ font-size: 1rem; padding: .5rem 1.2rem; margin-right: .5rem; }}
</style>
</head>
<body>
<h1>{merchant}</h1>
<p>Order {order}: {what}</p>
{series}<form id="assist-payment-page" method="post" action="{action}">
{hidden}<label>Test card
<select name="test_card">
{options}</select></label>
<button type="submit" name="sandbox_action" value="pay">Pay</button>
<button type="submit" name="sandbox_action" value="cancel">Cancel</button>
</form>
</body>
</html>
"#,
            merchant = escape(&request.merchant.name),
            order = escape(&request.ordernumber),
        ),
    )
}

fn redirect(to: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, to.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

fn pay(emu: &Emulator, state: &mut AssistState, request: &Request, params: &Params) -> Response {
    let choice = params.get("test_card").unwrap_or("approve");
    let Some((value, _, brand, bin, last4)) = TEST_CARDS.iter().find(|c| c.0 == choice) else {
        return refused(&format!("no test card '{choice}'"));
    };
    let previous: Vec<OrderState> = state
        .orders_numbered(&request.merchant, &request.ordernumber)
        .iter()
        .map(|o| o.state)
        .collect();
    if rules::may_reuse_ordernumber(&previous, refuses_duplicates(emu, state)).is_err() {
        return refused("this order is paid already");
    }
    let now = emu.ctx.now();
    let card = CardSummary {
        // A recurring initial carries no One Click token (no CustomerNumber, §3.2).
        token: String::new(),
        customer_number: String::new(),
        brand: brand.to_string(),
        bin: bin.to_string(),
        last4: last4.to_string(),
        bank: "Coffer Sandbox Bank".into(),
        exp_month: 12,
        exp_year: now.year() + 3,
    };
    let decision = if *value == "fail_3ds" {
        Decision::Code("AS110")
    } else {
        decide(
            &card,
            false,
            request.amount_minor,
            request.currency,
            now.date_naive(),
        )
    };
    let new = NewOrder {
        ordernumber: request.ordernumber.clone(),
        amount_minor: request.amount_minor,
        currency: request.currency,
        comment: params.get("OrderComment").unwrap_or_default().to_string(),
        card,
        source: OrderSource::InitialPage,
        delay: false,
        credential: params.subset(&[
            "RecurringIndicator",
            "RecurringMinAmount",
            "RecurringMaxAmount",
            "RecurringPeriod",
            "RecurringMaxDate",
            "BlockOrderType",
        ]),
        warnings: Vec::new(),
        wrapped: false,
    };
    // The page's card is never a transport-fault card, so the answer is always an order.
    let _ = emu.settle(state, &request.merchant, new, decision);
    let Some(made) = state.orders.last_mut() else {
        return refused("the order was not made");
    };
    made.recurring = request.recurring;
    if made.state == OrderState::Declined || made.state == OrderState::Timeout {
        redirect(&request.url_no)
    } else {
        redirect(&request.url_ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Seed;

    fn state() -> AssistState {
        AssistState::new(&Seed::demo(
            3,
            chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        ))
    }

    const GOOD: [(&str, &str); 11] = [
        ("Merchant_ID", "600101"),
        ("OrderNumber", "ENR-1"),
        ("OrderAmount", "12.50"),
        ("OrderCurrency", "BYN"),
        ("RecurringIndicator", "1"),
        ("RecurringMinAmount", "1"),
        ("RecurringMaxAmount", "50"),
        ("RecurringPeriod", "30"),
        ("RecurringMaxDate", "31.12.2027"),
        ("URL_RETURN_OK", "https://coffer.invalid/r?assist_return=ok"),
        ("URL_RETURN_NO", "https://coffer.invalid/r?assist_return=no"),
    ];

    fn with(changes: &[(&'static str, &'static str)], drop: &[&str]) -> Params {
        let mut pairs: Vec<(&str, &str)> = GOOD
            .iter()
            .filter(|(k, _)| !drop.contains(k) && !changes.iter().any(|(c, _)| c == k))
            .copied()
            .collect();
        pairs.extend_from_slice(changes);
        Params::from_pairs(&pairs)
    }

    #[test]
    fn the_page_takes_the_registration_and_refuses_what_assist_documents_as_wrong() {
        let state = state();
        let request = check(&state, &with(&[], &[])).unwrap();
        assert_eq!(request.amount_minor, 1250);
        let terms = request.recurring.expect("registered");
        assert_eq!(
            (terms.min_minor, terms.max_minor, terms.period_days),
            (100, 5000, 30)
        );

        let zero = check(
            &state,
            &with(&[("OrderAmount", "0"), ("BlockOrderType", "2")], &[]),
        )
        .unwrap();
        assert_eq!(zero.amount_minor, 0, "the ASI registration");

        for (params, why) in [
            (
                with(&[("OrderAmount", "0")], &[]),
                "zero without BlockOrderType=2",
            ),
            (
                with(&[("CustomerNumber", "BY-000001")], &[]),
                "One Click's CustomerNumber with Recurring*",
            ),
            (with(&[], &["RecurringMaxDate"]), "a limit missing"),
            (
                with(&[("RecurringPeriod", "1000")], &[]),
                "period over 3 digits",
            ),
            (with(&[("OrderCurrency", "EUR")], &[]), "another currency"),
            (with(&[("Merchant_ID", "999999")], &[]), "unknown merchant"),
            (with(&[], &["URL_RETURN_OK"]), "no return"),
        ] {
            assert!(check(&state, &params).is_err(), "{why}");
        }
        let plain = check(&state, &with(&[("RecurringIndicator", "0")], &[])).unwrap();
        assert!(
            plain.recurring.is_none(),
            "an ordinary payment registers nothing"
        );
    }
}
