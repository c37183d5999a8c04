//! Declares the app's own commands, so each gets an `allow-`/`deny-` permission that
//! `capabilities/main.json` grants to the main window one by one.

/// Every command of `src/commands/`; keep in step with `bindings::builder`.
const COMMANDS: &[&str] = &[
    "list_merchants",
    "add_merchant",
    "edit_merchant",
    "remove_merchant",
    "demo",
    "sync_merchant",
    "sync_all",
    "search_customers",
    "list_cards",
    "list_audit",
    "verify_audit",
];

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
