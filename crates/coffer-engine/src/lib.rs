//! The use cases the CLI and the desktop app call. Both are thin: every command is one call
//! into an [`Engine`] method of the same name.
//!
//! The engine owns the wiring: the records (a [`Database`] of repository traits, blocking,
//! reached through `spawn_blocking`: `read_store` for reads, `with_store` for writes), the clock, the keyring, the provider clients. It links no emulator: the
//! host plugs in its embedded sandboxes ([`sandboxes::EmbeddedSandboxes`]). It is a cheap `Clone`
//! (an `Arc` inside) so the desktop shell can `manage` one and hand it to every command.

pub mod audit;
pub mod card_import;
pub mod card_life;
pub mod charge;
pub mod config;
pub mod connection;
pub mod consent;
pub mod contracts;
pub mod copies;
pub mod customers;
pub mod dashboard;
pub mod due;
pub mod enrollment;
pub mod erase;
pub mod error;
pub mod export;
pub mod holdings;
pub mod import_file;
mod judging;
pub mod merchant_check;
pub mod merchants;
pub mod notices;
mod pipeline;
pub mod progress;
pub mod reconcile;
pub mod refunds;
pub mod sandboxes;
pub mod scope;
pub mod search;
pub mod secrets;
pub mod sync;
pub mod upcoming;
pub mod views;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use coffer_core::audit::NewAuditEvent;
use coffer_core::clock::{Clock, SystemClock};
use coffer_store::repo::{Database, ReadRepositories, Repositories, SqliteStore};
use coffer_store::Store;
use sandboxes::{EmbeddedSandboxes, NoEmbeddedSandboxes};
use secrets::{KeyringStore, SecretStore};

pub use error::{EngineError, EngineResult, ErrorEnvelope, ErrorKind};

/// The use cases.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Database>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretStore>,
    embedded: Arc<dyn EmbeddedSandboxes>,
    data_dir: PathBuf,
    actor: String,
    /// Per merchant, when its provider's last 429 lets the next write go (waited out before a
    /// `sending` commit, never after it).
    rate_limited: Mutex<std::collections::HashMap<coffer_core::MerchantId, tokio::time::Instant>>,
    /// Set on a rehearsal engine (see [`Engine::rehearsal`]): its clock, which a preview moves
    /// to the day it is asked about.
    rehearsal: Option<Arc<PreviewClock>>,
}

/// The machine's clock moved by whole days, so a preview of a later day runs as on that day.
#[derive(Debug, Default)]
pub(crate) struct PreviewClock {
    days_ahead: std::sync::atomic::AtomicI64,
}

impl PreviewClock {
    /// Reads `days` days after the real clock from now on.
    pub(crate) fn set_days_ahead(&self, days: i64) {
        self.days_ahead
            .store(days, std::sync::atomic::Ordering::Relaxed);
    }
}

struct MovedClock {
    real: Arc<dyn Clock>,
    moved: Arc<PreviewClock>,
}

impl Clock for MovedClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        let days = self
            .moved
            .days_ahead
            .load(std::sync::atomic::Ordering::Relaxed);
        self.real.now() + chrono::Duration::days(days)
    }
}

/// How to open an engine.
pub struct EngineBuilder {
    data_dir: Option<PathBuf>,
    clock: Arc<dyn Clock>,
    secrets: Arc<dyn SecretStore>,
    embedded: Arc<dyn EmbeddedSandboxes>,
    database: Option<Arc<dyn Database>>,
}

impl Engine {
    /// Starts building an engine with the system clock and the default profile directory.
    pub fn builder() -> EngineBuilder {
        EngineBuilder {
            data_dir: None,
            clock: Arc::new(SystemClock),
            secrets: Arc::new(KeyringStore),
            embedded: Arc::new(NoEmbeddedSandboxes),
            database: None,
        }
    }

    /// The profile directory.
    pub fn data_dir(&self) -> &Path {
        &self.inner.data_dir
    }

    /// Now, by the engine's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.inner.clock.now()
    }

    /// Runs a keyring call off the async runtime (the Secret Service client blocks).
    pub(crate) async fn secrets_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn SecretStore) -> Result<T, secrets::SecretError> + Send + 'static,
    ) -> EngineResult<T> {
        let secrets = self.inner.secrets.clone();
        tokio::task::spawn_blocking(move || work(secrets.as_ref()))
            .await
            .map_err(|e| {
                EngineError::new(ErrorKind::Internal, format!("keyring task failed: {e}"))
            })?
            .map_err(EngineError::from)
    }

    /// Runs blocking store work that writes off the async runtime, one writer at a time.
    pub(crate) async fn with_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut dyn Repositories) -> EngineResult<T> + Send + 'static,
    ) -> EngineResult<T> {
        let store = self.inner.store.clone();
        Self::blocking(move || {
            let mut value = None;
            store.write(Box::new(|repos| value = Some(work(repos))))?;
            value.unwrap_or_else(no_work)
        })
        .await
    }

    /// Runs blocking store work that only reads off the async runtime (the database may run it
    /// beside other reads).
    pub(crate) async fn read_store<T: Send + 'static>(
        &self,
        work: impl FnOnce(&dyn ReadRepositories) -> EngineResult<T> + Send + 'static,
    ) -> EngineResult<T> {
        let store = self.inner.store.clone();
        Self::blocking(move || {
            let mut value = None;
            store.read(Box::new(|repos| value = Some(work(repos))))?;
            value.unwrap_or_else(no_work)
        })
        .await
    }

    async fn blocking<T: Send + 'static>(
        work: impl FnOnce() -> EngineResult<T> + Send + 'static,
    ) -> EngineResult<T> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| EngineError::new(ErrorKind::Internal, format!("store task failed: {e}")))?
    }

    /// An audit event stamped with now and the OS user; the caller appends it.
    pub(crate) fn audit_event(
        &self,
        merchant_id: Option<i64>,
        action: &str,
        subject: String,
        details: serde_json::Value,
    ) -> NewAuditEvent {
        NewAuditEvent {
            at: self.inner.clock.now(),
            actor: self.inner.actor.clone(),
            merchant_id,
            action: action.to_string(),
            subject,
            details: details.to_string(),
        }
    }
}

