use crate::coffer;

#[test]
fn version_is_the_workspace_version() {
    let dir = tempfile::tempdir().unwrap();
    let out = coffer(dir.path(), &["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("coffer {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_usage_error_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = coffer(dir.path(), &["audit", "frobnicate"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "clap usage errors are exit code 2"
    );
}

#[test]
fn an_invalid_input_prints_one_line_naming_the_field_once_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_coffer"))
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "merchant",
            "add",
            "--provider",
            "clover",
            "--name",
            "Downtown",
            "--environment",
            "sandbox",
            "--base-url",
            "http://127.0.0.1:9/clover",
            "--account-id",
            "WDEVSNNHH8VQP",
            "--time-zone",
            "Mars/Base",
            "--currency",
            "USD",
            "--secret-env",
            "COFFER_TEST_SECRET",
        ])
        .env("COFFER_TEST_SECRET", "not-used")
        .env_remove("COFFER_DATA_DIR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "invalid input exits 2");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "one clear line, not the message and its source: {stderr}"
    );
    assert!(
        lines[0].starts_with("error: time_zone: 'Mars/Base' is not an IANA time zone"),
        "the line names the field and the rule: {stderr}"
    );
    assert_eq!(
        lines[0].matches("time_zone").count(),
        1,
        "the message is not repeated: {stderr}"
    );
}

#[test]
fn a_usage_error_with_json_is_the_json_envelope_and_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = coffer(
        dir.path(),
        &["--json", "cards", "--expiring-before", "2027-13-01"],
    );
    assert_eq!(out.status.code(), Some(2), "still a usage error");
    let v = crate::stdout_json(&out);
    assert_eq!(v["kind"], "invalid_input", "{v}");
    assert!(
        v["message"].as_str().unwrap().contains("--expiring-before"),
        "the message names the argument: {v}"
    );
    let help = coffer(dir.path(), &["--json", "--help"]);
    assert!(help.status.success(), "help is still help");
}

#[test]
fn a_fault_rate_above_100_percent_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = coffer(dir.path(), &["sandbox", "--error-rate", "150"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "a percentage is 0 to 100: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
