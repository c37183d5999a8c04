#!/usr/bin/env bash
# Where a benchmark's CPU time goes: `perf record` on one `coffer bench` run, then the top
# symbols (self time) and the share of each library. docs/profiles.md quotes these.
#
#   bash scripts/profile.sh due --occurrences 10000
#   bash scripts/profile.sh sync --customers 100000
#   bash scripts/profile.sh search --cards 1000000
#
# perf shows CPU only: time spent waiting (an fsync, a round trip) is read off the run's wall
# time against its CPU time, which the script prints too.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
command -v perf >/dev/null || { echo "perf is not installed (apt-get install linux-perf)" >&2; exit 2; }
# The release build keeps its symbol table, so perf names functions (inlined ones are counted
# in their caller).
cargo build --release --locked -p coffer-cli
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
/usr/bin/time -v -o "$out/time" perf record -F 997 -g -o "$out/perf.data" \
    target/release/coffer bench "$@"
grep -E "Elapsed|User time|System time|Maximum resident" "$out/time"
echo "== share by library"
perf report -i "$out/perf.data" --no-children --sort dso --stdio 2>/dev/null | grep -E "^ +[0-9]" | head -12
echo "== top symbols (self)"
perf report -i "$out/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
    | grep -E "^ +[0-9]" | head -40 | cut -c1-160
