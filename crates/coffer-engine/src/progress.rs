//! Progress of long runs (sync, due run), reported to whatever shows it: the desktop app's
//! progress bar (a Tauri channel), the CLI's stderr line, a test's vector.

use std::sync::Mutex;

use serde::Serialize;

/// One step of a long run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ProgressEvent {
    /// What is running ("sync", "due").
    pub stage: String,
    /// The merchant being worked on.
    pub merchant_id: Option<i64>,
    /// Items done so far.
    pub done: u64,
    /// Items in all, when known.
    pub total: Option<u64>,
    /// A short line for people.
    pub message: String,
}

/// Where progress goes.
pub trait Progress: Send + Sync {
    /// Called after each step.
    fn report(&self, event: ProgressEvent);
}

/// Drops every event.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _event: ProgressEvent) {}
}

/// Keeps every event, for tests.
#[derive(Debug, Default)]
pub struct RecordedProgress(pub Mutex<Vec<ProgressEvent>>);

impl Progress for RecordedProgress {
    fn report(&self, event: ProgressEvent) {
        if let Ok(mut events) = self.0.lock() {
            events.push(event);
        }
    }
}
