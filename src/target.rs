//! Where secrets go: repository, environment or organisation secrets of one of four apps. Their
//! REST routes live in `github::routes`.

use std::fmt;

/// The GitHub product a secret belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum App {
    Actions,
    Dependabot,
    Codespaces,
    /// Agents secrets, read by the Copilot cloud agent: repository and organisation level only.
    Agents,
}

/// Why an app's secrets cannot live in an environment: the one place this is decided and worded,
/// for the action's inputs and every CLI command alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NoEnvironment {
    #[error("GitHub has no environment secrets for {0}; environments hold Actions secrets only")]
    NotActions(&'static str),
    #[error(
        "Agents secrets have no environment level: GitHub keeps them per repository and per \
         organisation only"
    )]
    Agents,
}

impl App {
    pub fn parse(s: &str) -> Option<App> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "actions" => Some(App::Actions),
            "dependabot" => Some(App::Dependabot),
            "codespaces" => Some(App::Codespaces),
            "agents" => Some(App::Agents),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            App::Actions => "actions",
            App::Dependabot => "dependabot",
            App::Codespaces => "codespaces",
            App::Agents => "agents",
        }
    }

    /// The name people know the secrets by: `Actions`, `Dependabot`, `Codespaces`, `Agents`.
    pub fn title(self) -> &'static str {
        match self {
            App::Actions => "Actions",
            App::Dependabot => "Dependabot",
            App::Codespaces => "Codespaces",
            App::Agents => "Agents",
        }
    }

    /// Whether this app's secrets may live in an environment (Actions only), and why not.
    pub fn environments(self) -> Result<(), NoEnvironment> {
        match self {
            App::Actions => Ok(()),
            App::Agents => Err(NoEnvironment::Agents),
            other => Err(NoEnvironment::NotActions(other.as_str())),
        }
    }
}

/// What `--app` and the action's `app` input accept, for messages.
pub const APPS: &str = "`actions`, `dependabot`, `codespaces` or `agents`";

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
/// ` (dependabot)`, ` (codespaces)` or ` (agents)` for the other apps.
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

/// A repository pattern that is not a glob: glob's reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(&'static str);

/// The repositories of `candidates` that `owner/pattern` names: the owner compared without
/// case, the name matched as a glob without case. The one matcher of repository patterns,
/// for the engine's listings and for an app installation's repositories alike.
pub fn pattern_matches(
    owner: &str,
    pattern: &str,
    candidates: &[Repo],
) -> Result<Vec<Repo>, PatternError> {
    let matcher = glob::Pattern::new(pattern).map_err(|e| PatternError(e.msg))?;
    let opts = glob::MatchOptions {
        case_sensitive: false,
        ..Default::default()
    };
    Ok(candidates
        .iter()
        .filter(|r| r.owner.eq_ignore_ascii_case(owner) && matcher.matches_with(&r.name, opts))
        .cloned()
        .collect())
}

/// Appends the target of each repository (its environment when one is given), skipping one
/// already there: the one de-duplication of resolved targets.
pub fn add_targets(
    resolved: &mut Vec<Target>,
    repos: Vec<Repo>,
    environment: Option<&str>,
    app: App,
) {
    for repo in repos {
        push_unique(resolved, repo_target(&repo, environment, app));
    }
}

/// The target of a repository: its environment when one is given, else its secrets of `app`.
pub fn repo_target(repo: &Repo, environment: Option<&str>, app: App) -> Target {
    match environment {
        Some(env) => Target::Env {
            repo: repo.clone(),
            env: env.to_owned(),
        },
        None => Target::Repo {
            repo: repo.clone(),
            app,
        },
    }
}

/// Appends `t` unless the same target is there already: GitHub's names are case-insensitive,
/// so `Acme/API` is `acme/api`.
pub fn push_unique(targets: &mut Vec<Target>, t: Target) {
    let key = t.to_string().to_ascii_lowercase();
    if !targets
        .iter()
        .any(|u| u.to_string().to_ascii_lowercase() == key)
    {
        targets.push(t);
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

    #[test]
    fn apps_and_environments() {
        assert_eq!(App::parse(" Agents "), Some(App::Agents));
        assert_eq!(App::Agents.as_str(), "agents");
        assert_eq!(App::Actions.environments(), Ok(()));
        assert_eq!(App::Agents.environments(), Err(NoEnvironment::Agents));
        assert_eq!(
            App::Agents.environments().map_err(|e| e.to_string()),
            Err(
                "Agents secrets have no environment level: GitHub keeps them per repository \
                 and per organisation only"
                    .to_owned()
            )
        );
        assert_eq!(
            App::Dependabot.environments(),
            Err(NoEnvironment::NotActions("dependabot"))
        );
    }
}
