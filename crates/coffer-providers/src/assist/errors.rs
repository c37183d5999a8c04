//! Assist's answers sorted into [`ProviderErrorKind`]s, read in the documented order
//! (assist.md §4): HTTP status and a parseable body, then the `firstcode`/`secondcode`
//! web-service pair (§4.3), then the order state (§4.2) and the operation's `responsecode`
//! (§4.1). The tables are the notes' "Coffer action" columns.
//!
//! Declines and network terms ([`DECLINES`]). Sources, read 2026-12-04: the AS codes of
//! `KudryavtsevSergey/laravel-belassist` `src/Enum/ResponseCodeEnum.php` (AS000–AS998, the same
//! list as assist.md §4.1 from docs.belassist.by), and the orderresult page
//! <https://eng.docs.belassist.by/pages/diffpages.action?originalId=116032577&pageId=116032578>,
//! whose newer versions add `merchantadvicecode` (scheme decline advice) and `errorcategory` to an
//! order. Assist returns no network response code. Its AS codes imply a Visa category by their
//! words (AS102 insufficient funds ↔ 51 → 2; AS104 expiry ↔ 54 → 3; AS108 fraud ↔ 59 → 2); none
//! names a stop-payment order, so only a Mastercard advice code 21 in `merchantadvicecode` ends a
//! contract ([`from_order_code`]), and an order's `errorcategory` (Visa's decline category) replaces
//! the implied category ([`visa_category`]). Assumed when nothing is known: an unknown code is a
//! **hard** decline in category 4 (assist.md §4.1: "any other unknown code as a decline"; hard so
//! that nothing retries a code nobody has read) — stricter than the other providers, whose lists
//! are longer and say unknown codes are declines to be retried.

use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
use reqwest::StatusCode;

use crate::error::{Decline, ProviderError, ProviderErrorKind};

/// What Assist's decline `responsecode`s imply in network terms; the hard flags agree with
/// [`classify`] (a test holds them together).
pub(crate) const DECLINES: &[(&str, DeclineMeaning)] = &[
    ("AS100", DeclineMeaning::soft(VisaCategory::Generic)),
    ("AS101", DeclineMeaning::hard(VisaCategory::DataQuality)),
    ("AS102", DeclineMeaning::soft(VisaCategory::NotNow)),
    ("AS104", DeclineMeaning::hard(VisaCategory::DataQuality)),
    ("AS105", DeclineMeaning::soft(VisaCategory::NotNow)),
    ("AS106", DeclineMeaning::hard(VisaCategory::DataQuality)),
    ("AS108", DeclineMeaning::hard(VisaCategory::NotNow)),
    ("AS109", DeclineMeaning::hard(VisaCategory::Generic)),
    ("AS110", DeclineMeaning::hard(VisaCategory::Generic)),
];

/// The stated assumption for a decline code the table does not hold: hard, category 4.
pub(crate) const UNKNOWN_DECLINE: DeclineMeaning = DeclineMeaning::hard(VisaCategory::Generic);

/// What an Assist decline code means; [`UNKNOWN_DECLINE`] for any other.
pub(crate) fn decline_meaning(code: &str) -> DeclineMeaning {
    DECLINES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, meaning)| *meaning)
        .unwrap_or(UNKNOWN_DECLINE)
}

/// Which call answered, because one code means different things to a write and a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Call {
    /// tokenpay.cfm: money may move.
    Charge,
    /// rp.cfm: money may move, and the initial order's limits apply (§3.3).
    Recurring,
    /// wscancel.cfm.
    Refund,
    /// orderresult.cfm, token.cfm: nothing changes.
    Read,
}

impl Call {
    fn writes(self) -> bool {
        self != Call::Read
    }
}

/// What a `responsecode` means for Coffer (assist.md §4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodeClass {
    Success,
    DeclinedSoft,
    DeclinedHard,
    /// The payment may or may not have happened: look it up (AS107, AS200, AS998).
    Unknown,
    /// Still being processed (AS300).
    Pending,
    /// No payment with such parameters (AS400).
    NotFound,
}

