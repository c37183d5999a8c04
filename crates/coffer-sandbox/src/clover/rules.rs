//! Clover's rules as pure functions: identifiers, request validation, the test cards, the
//! stored-credential warning and the refund arithmetic. Nothing here touches the state lock or
//! the network, so each rule is unit-tested on its own (`shared/providers/clover.md` §2–§6).

use chrono::NaiveDate;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::seed::{behaviour_of_last4, CardBehaviour};

/// The text Clover returns on a subsequent credential-on-file charge with no recorded initial
/// one (seed thread, quoted verbatim in the notes §3.2, typo included).
pub(crate) const NO_INITIAL_WARNING: &str =
    "Subsequent credential on file pay request sent for without Initial credential on file pay request.";

/// Not Clover behaviour: the sandbox's own aid (notes §6.6) for a scheduled MIT whose
/// `invoice_number` does not name the recorded initial `ref_num`.
pub(crate) const UNLINKED_WARNING: &str =
    "Sandbox: installment_info.invoice_number does not match the ref_num of the initial credential on file pay request.";

/// Over-refund message from the SDK tests (notes §2.4).
pub(crate) const OVER_REFUND_MESSAGE: &str =
    "This refund would make the order's total refunded amount greater than the original order's amount.";

/// `amount_too_large` above $999,999.99 (notes §1).
pub(crate) const MAX_AMOUNT: i64 = 99_999_999;

/// Idempotency keys are kept a day (our choice, notes §6.10).
pub(crate) const IDEMPOTENCY_RETENTION_MS: i64 = 24 * 60 * 60 * 1000;

/// A request error: what goes into `error.code`, `error.param` and `error.message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub kind: &'static str,
    pub param: Option<String>,
    pub message: String,
}

impl Refusal {
    pub fn invalid(param: &str, message: impl Into<String>) -> Refusal {
        Refusal {
            status: 400,
            code: "invalid_request",
            kind: "invalid_request_error",
            param: Some(param.to_string()),
            message: message.into(),
        }
    }

    pub fn code(
        status: u16,
        code: &'static str,
        kind: &'static str,
        message: impl Into<String>,
    ) -> Refusal {
        Refusal {
            status,
            code,
            kind,
            param: None,
            message: message.into(),
        }
    }
}

// ---------------------------------------------------------------- identifiers

/// 13 upper-case alphanumerics derived from a label: merchant UUIDs look like Clover's.
pub(crate) fn code13(label: &str) -> String {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    Sha256::digest(label.as_bytes())
        .iter()
        .take(13)
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// Hex of a SHA-256, for sandbox secrets and request fingerprints.
pub(crate) fn digest_hex(label: &[u8]) -> String {
    hex::encode(Sha256::digest(label))
}

// Object ids embed the merchant number and the position so the emulator can find a seeded
// object without having materialised it; each is 13 upper-case alphanumerics like Clover's.

pub(crate) fn customer_id(merchant: usize, index: usize) -> String {
    format!("C{merchant}{index:011}")
}

pub(crate) fn card_id(merchant: usize, index: usize, card: usize) -> String {
    format!("K{merchant}{index:08}{card:03}")
}

pub(crate) fn seeded_charge_id(merchant: usize, index: usize, card: usize) -> String {
    format!("S{merchant}{index:08}{card:03}")
}

pub(crate) fn charge_id(merchant: usize, counter: u64) -> String {
    format!("H{merchant}{counter:011}")
}

pub(crate) fn refund_id(merchant: usize, counter: u64) -> String {
    format!("R{merchant}{counter:011}")
}

pub(crate) fn seeded_token(merchant: usize, index: usize, card: usize) -> String {
    format!("clv_1TSTS{merchant}C{index:08}K{card:03}")
}

pub(crate) fn api_token(merchant: usize, counter: u64) -> String {
    format!("clv_1TSTT{merchant}N{counter:015}")
}

/// 12-digit gateway reference numbers; seeded ones start with 2, processed ones with 3.
pub(crate) fn seeded_ref_num(merchant: usize, index: usize, card: usize) -> String {
    format!("2{merchant}{:07}{card:03}", index % 10_000_000)
}

pub(crate) fn ref_num(merchant: usize, counter: u64) -> String {
    format!("3{merchant}{:010}", counter % 10_000_000_000)
}

pub(crate) fn auth_code(counter: u64) -> String {
    format!("OK{:04}", counter % 10_000)
}

fn digits_after<'a>(id: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = id.strip_prefix(prefix)?;
    (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit())).then_some(rest)
}

