//! The real `coffer` binary in child processes, as an owner or a script runs it: merchants with
//! their secrets in the real keyring, `demo` against a `coffer sandbox` process and the embedded
//! sandboxes, register CSV import, and search with `--json`.
//!
//! Keyring tests need a Secret Service: run them through `scripts/with-keyring.sh` (test.sh does).
//! Without one they fail saying so, unless `COFFER_E2E_SKIP_KEYRING=1` asks to skip them.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod card_import;
mod closed_pipe;
mod contract_terms;
mod copies;
mod demo;
mod exactly_once;
mod import;
mod safety;
mod search;
mod secrets;
mod svea;

use coffer_e2e::Profile;

/// A profile filled by `coffer demo` with the embedded sandboxes.
pub fn embedded_demo() -> Profile {
    let profile = Profile::new();
    let run = profile.coffer(&["--json", "demo"]).ok();
    let summary = run.json();
    for s in summary["synced"].as_array().unwrap() {
        assert!(s["error"].is_null(), "demo syncs every merchant: {s}");
    }
    profile
}

/// The JSON array a command printed.
pub fn array(value: &serde_json::Value) -> &Vec<serde_json::Value> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("a JSON array: {value}"))
}
