//! Svea's rules as pure functions: field formats (decimal comma, `dd.MM.yyyy`, 7-3-1 reference
//! check digits), the V4 hash, row sums, and the token-charge limits. Nothing here touches state,
//! the clock or the network, so every rule is unit-tested against the documented examples
//! (`shared/providers/svea.md` §2, §4, §5).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use coffer_core::{Currency, Money};
use md5::Md5;
use sha2::{Digest, Sha256, Sha512};

use super::charset::Charset;
use super::payment::{Flow, ReturnUrls};
use super::wire::{FieldError, Form};

/// The hash algorithms a request may name in `…_hashversion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum HashVersion {
    Sha512,
    Sha256,
    Md5,
}

impl HashVersion {
    /// Reads `pmt_hashversion`. SHA-1 is documented by Svea but not offered by this sandbox:
    /// the workspace carries no SHA-1 implementation (see docs/svea.md).
    pub(crate) fn parse(name: &str) -> Option<HashVersion> {
        match name {
            "SHA-512" => Some(HashVersion::Sha512),
            "SHA-256" => Some(HashVersion::Sha256),
            "MD5" => Some(HashVersion::Md5),
            _ => None,
        }
    }

    /// Upper-case hex digest, the form Svea always answers with.
    pub(crate) fn digest_hex(self, bytes: &[u8]) -> String {
        let raw = match self {
            HashVersion::Sha512 => Sha512::digest(bytes).to_vec(),
            HashVersion::Sha256 => Sha256::digest(bytes).to_vec(),
            HashVersion::Md5 => Md5::digest(bytes).to_vec(),
        };
        hex::encode_upper(raw)
    }
}

/// §4.1: every value followed by `&`, then the secret and a final `&`.
pub(crate) fn hash_input(values: &[&str], secret: &str) -> String {
    let mut text = String::new();
    for value in values {
        text.push_str(value);
        text.push('&');
    }
    text.push_str(secret);
    text.push('&');
    text
}

/// Hash of `values` + secret in `charset`; `None` when the text cannot be encoded.
pub(crate) fn hash(
    version: HashVersion,
    charset: Charset,
    values: &[&str],
    secret: &str,
) -> Option<String> {
    charset
        .encode(&hash_input(values, secret))
        .map(|bytes| version.digest_hex(&bytes))
}

/// The 7-3-1 check digit of a base number (digits only).
pub(crate) fn check_digit(base: &str) -> Option<u32> {
    if base.is_empty() || !base.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = base
        .bytes()
        .rev()
        .zip([7u32, 3, 1].iter().cycle())
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    Some((10 - sum % 10) % 10)
}

/// A Finnish creditor reference: 4–20 digits, the last one the 7-3-1 check digit of the rest.
pub(crate) fn reference_is_valid(reference: &str) -> bool {
    if !(4..=20).contains(&reference.len()) || !reference.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let (base, last) = reference.split_at(reference.len() - 1);
    check_digit(base).is_some_and(|d| last.parse::<u32>().ok() == Some(d))
}

/// A base number with its check digit appended.
pub(crate) fn reference_of(base: u64) -> String {
    let base = base.to_string();
    let digit = check_digit(&base).unwrap_or(0);
    format!("{base}{digit}")
}

/// Svea's "technical format": left-padded with zeros to 20 digits. Response hashes use it.
pub(crate) fn technical_reference(reference: &str) -> String {
    format!("{reference:0>20}")
}

/// An amount in Svea's format: digits, a decimal comma and exactly two decimals (`568,10`).
pub(crate) fn parse_amount(text: &str) -> Option<i64> {
    let body = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = body.split_once(',')?;
    if whole.is_empty()
        || fraction.len() != 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let minor =
        Money::parse_with_sign(text, Currency::EUR, coffer_core::money::Sign::Signed).ok()?;
    Some(minor.minor)
}

