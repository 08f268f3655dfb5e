//! A test double of GitHub's REST API for secrets, served over real HTTP on 127.0.0.1.
//!
//! It follows `shared/github-openapi-secrets.json` (and, for Agents secrets,
//! `descriptions/agents-secrets.json`) for paths, bodies and status codes, holds a
//! real Curve25519 key pair per secret scope, opens every sealed box it receives and keeps the
//! plaintext, records every request (raw body: sealed values only), enforces token permissions,
//! primary and secondary rate limits, and injects faults on demand. Beside the API it serves
//! the keyless path's two services (the runner's ID-token service and an octo-sts-style token
//! exchange, [`keyless`]) and can echo what it receives ([`echo`]).
//!
//! The tests that use it are synchronous, so [`FakeGitHub`] runs its own tokio runtime on a
//! background thread; dropping it shuts the server down.
//!
//! ```no_run
//! use fake_github::{App, FakeGitHub, Scope, TokenKind, TokenSpec};
//! let gh = FakeGitHub::start();
//! gh.add_repo("octo/app");
//! gh.add_token("t0k", TokenSpec::classic("octo", &["repo"]));
//! // ... run the binary with GITHUB_API_URL = gh.url() ...
//! let stored = gh.secret(&Scope::repo("octo/app"), "API_KEY");
//! assert_eq!(gh.count("PUT", "/actions/secrets/"), 1);
//! # drop(stored);
//! ```

pub mod app;
pub mod echo;
mod handler;
pub mod keyless;
pub mod rng;
mod server;
mod state;
pub mod testclient;
pub mod world;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use app::{sign_jwt, AppKey, Installation, MintedToken};
pub use keyless::{OidcClaims, TrustPolicy};
pub use rng::SeededRng;
pub use server::self_signed;

/// The services the fake serves, each on its own listener (127.0.0.1, its own port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Service {
    /// GitHub's REST API ([`FakeGitHub::url`]).
    Api,
    /// The runner's ID-token service ([`FakeGitHub::id_token_request_url`]).
    IdToken,
    /// The octo-sts-style token exchange ([`FakeGitHub::sts_url`]).
    Sts,
}

impl Service {
    fn label(self) -> &'static str {
        match self {
            Service::Api => "api",
            Service::IdToken => "id_token",
            Service::Sts => "sts",
        }
    }
}

/// Which secrets service a scope belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum App {
    Actions,
    Dependabot,
    Codespaces,
    /// Agents secrets (the Copilot cloud agent's): repository and organisation scopes only,
    /// served only to requests that ask for `X-GitHub-Api-Version: 2026-03-10`.
    Agents,
}

/// The API version the fake requires on Agents secrets calls. GitHub names its REST API
/// versions by the day they were released: this is a version's name, compared as a string with
/// the header the client sends, never with a clock, so it does not fall due on any day (the date
/// guard runs the fake five years ahead). Spelled here on its own, not taken from the client's
/// `github::routes::AGENTS_API_VERSION`, so that a wrong version in the client fails the tests.
pub const AGENTS_API_VERSION: &str = "2026-03-10";

impl App {
    /// The path segment GitHub uses for this app (`actions`, `dependabot`, `codespaces`,
    /// `agents`).
    pub fn segment(self) -> &'static str {
        match self {
            App::Actions => "actions",
            App::Dependabot => "dependabot",
            App::Codespaces => "codespaces",
            App::Agents => "agents",
        }
    }

    fn parse(s: &str) -> Option<App> {
        match s {
            "actions" => Some(App::Actions),
            "dependabot" => Some(App::Dependabot),
            "codespaces" => Some(App::Codespaces),
            "agents" => Some(App::Agents),
            _ => None,
        }
    }
}

/// Where a secret lives. Names of repositories, organisations and environments compare
/// case-insensitively, as on GitHub.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Scope {
    /// `/repos/{owner}/{repo}/{app}/secrets`
    Repo { repo: String, app: App },
    /// `/repos/{owner}/{repo}/environments/{env}/secrets` (Actions only)
    Env { repo: String, env: String },
    /// `/orgs/{org}/{app}/secrets`
    Org { org: String, app: App },
    /// `/user/codespaces/secrets` of the first user the world knows (added by `add_user` or
    /// implicitly by `add_token`). Use [`Scope::UserOf`] when there are several.
    User,
    /// `/user/codespaces/secrets` of the named user.
    UserOf { login: String },
}

