//! `ProviderError`: every way a call to a provider can fail, sorted into the kinds the engine acts
//! on. Each client maps its provider's status codes and error codes here, in its `errors.rs`.

use std::fmt;
use std::time::Duration;

use coffer_core::policy::network_limits::{
    never_retry_from, DeclineMeaning, DeclineSignals, NeverRetry,
};
use coffer_core::{CardBrand, ProviderRef};

/// What kind of failure, which decides what the engine may do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProviderErrorKind {
    /// The issuer or provider refused and said not to try again (lost/stolen, do-not-honor
    /// category 1, Mastercard MAC 03/21). The card must not be retried.
    DeclinedHard,
    /// A decline that may succeed later (insufficient funds, issuer unavailable).
    DeclinedSoft,
    /// The request was wrong; `field` names the parameter when the provider said which.
    InvalidRequest {
        /// The offending field, in the provider's name for it.
        field: Option<String>,
    },
    /// Credentials refused (401/403, bad signature or hash).
    Auth,
    /// Too many requests; wait `retry_after` before the next.
    RateLimited {
        /// From the Retry-After header, when given.
        retry_after: Option<Duration>,
    },
    /// Nothing happened at the provider. For a write this means the request provably never
    /// left Coffer (connection, DNS or TLS failure before the first byte); for a read it also
    /// covers a 5xx answer or a timeout, which change nothing. A write that may have been
    /// received is never `Unavailable`, always [`ProviderErrorKind::UnknownOutcome`].
    Unavailable,
    /// A write may have been processed, but no answer proves what happened: a 5xx (a proxy's
    /// 502/503/504 included), a timeout or reset after sending, a cut-off or unreadable answer,
    /// an answer whose hash fails, or the provider's own "in process" answer. Only a lookup by
    /// key or order id can tell; never a failure.
    UnknownOutcome,
    /// A read got an answer we cannot read. Writes never produce this kind: an unreadable
    /// answer to a write is an [`ProviderErrorKind::UnknownOutcome`]. Never read it as "not
    /// found".
    MalformedResponse,
    /// The thing asked for does not exist at the provider.
    NotFound,
    /// The provider refused the request because its order id or idempotency key was seen
    /// before: Svea `existingPayment` / `ALREADY_PAID` on a `pmt_id`, Assist's duplicate
    /// OrderNumber or Externalrefundid (`11/…`), Clover's and ProcessOut's answer to a reused
    /// key with another body or a request with the same key still in progress. An earlier send
    /// of the same attempt may have arrived and moved money: look it up; never a failure.
    Duplicate,
    /// The provider has no such operation.
    Unsupported,
}

impl ProviderErrorKind {
    /// Whether the money may have moved: the engine must look the attempt up before anything
    /// else, and must never mark it failed on this answer. True for
    /// [`ProviderErrorKind::UnknownOutcome`] and [`ProviderErrorKind::Duplicate`] (an earlier
    /// send of the same order id or key arrived). [`ProviderErrorKind::MalformedResponse`] is
    /// no longer included: the clients turn an unreadable answer to a write into
    /// `UnknownOutcome` themselves, so `MalformedResponse` only comes from reads, which move no
    /// money.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ProviderErrorKind::UnknownOutcome | ProviderErrorKind::Duplicate
        )
    }

    /// Whether the answer was a decline by the issuer or provider.
    pub fn is_decline(&self) -> bool {
        matches!(
            self,
            ProviderErrorKind::DeclinedHard | ProviderErrorKind::DeclinedSoft
        )
    }

    /// A short snake_case name, for logs and the ledger.
    pub fn code(&self) -> &'static str {
        match self {
            ProviderErrorKind::DeclinedHard => "declined_hard",
            ProviderErrorKind::DeclinedSoft => "declined_soft",
            ProviderErrorKind::InvalidRequest { .. } => "invalid_request",
            ProviderErrorKind::Auth => "auth",
            ProviderErrorKind::RateLimited { .. } => "rate_limited",
            ProviderErrorKind::Unavailable => "unavailable",
            ProviderErrorKind::UnknownOutcome => "unknown_outcome",
            ProviderErrorKind::MalformedResponse => "malformed_response",
            ProviderErrorKind::NotFound => "not_found",
            ProviderErrorKind::Duplicate => "duplicate",
            ProviderErrorKind::Unsupported => "unsupported",
        }
    }
}

