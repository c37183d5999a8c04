//! `coffer bench all`: sync, search and the due run at several sizes (the cost curve), the
//! desktop figures if `scripts/bench.sh` measured them, and docs/benchmarks.md.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use super::due::{self, DueReport};
use super::due_limited::{self, LimitedArgs, LimitedReport};
use super::machine::{load_average, Machine};
use super::search::{self, SearchArgs, SearchReport};
use super::sync::{self, SyncReport};
use crate::output::Output;

#[derive(Args)]
pub struct AllArgs {
    /// Customers for the sync benchmark, by size.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    pub sync_sizes: Vec<usize>,
    /// Cards for the search benchmark, by size.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000,1000000")]
    pub search_sizes: Vec<usize>,
    /// Due occurrences for the due-run benchmark, by size.
    #[arg(long, value_delimiter = ',', default_value = "5000,10000,100000")]
    pub due_sizes: Vec<usize>,
    /// Due occurrences per Clover merchant in the rate-limited run over every merchant (0: not
    /// run).
    #[arg(long, default_value_t = 600)]
    pub limited_per_merchant: usize,
    /// Queries per search kind.
    #[arg(long, default_value_t = 200)]
    pub queries: usize,
    /// Charges in flight in the due run and its raw loop.
    #[arg(long, default_value_t = coffer_engine::due::DEFAULT_CONCURRENCY)]
    pub concurrency: usize,
    /// The desktop figures (JSON written by the desktop benchmark, see scripts/bench.sh).
    #[arg(long)]
    pub desktop: Option<PathBuf>,
    /// Where to write the report.
    #[arg(long, default_value = "docs/benchmarks.md")]
    pub out: PathBuf,
    /// The command line to print as "how to rerun" (scripts/bench.sh passes its own).
    #[arg(long)]
    pub rerun: Option<String>,
}

#[derive(Serialize)]
struct AllReport {
    machine: Machine,
    load_after: String,
    seconds: f64,
    /// False while sections are still to run: the report is written after each size, so a run
    /// stopped part way (hours at 1M) keeps what it measured.
    finished: bool,
    sync: Vec<SyncReport>,
    search: Vec<SearchReport>,
    due: Vec<DueReport>,
    limited: Option<LimitedReport>,
    desktop: Option<serde_json::Value>,
    /// docs/profiles.md, quoted as it is: what bounds each figure, from perf.
    profiles: Option<String>,
}

pub async fn run(args: AllArgs, out: Output) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let desktop = match &args.desktop {
        Some(path) => Some(serde_json::from_str::<serde_json::Value>(
            &std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
        )?),
        None => None,
    };
    let rerun = args.rerun.clone().unwrap_or_else(|| {
        let argv: Vec<String> = std::env::args().collect();
        argv.join(" ")
    });
    if let Some(dir) = args.out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut report = AllReport {
        machine: Machine::now(),
        load_after: String::new(),
        seconds: 0.0,
        finished: false,
        sync: Vec::new(),
        search: Vec::new(),
        due: Vec::new(),
        limited: None,
        desktop,
        profiles: std::fs::read_to_string(args.out.with_file_name("profiles.md")).ok(),
    };
    let write = |report: &mut AllReport| -> anyhow::Result<()> {
        report.load_after = load_average();
        report.seconds = started.elapsed().as_secs_f64();
        std::fs::write(&args.out, markdown(report, &rerun))?;
        errln!("bench: wrote {}", args.out.display());
        Ok(())
    };
    for &n in &args.sync_sizes {
        report.sync.push(sync::measure(n, None).await?);
        write(&mut report)?;
    }
    for &cards in &args.search_sizes {
        errln!("bench search: {cards} cards");
        report.search.push(
            search::measure(&SearchArgs {
                cards,
                queries: args.queries,
                keep: None,
            })
            .await?,
        );
        write(&mut report)?;
    }
    for &n in &args.due_sizes {
        report.due.push(due::measure(n, args.concurrency).await?);
        write(&mut report)?;
    }
    if args.limited_per_merchant > 0 {
        report.limited = Some(
            due_limited::measure(&LimitedArgs {
                per_merchant: args.limited_per_merchant,
                concurrency: args.concurrency,
            })
            .await?,
        );
        write(&mut report)?;
    }
    report.finished = true;
    write(&mut report)?;
    out.show(&report, |r| {
        outln!("== sync");
        sync::print(&r.sync);
        for s in &r.search {
            outln!("== search");
            search::print(s);
        }
        outln!("== due run");
        due::print(&r.due);
        if let Some(limited) = &r.limited {
            outln!("== due run, rate limits on");
            due_limited::print(limited);
        }
        outln!(
            "load average before: {}, after: {} ({:.0} s in all)",
            r.machine.load_average,
            r.load_after,
            r.seconds
        );
    })?;
    Ok(())
}

