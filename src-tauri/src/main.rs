//! The `coffer-desktop` binary: everything happens in [`coffer_desktop::run`].

// No console window next to the app on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    coffer_desktop::run();
}
