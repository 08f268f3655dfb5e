//! `check-token` for a GitHub App installation token (`ghs_…`, the ~520-character stateless form
//! as well as the short one). GitHub refuses `GET /user` to an installation, so it is not called:
//! what the token reaches is listed instead (`GET /installation/repositories`, every page,
//! through the pager), with its expiry when GitHub sends it
//! (`github-authentication-token-expiration`). With `--repo`, one public-key read as for any
//! token. The token is judged by its prefix only ([`crate::token::TokenKind`]).

use std::process::ExitCode;

use super::{Style, Tone, FAILED};
use crate::github::endpoints;
use crate::github::{ApiError, Client};
use crate::target::{App, Repo, Target};
use crate::token::{TokenKind, TokenSource};

/// At most this many repositories are named; the rest are counted.
const NAMED_REPOSITORIES: usize = 10;

/// Checks the installation token behind `client` and prints what it found.
pub(super) fn report(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    source: TokenSource,
    repo: Option<Repo>,
    warn_days: u32,
) -> ExitCode {
    let mut lines: Vec<(String, String, Tone)> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut line = |k: &str, v: String, t: Tone| lines.push((k.to_owned(), v, t));
    line("Token", format!("from {}", source.describe()), Tone::Plain);
    let kind = TokenKind::Installation;
    line(
        "Kind",
        format!(
            "{} (prefix {})",
            kind.describe(),
            kind.prefix().unwrap_or_default()
        ),
        Tone::Plain,
    );
    line(
        "User",
        "none: an installation acts for no user (GET /user is refused to it, so not asked)".into(),
        Tone::Plain,
    );

    let reach = match runtime.block_on(crate::cancel::unless_cancelled(
        endpoints::installation_repositories(client),
    )) {
        Ok(r) => r,
        Err(signal) => return super::cancelled(signal, ""),
    };
    let valid = !matches!(reach, Err(ApiError::Unauthorized { .. }));
    match &reach {
        Ok(repos) => line("Repositories", reach_text(repos), Tone::Plain),
        Err(ApiError::Unauthorized { .. }) => {
            line(
                "Repositories",
                "none: GitHub answered 401 (the token is invalid, expired or revoked)".into(),
                Tone::Bad,
            );
            problems.push(format!(
                "the token from {} is invalid, expired or revoked\n  fix: installation tokens \
                 live an hour: mint a new one",
                source.describe()
            ));
        }
        Err(e) if e.is_refusal() => {
            let (status, message) = refusal(e);
            // Not a problem of the token itself: a workflow's GITHUB_TOKEN, for one, may not
            // list its installation's repositories.
            line(
                "Repositories",
                format!("not listed: GitHub answered {status}{message}"),
                Tone::Warn,
            );
        }
        Err(e) => {
            line("Repositories", format!("not listed: {e}"), Tone::Bad);
            problems.push(format!(
                "GET /installation/repositories: {e}\n  fix: check the network and --api-url"
            ));
        }
    }

    if valid {
        let expiry = client.token_expiry();
        let now = time::OffsetDateTime::now_utc();
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
                line(
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
                    problems.push("the token has expired\n  fix: mint a new one".to_owned());
                }
            }
            None => line(
                "Expires",
                match expiry {
                    Some(raw) => format!("{raw} (not understood)"),
                    None => "not said (GitHub sent no expiry date)".into(),
                },
                Tone::Plain,
            ),
        }
    }

    if let (Some(repo), true) = (repo, valid) {
        let target = Target::Repo {
            repo,
            app: App::Actions,
        };
        let label = format!("Secrets of {target}");
        let key = match runtime.block_on(crate::cancel::unless_cancelled(endpoints::public_key(
            client, &target,
        ))) {
            Ok(k) => k,
            Err(signal) => return super::cancelled(signal, ""),
        };
        match key {
            Ok(_) => line(
                &label,
                "can read the Actions secrets public key".into(),
                Tone::Good,
            ),
            Err(e) if e.is_refusal() => {
                let (status, message) = refusal(&e);
                line(
                    &label,
                    format!("cannot read the public key: GitHub answered {status}{message}"),
                    Tone::Bad,
                );
                problems.push(format!(
                    "the token cannot read the secrets of {target}\n  fix: {}",
                    crate::engine::app_permission_hint(&target)
                ));
            }
            Err(e) => {
                line(&label, format!("not checked: {e}"), Tone::Bad);
                problems.push(format!(
                    "{target}: {e}\n  fix: check the network and --api-url"
                ));
            }
        }
    }

    let style = Style::stdout();
    let width = lines.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (k, v, tone) in &lines {
        out.push_str(&format!(
            "{:<width$} {}\n",
            format!("{k}:"),
            style.paint(v, *tone)
        ));
    }
    let requests = client.requests();
    let req = format!(
        "{requests} {}",
        if requests == 1 { "request" } else { "requests" }
    );
    if problems.is_empty() {
        out.push_str(&style.paint(
            &format!("OK: the token works (checked with {req}).\n"),
            Tone::Good,
        ));
    } else {
        let n = problems.len();
        out.push_str(&style.paint(
            &format!(
                "Not OK: {n} {} (checked with {req}).\n",
                if n == 1 { "problem" } else { "problems" }
            ),
            Tone::Bad,
        ));
    }
    super::print(&out);
    if problems.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut err = crate::output::Reporter::stdio(super::options::human_mode());
    for p in &problems {
        err.error("", p);
    }
    err.flush();
    ExitCode::from(FAILED)
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

/// The status and ` (GitHub's message)` of a refusal.
fn refusal(e: &ApiError) -> (u16, String) {
    let message = e
        .server_message()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    (e.status().unwrap_or_default(), message)
}
