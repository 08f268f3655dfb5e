//! The two services of the keyless path, beside GitHub's API and not GitHub API routes: the
//! runner's ID-token service (`ACTIONS_ID_TOKEN_REQUEST_URL`) and an octo-sts-style token
//! exchange (`sts-url`). Each has a client of its own ([`Client::for_service`]: the URL policy,
//! retries, a body cap) that sends only its own bearer — the runner's request token to the
//! first, the job's ID token to the second — and never a GitHub token. Answers are capped at
//! [`MAX_ANSWER_BYTES`] and checked for shape before anything uses them: an ID token must look
//! like a JWT, an exchanged token like a GitHub installation token (`ghs_…`, trimmed).
//!
//! The protocol (octo-sts, `pkg/octosts/octosts.go`):
//! 1. `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=AUD`, `Authorization: Bearer
//!    $ACTIONS_ID_TOKEN_REQUEST_TOKEN` → `{"value": "<JWT>"}`;
//! 2. `GET {sts-url}/sts/exchange?scope=SCOPE&identity=IDENTITY`, `Authorization: Bearer <ID
//!    token>` → `{"token": "ghs_…"}`, or `{"message": "…"}` with a 4xx or 5xx.

use std::sync::Arc;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroize;

use super::answer::Answer;
use super::client::Client;
use super::error::ApiError;
use super::url::ServiceUrl;
use super::{Policy, Stats};
use crate::secret::SecretValue;

/// The most of an answer of either service that is read: both answer a few KiB at most.
pub const MAX_ANSWER_BYTES: usize = 64 * 1024;

/// The longest ID token accepted (GitHub's are about 1.2 KiB).
const MAX_JWT_BYTES: usize = 16 * 1024;
/// The longest installation token accepted (a stateless `ghs_` token is about 520 characters).
#[cfg(test)]
const MAX_INSTALLATION_TOKEN_BYTES: usize = super::token_kind::MAX_SERVER_TOKEN;

/// Everything but unreserved characters is encoded in a query value.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn encode(s: &str) -> String {
    utf8_percent_encode(s, QUERY_VALUE).to_string()
}

/// Why a service gave nothing usable. Holds no token: statuses, the service's own message, or
/// what was wrong with the answer's shape.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    /// The service answered and refused (a 4xx, or a status it does not document).
    #[error("it answered {status}{}", super::error::shown(message))]
    Refused {
        status: u16,
        message: Option<String>,
    },
    /// No usable answer: none came, a 5xx after every retry, or one too large.
    #[error("{0}")]
    Unanswered(ApiError),
    /// It answered 200 without what it should hold (`what`).
    #[error("its answer holds no {0}")]
    NotUnderstood(&'static str),
}

