//! A token's kind, judged by its documented prefix only: the one place that judges it. A token
//! is otherwise opaque: its length and its characters say nothing (a stateless `ghs_`
//! installation token is ~520 characters with dots and dashes), so nothing here or elsewhere
//! judges a token by them.

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
