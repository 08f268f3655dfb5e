//! Typed endpoints for the secrets routes: each sends one request and answers with what the
//! caller needs, or a typed [`ApiError`] (`Unauthorized`, `Forbidden`, `NotFound`, `Rejected`,
//! `RateLimited`, …). Callers outside `github/` never see a status code or a wire type.

use std::collections::BTreeMap;

use http::StatusCode;
use serde::Deserialize;
use zeroize::Zeroize;

use super::answer::Answer;
use super::client::Client;
use super::error::ApiError;
use super::routes;
use super::wire::{AccountDoc, RepoName};
use crate::secret::SecretValue;
use crate::target::{Repo, Target};

/// A target's public key as GitHub returns it: its id and the base64 of its 32 bytes. The
/// caller decodes and checks the key (`seal::SealingKey`).
#[derive(Clone, Debug)]
pub struct PublicKey {
    pub key_id: String,
    pub key_base64: String,
}

#[derive(Deserialize)]
pub(super) struct PublicKeyDoc {
    key_id: super::wire::KeyId,
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
        key_id: doc.key_id.into_string(),
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

/// What a delete found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Deleted {
    /// 204: the secret was there and is gone.
    Removed,
    /// 404: no such secret here, or a target the token may not see (GitHub answers both the
    /// same way); the caller tells them apart.
    NotFound,
}

/// Deletes one secret (`DELETE …/secrets/{name}`): 204 as GitHub documents, 404 when absent.
pub async fn delete_secret(
    client: &Client,
    target: &Target,
    name: &str,
) -> Result<Deleted, ApiError> {
    match client.delete(&target.secret_path(name)).await?.check() {
        Ok(answer) if answer.status == StatusCode::NO_CONTENT => Ok(Deleted::Removed),
        Ok(answer) => Err(unexpected(&answer)),
        Err(ApiError::NotFound { .. }) => Ok(Deleted::NotFound),
        Err(e) => Err(e),
    }
}

/// [`delete_secret`] for a secret a cancelled run still owes the deletion of (a preflight's
/// throwaway secret): sent after a signal too ([`Client::delete_owed`]).
pub async fn delete_owed_secret(
    client: &Client,
    target: &Target,
    name: &str,
) -> Result<Deleted, ApiError> {
    match client.delete_owed(&target.secret_path(name)).await?.check() {
        Ok(answer) if answer.status == StatusCode::NO_CONTENT => Ok(Deleted::Removed),
        Ok(answer) => Err(unexpected(&answer)),
        Err(ApiError::NotFound { .. }) => Ok(Deleted::NotFound),
        Err(e) => Err(e),
    }
}

/// A success status the route does not document: refused like any other unexpected answer.
fn unexpected(answer: &Answer) -> ApiError {
    ApiError::Unexpected {
        status: answer.status.as_u16(),
        message: answer.message(),
    }
}

/// Whether a secret exists, and with which visibility.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExistingSecret {
    /// No such secret (404).
    Absent,
    /// The secret exists; `visibility` is its `visibility` field as GitHub spelt it, when that
    /// is a string (a repository's secret has none).
    Present { visibility: Option<String> },
}

/// An existing secret's metadata (`GET …/secrets/{name}`).
pub async fn secret_visibility(
    client: &Client,
    target: &Target,
    name: &str,
) -> Result<ExistingSecret, ApiError> {
    match client.get(&target.secret_path(name)).await?.check() {
        Ok(answer) if answer.status == StatusCode::OK => {
            let doc: serde_json::Value = answer.json()?;
            Ok(ExistingSecret::Present {
                visibility: doc
                    .get("visibility")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned),
            })
        }
        Ok(answer) => Err(unexpected(&answer)),
        Err(ApiError::NotFound { .. }) => Ok(ExistingSecret::Absent),
        Err(e) => Err(e),
    }
}

