//! Pacing of content-creating requests under GitHub's secondary rate limits, and the estimate
//! of how long a number of writes will take under it.
//!
//! GitHub documents two secondary limits on content-creating requests (PUT, POST, PATCH,
//! DELETE): **80 a minute and 500 an hour**. Both are rolling windows, and a request beyond
//! either is answered 403 "secondary rate limit" with a `retry-after` that can be minutes. The
//! pacer holds every window at once: one more write is let through only when each window has
//! room, and it waits exactly until the first window that is full frees a slot. Below the
//! limits it never waits, so a small job is as fast as its requests.
//!
//! The pacer knows no clock: every call is told `now`, a [`Duration`] on the caller's clock
//! (the client's: GitHub time since it was made, see [`super::Policy`]), so its arithmetic is
//! tested with an injected clock and no sleeping.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most `limit` writes in any rolling `length`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub limit: usize,
    pub length: Duration,
}

/// GitHub's documented secondary limits, less margins: 72 a minute (of 80) and 450 an hour (of
/// 500), each 10 % under. The margins leave room for what the pacer cannot see or time exactly:
/// - the pacer stamps a write when it leaves; GitHub counts it when it arrives, so at a window's
///   edge the two clocks disagree by the request's transit (and a retry after a timeout may
///   count twice on GitHub's side while we counted the attempt once per try);
/// - the same account's other content-creating requests in the same window: another job or
///   `gh` with the same token, the workflow's own steps, or another secret-refresh run;
/// - GitHub says the limits may change without notice and that it may count some requests as
///   more than one; 10 % absorbs a small tightening.
///
/// The cost is 10 % of throughput, paid only by jobs large enough to reach a window; a secondary
/// limit answer would cost far more (`retry-after` is commonly 60 s, and GitHub may block the
/// integration for longer after repeated violations).
pub const GITHUB_WINDOWS: [Window; 2] = [
    Window {
        limit: 72,
        length: Duration::from_secs(60),
    },
    Window {
        limit: 450,
        length: Duration::from_secs(3600),
    },
];

/// From this estimate on, a job is announced before it writes: it will outlast an hour (and so
/// most `timeout-minutes` settings, and a GitHub App installation token's life).
pub const LONG_RUN: Duration = Duration::from_secs(3600);

/// The writes sent within the longest window, and the round trips measured so far.
#[derive(Clone, Debug)]
pub struct Pacer {
    windows: Vec<Window>,
    /// When each recent write was let through, oldest first.
    sent: VecDeque<Duration>,
    /// Round trips measured (count, total), for the estimate's per-request time.
    round_trips: (u32, Duration),
}

impl Default for Pacer {
    fn default() -> Self {
        Pacer::new(&GITHUB_WINDOWS)
    }
}

impl Pacer {
    /// A pacer holding every window in `windows` (a limit of 0 is taken as 1: a window that
    /// lets nothing through would wait forever).
    pub fn new(windows: &[Window]) -> Self {
        Pacer {
            windows: windows
                .iter()
                .map(|w| Window {
                    limit: w.limit.max(1),
                    length: w.length,
                })
                .collect(),
            sent: VecDeque::new(),
            round_trips: (0, Duration::ZERO),
        }
    }

    pub fn windows(&self) -> &[Window] {
        &self.windows
    }

    /// How long from `now` until one more write fits in every window: zero when it fits now.
    pub fn wait(&mut self, now: Duration) -> Duration {
        self.forget(now);
        self.windows
            .iter()
            .map(|w| {
                // The writes inside this window are the newest ones: those less than `length`
                // before now.
                let inside = self
                    .sent
                    .iter()
                    .rev()
                    .take_while(|t| now.saturating_sub(**t) < w.length)
                    .count();
                if inside < w.limit {
                    return Duration::ZERO;
                }
                // Room comes when the write `limit` places from the newest leaves the window.
                self.sent
                    .get(self.sent.len() - w.limit)
                    .map(|leaving| leaving.saturating_add(w.length).saturating_sub(now))
                    .unwrap_or_default()
            })
            .max()
            .unwrap_or_default()
    }

