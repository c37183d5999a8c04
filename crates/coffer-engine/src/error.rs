//! `EngineError` and the stable [`ErrorKind`] codes the UI and the CLI switch on.

use coffer_core::InvalidInput;
use coffer_store::StoreError;
use serde::Serialize;

/// The public contract: what a caller may do differently. Add a code only when the UI or the
/// CLI treats it differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Bad input; the message names the field and the rule.
    InvalidInput,
    /// A policy rule refused the charge before it reached the wire.
    PolicyRefused,
    /// The provider declined and said never to retry.
    DeclinedHard,
    /// The provider declined; a later retry may succeed.
    DeclinedSoft,
    /// The provider could not be reached or refused to work.
    ProviderUnavailable,
    /// The provider may have processed the request; reconcile before anything else.
    UnknownOutcome,
    /// Credentials were refused by the provider.
    Auth,
    /// No such thing.
    NotFound,
    /// It already exists, or another request got there first.
    Conflict,
    /// No OS keyring (Secret Service) is reachable; nothing was stored elsewhere.
    KeyringUnavailable,
    /// The audit log's hash chain is broken.
    AuditBroken,
    /// A bug or a broken environment.
    Internal,
}

impl ErrorKind {
    /// The snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::PolicyRefused => "policy_refused",
            ErrorKind::DeclinedHard => "declined_hard",
            ErrorKind::DeclinedSoft => "declined_soft",
            ErrorKind::ProviderUnavailable => "provider_unavailable",
            ErrorKind::UnknownOutcome => "unknown_outcome",
            ErrorKind::Auth => "auth",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Conflict => "conflict",
            ErrorKind::KeyringUnavailable => "keyring_unavailable",
            ErrorKind::AuditBroken => "audit_broken",
            ErrorKind::Internal => "internal",
        }
    }
}

/// A failed use case.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Bad input.
    #[error("{0}")]
    Invalid(#[from] InvalidInput),
    /// The store refused or failed.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Anything else, with its kind.
    #[error("{message}")]
    Other {
        /// The kind.
        kind: ErrorKind,
        /// Plain words.
        message: String,
    },
}

impl EngineError {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> EngineError {
        EngineError::Other {
            kind,
            message: message.into(),
        }
    }

    /// The stable code.
    pub fn kind(&self) -> ErrorKind {
        match self {
            EngineError::Invalid(_) => ErrorKind::InvalidInput,
            EngineError::Store(StoreError::NotFound { .. }) => ErrorKind::NotFound,
            EngineError::Store(StoreError::Conflict(_)) => ErrorKind::Conflict,
            EngineError::Store(_) => ErrorKind::Internal,
            EngineError::Other { kind, .. } => *kind,
        }
    }

    /// The `{kind, message}` envelope the UI and `--json` show.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            kind: self.kind(),
            message: self.to_string(),
            field: match self {
                EngineError::Invalid(e) => Some(e.field.clone()),
                _ => None,
            },
        }
    }
}

/// What crosses to the UI and the CLI's `--json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorEnvelope {
    /// Stable code.
    pub kind: ErrorKind,
    /// Plain words, naming the field and rule.
    pub message: String,
    /// The field, for input errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Results of the engine.
pub type EngineResult<T> = Result<T, EngineError>;
