//! Authentication for a run: a token as given, a GitHub App's short-lived installation token,
//! or (keyless, [`crate::auth::keyless`]) installation tokens exchanged for the job's identity.
//!
//! As a GitHub App, the run signs a JWT with the app's private key (RS256, `iat` backdated a
//! minute for clock drift, `exp` nine minutes ahead), finds the installation, and mints an
//! installation token limited to the target repositories and to the secret permissions the
//! targets need. Repository patterns are first resolved with a token that may only read
//! metadata. Every minted token is handed to a masking callback the moment it exists, and is
//! held by a [`crate::auth::guard::InstallationToken`], which sees it revoked
//! (`DELETE /installation/token`) before the run ends, whatever happened.
//!
//! Here: the session and its opening. The JWT is in [`jwt`]; the installation (finding it,
//! minting its tokens, resolving patterns) in [`installation`]; the permission names in
//! [`permissions`]; the errors in [`error`].

pub mod error;
pub mod installation;
pub mod jwt;
pub mod permissions;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::auth::guard::{InstallationToken, RevokeError};
use crate::config::{AppCredentials, Auth, Config, Destination, RepoSpec};
use crate::github::{Client, Policy, Stats};
use crate::secret::SecretValue;
use crate::target::Target;
use error::AppAuthError;
use installation::{find_installation, mint, resolve_patterns};
use jwt::{now_secs, AppSigner};
use permissions::permission_name;

/// The permissions an installation token needs for the configured targets ([`permission_name`]).
pub fn permissions_for(
    config: &Config,
) -> Result<BTreeMap<&'static str, &'static str>, AppAuthError> {
    let (org, environment) = match &config.destination {
        Destination::Org { .. } => (true, false),
        Destination::Repos { environment, .. } => (false, environment.is_some()),
    };
    let name = permission_name(config.app, org, environment)
        .ok_or(AppAuthError::NoCodespacesPermission)?;
    Ok(BTreeMap::from([(name, "write")]))
}

/// What a session's token may do with the targets' secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Write secrets (and read their public keys): [`permissions_for`].
    Write,
    /// List secrets and read public keys only: [`read_permissions_for`].
    Read,
}

/// [`permissions_for`] at `read` level: listing secrets (names and dates) and reading public
/// keys need only `read` of the same permission, per the token endpoint's schema (each of
/// `secrets`, `environments`, `organization_secrets`, `dependabot_secrets` is `read` or
/// `write`; so are the two Agent secrets permissions in GitHub's tables).
pub fn read_permissions_for(
    config: &Config,
) -> Result<BTreeMap<&'static str, &'static str>, AppAuthError> {
    Ok(permissions_for(config)?
        .into_keys()
        .map(|name| (name, "read"))
        .collect())
}

/// How the run talks to GitHub: the client to write with, targets already resolved (when
/// patterns were resolved as part of authenticating), and what to revoke at the end.
pub struct Session {
    pub client: Arc<Client>,
    /// Targets resolved while authenticating (patterns under a GitHub App, every target of a
    /// keyless run); `None` when the engine resolves them itself.
    pub targets: Option<Vec<Target>>,
    /// Targets written with another client than `client`: a keyless run's tokens, one per
    /// exchange, each writing only its own targets ([`Session::client_for`]).
    pub(crate) routes: Vec<(Target, Arc<Client>)>,
    /// The installation tokens the clients hold, until [`Session::close`] revokes them.
    tokens: std::sync::Mutex<Vec<InstallationToken>>,
    app: bool,
}

impl Session {
    /// A session writing with `client`, holding `tokens` until [`Session::close`]; `app`: they
    /// are installation tokens the run obtained itself.
    pub(crate) fn with_tokens(
        client: Arc<Client>,
        targets: Option<Vec<Target>>,
        routes: Vec<(Target, Arc<Client>)>,
        tokens: Vec<InstallationToken>,
        app: bool,
    ) -> Session {
        Session {
            client,
            targets,
            routes,
            tokens: std::sync::Mutex::new(tokens),
            app,
        }
    }

    /// Whether the run writes with installation tokens it obtained itself (a GitHub App's, or
    /// a keyless run's exchanged tokens): they live an hour and are revoked at the end.
    pub fn is_app(&self) -> bool {
        self.app
    }

