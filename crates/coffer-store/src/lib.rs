//! Coffer's SQLite store: the only crate that contains SQL.
//!
//! One file per profile, WAL mode, foreign keys on, a busy timeout so a second process (a cron
//! `coffer run-due` beside the open app) waits instead of failing. Provider data (customers,
//! cards) is a cache a re-sync rebuilds; contracts, consents, notices, the charge ledger and the
//! audit log are Coffer's own records and are never silently dropped.
//!
//! rusqlite is blocking: the engine calls these methods from `spawn_blocking` and never holds a
//! [`Store`] across an `.await`.

pub mod alerts;
pub mod audit_log;
pub mod audit_personal;
pub mod cards;
pub mod charges;
pub mod contracts;
pub mod copies;
pub mod customers;
pub mod dashboard;
pub mod enrollments;
pub mod erasure;
pub mod error;
pub mod export;
pub mod imported;
pub mod merchants;
pub mod migrations;
pub mod notices;
pub mod occurrences;
pub mod private;
pub mod repo;
pub mod room;
pub mod search;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

pub use error::{StoreError, StoreResult};

/// An open Coffer database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    backup: Option<PathBuf>,
    /// The customers' places in name order, for searches (built on first use).
    name_order: search::name_order::NameOrderCache,
}

impl Store {
    /// Opens (or creates) the database file and brings its schema up to date, keeping a copy of
    /// an older file beside it before upgrading.
    pub fn open(path: &Path) -> StoreResult<Store> {
        let io = |what: &str, at: &Path| {
            let context = format!("cannot {what} {}", at.display());
            move |source| StoreError::Io { context, source }
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            private::create_dir(dir).map_err(io("create", dir))?;
            private::restrict(dir).map_err(io("restrict", dir))?;
        }
        // SQLite gives its -wal and -shm files the mode of the database file, so a private
        // database keeps them private too.
        if !path.exists() {
            private::create_file(path).map_err(io("create", path))?;
        }
        for file in [
            path.to_path_buf(),
            sidecar(path, "-wal"),
            sidecar(path, "-shm"),
        ] {
            private::restrict(&file).map_err(io("restrict", &file))?;
        }
        let mut conn = Connection::open(path)?;
        configure(&conn)?;
        let backup = migrations::upgrade(
            &mut conn,
            Some(path),
            Utc::now().timestamp_millis(),
            &room::free_space,
        )?;
        // A group commit plans each charge in a savepoint; past 64 KiB SQLite spills a
        // savepoint's journal to a temp file, opened, written and deleted per charge. Set after
        // the upgrade, whose index builds may sort more than should sit in memory.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        Ok(Store {
            conn,
            path: Some(path.to_path_buf()),
            backup,
            name_order: Default::default(),
        })
    }

    /// A read-only connection to the database file at `path`, opened after [`Store::open`] has
    /// brought its schema up to date: a write through it is refused by SQLite itself.
    pub fn open_reader(path: &Path) -> StoreResult<Store> {
        use rusqlite::OpenFlags;
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(Duration::from_secs(10))?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        conn.pragma_update(None, "cache_size", READER_CACHE_KIB)?;
        Ok(Store {
            conn,
            path: Some(path.to_path_buf()),
            backup: None,
            name_order: Default::default(),
        })
    }

    /// Runs `work` in one read transaction: every query in it sees the same committed state,
    /// whatever the writer commits meanwhile.
    pub fn snapshot<T>(&self, work: impl FnOnce(&Store) -> T) -> StoreResult<T> {
        self.conn.execute_batch("BEGIN DEFERRED")?;
        let _open = RollbackOnDrop(&self.conn);
        let value = work(self);
        self.conn.execute_batch("COMMIT")?;
        Ok(value)
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> StoreResult<Store> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn)?;
        migrations::upgrade(&mut conn, None, 0, &room::free_space)?;
        Ok(Store {
            conn,
            path: None,
            backup: None,
            name_order: Default::default(),
        })
    }

    /// The file, when not in memory.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// A private in-memory copy of this database to rehearse a run on (the due run's preview
    /// does everything a run does, notices and schedules included, and drops the copy).
    pub fn rehearsal_copy(&self) -> StoreResult<Store> {
        let mut conn = Connection::open_in_memory()?;
        {
            let backup = rusqlite::backup::Backup::new(&self.conn, &mut conn)?;
            backup.run_to_completion(1024, Duration::ZERO, None)?;
        }
        conn.pragma_update(None, "foreign_keys", "ON")?;
        Ok(Store {
            conn,
            path: None,
            backup: None,
            name_order: Default::default(),
        })
    }

    /// The copy made before this open upgraded the schema, if it did.
    pub fn backup_made(&self) -> Option<&Path> {
        self.backup.as_deref()
    }

    /// Runs SQLite's own consistency check; `Ok(())` when it answers "ok".
    pub fn integrity_check(&self) -> StoreResult<()> {
        let answer: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
        if answer == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt(answer))
        }
    }

    /// Runs `f` in one transaction: all of it lands or none of it.
    pub fn transaction<T>(
        &mut self,
        f: impl FnOnce(&rusqlite::Transaction<'_>) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Runs `f` as one IMMEDIATE transaction over this store's own methods: a page of sync
    /// results lands whole or not at all, and fast. Not re-entrant.
    ///
    /// Whatever ends it — an error from `f`, a COMMIT that fails (disk full, I/O error, a
    /// deferred constraint: SQLite then leaves the transaction open) or a panic unwinding
    /// through it — what was not committed is rolled back and the write lock released.
    pub fn batch<T>(&self, f: impl FnOnce(&Store) -> StoreResult<T>) -> StoreResult<T> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        let _open = RollbackOnDrop(&self.conn);
        let value = f(self)?;
        self.conn.execute_batch("COMMIT")?;
        Ok(value)
    }

    /// Runs `f` as a savepoint inside the open transaction: when it fails, what it wrote is
    /// undone and the rest of the transaction goes on (one item of a group commit refused
    /// without losing the others).
    pub fn savepoint<T>(&self, f: impl FnOnce(&Store) -> StoreResult<T>) -> StoreResult<T> {
        self.conn.execute_batch("SAVEPOINT item")?;
        match f(self) {
            Ok(value) => {
                self.conn.execute_batch("RELEASE item")?;
                Ok(value)
            }
            Err(e) => {
                // The item's own error matters more than a failed rollback, which the
                // transaction's end undoes anyway.
                let _ = self.conn.execute_batch("ROLLBACK TO item; RELEASE item");
                Err(e)
            }
        }
    }

    /// Rolls back a transaction left open by a call that never finished (a panic in another
    /// thread's store work); a no-op otherwise.
    pub fn recover(&self) -> StoreResult<()> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }

    /// Runs `work` with writes refused (`PRAGMA query_only`), so a read that writes fails here
    /// as it would on a read-only connection.
    pub fn read_only<T>(&self, work: impl FnOnce(&Store) -> T) -> StoreResult<T> {
        self.conn.pragma_update(None, "query_only", true)?;
        let _writable_again = QueryOnlyUntilDrop(&self.conn);
        Ok(work(self))
    }

    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The customers' places in name order at the current version of their names.
    pub(crate) fn name_order(
        &self,
    ) -> StoreResult<Option<std::sync::Arc<search::name_order::NameOrder>>> {
        self.name_order.current(self)
    }
}