/// Minor units as `568,10`.
pub(crate) fn format_amount(minor: i64) -> String {
    Money::from_minor(minor, Currency::EUR).to_decimal(',')
}

/// A date as `dd.MM.yyyy`, exactly ten characters.
pub(crate) fn parse_date(text: &str) -> Option<NaiveDate> {
    if text.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(text, "%d.%m.%Y").ok()
}

pub(crate) fn format_date(date: NaiveDate) -> String {
    date.format("%d.%m.%Y").to_string()
}

/// The calendar day in Europe/Helsinki: Svea's "month" for the token limits is counted there.
pub(crate) fn helsinki_date(now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&chrono_tz::Europe::Helsinki).date_naive()
}

/// `YYYY-MM` of a date, the key of the per-token monthly counters.
pub(crate) fn month_key(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// A quantity or percentage: digits with an optional comma and up to two decimals, in hundredths.
pub(crate) fn parse_hundredths(text: &str) -> Option<i64> {
    let (whole, fraction) = text.split_once(',').unwrap_or((text, ""));
    if whole.is_empty()
        || fraction.len() > 2
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

/// Price of one row, as it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowPrice {
    Gross(i64),
    Net(i64),
}

/// One row's numbers, already parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RowAmounts {
    pub price: RowPrice,
    /// Hundredths: `1` is 100, `2,50` is 250.
    pub quantity: i64,
    /// Hundredths of a percent: `25,50` is 2550.
    pub vat: i64,
    pub discount: i64,
    pub row_type: u8,
}

/// Gross total of a row in cents: price × quantity × (1 − discount), plus VAT on a net price,
/// rounded half away from zero once at the end so nothing is lost to intermediate rounding.
pub(crate) fn row_gross_total(row: &RowAmounts) -> Option<i64> {
    let (price, vat_factor) = match row.price {
        RowPrice::Gross(p) => (i128::from(p), 10_000i128),
        RowPrice::Net(p) => (i128::from(p), 10_000 + i128::from(row.vat)),
    };
    // Scale: quantity /100, discount factor /10_000, vat factor /10_000.
    let numerator =
        price * i128::from(row.quantity) * (10_000 - i128::from(row.discount)) * vat_factor;
    let denominator: i128 = 100 * 10_000 * 10_000;
    let rounded = (numerator.abs() * 2 + denominator) / (denominator * 2);
    i64::try_from(if numerator < 0 { -rounded } else { rounded }).ok()
}

/// §2: `pmt_amount` is the gross sum of row types 1, 4, 5, 6; `pmt_sellercosts` of types 2, 3.
pub(crate) fn row_sums(rows: &[RowAmounts]) -> Option<(i64, i64)> {
    let mut amount = 0i64;
    let mut costs = 0i64;
    for row in rows {
        let total = row_gross_total(row)?;
        match row.row_type {
            1 | 4 | 5 | 6 => amount = amount.checked_add(total)?,
            2 | 3 => costs = costs.checked_add(total)?,
            _ => return None,
        }
    }
    Some((amount, costs))
}

/// Why a token charge is refused before it reaches the card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub code: &'static str,
    pub text: String,
}

/// What the token rules need to know about a token.
#[derive(Debug, Clone)]
pub(crate) struct TokenLimits<'a> {
    pub exp_year: i32,
    pub exp_month: u32,
    pub expired_card: bool,
    pub debit_limit: i64,
    pub monthly_limit: i64,
    /// (month key, amount) of every successful token charge.
    pub charges: &'a [(String, i64)],
}

