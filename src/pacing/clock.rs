//! GitHub's clock as a run keeps it, and the only test knobs that change waits.
//!
//! A release build keeps real time, always. Tests and benchmarks need GitHub's minute and hour
//! in seconds, so the cargo feature `scaled-clock` adds a scaled clock: every wait the run
//! makes (the pause between writes, the minute and hour windows, `retry-after`, backoff) is
//! multiplied by `SECRET_REFRESH_TIME_SCALE`, consistently, and each request's deadline can be
//! set with `SECRET_REFRESH_REQUEST_TIMEOUT_MS`. Without the feature neither variable is read,
//! nor is its name in the binary (`.ci/test` checks the static release binary for both): an
//! earlier step of a workflow can set variables for ours through `$GITHUB_ENV` without holding
//! the token, and must not be able to turn pacing or waits off that way.
//!
//! The feature is on in every test and bench build (Cargo.toml's dev-dependency on the crate
//! itself turns it on, so plain `cargo test` has it) and off in everything built to ship:
//! `cargo build --release` (the `Dockerfile`, the release workflow, `.ci/package`'s input) never
//! builds dev-dependencies.

use std::time::Duration;

/// How a run's waits relate to GitHub's time: real seconds per GitHub second. Always 1 in a
/// release build.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    scale: f64,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::REAL
    }
}

/// The test knob for the clock (feature `scaled-clock` only).
#[cfg(feature = "scaled-clock")]
const TIME_SCALE: &str = "SECRET_REFRESH_TIME_SCALE";
/// The test knob for one request's deadline (feature `scaled-clock` only).
#[cfg(feature = "scaled-clock")]
const REQUEST_TIMEOUT_MS: &str = "SECRET_REFRESH_REQUEST_TIMEOUT_MS";

impl Clock {
    /// Real time: a GitHub second lasts a second.
    pub const REAL: Clock = Clock { scale: 1.0 };

    /// Time run faster: a GitHub second lasts `scale` real seconds (0: waits take no time,
    /// for tests of waits' arithmetic alone). Tests and benchmarks only.
    #[cfg(any(test, feature = "scaled-clock"))]
    pub fn scaled(scale: f64) -> Clock {
        Clock {
            scale: if scale.is_finite() {
                scale.clamp(0.0, 1.0)
            } else {
                1.0
            },
        }
    }

    /// The run's clock: real time, or with the feature `scaled-clock` the scale in
    /// `SECRET_REFRESH_TIME_SCALE` (a number in (0, 1]; anything else is ignored).
    pub fn of_run() -> Clock {
        #[cfg(feature = "scaled-clock")]
        if let Some(scale) = crate::env::var(TIME_SCALE)
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1.0)
        {
            return Clock { scale };
        }
        Clock::REAL
    }

    /// How long to sleep for `github` of GitHub's time.
    pub fn real(self, github: Duration) -> Duration {
        if self.scale == 1.0 {
            return github;
        }
        Duration::try_from_secs_f64(github.as_secs_f64() * self.scale).unwrap_or(Duration::MAX)
    }

    /// `real` elapsed time as GitHub's; `None` on a clock scaled to nothing (no time passes
    /// for GitHub: nothing is paced).
    pub fn github(self, real: Duration) -> Option<Duration> {
        if self.scale == 1.0 {
            return Some(real);
        }
        (self.scale > 0.0)
            .then(|| Duration::try_from_secs_f64(real.as_secs_f64() / self.scale).ok())
            .flatten()
    }
}

/// One request's deadline set by `SECRET_REFRESH_REQUEST_TIMEOUT_MS` (feature `scaled-clock`
/// only; `None` without it, whatever the environment holds).
pub fn request_timeout_of_run() -> Option<Duration> {
    #[cfg(feature = "scaled-clock")]
    if let Some(ms) = crate::env::var(REQUEST_TIMEOUT_MS).and_then(|s| s.parse::<u64>().ok()) {
        return Some(Duration::from_millis(ms.max(1)));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_env<R>(pairs: &[(&str, &str)], f: impl FnOnce() -> R) -> R {
        let _scope = crate::env::Scope::bind(
            crate::env::Env::from_pairs(pairs.iter().copied()),
            Box::new(Vec::new()),
            Box::new(Vec::new()),
        );
        f()
    }

    #[test]
    fn real_time_is_unchanged_both_ways() {
        let d = Duration::from_millis(1234);
        assert_eq!(Clock::REAL.real(d), d);
        assert_eq!(Clock::REAL.github(d), Some(d));
        assert_eq!(Clock::REAL.real(Duration::MAX), Duration::MAX);
    }

    #[test]
    fn a_scaled_clock_scales_every_wait_alike() {
        let c = Clock::scaled(0.01);
        assert_eq!(c.real(Duration::from_secs(1)), Duration::from_millis(10));
        assert_eq!(c.real(Duration::from_secs(3600)), Duration::from_secs(36));
        assert_eq!(
            c.github(Duration::from_secs(36)),
            Some(Duration::from_secs(3600))
        );
        let none = Clock::scaled(0.0);
        assert_eq!(none.real(Duration::from_secs(3600)), Duration::ZERO);
        assert_eq!(none.github(Duration::from_secs(1)), None);
        assert_eq!(Clock::scaled(f64::NAN), Clock::REAL);
        assert_eq!(
            Clock::scaled(7.0),
            Clock::REAL,
            "never slower than real time"
        );
    }

    /// With the feature (every test build has it), the variables set the clock and the
    /// deadline, within bounds. That a build without it ignores them is proved on the static
    /// release binary itself (`tests/release_binary.rs`, run by `.ci/test`): no test build can
    /// be without the feature.
    #[cfg(feature = "scaled-clock")]
    #[test]
    fn the_knobs_are_read_with_the_feature() {
        let (clock, timeout) = with_env(
            &[(TIME_SCALE, "0.001"), (REQUEST_TIMEOUT_MS, "250")],
            || (Clock::of_run(), request_timeout_of_run()),
        );
        assert_eq!(clock, Clock::scaled(0.001));
        assert_eq!(timeout, Some(Duration::from_millis(250)));
        for bad in ["0", "-1", "2", "NaN", "inf", "x"] {
            assert_eq!(
                with_env(&[(TIME_SCALE, bad)], Clock::of_run),
                Clock::REAL,
                "{bad}"
            );
        }
        assert_eq!(
            with_env(&[(REQUEST_TIMEOUT_MS, "0")], request_timeout_of_run),
            Some(Duration::from_millis(1))
        );
    }
}
