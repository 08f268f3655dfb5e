//! A world described in JSON, for the `fake-github` binary (and tests that prefer data).
//!
//! ```json
//! {
//!   "users": ["octo"],
//!   "orgs": ["acme"],
//!   "repos": [{"full_name": "acme/api", "private": true, "archived": false,
//!              "environments": ["production", "test live"]}],
//!   "tokens": [{"token": "ghp_x", "login": "octo",
//!               "kind": {"type": "classic", "scopes": ["repo", "admin:org"]},
//!               "expires_at": "2099-12-01T00:00:00Z"}],
//!   "secrets": [{"scope": {"kind": "repo", "repo": "acme/api", "app": "actions"},
//!                "name": "API_KEY", "value": "old"}]
//! }
//! ```

use serde::Deserialize;

use crate::{FakeGitHub, Scope, TokenSpec};

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct World {
    #[serde(default)]
    pub users: Vec<String>,
    #[serde(default)]
    pub orgs: Vec<String>,
    #[serde(default)]
    pub repos: Vec<RepoSpec>,
    #[serde(default)]
    pub tokens: Vec<NamedToken>,
    #[serde(default)]
    pub secrets: Vec<SecretSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoSpec {
    pub full_name: String,
    #[serde(default)]
    pub private: bool,
    #[serde(default)]
    pub archived: bool,
    #[serde(default)]
    pub environments: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct NamedToken {
    pub token: String,
    #[serde(flatten)]
    pub spec: TokenSpec,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretSpec {
    pub scope: Scope,
    pub name: String,
    pub value: String,
    #[serde(default)]
    pub visibility: Option<String>,
    #[serde(default)]
    pub selected_repository_ids: Vec<u64>,
}

impl World {
    pub fn from_json(text: &str) -> Result<World, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Populate a running fake with this world.
    pub fn apply(&self, gh: &FakeGitHub) {
        for u in &self.users {
            gh.add_user(u);
        }
        for o in &self.orgs {
            gh.add_org(o);
        }
        for r in &self.repos {
            gh.add_repo_with(&r.full_name, r.archived, r.private);
            for e in &r.environments {
                gh.add_environment(&r.full_name, e);
            }
        }
        for t in &self.tokens {
            gh.add_token(&t.token, t.spec.clone());
        }
        for s in &self.secrets {
            gh.set_secret(&s.scope, &s.name, &s.value);
            if let Some(v) = &s.visibility {
                gh.set_org_secret_visibility(
                    &s.scope,
                    &s.name,
                    v,
                    s.selected_repository_ids.clone(),
                );
            }
        }
    }
}