/// The customer index in `id`, when it is one of `merchant`'s customer ids.
pub(crate) fn parse_customer_id(merchant: usize, id: &str) -> Option<usize> {
    if id.len() != 13 {
        return None;
    }
    digits_after(id, &format!("C{merchant}"))?.parse().ok()
}

/// `(index, card)` of a seeded-token id of `merchant`.
pub(crate) fn parse_seeded_token(merchant: usize, token: &str) -> Option<(usize, usize)> {
    let rest = token.strip_prefix(&format!("clv_1TSTS{merchant}C"))?;
    let (index, card) = rest.split_once('K')?;
    if index.len() != 8 || card.len() != 3 {
        return None;
    }
    Some((
        digits_after(index, "")?.parse().ok()?,
        digits_after(card, "")?.parse().ok()?,
    ))
}

/// `(index, card)` of a seeded initial charge id of `merchant`.
pub(crate) fn parse_seeded_charge_id(merchant: usize, id: &str) -> Option<(usize, usize)> {
    let rest = digits_after(id, &format!("S{merchant}"))?;
    if rest.len() != 11 {
        return None;
    }
    Some((rest[..8].parse().ok()?, rest[8..].parse().ok()?))
}

// ---------------------------------------------------------------- cards

/// Luhn check of a card number (digits only).
pub(crate) fn luhn_ok(number: &str) -> bool {
    if !(12..=19).contains(&number.len()) || !number.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = number
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// What the test-card page (notes §5) says a number does; every other Luhn-valid number approves
/// unless its last four digits carry one of Coffer's seed behaviours.
pub(crate) fn behaviour_of_number(number: &str) -> CardBehaviour {
    match number {
        // Declines (code 500) and the partial-approval card, which the Ecommerce API refuses.
        "4005571702222222" | "4005578003333335" | "375987654000004" | "5424180273333333"
        | "4264281511117771" => CardBehaviour::SoftDecline,
        _ => behaviour_of_last4(number.get(number.len().saturating_sub(4)..).unwrap_or("")),
    }
}

/// Brand by prefix, in the spellings of the SDK enum (`VISA`, `MC`, `AMEX`, …).
pub(crate) fn brand_of_number(number: &str) -> &'static str {
    let two: u32 = number.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = number.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    match () {
        _ if number.starts_with('4') => "VISA",
        _ if (51..=55).contains(&two) || (2221..=2720).contains(&four) => "MC",
        _ if two == 34 || two == 37 => "AMEX",
        _ if number.starts_with("6011") || number.starts_with("65") => "DISCOVER",
        _ if two == 36 || two == 38 || (3000..=3059).contains(&four) => "DINERS_CLUB",
        _ if (3528..=3589).contains(&four) => "JCB",
        _ => "OTHER",
    }
}

/// Whether a card is past its expiry month on `today`.
pub(crate) fn is_expired(exp_month: u32, exp_year: i32, today: NaiveDate) -> bool {
    let (y, m) = if exp_month >= 12 {
        (exp_year + 1, 1)
    } else {
        (exp_year, exp_month + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1).is_none_or(|first_after| today >= first_after)
}

/// A decline as Clover sends it: the status, `error.code`, `error.declineCode` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decline {
    pub status: u16,
    pub code: &'static str,
    pub decline_code: Option<&'static str>,
    pub message: &'static str,
}

/// The decline a behaviour produces. A test behaviour decides the outcome whatever the card's
/// date, so the demo cards stay predictable; any other card past its expiry is refused. Only
/// `issuer_declined` was ever seen from Clover; the hard-decline code is our choice (see
/// docs/clover.md).
pub(crate) fn decline_of(behaviour: CardBehaviour, expired: bool) -> Option<Decline> {
    let expired_card = Decline {
        status: 400,
        code: "expired_card",
        decline_code: None,
        message: "The card has expired.",
    };
    match behaviour {
        CardBehaviour::SoftDecline => Some(Decline {
            status: 402,
            code: "card_declined",
            decline_code: Some("issuer_declined"),
            message: "Declined",
        }),
        CardBehaviour::HardDecline => Some(Decline {
            status: 402,
            code: "card_declined",
            decline_code: Some("stolen_card"),
            message: "Declined",
        }),
        CardBehaviour::Expired => Some(expired_card),
        CardBehaviour::Approve if expired => Some(expired_card),
        CardBehaviour::Approve | CardBehaviour::Timeout | CardBehaviour::ResponseLost => None,
    }
}

