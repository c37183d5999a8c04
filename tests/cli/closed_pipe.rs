//! `coffer … | head`: a reader that leaves early must not make any command panic. Each command
//! runs with its stdout a pipe whose read end is already closed, as `head` leaves it.

use std::process::{Command, Stdio};

use coffer_e2e::{coffer_binary, Profile};

use crate::embedded_demo;

/// 128 + SIGPIPE, what a shell shows when the reader of a program went away.
const CLOSED_PIPE: i32 = 141;

/// Runs `coffer ARGS` into a pipe nobody reads; returns (exit code, stderr).
fn into_closed_pipe(profile: &Profile, args: &[&str]) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    let output = Command::new(coffer_binary())
        .arg("--data-dir")
        .arg(profile.path())
        .args(args)
        .env_remove("COFFER_DATA_DIR")
        .env("COFFER_KEYRING_SERVICE", &profile.service)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(Stdio::piped())
        .output()
        .expect("coffer runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn every_listing_into_a_closed_pipe_ends_quietly_with_the_closed_pipe_status() {
    let profile = embedded_demo();
    let commands: &[&[&str]] = &[
        &["customers"],
        &["--json", "customers"],
        &["cards"],
        &["--json", "cards", "--limit", "10000"],
        &["charges"],
        &["merchant", "list"],
        &["--json", "merchant", "list"],
        &["audit", "list"],
        &["audit", "verify"],
        &["contract", "list"],
        &["notices"],
        &["dashboard"],
        &["upcoming"],
        &["alerts"],
        &["run-due", "--dry-run"],
        &["--json", "run-due", "--dry-run"],
    ];
    for args in commands {
        let read = profile.coffer(args).ok();
        let (code, stderr) = into_closed_pipe(&profile, args);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "coffer {args:?} into a closed pipe says nothing of it: {stderr}"
        );
        // A command with nothing to print never meets the closed pipe.
        let expected = if read.stdout().is_empty() {
            0
        } else {
            CLOSED_PIPE
        };
        assert_eq!(
            code,
            Some(expected),
            "coffer {args:?} into a closed pipe ends with the usual status; stderr: {stderr}"
        );
    }
}

#[test]
fn help_version_and_errors_into_a_closed_pipe_do_not_panic() {
    let profile = Profile::new();
    for args in [
        &["--help"][..],
        &["--version"],
        &["charge", "--help"],
        &["--json", "charge"],
        &["--json", "customers", "--merchant", "99"],
    ] {
        let (code, stderr) = into_closed_pipe(&profile, args);
        assert!(
            !stderr.contains("panicked"),
            "coffer {args:?} into a closed pipe does not panic: {stderr}"
        );
        assert!(code.is_some(), "coffer {args:?} exits with a status");
    }
}
