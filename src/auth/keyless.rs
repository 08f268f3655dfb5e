//! Keyless: no stored credential. The job asks the runner for its OIDC ID token (it has
//! `permissions: id-token: write`), and an octo-sts-style token exchange (`sts-url`) checks it
//! against a trust policy kept in the target repository or organisation (`sts-identity`) and
//! answers with a short-lived GitHub App installation token limited to the policy's
//! permissions. The HTTP of both services is in [`crate::github::keyless`].
//!
//! A run that has nothing to write asks for nothing (the engine opens no session). Otherwise:
//! 1. one ID token, for the audience (`sts-audience`, else the exchange's host name);
//! 2. one exchange per scope the targets need, in the order the targets are given: `owner/repo`
//!    for each repository named exactly (two repositories, two exchanges: never a token wider
//!    than the targets), `owner` for an organisation target and for `owner/glob` patterns (the
//!    organisation's policy lists the repositories it covers; the pattern is resolved with that
//!    token, `GET /installation/repositories`);
//! 3. each token writes only its own targets (the session's routes:
//!    [`crate::auth::app::Session::client_for`]), paced on its own;
//! 4. every exchanged token is revoked at the end (`DELETE /installation/token`), whatever
//!    happened: each is held by [`crate::auth::guard`] from the moment it arrives.
//!
//! The ID token and every exchanged token are handed to the masking callback the moment they
//! exist, and known to the output layer's redaction; the ID token is sent to the exchange only.

use std::sync::Arc;

use crate::auth::guard::{ApiSide, InstallationToken, MintError};
use crate::auth::reach;
use crate::config::{Config, Destination, RepoSpec, StsCredentials};
use crate::github::keyless::{IdTokenService, ServiceError, TokenExchange};
use crate::github::{ApiError, Client, ServiceUrl, ServiceUrlError};
use crate::secret::SecretValue;
use crate::target::Target;

