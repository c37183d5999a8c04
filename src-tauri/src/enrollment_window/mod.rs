//! The counter window of an enrollment: the provider's page on the owner's screen, where the
//! cardholder types the card (never into Coffer). Label `enroll-<id>`.
//!
//! - A provider page (`EnrollmentWindow.url`) loads directly.
//! - A page the app hosts (`html`, e.g. Clover's iframe) is served under the `coffer-enroll`
//!   scheme, only to its own window, with a policy built from the page itself (`csp.rs`).
//! - A navigation to the enrollment's `return_prefix` is the return: it is captured and never
//!   loaded, handed to the engine (a hint it confirms with the provider), the settled enrollment
//!   goes to the main window on the channel it opened the window with, and the window closes.
//!
//! The window has no IPC: `capabilities/` grant the app's commands to the window "main" only
//! (a test below keeps it so), so a provider's page cannot call a command.

pub mod csp;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use coffer_core::EnrollmentId;
use coffer_engine::enrollment::{EnrollmentView, EnrollmentWindow};
use coffer_engine::{Engine, EngineError, ErrorKind};
use serde::Serialize;
use tauri::http::{header, Request, Response, StatusCode};
use tauri::ipc::Channel;
use tauri::{AppHandle, Manager, UriSchemeContext, UriSchemeResponder, WebviewUrl, Wry};

use crate::ipc_error::IpcError;

/// The scheme a page the app hosts is served under.
pub const SCHEME: &str = "coffer-enroll";

/// What happened in a counter window, for the main window.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EnrollmentEvent {
    /// The page returned and the provider was asked: the enrollment as it now stands.
    Returned {
        /// The enrollment.
        enrollment: Box<EnrollmentView>,
    },
    /// The page returned but the check failed (e.g. the provider could not be reached): the
    /// enrollment stays pending, to be checked again.
    CheckFailed {
        /// The enrollment.
        id: EnrollmentId,
        /// Why.
        error: IpcError,
    },
    /// The window was closed before the page returned: the enrollment stays pending.
    Closed {
        /// The enrollment.
        id: EnrollmentId,
    },
}

/// The channel of each open counter window: a window opened again from a reloaded main window
/// reports on the new channel.
#[derive(Default)]
pub struct OpenWindows(Mutex<HashMap<EnrollmentId, Channel<EnrollmentEvent>>>);

impl OpenWindows {
    fn send(&self, id: EnrollmentId, event: EnrollmentEvent) {
        let channel = self.0.lock().ok().and_then(|m| m.get(&id).cloned());
        if let Some(channel) = channel {
            // A main window gone away cannot be told; the enrollment is settled all the same.
            let _ = channel.send(event);
        }
    }

    fn set(&self, id: EnrollmentId, channel: Channel<EnrollmentEvent>) {
        if let Ok(mut map) = self.0.lock() {
            map.insert(id, channel);
        }
    }

    fn remove(&self, id: EnrollmentId) -> Option<Channel<EnrollmentEvent>> {
        self.0.lock().ok().and_then(|mut m| m.remove(&id))
    }
}

/// The window label of an enrollment.
pub fn label(id: EnrollmentId) -> String {
    format!("enroll-{}", id.0)
}

/// The address a hosted page is served at (Windows' WebView2 maps custom schemes to
/// `http://<scheme>.localhost`, as Tauri documents for `register_uri_scheme_protocol`).
fn hosted_url(id: EnrollmentId) -> String {
    if cfg!(windows) {
        format!("http://{SCHEME}.localhost/{}", id.0)
    } else {
        format!("{SCHEME}://localhost/{}", id.0)
    }
}

fn window_error(message: String) -> IpcError {
    IpcError::from(EngineError::new(ErrorKind::Internal, message))
}

/// Opens the counter window of `page` (or brings an open one forward); its events go to
/// `channel`.
pub fn open(
    app: &AppHandle,
    page: EnrollmentWindow,
    channel: Channel<EnrollmentEvent>,
) -> Result<(), IpcError> {
    let id = page.id;
    let label = label(id);
    app.state::<OpenWindows>().set(id, channel);
    if let Some(window) = app.get_webview_window(&label) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return Ok(());
    }
    let url = match (&page.url, &page.html) {
        (Some(url), _) => WebviewUrl::External(
            url.parse()
                .map_err(|e| window_error(format!("the provider's page '{url}': {e}")))?,
        ),
        (None, Some(_)) => WebviewUrl::CustomProtocol(
            hosted_url(id)
                .parse()
                .map_err(|e| window_error(format!("the page's address: {e}")))?,
        ),
        (None, None) => {
            return Err(window_error(format!("enrollment {id} has no page")));
        }
    };
    let captured = Arc::new(AtomicBool::new(false));
    let handle = app.clone();
    let prefix = page.return_prefix.clone();
    let window = tauri::WebviewWindowBuilder::new(app, &label, url)
        .title(&page.title)
        .inner_size(720.0, 760.0)
        .on_navigation(move |url| {
            if !url.as_str().starts_with(&prefix) {
                return true;
            }
            // The return: never loaded (`.invalid` cannot resolve anyway), captured once.
            if !captured.swap(true, Ordering::SeqCst) {
                let app = handle.clone();
                let address = url.to_string();
                tauri::async_runtime::spawn(async move { returned(app, id, address).await });
            }
            false
        })
        .build()
        .map_err(|e| window_error(format!("the enrollment window could not open: {e}")))?;
    let handle = app.clone();
    window.on_window_event(move |event| {
        if let tauri::WindowEvent::Destroyed = event {
            let windows = handle.state::<OpenWindows>();
            if let Some(channel) = windows.remove(id) {
                let _ = channel.send(EnrollmentEvent::Closed { id });
            }
        }
    });
    Ok(())
}

