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
    /// The provider is down or answered 5xx before taking the request.
    Unavailable,
    /// The request may have been processed but no answer came (timeout, dropped connection
    /// after sending). Only a lookup by key or order id can tell.
    UnknownOutcome,
    /// The provider answered something we cannot read. For a write this is as good as
    /// [`ProviderErrorKind::UnknownOutcome`]: the engine reconciles it.
    MalformedResponse,
    /// The thing asked for does not exist at the provider.
    NotFound,
    /// The order id or key was used before for a different request (Assist duplicate
    /// OrderNumber, Svea `existingPayment`).
    Duplicate,
    /// The provider has no such operation.
    Unsupported,
}

impl ProviderErrorKind {
    /// Whether the money may have moved: the engine must reconcile before anything else.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ProviderErrorKind::UnknownOutcome | ProviderErrorKind::MalformedResponse
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
