//! The Rust side of the power-cut shim (`powercut.c` beside this file, see its header): compiled
//! with the system C compiler when a test needs it, loaded with `LD_PRELOAD` into one `coffer`
//! child process only, and its report read back. Linux only (`/proc/self/fd`, `LD_PRELOAD`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use coffer_e2e::{coffer_binary, Profile};

/// The shim's source, compiled at test time.
const SOURCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reliability/powercut/powercut.c"
);

/// The exit code the shim ends the process with at the cut.
const CUT_EXIT: i32 = 137;
/// The exit code of a call the shim's model cannot undo (see `unsupported` in powercut.c).
const UNSUPPORTED_EXIT: i32 = 98;

/// How long a `coffer` run under the shim may take before the test calls it hung.
const RUN_LIMIT: Duration = Duration::from_secs(180);

/// The compiled shim.
pub struct Shim {
    dir: tempfile::TempDir,
    library: PathBuf,
}

/// One tracked write or sync of a run that was not cut (the shim's trace).
#[derive(Debug, Clone)]
pub struct Event {
    /// `write` or `sync`.
    pub what: String,
    /// The tracked write's number (what `COFFER_POWERCUT_AT` counts), or the sync's.
    pub number: u64,
    /// `main` (the database file: only checkpoints write it in WAL mode), `wal` or `other`.
    pub kind: String,
    /// When it happened, wall-clock microseconds since the Unix epoch.
    pub wall_us: i64,
}

/// What a run under the shim did.
#[derive(Debug)]
pub enum Outcome {
    /// It ran to the end (no cut asked for, or the cut's write never came): its trace.
    Completed { writes: u64, events: Vec<Event> },
    /// The power went: the shim's report line as `key=value` pairs.
    Cut(CutReport),
}

/// The shim's one-line report of a cut.
#[derive(Debug, Clone)]
pub struct CutReport {
    pub line: String,
    /// The write it happened at.
    pub write: u64,
    /// The file that write went to.
    pub file: String,
    /// `main` (inside a checkpoint), `wal` or `other`.
    pub kind: String,
    /// Whether that write was torn (its file kept its earlier unsynced writes and part of it).
    pub torn: bool,
    /// Earlier writes undone because they were not synced yet: to the WAL, to the database
    /// file, to any file under the profile (notices in the outbox too).
    pub restored_wal: u64,
    pub restored_main: u64,
    pub restored: u64,
}

fn field<'a>(line: &'a str, key: &str) -> &'a str {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
        .unwrap_or_else(|| panic!("the shim's report names {key}: {line}"))
}

fn number(text: &str, line: &str) -> u64 {
    text.parse()
        .unwrap_or_else(|_| panic!("a number in the shim's report, not {text:?}: {line}"))
}

impl Shim {
    /// Compiles the shim with `cc`. Without a C compiler this fails the test: a power-loss test
    /// that quietly did not cut the power would prove nothing.
    pub fn build() -> Shim {
        let dir = tempfile::tempdir().expect("a temp dir for the shim");
        let library = dir.path().join("powercut.so");
        let output = Command::new("cc")
            .args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(&library)
            .arg(SOURCE)
            .arg("-ldl")
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "the power-loss simulation compiles its LD_PRELOAD shim with `cc`, which \
                     did not start ({e}): install a C compiler (gcc)"
                )
            });
        assert!(
            output.status.success(),
            "cc compiles the power-cut shim {SOURCE}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        Shim { dir, library }
    }

    /// Runs `coffer ARGS` on `profile` under the shim, which tracks the profile's files: cut at
    /// the `at`-th tracked write (torn or not), or, with `at` = None, only traced.
    pub async fn run(
        &self,
        profile: &Profile,
        args: &[&str],
        at: Option<u64>,
        tear: bool,
    ) -> Outcome {
        let report = self.dir.path().join("report");
        let stderr_path = self.dir.path().join("stderr");
        let _ = std::fs::remove_file(&report);
        let stderr = std::fs::File::create(&stderr_path).unwrap();
        let mut child = Command::new(coffer_binary())
            .arg("--data-dir")
            .arg(profile.path())
            .args(args)
            .env_remove("COFFER_DATA_DIR")
            .env("COFFER_KEYRING_SERVICE", &profile.service)
            .env("LD_PRELOAD", &self.library)
            .env("COFFER_POWERCUT_DIR", profile.path())
            .env("COFFER_POWERCUT_REPORT", &report)
            .env("COFFER_POWERCUT_AT", at.unwrap_or(0).to_string())
            .env("COFFER_POWERCUT_TEAR", if tear { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("coffer starts under the power-cut shim");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!("coffer {args:?} under the shim ends within {RUN_LIMIT:?}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        let text = std::fs::read_to_string(&report).unwrap_or_default();
        let said = || {
            format!(
                "exit {status:?}\nthe shim's report:\n{text}\nstderr:\n{}",
                std::fs::read_to_string(&stderr_path).unwrap_or_default()
            )
        };
        assert_ne!(
            status.code(),
            Some(UNSUPPORTED_EXIT),
            "coffer writes its files only in ways the power-cut model can undo: {}",
            said()
        );
        if status.code() == Some(CUT_EXIT) {
            let line = text
                .lines()
                .find(|l| l.starts_with("cut "))
                .unwrap_or_else(|| panic!("a cut run has the shim's cut line: {}", said()))
                .to_string();
            return Outcome::Cut(CutReport {
                write: number(field(&line, "write"), &line),
                file: field(&line, "file").to_string(),
                kind: field(&line, "kind").to_string(),
                torn: field(&line, "torn") == "1",
                restored_wal: number(field(&line, "restored_wal"), &line),
                restored_main: number(field(&line, "restored_main"), &line),
                restored: number(field(&line, "restored"), &line),
                line,
            });
        }
        assert!(
            status.success(),
            "coffer {args:?} under the shim runs to the end when no cut comes: {}",
            said()
        );
        let completed = text
            .lines()
            .find(|l| l.starts_with("completed "))
            .unwrap_or_else(|| {
                panic!(
                    "the shim was loaded and tracked the profile (its completed line): {}",
                    said()
                )
            });
        let events = text
            .lines()
            .filter(|l| l.starts_with("write ") || l.starts_with("sync "))
            .map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                Event {
                    what: f[0].to_string(),
                    number: number(f[1], l),
                    kind: f[4].to_string(),
                    wall_us: f[f.len() - 1]
                        .parse()
                        .unwrap_or_else(|_| panic!("the trace line ends with the wall clock: {l}")),
                }
            })
            .collect();
        Outcome::Completed {
            writes: number(field(completed, "writes"), completed),
            events,
        }
    }
}

/// A copy of `template`'s profile directory (as the last clean close left it) that uses the
/// same keyring service, so its merchants' secrets are found.
pub fn copy_of(template: &Profile) -> Profile {
    let mut copy = Profile::new();
    copy.service = template.service.clone();
    copy_dir(template.path(), copy.path());
    copy
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
