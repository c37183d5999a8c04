//! The suite's own report, `docs/reliability.md`: what each scenario did on each provider, in
//! numbers, on the machine it ran on.
//!
//! The tests that put money through faults (`crash_loop`, `faults`, `lost_answers`) each
//! [`record`] one [`Row`] per scenario and provider as a JSON line, appended to the file
//! `COFFER_RELIABILITY_REPORT` names, and only when it names one. They record before they
//! assert, so a run that finds a duplicate still shows it in the numbers. `scripts/reliability.sh`
//! sets the variable, runs the suite, then runs the one ignored test here, which reads the rows
//! (and the suite's test lines from `COFFER_RELIABILITY_LOG`) and writes the markdown. A plain
//! `cargo test --workspace` sets nothing, records nothing and writes nothing, so the committed
//! report stays the one a real run of the script produced.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The variable that names the rows file; unset, nothing is recorded.
pub const REPORT_ENV: &str = "COFFER_RELIABILITY_REPORT";

/// One scenario on one provider, as one run of the suite saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Row {
    /// A scenario id of [`SCENARIOS`].
    pub scenario: String,
    /// clover, processout, assist, svea.
    pub provider: String,
    /// Runs (kill runs, due runs, syncs, charges or refunds: what the scenario counts).
    pub runs: u64,
    /// Runs killed with SIGKILL while still running.
    pub kills: u64,
    /// Of those, kills between a `sending` commit and its answer: a `sending` row appeared.
    pub kills_in_window: u64,
    /// Faults the sandbox injected (each 503, 429, dropped answer, 502 counted once).
    pub faults: u64,
    /// Which faults, in words ("3× 502, 1× dropped").
    pub fault_mix: String,
    /// Charges (or refunds, for a refund scenario) the sandbox made.
    pub sandbox_charges: u64,
    /// Of those, beyond one per occurrence (or per refund asked).
    pub duplicates: u64,
    /// Sandbox charges or refunds without their settled ledger row.
    pub lost_records: u64,
    /// Made at the sandbox, and the ledger row says failed or declined.
    pub wrong_outcomes: u64,
    /// Attempts reconcile left for a person at the end.
    pub left_for_a_person: u64,
    /// The seed that replays it (`COFFER_RELIABILITY_SEED`), where it draws at random.
    pub seed: Option<u64>,
}

