//! Where the command-line tool finds its token: `GH_TOKEN`, else `GITHUB_TOKEN`, else
//! `gh auth token` for the host the requests go to, else (only where a person can answer) a
//! hidden prompt. Never a flag. A variable set to the empty string means "no token" and ends the
//! search.
//!
//! `gh` binds each token to a host. Its token is asked for the API URL's own host (`github.com`
//! for `api.github.com`), never for `GH_HOST`'s or github.com's when `--api-url` names another
//! host: a mistyped or hostile `--api-url` must not receive the person's github.com credential.
//!
//! [`TokenKind`] is the one place a token's kind is judged, by its documented prefix only. A
//! token is otherwise opaque: its length and its characters say nothing (a stateless `ghs_`
//! installation token is ~520 characters with dots and dashes), so nothing here or elsewhere
//! judges a token by them.

use std::io::IsTerminal;
use std::process::{Command, Stdio};

use crate::secret::SecretValue;

/// A token's kind, from the prefix GitHub documents for each format. Only the prefix is read;
/// the rest of the token is never looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// `ghp_`: classic personal access token.
    Classic,
    /// `github_pat_`: fine-grained personal access token.
    FineGrained,
    /// `gho_`: OAuth app token.
    OAuth,
    /// `ghu_`: GitHub App user-to-server token.
    UserToServer,
    /// `ghs_`: GitHub App installation token (server-to-server), stateless ones included.
    Installation,
    /// `ghr_`: GitHub App refresh token.
    Refresh,
    /// No known prefix (an old-format 40-hex token, a GHES token, anything else).
    Unknown,
}

impl TokenKind {
    const PREFIXES: [(&'static str, TokenKind); 6] = [
        ("github_pat_", TokenKind::FineGrained),
        ("ghp_", TokenKind::Classic),
        ("ghs_", TokenKind::Installation),
        ("gho_", TokenKind::OAuth),
        ("ghu_", TokenKind::UserToServer),
        ("ghr_", TokenKind::Refresh),
    ];

    /// The kind of `token`, by its prefix alone.
    pub fn of(token: &SecretValue) -> TokenKind {
        Self::of_str(token.expose())
    }

    fn of_str(token: &str) -> TokenKind {
        Self::PREFIXES
            .iter()
            .find(|(p, _)| token.starts_with(p))
            .map_or(TokenKind::Unknown, |(_, k)| *k)
    }

    /// The documented prefix (safe to show: it says nothing secret), if the kind has one.
    pub fn prefix(self) -> Option<&'static str> {
        Self::PREFIXES
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(p, _)| *p)
    }

    /// What people call it.
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::Classic => "classic personal access token",
            TokenKind::FineGrained => "fine-grained personal access token",
            TokenKind::OAuth => "OAuth app token",
            TokenKind::UserToServer => "GitHub App user-to-server token",
            TokenKind::Installation => "GitHub App installation token",
            TokenKind::Refresh => "GitHub App refresh token",
            TokenKind::Unknown => "unknown",
        }
    }

    /// A token that acts for an installation, not a user: `GET /user` is refused to it.
    pub fn is_installation(self) -> bool {
        self == TokenKind::Installation
    }

    /// Whether `POST /credentials/revoke` accepts this kind (GitHub documents `ghp_`,
    /// `github_pat_`, `gho_`, `ghu_` and `ghr_`; installation tokens are revoked with
    /// `DELETE /installation/token` instead).
    pub fn revocable_by_credentials_api(self) -> bool {
        matches!(
            self,
            TokenKind::Classic
                | TokenKind::FineGrained
                | TokenKind::OAuth
                | TokenKind::UserToServer
                | TokenKind::Refresh
        )
    }
}

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
/// `api_url` is where the token will be sent; `gh`'s token is only taken for that host.
pub fn find_token(prompt: bool, api_url: &str) -> Option<(SecretValue, TokenSource)> {
    let found = search(prompt, api_url);
    // Known to the output layer the moment it is read: redacted from everything printed.
    if let Some((t, _)) = &found {
        crate::output::know(t);
    }
    found
}

fn search(prompt: bool, api_url: &str) -> Option<(SecretValue, TokenSource)> {
    for (var, source) in [
        ("GH_TOKEN", TokenSource::GhTokenVar),
        ("GITHUB_TOKEN", TokenSource::GithubTokenVar),
    ] {
        if let Some(v) = std::env::var_os(var) {
            let v = SecretValue::new(v.to_string_lossy().trim().to_owned());
            return (!v.is_empty()).then_some((v, source));
        }
    }
    if let Some(t) = gh_auth_token(api_url) {
        return Some((t, TokenSource::GhCli));
    }
    if prompt && std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
        let t = crate::prompt::hidden("GitHub token (input hidden): ").ok()?;
        let t = SecretValue::new(t.expose().trim().to_owned());
        return (!t.is_empty()).then_some((t, TokenSource::Prompt));
    }
    None
}

/// `gh auth token --hostname HOST`, when `gh` is installed and logged in to the host of
/// `api_url`. A URL the policy refuses gets no token from `gh` at all.
fn gh_auth_token(api_url: &str) -> Option<SecretValue> {
    let host = crate::github::ApiUrl::parse(api_url).ok()?.gh_hostname();
    let out = Command::new("gh")
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

    #[test]
    fn kinds_by_prefix_only() {
        for (t, k) in [
            (
                "ghp_0123456789abcdefghijABCDEFGHIJ012345",
                TokenKind::Classic,
            ),
            ("github_pat_11AAAA_bbbb", TokenKind::FineGrained),
            ("gho_x", TokenKind::OAuth),
            ("ghu_x", TokenKind::UserToServer),
            ("ghs_x", TokenKind::Installation),
            ("ghr_x", TokenKind::Refresh),
            (
                "0123456789abcdef0123456789abcdef01234567",
                TokenKind::Unknown,
            ),
            ("", TokenKind::Unknown),
            ("GHP_x", TokenKind::Unknown),
            ("github_x", TokenKind::Unknown),
        ] {
            assert_eq!(TokenKind::of(&SecretValue::from(t)), k, "{t}");
        }
    }

    #[test]
    fn a_stateless_installation_token_is_an_installation_token() {
        // ~520 characters with dots and dashes, as GitHub now mints them.
        let body = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NTYifQ-_x".repeat(11);
        let t = SecretValue::from(format!("ghs_123456.{body}").as_str());
        assert!(t.expose().len() > 500);
        assert_eq!(TokenKind::of(&t), TokenKind::Installation);
        assert!(TokenKind::of(&t).is_installation());
        assert!(!TokenKind::of(&t).revocable_by_credentials_api());
    }

    #[test]
    fn prefixes_round_trip() {
        for (p, k) in TokenKind::PREFIXES {
            assert_eq!(k.prefix(), Some(p));
            assert_eq!(TokenKind::of_str(&format!("{p}rest")), k);
        }
        assert_eq!(TokenKind::Unknown.prefix(), None);
    }
}
