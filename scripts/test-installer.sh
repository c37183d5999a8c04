#!/usr/bin/env bash
# Tries the Linux installer the way a store owner meets it: builds the .deb (scripts/package.sh,
# or takes COFFER_DEB=path/to.deb), checks its metadata and contents, installs it with dpkg,
# checks the installed files and libraries, starts the installed app from its desktop entry under
# Xvfb and drives it with WebDriver until the main window shows sandbox mode (screenshot in
# target/installer-test/), then purges the package and checks that its files are gone.
# Needs root or sudo (dpkg). Refuses to run if the package is installed already, since it would
# remove that copy. Installs what it needs first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

fail() {
    echo "test-installer: FAIL: $*" >&2
    exit 1
}
ok() { echo "  ok: $*" >&2; }

# The part that needs a display (run below through with-keyring.sh and xvfb-run).
if [ "${1:-}" = "--under-display" ]; then
    bin="$2"
    exec_line="$3"
    echo "== start the installed app from its desktop entry (Exec=$exec_line)" >&2
    profile="$(mktemp -d)"
    # Exec is split into words as a desktop would (it holds no quotes: checked by the caller).
    # shellcheck disable=SC2086
    COFFER_DATA_DIR="$profile" COFFER_KEYRING_SERVICE=coffer-installer-test \
        $exec_line >"$profile/app.log" 2>&1 &
    app=$!
    deadline=$((SECONDS + 90))
    until xwininfo -root -tree 2>/dev/null | grep -q '"Coffer"'; do
        if ! kill -0 "$app" 2>/dev/null; then
            cat "$profile/app.log" >&2
            fail "the installed app exited before its window came up"
        fi
        [ $SECONDS -lt $deadline ] || fail "no window titled Coffer within 90 s"
        sleep 1
    done
    ok "a window titled \"Coffer\" is on the display (pid $app)"
    kill -TERM "$app"
    wait "$app" 2>/dev/null || true
    rm -rf "$profile"

    echo "== drive the installed app with WebDriver (tests/desktop: installed_package_opens_in_sandbox_mode)" >&2
    COFFER_INSTALLED_APP="$bin" COFFER_E2E_SHOTS="$PWD/target/installer-test" \
        cargo test --workspace --locked --features tauri/custom-protocol --test desktop \
        -- --exact installed_package_opens_in_sandbox_mode
    exit 0
fi

bash scripts/setup.sh
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
start=$SECONDS

deb="${COFFER_DEB:-}"
if [ -z "$deb" ]; then
    deb="$(bash scripts/package.sh | grep '\.deb$')"
fi
[ -f "$deb" ] || fail "no .deb at '$deb'"
echo "== the package: $deb" >&2

