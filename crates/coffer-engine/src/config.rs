//! Where a profile lives. `COFFER_DATA_DIR` (or `--data-dir`) overrides the platform data dir, so
//! tests and a second profile never touch the owner's real data.

use std::path::{Path, PathBuf};

use crate::error::{EngineError, EngineResult, ErrorKind};

/// The environment variable that redirects the profile directory.
pub const DATA_DIR_ENV: &str = "COFFER_DATA_DIR";

/// The profile directory: the explicit one, else `$COFFER_DATA_DIR`, else the platform's data
/// dir (`~/.local/share/coffer` on Linux).
pub fn data_dir(explicit: Option<&Path>) -> EngineResult<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "Coffer", "coffer")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or_else(|| {
            EngineError::new(
                ErrorKind::Internal,
                "no home directory to keep Coffer's data in; pass --data-dir",
            )
        })
}

/// The database file inside a profile directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("coffer.db")
}
