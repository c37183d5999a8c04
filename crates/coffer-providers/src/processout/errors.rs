//! ProcessOut's status codes and `error_type`s → [`ProviderErrorKind`].
//!
//! ProcessOut normalises every PSP's decline into a `card.*` (or `payment.`/`gateway.`) code and
//! answers a declined payment with HTTP 410. The notes split the documented codes into soft
//! declines (retry later) and hard ones (never retry); an unknown decline code is a soft decline,
//! because ProcessOut says the list grows and a wrong "never retry" would lose a customer.

use crate::error::{ProviderError, ProviderErrorKind};

use super::wire::ErrorBody;

/// Declines that may succeed later.
const SOFT: &[&str] = &[
    "payment.declined",
    "gateway.declined",
    "card.needs-authentication",
    "card.declined",
    "card.do-not-honor",
    "card.no-action-taken",
    "card.please-retry",
    "card.security-violation",
    "card.acquirer-failed",
    "card.issuer-failed",
    "card.processing-error",
    "card.issuer-down",
    "card.maximum-attempts",
    "card.contact-bank",
    "card.exceeded-limits",
    "card.exceeded-withdrawal-limit",
    "card.exceeded-activity-limits",
    "card.no-money",
    "card.possible-fraud",
    "card.duplicate",
    "card.issuer-not-found",
    "card.network-failed",
    "card.not-supported",
    "card.currency-unsupported",
    "card.type-not-supported",
    "card.not-activated",
];

/// Declines that must never be retried on the same card.
const HARD: &[&str] = &[
    "card.expired",
    "card.invalid",
    "card.invalid-number",
    "card.invalid-pin",
    "card.invalid-name",
    "card.invalid-expiry-date",
    "card.invalid-expiry-month",
    "card.invalid-expiry-year",
    "card.invalid-zip",
    "card.invalid-address",
    "card.missing-cvc",
    "card.missing-expiry",
    "card.missing-number",
    "card.missing-3ds",
    "card.failed-cvc",
    "card.failed-avs",
    "card.failed-avs-postal",
    "card.unsupported-3ds",
    "card.failed-3ds",
    "card.expired-3ds",
    "card.failed-avs-address",
    "card.failed-cvc-and-avs",
    "card.bad-track-data",
    "card.not-authorized",
    "card.not-registered",
    "card.stolen",
    "card.lost",
    "card.dont-retry",
    "card.invalid-account",
    "card.revoked",
    "card.revoked-all",
    "card.test",
    "card.blacklisted",
    // Blocked for 30 days after a Mastercard "03 Do Not Retry" advice.
    "request.transaction-blocked",
];

/// Whether a decline code means "never retry this card".
pub(crate) fn is_hard_decline(code: &str) -> bool {
    HARD.contains(&code)
}

fn is_decline_code(code: &str) -> bool {
    code.starts_with("card.") || SOFT.contains(&code) || HARD.contains(&code)
}

/// The kind of failure for an HTTP status and ProcessOut `error_type`. `write` says whether the
/// call may have changed something, which turns an ambiguous server failure into an unknown
/// outcome instead of "unavailable".
pub(crate) fn kind_of(status: u16, error_type: &str, write: bool) -> ProviderErrorKind {
    if status == 401 || status == 403 || error_type.starts_with("request.authentication") {
        return ProviderErrorKind::Auth;
    }
    if status == 429 {
        return ProviderErrorKind::RateLimited { retry_after: None };
    }
    if status == 410 || is_decline_code(error_type) {
        return if is_hard_decline(error_type) {
            ProviderErrorKind::DeclinedHard
        } else {
            ProviderErrorKind::DeclinedSoft
        };
    }
    // ProcessOut answers some unknown ids with 400 (PUT on a token of an unknown customer).
    if status == 404 || (error_type.starts_with("resource.") && error_type.ends_with(".not-found"))
    {
        return ProviderErrorKind::NotFound;
    }
    // A reused key with another body, or a request with the same key still in progress: an
    // earlier send of this attempt arrived. Look it up; never a failure.
    if status == 409 || error_type.contains("idempotency") {
        return ProviderErrorKind::Duplicate;
    }
    if (400..500).contains(&status) {
        return ProviderErrorKind::InvalidRequest {
            field: field_of(error_type),
        };
    }
    // A 5xx, a proxy's 502/503/504 included, does not prove the write was not processed; a
    // read changed nothing and may be asked again.
    if write {
        ProviderErrorKind::UnknownOutcome
    } else {
        ProviderErrorKind::Unavailable
    }
}

/// `request.validation.invalid-capture-amount` names the field `capture_amount`.
fn field_of(error_type: &str) -> Option<String> {
    error_type
        .strip_prefix("request.validation.invalid-")
        .filter(|f| !f.is_empty())
        .map(|f| f.replace('-', "_"))
}