/// A failed provider call. The message never contains a secret or a card number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ProviderError {
    /// What kind of failure.
    pub kind: ProviderErrorKind,
    /// The provider's own code (Clover `decline_code`, Assist `responsecode`, Svea `pmt_errortextfi`…).
    pub provider_code: Option<String>,
    /// What the provider said, or what went wrong, in plain words.
    pub message: String,
    /// The provider's reference of the failed transaction, when it made one (a declined charge).
    pub provider_ref: Option<ProviderRef>,
    /// For a decline: the network's codes where the provider passed them on, and what the
    /// provider's decline table says its raw code means. `None` for every other kind. Boxed so
    /// that every `Result<_, ProviderError>` stays small.
    pub decline: Option<Box<Decline>>,
}

/// What is known of one decline, beside the raw code in [`ProviderError::provider_code`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decline {
    /// The issuer's response code as the network sent it ("05", "R1"), when the provider passes
    /// it on. None of the four providers is known to return one today (each `errors.rs` says so).
    pub network_code: Option<String>,
    /// Mastercard's merchant advice code ("03", "21"), when the provider passes it on (Assist's
    /// `merchantadvicecode`).
    pub merchant_advice_code: Option<String>,
    /// The provider table's reading of the raw code (or of its absence).
    pub meaning: DeclineMeaning,
}

impl Decline {
    /// A decline known only by what the provider table says of its raw code.
    pub fn from_table(meaning: DeclineMeaning) -> Decline {
        Decline {
            network_code: None,
            merchant_advice_code: None,
            meaning,
        }
    }

    /// Everything known, as the policy reads it.
    pub fn signals(&self) -> DeclineSignals<'_> {
        DeclineSignals {
            network_code: self.network_code.as_deref(),
            merchant_advice_code: self.merchant_advice_code.as_deref(),
            implied: Some(self.meaning),
        }
    }

    /// Whether no further attempt may go to a card of `brand`, and whether the contract ends
    /// (a revoked authorization): the live network codes first, then the table.
    pub fn never_retry(&self, brand: &CardBrand) -> Option<NeverRetry> {
        never_retry_from(brand, &self.signals())
    }

    /// Whether the decline forbids retrying on any card: the table's hard flag, or a network
    /// code that Visa or Mastercard forbid retrying on whatever the brand turns out to be.
    pub fn is_hard(&self) -> bool {
        self.meaning.hard
            || [CardBrand::Visa, CardBrand::Mastercard]
                .iter()
                .any(|brand| {
                    coffer_core::policy::network_limits::never_retry(
                        brand,
                        self.network_code.as_deref(),
                        self.merchant_advice_code.as_deref(),
                    )
                    .is_some()
                })
    }
}