// ---------------------------------------------------------------- charge request

/// The validated fields of `POST /v1/charges` the emulator acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChargeInput {
    pub amount: i64,
    pub currency: String,
    pub source: String,
    pub capture: bool,
    pub ecomind: String,
    pub description: Option<String>,
    pub external_reference_id: Option<String>,
    pub tax_amount: Option<i64>,
    pub tip_amount: Option<i64>,
    pub metadata: Option<Value>,
    pub stored: Option<StoredCredentials>,
    /// The `stored_credentials` object exactly as received, for the ledger.
    pub stored_raw: Value,
}

/// `stored_credentials` (notes §3.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoredCredentials {
    pub subsequent: bool,
    pub merchant_initiated: bool,
    pub is_scheduled: bool,
    pub bill_pay_indicator: Option<String>,
    pub invoice_number: Option<String>,
}

fn optional_int(body: &Map<String, Value>, field: &str) -> Result<Option<i64>, Refusal> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
            Refusal::invalid(
                field,
                format!("{field} must be a non-negative integer in cents"),
            )
        }),
    }
}

fn optional_str<'a>(body: &'a Map<String, Value>, field: &str) -> Result<Option<&'a str>, Refusal> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Refusal::invalid(field, format!("{field} must be a string"))),
    }
}

/// Validates a create-charge body against the documented field rules (notes §2.1, §6.2).
pub(crate) fn charge_input(
    body: &Map<String, Value>,
    merchant_currency: &str,
) -> Result<ChargeInput, Refusal> {
    let amount = optional_int(body, "amount")?
        .ok_or_else(|| Refusal::invalid("amount", "amount is required"))?;
    if amount > MAX_AMOUNT {
        return Err(Refusal {
            param: Some("amount".into()),
            ..Refusal::code(
                400,
                "amount_too_large",
                "invalid_request_error",
                "Amount must be no more than $999,999.99",
            )
        });
    }
    let currency = optional_str(body, "currency")?
        .ok_or_else(|| Refusal::invalid("currency", "currency is required"))?;
    if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Refusal::invalid(
            "currency",
            "currency must be a three-letter ISO 4217 code",
        ));
    }
    if !currency.eq_ignore_ascii_case(merchant_currency) {
        return Err(Refusal::invalid(
            "currency",
            format!(
                "currency {currency} is not the merchant's currency {}",
                merchant_currency.to_ascii_lowercase()
            ),
        ));
    }
    let source = optional_str(body, "source")?
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| Refusal::invalid("source", "source is required"))?;
    let capture = match body.get("capture") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(Refusal::invalid("capture", "capture must be true or false")),
    };
    let ecomind = match optional_str(body, "ecomind")? {
        None => "ecom".to_string(),
        Some(e) if e == "ecom" || e == "moto" => e.to_string(),
        Some(e) => {
            return Err(Refusal::invalid(
                "ecomind",
                format!("ecomind '{e}' must be ecom or moto"),
            ))
        }
    };
    let description = optional_str(body, "description")?;
    if description.is_some_and(|d| d.chars().count() > 255) {
        return Err(Refusal::invalid(
            "description",
            "description must be at most 255 characters",
        ));
    }
    let external_reference_id = optional_str(body, "external_reference_id")?;
    if external_reference_id.is_some_and(|r| r.chars().count() > 12) {
        return Err(Refusal::invalid(
            "external_reference_id",
            "external_reference_id must be at most 12 characters",
        ));
    }
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => None,
        Some(m @ Value::Object(_)) => Some(m.clone()),
        Some(_) => return Err(Refusal::invalid("metadata", "metadata must be an object")),
    };
    let stored_raw = body
        .get("stored_credentials")
        .cloned()
        .unwrap_or(Value::Null);
    let stored = stored_credentials(&stored_raw)?;
    Ok(ChargeInput {
        amount,
        currency: currency.to_ascii_lowercase(),
        source: source.to_string(),
        capture,
        ecomind,
        description: description.map(str::to_string),
        external_reference_id: external_reference_id.map(str::to_string),
        tax_amount: optional_int(body, "tax_amount")?,
        tip_amount: optional_int(body, "tip_amount")?,
        metadata,
        stored,
        stored_raw,
    })
}

