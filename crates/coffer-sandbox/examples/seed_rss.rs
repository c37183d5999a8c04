//! Start-up time and memory of a sandbox seeded with N customers per merchant on every
//! provider, then what the first pages of its listings cost:
//! `cargo run --release -p coffer-sandbox --example seed_rss -- 1000000`.
// An example, not library code: a failed step should stop it with its reason.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use coffer_core::ProviderAccount;
use coffer_sandbox::{Sandbox, SandboxConfig};

fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map_or("?".to_string(), |l| l[name.len()..].trim().to_string())
    };
    format!("VmHWM {}, VmRSS {}", field("VmHWM:"), field("VmRSS:"))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let customers: usize = std::env::args()
        .nth(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let started = Instant::now();
    let sandbox = Sandbox::start(SandboxConfig::demo(customers)).await?;
    println!(
        "customers/merchant {customers}: start {:.3} s, {}",
        started.elapsed().as_secs_f64(),
        memory()
    );
    let http = reqwest::Client::new();
    let merchants = sandbox.merchants();
    let mut probes: Vec<(String, reqwest::RequestBuilder)> = Vec::new();
    for m in &merchants {
        match &m.account {
            ProviderAccount::ProcessOut(a) => {
                for path in [
                    "/customers?limit=100",
                    "/customers?limit=100&order=asc",
                    "/transactions?limit=100",
                    "/invoices?limit=100",
                ] {
                    probes.push((
                        format!("processout {}{path}", a.project_id),
                        http.get(format!("{}{path}", m.base_url))
                            .basic_auth(&a.project_id, Some(&m.secret)),
                    ));
                }
            }
            ProviderAccount::Clover(a) => {
                let path = format!("/v3/merchants/{}/customers?limit=100", a.merchant_uuid);
                probes.push((
                    format!("clover {path}"),
                    http.get(format!("{}{path}", m.base_url))
                        .bearer_auth(&m.secret),
                ));
                // What `coffer bench due` pages through to record the seeded initials.
                let path = format!(
                    "/__sandbox/initials?merchant={}&limit=1000",
                    a.merchant_uuid
                );
                probes.push((
                    format!("clover {path}"),
                    http.get(format!("{}{path}", m.base_url)),
                ));
            }
            _ => {}
        }
    }
    for (name, request) in probes {
        let at = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        let bytes = response.bytes().await?.len();
        println!(
            "  {name}: {status}, {bytes} B, {:.1} ms, {}",
            at.elapsed().as_secs_f64() * 1000.0,
            memory()
        );
    }
    sandbox.shutdown().await;
    Ok(())
}
