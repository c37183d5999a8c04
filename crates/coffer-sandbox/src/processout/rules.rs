//! ProcessOut's rules as pure functions: amount strings, currencies, pagination, the MIT
//! tagging values, and what each test card does. Routes call these; nothing here touches state
//! or the clock, so each rule is unit-tested on its own.

use std::collections::HashMap;

use coffer_core::{Currency, Money};
use http::StatusCode;

use crate::seed::{behaviour_of_last4, CardBehaviour};

/// A documented error answer: `{"success":false,"error_type":…,"message":…}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub error_type: String,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, error_type: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            error_type: error_type.to_string(),
            message: message.into(),
        }
    }

    pub fn invalid(error_type: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, error_type, message)
    }

    /// 404 `resource.<kind>.not-found`.
    pub fn not_found(kind: &str, id: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            &format!("resource.{kind}.not-found"),
            format!("The {kind} {id} could not be found."),
        )
    }

    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "request.authentication.invalid",
            "Could not read your project ID. Please make sure to use Basic HTTP authentication \
             with your project ID as the username and your secret key as the password.",
        )
    }
}

/// Reads a documented amount: a positive decimal with a dot and at most the currency's decimals
/// (`"4.99"`, `"29"`, `"29.5"`).
pub(crate) fn parse_amount(text: &str, currency: Currency, field: &str) -> Result<i64, ApiError> {
    let bad = |why: &str| {
        ApiError::invalid(
            &format!("request.validation.invalid-{field}"),
            format!("The {field} '{text}' is invalid: {why}."),
        )
    };
    if text.contains(',') {
        return Err(bad("use a dot as the decimal separator"));
    }
    let money = Money::parse(text, currency).map_err(|e| bad(&e.to_string()))?;
    if money.minor <= 0 {
        return Err(bad("it must be positive"));
    }
    Ok(money.minor)
}

/// Renders an amount the way ProcessOut answers: no trailing zeros (`"29"`, `"568.1"`).
pub(crate) fn render_amount(minor: i64, currency: Currency) -> String {
    let text = Money::from_minor(minor, currency).to_decimal('.');
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

pub(crate) fn parse_currency(text: &str) -> Result<Currency, ApiError> {
    let upper = text.len() == 3 && text.chars().all(|c| c.is_ascii_uppercase());
    match Currency::from_code(text) {
        Ok(c) if upper => Ok(c),
        _ => Err(ApiError::invalid(
            "request.validation.invalid-currency",
            format!("The currency '{text}' is not a supported ISO 4217 code."),
        )),
    }
}

/// `initiation_type`: `cit` or `mit`, compared case-insensitively (the docs' own example answers
/// `"MIT"` to a request of `"mit"`). Stored lower case.
pub(crate) fn initiation_type(text: &str) -> Result<String, ApiError> {
    let lower = text.to_ascii_lowercase();
    if lower == "cit" || lower == "mit" {
        Ok(lower)
    } else {
        Err(ApiError::invalid(
            "request.validation.invalid-initiation-type",
            format!("The initiation_type '{text}' must be cit or mit."),
        ))
    }
}

const PAYMENT_INTENTS: [&str; 10] = [
    "one-off",
    "recurring",
    "recurring-standing-order",
    "recurring-subscription",
    "installment",
    "unscheduled",
    "unscheduled-delayed-charge",
    "unscheduled-resubmission",
    "unscheduled-no-show",
    "unscheduled-reauthorization",
];

pub(crate) fn payment_intent(text: &str) -> Result<String, ApiError> {
    let lower = text.to_ascii_lowercase();
    if PAYMENT_INTENTS.contains(&lower.as_str()) {
        Ok(lower)
    } else {
        Err(ApiError::invalid(
            "request.validation.invalid-payment-intent",
            format!(
                "The payment_intent '{text}' is not one of {}.",
                PAYMENT_INTENTS.join(", ")
            ),
        ))
    }
}

/// `merchant_initiator_type` (legacy): `recurring` or `one-off`.
pub(crate) fn merchant_initiator_type(text: &str) -> Result<String, ApiError> {
    match text {
        "recurring" | "one-off" => Ok(text.to_string()),
        _ => Err(ApiError::invalid(
            "request.validation.invalid-merchant-initiator-type",
            format!("The merchant_initiator_type '{text}' must be recurring or one-off."),
        )),
    }
}

/// Checks a text field's documented length.
pub(crate) fn max_len(value: Option<&str>, field: &str, max: usize) -> Result<(), ApiError> {
    match value {
        Some(v) if v.chars().count() > max => Err(ApiError::invalid(
            &format!("request.validation.invalid-{}", field.replace('_', "-")),
            format!("The {field} must be at most {max} characters."),
        )),
        _ => Ok(()),
    }
}

/// What a payment on a card does in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CardOutcome {
    Approve,
    /// HTTP 410 with this `card.*` code.
    Decline(&'static str, &'static str),
    /// Hold the request past the client's timeout, charge nothing.
    Hang,
    /// Charge, then close the connection unanswered.
    Lose,
}