/// Every scenario the report knows, in its order, with what it does.
pub const SCENARIOS: [(&str, &str); 9] = [
    (
        "crash loop",
        "`coffer run-due` of one merchant at a time, the providers in turn, killed with \
         SIGKILL at a random moment (250 ms to 2.5 s after its start) and followed by \
         `coffer reconcile` (as the next start reconciles), again and again, while the sandbox \
         holds every answer 800 ms after it acted (`response_delay_ms`) and Assist charges a \
         reused OrderNumber again (`assist_order_number_reuse_charges`). Then cron's next runs \
         (later today, and tomorrow for tries that failed) and `coffer reconcile`, the last one \
         on a clock 16 minutes on. A kill is *in the window* when it left a new `sending` row.",
    ),
    (
        "sync storm",
        "The first merchant of each provider synced while the sandbox answers with 503s, \
         429s (Retry-After 1 s), dropped answers, 502s after processing, lagging lookups and \
         latency, re-armed at random as they are spent; then synced in calm weather. Lost \
         records here are cards the provider holds that the cache lacks, or shows withdrawn.",
    ),
    (
        "due-run storm",
        "The due run of the first merchant of each provider (15 contracts due today) in the \
         same storm; then, calm, reconcile while lookups still lag, the day's reruns, the next \
         day's runs for tries that failed, and reconcile on a clock 16 minutes past them.",
    ),
    (
        "charge: 502 once",
        "A charge processed by the provider, then answered `502 Bad Gateway` once \
         (`error_after_write_next: 1`). Clover's and ProcessOut's clients send it again at once \
         under the same Idempotency-Key and get the first answer back; Assist and Svea are left \
         unknown. Then `reconcile` with the default grace, which settles by the provider's \
         record only.",
    ),
    (
        "charge: every answer 502",
        "A charge processed, and every answer to its writes (resends under the same key \
         included) a 502, until the client gives up; then `reconcile` with the default grace.",
    ),
    (
        "charge: 502, lookups lagging",
        "The same with the provider's lookups lagging 5 s (`lookup_lag_secs`): `reconcile` \
         during the lag (grace 0, so it resends where the resend rule allows) must fail \
         nothing; `reconcile` after the lag settles it.",
    ),
    (
        "refund: 502",
        "A refund of 2.00 of a made charge, processed and answered with a 502; then \
         `reconcile` (refunds are settled by lookup only, never sent again).",
    ),
    (
        "power cut",
        "A due run over the four providers (two contracts each) cut by a simulated power loss \
         at a random write (`powercut/`: every write since each file's last fsync undone, a \
         quarter of the cuts tearing the write they land on; one cut inside a charge's answer \
         commit, one inside the closing checkpoint), on a fresh copy of the profile each time. \
         *Kills* are the cuts, *in the window* those after the provider charged and before \
         Coffer recorded the answer; lost records are provider charges without their ledger \
         row after the cut (integrity_check and the audit chain are asserted too). One row \
         for the four providers together.",
    ),
    (
        "refund: 502, lookups lagging",
        "The same with lookups lagging 5 s: `reconcile` during the lag must fail nothing; \
         after the lag it settles the refund.",
    ),
];

/// The providers in the report's order.
pub const PROVIDERS: [&str; 4] = ["clover", "processout", "assist", "svea"];

static APPEND: Mutex<()> = Mutex::new(());

/// Appends `rows` to the rows file, when `COFFER_RELIABILITY_REPORT` names one.
pub fn record(rows: &[Row]) {
    let Some(path) = std::env::var_os(REPORT_ENV).filter(|p| !p.is_empty()) else {
        return;
    };
    for row in rows {
        assert!(
            SCENARIOS.iter().any(|(id, _)| *id == row.scenario),
            "the report knows scenario {:?}: add it to SCENARIOS",
            row.scenario
        );
    }
    let _one_writer = APPEND.lock().unwrap_or_else(|e| e.into_inner());
    let path = PathBuf::from(path);
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).unwrap();
    }
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("the rows file {} opens: {e}", path.display()));
    for row in rows {
        writeln!(file, "{}", serde_json::to_string(row).unwrap()).unwrap();
    }
}

/// "3× 502, 1× dropped" from counts by kind, leaving out the zeros.
pub fn mix(counts: &[(&str, u64)]) -> String {
    let parts: Vec<String> = counts
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n}× {what}"))
        .collect();
    parts.join(", ")
}

/// The machine the suite ran on, read from /proc and /etc/os-release as `coffer bench` does.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub memory_gib: f64,
    pub os: String,
    pub kernel: String,
}

impl Machine {
    pub fn here() -> Machine {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu_model = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let memory_kib: f64 = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| std::env::consts::OS.to_string());
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_string();
        Machine {
            cpus: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            cpu_model,
            memory_gib: memory_kib / 1024.0 / 1024.0,
            os,
            kernel: if kernel.is_empty() {
                "unknown".into()
            } else {
                kernel
            },
        }
    }
}

/// How the suite was run, as the script tells it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    /// The command line (`bash scripts/reliability.sh --long`).
    pub command: String,
    /// The settings it ran with (`COFFER_RELIABILITY_RUNS=5`, …).
    pub settings: Vec<String>,
    /// When (UTC).
    pub date: String,
    /// The commit, and whether the tree had changes.
    pub commit: String,
    /// How long the suite took, in seconds, as the script measured it.
    pub seconds: Option<u64>,
    /// `(test, outcome)` from the suite's `test NAME ... ok|FAILED|ignored` lines.
    pub tests: Vec<(String, String)>,
}