/// The §4.1 table. Any `AS0xx` is a success of that operation; an unknown code is a decline,
/// taken as hard so that nothing retries a code nobody has read.
pub(crate) fn classify(code: &str) -> CodeClass {
    match code {
        "AS100" | "AS102" | "AS105" => CodeClass::DeclinedSoft,
        "AS101" | "AS104" | "AS106" | "AS108" | "AS109" | "AS110" => CodeClass::DeclinedHard,
        "AS107" | "AS200" | "AS998" => CodeClass::Unknown,
        "AS300" => CodeClass::Pending,
        "AS400" => CodeClass::NotFound,
        c if c.len() == 5 && c.starts_with("AS0") && c[3..].bytes().all(|b| b.is_ascii_digit()) => {
            CodeClass::Success
        }
        _ => CodeClass::DeclinedHard,
    }
}

/// Words for the codes whose message the provider may leave out.
pub(crate) fn code_text(code: &str) -> &'static str {
    match code {
        "AS100" => "authorization declined",
        "AS101" => "wrong card parameters; the card must be replaced",
        "AS102" => "insufficient funds",
        "AS104" => "wrong or expired card expiry date",
        "AS105" => "card limit exceeded",
        "AS106" => "wrong PIN",
        "AS107" => "error receiving data",
        "AS108" => "fraud suspicion; never retry automatically",
        "AS109" => "Assist operation limit exceeded",
        "AS110" => "3-D Secure authentication required: the cardholder must be present",
        "AS200" => "repeat the authorization",
        "AS300" => "operation in progress",
        "AS400" => "no payment with such parameters",
        "AS998" => "Assist system error",
        _ => "declined",
    }
}

/// The error for a declined or undecided payment `code`.
pub(crate) fn from_code(code: &str, message: Option<&str>) -> ProviderError {
    let kind = match classify(code) {
        CodeClass::DeclinedSoft => ProviderErrorKind::DeclinedSoft,
        CodeClass::Unknown | CodeClass::Pending | CodeClass::Success => {
            ProviderErrorKind::UnknownOutcome
        }
        CodeClass::NotFound => ProviderErrorKind::NotFound,
        CodeClass::DeclinedHard => ProviderErrorKind::DeclinedHard,
    };
    let words = message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or(code_text(code));
    let decline = kind.is_decline();
    let error = ProviderError::new(kind, format!("Assist: {words}")).with_code(code);
    if decline {
        error.with_decline(Decline::from_table(decline_meaning(code)))
    } else {
        error
    }
}

/// Visa's decline category in an order's `errorcategory`. The orderresult page
/// (eng.docs.belassist.by pageId=116032578, `tests/published/assist/orderresult_errorcategory.txt`)
/// describes the field as "the category of responses to unsuccessful payments, received from
/// VISA": Visa's four categories, 1 (the issuer will never approve), 2 (cannot approve at this
/// time), 3 (data quality), 4 (generic). The page lists no values, so anything but a number 1–4
/// is read as no category (our choice: a field we cannot read must not change a decline).
pub(crate) fn visa_category(error_category: Option<&str>) -> Option<VisaCategory> {
    match error_category?.trim() {
        "1" => Some(VisaCategory::NeverApprove),
        "2" => Some(VisaCategory::NotNow),
        "3" => Some(VisaCategory::DataQuality),
        "4" => Some(VisaCategory::Generic),
        _ => None,
    }
}

/// [`from_code`] with the order's scheme signals, where Assist returned them:
/// - `merchantadvicecode`: Mastercard's MAC 03 or 21 makes the decline hard (21 also ends the
///   contract) whatever the AS code says;
/// - `errorcategory` ([`visa_category`]): Visa's own category replaces the one the AS code
///   implies, and category 1 ("will never approve", never retried under Visa's rules) makes
///   the decline hard. Categories 2–4 allow retries under Visa's limits but never soften an AS
///   code the table reads as hard: the stricter reading stands.
///
/// `mod.rs` builds every declined payment answer with it; `convert.rs` reads a looked-up
/// order's hardness through it.
pub(crate) fn from_order_code(
    code: &str,
    message: Option<&str>,
    merchant_advice_code: Option<&str>,
    error_category: Option<&str>,
) -> ProviderError {
    let error = from_code(code, message);
    if !error.kind.is_decline() {
        return error;
    }
    let mut error = error.with_network_codes(None, merchant_advice_code.map(str::to_string));
    if let (Some(category), Some(decline)) = (visa_category(error_category), error.decline.as_mut())
    {
        decline.meaning.visa_category = category;
        if category == VisaCategory::NeverApprove {
            decline.meaning.hard = true;
        }
        error.message = format!(
            "{} (Visa decline category {})",
            error.message,
            category.number()
        );
    }
    if error.decline.as_ref().is_some_and(|d| d.is_hard()) {
        error.kind = ProviderErrorKind::DeclinedHard;
    }
    error
}

