//! Validation errors of the domain. Each names the field and the rule it broke, so the CLI and the
//! UI can show "last4: must be exactly 4 digits" without parsing anything.

use std::fmt;

/// A value that does not satisfy a domain rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct InvalidInput {
    /// The field as the user or the provider named it (`amount`, `exp_month`, `last4`).
    pub field: String,
    /// The rule, in plain words, including the offending value where it is safe to show.
    pub rule: String,
}

impl InvalidInput {
    /// Builds an error for `field` breaking `rule`.
    pub fn new(field: impl Into<String>, rule: impl fmt::Display) -> Self {
        Self {
            field: field.into(),
            rule: rule.to_string(),
        }
    }
}