/// Why a keyless run got no tokens. Names the services, the identity and the scopes; never a
/// token.
#[derive(Debug, thiserror::Error)]
pub enum KeylessError {
    /// The runner gave the job no way to ask for an ID token.
    #[error(
        "the job cannot ask GitHub for its OIDC ID token (ACTIONS_ID_TOKEN_REQUEST_URL and \
         ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set): the job needs `permissions: id-token: \
         write` (a workflow run from a fork's pull request never gets it)"
    )]
    NoIdTokenRequest,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` is refused by the URL policy.
    #[error("{0}")]
    IdTokenUrl(ServiceUrlError),
    /// The runner's ID-token service gave no ID token.
    #[error(
        "the runner's ID-token service gave no ID token for audience `{audience}`: {cause}{fix}"
    )]
    IdToken {
        audience: String,
        cause: String,
        fix: &'static str,
    },
    /// The exchange refused (a 4xx): its message, with what was asked and the fix.
    #[error(
        "the token exchange {url} refused identity `{identity}` for scope `{scope}`: it \
         answered {status}{message}; {fix}"
    )]
    Refused {
        url: String,
        identity: String,
        scope: String,
        status: u16,
        message: String,
        fix: String,
    },
    /// The exchange gave no usable answer (none, a 5xx after every retry, or one not
    /// understood).
    #[error(
        "the token exchange {url} gave no token for scope `{scope}`: {cause}; run again later"
    )]
    Unanswered {
        url: String,
        scope: String,
        cause: String,
    },
    /// A client could not be made (a token the header cannot carry).
    #[error(transparent)]
    Client(ApiError),
    /// The exchange's task ended without an answer.
    #[error("the token exchange for scope `{0}` ended without an answer")]
    Lost(String),
    /// The repositories an organisation token reaches could not be listed.
    #[error(
        "could not list the repositories the exchanged token for `{owner}` reaches \
         (GET /installation/repositories): {cause}"
    )]
    List { owner: String, cause: String },
    /// A repository pattern is not a pattern.
    #[error(transparent)]
    Pattern(#[from] crate::target::PatternError),
    /// A pattern matches nothing the organisation's token reaches.
    #[error(
        "`{spec}` matches no repository the exchanged token for `{owner}` reaches (the \
         organisation's trust policy lists them; archived repositories are skipped)"
    )]
    NoMatch { spec: String, owner: String },
}

/// The scopes to exchange for, in the order the targets are given, each once: `owner/repo` for
/// a repository named exactly, `owner` for an organisation or a pattern.
pub fn scopes(config: &Config) -> Vec<String> {
    let mut scopes: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !scopes.iter().any(|x| x.eq_ignore_ascii_case(&s)) {
            scopes.push(s);
        }
    };
    match &config.destination {
        Destination::Org { org, .. } => add(org.clone()),
        Destination::Repos { repos, .. } => {
            for spec in repos {
                match spec {
                    RepoSpec::Exact(repo) => add(repo.to_string()),
                    RepoSpec::Pattern { owner, .. } => add(owner.clone()),
                }
            }
        }
    }
    scopes
}

/// What a keyless run opened with: the client of its first token, every target (resolved) and
/// its token's client, and the tokens to revoke at the end (the session holds them).
pub struct Opened {
    pub client: Arc<Client>,
    pub targets: Vec<Target>,
    pub routes: Vec<(Target, Arc<Client>)>,
    pub tokens: Vec<InstallationToken>,
}

/// Opens a keyless run: the ID token, one exchange per scope, the targets resolved and routed
/// to their scope's token. The trust policy alone decides an exchanged token's permissions. On
/// an error, every token already exchanged is left to the guard
/// ([`crate::auth::guard::revoke_left_behind`], which the engine runs).
pub(crate) async fn open(
    config: &Config,
    sts: &StsCredentials,
    api: ApiSide,
    on_token: &mut dyn FnMut(&SecretValue),
) -> Result<Opened, KeylessError> {
    let id_token = id_token(sts, &api).await?;
    on_token(&id_token);
    let exchange = Arc::new(
        TokenExchange::new(&sts.url, &id_token, &api.policy, &api.stats)
            .map_err(KeylessError::Client)?,
    );
    let mut tokens: Vec<(String, InstallationToken)> = Vec::new();
    for scope in scopes(config) {
        let token = exchange_for(&exchange, sts, &api, &scope).await?;
        on_token(token.token());
        tokens.push((scope, token));
        crate::auth::guard::panic_point("after-exchange");
    }
    let (targets, routes) = route(config, &tokens).await?;
    let Some(client) = tokens.first().map(|(_, t)| t.client().clone()) else {
        // No target at all: the loader refuses that before any run.
        return Err(KeylessError::Lost(String::new()));
    };
    Ok(Opened {
        client,
        targets,
        routes,
        tokens: tokens.into_iter().map(|(_, t)| t).collect(),
    })
}

/// One exchange for `scope` (the ID token asked for first): a token for `check-token`, held by
/// the guard. `on_token` receives the ID token, then the exchanged token, the moment each
/// exists.
pub async fn exchange_one(
    sts: &StsCredentials,
    api: &ApiSide,
    scope: &str,
    on_token: &mut dyn FnMut(&SecretValue),
) -> Result<InstallationToken, KeylessError> {
    let id_token = id_token(sts, api).await?;
    on_token(&id_token);
    let exchange = Arc::new(
        TokenExchange::new(&sts.url, &id_token, &api.policy, &api.stats)
            .map_err(KeylessError::Client)?,
    );
    let token = exchange_for(&exchange, sts, api, scope).await?;
    on_token(token.token());
    Ok(token)
}

/// The job's ID token for the exchange's audience: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=`.
pub async fn id_token(sts: &StsCredentials, api: &ApiSide) -> Result<SecretValue, KeylessError> {
    let request = sts
        .id_token_request
        .as_ref()
        .ok_or(KeylessError::NoIdTokenRequest)?;
    let url = ServiceUrl::parse(&request.url, "ACTIONS_ID_TOKEN_REQUEST_URL", true)
        .map_err(KeylessError::IdTokenUrl)?;
    let runner = IdTokenService::new(&url, &request.token, &api.policy, &api.stats)
        .map_err(KeylessError::Client)?;
    runner
        .id_token(&sts.audience)
        .await
        .map_err(|cause| KeylessError::IdToken {
            audience: sts.audience.clone(),
            fix: match cause {
                ServiceError::Refused { .. } => {
                    ": the job needs `permissions: id-token: write`, and the token the runner \
                     handed the job must still be valid (it lasts as long as the job)"
                }
                _ => "",
            },
            cause: format!("{url} {}", service_cause(&cause)),
        })
}

