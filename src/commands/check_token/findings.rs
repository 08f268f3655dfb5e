//! What `check-token` prints, for a token and for an app alike: [`Findings`] (`Key: value`
//! lines, then the verdict and each problem), and the findings both kinds of check share (a
//! refusal's status and message, the closing line's request count).

use crate::commands::{Error, Style, Tone};
use crate::github::ApiError;
use crate::output::words::Count;

/// What `check-token` prints: `Key: value` lines and the problems found.
#[derive(Default)]
pub(super) struct Findings {
    pub(super) lines: Vec<(String, String, Tone)>,
    pub(super) problems: Vec<String>,
}

impl Findings {
    pub(super) fn line(&mut self, key: &str, value: impl Into<String>, tone: Tone) {
        self.lines.push((key.to_owned(), value.into(), tone));
    }

    pub(super) fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }

    /// Prints the lines and the verdict on `subject`, then each problem as an error; the exit
    /// code says whether there was one.
    pub(super) fn finish(self, subject: &str, requests: &str) -> Result<(), Error> {
        let style = Style::stdout();
        let width = self
            .lines
            .iter()
            .map(|(k, _, _)| k.len())
            .max()
            .unwrap_or(0)
            + 1;
        let mut out = String::new();
        for (k, v, tone) in &self.lines {
            out.push_str(&format!(
                "{:<width$} {}\n",
                format!("{k}:"),
                style.paint(v, *tone)
            ));
        }
        if self.problems.is_empty() {
            out.push_str(&style.paint(
                &format!("OK: {subject} works (checked with {requests}).\n"),
                Tone::Good,
            ));
        } else {
            out.push_str(&style.paint(
                &format!(
                    "Not OK: {} (checked with {requests}).\n",
                    Count("problem", self.problems.len())
                ),
                Tone::Bad,
            ));
        }
        crate::commands::print(&out);
        if self.problems.is_empty() {
            return Ok(());
        }
        for p in &self.problems {
            crate::commands::say(p);
        }
        Err(Error::Reported)
    }
}

/// `N request(s)` and what follows it in the closing line.
pub(super) fn requests_text(requests: u64, then: &str) -> String {
    format!("{}{then}", Count("request", requests))
}

/// The status and ` (GitHub's message)` of a refusal.
pub(super) fn refusal(e: &ApiError) -> (u16, String) {
    let message = e
        .server_message()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    (e.refused_status().unwrap_or_default(), message)
}

/// No answer came (or one not understood): the fix is the network or the URL.
pub(super) fn network(e: ApiError) -> String {
    let fix = crate::commands::words::unanswered_fix(&e);
    format!("{e}\n  fix: {fix}")
}
