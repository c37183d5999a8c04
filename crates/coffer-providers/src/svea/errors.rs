//! Svea's answers → [`ProviderErrorKind`]: the token-charge `pmt_errorcode`s (§3.3), the
//! `<errors>` document (field errors, `existingPayment`), the status-query return codes (§3.4)
//! and the cancel return codes (§3.5). Table-driven, so every documented code is listed once.
//!
//! Declines and network terms ([`DECLINES`]). Source: Svea's "Possible Error Codes" of
//! `NewChargeWithTokenActionExtended.pmt`,
//! <https://maksuturva-developer.readme.io/reference/newchargewithtokenactionextendedpmt> (the same
//! list on <https://sveapayments.atlassian.net/wiki/spaces/DOCSLEGACY/pages/374046721/Svea+S2S+invoice>),
//! read 2026-12-04. Svea returns no network response code and no Mastercard advice code: its
//! answer carries only `pmt_errorcode` and a text, and none of its codes names a stop-payment
//! order. So each decline code implies a Visa category by its words — `ERROR_CARD_AUTHORIZATION_
//! FAILED` ("Authorization of card payment failed") names no reason and is Visa's generic
//! category 4; `ERROR_PAYMENT_INSTRUMENT_EXPIRED` is category 3 (54); Svea's own refusals
//! (limit exceeded, token unknown, tokenization failed) never reached the issuer and are
//! category 4 — and what is assumed when nothing is known is
//! [`DeclineMeaning::UNKNOWN_SOFT`]: soft, category 4, never a stop-payment.

use coffer_core::policy::network_limits::{DeclineMeaning, VisaCategory};
use coffer_core::ProviderRef;
use reqwest::StatusCode;

use super::wire::Error;
use crate::error::{Decline, ProviderError, ProviderErrorKind};

/// Svea's decline codes and what each implies in network terms; the hard flags agree with
/// [`errorcode_table`]'s kinds (a test holds them together).
pub(crate) const DECLINES: &[(&str, DeclineMeaning)] = &[
    (
        "ERROR_CARD_AUTHENTICATION_FAILED",
        DeclineMeaning::hard(VisaCategory::Generic),
    ),
    (
        "ERROR_CARD_AUTHORIZATION_FAILED",
        DeclineMeaning::UNKNOWN_SOFT,
    ),
    (
        "ERROR_CARD_TOKENIZATION_FAILED",
        DeclineMeaning::hard(VisaCategory::Generic),
    ),
    ("ERROR_IN_PAYMENT", DeclineMeaning::UNKNOWN_SOFT),
    (
        "ERROR_PAYMENT_INSTRUMENT_EXPIRED",
        DeclineMeaning::hard(VisaCategory::DataQuality),
    ),
    (
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED",
        DeclineMeaning::UNKNOWN_SOFT,
    ),
    (
        "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND",
        DeclineMeaning::hard(VisaCategory::Generic),
    ),
    (
        "EXTERNAL_SERVICE_DENIED",
        DeclineMeaning::hard(VisaCategory::Generic),
    ),
    (
        "PAYER_CHOSE_METHOD_AND_VANISHED",
        DeclineMeaning::UNKNOWN_SOFT,
    ),
    ("PAYER_INTERRUPTED", DeclineMeaning::UNKNOWN_SOFT),
    ("PAYER_VANISHED", DeclineMeaning::UNKNOWN_SOFT),
];

/// What a Svea decline code means; [`DeclineMeaning::UNKNOWN_SOFT`] for any other code.
pub(crate) fn decline_meaning(code: &str) -> DeclineMeaning {
    DECLINES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, meaning)| *meaning)
        .unwrap_or(DeclineMeaning::UNKNOWN_SOFT)
}

fn field(name: &str) -> ProviderErrorKind {
    ProviderErrorKind::InvalidRequest {
        field: Some(name.to_string()),
    }
}

