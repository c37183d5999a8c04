//! The sandbox over real HTTP: one module per emulator, plus the shared admin API and faults.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod admin;
mod assist;
mod clover;
mod processout;
mod svea;

use coffer_sandbox::Sandbox;
use serde_json::Value;

/// `PUT /__sandbox/faults` with `knobs`; returns the knobs as the sandbox echoes them.
async fn set_faults(sandbox: &Sandbox, knobs: Value) -> Value {
    let response = reqwest::Client::new()
        .put(format!("{}/faults", sandbox.urls.admin))
        .json(&knobs)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        200,
        "the sandbox takes the knobs {knobs}"
    );
    response.json().await.unwrap()
}

/// Checks that `response` is the proxy's 502 of `error_after_write_next`, not the provider's.
async fn assert_bad_gateway(response: reqwest::Response, what: &str) {
    assert_eq!(
        response.status(),
        502,
        "{what}: the knob turns the processed answer into a 502"
    );
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<title>502 Bad Gateway</title>") && body.contains("nginx"),
        "{what}: the body is a proxy's page, not the provider's: {body}"
    );
}

/// How long the lag tests set `lookup_lag_secs` to, and how long they wait for it to pass.
const LAG_SECS: u64 = 2;
const PAST_LAG: std::time::Duration = std::time::Duration::from_millis(2_500);
