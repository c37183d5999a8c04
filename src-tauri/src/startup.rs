//! The main window's first page: the app, or what keeps it from opening yet (the profile's
//! cache being upgraded to this version's schema) or at all (a profile Coffer cannot open).
//!
//! The window is created before the engine opens, so it is on screen at once whatever the
//! opening takes: an upgrade of a large cache runs for a while (31 s for 1,000,000 customers to
//! schema 22 on the benchmark machine), and a start that shows nothing that long looks hung.
//! The page reads what to show from its query (`ui/src/startup.ts`).

use tauri::{AppHandle, WebviewUrl, WebviewWindow, WebviewWindowBuilder};

/// What the main window shows.
pub enum Page {
    /// Coffer itself: the engine is open and managed.
    App,
    /// The profile's database is being upgraded from one schema version to another.
    Upgrading { from: usize, to: usize },
    /// The profile could not be opened, and why.
    Failed(String),
}

impl Page {
    /// The query parameter that tells the page, `None` for the app.
    fn parameter(&self) -> Option<(&'static str, String)> {
        match self {
            Page::App => None,
            Page::Upgrading { from, to } => Some(("upgrading", format!("{from}-{to}"))),
            Page::Failed(why) => Some(("failed", why.clone())),
        }
    }
}

/// Creates the main window of `tauri.conf.json` (whose `create: false` leaves it to this),
/// showing `page`.
pub fn main_window(app: &AppHandle, page: &Page) -> tauri::Result<WebviewWindow> {
    let mut config = app
        .config()
        .app
        .windows
        .iter()
        .find(|w| w.label == "main")
        .cloned()
        .ok_or_else(|| {
            let missing: Box<dyn std::error::Error> = "tauri.conf.json has no main window".into();
            tauri::Error::Setup(missing.into())
        })?;
    if let (Some((name, value)), WebviewUrl::App(path)) = (page.parameter(), &config.url) {
        // Only digits and '-' in what is put first (a failure comes later, through `show`).
        config.url = WebviewUrl::App(format!("{}?{name}={value}", path.display()).into());
    }
    WebviewWindowBuilder::from_config(app, &config)?.build()
}

/// Loads `page` in `window` (the upgrade ended, or failed).
pub fn show(window: &WebviewWindow, page: &Page) {
    let url = window.url().map(|mut url| {
        url.set_query(None);
        if let Some((name, value)) = page.parameter() {
            url.query_pairs_mut().append_pair(name, &value);
        }
        url
    });
    if let Err(e) = url.and_then(|url| window.navigate(url)) {
        eprintln!("coffer: the window could not be shown its page: {e}");
    }
}

/// The page's wording for a profile that cannot be opened: the engine's error and the folder.
pub fn failure(error: &coffer_engine::error::EngineError) -> Page {
    let folder = coffer_engine::config::data_dir(None)
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "(the profile folder could not be found)".into());
    Page::Failed(format!(
        "{error} ({}). Profile: {folder}",
        error.kind().code()
    ))
}
