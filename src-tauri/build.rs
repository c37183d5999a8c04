//! Declares the app's own commands, so each gets an `allow-`/`deny-` permission that
//! `capabilities/main.json` grants to the main window one by one.

include!("src/command_names.rs");

fn main() {
    // A fresh clone has no built UI yet; the context macro needs the folder to exist.
    if let Err(e) = std::fs::create_dir_all("../ui/dist") {
        println!("cargo:warning=cannot create ../ui/dist: {e}");
    }
    let manifest = tauri_build::AppManifest::new().commands(COMMANDS);
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new().app_manifest(manifest)) {
        panic!("tauri build script failed: {e:#}");
    }
}