/// Reads `stored_credentials`. Enum spellings are upper-case on the wire but the docs table
/// writes "First"; both are accepted (notes §3.1).
pub(crate) fn stored_credentials(raw: &Value) -> Result<Option<StoredCredentials>, Refusal> {
    let object = match raw {
        Value::Null => return Ok(None),
        Value::Object(o) => o,
        _ => {
            return Err(Refusal::invalid(
                "stored_credentials",
                "stored_credentials must be an object",
            ))
        }
    };
    let word = |field: &str, allowed: [&str; 2]| -> Result<Option<usize>, Refusal> {
        let param = format!("stored_credentials.{field}");
        match object.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => allowed
                .iter()
                .position(|a| a.eq_ignore_ascii_case(s))
                .map(Some)
                .ok_or_else(|| {
                    Refusal::invalid(
                        &param,
                        format!("{param} '{s}' must be {} or {}", allowed[0], allowed[1]),
                    )
                }),
            Some(_) => Err(Refusal::invalid(
                &param,
                format!("{param} must be a string"),
            )),
        }
    };
    let sequence = word("sequence", ["FIRST", "SUBSEQUENT"])?.ok_or_else(|| {
        Refusal::invalid(
            "stored_credentials.sequence",
            "stored_credentials.sequence is required",
        )
    })?;
    let initiator = word("initiator", ["CARDHOLDER", "MERCHANT"])?.ok_or_else(|| {
        Refusal::invalid(
            "stored_credentials.initiator",
            "stored_credentials.initiator is required",
        )
    })?;
    let is_scheduled = match object.get("is_scheduled") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return Err(Refusal::invalid(
                "stored_credentials.is_scheduled",
                "is_scheduled must be true or false",
            ))
        }
    };
    let (mut bill_pay_indicator, mut invoice_number) = (None, None);
    match object.get("installment_info") {
        None | Some(Value::Null) => {}
        Some(Value::Object(info)) => {
            match info.get("bill_pay_indicator") {
                None | Some(Value::Null) => {}
                Some(Value::String(s))
                    if s.eq_ignore_ascii_case("Recurring")
                        || s.eq_ignore_ascii_case("Installment") =>
                {
                    bill_pay_indicator = Some(s.clone());
                }
                Some(_) => {
                    return Err(Refusal::invalid(
                        "stored_credentials.installment_info.bill_pay_indicator",
                        "bill_pay_indicator must be Recurring or Installment",
                    ))
                }
            }
            match info.get("invoice_number") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => invoice_number = Some(s.clone()),
                Some(_) => {
                    return Err(Refusal::invalid(
                        "stored_credentials.installment_info.invoice_number",
                        "invoice_number must be a string",
                    ))
                }
            }
        }
        Some(_) => {
            return Err(Refusal::invalid(
                "stored_credentials.installment_info",
                "installment_info must be an object",
            ))
        }
    }
    Ok(Some(StoredCredentials {
        subsequent: sequence == 1,
        merchant_initiated: initiator == 1,
        is_scheduled,
        bill_pay_indicator,
        invoice_number,
    }))
}

/// The warning rule (notes §3.2, §6.6): a subsequent use of a card, or a charge of a saved
/// customer without flags, with no initial charge on record is approved with Clover's warning;
/// a scheduled MIT that names another `ref_num` than the recorded one gets the sandbox's aid.
pub(crate) fn warning(
    stored: Option<&StoredCredentials>,
    source_is_customer: bool,
    recorded_initial: Option<&str>,
) -> Option<&'static str> {
    let subsequent = match stored {
        Some(s) => s.subsequent,
        None => source_is_customer,
    };
    if !subsequent {
        return None;
    }
    let Some(initial) = recorded_initial else {
        return Some(NO_INITIAL_WARNING);
    };
    match stored {
        Some(s)
            if s.merchant_initiated
                && s.is_scheduled
                && s.invoice_number.as_deref() != Some(initial) =>
        {
            Some(UNLINKED_WARNING)
        }
        _ => None,
    }
}

/// Whether an approved charge records a new initial transaction for its card.
pub(crate) fn records_initial(stored: Option<&StoredCredentials>) -> bool {
    stored.is_some_and(|s| !s.subsequent)
}