/// Every documented `pmt_errorcode`, its kind, and the words a store owner reads.
fn errorcode_table(code: &str) -> Option<(ProviderErrorKind, &'static str)> {
    use ProviderErrorKind::*;
    Some(match code {
        // Svea refuses a second payment under a paid pmt_id: an earlier send of this very
        // charge went through. A duplicate: look it up, never a failure.
        "ALREADY_PAID" => (Duplicate, "this order id has already been paid; check the payment status"),
        // "Unknown error" after the request was taken: only a status query can tell.
        "ERROR" => (UnknownOutcome, "Svea reported an unknown error"),
        // 3-D Secure cannot be redone without the cardholder.
        "ERROR_CARD_AUTHENTICATION_FAILED" => (DeclinedHard, "card authentication (3-D Secure) failed"),
        // The issuer declined; a later attempt may pass (funds, limits on the card).
        "ERROR_CARD_AUTHORIZATION_FAILED" => (DeclinedSoft, "the card issuer declined the charge"),
        // "Authorization/charge timed out — outcome unknown, query status" (svea.md §3.3).
        "ERROR_CARD_AUTHORIZATION_TIMEOUT" => (UnknownOutcome, "card authorization timed out; the outcome is unknown"),
        "ERROR_CARD_TOKENIZATION_FAILED" => (DeclinedHard, "the card cannot be used for recurring payments"),
        "ERROR_IN_PAYMENT" => (DeclinedSoft, "Svea could not process the payment"),
        "ERROR_IN_REQUEST_PAYER_DATA" => (InvalidRequest { field: None }, "the payer data was refused"),
        "ERROR_IN_REQUEST_TECHNICAL_DATA" => (InvalidRequest { field: None }, "the request was refused as technically invalid"),
        "ERROR_PAYMENT_INSTRUMENT_EXPIRED" => (DeclinedHard, "the card or its token is no longer valid"),
        // Svea's monthly and per-charge limits: next month (or a smaller amount) may pass.
        "ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED" => (
            DeclinedSoft,
            "the token's limit is reached: at most one charge a month, never above the first payment",
        ),
        "ERROR_PAYMENT_INSTRUMENT_NOT_FOUND" => (DeclinedHard, "Svea does not know this card token"),
        "ERROR_PAYMENT_METHOD_NOT_AVAILABLE" => (field("pmt_paymentmethod"), "the payment method is not enabled for this seller"),
        "EXTERNAL_SERVICE_DENIED" => (DeclinedHard, "the payment service denied the transaction"),
        // An error of the card processor behind Svea after Svea took the charge: not a refusal,
        // and nothing says the card was not charged. Only a status query can tell.
        "EXTERNAL_SERVICE_ERROR" => (UnknownOutcome, "the payment service had an error; the outcome is unknown"),
        "NOT_FOUND" => (NotFound, "Svea does not know this order"),
        "PAYER_CHOSE_METHOD_AND_VANISHED" | "PAYER_INTERRUPTED" | "PAYER_VANISHED" => {
            (DeclinedSoft, "the payer did not complete the payment")
        }
        "WAITING" => (UnknownOutcome, "the payment is still waiting for the payer"),
        _ => return None,
    })
}

/// The error for a `pmt_errorcode`; an undocumented code is treated as an unknown outcome so the
/// engine reconciles rather than guesses.
pub(crate) fn from_errorcode(
    code: &str,
    text: Option<&str>,
    pmt_id: Option<&str>,
) -> ProviderError {
    let (kind, plain) = errorcode_table(code).unwrap_or((
        ProviderErrorKind::UnknownOutcome,
        "Svea answered with an undocumented error code",
    ));
    let message = match text.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => format!("{plain} ({text})"),
        None => plain.to_string(),
    };
    let decline = kind.is_decline();
    let mut error = ProviderError::new(kind, message).with_code(code);
    if decline {
        error = error.with_decline(Decline::from_table(decline_meaning(code)));
    }
    if let Some(id) = pmt_id {
        error = error.with_ref(ProviderRef(id.to_string()));
    }
    error
}

/// Whether a decline code is a do-not-retry one, for a status query's unpaid payment.
pub(crate) fn is_hard_decline(code: &str) -> bool {
    matches!(
        errorcode_table(code),
        Some((ProviderErrorKind::DeclinedHard, _))
    )
}

