//! `check-token` with targets (`--repo`, `--repos-file`, `--repositories` with `owner/glob`
//! patterns, `--env`, `--org`, `--app`): the same proof as the action's `preflight: true`
//! ([`crate::preflight`]), after the checks of the token (or the app) itself. Every pattern
//! resolves, each target's public key is readable and its secrets can be listed, and the token
//! can write: its scopes (a classic token), the permissions GitHub granted (the app), or a
//! throwaway secret written and deleted again (a fine-grained or an installation token).

use super::findings::Findings;
use crate::commands::{Error, TargetArgs, Tone};
use crate::config::input::{FrontEnd, Input, RunContext};
use crate::config::load::destination::parse_repo_specs;
use crate::config::{Auth, Config, Destination, RepoSpec};
use crate::github::Policy;
use crate::output::words::Count;
use crate::report::preflight::Preflight;

/// Whether any target flag was given (`repositories`: `--repositories`).
fn given(t: &TargetArgs, repositories: &[String]) -> bool {
    !t.repos.is_empty() || t.repos_file.is_some() || t.org.is_some() || !repositories.is_empty()
}

/// The preflight's configuration for the targets the flags name (`t`, and `--repositories`),
/// authenticating with `auth`; `None` without target flags. A flag that names no target is a
/// usage error.
pub(super) fn config(
    t: &TargetArgs,
    repositories: &[String],
    auth: Auth,
    api_url: &str,
) -> Result<Option<Config>, Error> {
    if !given(t, repositories) {
        return Ok(None);
    }
    let mut specs: Vec<RepoSpec> = Vec::new();
    if t.org.is_none() && (!t.repos.is_empty() || t.repos_file.is_some()) {
        match t.specs().map_err(Error::usage)? {
            crate::commands::Specs::Known(exact) => specs.extend(
                exact
                    .iter()
                    .filter_map(crate::target::Target::repo)
                    .map(|r| RepoSpec::Exact(r.clone())),
            ),
            // `--repo owner/glob` and `--repos-file` patterns resolve as `--repositories`'.
            crate::commands::Specs::Patterns(patterns) => specs.extend(patterns),
        }
    }
    if !repositories.is_empty() {
        if t.org.is_some() {
            return Err(Error::usage(TargetsError::OrgAndRepositories));
        }
        let mut errors = Vec::new();
        let text = repositories.join("\n");
        let patterns = parse_repo_specs(&text, Input::Repositories, FrontEnd::Cli, &mut errors);
        if let Some(e) = errors.into_iter().next() {
            return Err(Error::usage(e));
        }
        for spec in patterns {
            if !specs.contains(&spec) {
                specs.push(spec);
            }
        }
    }
    let mut config = crate::commands::config(t, &[], None, auth, api_url);
    if let Destination::Repos { repos, .. } = &mut config.destination {
        *repos = specs;
    }
    config.context = RunContext {
        front_end: FrontEnd::Cli,
        ..config.context
    };
    config.preflight = true;
    Ok(Some(config))
}

/// The first repository the targets name exactly (where an installation or an exchange's
/// scope is looked up).
pub(super) fn first_repo(config: &Config) -> Option<crate::target::Repo> {
    match &config.destination {
        Destination::Repos { repos, .. } => repos.iter().find_map(|r| match r {
            RepoSpec::Exact(repo) => Some(repo.clone()),
            RepoSpec::Pattern { .. } => None,
        }),
        Destination::Org { .. } => None,
    }
}

/// `--repositories` with `--org`.
#[derive(Debug, thiserror::Error)]
enum TargetsError {
    #[error("--repositories names repositories; --org an organisation: give one of them")]
    OrgAndRepositories,
}

/// Runs the preflight of `config` and adds what it found; returns its request count.
pub(super) fn findings(
    runtime: &tokio::runtime::Runtime,
    config: &Config,
    found: &mut Findings,
) -> u64 {
    let p = runtime.block_on(crate::preflight::run(
        config,
        Policy::from_env(),
        &mut |t| crate::output::redact::know_token(t),
    ));
    add(&p, found);
    p.requests
}

/// The preflight as `check-token` lines and problems.
pub(super) fn add(p: &Preflight, found: &mut Findings) {
    for (title, message) in &p.warnings {
        found.line("Note", format!("{title}: {message}"), Tone::Warn);
    }
    for t in &p.targets {
        let label = format!("Secrets of {}", t.target);
        match &t.write {
            Ok(evidence) => found.line(
                &label,
                format!(
                    "can write: {}{}",
                    evidence.describe(),
                    t.stored
                        .map(|n| format!(" ({} stored)", Count("secret", n)))
                        .unwrap_or_default()
                ),
                Tone::Good,
            ),
            Err(problem) => {
                found.line(&label, "cannot write: see below", Tone::Bad);
                found.problem(format!(
                    "{}: {}\n  fix: {}",
                    t.target, problem.cause, problem.fix
                ));
            }
        }
    }
    if let Some(fatal) = &p.fatal {
        found.line("Targets", "not all checked: see below", Tone::Bad);
        found.problem(format!("{}\n  fix: {}", fatal.cause, fatal.fix));
    }
    match p.revoked {
        Some(true) => found.line(
            "Revoked",
            "yes: the app's token no longer works",
            Tone::Good,
        ),
        Some(false) => found.line("Revoked", "no: see below", Tone::Bad),
        None => {}
    }
    if let Some(signal) = p.cancelled {
        found.problem(format!("cancelled by {}: stopped", signal.name()));
    }
}
