//! `secret-refresh check-token`: who a token belongs to, what kind it is, its scopes and
//! expiry (one `GET /user`), and with targets (`--repo`, `--repositories`, `--org`…) what the
//! action's `preflight: true` proves for them: each resolves, its public key is readable, its
//! secrets can be listed, and the token can write them (its scopes, the permissions granted to
//! the app, or a throwaway secret written and deleted). The token itself is never shown: only
//! its well-known prefix (`ghp_`, `github_pat_`…), which GitHub documents and which says nothing
//! secret.
//!
//! A token that acts for a user is checked here; an installation token in `installation.rs`,
//! a GitHub App (`--app-id`) in `app.rs`, a token exchange (`--sts-url`, keyless) in
//! `keyless.rs`, the targets in `targets.rs`; what they all print is `findings.rs`.

mod app;
mod findings;
mod installation;
mod keyless;
mod targets;

use clap::Args;

use super::options::{AppArgs, ExpiryArgs, StsArgs};
use super::{Error, Tone};
use crate::auth::token::{TokenKind, TokenSource};
use crate::cancel::unless_cancelled;
use crate::config::{Auth, Config};
use crate::github::endpoints;
use crate::github::{ApiError, Client, Policy};
use crate::output::words::{DaysLeft, Expiry, HOW_TO_ROTATE};
use crate::secret::SecretValue;
use findings::{refusal, requests_text, Findings};

