//! Where a profile lives. `--data-dir`, then `COFFER_DATA_DIR`, then the folder the owner chose in
//! the app's settings (a one-line pointer file in the platform's config dir), then the platform
//! data dir. Tests set `COFFER_DATA_DIR`, so they never touch the owner's real data.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{EngineError, EngineResult, ErrorKind};
use crate::Engine;

/// The environment variable that redirects the profile directory.
pub const DATA_DIR_ENV: &str = "COFFER_DATA_DIR";

/// The profile directory: the explicit one, else `$COFFER_DATA_DIR`, else the one chosen in the
/// settings, else the platform's data dir (`~/.local/share/coffer` on Linux).
pub fn data_dir(explicit: Option<&Path>) -> EngineResult<PathBuf> {
    if let Some(dir) = explicit {
        return Ok(dir.to_path_buf());
    }
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = chosen_data_dir() {
        return Ok(dir);
    }
    project_dirs()
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

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "Coffer", "coffer")
}

/// The file that remembers the data folder chosen in the settings.
fn pointer_file() -> Option<PathBuf> {
    project_dirs().map(|dirs| dirs.config_dir().join("data-dir"))
}

fn chosen_data_dir() -> Option<PathBuf> {
    let text = std::fs::read_to_string(pointer_file()?).ok()?;
    let dir = PathBuf::from(text.trim());
    dir.is_absolute().then_some(dir)
}

/// Where this profile's files are, for the settings page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProfileView {
    /// Coffer's version.
    pub version: String,
    /// The data folder in use.
    pub data_dir: String,
    /// The database file.
    pub database: String,
    /// Notices written as .eml files.
    pub outbox_dir: String,
    /// CSV exports.
    pub exports_dir: String,
    /// The OS keyring service the secrets are kept under.
    pub keyring_service: String,
    /// The data folder the next start will use, when the owner chose another one.
    pub next_data_dir: Option<String>,
    /// Why the chosen folder is not in use (`--data-dir` or `COFFER_DATA_DIR` wins), if so.
    pub overridden_by: Option<String>,
}

impl Engine {
    /// Where this profile's files are.
    pub fn profile(&self) -> ProfileView {
        let chosen = chosen_data_dir();
        let in_use = self.data_dir().to_path_buf();
        let overridden = std::env::var_os(DATA_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(|_| format!("{DATA_DIR_ENV} is set"));
        ProfileView {
            version: env!("CARGO_PKG_VERSION").to_string(),
            data_dir: in_use.display().to_string(),
            database: database_path(&in_use).display().to_string(),
            outbox_dir: self.outbox_dir().display().to_string(),
            exports_dir: self.exports_dir().display().to_string(),
            keyring_service: crate::secrets::keyring_service(),
            next_data_dir: chosen
                .filter(|dir| *dir != in_use)
                .map(|dir| dir.display().to_string()),
            overridden_by: overridden,
        }
    }

    /// Makes Coffer open `dir` from the next start on (an empty folder starts a new profile; a
    /// folder with a Coffer database opens it). Nothing is moved or deleted: the current folder
    /// stays as it is, to go back to or to copy from.
    pub fn choose_data_dir(&self, dir: &str) -> EngineResult<ProfileView> {
        let path = PathBuf::from(dir.trim());
        if !path.is_absolute() {
            return Err(coffer_core::InvalidInput::new(
                "data_dir",
                format!("'{dir}' must be an absolute path, such as /home/me/coffer-data"),
            )
            .into());
        }
        if path.exists() && !path.is_dir() {
            return Err(coffer_core::InvalidInput::new(
                "data_dir",
                format!("'{dir}' is a file, not a folder"),
            )
            .into());
        }
        coffer_store::private::create_dir(&path).map_err(|e| {
            coffer_core::InvalidInput::new("data_dir", format!("cannot create '{dir}': {e}"))
        })?;
        let pointer = pointer_file().ok_or_else(|| {
            EngineError::new(
                ErrorKind::Internal,
                "no config folder to remember the data folder in",
            )
        })?;
        if let Some(parent) = pointer.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                EngineError::new(
                    ErrorKind::Internal,
                    format!("cannot write {}: {e}", parent.display()),
                )
            })?;
        }
        std::fs::write(&pointer, format!("{}\n", path.display())).map_err(|e| {
            EngineError::new(
                ErrorKind::Internal,
                format!("cannot write {}: {e}", pointer.display()),
            )
        })?;
        Ok(self.profile())
    }
}