/// The parameter a `secondcode` names (assist.md §4.3).
pub(crate) fn subject(secondcode: u16) -> Option<&'static str> {
    Some(match secondcode {
        100 => "Merchant_ID",
        101 => "Login",
        102 => "Password",
        103 => "Format",
        104 => "date",
        105 => "Currency",
        107 => "OrderNumber",
        108 => "Amount",
        109 => "Delay",
        129 => "Start*",
        130 => "End*",
        141 => "Login/Password",
        143 => "BillNumber",
        200 => "merchant",
        201 => "order",
        301 => "refund",
        306 => "payment",
        308 => "cancel",
        320 => "recurring payment",
        _ => return None,
    })
}

fn firstcode_text(firstcode: u16) -> &'static str {
    match firstcode {
        1 => "error",
        2 => "internal error",
        3 => "missing required parameter",
        4 => "format error",
        5 => "invalid value",
        6 => "wrong system version",
        7 => "authentication error",
        8 => "authorization error",
        9 => "encryption error",
        10 => "object missing",
        11 => "duplicate object",
        12 => "object locked",
        14 => "object prohibited",
        15 => "operation prohibited",
        16 => "operation timed out",
        17 => "limits error",
        18 => "fraud suspicion",
        19 => "access denied",
        20 => "3-D Secure error",
        21 => "operation rejected",
        _ => "unknown error",
    }
}

/// A non-zero `firstcode`/`secondcode` pair as an error (assist.md §4.3 "Coffer mapping").
pub(crate) fn web_service(call: Call, firstcode: u16, secondcode: u16) -> ProviderError {
    let field = subject(secondcode);
    let kind = match (firstcode, secondcode) {
        (_, 3) => ProviderErrorKind::RateLimited { retry_after: None },
        (7 | 8 | 19, _) => ProviderErrorKind::Auth,
        // The recurring limits of the initial order (§3.3): the request broke the series' terms,
        // which is refused in the current state and never retried unchanged, but says nothing
        // against the card itself, so it must not block the card the way an issuer's hard
        // decline does.
        (5, 105 | 108) | (15 | 21, 320) if call == Call::Recurring => {
            ProviderErrorKind::InvalidRequest {
                field: Some(
                    match secondcode {
                        105 => "Currency",
                        108 => "Amount",
                        _ => "RecurringPeriod",
                    }
                    .to_string(),
                ),
            }
        }
        (3..=6, _) | (9, _) => ProviderErrorKind::InvalidRequest {
            field: field.map(str::to_string),
        },
        (10, _) => ProviderErrorKind::NotFound,
        (11, _) => ProviderErrorKind::Duplicate,
        (14 | 15 | 21, _) if matches!(call, Call::Charge | Call::Recurring) => {
            ProviderErrorKind::DeclinedHard
        }
        (14 | 15 | 21, _) => ProviderErrorKind::InvalidRequest {
            field: field.map(str::to_string),
        },
        (17, _) => ProviderErrorKind::DeclinedSoft,
        (18 | 20, _) => ProviderErrorKind::DeclinedHard,
        // 1, 2, 16 and anything unlisted: a write may have been applied, a read may be retried.
        _ if call.writes() => ProviderErrorKind::UnknownOutcome,
        _ => ProviderErrorKind::Unavailable,
    };
    let about = field.map(|f| format!(" ({f})")).unwrap_or_default();
    ProviderError::new(
        kind,
        format!("Assist web service: {}{about}", firstcode_text(firstcode)),
    )
    .with_code(format!("{firstcode}/{secondcode}"))
}

