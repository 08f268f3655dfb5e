//! Every REST route the tool calls, spelled here and nowhere else. Path segments that come
//! from names are percent-encoded.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::target::{App, Repo, Target};

/// Everything but unreserved characters is encoded in path segments.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

pub(crate) fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

impl Target {
    /// The collection route: `…/secrets`.
    pub fn secrets_path(&self) -> String {
        match self {
            Target::Repo { repo, app } => format!(
                "/repos/{}/{}/{}/secrets",
                segment(&repo.owner),
                segment(&repo.name),
                app.as_str()
            ),
            Target::Env { repo, env } => format!(
                "/repos/{}/{}/environments/{}/secrets",
                segment(&repo.owner),
                segment(&repo.name),
                segment(env)
            ),
            Target::Org { org, app } => format!("/orgs/{}/{}/secrets", segment(org), app.as_str()),
        }
    }

    pub fn public_key_path(&self) -> String {
        format!("{}/public-key", self.secrets_path())
    }

    pub fn secret_path(&self, name: &str) -> String {
        format!("{}/{}", self.secrets_path(), segment(name))
    }
}

/// The REST API version Agents secrets calls ask for. One client library sends it on these calls
/// because they are said to be served only by that version; every other call keeps octocrab's
/// `2022-11-28`.
pub const AGENTS_API_VERSION: &str = "2026-03-10";

/// The `X-GitHub-Api-Version` a request to `path` must carry when it is not the default: Agents
/// secrets routes, by name (`/repos/{o}/{r}/agents/…`, `/orgs/{org}/agents/…`) or in the id form
/// GitHub's `Link` headers use (`/repositories/{id}/agents/…`, `/organizations/{id}/agents/…`),
/// so every page of a listing carries it too (a GitHub Enterprise `Link` keeps `/api/v3`).
/// Judged by position, so a repository or organisation *named* `agents` is not mistaken for the
/// route.
pub fn api_version(path: &str) -> Option<&'static str> {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let path = path.strip_prefix("/api/v3").unwrap_or(path);
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let at = match segs.first().copied() {
        Some("repos") => 3,
        Some("orgs" | "repositories" | "organizations") => 2,
        _ => return None,
    };
    (segs.get(at) == Some(&App::Agents.as_str())).then_some(AGENTS_API_VERSION)
}

/// `GET /user`: the token's user.
pub const USER: &str = "/user";
/// `GET /app`: the app a JWT belongs to.
pub const APP: &str = "/app";
/// `DELETE /installation/token`: revokes the installation token used to call it.
pub const INSTALLATION_TOKEN: &str = "/installation/token";
/// `GET /installation/repositories`: every repository an installation token reaches.
pub const INSTALLATION_REPOSITORIES: &str = "/installation/repositories?per_page=100";

/// `POST /credentials/revoke`: GitHub's credential revocation, sent without authentication.
pub const CREDENTIALS_REVOKE: &str = "/credentials/revoke";

/// `GET /repos/{owner}/{repo}`.
pub fn repository(repo: &Repo) -> String {
    format!("/repos/{}/{}", segment(&repo.owner), segment(&repo.name))
}

/// `GET /repos/{owner}/{repo}/installation`.
pub fn repository_installation(repo: &Repo) -> String {
    format!("{}/installation", repository(repo))
}

/// `GET /orgs/{org}/installation`.
pub fn org_installation(org: &str) -> String {
    format!("/orgs/{}/installation", segment(org))
}

/// `GET /users/{user}/installation`.
pub fn user_installation(user: &str) -> String {
    format!("/users/{}/installation", segment(user))
}

/// `GET /app/installations/{id}`.
pub fn installation(id: u64) -> String {
    format!("/app/installations/{id}")
}

/// `POST /app/installations/{id}/access_tokens`.
pub fn installation_access_tokens(id: u64) -> String {
    format!("{}/access_tokens", installation(id))
}

/// `GET /user/repos`: the token's user's own repositories (private ones included).
pub const MY_REPOSITORIES: &str = "/user/repos?affiliation=owner&sort=full_name&per_page=100";

/// `GET /orgs/{org}/repos`.
pub fn org_repositories(org: &str) -> String {
    format!(
        "/orgs/{}/repos?type=all&sort=full_name&per_page=100",
        segment(org)
    )
}

/// `GET /users/{user}/repos`.
pub fn user_repositories(user: &str) -> String {
    format!(
        "/users/{}/repos?type=owner&sort=full_name&per_page=100",
        segment(user)
    )
}

#[cfg(test)]
mod tests {
    use crate::target::{App, Repo, Target};

    fn repo(s: &str) -> Repo {
        Repo::parse(s).expect("valid repo")
    }

    #[test]
    fn routes() {
        let t = Target::Repo {
            repo: repo("acme/api"),
            app: App::Actions,
        };
        assert_eq!(
            t.public_key_path(),
            "/repos/acme/api/actions/secrets/public-key"
        );
        assert_eq!(t.secret_path("X"), "/repos/acme/api/actions/secrets/X");
        let t = Target::Env {
            repo: repo("acme/api"),
            env: "test live/é".into(),
        };
        assert_eq!(
            t.secret_path("X"),
            "/repos/acme/api/environments/test%20live%2F%C3%A9/secrets/X"
        );
        assert_eq!(t.to_string(), "acme/api/environments/test live/é");
        let t = Target::Org {
            org: "acme".into(),
            app: App::Dependabot,
        };
        assert_eq!(
            t.public_key_path(),
            "/orgs/acme/dependabot/secrets/public-key"
        );
        assert_eq!(t.to_string(), "orgs/acme (dependabot)");
        let t = Target::Org {
            org: "acme".into(),
            app: App::Agents,
        };
        assert_eq!(t.secret_path("X"), "/orgs/acme/agents/secrets/X");
        assert_eq!(t.to_string(), "orgs/acme (agents)");
    }

    #[test]
    fn only_agents_routes_ask_for_the_newer_api_version() {
        use super::{api_version, AGENTS_API_VERSION as V};
        let agents = Target::Repo {
            repo: repo("acme/api"),
            app: App::Agents,
        };
        for path in [
            agents.public_key_path(),
            agents.secret_path("X"),
            format!("{}?per_page=100", agents.secrets_path()),
            "/repositories/42/agents/secrets?per_page=100&page=2".to_owned(),
            "/orgs/acme/agents/secrets/X/repositories".to_owned(),
            "/organizations/7/agents/secrets?page=2".to_owned(),
            "/api/v3/repositories/42/agents/secrets?page=2".to_owned(),
        ] {
            assert_eq!(api_version(&path), Some(V), "{path}");
        }
        let actions = Target::Repo {
            repo: repo("agents/agents"),
            app: App::Actions,
        };
        for path in [
            actions.public_key_path(),
            "/orgs/agents/actions/secrets".to_owned(),
            "/repos/acme/agents".to_owned(),
            "/user".to_owned(),
            "/users/agents/repos".to_owned(),
            super::INSTALLATION_REPOSITORIES.to_owned(),
        ] {
            assert_eq!(api_version(&path), None, "{path}");
        }
    }
}
