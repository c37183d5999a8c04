//! Printing: JSON for scripts, short plain lines for people.
//!
//! Every line goes through [`line`], never `println!`, which panics when the reader has gone
//! (`coffer customers | head`). A closed pipe drops the rest of the output quietly; the command
//! still finishes what it was doing (a due run is not cut in the middle of a charge because
//! nobody reads its log) and exits [`CLOSED_PIPE_EXIT`].

use serde::Serialize;
use std::fmt;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// 128 + SIGPIPE: the status a shell shows for a program whose reader went away, as `head`
/// leaves `cat` with.
pub const CLOSED_PIPE_EXIT: u8 = 141;

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints a line on stdout like `println!`, without ever panicking.
macro_rules! outln {
    () => { $crate::output::line(format_args!("")) };
    ($($arg:tt)*) => { $crate::output::line(format_args!($($arg)*)) };
}

/// Prints a line on stderr like `eprintln!`, without ever panicking.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::error_line(format_args!($($arg)*)) };
}

/// One line on stdout; nothing once stdout is closed.
pub fn line(args: fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.write_all(b"\n")) {
        closed(&e);
    }
}

/// One line on stderr; a closed stderr loses it, as nothing else can be done.
pub fn error_line(args: fmt::Arguments<'_>) {
    let mut err = io::stderr().lock();
    let _ = err.write_fmt(args).and_then(|()| err.write_all(b"\n"));
}

fn closed(error: &io::Error) {
    STDOUT_CLOSED.store(true, Ordering::Relaxed);
    if error.kind() != io::ErrorKind::BrokenPipe {
        // A full disk under `> file` is worth saying; a reader that left is not.
        error_line(format_args!("error: cannot write the output: {error}"));
    }
}

/// Flushes stdout at the end; true when some output could not be written.
pub fn finish() -> bool {
    if !STDOUT_CLOSED.load(Ordering::Relaxed) {
        if let Err(e) = io::stdout().lock().flush() {
            closed(&e);
        }
    }
    STDOUT_CLOSED.load(Ordering::Relaxed)
}

/// Where results go.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// `--json` was given.
    pub json: bool,
}

impl Output {
    /// Prints `value` as one JSON document, or calls `human` to print it for a person.
    pub fn show<T: Serialize>(&self, value: &T, human: impl FnOnce(&T)) -> anyhow::Result<()> {
        if self.json {
            outln!("{}", serde_json::to_string(value)?);
        } else {
            human(value);
        }
        Ok(())
    }
}
