//! Reads that turn what the user wrote into what GitHub needs: the token's login, an owner's
//! repositories (paged, archived ones skipped), repository ids.

use http::StatusCode;
use serde::Deserialize;

use crate::github::{Answer, Client};
use crate::target::Repo;

#[derive(Deserialize)]
struct UserDoc {
    login: String,
}

#[derive(Deserialize)]
struct RepoDoc {
    id: u64,
    name: String,
    #[serde(default)]
    archived: bool,
    owner: UserDoc,
}

/// The login of the token's user (`GET /user`).
pub async fn token_login(client: &Client) -> Result<String, String> {
    let answer = client.get("/user").await.map_err(|e| e.to_string())?;
    if answer.status != StatusCode::OK {
        return Err(format!(
            "could not read the token's user: {}",
            status_text(&answer)
        ));
    }
    answer
        .json::<UserDoc>()
        .map(|u| u.login)
        .map_err(|e| e.to_string())
}

/// Every non-archived repository of `owner`: `/user/repos` when the owner is the token's user
/// (private ones included), else `/orgs/{owner}/repos`, else `/users/{owner}/repos`.
pub async fn list_owner_repos(client: &Client, owner: &str, me: &str) -> Result<Vec<Repo>, String> {
    let first = if owner.eq_ignore_ascii_case(me) {
        "/user/repos?affiliation=owner&sort=full_name&per_page=100".to_owned()
    } else {
        format!("/orgs/{owner}/repos?type=all&sort=full_name&per_page=100")
    };
    let docs = match list_pages(client, &first).await? {
        Some(docs) => docs,
        None if !owner.eq_ignore_ascii_case(me) => list_pages(
            client,
            &format!("/users/{owner}/repos?type=owner&sort=full_name&per_page=100"),
        )
        .await?
        .ok_or_else(|| format!("no user or organisation `{owner}` is visible to the token"))?,
        None => return Err(format!("could not list the repositories of {owner}")),
    };
    Ok(docs
        .into_iter()
        .filter(|d| !d.archived && d.owner.login.eq_ignore_ascii_case(owner))
        .map(|d| Repo {
            owner: d.owner.login,
            name: d.name,
        })
        .collect())
}

/// Follows `Link: rel="next"` until the last page. `None` when the first page is 404.
async fn list_pages(client: &Client, first: &str) -> Result<Option<Vec<RepoDoc>>, String> {
    let mut all = Vec::new();
    let mut next = Some(first.to_owned());
    let mut pages = 0;
    while let Some(path) = next.take() {
        pages += 1;
        if pages > 1000 {
            return Err("too many pages of repositories".into());
        }
        let answer = client.get(&path).await.map_err(|e| e.to_string())?;
        if answer.status == StatusCode::NOT_FOUND && pages == 1 {
            return Ok(None);
        }
        if answer.status != StatusCode::OK {
            return Err(format!(
                "could not list repositories ({path}): {}",
                status_text(&answer)
            ));
        }
        let docs: Vec<RepoDoc> = answer.json().map_err(|e| e.to_string())?;
        all.extend(docs);
        next = next_link(&answer);
    }
    Ok(Some(all))
}

/// The path and query of the `rel="next"` link, relative to the API root.
pub fn next_link(answer: &Answer) -> Option<String> {
    let link = answer.headers.get("link")?.to_str().ok()?;
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        if !params.contains("rel=\"next\"") {
            return None;
        }
        let url = url.trim().trim_start_matches('<').trim_end_matches('>');
        // Keep the path from the first known API route segment on, so a base path such as
        // `/api/v3` on GitHub Enterprise Server is not doubled.
        let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
        let path = after_scheme.find('/').map(|i| &after_scheme[i..])?;
        ["/user/", "/users/", "/orgs/", "/repos/", "/installation/"]
            .iter()
            .filter_map(|p| path.find(p))
            .min()
            .map(|i| path[i..].to_owned())
    })
}

/// The id of a repository (`GET /repos/{owner}/{repo}`).
pub async fn repo_id(client: &Client, repo: &Repo) -> Result<u64, String> {
    let answer = client
        .get(&format!("/repos/{}/{}", repo.owner, repo.name))
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
