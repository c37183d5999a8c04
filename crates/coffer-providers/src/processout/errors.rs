//! ProcessOut's status codes and `error_type`s → [`ProviderErrorKind`], and its decline codes →
//! network terms through one table, [`DECLINES`].
//!
//! ProcessOut normalises every PSP's decline into a `card.*` (or `payment.`/`gateway.`/
//! `customer.`) code and answers a declined payment with HTTP 410. It returns no network
//! response code and no Mastercard advice code (no such field on `Transaction` or
//! `TransactionOperation` in `processout/processout-go` @263e072, `transaction.go`,
//! `transaction_operation.go`, read 2026-12-04); the one scheme signal it names is
//! `request.transaction-blocked`, which it answers after Mastercard's MAC 03.
//!
//! Sources of the table, read 2026-12-04:
//! - [DOC] ProcessOut's own documentation source, `ProcessOut/documentation` @078af9c
//!   `source/payments/error-codes.md.erb` ("Soft declines" / "Hard declines"), which is the list
//!   `shared/providers/processout.md` §1 copied;
//! - [NOW] the current page <https://docs.processout.com/docs/error-codes>, readable here only in
//!   part; its code groups as captured on 2026-07-20 by `api-evangelist/processout`
//!   `errors/processout-decline-codes.yml` (a third-party capture, secondary). It lists as hard
//!   declines `gateway.possible-fraud`, `gateway.blocked`, `card.possible-fraud`,
//!   `card.blacklisted`, `card.stolen`, `card.lost`, `card.security-violation`, `card.keep-card`
//!   and `card.authorization-revoked`, and keeps `card.not-supported` a soft decline.
//!
//! Where [NOW] moves a code to hard that our notes call soft (`card.possible-fraud`,
//! `card.security-violation`), the published page wins. `card.not-supported` is a soft decline in
//! both [DOC] and [NOW] ("The card is not supported by the payment provider"): it stays soft. The
//! capture files codes [DOC] calls hard (`card.expired`, `card.dont-retry`, `card.revoked`…)
//! under soft too; that grouping could not be checked on the page, so [DOC] is kept for them.
//!
//! Visa categories: ProcessOut names no network code, so the category is the one the code's
//! words correspond to (`card.no-money` ↔ 51 → 2, `card.stolen` ↔ 43 → 1, `card.expired` ↔
//! 54 → 3), from Checkout.com's "Visa response codes" (see `coffer_core`'s `network_limits`).
//! `card.revoked` / `card.revoked-all` / `card.authorization-revoked` are Visa's R1/R3
//! "revocation of (all) authorization(s)" orders: stop-payment, the contract ends.
//!
//! An unknown decline code is a soft decline in category 4 ([`DeclineMeaning::UNKNOWN_SOFT`]):
//! [DOC] says "new codes are added on a daily basis… handle cases where the returned error code
//! isn't known… as payment declines", and a wrong "never retry" would lose a customer.

use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};

use crate::error::{Decline, ProviderError, ProviderErrorKind};

use super::wire::ErrorBody;

const fn soft(category: VisaCategory) -> DeclineMeaning {
    DeclineMeaning::soft(category)
}

const fn hard(category: VisaCategory) -> DeclineMeaning {
    DeclineMeaning::hard(category)
}

use VisaCategory::{DataQuality as CAT3, Generic as CAT4, NeverApprove as CAT1, NotNow as CAT2};

