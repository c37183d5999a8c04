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

/// Every source file under `dir` (Rust, TypeScript), skipping build output and dependencies.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "target" | "node_modules" | "dist" | "gen") {
                sources(&path, out);
            }
        } else if name.ends_with(".rs") || name.ends_with(".ts") || name.ends_with(".tsx") {
            out.push(path);
        }
    }
}

/// Generated, not written: the desktop app's TypeScript bindings (specta writes them from the
/// Rust types; `bindings.rs` checks they are current).
const GENERATED: [&str; 1] = ["ui/src/ipc/bindings.ts"];

#[test]
fn no_source_file_is_past_a_thousand_lines() {
    let root = root();
    let mut files = Vec::new();
    for dir in [
        "crates",
        "src-tauri/src",
        "tests",
        "ui/src",
        "ui/tests",
        "ui/e2e",
        "fuzz",
    ] {
        sources(&root.join(dir), &mut files);
    }
    assert!(
        files.len() > 100,
        "the walk found the sources: {}",
        files.len()
    );
    let mut long: Vec<String> = files
        .iter()
        .filter(|f| !GENERATED.iter().any(|g| f.ends_with(g)))
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).ok()?.lines().count();
            (lines > 1000)
                .then(|| format!("{} ({lines})", f.strip_prefix(&root).unwrap_or(f).display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "split these by what they do: {long:#?}");
}

/// Where the SQLite implementation is named: the engine's builder opens it when the host gives
/// no other database.
const OPENS_SQLITE: [&str; 1] = ["crates/coffer-engine/src/lib.rs"];

/// The SQLite-only names of `coffer-store`: everything else the engine may name is a repository
/// trait, a row or a query type any implementation shares.
const SQLITE_NAMES: [&str; 2] = ["Store", "SqliteStore"];

/// Whether `code` names `name` as a whole identifier (not `StoreError`, `MemoryStore`), apart
/// from an enum variant of that name (`EngineError::Store`).
fn names_type(code: &str, name: &str) -> bool {
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    code.match_indices(name).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        let after = code[at + name.len()..].chars().next();
        !before.is_some_and(ident)
            && !after.is_some_and(ident)
            && !code[..at].ends_with("Error::")
            && !code[at + name.len()..].starts_with("(#[from]")
    })
}

#[test]
fn the_use_cases_reach_the_records_only_through_the_repository_traits() {
    let root = root();
    let mut files = Vec::new();
    sources(&root.join("crates/coffer-engine/src"), &mut files);
    assert!(
        files.len() > 20,
        "the walk found the engine: {}",
        files.len()
    );
    let mut naming: Vec<String> = files
        .iter()
        .filter(|f| !OPENS_SQLITE.iter().any(|o| f.ends_with(o)))
        .filter_map(|f| {
            let code = code_outside_tests(&std::fs::read_to_string(f).ok()?);
            let found: Vec<&str> = SQLITE_NAMES
                .iter()
                .copied()
                .filter(|name| names_type(&code, name))
                .collect();
            (!found.is_empty()).then(|| {
                format!(
                    "{} names {found:?}",
                    f.strip_prefix(&root).unwrap_or(f).display()
                )
            })
        })
        .collect();
    naming.sort();
    assert!(
        naming.is_empty(),
        "use `&dyn ReadRepositories` / `&dyn Repositories` (coffer_store::repo): {naming:#?}"
    );
    let builder = std::fs::read_to_string(root.join(OPENS_SQLITE[0])).unwrap();
    assert!(
        names_type(&builder, "Store") && !names_type("StoreError MemoryStore", "Store"),
        "the check finds the name where SQLite is opened, and only the name"
    );
}

/// A file's code without comments (doc links are not imports) and without what follows its
/// `#[cfg(test)] mod …`: a unit test may reach any module's fixtures.
fn code_outside_tests(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let tests = lines
        .windows(2)
        .position(|w| w[0].trim() == "#[cfg(test)]" && w[1].trim_start().starts_with("mod "))
        .unwrap_or(lines.len());
    lines[..tests]
        .iter()
        .filter(|line| !line.trim_start().starts_with("//"))
        .copied()
        .collect::<Vec<_>>()
        .join("\n")
}

