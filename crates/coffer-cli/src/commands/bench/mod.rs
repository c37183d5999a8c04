//! `coffer bench …`: figures measured on this machine, printed as a table and never asserted.
//!
//! - `search`: search latency over a large cache (p50/p99 per kind of search);
//! - `sync`: customers and cards per second from a sandbox, beside the raw request rate of the
//!   same endpoint measured in the same run by a plain HTTP loop;
//! - `due`: a due run over N due occurrences, checked for exactly one charge each at the
//!   sandbox, beside the raw rate of the same charge endpoint;
//! - `due-limited`: a due run over every Clover merchant at once with the sandbox's rate limits
//!   on, beside the sum of their published limits;
//! - `all`: the three at several sizes (the cost curve), plus the desktop figures measured by
//!   `scripts/bench.sh`, written to `docs/benchmarks.md` with the machine and the command.
//!
//! Every run uses throw-away profiles and in-process sandboxes on loopback.

pub mod all;
pub mod due;
pub mod due_limited;
pub mod machine;
pub mod search;
pub mod sync;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use clap::Subcommand;
use coffer_engine::merchants::{MerchantInput, MerchantView};
use coffer_engine::secrets::MemoryStore;
use coffer_engine::Engine;
use coffer_sandbox::{Sandbox, SandboxMerchant};
use secrecy::SecretString;

use crate::output::Output;

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Search latency over a cache of `--cards` cards.
    Search(search::SearchArgs),
    /// Sync throughput from the Clover sandbox, beside the raw rate of its listing endpoint.
    Sync(sync::SyncArgs),
    /// Due-run throughput with the exactly-once check, beside the raw charge endpoint rate.
    Due(due::DueArgs),
    /// A due run over every Clover merchant with the sandbox's rate limits on, beside the sum
    /// of their published limits.
    DueLimited(due_limited::LimitedArgs),
    /// Every benchmark at several sizes; writes docs/benchmarks.md.
    All(all::AllArgs),
}

pub async fn run(cmd: BenchCommand, out: Output) -> anyhow::Result<u8> {
    match cmd {
        BenchCommand::Search(args) => {
            let report = search::measure(&args).await?;
            out.show(&report, search::print)?;
        }
        BenchCommand::Sync(args) => {
            let mut reports = Vec::new();
            for &n in &args.customers {
                reports.push(sync::measure(n, args.keep.as_deref()).await?);
            }
            out.show(&reports, |r| sync::print(r))?;
        }
        BenchCommand::Due(args) => {
            let mut reports = Vec::new();
            for &n in &args.occurrences {
                reports.push(due::measure(n, args.concurrency).await?);
            }
            out.show(&reports, |r| due::print(r))?;
        }
        BenchCommand::DueLimited(args) => {
            let report = due_limited::measure(&args).await?;
            out.show(&report, due_limited::print)?;
        }
        BenchCommand::All(args) => all::run(args, out).await?,
    }
    Ok(0)
}

/// A throw-away folder under the system temp dir, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(what: &str) -> anyhow::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!(
            "coffer-bench-{what}-{}-{}",
            std::process::id(),
            chrono::Utc::now().timestamp_micros()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An engine on `dir` whose secrets stay in memory (no keyring: the sandbox's are demo values).
pub fn engine_at(dir: &Path) -> anyhow::Result<Engine> {
    engine_with(dir, Arc::new(MemoryStore::default()), None)
}

/// An engine on `dir` with `secrets`, and a clock fixed at `now` when given (a later day's run).
pub fn engine_with(
    dir: &Path,
    secrets: Arc<MemoryStore>,
    now: Option<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<Engine> {
    let builder = coffer_demo::with_embedded_sandboxes(Engine::builder())
        .data_dir(Some(dir.to_path_buf()))
        .secrets(secrets);
    let builder = match now {
        Some(now) => builder.clock(Arc::new(coffer_core::clock::FixedClock(now))),
        None => builder,
    };
    Ok(builder.open()?)
}

/// The sandbox's first seeded Clover merchant.
pub fn clover_of(sandbox: &Sandbox) -> anyhow::Result<SandboxMerchant> {
    sandbox
        .merchants()
        .into_iter()
        .find(|m| m.account.kind() == coffer_core::ProviderKind::Clover)
        .ok_or_else(|| anyhow::anyhow!("the sandbox seeds no Clover merchant"))
}

/// Registers a seeded sandbox merchant in `engine`, as `merchant add` would.
pub async fn register(engine: &Engine, m: &SandboxMerchant) -> anyhow::Result<MerchantView> {
    Ok(engine
        .add_merchant(
            MerchantInput {
                name: m.name.clone(),
                account: m.account.clone(),
                environment: coffer_core::Environment::Sandbox,
                endpoint: coffer_engine::merchants::EndpointInput {
                    base_url: Some(m.base_url.clone()),
                    ..Default::default()
                },
                time_zone: m.time_zone.clone(),
                currency: m.currency.code().to_string(),
                notice_lead_days: 3,
                group: Some("bench".into()),
            },
            Some(SecretString::from(m.secret.clone())),
        )
        .await?)
}

/// Events per second.
pub fn rate(count: u64, took: Duration) -> f64 {
    let secs = took.as_secs_f64();
    if secs > 0.0 {
        count as f64 / secs
    } else {
        0.0
    }
}