impl Scope {
    /// Actions secrets of a repository.
    pub fn repo(full_name: &str) -> Scope {
        Scope::Repo {
            repo: full_name.to_string(),
            app: App::Actions,
        }
    }
    pub fn repo_app(full_name: &str, app: App) -> Scope {
        Scope::Repo {
            repo: full_name.to_string(),
            app,
        }
    }
    pub fn env(full_name: &str, env: &str) -> Scope {
        Scope::Env {
            repo: full_name.to_string(),
            env: env.to_string(),
        }
    }
    /// Actions secrets of an organisation.
    pub fn org(org: &str) -> Scope {
        Scope::Org {
            org: org.to_string(),
            app: App::Actions,
        }
    }
    pub fn org_app(org: &str, app: App) -> Scope {
        Scope::Org {
            org: org.to_string(),
            app,
        }
    }
}

/// The kind of token and what it may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TokenKind {
    /// Personal access token (classic). `repo` is needed for repository and environment
    /// secrets (and private repositories), `admin:org` for organisation secrets, `codespace`
    /// (or `codespace:secrets`) for the user's Codespaces secrets. Without the scope GitHub
    /// answers 404 (it hides what the token cannot see) and says which scope it wanted in
    /// `x-accepted-oauth-scopes`.
    Classic { scopes: Vec<String> },
    /// Fine-grained personal access token. `repositories: None` means every repository.
    /// Permissions: `secrets_write` for repository Actions secrets, `environments_write` for
    /// environment secrets, `org_secrets_write` for organisation Actions secrets,
    /// `dependabot_write` for Dependabot secrets (repository or organisation),
    /// `codespaces_write` for Codespaces secrets (repository, organisation or user), and
    /// `agents_write` for Agents secrets ("Agent secrets", repository or organisation). Missing →
    /// 403 `Resource not accessible by personal access token`; a repository outside
    /// `repositories` → 404.
    FineGrained {
        repositories: Option<Vec<String>>,
        secrets_write: bool,
        environments_write: bool,
        org_secrets_write: bool,
        dependabot_write: bool,
        codespaces_write: bool,
        #[serde(default)]
        agents_write: bool,
    },
    /// A fine-grained PAT granted every secrets permission at `read` level only (GitHub's
    /// "Read-only"): it reads public keys and lists secrets, and every write or delete is 403
    /// `Resource not accessible by personal access token`, as for a missing permission.
    /// `repositories: None` means every repository.
    FineGrainedReadOnly { repositories: Option<Vec<String>> },
    /// Like a workflow's `GITHUB_TOKEN`: reads metadata, every secrets call is 403
    /// `Resource not accessible by integration`.
    GithubToken,
    /// A GitHub App installation token (`ghs_…`), minted by
    /// `POST /app/installations/{id}/access_tokens`. It reaches only `account`'s repositories
    /// in `repositories` (`None` = all the installation reaches; outside → 404) and carries
    /// only `permissions` (missing → 403 `Resource not accessible by integration` with
    /// `x-accepted-github-permissions`). Metadata can always be read.
    Installation {
        installation_id: u64,
        account: String,
        repositories: Option<Vec<String>>,
        permissions: std::collections::BTreeMap<String, String>,
    },
}

/// A token the fake accepts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSpec {
    pub login: String,
    pub kind: TokenKind,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    #[serde(default)]
    pub revoked: bool,
}

impl TokenSpec {
    /// A classic PAT with the given scopes, no expiry.
    pub fn classic(login: &str, scopes: &[&str]) -> TokenSpec {
        TokenSpec {
            login: login.to_string(),
            kind: TokenKind::Classic {
                scopes: scopes.iter().map(|s| s.to_string()).collect(),
            },
            expires_at: None,
            revoked: false,
        }
    }

    /// A fine-grained PAT with every secrets permission, on every repository, no expiry.
    pub fn fine_grained_all(login: &str) -> TokenSpec {
        TokenSpec {
            login: login.to_string(),
            kind: TokenKind::FineGrained {
                repositories: None,
                secrets_write: true,
                environments_write: true,
                org_secrets_write: true,
                dependabot_write: true,
                codespaces_write: true,
                agents_write: true,
            },
            expires_at: None,
            revoked: false,
        }
    }

    /// A fine-grained PAT that may read every kind of secrets (keys, listings) on every
    /// repository but write none, no expiry.
    pub fn fine_grained_read_only(login: &str) -> TokenSpec {
        TokenSpec {
            login: login.to_string(),
            kind: TokenKind::FineGrainedReadOnly { repositories: None },
            expires_at: None,
            revoked: false,
        }
    }

