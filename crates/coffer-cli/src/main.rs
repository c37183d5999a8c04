//! `coffer`: Coffer without a window, for cron, scripts and the sandboxes.
//!
//! Every subcommand is one call into `coffer_engine::Engine`. `--json` prints the engine's view
//! as JSON, or the `{kind, message}` envelope on failure. Exit codes are stable:
//! 0 ok, 1 error, 2 usage or invalid input, 3 refused by a rule, 4 declined by the provider.

#[macro_use]
mod output;
mod commands;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use coffer_engine::{EngineError, ErrorKind};

/// Coffer: card-on-file back office.
#[derive(Parser)]
#[command(name = "coffer", version, about, propagate_version = true)]
struct Cli {
    /// Profile directory (default: $COFFER_DATA_DIR, else the platform data dir).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Print machine-readable JSON.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The append-only audit log.
    #[command(subcommand)]
    Audit(commands::audit::AuditCommand),
    /// Merchant accounts and their secrets (keyring).
    #[command(subcommand)]
    Merchant(commands::merchants::MerchantCommand),
    /// Register the seeded merchants of a sandbox, sync them and record the seed's consents.
    Demo(commands::sync::DemoArgs),
    /// Pull customers and cards from the providers into the local cache.
    Sync(commands::sync::SyncArgs),
    /// Search customers in the cache.
    Customers(commands::sync::CustomersArgs),
    /// List cards in the cache.
    Cards(commands::sync::CardsArgs),
    /// The customer register (Assist, Svea).
    #[command(subcommand)]
    Customer(commands::sync::CustomerCommand),
    /// Charge a stored card (merchant-initiated), exactly once.
    Charge(commands::charge::ChargeArgs),
    /// Refund a made charge, fully or partly.
    Refund(commands::charge::RefundArgs),
    /// Record that you made the bank transfer a refund after settlement waits for (Svea).
    RefundTransferred(commands::charge::RefundTransferredArgs),
    /// Settle attempts whose outcome is unknown by asking the providers.
    Reconcile(commands::charge::ReconcileArgs),
    /// Settle by hand an attempt whose outcome no provider record could settle (audited).
    Resolve(commands::charge::ResolveArgs),
    /// The charge ledger.
    Charges(commands::charge::ChargesArgs),
    /// Alerts where a provider's record contradicts a hand resolution (possible duplicates).
    Alerts(commands::charge::AlertsArgs),
    /// A card's consent and initial transaction.
    #[command(subcommand)]
    Card(commands::charge::CardCommand),
    /// New cards saved through the provider's own hosted page, with consent.
    #[command(subcommand)]
    Enroll(commands::enroll::EnrollCommand),
    /// Benchmarks (measured, printed, never asserted).
    #[command(subcommand)]
    Bench(commands::bench::BenchCommand),
    /// Recurring contracts on stored cards.
    #[command(subcommand)]
    Contract(commands::contracts::ContractCommand),
    /// Notices sent to cardholders; `notices smtp` sets how they go out.
    Notices(commands::contracts::NoticesArgs),
    /// Send the notices that are due, then charge every due occurrence the rules allow.
    RunDue(commands::due::RunDueArgs),
    /// Run the four provider sandboxes on loopback until killed.
    Sandbox(commands::sandbox::SandboxArgs),
    /// The copies of the database kept before upgrades: list them, delete them.
    #[command(subcommand)]
    Copies(commands::copies::CopiesCommand),
    /// Write customers, cards, charges or the audit log as CSV.
    Export(commands::export::ExportArgs),
    /// Revenue and declines by month, upcoming charges, cards expiring.
    Dashboard(commands::export::DashboardArgs),
    /// The due list: open charges from the overdue ones through the next days.
    Upcoming(commands::export::UpcomingArgs),
}

/// Exit codes, documented in the README.
pub(crate) fn exit_code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidInput => 2,
        ErrorKind::PolicyRefused => 3,
        ErrorKind::DeclinedHard | ErrorKind::DeclinedSoft => 4,
        _ => 1,
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_env("COFFER_LOG"))
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let json = cli.json;
    let result = runtime.block_on(run(cli));
    let code = report(result, json);
    if output::finish() && code == 0 {
        return ExitCode::from(output::CLOSED_PIPE_EXIT);
    }
    ExitCode::from(code)
}