/// Every decline code ProcessOut publishes, with what it means in network terms. Source per row:
/// [DOC] unless marked [NOW]; see the module docs.
pub(crate) const DECLINES: &[(&str, DeclineMeaning)] = &[
    // Soft declines [DOC], [NOW].
    ("payment.declined", soft(CAT4)),
    ("gateway.declined", soft(CAT4)),
    ("card.needs-authentication", soft(CAT4)),
    ("card.declined", soft(CAT4)),
    ("card.do-not-honor", soft(CAT4)), // Visa 05, generic
    ("card.no-action-taken", soft(CAT4)),
    ("card.please-retry", soft(CAT2)), // 19 re-enter
    ("card.acquirer-failed", soft(CAT4)),
    ("card.issuer-failed", soft(CAT2)),
    ("card.processing-error", soft(CAT2)), // 96
    ("card.issuer-down", soft(CAT2)),      // 91
    ("card.maximum-attempts", soft(CAT2)), // 75
    ("card.contact-bank", soft(CAT4)),
    ("card.exceeded-limits", soft(CAT2)),           // 61
    ("card.exceeded-withdrawal-limit", soft(CAT2)), // 61
    ("card.exceeded-activity-limits", soft(CAT2)),  // 65
    ("card.no-money", soft(CAT2)),                  // 51
    ("card.duplicate", soft(CAT4)),
    // Soft per ProcessOut although its words resemble Visa 15 "no such issuer" (category 1):
    // the provider's list wins, and only a live 15 from the network would forbid a retry.
    ("card.issuer-not-found", soft(CAT4)),
    ("card.network-failed", soft(CAT4)),
    // Soft in [DOC] and [NOW]: not the issuer's refusal but the payment provider's.
    ("card.not-supported", soft(CAT4)),
    ("card.currency-unsupported", soft(CAT4)),
    ("card.type-not-supported", soft(CAT4)),
    ("card.not-activated", soft(CAT2)),
    // Hard in [NOW] (soft in [DOC] and in our notes): the published page wins.
    ("card.possible-fraud", hard(CAT2)),     // 59
    ("card.security-violation", hard(CAT4)), // 63
    ("gateway.possible-fraud", hard(CAT4)),  // [NOW]
    ("gateway.blocked", hard(CAT4)),         // [NOW]
    ("card.keep-card", hard(CAT1)),          // [NOW]; 04/07 pick up card
    ("card.authorization-revoked", DeclineMeaning::STOP_PAYMENT), // [NOW]; R1
    // Hard declines [DOC].
    ("card.expired", hard(CAT3)), // 54
    ("card.invalid", hard(CAT3)),
    ("card.invalid-number", hard(CAT1)), // 14
    ("card.invalid-pin", hard(CAT3)),
    ("card.invalid-name", hard(CAT3)),
    ("card.invalid-expiry-date", hard(CAT3)),
    ("card.invalid-expiry-month", hard(CAT3)),
    ("card.invalid-expiry-year", hard(CAT3)),
    ("card.invalid-zip", hard(CAT3)),
    ("card.invalid-address", hard(CAT3)),
    ("card.missing-cvc", hard(CAT3)),
    ("card.missing-expiry", hard(CAT3)),
    ("card.missing-number", hard(CAT3)),
    ("card.missing-3ds", hard(CAT4)),
    ("card.failed-cvc", hard(CAT3)), // N7
    ("card.failed-avs", hard(CAT3)),
    ("card.failed-avs-postal", hard(CAT3)),
    ("card.unsupported-3ds", hard(CAT4)),
    ("card.failed-3ds", hard(CAT4)),
    ("card.expired-3ds", hard(CAT4)),
    ("card.failed-avs-address", hard(CAT3)),
    ("card.failed-cvc-and-avs", hard(CAT3)),
    ("card.bad-track-data", hard(CAT3)),
    ("card.not-authorized", hard(CAT1)), // 57 not permitted to cardholder
    ("card.not-registered", hard(CAT4)),
    ("card.stolen", hard(CAT1)), // 43; hard in [NOW] too
    ("card.lost", hard(CAT1)),   // 41; hard in [NOW] too
    ("card.dont-retry", hard(CAT1)),
    ("card.invalid-account", hard(CAT1)), // 46 closed account
    ("card.revoked", DeclineMeaning::STOP_PAYMENT), // R1 revocation of authorization
    ("card.revoked-all", DeclineMeaning::STOP_PAYMENT), // R3 revocation of all authorizations
    ("card.test", hard(CAT4)),
    ("card.blacklisted", hard(CAT4)), // hard in [NOW] too
    // [NOW] "blocked by ProcessOut for compliance reasons"; the page's prose: answered when
    // Mastercard sent MAC 03, same card and amount blocked 30 days on that gateway.
    (
        "request.transaction-blocked",
        DeclineMeaning {
            hard: true,
            visa_category: CAT4,
            mastercard_advice: Some("03"),
            stop_payment: false,
        },
    ),
];

