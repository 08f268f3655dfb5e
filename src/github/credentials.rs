//! A token's own routes, for rotating it: who it belongs to (and GitHub's clock, from the
//! answer's `Date`), and GitHub's credential revocation (`POST /credentials/revoke`), which is
//! sent without authentication and only to github.com's API (or this machine, for tests).

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroize;

use super::client::policy::Policy;
use super::client::Client;
use super::error::ApiError;
use super::routes;
use super::url::ApiUrl;
use super::wire::Login;
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

#[derive(Deserialize)]
struct UserDoc {
    login: Login,
}

/// Whom the client's token belongs to (`GET /user`). A 401 is [`ApiError::Unauthorized`];
/// a 403 means GitHub accepted the token for no user.
pub async fn holder(client: &Client) -> Result<Holder, ApiError> {
    let answer = client.get(routes::USER).await?;
    let server_time = http_date(&answer.headers);
    match answer.check() {
        Ok(a) if a.status == StatusCode::OK => Ok(Holder {
            login: Some(a.json::<UserDoc>()?.login.into_string()),
            server_time,
        }),
        Ok(a) => Err(ApiError::Unexpected {
            status: a.status.as_u16(),
            message: a.message(),
        }),
        Err(ApiError::Forbidden { .. }) => Ok(Holder {
            login: None,
            server_time,
        }),
        Err(e) => Err(e),
    }
}

/// An HTTP date (`Wed, 02 Dec 2099 06:33:35 GMT`, RFC 9110's IMF-fixdate), read strictly;
/// anything else is `None`.
pub(crate) fn http_date(headers: &http::HeaderMap) -> Option<time::OffsetDateTime> {
    let text = headers.get(http::header::DATE)?.to_str().ok()?;
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
}

/// Why the old token was not revoked. Holds no part of it.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RevokeError {
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

fn shown(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default()
}

/// Asks GitHub to revoke `token` (`POST /credentials/revoke`, `{"credentials": [token]}`),
/// WITHOUT authentication: GitHub answers 403 to an authenticated request. 202 is success.
/// Refused before any request for a host other than api.github.com or this machine, and for
/// an installation token. GitHub e-mails the token's owner.
pub async fn revoke(api: &ApiUrl, policy: Policy, token: &SecretValue) -> Result<(), RevokeError> {
    if !api.serves_credential_revocation() {
        return Err(RevokeError::Unavailable {
            host: api.gh_hostname(),
        });
    }
    if super::token_kind::TokenKind::of(token).is_installation() {
        return Err(RevokeError::InstallationToken);
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
    Err(RevokeError::Refused {
        status: answer.status.as_u16(),
        message: answer.message(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_read_strictly() {
        let mut h = http::HeaderMap::new();
        h.insert(
            "date",
            "Tue, 01 Dec 2099 06:33:35 GMT".parse().expect("header"),
        );
        let t = http_date(&h).expect("date");
        assert_eq!(t.unix_timestamp(), 4_099_790_015);
        for bad in [
            "2099-12-01T06:33:35Z",
            "Tue, 01 Dec 2099 06:33:35 +0100",
            "",
        ] {
            h.insert("date", bad.parse().expect("header"));
            assert_eq!(http_date(&h), None, "{bad}");
        }
    }

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
        assert!(matches!(e, RevokeError::InstallationToken));
    }
}
