//! The release workflow (`.github/workflows/release.yml`) and the installers' bundle
//! configuration (`src-tauri/tauri.conf.json`, `icons/`), checked here because GitHub's runners
//! cannot be reached from our machines: the workflow must be right before a tag is pushed.
//!
//! - The workflow is YAML that SchemaStore's GitHub-workflow JSON schema accepts (checked by
//!   `check-jsonschema` from PyPI, which ships that schema), runs on `v*` tags only, builds the
//!   three platforms' installers with the official Tauri action pinned by commit SHA, and names
//!   paths that exist in this repository.
//! - The bundle names the product, takes its version from the workspace, and its icons are the
//!   ones `scripts/icons.sh` makes from `icons/source.png` with `tauri icon`, in the sizes their
//!   names say.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a test binary: a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the workspace root")
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn workflow_text() -> String {
    read(".github/workflows/release.yml")
}

fn workflow() -> Value {
    serde_norway::from_str(&workflow_text()).expect("release.yml is valid YAML")
}

fn tauri_conf() -> Value {
    serde_json::from_str(&read("src-tauri/tauri.conf.json")).expect("tauri.conf.json is JSON")
}

/// The one job of the workflow, with its matrix entries.
fn installers_job(workflow: &Value) -> &Value {
    let jobs = workflow["jobs"].as_object().expect("jobs is a map");
    assert_eq!(jobs.len(), 1, "one job builds every installer: {jobs:?}");
    jobs.values().next().expect("the job")
}

fn matrix(job: &Value) -> &Vec<Value> {
    job["strategy"]["matrix"]["include"]
        .as_array()
        .expect("strategy.matrix.include lists the platforms")
}

fn steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_array().expect("the job's steps")
}

fn tauri_action_step(job: &Value) -> &Value {
    let found: Vec<&Value> = steps(job)
        .iter()
        .filter(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("tauri-apps/tauri-action@"))
        })
        .collect();
    assert_eq!(
        found.len(),
        1,
        "exactly one step uses tauri-apps/tauri-action"
    );
    found[0]
}

/// `check-jsonschema` (PyPI), which ships SchemaStore's GitHub-workflow schema; scripts/setup.sh
/// installs it into `target/tools/py`.
fn check_jsonschema() -> PathBuf {
    std::env::var_os("COFFER_CHECK_JSONSCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/tools/py/bin/check-jsonschema"))
}

