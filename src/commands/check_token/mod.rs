//! `secret-refresh check-token`: who a token belongs to, what kind it is, its scopes and
//! expiry, and (with `--repo`) whether it reaches a repository's secrets. One `GET /user`, plus
//! one public-key read with `--repo`. The token itself is never shown: only its well-known
//! prefix (`ghp_`, `github_pat_`…), which GitHub documents and which says nothing secret.

mod installation;

use clap::Args;

use super::options::AppArgs;
use super::{Error, Style, Tone};
use crate::auth::app::AppSigner;
use crate::auth::guard::InstallationToken;
use crate::auth::token::{TokenKind, TokenSource};
use crate::cancel::unless_cancelled;
use crate::config::AppCredentials;
use crate::github::endpoints::{self, Installation, InstallationOf};
use crate::github::{ApiError, Client, Policy};
use crate::output::words::{Count, DaysLeft, List};
use crate::secret::SecretValue;
use crate::target::{App, Repo, Target};

#[derive(Args, Debug)]
pub struct CheckTokenArgs {
    /// Also check that the token can read this repository's secrets public key (of --app).
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// Whose secrets --repo is checked for: `actions`, `dependabot`, `codespaces` or `agents`.
    #[arg(long, value_name = "KIND", default_value = "actions", value_parser = super::parse_app)]
    pub app: App,
    /// Fail when the token expires within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = 14)]
    pub warn_days: u32,
    /// Ask for the token to check at a hidden prompt (a new token, before storing it anywhere)
    /// instead of GH_TOKEN, GITHUB_TOKEN or `gh auth token`.
    #[arg(long, conflicts_with = "app_id")]
    pub prompt: bool,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    #[command(flatten)]
    pub github_app: AppArgs,
}

pub const AFTER_HELP: &str = "\
The token comes from GH_TOKEN, else GITHUB_TOKEN, else `gh auth token`, else a hidden prompt;
with --prompt, always from the hidden prompt. It is never shown.

With --app-id and --app-key-file, the GitHub App is checked instead (no token is looked for): the
app (GET /app with its JWT), its installation on --repo (or --app-installation-id) with the
permissions granted, and an installation token minted with the least it needs (`secrets: read`
on --repo, else `metadata: read`), whose expiry is shown before it is revoked.

Examples:
  secret-refresh check-token --repo acme/api
  secret-refresh check-token --prompt --warn-days 30
  secret-refresh check-token --repo acme/api --app-id 123456 --app-key-file app.pem

Exit codes: 0 the token (or app) works, 1 it is invalid, expires within --warn-days or cannot
read the --repo's secrets (an app: the key is refused, or the app is not installed), 2 usage
error (no token).";

/// Why `check-token` cannot start (a usage error: no request was made).
#[derive(Debug, thiserror::Error)]
pub enum CheckTokenError {
    /// `--app-id` with neither `--repo` nor `--app-installation-id`.
    #[error(
        "with --app-id, give --repo OWNER/NAME (the app's installation is found from it) or \
         --app-installation-id ID"
    )]
    AppWithoutInstallation,
}

