//! [`Policy`]: the tuning of one client's retries, rate-limit waits, deadlines and pacing.

use std::time::Duration;

use crate::pacing::{Window, GITHUB_WINDOWS};

/// The most of a response body that is read: GitHub's answers here are a few KiB; a bigger one
/// is refused rather than held in memory.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Tuning of retries and pacing. `time_scale` multiplies every wait: 1.0 unless a test shrinks
/// it (most integration steps run with 0.001, every wait a thousandth as long).
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
    /// Content-creating requests allowed in each rolling window, all held at once (GitHub's
    /// minute and hour limits, with margins: [`GITHUB_WINDOWS`]).
    pub write_windows: Vec<Window>,
    pub time_scale: f64,
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
            // GitHub allows 80 content-creating requests a minute and 500 an hour; stay below
            // both (the margins are explained at GITHUB_WINDOWS).
            write_windows: GITHUB_WINDOWS.to_vec(),
            time_scale: 1.0,
            max_body_bytes: MAX_BODY_BYTES,
        }
    }
}

impl Policy {
    /// The default policy, with hidden test knobs from the environment:
    /// `SECRET_REFRESH_TIME_SCALE` (a factor applied to every wait) and
    /// `SECRET_REFRESH_REQUEST_TIMEOUT_MS`.
    pub fn from_env() -> Self {
        let mut p = Policy::default();
        if let Some(scale) = crate::env::var("SECRET_REFRESH_TIME_SCALE")
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1.0)
        {
            p.time_scale = scale;
        }
        if let Some(ms) =
            crate::env::var("SECRET_REFRESH_REQUEST_TIMEOUT_MS").and_then(|s| s.parse::<u64>().ok())
        {
            p.request_timeout = Duration::from_millis(ms.max(1));
        }
        p
    }

    /// `d` at this policy's speed ([`Policy::time_scale`]).
    pub(super) fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.time_scale)
    }
}
