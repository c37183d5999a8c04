#!/usr/bin/env bash
# Makes every app icon from the one source image, icons/source.png (1024 px), with the Tauri CLI:
# the desktop set `tauri icon` makes (PNGs, icon.ico for Windows, icon.icns for macOS) plus a
# 256 px PNG, so Linux gets 32, 64, 128, 256 and 512 px hicolor icons at scale 1. The mobile
# icons it also makes are dropped: Coffer is a desktop app. Writes to icons/ (or the folder given);
# tests/release/main.rs runs it into a temp folder and compares. (The order of the images inside
# icon.icns changes from run to run; git then shows it modified with the same images.)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-icons}"
cli=ui/node_modules/.bin/tauri
if [ ! -x "$cli" ]; then
    echo "icons: $cli is missing: run scripts/setup.sh (npm ci in ui/)" >&2
    exit 1
fi
mkdir -p "$out"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { "$cli" icon icons/source.png -o "$out" && "$cli" icon icons/source.png -o "$out" --png 256; } >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
fi
rm -rf "$out/android" "$out/ios"