/// The operation being attempted on a card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    Authorize,
    Capture,
}

/// The seed's behaviours by last four digits, plus two of ProcessOut's documented test cards that
/// do not collide with them: `…0010` authorizes but every capture fails, `…1216` passes
/// verification but fails on a transaction.
pub(crate) fn card_outcome(last4: &str, attempt: Attempt) -> CardOutcome {
    match (last4, attempt) {
        ("0010", Attempt::Capture) => {
            return CardOutcome::Decline("card.declined", "The card was declined.")
        }
        ("1216", _) => return CardOutcome::Decline("card.declined", "The card was declined."),
        // ProcessOut's `…0101` needs 3-D Secure (notes §4). The sandbox runs no 3-D Secure in the
        // browser, so the payment or verification the server makes on it fails its
        // authentication, in ProcessOut's published code (notes §1 hard declines). Our choice
        // (docs/processout.md "Enrollment"): the enrollment page's `fail_3ds` card.
        ("0101", _) => {
            return CardOutcome::Decline("card.failed-3ds", "3-D Secure authentication failed.")
        }
        // Sandbox choice (ProcessOut publishes no such test card): a stop-payment order, in
        // ProcessOut's published code for a revoked authorization (docs/processout.md).
        ("0291", _) => return CardOutcome::Decline("card.revoked", "The card was revoked."),
        _ => {}
    }
    match behaviour_of_last4(last4) {
        CardBehaviour::Approve => CardOutcome::Approve,
        CardBehaviour::SoftDecline => {
            CardOutcome::Decline("card.no-money", "The card has insufficient funds.")
        }
        CardBehaviour::HardDecline => {
            CardOutcome::Decline("card.stolen", "The card was reported stolen.")
        }
        CardBehaviour::Expired => CardOutcome::Decline("card.expired", "The card is expired."),
        CardBehaviour::Timeout => CardOutcome::Hang,
        CardBehaviour::ResponseLost => CardOutcome::Lose,
    }
}

/// `verification_status` a token gets when verified with this card.
pub(crate) fn verification_status(last4: &str) -> &'static str {
    match card_outcome(last4, Attempt::Authorize) {
        CardOutcome::Decline(..) if last4 != "1216" => "failed",
        _ => "success",
    }
}

/// The documented scheme of a card number, from its first digits.
pub(crate) fn scheme_of_number(number: &str) -> &'static str {
    let two: u32 = number.get(..2).and_then(|p| p.parse().ok()).unwrap_or(0);
    let four: u32 = number.get(..4).and_then(|p| p.parse().ok()).unwrap_or(0);
    match two {
        34 | 37 => "american-express",
        51..=55 => "mastercard",
        _ if (2221..=2720).contains(&four) => "mastercard",
        _ if (2200..=2204).contains(&four) => "mir",
        _ if four == 6011 || two == 65 => "discover",
        35 => "jcb",
        _ if number.starts_with('4') => "visa",
        _ => "unknown",
    }
}

/// Luhn check; the sandbox refuses numbers that could not be real cards.
pub(crate) fn luhn_ok(number: &str) -> bool {
    let digits: Option<Vec<u32>> = number.chars().map(|c| c.to_digit(10)).collect();
    digits.is_some_and(|d| (12..=19).contains(&d.len()) && coffer_core::free_text::luhn(&d))
}

/// The documented list parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListParams {
    pub limit: usize,
    pub ascending: bool,
    pub start_after: Option<String>,
    pub end_before: Option<String>,
}

