//! Coffer's desktop shell: it opens the engine once, hands it to Tauri, and registers one thin
//! command per use case. It knows no provider and no SQL; everything happens in `coffer-engine`.
//!
//! The profile directory follows `COFFER_DATA_DIR` (engine/config.rs), so end-to-end tests run
//! the real app against a throw-away profile.

pub mod bindings;
pub mod command_names;
pub mod commands;
pub mod ipc_error;
pub mod progress;

use coffer_engine::Engine;
use tauri::Manager;

/// Builds and runs the app until its last window closes.
pub fn run() {
    let specta = bindings::builder();
    let result = tauri::Builder::default()
        .invoke_handler(specta.invoke_handler())
        .setup(|app| {
            let engine = Engine::builder().open()?;
            // A charge a crash left unknown blocks its card until it is settled: ask the
            // providers at once, beside the window (DESIGN §4).
            let background = engine.clone();
            tauri::async_runtime::spawn(async move { background.reconcile_at_start().await });
            app.manage(engine);
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("coffer: the desktop app stopped: {e}");
        std::process::exit(1);
    }
}