/// §5 and §6: the card must be valid; one charge per token per calendar month (Helsinki);
/// never above the original amount; the monthly sum within the monthly limit.
pub(crate) fn check_token_charge(
    token: &TokenLimits<'_>,
    amount: i64,
    today: NaiveDate,
) -> Result<(), Refusal> {
    let expired = (today.year(), today.month()) > (token.exp_year, token.exp_month);
    if token.expired_card || expired {
        return Err(Refusal {
            code: "ERROR_PAYMENT_INSTRUMENT_EXPIRED",
            text: format!("card expired {:02}/{}", token.exp_month, token.exp_year),
        });
    }
    if amount > token.debit_limit {
        return Err(Refusal {
            code: "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED",
            text: format!(
                "amount {} exceeds the original payment amount {}",
                format_amount(amount),
                format_amount(token.debit_limit)
            ),
        });
    }
    let month = month_key(today);
    if token.charges.iter().any(|(m, _)| *m == month) {
        return Err(Refusal {
            code: "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED",
            text: format!("the token was already charged in {month}; at most one charge per month"),
        });
    }
    if amount > token.monthly_limit {
        return Err(Refusal {
            code: "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED",
            text: format!(
                "monthly limit {} reached",
                format_amount(token.monthly_limit)
            ),
        });
    }
    Ok(())
}

/// The number behind a test-card choice on the sandbox's card page (`test_card`), so a client
/// filling the page in sandbox mode never holds a card number itself: the sandbox owns its test
/// cards. A sandbox choice, not a Svea field.
pub(crate) fn test_card_number(choice: &str) -> Option<&'static str> {
    match choice {
        "approve" => Some("4242424242424242"),
        // Last four 0002: the seed's hard decline (EXTERNAL_SERVICE_DENIED on a paying page).
        "decline" => Some("4000000000000002"),
        _ => None,
    }
}

/// The Luhn check of a typed card number.
pub(crate) fn luhn_ok(number: &str) -> bool {
    let digits: Option<Vec<u32>> = number.chars().map(|c| c.to_digit(10)).collect();
    digits.is_some_and(|d| (12..=19).contains(&d.len()) && coffer_core::free_text::luhn(&d))
}

/// Scheme from the leading digits, as Svea reports it in `pmtq_card_scheme`.
pub(crate) fn scheme_of(number: &str) -> &'static str {
    let two: u32 = number.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = number.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    match () {
        _ if number.starts_with('4') => "VISA",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "MASTERCARD",
        _ if two == 34 || two == 37 => "AMEX",
        _ if (3528..=3589).contains(&four) => "JCB",
        _ if number.starts_with("6011") || two == 65 => "DISCOVER",
        _ => "OTHER",
    }
}

/// A V4 payment request (new payment, tokenization or token charge) that passed validation.
#[derive(Debug, Clone)]
pub(crate) struct PaymentRequest {
    pub pmt_id: String,
    pub order_id: String,
    pub reference: String,
    pub amount: i64,
    pub seller_costs: i64,
    pub method: String,
    pub escrow: String,
    pub token: Option<String>,
    pub buyer_name: String,
    pub returns: ReturnUrls,
}

