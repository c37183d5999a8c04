//! Domain ⇄ ProcessOut: decimal-string amounts, RFC 3339 timestamps, the MIT tagging
//! (`initiation_type` + `payment_intent`, notes §3), card fields and transaction statuses.

use chrono::{DateTime, Utc};
use coffer_core::{
    CardBrand, CardExpiry, CardToken, Currency, CustomerRef, Initiator, Last4, Money, ProviderRef,
    Reason, Sequence, StoredCredential,
};

use crate::error::{ProviderError, ProviderErrorKind};
use crate::{ChargeOutcome, RemoteCard, RemoteCustomer, RemoteStatus, StoredMethod};

use super::errors::is_hard_decline;
use super::wire;

/// An amount as ProcessOut reads it: a dot decimal with the currency's digits (`"568.10"`).
pub(crate) fn amount_to_wire(amount: Money) -> String {
    amount.to_decimal('.')
}

/// Reads an answer's amount. ProcessOut does not pad (`"29"`, `"568.1"`), so every form is read.
pub(crate) fn amount_from_wire(text: &str, currency: &str) -> Result<Money, ProviderError> {
    let currency = Currency::from_code(currency)
        .map_err(|e| ProviderError::malformed(format!("currency: {e}")))?;
    if text.contains(',') {
        return Err(ProviderError::malformed(format!(
            "amount '{text}' is not a dot decimal"
        )));
    }
    Money::parse(text, currency).map_err(|e| ProviderError::malformed(format!("amount: {e}")))
}

pub(crate) fn time_from_wire(text: &str) -> Result<DateTime<Utc>, ProviderError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| ProviderError::malformed(format!("timestamp '{text}': {e}")))
}

/// The invoice tagging of one charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Tagging {
    /// `cit` or `mit`.
    pub initiation_type: &'static str,
    pub payment_intent: &'static str,
    /// The initial CIT to link to: a scheme transaction id, or a `tr_…` to resolve first.
    pub initial_ref: Option<String>,
    /// This charge starts a series: its `scheme_id` is what later MITs link to.
    pub starts_series: bool,
}

fn intent(reason: Reason) -> &'static str {
    match reason {
        Reason::Recurring => "recurring",
        Reason::Installment => "installment",
        Reason::Unscheduled => "unscheduled",
    }
}

/// Maps the network flags to ProcessOut's invoice fields (notes §3): the initial CIT of a series
/// is `cit` + the series' intent; later merchant-initiated charges are `mit` + the same intent,
/// linked to the initial CIT; a cardholder-present charge with a stored card outside the series
/// is a `cit` `one-off`. The legacy `merchant_initiator_type` is never sent.
pub(crate) fn tagging(credential: &StoredCredential) -> Result<Tagging, ProviderError> {
    match (credential.initiator, credential.sequence) {
        (Initiator::Cardholder, Sequence::Initial) => Ok(Tagging {
            initiation_type: "cit",
            payment_intent: intent(credential.reason),
            initial_ref: None,
            starts_series: true,
        }),
        (Initiator::Cardholder, Sequence::Subsequent) => Ok(Tagging {
            initiation_type: "cit",
            payment_intent: "one-off",
            initial_ref: None,
            starts_series: false,
        }),
        (Initiator::Merchant, Sequence::Subsequent) => Ok(Tagging {
            initiation_type: "mit",
            payment_intent: intent(credential.reason),
            initial_ref: credential.initial_ref.as_ref().map(|r| r.as_str().to_string()),
            starts_series: false,
        }),
        (Initiator::Merchant, Sequence::Initial) => Err(ProviderError::new(
            ProviderErrorKind::InvalidRequest {
                field: Some("initiation_type".into()),
            },
            "a merchant-initiated charge cannot be the initial one: the cardholder must be present for it",
        )),
    }
}

/// An id as one URL path segment. ProcessOut ids are alphanumerics with `_`, but a reference
/// typed by a person must not be able to change the path (`../`, `?`, `/`).
pub(crate) fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for byte in id.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The invoice `name` is our order id; ProcessOut allows 80 characters.
pub(crate) fn invoice_name(order_id: &str) -> Result<&str, ProviderError> {
    if order_id.trim().is_empty() || order_id.chars().count() > 80 {
        return Err(ProviderError::new(
            ProviderErrorKind::InvalidRequest {
                field: Some("name".into()),
            },
            format!("order id '{order_id}' must be 1 to 80 characters (ProcessOut invoice name)"),
        ));
    }
    Ok(order_id)
}

