//! What a command shows while the engine writes, for `set` and `rotate` alike: before the first
//! write, a note when the writes will outlast an hour under GitHub's limits (from the pacer's
//! floor, [`crate::report::long_run`]); then, on a terminal, a progress bar
//! ([`crate::output::progress_bar::ProgressBar`]) whose ETA is the pacer's: the schedule the
//! writes left will keep under GitHub's limits, not an average of the writes so far (which says
//! nothing of the hour window until a run is in it).

use crate::engine::WriteProgress;
use crate::pacing::Pacing;

/// From this many targets on, a progress bar is drawn (on a terminal).
const PROGRESS_FROM_TARGETS: usize = 5;

/// Watches the engine's progress: [`Paced::observe`] is its `observe` callback.
pub(super) struct Paced {
    show: bool,
    app: bool,
    bar: Option<(crate::output::progress_bar::ProgressBar, Pacing)>,
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

    pub(super) fn observe(&mut self, p: WriteProgress<'_>) {
        match p {
            WriteProgress::Planned { writes, pacing, .. } => {
                if let Some((title, message)) =
                    crate::report::long_run(writes, pacing.floor(writes), false, self.app)
                {
                    crate::output::reporter::Reporter::stdio(super::options::human_mode())
                        .notice(title, &message);
                }
                let bar = crate::output::progress_bar::ProgressBar::new(
                    writes as u64,
                    "writes",
                    self.show,
                );
                bar.set_eta(&eta_text(&pacing, writes));
                self.bar = Some((bar, pacing));
            }
            WriteProgress::Done(row) => {
                if let Some((bar, pacing)) = &self.bar {
                    let left = bar.step(&row.target);
                    if bar.shown() {
                        bar.set_eta(&eta_text(
                            pacing,
                            usize::try_from(left).unwrap_or(usize::MAX),
                        ));
                    }
                }
            }
        }
    }

    /// Removes the bar: what follows is the report.
    pub(super) fn finish(&self) {
        if let Some((bar, _)) = &self.bar {
            bar.finish();
        }
    }
}

/// `, about 6 min left`, the pacer's estimate for `writes_left`, once a round trip has been
/// measured (before, the pacing alone would say a small job takes no time); empty when nothing
/// is left.
fn eta_text(pacing: &Pacing, writes_left: usize) -> String {
    if writes_left == 0 || !pacing.measured() {
        return String::new();
    }
    format!(
        ", about {} left",
        crate::report::approx_duration(pacing.eta(writes_left))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_eta_is_the_pacers_schedule() {
        use crate::pacing::{Clock, Pacing, GITHUB};
        use std::time::Duration;
        let pacing = Pacing::new(GITHUB, Clock::REAL);
        // Nothing measured yet: no estimate rather than "no time".
        assert_eq!(eta_text(&pacing, 501), "");
        pacing.observe_round_trip(Duration::from_millis(200));
        // 501 writes, each answered 200 ms after it goes and followed a second later by the
        // next: an average rate would say 501 × 1.2 s (10 min); the pacer knows the 501st waits
        // for the hour window (an hour after the first one's answer).
        assert_eq!(eta_text(&pacing, 501), ", about 1 h 1 min left");
        assert_eq!(eta_text(&pacing, 10), ", about 11 s left");
        assert_eq!(eta_text(&pacing, 0), "");
    }
}