/// One exchange for `scope`, held by the guard from the moment it arrives (the request runs to
/// its end even when the run is abandoned, and a token it brings then is revoked).
async fn exchange_for(
    exchange: &Arc<TokenExchange>,
    sts: &StsCredentials,
    api: &ApiSide,
    scope: &str,
) -> Result<InstallationToken, KeylessError> {
    let (ex, s, identity) = (Arc::clone(exchange), scope.to_owned(), sts.identity.clone());
    let minted = crate::auth::guard::mint_for(api.clone(), async move {
        // The exchange answers a token only: no expiry, no permissions.
        ex.exchange(&s, &identity)
            .await
            .map(|token| crate::auth::guard::Minted {
                token,
                expires_at: None,
                permissions: Default::default(),
            })
    })
    .await;
    minted.map_err(|e| match e {
        MintError::Request(cause) => exchange_failure(sts, scope, cause),
        MintError::Client(e) => KeylessError::Client(e),
        MintError::Lost => KeylessError::Lost(scope.to_owned()),
    })
}

/// What the exchange's refusal means, and the fix.
fn exchange_failure(sts: &StsCredentials, scope: &str, cause: ServiceError) -> KeylessError {
    let url = sts.url.to_string();
    let ServiceError::Refused { status, message } = cause else {
        return KeylessError::Unanswered {
            url,
            scope: scope.to_owned(),
            cause: service_cause(&cause),
        };
    };
    let owner = scope.split('/').next().unwrap_or(scope);
    let policy_repo = if scope.contains('/') {
        scope.to_owned()
    } else {
        format!("{owner}/.github")
    };
    let identity = &sts.identity;
    let fix = match status {
        404 => format!(
            "no trust policy was found: add `.github/chainguard/{identity}.sts.yaml` to \
             {policy_repo}, and install the exchange's GitHub App on {owner} with access to it"
        ),
        403 => format!(
            "this job's ID token does not match the trust policy `{identity}` of \
             {policy_repo}, or the policy asks for more than the exchange's GitHub App was \
             granted: compare its `subject` and `claim_pattern` (repository, ref, event_name, \
             job_workflow_ref) with this job, and its `permissions` with the App's"
        ),
        400 | 401 => "the exchange could not verify the job's ID token: check `sts-audience` \
             (by default the exchange's host name) and that the exchange trusts GitHub Actions' \
             issuer"
            .to_owned(),
        _ => "check `sts-url`".to_owned(),
    };
    KeylessError::Refused {
        url,
        identity: identity.clone(),
        scope: scope.to_owned(),
        status,
        message: message.map(|m| format!(" ({m})")).unwrap_or_default(),
        fix,
    }
}

/// Why a service gave no usable answer, in words that name no other service than itself.
fn service_cause(cause: &ServiceError) -> String {
    match cause {
        ServiceError::Unanswered(ApiError::Transport { attempts, cause }) => {
            format!("no answer after {attempts} attempts ({cause})")
        }
        ServiceError::Unanswered(ApiError::ServerError { status, attempts }) => {
            format!("it answered {status} after {attempts} attempts")
        }
        ServiceError::Unanswered(ApiError::BodyTooLarge { limit }) => {
            format!("its answer is larger than {limit} bytes: refused")
        }
        other => other.to_string(),
    }
}

