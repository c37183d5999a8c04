//! The desktop benchmark (measured, printed, never asserted): the real app's start to the first
//! customers on screen and its resident memory with a large cache, beside an empty Tauri 2
//! window measured the same way in the same run, for `coffer bench all --desktop FILE`.
//!
//! Usage (scripts/bench.sh builds both in release and runs it):
//!   bench_desktop OUT.json PROFILE_DIR:CUSTOMERS [PROFILE_DIR:CUSTOMERS …]
//! Each profile is a data dir already filled (`coffer bench sync --customers N --keep DIR`).
//! tauri-driver spawns the app through WebKitWebDriver with `COFFER_DATA_DIR` set to the
//! profile; the clock runs from the request for a WebDriver session (which starts the app) to
//! the session, and to the first row of the customers grid
//! (`[role=grid] [role=row] [role=gridcell]`). Per profile, one warm-up start (it brings the
//! binary and the database into the page cache; reported apart) and then `RUNS` (default 3)
//! warm starts, whose medians are the figures. After a 3-second settle, VmRSS of the app
//! process and of every process under it (WebKitWebProcess, WebKitNetworkProcess…), the app's
//! anonymous part (RssAnon: its heap, SQLite's page cache) and its peak (VmHWM), from /proc;
//! the CPU time of the same processes then, and over the next `IDLE_SECONDS` with nothing to do.
//! The empty window (tests/desktop/empty-window: same Tauri, no commands, a blank page) gets the
//! same warm-up and starts, timed to its page being loaded.
//!
//! Needs a display (xvfb-run) and tauri-driver on PATH. The app is `COFFER_DESKTOP_BIN`, the
//! empty window `COFFER_EMPTY_WINDOW_BIN`; by default both are the release builds under
//! `CARGO_TARGET_DIR` (or target/).
#![allow(clippy::expect_used, clippy::unwrap_used)] // a harness: a failed step panics with why

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coffer_desktop_e2e::{connect, Driver};
use serde_json::{json, Value};

/// One process's /proc/PID/stat: its name and the fields after it, counted from the state
/// (field 3 of proc(5)) as index 0. "pid (name) state ppid …": the name may hold spaces and
/// parentheses, so it ends at the last ')'.
struct Stat {
    name: String,
    fields: Vec<String>,
}

fn stat(pid: u32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (open, close) = (text.find('(')?, text.rfind(')')?);
    Some(Stat {
        name: text.get(open + 1..close)?.to_string(),
        fields: text[close + 1..]
            .split_whitespace()
            .map(str::to_string)
            .collect(),
    })
}

impl Stat {
    fn number(&self, field: usize) -> f64 {
        self.fields
            .get(field - 3)
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

/// (pid, ppid, name) of every process, from /proc.
fn processes() -> Vec<(u32, u32, String)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Some(stat) = stat(pid) else {
            continue;
        };
        all.push((pid, stat.number(4) as u32, stat.name));
    }
    all
}

/// A field of /proc/PID/status in KiB (VmRSS, RssAnon, VmHWM), 0 when absent.
fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The process of `binary` started on `profile`: its name (the kernel keeps 15 bytes of it)
/// and COFFER_DATA_DIR tell it from another session's app.
fn app_pid(binary: &Path, profile: &Path) -> Option<u32> {
    let file = binary.file_name()?.to_string_lossy().into_owned();
    let comm: String = file.chars().take(15).collect();
    let wanted = format!("COFFER_DATA_DIR={}", profile.display());
    processes().into_iter().find_map(|(pid, _, name)| {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let has_profile = environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes());
        (name == comm && has_profile).then_some(pid)
    })
}

/// CPU seconds (user and system) `pid` has used: utime and stime (fields 14 and 15), counted in
/// USER_HZ, which Linux fixes at 100 for user space whatever the kernel's own tick.
fn cpu_seconds(pid: u32) -> f64 {
    stat(pid).map_or(0.0, |s| (s.number(14) + s.number(15)) / 100.0)
}

/// CPU seconds of `app` and of every process below it.
fn tree_cpu_seconds(app: u32) -> f64 {
    cpu_seconds(app)
        + below_pids(app)
            .into_iter()
            .map(|(pid, _)| cpu_seconds(pid))
            .sum::<f64>()
}

/// (pid, name) of every process below `app`.
fn below_pids(app: u32) -> Vec<(u32, String)> {
    let mut children: HashMap<u32, Vec<(u32, String)>> = HashMap::new();
    for (pid, ppid, name) in processes() {
        children.entry(ppid).or_default().push((pid, name));
    }
    let mut found = Vec::new();
    let mut stack = vec![app];
    while let Some(p) = stack.pop() {
        for (child, name) in children.get(&p).cloned().unwrap_or_default() {
            found.push((child, name));
            stack.push(child);
        }
    }
    found
}