impl ProviderError {
    /// An error of `kind` with a message.
    pub fn new(kind: ProviderErrorKind, message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind,
            provider_code: None,
            message: message.into(),
            provider_ref: None,
            decline: None,
        }
    }

    /// Adds what is known of a decline.
    pub fn with_decline(mut self, decline: Decline) -> ProviderError {
        self.decline = Some(Box::new(decline));
        self
    }

    /// Adds the network's response code and Mastercard's merchant advice code the provider
    /// passed on with a decline (either may be absent). A decline without a table reading gets
    /// [`DeclineMeaning::UNKNOWN_SOFT`] until one is added.
    pub fn with_network_codes(
        mut self,
        network_code: Option<String>,
        merchant_advice_code: Option<String>,
    ) -> ProviderError {
        let mut decline = self
            .decline
            .take()
            .unwrap_or_else(|| Box::new(Decline::from_table(DeclineMeaning::UNKNOWN_SOFT)));
        decline.network_code = network_code.filter(|c| !c.trim().is_empty());
        decline.merchant_advice_code = merchant_advice_code.filter(|c| !c.trim().is_empty());
        self.decline = Some(decline);
        self
    }

    /// Adds the provider's code.
    pub fn with_code(mut self, code: impl Into<String>) -> ProviderError {
        self.provider_code = Some(code.into());
        self
    }

    /// Adds the provider's transaction reference.
    pub fn with_ref(mut self, reference: ProviderRef) -> ProviderError {
        self.provider_ref = Some(reference);
        self
    }

    /// An unreadable answer.
    pub fn malformed(what: impl fmt::Display) -> ProviderError {
        ProviderError::new(
            ProviderErrorKind::MalformedResponse,
            format!("unreadable provider response: {what}"),
        )
    }

    /// The same error as met after a write left Coffer: an unreadable answer may hide money
    /// that moved (DESIGN §4 step 3), so [`ProviderErrorKind::MalformedResponse`] becomes
    /// [`ProviderErrorKind::UnknownOutcome`]; every other kind is kept.
    pub(crate) fn after_write(mut self) -> ProviderError {
        if self.kind == ProviderErrorKind::MalformedResponse {
            self.kind = ProviderErrorKind::UnknownOutcome;
            self.message = format!(
                "{}; the outcome is unknown until it is looked up",
                self.message
            );
        }
        self
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(code) = &self.provider_code {
            write!(f, " (code {code})")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unknown_outcome_or_a_duplicate_may_have_moved_money() {
        use ProviderErrorKind as K;
        let all = [
            K::DeclinedHard,
            K::DeclinedSoft,
            K::InvalidRequest { field: None },
            K::Auth,
            K::RateLimited { retry_after: None },
            K::Unavailable,
            K::UnknownOutcome,
            K::MalformedResponse,
            K::NotFound,
            K::Duplicate,
            K::Unsupported,
        ];
        let unknown: Vec<&str> = all
            .iter()
            .filter(|k| k.outcome_unknown())
            .map(|k| k.code())
            .collect();
        assert_eq!(
            unknown,
            ["unknown_outcome", "duplicate"],
            "a duplicate means an earlier send arrived; a malformed answer only comes from reads"
        );
    }

    #[test]
    fn an_unreadable_answer_to_a_write_becomes_an_unknown_outcome_and_keeps_its_words() {
        let e = ProviderError::malformed("no orderstate")
            .with_code("x")
            .after_write();
        assert_eq!(
            e.kind,
            ProviderErrorKind::UnknownOutcome,
            "the write may have moved money"
        );
        assert!(e.message.contains("no orderstate"), "{}", e.message);
        assert_eq!(e.provider_code.as_deref(), Some("x"), "the code is kept");
        let declined = ProviderError::new(ProviderErrorKind::DeclinedSoft, "no").after_write();
        assert_eq!(
            declined.kind,
            ProviderErrorKind::DeclinedSoft,
            "an explicit answer stays what it is"
        );
    }

    #[test]
    fn network_codes_ride_on_a_decline_and_mac_03_makes_it_hard() {
        let e = ProviderError::new(ProviderErrorKind::DeclinedSoft, "no")
            .with_code("AS100")
            .with_network_codes(Some("05".into()), Some("03".into()));
        assert_eq!(
            e.provider_code.as_deref(),
            Some("AS100"),
            "the raw code is kept"
        );
        let decline = e.decline.expect("a decline carries its codes");
        assert_eq!(decline.network_code.as_deref(), Some("05"));
        assert!(decline.is_hard(), "MAC 03: do not try again");
        assert!(
            decline
                .never_retry(&coffer_core::CardBrand::Mastercard)
                .is_some_and(|n| !n.stops_contract),
            "03 refuses retries but does not end the contract"
        );
        let blank = ProviderError::new(ProviderErrorKind::DeclinedSoft, "no")
            .with_network_codes(Some(" ".into()), None);
        assert_eq!(
            blank.decline.and_then(|d| d.network_code),
            None,
            "an empty code is no code"
        );
    }
}
