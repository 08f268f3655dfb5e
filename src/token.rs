//! Where the command-line tool finds its token: `GH_TOKEN`, else `GITHUB_TOKEN`, else
//! `gh auth token`, else (only where a person can answer) a hidden prompt. Never a flag.
//! A variable set to the empty string means "no token" and ends the search.

use std::io::IsTerminal;
use std::process::{Command, Stdio};

use crate::secret::SecretValue;

/// Where the token came from, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    GhTokenVar,
    GithubTokenVar,
    GhCli,
    Prompt,
}

impl TokenSource {
    pub fn describe(self) -> &'static str {
        match self {
            TokenSource::GhTokenVar => "GH_TOKEN",
            TokenSource::GithubTokenVar => "GITHUB_TOKEN",
            TokenSource::GhCli => "gh auth token",
            TokenSource::Prompt => "the prompt",
        }
    }
}

/// Finds the token. `prompt` allows asking on the terminal as the last resort.
pub fn find_token(prompt: bool) -> Option<(SecretValue, TokenSource)> {
    for (var, source) in [
        ("GH_TOKEN", TokenSource::GhTokenVar),
        ("GITHUB_TOKEN", TokenSource::GithubTokenVar),
    ] {
        if let Some(v) = std::env::var_os(var) {
            let v = SecretValue::new(v.to_string_lossy().trim().to_owned());
            return (!v.is_empty()).then_some((v, source));
        }
    }
    if let Some(t) = gh_auth_token() {
        return Some((t, TokenSource::GhCli));
    }
    if prompt && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let t = crate::prompt::hidden("GitHub token (input hidden): ").ok()?;
        let t = SecretValue::new(t.expose().trim().to_owned());
        return (!t.is_empty()).then_some((t, TokenSource::Prompt));
    }
    None
}

/// `gh auth token`, when `gh` is installed and logged in (for `GH_HOST` when set).
fn gh_auth_token() -> Option<SecretValue> {
    let mut cmd = Command::new("gh");
    cmd.args(["auth", "token"]);
    if let Ok(host) = std::env::var("GH_HOST") {
        if !host.is_empty() {
            cmd.args(["--hostname", &host]);
        }
    }
    let out = cmd
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
