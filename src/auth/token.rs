//! Where the command-line tool finds its token: the variables of the API's host, else
//! `gh auth token` for that host, else (only where a person can answer) a hidden prompt. Never a
//! flag. A variable set to the empty string means "no token" and ends the search.
//!
//! A token belongs to its host, as `gh` binds it (go-gh `auth.TokenForHost`): `GH_TOKEN`, else
//! `GITHUB_TOKEN`, are github.com's (its API, `*.ghe.com` data-residency hosts, and this machine,
//! a test double); a GitHub Enterprise Server (`GH_HOST`, or `--api-url` naming another host)
//! takes `GH_ENTERPRISE_TOKEN`, else `GITHUB_ENTERPRISE_TOKEN`, and never the github.com token.
//! `gh`'s token is asked for the API URL's own host (`github.com` for `api.github.com`), never for
//! `GH_HOST`'s or github.com's when `--api-url` names another host: a mistyped or hostile
//! `--api-url` must not receive the person's github.com credential.
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
    GhEnterpriseTokenVar,
    GithubEnterpriseTokenVar,
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
            TokenSource::GhEnterpriseTokenVar => "GH_ENTERPRISE_TOKEN",
            TokenSource::GithubEnterpriseTokenVar => "GITHUB_ENTERPRISE_TOKEN",
            TokenSource::GhCli => "gh auth token",
            TokenSource::Prompt => "the prompt",
            TokenSource::StandardInput => "standard input",
            TokenSource::File => "--from-file",
        }
    }
}

/// github.com's variables, in the order they are read.
const GITHUB_VARS: [(&str, TokenSource); 2] = [
    ("GH_TOKEN", TokenSource::GhTokenVar),
    ("GITHUB_TOKEN", TokenSource::GithubTokenVar),
];

/// A GitHub Enterprise Server's variables, in the order they are read.
const ENTERPRISE_VARS: [(&str, TokenSource); 2] = [
    ("GH_ENTERPRISE_TOKEN", TokenSource::GhEnterpriseTokenVar),
    (
        "GITHUB_ENTERPRISE_TOKEN",
        TokenSource::GithubEnterpriseTokenVar,
    ),
];

/// No token for the API's host: says which variable to set, and which one was left unused
/// because it belongs to the other kind of host. Never holds a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoToken {
    #[error(
        "no token: set GH_TOKEN (or GITHUB_TOKEN), or log in with `gh auth login`; a token is \
         never taken from a flag{}",
        aside(*.unused, "is for a GitHub Enterprise Server and is never sent to github.com")
    )]
    GitHub { unused: Option<&'static str> },
    #[error(
        "no token for the GitHub Enterprise Server {host}: set GH_ENTERPRISE_TOKEN (or \
         GITHUB_ENTERPRISE_TOKEN), or log in with `gh auth login --hostname {host}`; a token is \
         never taken from a flag{}",
        aside(*.unused, "is github.com's and is never sent to another host")
    )]
    Enterprise {
        host: String,
        unused: Option<&'static str>,
    },
    /// The API URL is refused by the policy: no token is looked for at all.
    #[error("no token is looked for: the API URL is refused")]
    Refused,
}

/// ` (VAR why)` when a variable of the other kind of host was set, else nothing.
fn aside(unused: Option<&'static str>, why: &str) -> String {
    unused.map(|v| format!(" ({v} {why})")).unwrap_or_default()
}

/// Finds the token for the API at `api_url` (see the module's rules). `prompt` allows asking
/// on the terminal as the last resort.
pub fn find_token(prompt: bool, api_url: &str) -> Result<(SecretValue, TokenSource), NoToken> {
    let found = search(prompt, api_url);
    // Known to the output layer the moment it is read: redacted from everything printed.
    if let Ok((t, _)) = &found {
        crate::output::redact::know_token(t);
    }
    found
}

fn search(prompt: bool, api_url: &str) -> Result<(SecretValue, TokenSource), NoToken> {
    let api = crate::github::ApiUrl::parse(api_url).map_err(|_| NoToken::Refused)?;
    let enterprise = api.is_enterprise_server();
    let (own, other) = if enterprise {
        (ENTERPRISE_VARS, GITHUB_VARS)
    } else {
        (GITHUB_VARS, ENTERPRISE_VARS)
    };
    let missing = || {
        let unused = other
            .iter()
            .map(|(var, _)| *var)
            .find(|var| crate::env::var(var).is_some_and(|v| !v.trim().is_empty()));
        if enterprise {
            NoToken::Enterprise {
                host: api.gh_hostname(),
                unused,
            }
        } else {
            NoToken::GitHub { unused }
        }
    };
    for (var, source) in own {
        if crate::env::is_set(var) {
            let v = crate::env::secret(var).unwrap_or_default();
            let v = SecretValue::new(v.expose().trim().to_owned());
            return if v.is_empty() {
                Err(missing())
            } else {
                Ok((v, source))
            };
        }
    }
    if let Some(t) = gh_auth_token(&api) {
        return Ok((t, TokenSource::GhCli));
    }
    if prompt && crate::env::stdin_is_terminal() && crate::env::is_terminal(crate::env::Which::Err)
    {
        let t =
            crate::env::prompt::hidden("GitHub token (input hidden): ").map_err(|_| missing())?;
        let t = SecretValue::new(t.expose().trim().to_owned());
        return if t.is_empty() {
            Err(missing())
        } else {
            Ok((t, TokenSource::Prompt))
        };
    }
    Err(missing())
}

