//! What a command shows while the engine writes, for `set` and `rotate` alike: before the first
//! write, a note when the writes will outlast an hour under GitHub's limits (from the pacer's
//! floor, [`crate::report::long_run`]); then, on a terminal, a progress bar whose ETA is the
//! pacer's ([`crate::output::Progress`]).

use crate::engine::Progress;

/// From this many targets on, a progress bar is drawn (on a terminal).
const PROGRESS_FROM_TARGETS: usize = 5;

/// Watches the engine's progress: [`Paced::observe`] is its `observe` callback.
pub(super) struct Paced {
    show: bool,
    app: bool,
    bar: Option<crate::output::Progress>,
}

impl Paced {
    /// For a run over `targets` targets; `app`: it authenticates as a GitHub App, whose
    /// installation token lives an hour (the long-run note says so).
    pub(super) fn new(targets: usize, app: bool) -> Self {
        Paced {
            show: targets >= PROGRESS_FROM_TARGETS,
            app,
            bar: None,
        }
    }

    pub(super) fn observe(&mut self, p: Progress<'_>) {
        match p {
            Progress::Planned { writes, pacing, .. } => {
                if let Some((title, message)) =
                    crate::report::long_run(writes, pacing.floor(writes), false, self.app)
                {
                    crate::output::Reporter::stdio(super::options::human_mode())
                        .notice(title, &message);
                }
                self.bar = Some(crate::output::Progress::new(
                    writes as u64,
                    "writes",
                    self.show,
                    pacing,
                ));
            }
            Progress::Done(row) => {
                if let Some(b) = &self.bar {
                    b.step(&row.target);
                }
            }
        }
    }

    /// Removes the bar: what follows is the report.
    pub(super) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish();
        }
    }
}
