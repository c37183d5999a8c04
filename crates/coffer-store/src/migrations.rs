//! The schema's versions, embedded from `migrations/NN-name/up.sql`. Released migrations are
//! never edited; a change is a new folder. Before an existing file is upgraded, a copy of it is
//! written beside it (`coffer.db.before-v{N}-{millis}`), because contracts, consents and the
//! ledger are Coffer's own records and a failed upgrade must not cost them.

use include_dir::{include_dir, Dir};
use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};
use std::path::{Path, PathBuf};

use crate::error::{StoreError, StoreResult};

static MIGRATIONS_DIR: Dir = include_dir!("$CARGO_MANIFEST_DIR/migrations");

/// The migration that keeps audit events' personal details apart; after its SQL, a Rust step
/// ([`crate::audit_personal`]) moves today's chain to that form. Found by the folder's name, so
/// renumbering the folder changes this one line.
pub const AUDIT_PERSONAL_DIGEST: &str = "16-audit-personal-digest";

/// Every schema version, in order. Each checks every foreign key before it commits: the store
/// upgrades with foreign keys off (see [`upgrade`]), so the check is what keeps them true.
pub fn migrations() -> StoreResult<Migrations<'static>> {
    let mut folders: Vec<&'static Dir<'static>> = MIGRATIONS_DIR.dirs().collect();
    folders.sort_by(|a, b| a.path().cmp(b.path()));
    folders
        .into_iter()
        .map(|folder| {
            folder
                .get_file(folder.path().join("up.sql"))
                .and_then(|file| file.contents_utf8())
                .map(|sql| {
                    let named = |name: &str| folder.path().file_name().is_some_and(|n| n == name);
                    if named(AUDIT_PERSONAL_DIGEST) {
                        M::up_with_hook(sql, crate::audit_personal::move_personal_details)
                            .foreign_key_check()
                    } else {
                        M::up(sql).foreign_key_check()
                    }
                })
                .ok_or_else(|| {
                    StoreError::Migration(rusqlite_migration::Error::FileLoad(format!(
                        "{} has no readable up.sql",
                        folder.path().display()
                    )))
                })
        })
        .collect::<StoreResult<Vec<_>>>()
        .map(Migrations::new)
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

/// The upgrade opening the file at `path` will run, as `(from, to)` schema versions; `None`
/// when there is nothing to upgrade (no file yet, an empty one, or the latest schema). Read
/// through a read-only connection, so it neither creates nor changes the file, and answers
/// while another connection holds the write lock.
pub fn pending_upgrade(path: &Path) -> StoreResult<Option<(usize, usize)>> {
    if !path.exists() {
        return Ok(None);
    }
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let (from, latest) = (current_version(&conn)?, latest_version());
    Ok((from > 0 && from < latest).then_some((from, latest)))
}