    /// The client that writes `target`: its route's, else the session's.
    pub fn client_for(&self, target: &Target) -> &Arc<Client> {
        self.routes
            .iter()
            .find(|(t, _)| t == target)
            .map_or(&self.client, |(_, c)| c)
    }

    /// The permissions GitHub granted the first installation token the session holds (a GitHub
    /// App's one token), as its mint's answer said them (name → level); `None` without one. An
    /// exchanged token's answer says none.
    pub fn granted(&self) -> Option<BTreeMap<String, String>> {
        self.tokens
            .lock()
            .ok()
            .and_then(|t| t.first().map(|t| t.permissions().clone()))
    }

    /// Revokes every installation token (`DELETE /installation/token`, each with itself), and
    /// any token left behind on the way; bounded once a signal has come. The first failure is
    /// returned (all are tried). A second call does nothing.
    pub async fn close(&self) -> Result<(), RevokeError> {
        let tokens = self
            .tokens
            .lock()
            .map(|mut t| std::mem::take(&mut *t))
            .unwrap_or_default();
        let own = futures_util::future::join_all(tokens.into_iter().map(InstallationToken::revoke))
            .await
            .into_iter()
            .collect::<Result<Vec<()>, _>>()
            .map(drop);
        let left = crate::auth::guard::revoke_left_behind().await;
        own.and(left)
    }
}

/// Each target through its own token's client ([`Session::client_for`]).
impl crate::github::SecretStore for Session {
    fn pacing(&self) -> crate::pacing::Pacing {
        self.client.pacing()
    }

    async fn public_key(
        &self,
        target: &Target,
    ) -> Result<crate::github::endpoints::PublicKey, crate::github::ApiError> {
        <Client as crate::github::SecretStore>::public_key(self.client_for(target), target).await
    }

    async fn secret_visibility(
        &self,
        target: &Target,
        name: &str,
    ) -> Result<crate::github::endpoints::ExistingSecret, crate::github::ApiError> {
        <Client as crate::github::SecretStore>::secret_visibility(
            self.client_for(target),
            target,
            name,
        )
        .await
    }

    async fn updated_at(
        &self,
        target: &Target,
    ) -> Result<Vec<(String, time::OffsetDateTime)>, crate::github::ApiError> {
        <Client as crate::github::SecretStore>::updated_at(self.client_for(target), target).await
    }

    async fn put_secret(
        &self,
        target: &Target,
        name: &str,
        sealed: &crate::github::Sealed<'_>,
    ) -> Result<crate::github::endpoints::Written, crate::github::ApiError> {
        <Client as crate::github::SecretStore>::put_secret(
            self.client_for(target),
            target,
            name,
            sealed,
        )
        .await
    }
}

/// Why a session could not be opened, and how many requests that took.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct OpenError {
    pub error: AppAuthError,
    pub requests: u64,
}

/// Opens a session: for a token, a client (no request); for a GitHub App, the JWT exchange.
/// `on_token` receives each minted token before it is used or anything else happens.
pub async fn open(
    config: &Config,
    policy: Policy,
    on_token: &mut dyn FnMut(&SecretValue),
) -> Result<Session, OpenError> {
    open_with(config, policy, Access::Write, on_token).await
}

/// [`open`], with a GitHub App's token limited to `access` (a token is used as given).
pub async fn open_with(
    config: &Config,
    policy: Policy,
    access: Access,
    on_token: &mut dyn FnMut(&SecretValue),
) -> Result<Session, OpenError> {
    let stats: Arc<Stats> = Arc::default();
    let fail = |error: AppAuthError, stats: &Stats| OpenError {
        error,
        requests: stats.requests.load(std::sync::atomic::Ordering::Relaxed),
    };
    match &config.auth {
        Auth::Token(token) => Ok(Session::with_tokens(
            Arc::new(
                Client::new(&config.api_url, token, policy)
                    .map_err(|e| fail(AppAuthError::Client(e), &stats))?,
            ),
            None,
            Vec::new(),
            Vec::new(),
            false,
        )),
        Auth::App(creds) => {
            let clients = Clients {
                api_url: config.api_url.clone(),
                policy,
                stats: stats.clone(),
            };
            open_app(config, creds, clients, access, on_token)
                .await
                .map_err(|e| fail(e, &stats))
        }
        Auth::Keyless(sts) => {
            let api = crate::auth::guard::ApiSide {
                api_url: config.api_url.clone(),
                policy,
                stats: stats.clone(),
            };
            let opened = crate::auth::keyless::open(config, sts, api, on_token)
                .await
                .map_err(|e| fail(AppAuthError::Keyless(Box::new(e)), &stats))?;
            Ok(Session::with_tokens(
                opened.client,
                Some(opened.targets),
                opened.routes,
                opened.tokens,
                true,
            ))
        }
        Auth::None => Err(fail(AppAuthError::NoToken, &stats)),
    }
}