/// §4.2: the request hash fields of new payment (0004), payment+tokenize (4304), tokenize (4504)
/// and token charge (4204), optional ones only when sent.
pub(crate) fn payment_hash_values(form: &Form) -> Vec<&str> {
    let mut values = Vec::new();
    let mut push = |name: &str, optional: bool| {
        if !optional || form.has(name) {
            values.push(form.text(name));
        }
    };
    for (name, optional) in [
        ("pmt_action", false),
        ("pmt_version", false),
        ("pmt_selleriban", true),
        ("pmt_id", false),
        ("pmt_orderid", false),
        ("pmt_reference", false),
        ("pmt_duedate", false),
        ("pmt_amount", false),
        ("pmt_currency", false),
        ("pmt_okreturn", false),
        ("pmt_errorreturn", false),
        ("pmt_cancelreturn", false),
        ("pmt_delayedpayreturn", false),
        ("pmt_escrow", false),
        ("pmt_escrowchangeallowed", false),
        ("pmt_invoicefromseller", true),
        ("pmt_paymentmethod", true),
        ("pmt_buyeridentificationcode", true),
        ("pmt_buyername", false),
        ("pmt_buyeraddress", false),
        ("pmt_buyerpostalcode", false),
        ("pmt_buyercity", false),
        ("pmt_buyercountry", false),
        ("pmt_deliveryname", false),
        ("pmt_deliveryaddress", false),
        ("pmt_deliverypostalcode", false),
        ("pmt_deliverycity", false),
        ("pmt_deliverycountry", false),
        ("pmt_sellercosts", false),
        ("pmt_token", true),
    ] {
        push(name, optional);
    }
    let rows = form
        .get("pmt_rows")
        .and_then(|r| r.parse::<usize>().ok())
        .unwrap_or(0);
    for n in 1..=rows.min(MAX_ROWS) {
        for (field, optional) in [
            ("pmt_row_name", false),
            ("pmt_row_desc", false),
            ("pmt_row_quantity", false),
            ("pmt_row_articlenr", true),
            ("pmt_row_unit", true),
            ("pmt_row_deliverydate", false),
        ] {
            push(&format!("{field}{n}"), optional);
        }
        let gross = format!("pmt_row_price_gross{n}");
        if form.has(&gross) {
            push(&gross, false);
        } else {
            push(&format!("pmt_row_price_net{n}"), false);
        }
        for field in ["pmt_row_vat", "pmt_row_discountpercentage", "pmt_row_type"] {
            push(&format!("{field}{n}"), false);
        }
    }
    values
}

/// More rows than any order needs; bounds the work a hostile `pmt_rows` can cause.
const MAX_ROWS: usize = 500;

fn printable(text: &str) -> bool {
    text.chars().all(|c| !c.is_control())
}