#[test]
fn workflow_is_yaml_that_the_github_workflow_schema_accepts() {
    workflow();
    let tool = check_jsonschema();
    assert!(
        tool.is_file(),
        "{} is missing: run scripts/setup.sh (it installs check-jsonschema from PyPI)",
        tool.display()
    );
    let run = Command::new(&tool)
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(root().join(".github/workflows/release.yml"))
        .output()
        .expect("check-jsonschema runs");
    assert!(
        run.status.success(),
        "release.yml breaks SchemaStore's GitHub-workflow schema:\n{}{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn release_runs_on_version_tags_and_nothing_else() {
    let workflow = workflow();
    let on = workflow["on"].as_object().expect("`on` is a map of events");
    assert_eq!(
        on.keys().collect::<Vec<_>>(),
        ["push"],
        "only a push starts a release"
    );
    let push = on["push"].as_object().expect("on.push is a map");
    assert_eq!(
        push.keys().collect::<Vec<_>>(),
        ["tags"],
        "a push of tags only, never of branches"
    );
    let tags: Vec<&str> = push["tags"]
        .as_array()
        .expect("on.push.tags is a list")
        .iter()
        .map(|t| t.as_str().expect("a tag pattern"))
        .collect();
    assert_eq!(tags, ["v*"], "version tags such as v0.1.0 start a release");
    assert_eq!(
        workflow["permissions"]["contents"], "write",
        "the action creates the draft release and uploads to it"
    );
}

#[test]
fn matrix_builds_windows_msi_nsis_macos_universal_dmg_and_linux_deb_rpm() {
    let workflow = workflow();
    let job = installers_job(&workflow);
    assert_eq!(
        job["runs-on"], "${{ matrix.os }}",
        "each entry picks its runner"
    );
    assert_eq!(
        job["strategy"]["fail-fast"], false,
        "one platform failing must not cancel the others"
    );
    let by_os: BTreeMap<&str, &Value> = matrix(job)
        .iter()
        .map(|e| (e["os"].as_str().expect("each entry names its os"), e))
        .collect();
    let want: BTreeMap<&str, (&[&str], &[&str])> = BTreeMap::from([
        ("windows-latest", (&["--bundles msi,nsis"][..], &[][..])),
        (
            "macos-latest",
            (
                &["--target universal-apple-darwin", "--bundles dmg"][..],
                &["aarch64-apple-darwin", "x86_64-apple-darwin"][..],
            ),
        ),
        ("ubuntu-22.04", (&["--bundles deb,rpm"][..], &[][..])),
    ]);
    assert_eq!(
        by_os.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the three platforms, one entry each"
    );
    for (os, (args_parts, rust_targets)) in want {
        let entry = by_os[os];
        let args = entry["args"].as_str().expect("args");
        for part in args_parts {
            assert!(args.contains(part), "{os}: args {args:?} lack {part:?}");
        }
        let targets: Vec<&str> = entry["rust-targets"]
            .as_str()
            .expect("rust-targets (may be empty)")
            .split_whitespace()
            .collect();
        assert_eq!(targets, rust_targets, "{os}: the Rust targets to add");
    }
    let step = tauri_action_step(job);
    assert_eq!(
        step["with"]["args"], "${{ matrix.args }}",
        "the action gets each entry's bundles"
    );
    let rust_step = steps(job)
        .iter()
        .find(|s| {
            s["run"]
                .as_str()
                .is_some_and(|r| r.contains("rustup target add"))
        })
        .expect("a step adds the Rust targets");
    assert!(
        rust_step["run"]
            .as_str()
            .unwrap()
            .contains("${{ matrix.rust-targets }}"),
        "the macOS universal build adds both Apple targets"
    );
}

#[test]
fn every_action_is_pinned_by_commit_sha_with_its_tag_noted() {
    let workflow = workflow();
    let job = installers_job(&workflow);
    let uses: Vec<&str> = steps(job)
        .iter()
        .filter_map(|s| s["uses"].as_str())
        .collect();
    assert!(uses.len() >= 3, "checkout, setup-node and the Tauri action");
    for action in &uses {
        let (_, reference) = action
            .split_once('@')
            .unwrap_or_else(|| panic!("{action} names a ref"));
        assert!(
            reference.len() == 40 && reference.chars().all(|c| c.is_ascii_hexdigit()),
            "{action} is pinned by a full commit SHA, not a tag or branch"
        );
    }
    for line in workflow_text().lines().filter(|l| l.contains("uses:")) {
        assert!(
            line.contains(" # v"),
            "a pinned action says which tag its SHA is: {line:?}"
        );
    }
}

#[test]
fn tauri_action_builds_this_repository_with_its_locked_cli() {
    let workflow = workflow();
    let job = installers_job(&workflow);
    let with = &tauri_action_step(job)["with"];

    let project = with["projectPath"].as_str().expect("projectPath");
    let project = root().join(project);
    assert!(
        project.join("src-tauri/tauri.conf.json").is_file(),
        "projectPath {} holds src-tauri/tauri.conf.json",
        project.display()
    );

    // `tauriScript` is split on spaces by the action and run from projectPath: `node <cli>`.
    let script: Vec<&str> = with["tauriScript"]
        .as_str()
        .expect("tauriScript")
        .split(' ')
        .collect();
    assert_eq!(script.len(), 2, "tauriScript is `node <path to the CLI>`");
    assert_eq!(script[0], "node");
    let ui: Value = serde_json::from_str(&read("ui/package.json")).expect("ui/package.json");
    let locked = ui["devDependencies"]["@tauri-apps/cli"]
        .as_str()
        .expect("ui/package.json pins @tauri-apps/cli");
    assert!(
        locked.chars().next().is_some_and(|c| c.is_ascii_digit()),
        "@tauri-apps/cli is pinned to an exact version, not {locked:?} (TOOLING pitfall 6)"
    );
    let cli_dir = root().join("ui/node_modules/@tauri-apps/cli");
    let cli: Value = serde_json::from_str(
        &std::fs::read_to_string(cli_dir.join("package.json"))
            .expect("ui/node_modules has the Tauri CLI: run scripts/setup.sh (npm ci)"),
    )
    .expect("the CLI's package.json");
    assert_eq!(cli["version"], locked, "node_modules holds the locked CLI");
    let bin = cli["bin"]["tauri"].as_str().expect("the CLI's bin");
    assert_eq!(
        project.join(script[1]).canonicalize().ok(),
        cli_dir.join(bin).canonicalize().ok(),
        "tauriScript runs the CLI's own entry point"
    );

    let npm_ci = steps(job)
        .iter()
        .find(|s| s["run"].as_str().is_some_and(|r| r.contains("npm ci")))
        .expect("a step runs npm ci");
    assert_eq!(npm_ci["working-directory"], "ui", "npm ci runs in ui/");
    let node = steps(job)
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/setup-node@"))
        })
        .expect("a setup-node step");
    let lock = node["with"]["cache-dependency-path"]
        .as_str()
        .expect("setup-node caches by the lockfile");
    assert!(root().join(lock).is_file(), "{lock} exists");

    assert_eq!(with["tagName"], "${{ github.ref_name }}", "release = tag");
    assert_eq!(
        with["releaseDraft"], true,
        "a person publishes the release after looking at it"
    );
}

