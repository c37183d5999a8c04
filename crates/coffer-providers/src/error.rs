//! `ProviderError`: every way a call to a provider can fail, sorted into the kinds the engine acts
//! on. Each client maps its provider's status codes and error codes here, in its `errors.rs`.

use std::fmt;
use std::time::Duration;

use coffer_core::ProviderRef;

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
}

impl ProviderError {
    /// An error of `kind` with a message.
    pub fn new(kind: ProviderErrorKind, message: impl Into<String>) -> ProviderError {
        ProviderError {
            kind,
            provider_code: None,
            message: message.into(),
            provider_ref: None,
        }
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
}
