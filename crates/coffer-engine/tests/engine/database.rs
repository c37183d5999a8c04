//! The engine keeps its records in whatever `Database` the host gives it: another
//! implementation of the repository traits comes in without touching a use case.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::Utc;
use coffer_core::clock::FixedClock;
use coffer_engine::progress::NoProgress;
use coffer_engine::search::CustomerSearch;
use coffer_engine::secrets::MemoryStore;
use coffer_engine::Engine;
use coffer_sandbox::{Sandbox, SandboxConfig};
use coffer_store::repo::{Database, ReadWork, SqliteStore, WriteWork};
use coffer_store::{Store, StoreResult};

/// A second implementation: SQLite in memory, counting what it is asked.
struct Counting {
    inner: SqliteStore,
    reads: AtomicUsize,
    writes: AtomicUsize,
}

impl Database for Counting {
    fn read(&self, work: ReadWork<'_>) -> StoreResult<()> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        self.inner.read(work)
    }

    fn write(&self, work: WriteWork<'_>) -> StoreResult<()> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.inner.write(work)
    }

    fn rehearsal_copy(&self) -> StoreResult<Box<dyn Database>> {
        self.inner.rehearsal_copy()
    }
}

#[tokio::test]
async fn the_use_cases_run_on_the_database_the_host_gives_and_searches_only_read() {
    let sandbox = Sandbox::start(SandboxConfig::demo(10)).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let database = Arc::new(Counting {
        inner: SqliteStore::new(Store::open_in_memory().unwrap()),
        reads: AtomicUsize::new(0),
        writes: AtomicUsize::new(0),
    });
    let engine = coffer_demo::with_embedded_sandboxes(Engine::builder())
        .data_dir(Some(dir.path().to_path_buf()))
        .secrets(Arc::new(MemoryStore::default()))
        .clock(Arc::new(FixedClock(Utc::now())))
        .database(database.clone())
        .open()
        .unwrap();
    coffer_demo::demo(
        &engine,
        Some(sandbox.urls.admin.clone()),
        Arc::new(NoProgress),
    )
    .await
    .unwrap();

    assert!(
        !dir.path().join("coffer.db").exists(),
        "no SQLite file is made beside the given database"
    );
    let merchants = engine.list_merchants().await.unwrap();
    assert!(merchants.len() >= 4, "the demo merchants were saved there");

    let writes = database.writes.load(Ordering::SeqCst);
    let reads = database.reads.load(Ordering::SeqCst);
    let customers = engine
        .search_customers(CustomerSearch::default())
        .await
        .unwrap();
    assert!(
        !customers.is_empty(),
        "the synced customers are found there"
    );
    assert!(database.reads.load(Ordering::SeqCst) > reads);
    assert_eq!(
        database.writes.load(Ordering::SeqCst),
        writes,
        "a search asks for reads only, so read connections can serve it"
    );
}