#[test]
fn signing_secrets_are_referenced_and_optional() {
    let text = workflow_text();
    for secret in [
        "APPLE_CERTIFICATE",
        "APPLE_CERTIFICATE_PASSWORD",
        "APPLE_SIGNING_IDENTITY",
        "APPLE_ID",
        "APPLE_PASSWORD",
        "APPLE_TEAM_ID",
        "WINDOWS_CERTIFICATE",
        "WINDOWS_CERTIFICATE_PASSWORD",
        "TAURI_SIGNING_PRIVATE_KEY",
        "TAURI_SIGNING_PRIVATE_KEY_PASSWORD",
    ] {
        assert!(
            text.contains(&format!("${{{{ secrets.{secret} }}}}")),
            "the workflow reads the secret {secret}"
        );
    }
    let workflow = workflow();
    let job = installers_job(&workflow);
    // Apple's and the updater's variables reach the bundler only when set (an empty one would
    // make it try to sign with nothing); the Tauri action itself gets only the GitHub token.
    let env = tauri_action_step(job)["env"]
        .as_object()
        .expect("the action's env");
    assert_eq!(
        env.keys().collect::<Vec<_>>(),
        ["GITHUB_TOKEN"],
        "signing variables come through GITHUB_ENV, and only when set"
    );
    let windows = steps(job)
        .iter()
        .find(|s| {
            s["env"]
                .as_object()
                .is_some_and(|e| e.contains_key("WINDOWS_CERTIFICATE"))
        })
        .expect("a step imports the Windows certificate");
    assert_eq!(windows["if"], "runner.os == 'Windows'");
    let run = windows["run"].as_str().expect("its script");
    assert!(
        run.contains("if (-not $env:WINDOWS_CERTIFICATE)") && run.contains("exit 0"),
        "without the certificate the Windows build goes on unsigned"
    );
    assert!(
        run.contains("src-tauri/tauri.windows.conf.json") && run.contains("certificateThumbprint"),
        "the thumbprint reaches Tauri through its Windows config overlay"
    );
    assert!(
        !root().join("src-tauri/tauri.windows.conf.json").exists(),
        "the Windows overlay is written only by the workflow"
    );
    let windows_bundle = &tauri_conf()["bundle"]["windows"];
    assert_eq!(windows_bundle["digestAlgorithm"], "sha256");
    assert!(windows_bundle["timestampUrl"].is_string());
    assert!(
        windows_bundle["certificateThumbprint"].is_null(),
        "no thumbprint is committed: unsigned unless the workflow has the certificate"
    );
}