/// An HTTP status other than 200 (Assist answers 200 for every processed request; anything
/// else came from something in front of it).
pub(crate) fn http_status(call: Call, status: StatusCode) -> ProviderError {
    let kind = match status.as_u16() {
        401 | 403 => ProviderErrorKind::Auth,
        // A wrong path or host never reached a service: nothing happened.
        404 | 405 => ProviderErrorKind::InvalidRequest {
            field: Some("base_url".into()),
        },
        500..=599 if call.writes() => ProviderErrorKind::UnknownOutcome,
        500..=599 => ProviderErrorKind::Unavailable,
        _ => ProviderErrorKind::InvalidRequest { field: None },
    };
    ProviderError::new(kind, format!("Assist answered HTTP {status}"))
        .with_code(status.as_u16().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_responsecode_has_a_class() {
        let table = [
            ("AS000", CodeClass::Success),
            ("AS001", CodeClass::Success),
            ("AS010", CodeClass::Success),
            ("AS011", CodeClass::Success),
            ("AS020", CodeClass::Success),
            ("AS100", CodeClass::DeclinedSoft),
            ("AS101", CodeClass::DeclinedHard),
            ("AS102", CodeClass::DeclinedSoft),
            ("AS104", CodeClass::DeclinedHard),
            ("AS105", CodeClass::DeclinedSoft),
            ("AS106", CodeClass::DeclinedHard),
            ("AS107", CodeClass::Unknown),
            ("AS108", CodeClass::DeclinedHard),
            ("AS109", CodeClass::DeclinedHard),
            ("AS110", CodeClass::DeclinedHard),
            ("AS200", CodeClass::Unknown),
            ("AS300", CodeClass::Pending),
            ("AS400", CodeClass::NotFound),
            ("AS998", CodeClass::Unknown),
            ("AS555", CodeClass::DeclinedHard),
            ("AS0X1", CodeClass::DeclinedHard),
        ];
        for (code, class) in table {
            assert_eq!(classify(code), class, "{code}");
        }
        let soft = from_code("AS102", None);
        assert_eq!(soft.kind, ProviderErrorKind::DeclinedSoft);
        assert_eq!(soft.provider_code.as_deref(), Some("AS102"));
        assert!(
            soft.message.contains("insufficient funds"),
            "{}",
            soft.message
        );
        assert_eq!(
            from_code("AS998", Some("")).kind,
            ProviderErrorKind::UnknownOutcome
        );
    }

    #[test]
    fn web_service_pairs_map_by_call() {
        use ProviderErrorKind as K;
        let field = |f: &str| K::InvalidRequest {
            field: Some(f.into()),
        };
        let table = [
            (Call::Read, 7, 141, K::Auth),
            (Call::Charge, 7, 100, K::Auth),
            (Call::Read, 8, 0, K::Auth),
            (Call::Read, 19, 0, K::Auth),
            (Call::Charge, 3, 107, field("OrderNumber")),
            (Call::Charge, 4, 108, field("Amount")),
            (Call::Refund, 5, 105, field("Currency")),
            (Call::Read, 6, 103, field("Format")),
            (Call::Read, 9, 0, K::InvalidRequest { field: None }),
            (Call::Recurring, 5, 108, field("Amount")),
            (Call::Recurring, 5, 105, field("Currency")),
            (Call::Recurring, 15, 320, field("RecurringPeriod")),
            (Call::Recurring, 10, 143, K::NotFound),
            (Call::Read, 10, 201, K::NotFound),
            (Call::Charge, 11, 107, K::Duplicate),
            (Call::Refund, 11, 301, K::Duplicate),
            (Call::Charge, 15, 306, K::DeclinedHard),
            (Call::Refund, 15, 308, field("cancel")),
            (Call::Charge, 17, 0, K::DeclinedSoft),
            (Call::Read, 17, 3, K::RateLimited { retry_after: None }),
            (Call::Charge, 18, 0, K::DeclinedHard),
            (Call::Charge, 20, 402, K::DeclinedHard),
            (Call::Charge, 2, 1, K::UnknownOutcome),
            (Call::Charge, 16, 306, K::UnknownOutcome),
            (Call::Read, 2, 1, K::Unavailable),
            (Call::Read, 16, 0, K::Unavailable),
            (Call::Read, 12, 201, K::Unavailable),
            (Call::Refund, 1, 0, K::UnknownOutcome),
        ];
        for (call, first, second, kind) in table {
            let e = web_service(call, first, second);
            assert_eq!(e.kind, kind, "{call:?} {first}/{second}");
            assert_eq!(e.provider_code, Some(format!("{first}/{second}")));
        }
    }

    #[test]
    fn http_statuses_outside_200_are_sorted_by_call() {
        assert_eq!(
            http_status(Call::Charge, StatusCode::BAD_GATEWAY).kind,
            ProviderErrorKind::UnknownOutcome
        );
        assert_eq!(
            http_status(Call::Read, StatusCode::SERVICE_UNAVAILABLE).kind,
            ProviderErrorKind::Unavailable
        );
        assert_eq!(
            http_status(Call::Read, StatusCode::FORBIDDEN).kind,
            ProviderErrorKind::Auth
        );
        assert_eq!(
            http_status(Call::Charge, StatusCode::NOT_FOUND).kind,
            ProviderErrorKind::InvalidRequest {
                field: Some("base_url".into())
            }
        );
    }

    #[test]
    fn the_decline_table_and_the_classes_agree_on_hard_and_soft() {
        for (code, meaning) in DECLINES {
            let error = from_code(code, None);
            let expected = if meaning.hard {
                ProviderErrorKind::DeclinedHard
            } else {
                ProviderErrorKind::DeclinedSoft
            };
            assert_eq!(error.kind, expected, "{code}");
            assert_eq!(error.decline.map(|d| d.meaning), Some(*meaning), "{code}");
        }
        let unknown = from_code("AS777", None);
        assert_eq!(
            unknown.kind,
            ProviderErrorKind::DeclinedHard,
            "the stated assumption: nothing retries a code nobody has read"
        );
        assert_eq!(unknown.decline.map(|d| d.meaning), Some(UNKNOWN_DECLINE));
    }

    #[test]
    fn a_mastercard_cancellation_in_merchantadvicecode_makes_a_soft_code_hard_and_ends_the_contract(
    ) {
        let error = from_order_code("AS100", None, Some("21"), None);
        assert_eq!(
            error.kind,
            ProviderErrorKind::DeclinedHard,
            "MAC 21 forbids a retry whatever the AS code"
        );
        let stop = error
            .decline
            .as_ref()
            .and_then(|d| d.never_retry(&coffer_core::CardBrand::Mastercard))
            .expect("MAC 21 is the cardholder's cancellation");
        assert!(stop.stops_contract);
        let plain = from_order_code("AS102", None, Some("24"), None);
        assert_eq!(
            plain.kind,
            ProviderErrorKind::DeclinedSoft,
            "MAC 24 (retry after 1 hour) forbids nothing"
        );
        assert_eq!(
            from_order_code("AS300", None, Some("21"), None).kind,
            ProviderErrorKind::UnknownOutcome,
            "an undecided answer stays undecided"
        );
    }

    #[test]
    fn visas_errorcategory_replaces_the_implied_category_and_1_makes_a_decline_hard() {
        // AS100 alone: soft, Visa category 4 by the table.
        let plain = from_order_code("AS100", None, None, None);
        assert_eq!(plain.kind, ProviderErrorKind::DeclinedSoft);
        let never = from_order_code("AS100", None, None, Some("1"));
        assert_eq!(
            never.kind,
            ProviderErrorKind::DeclinedHard,
            "Visa category 1: the issuer will never approve, so it is never retried"
        );
        let decline = never.decline.as_ref().unwrap();
        assert_eq!(decline.meaning.visa_category, VisaCategory::NeverApprove);
        assert!(
            never.message.contains("Visa decline category 1"),
            "{}",
            never.message
        );
        let later = from_order_code("AS100", None, None, Some(" 2 "));
        assert_eq!(later.kind, ProviderErrorKind::DeclinedSoft);
        assert_eq!(
            later.decline.as_ref().unwrap().meaning.visa_category,
            VisaCategory::NotNow,
            "Visa's own category counts under its retry limits"
        );
        let stays_hard = from_order_code("AS104", None, None, Some("2"));
        assert_eq!(
            stays_hard.kind,
            ProviderErrorKind::DeclinedHard,
            "a category never softens an AS code the table reads as hard"
        );
        for odd in ["", "0", "5", "R1", "category"] {
            let e = from_order_code("AS102", None, None, Some(odd));
            assert_eq!(e.kind, ProviderErrorKind::DeclinedSoft, "{odd}");
            assert_eq!(
                e.decline.as_ref().unwrap().meaning.visa_category,
                VisaCategory::NotNow,
                "an unreadable category leaves the table's reading: {odd}"
            );
        }
        assert_eq!(
            from_order_code("AS300", None, None, Some("1")).kind,
            ProviderErrorKind::UnknownOutcome,
            "an undecided order stays undecided whatever its category"
        );
    }
}