/// What a ProcessOut decline code means; [`DeclineMeaning::UNKNOWN_SOFT`] for a code the table
/// does not hold (see the module docs for why).
pub(crate) fn decline_meaning(code: &str) -> DeclineMeaning {
    DECLINES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, meaning)| *meaning)
        .unwrap_or(DeclineMeaning::UNKNOWN_SOFT)
}

/// Whether a decline code means "never retry this card".
pub(crate) fn is_hard_decline(code: &str) -> bool {
    decline_meaning(code).hard
}

fn is_decline_code(code: &str) -> bool {
    code.starts_with("card.") || DECLINES.iter().any(|(c, _)| *c == code)
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
    let mut error = ProviderError::new(kind.clone(), message);
    if kind.is_decline() {
        error = error.with_decline(Decline::from_table(decline_meaning(&error_type)));
    }
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
    fn every_published_decline_code_has_one_kind_and_is_listed_once() {
        for (i, (code, meaning)) in DECLINES.iter().enumerate() {
            let expected = if meaning.hard {
                ProviderErrorKind::DeclinedHard
            } else {
                ProviderErrorKind::DeclinedSoft
            };
            assert_eq!(kind_of(410, code, true), expected, "{code}");
            assert!(
                DECLINES[i + 1..].iter().all(|(c, _)| c != code),
                "{code} is listed twice"
            );
            assert!(
                !meaning.stop_payment || meaning.hard,
                "{code}: a revoked authorization is never retried"
            );
        }
    }

    #[test]
    fn the_published_page_wins_over_our_notes() {
        assert!(
            is_hard_decline("card.possible-fraud") && is_hard_decline("card.security-violation"),
            "the current error-codes page lists both as hard declines"
        );
        assert!(
            !is_hard_decline("card.not-supported"),
            "card.not-supported is a soft decline in both versions of ProcessOut's list"
        );
        assert!(
            decline_meaning("card.revoked-all").stop_payment,
            "R3: the cardholder revoked all authorizations"
        );
        assert_eq!(
            decline_meaning("request.transaction-blocked").mastercard_advice,
            Some("03"),
            "ProcessOut blocks after Mastercard's do-not-retry advice"
        );
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
        assert_eq!(
            e.decline.as_ref().map(|d| d.meaning.visa_category.number()),
            Some(4),
            "do-not-honor is Visa's generic category"
        );
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

    #[test]
    fn a_revoked_authorization_is_hard_and_ends_the_contract_on_any_brand() {
        let e = from_answer(
            410,
            r#"{"success":false,"error_type":"card.revoked","message":"The card was revoked."}"#,
            true,
        );
        assert_eq!(e.kind, ProviderErrorKind::DeclinedHard);
        assert_eq!(
            e.provider_code.as_deref(),
            Some("card.revoked"),
            "raw code kept"
        );
        let decline = e.decline.expect("a decline carries its reading");
        for brand in [
            coffer_core::CardBrand::Visa,
            coffer_core::CardBrand::Mastercard,
        ] {
            assert!(
                decline
                    .never_retry(&brand)
                    .is_some_and(|n| n.stops_contract),
                "R1: the cardholder revoked the authorization, so the contract ends"
            );
        }
        let unknown = from_answer(410, r#"{"error_type":"card.brand-new"}"#, true);
        assert_eq!(
            unknown.decline.map(|d| d.meaning),
            Some(DeclineMeaning::UNKNOWN_SOFT),
            "the stated assumption for a code ProcessOut added after we read its list"
        );
    }
}