#[test]
fn linux_job_installs_the_build_packages_that_setup_sh_installs() {
    let workflow = workflow();
    let job = installers_job(&workflow);
    let apt = steps(job)
        .iter()
        .find(|s| s["if"] == "runner.os == 'Linux'")
        .and_then(|s| s["run"].as_str())
        .expect("a Linux-only step installs the build dependencies");
    let setup = read("scripts/setup.sh");
    for package in [
        "build-essential",
        "pkg-config",
        "libssl-dev",
        "file",
        "libwebkit2gtk-4.1-dev",
        "libayatana-appindicator3-dev",
        "librsvg2-dev",
        "libxdo-dev",
    ] {
        assert!(
            setup.contains(package),
            "{package} is a build package of setup.sh"
        );
        assert!(
            apt.split_whitespace().any(|w| w == package),
            "the Linux job installs {package}"
        );
    }
}

#[test]
fn workflow_installs_the_rust_channel_of_rust_toolchain_toml() {
    let toolchain = read("rust-toolchain.toml");
    let channel = toolchain
        .lines()
        .find_map(|l| l.trim().strip_prefix("channel = "))
        .expect("rust-toolchain.toml names a channel")
        .trim_matches('"');
    let workflow = workflow();
    let job = installers_job(&workflow);
    let rust = steps(job)
        .iter()
        .find_map(|s| s["run"].as_str().filter(|r| r.contains("rustup toolchain")))
        .expect("a step installs the Rust toolchain");
    assert!(
        rust.contains(&format!("rustup toolchain install {channel}")),
        "the workflow installs {channel}: {rust}"
    );
}

#[test]
fn bundle_names_the_product_and_takes_its_version_from_the_workspace() {
    let conf = tauri_conf();
    assert!(
        conf.get("version").is_none(),
        "no version in tauri.conf.json: Tauri then uses the crate's (workspace) version"
    );
    let workspace = read("Cargo.toml");
    let version = workspace
        .lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .find_map(|l| l.trim().strip_prefix("version = "))
        .expect("[workspace.package] has a version")
        .trim_matches('"');
    assert_eq!(
        version.split('.').count(),
        3,
        "the workspace version {version} is semver"
    );
    assert!(
        read("src-tauri/Cargo.toml").contains("version.workspace = true"),
        "the desktop crate inherits the workspace version"
    );
    assert_eq!(conf["productName"], "Coffer");
    assert_eq!(conf["identifier"], "dev.coffer.desktop");
    let bundle = &conf["bundle"];
    assert_eq!(bundle["active"], true);
    assert_eq!(bundle["category"], "Finance");
    for field in [
        "publisher",
        "copyright",
        "homepage",
        "shortDescription",
        "longDescription",
    ] {
        assert!(
            bundle[field].as_str().is_some_and(|s| !s.trim().is_empty()),
            "bundle.{field} is filled in"
        );
    }
    assert!(
        bundle.get("fileAssociations").is_none(),
        "Coffer opens no file types"
    );
    let targets: Vec<&str> = bundle["targets"]
        .as_array()
        .expect("bundle.targets lists them")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for target in ["deb", "rpm", "msi", "nsis", "dmg"] {
        assert!(targets.contains(&target), "bundle.targets has {target}");
    }
    assert!(
        !targets.contains(&"appimage"),
        "AppImage needs downloads from GitHub that our machines cannot make"
    );
    let depends: Vec<&str> = bundle["linux"]["deb"]["depends"]
        .as_array()
        .expect("linux.deb.depends")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        depends.contains(&"libdbus-1-3"),
        "the binary links libdbus-1 (NEEDED), beyond the WebKitGTK and GTK the bundler adds"
    );
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "{} is a PNG",
        path.display()
    );
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn bundle_icons_exist_in_the_sizes_their_names_say() {
    let conf = tauri_conf();
    let icons: Vec<&str> = conf["bundle"]["icon"]
        .as_array()
        .expect("bundle.icon lists the icons")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let src_tauri = root().join("src-tauri");
    let mut linux_sizes = Vec::new();
    for icon in &icons {
        let path = src_tauri.join(icon);
        assert!(path.is_file(), "{icon} exists");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        if let Some(stem) = name.strip_suffix(".png") {
            let (w, h) = png_size(&path);
            assert_eq!(w, h, "{name} is square");
            let expected = match stem.split_once('x') {
                Some((side, _)) => side.parse().expect("a size in the name"),
                None => 512, // icon.png, tauri icon's largest PNG
            };
            assert!(
                !stem.contains('@'),
                "{name}: the bundler installs a @2x PNG as <its pixels>@2 (256x256@2 for \
                 128x128@2x), so Linux gets plain sizes only"
            );
            assert_eq!(w, expected, "{name} is {expected}px");
            linux_sizes.push(w);
        }
    }
    linux_sizes.sort_unstable();
    assert_eq!(
        linux_sizes,
        [32, 64, 128, 256, 512],
        "the .deb/.rpm install these hicolor sizes"
    );
    let ico = std::fs::read(src_tauri.join("../icons/icon.ico")).unwrap();
    assert!(
        icons.contains(&"../icons/icon.ico") && ico.starts_with(&[0, 0, 1, 0]),
        "Windows gets an .ico"
    );
    let icns = std::fs::read(src_tauri.join("../icons/icon.icns")).unwrap();
    assert!(
        icons.contains(&"../icons/icon.icns") && icns.starts_with(b"icns"),
        "macOS gets an .icns"
    );
}

