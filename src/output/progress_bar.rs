//! The terminal progress bar ([`ProgressBar`]) drawn on standard error while a command writes.
//! It draws through the output layer ([`Stderr`]: every line redacted like any other text),
//! never to the process's standard error directly.

use super::escape::clean;
use crate::env::Which;

/// Standard error as the bound run sees it, for indicatif: each text through
/// [`super::sink::write`]. The width is the terminal's.
#[derive(Debug)]
struct Stderr;

impl Stderr {
    fn put(&self, text: &str) -> std::io::Result<()> {
        super::sink::write(Which::Err, text);
        Ok(())
    }

    fn cursor(&self, n: usize, code: char) -> std::io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.put(&format!("\x1b[{n}{code}"))
    }
}

impl indicatif::TermLike for Stderr {
    fn width(&self) -> u16 {
        console::Term::stderr().size().1
    }

    fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
        self.cursor(n, 'D')
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.put(&format!("{s}\n"))
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.put(s)
    }

    fn clear_line(&self) -> std::io::Result<()> {
        self.put("\r\x1b[2K")
    }

    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A progress bar on standard error, drawn only when standard error is a terminal (never in a
/// pipe, a log or a runner), with room for an estimate after the count ([`ProgressBar::set_eta`]:
/// the caller's, from the pacer). Its message goes through [`clean`] like every text.
pub struct ProgressBar {
    bar: Option<indicatif::ProgressBar>,
}

impl ProgressBar {
    /// `total` steps of `unit` (`writes`), shown when `show` and standard error is a terminal.
    pub fn new(total: u64, unit: &str, show: bool) -> Self {
        if !show || !crate::env::is_terminal(crate::env::Which::Err) {
            return Self { bar: None };
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::term_like(Box::new(Stderr)),
        );
        let template = format!("{{bar:30}} {{pos}}/{{len}} {unit}{{prefix}}  {{msg}}");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Self { bar: Some(bar) }
    }

    /// Whether the bar is drawn (an estimate is worth computing).
    pub fn shown(&self) -> bool {
        self.bar.is_some()
    }

    /// One step done; `message` says which. Returns the steps left.
    pub fn step(&self, message: &str) -> u64 {
        let Some(b) = &self.bar else {
            return 0;
        };
        b.set_message(clean(message, false));
        b.inc(1);
        b.length().unwrap_or(0).saturating_sub(b.position())
    }

    /// The estimate shown after the count (`, about 6 min left`).
    pub fn set_eta(&self, text: &str) {
        if let Some(b) = &self.bar {
            b.set_prefix(clean(text, false));
        }
    }

    /// Removes the bar: what follows is the report.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