/// The shared stats every client of a session counts into.
struct Clients {
    api_url: String,
    policy: Policy,
    stats: Arc<Stats>,
}

impl Clients {
    fn client(&self, token: &SecretValue) -> Result<Client, AppAuthError> {
        let mut c =
            Client::new(&self.api_url, token, self.policy.clone()).map_err(AppAuthError::Client)?;
        c.stats = self.stats.clone();
        Ok(c)
    }
}

async fn open_app(
    config: &Config,
    creds: &AppCredentials,
    clients: Clients,
    access: Access,
    on_token: &mut dyn FnMut(&SecretValue),
) -> Result<Session, AppAuthError> {
    let permissions = match access {
        Access::Write => permissions_for(config)?,
        Access::Read => read_permissions_for(config)?,
    };
    let signer = AppSigner::new(&creds.app_id, &creds.private_key)?;
    let owner = single_owner(config)?;
    let jwt = Arc::new(clients.client(&signer.sign(now_secs())?)?);

    let installation = match creds.installation_id {
        Some(id) => id,
        None => find_installation(&jwt, config, &owner, &permissions).await?,
    };

    let patterns = matches!(&config.destination, Destination::Repos { repos, .. }
        if repos.iter().any(|r| matches!(r, RepoSpec::Pattern { .. })));
    let mut targets = None;
    if patterns {
        // Resolve with a token that can read nothing but metadata, then revoke it (abandoned
        // half-way, its guard leaves it to `token_guard::revoke_left_behind`).
        let metadata = BTreeMap::from([("metadata", "read")]);
        let reader = mint(&jwt, installation, None, &metadata).await?;
        on_token(reader.token());
        let resolved = resolve_patterns(reader.client(), config).await;
        let revoked = reader.revoke().await;
        let resolved = resolved?;
        revoked?;
        targets = Some(resolved);
    }

    let repositories: Option<Vec<String>> = match &config.destination {
        Destination::Org { .. } => None,
        Destination::Repos { repos, .. } => Some(match &targets {
            Some(t) => t
                .iter()
                .filter_map(Target::repo)
                .map(|r| r.name.clone())
                .collect(),
            None => repos
                .iter()
                .filter_map(|r| match r {
                    RepoSpec::Exact(repo) => Some(repo.name.clone()),
                    RepoSpec::Pattern { .. } => None,
                })
                .collect(),
        }),
    };
    let repositories = repositories.map(|mut names| {
        let mut seen = std::collections::HashSet::new();
        names.retain(|n| seen.insert(n.to_ascii_lowercase()));
        names
    });
    let token = mint(&jwt, installation, repositories.as_deref(), &permissions).await?;
    on_token(token.token());
    crate::auth::guard::panic_point("after-mint");
    Ok(Session::with_tokens(
        token.client().clone(),
        targets,
        Vec::new(),
        vec![token],
        true,
    ))
}

/// The one account every target belongs to: an installation covers one user or organisation.
fn single_owner(config: &Config) -> Result<String, AppAuthError> {
    let owners: Vec<&str> = match &config.destination {
        Destination::Org { org, .. } => vec![org.as_str()],
        Destination::Repos { repos, .. } => repos
            .iter()
            .map(|r| match r {
                RepoSpec::Exact(repo) => repo.owner.as_str(),
                RepoSpec::Pattern { owner, .. } => owner.as_str(),
            })
            .collect(),
    };
    let first = owners.first().copied().unwrap_or_default();
    if let Some(other) = owners.iter().find(|o| !o.eq_ignore_ascii_case(first)) {
        return Err(AppAuthError::SeveralOwners {
            first: first.to_owned(),
            other: (*other).to_owned(),
        });
    }
    Ok(first.to_owned())
}
