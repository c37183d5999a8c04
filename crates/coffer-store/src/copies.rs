//! The copies of the database kept before upgrades (`coffer.db.before-vN-<millis>`), beside it
//! in the profile's folder: how one is named, which exist, and deleting one. Each is a whole
//! database as it was then, erased customers' details included, so the owner sees them and
//! decides when they go; nothing deletes one by itself.

use std::path::{Path, PathBuf};

use crate::error::{StoreError, StoreResult};

/// What names a copy kept before an upgrade: `coffer.db.before-vN-<millis>`.
const MARK: &str = ".before-v";

/// One copy kept before an upgrade.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpgradeCopy {
    /// The file.
    pub path: PathBuf,
    /// The schema version the upgrade it was kept before brought the database to.
    pub upgraded_to: usize,
    /// When it was made, in milliseconds since the Unix epoch (from its name).
    pub made_at_millis: i64,
    /// Its size on disk.
    pub bytes: u64,
}

impl UpgradeCopy {
    /// Its file name, which is how the owner names it to delete it.
    pub fn file_name(&self) -> String {
        self.path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

/// The copy kept before upgrading the database at `database` to `version`.
pub(crate) fn path_of(database: &Path, version: usize, now_millis: i64) -> PathBuf {
    PathBuf::from(format!(
        "{}{MARK}{version}-{now_millis}",
        database.display()
    ))
}

/// The copies kept before upgrades beside the database at `database`, oldest first.
pub fn of(database: &Path) -> StoreResult<Vec<UpgradeCopy>> {
    let (Some(dir), Some(name)) = (database.parent(), database.file_name()) else {
        return Ok(Vec::new());
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!("{}{MARK}", name.to_string_lossy());
    let entries = std::fs::read_dir(dir).map_err(|source| StoreError::Io {
        context: format!("cannot list {}", dir.display()),
        source,
    })?;
    let mut copies: Vec<UpgradeCopy> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let (version, made) = name.strip_prefix(&prefix)?.split_once('-')?;
            let metadata = entry.metadata().ok().filter(|m| m.is_file())?;
            Some(UpgradeCopy {
                path: entry.path(),
                upgraded_to: version.parse().ok()?,
                made_at_millis: made.parse().ok()?,
                bytes: metadata.len(),
            })
        })
        .collect();
    copies.sort_by_key(|c| (c.made_at_millis, c.upgraded_to));
    Ok(copies)
}

/// Deletes the copy named `file_name` beside the database at `database`, and what SQLite may
/// have left beside it (a `-wal`, `-shm` or `-journal` of somebody who opened it). Only a copy
/// [`of`] lists can go: a name is never taken as a path.
pub fn delete(database: &Path, file_name: &str) -> StoreResult<UpgradeCopy> {
    let copy = of(database)?
        .into_iter()
        .find(|c| c.file_name() == file_name)
        .ok_or_else(|| StoreError::NotFound {
            what: format!("copy kept before an upgrade named '{file_name}'"),
        })?;
    for suffix in ["-wal", "-shm", "-journal"] {
        let sidecar = PathBuf::from(format!("{}{suffix}", copy.path.display()));
        match std::fs::remove_file(&sidecar) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(StoreError::Io {
                    context: format!("cannot delete {}", sidecar.display()),
                    source,
                })
            }
        }
    }
    std::fs::remove_file(&copy.path).map_err(|source| StoreError::Io {
        context: format!("cannot delete {}", copy.path.display()),
        source,
    })?;
    Ok(copy)
}