/// The targets in the order given, each routed to the client of its scope's token: a
/// repository to its own when it was named exactly, else to its owner's (a pattern's matches,
/// resolved with the owner's token by the one resolver, [`crate::auth::reach`]), an
/// organisation to its own.
async fn route(
    config: &Config,
    tokens: &[(String, InstallationToken)],
) -> Result<(Vec<Target>, Vec<(Target, Arc<Client>)>), KeylessError> {
    let client_of = |scope: &str| {
        tokens
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(scope))
            .map(|(_, t)| t.client().clone())
    };
    let targets = match &config.destination {
        Destination::Org { org, .. } => vec![Target::Org {
            org: org.clone(),
            app: config.app,
        }],
        Destination::Repos { repos, environment } => {
            let owners = tokens
                .iter()
                .filter(|(scope, _)| !scope.contains('/'))
                .map(|(scope, t)| (scope.clone(), t.client().as_ref()))
                .collect();
            let mut reach = reach::PerOwner::new(owners);
            reach::resolve(repos, environment.as_deref(), config.app, &mut reach)
                .await
                .map_err(|e| match e {
                    reach::ResolveError::List { owner, error } => KeylessError::List {
                        owner,
                        cause: error.to_string(),
                    },
                    reach::ResolveError::Pattern(e) => e.into(),
                    reach::ResolveError::NoMatch { spec, owner } => {
                        KeylessError::NoMatch { spec, owner }
                    }
                })?
        }
    };
    let routes = targets
        .iter()
        .filter_map(|t| {
            let client = match t {
                Target::Repo { repo, .. } | Target::Env { repo, .. } => {
                    client_of(&repo.to_string()).or_else(|| client_of(&repo.owner))
                }
                Target::Org { org, .. } => client_of(org),
            };
            client.map(|c| (t.clone(), c))
        })
        .collect();
    Ok((targets, routes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::input::RunContext;
    use crate::target::{App, Repo};

    fn config(repos: &[&str], org: Option<&str>) -> Config {
        let destination = match org {
            Some(org) => Destination::Org {
                org: org.to_owned(),
                visibility: None,
                selected: Vec::new(),
            },
            None => Destination::Repos {
                repos: repos
                    .iter()
                    .map(|r| match r.split_once('/') {
                        Some((o, p)) if p.contains('*') => RepoSpec::Pattern {
                            owner: o.to_owned(),
                            pattern: p.to_owned(),
                        },
                        _ => RepoSpec::Exact(Repo::parse(r).expect("repo")),
                    })
                    .collect(),
                environment: None,
            },
        };
        Config {
            auth: crate::config::Auth::None,
            secrets: Vec::new(),
            current: None,
            destination,
            app: App::Actions,
            dry_run: false,
            api_url: "https://api.github.com".into(),
            fail_fast: false,
            allow_pull_request_target: false,
            token_expiry_warning_days: 14,
            audit_log: None,
            context: RunContext::default(),
            warnings: Vec::new(),
            refused: Vec::new(),
            preflight: false,
            stored_at: None,
        }
    }

    #[test]
    fn one_scope_per_repository_and_one_per_owner_for_patterns_and_organisations() {
        assert_eq!(scopes(&config(&["acme/api"], None)), ["acme/api"]);
        assert_eq!(
            scopes(&config(&["acme/api", "acme/web", "ACME/API"], None)),
            ["acme/api", "acme/web"],
            "two repositories, two exchanges: never a token wider than the targets"
        );
        assert_eq!(
            scopes(&config(&["acme/service-*", "acme/api", "acme/lib-*"], None)),
            ["acme", "acme/api"]
        );
        assert_eq!(scopes(&config(&[], Some("acme"))), ["acme"]);
    }
}