/// The exit code of a command's result, after printing its error.
fn report(result: anyhow::Result<u8>, json: bool) -> u8 {
    match result {
        Ok(code) => code,
        Err(error) => {
            let engine_error = error.downcast_ref::<EngineError>();
            let kind = engine_error
                .map(EngineError::kind)
                .unwrap_or(ErrorKind::Internal);
            if json {
                let envelope = match engine_error {
                    Some(e) => serde_json::to_value(e.envelope()),
                    None => serde_json::to_value(
                        serde_json::json!({"kind": "internal", "message": format!("{error:#}")}),
                    ),
                };
                outln!("{}", envelope.unwrap_or_default());
            } else {
                // An engine error's message is complete (field and rule); its source chain
                // would only repeat it.
                match engine_error {
                    Some(e) => errln!("error: {e}"),
                    None => errln!("error: {error:#}"),
                }
            }
            exit_code(kind)
        }
    }
}

/// Help and version go out as clap prints them; a usage error too, unless `--json` was asked
/// for, when it is the `{kind, message}` envelope on stdout like every other failure. Exit 2.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind as Clap;
    let informational = matches!(
        error.kind(),
        Clap::DisplayHelp | Clap::DisplayVersion | Clap::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational || !std::env::args().any(|a| a == "--json") {
        error.exit();
    }
    let text = error.render().to_string();
    let message = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    let envelope = serde_json::json!({"kind": ErrorKind::InvalidInput.code(), "message": message});
    outln!("{envelope}");
    ExitCode::from(exit_code(ErrorKind::InvalidInput))
}

async fn run(cli: Cli) -> anyhow::Result<u8> {
    let out = output::Output { json: cli.json };
    match cli.command {
        Command::Audit(cmd) => commands::audit::run(cmd, cli.data_dir, out).await,
        Command::Merchant(cmd) => commands::merchants::run(cmd, cli.data_dir, out).await,
        Command::Demo(args) => commands::sync::demo(args, cli.data_dir, out).await,
        Command::Sync(args) => commands::sync::sync(args, cli.data_dir, out).await,
        Command::Customers(args) => commands::sync::customers(args, cli.data_dir, out).await,
        Command::Cards(args) => commands::sync::cards(args, cli.data_dir, out).await,
        Command::Customer(cmd) => commands::sync::customer(cmd, cli.data_dir, out).await,
        Command::Charge(args) => commands::charge::charge(args, cli.data_dir, out).await,
        Command::Refund(args) => commands::charge::refund(args, cli.data_dir, out).await,
        Command::RefundTransferred(args) => {
            commands::charge::refund_transferred(args, cli.data_dir, out).await
        }
        Command::Reconcile(args) => commands::charge::reconcile(args, cli.data_dir, out).await,
        Command::Resolve(args) => commands::charge::resolve(args, cli.data_dir, out).await,
        Command::Charges(args) => commands::charge::charges(args, cli.data_dir, out).await,
        Command::Alerts(args) => commands::charge::alerts(args, cli.data_dir, out).await,
        Command::Card(cmd) => commands::charge::card(cmd, cli.data_dir, out).await,
        Command::Enroll(cmd) => {
            let engine = commands::engine(cli.data_dir)?;
            commands::enroll::run(&engine, cmd, out).await
        }
        Command::Bench(cmd) => commands::bench::run(cmd, out).await,
        Command::Contract(cmd) => commands::contracts::contract(cmd, cli.data_dir, out).await,
        Command::Notices(args) => commands::contracts::notices(args, cli.data_dir, out).await,
        Command::RunDue(args) => commands::due::run_due(args, cli.data_dir, out).await,
        Command::Sandbox(args) => commands::sandbox::run(args, out).await,
        Command::Copies(cmd) => commands::copies::run(cmd, cli.data_dir, out).await,
        Command::Export(args) => commands::export::export(args, cli.data_dir, out).await,
        Command::Dashboard(args) => commands::export::dashboard(args, cli.data_dir, out).await,
        Command::Upcoming(args) => commands::export::upcoming(args, cli.data_dir, out).await,
    }
}