/// §6: field validation of a V4 payment request of `flow`. Every error names its field.
pub(crate) fn validate_payment(form: &Form, flow: Flow) -> Result<PaymentRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut bad = |name: &str| errors.push(FieldError::invalid(name));
    let len_ok = |name: &str, min: usize, max: usize| {
        form.get(name)
            .is_some_and(|v| (min..=max).contains(&v.chars().count()) && printable(v))
    };
    if form.get("pmt_action") != Some(flow.action()) {
        bad("pmt_action");
    }
    if form.get("pmt_version") != Some(flow.version()) {
        bad("pmt_version");
    }
    for (name, min, max) in [
        ("pmt_sellerid", 1, 15),
        ("pmt_id", 1, 20),
        ("pmt_orderid", 1, 50),
        ("pmt_okreturn", 1, 200),
        ("pmt_errorreturn", 1, 200),
        ("pmt_cancelreturn", 1, 200),
        ("pmt_delayedpayreturn", 1, 200),
        ("pmt_buyername", 1, 40),
        // Compulsory with at least one character: Svea's Magento 2 module,
        // PaymentDataSpecification.php; the WooCommerce module's $mandatory_data.
        ("pmt_buyeraddress", 1, 40),
        ("pmt_buyerpostalcode", 1, 5),
        ("pmt_buyercity", 1, 40),
        ("pmt_deliveryname", 0, 40),
        ("pmt_deliveryaddress", 1, 40),
        ("pmt_deliverypostalcode", 1, 5),
        // Neither module lists it compulsory, but Magento's length table gives it a minimum of
        // 1 and both modules always send it: the sandbox's choice (docs/svea.md).
        ("pmt_deliverycity", 1, 40),
    ] {
        if !len_ok(name, min, max) {
            bad(name);
        }
    }
    if form
        .get("pmt_id")
        .is_some_and(|id| id.contains(char::is_whitespace))
    {
        bad("pmt_id");
    }
    let reference = form.text("pmt_reference");
    if !reference_is_valid(reference) {
        bad("pmt_reference");
    }
    if form.get("pmt_duedate").and_then(parse_date).is_none() {
        bad("pmt_duedate");
    }
    if form
        .get("pmt_userlocale")
        .is_some_and(|l| !matches!(l, "fi_FI" | "sv_FI" | "en_FI"))
    {
        bad("pmt_userlocale");
    }
    let amount = form
        .get("pmt_amount")
        .and_then(parse_amount)
        .filter(|a| *a >= 0);
    if amount.is_none() {
        bad("pmt_amount");
    }
    let seller_costs = form
        .get("pmt_sellercosts")
        .and_then(parse_amount)
        .filter(|a| *a >= 0);
    if seller_costs.is_none() {
        bad("pmt_sellercosts");
    }
    if form.get("pmt_currency") != Some("EUR") {
        bad("pmt_currency");
    }
    for name in ["pmt_escrow", "pmt_escrowchangeallowed"] {
        if !matches!(form.get(name), Some("Y" | "N")) {
            bad(name);
        }
    }
    for name in ["pmt_buyercountry", "pmt_deliverycountry"] {
        let ok = form
            .get(name)
            .is_some_and(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()));
        if !ok {
            bad(name);
        }
    }
    for name in ["pmt_charset", "pmt_charsethttp"] {
        if form.get(name).and_then(Charset::parse).is_none() {
            bad(name);
        }
    }
    if form
        .get("pmt_keygeneration")
        .is_some_and(|k| k.len() != 3 || !k.bytes().all(|b| b.is_ascii_digit()))
    {
        bad("pmt_keygeneration");
    }
    let method = form.text("pmt_paymentmethod").to_string();
    let method_ok = match flow {
        Flow::TokenCharge => matches!(method.as_str(), "FI50" | "FI70"),
        Flow::Tokenize | Flow::PaymentAndTokenize => method == "FI50",
        Flow::Payment => method.is_empty() || method.len() == 4,
    };
    if !method_ok {
        bad("pmt_paymentmethod");
    }
    let token = form.get("pmt_token").map(str::to_string);
    if flow == Flow::TokenCharge && !len_ok("pmt_token", 1, 64) {
        bad("pmt_token");
    }
    // Rows: the count must match, each row needs its fields and exactly one price.
    let rows = form
        .get("pmt_rows")
        .and_then(|r| r.parse::<usize>().ok())
        .filter(|r| (1..=MAX_ROWS).contains(r));
    let mut parsed_rows = Vec::new();
    match rows {
        None => bad("pmt_rows"),
        Some(count) => {
            if form.has(&format!("pmt_row_name{}", count + 1)) {
                bad("pmt_rows");
            }
            for n in 1..=count {
                let field = |f: &str| format!("{f}{n}");
                // A row that is not there at all means the count is wrong, not the row.
                if !form.has(&field("pmt_row_name")) && !form.has(&field("pmt_row_desc")) {
                    bad("pmt_rows");
                    continue;
                }
                for (name, min, max) in [("pmt_row_name", 1, 40), ("pmt_row_desc", 1, 1000)] {
                    if !len_ok(&field(name), min, max) {
                        bad(&field(name));
                    }
                }
                if form
                    .get(&field("pmt_row_deliverydate"))
                    .and_then(parse_date)
                    .is_none()
                {
                    bad(&field("pmt_row_deliverydate"));
                }
                let quantity = form
                    .get(&field("pmt_row_quantity"))
                    .and_then(parse_hundredths)
                    .filter(|q| *q > 0);
                let vat = form
                    .get(&field("pmt_row_vat"))
                    .and_then(parse_hundredths)
                    .filter(|v| *v <= 10_000);
                let discount = form
                    .get(&field("pmt_row_discountpercentage"))
                    .and_then(parse_hundredths)
                    .filter(|d| *d <= 10_000);
                let row_type = form
                    .get(&field("pmt_row_type"))
                    .and_then(|t| t.parse::<u8>().ok())
                    .filter(|t| (1..=6).contains(t));
                let gross = form.get(&field("pmt_row_price_gross"));
                let net = form.get(&field("pmt_row_price_net"));
                let price = match (gross, net) {
                    (Some(g), None) => parse_amount(g).map(RowPrice::Gross),
                    (None, Some(n)) => parse_amount(n).map(RowPrice::Net),
                    _ => None,
                };
                let price_field = if net.is_some() && gross.is_none() {
                    field("pmt_row_price_net")
                } else {
                    field("pmt_row_price_gross")
                };
                if price.is_none() {
                    bad(&price_field);
                }
                if flow == Flow::Tokenize
                    && price.is_some_and(|p| p != RowPrice::Gross(0) && p != RowPrice::Net(0))
                {
                    bad(&price_field);
                }
                for (name, value) in [
                    ("pmt_row_quantity", quantity.is_some()),
                    ("pmt_row_vat", vat.is_some()),
                    ("pmt_row_discountpercentage", discount.is_some()),
                    ("pmt_row_type", row_type.is_some()),
                ] {
                    if !value {
                        bad(&field(name));
                    }
                }
                if let (Some(price), Some(quantity), Some(vat), Some(discount), Some(row_type)) =
                    (price, quantity, vat, discount, row_type)
                {
                    parsed_rows.push(RowAmounts {
                        price,
                        quantity,
                        vat,
                        discount,
                        row_type,
                    });
                }
            }
        }
    }
    if let (Some(amount), Some(costs), Some(count)) = (amount, seller_costs, rows) {
        if parsed_rows.len() == count {
            match row_sums(&parsed_rows) {
                Some((rows_amount, rows_costs)) => {
                    if rows_amount != amount {
                        bad("pmt_amount");
                    }
                    if rows_costs != costs {
                        bad("pmt_sellercosts");
                    }
                }
                None => bad("pmt_amount"),
            }
        }
        if flow == Flow::Tokenize && (amount != 0 || costs != 0) {
            bad("pmt_amount");
        }
        if matches!(flow, Flow::TokenCharge | Flow::PaymentAndTokenize) && amount == 0 {
            bad("pmt_amount");
        }
    }
    errors.dedup();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(PaymentRequest {
        pmt_id: form.text("pmt_id").to_string(),
        order_id: form.text("pmt_orderid").to_string(),
        reference: reference.to_string(),
        amount: amount.unwrap_or(0),
        seller_costs: seller_costs.unwrap_or(0),
        method,
        escrow: form.text("pmt_escrow").to_string(),
        token,
        buyer_name: form.text("pmt_buyername").to_string(),
        returns: ReturnUrls {
            ok: form.text("pmt_okreturn").to_string(),
            error: form.text("pmt_errorreturn").to_string(),
            cancel: form.text("pmt_cancelreturn").to_string(),
            delayed: form.text("pmt_delayedpayreturn").to_string(),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::{behaviour_of_last4, CardBehaviour};

    /// The worked token-charge example of providers/svea.md §4.4, in request-hash order.
    fn example_request_values() -> Vec<&'static str> {
        vec![
            "NEW_PAYMENT_EXTENDED",
            "4204",
            "MIT202601000001",
            "CONTRACT-42-2026-01",
            "10000427",
            "15.01.2026",
            "568,10",
            "EUR",
            "https://merchant.example/svea/ok",
            "https://merchant.example/svea/error",
            "https://merchant.example/svea/cancel",
            "https://merchant.example/svea/delayed",
            "N",
            "N",
            "FI50",
            "Matti Virtanen",
            "Mannerheimintie 1",
            "00100",
            "Helsinki",
            "FI",
            "Matti Virtanen",
            "Mannerheimintie 1",
            "00100",
            "Helsinki",
            "FI",
            "0,00",
            "7b3c9e2a1f4d4c8e9a6b2d5e8f1a0c37",
            "Monthly subscription",
            "January 2026",
            "1",
            "15.01.2026",
            "568,10",
            "25,50",
            "0,00",
            "1",
        ]
    }

    #[test]
    fn reproduces_the_documented_request_hashes() {
        let values = example_request_values();
        assert_eq!(
            hash(HashVersion::Sha256, Charset::Utf8, &values, "TESTSECRET123").unwrap(),
            "D9FEED2CD32FF8FB1F45DD96BE0ACEB0EC0CAB04C91390CDC65B35E2D707DFB1"
        );
        assert_eq!(
            hash(HashVersion::Sha512, Charset::Utf8, &values, "TESTSECRET123").unwrap(),
            "BD1713E3092DEB4B538CEEBE3EBA48BD0FDABB11A14323B1D421627D1F4F390A72E6B17CFC871FDFDE933E568CE4BB5773A32A701149A098D6648A7F5B04A5AE"
        );
    }

    #[test]
    fn response_hash_uses_the_padded_reference() {
        let padded = technical_reference("10000427");
        assert_eq!(padded, "00000000000010000427");
        let fields = |reference: &'static str| {
            vec![
                "NEW_PAYMENT_EXTENDED",
                "4204",
                "MIT202601000001",
                reference,
                "568,10",
                "EUR",
                "0,00",
                "FI50",
                "N",
                "7b3c9e2a1f4d4c8e9a6b2d5e8f1a0c37",
            ]
        };
        let good = hash(
            HashVersion::Sha256,
            Charset::Utf8,
            &fields("00000000000010000427"),
            "TESTSECRET123",
        )
        .unwrap();
        assert_eq!(
            good,
            "6A0C0F76E51D709704853592D32CDAFE7D92D235A24487BEC1CE5E1CAF2FCEE7"
        );
        let bad = hash(
            HashVersion::Sha256,
            Charset::Utf8,
            &fields("10000427"),
            "TESTSECRET123",
        )
        .unwrap();
        assert!(
            bad.starts_with("68334CF2"),
            "the unpadded reference gives the documented wrong hash"
        );
    }

    #[test]
    fn reproduces_the_mini_and_status_query_examples() {
        assert_eq!(
            hash_input(&["123", "ABC", "K"], "testkey"),
            "123&ABC&K&testkey&"
        );
        assert_eq!(
            hash(
                HashVersion::Sha256,
                Charset::Utf8,
                &["123", "ABC", "K"],
                "testkey"
            )
            .unwrap(),
            "5642A09A88A19EFAAB812E5F21F8F9F4556BB0E1545C0FC61C109C88D9DD2ED5"
        );
        assert_eq!(
            hash(
                HashVersion::Sha256,
                Charset::Utf8,
                &[
                    "PAYMENT_STATUS_QUERY",
                    "0005",
                    "TESTSELLER",
                    "MIT202601000001"
                ],
                "TESTSECRET123"
            )
            .unwrap(),
            "AC83054B9A7E75886EA04DA421BECB938F4B2C91038C22A84D0FF117A3E727A6"
        );
    }

    #[test]
    fn references_carry_a_7_3_1_check_digit() {
        assert_eq!(reference_of(12345), "123453");
        assert_eq!(reference_of(1_000_042), "10000427");
        assert!(reference_is_valid("10000427"));
        assert!(
            !reference_is_valid("10000428"),
            "a wrong check digit is refused"
        );
        assert!(!reference_is_valid("123"), "too short");
        assert!(
            !reference_is_valid("RF18539007547034"),
            "RF references are not supported"
        );
    }

    #[test]
    fn amounts_need_a_decimal_comma_and_two_decimals() {
        assert_eq!(parse_amount("568,10"), Some(56_810));
        assert_eq!(parse_amount("0,00"), Some(0));
        assert_eq!(parse_amount("-5,00"), Some(-500));
        assert_eq!(parse_amount("568.10"), None);
        assert_eq!(parse_amount("568,1"), None);
        assert_eq!(parse_amount("568"), None);
        assert_eq!(format_amount(56_810), "568,10");
        assert_eq!(format_amount(0), "0,00");
    }

    #[test]
    fn dates_are_day_month_year_with_dots() {
        assert_eq!(
            parse_date("15.01.2026"),
            NaiveDate::from_ymd_opt(2026, 1, 15)
        );
        assert_eq!(parse_date("2026-01-15"), None);
        assert_eq!(parse_date("5.1.2026"), None);
        assert_eq!(parse_date("31.02.2026"), None);
    }

    #[test]
    fn row_sums_split_amount_and_seller_costs() {
        let row = |price, row_type| RowAmounts {
            price,
            quantity: 100,
            vat: 2550,
            discount: 0,
            row_type,
        };
        let rows = [
            row(RowPrice::Gross(56_810), 1),
            row(RowPrice::Gross(590), 2),
            row(RowPrice::Gross(-500), 6),
        ];
        assert_eq!(row_sums(&rows), Some((56_310, 590)));
        let net = RowAmounts {
            price: RowPrice::Net(10_000),
            quantity: 200,
            vat: 2550,
            discount: 1000,
            row_type: 1,
        };
        assert_eq!(row_gross_total(&net), Some(22_590), "100 × 2 × 0.9 × 1.255");
    }

    #[test]
    fn one_token_charge_per_helsinki_month_and_never_above_the_original() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let charges = vec![("2026-10".to_string(), 1000)];
        let token = TokenLimits {
            exp_year: 2028,
            exp_month: 9,
            expired_card: false,
            debit_limit: 5000,
            monthly_limit: 5000,
            charges: &charges,
        };
        assert!(
            check_token_charge(&token, 5000, today).is_ok(),
            "last month's charge does not count"
        );
        assert_eq!(
            check_token_charge(&token, 5001, today).unwrap_err().code,
            "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED"
        );
        let twice = vec![("2026-11".to_string(), 1000)];
        let token = TokenLimits {
            charges: &twice,
            ..token
        };
        assert_eq!(
            check_token_charge(&token, 100, today).unwrap_err().code,
            "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED"
        );
        let expired = TokenLimits {
            exp_year: 2026,
            exp_month: 10,
            charges: &[],
            ..token
        };
        assert_eq!(
            check_token_charge(&expired, 100, today).unwrap_err().code,
            "ERROR_PAYMENT_INSTRUMENT_EXPIRED"
        );
    }

    #[test]
    fn helsinki_month_turns_before_utc_does() {
        let late = DateTime::parse_from_rfc3339("2026-11-30T22:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            month_key(helsinki_date(late)),
            "2026-12",
            "00:30 in Helsinki is already December"
        );
    }

    #[test]
    fn charsets_decode_and_encode() {
        assert_eq!(Charset::Latin9.decode(&[0xA4]).unwrap(), "€");
        assert_eq!(Charset::Latin1.decode(&[0xE4]).unwrap(), "ä");
        assert_eq!(Charset::Latin1.encode("€"), None);
        assert_eq!(Charset::Latin9.encode("€ä").unwrap(), vec![0xA4, 0xE4]);
    }

    #[test]
    fn card_numbers_are_luhn_checked() {
        assert!(luhn_ok("4242424242424242"));
        assert!(!luhn_ok("4242424242424241"));
        assert_eq!(scheme_of("5555555555554444"), "MASTERCARD");
    }

    #[test]
    fn the_page_s_test_card_choices_are_valid_visas_with_their_behaviour_and_nothing_else_is_one() {
        let number = test_card_number("approve").unwrap();
        assert!(luhn_ok(number) && scheme_of(number) == "VISA", "{number}");
        assert_eq!(
            behaviour_of_last4(&number[number.len() - 4..]),
            CardBehaviour::Approve
        );
        // The enrollment page's decline (issue 25): the seed's hard-decline last four.
        let number = test_card_number("decline").unwrap();
        assert!(luhn_ok(number) && scheme_of(number) == "VISA", "{number}");
        assert_eq!(
            behaviour_of_last4(&number[number.len() - 4..]),
            CardBehaviour::HardDecline
        );
        assert_eq!(test_card_number(""), None);
        assert_eq!(
            test_card_number("fail_3ds"),
            None,
            "3-D Secure is its own choice"
        );
    }
}
