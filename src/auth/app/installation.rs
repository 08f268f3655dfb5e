//! The app's installation: finding it (and checking what it was granted), minting its tokens
//! (`POST /app/installations/{id}/access_tokens`, held by [`crate::auth::guard`]), and
//! resolving repository patterns against the repositories it can reach.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::json;

use super::error::{jwt_failure, AppAuthError};
use crate::auth::guard::InstallationToken;
use crate::auth::reach;
use crate::config::{Config, Destination, RepoSpec};
use crate::github::endpoints::{self, Installation, InstallationOf};
use crate::github::{ApiError, Client};
use crate::secret::SecretValue;
use crate::target::Target;

/// `GET /repos/{owner}/{repo}/installation` for the first repository, or
/// `GET /orgs/{org}/installation` (then `/users/{user}/installation`) for an owner; checks
/// that the installation was granted the permissions the run needs.
pub(super) async fn find_installation(
    jwt: &Client,
    config: &Config,
    owner: &str,
    needed: &BTreeMap<&'static str, &'static str>,
) -> Result<u64, AppAuthError> {
    let first_repo = match &config.destination {
        Destination::Repos { repos, .. } => repos.iter().find_map(|r| match r {
            RepoSpec::Exact(repo) => Some(repo.clone()),
            RepoSpec::Pattern { .. } => None,
        }),
        Destination::Org { .. } => None,
    };
    let (what, places) = match (&first_repo, &config.destination) {
        (Some(repo), _) => (repo.to_string(), vec![InstallationOf::Repo(repo)]),
        (None, Destination::Org { org, .. }) => (org.clone(), vec![InstallationOf::Org(org)]),
        (None, _) => (
            owner.to_owned(),
            vec![InstallationOf::Org(owner), InstallationOf::User(owner)],
        ),
    };
    let mut last = None;
    for place in &places {
        match endpoints::installation(jwt, *place).await {
            Ok(doc) => {
                if let Some(login) = &doc.account {
                    if !login.eq_ignore_ascii_case(owner) {
                        return Err(AppAuthError::OtherAccount {
                            id: doc.id,
                            login: login.clone(),
                            owner: owner.to_owned(),
                        });
                    }
                }
                check_granted(&doc, needed, &what)?;
                return Ok(doc.id);
            }
            Err(ApiError::NotFound { message }) => last = message,
            Err(e) => return Err(jwt_failure(&e, "find the app's installation").into()),
        }
    }
    let paths: Vec<String> = places.iter().map(InstallationOf::path).collect();
    Err(AppAuthError::NotInstalled {
        what,
        shown: last.map(|m| format!(" ({m})")).unwrap_or_default(),
        paths: paths.join(" and "),
    })
}

/// Fails, naming the permission, when the installation lacks one the run needs.
fn check_granted(
    doc: &Installation,
    needed: &BTreeMap<&'static str, &'static str>,
    what: &str,
) -> Result<(), AppAuthError> {
    let missing: Vec<String> = needed
        .iter()
        .filter(|(name, level)| {
            let granted = doc.permissions.get(**name).map(String::as_str);
            !(granted == Some(**level) || granted == Some("write") || granted == Some("admin"))
        })
        .map(|(name, level)| format!("`{name}: {level}`"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AppAuthError::MissingPermission {
        what: what.to_owned(),
        missing: missing.join(" and "),
    })
}

/// `POST /app/installations/{id}/access_tokens`, limited to `repositories` and `permissions`:
/// the token, in the guard that sees it revoked (see [`crate::auth::guard`]). The request runs
/// to its end even when the caller is abandoned.
pub async fn mint(
    jwt: &Arc<Client>,
    installation: u64,
    repositories: Option<&[String]>,
    permissions: &BTreeMap<&'static str, &'static str>,
) -> Result<InstallationToken, AppAuthError> {
    let (client, repositories, permissions) = (
        Arc::clone(jwt),
        repositories.map(<[String]>::to_vec),
        permissions.clone(),
    );
    crate::auth::guard::mint(jwt, async move {
        request_token(&client, installation, repositories.as_deref(), &permissions).await
    })
    .await
    .map_err(|e| AppAuthError::Mint(Box::new(e)))
}

/// The mint's request and the checks of its answer: the token, its `expires_at` and the
/// permissions granted.
async fn request_token(
    jwt: &Client,
    installation: u64,
    repositories: Option<&[String]>,
    permissions: &BTreeMap<&'static str, &'static str>,
) -> Result<crate::auth::guard::Minted, AppAuthError> {
    let mut body = json!({ "permissions": permissions });
    if let Some(names) = repositories {
        if let Some(fields) = body.as_object_mut() {
            fields.insert("repositories".into(), json!(names));
        }
    }
    let minted = match endpoints::create_installation_token(jwt, installation, &body).await {
        Ok(minted) => minted,
        Err(e) => return Err(mint_failure(&e, installation, repositories, permissions)),
    };
    // Surrounding whitespace is not part of a token: trimmed, the token is the one used and
    // revoked (refused for its newline, it was neither).
    let token = minted
        .token
        .map(|t| SecretValue::from(t.expose().trim()))
        .filter(|t| !t.is_empty())
        .ok_or(AppAuthError::NoMintedToken)?;
    // Checked before anything masks, prints or sends it: an answer that is not an installation
    // token is never sent as a credential, nor registered as a mask or for redaction (its lines
    // could be ordinary words, `ghs_` itself: every one of them would be blanked).
    if !crate::github::TokenKind::has_installation_shape(token.expose()) {
        return Err(AppAuthError::NotAnInstallationToken);
    }
    crate::github::check_token(&token, "installation token GitHub minted")
        .map_err(AppAuthError::UnusableToken)?;
    Ok(crate::auth::guard::Minted {
        token,
        expires_at: minted.expires_at,
        permissions: minted.permissions,
    })
}

/// Why GitHub would not mint an installation token, and the fix.
fn mint_failure(
    e: &ApiError,
    installation: u64,
    repositories: Option<&[String]>,
    permissions: &BTreeMap<&'static str, &'static str>,
) -> AppAuthError {
    {
        let asked = permissions
            .iter()
            .map(|(k, v)| format!("`{k}: {v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        match e {
            ApiError::NotFound { .. } => AppAuthError::NoInstallation(installation),
            ApiError::Rejected { message } => AppAuthError::MintRefused {
                asked,
                repositories: repositories
                    .map(|r| format!(" for {}", r.join(", ")))
                    .unwrap_or_default(),
                shown: message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default(),
            },
            e => jwt_failure(e, "get an installation token").into(),
        }
    }
}

/// Targets for the configured repositories, patterns matched against
/// `GET /installation/repositories` (every repository the installation can reach), by the one
/// resolver ([`crate::auth::reach`]).
pub(super) async fn resolve_patterns(
    reader: &Client,
    config: &Config,
) -> Result<Vec<Target>, AppAuthError> {
    let Destination::Repos { repos, environment } = &config.destination else {
        return Ok(Vec::new());
    };
    let mut reach = reach::Installation::new(reader);
    reach::resolve(repos, environment.as_deref(), config.app, &mut reach)
        .await
        .map_err(|e| match e {
            reach::ResolveError::List { error, .. } => match error.refused_status() {
                Some(status) => AppAuthError::ListRefused(status),
                None => AppAuthError::List(error),
            },
            reach::ResolveError::Pattern(e) => e.into(),
            reach::ResolveError::NoMatch { spec, .. } => AppAuthError::NoMatch(spec),
        })
}
