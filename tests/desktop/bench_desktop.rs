//! The desktop benchmark (measured, printed, never asserted): the real app's cold start to the
//! first customers on screen, and its resident memory with a large cache, for `coffer bench all`.
//!
//! Usage (scripts/bench.sh runs it):
//!   bench_desktop OUT.json PROFILE_DIR:CUSTOMERS [PROFILE_DIR:CUSTOMERS …]
//! Each profile is a data dir already filled (`coffer bench sync --customers N --keep DIR`). For
//! each, `RUNS` (default 3) fresh starts of the app: tauri-driver spawns it through
//! WebKitWebDriver with `COFFER_DATA_DIR` set to the profile, and the clock runs from the request
//! for a WebDriver session (which starts the app) to the session, and to the first row of the
//! customers grid (`[role=grid] [role=row] [role=gridcell]`). Then, after a 3-second settle,
//! VmRSS of the app process and of every process under it (WebKitWebProcess,
//! WebKitNetworkProcess…), from /proc. Needs a display (xvfb-run) and tauri-driver on PATH; the
//! app is `COFFER_DESKTOP_BIN` or target/debug/coffer-desktop.
#![allow(clippy::expect_used, clippy::unwrap_used)] // a harness: a failed step panics with why

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coffer_desktop_e2e::{connect, Driver};
use serde_json::{json, Value};

/// (pid, ppid, name) of every process, from /proc.
fn processes() -> Vec<(u32, u32, String)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // "pid (name) state ppid …": the name may hold spaces, so split at the last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let name = stat[open + 1..close].to_string();
        let ppid = stat[close + 1..]
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        all.push((pid, ppid, name));
    }
    all
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The app process started on `profile`: `coffer-desktop` with that COFFER_DATA_DIR.
fn app_pid(profile: &Path) -> Option<u32> {
    let wanted = format!("COFFER_DATA_DIR={}", profile.display());
    processes().into_iter().find_map(|(pid, _, name)| {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let has_profile = environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes());
        (name.starts_with("coffer-desktop") && has_profile).then_some(pid)
    })
}

/// RSS of the app and of each process below it, by name.
fn memory(app: u32) -> (u64, Vec<(String, u64)>) {
    let all = processes();
    let mut children: HashMap<u32, Vec<(u32, String)>> = HashMap::new();
    for (pid, ppid, name) in &all {
        children
            .entry(*ppid)
            .or_default()
            .push((*pid, name.clone()));
    }
    let mut below = Vec::new();
    let mut stack = vec![app];
    while let Some(p) = stack.pop() {
        for (child, name) in children.get(&p).cloned().unwrap_or_default() {
            below.push((name, rss_kib(child)));
            stack.push(child);
        }
    }
    (rss_kib(app), below)
}

async fn one_start(app: &Path, profile: &Path) -> Value {
    let driver = Driver::start(profile, "coffer-bench", &[]);
    let started = Instant::now();
    let client = connect(&driver, app).await;
    let session_ms = started.elapsed().as_secs_f64() * 1000.0;
    let probe = "return document.querySelectorAll('[role=grid] [role=row] [role=gridcell]').length";
    let deadline = Instant::now() + Duration::from_secs(180);
    let first_rows_ms = loop {
        let cells = client
            .execute(probe, vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if cells > 0 {
            break started.elapsed().as_secs_f64() * 1000.0;
        }
        assert!(
            Instant::now() < deadline,
            "the customers grid showed no row within 3 minutes"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = app_pid(profile).expect("the app process is found in /proc");
    let (app_kib, below) = memory(pid);
    let webkit_kib: u64 = below.iter().map(|(_, kib)| kib).sum();
    let _ = client.close().await;
    drop(driver);
    json!({
        "session_ms": session_ms,
        "first_rows_ms": first_rows_ms,
        "rss_app_kib": app_kib,
        "rss_webkit_kib": webkit_kib,
        "rss_total_kib": app_kib + webkit_kib,
        "processes": below.iter().map(|(n, k)| json!({"name": n, "rss_kib": k})).collect::<Vec<_>>(),
    })
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .expect("usage: bench_desktop OUT.json DIR:CUSTOMERS…"),
    );
    let app = std::env::var_os("COFFER_DESKTOP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/debug/coffer-desktop")
        });
    assert!(app.exists(), "{} is missing: build the app", app.display());
    let runs_per_profile: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    let mut runs = Vec::new();
    for spec in args {
        let (dir, customers) = spec.rsplit_once(':').expect("DIR:CUSTOMERS");
        let profile = PathBuf::from(dir);
        let customers: u64 = customers.parse().expect("CUSTOMERS is a number");
        let mut starts = Vec::new();
        for i in 0..runs_per_profile {
            let start = one_start(&app, &profile).await;
            eprintln!("bench desktop: {customers} customers, start {i}: {start}");
            starts.push(start);
        }
        let pick = |k: &str| -> Vec<f64> {
            starts
                .iter()
                .map(|s| s[k].as_f64().unwrap_or(0.0))
                .collect()
        };
        runs.push(json!({
            "customers": customers,
            "starts": starts.len(),
            "session_ms": median(&mut pick("session_ms")),
            "first_rows_ms": median(&mut pick("first_rows_ms")),
            "first_start_first_rows_ms": starts.first().map(|s| s["first_rows_ms"].clone()),
            "rss_app_kib": median(&mut pick("rss_app_kib")),
            "rss_webkit_kib": median(&mut pick("rss_webkit_kib")),
            "rss_total_kib": median(&mut pick("rss_total_kib")),
            "each": starts,
        }));
    }
    let report = json!({
        "app": app.display().to_string(),
        "build": if app.to_string_lossy().contains("/release/") { "release" } else { "debug" },
        "method": format!(
            "The real app ({}) started {runs_per_profile} times per profile by tauri-driver \
             through WebKitWebDriver under Xvfb, on a profile already filled by `coffer bench \
             sync --keep`. Times run from the request for a WebDriver session (which spawns the \
             app) to the session and to the first row of the customers grid; medians of the \
             starts. RSS is VmRSS from /proc 3 s after the first rows, of the app process and of \
             every process below it (WebKitWebProcess, WebKitNetworkProcess), medians.",
            app.display()
        ),
        "runs": runs,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
