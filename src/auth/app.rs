//! Authentication for a run: a token as given, or a GitHub App's short-lived installation token.
//!
//! As a GitHub App, the run signs a JWT with the app's private key (RS256, `iat` backdated a
//! minute for clock drift, `exp` nine minutes ahead), finds the installation, and mints an
//! installation token limited to the target repositories and to the secret permissions the
//! targets need. Repository patterns are first resolved with a token that may only read
//! metadata. Every minted token is handed to a masking callback the moment it exists, and is
//! held by a [`crate::auth::guard::InstallationToken`], which sees it revoked
//! (`DELETE /installation/token`) before the run ends, whatever happened.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::json;
use zeroize::Zeroize;

use crate::auth::guard::{InstallationToken, RevokeError};
use crate::config::{AppCredentials, Auth, Config, Destination, RepoSpec};
use crate::github::endpoints::{self, Installation, InstallationOf};
use crate::github::{ApiError, Client, Policy, Stats};
use crate::secret::SecretValue;
use crate::target::{App, Repo, Target};

/// Seconds `iat` is set in the past, so a runner clock slightly ahead of GitHub's still works.
pub const IAT_BACKDATE_SECS: u64 = 60;
/// Seconds from now to `exp`. GitHub refuses an `exp` more than 10 minutes after `iat`; with
/// `iat` backdated a minute this keeps the JWT's whole lifetime at ten minutes.
pub const EXP_AHEAD_SECS: u64 = 9 * 60;

/// The claims GitHub reads from an app's JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iat: u64,
    pub exp: u64,
    pub iss: Issuer,
}

/// `iss`: the app's numeric id, or its client id (`Iv23…`), as GitHub accepts both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Issuer {
    Id(u64),
    ClientId(String),
}

impl Issuer {
    pub fn parse(app_id: &str) -> Issuer {
        let app_id = app_id.trim();
        match app_id.parse::<u64>() {
            Ok(id) => Issuer::Id(id),
            Err(_) => Issuer::ClientId(app_id.to_owned()),
        }
    }
}

/// Signs the app's JWTs. Holds the parsed private key; never prints it.
pub struct AppSigner {
    iss: Issuer,
    key: EncodingKey,
}

impl fmt::Debug for AppSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSigner")
            .field("iss", &self.iss)
            .field("key", &"***")
            .finish()
    }
}

/// Why a GitHub App session could not be opened, or a token minted. Names the app's inputs,
/// the account, the permission or the installation; never any part of the key or a token.
#[derive(Debug, thiserror::Error)]
pub enum AppAuthError {
    /// The key cannot sign.
    #[error(
        "`app-private-key` is not a usable RSA private key: give the whole PEM file GitHub \
         generated for the app (PKCS#1, \"RSA PRIVATE KEY\"), or its PKCS#8 form \
         (\"PRIVATE KEY\"), unchanged"
    )]
    BadKey,
    /// Codespaces secrets have no app permission ([`NO_CODESPACES_PERMISSION`]).
    #[error("{}", NO_CODESPACES_PERMISSION)]
    NoCodespacesPermission,
    /// No credential at all.
    #[error("no token")]
    NoToken,
    /// A client for a token could not be made.
    #[error(transparent)]
    Client(ApiError),
    /// The targets belong to more than one account.
    #[error(
        "a GitHub App installation belongs to one account, but the targets belong to {first} \
         and {other}: run once per account"
    )]
    SeveralOwners { first: String, other: String },
    /// The installation found belongs to another account.
    #[error("the app's installation {id} belongs to {login}, not {owner}")]
    OtherAccount {
        id: u64,
        login: String,
        owner: String,
    },
    /// No installation on the account (`shown`: ` (GitHub's message)`, or nothing).
    #[error(
        "the GitHub App is not installed on {what}: GitHub answered 404{shown} to {paths}. \
         Install the app on {what} (or the repositories to write), or give \
         `app-installation-id`"
    )]
    NotInstalled {
        what: String,
        shown: String,
        paths: String,
    },
    /// The installation lacks a permission the run needs (`missing`: "`name: level`"s).
    #[error(
        "the GitHub App's installation on {what} lacks the permission {missing}: add it in the \
         app's settings (Permissions), then accept the new permissions on the installation"
    )]
    MissingPermission { what: String, missing: String },
    /// `app-installation-id` names no installation of the app.
    #[error("the GitHub App has no installation {0}: check `app-installation-id`")]
    NoInstallation(u64),
    /// GitHub would not mint the token asked for (`repositories`: ` for a, b`; `shown`:
    /// ` (GitHub's message)`; either may be empty).
    #[error(
        "GitHub refused an installation token with {asked}{repositories}{shown}: the \
         installation must be granted these permissions and have access to those repositories"
    )]
    MintRefused {
        asked: String,
        repositories: String,
        shown: String,
    },
    /// A request made with the app's JWT failed.
    #[error(transparent)]
    Jwt(#[from] JwtFailure),
    /// GitHub's answer to the mint held no token.
    #[error("GitHub's installation token answer had no token")]
    NoMintedToken,
    /// The minted token cannot be sent in a header.
    #[error("{0}: it cannot be used, nor revoked (it expires by itself within the hour)")]
    UnusableToken(crate::github::TokenError),
    /// The mint brought no token.
    #[error(transparent)]
    Mint(Box<crate::auth::guard::MintError<AppAuthError>>),
    /// The token minted to resolve patterns could not be revoked.
    #[error(transparent)]
    Revoke(#[from] RevokeError),
    /// The installation's repositories could not be listed (GitHub refused with `status`).
    #[error("could not list the app installation's repositories: GitHub answered {0}")]
    ListRefused(u16),
    /// The installation's repositories could not be listed (no answer, or not understood).
    #[error(transparent)]
    List(ApiError),
    /// A repository pattern is not a pattern.
    #[error(transparent)]
    Pattern(#[from] crate::target::PatternError),
    /// A repository pattern matches nothing the app can reach.
    #[error(
        "`{0}` matches no repository the GitHub App is installed on (archived repositories are \
         skipped)"
    )]
    NoMatch(String),
}