/// What `GET /user` said of the token.
#[derive(Debug)]
pub struct UserAnswer {
    /// The login of the token's user; else GitHub's refusal (`Unauthorized`: a token it does
    /// not accept; `Forbidden`: one that acts for no user, such as an app installation's), or
    /// `BadBody` for an answer not understood.
    pub login: Result<String, ApiError>,
    /// GitHub's clock when it answered (the `Date` header), when it sent a readable one.
    pub server_time: Option<time::OffsetDateTime>,
}

/// `GET /user`: the one request for the token's user. `Err` only when no answer came (the
/// network, rate limits, 5xx after retries); an answer refused or not understood is in
/// [`UserAnswer::login`].
pub async fn user(client: &Client) -> Result<UserAnswer, ApiError> {
    let answer = client.get(routes::USER).await?;
    let server_time = http_date(&answer.headers);
    let login = ok(answer)
        .and_then(|a| a.json::<AccountDoc>())
        .map(|doc| doc.login.into_string());
    Ok(UserAnswer { login, server_time })
}

/// An HTTP date (`Wed, 02 Dec 2099 06:33:35 GMT`, RFC 9110's IMF-fixdate), read strictly;
/// anything else is `None`.
pub(super) fn http_date(headers: &http::HeaderMap) -> Option<time::OffsetDateTime> {
    let text = headers.get(http::header::DATE)?.to_str().ok()?;
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), format)
        .ok()
        .map(time::PrimitiveDateTime::assume_utc)
        .and_then(super::wire::utc_date)
}

#[derive(Deserialize)]
struct AppDoc {
    /// Ids are never 0: an answer holding 0 is refused.
    id: std::num::NonZeroU64,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name: String,
}

/// The app the JWT signs for (`GET /app`).
#[derive(Clone, Debug)]
pub struct AppInfo {
    pub id: u64,
    pub slug: String,
    pub name: String,
}

/// The app the JWT signs for (`GET /app`).
pub async fn app(jwt: &Client) -> Result<AppInfo, ApiError> {
    let doc: AppDoc = ok(jwt.get(routes::APP).await?)?.json()?;
    Ok(AppInfo {
        id: doc.id.get(),
        slug: doc.slug,
        name: doc.name,
    })
}

#[derive(Deserialize)]
struct InstallationDoc {
    id: std::num::NonZeroU64,
    account: Option<AccountDoc>,
    #[serde(default)]
    permissions: BTreeMap<String, String>,
    repository_selection: Option<String>,
}

/// An app's installation: its id, the account it is on, what it was granted.
#[derive(Clone, Debug)]
pub struct Installation {
    pub id: u64,
    /// The login of the account it is installed on, when GitHub says.
    pub account: Option<String>,
    pub permissions: BTreeMap<String, String>,
    pub repository_selection: Option<String>,
}

