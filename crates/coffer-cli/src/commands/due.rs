//! `coffer run-due`: notices that are due, then every due charge the policy allows. Safe from
//! cron every few minutes, and with two runs at once.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::Args;
use coffer_core::MerchantId;
use coffer_engine::due::{
    ApprovedCharge, DueItem, DueRun, DueSummary, NoticeStatus, DEFAULT_CONCURRENCY,
};
use coffer_engine::merchants::{EnvironmentKind, MerchantView};
use coffer_engine::progress::{Progress, ProgressEvent};
use coffer_engine::{Engine, ErrorKind};
use std::io::IsTerminal;

use crate::exit_code;
use crate::output::Output;

#[derive(Args)]
pub struct RunDueArgs {
    /// Charge only what is due by this merchant-local date (YYYY-MM-DD): today or earlier; a
    /// later date only with --dry-run, to preview that day.
    #[arg(long, value_name = "DATE")]
    date: Option<NaiveDate>,
    /// Only this merchant.
    #[arg(long, conflicts_with = "all")]
    merchant: Option<i64>,
    /// Every merchant (the default).
    #[arg(long)]
    all: bool,
    /// Judge and list; send and write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Charges in flight at once.
    #[arg(long, default_value_t = DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// Do not ask before charging live merchants at a terminal (the summary is still printed).
    #[arg(long, short = 'y')]
    yes: bool,
}

/// Progress of the rehearsal before a live run: not shown (the run's own progress follows).
struct Quiet;

impl Progress for Quiet {
    fn report(&self, _event: ProgressEvent) {}
}

/// Progress as lines on stderr, so stdout stays clean for `--json`.
struct StderrProgress;

impl Progress for StderrProgress {
    fn report(&self, event: ProgressEvent) {
        match event.total {
            Some(total) => errln!(
                "{}: {} ({}/{})",
                event.stage,
                event.message,
                event.done,
                total
            ),
            None => errln!("{}: {}", event.stage, event.message),
        }
    }
}

fn print_items(title: &str, items: &[DueItem]) {
    if items.is_empty() {
        return;
    }
    outln!("{title}: {}", items.len());
    for i in items {
        outln!(
            "  contract {} #{} due {} {} (card {}){}",
            i.contract_id,
            i.occurrence,
            i.due,
            i.amount,
            i.card_id,
            i.attempt_id
                .map(|a| format!(", attempt {a}"))
                .unwrap_or_default()
        );
        for v in &i.violations {
            outln!("    refused by {}: {}", v.rule, v.message);
        }
        if let Some(m) = &i.message {
            if i.violations.is_empty() {
                outln!("    {m}");
            }
        }
    }
}

fn print_summary(s: &DueSummary) {
    for day in &s.merchants {
        outln!("merchant {}: {}", day.merchant_id, day.date);
    }
    let sent = s
        .notices
        .iter()
        .filter(|n| n.status == NoticeStatus::Sent)
        .count();
    let would = s
        .notices
        .iter()
        .filter(|n| n.status == NoticeStatus::WouldSend)
        .count();
    outln!(
        "notices: {sent} sent{}",
        if would > 0 {
            format!(", {would} due (dry run)")
        } else {
            String::new()
        }
    );
    for n in s.notices.iter().filter(|n| n.status != NoticeStatus::Sent) {
        outln!(
            "  {} contract {}{}: {}",
            n.status,
            n.contract_id,
            n.occurrence.map(|o| format!(" #{o}")).unwrap_or_default(),
            n.message.as_deref().unwrap_or("")
        );
    }
    if s.money.charges > 0 {
        outln!("{}", s.money.words(s.dry_run));
    }
    print_items("would charge", &s.would_charge);
    print_items("charged", &s.charged);
    print_items("declined", &s.declined);
    print_items("refused", &s.refused);
    print_items("skipped", &s.skipped);
    print_items("failed or unknown", &s.failed);
    if !s.contracts_ended.is_empty() {
        outln!("contracts ended: {:?}", s.contracts_ended);
    }
    if s.charged.is_empty()
        && s.declined.is_empty()
        && s.refused.is_empty()
        && s.skipped.is_empty()
        && s.failed.is_empty()
        && s.would_charge.is_empty()
    {
        outln!("nothing due");
    }
}

pub async fn run_due(
    args: RunDueArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::builder(data_dir)?.open()?;
    let run = DueRun {
        date: args.date,
        merchants: args.merchant.map(MerchantId).into_iter().collect(),
        dry_run: args.dry_run,
        concurrency: args.concurrency,
        approved: None,
    };
    let run = if args.dry_run {
        run
    } else {
        match confirm_live_run(&engine, &run, args.yes).await? {
            Some(approved) => DueRun { approved, ..run },
            None => {
                errln!("nothing was charged");
                return Ok(0);
            }
        }
    };
    let summary = engine.run_due(run, Arc::new(StderrProgress)).await?;
    out.show(&summary, print_summary)?;
    let code = if !summary.declined.is_empty() {
        exit_code(ErrorKind::DeclinedSoft)
    } else if !summary.refused.is_empty() {
        exit_code(ErrorKind::PolicyRefused)
    } else if !summary.failed.is_empty() {
        exit_code(ErrorKind::Internal)
    } else {
        0
    };
    Ok(code)
}

/// Before a run whose scope holds a live merchant: rehearses it (the engine's dry run, the same
/// plan the run makes) and prints how many charges of what total per currency on which
/// merchants, naming the live ones, on stderr (stdout stays clean for `--json`). At a terminal
/// it then asks, unless `--yes`; without a terminal (cron, scripts) the printed summary is the
/// record and the run goes on, so scheduled runs keep working. The run then makes only the
/// charges printed (`Some(approved)`); `None`: the owner said no.
async fn confirm_live_run(
    engine: &Engine,
    run: &DueRun,
    yes: bool,
) -> anyhow::Result<Option<Option<Vec<ApprovedCharge>>>> {
    let wanted = engine.resolve_scope(run.merchants.clone()).await?;
    let in_scope: Vec<MerchantView> = engine
        .list_merchants()
        .await?
        .into_iter()
        .filter(|m| wanted.is_empty() || wanted.contains(&MerchantId(m.id)))
        .collect();
    if !in_scope
        .iter()
        .any(|m| m.environment_kind == EnvironmentKind::Live)
    {
        return Ok(Some(None));
    }
    let rehearsal = engine
        .run_due(
            DueRun {
                dry_run: true,
                ..run.clone()
            },
            Arc::new(Quiet),
        )
        .await?;
    let live: Vec<&str> = in_scope
        .iter()
        .filter(|m| m.environment_kind == EnvironmentKind::Live)
        .map(|m| m.name.as_str())
        .collect();
    errln!(
        "This run includes live merchants (real money): {}.",
        live.join(", ")
    );
    errln!("{}", rehearsal.money.words(true));
    let approved = Some(ApprovedCharge::all_of(&rehearsal));
    if rehearsal.money.charges == 0 || yes || !std::io::stdin().is_terminal() {
        return Ok(Some(approved));
    }
    errln!("Charge these now? Type yes to go on:");
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes").then_some(approved))
}
