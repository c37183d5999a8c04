//! The schema's versions, embedded from `migrations/NN-name/up.sql`. Released migrations are
//! never edited; a change is a new folder. Before an existing file is upgraded, a copy of it is
//! written beside it (`coffer.db.before-v{N}-{millis}`), because contracts, consents and the
//! ledger are Coffer's own records and a failed upgrade must not cost them.

use include_dir::{include_dir, Dir};
use rusqlite::Connection;
use rusqlite_migration::Migrations;
use std::path::{Path, PathBuf};

use crate::error::{StoreError, StoreResult};

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/migrations");

/// Every schema version, in order.
pub fn migrations() -> StoreResult<Migrations<'static>> {
    Ok(Migrations::from_directory(&MIGRATIONS_DIR)?)
}

/// The newest schema version this build knows.
pub fn latest_version() -> usize {
    MIGRATIONS_DIR.dirs().count()
}

/// The version a migration folder (`NN-name`) brings the schema to: its position in the sorted
/// folder list, so a test names the migration it is about, not a number renumbering can move.
/// `latest_version() + 1` when there is no such folder.
pub fn version_of(folder: &str) -> usize {
    let mut names: Vec<String> = MIGRATIONS_DIR
        .dirs()
        .filter_map(|d| {
            d.path()
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
        })
        .collect();
    names.sort();
    names
        .iter()
        .position(|n| n == folder)
        .map_or(latest_version() + 1, |i| i + 1)
}

/// The schema version of an open database (SQLite `user_version`).
pub fn current_version(conn: &Connection) -> StoreResult<usize> {
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    usize::try_from(v).map_err(|_| StoreError::Corrupt(format!("negative schema version {v}")))
}

/// Brings `conn` to the latest version, first copying the file at `path` when it holds data of
/// an older version. Returns the backup's path when one was made.
pub fn upgrade(
    conn: &mut Connection,
    path: Option<&Path>,
    now_millis: i64,
) -> StoreResult<Option<PathBuf>> {
    let from = current_version(conn)?;
    let latest = latest_version();
    if from > latest {
        return Err(StoreError::Corrupt(format!(
            "the database is schema version {from}, newer than this Coffer ({latest}); use a newer Coffer"
        )));
    }
    let mut backup = None;
    if let Some(path) = path {
        if from > 0 && from < latest {
            let target = PathBuf::from(format!(
                "{}.before-v{}-{}",
                path.display(),
                latest,
                now_millis
            ));
            // Created private and empty first: VACUUM INTO writes into an empty file as it finds it.
            crate::private::create_file(&target).map_err(|source| StoreError::Io {
                context: format!("cannot create {}", target.display()),
                source,
            })?;
            conn.execute("VACUUM INTO ?1", [target.to_string_lossy()])?;
            backup = Some(target);
        }
    }
    migrations()?.to_latest(conn)?;
    Ok(backup)
}