/// An .icns file's entries by type; their order is not fixed from one `tauri icon` run to the next.
fn icns_entries(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut entries = BTreeMap::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let kind = String::from_utf8_lossy(&bytes[at..at + 4]).to_string();
        let len = u32::from_be_bytes(bytes[at + 4..at + 8].try_into().unwrap()) as usize;
        assert!(
            len >= 8 && at + len <= bytes.len(),
            "a well-formed icns entry"
        );
        entries.insert(kind, bytes[at + 8..at + len].to_vec());
        at += len;
    }
    entries
}

#[test]
fn icons_are_the_ones_scripts_icons_sh_makes_from_icons_source_png() {
    let source = root().join("icons/source.png");
    let (w, h) = png_size(&source);
    assert!(
        w == h && w >= 1024,
        "the source image is square, 1024px or more"
    );
    let out = tempfile::tempdir().expect("temp dir");
    let run = Command::new("bash")
        .arg("scripts/icons.sh")
        .arg(out.path())
        .current_dir(root())
        .output()
        .expect("bash runs scripts/icons.sh");
    assert!(
        run.status.success(),
        "scripts/icons.sh (tauri icon from icons/source.png): {}",
        String::from_utf8_lossy(&run.stderr)
    );

    let files = |dir: &Path| -> BTreeMap<String, PathBuf> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "source.png"))
            .map(|p| (p.file_name().unwrap().to_string_lossy().to_string(), p))
            .collect()
    };
    let committed = files(&root().join("icons"));
    let generated = files(out.path());
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        generated.keys().collect::<Vec<_>>(),
        "icons/ holds exactly the icons scripts/icons.sh makes (none stale, none by hand)"
    );
    for (name, path) in &committed {
        let ours = std::fs::read(path).unwrap();
        let fresh = std::fs::read(&generated[name]).unwrap();
        if name.ends_with(".icns") {
            assert!(
                icns_entries(&ours) == icns_entries(&fresh),
                "{name} has the images tauri icon makes from source.png"
            );
        } else {
            assert!(
                ours == fresh,
                "{name} is not what tauri icon makes from icons/source.png: run `bash scripts/icons.sh`"
            );
        }
    }
}