    /// A workflow `GITHUB_TOKEN` look-alike.
    pub fn github_token() -> TokenSpec {
        TokenSpec {
            login: "github-actions[bot]".to_string(),
            kind: TokenKind::GithubToken,
            expires_at: None,
            revoked: false,
        }
    }

    pub fn expiring(mut self, at: OffsetDateTime) -> TokenSpec {
        self.expires_at = Some(at);
        self
    }
}

/// A stored secret, as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// The plaintext, decrypted from the sealed box.
    pub value: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// `all`, `private` or `selected` for organisation and user secrets; `None` otherwise.
    pub visibility: Option<String>,
    pub selected_repository_ids: Vec<u64>,
    /// PUTs with a value accepted for this secret (pre-seeded secrets start at 0).
    pub writes: u32,
}

/// One request as the fake saw it. Recorded in arrival order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// The service it came to (the API, the ID-token service, the token exchange).
    pub service: Service,
    pub method: String,
    /// Raw path as sent, percent-encoding kept, without the query.
    pub path: String,
    pub query: Option<String>,
    /// Status answered; 0 when the connection was dropped without an answer.
    pub status: u16,
    /// Raw body as received (sealed values only: plaintext never reaches the wire).
    pub body: String,
    pub authorization: Option<String>,
    /// Every `User-Agent` value sent, in order (GitHub asks for exactly one naming the tool).
    pub user_agents: Vec<String>,
    /// The `X-GitHub-Api-Version` header as sent (several values joined by `, `), if any.
    pub api_version: Option<String>,
    /// The injected fault that hit this request, if any (e.g. `status:503`, `drop`).
    pub fault: Option<String>,
    /// Arrival time since the server started: monotonic (`Instant`), taken when the request's
    /// head arrived, before its body was read and before any latency or fault. Real time:
    /// with `Options::time_scale`, a scaled second is `1 s / time_scale` of it.
    pub at: Duration,
    /// Unique, increasing number of the request.
    pub seq: u64,
    /// What the hostile echo mode wrote back into this request's answer (`token`,
    /// `encrypted_value`, `plaintext`, `credential`), in order; empty when it was off.
    pub echoed: Vec<String>,
}

impl Recorded {
    /// A request GitHub's secondary limits count as content-creating: `POST`, `PATCH`, `PUT`
    /// or `DELETE`, GraphQL excepted (the fake answers only GraphQL queries).
    pub fn is_content_creating(&self) -> bool {
        matches!(self.method.as_str(), "POST" | "PATCH" | "PUT" | "DELETE")
            && !self.path.trim_end_matches('/').ends_with("/graphql")
    }
}

/// Where an injected fault applies. Faults are kept in injection order; each request takes the
/// first one that matches it, consuming one of its `times`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The service whose requests it hits: the API unless [`Fault::service`] says otherwise.
    pub service: Service,
    /// e.g. `Some("PUT".into())`; `None` matches any method.
    pub method: Option<String>,
    /// Substring of the raw path; `None` matches any path.
    pub path_contains: Option<String>,
    pub kind: FaultKind,
    pub times: u32,
}

