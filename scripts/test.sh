#!/usr/bin/env bash
# Runs every test of Coffer: formatting, lints, the whole workspace's tests (the desktop app's
# end-to-end test among them, in WebKit under Xvfb), the UI's unit tests, typecheck and the
# generated-bindings check. Installs what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# One feature set for every cargo call, so tauri is compiled once and a test build never
# replaces the app binary with one that loads the dev server (TOOLING.md pitfall 1).
FEATURES=(--features tauri/custom-protocol)
# A clean CI build gains nothing from incremental caches, which roughly double the workspace
# crates' share of target/ (disk ran out on a CI machine once).
export CARGO_INCREMENTAL=0

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== ui: typecheck, unit tests (vitest), views in Chromium under the app's CSP (node --test)" >&2
(cd ui && npx --no-install tsc --noEmit && npx --no-install vitest run && node --test e2e/)
echo "== desktop app: build the UI, then the workspace with the UI embedded" >&2
# The same cargo invocation shape as the test run below, so its artifacts (the app binary the
# e2e test starts) are reused rather than rebuilt with another feature set.
(cd ui && npm run build)
cargo build --workspace --locked "${FEATURES[@]}"
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked "${FEATURES[@]}" -- -D warnings
echo "== cargo test (bindings diff and the desktop e2e test included; keyring tests in a private" >&2
echo "   D-Bus session with an unlocked gnome-keyring: scripts/with-keyring.sh)" >&2
COFFER_E2E=1 bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
    cargo test --workspace --locked "${FEATURES[@]}"
echo "== the hosted enrollment pages Coffer serves (Clover's iframe, ProcessOut.js) in Debian's" >&2
echo "   Chromium from an opaque origin (ignored in a plain cargo test, which may have no Chromium)" >&2
cargo test --workspace --locked "${FEATURES[@]}" --test contract real_browser -- --ignored

# The Linux installer test (release build of the .deb, dpkg install, start under Xvfb, purge) is
# not part of the default run: a cold release build costs about 16 CPU-minutes (8 or more on our
# 2 cores), more than CI's budget for it. Ask for it with COFFER_TEST_INSTALLER=1, or run
# scripts/test-installer.sh alone.
if [ "${COFFER_TEST_INSTALLER:-}" = "1" ]; then
    echo "== installer: build the .deb, install it, start it in sandbox mode, remove it" >&2
    bash scripts/test-installer.sh
fi
