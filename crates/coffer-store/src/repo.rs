//! The repository traits: the only way the engine reaches Coffer's records (DESIGN §7).
//!
//! Each aggregate's file declares two traits beside their SQLite implementation: its reads
//! (`CardReads`) and its writes (`CardWrites: CardReads`). [`ReadRepositories`] gathers the
//! reads, [`Repositories`] everything, and a [`Database`] hands either out to one piece of work
//! at a time. The engine names only these, so a second implementation — PostgreSQL for several
//! desks sharing one ledger, or a writer task beside read-only connections — comes in without
//! touching a use case. What stops a double charge stays in the schema (the UNIQUE keys, the
//! triggers on settled rows), so every implementation must carry those guarantees too.

use std::sync::Mutex;

use crate::error::{StoreError, StoreResult};
use crate::Store;

pub use crate::alerts::{AlertReads, AlertWrites};
pub use crate::audit_log::{AuditReads, AuditWrites};
pub use crate::cards::{CardReads, CardWrites};
pub use crate::charges::{LedgerReads, LedgerWrites};
pub use crate::contracts::{ContractReads, ContractWrites};
pub use crate::customers::{CustomerReads, CustomerWrites};
pub use crate::dashboard::DashboardReads;
pub use crate::enrollments::{EnrollmentReads, EnrollmentWrites};
pub use crate::erasure::{ErasureReads, ErasureWrites};
pub use crate::export::ExportReads;
pub use crate::imported::{ImportedReads, ImportedWrites};
pub use crate::merchants::{MerchantReads, MerchantWrites};
pub use crate::notices::{NoticeReads, NoticeWrites};
pub use crate::occurrences::{OccurrenceReads, OccurrenceWrites};
pub use crate::search::SearchReads;
pub use crate::smtp::{SmtpReads, SmtpWrites};

/// Every repository trait, for `use coffer_store::repo::prelude::*` where their methods are
/// called.
pub mod prelude {
    pub use super::{
        AlertReads, AlertWrites, AuditReads, AuditWrites, CardReads, CardWrites, ContractReads,
        ContractWrites, CustomerReads, CustomerWrites, DashboardReads, Database, EnrollmentReads,
        EnrollmentWrites, ErasureReads, ErasureWrites, ExportReads, ImportedReads, ImportedWrites,
        LedgerReads, LedgerWrites, MerchantReads, MerchantWrites, NoticeReads, NoticeWrites,
        OccurrenceReads, OccurrenceWrites, ReadRepositories, Repositories, SearchReads, SmtpReads,
        SmtpWrites,
    };
}

/// Everything a use case may read. A reader never changes a row, so an implementation may
/// serve it from a read-only connection beside the writer.
pub trait ReadRepositories:
    AlertReads
    + AuditReads
    + CardReads
    + LedgerReads
    + ContractReads
    + CustomerReads
    + DashboardReads
    + EnrollmentReads
    + ErasureReads
    + ExportReads
    + ImportedReads
    + MerchantReads
    + NoticeReads
    + OccurrenceReads
    + SearchReads
    + SmtpReads
{
}

impl<T> ReadRepositories for T where
    T: AlertReads
        + AuditReads
        + CardReads
        + LedgerReads
        + ContractReads
        + CustomerReads
        + DashboardReads
        + EnrollmentReads
        + ErasureReads
        + ExportReads
        + ImportedReads
        + MerchantReads
        + NoticeReads
        + OccurrenceReads
        + SearchReads
        + SmtpReads
{
}

/// Everything a use case may read and write.
pub trait Repositories:
    ReadRepositories
    + AlertWrites
    + AuditWrites
    + CardWrites
    + LedgerWrites
    + ContractWrites
    + CustomerWrites
    + EnrollmentWrites
    + ImportedWrites
    + ErasureWrites
    + MerchantWrites
    + NoticeWrites
    + OccurrenceWrites
    + SmtpWrites
{
    /// Runs `work` as one durable transaction (SQLite: `BEGIN IMMEDIATE`): all of it lands or
    /// none. Called through [`batch`](#method.batch), which carries the work's value out.
    fn in_batch(
        &self,
        work: &mut dyn FnMut(&dyn Repositories) -> StoreResult<()>,
    ) -> StoreResult<()>;

    /// Runs `work` inside the open batch so that, when it fails, only its own writes are undone
    /// (SQLite: a SAVEPOINT). Called through [`savepoint`](#method.savepoint).
    fn in_savepoint(
        &self,
        work: &mut dyn FnMut(&dyn Repositories) -> StoreResult<()>,
    ) -> StoreResult<()>;
}

