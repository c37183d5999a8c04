//! Clover's status codes and error codes → [`ProviderErrorKind`] (notes §4), and its decline
//! codes → network terms through one table, [`DECLINES`]. Classification is by status,
//! `error.code` and `error.decline_code`/`declineCode` only: `error.type` is missing on some live
//! declines and `error.message` may be in the merchant's locale, so neither is ever parsed.
//!
//! Sources, read 2026-12-04:
//! - <https://docs.clover.com/docs/appendix> ("Error codes from Clover Payment APIs":
//!   `card_declined` "The source provided was declined by the payment gateway", `expired_card`…);
//! - <https://docs.clover.com/dev/docs/ecommerce-error-codes> ("API and iframe errors":
//!   `card_declined` → "allow the customer to enter a different card and retry");
//! - <https://docs.clover.com/dev/docs/ecommerce-api-response-codes-descriptions> (`decline_code`
//!   "indicates a card issuer declined the transaction, including the reason if specified by the
//!   issuer"; no list of values is published).
//!
//! Clover publishes no list of `decline_code` values and returns no network response code and no
//! Mastercard advice code (no such field on the charge or the error in those pages nor in Clover's
//! WooCommerce plugin `clover-payments-for-woocommerce`, `WOO_CLV_ERRORMAPPER`, which maps only
//! `error.code`). The one value seen live is `issuer_declined` (notes §4.1). So the table says
//! what each code implies, and the rows in the Stripe spelling that Clover's Stripe-shaped error
//! body (`decline_code`, `doc_url`, `type`) suggests are **Coffer's choice**, not Clover's list:
//! they make a Clover that passes such a reason on act on it.
//!
//! What is assumed when nothing is known (`card_declined` with no `decline_code`, or one not in
//! the table, like `issuer_declined`): a soft decline in Visa category 4, the generic one
//! ([`DeclineMeaning::UNKNOWN_SOFT`]) — Clover's own advice is only "use a different card", which
//! says nothing about this card's future, and the networks' limits still bound the retries.

use std::time::Duration;

use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
use coffer_core::ProviderRef;

use super::wire::ErrorBody;
use crate::error::Decline;
use crate::{ProviderError, ProviderErrorKind};

use VisaCategory::{DataQuality as CAT3, Generic as CAT4, NeverApprove as CAT1, NotNow as CAT2};

/// Clover's decline codes and what each implies. Source per row: [CLOVER] the pages above;
/// [CHOICE] Coffer's choice in the Stripe spelling (see the module docs).
pub(crate) const DECLINES: &[(&str, DeclineMeaning)] = &[
    // [CLOVER] the one decline_code seen live: a generic issuer decline.
    ("issuer_declined", DeclineMeaning::UNKNOWN_SOFT),
    // [CLOVER] an error code: the card's date is past; a new card is needed.
    ("expired_card", DeclineMeaning::hard(CAT3)),
    // [CHOICE] soft reasons.
    ("do_not_honor", DeclineMeaning::soft(CAT4)),
    ("generic_decline", DeclineMeaning::soft(CAT4)),
    ("insufficient_funds", DeclineMeaning::soft(CAT2)),
    ("try_again_later", DeclineMeaning::soft(CAT2)),
    // [CHOICE] do-not-retry reasons.
    ("stolen_card", DeclineMeaning::hard(CAT1)),
    ("lost_card", DeclineMeaning::hard(CAT1)),
    ("pickup_card", DeclineMeaning::hard(CAT1)),
    ("invalid_account", DeclineMeaning::hard(CAT1)),
    ("transaction_not_allowed", DeclineMeaning::hard(CAT1)),
    ("do_not_try_again", DeclineMeaning::hard(CAT1)),
    ("restricted_card", DeclineMeaning::hard(CAT2)),
    ("fraudulent", DeclineMeaning::hard(CAT2)),
    ("card_not_supported", DeclineMeaning::hard(CAT4)),
    ("security_violation", DeclineMeaning::hard(CAT4)),
    // [CHOICE] the cardholder's stop-payment orders (Visa R0, R1, R3): the contract ends.
    ("stop_payment_order", DeclineMeaning::STOP_PAYMENT),
    ("revocation_of_authorization", DeclineMeaning::STOP_PAYMENT),
    (
        "revocation_of_all_authorizations",
        DeclineMeaning::STOP_PAYMENT,
    ),
];

/// What a Clover decline code (or `expired_card`) means; the stated assumption for any other.
pub(crate) fn decline_meaning(code: &str) -> DeclineMeaning {
    DECLINES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, meaning)| *meaning)
        .unwrap_or(DeclineMeaning::UNKNOWN_SOFT)
}

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

/// The table's reading of a decline: its `decline_code` when given, else its `code`.
fn meaning_of(code: Option<&str>, decline_code: Option<&str>) -> DeclineMeaning {
    decline_meaning(decline_code.or(code).unwrap_or_default())
}

/// Whether a decline forbids retrying the card.
pub(crate) fn is_hard_decline(code: Option<&str>, decline_code: Option<&str>) -> bool {
    meaning_of(code, decline_code).hard
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
    let mut error = ProviderError::new(kind.clone(), format!("Clover answered {status}: {said}"));
    if kind.is_decline() {
        let meaning = meaning_of(detail.code.as_deref(), decline_code.as_deref());
        error = error.with_decline(Decline::from_table(meaning));
    }
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

    #[test]
    fn every_decline_code_in_the_table_maps_to_its_kind_and_a_stop_payment_is_hard() {
        for (code, meaning) in DECLINES {
            let body = format!(r#"{{"error":{{"code":"card_declined","declineCode":"{code}"}}}}"#);
            let error = classify(402, &body, true);
            let expected = if meaning.hard {
                ProviderErrorKind::DeclinedHard
            } else {
                ProviderErrorKind::DeclinedSoft
            };
            assert_eq!(error.kind, expected, "{code}");
            assert_eq!(
                error.decline.as_ref().map(|d| d.meaning),
                Some(*meaning),
                "{code}: the table's reading travels with the error"
            );
            assert!(!meaning.stop_payment || meaning.hard, "{code}");
        }
    }

    #[test]
    fn a_decline_without_a_known_reason_is_the_stated_assumption() {
        let error = classify(402, r#"{"error":{"code":"card_declined"}}"#, true);
        assert_eq!(error.kind, ProviderErrorKind::DeclinedSoft);
        assert_eq!(
            error.decline.map(|d| d.meaning),
            Some(DeclineMeaning::UNKNOWN_SOFT),
            "Clover gives no reason: soft, Visa's generic category 4"
        );
        assert_eq!(
            decline_meaning("issuer_declined"),
            DeclineMeaning::UNKNOWN_SOFT,
            "the one code seen live names no reason either"
        );
        assert!(
            classify(400, &coded("token_already_used"), true)
                .decline
                .is_none(),
            "only declines carry a decline reading"
        );
    }
}