    /// Counts a write let through at `now` (times never go backwards: an earlier `now` is
    /// taken as the latest one seen).
    pub fn record(&mut self, now: Duration) {
        let now = self.sent.back().map_or(now, |last| now.max(*last));
        self.sent.push_back(now);
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

    /// How long from `now` until `writes` more writes are done, each let through as soon as
    /// the windows allow and then taking `per_write` (its round trip; writes are serial). The
    /// pacer's own schedule, simulated: what it will do, not an average rate.
    pub fn eta(&self, now: Duration, writes: usize, per_write: Duration) -> Duration {
        let mut sim = self.clone();
        let mut t = now;
        for _ in 0..writes {
            t = t.saturating_add(sim.wait(t));
            sim.record(t);
            t = t.saturating_add(per_write);
        }
        t.saturating_sub(now)
    }

    /// Drops writes older than the longest window: they can hold nothing back any more.
    fn forget(&mut self, now: Duration) {
        let longest = self
            .windows
            .iter()
            .map(|w| w.length)
            .max()
            .unwrap_or_default();
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= longest)
        {
            self.sent.pop_front();
        }
    }
}

/// A pacer on a clock, shared: the client paces its writes through it, and whoever shows their
/// progress asks it for estimates. Cheap to clone (clones share the pacer).
///
/// Its clock is GitHub time since it was made: real time divided by the time scale
/// (`SECRET_REFRESH_TIME_SCALE`), so the windows are always GitHub's minute and hour while a
/// scaled run waits in proportion, and the estimates are what the same job would take on
/// GitHub.
#[derive(Clone, Debug)]
pub struct Pacing {
    pacer: Arc<Mutex<Pacer>>,
    born: Instant,
    time_scale: f64,
}

impl Pacing {
    pub fn new(windows: &[Window], time_scale: f64) -> Self {
        Pacing {
            pacer: Arc::new(Mutex::new(Pacer::new(windows))),
            born: Instant::now(),
            time_scale,
        }
    }

    /// Real time as GitHub time (`None` when time is scaled to nothing: waits take no time).
    fn unscaled(&self, real: Duration) -> Option<Duration> {
        (self.time_scale > 0.0)
            .then(|| Duration::try_from_secs_f64(real.as_secs_f64() / self.time_scale).ok())
            .flatten()
    }

    /// For one more write: `None` when it may go now (it is counted), else how long to wait in
    /// real time before asking again. A scale of 0 paces nothing.
    pub fn admit(&self) -> Option<Duration> {
        let now = self.unscaled(self.born.elapsed())?;
        let mut pacer = self.pacer.lock().ok()?;
        let wait = pacer.wait(now);
        if wait.is_zero() {
            pacer.record(now);
            return None;
        }
        Some(wait.mul_f64(self.time_scale))
    }

    /// One request's round trip in real time, for the estimate.
    pub fn observe_round_trip(&self, real: Duration) {
        if let (Some(took), Ok(mut pacer)) = (self.unscaled(real), self.pacer.lock()) {
            pacer.observe_round_trip(took);
        }
    }

    /// How long `writes` more writes will take from now, on GitHub's clock: the pacer's
    /// schedule given what it already let through, each write taking the mean round trip
    /// measured so far (none measured: the pacing alone).
    pub fn eta(&self, writes: usize) -> Duration {
        self.estimate(writes, true)
    }

    /// The least time `writes` more writes take from now: the pacing alone, round trips not
    /// counted. It depends on nothing measured, so what is said from it (that a run will
    /// outlast an hour) is the same on every run.
    pub fn floor(&self, writes: usize) -> Duration {
        self.estimate(writes, false)
    }

    /// Whether a round trip has been measured yet (before one, [`Pacing::eta`] is the floor).
    pub fn measured(&self) -> bool {
        self.pacer
            .lock()
            .is_ok_and(|p| !p.mean_round_trip().is_zero())
    }