/// A line item name: at most 80 characters, cut on a character boundary.
pub(crate) fn detail_name(description: &str) -> String {
    description.chars().take(80).collect()
}

pub(crate) fn remote_customer(c: wire::Customer) -> RemoteCustomer {
    let name = [c.first_name.as_deref(), c.last_name.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        c.company_name.unwrap_or_default()
    } else {
        name
    };
    let phone = c.phone_number.filter(|p| !p.is_empty()).or_else(|| {
        c.phone.and_then(|p| match (p.dialing_code, p.number) {
            (Some(code), Some(number)) => {
                Some(format!("+{} {number}", code.trim_start_matches('+')))
            }
            (None, Some(number)) => Some(number),
            _ => None,
        })
    });
    RemoteCustomer {
        reference: CustomerRef(c.id),
        name,
        email: c.email.filter(|e| !e.is_empty()),
        phone,
        cards: None,
    }
}

/// A customer token as a stored method: a card token as a card, an APM token
/// (`type: gateway_token`) as [`StoredMethod::Apm`]; `None` for a token that holds nothing yet
/// (`pending`) or of a type Coffer does not know.
pub(crate) fn remote_card(token: wire::Token) -> Result<Option<RemoteCard>, ProviderError> {
    if token.kind.as_deref() == Some("gateway_token") {
        return Ok(Some(apm_token(token)));
    }
    let Some(card) = token.card else {
        return Ok(None);
    };
    if token.kind.as_deref().is_some_and(|k| k != "card") {
        return Ok(None);
    }
    let last4 = card.last_4_digits.unwrap_or_default();
    Last4::new(&last4).map_err(|e| ProviderError::malformed(format!("token {}: {e}", token.id)))?;
    let (Some(month), Some(year)) = (card.exp_month, card.exp_year) else {
        return Err(ProviderError::malformed(format!(
            "token {}: card expiry missing",
            token.id
        )));
    };
    let expiry = CardExpiry::new(year, month)
        .map_err(|e| ProviderError::malformed(format!("token {}: {e}", token.id)))?;
    Ok(Some(RemoteCard {
        token: CardToken(token.id),
        brand: CardBrand::from_name(card.scheme.as_deref().unwrap_or("")),
        last4,
        bin: card
            .iin
            .filter(|b| (6..=8).contains(&b.len()) && b.bytes().all(|d| d.is_ascii_digit())),
        bank: card.bank_name.filter(|b| !b.is_empty()),
        expiry,
        active: token.is_chargeable.unwrap_or(true)
            && token.verification_status.as_deref() != Some("failed"),
        needs_cvc: false,
        initial_ref: card
            .initial_scheme_transaction_id
            .filter(|s| !s.is_empty())
            .map(ProviderRef),
        art_url: None,
        method: StoredMethod::Card,
        // A customer token is what MITs use (providers/processout.md §3).
        merchant_initiated: true,
    }))
}

/// An APM customer token. ProcessOut: customer tokens of APMs are reusable "for multiple
/// payments, including Merchant Initiated Transactions" (seed 002, "Saving APM tokens"), and
/// each token says `is_chargeable` (processout-go `Token.IsChargeable`). OUR CHOICE: an APM
/// token is chargeable, and open to MITs, only when `is_chargeable` is explicitly `true`; an
/// absent flag is read as not chargeable. Its name is the gateway's display name when the
/// token's `gateway_configuration` is expanded, else the configuration's name, else "APM".
fn apm_token(token: wire::Token) -> RemoteCard {
    let configuration = token.gateway_configuration.as_ref();
    let name = configuration
        .and_then(|c| c.gateway.as_ref())
        .and_then(|g| g.display_name.clone().or_else(|| g.name.clone()))
        .or_else(|| configuration.and_then(|c| c.name.clone()))
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "APM".to_string());
    let chargeable =
        token.is_chargeable == Some(true) && token.verification_status.as_deref() != Some("failed");
    RemoteCard {
        token: CardToken(token.id),
        brand: CardBrand::Other(name.clone()),
        last4: String::new(),
        bin: None,
        bank: None,
        expiry: crate::holdings::APM_NO_EXPIRY,
        active: chargeable,
        needs_cvc: false,
        initial_ref: None,
        art_url: None,
        method: StoredMethod::Apm { name },
        merchant_initiated: chargeable,
    }
}

