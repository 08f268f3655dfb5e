//! `check-token` for a GitHub App installation token (`ghs_…`, the ~520-character stateless form
//! as well as the short one). GitHub refuses `GET /user` to an installation, so it is not called:
//! what the token reaches is listed instead (`GET /installation/repositories`, every page,
//! through the pager), with its expiry when GitHub sends it
//! (`github-authentication-token-expiration`). With `--repo`, one public-key read as for any
//! token. The token is judged by its prefix only ([`crate::auth::token::TokenKind`]).

use super::findings::{refusal, requests_text, Findings};
use crate::auth::token::{TokenKind, TokenSource};
use crate::commands::{Error, Tone};
use crate::github::endpoints;
use crate::github::{ApiError, Client};
use crate::target::Repo;

/// At most this many repositories are named; the rest are counted.
const NAMED_REPOSITORIES: usize = 10;

/// Checks the installation token behind `client` and prints what it found: the token's kind,
/// what it reaches, its expiry and, with `repo`, whether it can read that repository's secrets.
pub(super) fn report(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    source: TokenSource,
    targets: Option<&crate::config::Config>,
    warn_days: u32,
) -> Result<(), Error> {
    let mut found = Findings::default();
    header_findings(&source, &mut found);

    let reach = match runtime.block_on(crate::cancel::unless_cancelled(
        endpoints::installation_repositories(client),
    )) {
        Ok(r) => r,
        Err(signal) => return Err(crate::commands::cancelled(signal, "")),
    };
    let valid = !matches!(reach, Err(ApiError::Unauthorized { .. }));
    reach_findings(&reach, &source, &mut found);

    if valid {
        let now = crate::env::now();
        expiry_findings(client.token_expiry(), now, warn_days, &mut found);
    }

    let mut requests = client.requests();
    if let (Some(config), true) = (targets, valid) {
        requests += super::targets::findings(runtime, config, &mut found);
    }
    found.finish("the token", &requests_text(requests, ""))
}

/// Where the token came from, its kind, and why no user is asked for.
fn header_findings(source: &TokenSource, found: &mut Findings) {
    found.line("Token", format!("from {}", source.describe()), Tone::Plain);
    let kind = TokenKind::Installation;
    found.line(
        "Kind",
        format!(
            "{} (prefix {})",
            kind.describe(),
            kind.prefix().unwrap_or_default()
        ),
        Tone::Plain,
    );
    found.line(
        "User",
        "none: an installation acts for no user (GET /user is refused to it, so not asked)",
        Tone::Plain,
    );
}

/// What `GET /installation/repositories` said: the repositories reached, or why none are known.
fn reach_findings(reach: &Result<Vec<Repo>, ApiError>, source: &TokenSource, found: &mut Findings) {
    match reach {
        Ok(repos) => found.line("Repositories", reach_text(repos), Tone::Plain),
        Err(ApiError::Unauthorized { .. }) => {
            found.line(
                "Repositories",
                "none: GitHub answered 401 (the token is invalid, expired or revoked)",
                Tone::Bad,
            );
            found.problem(format!(
                "the token from {} is invalid, expired or revoked\n  fix: installation tokens \
                 live an hour: mint a new one",
                source.describe()
            ));
        }
        Err(e) if e.is_refusal() => {
            let (status, message) = refusal(e);
            // Not a problem of the token itself: a workflow's GITHUB_TOKEN, for one, may not
            // list its installation's repositories.
            found.line(
                "Repositories",
                format!("not listed: GitHub answered {status}{message}"),
                Tone::Warn,
            );
        }
        Err(e) => {
            found.line("Repositories", format!("not listed: {e}"), Tone::Bad);
            let fix = crate::commands::words::unanswered_fix(e);
            found.problem(format!("GET /installation/repositories: {e}\n  fix: {fix}"));
        }
    }
}

/// The token's expiry as GitHub's header reported it, counted from `now`.
fn expiry_findings(
    expiry: Option<String>,
    now: time::OffsetDateTime,
    warn_days: u32,
    found: &mut Findings,
) {
    match expiry
        .as_deref()
        .and_then(crate::report::parse_expiry)
        .map(|at| (at - now).whole_seconds())
    {
        Some(secs) => {
            let when = expiry.clone().unwrap_or_default();
            let soon = secs < i64::from(warn_days) * 86_400;
            let left = match secs {
                s if s < 0 => "already expired".to_owned(),
                s if s < 2 * 3600 => format!("in {} minutes", (s + 30) / 60),
                s => format!("in {} hours", s / 3600),
            };
            // An installation token lives an hour: expiring "soon" is its nature, not a
            // problem, unless it has already expired.
            let expired = secs < 0;
            found.line(
                "Expires",
                format!("{when} ({left}; installation tokens live an hour)"),
                if expired {
                    Tone::Bad
                } else if soon {
                    Tone::Warn
                } else {
                    Tone::Good
                },
            );
            if expired {
                found.problem(format!(
                    "the token expired on {when}\n  fix: mint a new one (an installation token \
                     lives an hour)"
                ));
            }
        }
        None => found.line(
            "Expires",
            match expiry {
                Some(raw) => format!("{raw} (not understood)"),
                None => "not said (GitHub sent no expiry date)".into(),
            },
            Tone::Plain,
        ),
    }
}

