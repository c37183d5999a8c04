//! The store's integration tests; modules mirror `src/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod audit_log;
mod cards;
mod charges;
mod copies;
mod customers;
mod enrollments;
mod erasure;
mod merchants;
mod migrations;
mod repo;
mod search;

use chrono::{TimeZone, Utc};
use coffer_core::{
    AttemptKind, CardId, CloverAccount, Currency, Environment, IdempotencyKey, MerchantId, Money,
    ProviderAccount, ProviderRef, Reason, StoredCredential,
};
use coffer_store::charges::NewAttempt;
use coffer_store::merchants::NewMerchant;

pub fn at(ms: i64) -> chrono::DateTime<Utc> {
    Utc.timestamp_millis_opt(1_790_000_000_000 + ms).unwrap()
}

pub fn clover_merchant(uuid: &str) -> NewMerchant {
    NewMerchant {
        name: format!("Store {uuid}"),
        account: ProviderAccount::Clover(CloverAccount {
            merchant_uuid: uuid.into(),
            pakms_key: None,
        }),
        environment: Environment::Sandbox,
        base_url: "http://127.0.0.1:9/clover".into(),
        time_zone: chrono_tz::Europe::Helsinki,
        currency: Currency::EUR,
        notice_lead_days: 3,
        group: Some("owner".into()),
        endpoint: Default::default(),
    }
}

/// A merchant-initiated charge of 9.90 EUR on `card` under key `key-1` (order `CFORDER1`),
/// made at `at(0)`, its request as `request_json`.
pub fn charge_of(merchant: MerchantId, card: CardId, request_json: &str) -> NewAttempt {
    NewAttempt {
        kind: AttemptKind::Charge,
        merchant_id: merchant,
        card_id: card,
        contract_id: None,
        occurrence: None,
        try_number: 1,
        refund_of: None,
        amount: Money::from_minor(990, Currency::EUR),
        credential: StoredCredential::merchant_initiated(
            Reason::Unscheduled,
            ProviderRef("REF".into()),
        ),
        idempotency_key: IdempotencyKey("key-1".into()),
        order_id: "CFORDER1".into(),
        created_at: at(0),
        request_json: Some(request_json.into()),
    }
}
