#!/usr/bin/env bash
# Runs its arguments inside a private D-Bus session with an unlocked gnome-keyring (a real Secret
# Service), in a throw-away HOME, so tests can store, read back and delete keyring secrets
# without touching the user's own keyring. Example: scripts/with-keyring.sh cargo test --workspace
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARGS...]" >&2
    exit 2
fi
for tool in dbus-run-session gnome-keyring-daemon; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "with-keyring: $tool is missing; run scripts/setup.sh (it installs dbus and gnome-keyring)" >&2
        exit 1
    fi
done

# rustup and cargo find their homes through HOME: pin them before HOME changes (TOOLING.md pitfall 9).
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
keyring_home="$(mktemp -d)"
trap 'rm -rf "$keyring_home"' EXIT
export HOME="$keyring_home"
export XDG_DATA_HOME="$keyring_home/.local/share"
export XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"

# Inside the session: start the secrets component unlocked with a throw-away password, then run.
dbus-run-session -- sh -c '
    printf "with-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
    exec "$@"
' with-keyring "$@"
