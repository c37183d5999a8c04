//! An empty Tauri 2 window: the same Tauri crate and features as the Coffer app, no commands,
//! no plugins, a blank page. The desktop benchmark (tests/desktop/bench_desktop.rs) starts it
//! the way it starts the app and reports its memory beside the app's, so the app's figures read
//! against what Tauri and WebKit cost by themselves.

fn main() {
    if let Err(e) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("coffer-empty-window: {e}");
        std::process::exit(1);
    }
}