/// A request made with the app's JWT that failed: a rejected `iat`/`exp` points at the
/// runner's clock; an error that is no refusal (the network, a bad body) is told as it is.
/// `shown` is ` (GitHub's message)`, or nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum JwtFailure {
    /// The JWT's times were refused.
    #[error(
        "GitHub rejected the app's JWT{shown}: its times come from this machine's clock, which \
         must be within a minute of GitHub's: check the runner's clock"
    )]
    Clock { shown: String },
    /// The JWT was refused otherwise: the app's id or key.
    #[error(
        "GitHub rejected the app's JWT{shown}: check that `app-id` is the app's id (or client \
         id) and `app-private-key` is one of its current private keys"
    )]
    Rejected { shown: String },
    /// Another refusal while `doing` something.
    #[error("could not {doing}: GitHub answered {status}{shown}")]
    Refused {
        doing: &'static str,
        status: u16,
        shown: String,
    },
    /// No refusal: no answer, or one not understood.
    #[error(transparent)]
    Api(ApiError),
}

impl AppSigner {
    /// Parses the key (PKCS#1 or PKCS#8 PEM) and proves it can sign. No request is made.
    pub fn new(app_id: &str, private_key: &SecretValue) -> Result<Self, AppAuthError> {
        // A PEM pasted through tools that escape newlines arrives as one line with `\n`.
        let mut pem = private_key.expose().trim().to_owned();
        if !pem.contains('\n') && pem.contains("\\n") {
            pem = pem.replace("\\n", "\n");
        }
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| AppAuthError::BadKey);
        pem.zeroize();
        let signer = AppSigner {
            iss: Issuer::parse(app_id),
            key: key?,
        };
        // The PEM parser checks the envelope only; signing once checks the key itself.
        signer.sign(now_secs())?;
        Ok(signer)
    }

    /// The claims of a JWT signed at `now` (Unix seconds).
    pub fn claims(&self, now: u64) -> Claims {
        Claims {
            iat: now.saturating_sub(IAT_BACKDATE_SECS),
            exp: now + EXP_AHEAD_SECS,
            iss: self.iss.clone(),
        }
    }

    /// A JWT signed at `now`, RS256.
    pub fn sign(&self, now: u64) -> Result<SecretValue, AppAuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &self.claims(now), &self.key)
            .map(SecretValue::new)
            .map_err(|_| AppAuthError::BadKey)
    }
}