/// Rolls back on drop unless the transaction ended (committed, or rolled back by SQLite).
struct RollbackOnDrop<'a>(&'a Connection);

impl Drop for RollbackOnDrop<'_> {
    fn drop(&mut self) {
        if !self.0.is_autocommit() {
            // The error that ended the transaction matters more than a failed rollback.
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

struct QueryOnlyUntilDrop<'a>(&'a Connection);

impl Drop for QueryOnlyUntilDrop<'_> {
    fn drop(&mut self) {
        // Also when the work panicked: the connection must take the next write.
        let _ = self.0.pragma_update(None, "query_only", false);
    }
}

/// Prepared statements each connection keeps: the hot paths (sync upserts, the due run's plan
/// and settle, searches) use a few dozen distinct statements, more than rusqlite's default 16.
const STATEMENT_CACHE: usize = 128;

/// The writer's page cache, in KiB (SQLite's negative `cache_size`). With the default 2 MiB a
/// first sync of 100,000 customers dirties more index pages per transaction than fit: they
/// spill to the WAL before COMMIT and are read back from the OS for the next insert (64 MiB:
/// the first sync at 100,000 customers in 16.8 s instead of 20.2 s). Pages are only allocated
/// as they are touched, so a small profile never grows to this.
const WRITER_CACHE_KIB: i64 = -65_536;

/// Each read-only connection's page cache, in KiB: a search at 1,000,000 cards walks more index
/// pages than the default 2 MiB holds, and re-read them from the OS at every query.
const READER_CACHE_KIB: i64 = -16_384;

