//! `coffer export`, `coffer dashboard` and `coffer upcoming`: the ledger and cache as CSV, the
//! dashboard's figures, and the due list of the coming days.

use std::path::PathBuf;

use clap::Args;
use coffer_core::MerchantId;
use coffer_engine::export::ExportKind;
use coffer_engine::Engine;

use crate::output::Output;

/// One merchant, a group, or (neither) all.
#[derive(Args)]
pub struct ScopeArgs {
    /// One merchant.
    #[arg(long, conflicts_with = "group")]
    merchant: Option<i64>,
    /// A group of merchants.
    #[arg(long)]
    group: Option<String>,
}

impl ScopeArgs {
    async fn merchants(self, engine: &Engine) -> anyhow::Result<Vec<MerchantId>> {
        Ok(engine
            .merchant_scope(self.merchant.map(MerchantId), self.group)
            .await?)
    }
}

#[derive(Args)]
pub struct ExportArgs {
    /// customers | cards | charges | audit.
    kind: String,
    #[command(flatten)]
    scope: ScopeArgs,
    /// The CSV file (default: a new file in the profile's exports folder).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    scope: ScopeArgs,
}

#[derive(Args)]
pub struct UpcomingArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Days ahead.
    #[arg(long, default_value_t = 7)]
    days: u32,
}

pub async fn export(
    args: ExportArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let kind: ExportKind = args
        .kind
        .parse()
        .map_err(coffer_engine::EngineError::from)?;
    let engine = super::engine(data_dir)?;
    let merchants = args.scope.merchants(&engine).await?;
    let result = engine.export_csv(kind, merchants, args.out).await?;
    out.show(&result, |r| {
        outln!(
            "{} rows of {} written to {}",
            r.rows,
            r.kind.as_str(),
            r.path
        )
    })?;
    Ok(0)
}

pub async fn dashboard(
    args: DashboardArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let merchants = args.scope.merchants(&engine).await?;
    let view = engine.dashboard(merchants).await?;
    out.show(&view, |v| {
        outln!(
            "active contracts {}, expired cards on file {}, unknown outcomes {}",
            v.active_contracts,
            v.expired_on_file,
            v.unsettled
        );
        outln!("month     currency  recurring      manual    refunded");
        for r in &v.revenue {
            let money = |minor| {
                coffer_core::Currency::from_code(&r.currency)
                    .map(|c| coffer_core::Money::from_minor(minor, c).to_decimal('.'))
                    .unwrap_or_else(|_| minor.to_string())
            };
            outln!(
                "{}   {:<8} {:>11} {:>11} {:>11}",
                r.month,
                r.currency,
                money(r.recurring_minor),
                money(r.manual_minor),
                money(r.refunded_minor)
            );
        }
        outln!("declines: {}", {
            let parts: Vec<String> = v
                .declines
                .iter()
                .filter(|d| d.soft + d.hard > 0)
                .map(|d| format!("{} {} soft, {} hard", d.month, d.soft, d.hard))
                .collect();
            if parts.is_empty() {
                "none".to_string()
            } else {
                parts.join("; ")
            }
        });
        let due: u64 = v.upcoming.iter().map(|d| d.charges).sum();
        outln!("charges due in the next 30 days: {due}");
        let expiring: Vec<String> = v
            .expiring
            .iter()
            .map(|m| format!("{} {}", m.month, m.cards))
            .collect();
        outln!("cards expiring: {}", expiring.join(", "));
    })?;
    Ok(0)
}

pub async fn upcoming(
    args: UpcomingArgs,
    data_dir: Option<PathBuf>,
    out: Output,
) -> anyhow::Result<u8> {
    let engine = super::engine(data_dir)?;
    let merchants = args.scope.merchants(&engine).await?;
    let list = engine.upcoming_charges(merchants, args.days).await?;
    out.show(&list, |list| {
        if list.is_empty() {
            outln!("nothing due in the next {} days", args.days);
        }
        for c in list {
            outln!(
                "{}{}  contract {:>4} #{:<3} {:>12}  {}, {}  notice {:?} (by {})  {}",
                c.due,
                if c.overdue { " OVERDUE" } else { "" },
                c.contract_id,
                c.occurrence,
                c.amount.to_string(),
                c.customer_name,
                c.card,
                c.notice,
                c.notice_by,
                c.merchant_name
            );
        }
    })?;
    Ok(0)
}
