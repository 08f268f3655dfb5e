//! The pacer on a clock, shared by everything that writes with one token: every
//! content-creating request goes through [`Pacing::paced`], one at a time, no sooner than
//! GitHub's rules allow after the earlier ones' answers; whoever shows progress asks the same
//! pacer for estimates ([`Pacing::eta`], [`Pacing::floor`]).
//!
//! Its clock is GitHub time since it was made: real time through the run's [`Clock`] (scaled
//! only in test builds), so the rules are always GitHub's second, minute and hour, a scaled run
//! waits in proportion, and the estimates are what the same job would take on GitHub.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::clock::Clock;
use super::rules::{Rules, GITHUB};
use super::schedule::Pacer;
use crate::secret::SecretValue;

/// A pacer on a clock, shared: cheap to clone (clones share the pacer).
#[derive(Clone, Debug)]
pub struct Pacing {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    pacer: Mutex<Pacer>,
    clock: Clock,
    born: Instant,
    /// One write at a time: held from the wait before a write until its answer, so a write
    /// never starts while another is unanswered (GitHub asks for serial requests).
    turn: tokio::sync::Mutex<()>,
}

/// The pacings of the tokens in use in this process, by a digest of (API URL, clock, token):
/// every client of one token shares one, as GitHub counts one token's requests together (a
/// run's writes, and the revocation of the token at its end). Held weakly: a pacing lives as
/// long as a client of its token does.
type Registry = Mutex<HashMap<[u8; 32], Weak<Shared>>>;

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(Registry::default)
}

