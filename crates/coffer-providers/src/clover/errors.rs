//! Clover's status codes and error codes → [`ProviderErrorKind`] (notes §4). Classification is by
//! status and `error.code` only: `error.type` is missing on some live declines and
//! `error.message` may be in the merchant's locale, so neither is ever parsed.

use std::time::Duration;

use coffer_core::ProviderRef;

use super::wire::ErrorBody;
use crate::{ProviderError, ProviderErrorKind};

/// Decline codes after which the card must not be tried again. Only `issuer_declined` has been
/// seen from Clover (a generic decline, which Visa lets a merchant retry); the rest are the
/// gateway's do-not-retry reasons in the spelling of Stripe-shaped APIs such as Clover's.
const HARD_DECLINES: [&str; 10] = [
    "stolen_card",
    "lost_card",
    "pickup_card",
    "restricted_card",
    "fraudulent",
    "invalid_account",
    "card_not_supported",
    "revocation_of_authorization",
    "security_violation",
    "transaction_not_allowed",
];

/// Error codes that say the request itself was wrong: never resend it unchanged (notes §4.2).
const INVALID_REQUEST: [&str; 13] = [
    "invalid_request",
    "token_already_used",
    "amount_too_large",
    "processing_error",
    "card_on_file_missing",
    "charge_already_captured",
    "charge_already_refunded",
    "invalid_key",
    "invalid_details",
    "invalid_number",
    "invalid_expiry_month",
    "invalid_expiry_year",
    "incorrect_number",
];

/// Whether a decline forbids retrying the card.
pub(crate) fn is_hard_decline(code: Option<&str>, decline_code: Option<&str>) -> bool {
    code == Some("expired_card") || decline_code.is_some_and(|d| HARD_DECLINES.contains(&d))
}

fn kind_of_code(
    code: &str,
    decline_code: Option<&str>,
    param: Option<&str>,
) -> Option<ProviderErrorKind> {
    let invalid = || ProviderErrorKind::InvalidRequest {
        field: param.map(str::to_string),
    };
    Some(match code {
        "card_declined" if is_hard_decline(Some(code), decline_code) => {
            ProviderErrorKind::DeclinedHard
        }
        "card_declined" => ProviderErrorKind::DeclinedSoft,
        // An expired card will not be approved until the cardholder gives a new one.
        "expired_card" => ProviderErrorKind::DeclinedHard,
        "resource_missing" => ProviderErrorKind::NotFound,
        "idempotency_error" => ProviderErrorKind::Duplicate,
        "rate_limit" => ProviderErrorKind::RateLimited { retry_after: None },
        c if INVALID_REQUEST.contains(&c)
            || c.starts_with("invalid_")
            || c.starts_with("incorrect_") =>
        {
            invalid()
        }
        _ => return None,
    })
}