/// The engine checks the return with the provider; the main window hears how it stands; the
/// window closes.
async fn returned(app: AppHandle, id: EnrollmentId, address: String) {
    let engine = app.state::<Engine>().inner().clone();
    let event = match engine.enrollment_returned(id, &address).await {
        Ok(enrollment) => EnrollmentEvent::Returned {
            enrollment: Box::new(enrollment),
        },
        Err(e) => EnrollmentEvent::CheckFailed {
            id,
            error: e.into(),
        },
    };
    app.state::<OpenWindows>().send(id, event);
    close(&app, id);
}

/// Closes the counter window of an enrollment that settled (returned, withdrawn), if open. Its
/// channel goes first: the main window already heard how it ended, and `Closed` means a window
/// closed before its page returned.
pub fn close(app: &AppHandle, id: EnrollmentId) {
    app.state::<OpenWindows>().remove(id);
    if let Some(window) = app.get_webview_window(&label(id)) {
        let _ = window.close();
    }
}

/// Closes every counter window.
pub fn close_all(app: &AppHandle) {
    for (label, window) in app.webview_windows() {
        if label.starts_with("enroll-") {
            let _ = window.close();
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(text.as_bytes().to_vec())
        .unwrap_or_default()
}

/// The enrollment whose page `path` (`/<id>`) is, when the webview `asker` is that enrollment's
/// own window; `None` for any other window (the main one included) or path.
fn page_for(asker: &str, path: &str) -> Option<EnrollmentId> {
    let id = EnrollmentId(path.trim_matches('/').parse::<i64>().ok()?);
    (asker == label(id)).then_some(id)
}

/// The `coffer-enroll` scheme: `/<id>` is enrollment `id`'s hosted page, served only to the
/// window `enroll-<id>` and only while the enrollment is open.
pub fn serve(
    ctx: UriSchemeContext<'_, Wry>,
    request: Request<Vec<u8>>,
    responder: UriSchemeResponder,
) {
    let app = ctx.app_handle().clone();
    let asker = ctx.webview_label().to_string();
    let Some(id) = page_for(&asker, request.uri().path()) else {
        responder.respond(plain(StatusCode::FORBIDDEN, "not this window's page"));
        return;
    };
    tauri::async_runtime::spawn(async move {
        let engine = app.state::<Engine>().inner().clone();
        let response = match engine.enrollment_window(id).await {
            Ok(EnrollmentWindow {
                html: Some(html), ..
            }) => Response::builder()
                .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
                .header(header::CACHE_CONTROL, "no-store")
                .header("Content-Security-Policy", csp::for_page(&html))
                .header("Referrer-Policy", "no-referrer")
                .body(html.into_bytes())
                .unwrap_or_default(),
            Ok(_) => plain(
                StatusCode::NOT_FOUND,
                "this enrollment's page is the provider's",
            ),
            Err(e) => plain(StatusCode::GONE, &e.to_string()),
        };
        responder.respond(response);
    });
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    #[test]
    fn only_the_main_window_has_capabilities_so_an_enrollment_window_has_no_ipc() {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("capabilities");
        let mut files = 0;
        for entry in std::fs::read_dir(&dir).expect("capabilities folder") {
            let path = entry.expect("an entry").path();
            let text = std::fs::read_to_string(&path).expect("a capability file");
            let capability: serde_json::Value = match path.extension().and_then(|e| e.to_str()) {
                Some("json") => serde_json::from_str(&text).expect("capability JSON"),
                other => panic!("{path:?}: a capability in an unexpected format {other:?}"),
            };
            files += 1;
            assert_eq!(
                capability["windows"],
                serde_json::json!(["main"]),
                "{path:?} grants to the main window only"
            );
            assert!(
                capability.get("webviews").is_none(),
                "{path:?} names no webview"
            );
            assert!(
                capability.get("remote").is_none(),
                "{path:?} grants nothing to remote pages"
            );
        }
        assert!(files > 0, "the main window's capability is there");
    }

    #[test]
    fn a_window_label_names_its_enrollment() {
        assert_eq!(super::label(coffer_core::EnrollmentId(42)), "enroll-42");
    }

    #[test]
    fn a_hosted_page_is_served_to_its_own_window_only() {
        use coffer_core::EnrollmentId;
        assert_eq!(super::page_for("enroll-42", "/42"), Some(EnrollmentId(42)));
        assert_eq!(
            super::page_for("enroll-42", "/43"),
            None,
            "another enrollment's page"
        );
        assert_eq!(super::page_for("main", "/42"), None, "the main window");
        assert_eq!(super::page_for("enroll-42", "/42/../1"), None);
        assert_eq!(super::page_for("enroll-42", "/"), None);
    }
}