fn configure(conn: &Connection) -> StoreResult<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.pragma_update(None, "cache_size", WRITER_CACHE_KIB)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // FULL, not NORMAL: in WAL mode NORMAL syncs only at checkpoints, so a power cut loses the
    // last commits, among them the `sending` row and its audit event written just before a
    // charge request leaves (a charge the provider made with no ledger row). FULL syncs the WAL
    // at each commit, so what is committed is on the disk before the request goes out
    // (tests/reliability/power_loss.rs proves it with simulated lost writes).
    conn.pragma_update(None, "synchronous", "FULL")?;
    // What a delete or an update frees is overwritten with zeros, not left in the file's free
    // space: an erasure says the person's name, e-mail, phone and address are gone, and
    // without this their bytes stayed readable in the database file (found with grep after an
    // erasure). FTS5 keeps its own traces: schema 26 turns its `secure-delete` on.
    conn.pragma_update(None, "secure_delete", "ON")?;
    Ok(())
}

/// Unix milliseconds, the storage form of an instant.
pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

/// Reads an instant back.
pub(crate) fn instant(ms: i64) -> StoreResult<DateTime<Utc>> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Corrupt(format!("{ms} is not a valid instant")))
}

/// `coffer.db` → `coffer.db-wal`.
fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_tables() -> Store {
        let store = Store::open_in_memory().unwrap();
        store
            .conn()
            .execute_batch(
                "CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (id INTEGER PRIMARY KEY,
                     parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED,
                     filler TEXT);",
            )
            .unwrap();
        store
    }

    fn children(store: &Store) -> i64 {
        store
            .conn()
            .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
            .unwrap()
    }

    fn insert(store: &Store, parent: i64, filler: &str) -> StoreResult<()> {
        store.conn().execute(
            "INSERT INTO child (parent, filler) VALUES (?1, ?2)",
            rusqlite::params![parent, filler],
        )?;
        Ok(())
    }

    #[test]
    fn a_failed_commit_rolls_back_and_releases_the_write_lock() {
        let store = store_with_tables();
        // A deferred constraint fails at COMMIT, which SQLite leaves open.
        let failed = store.batch(|s| insert(s, 99, "orphan"));
        assert!(failed.is_err(), "the COMMIT fails");
        assert!(store.conn().is_autocommit(), "no transaction is left open");
        assert_eq!(children(&store), 0, "nothing of it landed");
        store
            .batch(|s| {
                s.conn().execute("INSERT INTO parent (id) VALUES (1)", [])?;
                insert(s, 1, "kept")
            })
            .expect("the next write goes through");
        assert_eq!(children(&store), 1);
    }

    #[test]
    fn a_full_disk_loses_the_batch_only_and_writes_resume_when_there_is_room() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("coffer.db")).unwrap();
        store
            .conn()
            .execute_batch("CREATE TABLE child (id INTEGER PRIMARY KEY, filler TEXT);")
            .unwrap();
        let pages: i64 = store
            .conn()
            .query_row("PRAGMA page_count", [], |r| r.get(0))
            .unwrap();
        // SQLite's own limit on the file's size: past it every write fails SQLITE_FULL, as on a
        // full disk.
        store
            .conn()
            .pragma_update(None, "max_page_count", pages + 2)
            .unwrap();
        let big = "x".repeat(64 * 1024);
        let full = store.batch(|s| {
            s.conn()
                .execute("INSERT INTO child (filler) VALUES ('small')", [])?;
            s.conn()
                .execute("INSERT INTO child (filler) VALUES (?1)", [&big])?;
            Ok(())
        });
        let error = full.expect_err("the disk is full");
        assert!(error.to_string().contains("full"), "{error}");
        assert!(store.conn().is_autocommit(), "rolled back");
        let rows: i64 = store
            .conn()
            .query_row("SELECT count(*) FROM child", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0, "the small row of the same batch went with it");
        store
            .conn()
            .pragma_update(None, "max_page_count", 1_000_000)
            .unwrap();
        store
            .batch(|s| {
                s.conn()
                    .execute("INSERT INTO child (filler) VALUES (?1)", [&big])?;
                Ok(())
            })
            .expect("with room again, writes resume on the same connection");
    }

    #[test]
    fn a_panic_inside_a_batch_rolls_back() {
        let store = store_with_tables();
        store
            .conn()
            .execute("INSERT INTO parent (id) VALUES (1)", [])
            .unwrap();
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: StoreResult<()> = store.batch(|s| {
                insert(s, 1, "half")?;
                panic!("a bug in the middle of a write");
            });
        }));
        assert!(unwound.is_err());
        assert!(
            store.conn().is_autocommit(),
            "the transaction was rolled back"
        );
        assert_eq!(children(&store), 0);
        store.recover().unwrap();
        store.batch(|s| insert(s, 1, "after")).unwrap();
        assert_eq!(children(&store), 1);
    }
}
