//! The provider contract suite: each client against its own sandbox over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod assist;
mod clover;
mod declines;
mod malformed;
mod processout;
mod published;
mod svea;