pub fn run(args: CheckTokenArgs) -> Result<(), Error> {
    let repo = match args.repo.as_deref().map(|r| (r, Repo::parse(r))) {
        None => None,
        Some((_, Some(repo))) => Some(repo),
        Some((r, None)) => {
            return Err(Error::usage(super::TargetArgsError::Repo(r.to_owned())));
        }
    };
    // The URL policy first: no token is looked for (or typed) for a URL that is refused.
    let api_url = match super::api_url(args.api_url.as_deref()) {
        Ok(u) => u.to_string(),
        Err(e) => return Err(Error::usage(e)),
    };
    match super::app_credentials(&args.github_app) {
        Ok(Some(creds)) => return run_app(&args, &creds, repo),
        Ok(None) => {}
        Err(e) => return Err(Error::usage(e)),
    }
    let (token, source) = match token_to_check(args.prompt, &api_url) {
        Ok(t) => t,
        Err(e) => return Err(Error::usage(e)),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let client = match Client::new(&api_url, &token, Policy::from_env()) {
        Ok(c) => c,
        Err(e) => return Err(Error::usage(e)),
    };
    // GitHub refuses GET /user to an installation: what it reaches is shown instead.
    if TokenKind::of(&token).is_installation() {
        return installation::report(&runtime, &client, source, repo, args.warn_days);
    }
    let target = repo.map(|repo| Target::Repo {
        repo,
        app: args.app,
    });
    check_user_token(&runtime, &client, &token, source, target, args.warn_days)
}

/// Checks a token that acts for a user: `GET /user`, then (when the token is valid) the
/// target's public key; prints what was found.
fn check_user_token(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    token: &SecretValue,
    source: TokenSource,
    target: Option<Target>,
    warn_days: u32,
) -> Result<(), Error> {
    let user = match runtime.block_on(unless_cancelled(endpoints::user_login(client))) {
        Err(signal) => return Err(super::cancelled(signal, "")),
        Ok(Err(e)) if !e.is_refusal() && !matches!(e, ApiError::BadBody(_)) => {
            return Err(Error::failed_then(
                e,
                "\n  fix: check the network and --api-url",
            ))
        }
        Ok(user) => user,
    };
    let valid = !matches!(user, Err(ApiError::Unauthorized { .. }));
    let key = match &target {
        Some(t) if valid => {
            match runtime.block_on(unless_cancelled(endpoints::public_key(client, t))) {
                Ok(key) => Some(key),
                Err(signal) => return Err(super::cancelled(signal, "")),
            }
        }
        _ => None,
    };

    let mut found = Findings::default();
    found.line("Token", format!("from {}", source.describe()), Tone::Plain);
    let integration = matches!(
        &user,
        Err(ApiError::Forbidden { reason: Some(m) }) if m.contains("accessible by integration")
    );
    user_findings(&user, &source, integration, &mut found);
    let scopes = client.token_scopes();
    found.line(
        "Kind",
        kind(token, scopes.as_deref(), integration, valid),
        Tone::Plain,
    );
    if valid {
        token_findings(client, scopes.as_deref(), warn_days, &mut found);
    }
    if let (Some(t), Some(answer)) = (&target, key) {
        key_findings(t, answer, crate::engine::hints::permission_hint, &mut found);
    }
    found.finish("the token", &requests_text(client.requests(), ""))
}

/// What `GET /user` said about the token.
fn user_findings(
    user: &Result<String, ApiError>,
    source: &TokenSource,
    integration: bool,
    found: &mut Findings,
) {
    match user {
        Ok(login) => found.line("User", login.clone(), Tone::Plain),
        Err(ApiError::BadBody(_)) => {
            found.line("User", "(GitHub's answer was not understood)", Tone::Plain)
        }
        Err(ApiError::Unauthorized { .. }) => {
            found.line(
                "User",
                "none: GitHub answered 401 (the token is invalid, expired or revoked)",
                Tone::Bad,
            );
            found.problem(format!(
                "the token from {} is invalid, expired or revoked\n  fix: create a new token \
                 (see \"Rotating a PAT\" in the README) and use it",
                source.describe()
            ));
        }
        _ if integration => found.line(
            "User",
            "none: a GitHub App installation acts for no user (GET /user is refused)",
            Tone::Plain,
        ),
        Err(e) => {
            let (status, message) = refusal(e);
            found.line(
                "User",
                format!("unknown: GitHub answered {status}{message}"),
                Tone::Bad,
            );
            found.problem(format!(
                "GET /user answered {status}{message}\n  fix: check --api-url and the token"
            ));
        }
    }
}

/// A valid token's scopes and expiry, as GitHub's headers reported them.
fn token_findings(client: &Client, scopes: Option<&str>, warn_days: u32, found: &mut Findings) {
    let scope_text = match scopes.map(str::trim) {
        Some("") => "none (the token can read public data only)".to_owned(),
        Some(s) => s.to_owned(),
        None => "none reported (only classic and OAuth tokens have scopes; fine-grained and \
                 app tokens have permissions)"
            .to_owned(),
    };
    found.line("Scopes", scope_text, Tone::Plain);
    let expiry = client.token_expiry();
    match crate::report::expiry_days_left(expiry.as_deref(), time::OffsetDateTime::now_utc()) {
        Some(days) => {
            let when = expiry.clone().unwrap_or_default();
            let soon = days < i64::from(warn_days);
            found.line(
                "Expires",
                format!("{when} ({})", DaysLeft(days)),
                if soon { Tone::Bad } else { Tone::Good },
            );
            if soon {
                found.problem(format!(
                    "the token expires {} (within --warn-days {})\n  fix: create its \
                     successor now and rotate it in (see \"Rotating a PAT\" in the README)",
                    DaysLeft(days),
                    warn_days
                ));
            }
        }
        None => found.line(
            "Expires",
            match expiry {
                Some(raw) => format!("{raw} (not understood)"),
                None => "never (GitHub sent no expiry date)".into(),
            },
            Tone::Plain,
        ),
    }
}

/// Whether the token could read `--repo`'s public key; `hint` says the permission it lacks.
pub(super) fn key_findings(
    t: &Target,
    answer: Result<endpoints::PublicKey, ApiError>,
    hint: fn(&Target) -> String,
    found: &mut Findings,
) {
    let label = format!("Secrets of {t}");
    match answer {
        Ok(_) => found.line(
            &label,
            format!("can read the {} secrets public key", t.app().title()),
            Tone::Good,
        ),
        Err(e) if e.is_refusal() => {
            let (status, message) = refusal(&e);
            found.line(
                &label,
                format!("cannot read the public key: GitHub answered {status}{message}"),
                Tone::Bad,
            );
            found.problem(format!(
                "the token cannot read the secrets of {t}\n  fix: {}",
                hint(t)
            ));
        }
        Err(e) => {
            found.line(&label, format!("not checked: {e}"), Tone::Bad);
            found.problem(format!("{t}: {e}\n  fix: check the network and --api-url"));
        }
    }
}

/// `N request(s)` and what follows it in the closing line.
pub(super) fn requests_text(requests: u64, then: &str) -> String {
    format!("{}{then}", Count("request", requests))
}

/// The status and ` (GitHub's message)` of a refusal.
pub(super) fn refusal(e: &ApiError) -> (u16, String) {
    let message = e
        .server_message()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    (e.refused_status().unwrap_or_default(), message)
}

/// The kind from the prefix, with what GitHub's answer says about it.
fn kind(token: &SecretValue, scopes: Option<&str>, integration: bool, valid: bool) -> String {
    // Only the documented prefix is looked at; the rest of the token is never read.
    let k = TokenKind::of(token);
    let by_prefix = k.prefix().map(|p| (p, k.describe()));
    let evidence = if !valid {
        None
    } else if integration {
        Some("GitHub refuses GET /user to an integration")
    } else if scopes.is_some() {
        Some("GitHub reports OAuth scopes")
    } else {
        Some("GitHub reports no OAuth scopes")
    };
    match (by_prefix, evidence) {
        (Some((p, k)), Some(e)) => format!("{k} (prefix {p}; {e})"),
        (Some((p, k)), None) => format!("{k} (prefix {p})"),
        (None, Some(e)) => {
            let guess = if integration {
                "GitHub App token"
            } else if scopes.is_some() {
                "classic personal access token or OAuth token in the old format"
            } else {
                "unknown"
            };
            format!("{guess} (no known prefix; {e})")
        }
        (None, None) => "unknown (no known prefix)".into(),
    }
}

/// The token to check: typed at a hidden prompt, or found as `set` finds it.
fn token_to_check(
    prompt: bool,
    api_url: &str,
) -> Result<(SecretValue, TokenSource), super::UsageError> {
    if prompt {
        prompt_token().map(|t| (t, TokenSource::Prompt))
    } else {
        super::token(true, api_url)
    }
}

fn prompt_token() -> Result<SecretValue, super::UsageError> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err(super::UsageError::PromptNeedsTerminal);
    }
    let t = crate::env::prompt::hidden("Token to check (input hidden): ")
        .map_err(super::UsageError::PromptRead)?;
    let t = SecretValue::new(t.expose().trim().to_owned());
    crate::output::know_token(&t);
    if t.is_empty() {
        return Err(super::UsageError::NothingTyped);
    }
    Ok(t)
}