/// Where to look an installation up.
#[derive(Clone, Copy, Debug)]
pub enum InstallationOf<'a> {
    Id(u64),
    Repo(&'a Repo),
    Org(&'a str),
    User(&'a str),
}

impl InstallationOf<'_> {
    /// The route, for messages that name what was asked.
    pub fn path(&self) -> String {
        match self {
            InstallationOf::Id(id) => routes::installation(*id),
            InstallationOf::Repo(repo) => routes::repository_installation(repo),
            InstallationOf::Org(org) => routes::org_installation(org),
            InstallationOf::User(user) => routes::user_installation(user),
        }
    }
}

/// An installation of the app the JWT signs for (`GET …/installation`).
pub async fn installation(jwt: &Client, of: InstallationOf<'_>) -> Result<Installation, ApiError> {
    let doc: InstallationDoc = ok(jwt.get(&of.path()).await?)?.json()?;
    // What the tool acts on and shows is checked for its shape: a permission is a name of
    // `a-z` and `_` granted `read`, `write` or `admin` (anything else is left out, as not
    // granted); the selection is `all` or `selected`, else unknown.
    let permissions = doc
        .permissions
        .into_iter()
        .filter(|(name, level)| {
            !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && matches!(level.as_str(), "read" | "write" | "admin")
        })
        .collect();
    Ok(Installation {
        id: doc.id.get(),
        account: doc.account.map(|a| a.login.into_string()),
        permissions,
        repository_selection: doc
            .repository_selection
            .filter(|s| matches!(s.as_str(), "all" | "selected")),
    })
}

/// A minted installation token as GitHub answered it: the token (if the answer had one),
/// `expires_at` (RFC 3339, when given) and the `permissions` GitHub granted it (names of
/// lowercase letters and `_`, levels `read`, `write` or `admin`; anything else is left out).
/// The answer's bytes are zeroized once read.
pub struct MintedToken {
    pub token: Option<SecretValue>,
    pub expires_at: Option<String>,
    pub permissions: BTreeMap<String, String>,
}

/// The `permissions` object of a mint's answer, as far as it is well formed.
fn granted_permissions(doc: Option<&serde_json::Value>) -> BTreeMap<String, String> {
    let Some(map) = doc
        .and_then(|v| v.get("permissions"))
        .and_then(serde_json::Value::as_object)
    else {
        return BTreeMap::new();
    };
    map.iter()
        .filter(|(name, _)| {
            !name.is_empty()
                && name.len() <= 64
                && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })
        .filter_map(|(name, level)| {
            let level = level.as_str()?;
            matches!(level, "read" | "write" | "admin").then(|| (name.clone(), level.to_owned()))
        })
        .collect()
}

/// `POST /app/installations/{id}/access_tokens` with `body` (`permissions`, `repositories`).
pub async fn create_installation_token(
    jwt: &Client,
    installation: u64,
    body: &serde_json::Value,
) -> Result<MintedToken, ApiError> {
    let path = routes::installation_access_tokens(installation);
    let mut answer = jwt.post(&path, body).await?.check()?;
    if answer.status != StatusCode::CREATED {
        answer.body.zeroize();
        return Err(unexpected(&answer));
    }
    let doc = serde_json::from_slice::<serde_json::Value>(&answer.body).ok();
    answer.body.zeroize();
    let token = doc
        .as_ref()
        .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned))
        .map(SecretValue::new);
    // Kept only when it is a date (re-written as RFC 3339, UTC): it is shown and recorded.
    let expires_at = doc.as_ref().and_then(|v| {
        v.get("expires_at")
            .and_then(|t| t.as_str())
            .and_then(|t| super::wire::Timestamp::try_from(t.to_owned()).ok())
            .map(|t| t.to_string())
    });
    let permissions = granted_permissions(doc.as_ref());
    if let Some(mut doc) = doc {
        if let Some(serde_json::Value::String(t)) = doc.get_mut("token") {
            t.zeroize();
        }
    }
    Ok(MintedToken {
        token,
        expires_at,
        permissions,
    })
}

/// `DELETE /installation/token` with the token itself.
pub async fn revoke_installation_token(client: &Client) -> Result<(), ApiError> {
    let answer = client.delete(routes::INSTALLATION_TOKEN).await?.check()?;
    match answer.status {
        StatusCode::NO_CONTENT | StatusCode::OK => Ok(()),
        _ => Err(unexpected(&answer)),
    }
}

#[derive(Deserialize)]
struct InstallationRepos {
    repositories: Vec<InstallationRepo>,
}

#[derive(Deserialize)]
struct InstallationRepo {
    name: RepoName,
    owner: AccountDoc,
    #[serde(default)]
    archived: bool,
}

/// Every non-archived repository the installation token can reach
/// (`GET /installation/repositories`, every page).
pub async fn installation_repositories(reader: &Client) -> Result<Vec<Repo>, ApiError> {
    let mut reachable = Vec::new();
    let mut pages = reader.pages(routes::INSTALLATION_REPOSITORIES.to_owned());
    while let Some(answer) = pages.next().await {
        let doc: InstallationRepos = ok(answer?)?.json()?;
        reachable.extend(
            doc.repositories
                .into_iter()
                .filter(|r| !r.archived)
                .map(|r| Repo {
                    owner: r.owner.login.into_string(),
                    name: r.name.into_string(),
                }),
        );
    }
    Ok(reachable)
}