impl Fault {
    /// A fault hitting the next request, whatever it is, once.
    pub fn new(kind: FaultKind) -> Fault {
        Fault {
            service: Service::Api,
            method: None,
            path_contains: None,
            kind,
            times: 1,
        }
    }
    pub fn on(mut self, method: &str, path_contains: &str) -> Fault {
        self.method = Some(method.to_string());
        self.path_contains = Some(path_contains.to_string());
        self
    }
    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_string());
        self
    }
    pub fn path(mut self, path_contains: &str) -> Fault {
        self.path_contains = Some(path_contains.to_string());
        self
    }
    pub fn times(mut self, n: u32) -> Fault {
        self.times = n;
        self
    }
    /// Hit the requests of another service (the exchange: a 5xx, latency, a dropped
    /// connection).
    pub fn service(mut self, service: Service) -> Fault {
        self.service = service;
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this status (e.g. 500/502/503) with a JSON message, before processing.
    Status(u16),
    /// Close the connection without answering, before processing.
    Drop,
    /// Process the request (a PUT stores its value), then close without answering.
    DropAfterProcessing,
    /// Extra latency for this request, then process it normally.
    Latency(Duration),
    /// 429 with `retry-after`.
    RateLimit429 { retry_after_secs: u64 },
    /// 403 "You have exceeded a secondary rate limit" with `retry-after`.
    Secondary403 { retry_after_secs: u64 },
    /// 403 "API rate limit exceeded" with `x-ratelimit-remaining: 0` and
    /// `x-ratelimit-reset` = now + n.
    PrimaryExhausted { reset_in_secs: u64 },
    /// Rotate the key of the request's scope, then process the request normally (a PUT made
    /// with the old key id then gets 422).
    RotateKeyBefore,
    // ---- the hostile mode: a compromised or mistyped endpoint ------------------------------
    /// Answer exactly this, before processing: any status, header bytes (bad or huge values)
    /// and body bytes.
    Raw {
        status: u16,
        headers: Vec<(String, Vec<u8>)>,
        body: Vec<u8>,
    },
    /// Answer `status` with a body that never ends.
    Endless { status: u16 },
    /// Answer a redirect to `location` (another host, say), before processing.
    Redirect { status: u16, location: String },
    /// Process the request, then replace its `Link` header with this one; `{base}` becomes
    /// the request's own `scheme://host[/api/v3]` (a link to another host, a loop).
    Link(String),
    /// Process the request, then replace `find` with `replace` in every string of the JSON
    /// body (control characters and HTML in names, logins, messages).
    Hostile { find: String, replace: String },
}

impl FaultKind {
    /// Short label stored in [`Recorded::fault`].
    pub fn label(&self) -> String {
        match self {
            FaultKind::Status(s) => format!("status:{s}"),
            FaultKind::Drop => "drop".into(),
            FaultKind::DropAfterProcessing => "drop_after_processing".into(),
            FaultKind::Latency(d) => format!("latency:{}ms", d.as_millis()),
            FaultKind::RateLimit429 { retry_after_secs } => {
                format!("429:retry_after={retry_after_secs}")
            }
            FaultKind::Secondary403 { retry_after_secs } => {
                format!("secondary_403:retry_after={retry_after_secs}")
            }
            FaultKind::PrimaryExhausted { reset_in_secs } => {
                format!("primary_exhausted:reset_in={reset_in_secs}")
            }
            FaultKind::RotateKeyBefore => "rotate_key_before".into(),
            FaultKind::Raw { status, body, .. } => format!("raw:{status}:{}b", body.len()),
            FaultKind::Endless { status } => format!("endless:{status}"),
            FaultKind::Redirect { status, .. } => format!("redirect:{status}"),
            FaultKind::Link(_) => "link".into(),
            FaultKind::Hostile { .. } => "hostile".into(),
        }
    }
}

/// PEM-encoded certificate chain and private key for serving https.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    pub cert_pem: String,
    pub key_pem: String,
}

/// How the fake behaves beyond the world it holds.
#[derive(Debug, Clone)]
pub struct Options {
    /// Added to every request before it is answered.
    pub latency: Duration,
    /// Speed of the rate-limit clocks: the secondary window lasts `60 s / time_scale` and the
    /// primary window `3600 s / time_scale` of real time. 1.0 = real time; 60.0 makes a
    /// "minute" last one second.
    pub time_scale: f64,
    /// Content-creating requests (PUT/POST/PATCH/DELETE) allowed per token per scaled minute;
    /// beyond it: 403 secondary rate limit with `retry-after` (real seconds, unless
    /// `retry_after_scaled`).
    pub secondary_limit_per_minute: Option<u32>,
    /// Content-creating requests allowed per token per scaled hour (GitHub's second secondary
    /// window: 500); beyond it, the same 403 with `retry-after` until the hour has room. Held
    /// with `secondary_limit_per_minute` when both are set.
    pub secondary_limit_per_hour: Option<u32>,
    /// Give the secondary limit's `retry-after` in scaled seconds (the real wait ×
    /// `time_scale`), for a client that shrinks every wait by the same factor
    /// (`SECRET_REFRESH_TIME_SCALE = 1 / time_scale`). Off by default: real seconds.
    pub retry_after_scaled: bool,
    /// Requests per token per scaled hour; beyond it: 403 "API rate limit exceeded". The
    /// `x-ratelimit-*` headers reflect it (5000 when `None`).
    pub primary_limit: Option<u32>,
    /// Serve https instead of http.
    pub tls: Option<TlsConfig>,
    /// Port to bind on 127.0.0.1; 0 picks a free one.
    pub port: u16,
}