/// What `check-token` prints: `Key: value` lines and the problems found.
#[derive(Default)]
pub(super) struct Findings {
    pub(super) lines: Vec<(String, String, Tone)>,
    pub(super) problems: Vec<String>,
}

impl Findings {
    pub(super) fn line(&mut self, key: &str, value: impl Into<String>, tone: Tone) {
        self.lines.push((key.to_owned(), value.into(), tone));
    }

    pub(super) fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }

    /// Prints the lines and the verdict on `subject`, then each problem as an error; the exit
    /// code says whether there was one.
    pub(super) fn finish(self, subject: &str, requests: &str) -> Result<(), Error> {
        let style = Style::stdout();
        let width = self
            .lines
            .iter()
            .map(|(k, _, _)| k.len())
            .max()
            .unwrap_or(0)
            + 1;
        let mut out = String::new();
        for (k, v, tone) in &self.lines {
            out.push_str(&format!(
                "{:<width$} {}\n",
                format!("{k}:"),
                style.paint(v, *tone)
            ));
        }
        if self.problems.is_empty() {
            out.push_str(&style.paint(
                &format!("OK: {subject} works (checked with {requests}).\n"),
                Tone::Good,
            ));
        } else {
            out.push_str(&style.paint(
                &format!(
                    "Not OK: {} (checked with {requests}).\n",
                    Count("problem", self.problems.len())
                ),
                Tone::Bad,
            ));
        }
        super::print(&out);
        if self.problems.is_empty() {
            return Ok(());
        }
        for p in &self.problems {
            super::say(p);
        }
        Err(Error::Reported)
    }
}