fn size(n: u64) -> String {
    match n {
        n if n >= 1_000_000 && n % 1_000_000 == 0 => format!("{}M", n / 1_000_000),
        n if n >= 1_000 && n % 1_000 == 0 => format!("{}k", n / 1_000),
        n => n.to_string(),
    }
}

/// How a figure grows with size: `per-item cost at the largest / at the smallest`.
fn growth(first: (u64, f64), last: (u64, f64)) -> String {
    if first.0 == last.0 || first.1 <= 0.0 {
        return String::new();
    }
    format!(
        "{}x the size, {:.2}x the time per item",
        last.0 / first.0.max(1),
        (last.1) / first.1
    )
}

fn markdown(r: &AllReport, rerun: &str) -> String {
    let m = &r.machine;
    let mut s = String::new();
    let _ = writeln!(s, "# Benchmarks\n");
    let _ = writeln!(
        s,
        "Measured by `coffer bench all`; nothing here is asserted by a test. Every figure comes \
         from throw-away profiles and in-process sandboxes on loopback (the sandbox and Coffer \
         share the machine's cores, and so do the raw loops).\n"
    );
    let _ = writeln!(s, "## Machine\n");
    let _ = writeln!(s, "| | |\n|---|---|");
    let _ = writeln!(s, "| CPUs (nproc) | {} |", m.cpus);
    let _ = writeln!(s, "| CPU model | {} |", m.cpu_model);
    let _ = writeln!(s, "| RAM | {:.1} GiB |", m.memory_gib);
    let _ = writeln!(s, "| OS | {} |", m.os);
    let _ = writeln!(s, "| date | {} |", m.date);
    let _ = writeln!(s, "| git commit | {} |", m.git_commit);
    let _ = writeln!(s, "| build of `coffer` | {} |", m.build);
    let _ = writeln!(
        s,
        "| load average (1, 5, 15 min) | before: {}; after: {} |",
        m.load_average, r.load_after
    );
    if r.finished {
        let _ = writeln!(s, "| run time of `bench all` | {:.0} s |\n", r.seconds);
    } else {
        let _ = writeln!(
            s,
            "| run time of `bench all` | not finished: {:.0} s so far |\n",
            r.seconds
        );
        let _ = writeln!(
            s,
            "**The run had not finished when this was written** (the report is rewritten after \
             each size): a section without rows was not reached, and the cost curve covers the \
             sizes measured so far.\n"
        );
    }
    let busy = |load: &str| {
        load.split_whitespace()
            .next()
            .and_then(|l| l.parse::<f64>().ok())
            .is_some_and(|l| l > m.cpus as f64)
    };
    if busy(&m.load_average) || busy(&r.load_after) {
        let _ = writeln!(
            s,
            "The load average was above the number of CPUs: the machine was shared with other \
             work during the run, so the figures are lower and noisier than an idle machine's.\n"
        );
    }
    let _ = writeln!(s, "To rerun:\n\n```\n{rerun}\n```\n");

    // Sync.
    let _ = writeln!(s, "## Sync throughput\n");
    let _ = writeln!(
        s,
        "One Clover sandbox merchant with N customers (1–3 cards each) synced into an empty \
         profile, then synced again (nothing changed). *raw* is a plain reqwest loop reading the \
         same listing pages (`GET /v3/merchants/{{mId}}/customers?expand=cards,…&limit=100`), \
         one request in flight as the sync has, in the same run; *ratio* = Coffer's customers/s \
         ÷ raw customers/s. *cache floor* reads the same pages and writes them, while the next \
         is read, to a bare cache: each customer and card one row keyed by its provider id \
         (UNIQUE, as a re-sync matches rows), its JSON as the body, up to 4,000 customers per \
         durable transaction, the store writer's settings; no cache that a later sync can match \
         row by row is cheaper to fill, so *ceiling* = the floor's customers/s ÷ raw is the most \
         the first sync's ratio can reach here, and the rest of the sync's time is Coffer's \
         columns and search indexes.\n"
    );
    let _ = writeln!(
        s,
        "| customers | cards | first sync s | customers/s | cards/s | re-sync customers/s | raw customers/s | ratio first | ratio re-sync | cache floor customers/s | ceiling | database MB |"
    );
    let _ = writeln!(
        s,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for x in &r.sync {
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {:.1} |",
            x.customers,
            x.cards,
            x.first_seconds,
            x.first_customers_per_s,
            x.first_cards_per_s,
            x.resync_customers_per_s,
            x.raw_customers_per_s,
            x.ratio_first,
            x.ratio_resync,
            x.floor_customers_per_s,
            x.floor_ratio,
            x.database_bytes as f64 / 1e6
        );
    }
    let _ = writeln!(s);

    // Search.
    let _ = writeln!(s, "## Search latency\n");
    let _ = writeln!(
        s,
        "A cache of N cards (N/3 customers over four merchants, deterministic; 16 first names \
         and 16 surnames, two of them with diacritics), each kind of search run {} times with \
         varied values. Milliseconds.\n",
        r.search
            .first()
            .map(|x| x.figures.first().map(|f| f.queries).unwrap_or(0))
            .unwrap_or(0)
    );
    if !r.search.is_empty() {
        let _ = write!(s, "| kind |");
        for x in &r.search {
            let _ = write!(
                s,
                " p50 @{} | p99 @{} |",
                size(x.cards as u64),
                size(x.cards as u64)
            );
        }
        let _ = writeln!(
            s,
            " rows @{} |",
            size(r.search.last().map(|x| x.cards).unwrap_or(0) as u64)
        );
        let _ = write!(s, "|---|");
        for _ in &r.search {
            let _ = write!(s, "---:|---:|");
        }
        let _ = writeln!(s, "---:|");
        let kinds: Vec<&str> = r.search[0].figures.iter().map(|f| f.kind).collect();
        for kind in kinds {
            let _ = write!(s, "| {kind} |");
            let mut rows = 0.0;
            for x in &r.search {
                if let Some(f) = x.figures.iter().find(|f| f.kind == kind) {
                    let _ = write!(s, " {:.3} | {:.3} |", f.p50_ms, f.p99_ms);
                    rows = f.rows_returned_avg;
                } else {
                    let _ = write!(s, " – | – |");
                }
            }
            let _ = writeln!(s, " {rows:.1} |");
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "Writing the cache (the store alone, no HTTP: 10,000 customers and their cards per transaction):\n");
        let _ = writeln!(s, "| cards | customers | fill s | cards/s |");
        let _ = writeln!(s, "|---:|---:|---:|---:|");
        for x in &r.search {
            if let Some(fill) = x.fill_seconds {
                let _ = writeln!(
                    s,
                    "| {} | {} | {:.1} | {:.0} |",
                    x.cards,
                    x.customers,
                    fill,
                    x.cards as f64 / fill.max(1e-9)
                );
            }
        }
        let _ = writeln!(s);
    }

    // Due.
    let _ = writeln!(s, "## Due run\n");
    let _ = writeln!(
        s,
        "N monthly contracts on N Clover cards, all due the same day; the notices went out in an \
         earlier run. The figure is the run on the due date (`run_due`, the concurrency below). \
         Then the exactly-once check at the sandbox (`GET /__sandbox/charges`): approved charges \
         counted per occurrence and per card, each matched to a ledger row; and a second run \
         that must charge nothing. *raw* posts the same number of charges of the same shape to \
         the same endpoint (`POST /v1/charges` with an idempotency key) with the same \
         concurrency, in the same run. *durable floor* is that raw loop keeping only \
         exactly-once's two rules, with one bare SQLite table (WAL, `synchronous=FULL`, as the \
         store's writer): no request leaves before a durable commit records it, and its slot \
         is taken again only by a commit that records its answer (one commit settles the \
         answers that came in and records the requests that take their slots). No run that \
         keeps both rules at this concurrency can go faster on this machine, so *ceiling* = the \
         floor's charges/s ÷ raw is the most the ratio can reach here.\n"
    );
    let _ = writeln!(
        s,
        "| due | concurrency | run s | charges/s | raw charges/s | ratio | durable floor charges/s | ceiling | duplicates | not charged | without ledger row | re-run charged | re-run s | setup s |"
    );
    let _ = writeln!(
        s,
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for x in &r.due {
        let _ = writeln!(
            s,
            "| {} | {} | {:.2} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} | {} | {} | {} | {} | {:.2} | {:.0} |",
            x.occurrences,
            x.concurrency,
            x.run_seconds,
            x.charges_per_s,
            x.raw_charges_per_s,
            x.ratio,
            x.floor_charges_per_s,
            x.floor_ratio,
            x.duplicate_charges,
            x.occurrences_not_charged,
            x.charges_without_ledger_row,
            x.rerun_charged,
            x.rerun_seconds,
            x.setup_seconds
        );
    }
    let _ = writeln!(s);

    if let Some(x) = &r.limited {
        let _ = writeln!(
            s,
            "### With the providers' rate limits on
"
        );
        let _ = writeln!(
            s,
            "Every Clover sandbox merchant at once, {} contracts each, with the sandbox enforcing \
             Clover's published limits per access token ({} requests/s and 5 at once: our notes, \
             clover.md §1). *ratio* = charges/s ÷ the sum of the merchants' limits. A 429 is a \
             ledger row failed as `rate_limited`; the run waits out its Retry-After, keeps under \
             the published rate from then on and charges the occurrence again as a new try.\n",
            x.occurrences / x.merchants.max(1) as u64,
            x.limit_per_merchant
        );
        let _ = writeln!(
            s,
            "| merchants | due | sum of limits /s | run s | charges/s | ratio | 429s met | duplicates | not charged | without ledger row |"
        );
        let _ = writeln!(s, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        let _ = writeln!(
            s,
            "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} |\n",
            x.merchants,
            x.occurrences,
            x.limits_sum,
            x.run_seconds,
            x.charges_per_s,
            x.ratio,
            x.rate_limited,
            x.duplicate_charges,
            x.occurrences_not_charged,
            x.charges_without_ledger_row
        );
    }
    // Desktop.
    let _ = writeln!(s, "## Desktop app\n");
    match &r.desktop {
        Some(d) => desktop_section(&mut s, d),
        None => {
            let _ = writeln!(
                s,
                "Not measured in this run (`scripts/bench.sh` measures the app and passes \
                 `--desktop FILE`).\n"
            );
        }
    }

    // The cost curve.
    let _ = writeln!(s, "## The cost curve\n");
    let _ = writeln!(
        s,
        "How the cost per item grows with size (1.00x: linear in total, flat per item).\n"
    );
    if let (Some(a), Some(b)) = (r.sync.first(), r.sync.last()) {
        let per = |x: &SyncReport| x.first_seconds / x.customers.max(1) as f64;
        let raw = |x: &SyncReport| x.raw_seconds / x.customers.max(1) as f64;
        // The store alone: the search benchmark's fill writes customers and cards through the
        // same upserts, without HTTP; its largest size is the closest to a large sync.
        let store_us: Vec<String> = r
            .search
            .iter()
            .filter_map(|x| {
                let us = x.fill_seconds? / x.customers.max(1) as f64 * 1e6;
                Some(format!(
                    "{us:.0} µs at {} customers",
                    size(x.customers as u64)
                ))
            })
            .collect();
        let _ = writeln!(
            s,
            "- **Sync**, {} → {} customers: {} (first sync); the raw listing loop: {}. Per \
             customer at {}: the sync takes {:.0} µs, of which the page's round trip and transfer \
             (the raw loop) take {:.0} µs and the same pages written to the bare cache (the \
             cache floor) {:.0} µs{}. The re-sync, which compares every row and writes none, runs \
             at {:.0}–{:.0} customers/s.",
            size(a.customers),
            size(b.customers),
            growth((a.customers, per(a)), (b.customers, per(b))),
            growth((a.customers, raw(a)), (b.customers, raw(b))),
            size(b.customers),
            per(b) * 1e6,
            raw(b) * 1e6,
            b.floor_seconds / b.customers.max(1) as f64 * 1e6,
            if store_us.is_empty() {
                String::new()
            } else {
                format!(
                    "; the store alone (customers and their cards written without HTTP, 10,000 \
                     customers per transaction: the search benchmark's fill) takes {}",
                    store_us.join(", ")
                )
            },
            a.resync_customers_per_s.min(b.resync_customers_per_s),
            a.resync_customers_per_s.max(b.resync_customers_per_s),
        );
    }
    if let (Some(a), Some(b)) = (r.search.first(), r.search.last()) {
        let _ = write!(
            s,
            "- **Search**, {} → {} cards, p50 per kind: ",
            size(a.cards as u64),
            size(b.cards as u64)
        );
        let parts: Vec<String> = a
            .figures
            .iter()
            .filter_map(|f| {
                let g = b.figures.iter().find(|g| g.kind == f.kind)?;
                Some(format!("{} {:.2} → {:.2} ms", f.kind, f.p50_ms, g.p50_ms))
            })
            .collect();
        let _ = writeln!(s, "{}.", parts.join("; "));
    }
    if let (Some(a), Some(b)) = (r.due.first(), r.due.last()) {
        let per = |x: &DueReport| x.run_seconds / x.occurrences.max(1) as f64;
        let raw = |x: &DueReport| x.raw_seconds / x.raw_charges.max(1) as f64;
        let floor = |x: &DueReport| x.floor_seconds / x.occurrences.max(1) as f64;
        let _ = writeln!(
            s,
            "- **Due run**, {} → {} occurrences: {}; the raw charge loop: {}. Per charge at {}: \
             the run takes {:.0} µs, the raw loop {:.0} µs with the same {} in flight, the \
             durable floor {:.0} µs: the rest of the run's time is Coffer's own work (the reads \
             and policy, the ledger row, the audit event, the occurrence's state) and the pages \
             it adds to each commit.",
            size(a.occurrences),
            size(b.occurrences),
            growth((a.occurrences, per(a)), (b.occurrences, per(b))),
            growth((a.occurrences, raw(a)), (b.occurrences, raw(b))),
            size(b.occurrences),
            per(b) * 1e6,
            raw(b) * 1e6,
            b.concurrency,
            floor(b) * 1e6
        );
    }
    if let Some(d) = &r.desktop {
        desktop_takeaway(&mut s, d);
    }
    match &r.profiles {
        Some(profiles) => {
            let _ = writeln!(s, "\n## What bounds each figure\n");
            let _ = writeln!(
                s,
                "From profiles taken with `scripts/profile.sh` (perf), quoted from \
                 docs/profiles.md as written when they were taken:\n"
            );
            let _ = writeln!(s, "{}", profiles.trim_end());
        }
        None => {
            let _ = writeln!(
                s,
                "\nNo profile was found (docs/profiles.md): what bounds each figure is not said \
                 here."
            );
        }
    }
    let _ = writeln!(
        s,
        "\nSizes not in the tables were not run here; every benchmark takes its sizes as flags \
         (`coffer bench sync --customers 1000000`, `coffer bench due --occurrences 100000`, \
         `coffer bench search --cards 1000000`)."
    );
    s
}

/// The desktop table: the empty Tauri window first, then the app at each cache size, and what the
/// app costs over the empty window.
fn desktop_section(s: &mut String, d: &serde_json::Value) {
    let _ = writeln!(
        s,
        "{} The app is the {} build.\n",
        d["method"]
            .as_str()
            .unwrap_or("Measured by the desktop benchmark.")
            .replace("/tests/desktop/../../", "/"),
        d["build"].as_str().unwrap_or("unknown")
    );
    let _ = writeln!(
        s,
        "| process | customers in the cache | spawn → WebDriver session ms | spawn → first rows ms (warm, median) | page's clock at first rows ms | warm-up start ms | RSS app MiB | app anonymous MiB | app peak MiB | RSS WebKit MiB | RSS total MiB | CPU s to then | CPU s idle after |"
    );
    let _ = writeln!(
        s,
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    let row = |s: &mut String, what: &str, customers: String, run: &serde_json::Value| {
        let ms = |k: &str| run[k].as_f64().unwrap_or(0.0);
        let mib = |k: &str| run[k].as_f64().unwrap_or(0.0) / 1024.0;
        let _ = writeln!(
            s,
            "| {what} | {customers} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.2} | {:.2} |",
            ms("session_ms"),
            ms("first_rows_ms"),
            ms("page_first_rows_ms"),
            ms("warm_up_first_rows_ms"),
            mib("rss_app_kib"),
            mib("rss_app_anon_kib"),
            mib("rss_app_peak_kib"),
            mib("rss_webkit_kib"),
            mib("rss_total_kib"),
            run["cpu_start_s"].as_f64().unwrap_or(0.0),
            run["cpu_idle_s"].as_f64().unwrap_or(0.0),
        );
    };
    let empty = &d["empty_window"];
    if empty.is_object() {
        row(s, "empty Tauri 2 window (page loaded)", "—".into(), empty);
    }
    for run in d["runs"].as_array().into_iter().flatten() {
        row(s, "Coffer", run["customers"].to_string(), run);
    }
    let _ = writeln!(s);
    if empty.is_object() {
        let mib = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap_or(0.0) / 1024.0;
        for run in d["runs"].as_array().into_iter().flatten() {
            let _ = writeln!(
                s,
                "- {} customers: the app process {:+.0} MiB over the empty window's, WebKit {:+.0} \
                 MiB, the whole {:+.0} MiB.",
                run["customers"],
                mib(run, "rss_app_kib") - mib(empty, "rss_app_kib"),
                mib(run, "rss_webkit_kib") - mib(empty, "rss_webkit_kib"),
                mib(run, "rss_total_kib") - mib(empty, "rss_total_kib"),
            );
        }
        let _ = writeln!(s);
    }
}

/// The desktop line of the takeaways: first rows and the app's memory from the smallest cache to
/// the largest, as measured.
fn desktop_takeaway(s: &mut String, d: &serde_json::Value) {
    let runs: Vec<&serde_json::Value> = d["runs"].as_array().into_iter().flatten().collect();
    let (Some(small), Some(large)) = (runs.first(), runs.last()) else {
        return;
    };
    let ms = |v: &serde_json::Value| v["first_rows_ms"].as_f64().unwrap_or(0.0);
    let mib = |v: &serde_json::Value| v["rss_app_kib"].as_f64().unwrap_or(0.0) / 1024.0;
    let _ = writeln!(
        s,
        "- **Desktop** ({} build): the customers table is virtualized and paged from the engine; \
         first rows {:.0} ms at {} customers and {:.0} ms at {}, the app process {:.0} MiB and \
         {:.0} MiB.",
        d["build"].as_str().unwrap_or("unknown"),
        ms(small),
        small["customers"],
        ms(large),
        large["customers"],
        mib(small),
        mib(large),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(finished: bool) -> AllReport {
        AllReport {
            machine: Machine::now(),
            load_after: "0.10 0.10 0.10".into(),
            seconds: 12.0,
            finished,
            sync: Vec::new(),
            search: Vec::new(),
            due: Vec::new(),
            limited: None,
            desktop: None,
            profiles: None,
        }
    }

    #[test]
    fn a_report_written_part_way_says_so_and_a_finished_one_does_not() {
        let partial = markdown(&report(false), "bash scripts/bench.sh");
        assert!(partial.contains("not finished: 12 s so far"), "{partial}");
        assert!(partial.contains("had not finished when this was written"));
        let done = markdown(&report(true), "bash scripts/bench.sh");
        assert!(
            done.contains("| run time of `bench all` | 12 s |"),
            "{done}"
        );
        assert!(!done.contains("not finished"));
        assert!(done.contains("bash scripts/bench.sh"));
    }

    #[test]
    fn the_desktop_table_shows_the_empty_window_beside_the_app_at_each_size() {
        let mut r = report(true);
        let start = |ms: f64, app: f64, webkit: f64| {
            serde_json::json!({
                "session_ms": 300.0, "first_rows_ms": ms, "page_first_rows_ms": ms / 3.0,
                "warm_up_first_rows_ms": ms * 2.0,
                "rss_app_kib": app * 1024.0, "rss_app_anon_kib": 10240.0,
                "rss_app_peak_kib": app * 1024.0, "rss_webkit_kib": webkit * 1024.0,
                "rss_total_kib": (app + webkit) * 1024.0,
                "cpu_start_s": 1.5, "cpu_idle_s": 0.02,
            })
        };
        let mut small = start(420.0, 80.0, 200.0);
        small["customers"] = serde_json::json!(10000);
        let mut large = start(480.0, 95.0, 210.0);
        large["customers"] = serde_json::json!(1000000);
        r.desktop = Some(serde_json::json!({
            "build": "release", "method": "Measured.",
            "empty_window": start(150.0, 60.0, 150.0),
            "runs": [small, large],
        }));
        let md = markdown(&r, "bash scripts/bench.sh");
        assert!(
            md.contains("| empty Tauri 2 window (page loaded) | — | 300 | 150 | 50 | 300 | 60 | 10 | 60 | 150 | 210 | 1.50 | 0.02 |"),
            "{md}"
        );
        assert!(md.contains(
            "| Coffer | 1000000 | 300 | 480 | 160 | 960 | 95 | 10 | 95 | 210 | 305 | 1.50 | 0.02 |"
        ));
        assert!(md.contains(
            "- 1000000 customers: the app process +35 MiB over the empty window's, WebKit +60 MiB, the whole +95 MiB."
        ));
        assert!(md.contains("first rows 420 ms at 10000 customers and 480 ms at 1000000"));
    }
}
