//! What a failed or rate-limited attempt waits before the next: exponential backoff with
//! jitter for 5xx answers and failed connections, and waits that honour `retry-after` and
//! `x-ratelimit-reset` (or GitHub's minute for a secondary limit) within the run's budget.

use std::sync::atomic::Ordering;
use std::time::Duration;

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
        self.stats.rate_limit_wait_ms.fetch_add(
            u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
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

    /// Total unscaled time spent waiting on rate limits.
    pub fn rate_limit_waited(&self) -> Duration {
        self.waited.lock().map(|w| *w).unwrap_or_default()
    }
}

/// How long a rate-limited answer asks us to wait, or `None` when it is not rate-limited.
pub(super) fn rate_limit_wait(answer: &Answer) -> Option<Duration> {
    let status = answer.status;
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    if let Some(secs) =
        header(&answer.headers, "retry-after").and_then(|s| s.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(secs));
    }
    if header(&answer.headers, "x-ratelimit-remaining") == Some("0") {
        let reset = header(&answer.headers, "x-ratelimit-reset")?
            .parse::<u64>()
            .ok()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        // GitHub: with no header, wait at least a minute.
        return Some(Duration::from_secs(60));
    }
    // A secondary limit without retry-after: GitHub asks for at least a minute as well.
    let secondary = answer
        .message()
        .is_some_and(|m| m.to_ascii_lowercase().contains("secondary rate limit"));
    secondary.then(|| Duration::from_secs(60))
}
