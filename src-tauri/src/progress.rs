//! Progress of long runs (sync, demo set-up) streamed to the UI's progress bar over a Tauri
//! channel.

use coffer_engine::progress::{Progress, ProgressEvent};
use tauri::ipc::Channel;

/// Sends each step to the window that asked for the run.
pub struct ChannelProgress(pub Channel<ProgressEvent>);

impl Progress for ChannelProgress {
    fn report(&self, event: ProgressEvent) {
        // A closed window cannot show progress; the run itself goes on.
        let _ = self.0.send(event);
    }
}