/// An `<errors>` document: `existingPayment` → Duplicate, a field → InvalidRequest naming it.
pub(crate) fn from_field_errors(errors: &[Error]) -> ProviderError {
    if let Some(e) = errors
        .iter()
        .find(|e| e.kind == "existingPayment" || e.text.contains("existingPayment"))
    {
        return ProviderError::new(
            ProviderErrorKind::Duplicate,
            "Svea has already received this pmt_id; every payment needs a new one",
        )
        .with_code(if e.kind.is_empty() {
            "existingPayment".into()
        } else {
            e.kind.clone()
        });
    }
    match errors.first() {
        Some(first) => {
            let all: Vec<&str> = errors.iter().map(|e| e.text.as_str()).collect();
            ProviderError::new(
                field(&first.name),
                format!("Svea refused the request: {}", all.join("; ")),
            )
            .with_code(first.kind.clone())
        }
        None => ProviderError::new(
            ProviderErrorKind::InvalidRequest { field: None },
            "Svea refused the request",
        ),
    }
}

/// HTTP statuses that say something before the body is read. `write` marks calls that may
/// have been processed.
pub(crate) fn from_status(status: StatusCode, write: bool) -> Option<ProviderError> {
    match status.as_u16() {
        401 | 403 => Some(ProviderError::new(
            ProviderErrorKind::Auth,
            "Svea refused the seller id or secret key",
        )),
        // Even a proxy's 502–504 does not prove Svea never processed a write: it may have
        // timed out waiting for a Svea that took the charge.
        500..=599 if write => Some(ProviderError::new(
            ProviderErrorKind::UnknownOutcome,
            format!(
                "Svea failed with HTTP {status} after taking the request; the outcome is unknown"
            ),
        )),
        500..=599 => Some(ProviderError::new(
            ProviderErrorKind::Unavailable,
            format!("Svea failed with HTTP {status}"),
        )),
        _ => None,
    }
}

/// What a `pmtq_returncode` says about a payment (§3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PaymentState {
    /// `00` with amount `0,00`: Svea never saw the id.
    Unknown,
    /// `00` with an amount, or `10`: not decided yet. Svea's status-code page lists `10` among
    /// the "Not paid." codes (00–19, "Payment is NOT confirmed": sveapayments.atlassian.net
    /// DOCS/pages/1657012617 "Payment and Delivery status code values"), which is not a refusal:
    /// Svea's own Magento 2 module names 10 `STATUS_QUERY_WAITING` and, like 00, 01, 11 and 15,
    /// answers it "No change, still awaiting payment", its comment saying that in the not-paid
    /// codes one "can query and wait for the payment to be confirmed" (`Svea\SveaPayment`
    /// `Model/Order/Status/Query/ResponseHandler.php`). Only an explicit refusal settles an
    /// attempt as failed, so `10` stays undecided: the engine keeps looking it up.
    Pending,
    /// `11`, `15`, `19` and the rest of 01–19 but `01`: not paid.
    Unpaid,
    /// 20–98: paid (partial refunds included).
    Paid,
    /// `99`: paid, then fully refunded or cancelled.
    Refunded,
    /// `01`: the query itself failed.
    QueryFailed,
}

pub(crate) fn payment_state(
    code: &str,
    amount_is_zero: bool,
) -> Result<PaymentState, ProviderError> {
    let number: u8 = code
        .parse()
        .ok()
        .filter(|_| code.len() == 2)
        .ok_or_else(|| {
            ProviderError::malformed(format!("pmtq_returncode '{code}' is not two digits"))
        })?;
    Ok(match number {
        0 if amount_is_zero => PaymentState::Unknown,
        0 | 10 => PaymentState::Pending,
        1 => PaymentState::QueryFailed,
        2..=19 => PaymentState::Unpaid,
        20..=98 => PaymentState::Paid,
        _ => PaymentState::Refunded,
    })
}

