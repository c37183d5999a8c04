//! The real `coffer` binary, run as a user or a script would.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod audit;
mod basics;
mod card_life;
mod charging;
mod contract_import;
mod contracts;
mod erase;
mod merchants;
mod reports;

use std::path::Path;
use std::process::{Command, Output};

/// Runs `coffer --data-dir DIR ARGS…`.
pub fn coffer(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_coffer"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("COFFER_DATA_DIR")
        .output()
        .expect("the coffer binary runs")
}

/// Runs `coffer` as if it were noon UTC of `date` (the debug binary's `COFFER_TEST_NOW`), as
/// cron would on that day.
pub fn coffer_on(data_dir: &Path, date: chrono::NaiveDate, args: &[&str]) -> Output {
    on(data_dir, date, args)
        .output()
        .expect("the coffer binary runs")
}

/// The command `coffer_on` runs, to spawn it.
pub fn on(data_dir: &Path, date: chrono::NaiveDate, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coffer"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("COFFER_DATA_DIR")
        .env("COFFER_TEST_NOW", format!("{date}T12:00:00Z"));
    command
}

pub fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}
