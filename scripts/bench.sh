#!/usr/bin/env bash
# Every benchmark, measured on this machine, written to docs/benchmarks.md (see `coffer bench`):
# sync and due-run throughput beside raw HTTP loops, search latency, the cost curve, and the
# desktop app's warm start and memory beside an empty Tauri window. Takes about 15 minutes on 2 cores.
#
#   bash scripts/bench.sh                 everything, default sizes
#   bash scripts/bench.sh --due-sizes 1000,10000,100000 …   extra flags go to `coffer bench all`
#   DESKTOP_SIZES="10000 100000"          the caches the desktop app is measured with
#   DESKTOP_PROFILES="DIR:N DIR:N"        profiles already filled (`coffer bench sync --keep DIR`)
#                                         to measure instead of syncing new ones
#   COFFER_DESKTOP_BIN=path               the app to measure (default: the release build)
#   COFFER_EMPTY_WINDOW_BIN=path          the empty Tauri window beside it (default: release)
#   SKIP_DESKTOP=1                        leave the desktop out
#
# The whole cost curve at 1M (about 3 hours here, most of it the 1M due run's setup):
#   DESKTOP_SIZES="10000 100000 1000000" bash scripts/bench.sh \
#       --sync-sizes 10000,100000,1000000 --due-sizes 10000,100000,1000000
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
FEATURES=(--features tauri/custom-protocol)

target="${CARGO_TARGET_DIR:-target}"
echo "== build: coffer (release)" >&2
cargo build --release --locked -p coffer-cli
coffer="$target/release/coffer"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
desktop_args=()
if [ "${SKIP_DESKTOP:-0}" != 1 ]; then
    # The app as users get it (release, UI embedded) and the empty Tauri window it is read
    # against, in one cargo call so both link the same Tauri build.
    echo "== build: the desktop app (release) with its UI, the empty window, the benchmark" >&2
    (cd ui && npm run build)
    cargo build --release --locked -p coffer-desktop -p coffer-empty-window \
        "${FEATURES[@]}" --features coffer-empty-window/bench
    cargo build --release --locked -p coffer-desktop-e2e --example bench_desktop
    profiles=()
    if [ -n "${DESKTOP_PROFILES:-}" ]; then
        read -r -a profiles <<<"$DESKTOP_PROFILES"
    else
        for n in ${DESKTOP_SIZES:-10000 100000}; do
            echo "== desktop: a profile with $n customers (coffer bench sync --keep)" >&2
            "$coffer" bench sync --customers "$n" --keep "$work/desktop-$n" >/dev/null
            profiles+=("$work/desktop-$n:$n")
        done
    fi
    echo "== desktop: warm starts and memory, the app beside an empty Tauri window" >&2
    COFFER_DESKTOP_BIN="${COFFER_DESKTOP_BIN:-$target/release/coffer-desktop}" \
        COFFER_EMPTY_WINDOW_BIN="${COFFER_EMPTY_WINDOW_BIN:-$target/release/coffer-empty-window}" \
        bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
        "$target/release/examples/bench_desktop" "$work/desktop.json" "${profiles[@]}" >/dev/null
    desktop_args=(--desktop "$work/desktop.json")
fi

echo "== coffer bench all" >&2
"$coffer" bench all "${desktop_args[@]}" --rerun "bash scripts/bench.sh${*:+ $*}" "$@"
