//! [`Policy`]: the tuning of one client's retries, rate-limit waits, deadlines and clock.

use std::time::Duration;

use crate::pacing::Clock;

/// The most of a response body that is read: GitHub's answers here are a few KiB; a bigger one
/// is refused rather than held in memory.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Tuning of retries and waits. Writes are paced by GitHub's rules ([`crate::pacing::GITHUB`]),
/// which no policy changes.
#[derive(Clone, Debug)]
pub struct Policy {
    /// Attempts for one request when it fails with 5xx, a reset or a timeout.
    pub attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The most the whole run may spend waiting on rate limits.
    pub max_rate_limit_wait: Duration,
    /// One request's deadline.
    pub request_timeout: Duration,
    /// GitHub's clock as the run keeps it: real time, except in test builds (feature
    /// `scaled-clock`), where every wait can be made shorter in proportion.
    pub clock: Clock,
    /// The most of one response body that is read.
    pub max_body_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            clock: Clock::REAL,
            max_body_bytes: MAX_BODY_BYTES,
        }
    }
}

impl Policy {
    /// The default policy; in a test build (feature `scaled-clock`) with the test knobs of
    /// [`crate::pacing::clock`]: the clock's scale and one request's deadline. A release build
    /// reads neither.
    pub fn from_env() -> Self {
        Policy {
            clock: Clock::of_run(),
            request_timeout: crate::pacing::clock::request_timeout_of_run()
                .unwrap_or(Policy::default().request_timeout),
            ..Policy::default()
        }
    }

    /// How long to sleep for `d` of GitHub's time ([`Policy::clock`]).
    pub(super) fn scaled(&self, d: Duration) -> Duration {
        self.clock.real(d)
    }
}
