//! Resolving: the targets a run writes to, patterns resolved against the owners' repository
//! listings, and the repository ids a `selected` organisation secret is shared with. Reads made
//! only once the plan has something to write.

use crate::auth::app::Session;
use crate::auth::reach;
use crate::auth::token::TokenKind;
use crate::config::{Auth, Config, Destination, Visibility};
use crate::engine::finish::finish;
use crate::engine::plan::{static_targets, Plan};
use crate::github::Client;
use crate::report::outcome::Report;
use crate::target::Target;

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
pub(crate) enum ResolveError {
    #[error(transparent)]
    Repos(#[from] crate::github::repos::RepoError),
    #[error(transparent)]
    Pattern(crate::target::PatternError),
    #[error("`{spec}` matches no repository of {owner} (archived repositories are skipped)")]
    NoMatch { spec: String, owner: String },
    #[error(
        "could not list the repositories the installation token reaches (GET \
         /installation/repositories): {0}"
    )]
    Reached(crate::github::ApiError),
    #[error(
        "`{spec}` matches no repository of {owner} that the installation token reaches \
         (archived repositories are skipped)"
    )]
    NoneReached { spec: String, owner: String },
}

/// The targets (patterns resolved) and, for `selected` visibility, the repository ids.
pub(crate) async fn resolve(
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

/// The targets of a token, patterns resolved by the one resolver ([`crate::auth::reach`]): an
/// installation token given as `token` lists what it reaches (`GET /user` is refused to it), a
/// person's token the owners' repositories.
pub(crate) async fn resolve_targets(
    config: &Config,
    client: &Client,
) -> Result<Vec<Target>, ResolveError> {
    let Destination::Repos { repos, environment } = &config.destination else {
        return Ok(static_targets(config)
            .into_iter()
            .filter_map(|(_, t)| t)
            .collect());
    };
    let environment = environment.as_deref();
    let installation =
        matches!(&config.auth, Auth::Token(token) if TokenKind::of(token).is_installation());
    if installation {
        let mut reach = reach::Installation::new(client);
        return reach::resolve(repos, environment, config.app, &mut reach)
            .await
            .map_err(|e| match e {
                reach::ResolveError::List { error, .. } => ResolveError::Reached(error),
                reach::ResolveError::Pattern(e) => ResolveError::Pattern(e),
                reach::ResolveError::NoMatch { spec, owner } => {
                    ResolveError::NoneReached { spec, owner }
                }
            });
    }
    let mut reach = reach::ByOwner::new(client);
    reach::resolve(repos, environment, config.app, &mut reach)
        .await
        .map_err(|e| match e {
            reach::ResolveError::List { error, .. } => ResolveError::Repos(error),
            reach::ResolveError::Pattern(e) => ResolveError::Pattern(e),
            reach::ResolveError::NoMatch { spec, owner } => ResolveError::NoMatch { spec, owner },
        })
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
