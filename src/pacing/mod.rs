//! Pacing of content-creating requests (PUT, PATCH, DELETE, POST) under GitHub's rules for one
//! token, and the estimate of how long a number of them will take.
//!
//! - [`rules`]: GitHub's rules as numbers — a second between writes, 80 a minute, 500 an hour
//!   — and why no margin is kept on any of them;
//! - [`schedule`]: the pacer without a clock ([`Pacer`]): when the next write may go, counting
//!   each earlier one from its answer, and the same schedule run forward ([`Pacer::eta`]), which
//!   is the estimate; its formula is in the module's doc;
//! - [`live`]: the pacer on a clock, shared by every client of one token ([`Pacing`]); writes go
//!   through [`Pacing::paced`], one at a time;
//! - [`clock`]: GitHub's clock as a run keeps it: real time, scaled only in test builds (cargo
//!   feature `scaled-clock`), with the only test knobs that change waits.
//!
//! Below an hour's 500 writes nothing waits but the second between writes, so a small job takes
//! a second per write; a job of 501 writes and more waits for the hour window, and is announced
//! before it writes ([`LONG_RUN`], `report::long_run`).

pub mod clock;
pub mod live;
pub mod rules;
pub mod schedule;

use std::time::Duration;

pub use clock::Clock;
pub use live::Pacing;
pub use rules::{Rules, Window, GITHUB, GITHUB_WINDOWS};
pub use schedule::Pacer;

/// From this estimate on, a job is announced before it writes: it will outlast an hour (and so
/// most `timeout-minutes` settings, and a GitHub App installation token's life).
pub const LONG_RUN: Duration = Duration::from_secs(3600);

/// The least time `writes` writes take under GitHub's rules from a standing start, their round
/// trips not counted: for a plan made before any client exists (a dry run).
pub fn floor(writes: usize) -> Duration {
    Pacer::default().eta(Duration::ZERO, writes, Duration::ZERO)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_than_500_writes_need_an_hour() {
        let s = Duration::from_secs;
        assert_eq!(floor(0), Duration::ZERO);
        assert_eq!(floor(1), Duration::ZERO);
        assert_eq!(floor(20), s(19));
        assert_eq!(floor(450), s(449));
        assert_eq!(floor(500), s(499));
        assert!(floor(500) < LONG_RUN);
        assert_eq!(floor(501), LONG_RUN);
        assert_eq!(floor(1000), s(4099));
        assert_eq!(floor(2000), s(3 * 3600 + 499));
    }
}
