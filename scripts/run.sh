#!/usr/bin/env bash
# Starts the Coffer desktop app. On first start (no merchant yet) it opens in sandbox mode: the
# four provider sandboxes run inside the app with demo merchants, customers and cards.
# Installs what it needs first (scripts/setup.sh). Without a display, it runs under Xvfb.
# `scripts/run.sh sandbox` starts the headless sandboxes instead (`coffer sandbox --seed demo`).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if [ "${1:-}" = "sandbox" ]; then
    shift
    cargo build --release --locked -p coffer-cli
    exec target/release/coffer sandbox --seed demo "$@"
fi

ui/node_modules/.bin/tauri build --no-bundle
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    exec xvfb-run -a -s "-screen 0 1280x800x24" target/release/coffer-desktop
fi
exec target/release/coffer-desktop