/// The answer when it is `200 OK`, else the typed error.
fn ok(answer: Answer) -> Result<Answer, ApiError> {
    let answer = answer.check()?;
    if answer.status != StatusCode::OK {
        return Err(unexpected(&answer));
    }
    Ok(answer)
}

/// Why a read for a command got nothing: no answer, GitHub's refusal, or an answer not
/// understood. The command explains each its own way.
#[derive(Debug)]
pub enum ReadError {
    NoAnswer(ApiError),
    Refused(ApiError),
    NotUnderstood(ApiError),
}

/// Whether the target's public key can be read (`GET …/secrets/public-key`): only the status
/// counts, the body is not read.
pub async fn public_key_readable(client: &Client, target: &Target) -> Result<(), ReadError> {
    client
        .get(&target.public_key_path())
        .await
        .map_err(ReadError::NoAnswer)?
        .check()
        .map_err(ReadError::Refused)?;
    Ok(())
}

/// One secret's metadata, as a listing gives it.
#[derive(Clone, Debug)]
pub struct SecretMeta {
    pub name: String,
    pub updated_at: time::OffsetDateTime,
    /// `updated_at` as GitHub spelt it (validated).
    pub updated_at_text: String,
    /// An organisation secret's `visibility` (`all`, `private` or `selected`); `None` for
    /// others, or when GitHub sent another word.
    pub visibility: Option<String>,
}

#[derive(Deserialize)]
struct SecretDoc {
    name: super::wire::SecretNameDoc,
    updated_at: super::wire::Timestamp,
    #[serde(default)]
    visibility: Option<String>,
}

#[derive(Deserialize)]
struct ListDoc {
    secrets: Vec<SecretDoc>,
}

/// Every secret of a target (`GET …/secrets?per_page=100`), following `Link: rel="next"`.
pub async fn list_secrets(client: &Client, target: &Target) -> Result<Vec<SecretMeta>, ReadError> {
    let mut pages = client.pages(format!("{}?per_page=100", target.secrets_path()));
    let mut all = Vec::new();
    while let Some(answer) = pages.next().await {
        let answer = answer.map_err(ReadError::NoAnswer)?;
        let answer = answer.check().map_err(ReadError::Refused)?;
        let doc: ListDoc = answer.json().map_err(ReadError::NotUnderstood)?;
        all.extend(doc.secrets.into_iter().map(|d| {
            SecretMeta {
                name: d.name.to_string(),
                updated_at: d.updated_at.at(),
                updated_at_text: d.updated_at.to_string(),
                visibility: d
                    .visibility
                    .filter(|v| matches!(v.as_str(), "all" | "private" | "selected")),
            }
        }));
    }
    Ok(all)
}

#[derive(Deserialize)]
struct UpdatedDoc {
    updated_at: super::wire::Timestamp,
}

/// When a secret was last written (`GET …/secrets/{name}`): `None` when there is no such
/// secret (404). A date that is not RFC 3339 fails the answer.
pub async fn secret_updated_at(
    client: &Client,
    target: &Target,
    name: &str,
) -> Result<Option<super::wire::Timestamp>, ApiError> {
    match client.get(&target.secret_path(name)).await?.check() {
        Ok(answer) if answer.status == StatusCode::OK => {
            Ok(Some(answer.json::<UpdatedDoc>()?.updated_at))
        }
        Ok(answer) => Err(unexpected(&answer)),
        Err(ApiError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every wire type of this file decoded from one answer, for the wire fuzz (`github/fuzz.rs`):
/// the errors, the values dropped.
#[cfg(test)]
pub(super) fn decode_each(answer: &Answer) -> Vec<Result<(), ApiError>> {
    vec![
        answer.json::<PublicKeyDoc>().map(drop),
        answer.json::<super::wire::AccountDoc>().map(drop),
        answer.json::<AppDoc>().map(drop),
        answer.json::<InstallationDoc>().map(drop),
        answer.json::<InstallationRepos>().map(drop),
        answer.json::<ListDoc>().map(drop),
        answer.json::<UpdatedDoc>().map(drop),
        answer.json::<serde_json::Value>().map(drop),
    ]
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
}