/// A crate's modules (`a::b` for `src/a/b.rs` or `src/a/b/mod.rs`; `""` for the crate root)
/// and the modules each one names through `crate::…` or `super::…` paths, its tests aside.
fn module_graph(src: &Path) -> Vec<(String, BTreeSet<String>)> {
    let mut files = Vec::new();
    sources(src, &mut files);
    let module_of = |file: &Path| -> String {
        let relative = file.strip_prefix(src).unwrap().with_extension("");
        let mut parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        if matches!(
            parts.last().map(String::as_str),
            Some("mod" | "lib" | "main")
        ) {
            parts.pop();
        }
        parts.join("::")
    };
    let modules: BTreeSet<String> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
        .map(|f| module_of(f))
        .collect();
    // The longest known module a path starts with.
    let resolve = |path: &[String]| -> Option<String> {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].join("::"))
            .find(|m| modules.contains(m))
    };
    let word = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !s.is_empty();
    let mut graph = Vec::new();
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rs"))
    {
        let this = module_of(file);
        let text = code_outside_tests(&std::fs::read_to_string(file).unwrap());
        let mut uses = BTreeSet::new();
        for (start, _) in text
            .match_indices("crate::")
            .chain(text.match_indices("super::"))
        {
            let rest = &text[start..];
            let path: Vec<&str> = rest
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
                .next()
                .unwrap_or_default()
                .split("::")
                .collect();
            let mut absolute: Vec<String> = if path[0] == "crate" {
                Vec::new()
            } else {
                this.split("::")
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect()
            };
            let mut names = path.iter().skip(if path[0] == "crate" { 1 } else { 0 });
            for name in names.by_ref() {
                match *name {
                    "super" => {
                        absolute.pop();
                    }
                    n if word(n) => absolute.push(n.to_string()),
                    _ => break,
                }
            }
            if let Some(target) = resolve(&absolute) {
                if target != this {
                    uses.insert(target);
                }
            }
        }
        graph.push((this, uses));
    }
    graph
}

/// The sibling modules under their closest common parent that an edge `from → to` joins, or
/// `None` when one contains the other (a module may use its parent's items and the reverse).
fn sibling_edge(from: &str, to: &str) -> Option<(String, String)> {
    let a: Vec<&str> = from.split("::").filter(|s| !s.is_empty()).collect();
    let b: Vec<&str> = to.split("::").filter(|s| !s.is_empty()).collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common == a.len() || common == b.len() {
        return None;
    }
    Some((a[..=common].join("::"), b[..=common].join("::")))
}

/// One cycle among sibling modules, if any, as its modules in order.
fn a_cycle(edges: &BTreeSet<(String, String)>) -> Option<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    fn visit<'a>(
        node: &'a String,
        edges: &'a BTreeSet<(String, String)>,
        path: &mut Vec<&'a String>,
        done: &mut BTreeSet<&'a String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|n| *n == node) {
            return Some(path[at..].iter().map(|s| s.to_string()).collect());
        }
        if done.contains(node) {
            return None;
        }
        path.push(node);
        for (_, next) in edges.iter().filter(|(a, _)| a == node) {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node);
        None
    }
    let mut done = BTreeSet::new();
    nodes
        .into_iter()
        .find_map(|n| visit(n, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_an_import_cycle_between_its_modules() {
    let crates = [
        "crates/coffer-core/src",
        "crates/coffer-store/src",
        "crates/coffer-providers/src",
        "crates/coffer-sandbox/src",
        "crates/coffer-engine/src",
        "crates/coffer-demo/src",
        "crates/coffer-cli/src",
        "src-tauri/src",
    ];
    let mut cycles = Vec::new();
    for dir in crates {
        let edges: BTreeSet<(String, String)> = module_graph(&root().join(dir))
            .into_iter()
            .flat_map(|(from, uses)| {
                uses.into_iter()
                    .filter_map(move |to| sibling_edge(&from, &to))
            })
            .collect();
        if let Some(cycle) = a_cycle(&edges) {
            cycles.push(format!("{dir}: {}", cycle.join(" -> ")));
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that import each other: {cycles:#?}"
    );
}

#[test]
fn the_cycle_check_finds_a_cycle_and_lets_a_parent_and_its_child_be() {
    let edges: BTreeSet<(String, String)> = [("a", "b"), ("b", "c"), ("c", "a")]
        .iter()
        .map(|(x, y)| (x.to_string(), y.to_string()))
        .collect();
    assert!(a_cycle(&edges).is_some());
    assert_eq!(sibling_edge("svea::rules", "svea"), None);
    assert_eq!(sibling_edge("svea", "svea::rules"), None);
    assert_eq!(
        sibling_edge("svea::rules::x", "svea::state"),
        Some(("svea::rules".into(), "svea::state".into()))
    );
    // The engine's modules are read: its lib uses several.
    let graph = module_graph(&root().join("crates/coffer-engine/src"));
    assert!(graph
        .iter()
        .any(|(m, uses)| m == "due" && uses.contains("scope")));
}
