//! Every payment each emulator processed, as received: what `GET /__sandbox/charges` lists and
//! what tests and benchmarks count duplicates with.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One processed payment or refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedCharge {
    /// "clover", "processout", "assist", "svea".
    pub provider: String,
    /// The provider account id (Clover merchant UUID, ProcessOut project, Assist Merchant_ID,
    /// Svea seller id).
    pub merchant: String,
    /// The provider's id of the payment.
    pub id: String,
    /// "charge" or "refund".
    pub kind: String,
    /// Amount in minor units.
    pub amount_minor: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The token charged.
    pub card_token: String,
    /// The customer reference, when the request named one.
    pub customer: Option<String>,
    /// The Idempotency-Key header, when sent.
    pub idempotency_key: Option<String>,
    /// The merchant's order id (Assist OrderNumber, Svea pmt_id, ProcessOut invoice name).
    pub order_id: Option<String>,
    /// The stored-credential fields exactly as received.
    pub stored_credential: serde_json::Value,
    /// "approved" or "declined".
    pub status: String,
    /// Warnings the emulator returned with it.
    pub warnings: Vec<String>,
    /// When it was processed.
    pub at: DateTime<Utc>,
}

/// The shared list.
#[derive(Debug, Default)]
pub struct Ledger {
    entries: Mutex<Vec<AcceptedCharge>>,
}

impl Ledger {
    /// Appends one payment.
    pub fn record(&self, charge: AcceptedCharge) {
        if let Ok(mut e) = self.entries.lock() {
            e.push(charge);
        }
    }

    /// Everything, oldest first.
    pub fn all(&self) -> Vec<AcceptedCharge> {
        self.entries.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Replaces the content (restore from a state file, or reset).
    pub fn replace(&self, entries: Vec<AcceptedCharge>) {
        if let Ok(mut e) = self.entries.lock() {
            *e = entries;
        }
    }
}
