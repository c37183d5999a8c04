//! The architecture of ARCHITECTURE.md, checked: which crate may depend on which (the layers),
//! so that a shortcut — the shell reaching into the store, the engine linking an emulator — fails
//! here instead of growing unnoticed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace root")
}

/// The workspace crates a manifest's `[dependencies]` name (dev-dependencies are the tests'
/// business: the engine's tests may start sandboxes).
fn coffer_dependencies(manifest: &str) -> BTreeSet<String> {
    let text = std::fs::read_to_string(root().join(manifest))
        .unwrap_or_else(|e| panic!("read {manifest}: {e}"));
    let mut in_dependencies = false;
    let mut found = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
            continue;
        }
        if in_dependencies && line.starts_with("coffer-") {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            found.insert(name.to_string());
        }
    }
    found
}

/// Each crate and the only workspace crates it may depend on.
const LAYERS: [(&str, &[&str]); 8] = [
    ("crates/coffer-core/Cargo.toml", &[]),
    ("crates/coffer-store/Cargo.toml", &["coffer-core"]),
    ("crates/coffer-providers/Cargo.toml", &["coffer-core"]),
    ("crates/coffer-sandbox/Cargo.toml", &["coffer-core"]),
    (
        "crates/coffer-engine/Cargo.toml",
        &["coffer-core", "coffer-store", "coffer-providers"],
    ),
    (
        "crates/coffer-demo/Cargo.toml",
        &[
            "coffer-core",
            "coffer-store",
            "coffer-engine",
            "coffer-sandbox",
        ],
    ),
    (
        "crates/coffer-cli/Cargo.toml",
        &[
            "coffer-core",
            "coffer-store",
            "coffer-providers",
            "coffer-sandbox",
            "coffer-engine",
            "coffer-demo",
        ],
    ),
    // The shell sees the engine only: no store rows, no provider, no emulator.
    (
        "src-tauri/Cargo.toml",
        &["coffer-core", "coffer-engine", "coffer-demo"],
    ),
];

#[test]
fn every_crate_depends_only_on_the_layers_below_it() {
    for (manifest, allowed) in LAYERS {
        let found = coffer_dependencies(manifest);
        let extra: Vec<_> = found
            .iter()
            .filter(|name| !allowed.contains(&name.as_str()))
            .collect();
        assert!(
            extra.is_empty(),
            "{manifest} depends on {extra:?}, which ARCHITECTURE.md's layers do not allow it"
        );
    }
}

#[test]
fn the_check_reads_the_manifests_it_guards() {
    // A parser that found nothing would pass every layer; the engine has three.
    assert_eq!(
        coffer_dependencies("crates/coffer-engine/Cargo.toml").len(),
        3,
        "the engine's manifest was not read"
    );
}
