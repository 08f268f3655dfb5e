//! Why a GitHub App session could not be opened ([`AppAuthError`]), and how a failed request
//! made with the app's JWT is explained ([`jwt_failure`]). Names the app's inputs, the account,
//! the permission or the installation; never any part of the key or a token.

use super::permissions::NO_CODESPACES_PERMISSION;
use crate::auth::guard::{MintError, RevokeError};
use crate::github::{ApiError, TokenError};

/// Why a GitHub App session could not be opened, or a token minted. Names the app's inputs,
/// the account, the permission or the installation; never any part of the key or a token.
#[derive(Debug, thiserror::Error)]
pub enum AppAuthError {
    /// The key cannot sign.
    #[error(
        "`app-private-key` is not a usable RSA private key: give the whole PEM file GitHub \
         generated for the app (PKCS#1, \"RSA PRIVATE KEY\"), or its PKCS#8 form \
         (\"PRIVATE KEY\"), unchanged"
    )]
    BadKey,
    /// Codespaces secrets have no app permission ([`NO_CODESPACES_PERMISSION`]).
    #[error("{}", NO_CODESPACES_PERMISSION)]
    NoCodespacesPermission,
    /// No credential at all.
    #[error("no token")]
    NoToken,
    /// A client for a token could not be made.
    #[error(transparent)]
    Client(ApiError),
    /// The targets belong to more than one account.
    #[error(
        "a GitHub App installation belongs to one account, but the targets belong to {first} \
         and {other}: run once per account"
    )]
    SeveralOwners { first: String, other: String },
    /// The installation found belongs to another account.
    #[error("the app's installation {id} belongs to {login}, not {owner}")]
    OtherAccount {
        id: u64,
        login: String,
        owner: String,
    },
    /// No installation on the account (`shown`: ` (GitHub's message)`, or nothing).
    #[error(
        "the GitHub App is not installed on {what}: GitHub answered 404{shown} to {paths}. \
         Install the app on {what} (or the repositories to write), or give \
         `app-installation-id`"
    )]
    NotInstalled {
        what: String,
        shown: String,
        paths: String,
    },
    /// The installation lacks a permission the run needs (`missing`: "`name: level`"s).
    #[error(
        "the GitHub App's installation on {what} lacks the permission {missing}: add it in the \
         app's settings (Permissions), then accept the new permissions on the installation"
    )]
    MissingPermission { what: String, missing: String },
    /// `app-installation-id` names no installation of the app.
    #[error("the GitHub App has no installation {0}: check `app-installation-id`")]
    NoInstallation(u64),
    /// GitHub would not mint the token asked for (`repositories`: ` for a, b`; `shown`:
    /// ` (GitHub's message)`; either may be empty).
    #[error(
        "GitHub refused an installation token with {asked}{repositories}{shown}: the \
         installation must be granted these permissions and have access to those repositories"
    )]
    MintRefused {
        asked: String,
        repositories: String,
        shown: String,
    },
    /// A request made with the app's JWT failed.
    #[error(transparent)]
    Jwt(#[from] JwtFailure),
    /// GitHub's answer to the mint held no token.
    #[error("GitHub's installation token answer had no token")]
    NoMintedToken,
    /// GitHub's answer to the mint held something that is not an installation token (`ghs_…`).
    #[error(
        "GitHub's installation token answer holds no installation token (`ghs_…`): it was not \
         used, masked or sent anywhere; if one was minted, it expires by itself within the hour"
    )]
    NotAnInstallationToken,
    /// The minted token cannot be sent in a header.
    #[error("{0}: it cannot be used, nor revoked (it expires by itself within the hour)")]
    UnusableToken(TokenError),
    /// The mint brought no token.
    #[error(transparent)]
    Mint(Box<MintError<AppAuthError>>),
    /// The token minted to resolve patterns could not be revoked.
    #[error(transparent)]
    Revoke(#[from] RevokeError),
    /// The installation's repositories could not be listed (GitHub refused with `status`).
    #[error("could not list the app installation's repositories: GitHub answered {0}")]
    ListRefused(u16),
    /// The installation's repositories could not be listed (no answer, or not understood).
    #[error(transparent)]
    List(ApiError),
    /// A repository pattern is not a pattern.
    #[error(transparent)]
    Pattern(#[from] crate::target::PatternError),
    /// A repository pattern matches nothing the app can reach.
    #[error(
        "`{0}` matches no repository the GitHub App is installed on (archived repositories are \
         skipped)"
    )]
    NoMatch(String),
    /// A keyless run could not get its tokens.
    #[error(transparent)]
    Keyless(Box<crate::auth::keyless::KeylessError>),
}

/// A request made with the app's JWT that failed: a rejected `iat`/`exp` points at the
/// runner's clock; an error that is no refusal (the network, a bad body) is told as it is.
/// `shown` is ` (GitHub's message)`, or nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JwtFailure {
    /// The JWT's times were refused.
    #[error(
        "GitHub rejected the app's JWT{shown}: its times come from this machine's clock, which \
         must be within a minute of GitHub's: check the runner's clock"
    )]
    Clock { shown: String },
    /// The JWT was refused otherwise: the app's id or key.
    #[error(
        "GitHub rejected the app's JWT{shown}: check that `app-id` is the app's id (or client \
         id) and `app-private-key` is one of its current private keys"
    )]
    Rejected { shown: String },
    /// Another refusal while `doing` something.
    #[error("could not {doing}: GitHub answered {status}{shown}")]
    Refused {
        doing: &'static str,
        status: u16,
        shown: String,
    },
    /// No refusal: no answer, or one not understood.
    #[error(transparent)]
    Api(ApiError),
}

/// Explains a failed JWT request; a rejected `iat`/`exp` points at the runner's clock. An
/// error that is no refusal (the network, a bad body) is told as it is.
pub fn jwt_failure(e: &ApiError, doing: &'static str) -> JwtFailure {
    let Some(status) = e.refused_status() else {
        return JwtFailure::Api(e.clone());
    };
    let message = e.server_message().unwrap_or_default().to_owned();
    let shown = if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    };
    if matches!(e, ApiError::Unauthorized { .. }) {
        let lower = message.to_ascii_lowercase();
        if lower.contains("'iat'") || lower.contains("'exp'") || lower.contains("issued at") {
            return JwtFailure::Clock { shown };
        }
        return JwtFailure::Rejected { shown };
    }
    JwtFailure::Refused {
        doing,
        status,
        shown,
    }
}