/// Reads `limit` (default 10, 1–100), `order` (`asc`|`desc`, default `desc`), and at most one of
/// `start_after` / `end_before`.
pub(crate) fn list_params(query: &HashMap<String, String>) -> Result<ListParams, ApiError> {
    let limit = match query.get("limit") {
        None => 10,
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => n,
            _ => {
                return Err(ApiError::invalid(
                    "request.validation.invalid-limit",
                    format!("The limit '{text}' must be a number from 1 to 100."),
                ))
            }
        },
    };
    let ascending = match query.get("order").map(String::as_str) {
        None | Some("desc") => false,
        Some("asc") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "request.validation.invalid-order",
                format!("The order '{other}' must be asc or desc."),
            ))
        }
    };
    let start_after = query.get("start_after").filter(|s| !s.is_empty()).cloned();
    let end_before = query.get("end_before").filter(|s| !s.is_empty()).cloned();
    if start_after.is_some() && end_before.is_some() {
        return Err(ApiError::invalid(
            "request.validation.invalid-pagination",
            "Use either start_after or end_before, not both.",
        ));
    }
    Ok(ListParams {
        limit,
        ascending,
        start_after,
        end_before,
    })
}

/// One page of `items` (given oldest first) in the requested order, the cursor object excluded,
/// and whether more lie beyond it. `position_of` finds a cursor's place in `items`; `None` when
/// the cursor names no item of the list. Nothing is copied but the page itself, so paging through
/// 100,000 customers stays linear.
pub(crate) fn paginate<'a, T>(
    items: &'a [T],
    position_of: impl Fn(&str) -> Option<usize>,
    params: &ListParams,
) -> Option<(Vec<&'a T>, bool)> {
    let len = items.len();
    // Positions in the requested order ("ordered") map to positions in `items`.
    let to_item = |ordered: usize| {
        if params.ascending {
            ordered
        } else {
            len - 1 - ordered
        }
    };
    let ordered_of = |cursor: &str| position_of(cursor).filter(|&p| p < len).map(to_item);
    let (range, more) = match (&params.start_after, &params.end_before) {
        (Some(cursor), _) => {
            let from = ordered_of(cursor)? + 1;
            let to = (from + params.limit).min(len);
            (from..to, len - from > params.limit)
        }
        (None, Some(cursor)) => {
            let to = ordered_of(cursor)?;
            let from = to.saturating_sub(params.limit);
            (from..to, from > 0)
        }
        (None, None) => (0..params.limit.min(len), len > params.limit),
    };
    Some((range.filter_map(|o| items.get(to_item(o))).collect(), more))
}

/// [`paginate`] over positions `0..len` in creation order where some positions hold nothing
/// (`get` answers `None`): a seeded listing generated on demand. Walks only the page, the holes
/// beside it and the next item (for `has_more`), never the whole list.
pub(crate) fn paginate_sparse<T>(
    len: usize,
    get: impl Fn(usize) -> Option<T>,
    position_of: impl Fn(&str) -> Option<usize>,
    params: &ListParams,
) -> Option<(Vec<T>, bool)> {
    // Ordered positions run in the requested order; `item` maps one to its position.
    let item = |ordered: usize| {
        if params.ascending {
            ordered
        } else {
            len - 1 - ordered
        }
    };
    let at = |ordered: usize| get(item(ordered));
    let ordered_of = |cursor: &str| position_of(cursor).filter(|&p| p < len).map(item);
    match (&params.start_after, &params.end_before) {
        (Some(cursor), _) => {
            let from = ordered_of(cursor)? + 1;
            Some(forward(from, len, params.limit, at))
        }
        (None, Some(cursor)) => {
            let to = ordered_of(cursor)?;
            let mut page = Vec::new();
            let mut ordered = to;
            while ordered > 0 && page.len() < params.limit {
                ordered -= 1;
                page.extend(at(ordered));
            }
            page.reverse();
            let more = (0..ordered).rev().any(|o| at(o).is_some());
            Some((page, more))
        }
        (None, None) => Some(forward(0, len, params.limit, at)),
    }
}

