//! What a Svea V4 payment is, apart from where it is kept: the flow that made it
//! (`pmt_version`) and the return URLs its request named (`pmt_okreturn`…). Both the rules and
//! the state read these, so they live below both (as Assist's `order.rs` does).

use serde::{Deserialize, Serialize};

/// Which V4 flow created a payment (`pmt_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum Flow {
    /// 0004: a plain browser payment.
    Payment,
    /// 4304: payment and card tokenization.
    PaymentAndTokenize,
    /// 4504: zero-sum tokenization.
    Tokenize,
    /// 4204: merchant-initiated charge of a token.
    TokenCharge,
}

impl Flow {
    pub(crate) fn version(self) -> &'static str {
        match self {
            Flow::Payment => "0004",
            Flow::PaymentAndTokenize => "4304",
            Flow::Tokenize => "4504",
            Flow::TokenCharge => "4204",
        }
    }

    pub(crate) fn action(self) -> &'static str {
        match self {
            Flow::Tokenize => "TOKENIZE",
            _ => "NEW_PAYMENT_EXTENDED",
        }
    }

    pub(crate) fn tokenizes(self) -> bool {
        matches!(self, Flow::PaymentAndTokenize | Flow::Tokenize)
    }
}

/// Where the payer's browser is sent back to (`pmt_okreturn`, `pmt_errorreturn`,
/// `pmt_cancelreturn`, `pmt_delayedpayreturn`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ReturnUrls {
    pub ok: String,
    pub error: String,
    pub cancel: String,
    pub delayed: String,
}
