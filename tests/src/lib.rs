//! The harness of Coffer's end-to-end tests: a throw-away profile directory, the `coffer` binary
//! run as a child process with its own keyring service name, a `coffer sandbox` child process,
//! and reads of the sandboxes over their own documented APIs ([`raw`]), written here from the
//! sandbox docs and not through `coffer-providers`, so a client bug cannot hide in both sides.
//!
//! Tests that need the real keyring call [`require_keyring`]: without a Secret Service they fail
//! with a message saying to run them under `scripts/with-keyring.sh`, unless
//! `COFFER_E2E_SKIP_KEYRING=1` says explicitly to skip them.
// A test harness: a failed setup step is a failed test, so panicking is the right answer here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod raw;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub use coffer_sandbox::{SandboxMerchant, SandboxUrls};

/// The environment variable that lets keyring tests skip (and say so) instead of failing.
pub const SKIP_KEYRING_ENV: &str = "COFFER_E2E_SKIP_KEYRING";

/// A fresh profile directory and keyring service name, both unique to one test.
pub struct Profile {
    dir: tempfile::TempDir,
    /// The keyring service name the `coffer` children use (`COFFER_KEYRING_SERVICE`).
    pub service: String,
}

impl Profile {
    /// A new empty profile.
    pub fn new() -> Profile {
        Profile {
            dir: tempfile::tempdir().expect("a temp dir for the profile"),
            service: format!("dev.coffer.e2e.{}", uuid::Uuid::new_v4().simple()),
        }
    }

    /// The profile (data) directory.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `coffer --data-dir DIR ARGS…` with this profile's keyring service.
    pub fn coffer(&self, args: &[&str]) -> Run {
        self.coffer_with(args, None, &[])
    }

    /// Runs `coffer`, feeding `stdin` and setting `env` on top of the profile's environment.
    pub fn coffer_with(&self, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Run {
        let mut command = Command::new(coffer_binary());
        command
            .arg("--data-dir")
            .arg(self.path())
            .args(args)
            .env_remove("COFFER_DATA_DIR")
            .env("COFFER_KEYRING_SERVICE", &self.service)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("the coffer binary starts");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin is piped");
            pipe.write_all(text.as_bytes())
                .expect("stdin takes the text");
        }
        let output = child.wait_with_output().expect("the coffer binary ends");
        Run {
            args: args.iter().map(|a| a.to_string()).collect(),
            output,
        }
    }

    /// Every file under the profile directory (the database, its WAL and shm, sandbox state…)
    /// that contains `needle`.
    pub fn files_containing(&self, needle: &[u8]) -> Vec<PathBuf> {
        let mut found = Vec::new();
        let mut scanned = 0;
        scan(self.path(), needle, &mut found, &mut scanned);
        assert!(
            scanned > 0,
            "the profile directory has files to scan (the database at least)"
        );
        found
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile::new()
    }
}

fn scan(dir: &Path, needle: &[u8], found: &mut Vec<PathBuf>, scanned: &mut usize) {
    for entry in std::fs::read_dir(dir).expect("the profile dir is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            scan(&path, needle, found, scanned);
        } else {
            *scanned += 1;
            let bytes = std::fs::read(&path).expect("a profile file is readable");
            if bytes.windows(needle.len()).any(|w| w == needle) {
                found.push(path);
            }
        }
    }
}

/// One finished run of the `coffer` binary.
pub struct Run {
    /// The arguments, for messages.
    pub args: Vec<String>,
    /// What it printed and how it ended.
    pub output: Output,
}

impl Run {
    /// stdout as text.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }

    /// stderr as text.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }

    /// Asserts the run succeeded and returns it.
    pub fn ok(self) -> Run {
        assert!(
            self.output.status.success(),
            "coffer {:?} should succeed, it ended {:?}\nstdout: {}\nstderr: {}",
            self.args,
            self.output.status,
            self.stdout(),
            self.stderr()
        );
        self
    }

    /// stdout parsed as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.output.stdout).unwrap_or_else(|e| {
            panic!(
                "coffer {:?} should print JSON ({e})\nstdout: {}\nstderr: {}",
                self.args,
                self.stdout(),
                self.stderr()
            )
        })
    }
}