/// Where a transaction stands, as Coffer sees it. `waiting` (nothing attempted yet), `pending`,
/// `authorized`, `pending-capture` and `in-review` are not decided: Pending, never "not found",
/// because the invoice exists and a resend under the same keys would complete it (notes §2).
pub(crate) fn remote_status(t: &wire::Transaction) -> RemoteStatus {
    match t.status.as_str() {
        "waiting" | "pending" | "authorized" | "pending-capture" | "in-review" => {
            RemoteStatus::Pending
        }
        "failed" | "blocked" => {
            let code = t.error_code.clone().filter(|c| !c.is_empty());
            RemoteStatus::Declined {
                hard: t.status == "blocked" || code.as_deref().is_some_and(is_hard_decline),
                code,
                message: t.error_message.clone(),
            }
        }
        "voided" => RemoteStatus::Declined {
            hard: false,
            code: Some("voided".into()),
            message: Some("the authorization was voided before capture".into()),
        },
        // completed, refunded (partly or fully), and the dispute states: money was taken.
        _ => RemoteStatus::Succeeded,
    }
}

/// A transaction as a charge outcome; `initial` says it started a series. Its `scheme_id` is
/// the reference later MITs link to; a succeeded initial payment without one still succeeded,
/// and links by its own `tr_…` id, which is resolved to the scheme id when an MIT is sent.
pub(crate) fn outcome(t: wire::Transaction, initial: bool) -> Result<ChargeOutcome, ProviderError> {
    let status = remote_status(&t);
    let amount = amount_from_wire(&t.amount, &t.currency)?;
    let at = t.created_at.as_deref().map(time_from_wire).transpose()?;
    let initial_ref = match (&status, initial) {
        (RemoteStatus::Succeeded, true) => Some(ProviderRef(
            t.scheme_id
                .clone()
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| t.id.clone()),
        )),
        _ => None,
    };
    Ok(ChargeOutcome {
        provider_ref: ProviderRef(t.id),
        initial_ref,
        amount,
        status,
        warnings: Vec::new(),
        at,
    })
}