/// Up to `limit` items from ordered position `from`, and whether one more follows.
fn forward<T>(
    from: usize,
    len: usize,
    limit: usize,
    at: impl Fn(usize) -> Option<T>,
) -> (Vec<T>, bool) {
    let mut page = Vec::new();
    let mut ordered = from;
    while ordered < len && page.len() < limit {
        page.extend(at(ordered));
        ordered += 1;
    }
    let more = (ordered..len).any(|o| at(o).is_some());
    (page, more)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_sparse_listing_pages_like_the_dense_list_of_what_is_there() {
        // Positions 0..12, every third empty: the dense list is what is there, in order.
        let present = |p: usize| (p % 3 != 1).then(|| format!("id{p}"));
        let dense: Vec<String> = (0..12).filter_map(present).collect();
        let position = |id: &str| {
            id.strip_prefix("id")
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|&p| present(p).is_some())
        };
        let dense_position = |id: &str| dense.iter().position(|d| d == id);
        let cursors: Vec<Option<&String>> = std::iter::once(None)
            .chain(dense.iter().map(Some))
            .collect();
        for limit in 1..5 {
            for ascending in [true, false] {
                for cursor in &cursors {
                    for after in [true, false] {
                        let params = ListParams {
                            limit,
                            ascending,
                            start_after: cursor.filter(|_| after).cloned(),
                            end_before: cursor.filter(|_| !after).cloned(),
                        };
                        let (page, more) = paginate_sparse(12, present, position, &params).unwrap();
                        let (want, want_more) = paginate(&dense, dense_position, &params).unwrap();
                        let want: Vec<String> = want.into_iter().cloned().collect();
                        assert_eq!((page, more), (want, want_more), "{params:?}");
                    }
                }
            }
        }
        let unknown = ListParams {
            limit: 2,
            ascending: true,
            start_after: Some("id1".into()),
            end_before: None,
        };
        assert!(
            paginate_sparse(12, present, position, &unknown).is_none(),
            "a cursor naming an empty position is unknown"
        );
    }

    #[test]
    fn amounts_are_dot_decimals_without_padding() {
        assert_eq!(parse_amount("568.10", Currency::EUR, "amount"), Ok(56810));
        assert_eq!(parse_amount("29", Currency::EUR, "amount"), Ok(2900));
        assert_eq!(parse_amount("29.5", Currency::EUR, "amount"), Ok(2950));
        assert_eq!(render_amount(56810, Currency::EUR), "568.1");
        assert_eq!(render_amount(2900, Currency::EUR), "29");
        assert_eq!(render_amount(5, Currency::EUR), "0.05");
        assert_eq!(render_amount(1500, Currency::JPY), "1500");
        let err = parse_amount("1.234", Currency::EUR, "amount").unwrap_err();
        assert_eq!(err.error_type, "request.validation.invalid-amount");
        assert!(
            parse_amount("0", Currency::EUR, "amount").is_err(),
            "zero is not positive"
        );
        assert!(
            parse_amount("4,99", Currency::EUR, "amount").is_err(),
            "ProcessOut uses a dot"
        );
        assert!(parse_amount("-1", Currency::EUR, "amount").is_err());
    }

    #[test]
    fn currency_must_be_an_upper_case_iso_code() {
        assert_eq!(parse_currency("EUR"), Ok(Currency::EUR));
        assert!(parse_currency("eur").is_err());
        assert!(parse_currency("EURO").is_err());
    }

    #[test]
    fn initiation_fields_take_documented_values_only() {
        assert_eq!(initiation_type("MIT").unwrap(), "mit");
        assert!(initiation_type("moto").is_err());
        assert_eq!(payment_intent("recurring").unwrap(), "recurring");
        assert!(payment_intent("monthly").is_err());
        assert!(merchant_initiator_type("recurring").is_ok());
        assert!(merchant_initiator_type("mit").is_err());
    }

    #[test]
    fn list_parameters_are_bounded() {
        let p = list_params(&query(&[])).unwrap();
        assert_eq!((p.limit, p.ascending), (10, false), "default 10, desc");
        assert!(list_params(&query(&[("limit", "0")])).is_err());
        assert!(list_params(&query(&[("limit", "101")])).is_err());
        assert!(list_params(&query(&[("start_after", "a"), ("end_before", "b")])).is_err());
        assert!(list_params(&query(&[("order", "sideways")])).is_err());
    }

    #[test]
    fn pages_exclude_the_cursor_and_report_more() {
        let items: Vec<String> = (0..25).map(|i| format!("c{i:02}")).collect();
        let position = |c: &str| items.iter().position(|i| i == c);
        let mut params = list_params(&query(&[])).unwrap();
        let (page, more) = paginate(&items, position, &params).unwrap();
        assert_eq!(
            page.first().map(|s| s.as_str()),
            Some("c24"),
            "newest first by default"
        );
        assert!(more);
        params.start_after = Some("c15".into());
        let (page, more) = paginate(&items, position, &params).unwrap();
        assert_eq!(
            page.iter().map(|s| s.as_str()).collect::<Vec<_>>().first(),
            Some(&"c14")
        );
        assert_eq!(page.len(), 10);
        assert!(more, "c04..c00 remain");
        params.start_after = Some("c04".into());
        let (page, more) = paginate(&items, position, &params).unwrap();
        assert_eq!(page.len(), 4);
        assert!(!more);
        params.start_after = None;
        params.end_before = Some("c20".into());
        let (page, more) = paginate(&items, position, &params).unwrap();
        assert_eq!(page.len(), 4, "c24..c21");
        assert!(!more);
        let ids = |page: Vec<&String>| page.into_iter().cloned().collect::<Vec<_>>();
        assert_eq!(ids(page), ["c24", "c23", "c22", "c21"]);
        params.end_before = Some("nope".into());
        assert!(paginate(&items, position, &params).is_none());

        let mut asc = list_params(&query(&[("order", "asc"), ("start_after", "c03")])).unwrap();
        let (page, more) = paginate(&items, position, &asc).unwrap();
        assert_eq!(ids(page).first().map(String::as_str), Some("c04"));
        assert!(more);
        asc.start_after = None;
        asc.end_before = Some("c12".into());
        let (page, more) = paginate(&items, position, &asc).unwrap();
        assert_eq!(
            ids(page),
            (2..12).map(|i| format!("c{i:02}")).collect::<Vec<_>>()
        );
        assert!(more, "c00 and c01 lie before");
        let empty: Vec<String> = Vec::new();
        let (page, more) = paginate(&empty, |_| None, &list_params(&query(&[])).unwrap()).unwrap();
        assert!(page.is_empty() && !more);
    }

    #[test]
    fn test_cards_follow_the_seed_and_the_docs() {
        assert_eq!(card_outcome("4242", Attempt::Capture), CardOutcome::Approve);
        assert!(matches!(
            card_outcome("0341", Attempt::Capture),
            CardOutcome::Decline("card.no-money", _)
        ));
        assert!(matches!(
            card_outcome("0002", Attempt::Capture),
            CardOutcome::Decline("card.stolen", _)
        ));
        assert!(matches!(
            card_outcome("0069", Attempt::Capture),
            CardOutcome::Decline("card.expired", _)
        ));
        assert!(
            matches!(
                card_outcome("0291", Attempt::Capture),
                CardOutcome::Decline("card.revoked", _)
            ),
            "the stop-payment card answers ProcessOut's published revoked-authorization code"
        );
        assert_eq!(card_outcome("0077", Attempt::Capture), CardOutcome::Hang);
        assert_eq!(card_outcome("0019", Attempt::Capture), CardOutcome::Lose);
        assert_eq!(
            card_outcome("0010", Attempt::Authorize),
            CardOutcome::Approve
        );
        assert!(matches!(
            card_outcome("0010", Attempt::Capture),
            CardOutcome::Decline(..)
        ));
        assert_eq!(
            verification_status("1216"),
            "success",
            "passes verification, fails payments"
        );
        assert_eq!(verification_status("0002"), "failed");
    }

    #[test]
    fn card_numbers_are_checked_and_classified() {
        assert!(luhn_ok("4242424242424242"));
        assert!(!luhn_ok("4242424242424241"));
        assert!(!luhn_ok("4242"));
        assert_eq!(scheme_of_number("5555555555554444"), "mastercard");
        assert_eq!(scheme_of_number("378282246310005"), "american-express");
        assert_eq!(scheme_of_number("4000000000000002"), "visa");
    }
}
