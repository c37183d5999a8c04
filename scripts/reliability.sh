#!/usr/bin/env bash
# The reliability suite (tests/reliability): crash loop, fault storms and lost answers on all four
# providers, power loss, secrets scan, bad input. Without arguments it runs what CI runs (5
# crash-loop kills, 256 cases per bad-input target), inside a private keyring session, then
# writes docs/reliability.md from the numbers the suite recorded in this run.
#
#   bash scripts/reliability.sh           the fast parts (also part of `cargo test --workspace`)
#   bash scripts/reliability.sh --long    20 crash-loop kills, 5,000 cases per bad-input target,
#                                         then every cargo-fuzz target for FUZZ_SECONDS (60) each
#
# COFFER_RELIABILITY_SEED=N replays the random draws of a crash loop, fault storm or power-loss
# test (each run prints its seed, and docs/reliability.md names them). The report is written even
# when a test fails (it names the failures), and the script then exits with the suite's status.
set -euo pipefail
cd "$(dirname "$0")/.."

long=0
case "${1:-}" in
    --long) long=1 ;;
    "") ;;
    *) echo "usage: $0 [--long]" >&2; exit 2 ;;
esac

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [ "$long" = 1 ]; then
    export COFFER_RELIABILITY_RUNS="${COFFER_RELIABILITY_RUNS:-20}"
    export COFFER_RELIABILITY_CASES="${COFFER_RELIABILITY_CASES:-5000}"
fi

echo "== reliability suite (crash loop runs: ${COFFER_RELIABILITY_RUNS:-5}, bad-input cases: ${COFFER_RELIABILITY_CASES:-256})" >&2
# The suite needs the `coffer` binary (its tests start it) and its own test binary: nothing of
# the desktop app, so neither the UI build nor tauri's features.
cargo build -p coffer-cli --locked

# The tests append their numbers here (tests/reliability/report.rs); an absolute path, since cargo
# runs a test binary in its package's folder.
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
out="$target_dir/reliability"
mkdir -p "$out"
rm -f "$out/rows.jsonl" "$out/suite.log"
export COFFER_RELIABILITY_REPORT="$out/rows.jsonl"

started=$SECONDS
set +e
bash scripts/with-keyring.sh \
    cargo test -p coffer-e2e --locked --test reliability -- --test-threads 2 2>&1 | tee "$out/suite.log"
status=${PIPESTATUS[0]}
set -e

echo "== writing docs/reliability.md" >&2
COFFER_RELIABILITY_COMMAND="bash scripts/reliability.sh${1:+ $1}" \
COFFER_RELIABILITY_SECONDS=$((SECONDS - started)) \
COFFER_RELIABILITY_LOG="$out/suite.log" \
    cargo test -p coffer-e2e --locked --test reliability -- --ignored --exact \
    report::docs_reliability_md_is_written_from_the_rows_the_suite_recorded
if [ "$status" != 0 ]; then
    echo "reliability: the suite failed (exit $status); docs/reliability.md names the failed tests, $out/suite.log has their output" >&2
    exit "$status"
fi

if [ "$long" = 1 ]; then
    seconds="${FUZZ_SECONDS:-60}"
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        echo "== installing cargo-fuzz" >&2
        cargo install cargo-fuzz --locked
    fi
    # cargo fuzz needs nightly flags (-Z sanitizer…); on stable Rust RUSTC_BOOTSTRAP=1 allows them.
    cd fuzz
    for target in provider_answer register_csv; do
        echo "== cargo fuzz: $target for ${seconds}s" >&2
        # A scratch corpus dir first, so the committed seeds stay as they are (provider_answer's
        # seeds lie in one subfolder per provider; libFuzzer reads subfolders too).
        scratch="$(mktemp -d)"
        cp -R "corpus/$target/." "$scratch/"
        RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "$scratch" -- \
            -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1
        rm -rf "$scratch"
    done
fi
echo "reliability: all passed" >&2
