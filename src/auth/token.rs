//! Where the command-line tool finds its token: `GH_TOKEN`, else `GITHUB_TOKEN`, else
//! `gh auth token` for the host the requests go to, else (only where a person can answer) a
//! hidden prompt. Never a flag. A variable set to the empty string means "no token" and ends the
//! search.
//!
//! `gh` binds each token to a host. Its token is asked for the API URL's own host (`github.com`
//! for `api.github.com`), never for `GH_HOST`'s or github.com's when `--api-url` names another
//! host: a mistyped or hostile `--api-url` must not receive the person's github.com credential.
//!
//! [`TokenKind`] (in `github`, which needs it and may depend on nothing above it) is the one
//! place a token's kind is judged, by its documented prefix only.

use std::process::{Command, Stdio};

use crate::secret::SecretValue;

pub use crate::github::TokenKind;

/// Where the token came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    GhTokenVar,
    GithubTokenVar,
    GhCli,
    Prompt,
    /// Piped in (`check-token --prompt` without a terminal, or `--from-file -`).
    StandardInput,
    /// `check-token --from-file PATH`.
    File,
}

impl TokenSource {
    pub fn describe(self) -> &'static str {
        match self {
            TokenSource::GhTokenVar => "GH_TOKEN",
            TokenSource::GithubTokenVar => "GITHUB_TOKEN",
            TokenSource::GhCli => "gh auth token",
            TokenSource::Prompt => "the prompt",
            TokenSource::StandardInput => "standard input",
            TokenSource::File => "--from-file",
        }
    }
}

/// Finds the token. `prompt` allows asking on the terminal as the last resort.
/// `api_url` is where the token will be sent; `gh`'s token is only taken for that host.
pub fn find_token(prompt: bool, api_url: &str) -> Option<(SecretValue, TokenSource)> {
    let found = search(prompt, api_url);
    // Known to the output layer the moment it is read: redacted from everything printed.
    if let Some((t, _)) = &found {
        crate::output::redact::know_token(t);
    }
    found
}

fn search(prompt: bool, api_url: &str) -> Option<(SecretValue, TokenSource)> {
    for (var, source) in [
        ("GH_TOKEN", TokenSource::GhTokenVar),
        ("GITHUB_TOKEN", TokenSource::GithubTokenVar),
    ] {
        if crate::env::is_set(var) {
            let v = crate::env::secret(var).unwrap_or_default();
            let v = SecretValue::new(v.expose().trim().to_owned());
            return (!v.is_empty()).then_some((v, source));
        }
    }
    if let Some(t) = gh_auth_token(api_url) {
        return Some((t, TokenSource::GhCli));
    }
    if prompt && crate::env::stdin_is_terminal() && crate::env::is_terminal(crate::env::Which::Err)
    {
        let t = crate::env::prompt::hidden("GitHub token (input hidden): ").ok()?;
        let t = SecretValue::new(t.expose().trim().to_owned());
        return (!t.is_empty()).then_some((t, TokenSource::Prompt));
    }
    None
}

/// `gh auth token --hostname HOST`, when `gh` is installed and logged in to the host of
/// `api_url`. A URL the policy refuses gets no token from `gh` at all.
fn gh_auth_token(api_url: &str) -> Option<SecretValue> {
    let host = crate::github::ApiUrl::parse(api_url).ok()?.gh_hostname();
    // The run's environment, not the process's (they differ only when a test runs in-process).
    let out = Command::new("gh")
        .env_clear()
        .envs(crate::env::for_child())
        .args(["auth", "token", "--hostname", &host])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let t = crate::secret::secret_from_bytes(out.stdout)?;
    let t = SecretValue::new(t.expose().trim().to_owned());
    (!t.is_empty()).then_some(t)
}