impl Options {
    /// GitHub's documented secondary limits on content-creating requests: 80 in any rolling
    /// minute and 500 in any rolling hour, per token (both windows scaled by `time_scale`).
    pub fn github_secondary_limits(mut self) -> Options {
        self.secondary_limit_per_minute = Some(80);
        self.secondary_limit_per_hour = Some(500);
        self
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            latency: Duration::ZERO,
            time_scale: 1.0,
            secondary_limit_per_minute: None,
            secondary_limit_per_hour: None,
            retry_after_scaled: false,
            primary_limit: None,
            tls: None,
            port: 0,
        }
    }
}

/// The fake API server. Dropping it stops the server.
pub struct FakeGitHub {
    shared: Arc<Mutex<state::State>>,
    url: String,
    server: Option<server::ServerHandle>,
}

impl FakeGitHub {
    /// Start on 127.0.0.1 with a free port and default options.
    pub fn start() -> Self {
        Self::start_with(Options::default())
    }

    /// Start with options. Panics if the server cannot bind (a test double: fail loudly).
    pub fn start_with(opts: Options) -> Self {
        let shared = Arc::new(Mutex::new(state::State::new(opts.clone())));
        let (handle, url) = server::spawn(shared.clone(), opts).expect("fake-github: start server");
        FakeGitHub {
            shared,
            url,
            server: Some(handle),
        }
    }

