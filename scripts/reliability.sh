#!/usr/bin/env bash
# The reliability suite (tests/reliability): crash loop, fault storms, power loss, secrets scan,
# bad input. Without arguments it runs what CI runs (5 crash-loop kills, 256 cases per bad-input
# target), inside a private keyring session.
#
#   bash scripts/reliability.sh           the fast parts (also part of `cargo test --workspace`)
#   bash scripts/reliability.sh --long    20 crash-loop kills, 5,000 cases per bad-input target,
#                                         then every cargo-fuzz target for FUZZ_SECONDS (60) each
#
# COFFER_RELIABILITY_SEED=N replays a crash loop's or power-loss test's random kill moments
# (each run prints its seed).
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
FEATURES=(--features tauri/custom-protocol)

if [ "$long" = 1 ]; then
    export COFFER_RELIABILITY_RUNS="${COFFER_RELIABILITY_RUNS:-20}"
    export COFFER_RELIABILITY_CASES="${COFFER_RELIABILITY_CASES:-5000}"
fi

echo "== reliability suite (crash loop runs: ${COFFER_RELIABILITY_RUNS:-5}, bad-input cases: ${COFFER_RELIABILITY_CASES:-256})" >&2
# The tests start the `coffer` binary; build it with the same features as the test run.
cargo build --workspace --locked "${FEATURES[@]}"
bash scripts/with-keyring.sh \
    cargo test --workspace --locked "${FEATURES[@]}" --test reliability -- --test-threads 2

if [ "$long" = 1 ]; then
    seconds="${FUZZ_SECONDS:-60}"
    if ! command -v cargo-fuzz >/dev/null 2>&1; then
        echo "== installing cargo-fuzz" >&2
        cargo install cargo-fuzz --locked
    fi
    # cargo fuzz needs nightly flags (-Z sanitizer…); on stable Rust RUSTC_BOOTSTRAP=1 allows them.
    cd fuzz
    for target in clover_answer processout_answer assist_answer svea_answer register_csv; do
        echo "== cargo fuzz: $target for ${seconds}s" >&2
        # A scratch corpus dir first, so the committed seeds stay as they are.
        scratch="$(mktemp -d)"
        cp "corpus/$target/"* "$scratch/"
        RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" "$scratch" -- \
            -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1
        rm -rf "$scratch"
    done
fi
echo "reliability: all passed" >&2
