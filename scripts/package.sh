#!/usr/bin/env bash
# Builds Coffer's Linux installers, a .deb and an .rpm, from a release build with the UI embedded
# (`tauri build --bundles deb,rpm`: `npm run build`, `cargo build --release`, then both bundles in
# one call, so the UI and the app are built once). Prints the installers' paths on stdout, one a
# line, and their sizes on stderr. AppImage is not built: its tools are downloads from GitHub,
# which our machines cannot make. Windows and macOS installers come from the release workflow
# (.github/workflows/release.yml). Installs what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)"
bundle_dir="${CARGO_TARGET_DIR:-target}/release/bundle"

start=$SECONDS
echo "== tauri build --bundles deb,rpm (release, version $version)" >&2
ui/node_modules/.bin/tauri build --ci --bundles deb,rpm >&2

shopt -s nullglob
debs=("$bundle_dir"/deb/*_"${version}"_*.deb)
rpms=("$bundle_dir"/rpm/*-"${version}"-*.rpm)
if [ ${#debs[@]} -ne 1 ] || [ ${#rpms[@]} -ne 1 ]; then
    echo "package: expected one .deb and one .rpm of version $version under $bundle_dir," \
        "found: ${debs[*]:-no .deb} ${rpms[*]:-no .rpm}" >&2
    exit 1
fi
echo "== installers (built in $((SECONDS - start)) s)" >&2
for file in "${debs[0]}" "${rpms[0]}"; do
    bytes=$(stat -c %s "$file")
    awk -v b="$bytes" -v f="$file" 'BEGIN { printf "  %-60s %6.1f MB (%d bytes)\n", f, b / 1e6, b }' >&2
    realpath "$file"
done
