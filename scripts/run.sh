#!/usr/bin/env bash
# Starts Coffer in sandbox mode: the four provider sandboxes with demo merchants, on loopback.
# Installs what it needs first (scripts/setup.sh). Extra arguments go to `coffer sandbox`.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --locked -p coffer-cli
exec target/release/coffer sandbox --seed demo "$@"
