//! The engine's journeys against the sandboxes over real HTTP, in one test binary.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

mod charging;
mod world;