/// The `coffer` binary of this build (`target/<profile>/coffer`, beside the `deps` folder that
/// holds this test). `cargo test --workspace` builds it (coffer-cli's own integration tests need
/// it); `cargo test -p coffer-e2e` alone does not, so build it first with
/// `cargo build -p coffer-cli`.
pub fn coffer_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("COFFER_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("the test knows its own path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary sits in target/<profile>/deps");
    let binary = profile_dir.join(format!("coffer{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: build it with `cargo build -p coffer-cli` (cargo test --workspace does), \
         or point COFFER_BIN at a coffer binary",
        binary.display()
    );
    binary
}

/// A `coffer sandbox` child process; killed when dropped.
pub struct SandboxProcess {
    child: Child,
    /// The URLs from its one JSON line on stdout.
    pub urls: SandboxUrls,
}

impl SandboxProcess {
    /// Starts `coffer sandbox --customers N` and reads its URLs.
    pub fn start(customers: usize) -> SandboxProcess {
        SandboxProcess::start_with(customers, None)
    }

    /// Starts `coffer sandbox --customers N`, keeping its state in `state` when given (as the
    /// app's embedded sandboxes keep theirs in the profile), and reads its URLs.
    pub fn start_with(customers: usize, state: Option<&Path>) -> SandboxProcess {
        let mut command = Command::new(coffer_binary());
        command.args(["sandbox", "--customers", &customers.to_string()]);
        if let Some(state) = state {
            command.arg("--state").arg(state);
        }
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("coffer sandbox starts");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("coffer sandbox prints its URLs");
        let urls: SandboxUrls = serde_json::from_str(&line).unwrap_or_else(|e| {
            let _ = child.kill();
            panic!("coffer sandbox's first line is its URLs as JSON ({e}): {line:?}")
        });
        SandboxProcess { child, urls }
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `true` when a Secret Service is reachable. Without one: panics with a message saying to use
/// `scripts/with-keyring.sh`, or returns `false` (the test then skips, and says so) when
/// `COFFER_E2E_SKIP_KEYRING=1`.
pub fn require_keyring() -> bool {
    let probe = off_runtime(|| {
        match keyring::Entry::new("dev.coffer.e2e.probe", "probe")?.get_password() {
            Ok(_) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(e) => Err(e),
        }
    });
    match probe {
        Ok(()) => true,
        Err(e) if std::env::var(SKIP_KEYRING_ENV).is_ok_and(|v| v == "1") => {
            eprintln!("SKIPPED: no Secret Service ({e}) and {SKIP_KEYRING_ENV}=1");
            false
        }
        Err(e) => panic!(
            "this test needs a real keyring (Secret Service), and none is reachable: {e}. \
             Run the tests under `scripts/with-keyring.sh` (e.g. `scripts/with-keyring.sh cargo \
             test -p coffer-e2e`), or set {SKIP_KEYRING_ENV}=1 to skip keyring tests"
        ),
    }
}

/// The password saved in the keyring at (`service`, `account`), read through a new `Entry` in
/// this process; `None` when there is no entry.
pub fn keyring_secret(service: &str, account: &str) -> Option<String> {
    let (service, account) = (service.to_string(), account.to_string());
    let (s, a) = (service.clone(), account.clone());
    let answer = off_runtime(move || keyring::Entry::new(&s, &a)?.get_password());
    match answer {
        Ok(secret) => Some(secret),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("the keyring answers for ({service}, {account}): {e}"),
    }
}

/// Runs `work` on its own thread: the keyring's Secret Service client blocks on a runtime of its
/// own, which must not be started from inside a test's tokio runtime.
fn off_runtime<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(work)
        .join()
        .expect("the keyring thread ends")
}

/// The keyring account Coffer uses for a merchant: `<provider>/<account id>@<environment>`
/// (`sandbox` or `live`), derived at use time, never read from the database.
pub fn keyring_account(provider: &str, account_id: &str, environment: &str) -> String {
    format!("{provider}/{account_id}@{environment}")
}
