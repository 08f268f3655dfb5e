//! Reads that turn what the user wrote into what GitHub needs: the token's login, an owner's
//! repositories (paged, archived ones skipped), repository ids.

use http::StatusCode;
use serde::Deserialize;

use crate::github::wire::{Login, RepoName};
use crate::github::{Answer, Client};
use crate::target::Repo;

#[derive(Deserialize)]
struct UserDoc {
    login: Login,
}

#[derive(Deserialize)]
struct RepoDoc {
    id: u64,
    name: RepoName,
    #[serde(default)]
    archived: bool,
    owner: UserDoc,
}

/// The login of the token's user (`GET /user`).
pub async fn token_login(client: &Client) -> Result<String, String> {
    let answer = client
        .get(super::routes::USER)
        .await
        .map_err(|e| e.to_string())?;
    if answer.status != StatusCode::OK {
        return Err(format!(
            "could not read the token's user: {}",
            status_text(&answer)
        ));
    }
    answer
        .json::<UserDoc>()
        .map(|u| u.login.into_string())
        .map_err(|e| e.to_string())
}

/// Every non-archived repository of `owner`: `/user/repos` when the owner is the token's user
/// (private ones included), else `/orgs/{owner}/repos`, else `/users/{owner}/repos`.
pub async fn list_owner_repos(client: &Client, owner: &str, me: &str) -> Result<Vec<Repo>, String> {
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
                .ok_or_else(|| {
                    format!("no user or organisation `{owner}` is visible to the token")
                })?
        }
        None => return Err(format!("could not list the repositories of {owner}")),
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
async fn list_pages(client: &Client, first: &str) -> Result<Option<Vec<RepoDoc>>, String> {
    let mut all = Vec::new();
    let mut pages = client.pages(first.to_owned());
    let mut first_page = true;
    while let Some(answer) = pages.next().await {
        let answer = answer.map_err(|e| e.to_string())?;
        if answer.status == StatusCode::NOT_FOUND && first_page {
            return Ok(None);
        }
        first_page = false;
        if answer.status != StatusCode::OK {
            return Err(format!(
                "could not list repositories: {}",
                status_text(&answer)
            ));
        }
        let docs: Vec<RepoDoc> = answer.json().map_err(|e| e.to_string())?;
        all.extend(docs);
    }
    Ok(Some(all))
}

/// The id of a repository (`GET /repos/{owner}/{repo}`).
pub async fn repo_id(client: &Client, repo: &Repo) -> Result<u64, String> {
    let answer = client
        .get(&super::routes::repository(repo))
        .await
        .map_err(|e| e.to_string())?;
    if answer.status != StatusCode::OK {
        return Err(format!(
            "could not find repository {repo} for `selected-repositories`: {}",
            status_text(&answer)
        ));
    }
    answer
        .json::<RepoDoc>()
        .map(|d| d.id)
        .map_err(|e| e.to_string())
}

fn status_text(answer: &Answer) -> String {
    match answer.message() {
        Some(m) => format!("GitHub answered {} ({m})", answer.status.as_u16()),
        None => format!("GitHub answered {}", answer.status.as_u16()),
    }
}
