//! `coffer sandbox`: the four provider emulators on loopback, for demos, tests and benchmarks.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use coffer_sandbox::{FaultConfig, Sandbox, SandboxConfig, Seed};

use crate::output::Output;

#[derive(Args)]
pub struct SandboxArgs {
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Seed: `demo` (merchants, customers, cards) or `empty` (merchants only).
    #[arg(long, default_value = "demo", value_parser = ["demo", "empty"])]
    seed: String,
    /// Customers per merchant account.
    #[arg(long, default_value_t = 60)]
    customers: usize,
    /// Keep the sandboxes' state in this file across restarts.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Milliseconds added to every provider request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Percent of requests answered 503.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    error_rate: u8,
    /// Percent of requests answered 429.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    rate_limit_rate: u8,
    /// Percent of requests processed whose response is dropped.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=100))]
    drop_rate: u8,
    /// Enforce the providers' documented rate limits (Clover: 16 requests/s per token).
    #[arg(long)]
    rate_limits: bool,
}

pub async fn run(args: SandboxArgs, _out: Output) -> anyhow::Result<u8> {
    let today = chrono::Utc::now().date_naive();
    let seed = match args.seed.as_str() {
        "empty" => Seed::empty(today),
        _ => Seed::demo(args.customers, today),
    };
    let sandbox = Sandbox::start(SandboxConfig {
        listen: args.listen,
        seed,
        faults: FaultConfig {
            latency_ms: args.latency_ms,
            error_rate: args.error_rate,
            rate_limit_rate: args.rate_limit_rate,
            retry_after_secs: 1,
            drop_rate: args.drop_rate,
            ..FaultConfig::default()
        },
        state_file: args.state,
        only_seed: None,
        rate_limits: args.rate_limits,
    })
    .await?;
    // One line that scripts read to find the emulators; always JSON.
    outln!("{}", serde_json::to_string(&sandbox.urls)?);
    shutdown_signal().await;
    // Exits only once the state file is written, so a restart on it finds every answer given.
    sandbox.shutdown().await;
    Ok(0)
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