/// Brings `conn` to the latest version, first copying the file at `path` when it holds data of
/// an older version. Returns the backup's path when one was made. Refuses before writing
/// anything ([`StoreError::NoRoom`]) when `free_space` says the upgrade would fill the disk.
pub fn upgrade(
    conn: &mut Connection,
    path: Option<&Path>,
    now_millis: i64,
    free_space: &crate::room::FreeSpace,
) -> StoreResult<Option<PathBuf>> {
    let from = current_version(conn)?;
    let latest = latest_version();
    if from > latest {
        return Err(StoreError::NewerSchema {
            found: from,
            known: latest,
        });
    }
    // Before the schema changes: a VACUUM that fails (a full disk) leaves nothing upgraded, and
    // the next open scrubs again instead of finding the schema current and never scrubbing.
    let scrub = from > 0 && from < version_of(SCRUBBED);
    let mut backup = None;
    if let Some(path) = path {
        if from > 0 && from < latest {
            crate::room::ensure(
                &crate::room::needed(conn, path, scrub)?,
                free_space,
                &crate::copies::of(path)?,
            )?;
            let target = crate::copies::path_of(path, latest, now_millis);
            // Created private and empty first: SQLite writes into the file as it finds it.
            crate::private::create_file(&target).map_err(|source| StoreError::Io {
                context: format!("cannot create {}", target.display()),
                source,
            })?;
            if let Err(e) = copy_pages(conn, &target) {
                // No half copy left to be mistaken for a backup; nothing was upgraded.
                let _ = std::fs::remove_file(&target);
                return Err(e);
            }
            backup = Some(target);
        }
    }
    if scrub {
        conn.execute_batch("VACUUM")?;
    }
    // Foreign keys can only be switched outside a transaction, and each migration is one. They
    // are off while the schema changes, so that rebuilding a table others refer to (schema 13:
    // merchants) does not run DROP TABLE's implicit DELETE and its cascades; every migration
    // checks all keys before it commits, and they are on again afterwards whatever happened.
    let keys_on: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let migrated = migrations().and_then(|m| Ok(m.to_latest(conn)?));
    conn.pragma_update(None, "foreign_keys", keys_on)?;
    migrated?;
    register_providers(conn)?;
    if scrub {
        // The WAL held the VACUUM's pages, among them the full-text segments the migration has
        // since rewritten. Nobody else has the file open during an upgrade; if somebody did,
        // the old frames are overwritten by the next commits instead.
        truncate_wal(conn)?;
    }
    Ok(backup)
}

/// The schema from which the file holds no deleted content: the writer zeroes what it frees
/// (`secure_delete`) and the full-text index removes deleted entries (`secure-delete`). An
/// upgrade from before it VACUUMs the file first, once: what was freed before (a customer's
/// earlier name or e-mail in a page's free space, pages of rows deleted long ago) was never
/// zeroed, and an erasure after the upgrade must not leave it readable; VACUUM copies only live
/// content. The VACUUM took 1.8 s at 100,000 customers; the whole upgrade of the
/// 1,000,000-customer profile (1.3 GB) 25–28 s instead of 3.9 s. The copy kept before the
/// upgrade holds the file as it was.
const SCRUBBED: &str = "26-full-text-secure-delete";

/// Checkpoints the WAL and truncates it to nothing, so the page images it held (content
/// since deleted) are gone from the disk too. Waits for readers (the busy timeout); false when
/// one still held an older state of the database, and the log could not be emptied.
pub(crate) fn truncate_wal(conn: &Connection) -> StoreResult<bool> {
    let busy: i64 = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))?;
    Ok(busy == 0)
}

/// Copies the database behind `conn` into the empty file `target`, page for page, in one
/// step: one read transaction, so the copy is one committed state even if another process
/// writes meanwhile. SQLite's backup API copies the pages as they are, where `VACUUM INTO`
/// rebuilt every table and index: upgrading the 1.3 GB cache of 1,000,000 customers to a
/// schema that changed one small table took 3.9 s instead of 6.1–7.9 s, nearly all of it this copy.
fn copy_pages(conn: &Connection, target: &Path) -> StoreResult<()> {
    let mut copy = Connection::open(target)?;
    let backup = rusqlite::backup::Backup::new(conn, &mut copy)?;
    match backup.step(-1)? {
        rusqlite::backup::StepResult::Done => Ok(()),
        // Busy or locked: another program holds the file. The next open tries again.
        other => Err(StoreError::Conflict(format!(
            "the copy kept before upgrading could not be made ({other:?}): another program holds \
             the database; nothing was upgraded"
        ))),
    }
}

/// Names every provider of [`coffer_core::ProviderKind::ALL`] in the `providers` table (schema
/// 13), so a new provider needs no migration of its own: the table is filled from core at every
/// open, and the merchants' foreign key to it still refuses a name core does not know. Names
/// already there stay (a row is never deleted: merchants may refer to it).
fn register_providers(conn: &Connection) -> StoreResult<()> {
    let mut insert = conn.prepare("INSERT OR IGNORE INTO providers (name) VALUES (?1)")?;
    for kind in coffer_core::ProviderKind::ALL {
        insert.execute([kind.as_str()])?;
    }
    Ok(())
}
