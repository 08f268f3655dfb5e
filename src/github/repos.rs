//! Reads that turn what the user wrote into what GitHub needs: the token's login, an owner's
//! repositories (paged, archived ones skipped), repository ids.

use http::StatusCode;
use serde::Deserialize;

use super::answer::Answer;
use super::client::Client;
use super::endpoints;
use super::error::ApiError;
use super::wire::{AccountDoc, RepoName};
use crate::target::Repo;

/// Why a repository read failed. Names the owner or repository, never a token.
#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// No usable answer (transport, rate limit, body not understood, paging bounds).
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error("could not read the token's user: {0}")]
    User(Refusal),
    #[error("no user or organisation `{0}` is visible to the token")]
    NoOwner(String),
    #[error("could not list the repositories of {0}")]
    NotListed(String),
    #[error("could not list repositories: {0}")]
    Listing(Refusal),
    #[error("could not find repository {repo} for `selected-repositories`: {refusal}")]
    Selected { repo: Repo, refusal: Refusal },
}

/// GitHub's answer to a read it refused: its status and message.
#[derive(Debug)]
pub struct Refusal {
    status: u16,
    message: Option<String>,
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.message {
            Some(m) => write!(f, "GitHub answered {} ({m})", self.status),
            None => write!(f, "GitHub answered {}", self.status),
        }
    }
}

#[derive(Deserialize)]
struct RepoDoc {
    /// Ids are never 0: an answer holding 0 is refused.
    id: std::num::NonZeroU64,
    name: RepoName,
    #[serde(default)]
    archived: bool,
    owner: AccountDoc,
}

/// The login of the token's user ([`endpoints::user`]); GitHub's refusal is
/// [`RepoError::User`].
pub async fn token_login(client: &Client) -> Result<String, RepoError> {
    endpoints::user(client)
        .await?
        .login
        .map_err(|e| match e.refused_status() {
            Some(status) => RepoError::User(Refusal {
                status,
                message: e.server_message().map(str::to_owned),
            }),
            None => RepoError::Api(e),
        })
}

/// Every non-archived repository of `owner`: `/user/repos` when the owner is the token's user
/// (private ones included), else `/orgs/{owner}/repos`, else `/users/{owner}/repos`.
pub async fn list_owner_repos(
    client: &Client,
    owner: &str,
    me: &str,
) -> Result<Vec<Repo>, RepoError> {
    let first = if owner.eq_ignore_ascii_case(me) {
        super::routes::MY_REPOSITORIES.to_owned()
    } else {
        super::routes::org_repositories(owner)
    };
    let docs = match list_pages(client, &first).await? {
        Some(docs) => docs,
        None if !owner.eq_ignore_ascii_case(me) => {
            list_pages(client, &super::routes::user_repositories(owner))
                .await?
                .ok_or_else(|| RepoError::NoOwner(owner.to_owned()))?
        }
        None => return Err(RepoError::NotListed(owner.to_owned())),
    };
    Ok(docs
        .into_iter()
        .filter(|d| !d.archived && d.owner.login.as_str().eq_ignore_ascii_case(owner))
        .map(|d| Repo {
            owner: d.owner.login.into_string(),
            name: d.name.into_string(),
        })
        .collect())
}

/// Every page of a repository listing (the one pager follows `rel="next"`). `None` when the
/// first page is 404.
async fn list_pages(client: &Client, first: &str) -> Result<Option<Vec<RepoDoc>>, RepoError> {
    let mut all = Vec::new();
    let mut pages = client.pages(first.to_owned());
    let mut first_page = true;
    while let Some(answer) = pages.next().await {
        let answer = answer?;
        if answer.status == StatusCode::NOT_FOUND && first_page {
            return Ok(None);
        }
        first_page = false;
        if answer.status != StatusCode::OK {
            return Err(RepoError::Listing(refusal(&answer)));
        }
        let docs: Vec<RepoDoc> = answer.json()?;
        all.extend(docs);
    }
    Ok(Some(all))
}

/// The id of a repository (`GET /repos/{owner}/{repo}`).
pub async fn repo_id(client: &Client, repo: &Repo) -> Result<u64, RepoError> {
    let answer = client.get(&super::routes::repository(repo)).await?;
    if answer.status != StatusCode::OK {
        return Err(RepoError::Selected {
            repo: repo.clone(),
            refusal: refusal(&answer),
        });
    }
    Ok(answer.json::<RepoDoc>().map(|d| d.id.get())?)
}

fn refusal(answer: &Answer) -> Refusal {
    Refusal {
        status: answer.status.as_u16(),
        message: answer.message(),
    }
}

/// Every wire type of this file decoded from one answer, for the wire fuzz (`github/fuzz.rs`).
#[cfg(test)]
pub(super) fn decode_each(answer: &Answer) -> Vec<Result<(), ApiError>> {
    vec![
        answer.json::<RepoDoc>().map(drop),
        answer.json::<Vec<RepoDoc>>().map(drop),
    ]
}