/// `gh auth token --hostname HOST`, when `gh` is installed and logged in to the host of
/// `api`.
fn gh_auth_token(api: &crate::github::ApiUrl) -> Option<SecretValue> {
    let host = api.gh_hostname();
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::env::{Env, Scope};

    /// Which token each host takes from each set of variables: github.com's for github.com,
    /// `*.ghe.com` and this machine; GitHub Enterprise Server's for every other host, and never
    /// the other's. `gh` is never found (an empty PATH).
    #[test]
    fn a_token_belongs_to_its_host() {
        const GH: &str = "ghp_github_com_token_1";
        const GHE: &str = "ghp_enterprise_token_2";
        let ghes = "https://ghes.example.com/api/v3";
        let dotcom = "https://api.github.com";
        let tenancy = "https://api.acme.ghe.com";
        let local = "http://127.0.0.1:9";
        type Case<'a> = (
            &'a str,
            &'a [(&'a str, &'a str)],
            Result<(&'a str, &'a str), &'a str>,
        );
        let cases: &[Case] = &[
            (dotcom, &[("GH_TOKEN", GH)], Ok((GH, "GH_TOKEN"))),
            (dotcom, &[("GITHUB_TOKEN", GH)], Ok((GH, "GITHUB_TOKEN"))),
            (
                dotcom,
                &[("GH_TOKEN", GH), ("GITHUB_TOKEN", GHE)],
                Ok((GH, "GH_TOKEN")),
            ),
            (
                dotcom,
                &[("GH_TOKEN", GH), ("GH_ENTERPRISE_TOKEN", GHE)],
                Ok((GH, "GH_TOKEN")),
            ),
            (tenancy, &[("GH_TOKEN", GH)], Ok((GH, "GH_TOKEN"))),
            (local, &[("GITHUB_TOKEN", GH)], Ok((GH, "GITHUB_TOKEN"))),
            (
                dotcom,
                &[("GH_ENTERPRISE_TOKEN", GHE)],
                Err(
                    "no token: set GH_TOKEN (or GITHUB_TOKEN), or log in with `gh auth login`; a \
                     token is never taken from a flag (GH_ENTERPRISE_TOKEN is for a GitHub \
                     Enterprise Server and is never sent to github.com)",
                ),
            ),
            (
                ghes,
                &[("GH_ENTERPRISE_TOKEN", GHE), ("GH_TOKEN", GH)],
                Ok((GHE, "GH_ENTERPRISE_TOKEN")),
            ),
            (
                ghes,
                &[("GITHUB_ENTERPRISE_TOKEN", GHE), ("GITHUB_TOKEN", GH)],
                Ok((GHE, "GITHUB_ENTERPRISE_TOKEN")),
            ),
            (
                ghes,
                &[("GH_TOKEN", GH)],
                Err(
                    "no token for the GitHub Enterprise Server ghes.example.com: set \
                     GH_ENTERPRISE_TOKEN (or GITHUB_ENTERPRISE_TOKEN), or log in with `gh auth \
                     login --hostname ghes.example.com`; a token is never taken from a flag \
                     (GH_TOKEN is github.com's and is never sent to another host)",
                ),
            ),
            (
                "https://api.github.com.evil.example",
                &[("GITHUB_TOKEN", GH)],
                Err(
                    "no token for the GitHub Enterprise Server api.github.com.evil.example: set \
                     GH_ENTERPRISE_TOKEN (or GITHUB_ENTERPRISE_TOKEN), or log in with `gh auth \
                     login --hostname api.github.com.evil.example`; a token is never taken from \
                     a flag (GITHUB_TOKEN is github.com's and is never sent to another host)",
                ),
            ),
            (
                ghes,
                &[
                    ("GH_ENTERPRISE_TOKEN", ""),
                    ("GITHUB_ENTERPRISE_TOKEN", GHE),
                ],
                Err(
                    "no token for the GitHub Enterprise Server ghes.example.com: set \
                     GH_ENTERPRISE_TOKEN (or GITHUB_ENTERPRISE_TOKEN), or log in with `gh auth \
                     login --hostname ghes.example.com`; a token is never taken from a flag",
                ),
            ),
            (
                "http://ghes.example.com",
                &[("GH_ENTERPRISE_TOKEN", GHE)],
                Err("no token is looked for: the API URL is refused"),
            ),
        ];
        for (url, vars, expected) in cases {
            let env = Env::from_pairs(
                vars.iter()
                    .copied()
                    .chain([("PATH", "/nonexistent-secret-refresh-test")]),
            );
            let _scope = Scope::bind(env, Box::new(Vec::new()), Box::new(Vec::new()));
            let found = find_token(false, url);
            let found = found
                .as_ref()
                .map(|(t, source)| (t.expose(), source.describe()))
                .map_err(ToString::to_string);
            assert_eq!(found, expected.map_err(str::to_owned), "{url} {vars:?}");
        }
    }
}