/// An invoice tagged as the start of a series (`cit` with a recurring, installment or
/// unscheduled intent). The docs' own answer upper-cases `initiation_type`.
pub(crate) fn invoice_starts_series(invoice: &wire::Invoice) -> bool {
    invoice
        .initiation_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("cit"))
        && invoice
            .payment_intent
            .as_deref()
            .is_some_and(|i| !i.eq_ignore_ascii_case("one-off"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A documented payload from `tests/fixtures/processout/`.
    fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
        let path = format!(
            "{}/tests/fixtures/processout/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap();
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn the_documented_invoice_answer_is_read_case_insensitively() {
        let reply: wire::InvoiceReply = fixture("invoice_mit.json");
        assert_eq!(reply.invoice.transaction_id.as_deref(), Some("tr_5Jk"));
        assert_eq!(reply.invoice.order_id.as_deref(), Some("K1042-2026-02"));
        assert!(!invoice_starts_series(&reply.invoice), "\"MIT\" is an MIT");
        let cit = wire::Invoice {
            initiation_type: Some("CIT".into()),
            ..reply.invoice
        };
        assert!(invoice_starts_series(&cit));
    }

    fn eur(minor: i64) -> Money {
        Money::from_minor(minor, Currency::EUR)
    }

    #[test]
    fn amounts_use_the_documented_decimal_strings() {
        assert_eq!(amount_to_wire(eur(56810)), "568.10");
        assert_eq!(amount_to_wire(eur(1000)), "10.00");
        assert_eq!(
            amount_to_wire(Money::from_minor(1500, Currency::JPY)),
            "1500"
        );
        assert_eq!(
            amount_from_wire("568.1", "EUR").unwrap(),
            eur(56810),
            "the docs' unpadded answer"
        );
        assert_eq!(amount_from_wire("29", "EUR").unwrap(), eur(2900));
        assert_eq!(amount_from_wire("29.5", "EUR").unwrap(), eur(2950));
        assert_eq!(amount_from_wire("29.50", "EUR").unwrap(), eur(2950));
        assert_eq!(
            amount_from_wire("4.99", "USD").unwrap(),
            Money::from_minor(499, Currency::USD)
        );
        assert!(
            amount_from_wire("31.8321371", "EUR").is_err(),
            "more digits than EUR has"
        );
        assert!(amount_from_wire("4,99", "EUR").is_err());
        assert!(amount_from_wire("4.99", "XXX").is_err());
    }

    #[test]
    fn timestamps_keep_nanoseconds() {
        let t = time_from_wire("2023-04-21T17:57:22.807583563Z").unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 807_583_563);
        assert!(time_from_wire("21.04.2023").is_err());
    }

    #[test]
    fn flags_map_to_initiation_type_and_payment_intent() {
        let initial = tagging(&StoredCredential::initial(Reason::Recurring)).unwrap();
        assert_eq!(
            (initial.initiation_type, initial.payment_intent),
            ("cit", "recurring")
        );
        assert!(initial.starts_series);
        let mit = tagging(&StoredCredential::merchant_initiated(
            Reason::Recurring,
            ProviderRef("483920118822016".into()),
        ))
        .unwrap();
        assert_eq!(
            (mit.initiation_type, mit.payment_intent),
            ("mit", "recurring")
        );
        assert_eq!(
            mit.initial_ref.as_deref(),
            Some("483920118822016"),
            "the MIT carries its link"
        );
        let topup = tagging(&StoredCredential::merchant_initiated(
            Reason::Unscheduled,
            ProviderRef("1".into()),
        ))
        .unwrap();
        assert_eq!(topup.payment_intent, "unscheduled");
        let installment = tagging(&StoredCredential::initial(Reason::Installment)).unwrap();
        assert_eq!(installment.payment_intent, "installment");
        let cardholder_again = StoredCredential {
            sequence: Sequence::Subsequent,
            initiator: Initiator::Cardholder,
            reason: Reason::Unscheduled,
            scheduled: false,
            initial_ref: None,
        };
        assert_eq!(
            tagging(&cardholder_again).unwrap().payment_intent,
            "one-off"
        );
        let impossible = StoredCredential {
            sequence: Sequence::Initial,
            initiator: Initiator::Merchant,
            reason: Reason::Recurring,
            scheduled: true,
            initial_ref: None,
        };
        assert!(matches!(
            tagging(&impossible).unwrap_err().kind,
            ProviderErrorKind::InvalidRequest { .. }
        ));
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(segment("cust_7Qd2Lk9P"), "cust_7Qd2Lk9P");
        assert_eq!(segment("../invoices"), "%2E%2E%2Finvoices");
        assert_eq!(segment("a?b c"), "a%3Fb%20c");
    }

    #[test]
    fn invoice_names_are_bounded() {
        assert_eq!(invoice_name("K1042-2026-02").unwrap(), "K1042-2026-02");
        assert!(invoice_name("").is_err());
        assert!(invoice_name(&"x".repeat(81)).is_err());
        assert_eq!(detail_name(&"é".repeat(100)).chars().count(), 80);
    }

    #[test]
    fn the_documented_token_becomes_a_card() {
        let reply: wire::TokenReply = fixture("token_card.json");
        let token = reply.token;
        let card = remote_card(token).unwrap().unwrap();
        assert_eq!(card.token.as_str(), "tok_b8Xq2Wm5RkT1vL9sNd4PzE7aYc3HjU6f");
        assert_eq!(card.brand, CardBrand::Visa);
        assert_eq!(
            card.expiry,
            CardExpiry {
                year: 2028,
                month: 3
            }
        );
        assert_eq!(card.bin.as_deref(), Some("424242"));
        assert_eq!(
            card.initial_ref.as_ref().map(|r| r.as_str()),
            Some("483920118822016")
        );
        assert!(card.active);
        let pending: wire::TokenReply = fixture("token_pending.json");
        let pending = pending.token;
        assert_eq!(
            remote_card(pending).unwrap(),
            None,
            "a pending token holds no card"
        );
        let broken: wire::Token =
            serde_json::from_str(r#"{"id":"tok_2","type":"card","card":{"last_4_digits":"42","exp_month":1,"exp_year":2030}}"#)
                .unwrap();
        assert_eq!(
            remote_card(broken).unwrap_err().kind,
            ProviderErrorKind::MalformedResponse
        );
    }

    #[test]
    fn the_documented_capture_answer_becomes_an_outcome() {
        let reply: wire::TransactionReply = fixture("capture_completed.json");
        let t = reply.transaction;
        let o = outcome(t, true).unwrap();
        assert_eq!(o.amount, eur(56810));
        assert_eq!(o.status, RemoteStatus::Succeeded);
        assert_eq!(o.provider_ref.as_str(), "tr_5Jk");
        assert_eq!(o.at.map(|t| t.timestamp_subsec_nanos()), Some(807_583_563));
        assert_eq!(
            o.initial_ref.as_ref().map(|r| r.as_str()),
            Some("483920118822016")
        );
    }

    #[test]
    fn statuses_map_to_remote_states() {
        let t = |status: &str, code: Option<&str>| wire::Transaction {
            id: "tr_1".into(),
            invoice_id: None,
            status: status.into(),
            amount: "1".into(),
            currency: "EUR".into(),
            error_code: code.map(str::to_string),
            error_message: None,
            scheme_id: None,
            created_at: None,
            customer_id: None,
            token_id: None,
        };
        for undecided in [
            "waiting",
            "pending",
            "authorized",
            "pending-capture",
            "in-review",
        ] {
            assert_eq!(
                remote_status(&t(undecided, None)),
                RemoteStatus::Pending,
                "{undecided}: the invoice exists but is not settled, so it is never 'not found'"
            );
        }
        assert_eq!(
            remote_status(&t("refunded", None)),
            RemoteStatus::Succeeded,
            "a refunded charge was taken first"
        );
        assert!(matches!(
            remote_status(&t("failed", Some("card.stolen"))),
            RemoteStatus::Declined { hard: true, .. }
        ));
        assert!(matches!(
            remote_status(&t("failed", Some("card.no-money"))),
            RemoteStatus::Declined { hard: false, .. }
        ));
    }

    #[test]
    fn a_captured_initial_payment_without_scheme_id_reads_as_succeeded_linked_by_its_id() {
        let t = wire::Transaction {
            id: "tr_9".into(),
            invoice_id: Some("iv_9".into()),
            status: "completed".into(),
            amount: "10".into(),
            currency: "EUR".into(),
            error_code: None,
            error_message: None,
            scheme_id: None,
            created_at: None,
            customer_id: None,
            token_id: None,
        };
        let o = outcome(t, true).unwrap();
        assert_eq!(
            o.status,
            RemoteStatus::Succeeded,
            "the capture succeeded: money was taken, the answer is not malformed"
        );
        assert_eq!(
            o.initial_ref.as_ref().map(|r| r.as_str()),
            Some("tr_9"),
            "later MITs resolve the transaction id to its scheme id when they are sent"
        );
    }

    #[test]
    fn customers_get_a_display_name_and_phone() {
        let c: wire::Customer = serde_json::from_str(
            r#"{"id":"cust_1","first_name":"Anna","last_name":"Virtanen","email":"anna@example.com",
                "phone":{"number":"401234567","dialing_code":"358"},"phone_number":null}"#,
        )
        .unwrap();
        let r = remote_customer(c);
        assert_eq!(r.name, "Anna Virtanen");
        assert_eq!(r.phone.as_deref(), Some("+358 401234567"));
        let company: wire::Customer =
            serde_json::from_str(r#"{"id":"cust_2","first_name":null,"company_name":"Oy Ab"}"#)
                .unwrap();
        assert_eq!(remote_customer(company).name, "Oy Ab");
    }
}