/// The `test NAME ... OUTCOME` lines of a `cargo test` log.
pub fn test_lines(log: &str) -> Vec<(String, String)> {
    let mut tests: Vec<(String, String)> = log
        .lines()
        .filter_map(|l| l.strip_prefix("test "))
        .filter_map(|l| l.rsplit_once(" ... "))
        .filter(|(name, _)| !name.contains(' '))
        .map(|(name, outcome)| (name.trim().to_string(), outcome.trim().to_string()))
        .collect();
    tests.sort();
    tests.dedup();
    tests
}

/// The rows of a rows file, in the order written.
pub fn read_rows(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("the rows file {} is readable: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a row ({e}): {l}")))
        .collect()
}

/// The rows of one scenario and provider summed (a scenario run twice, or in parts).
fn summed(rows: &[Row]) -> BTreeMap<(usize, usize), Row> {
    let mut out: BTreeMap<(usize, usize), Row> = BTreeMap::new();
    for row in rows {
        let s = SCENARIOS
            .iter()
            .position(|(id, _)| *id == row.scenario)
            .unwrap_or(SCENARIOS.len());
        let p = PROVIDERS
            .iter()
            .position(|p| *p == row.provider)
            .unwrap_or(PROVIDERS.len());
        let sum = out.entry((s, p)).or_insert_with(|| Row {
            scenario: row.scenario.clone(),
            provider: row.provider.clone(),
            ..Row::default()
        });
        sum.runs += row.runs;
        sum.kills += row.kills;
        sum.kills_in_window += row.kills_in_window;
        sum.faults += row.faults;
        sum.sandbox_charges += row.sandbox_charges;
        sum.duplicates += row.duplicates;
        sum.lost_records += row.lost_records;
        sum.wrong_outcomes += row.wrong_outcomes;
        sum.left_for_a_person += row.left_for_a_person;
        if !row.fault_mix.is_empty() {
            if !sum.fault_mix.is_empty() {
                sum.fault_mix.push_str("; ");
            }
            sum.fault_mix.push_str(&row.fault_mix);
        }
        sum.seed = sum.seed.or(row.seed);
    }
    out
}

