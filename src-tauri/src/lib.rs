//! Coffer's desktop shell: it shows the main window, opens the engine once (an upgrade of the
//! profile's schema beside the window, which says so), hands it to Tauri, and registers one thin
//! command per use case. It knows no provider and no SQL; everything happens in `coffer-engine`.
//!
//! The profile directory follows `COFFER_DATA_DIR` (engine/config.rs), so end-to-end tests run
//! the real app against a throw-away profile.

pub mod bindings;
pub mod command_names;
pub mod commands;
pub mod enrollment_window;
pub mod ipc_error;
pub mod progress;
pub mod startup;

use coffer_engine::Engine;
use tauri::Manager;

/// Builds and runs the app until its last window closes.
pub fn run() {
    let specta = bindings::builder();
    let result = tauri::Builder::default()
        // First, so a second start stops before it opens anything of the profile.
        .plugin(one_window_per_profile())
        .invoke_handler(specta.invoke_handler())
        // Pages the app hosts for a provider's card fields, one per enrollment window.
        .register_asynchronous_uri_scheme_protocol(
            enrollment_window::SCHEME,
            enrollment_window::serve,
        )
        .manage(enrollment_window::OpenWindows::default())
        // The counter windows go with the main window: the app ends with it, never left running
        // with only a provider's page on screen.
        .on_window_event(|window, event| {
            if window.label() == "main" && matches!(event, tauri::WindowEvent::Destroyed) {
                enrollment_window::close_all(window.app_handle());
            }
        })
        .setup(|app| {
            let builder = coffer_demo::with_embedded_sandboxes(Engine::builder());
            // Unknown when the file cannot be read yet: the open below says why.
            let upgrade = builder.pending_upgrade().unwrap_or(None);
            let page = match upgrade {
                Some((from, to)) => startup::Page::Upgrading { from, to },
                None => startup::Page::App,
            };
            let window = startup::main_window(app.handle(), &page)?;
            if upgrade.is_none() {
                if let Err(e) = builder.open().map(|engine| start(app.handle(), engine)) {
                    eprintln!("coffer: the profile could not be opened: {e}");
                    startup::show(&window, &startup::failure(&e));
                }
                return Ok(());
            }
            // The upgrade runs beside the window, which says so until it ends.
            let app = app.handle().clone();
            std::thread::spawn(move || match builder.open() {
                Ok(engine) => {
                    start(&app, engine);
                    startup::show(&window, &startup::Page::App);
                }
                Err(e) => {
                    eprintln!("coffer: the profile could not be upgraded: {e}");
                    startup::show(&window, &startup::failure(&e));
                }
            });
            Ok(())
        })
        .run(tauri::generate_context!());
    if let Err(e) = result {
        eprintln!("coffer: the desktop app stopped: {e}");
        std::process::exit(1);
    }
}

/// Hands the open engine to the commands and starts what runs beside the window.
fn start(app: &tauri::AppHandle, engine: Engine) {
    // A charge a crash left unknown blocks its card until it is settled: ask the providers at
    // once, beside the window (DESIGN §4).
    let background = engine.clone();
    tauri::async_runtime::spawn(async move { background.reconcile_at_start().await });
    // Enrollments left pending (a link's cardholder finished at home, a counter window closed
    // with the app) are settled by the providers' lookups, or expire. What could not be asked
    // stays pending and shows so in the Enrollments view, with Check all.
    let pending = engine.clone();
    tauri::async_runtime::spawn(async move {
        if let Err(e) = pending
            .check_enrollments(coffer_engine::scope::Scope::of(None, None))
            .await
        {
            eprintln!("coffer: pending enrollments not checked at start: {e}");
        }
    });
    app.manage(engine);
}

/// A second start of the app on the same profile brings the open window forward and exits:
/// two windows on one profile would show each other stale data and race on the same cards.
/// On Linux the lock is a D-Bus name per profile (another profile, e.g. a test's, starts its own
/// window); on Windows and macOS the plugin keeps one instance per app.
fn one_window_per_profile() -> tauri::plugin::TauriPlugin<tauri::Wry> {
    let mut single = tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    });
    if let Ok(profile) = coffer_engine::config::data_dir(None) {
        single = single.dbus_id(profile_bus_id(&profile));
    }
    single.build()
}

/// `dev.coffer.desktop.p<hash>`: a D-Bus name (letters, digits, `_`; an element never starts
/// with a digit) that stands for one profile folder.
fn profile_bus_id(profile: &std::path::Path) -> String {
    let folder = profile
        .canonicalize()
        .unwrap_or_else(|_| profile.to_path_buf());
    let hash = folder
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("dev.coffer.desktop.p{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_profile_has_its_own_valid_bus_name() {
        let a = profile_bus_id(std::path::Path::new("/home/shop/.local/share/coffer"));
        let b = profile_bus_id(std::path::Path::new("/tmp/other-profile"));
        assert_ne!(a, b);
        assert_eq!(
            a,
            profile_bus_id(std::path::Path::new("/home/shop/.local/share/coffer"))
        );
        for name in [&a, &b] {
            assert!(name.split('.').all(|element| {
                element
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic())
                    && element
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
            }));
        }
    }
}
