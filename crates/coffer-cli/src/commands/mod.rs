//! One module per subcommand, named as the engine's use cases.

pub mod audit;
pub mod bench;
pub mod card_import;
pub mod card_life;
pub mod charge;
pub mod contracts;
pub mod copies;
pub mod due;
pub mod enroll;
pub mod erase;
pub mod export;
pub mod merchants;
pub mod sandbox;
pub mod sync;

use std::path::PathBuf;

use coffer_engine::{Engine, EngineBuilder};

/// Opens the engine on the chosen profile.
pub fn engine(data_dir: Option<PathBuf>) -> anyhow::Result<Engine> {
    Ok(builder(data_dir)?.open()?)
}

/// The engine's builder on the chosen profile, with the system clock.
///
/// Debug builds (the binary the tests run) read `COFFER_TEST_NOW` (RFC 3339) as a fixed clock,
/// so a test can be a later day without a flag that would let a user back-date notices,
/// charges or audit events. Release builds ignore it.
pub fn builder(data_dir: Option<PathBuf>) -> anyhow::Result<EngineBuilder> {
    let builder = coffer_demo::with_embedded_sandboxes(Engine::builder().data_dir(data_dir));
    #[cfg(debug_assertions)]
    if let Ok(text) = std::env::var("COFFER_TEST_NOW") {
        let now = chrono::DateTime::parse_from_rfc3339(&text).map_err(|e| {
            coffer_engine::EngineError::new(
                coffer_engine::ErrorKind::InvalidInput,
                format!("COFFER_TEST_NOW: '{text}' is not an RFC 3339 instant: {e}"),
            )
        })?;
        return Ok(
            builder.clock(std::sync::Arc::new(coffer_core::clock::FixedClock(
                now.with_timezone(&chrono::Utc),
            ))),
        );
    }
    Ok(builder)
}
