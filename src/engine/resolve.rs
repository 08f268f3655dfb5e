//! Resolving: the targets a run writes to, patterns resolved against the owners' repository
//! listings, and the repository ids a `selected` organisation secret is shared with. Reads made
//! only once the plan has something to write.

use std::collections::BTreeMap;

use crate::auth::app::Session;
use crate::config::{Config, Destination, RepoSpec, Visibility};
use crate::engine::finish::finish;
use crate::engine::plan::{static_targets, Plan};
use crate::github::Client;
use crate::report::outcome::Report;
use crate::target::{add_targets, pattern_matches, Repo, Target};

/// The resolved targets and repository ids; `None` when they could not be resolved or a signal
/// came first (one that came while the session opened included): none starts after it. The
/// session is then finished and the report says why.
pub(super) async fn resolve_or_stop(
    config: &Config,
    session: &Session,
    plan: &Plan,
    report: &mut Report,
) -> Option<(Vec<Target>, Option<Vec<u64>>)> {
    match crate::cancel::unless_cancelled(resolve(config, session)).await {
        Ok(Ok(resolved)) => Some(resolved),
        Ok(Err(e)) => {
            report.fatal = Some(e.to_string());
            plan.not_attempted(report);
            finish(session, report).await;
            None
        }
        Err(signal) => {
            plan.cancel_rest(report, signal);
            finish(session, report).await;
            None
        }
    }
}

/// Why the targets could not be resolved: nothing was written.
#[derive(Debug, thiserror::Error)]
enum ResolveError {
    #[error(transparent)]
    Repos(#[from] crate::github::repos::RepoError),
    #[error(transparent)]
    Pattern(crate::target::PatternError),
    #[error("`{spec}` matches no repository of {owner} (archived repositories are skipped)")]
    NoMatch { spec: String, owner: String },
}

/// The targets (patterns resolved) and, for `selected` visibility, the repository ids.
async fn resolve(
    config: &Config,
    session: &Session,
) -> Result<(Vec<Target>, Option<Vec<u64>>), ResolveError> {
    let targets = match &session.targets {
        Some(targets) => targets.clone(),
        None => resolve_targets(config, &session.client).await?,
    };
    let selected_ids = selected_repository_ids(config, &session.client).await?;
    Ok((targets, selected_ids))
}

/// The targets, patterns resolved against the owners' repository listings (one listing per
/// owner).
async fn resolve_targets(config: &Config, client: &Client) -> Result<Vec<Target>, ResolveError> {
    let Destination::Repos { repos, environment } = &config.destination else {
        return Ok(static_targets(config)
            .into_iter()
            .filter_map(|(_, t)| t)
            .collect());
    };
    let mut resolved: Vec<Target> = Vec::new();
    let mut listings: BTreeMap<String, Vec<Repo>> = BTreeMap::new();
    let mut me: Option<String> = None;
    for spec in repos {
        let matched: Vec<Repo> = match spec {
            RepoSpec::Exact(r) => vec![r.clone()],
            RepoSpec::Pattern { owner, pattern } => {
                let key = owner.to_ascii_lowercase();
                if let std::collections::btree_map::Entry::Vacant(slot) = listings.entry(key) {
                    if me.is_none() {
                        me = Some(crate::github::repos::token_login(client).await?);
                    }
                    let list = crate::github::repos::list_owner_repos(
                        client,
                        owner,
                        me.as_deref().unwrap_or(""),
                    )
                    .await?;
                    slot.insert(list);
                }
                let found = pattern_matches(
                    owner,
                    pattern,
                    listings
                        .get(&owner.to_ascii_lowercase())
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                )
                .map_err(ResolveError::Pattern)?;
                if found.is_empty() {
                    return Err(ResolveError::NoMatch {
                        spec: spec.to_string(),
                        owner: owner.clone(),
                    });
                }
                found
            }
        };
        add_targets(&mut resolved, matched, environment.as_deref(), config.app);
    }
    Ok(resolved)
}

/// Repository ids for `selected-repositories`, when the visibility is `selected`.
async fn selected_repository_ids(
    config: &Config,
    client: &Client,
) -> Result<Option<Vec<u64>>, ResolveError> {
    let Destination::Org {
        visibility: Some(Visibility::Selected),
        selected,
        ..
    } = &config.destination
    else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for repo in selected {
        ids.push(crate::github::repos::repo_id(client, repo).await?);
    }
    Ok(Some(ids))
}
