#!/usr/bin/env bash
# Runs every test of Coffer: formatting, lints, and the whole workspace's tests (these inside a
# private D-Bus session with a real Secret Service, so the keyring tests run: scripts/with-keyring.sh).
# Installs what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

echo "== cargo fmt --check" >&2
cargo fmt --all -- --check
echo "== cargo clippy" >&2
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test (with a private, unlocked gnome-keyring for the keyring tests)" >&2
bash scripts/with-keyring.sh cargo test --workspace --locked
