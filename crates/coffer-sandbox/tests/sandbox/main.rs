//! The sandbox over real HTTP: one module per emulator, plus the shared admin API and faults.

mod admin;
mod svea;
