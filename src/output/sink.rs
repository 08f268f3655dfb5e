//! The sinks: where the tool's bytes leave it. Every one takes a [`Redacted`] text (only
//! [`super::redact`] makes one), so redaction is the last step before the bytes leave, whoever
//! built the text:
//!
//! - standard output and error: [`write`] (through [`crate::env::write`], which takes a
//!   `Redacted`), and a [`Sink`] for the [`super::reporter::Reporter`] (the process's streams or
//!   a test's buffer);
//! - the runner's files (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`) and the files written next to
//!   a person: [`super::files`], whose writers take a `Redacted`;
//! - the audit log, its records and the rotation and delete records:
//!   [`crate::config::workspace::LogFile::append`] takes a `Redacted`;
//! - the progress bar: [`super::progress_bar`] draws through a [`Sink`].
//!
//! The one text not redacted is the runner's `::add-mask::` command ([`Sink::put_mask`]), which
//! must carry the value to register it.

use std::io::Write;

use super::redact::Redacted;
use crate::env::Which;

/// Writes `text`, redacted, to standard output or error.
pub fn write(which: Which, text: &str) {
    crate::env::write(which, &Redacted::new(text));
}

/// Where a [`Sink`] writes.
enum To {
    Std(Which),
    Writer(Box<dyn Write + Send>),
}

/// A stream that only ever receives redacted text, one whole text at a time (a secret cannot
/// be split across two writes and escape the redaction).
pub struct Sink(To);

impl Sink {
    /// Standard output or error as the bound run sees it.
    pub fn std(which: Which) -> Sink {
        Sink(To::Std(which))
    }

    /// Any writer (a test's buffer).
    pub fn writer(w: Box<dyn Write + Send>) -> Sink {
        Sink(To::Writer(w))
    }

    /// Writes `text`, redacted, and flushes.
    pub fn put(&mut self, text: &str) {
        self.put_redacted(&Redacted::new(text));
    }

    /// The runner's `::add-mask::` command for `part`: the one line not redacted.
    pub(super) fn put_mask(&mut self, part: &str) {
        self.put_redacted(&Redacted::mask_command(&super::escape::escape_data(part)));
    }

    fn put_redacted(&mut self, text: &Redacted) {
        match &mut self.0 {
            To::Std(which) => crate::env::write(*which, text),
            To::Writer(w) => {
                let _ = w.write_all(text.as_bytes());
                let _ = w.flush();
            }
        }
    }

    pub fn flush(&mut self) {
        if let To::Writer(w) = &mut self.0 {
            let _ = w.flush();
        }
    }
}
