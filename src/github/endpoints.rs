//! Typed endpoints for the secrets routes: each sends one request and answers with what the
//! caller needs, or a typed [`ApiError`] (`Unauthorized`, `Forbidden`, `NotFound`, `Rejected`,
//! `RateLimited`, …). Callers outside `github/` never see a status code or a wire type.

use http::StatusCode;
use serde::Deserialize;

use super::{Answer, ApiError, Client};
use crate::target::Target;

/// A target's public key as GitHub returns it: its id and the base64 of its 32 bytes. The
/// caller decodes and checks the key (`seal::SealingKey`).
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub key_id: String,
    pub key_base64: String,
}

#[derive(Deserialize)]
pub(in crate::github) struct PublicKeyDoc {
    key_id: String,
    key: String,
}

/// What a successful write did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Written {
    Created,
    Updated,
}

/// The target's public key (`GET …/secrets/public-key`).
pub async fn public_key(client: &Client, target: &Target) -> Result<PublicKey, ApiError> {
    let answer = client.get(&target.public_key_path()).await?.check()?;
    if answer.status != StatusCode::OK {
        return Err(unexpected(&answer));
    }
    let doc: PublicKeyDoc = answer.json()?;
    Ok(PublicKey {
        key_id: doc.key_id,
        key_base64: doc.key,
    })
}

/// Writes one sealed secret (`PUT …/secrets/{name}`); `body` holds `encrypted_value`, `key_id`
/// and, for an organisation, the visibility.
pub async fn put_secret(
    client: &Client,
    target: &Target,
    name: &str,
    body: &serde_json::Value,
) -> Result<Written, ApiError> {
    let answer = client.put(&target.secret_path(name), body).await?.check()?;
    match answer.status {
        StatusCode::CREATED => Ok(Written::Created),
        StatusCode::NO_CONTENT | StatusCode::OK => Ok(Written::Updated),
        _ => Err(unexpected(&answer)),
    }
}

/// A success status the route does not document: refused like any other unexpected answer.
fn unexpected(answer: &Answer) -> ApiError {
    ApiError::Unexpected {
        status: answer.status.as_u16(),
        message: answer.message(),
    }
}

/// An existing secret's metadata (`GET …/secrets/{name}`): `None` when there is no such
/// secret (404); else its `visibility` field as GitHub spelt it, if it is a string.
pub async fn secret_visibility(
    client: &Client,
    target: &Target,
    name: &str,
) -> Result<Option<Option<String>>, ApiError> {
    match client.get(&target.secret_path(name)).await?.check() {
        Ok(answer) if answer.status == StatusCode::OK => {
            let doc: serde_json::Value = answer.json()?;
            Ok(Some(
                doc.get("visibility")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            ))
        }
        Ok(answer) => Err(unexpected(&answer)),
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}