/// The system clock in Unix seconds, read where a JWT is signed: a JWT lives ten minutes, so
/// it is signed with the time it is sent, not a time read earlier in the run.
pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The GitHub App permission that reaches one kind of secrets, named as in the `permissions`
/// schema of `POST /app/installations/{id}/access_tokens`: `org` for organisation secrets,
/// `environment` for environment secrets. The one place these names are spelt.
///
/// That schema has no permission for Codespaces secrets (`codespaces` manages codespaces
/// themselves), and GitHub does not offer organisation Codespaces secrets to apps at all, so
/// Codespaces secrets need a token (`None`; [`NO_CODESPACES_PERMISSION`] says so). Dependabot secrets use `dependabot_secrets`,
/// the schema's only Dependabot permission, for repositories and organisations alike. Agents
/// secrets use `agent_secrets` (repository) and `organization_agent_secrets` (organisation), the
/// names GitHub's own permission tables give the "Agent secrets" permissions
/// (github/docs, `src/github-apps/data/fpt-2026-03-10/server-to-server-permissions.json`).
pub fn permission_name(app: App, org: bool, environment: bool) -> Option<&'static str> {
    Some(match (app, org, environment) {
        (App::Codespaces, ..) => return None,
        (_, false, true) => "environments",
        (App::Actions, false, _) => "secrets",
        (App::Actions, true, _) => "organization_secrets",
        (App::Dependabot, ..) => "dependabot_secrets",
        (App::Agents, false, _) => "agent_secrets",
        (App::Agents, true, _) => "organization_agent_secrets",
    })
}

/// Why a GitHub App token cannot be limited to Codespaces secrets.
pub const NO_CODESPACES_PERMISSION: &str = "a GitHub App cannot be limited to Codespaces secrets \
     (GitHub's token permissions have none for them): use `token` for Codespaces secrets";

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
    /// Targets resolved while authenticating (patterns under a GitHub App); `None` when the
    /// engine resolves them itself.
    pub targets: Option<Vec<Target>>,
    /// The installation token `client` holds, until [`Session::close`] revokes it.
    token: std::sync::Mutex<Option<InstallationToken>>,
    app: bool,
}

impl Session {
    /// Whether the run authenticates as a GitHub App.
    pub fn is_app(&self) -> bool {
        self.app
    }

