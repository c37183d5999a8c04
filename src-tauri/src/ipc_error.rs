//! The one error shape that crosses the IPC boundary: `{kind, message, field?}`. The UI switches
//! on `kind` (the engine's stable [`ErrorKind`] codes) and shows `message`; it never parses it.

use coffer_engine::{EngineError, ErrorKind};
use serde::Serialize;

/// A failed command, as the UI receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct IpcError {
    /// Stable code.
    pub kind: ErrorKind,
    /// Plain words, naming the field and the rule.
    pub message: String,
    /// The input field at fault, for `invalid_input`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<EngineError> for IpcError {
    fn from(error: EngineError) -> Self {
        let envelope = error.envelope();
        IpcError {
            kind: envelope.kind,
            message: envelope.message,
            field: envelope.field,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_engine_error_keeps_its_kind_and_field_in_the_envelope() {
        let error: EngineError =
            coffer_core::InvalidInput::new("base_url", "must start with https://").into();
        let ipc = IpcError::from(error);
        assert_eq!(
            ipc.kind,
            ErrorKind::InvalidInput,
            "input errors stay input errors"
        );
        assert_eq!(
            ipc.field.as_deref(),
            Some("base_url"),
            "the UI marks the field at fault"
        );
        let json = serde_json_value(&ipc);
        assert_eq!(
            json["kind"], "invalid_input",
            "the UI switches on the snake_case code"
        );
    }

    #[test]
    fn an_error_without_a_field_leaves_it_out() {
        let ipc = IpcError::from(EngineError::new(
            ErrorKind::NotFound,
            "merchant 9 not found",
        ));
        let json = serde_json_value(&ipc);
        assert!(
            json.get("field").is_none(),
            "no field key when there is none: {json}"
        );
        assert_eq!(json["message"], "merchant 9 not found");
    }

    fn serde_json_value(error: &IpcError) -> serde_json::Value {
        serde_json::to_value(error).expect("an IpcError always serializes")
    }
}