field() { dpkg-deb -f "$deb" "$1"; }
pkg="$(field Package)"
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)"
[ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', the workspace's is $version"
ok "Package $pkg, Version $version (the workspace version)"
for name in Maintainer Section Homepage Description; do
    [ -n "$(field "$name")" ] || fail "the control file has no $name"
done
ok "Maintainer: $(field Maintainer); Section: $(field Section); Homepage: $(field Homepage)"
depends="$(field Depends)"
for need in libwebkit2gtk-4.1-0 libgtk-3-0 libdbus-1-3; do
    grep -Eq "(^|, )$need( |,|$)" <<<"$depends" || fail "Depends ($depends) lacks $need"
done
ok "Depends: $depends"

# Member names come as usr/... or ./usr/...; make them absolute paths.
contents="$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./||; s|^|/|')"
bins=($(grep -E '^/usr/bin/[^/]+$' <<<"$contents"))
[ ${#bins[@]} -eq 1 ] || fail "expected one program in /usr/bin, found: ${bins[*]:-none}"
bin="${bins[0]}"
desktops=($(grep -E '^/usr/share/applications/[^/]+\.desktop$' <<<"$contents"))
[ ${#desktops[@]} -eq 1 ] || fail "expected one desktop entry, found: ${desktops[*]:-none}"
desktop="${desktops[0]}"
ok "program $bin, desktop entry $desktop"

work="$(mktemp -d)"
installed=0
cleanup() {
    if [ $installed -eq 1 ]; then
        echo "test-installer: removing $pkg after a failure" >&2
        $SUDO dpkg --purge "$pkg" >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards "*${desktop#/}" >"$work/entry.desktop"
entry() { sed -n "s/^$1=//p" "$work/entry.desktop" | head -n1; }
[ "$(entry Name)" = "Coffer" ] || fail "the desktop entry's Name is '$(entry Name)'"
grep -q "Finance" <<<"$(entry Categories)" || fail "Categories '$(entry Categories)' lack Finance"
[ "$(entry Type)" = "Application" ] || fail "the desktop entry's Type is '$(entry Type)'"
exec_line="$(entry Exec)"
icon="$(entry Icon)"
[ -n "$exec_line" ] && [ -n "$icon" ] || fail "the desktop entry lacks Exec or Icon"
case "$exec_line" in *[\"\'%]*) fail "Exec '$exec_line' has quotes or field codes this test does not expand" ;; esac
desktop-file-validate "$work/entry.desktop" || fail "desktop-file-validate rejects the desktop entry"
ok "desktop entry: Name=Coffer, Categories=$(entry Categories), Exec=$exec_line, Icon=$icon (valid)"
for size in 32x32 64x64 128x128 256x256 512x512; do
    grep -qx "/usr/share/icons/hicolor/$size/apps/$icon.png" <<<"$contents" \
        || fail "no $size icon for $icon in the package"
done
ok "icons 32, 64, 128, 256 and 512 px under /usr/share/icons/hicolor"

echo "== install: dpkg -i" >&2
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    trap - EXIT
    rm -rf "$work"
    fail "$pkg is installed already; this test would remove it (dpkg --purge $pkg first)"
fi
installed=1
$SUDO dpkg -i "$deb" >&2
dpkg-query -W -f='${Status}' "$pkg" | grep -q "install ok installed" || fail "dpkg does not list $pkg as installed"
[ -x "$bin" ] || fail "$bin is not an installed program"
[ -f "$desktop" ] || fail "$desktop is not installed"
[ -f "/usr/share/icons/hicolor/128x128/apps/$icon.png" ] || fail "the 128px icon is not installed"
command -v "${exec_line%% *}" >/dev/null || fail "the desktop entry's Exec (${exec_line%% *}) is not on PATH"
ok "$pkg is installed: $bin, $desktop, icons"
if ldd "$bin" | grep -q "not found"; then
    ldd "$bin" | grep "not found" >&2
    fail "$bin needs libraries that are not installed"
fi
# Every library package the program links (dpkg-shlibdeps) is in Depends or comes with one of
# them, so `dpkg -i` on a machine with the declared packages has all it needs.
mkdir -p "$work/shlibs/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$pkg" "$pkg" >"$work/shlibs/debian/control"
needed="$(cd "$work/shlibs" && dpkg-shlibdeps -O "$bin" 2>/dev/null | sed -n 's/^shlibs:Depends=//p' \
    | tr ',' '\n' | sed 's/(.*)//; s/ //g' | grep -v '^$')"
declared="$(tr ',' '\n' <<<"$depends" | sed 's/(.*)//; s/ //g')"
brought="$(dpkg-query -W -f='${Depends}\n' $declared 2>/dev/null | tr ',|' '\n\n' | sed 's/(.*)//; s/ //g; s/:any$//')"
for lib in $needed; do
    grep -qx "$lib" <<<"$declared"$'\n'"$brought" || fail "$bin links $lib, which Depends does not bring"
done
ok "every library package $bin links is brought by Depends: $(tr '\n' ' ' <<<"$needed")"
dpkg -L "$pkg" >"$work/files"

bash scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1280x800x24" \
    bash scripts/test-installer.sh --under-display "$bin" "$exec_line"
[ -f target/installer-test/installed-sandbox.png ] || fail "no screenshot of the installed app"
ok "screenshot: target/installer-test/installed-sandbox.png"

echo "== uninstall: dpkg --purge" >&2
$SUDO dpkg --purge "$pkg" >&2
installed=0
if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "installed"; then
    fail "dpkg still lists $pkg after --purge"
fi
left=0
while read -r path; do
    if [ -e "$path" ] && [ ! -d "$path" ]; then
        echo "  left behind: $path" >&2
        left=1
    fi
done <"$work/files"
[ $left -eq 0 ] || fail "files of $pkg are left after --purge"
ok "$pkg is purged and none of its $(wc -l <"$work/files") paths' files are left"
echo "test-installer: the .deb installs, starts in sandbox mode and uninstalls cleanly ($((SECONDS - start)) s)" >&2