/// RSS (KiB) of each process below `app`, by name.
fn below(app: u32) -> Vec<(String, u64)> {
    below_pids(app)
        .into_iter()
        .map(|(pid, name)| (name, status_kib(pid, "VmRSS")))
        .collect()
}

/// How long a start is watched, after its memory is read, for CPU spent with nothing to do.
const IDLE_SECONDS: u64 = 5;

/// What a start waits for before its clock stops.
#[derive(Clone, Copy)]
enum Ready {
    /// A cell of the customers grid (the app).
    FirstRows,
    /// The page loaded (the empty window).
    PageLoaded,
}

async fn one_start(binary: &Path, profile: &Path, ready: Ready) -> Value {
    let driver = Driver::start(profile, "coffer-bench", &[]);
    let started = Instant::now();
    let client = connect(&driver, binary).await;
    let session_ms = started.elapsed().as_secs_f64() * 1000.0;
    // The page's own clock when the probe first sees it ready: from its navigation, without the
    // process's spawn and WebKit's start, so it moves with what the page does.
    let probe = match ready {
        Ready::FirstRows => {
            "return document.querySelectorAll('[role=grid] [role=row] [role=gridcell]').length > 0 \
             ? performance.now() : null"
        }
        Ready::PageLoaded => {
            "return document.readyState === 'complete' && document.body !== null \
             ? performance.now() : null"
        }
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    let (ready_ms, page_ms) = loop {
        let page_ms = client
            .execute(probe, vec![])
            .await
            .ok()
            .and_then(|v| v.as_f64());
        if let Some(page_ms) = page_ms {
            break (started.elapsed().as_secs_f64() * 1000.0, page_ms);
        }
        assert!(
            Instant::now() < deadline,
            "{} was not ready within 3 minutes",
            binary.display()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    tokio::time::sleep(Duration::from_secs(3)).await;
    let pid = app_pid(binary, profile).expect("the app process is found in /proc");
    let app_kib = status_kib(pid, "VmRSS");
    let children = below(pid);
    let webkit_kib: u64 = children.iter().map(|(_, kib)| kib).sum();
    let cpu_start_s = tree_cpu_seconds(pid);
    // A page that keeps repainting (an animation, a loop of layout) shows here, not in RSS.
    tokio::time::sleep(Duration::from_secs(IDLE_SECONDS)).await;
    let cpu_idle_s = tree_cpu_seconds(pid) - cpu_start_s;
    let start = json!({
        "session_ms": session_ms,
        "first_rows_ms": ready_ms,
        "page_first_rows_ms": page_ms,
        "rss_app_kib": app_kib,
        "rss_app_anon_kib": status_kib(pid, "RssAnon"),
        "rss_app_peak_kib": status_kib(pid, "VmHWM"),
        "rss_webkit_kib": webkit_kib,
        "rss_total_kib": app_kib + webkit_kib,
        "cpu_start_s": cpu_start_s,
        "cpu_idle_s": cpu_idle_s,
        "processes": children.iter().map(|(n, k)| json!({"name": n, "rss_kib": k})).collect::<Vec<_>>(),
    });
    let _ = client.close().await;
    drop(driver);
    stop(pid);
    start
}

/// Ends `pid` if it outlived its WebDriver session (the Coffer app does: it keeps its window
/// after the session closes), so the next start on the profile is not refused as a second
/// instance of it.
fn stop(pid: u32) {
    let alive = || Path::new(&format!("/proc/{pid}")).exists() && !zombie(pid);
    for signal in ["-TERM", "-KILL"] {
        if !alive() {
            return;
        }
        let _ = std::process::Command::new("kill")
            .args([signal, &pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while alive() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn zombie(pid: u32) -> bool {
    stat(pid).is_none_or(|s| s.fields.first().is_some_and(|state| state == "Z"))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

/// One warm-up start, then `runs` starts: their medians, the warm-up apart, every start.
async fn measure(binary: &Path, profile: &Path, ready: Ready, runs: usize, what: &str) -> Value {
    let warm_up = one_start(binary, profile, ready).await;
    eprintln!("bench desktop: {what}, warm-up: {warm_up}");
    let mut starts = Vec::new();
    for i in 0..runs {
        let start = one_start(binary, profile, ready).await;
        eprintln!("bench desktop: {what}, start {i}: {start}");
        starts.push(start);
    }
    let pick = |k: &str| -> f64 {
        let mut values: Vec<f64> = starts
            .iter()
            .map(|s| s[k].as_f64().unwrap_or(0.0))
            .collect();
        median(&mut values)
    };
    json!({
        "starts": starts.len(),
        "session_ms": pick("session_ms"),
        "first_rows_ms": pick("first_rows_ms"),
        "page_first_rows_ms": pick("page_first_rows_ms"),
        "warm_up_first_rows_ms": warm_up["first_rows_ms"].clone(),
        "rss_app_kib": pick("rss_app_kib"),
        "rss_app_anon_kib": pick("rss_app_anon_kib"),
        "rss_app_peak_kib": pick("rss_app_peak_kib"),
        "rss_webkit_kib": pick("rss_webkit_kib"),
        "rss_total_kib": pick("rss_total_kib"),
        "cpu_start_s": pick("cpu_start_s"),
        "cpu_idle_s": pick("cpu_idle_s"),
        "warm_up": warm_up,
        "each": starts,
    })
}

/// `name` under the release target dir (CARGO_TARGET_DIR, else the workspace's target/).
fn release_binary(name: &str) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
        .join("release")
        .join(name)
}

/// The build, from cargo's folder; a binary elsewhere (COFFER_DESKTOP_BIN) is named by
/// COFFER_DESKTOP_BUILD, or "unknown" rather than guessed.
fn build_of(binary: &Path) -> String {
    let path = binary.to_string_lossy();
    if path.contains("/release/") {
        "release".into()
    } else if path.contains("/debug/") {
        "debug".into()
    } else {
        std::env::var("COFFER_DESKTOP_BUILD").unwrap_or_else(|_| "unknown".into())
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut args = std::env::args().skip(1);
    let out = PathBuf::from(
        args.next()
            .expect("usage: bench_desktop OUT.json DIR:CUSTOMERS…"),
    );
    let binary = |var: &str, name: &str| -> PathBuf {
        let path = std::env::var_os(var)
            .map(PathBuf::from)
            .unwrap_or_else(|| release_binary(name));
        assert!(
            path.exists(),
            "{} is missing: build it (scripts/bench.sh)",
            path.display()
        );
        path
    };
    let app = binary("COFFER_DESKTOP_BIN", "coffer-desktop");
    let empty = binary("COFFER_EMPTY_WINDOW_BIN", "coffer-empty-window");
    let runs_per_profile: usize = std::env::var("RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);

    // The empty window needs no data; a profile of its own keeps its process apart.
    let empty_profile =
        std::env::temp_dir().join(format!("coffer-empty-window-{}", std::process::id()));
    std::fs::create_dir_all(&empty_profile).expect("a temporary folder");
    let empty_window = measure(
        &empty,
        &empty_profile,
        Ready::PageLoaded,
        runs_per_profile,
        "empty window",
    )
    .await;
    let _ = std::fs::remove_dir_all(&empty_profile);

    let mut runs = Vec::new();
    for spec in args {
        let (dir, customers) = spec.rsplit_once(':').expect("DIR:CUSTOMERS");
        let profile = PathBuf::from(dir);
        let customers: u64 = customers.parse().expect("CUSTOMERS is a number");
        let mut run = measure(
            &app,
            &profile,
            Ready::FirstRows,
            runs_per_profile,
            &format!("{customers} customers"),
        )
        .await;
        run["customers"] = json!(customers);
        runs.push(run);
    }
    let report = json!({
        "app": app.display().to_string(),
        "build": build_of(&app),
        "empty_window_app": empty.display().to_string(),
        "empty_window_build": build_of(&empty),
        "method": format!(
            "The real app ({}, {} build) and an empty Tauri 2 window ({}: the same Tauri crate \
             and features, no commands, a blank page), each started by tauri-driver through \
             WebKitWebDriver under Xvfb, in the same run; the app on profiles already filled by \
             `coffer bench sync --keep`. Each gets one warm-up start (binary and database into \
             the page cache; its time is shown apart) and then {runs_per_profile} warm starts, \
             whose medians are the figures. Times run from the request for a WebDriver session \
             (which spawns the process) to the session, and to the first row of the customers \
             grid (the empty window: its page loaded); the page's own clock (performance.now(), \
             from its navigation) at that moment beside it. RSS is VmRSS from /proc 3 s after that, \
             of the app process and of every process below it (WebKitWebProcess, \
             WebKitNetworkProcess); the app's anonymous part (RssAnon: heap, SQLite's page \
             cache) and its peak (VmHWM) beside it. CPU is user and system time from /proc of \
             the same processes: from spawn to the memory reading, and in the {IDLE_SECONDS} s \
             after it with nobody using the window (idle: near 0 unless the page keeps \
             repainting).",
            app.display(),
            build_of(&app),
            empty.display(),
        ),
        "empty_window": empty_window,
        "runs": runs,
    });
    std::fs::write(&out, serde_json::to_string_pretty(&report).unwrap()).unwrap();
    println!("{}", serde_json::to_string_pretty(&report).unwrap());
}