impl dyn Repositories + '_ {
    /// Runs `work` as one durable transaction and returns its value: an action and its audit
    /// event land together or not at all.
    pub fn batch<T>(
        &self,
        work: impl FnOnce(&dyn Repositories) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut work = Some(work);
        let mut value = None;
        self.in_batch(&mut |repos| {
            if let Some(work) = work.take() {
                value = Some(work(repos)?);
            }
            Ok(())
        })?;
        value.ok_or_else(|| StoreError::Corrupt("a batch ended without running its work".into()))
    }

    /// Runs `work` inside an open batch; when it fails its writes are undone and the batch goes
    /// on, so one refused item of a group commit costs the others nothing.
    pub fn savepoint<T>(
        &self,
        work: impl FnOnce(&dyn Repositories) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let mut work = Some(work);
        let mut value = None;
        self.in_savepoint(&mut |repos| {
            if let Some(work) = work.take() {
                value = Some(work(repos)?);
            }
            Ok(())
        })?;
        value
            .ok_or_else(|| StoreError::Corrupt("a savepoint ended without running its work".into()))
    }
}

impl Repositories for Store {
    fn in_batch(
        &self,
        work: &mut dyn FnMut(&dyn Repositories) -> StoreResult<()>,
    ) -> StoreResult<()> {
        Store::batch(self, |store| work(store))
    }

    fn in_savepoint(
        &self,
        work: &mut dyn FnMut(&dyn Repositories) -> StoreResult<()>,
    ) -> StoreResult<()> {
        Store::savepoint(self, |store| work(store))
    }
}

/// A read or a write handed to a [`Database`]. It runs once, on whatever thread the database
/// chooses, and must not wait on anything but the database.
pub type ReadWork<'a> = Box<dyn FnOnce(&dyn ReadRepositories) + Send + 'a>;
/// See [`ReadWork`].
pub type WriteWork<'a> = Box<dyn FnOnce(&mut dyn Repositories) + Send + 'a>;

/// Where Coffer's records live. Blocking: the engine calls it off the async runtime.
pub trait Database: Send + Sync {
    /// Runs `work` with the reads (it may run beside other reads).
    fn read(&self, work: ReadWork<'_>) -> StoreResult<()>;

    /// Runs `work` with every repository, writes included, one writer at a time.
    fn write(&self, work: WriteWork<'_>) -> StoreResult<()>;

    /// A private in-memory copy of everything, for a rehearsal that must leave no trace.
    fn rehearsal_copy(&self) -> StoreResult<Box<dyn Database>>;
}

/// The SQLite file of one profile: one writer connection, taken by one piece of write work at a
/// time, and read-only connections beside it, so searches and the reads of a run go on while a
/// batch commits (WAL lets readers and one writer work at once). Each read runs in one read
/// transaction, so it sees one committed state throughout. An in-memory store (tests, a
/// rehearsal copy) has no file to open twice: its reads run on the writer with writes refused.
#[derive(Debug)]
pub struct SqliteStore {
    /// Idle read-only connections; a read takes one or opens one. Declared first so they close
    /// before the writer: SQLite checkpoints the WAL into the database file when its last
    /// connection closes, and a read-only connection cannot.
    readers: Mutex<Vec<Store>>,
    store: Mutex<Store>,
    /// The file readers open; none for an in-memory store.
    path: Option<std::path::PathBuf>,
}

/// Idle read-only connections kept for the next reads; more are opened while reads run beside
/// each other and closed after.
const IDLE_READERS: usize = 4;

impl SqliteStore {
    /// Wraps an opened store.
    pub fn new(store: Store) -> SqliteStore {
        SqliteStore {
            path: store.path().map(std::path::Path::to_path_buf),
            store: Mutex::new(store),
            readers: Mutex::new(Vec::new()),
        }
    }

    fn with(&self, work: impl FnOnce(&mut Store)) -> StoreResult<()> {
        let mut store = match self.store.lock() {
            Ok(store) => store,
            // An earlier piece of work panicked (that call failed). Its transaction was rolled
            // back as it unwound; the connection itself is sound, so Coffer carries on instead
            // of refusing every later call until it is restarted.
            Err(poisoned) => {
                self.store.clear_poison();
                let store = poisoned.into_inner();
                store.recover()?;
                store
            }
        };
        work(&mut store);
        Ok(())
    }

    fn reader(&self, path: &std::path::Path) -> StoreResult<Store> {
        let idle = self.readers.lock().ok().and_then(|mut idle| idle.pop());
        match idle {
            Some(reader) => Ok(reader),
            None => Store::open_reader(path),
        }
    }

    fn give_back(&self, reader: Store) {
        if let Ok(mut idle) = self.readers.lock() {
            if idle.len() < IDLE_READERS {
                idle.push(reader);
            }
        }
    }
}

impl Database for SqliteStore {
    fn read(&self, work: ReadWork<'_>) -> StoreResult<()> {
        let Some(path) = &self.path else {
            let mut read = Ok(());
            self.with(|store| read = store.read_only(|store| work(store)))?;
            return read;
        };
        let reader = self.reader(path)?;
        reader.snapshot(|store| work(store))?;
        self.give_back(reader);
        Ok(())
    }

    fn write(&self, work: WriteWork<'_>) -> StoreResult<()> {
        self.with(|store| work(store))
    }

    fn rehearsal_copy(&self) -> StoreResult<Box<dyn Database>> {
        let mut copy = None;
        self.with(|store| copy = Some(store.rehearsal_copy()))?;
        let copy = copy.ok_or_else(|| StoreError::Corrupt("no copy was made".into()))??;
        Ok(Box::new(SqliteStore::new(copy)))
    }
}