/// "3 (not archived): acme/api, acme/web, acme/x", the first [`NAMED_REPOSITORIES`] named.
fn reach_text(repos: &[Repo]) -> String {
    if repos.is_empty() {
        return "none (the installation was given no repository, or only archived ones)".into();
    }
    let named: Vec<String> = repos
        .iter()
        .take(NAMED_REPOSITORIES)
        .map(ToString::to_string)
        .collect();
    let more = repos.len().saturating_sub(NAMED_REPOSITORIES);
    format!(
        "{} (archived ones not counted): {}{}",
        repos.len(),
        named.join(", "),
        if more > 0 {
            format!(", and {more} more")
        } else {
            String::new()
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repos(n: usize) -> Vec<Repo> {
        (0..n)
            .filter_map(|i| Repo::parse(&format!("acme/r{i}")))
            .collect()
    }

    fn expiry(at: &str, warn_days: u32) -> Findings {
        let now = time::macros::datetime!(2099-06-01 12:00:00 UTC);
        let mut found = Findings::default();
        expiry_findings(Some(at.to_owned()), now, warn_days, &mut found);
        found
    }

    #[test]
    fn reach_names_ten_repositories_and_counts_the_rest() {
        let mut found = Findings::default();
        reach_findings(&Ok(repos(12)), &TokenSource::GhTokenVar, &mut found);
        assert_eq!(
            found.lines,
            vec![(
                "Repositories".to_owned(),
                "12 (archived ones not counted): acme/r0, acme/r1, acme/r2, acme/r3, acme/r4, \
                 acme/r5, acme/r6, acme/r7, acme/r8, acme/r9, and 2 more"
                    .to_owned(),
                Tone::Plain
            )]
        );
        assert!(found.problems.is_empty());
    }

    #[test]
    fn reach_refused_is_a_warning_and_401_a_problem_naming_the_source() {
        let mut found = Findings::default();
        let refused = Err(ApiError::Forbidden {
            reason: Some("Resource not accessible by integration".into()),
        });
        reach_findings(&refused, &TokenSource::GithubTokenVar, &mut found);
        assert_eq!(found.lines[0].2, Tone::Warn);
        assert_eq!(
            found.lines[0].1,
            "not listed: GitHub answered 403 (Resource not accessible by integration)"
        );
        assert!(found.problems.is_empty());

        let mut found = Findings::default();
        let invalid = Err(ApiError::Unauthorized { message: None });
        reach_findings(&invalid, &TokenSource::GithubTokenVar, &mut found);
        assert_eq!(found.lines[0].2, Tone::Bad);
        assert_eq!(found.problems.len(), 1);
        assert!(found.problems[0].starts_with("the token from GITHUB_TOKEN is invalid"));
    }

    #[test]
    fn expiry_within_the_hour_is_fine_and_a_past_one_a_problem() {
        let found = expiry("2099-06-01 12:45:00 UTC", 0);
        assert_eq!(
            found.lines,
            vec![(
                "Expires".to_owned(),
                "2099-06-01 12:45:00 UTC (in 45 minutes; installation tokens live an hour)"
                    .to_owned(),
                Tone::Good
            )]
        );
        assert!(found.problems.is_empty());

        let found = expiry("2099-06-01 12:45:00 UTC", 14);
        assert_eq!(found.lines[0].2, Tone::Warn);
        assert!(found.problems.is_empty());

        let found = expiry("2099-06-01 15:00:00 UTC", 0);
        assert!(found.lines[0].1.contains("(in 3 hours;"));

        let found = expiry("2099-06-01 11:00:00 UTC", 14);
        assert_eq!(found.lines[0].2, Tone::Bad);
        assert!(found.lines[0].1.contains("(already expired;"));
        assert_eq!(
            found.problems,
            vec![
                "the token expired on 2099-06-01 11:00:00 UTC\n  fix: mint a new one (an \
                 installation token lives an hour)"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn expiry_not_sent_or_not_understood_is_said_plainly() {
        let found = expiry("in an hour", 14);
        assert_eq!(found.lines[0].1, "in an hour (not understood)");
        let mut found = Findings::default();
        expiry_findings(None, time::OffsetDateTime::UNIX_EPOCH, 14, &mut found);
        assert_eq!(found.lines[0].1, "not said (GitHub sent no expiry date)");
        assert_eq!(found.lines[0].2, Tone::Plain);
        assert!(found.problems.is_empty());
    }
}
