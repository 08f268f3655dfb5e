//! A token's kind, judged by its documented prefix only: the one place that judges it. A token
//! a person gives is otherwise opaque: its length and its characters say nothing (a stateless
//! `ghs_` installation token is ~520 characters with dots and dashes), so nothing judges it by
//! them. A token a *server* hands out (minted, exchanged) is checked for the shape of one
//! ([`TokenKind::has_installation_shape`]) before it is used, masked or sent anywhere: a hostile
//! or broken endpoint could otherwise make the run mask an ordinary word, or send any text it
//! likes as a credential.

use crate::secret::SecretValue;

/// The fewest characters after `ghs_` in an installation token GitHub mints (its classic form:
/// 36 of `[A-Za-z0-9]`).
pub(crate) const MIN_INSTALLATION_BODY: usize = 36;
/// The most characters accepted in a token a server hands out, its prefix included.
pub(crate) const MAX_SERVER_TOKEN: usize = 4096;

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

    /// Whether `token`, as a server handed it out, has the shape of a GitHub installation token:
    /// `ghs_`, then at least [`MIN_INSTALLATION_BODY`] characters of `A–Z a–z 0–9 . _ -` (the
    /// 40-character form and the stateless one of about 520, with dots), at most
    /// [`MAX_SERVER_TOKEN`] in all. The one rule for minted and exchanged tokens alike;
    /// surrounding whitespace is the caller's to trim first.
    pub fn has_installation_shape(token: &str) -> bool {
        token.len() <= MAX_SERVER_TOKEN
            && token.strip_prefix("ghs_").is_some_and(|body| {
                body.len() >= MIN_INSTALLATION_BODY
                    && body
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            })
    }

    /// The kind of a command-line argument that *is* a token, by its prefix, followed by at
    /// least 8 of a token's characters (`A–Z a–z 0–9 . _ -`): an argument is never a token
    /// (see `cli::credential_argument`), so one that looks like one was typed by mistake. A
    /// secret name (upper case) or a bare prefix is [`TokenKind::Unknown`].
    pub fn of_argument(arg: &str) -> TokenKind {
        let kind = Self::of_str(arg);
        let body = kind
            .prefix()
            .and_then(|p| arg.strip_prefix(p))
            .unwrap_or("");
        let token_like = body.len() >= 8
            && body
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
        if token_like {
            kind
        } else {
            TokenKind::Unknown
        }
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
    fn an_installation_token_from_a_server_must_look_like_one() {
        let classic = format!("ghs_{}", "A1b2C3d4E5".repeat(4));
        let stateless = format!(
            "ghs_123456.{}",
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjM0NTYifQ-_x".repeat(11)
        );
        for good in [classic.as_str(), stateless.as_str()] {
            assert!(TokenKind::has_installation_shape(good), "{good}");
        }
        for bad in [
            "ghs_short",
            "ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
            " ghs_0123456789abcdefghijABCDEFGHIJ0123456789",
            "ghs_0123456789abcdefghijABCDEFGHIJ012345678\n9",
            "ghs_0123456789abcdefghijABCDEFGHIJ0123456789=",
            "ghs_0123456789abcdefghijABCDEFGHIJ012345678é",
            "hello world, this is not a token at all, no",
            "",
        ] {
            assert!(!TokenKind::has_installation_shape(bad), "{bad:?}");
        }
        let huge = format!("ghs_{}", "a".repeat(MAX_SERVER_TOKEN + 1));
        assert!(!TokenKind::has_installation_shape(&huge));
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