impl Pacing {
    /// A pacing of its own, keeping `rules` on `clock`.
    pub fn new(rules: Rules, clock: Clock) -> Self {
        Pacing {
            shared: Arc::new(Shared {
                pacer: Mutex::new(Pacer::new(rules)),
                clock,
                born: Instant::now(),
                turn: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The pacing of `token`'s writes to `api` under GitHub's rules: the one every live client
    /// of that token in this process shares (a new one when there is none).
    pub fn of_token(api: &str, token: &SecretValue, clock: Clock) -> Self {
        let mut digest = Sha256::new();
        digest.update(api.as_bytes());
        digest.update([0]);
        digest.update(clock.real(Duration::from_secs(1)).as_nanos().to_le_bytes());
        digest.update(token.expose().as_bytes());
        let key: [u8; 32] = digest.finalize().into();
        let Ok(mut tokens) = registry().lock() else {
            return Pacing::new(GITHUB, clock);
        };
        if let Some(shared) = tokens.get(&key).and_then(Weak::upgrade) {
            return Pacing { shared };
        }
        tokens.retain(|_, pacing| pacing.strong_count() > 0);
        let pacing = Pacing::new(GITHUB, clock);
        tokens.insert(key, Arc::downgrade(&pacing.shared));
        pacing
    }

    /// Whether both share one pacer.
    pub fn same_as(&self, other: &Pacing) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }

    /// GitHub time since this pacing was made (`None` on a clock scaled to nothing).
    fn now(&self) -> Option<Duration> {
        self.shared.clock.github(self.shared.born.elapsed())
    }

    fn pacer(&self) -> std::sync::MutexGuard<'_, Pacer> {
        self.shared
            .pacer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sends one content-creating request (`write`, any attempt of one) in its turn: after the
    /// previous one was answered and as soon as every rule allows; the end of `write` (an
    /// answer, a failure, or being dropped) is counted as its answer. A clock scaled to
    /// nothing paces nothing.
    pub async fn paced<F: Future>(&self, write: F) -> F::Output {
        match self
            .paced_unless(write, std::future::pending::<std::convert::Infallible>())
            .await
        {
            Ok(answer) => answer,
            Err(never) => match never {},
        }
    }

    /// [`Pacing::paced`], unless `stop` resolves while the write waits for its turn: then the
    /// write is never sent (nor counted) and `stop`'s output comes back. Once sent, the write
    /// runs to its end.
    pub async fn paced_unless<F: Future, S: Future>(
        &self,
        write: F,
        stop: S,
    ) -> Result<F::Output, S::Output> {
        tokio::pin!(stop);
        let _turn = tokio::select! {
            turn = self.shared.turn.lock() => turn,
            stopped = &mut stop => return Err(stopped),
        };
        while let Some(now) = self.now() {
            let wait = self.pacer().wait(now);
            if wait.is_zero() {
                break;
            }
            tokio::select! {
                () = tokio::time::sleep(self.shared.clock.real(wait)) => {}
                stopped = &mut stop => return Err(stopped),
            }
        }
        let _answered = Answered(self);
        Ok(write.await)
    }

    /// One request's round trip in real time, for the estimate.
    pub fn observe_round_trip(&self, real: Duration) {
        if let Some(took) = self.shared.clock.github(real) {
            self.pacer().observe_round_trip(took);
        }
    }

    /// How long `writes` more writes will take from now, on GitHub's clock: the pacer's
    /// schedule given what it already let through, each write answered the mean round trip
    /// measured so far after it is sent (none measured: the pacing alone).
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
        !self.pacer().mean_round_trip().is_zero()
    }

    fn estimate(&self, writes: usize, round_trips: bool) -> Duration {
        let now = self.now().unwrap_or_default();
        let pacer = self.pacer();
        let per_write = if round_trips {
            pacer.mean_round_trip()
        } else {
            Duration::ZERO
        };
        pacer.eta(now, writes, per_write)
    }
}

/// Counts the write in flight as answered when it ends, however it ends.
struct Answered<'a>(&'a Pacing);

impl Drop for Answered<'_> {
    fn drop(&mut self) {
        if let Some(now) = self.0.now() {
            self.0.pacer().record(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pacing::rules::Window;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn writes_go_one_at_a_time_a_paced_second_after_each_answer() {
        // A GitHub second lasts 2 ms here; each write "takes" 1 ms of real time.
        let clock = Clock::scaled(0.002);
        let pacing = Pacing::new(GITHUB, clock);
        let spans: Vec<(Instant, Instant)> = runtime().block_on(async {
            let mut spans = Vec::new();
            for _ in 0..5 {
                let span = pacing
                    .paced(async {
                        let sent = Instant::now();
                        tokio::time::sleep(Duration::from_millis(1)).await;
                        (sent, Instant::now())
                    })
                    .await;
                spans.push(span);
            }
            spans
        });
        for pair in spans.windows(2) {
            let (_, answered) = pair[0];
            let (sent, _) = pair[1];
            // (Less a microsecond for the float arithmetic of the scaled clock.)
            let second = clock.real(S(1)) - Duration::from_micros(1);
            assert!(sent - answered >= second, "{:?}", sent - answered);
        }
    }

    #[test]
    fn concurrent_writes_still_go_one_at_a_time() {
        let clock = Clock::scaled(0.001);
        let pacing = Pacing::new(GITHUB, clock);
        let spans = runtime().block_on(async {
            let one = || {
                pacing.paced(async {
                    let sent = Instant::now();
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    (sent, Instant::now())
                })
            };
            let (a, b, c) = tokio::join!(one(), one(), one());
            let mut spans = vec![a, b, c];
            spans.sort();
            spans
        });
        for pair in spans.windows(2) {
            let second = clock.real(S(1)) - Duration::from_micros(1);
            assert!(pair[1].0 >= pair[0].1 + second);
        }
    }

    #[test]
    fn a_write_dropped_midway_still_counts() {
        let pacing = Pacing::new(GITHUB, Clock::REAL);
        runtime().block_on(async {
            let never = pacing.paced(std::future::pending::<()>());
            let _ = tokio::time::timeout(Duration::from_millis(1), never).await;
        });
        assert!(pacing.floor(1) > Duration::ZERO, "the next write waits");
    }

    #[test]
    fn one_token_one_pacing() {
        let token = SecretValue::from("ghp_one_token_one_pacing_test");
        let other = SecretValue::from("ghp_another_token_entirely_xx");
        let api = "https://api.github.com";
        let a = Pacing::of_token(api, &token, Clock::REAL);
        assert!(a.same_as(&Pacing::of_token(api, &token, Clock::REAL)));
        assert!(!a.same_as(&Pacing::of_token(api, &other, Clock::REAL)));
        assert!(!a.same_as(&Pacing::of_token(
            "https://ghe.example/api/v3",
            &token,
            Clock::REAL
        )));
        // Once no client holds it, the next is a fresh one.
        let key_holder = Pacing::of_token(api, &other, Clock::REAL);
        runtime().block_on(key_holder.paced(async {}));
        drop(key_holder);
        assert_eq!(
            Pacing::of_token(api, &other, Clock::REAL).floor(1),
            Duration::ZERO
        );
    }

    #[test]
    fn estimates_are_on_githubs_clock() {
        static TWO_AN_HOUR: [Window; 1] = [Window {
            limit: 2,
            length: Duration::from_secs(3600),
        }];
        let rules = Rules {
            pause: Duration::ZERO,
            windows: &TWO_AN_HOUR,
        };
        // At 1/1000 speed a GitHub hour lasts 3.6 s of real time (and no test sleeps it).
        let clock = Clock::scaled(0.001);
        let born = Instant::now();
        let pacing = Pacing::new(rules, clock);
        let estimates = pacing.clone();
        runtime().block_on(async {
            pacing.paced(async {}).await;
            pacing.paced(async {}).await;
        });
        // The third waits for the first to be an hour old, less the GitHub time gone since.
        let gone = |since: Instant| clock.github(since.elapsed()).unwrap_or_default();
        let floor = estimates.floor(1);
        assert!(
            floor <= S(3600) && floor + gone(born) >= S(3600),
            "{floor:?}"
        );
        assert!(!estimates.measured());
        pacing.observe_round_trip(Duration::from_millis(2)); // two GitHub seconds
        assert!(estimates.measured());
        let asked = Instant::now();
        let floor = estimates.floor(1);
        let eta = estimates.eta(1);
        assert!(
            eta <= floor + S(2) && eta + gone(asked) >= floor + S(2),
            "{eta:?}"
        );
        // Nothing is paced when time is scaled to nothing.
        let unpaced = Pacing::new(GITHUB, Clock::scaled(0.0));
        runtime().block_on(async {
            for _ in 0..1000 {
                unpaced.paced(async {}).await;
            }
        });
        assert_eq!(
            unpaced.floor(1000),
            crate::pacing::floor(1000),
            "nothing recorded"
        );
    }
}