    fn estimate(&self, writes: usize, round_trips: bool) -> Duration {
        let now = self.unscaled(self.born.elapsed()).unwrap_or_default();
        let Ok(pacer) = self.pacer.lock() else {
            return Duration::ZERO;
        };
        let per_write = if round_trips {
            pacer.mean_round_trip()
        } else {
            Duration::ZERO
        };
        pacer.eta(now, writes, per_write)
    }
}

/// The least time `writes` writes take under GitHub's limits from a standing start, their round
/// trips not counted: for a plan made before any client exists (a dry run).
pub fn floor(writes: usize) -> Duration {
    Pacer::default().eta(Duration::ZERO, writes, Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Lets `n` writes through, each as soon as the pacer allows starting from `t` and then
    /// `gap` later; returns the times they went.
    fn drive(p: &mut Pacer, mut t: Duration, n: usize, gap: Duration) -> Vec<Duration> {
        let mut at = Vec::with_capacity(n);
        for _ in 0..n {
            t += p.wait(t);
            p.record(t);
            at.push(t);
            t += gap;
        }
        at
    }

    /// The most writes of `at` inside any rolling `length`.
    fn densest(at: &[Duration], length: Duration) -> usize {
        (0..at.len())
            .map(|i| at[i..].iter().take_while(|t| **t - at[i] < length).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn below_the_limits_nothing_waits() {
        let mut p = Pacer::default();
        let at = drive(&mut p, S(0), 72, Duration::ZERO);
        assert!(at.iter().all(|t| *t == S(0)), "72 writes go at once");
        assert_eq!(p.eta(S(0), 0, ms(300)), Duration::ZERO);
        // A small job's estimate is its round trips alone.
        assert_eq!(Pacer::default().eta(S(0), 10, ms(300)), S(3));
    }

    #[test]
    fn the_minute_window_holds_72() {
        let mut p = Pacer::default();
        drive(&mut p, S(0), 72, Duration::ZERO);
        assert_eq!(p.wait(S(0)), S(60));
        assert_eq!(p.wait(S(59)), S(1));
        assert_eq!(p.wait(S(60)), Duration::ZERO);
        // Writes spread out: the 73rd waits for the first to be a minute old.
        let mut p = Pacer::default();
        let at = drive(&mut p, S(0), 73, ms(500));
        assert_eq!(at[72], S(60));
        assert_eq!(densest(&at, S(60)), 72);
    }

    #[test]
    fn the_hour_window_holds_450() {
        let mut p = Pacer::default();
        let at = drive(&mut p, S(0), 1000, Duration::ZERO);
        assert_eq!(densest(&at, S(60)), 72);
        assert_eq!(densest(&at, S(3600)), 450);
        // 450 go in the first hour, in bursts of 72 a minute: the last at minute 6.
        assert_eq!(at[449], S(360));
        // The 451st waits for the first to be an hour old, not for a minute.
        assert_eq!(at[450], S(3600));
        assert_eq!(at[999], S(7200 + 60));
    }

    #[test]
    fn after_a_wait_every_window_has_room() {
        // The minute window frees first but the hour window is still full: the wait is the
        // longer of the two.
        let mut p = Pacer::default();
        for i in 0..450u64 {
            p.record(ms(i * 1000)); // one a second: the minute window holds 60 of them
        }
        let now = S(450);
        assert_eq!(p.wait(now), S(3600) - now);
        let mut p2 = p.clone();
        let then = now + p.wait(now);
        assert_eq!(p2.wait(then), Duration::ZERO);
        p2.record(then);
        assert_eq!(
            p2.wait(then),
            S(1),
            "the next waits for the second write to age out"
        );
    }

    #[test]
    fn any_clock_any_round_trip_stays_within_both_windows() {
        // Uneven round trips, including ones longer than a window: never over either limit.
        for gap_ms in [0, 7, 830, 7_300, 61_000] {
            let mut p = Pacer::default();
            let at = drive(&mut p, S(5), 1200, ms(gap_ms));
            assert!(densest(&at, S(60)) <= 72, "gap {gap_ms} ms");
            assert!(densest(&at, S(3600)) <= 450, "gap {gap_ms} ms");
            assert!(at.windows(2).all(|w| w[0] <= w[1]));
        }
    }

    #[test]
    fn the_estimate_is_the_schedule_the_pacer_keeps() {
        for (n, gap) in [
            (0, ms(0)),
            (5, ms(200)),
            (100, ms(50)),
            (451, ms(0)),
            (1000, ms(250)),
        ] {
            let estimate = Pacer::default().eta(S(10), n, gap);
            let mut p = Pacer::default();
            let at = drive(&mut p, S(10), n, gap);
            let done = at.last().map_or(S(10), |t| *t + gap);
            assert_eq!(estimate, done - S(10), "{n} writes, {gap:?} each");
        }
        // It starts from what was already sent: a full minute makes the next write wait.
        let mut p = Pacer::default();
        drive(&mut p, S(0), 72, Duration::ZERO);
        assert_eq!(p.eta(S(30), 1, Duration::ZERO), S(30));
        // The estimate changes nothing.
        assert_eq!(p.wait(S(30)), S(30));
    }

    #[test]
    fn more_than_450_writes_need_more_than_an_hour() {
        assert!(floor(450) < LONG_RUN);
        assert!(floor(451) >= LONG_RUN);
        assert_eq!(floor(0), Duration::ZERO);
        assert_eq!(floor(72), Duration::ZERO);
        assert_eq!(floor(73), S(60));
        assert_eq!(floor(1000), S(7260));
    }

    #[test]
    fn round_trips_average() {
        let mut p = Pacer::default();
        assert_eq!(p.mean_round_trip(), Duration::ZERO);
        p.observe_round_trip(ms(100));
        p.observe_round_trip(ms(300));
        assert_eq!(p.mean_round_trip(), ms(200));
    }

    #[test]
    fn a_window_of_zero_lets_one_through() {
        let mut p = Pacer::new(&[Window {
            limit: 0,
            length: S(10),
        }]);
        assert_eq!(p.wait(S(0)), Duration::ZERO);
        p.record(S(0));
        assert_eq!(p.wait(S(0)), S(10));
    }

    #[test]
    fn a_clock_that_goes_back_never_underflows() {
        let mut p = Pacer::default();
        p.record(S(100));
        p.record(S(50));
        assert_eq!(p.wait(S(10)), Duration::ZERO);
        assert_eq!(p.eta(Duration::MAX, 3, Duration::MAX), Duration::ZERO);
    }

    #[test]
    fn shared_pacing_counts_on_github_time() {
        let hour = [Window {
            limit: 2,
            length: S(3600),
        }];
        // At half speed a GitHub hour lasts half an hour of real time (and no test sleeps it).
        let pacing = Pacing::new(&hour, 0.5);
        let estimates = pacing.clone();
        assert_eq!(pacing.admit(), None);
        assert_eq!(pacing.admit(), None);
        let wait = pacing.admit().expect("the window is full");
        assert!(wait > S(1790) && wait <= S(1800), "{wait:?}");
        // The clone sees the same writes; its estimates are GitHub time, unscaled.
        let floor = estimates.floor(1);
        assert!(floor > S(3590) && floor <= S(3600), "{floor:?}");
        // (The clock runs between calls: a later estimate is a little shorter.)
        assert!(!estimates.measured());
        let eta = estimates.eta(1);
        assert!(eta <= floor && eta > S(3590), "{eta:?}");
        pacing.observe_round_trip(S(1)); // two GitHub seconds
        assert!(estimates.measured());
        let eta = estimates.eta(1);
        assert!(eta >= floor + S(1) && eta <= floor + S(2), "{eta:?}");
        // Nothing is paced when time is scaled to nothing.
        let unpaced = Pacing::new(&GITHUB_WINDOWS, 0.0);
        assert!((0..1000).all(|_| unpaced.admit().is_none()));
    }
}
