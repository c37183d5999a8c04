//! The provider contract suite: each client against its own sandbox over real HTTP.

mod assist;
mod clover;
mod processout;
mod svea;