/// The kind of a non-2xx answer. `write` says the request was a charge, capture or refund: a
/// 5xx there may have moved money, so it is an unknown outcome rather than "unavailable".
pub(crate) fn classify(status: u16, body: &str, write: bool) -> ProviderError {
    let parsed: ErrorBody = serde_json::from_str(body).unwrap_or_default();
    let detail = parsed.error.unwrap_or_default();
    let decline_code = detail.decline_code_camel.or(detail.decline_code);
    let by_code = detail
        .code
        .as_deref()
        .and_then(|c| kind_of_code(c, decline_code.as_deref(), detail.param.as_deref()));
    let kind = match (status, by_code) {
        (401 | 403, _) => ProviderErrorKind::Auth,
        (429, _) => ProviderErrorKind::RateLimited {
            retry_after: None::<Duration>,
        },
        (500..=599, _) if write => ProviderErrorKind::UnknownOutcome,
        (500..=599, _) => ProviderErrorKind::Unavailable,
        (_, Some(kind)) => kind,
        (402, None) => ProviderErrorKind::DeclinedSoft,
        (404, None) => ProviderErrorKind::NotFound,
        (409, None) => ProviderErrorKind::Duplicate,
        _ => ProviderErrorKind::InvalidRequest {
            field: detail.param.clone(),
        },
    };
    let said = detail
        .message
        .or(parsed.message)
        .unwrap_or_else(|| format!("HTTP {status}"));
    let mut error = ProviderError::new(kind, format!("Clover answered {status}: {said}"));
    if let Some(code) = decline_code.or(detail.code) {
        error = error.with_code(code);
    }
    if let Some(charge) = detail.charge {
        error = error.with_ref(ProviderRef(charge));
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, body: &str) -> ProviderErrorKind {
        classify(status, body, false).kind
    }

    fn coded(code: &str) -> String {
        format!(
            r#"{{"message":"400 Bad Request","error":{{"code":"{code}","param":"amount","message":"x"}}}}"#
        )
    }

    #[test]
    fn the_documented_decline_is_soft_and_carries_its_charge() {
        let error = classify(
            402,
            include_str!("../../tests/fixtures/clover/decline.json"),
            true,
        );
        assert_eq!(error.kind, ProviderErrorKind::DeclinedSoft);
        assert_eq!(
            error.provider_code.as_deref(),
            Some("issuer_declined"),
            "camel-case declineCode is read"
        );
        assert_eq!(
            error.provider_ref.as_ref().map(|r| r.as_str()),
            Some("K3VZ8Q0M2T6YB")
        );
    }

    #[test]
    fn snake_case_decline_code_and_a_400_decline_are_read_too() {
        let body =
            r#"{"error":{"code":"card_declined","decline_code":"stolen_card","charge":"X"}}"#;
        assert_eq!(
            kind(400, body),
            ProviderErrorKind::DeclinedHard,
            "card_declined is a decline whatever the status"
        );
        assert_eq!(
            kind(400, &coded("expired_card")),
            ProviderErrorKind::DeclinedHard
        );
    }

    #[test]
    fn every_documented_code_has_a_kind() {
        let table: [(u16, &str, ProviderErrorKind); 14] = [
            (
                400,
                "token_already_used",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "invalid_request",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "invalid_card_number",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "incorrect_cvc",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "amount_too_large",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "processing_error",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "card_on_file_missing",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "charge_already_captured",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (
                400,
                "charge_already_refunded",
                ProviderErrorKind::InvalidRequest {
                    field: Some("amount".into()),
                },
            ),
            (400, "idempotency_error", ProviderErrorKind::Duplicate),
            (404, "resource_missing", ProviderErrorKind::NotFound),
            (402, "card_declined", ProviderErrorKind::DeclinedSoft),
            (
                429,
                "rate_limit",
                ProviderErrorKind::RateLimited { retry_after: None },
            ),
            (403, "forbidden", ProviderErrorKind::Auth),
        ];
        for (status, code, expected) in table {
            assert_eq!(kind(status, &coded(code)), expected, "{status} {code}");
        }
    }

    #[test]
    fn statuses_without_a_known_code() {
        assert_eq!(
            kind(401, r#"{"message":"401 Unauthorized"}"#),
            ProviderErrorKind::Auth
        );
        assert_eq!(kind(404, ""), ProviderErrorKind::NotFound);
        assert_eq!(
            kind(409, r#"{"message":"409 Conflict"}"#),
            ProviderErrorKind::Duplicate
        );
        assert_eq!(kind(402, "{}"), ProviderErrorKind::DeclinedSoft);
        assert_eq!(
            kind(503, "Service Unavailable"),
            ProviderErrorKind::Unavailable
        );
        assert_eq!(
            classify(502, "", true).kind,
            ProviderErrorKind::UnknownOutcome,
            "a 5xx on a charge may have charged"
        );
        assert_eq!(
            kind(418, "not json"),
            ProviderErrorKind::InvalidRequest { field: None }
        );
    }

    #[test]
    fn messages_keep_the_provider_words_and_code() {
        let error = classify(
            400,
            include_str!("../../tests/fixtures/clover/token_already_used.json"),
            true,
        );
        assert_eq!(error.provider_code.as_deref(), Some("token_already_used"));
        assert!(
            error.message.contains("more than once"),
            "{}",
            error.message
        );
    }
}
