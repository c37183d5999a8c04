//! One module per subcommand, named as the engine's use cases.

pub mod audit;
pub mod bench;
pub mod charge;
pub mod contracts;
pub mod due;
pub mod export;
pub mod merchants;
pub mod sandbox;
pub mod sync;

use std::path::PathBuf;

use coffer_engine::Engine;

/// Opens the engine on the chosen profile.
pub fn engine(data_dir: Option<PathBuf>) -> anyhow::Result<Engine> {
    Ok(Engine::builder().data_dir(data_dir).open()?)
}