/// The report as markdown.
pub fn render(machine: &Machine, run: &Run, rows: &[Row]) -> String {
    let mut md = String::new();
    md.push_str("# Reliability\n\n");
    md.push_str(
        "Written by `bash scripts/reliability.sh` (`tests/reliability/report.rs`) from the \
         numbers the reliability suite recorded in one run on this machine; not edited by hand. \
         What the suite asserts is in `tests/reliability/main.rs`; this page shows what one run \
         saw. Every scenario runs against the `coffer sandbox` emulators on loopback, so the \
         faults are the sandbox's knobs (`crates/coffer-sandbox/docs/faults.md`), not any \
         provider's observed behaviour.\n\n",
    );
    md.push_str("## Machine\n\n| | |\n|---|---|\n");
    md.push_str(&format!("| CPUs (nproc) | {} |\n", machine.cpus));
    md.push_str(&format!("| CPU model | {} |\n", machine.cpu_model));
    md.push_str(&format!("| RAM | {:.1} GiB |\n", machine.memory_gib));
    md.push_str(&format!("| OS | {} |\n", machine.os));
    md.push_str(&format!("| kernel | {} |\n", machine.kernel));
    md.push_str("| build of `coffer` and the tests | debug |\n\n");
    md.push_str("## The run\n\n| | |\n|---|---|\n");
    md.push_str(&format!("| command | `{}` |\n", run.command));
    for setting in &run.settings {
        md.push_str(&format!("| setting | `{setting}` |\n"));
    }
    md.push_str(&format!("| date | {} |\n", run.date));
    md.push_str(&format!("| git commit | {} |\n", run.commit));
    if let Some(seconds) = run.seconds {
        md.push_str(&format!("| run time of the suite | {seconds} s |\n"));
    }
    let failed: Vec<&str> = run
        .tests
        .iter()
        .filter(|(_, o)| o == "FAILED")
        .map(|(t, _)| t.as_str())
        .collect();
    let passed = run.tests.iter().filter(|(_, o)| o == "ok").count();
    md.push_str(&format!(
        "| result | {} |\n\n",
        if run.tests.is_empty() {
            "unknown (no test lines given)".to_string()
        } else if failed.is_empty() {
            format!("all {passed} tests passed")
        } else {
            format!(
                "{passed} passed, {} failed: {}",
                failed.len(),
                failed
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    ));

    md.push_str("## Results\n\n");
    md.push_str(
        "Per scenario and provider. *Runs*: kill runs, due runs, syncs, charges or refunds, as \
         the scenario says. *Kills (in the window)*: runs killed while still running, and of \
         those the ones that left a new `sending` row (the kill fell between the `sending` \
         commit and the answer). *Faults injected*: the sandbox's count of each fault it \
         served. *At the sandbox*: charges (refunds, in a refund scenario) the sandbox made. \
         *Duplicates*: of those, beyond one per occurrence or refund asked. *Lost records*: \
         made at the sandbox without their ledger row (for a sync, cards the cache lacks). \
         *Failed wrongly*: made at the sandbox, and the ledger row says failed or declined. \
         *Left for a person*: attempts reconcile could not settle at the end.\n\n",
    );
    md.push_str(
        "| Scenario | Provider | Runs | Kills (in the window) | Faults injected | At the \
         sandbox | Duplicates | Lost records | Failed wrongly | Left for a person |\n",
    );
    md.push_str("|---|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
    let sums = summed(rows);
    for row in sums.values() {
        let faults = if row.fault_mix.is_empty() {
            row.faults.to_string()
        } else {
            format!("{} ({})", row.faults, row.fault_mix)
        };
        let kills = if row.kills == 0 {
            "–".to_string()
        } else {
            format!("{} ({})", row.kills, row.kills_in_window)
        };
        md.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            row.scenario,
            row.provider,
            row.runs,
            kills,
            faults,
            row.sandbox_charges,
            row.duplicates,
            row.lost_records,
            row.wrong_outcomes,
            row.left_for_a_person
        ));
    }
    if sums.is_empty() {
        md.push_str("| (no rows were recorded) | | | | | | | | | |\n");
    }
    let total = |f: fn(&Row) -> u64| sums.values().map(f).sum::<u64>();
    md.push_str(&format!(
        "\nIn all: {} runs, {} kills ({} in the window), {} faults injected, {} made at the \
         sandbox, {} duplicates, {} lost records, {} failed wrongly, {} attempts left for a \
         person.\n",
        total(|r| r.runs),
        total(|r| r.kills),
        total(|r| r.kills_in_window),
        total(|r| r.faults),
        total(|r| r.sandbox_charges),
        total(|r| r.duplicates),
        total(|r| r.lost_records),
        total(|r| r.wrong_outcomes),
        total(|r| r.left_for_a_person)
    ));
    let seeds: Vec<String> = {
        let mut seen: BTreeMap<&str, u64> = BTreeMap::new();
        for row in rows {
            if let Some(seed) = row.seed {
                seen.entry(row.scenario.as_str()).or_insert(seed);
            }
        }
        seen.iter()
            .map(|(s, seed)| format!("{s}: {seed}"))
            .collect()
    };
    if !seeds.is_empty() {
        md.push_str(&format!(
            "\nSeeds (`COFFER_RELIABILITY_SEED=N` replays the random draws of one): {}.\n",
            seeds.join("; ")
        ));
    }

    md.push_str("\n## The scenarios\n\n");
    for (id, what) in SCENARIOS {
        md.push_str(&format!("- **{id}**: {what}\n"));
    }
    if !run.tests.is_empty() {
        md.push_str("\n## Every test of the suite in this run\n\n");
        for (test, outcome) in &run.tests {
            md.push_str(&format!("- `{test}`: {outcome}\n"));
        }
    }
    md
}

/// The git commit of the tree, marked when it has changes.
fn commit() -> String {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{commit} (with uncommitted changes)")
    } else {
        commit
    }
}