/// `check-token` for a GitHub App: the app, its installation, and a token minted with the least
/// that proves something (then revoked). Requests: `GET /app`, the installation, the mint,
/// with `--repo` the public key, and the revocation.
fn run_app(args: &CheckTokenArgs, creds: &AppCredentials, repo: Option<Repo>) -> Result<(), Error> {
    if creds.installation_id.is_none() && repo.is_none() {
        return Err(Error::usage(CheckTokenError::AppWithoutInstallation));
    }
    let api_url = match super::api_url(args.api_url.as_deref()) {
        Ok(u) => u.to_string(),
        Err(e) => return Err(Error::usage(e)),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let jwt = match AppSigner::new(&creds.app_id, &creds.private_key)
        .and_then(|s| s.sign(crate::auth::app::now_secs()))
    {
        Ok(jwt) => jwt,
        Err(e) => return Err(Error::failed(e)),
    };
    let jwt = match Client::new(&api_url, &jwt, Policy::from_env()) {
        Ok(c) => std::sync::Arc::new(c),
        Err(e) => return Err(Error::usage(e)),
    };
    let mut found = Findings::default();
    // A signal stops the checks: the request in flight gets the grace, no other starts, and a
    // minted token is revoked (abandoned half-way, by its guard: `revoke_left_behind`).
    let checked = runtime.block_on(crate::cancel::or_abandon(check_app(
        &jwt,
        creds,
        repo.as_ref(),
        args.app,
        &mut found,
    )));
    let mut revoked = matches!(checked, Ok(true));
    if let Err(e) = runtime.block_on(crate::auth::guard::revoke_left_behind()) {
        found.line("Revoked", "no: see below", Tone::Bad);
        found.problem(e.to_string());
        revoked = false;
    }
    let then = if revoked {
        "; the token was revoked"
    } else {
        ""
    };
    if let Some(signal) = crate::cancel::requested() {
        found.problem(format!("cancelled by {}: stopped{then}", signal.name()));
    }
    found.finish("the GitHub App", &requests_text(jwt.requests(), then))
}

/// The checks, stopping at the first that leaves nothing more to learn. Returns whether a
/// minted token was revoked.
async fn check_app(
    jwt: &std::sync::Arc<Client>,
    creds: &AppCredentials,
    repo: Option<&Repo>,
    app: App,
    found: &mut Findings,
) -> bool {
    // The app itself: proves the key and the id go together.
    if !app_findings(jwt, found).await {
        return false;
    }
    let Some(installation) = installation_findings(jwt, creds, repo, found).await else {
        return false;
    };

    // A token with the least that proves something: reading --repo's secrets public key when
    // the installation may, else metadata only.
    let needed = crate::auth::app::permission_name(app, false, false);
    let can_read_secrets = needed.is_some_and(|name| {
        installation
            .permissions
            .get(name)
            .is_some_and(|l| matches!(l.as_str(), "read" | "write" | "admin"))
    });
    let permissions = match (repo, needed) {
        (Some(_), Some(name)) if can_read_secrets => {
            std::collections::BTreeMap::from([(name, "read")])
        }
        _ => std::collections::BTreeMap::from([("metadata", "read")]),
    };
    let Some(minted) = mint_findings(jwt, installation.id, repo, &permissions, found).await else {
        return false;
    };
    // No read starts after a signal; the token is revoked all the same.
    if let (Some(r), None) = (repo, crate::cancel::requested()) {
        let target = Target::Repo {
            repo: r.clone(),
            app,
        };
        let needed = needed.map(|_| can_read_secrets);
        repo_secrets_findings(minted.client(), &target, needed, found).await;
    }
    match minted.revoke().await {
        Ok(()) => {
            found.line("Revoked", "yes: the token no longer works", Tone::Good);
            true
        }
        Err(e) => {
            found.line("Revoked", "no: see below", Tone::Bad);
            found.problem(e.to_string());
            false
        }
    }
}

/// No answer came (or one not understood): the fix is the network or the URL.
fn network(e: ApiError) -> String {
    format!("{e}\n  fix: check the network and --api-url")
}

/// `GET /app` with the JWT; whether to go on.
async fn app_findings(jwt: &Client, found: &mut Findings) -> bool {
    match endpoints::app(jwt).await {
        Ok(app) => found.line(
            "App",
            format!("{} (slug {}, id {})", app.name, app.slug, app.id),
            Tone::Plain,
        ),
        Err(ApiError::BadBody(_)) => {
            found.line("App", "(GitHub's answer was not understood)", Tone::Plain)
        }
        Err(e) if e.is_refusal() => {
            let (status, message) = refusal(&e);
            found.line(
                "App",
                format!("refused: GitHub answered {status}{message}"),
                Tone::Bad,
            );
            found.problem(crate::auth::app::jwt_failure(&e, "read the app").to_string());
            return false;
        }
        Err(e) => {
            found.line("App", "not checked: see below", Tone::Bad);
            found.problem(network(e));
            return false;
        }
    }
    true
}

/// The installation: by id, else the one on --repo; `None` when there is nothing more to learn.
async fn installation_findings(
    jwt: &Client,
    creds: &AppCredentials,
    repo: Option<&Repo>,
    found: &mut Findings,
) -> Option<Installation> {
    let (of, what) = match (creds.installation_id, repo) {
        (Some(id), _) => (InstallationOf::Id(id), format!("installation {id}")),
        (None, Some(r)) => (InstallationOf::Repo(r), r.to_string()),
        (None, None) => return None, // refused before any request
    };
    let installation = match endpoints::installation(jwt, of).await {
        Ok(doc) => doc,
        Err(e @ ApiError::BadBody(_)) => {
            found.line("Installation", "not understood: see below", Tone::Bad);
            found.problem(format!("{e}\n  fix: check --api-url"));
            return None;
        }
        Err(e @ ApiError::NotFound { .. }) => {
            let (_, message) = refusal(&e);
            found.line(
                "Installation",
                format!("none: GitHub answered 404{message}"),
                Tone::Bad,
            );
            found.problem(match creds.installation_id {
                Some(id) => format!(
                    "the GitHub App has no installation {id}\n  fix: check \
                     --app-installation-id (the number at the end of the installation's \
                     settings page address), or leave it out and give --repo"
                ),
                None => format!(
                    "the GitHub App is not installed on {what}\n  fix: install the app on \
                     {what} (the app's settings, Install App), or give --app-installation-id"
                ),
            });
            return None;
        }
        Err(e) if e.is_refusal() => {
            let (status, message) = refusal(&e);
            found.line(
                "Installation",
                format!("not read: GitHub answered {status}{message}"),
                Tone::Bad,
            );
            found.problem(
                crate::auth::app::jwt_failure(&e, "read the app's installation").to_string(),
            );
            return None;
        }
        Err(e) => {
            found.line("Installation", "not checked: see below", Tone::Bad);
            found.problem(network(e));
            return None;
        }
    };
    let account = describe_installation(&installation, found);
    if let Some(r) = repo {
        if installation.account.is_some() && !r.owner.eq_ignore_ascii_case(&account) {
            found.problem(format!(
                "installation {} belongs to {account}, not {}\n  fix: give the \
                 --app-installation-id of the app's installation on {}, or leave it out",
                installation.id, r.owner, r.owner
            ));
            return None;
        }
    }
    Some(installation)
}

/// The installation's account, repository selection and permissions; its account's login.
fn describe_installation(installation: &Installation, found: &mut Findings) -> String {
    let account = installation
        .account
        .clone()
        .unwrap_or_else(|| "(unknown account)".into());
    let selection = match installation.repository_selection.as_deref() {
        Some("all") => "all repositories".to_owned(),
        Some("selected") => "selected repositories".to_owned(),
        Some(other) => format!("{other} repositories"),
        None => "repositories not reported".to_owned(),
    };
    found.line(
        "Installation",
        format!("{} on {account} ({selection})", installation.id),
        Tone::Plain,
    );
    let granted = List::comma(
        installation
            .permissions
            .iter()
            .map(|(k, v)| format!("{k}: {v}")),
    );
    found.line("Permissions", granted.to_string(), Tone::Plain);
    account
}

/// Mints an installation token limited to `repo` and `permissions` (none after a signal), and
/// says what it is.
async fn mint_findings(
    jwt: &std::sync::Arc<Client>,
    installation: u64,
    repo: Option<&Repo>,
    permissions: &std::collections::BTreeMap<&'static str, &'static str>,
    found: &mut Findings,
) -> Option<InstallationToken> {
    let repositories: Option<Vec<String>> = repo.map(|r| vec![r.name.clone()]);
    if let Some(signal) = crate::cancel::requested() {
        found.line(
            "Token",
            format!("not minted: cancelled by {}", signal.name()),
            Tone::Bad,
        );
        return None;
    }
    let minted =
        match crate::auth::app::mint(jwt, installation, repositories.as_deref(), permissions).await
        {
            Ok(m) => m,
            Err(e) => {
                found.line("Token", "none: see below", Tone::Bad);
                found.problem(e.to_string());
                return None;
            }
        };
    let token = minted.token();
    let expires_at = minted.expires_at().map(str::to_owned);
    let limits = format!(
        "{}{}",
        repo.map(|r| format!("limited to {r}, "))
            .unwrap_or_else(|| "all the installation's repositories, ".into()),
        permissions
            .iter()
            .map(|(k, v)| format!("`{k}: {v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let kind = TokenKind::of(token);
    let kind = kind
        .prefix()
        .map(|p| format!("{} (prefix {p})", kind.describe()))
        .unwrap_or_else(|| "installation token (no known prefix)".into());
    found.line("Token", format!("{kind}, {limits}"), Tone::Plain);
    found.line(
        "Expires",
        match expires_at
            .as_deref()
            .and_then(|at| minutes_left(at, time::OffsetDateTime::now_utc()))
        {
            Some(m) => format!(
                "{} (in {m} minutes; installation tokens live an hour)",
                expires_at.as_deref().unwrap_or_default()
            ),
            None => "not reported".to_owned(),
        },
        Tone::Plain,
    );
    Some(minted)
}

/// Whether the minted token reads `--repo`'s secrets public key.
/// `can_read`: whether the installation carries the permission the target's kind needs (`None`:
/// no App permission reaches that kind).
async fn repo_secrets_findings(
    client: &Client,
    target: &Target,
    can_read: Option<bool>,
    found: &mut Findings,
) {
    let r = target.repo().map(ToString::to_string).unwrap_or_default();
    let title = target.app().title();
    let label = format!("Secrets of {r}");
    if can_read != Some(true) {
        let (shown, fix) = match can_read {
            None => (
                "not checked: see below".to_owned(),
                crate::auth::app::NO_CODESPACES_PERMISSION.to_owned(),
            ),
            Some(_) => (
                format!(
                    "not checked: the installation has no `{}` permission",
                    crate::auth::app::permission_name(target.app(), false, false)
                        .unwrap_or_default()
                ),
                format!(
                    "add the repository permission \"{}: Read and write\" in the app's \
                     settings, then accept the new permissions on the installation",
                    match target.app() {
                        App::Actions => "Secrets",
                        App::Dependabot => "Dependabot secrets",
                        App::Codespaces => "Codespaces secrets",
                        App::Agents => "Agent secrets",
                    }
                ),
            ),
        };
        found.line(&label, shown, Tone::Bad);
        found.problem(format!(
            "the GitHub App's installation cannot read or write the secrets of {r}\n  fix: {fix}"
        ));
        return;
    }
    match endpoints::public_key(client, target).await {
        Ok(_) => found.line(
            &label,
            format!("can read the {title} secrets public key"),
            Tone::Good,
        ),
        Err(e) if e.is_refusal() => {
            let (status, message) = refusal(&e);
            found.line(
                &label,
                format!("cannot read the public key: GitHub answered {status}{message}"),
                Tone::Bad,
            );
            found.problem(format!(
                "the GitHub App's token cannot read the secrets of {r}\n  fix: check \
                 that the installation includes {r}"
            ));
        }
        Err(e) => {
            found.line(&label, format!("not checked: {e}"), Tone::Bad);
            found.problem(network(e));
        }
    }
}

/// Whole minutes (rounded) from `now` until an RFC 3339 time; `None` when not understood.
fn minutes_left(at: &str, now: time::OffsetDateTime) -> Option<i64> {
    let at =
        time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339).ok()?;
    let secs = (at - now).whole_seconds();
    Some((secs + 30).div_euclid(60))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_left_count_from_the_given_now() {
        let now = time::macros::datetime!(2099-06-01 12:00:00 UTC);
        assert_eq!(minutes_left("2099-06-01T13:00:00Z", now), Some(60));
        assert_eq!(minutes_left("2099-06-01T12:59:29Z", now), Some(59));
        assert_eq!(minutes_left("2099-06-01T12:59:30Z", now), Some(60));
        assert_eq!(minutes_left("2099-06-01T11:59:00Z", now), Some(-1));
        assert_eq!(minutes_left("an hour", now), None);
    }

    #[test]
    fn kinds() {
        let k = |t: &str, scopes: Option<&str>, integration: bool| {
            kind(&SecretValue::from(t), scopes, integration, true)
        };
        assert_eq!(
            k("ghp_x", Some("repo"), false),
            "classic personal access token (prefix ghp_; GitHub reports OAuth scopes)"
        );
        assert_eq!(
            k("github_pat_x", None, false),
            "fine-grained personal access token (prefix github_pat_; GitHub reports no OAuth scopes)"
        );
        assert_eq!(
            k("ghs_x", None, true),
            "GitHub App installation token (prefix ghs_; GitHub refuses GET /user to an integration)"
        );
        assert_eq!(
            k("0123456789abcdef", Some(""), false),
            "classic personal access token or OAuth token in the old format (no known prefix; GitHub reports OAuth scopes)"
        );
        assert_eq!(
            kind(&SecretValue::from("gho_x"), None, false, false),
            "OAuth app token (prefix gho_)"
        );
    }
}
