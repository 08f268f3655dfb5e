//! The pacer without a clock: when the next content-creating request may go under [`Rules`],
//! given when the earlier ones were answered, and the same schedule run forward as an estimate.
//!
//! Every call is told `now`, a [`Duration`] on GitHub's clock (the live pacer's, see
//! [`super::Pacing`]), so the arithmetic is tested with an injected clock and no sleeping.
//!
//! The schedule from a standing start, each write answered `r` after it is sent, is
//!
//! ```text
//! F(n, r) = ⌊(n − 1) / 500⌋ × (3600 s + r)  +  ((n − 1) mod 500) × (1 s + r)  +  r
//! ```
//!
//! for `n ≥ 1` writes (and `r` under 6 s, so that 500 writes fit in the hour): a write a second
//! after the previous answer, 500 of them, then the 501st an hour after the first one's
//! answer, and so on. With `r = 0` it is the least time any client that keeps GitHub's rules
//! can take (`F(1000, 0)` = 4,099 s, 68 min); [`Pacer::eta`] is that schedule, simulated, and
//! a test holds it equal to the formula.

use std::collections::VecDeque;
use std::time::Duration;

use super::rules::{Rules, GITHUB};

/// The writes answered recently, and the round trips measured so far.
#[derive(Clone, Debug)]
pub struct Pacer {
    rules: Rules,
    /// When each recent write was answered (the latest it can have reached GitHub), oldest
    /// first; only as many as the largest window holds.
    answered: VecDeque<Duration>,
    /// Round trips measured (count, total), for the estimate's time per write.
    round_trips: (u32, Duration),
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(GITHUB)
    }
}

impl Pacer {
    /// A pacer keeping `rules` (a window's limit of 0 is taken as 1: a window that lets nothing
    /// through would wait forever).
    pub fn new(rules: Rules) -> Self {
        Pacer {
            rules,
            answered: VecDeque::new(),
            round_trips: (0, Duration::ZERO),
        }
    }

    pub fn rules(&self) -> Rules {
        self.rules
    }

    /// How long from `now` until the next write may be sent: zero when it may go now. It waits
    /// for the pause after the last answer, and for every full window to let its oldest write
    /// out, counting each write from its answer.
    pub fn wait(&self, now: Duration) -> Duration {
        let Some(last) = self.answered.back() else {
            return Duration::ZERO;
        };
        let mut ready = last.saturating_add(self.rules.pause);
        for w in self.rules.windows {
            // The write `limit` places from the newest: while it is inside the window, one
            // more would make `limit + 1`.
            let leaving = self
                .answered
                .len()
                .checked_sub(w.limit.max(1))
                .and_then(|i| self.answered.get(i));
            if let Some(leaving) = leaving {
                ready = ready.max(leaving.saturating_add(w.length));
            }
        }
        ready.saturating_sub(now)
    }

    /// Counts a write answered (or given up on) at `at`. Times never go backwards: an earlier
    /// `at` is taken as the latest one seen.
    pub fn record(&mut self, at: Duration) {
        let at = self.answered.back().map_or(at, |last| at.max(*last));
        self.answered.push_back(at);
        while self.answered.len() > self.rules.memory().max(1) {
            self.answered.pop_front();
        }
    }

    /// One request's round trip, measured (for the estimate).
    pub fn observe_round_trip(&mut self, took: Duration) {
        let (n, total) = self.round_trips;
        self.round_trips = (n.saturating_add(1), total.saturating_add(took));
    }

    /// The mean round trip measured so far (zero before any).
    pub fn mean_round_trip(&self) -> Duration {
        match self.round_trips {
            (0, _) => Duration::ZERO,
            (n, total) => total / n,
        }
    }

    /// How long from `now` until `writes` more writes are answered, each sent as soon as the
    /// rules allow and answered `per_write` later (writes are serial): the pacer's own
    /// schedule, simulated from what it already holds.
    pub fn eta(&self, now: Duration, writes: usize, per_write: Duration) -> Duration {
        let mut sim = self.clone();
        let mut t = now;
        for _ in 0..writes {
            t = t.saturating_add(sim.wait(t)).saturating_add(per_write);
            sim.record(t);
        }
        t.saturating_sub(now)
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