// ---------------------------------------------------------------- refunds and capture

/// How much a refund returns: all that is left when `asked` is absent (notes §2.4).
pub(crate) fn refund_amount(
    charge_amount: i64,
    already_refunded: i64,
    asked: Option<i64>,
    has_tax_or_tip: bool,
) -> Result<i64, Refusal> {
    let left = charge_amount - already_refunded;
    if left <= 0 {
        return Err(Refusal::code(
            400,
            "charge_already_refunded",
            "invalid_request_error",
            "The charge has already been fully refunded.",
        ));
    }
    let amount = asked.unwrap_or(left);
    if amount <= 0 {
        return Err(Refusal::invalid(
            "amount",
            "amount must be a positive integer in cents",
        ));
    }
    if amount > left {
        return Err(Refusal::code(
            400,
            "processing_error",
            "invalid_request_error",
            OVER_REFUND_MESSAGE,
        ));
    }
    if amount < left && has_tax_or_tip {
        return Err(Refusal::code(
            400,
            "processing_error",
            "invalid_request_error",
            "Partial refunds are not supported for charges with tax or tip.",
        ));
    }
    Ok(amount)
}

/// The amount a capture takes: the whole authorization unless a smaller amount is asked.
pub(crate) fn capture_amount(
    authorized: i64,
    captured: bool,
    asked: Option<i64>,
) -> Result<i64, Refusal> {
    if captured {
        return Err(Refusal::code(
            400,
            "charge_already_captured",
            "invalid_request_error",
            "The charge has already been captured.",
        ));
    }
    match asked {
        Some(a) if a <= 0 || a > authorized => Err(Refusal::invalid(
            "amount",
            "amount must be positive and no more than the authorized amount",
        )),
        Some(a) => Ok(a),
        None => Ok(authorized),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn ids_are_thirteen_upper_case_alphanumerics_and_parse_back() {
        for id in [
            customer_id(1, 42),
            card_id(2, 7, 1),
            seeded_charge_id(3, 99, 0),
            charge_id(1, 5),
            refund_id(1, 5),
            code13("x"),
        ] {
            assert_eq!(id.len(), 13, "{id}");
            assert!(
                id.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase()),
                "{id}"
            );
        }
        assert_eq!(parse_customer_id(1, &customer_id(1, 42)), Some(42));
        assert_eq!(
            parse_customer_id(2, &customer_id(1, 42)),
            None,
            "another merchant's id"
        );
        assert_eq!(parse_seeded_token(1, &seeded_token(1, 5, 2)), Some((5, 2)));
        assert_eq!(parse_seeded_token(3, &seeded_token(1, 5, 2)), None);
        assert_eq!(
            parse_seeded_charge_id(2, &seeded_charge_id(2, 8, 1)),
            Some((8, 1))
        );
        assert_eq!(ref_num(1, 7).len(), 12);
        assert_eq!(seeded_ref_num(3, 123, 2).len(), 12);
        assert_eq!(auth_code(12_345).len(), 6);
    }

    #[test]
    fn luhn_and_test_cards() {
        assert!(luhn_ok("4242424242424242"));
        assert!(!luhn_ok("4242424242424241"));
        assert!(luhn_ok("4005571702222222"));
        assert_eq!(
            behaviour_of_number("4242424242424242"),
            CardBehaviour::Approve
        );
        assert_eq!(
            behaviour_of_number("4005571702222222"),
            CardBehaviour::SoftDecline
        );
        assert_eq!(brand_of_number("5424180273333333"), "MC");
        assert_eq!(brand_of_number("378282246310005"), "AMEX");
        assert_eq!(brand_of_number("6011361000006668"), "DISCOVER");
    }

    #[test]
    fn test_behaviours_win_over_the_card_date() {
        assert_eq!(decline_of(CardBehaviour::ResponseLost, true), None);
        assert_eq!(
            decline_of(CardBehaviour::SoftDecline, true).unwrap().code,
            "card_declined"
        );
        assert_eq!(
            decline_of(CardBehaviour::Approve, true).unwrap().code,
            "expired_card"
        );
        assert_eq!(decline_of(CardBehaviour::Approve, false), None);
        assert_eq!(
            decline_of(CardBehaviour::HardDecline, false)
                .unwrap()
                .decline_code,
            Some("stolen_card")
        );
    }

    #[test]
    fn expiry_runs_through_the_last_day_of_the_month() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert!(!is_expired(11, 2026, day(2026, 11, 30)));
        assert!(is_expired(11, 2026, day(2026, 12, 1)));
        assert!(!is_expired(12, 2026, day(2026, 12, 31)));
    }

    #[test]
    fn charge_fields_are_validated_with_their_param() {
        let ok = json!({"amount": 2500, "currency": "usd", "source": "clv_x"});
        let input = charge_input(&body(ok), "USD").unwrap();
        assert!(input.capture && input.ecomind == "ecom");
        let cases = [
            (json!({"currency": "usd", "source": "s"}), "amount"),
            (
                json!({"amount": -1, "currency": "usd", "source": "s"}),
                "amount",
            ),
            (
                json!({"amount": "25.00", "currency": "usd", "source": "s"}),
                "amount",
            ),
            (
                json!({"amount": 1, "currency": "eur", "source": "s"}),
                "currency",
            ),
            (json!({"amount": 1, "currency": "usd"}), "source"),
            (
                json!({"amount": 1, "currency": "usd", "source": "s", "ecomind": "pos"}),
                "ecomind",
            ),
            (
                json!({"amount": 1, "currency": "usd", "source": "s", "external_reference_id": "1234567890123"}),
                "external_reference_id",
            ),
            (
                json!({"amount": 1, "currency": "usd", "source": "s", "stored_credentials": {"sequence": "LAST", "initiator": "MERCHANT"}}),
                "stored_credentials.sequence",
            ),
        ];
        for (b, param) in cases {
            assert_eq!(
                charge_input(&body(b.clone()), "USD")
                    .unwrap_err()
                    .param
                    .as_deref(),
                Some(param),
                "{b}"
            );
        }
        let big = charge_input(
            &body(json!({"amount": 100_000_000, "currency": "usd", "source": "s"})),
            "USD",
        );
        assert_eq!(big.unwrap_err().code, "amount_too_large");
    }

    #[test]
    fn warning_only_for_subsequent_use_without_a_recorded_initial() {
        let sub = |scheduled: bool, invoice: Option<&str>| StoredCredentials {
            subsequent: true,
            merchant_initiated: true,
            is_scheduled: scheduled,
            bill_pay_indicator: scheduled.then(|| "Recurring".into()),
            invoice_number: invoice.map(str::to_string),
        };
        assert_eq!(
            warning(Some(&sub(false, None)), false, None),
            Some(NO_INITIAL_WARNING)
        );
        assert_eq!(
            warning(Some(&sub(false, None)), false, Some("216400500123")),
            None
        );
        assert_eq!(
            warning(
                Some(&sub(true, Some("216400500123"))),
                false,
                Some("216400500123")
            ),
            None
        );
        assert_eq!(
            warning(Some(&sub(true, Some("999"))), false, Some("216400500123")),
            Some(UNLINKED_WARNING)
        );
        assert_eq!(
            warning(None, true, None),
            Some(NO_INITIAL_WARNING),
            "a customer-id source counts as subsequent"
        );
        assert_eq!(
            warning(None, false, None),
            None,
            "a plain token charge is not card on file"
        );
        let first = StoredCredentials {
            subsequent: false,
            merchant_initiated: false,
            is_scheduled: false,
            bill_pay_indicator: None,
            invoice_number: None,
        };
        assert_eq!(warning(Some(&first), false, None), None);
        assert!(records_initial(Some(&first)));
    }

    #[test]
    fn refunds_never_exceed_what_is_left() {
        assert_eq!(refund_amount(2500, 0, None, false), Ok(2500));
        assert_eq!(refund_amount(2500, 1000, Some(1000), false), Ok(1000));
        assert_eq!(
            refund_amount(2500, 1000, Some(1600), false)
                .unwrap_err()
                .message,
            OVER_REFUND_MESSAGE
        );
        assert_eq!(
            refund_amount(2500, 2500, None, false).unwrap_err().code,
            "charge_already_refunded"
        );
        assert_eq!(
            refund_amount(2500, 0, Some(100), true).unwrap_err().code,
            "processing_error"
        );
        assert_eq!(capture_amount(2500, false, Some(1800)), Ok(1800));
        assert_eq!(
            capture_amount(2500, true, None).unwrap_err().code,
            "charge_already_captured"
        );
    }
}
