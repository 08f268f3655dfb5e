//! What a failed or rate-limited attempt waits before the next: exponential backoff with
//! jitter for 5xx answers and failed connections, and rate-limit waits in GitHub's documented
//! order ([`RateLimit`]) within the run's budget, reported as they really passed.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use http::StatusCode;

use super::{header, Client};
use crate::github::answer::Answer;
use crate::github::error::ApiError;

impl Client {
    pub(super) async fn backoff(&self, attempt: u32) {
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        let exp = self
            .policy
            .backoff_base
            .saturating_mul(1 << (attempt - 1).min(10))
            .min(self.policy.backoff_max);
        // Full jitter between half and all of the exponential step.
        let jittered = exp.mul_f64(0.5 + rand::random::<f64>() * 0.5);
        tokio::time::sleep(self.policy.scaled(jittered)).await;
    }

    /// Waits `wait` within the run's budget for rate-limit waits; `stoppable`: a signal ends
    /// the wait (the request is then not sent again).
    pub(super) async fn wait_for_rate_limit(
        &self,
        wait: Duration,
        stoppable: bool,
    ) -> Result<(), ApiError> {
        let budget = self.policy.max_rate_limit_wait;
        // At least a second per answer, so a `retry-after: 0` loop still spends the budget.
        let wait = wait.max(Duration::from_secs(1));
        {
            let mut waited = self.waited.lock().unwrap_or_else(|e| e.into_inner());
            // Saturating: a server may ask for u64::MAX seconds after an earlier wait.
            if waited.saturating_add(wait) > budget {
                return Err(ApiError::RateLimited {
                    asked_secs: wait.as_secs(),
                    waited_secs: waited.as_secs(),
                    budget_secs: budget.as_secs(),
                });
            }
            *waited += wait;
        }
        self.stats.rate_limit_waits.fetch_add(1, Ordering::Relaxed);
        // The wait as it really passed (on a scaled test clock, the shorter real time; cut
        // short by a signal, what passed until then).
        let _real = Waited(&self.stats, Instant::now());
        // The answer was a refusal: a signal during the wait leaves nothing in flight.
        let stop = async {
            if stoppable {
                crate::cancel::cancelled().await
            } else {
                std::future::pending().await
            }
        };
        tokio::select! {
            () = tokio::time::sleep(self.policy.scaled(wait)) => Ok(()),
            signal = stop => Err(ApiError::NotSent { signal }),
        }
    }

    /// Total time GitHub asked this client to wait on rate limits (on GitHub's clock), against
    /// the budget.
    pub fn rate_limit_waited(&self) -> Duration {
        self.waited.lock().map(|w| *w).unwrap_or_default()
    }
}

/// Adds the real time since it was made to the stats' rate-limit wait when dropped.
struct Waited<'a>(&'a super::Stats, Instant);

impl Drop for Waited<'_> {
    fn drop(&mut self) {
        let ms = u64::try_from(self.1.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.rate_limit_wait_ms.fetch_add(ms, Ordering::Relaxed);
    }
}

/// A rate-limited answer (403 or 429), and what it says of the wait, in the order GitHub's
/// "Best practices for using the REST API" gives: `retry-after` when present; else, when
/// `x-ratelimit-remaining` is 0, until `x-ratelimit-reset`; else at least a minute, longer each
/// time the same request is refused again ([`RateLimit::wait`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum RateLimit {
    /// The wait the answer gives.
    Told(Duration),
    /// A limit the answer names without a wait.
    Untold,
}

/// GitHub's "at least one minute" for a limit that gives no wait.
const UNTOLD_WAIT: Duration = Duration::from_secs(60);

impl RateLimit {
    /// The rate limit `answer` reports, or `None` when it reports none.
    pub(super) fn of(answer: &Answer) -> Option<RateLimit> {
        let status = answer.status;
        if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
            return None;
        }
        if let Some(secs) =
            header(&answer.headers, "retry-after").and_then(|s| s.trim().parse::<u64>().ok())
        {
            return Some(RateLimit::Told(Duration::from_secs(secs)));
        }
        let exhausted = header(&answer.headers, "x-ratelimit-remaining") == Some("0");
        let reset =
            header(&answer.headers, "x-ratelimit-reset").and_then(|s| s.parse::<u64>().ok());
        if let (true, Some(reset)) = (exhausted, reset) {
            let now = crate::env::unix_now();
            return Some(RateLimit::Told(Duration::from_secs(
                reset.saturating_sub(now).max(1),
            )));
        }
        // 429, an exhausted limit without a usable reset, or a secondary limit: no wait given.
        let secondary = answer
            .message()
            .is_some_and(|m| m.to_ascii_lowercase().contains("secondary rate limit"));
        (status == StatusCode::TOO_MANY_REQUESTS || exhausted || secondary)
            .then_some(RateLimit::Untold)
    }

    /// How long to wait, `untold` being how many answers to the same request already gave no
    /// wait: what the answer said, or a minute doubled for each earlier such answer (1, 2, 4…
    /// minutes; the run's budget ends the series).
    pub(super) fn wait(self, untold: u32) -> Duration {
        match self {
            RateLimit::Told(wait) => wait,
            RateLimit::Untold => UNTOLD_WAIT.saturating_mul(1 << untold.min(16)),
        }
    }
}