    /// Base URL without trailing slash, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        self.url.clone()
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .unwrap_or(0)
    }

    fn with<R>(&self, f: impl FnOnce(&mut state::State) -> R) -> R {
        let mut guard = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    // ---- clock -------------------------------------------------------------------------

    /// The fake's "now" (whole seconds): the clock [`FakeGitHub::set_now`] set, else the
    /// system clock. Token expiry (401), JWT `iat`/`exp` checks, `x-ratelimit-reset`, minted
    /// tokens' `expires_at` and secrets' timestamps all read it.
    pub fn now(&self) -> OffsetDateTime {
        self.with(|s| s.now())
    }

    /// Set the fake's clock to `at` (sub-seconds dropped). It then stands still until set
    /// again or moved with [`FakeGitHub::advance`], so a test states its own "now" and asserts
    /// exact expiries, 401s and reset times.
    pub fn set_now(&self, at: OffsetDateTime) {
        let at = at.replace_nanosecond(0).unwrap_or(at);
        self.with(|s| s.clock = Some(at))
    }

    /// Move the fake's clock by `by` (from the system clock when none was set).
    pub fn advance(&self, by: time::Duration) {
        self.with(|s| s.clock = Some(s.now() + by))
    }

    // ---- world -------------------------------------------------------------------------

    pub fn add_user(&self, login: &str) {
        self.with(|s| {
            s.ensure_account(login, false);
        })
    }

    pub fn add_org(&self, login: &str) {
        self.with(|s| {
            s.ensure_account(login, true);
        })
    }

    /// Add a public, unarchived repository (its owner is created as a user if unknown).
    /// Returns its id.
    pub fn add_repo(&self, full_name: &str) -> u64 {
        self.add_repo_with(full_name, false, false)
    }

    pub fn add_repo_with(&self, full_name: &str, archived: bool, private: bool) -> u64 {
        self.with(|s| s.add_repo(full_name, archived, private))
    }

    /// Add an environment to a repository (the repository is created if unknown).
    pub fn add_environment(&self, full_name: &str, env: &str) {
        self.with(|s| s.add_environment(full_name, env))
    }

    /// Register a token (its user is created if unknown). Adding the same token again
    /// replaces its spec (e.g. to revoke it).
    pub fn add_token(&self, token: &str, spec: TokenSpec) {
        self.with(|s| s.add_token(token, spec))
    }

    /// Revoke a token: it then gets 401 `Bad credentials`.
    pub fn revoke_token(&self, token: &str) {
        self.with(|s| {
            if let Some(t) = s.tokens.get_mut(token) {
                t.revoked = true;
            }
        })
    }

    /// Whether a token was revoked (by [`FakeGitHub::revoke_token`] or
    /// `POST /credentials/revoke`).
    pub fn is_revoked(&self, token: &str) -> bool {
        self.with(|s| s.tokens.get(token).is_some_and(|t| t.revoked))
    }

    /// Id of a repository, if known.
    pub fn repo_id(&self, full_name: &str) -> Option<u64> {
        self.with(|s| s.repo(full_name).map(|r| r.id))
    }

    // ---- GitHub Apps -------------------------------------------------------------------

    /// Register a GitHub App by id with its public key (SPKI `PUBLIC KEY` or PKCS#1
    /// `RSA PUBLIC KEY` PEM). JWTs must be RS256-signed with the matching private key and carry
    /// `iss` = the id (or the returned client id). Returns the app's client id.
    pub fn add_app(&self, app_id: u64, public_key_pem: &str) -> String {
        let public =
            app::parse_public_key(public_key_pem).expect("fake-github: an RSA public key PEM");
        let client_id = format!("Iv23li{app_id:014}");
        self.with(|s| {
            s.apps.retain(|a| a.id != app_id);
            s.apps.push(app::AppRecord {
                id: app_id,
                client_id: client_id.clone(),
                public,
            });
        });
        client_id
    }

    /// Install an app on a user or organisation (created as a user if unknown).
    /// `repositories`: names without owner, `None` = all the account's repositories.
    /// `permissions`: e.g. `&[("secrets", "write")]`. Returns the installation id.
    pub fn add_installation(
        &self,
        app_id: u64,
        account: &str,
        repositories: Option<&[&str]>,
        permissions: &[(&str, &str)],
    ) -> u64 {
        self.with(|s| {
            let account = match s.account(account) {
                Some(a) => a.login.clone(),
                None => s.ensure_account(account, false).login,
            };
            let id = s.next_installation_id();
            s.installations.push(Installation {
                id,
                app_id,
                account,
                repositories: repositories.map(|r| r.iter().map(|n| n.to_string()).collect()),
                permissions: permissions
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            });
            id
        })
    }

    /// Every installation token minted so far, in order, with whether it is revoked.
    pub fn minted_tokens(&self) -> Vec<(MintedToken, bool)> {
        self.with(|s| {
            s.minted
                .iter()
                .map(|m| {
                    let revoked = s.tokens.get(&m.token).is_none_or(|t| t.revoked);
                    (m.clone(), revoked)
                })
                .collect()
        })
    }

    // ---- secrets -----------------------------------------------------------------------

    /// Store a secret as if it already existed (created_at = updated_at = now, writes = 0).
    /// Organisation secrets get visibility `private` unless set otherwise.
    pub fn set_secret(&self, scope: &Scope, name: &str, value: &str) {
        self.with(|s| s.seed_secret(scope, name, value))
    }

    pub fn set_org_secret_visibility(
        &self,
        scope: &Scope,
        name: &str,
        visibility: &str,
        selected_repository_ids: Vec<u64>,
    ) {
        self.with(|s| {
            if let Some(st) = s.stored_mut(scope, name) {
                st.visibility = Some(visibility.to_string());
                st.selected_repository_ids = selected_repository_ids;
            }
        })
    }

    pub fn set_secret_updated_at(&self, scope: &Scope, name: &str, at: OffsetDateTime) {
        self.with(|s| {
            if let Some(st) = s.stored_mut(scope, name) {
                st.updated_at = at;
            }
        })
    }

    /// A stored secret (names compare case-insensitively, as on GitHub).
    pub fn secret(&self, scope: &Scope, name: &str) -> Option<Stored> {
        self.with(|s| s.stored_mut(scope, name).map(|st| st.clone()))
    }

    /// Every secret of a scope, sorted by (upper-cased) name.
    pub fn secrets(&self, scope: &Scope) -> Vec<(String, Stored)> {
        self.with(|s| s.secrets_of(scope))
    }

    /// `(key_id, base64 public key)` of a scope, as the public-key endpoint answers.
    pub fn public_key(&self, scope: &Scope) -> (String, String) {
        self.with(|s| {
            let k = s.key_for_scope(scope);
            (k.key_id.clone(), k.public_b64())
        })
    }

    /// The scope's current secret key, for interop tests that open a sealed box elsewhere.
    pub fn secret_key_bytes(&self, scope: &Scope) -> [u8; 32] {
        self.with(|s| s.key_for_scope(scope).secret.to_bytes())
    }

    /// Hostile: the scope's public-key endpoint answers `bytes` (a low-order point, a key of the
    /// wrong length…) in place of its real public key. The key id and secret key stay, so a
    /// value sealed to the served key cannot be opened and a PUT of it is refused.
    pub fn serve_public_key(&self, scope: &Scope, bytes: &[u8]) {
        self.with(|s| {
            let k = s.scope_key(scope);
            s.key(&k);
            if let Some(pair) = s.keys.get_mut(&k) {
                pair.served = Some(bytes.to_vec());
            }
        })
    }

    /// New key pair and key id for the scope; PUTs with the old key id then get 422.
    pub fn rotate_key(&self, scope: &Scope) {
        self.with(|s| s.rotate_scope(scope))
    }

    // ---- request log -------------------------------------------------------------------

    pub fn requests(&self) -> Vec<Recorded> {
        self.with(|s| s.requests.clone())
    }

    /// Requests whose method equals `method` (case-insensitive; `""` or `"*"` = any) and whose
    /// raw path contains `path_contains`.
    pub fn count(&self, method: &str, path_contains: &str) -> usize {
        self.with(|s| {
            s.requests
                .iter()
                .filter(|r| {
                    (method.is_empty() || method == "*" || r.method.eq_ignore_ascii_case(method))
                        && r.path.contains(path_contains)
                })
                .count()
        })
    }

    /// The content-creating requests ([`Recorded::is_content_creating`]) in arrival order.
    pub fn writes(&self) -> Vec<Recorded> {
        self.with(|s| {
            s.requests
                .iter()
                .filter(|r| r.is_content_creating())
                .cloned()
                .collect()
        })
    }

    /// The shortest time between the arrivals of two successive content-creating requests
    /// (real, monotonic time; `None` with fewer than two). GitHub asks clients to wait at least
    /// a second between writes: with `time_scale`, compare it with `1 s / time_scale`.
    pub fn min_gap_between_writes(&self) -> Option<Duration> {
        let at: Vec<Duration> = self.writes().iter().map(|r| r.at).collect();
        at.windows(2).map(|w| w[1].saturating_sub(w[0])).min()
    }

    /// TLS handshakes that failed since the start: connections a client closed (or that broke)
    /// before a request, e.g. because it does not trust the certificate.
    pub fn tls_refused(&self) -> u64 {
        self.with(|s| s.tls_refused)
    }

    pub fn clear_requests(&self) {
        self.with(|s| s.requests.clear())
    }

    /// The request log as JSON Lines (used by the binary's `--request-log`).
    pub fn requests_jsonl(&self) -> String {
        self.with(|s| state::requests_jsonl(&s.requests))
    }

    // ---- hostile echo ------------------------------------------------------------------

    /// The hostile echo mode for every request (`true`), or off everywhere (`false`, which
    /// also clears [`FakeGitHub::hostile_echo_on`] routes). The fake then writes back what each
    /// request carried — its bearer token, the `encrypted_value`, the plaintext it decrypts to,
    /// revocation `credentials` — in every form [`echo::forms`] lists, in error messages,
    /// `documentation_url`, headers and printable fields of successful answers (see the
    /// [`echo`] module). [`Recorded::echoed`] says what each answer carried.
    pub fn hostile_echo(&self, on: bool) {
        self.with(|s| {
            s.echo.all = on;
            if !on {
                s.echo.routes.clear();
            }
        })
    }

    /// The hostile echo mode for the requests whose method is `method` (`""` or `"*"`: any)
    /// and whose raw path contains `path_contains` (`""`: any), until
    /// `hostile_echo(false)`. Rules add up.
    pub fn hostile_echo_on(&self, method: &str, path_contains: &str) {
        let method = (!method.is_empty() && method != "*").then(|| method.to_string());
        let path = (!path_contains.is_empty()).then(|| path_contains.to_string());
        self.with(|s| s.echo.routes.push((method, path)))
    }

    // ---- keyless: the runner's ID-token service and the token exchange ----------------

    fn service_url(&self, service: Service) -> String {
        self.server
            .as_ref()
            .expect("fake-github: running")
            .url(service)
            .expect("fake-github: start a listener")
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_URL`: the runner's ID-token service (its own listener,
    /// started on first use). It already carries a query (`?api-version=2.0`), as the
    /// runner's does: a client appends `&audience=AUD`.
    pub fn id_token_request_url(&self) -> String {
        keyless::id_token_url(&self.service_url(Service::IdToken))
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: the bearer the ID-token service accepts (JWT-shaped,
    /// like the runner's; any other bearer, or none, gets 401).
    pub fn id_token_request_token(&self) -> String {
        self.with(|s| s.keyless.request_token.clone())
    }

    /// The claims of the run's ID tokens. Until set, the ID-token service answers 500.
    pub fn set_oidc_claims(&self, claims: OidcClaims) {
        self.with(|s| s.keyless.claims = Some(claims))
    }

    /// Every ID token the service handed out, in order (secrets: for leak scans).
    pub fn id_tokens(&self) -> Vec<String> {
        self.with(|s| s.keyless.issued.clone())
    }

    /// The claims an ID token issued now for `audience` would carry (the run's claims must be
    /// set): change some and [`FakeGitHub::sign_id_token`] to forge a token.
    pub fn id_token_claims(&self, audience: &str) -> serde_json::Value {
        self.with(|s| keyless::claims_json(s, audience))
            .expect("fake-github: set_oidc_claims first")
    }

    /// Sign any claims as the fake issuer does (RS256, [`AppKey::issuer`], GitHub's header).
    pub fn sign_id_token(&self, claims: &serde_json::Value) -> String {
        keyless::sign_id_token(claims)
    }

    /// The token exchange's base URL (its own listener, started on first use):
    /// `GET {sts_url}/sts/exchange?scope=…&identity=…`.
    pub fn sts_url(&self) -> String {
        self.service_url(Service::Sts)
    }

    /// The app whose installations the exchange mints with (by default any app's installation
    /// on the scope's owner).
    pub fn set_sts_app(&self, app_id: u64) {
        self.with(|s| s.keyless.sts_app = Some(app_id))
    }

    /// The audience the exchange expects when a policy names none (octo-sts: its domain).
    /// By default its host name, `127.0.0.1`.
    pub fn set_sts_audience(&self, audience: &str) {
        self.with(|s| s.keyless.sts_audience = Some(audience.to_string()))
    }

    /// The audience the exchange expects when a policy names none.
    pub fn sts_audience(&self) -> String {
        self.with(|s| s.keyless.sts_audience.clone())
            .unwrap_or_else(|| "127.0.0.1".into())
    }

    /// Install a trust policy for `identity`: `scope` `owner/repo` is that repository's
    /// `.github/chainguard/{identity}.sts.yaml`, `owner` the organisation's (in `owner/.github`).
    /// The repository holding it is created when unknown; the exchange reads it only when its
    /// installation reaches that repository (else 404, as octo-sts). Replaces an earlier one.
    pub fn add_trust_policy(&self, scope: &str, identity: &str, policy: TrustPolicy) {
        let (owner, repo) = scope.rsplit_once('/').unwrap_or((scope, ".github"));
        self.with(|s| {
            let full = format!("{owner}/{repo}");
            if s.repo(&full).is_none() {
                s.add_repo(&full, false, false);
            }
            s.keyless.policies.insert(
                (state::lc(owner), state::lc(repo), identity.to_string()),
                policy,
            );
        })
    }

    /// Remove a trust policy.
    pub fn remove_trust_policy(&self, scope: &str, identity: &str) {
        let (owner, repo) = scope.rsplit_once('/').unwrap_or((scope, ".github"));
        self.with(|s| {
            s.keyless
                .policies
                .remove(&(state::lc(owner), state::lc(repo), identity.to_string()));
        })
    }

    /// The installation tokens the exchange minted, in order, with whether each is revoked.
    pub fn exchanged_tokens(&self) -> Vec<(MintedToken, bool)> {
        self.minted_tokens()
            .into_iter()
            .filter(|(m, _)| m.exchange.is_some())
            .collect()
    }

    /// Take a service down (its port refuses connections and its open connections close) or
    /// bring it back on the same port.
    pub fn set_down(&self, service: Service, down: bool) {
        if let Some(server) = &self.server {
            server
                .set_down(service, down)
                .expect("fake-github: bring a listener back up");
        }
    }

    /// The requests one service received, in arrival order.
    pub fn requests_to(&self, service: Service) -> Vec<Recorded> {
        self.with(|s| {
            s.requests
                .iter()
                .filter(|r| r.service == service)
                .cloned()
                .collect()
        })
    }

    // ---- faults ------------------------------------------------------------------------

    pub fn inject(&self, fault: Fault) {
        self.with(|s| s.faults.push(fault))
    }

    /// Faults not yet consumed.
    pub fn pending_faults(&self) -> Vec<Fault> {
        self.with(|s| s.faults.clone())
    }

    pub fn clear_faults(&self) {
        self.with(|s| s.faults.clear())
    }

    /// Faults consumed so far (one per request hit).
    pub fn faults_hit(&self) -> usize {
        self.with(|s| s.requests.iter().filter(|r| r.fault.is_some()).count())
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        if let Some(h) = self.server.take() {
            h.shutdown();
        }
    }
}

pub(crate) fn app_from_segment(s: &str) -> Option<App> {
    App::parse(s)
}