    /// Revokes the installation token, if any (`DELETE /installation/token`), and any token
    /// left behind on the way; bounded once a signal has come. A second call does nothing.
    pub async fn close(&self) -> Result<(), RevokeError> {
        let token = self.token.lock().ok().and_then(|mut t| t.take());
        let own = match token {
            Some(token) => token.revoke().await,
            None => Ok(()),
        };
        let left = crate::auth::guard::revoke_left_behind().await;
        own.and(left)
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
        Auth::Token(token) => Ok(Session {
            client: Arc::new(
                Client::new(&config.api_url, token, policy)
                    .map_err(|e| fail(AppAuthError::Client(e), &stats))?,
            ),
            targets: None,
            token: std::sync::Mutex::new(None),
            app: false,
        }),
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
    Ok(Session {
        client: token.client().clone(),
        targets,
        token: std::sync::Mutex::new(Some(token)),
        app: true,
    })
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

/// `GET /repos/{owner}/{repo}/installation` for the first repository, or
/// `GET /orgs/{org}/installation` (then `/users/{user}/installation`) for an owner; checks
/// that the installation was granted the permissions the run needs.
async fn find_installation(
    jwt: &Client,
    config: &Config,
    owner: &str,
    needed: &BTreeMap<&'static str, &'static str>,
) -> Result<u64, AppAuthError> {
    let first_repo = match &config.destination {
        Destination::Repos { repos, .. } => repos.iter().find_map(|r| match r {
            RepoSpec::Exact(repo) => Some(repo.clone()),
            RepoSpec::Pattern { .. } => None,
        }),
        Destination::Org { .. } => None,
    };
    let (what, places) = match (&first_repo, &config.destination) {
        (Some(repo), _) => (repo.to_string(), vec![InstallationOf::Repo(repo)]),
        (None, Destination::Org { org, .. }) => (org.clone(), vec![InstallationOf::Org(org)]),
        (None, _) => (
            owner.to_owned(),
            vec![InstallationOf::Org(owner), InstallationOf::User(owner)],
        ),
    };
    let mut last = None;
    for place in &places {
        match endpoints::installation(jwt, *place).await {
            Ok(doc) => {
                if let Some(login) = &doc.account {
                    if !login.eq_ignore_ascii_case(owner) {
                        return Err(AppAuthError::OtherAccount {
                            id: doc.id,
                            login: login.clone(),
                            owner: owner.to_owned(),
                        });
                    }
                }
                check_granted(&doc, needed, &what)?;
                return Ok(doc.id);
            }
            Err(ApiError::NotFound { message }) => last = message,
            Err(e) => return Err(jwt_failure(&e, "find the app's installation").into()),
        }
    }
    let paths: Vec<String> = places.iter().map(InstallationOf::path).collect();
    Err(AppAuthError::NotInstalled {
        what,
        shown: last.map(|m| format!(" ({m})")).unwrap_or_default(),
        paths: paths.join(" and "),
    })
}

/// Fails, naming the permission, when the installation lacks one the run needs.
fn check_granted(
    doc: &Installation,
    needed: &BTreeMap<&'static str, &'static str>,
    what: &str,
) -> Result<(), AppAuthError> {
    let missing: Vec<String> = needed
        .iter()
        .filter(|(name, level)| {
            let granted = doc.permissions.get(**name).map(String::as_str);
            !(granted == Some(**level) || granted == Some("write") || granted == Some("admin"))
        })
        .map(|(name, level)| format!("`{name}: {level}`"))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(AppAuthError::MissingPermission {
        what: what.to_owned(),
        missing: missing.join(" and "),
    })
}

/// `POST /app/installations/{id}/access_tokens`, limited to `repositories` and `permissions`:
/// the token, in the guard that sees it revoked (see [`crate::auth::guard`]). The request runs
/// to its end even when the caller is abandoned.
pub async fn mint(
    jwt: &Arc<Client>,
    installation: u64,
    repositories: Option<&[String]>,
    permissions: &BTreeMap<&'static str, &'static str>,
) -> Result<InstallationToken, AppAuthError> {
    let (client, repositories, permissions) = (
        Arc::clone(jwt),
        repositories.map(<[String]>::to_vec),
        permissions.clone(),
    );
    crate::auth::guard::mint(jwt, async move {
        request_token(&client, installation, repositories.as_deref(), &permissions).await
    })
    .await
    .map_err(|e| AppAuthError::Mint(Box::new(e)))
}

/// The mint's request and the checks of its answer: the token and its `expires_at`.
async fn request_token(
    jwt: &Client,
    installation: u64,
    repositories: Option<&[String]>,
    permissions: &BTreeMap<&'static str, &'static str>,
) -> Result<(SecretValue, Option<String>), AppAuthError> {
    let mut body = json!({ "permissions": permissions });
    if let Some(names) = repositories {
        if let Some(fields) = body.as_object_mut() {
            fields.insert("repositories".into(), json!(names));
        }
    }
    let minted = match endpoints::create_installation_token(jwt, installation, &body).await {
        Ok(minted) => minted,
        Err(e) => return Err(mint_failure(&e, installation, repositories, permissions)),
    };
    let token = minted
        .token
        .filter(|t| !t.is_empty())
        .ok_or(AppAuthError::NoMintedToken)?;
    // Checked before anything masks, prints or sends it: a newline in it would end a
    // workflow command early and make octocrab panic on the header.
    crate::github::check_token(&token, "installation token GitHub minted")
        .map_err(AppAuthError::UnusableToken)?;
    Ok((token, minted.expires_at))
}

/// Why GitHub would not mint an installation token, and the fix.
fn mint_failure(
    e: &ApiError,
    installation: u64,
    repositories: Option<&[String]>,
    permissions: &BTreeMap<&'static str, &'static str>,
) -> AppAuthError {
    {
        let asked = permissions
            .iter()
            .map(|(k, v)| format!("`{k}: {v}`"))
            .collect::<Vec<_>>()
            .join(", ");
        match e {
            ApiError::NotFound { .. } => AppAuthError::NoInstallation(installation),
            ApiError::Rejected { message } => AppAuthError::MintRefused {
                asked,
                repositories: repositories
                    .map(|r| format!(" for {}", r.join(", ")))
                    .unwrap_or_default(),
                shown: message
                    .as_deref()
                    .map(|m| format!(" ({m})"))
                    .unwrap_or_default(),
            },
            e => jwt_failure(e, "get an installation token").into(),
        }
    }
}

/// Explains a failed JWT request; a rejected `iat`/`exp` points at the runner's clock. An
/// error that is no refusal (the network, a bad body) is told as it is.
pub fn jwt_failure(e: &ApiError, doing: &'static str) -> JwtFailure {
    let Some(status) = e.refused_status() else {
        return JwtFailure::Api(e.clone());
    };
    let message = e.server_message().unwrap_or_default().to_owned();
    let shown = if message.is_empty() {
        String::new()
    } else {
        format!(" ({message})")
    };
    if matches!(e, ApiError::Unauthorized { .. }) {
        let lower = message.to_ascii_lowercase();
        if lower.contains("'iat'") || lower.contains("'exp'") || lower.contains("issued at") {
            return JwtFailure::Clock { shown };
        }
        return JwtFailure::Rejected { shown };
    }
    JwtFailure::Refused {
        doing,
        status,
        shown,
    }
}

/// Targets for the configured repositories, patterns matched against
/// `GET /installation/repositories` (every repository the installation can reach).
async fn resolve_patterns(reader: &Client, config: &Config) -> Result<Vec<Target>, AppAuthError> {
    let Destination::Repos { repos, environment } = &config.destination else {
        return Ok(Vec::new());
    };
    let reachable = endpoints::installation_repositories(reader)
        .await
        .map_err(|e| match e.refused_status() {
            Some(status) => AppAuthError::ListRefused(status),
            None => AppAuthError::List(e),
        })?;
    let mut resolved: Vec<Target> = Vec::new();
    for spec in repos {
        let matched: Vec<Repo> = match spec {
            RepoSpec::Exact(r) => vec![r.clone()],
            RepoSpec::Pattern { owner, pattern } => {
                let found = crate::target::pattern_matches(owner, pattern, &reachable)?;
                if found.is_empty() {
                    return Err(AppAuthError::NoMatch(spec.to_string()));
                }
                found
            }
        };
        crate::target::add_targets(&mut resolved, matched, environment.as_deref(), config.app);
    }
    Ok(resolved)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway key, generated once per test process (PKCS#1 PEM, as GitHub hands it out).
    fn test_key() -> SecretValue {
        SecretValue::from(fake_github::AppKey::shared().pkcs1_pem.as_str())
    }

    #[test]
    fn pkcs8_keys_sign_too() {
        let pkcs8 = SecretValue::from(fake_github::AppKey::shared().pkcs8_pem.as_str());
        AppSigner::new("1", &pkcs8).expect("signer");
    }

    fn decode_claims(jwt: &str) -> Claims {
        use base64::Engine as _;
        let payload = jwt.split('.').nth(1).expect("payload");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("claims")
    }

    #[test]
    fn claims_backdate_iat_and_stay_within_ten_minutes() {
        let signer = AppSigner::new("12345", &test_key()).expect("signer");
        let now = 4_084_000_000; // 2099: a stated now, not the clock
        let jwt = signer.sign(now).expect("sign");
        let claims = decode_claims(jwt.expose());
        assert_eq!(claims.iat, now - 60);
        assert_eq!(claims.exp, now + 540);
        assert!(claims.exp - claims.iat <= 600);
        assert_eq!(claims.iss, Issuer::Id(12345));
        let header = jwt.expose().split('.').next().expect("header");
        use base64::Engine as _;
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .expect("b64"),
        )
        .expect("json");
        assert_eq!(header["alg"], "RS256");
    }

    #[test]
    fn a_client_id_is_a_string_issuer() {
        let signer = AppSigner::new("Iv23liAbCdEf", &test_key()).expect("signer");
        let claims = decode_claims(signer.sign(4_084_000_000).expect("sign").expose());
        assert_eq!(claims.iss, Issuer::ClientId("Iv23liAbCdEf".into()));
    }

    #[test]
    fn escaped_newlines_are_accepted() {
        let escaped = test_key().expose().trim().replace('\n', "\\n");
        AppSigner::new("1", &SecretValue::from(escaped)).expect("signer");
    }

    #[test]
    fn a_bad_key_is_refused_without_echoing_it() {
        let key = test_key();
        let body_line = key.expose().lines().nth(3).expect("line").to_owned();
        let cases = [
            "not a key at all".to_owned(),
            key.expose().replace(&body_line, "AAAA"),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----"
                .to_owned(),
        ];
        for case in cases {
            let err = AppSigner::new("1", &SecretValue::from(case.as_str())).expect_err("bad");
            let err = err.to_string();
            assert!(err.contains("app-private-key"), "{err}");
            for line in case
                .lines()
                .filter(|l| l.len() >= 4 && !l.starts_with("-----"))
            {
                assert!(!err.contains(line), "error echoes the key: {err}");
            }
        }
        let dbg = format!("{:?}", AppSigner::new("1", &key).expect("signer"));
        assert!(!dbg.contains(&body_line), "{dbg}");
    }
}
