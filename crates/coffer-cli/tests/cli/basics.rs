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