#[derive(Args, Debug)]
pub struct CheckTokenArgs {
    /// Also prove, for these targets, what the action's `preflight: true` proves: each resolves,
    /// its public key is readable, and the token can write its secrets.
    #[command(flatten)]
    pub targets: super::TargetArgs,
    /// Repositories as the action's `repositories` input takes them: `owner/name` or
    /// `owner/glob` (e.g. `acme/service-*`, resolved by listing the owner's repositories);
    /// repeatable.
    #[arg(long = "repositories", value_name = "SPEC")]
    pub repositories: Vec<String>,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Check a token you give instead of GH_TOKEN, GITHUB_TOKEN or `gh auth token` (a new
    /// token, before storing it anywhere): typed at a hidden prompt on a terminal, else read
    /// from standard input.
    #[arg(long, conflicts_with_all = ["app_id", "from_file"])]
    pub prompt: bool,
    /// Check the token in this file (`-`: standard input) instead of GH_TOKEN, GITHUB_TOKEN or
    /// `gh auth token`; surrounding whitespace is dropped.
    #[arg(long, value_name = "PATH", conflicts_with = "app_id")]
    pub from_file: Option<std::path::PathBuf>,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    #[command(flatten)]
    pub github_app: AppArgs,
    #[command(flatten)]
    pub sts: StsArgs,
}

pub const AFTER_HELP: &str = "\
The token comes from GH_TOKEN, else GITHUB_TOKEN, else `gh auth token`, else a hidden prompt;
with --prompt, from the hidden prompt (or standard input when it is not a terminal); with
--from-file PATH, from the file (`-`: standard input). It is never shown.

With targets (--repo, --repos-file, --repositories, --env, --org, --app), it proves what the
action's `preflight: true` proves: every pattern resolves, each target's public key is readable
and its secrets can be listed, and the token can write them: a classic token by its scopes, a
fine-grained or installation token by a throwaway secret (SECRET_REFRESH_PREFLIGHT_…) written
and deleted again, even when interrupted.

With --app-id and --app-key-file, the GitHub App is checked instead (no token is looked for): the
app (GET /app with its JWT), its installation (found from the first --repo, or
--app-installation-id) with the permissions granted; with targets, an installation token minted
with the write permission they need (what GitHub grants proves it), else one with `metadata:
read` whose expiry is shown; either is revoked.

With --sts-url and --sts-identity (keyless, in a workflow job with `permissions: id-token:
write`), the exchange is checked instead: the job's ID token, the exchange for --repo's scope
(the trust policy matches), the public key of --repo, and a write (a throwaway secret
SECRET_REFRESH_CHECK_…, written and deleted again); the token is revoked at the end.

Examples:
  secret-refresh check-token --repo acme/api
  secret-refresh check-token --repositories 'acme/service-*' --env production
  secret-refresh check-token --prompt --expiry-warning-days 30
  op read op://ci/new-pat | secret-refresh check-token --from-file -
  secret-refresh check-token --repo acme/api --app-id 123456 --app-key-file app.pem

Exit codes: 0 the token (or app) works, 1 it is invalid, expires within --expiry-warning-days
or cannot write a target's secrets (an app: the key is refused, or the app is not installed),
2 usage error (no token).";

pub fn run(args: CheckTokenArgs) -> Result<(), Error> {
    // The URL policy first: no token is looked for (or typed) for a URL that is refused.
    let api_url = match super::api_url(args.api_url.as_deref()) {
        Ok(u) => u.to_string(),
        Err(e) => return Err(Error::usage(e)),
    };
    // The targets next: a flag that names none is a usage error before any request.
    let mut targets = targets::config(&args.targets, &args.repositories, Auth::None, &api_url)?;
    if args.sts.is_set() {
        let other = args.github_app.is_set() || args.prompt || args.from_file.is_some();
        let repo = targets.as_ref().and_then(targets::first_repo);
        return keyless::run(&args.sts, args.targets.app, other, &api_url, repo);
    }
    match super::app_credentials(&args.github_app) {
        Ok(Some(creds)) => {
            if let Some(config) = &mut targets {
                config.auth = Auth::App(creds.clone());
            }
            return app::run_app(&api_url, &creds, targets.as_ref());
        }
        Ok(None) => {}
        Err(e) => return Err(Error::usage(e)),
    }
    let (token, source) = match token_to_check(args.prompt, args.from_file.as_deref(), &api_url) {
        Ok(t) => t,
        Err(e) => return Err(Error::usage(e)),
    };
    if let Some(config) = &mut targets {
        config.auth = Auth::Token(token.clone());
    }
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
    let days = args.expiry.expiry_warning_days;
    if TokenKind::of(&token).is_installation() {
        return installation::report(&runtime, &client, source, targets.as_ref(), days);
    }
    check_user_token(&runtime, &client, &token, source, targets.as_ref(), days)
}

/// Checks a token that acts for a user: `GET /user`, then (when the token is valid) the
/// preflight of the targets; prints what was found.
fn check_user_token(
    runtime: &tokio::runtime::Runtime,
    client: &Client,
    token: &SecretValue,
    source: TokenSource,
    targets: Option<&Config>,
    warn_days: u32,
) -> Result<(), Error> {
    let user = match runtime.block_on(unless_cancelled(endpoints::user(client))) {
        Err(signal) => return Err(super::cancelled(signal, "")),
        Ok(Err(e)) => {
            let fix = format!("\n  fix: {}", super::words::unanswered_fix(&e));
            return Err(Error::failed_then(e, fix));
        }
        Ok(Ok(answer)) => answer.login,
    };
    let valid = !matches!(user, Err(ApiError::Unauthorized { .. }));

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
    let mut requests = client.requests();
    if let (Some(config), true) = (targets, valid) {
        requests += targets::findings(runtime, config, &mut found);
    }
    found.finish("the token", &requests_text(requests, ""))
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
                 (see docs/rotating.md) and use it",
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
    match crate::report::expiry_days_left(expiry.as_deref(), crate::env::now()) {
        Some(days) => {
            let when = expiry.clone().unwrap_or_default();
            let soon = days < i64::from(warn_days);
            found.line(
                "Expires",
                format!("{when} ({})", DaysLeft(days)),
                if soon { Tone::Bad } else { Tone::Good },
            );
            let expiry = Expiry { when: &when, days };
            if expiry.expired() {
                found.problem(format!("the token {expiry}\n  fix: {HOW_TO_ROTATE}"));
            } else if soon {
                found.problem(format!(
                    "the token {expiry}, within --expiry-warning-days {warn_days}\n  fix: \
                     before then, {HOW_TO_ROTATE}"
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

/// The token to check: from `--from-file` (`-`: standard input), typed at a hidden prompt
/// (`--prompt`; piped in when standard input is no terminal), or found as `set` finds it.
fn token_to_check(
    prompt: bool,
    from_file: Option<&std::path::Path>,
    api_url: &str,
) -> Result<(SecretValue, TokenSource), super::UsageError> {
    let stdin = std::path::PathBuf::from("-");
    let (token, source) = match from_file {
        Some(path) => {
            let source = if path.as_os_str() == "-" {
                TokenSource::StandardInput
            } else {
                TokenSource::File
            };
            (read_token(&path.to_path_buf())?, source)
        }
        None if !prompt => return super::token(true, api_url),
        None if crate::env::stdin_is_terminal() => (
            crate::env::prompt::hidden("Token to check (input hidden): ")
                .map_err(super::UsageError::PromptRead)?,
            TokenSource::Prompt,
        ),
        None => (read_token(&stdin)?, TokenSource::StandardInput),
    };
    crate::output::redact::know_token(&token);
    let t = SecretValue::new(token.expose().trim().to_owned());
    crate::output::redact::know_token(&t);
    match source {
        _ if !t.is_empty() => Ok((t, source)),
        TokenSource::Prompt => Err(super::UsageError::NothingTyped),
        other => Err(super::UsageError::EmptyToken(other.describe())),
    }
}

/// The token in a file, or on standard input (`-`).
fn read_token(path: &std::path::PathBuf) -> Result<SecretValue, super::UsageError> {
    super::options::read_source("token to check", Some(path), None)
        .map_err(super::UsageError::TokenSource)
}

#[cfg(test)]
mod tests {
    use super::*;

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