impl ServiceError {
    /// The status of a refusal.
    pub fn refused_status(&self) -> Option<u16> {
        match self {
            ServiceError::Refused { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A client for a service: its origin's, this policy with the smaller body cap, counting into
/// `stats`.
fn service_client(
    url: &ServiceUrl,
    bearer: &SecretValue,
    what: &'static str,
    policy: &Policy,
    stats: &Arc<Stats>,
) -> Result<Client, ApiError> {
    let mut policy = policy.clone();
    policy.max_body_bytes = policy.max_body_bytes.min(MAX_ANSWER_BYTES);
    let mut client = Client::for_service(&url.origin()?, bearer, what, policy)?;
    client.stats = stats.clone();
    Ok(client)
}

/// The one string field `field` of a 200 answer, the body zeroized once read; refusals and
/// other statuses become a [`ServiceError`].
fn string_field(mut answer: Answer, field: &str) -> Result<Option<SecretValue>, ServiceError> {
    if !answer.status.is_success() {
        let refused = ServiceError::Refused {
            status: answer.status.as_u16(),
            message: answer.message(),
        };
        answer.body.zeroize();
        return Err(refused);
    }
    let mut doc = serde_json::from_slice::<serde_json::Value>(&answer.body).ok();
    answer.body.zeroize();
    let value = doc
        .as_ref()
        .and_then(|d| d.get(field))
        .and_then(|v| v.as_str())
        .map(SecretValue::from);
    if let Some(serde_json::Value::String(s)) = doc.as_mut().and_then(|d| d.get_mut(field)) {
        s.zeroize();
    }
    Ok(value)
}

/// The runner's ID-token service: a client sending `ACTIONS_ID_TOKEN_REQUEST_TOKEN` to
/// `ACTIONS_ID_TOKEN_REQUEST_URL` only.
pub struct IdTokenService {
    client: Client,
    path: String,
}

impl IdTokenService {
    /// No request is made.
    pub fn new(
        url: &ServiceUrl,
        request_token: &SecretValue,
        policy: &Policy,
        stats: &Arc<Stats>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            client: service_client(
                url,
                request_token,
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                policy,
                stats,
            )?,
            path: url.path_and_query(),
        })
    }

    /// The job's ID token for `audience`: `GET {url}&audience=AUD`, its `value` a JWT.
    pub async fn id_token(&self, audience: &str) -> Result<SecretValue, ServiceError> {
        let join = if self.path.contains('?') { '&' } else { '?' };
        let path = format!("{}{join}audience={}", self.path, encode(audience));
        let answer = self
            .client
            .get(&path)
            .await
            .map_err(ServiceError::Unanswered)?;
        let value = string_field(answer, "value")?
            .map(|v| SecretValue::new(v.expose().trim().to_owned()))
            .filter(|v| looks_like_jwt(v.expose()))
            .ok_or(ServiceError::NotUnderstood("ID token (a JWT in `value`)"))?;
        Ok(value)
    }
}

/// A token exchange: a client sending the job's ID token to `sts-url` only.
pub struct TokenExchange {
    client: Client,
    path: String,
}

impl TokenExchange {
    /// No request is made.
    pub fn new(
        url: &ServiceUrl,
        id_token: &SecretValue,
        policy: &Policy,
        stats: &Arc<Stats>,
    ) -> Result<Self, ApiError> {
        Ok(Self {
            client: service_client(url, id_token, "ID token", policy, stats)?,
            path: format!("{}/sts/exchange", url.path_and_query()),
        })
    }

    /// `GET {sts-url}/sts/exchange?scope=SCOPE&identity=IDENTITY`: an installation token
    /// (`ghs_…`, trimmed). Retried like any GET (a 5xx, no answer); a token minted for an answer
    /// that never arrived cannot be known, and expires within the hour.
    pub async fn exchange(&self, scope: &str, identity: &str) -> Result<SecretValue, ServiceError> {
        let path = format!(
            "{}?scope={}&identity={}",
            self.path,
            encode(scope),
            encode(identity)
        );
        let answer = self
            .client
            .get(&path)
            .await
            .map_err(ServiceError::Unanswered)?;
        let token = string_field(answer, "token")?
            .map(|t| SecretValue::new(t.expose().trim().to_owned()))
            .filter(|t| looks_like_installation_token(t.expose()))
            .ok_or(ServiceError::NotUnderstood(
                "GitHub installation token (`ghs_…` in `token`)",
            ))?;
        Ok(token)
    }
}

/// A JWT's shape: three non-empty base64url parts, of a bounded length. The signature is the
/// exchange's to check.
pub fn looks_like_jwt(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    s.len() <= MAX_JWT_BYTES
        && parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// A GitHub installation token's shape ([`super::TokenKind::has_installation_shape`], the one
/// rule for minted and exchanged tokens): the answer of an exchange is judged by it before the
/// token is masked, used or sent anywhere.
pub fn looks_like_installation_token(s: &str) -> bool {
    super::TokenKind::has_installation_shape(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_jwt_shaped_answer_is_an_id_token() {
        assert!(looks_like_jwt(
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
        ));
        for bad in [
            "",
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0",
            "eyJhbGciOiJSUzI1NiJ9..c2ln",
            "a.b.c.d",
            "eyJ hbGc.eyJ.c2ln",
            "eyJ\n.eyJ.c2ln",
            "ghp_0123456789",
        ] {
            assert!(!looks_like_jwt(bad), "{bad:?}");
        }
        assert!(!looks_like_jwt(&format!(
            "a.{}.c",
            "b".repeat(MAX_JWT_BYTES)
        )));
    }

    #[test]
    fn only_a_ghs_token_is_an_exchanged_token() {
        let stateless = format!("ghs_123456.{}-_x", "eyJhbGciOiJSUzI1NiJ9".repeat(20));
        for ok in [
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            stateless.as_str(),
        ] {
            assert!(looks_like_installation_token(ok), "{ok}");
        }
        for bad in [
            "",
            "ghs_",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "github_pat_11AAAA",
            "ghs_x y",
            "ghs_x\n::warning::y",
            " ghs_x",
            "ghs_x%0A",
        ] {
            assert!(!looks_like_installation_token(bad), "{bad:?}");
        }
        let long = format!("ghs_{}", "a".repeat(MAX_INSTALLATION_TOKEN_BYTES));
        assert!(!looks_like_installation_token(&long));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(encode("acme/api"), "acme%2Fapi");
        assert_eq!(encode("a&b=c d"), "a%26b%3Dc%20d");
        assert_eq!(encode("sts.example.com"), "sts.example.com");
    }
}
