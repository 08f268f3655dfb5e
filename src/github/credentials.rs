//! A token's own routes, for rotating it: who it belongs to (and GitHub's clock, from the
//! answer's `Date`), and GitHub's credential revocation (`POST /credentials/revoke`), which is
//! sent without authentication and only to github.com's API (or this machine, for tests).

use http::StatusCode;
use serde_json::json;
use zeroize::Zeroize;

use super::client::policy::Policy;
use super::client::Client;
use super::endpoints;
use super::error::{shown, ApiError};
use super::routes;
use super::url::ApiUrl;
use crate::secret::SecretValue;

/// What `GET /user` says of a token GitHub accepted.
#[derive(Debug, Clone)]
pub struct Holder {
    /// The user's login; `None` for a token that acts for no user (an app installation,
    /// which GitHub refuses `GET /user` with 403).
    pub login: Option<String>,
    /// GitHub's clock when it answered (the `Date` header), when it sent a readable one.
    pub server_time: Option<time::OffsetDateTime>,
}

/// Whom the client's token belongs to ([`endpoints::user`]). A 401 is
/// [`ApiError::Unauthorized`]; a 403 means GitHub accepted the token for no user.
pub async fn holder(client: &Client) -> Result<Holder, ApiError> {
    let user = endpoints::user(client).await?;
    let login = match user.login {
        Ok(login) => Some(login),
        Err(ApiError::Forbidden { .. }) => None,
        Err(e) => return Err(e),
    };
    Ok(Holder {
        login,
        server_time: user.server_time,
    })
}

/// Why the old token was not revoked. Holds no part of it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CredentialRevokeError {
    #[error("GitHub's credential revocation API is served by api.github.com only, not by {host}")]
    Unavailable { host: String },
    #[error("GitHub refused to revoke installation tokens (ghs_): they expire within an hour")]
    InstallationToken,
    #[error("GitHub answered {status} instead of 202{}", shown(message))]
    Refused {
        status: u16,
        message: Option<String>,
    },
    #[error(transparent)]
    Api(#[from] ApiError),
}

/// Asks GitHub to revoke `token` (`POST /credentials/revoke`, `{"credentials": [token]}`),
/// WITHOUT authentication: GitHub answers 403 to an authenticated request. 202 is success.
/// Refused before any request for a host other than api.github.com or this machine, and for
/// an installation token. GitHub e-mails the token's owner.
pub async fn revoke(
    api: &ApiUrl,
    policy: Policy,
    token: &SecretValue,
) -> Result<(), CredentialRevokeError> {
    if !api.serves_credential_revocation() {
        return Err(CredentialRevokeError::Unavailable {
            host: api.gh_hostname(),
        });
    }
    if super::token_kind::TokenKind::of(token).is_installation() {
        return Err(CredentialRevokeError::InstallationToken);
    }
    crate::output::redact::know_token(token);
    let client = Client::unauthenticated(api.as_str(), policy)?;
    let mut body = json!({ "credentials": [token.expose()] });
    let answer = client.post(routes::CREDENTIALS_REVOKE, &body).await;
    if let Some(serde_json::Value::String(t)) =
        body.get_mut("credentials").and_then(|c| c.get_mut(0))
    {
        t.zeroize();
    }
    let answer = answer?;
    if answer.status == StatusCode::ACCEPTED {
        return Ok(());
    }
    Err(CredentialRevokeError::Refused {
        status: answer.status.as_u16(),
        message: answer.message(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_request_to_another_host_nor_for_an_installation_token() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let ghes = ApiUrl::parse("https://ghes.example.com/api/v3").expect("url");
        let e = rt
            .block_on(revoke(
                &ghes,
                Policy::default(),
                &SecretValue::from("ghp_x"),
            ))
            .expect_err("ghes");
        assert_eq!(
            e.to_string(),
            "GitHub's credential revocation API is served by api.github.com only, not by \
             ghes.example.com"
        );
        let local = ApiUrl::parse("http://127.0.0.1:9").expect("url");
        let e = rt
            .block_on(revoke(
                &local,
                Policy::default(),
                &SecretValue::from("ghs_1.abc"),
            ))
            .expect_err("ghs");
        assert!(matches!(e, CredentialRevokeError::InstallationToken));
    }
}
