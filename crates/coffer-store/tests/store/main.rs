//! The store's integration tests; modules mirror `src/`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod audit_log;
mod cards;
mod charges;
mod customers;
mod enrollments;
mod erasure;
mod merchants;
mod migrations;
mod repo;
mod search;

use chrono::{TimeZone, Utc};
use coffer_core::{CloverAccount, Currency, Environment, ProviderAccount};
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
