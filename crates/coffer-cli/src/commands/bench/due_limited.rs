//! `coffer bench due-limited`: a due run over every Clover sandbox merchant at once with the
//! sandbox's rate limits on (16 requests/s and 5 at once per access token, as Clover publishes
//! them: our notes, clover.md §1), beside the sum of those limits.
//!
//! Each merchant gets `--per-merchant` contracts due the same day (set up as `bench due` does).
//! The figure is the run on the due date over all of them: charges per second ÷ (merchants × 16).
//! A 429 is a ledger row failed as `rate_limited`; the run holds that merchant's next plans for
//! its Retry-After and tries the occurrence again, so every occurrence must still end charged
//! exactly once (checked at the sandbox and against the ledger, as `bench due` checks).

use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use coffer_core::MerchantId;
use coffer_engine::charge::ChargeQuery;
use coffer_engine::due::{DueRun, DEFAULT_CONCURRENCY};
use coffer_engine::progress::NoProgress;
use coffer_sandbox::{Sandbox, SandboxConfig};
use serde::Serialize;

use super::due::{check_exactly_once, due_day, set_up_merchant};
use super::{engine_with, rate, TempDir};

#[derive(Args)]
pub struct LimitedArgs {
    /// Due occurrences per Clover merchant.
    #[arg(long, default_value_t = 600)]
    pub per_merchant: usize,
    /// Charges in flight at once per merchant (the provider's own limit caps it).
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
}

/// The figures of one run.
#[derive(Debug, Clone, Serialize)]
pub struct LimitedReport {
    pub merchants: usize,
    pub occurrences: u64,
    /// Each merchant's published limit, requests per second.
    pub limit_per_merchant: u32,
    /// The sum of the merchants' limits, requests per second.
    pub limits_sum: u32,
    pub setup_seconds: f64,
    pub run_seconds: f64,
    pub charges_per_s: f64,
    /// charges per second ÷ the sum of the limits.
    pub ratio: f64,
    /// 429s the run met (ledger rows failed as rate limited), each waited out and retried.
    pub rate_limited: u64,
    pub charged: u64,
    pub duplicate_charges: u64,
    pub occurrences_not_charged: u64,
    pub charges_without_ledger_row: u64,
}

/// Measures one run.
pub async fn measure(args: &LimitedArgs) -> anyhow::Result<LimitedReport> {
    let setup_started = Instant::now();
    let per_merchant = args.per_merchant.max(1);
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limits: true,
        ..SandboxConfig::demo(per_merchant + per_merchant / 2 + 100)
    })
    .await?;
    let clover: Vec<_> = sandbox
        .merchants()
        .into_iter()
        .filter(|m| m.account.kind() == coffer_core::ProviderKind::Clover)
        .collect();
    anyhow::ensure!(!clover.is_empty(), "the sandbox seeds no Clover merchant");
    let limit = coffer_core::providers::rules(coffer_core::ProviderKind::Clover)
        .rate_limit
        .ok_or_else(|| anyhow::anyhow!("Clover has no published rate limit in core"))?;
    let temp = TempDir::new("due-limited")?;
    let secrets = Arc::new(coffer_engine::secrets::MemoryStore::default());
    let engine = engine_with(temp.path(), secrets.clone(), None)?;
    let (due, today) = due_day()?;
    let mut merchants: Vec<MerchantId> = Vec::new();
    for seeded in &clover {
        merchants.push(
            set_up_merchant(&engine, seeded, per_merchant, due, today)
                .await?
                .merchant,
        );
    }
    let run = DueRun {
        merchants: merchants.clone().into(),
        concurrency: args.concurrency,
        ..DueRun::default()
    };
    errln!("bench due-limited: today's run (pre-charge notices)");
    engine.run_due(run.clone(), Arc::new(NoProgress)).await?;
    let setup_seconds = setup_started.elapsed().as_secs_f64();

    errln!(
        "bench due-limited: the run on {due} over {} merchants",
        merchants.len()
    );
    let noon = due
        .and_hms_opt(12, 0, 0)
        .ok_or_else(|| anyhow::anyhow!("no noon on {due}"))?
        .and_utc();
    let engine = engine_with(temp.path(), secrets, Some(noon))?;
    let started = Instant::now();
    let summary = engine.run_due(run, Arc::new(NoProgress)).await?;
    let took = started.elapsed();
    let occurrences = per_merchant * merchants.len();
    anyhow::ensure!(
        summary.charged.len() == occurrences,
        "the run should charge all {occurrences} occurrences; it charged {}, failed {} (first \
         failure: {:?}), skipped {}, refused {}",
        summary.charged.len(),
        summary.failed.len(),
        summary.failed.first().map(|i| &i.message),
        summary.skipped.len(),
        summary.refused.len(),
    );
    let check = check_exactly_once(&sandbox, &engine, merchants.clone(), occurrences).await?;
    let ledger = engine
        .list_charges(ChargeQuery {
            merchants: merchants.clone().into(),
            ..ChargeQuery::default()
        })
        .await?;
    let rate_limited = ledger
        .iter()
        .filter(|a| a.decline_code.as_deref() == Some("rate_limited"))
        .count() as u64;
    let charges_per_s = rate(summary.charged.len() as u64, took);
    let limits_sum = limit.per_second * merchants.len() as u32;
    Ok(LimitedReport {
        merchants: merchants.len(),
        occurrences: occurrences as u64,
        limit_per_merchant: limit.per_second,
        limits_sum,
        setup_seconds,
        run_seconds: took.as_secs_f64(),
        charges_per_s,
        ratio: charges_per_s / f64::from(limits_sum),
        rate_limited,
        charged: summary.charged.len() as u64,
        duplicate_charges: check.duplicates,
        occurrences_not_charged: check.not_charged,
        charges_without_ledger_row: check.without_row,
    })
}

/// The table.
pub fn print(r: &LimitedReport) {
    outln!(
        "{:>9} {:>7} {:>11} {:>8} {:>10} {:>7} {:>5} {:>5} {:>7} {:>7}",
        "merchants",
        "due",
        "limits/s",
        "run s",
        "charges/s",
        "ratio",
        "429s",
        "dup",
        "missing",
        "no row"
    );
    outln!(
        "{:>9} {:>7} {:>11} {:>8.2} {:>10.2} {:>7.2} {:>5} {:>5} {:>7} {:>7}",
        r.merchants,
        r.occurrences,
        r.limits_sum,
        r.run_seconds,
        r.charges_per_s,
        r.ratio,
        r.rate_limited,
        r.duplicate_charges,
        r.occurrences_not_charged,
        r.charges_without_ledger_row
    );
}