/// The error for a non-success answer. The body may not be JSON (a proxy's 503 page).
pub(crate) fn from_answer(status: u16, body: &str, write: bool) -> ProviderError {
    let parsed: ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let error_type = parsed.error_type.unwrap_or_default();
    let kind = kind_of(status, &error_type, write);
    let message = match parsed.message.filter(|m| !m.is_empty()) {
        Some(m) => format!("ProcessOut: {m}"),
        None => format!("ProcessOut answered HTTP {status}"),
    };
    let error = ProviderError::new(kind, message);
    if error_type.is_empty() {
        error
    } else {
        error.with_code(error_type)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_decline_code_has_one_kind() {
        for code in SOFT {
            assert_eq!(
                kind_of(410, code, true),
                ProviderErrorKind::DeclinedSoft,
                "{code} is soft"
            );
            assert!(!HARD.contains(code), "{code} is listed twice");
        }
        for code in HARD {
            assert_eq!(
                kind_of(410, code, true),
                ProviderErrorKind::DeclinedHard,
                "{code} is hard"
            );
        }
    }

    #[test]
    fn unknown_decline_codes_are_soft_declines() {
        assert_eq!(
            kind_of(410, "card.something-new", true),
            ProviderErrorKind::DeclinedSoft
        );
        assert_eq!(
            kind_of(410, "", true),
            ProviderErrorKind::DeclinedSoft,
            "410 alone is a decline"
        );
    }

    #[test]
    fn documented_request_errors_map_by_status_and_type() {
        let table: &[(u16, &str, bool, ProviderErrorKind)] = &[
            (
                401,
                "request.authentication.invalid",
                false,
                ProviderErrorKind::Auth,
            ),
            (
                400,
                "request.validation.invalid-amount",
                true,
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "request.validation.invalid-ip-address",
                true,
                ProviderErrorKind::InvalidRequest {
                    field: Some("ip_address".into()),
                },
            ),
            (
                400,
                "request.source.not-chargeable",
                true,
                ProviderErrorKind::InvalidRequest { field: None },
            ),
            (
                404,
                "resource.customer.not-found",
                false,
                ProviderErrorKind::NotFound,
            ),
            (
                404,
                "resource.token.not-found",
                false,
                ProviderErrorKind::NotFound,
            ),
            (
                404,
                "resource.invoice.not-found",
                false,
                ProviderErrorKind::NotFound,
            ),
            (
                404,
                "resource.transaction.not-found",
                false,
                ProviderErrorKind::NotFound,
            ),
            (
                400,
                "resource.customer.not-found",
                true,
                ProviderErrorKind::NotFound,
            ),
            (
                409,
                "request.idempotency-key.reused",
                true,
                ProviderErrorKind::Duplicate,
            ),
            (
                429,
                "",
                true,
                ProviderErrorKind::RateLimited { retry_after: None },
            ),
            (503, "", true, ProviderErrorKind::UnknownOutcome),
            (502, "", true, ProviderErrorKind::UnknownOutcome),
            (503, "", false, ProviderErrorKind::Unavailable),
            (500, "", false, ProviderErrorKind::Unavailable),
            (500, "", true, ProviderErrorKind::UnknownOutcome),
            (504, "", true, ProviderErrorKind::UnknownOutcome),
            (
                409,
                "request.idempotency-key.in-progress",
                true,
                ProviderErrorKind::Duplicate,
            ),
            (
                400,
                "request.transaction-blocked",
                true,
                ProviderErrorKind::DeclinedHard,
            ),
        ];
        for (status, code, write, kind) in table {
            assert_eq!(&kind_of(*status, code, *write), kind, "{status} {code}");
        }
    }

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/tests/fixtures/processout/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(path).unwrap()
    }

    #[test]
    fn the_documented_refund_error_names_the_amount() {
        let e = from_answer(400, &fixture("refund_nothing_left.json"), true);
        assert_eq!(
            e.kind,
            ProviderErrorKind::InvalidRequest {
                field: Some("amount".into())
            }
        );
        assert!(e.message.contains("No amount is available"));
    }

    #[test]
    fn the_error_keeps_the_code_and_the_message() {
        let e = from_answer(410, &fixture("decline_do_not_honor.json"), true);
        assert_eq!(e.kind, ProviderErrorKind::DeclinedSoft);
        assert_eq!(e.provider_code.as_deref(), Some("card.do-not-honor"));
        assert!(e.message.contains("do-not-honor error"), "{}", e.message);
        let plain = from_answer(503, "Service Unavailable", false);
        assert_eq!(
            plain.kind,
            ProviderErrorKind::Unavailable,
            "a proxy's 503 to a read changed nothing"
        );
        assert_eq!(plain.provider_code, None);
        assert_eq!(
            from_answer(503, "Service Unavailable", true).kind,
            ProviderErrorKind::UnknownOutcome,
            "a proxy's 503 to a write does not prove the write was not processed"
        );
    }
}