/// A cancel answer other than `00`.
pub(crate) fn from_cancel(code: &str, text: &str, errors: &[Error]) -> ProviderError {
    let (kind, plain) = match code {
        "20" => (ProviderErrorKind::NotFound, "Svea does not know this payment"),
        "30" => (
            ProviderErrorKind::Unsupported,
            "the payment is already settled; Svea refunds it only after the merchant pays the amount back \
             (REFUND_AFTER_SETTLEMENT)",
        ),
        "31" => (field("pmtc_amount"), "the cancel parameters do not match the payment"),
        "90" => {
            let named = errors.first().map(|e| e.name.clone()).unwrap_or_else(|| "pmtc".into());
            (field(&named), "Svea refused the refund request")
        }
        "99" => (field("pmtc_cancelamount"), "Svea could not cancel the payment"),
        _ => (ProviderErrorKind::UnknownOutcome, "Svea answered the refund with an undocumented code"),
    };
    let details: Vec<&str> = std::iter::once(text)
        .chain(errors.iter().map(|e| e.text.as_str()))
        .filter(|t| !t.is_empty())
        .collect();
    ProviderError::new(kind, format!("{plain}: {}", details.join("; "))).with_code(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ProviderErrorKind::*;

    #[test]
    fn every_documented_errorcode_has_its_kind() {
        let table = [
            ("ALREADY_PAID", Duplicate),
            ("ERROR", UnknownOutcome),
            ("ERROR_CARD_AUTHENTICATION_FAILED", DeclinedHard),
            ("ERROR_CARD_AUTHORIZATION_FAILED", DeclinedSoft),
            ("ERROR_CARD_AUTHORIZATION_TIMEOUT", UnknownOutcome),
            ("ERROR_CARD_TOKENIZATION_FAILED", DeclinedHard),
            ("ERROR_IN_PAYMENT", DeclinedSoft),
            (
                "ERROR_IN_REQUEST_PAYER_DATA",
                InvalidRequest { field: None },
            ),
            (
                "ERROR_IN_REQUEST_TECHNICAL_DATA",
                InvalidRequest { field: None },
            ),
            ("ERROR_PAYMENT_INSTRUMENT_EXPIRED", DeclinedHard),
            ("ERROR_PAYMENT_INSTRUMENT_LIMIT_EXCEEDED", DeclinedSoft),
            ("ERROR_PAYMENT_INSTRUMENT_NOT_FOUND", DeclinedHard),
            (
                "ERROR_PAYMENT_METHOD_NOT_AVAILABLE",
                InvalidRequest {
                    field: Some("pmt_paymentmethod".into()),
                },
            ),
            ("EXTERNAL_SERVICE_DENIED", DeclinedHard),
            ("EXTERNAL_SERVICE_ERROR", UnknownOutcome),
            ("NOT_FOUND", NotFound),
            ("PAYER_CHOSE_METHOD_AND_VANISHED", DeclinedSoft),
            ("PAYER_INTERRUPTED", DeclinedSoft),
            ("PAYER_VANISHED", DeclinedSoft),
            ("WAITING", UnknownOutcome),
            ("SOMETHING_NEW", UnknownOutcome),
        ];
        for (code, kind) in table {
            let error = from_errorcode(code, Some("text"), Some("MIT1"));
            assert_eq!(error.kind, kind, "{code}");
            assert_eq!(error.provider_code.as_deref(), Some(code));
            assert_eq!(
                error.provider_ref,
                Some(ProviderRef("MIT1".into())),
                "the pmt_id is kept"
            );
        }
        assert!(is_hard_decline("EXTERNAL_SERVICE_DENIED"));
        assert!(!is_hard_decline("ERROR_CARD_AUTHORIZATION_FAILED"));
    }

    #[test]
    fn field_errors_name_the_field_and_existing_payment_is_a_duplicate() {
        let error = |name: &str, kind: &str, text: &str| Error {
            name: name.into(),
            kind: kind.into(),
            text: text.into(),
        };
        let invalid = from_field_errors(&[error(
            "pmt_userlocale",
            "field",
            "pmt_userlocale is invalid",
        )]);
        assert_eq!(
            invalid.kind,
            InvalidRequest {
                field: Some("pmt_userlocale".into())
            }
        );
        let existing = from_field_errors(&[error(
            "pmt_id",
            "existingPayment",
            "[generic][pmt_sellerid][pmt_id][existingPayment]",
        )]);
        assert_eq!(existing.kind, Duplicate);
    }

    #[test]
    fn http_statuses_map_before_the_body() {
        assert_eq!(
            from_status(StatusCode::UNAUTHORIZED, false).unwrap().kind,
            Auth
        );
        assert_eq!(from_status(StatusCode::FORBIDDEN, true).unwrap().kind, Auth);
        for proxy in [
            StatusCode::BAD_GATEWAY,
            StatusCode::SERVICE_UNAVAILABLE,
            StatusCode::GATEWAY_TIMEOUT,
        ] {
            assert_eq!(
                from_status(proxy, true).unwrap().kind,
                UnknownOutcome,
                "{proxy} to a write does not prove Svea never processed it"
            );
            assert_eq!(
                from_status(proxy, false).unwrap().kind,
                Unavailable,
                "{proxy} to a read changed nothing"
            );
        }
        assert_eq!(
            from_status(StatusCode::INTERNAL_SERVER_ERROR, true)
                .unwrap()
                .kind,
            UnknownOutcome
        );
        assert_eq!(
            from_status(StatusCode::INTERNAL_SERVER_ERROR, false)
                .unwrap()
                .kind,
            Unavailable
        );
        assert!(from_status(StatusCode::OK, true).is_none());
        assert!(
            from_status(StatusCode::BAD_REQUEST, true).is_none(),
            "the <errors> body says more"
        );
    }

    #[test]
    fn status_return_codes_split_at_20_and_99() {
        assert_eq!(payment_state("00", true).unwrap(), PaymentState::Unknown);
        assert_eq!(payment_state("00", false).unwrap(), PaymentState::Pending);
        assert_eq!(
            payment_state("10", false).unwrap(),
            PaymentState::Pending,
            "10 is Svea's 'waiting': not paid yet is no refusal, so it must not fail the attempt"
        );
        assert_eq!(
            payment_state("01", false).unwrap(),
            PaymentState::QueryFailed
        );
        for code in ["11", "15", "19"] {
            assert_eq!(
                payment_state(code, false).unwrap(),
                PaymentState::Unpaid,
                "{code}"
            );
        }
        for code in ["20", "30", "40", "91", "92", "93", "95", "98"] {
            assert_eq!(
                payment_state(code, false).unwrap(),
                PaymentState::Paid,
                "{code}"
            );
        }
        assert_eq!(payment_state("99", false).unwrap(), PaymentState::Refunded);
        assert!(payment_state("5", false).is_err());
        assert!(payment_state("xx", false).is_err());
    }

    #[test]
    fn cancel_codes_map() {
        assert_eq!(from_cancel("20", "Payment not found", &[]).kind, NotFound);
        assert_eq!(from_cancel("30", "settled", &[]).kind, Unsupported);
        assert_eq!(
            from_cancel("31", "", &[]).kind,
            InvalidRequest {
                field: Some("pmtc_amount".into())
            }
        );
        let errors = [Error {
            name: "pmtc_cancelamount".into(),
            kind: "field".into(),
            text: "pmtc_cancelamount is invalid".into(),
        }];
        assert_eq!(
            from_cancel("90", "Errors in input data", &errors).kind,
            InvalidRequest {
                field: Some("pmtc_cancelamount".into())
            }
        );
        assert_eq!(
            from_cancel("99", "already refunded", &[])
                .provider_code
                .as_deref(),
            Some("99")
        );
        assert_eq!(from_cancel("77", "", &[]).kind, UnknownOutcome);
    }

    #[test]
    fn the_decline_table_and_the_kinds_agree_on_hard_and_soft() {
        for (code, meaning) in DECLINES {
            let error = from_errorcode(code, None, None);
            let expected = if meaning.hard {
                ProviderErrorKind::DeclinedHard
            } else {
                ProviderErrorKind::DeclinedSoft
            };
            assert_eq!(error.kind, expected, "{code}");
            assert_eq!(
                error.decline.map(|d| d.meaning),
                Some(*meaning),
                "{code}: the table's reading travels with the error"
            );
            assert!(
                !meaning.stop_payment,
                "{code}: Svea publishes no stop-payment code"
            );
        }
        assert_eq!(
            decline_meaning("SOMETHING_NEW"),
            DeclineMeaning::UNKNOWN_SOFT,
            "the stated assumption for a code nobody has read"
        );
    }
}
