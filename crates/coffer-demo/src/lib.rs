//! Sandbox mode, for the hosts that start Coffer (the `coffer` CLI and the desktop shell): the
//! four provider emulators embedded in the process, plugged into the engine as its
//! [`EmbeddedSandboxes`](coffer_engine::sandboxes::EmbeddedSandboxes), and the demo onboarding
//! that registers a sandbox's seeded merchants. The engine itself links no emulator.

pub mod demo;
pub mod embedded;

use std::sync::Arc;

use coffer_engine::EngineBuilder;

pub use demo::{demo, DemoSummary, DEMO_CONSENT_TERMS};
pub use embedded::{Embedded, EMBEDDED_CUSTOMERS};

/// An engine builder whose `embedded:<provider>` merchants reach this process's sandboxes.
pub fn with_embedded_sandboxes(builder: EngineBuilder) -> EngineBuilder {
    builder.embedded_sandboxes(Arc::new(Embedded::default()))
}
