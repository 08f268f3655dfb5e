//! The terminal progress bar ([`ProgressBar`]) drawn on standard error while a command writes.

use super::escape::clean;

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
            indicatif::ProgressDrawTarget::stderr(),
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
