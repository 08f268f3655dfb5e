//! GitHub's rules for content-creating requests (PUT, PATCH, DELETE, POST) of one token, as
//! numbers, and why each number is what it is.
//!
//! From GitHub's REST documentation ("Rate limits for the REST API" and "Best practices for
//! using the REST API"):
//! - **at most 80 content-creating requests a minute and 500 an hour** (secondary rate limits;
//!   beyond either GitHub answers 403 or 429 "secondary rate limit", and may block the token
//!   for longer after repeated violations);
//! - **make requests serially, and wait at least one second between content-creating
//!   requests** (octokit's throttling plugin, the reference client, spaces writes by a second).
//!
//! The limits are held as GitHub states them, with no margin. The margins this crate used to
//! keep (72 and 450) stood in for what a client cannot see: GitHub counts a request when it
//! *arrives*, the client only knows when it sent it and when the answer came back. They are not
//! needed: [`super::Pacer`] counts every write from its **answer**, the latest moment it can
//! have reached GitHub, and lets the next one go no sooner than each rule allows from there. So
//! whatever the transit of either request, GitHub sees them at least as far apart as the rules
//! ask (one second, a minute's 80, an hour's 500), and the rules hold at GitHub's end without a
//! guess at the network. What that costs is one round trip per write on top of the second
//! (serial requests pay it anyway once their round trip exceeds the second), and it is counted
//! in every estimate ([`super::Pacer::eta`]), which therefore is the schedule the pacer keeps.
//!
//! What no margin could cover either — another client using the same token in the same hour —
//! is met by GitHub's answer: a secondary-limit answer is waited out as GitHub says (the
//! client's `retry-after` handling) and the pacing resumes after it.

use std::time::Duration;

/// At most `limit` writes in any rolling `length`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    pub limit: usize,
    pub length: Duration,
}

/// Every rule one token's content-creating requests are kept to: a `pause` between one write's
/// answer and the next write, and each of `windows` (rolling, all held at once).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    pub pause: Duration,
    pub windows: &'static [Window],
}

/// GitHub's documented limits on content-creating requests, as documented: 80 a minute, 500 an
/// hour (rolling). With the one-second pause the minute's 80 can never be reached (at most 60
/// writes start in any minute); it is held all the same, so the rules stay GitHub's whole list
/// whatever the pause is.
pub const GITHUB_WINDOWS: [Window; 2] = [
    Window {
        limit: 80,
        length: Duration::from_secs(60),
    },
    Window {
        limit: 500,
        length: Duration::from_secs(3600),
    },
];

/// GitHub's rules: a second between writes ("wait at least one second between each request"),
/// and [`GITHUB_WINDOWS`].
pub const GITHUB: Rules = Rules {
    pause: Duration::from_secs(1),
    windows: &GITHUB_WINDOWS,
};

impl Rules {
    /// The most writes any window keeps track of: older ones can hold nothing back.
    pub(super) fn memory(&self) -> usize {
        self.windows.iter().map(|w| w.limit).max().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_rules_are_githubs_numbers() {
        assert_eq!(GITHUB.pause, Duration::from_secs(1));
        assert_eq!(
            GITHUB
                .windows
                .iter()
                .map(|w| (w.limit, w.length.as_secs()))
                .collect::<Vec<_>>(),
            [(80, 60), (500, 3600)]
        );
        assert_eq!(GITHUB.memory(), 500);
    }
}