#[test]
#[ignore = "writes docs/reliability.md from the rows of a run of the suite; \
            scripts/reliability.sh runs it after the suite"]
fn docs_reliability_md_is_written_from_the_rows_the_suite_recorded() {
    let rows_path = std::env::var_os(REPORT_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{REPORT_ENV} names the rows file of the run"));
    let rows = read_rows(&rows_path);
    let log = std::env::var_os("COFFER_RELIABILITY_LOG")
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .unwrap_or_default();
    let settings = [
        "COFFER_RELIABILITY_RUNS",
        "COFFER_RELIABILITY_CASES",
        "COFFER_RELIABILITY_SEED",
    ]
    .iter()
    .filter_map(|name| std::env::var(name).ok().map(|v| format!("{name}={v}")))
    .collect();
    let run = Run {
        command: std::env::var("COFFER_RELIABILITY_COMMAND")
            .unwrap_or_else(|_| "bash scripts/reliability.sh".into()),
        settings,
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: commit(),
        seconds: std::env::var("COFFER_RELIABILITY_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok()),
        tests: test_lines(&log),
    };
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/reliability.md");
    std::fs::write(&out, render(&Machine::here(), &run, &rows)).unwrap();
    eprintln!(
        "reliability report: {} rows from {} written to {}",
        rows.len(),
        rows_path.display(),
        out.display()
    );
}

#[test]
fn the_report_sums_each_scenario_per_provider_and_names_the_machine_the_command_and_failures() {
    let row = |scenario: &str, provider: &str, runs: u64, duplicates: u64| Row {
        scenario: scenario.into(),
        provider: provider.into(),
        runs,
        kills: runs,
        kills_in_window: 1,
        faults: 2,
        fault_mix: "2× 502".into(),
        sandbox_charges: 3,
        duplicates,
        seed: Some(42),
        ..Row::default()
    };
    let rows = [
        row("crash loop", "svea", 2, 0),
        row("crash loop", "clover", 1, 0),
        row("crash loop", "svea", 3, 1),
    ];
    let machine = Machine::here();
    let log =
        "test crash_loop::x ... ok\ntest faults::y ... FAILED\ntest report::z ... ignored, why\n";
    let run = Run {
        command: "bash scripts/reliability.sh --long".into(),
        settings: vec!["COFFER_RELIABILITY_RUNS=20".into()],
        date: "2026-12-04 12:00 UTC".into(),
        commit: "abc".into(),
        seconds: Some(99),
        tests: test_lines(log),
    };
    let md = render(&machine, &run, &rows);
    assert!(
        md.contains("| crash loop | clover | 1 | 1 (1) |")
            && md.contains(
                "| crash loop | svea | 5 | 5 (2) | 4 (2× 502; 2× 502) | 6 | 1 | 0 | 0 | 0 |"
            ),
        "one line per scenario and provider, the two svea rows summed, clover first: {md}"
    );
    assert!(
        md.find("| clover |") < md.find("| svea |"),
        "providers in the report's order"
    );
    assert!(
        md.contains(&format!("| CPUs (nproc) | {} |", machine.cpus))
            && md.contains("`bash scripts/reliability.sh --long`")
            && md.contains("`COFFER_RELIABILITY_RUNS=20`"),
        "the machine, the command and its settings are named: {md}"
    );
    assert!(
        md.contains("1 passed, 1 failed: `faults::y`"),
        "a failed test is named in the result, not hidden: {md}"
    );
    assert!(
        md.contains("crash loop: 42"),
        "the seed that replays it is there"
    );
}
