//! Where secrets go: repository, environment or organisation secrets of one of three apps. Their
//! REST routes live in `github::routes`.

use std::fmt;

/// The GitHub product a secret belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum App {
    Actions,
    Dependabot,
    Codespaces,
}

impl App {
    pub fn parse(s: &str) -> Option<App> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "actions" => Some(App::Actions),
            "dependabot" => Some(App::Dependabot),
            "codespaces" => Some(App::Codespaces),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            App::Actions => "actions",
            App::Dependabot => "dependabot",
            App::Codespaces => "codespaces",
        }
    }
}

/// `owner/name` of a repository, validated loosely (GitHub's own characters).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Repo {
    pub owner: String,
    pub name: String,
}

impl Repo {
    /// Parses `owner/name`; `None` when the shape or characters are wrong.
    pub fn parse(s: &str) -> Option<Repo> {
        let (owner, name) = s.trim().split_once('/')?;
        (is_owner(owner) && is_repo_name(name)).then(|| Repo {
            owner: owner.to_owned(),
            name: name.to_owned(),
        })
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

pub fn is_owner(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 39
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

pub fn is_repo_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 100
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
}

/// One place secrets are written to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Repo { repo: Repo, app: App },
    Env { repo: Repo, env: String },
    Org { org: String, app: App },
}

impl Target {
    pub fn repo(&self) -> Option<&Repo> {
        match self {
            Target::Repo { repo, .. } | Target::Env { repo, .. } => Some(repo),
            Target::Org { .. } => None,
        }
    }

    pub fn is_org(&self) -> bool {
        matches!(self, Target::Org { .. })
    }

    pub fn app(&self) -> App {
        match self {
            Target::Repo { app, .. } | Target::Org { app, .. } => *app,
            Target::Env { .. } => App::Actions,
        }
    }

    /// The kind of target, for audit records: `repository`, `environment` or `organization`.
    pub fn kind(&self) -> &'static str {
        match self {
            Target::Repo { .. } => "repository",
            Target::Env { .. } => "environment",
            Target::Org { .. } => "organization",
        }
    }
}

/// Short, unambiguous labels: `acme/api`, `acme/api/environments/staging`, `orgs/acme`, with
/// ` (dependabot)` or ` (codespaces)` for the other apps.
impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Repo { repo, .. } => write!(f, "{repo}")?,
            Target::Env { repo, env } => write!(f, "{repo}/environments/{env}")?,
            Target::Org { org, .. } => write!(f, "orgs/{org}")?,
        }
        match self.app() {
            App::Actions => Ok(()),
            app => write!(f, " ({})", app.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repo_names() {
        assert!(Repo::parse("a/b.c-d_e").is_some());
        for bad in ["a", "a/", "/b", "a/b/c", "a b/c", "a/..", "a/b?x"] {
            assert!(Repo::parse(bad).is_none(), "{bad}");
        }
    }
}
