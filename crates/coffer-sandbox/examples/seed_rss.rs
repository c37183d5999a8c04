//! Start-up time and peak memory of a sandbox seeded with N customers per merchant on every
//! provider: `cargo run --release -p coffer-sandbox --example seed_rss -- 1000000`.

use std::time::Instant;

use coffer_sandbox::{Sandbox, SandboxConfig};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let customers: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig::demo(customers)).await?;
    let elapsed = started.elapsed();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map_or("?".to_string(), |l| l[name.len()..].trim().to_string())
    };
    println!(
        "customers/merchant {customers}: start {:.2} s, VmHWM {}, VmRSS {}",
        elapsed.as_secs_f64(),
        field("VmHWM:"),
        field("VmRSS:")
    );
    sandbox.shutdown().await;
    Ok(())
}
