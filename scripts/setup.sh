#!/usr/bin/env bash
# Installs what Coffer's build and tests need on a fresh Debian/Ubuntu machine, skipping what is
# already there. Registries only: Debian packages, crates, npm. Safe to run again.
set -euo pipefail

need_apt=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# The desktop app (Tauri 2 on WebKitGTK) and its end-to-end tests (WebKitWebDriver under Xvfb,
# Secret Service for the keyring; Chromium for the UI's browser tests), and the installer test
# (desktop-file-validate; xwininfo to see the installed app's window). All are Debian packages.
for pkg in build-essential pkg-config libssl-dev file \
    libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev \
    xvfb xauth webkit2gtk-driver dbus gnome-keyring chromium desktop-file-utils x11-utils; do
    have_pkg "$pkg" || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "setup: installing ${need_apt[*]}" >&2
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo is missing: install Rust with rustup (https://rustup.rs) and run again" >&2
    exit 1
fi
for component in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$component"; then
        rustup component add "$component"
    fi
done

# Cargo's bin directory holds tauri-driver.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

if ! command -v npm >/dev/null 2>&1; then
    echo "setup: npm is missing: install Node.js 20+ with npm 11 and run again" >&2
    exit 1
fi
# The UI's packages and the Tauri CLI, exactly as package-lock.json records them.
root="$(cd "$(dirname "$0")/.." && pwd)"
if [ ! -x "$root/ui/node_modules/.bin/tauri" ] || [ "$root/ui/package-lock.json" -nt "$root/ui/node_modules/.package-lock.json" ]; then
    (cd "$root/ui" && npm ci --no-audit --no-fund)
fi

# The release workflow's schema check (tests/release): check-jsonschema from PyPI, which ships
# SchemaStore's GitHub-workflow schema, in a virtualenv of its own.
if [ ! -x "$root/target/tools/py/bin/check-jsonschema" ]; then
    if ! command -v python3 >/dev/null 2>&1; then
        echo "setup: python3 is missing: install Python 3 with venv and pip and run again" >&2
        exit 1
    fi
    rm -rf "$root/target/tools/py"
    python3 -m venv "$root/target/tools/py"
    "$root/target/tools/py/bin/pip" install -q --disable-pip-version-check check-jsonschema==0.39.0
fi

# The WebDriver bridge for the desktop end-to-end test.
if ! command -v tauri-driver >/dev/null 2>&1; then
    cargo install tauri-driver --locked --version 2.1.0
fi
