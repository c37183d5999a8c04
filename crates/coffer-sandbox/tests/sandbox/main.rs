//! The sandbox over real HTTP: one module per emulator, plus the shared admin API and faults.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod admin;
mod assist;
mod clover;
mod processout;
mod svea;