/// A store that returned without running the work it was given.
fn no_work<T>() -> EngineResult<T> {
    Err(EngineError::new(
        ErrorKind::Internal,
        "the store returned without running its work",
    ))
}

impl EngineBuilder {
    /// Uses this profile directory instead of the default.
    pub fn data_dir(mut self, dir: Option<PathBuf>) -> Self {
        self.data_dir = dir;
        self
    }

    /// Uses this clock (tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Keeps secrets here instead of the OS keyring (tests inside one process).
    pub fn secrets(mut self, secrets: Arc<dyn SecretStore>) -> Self {
        self.secrets = secrets;
        self
    }

    /// Reaches `embedded:<provider>` merchants through these sandboxes (without, they are
    /// refused with a reason).
    pub fn embedded_sandboxes(mut self, sandboxes: Arc<dyn EmbeddedSandboxes>) -> Self {
        self.embedded = sandboxes;
        self
    }

    /// Keeps the records in this database instead of the profile's SQLite file (another
    /// implementation of the repository traits).
    pub fn database(mut self, database: Arc<dyn Database>) -> Self {
        self.database = Some(database);
        self
    }

    /// The schema upgrade [`EngineBuilder::open`] is about to run on the profile's database, as
    /// `(from, to)` versions: `None` when it runs none (a database given, a new profile, the
    /// latest schema). A large cache takes a while to upgrade, and the desktop says so meanwhile.
    pub fn pending_upgrade(&self) -> EngineResult<Option<(usize, usize)>> {
        if self.database.is_some() {
            return Ok(None);
        }
        let data_dir = config::data_dir(self.data_dir.as_deref())?;
        Ok(coffer_store::migrations::pending_upgrade(
            &config::database_path(&data_dir),
        )?)
    }

    /// Opens the profile's database, upgrading its schema (a copy of an older file is kept),
    /// unless a database was given.
    pub fn open(self) -> EngineResult<Engine> {
        let data_dir = config::data_dir(self.data_dir.as_deref())?;
        let store = match self.database {
            Some(database) => database,
            None => Arc::new(SqliteStore::new(Store::open(&config::database_path(
                &data_dir,
            ))?)),
        };
        Ok(Engine {
            inner: Arc::new(Inner {
                store,
                clock: self.clock,
                secrets: self.secrets,
                embedded: self.embedded,
                data_dir,
                actor: os_user(),
                rate_limited: Mutex::default(),
                rehearsal: None,
            }),
        })
    }
}

impl Engine {
    /// An engine over a private in-memory copy of this one's database that never reaches a
    /// provider or a mailbox: a preview runs the real code on it, so it writes the notices and
    /// schedules a run would and judges the charges after them, and nothing of it is kept.
    pub(crate) async fn rehearsal(&self) -> EngineResult<(Engine, Arc<PreviewClock>)> {
        let store = self.inner.store.clone();
        let copy: Arc<dyn Database> =
            Arc::from(Self::blocking(move || Ok(store.rehearsal_copy()?)).await?);
        let moved = Arc::new(PreviewClock::default());
        let clock = MovedClock {
            real: self.inner.clock.clone(),
            moved: moved.clone(),
        };
        let engine = Engine {
            inner: Arc::new(Inner {
                store: copy,
                clock: Arc::new(clock),
                secrets: self.inner.secrets.clone(),
                // Nothing leaves a rehearsal, so it has no sandboxes to reach either.
                embedded: Arc::new(NoEmbeddedSandboxes),
                data_dir: self.inner.data_dir.clone(),
                actor: self.inner.actor.clone(),
                rate_limited: Mutex::default(),
                rehearsal: Some(moved.clone()),
            }),
        };
        Ok((engine, moved))
    }

    /// Whether this engine only rehearses (see [`Engine::rehearsal`]).
    pub(crate) fn rehearsing(&self) -> bool {
        self.inner.rehearsal.is_some()
    }
}

fn os_user() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(user_of_process)
        .unwrap_or_else(|| "unknown".into())
}

/// Cron, systemd units and containers often set none of those variables: the audit log's "who"
/// is then the process's real user, by /proc and /etc/passwd (`uid:N` without a passwd entry).
#[cfg(target_os = "linux")]
fn user_of_process() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let name = passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        let _password = fields.next()?;
        (fields.next()? == uid).then(|| name.to_string())
    });
    Some(name.unwrap_or_else(|| format!("uid:{uid}")))
}

#[cfg(not(target_os = "linux"))]
fn user_of_process() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_inside_a_store_call_fails_that_call_only() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::builder()
            .data_dir(Some(dir.path().to_path_buf()))
            .open()
            .unwrap();
        let failed = engine
            .with_store(|store| -> EngineResult<()> {
                store.batch(|s| {
                    s.merchants()?;
                    panic!("a bug inside a store call");
                })?;
                Ok(())
            })
            .await;
        assert_eq!(failed.unwrap_err().kind(), ErrorKind::Internal);
        let merchants = engine
            .read_store(|store| Ok(store.merchants()?.len()))
            .await
            .expect("the next call is served, not refused as poisoned");
        assert_eq!(merchants, 0);
    }
}
