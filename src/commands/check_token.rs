//! `secret-refresh check-token`: who a token belongs to, what kind it is, its scopes and
//! expiry, and (with `--repo`) whether it reaches a repository's secrets. One `GET /user`, plus
//! one public-key read with `--repo`. The token itself is never shown: only its well-known
//! prefix (`ghp_`, `github_pat_`…), which GitHub documents and which says nothing secret.

use std::process::ExitCode;

use clap::Args;

use super::{Style, Tone, FAILED, USAGE};
use crate::app_auth::{AppSigner, Minted};
use crate::cli::AppArgs;
use crate::config::AppCredentials;
use crate::github::endpoints::{self, InstallationOf};
use crate::github::{ApiError, Client, Policy};
use crate::secret::SecretValue;
use crate::target::{App, Repo, Target};
use crate::token::{TokenKind, TokenSource};

#[derive(Args, Debug)]
pub struct CheckTokenArgs {
    /// Also check that the token can read this repository's Actions secrets public key.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
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

pub fn run(args: CheckTokenArgs) -> ExitCode {
    let repo = match args.repo.as_deref().map(|r| (r, Repo::parse(r))) {
        None => None,
        Some((_, Some(repo))) => Some(repo),
        Some((r, None)) => {
            return super::fail(
                USAGE,
                &format!("--repo `{r}` is not a repository: write it as owner/name, e.g. acme/api"),
            )
        }
    };
    // The URL policy first: no token is looked for (or typed) for a URL that is refused.
    let api_url = match super::api_url(args.api_url.as_deref()) {
        Ok(u) => u.to_string(),
        Err((code, e)) => return super::fail(code, &e),
    };
    match super::app_credentials(&args.github_app) {
        Ok(Some(creds)) => return run_app(&args, &creds, repo),
        Ok(None) => {}
        Err((code, e)) => return super::fail(code, &e),
    }
    let (token, source) = if args.prompt {
        match prompt_token() {
            Ok(t) => (t, TokenSource::Prompt),
            Err(e) => return super::fail(USAGE, &e),
        }
    } else {
        match super::token(true, &api_url) {
            Ok(t) => t,
            Err(e) => return super::fail(USAGE, &e),
        }
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return super::fail(FAILED, &e),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let client = match Client::new(&api_url, &token, Policy::from_env()) {
        Ok(c) => c,
        Err(e) => return super::fail(USAGE, &e.to_string()),
    };
    let user = match runtime.block_on(endpoints::user_login(&client)) {
        Err(e) if !e.is_refusal() && !matches!(e, ApiError::BadBody(_)) => {
            return super::fail(
                FAILED,
                &format!("{e}\n  fix: check the network and --api-url"),
            )
        }
        user => user,
    };
    let unauthorized = matches!(user, Err(ApiError::Unauthorized { .. }));
    let target = repo.map(|repo| Target::Repo {
        repo,
        app: App::Actions,
    });
    let key = match &target {
        Some(t) if !unauthorized => Some(runtime.block_on(endpoints::public_key(&client, t))),
        _ => None,
    };

    let style = Style::stdout();
    let mut lines: Vec<(String, String, Tone)> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    lines.push((
        "Token".into(),
        format!("from {}", source.describe()),
        Tone::Plain,
    ));

    let integration = matches!(
        &user,
        Err(ApiError::Forbidden { reason: Some(m) }) if m.contains("accessible by integration")
    );
    match &user {
        Ok(login) => lines.push(("User".into(), login.clone(), Tone::Plain)),
        Err(ApiError::BadBody(_)) => lines.push((
            "User".into(),
            "(GitHub's answer was not understood)".into(),
            Tone::Plain,
        )),
        Err(ApiError::Unauthorized { .. }) => {
            lines.push((
                "User".into(),
                "none: GitHub answered 401 (the token is invalid, expired or revoked)".into(),
                Tone::Bad,
            ));
            problems.push(format!(
                "the token from {} is invalid, expired or revoked\n  fix: create a new token \
                 (see \"Rotating a PAT\" in the README) and use it",
                source.describe()
            ));
        }
        _ if integration => lines.push((
            "User".into(),
            "none: a GitHub App installation acts for no user (GET /user is refused)".into(),
            Tone::Plain,
        )),
        Err(e) => {
            let (status, message) = refusal(e);
            lines.push((
                "User".into(),
                format!("unknown: GitHub answered {status}{message}"),
                Tone::Bad,
            ));
            problems.push(format!(
                "GET /user answered {status}{message}\n  fix: check --api-url and the token"
            ));
        }
    }
    let valid = !unauthorized;

    let scopes = client.token_scopes();
    lines.push((
        "Kind".into(),
        kind(&token, scopes.as_deref(), integration, valid),
        Tone::Plain,
    ));
    if valid {
        let scope_text = match scopes.as_deref().map(str::trim) {
            Some("") => "none (the token can read public data only)".to_owned(),
            Some(s) => s.to_owned(),
            None => "none reported (only classic and OAuth tokens have scopes; fine-grained and \
                     app tokens have permissions)"
                .to_owned(),
        };
        lines.push(("Scopes".into(), scope_text, Tone::Plain));
        let expiry = client.token_expiry();
        match crate::report::expiry_days_left(expiry.as_deref(), time::OffsetDateTime::now_utc()) {
            Some(days) => {
                let when = expiry.clone().unwrap_or_default();
                let soon = days < i64::from(args.warn_days);
                lines.push((
                    "Expires".into(),
                    format!("{when} ({})", days_text(days)),
                    if soon { Tone::Bad } else { Tone::Good },
                ));
                if soon {
                    problems.push(format!(
                        "the token expires {} (within --warn-days {})\n  fix: create its \
                         successor now and rotate it in (see \"Rotating a PAT\" in the README)",
                        days_text(days),
                        args.warn_days
                    ));
                }
            }
            None => lines.push((
                "Expires".into(),
                match expiry {
                    Some(raw) => format!("{raw} (not understood)"),
                    None => "never (GitHub sent no expiry date)".into(),
                },
                Tone::Plain,
            )),
        }
    }
    if let (Some(t), Some(answer)) = (&target, key) {
        let label = format!("Secrets of {t}");
        match answer {
            Ok(_) => lines.push((
                label,
                "can read the Actions secrets public key".into(),
                Tone::Good,
            )),
            Err(e) if e.is_refusal() => {
                let (status, message) = refusal(&e);
                lines.push((
                    label,
                    format!("cannot read the public key: GitHub answered {status}{message}"),
                    Tone::Bad,
                ));
                problems.push(format!(
                    "the token cannot read the secrets of {t}\n  fix: {}",
                    crate::engine::permission_hint(t)
                ));
            }
            Err(e) => {
                lines.push((label, format!("not checked: {e}"), Tone::Bad));
                problems.push(format!("{t}: {e}\n  fix: check the network and --api-url"));
            }
        }
    }

    let width = lines.iter().map(|(k, _, _)| k.len()).max().unwrap_or(0) + 1;
    let mut out = String::new();
    for (k, v, tone) in &lines {
        out.push_str(&format!(
            "{:<width$} {}\n",
            format!("{k}:"),
            style.paint(v, *tone)
        ));
    }
    let requests = client.requests();
    let req = format!(
        "{requests} {}",
        if requests == 1 { "request" } else { "requests" }
    );
    if problems.is_empty() {
        out.push_str(&style.paint(
            &format!("OK: the token works (checked with {req}).\n"),
            Tone::Good,
        ));
    } else {
        out.push_str(&style.paint(
            &format!("Not OK: {} (checked with {req}).\n", plural(problems.len())),
            Tone::Bad,
        ));
    }
    super::print(&out);
    if problems.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut err = crate::output::Reporter::stdio(crate::cli::human_mode());
    for p in &problems {
        err.error("", p);
    }
    err.flush();
    ExitCode::from(FAILED)
}

fn plural(n: usize) -> String {
    if n == 1 {
        "1 problem".into()
    } else {
        format!("{n} problems")
    }
}

fn days_text(days: i64) -> String {
    match days {
        d if d < 0 => "already expired".into(),
        0 => "today".into(),
        1 => "in 1 day".into(),
        d => format!("in {d} days"),
    }
}

/// The status and ` (GitHub's message)` of a refusal.
fn refusal(e: &ApiError) -> (u16, String) {
    let message = e
        .server_message()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    (e.status().unwrap_or_default(), message)
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

fn prompt_token() -> Result<SecretValue, String> {
    use std::io::IsTerminal;
    if !std::io::stdin().is_terminal() {
        return Err("--prompt needs a terminal; without one, set GH_TOKEN".into());
    }
    let t = crate::prompt::hidden("Token to check (input hidden): ")
        .map_err(|e| format!("cannot read the token at the terminal: {e}"))?;
    let t = SecretValue::new(t.expose().trim().to_owned());
    crate::output::know(&t);
    if t.is_empty() {
        return Err("no token was typed".into());
    }
    Ok(t)
}

/// What `check-token` prints: `Key: value` lines and the problems found.
#[derive(Default)]
struct Findings {
    lines: Vec<(String, String, Tone)>,
    problems: Vec<String>,
}

impl Findings {
    fn line(&mut self, key: &str, value: impl Into<String>, tone: Tone) {
        self.lines.push((key.to_owned(), value.into(), tone));
    }

    fn problem(&mut self, text: impl Into<String>) {
        self.problems.push(text.into());
    }
}

/// `check-token` for a GitHub App: the app, its installation, and a token minted with the least
/// that proves something (then revoked). Requests: `GET /app`, the installation, the mint,
/// with `--repo` the public key, and the revocation.
fn run_app(args: &CheckTokenArgs, creds: &AppCredentials, repo: Option<Repo>) -> ExitCode {
    if creds.installation_id.is_none() && repo.is_none() {
        return super::fail(
            USAGE,
            "with --app-id, give --repo OWNER/NAME (the app's installation is found from it) \
             or --app-installation-id ID",
        );
    }
    let api_url = match super::api_url(args.api_url.as_deref()) {
        Ok(u) => u.to_string(),
        Err((code, e)) => return super::fail(code, &e),
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return super::fail(FAILED, &e),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let jwt = match AppSigner::new(&creds.app_id, &creds.private_key)
        .and_then(|s| s.sign(crate::app_auth::now_secs()))
    {
        Ok(jwt) => jwt,
        Err(e) => return super::fail(FAILED, &e),
    };
    let jwt = match Client::new(&api_url, &jwt, Policy::from_env()) {
        Ok(c) => c,
        Err(e) => return super::fail(USAGE, &e.to_string()),
    };
    let mut found = Findings::default();
    let revoked = runtime.block_on(check_app(&jwt, &api_url, creds, repo.as_ref(), &mut found));

    let style = Style::stdout();
    let width = found
        .lines
        .iter()
        .map(|(k, _, _)| k.len())
        .max()
        .unwrap_or(0)
        + 1;
    let mut out = String::new();
    for (k, v, tone) in &found.lines {
        out.push_str(&format!(
            "{:<width$} {}\n",
            format!("{k}:"),
            style.paint(v, *tone)
        ));
    }
    let requests = jwt.requests();
    let req = format!(
        "{requests} {}{}",
        if requests == 1 { "request" } else { "requests" },
        if revoked {
            "; the token was revoked"
        } else {
            ""
        }
    );
    if found.problems.is_empty() {
        out.push_str(&style.paint(
            &format!("OK: the GitHub App works (checked with {req}).\n"),
            Tone::Good,
        ));
    } else {
        out.push_str(&style.paint(
            &format!(
                "Not OK: {} (checked with {req}).\n",
                plural(found.problems.len())
            ),
            Tone::Bad,
        ));
    }
    super::print(&out);
    if found.problems.is_empty() {
        return ExitCode::SUCCESS;
    }
    let mut err = crate::output::Reporter::stdio(crate::cli::human_mode());
    for p in &found.problems {
        err.error("", p);
    }
    err.flush();
    ExitCode::from(FAILED)
}

/// The checks, stopping at the first that leaves nothing more to learn. Returns whether a
/// minted token was revoked.
async fn check_app(
    jwt: &Client,
    api_url: &str,
    creds: &AppCredentials,
    repo: Option<&Repo>,
    found: &mut Findings,
) -> bool {
    let network =
        |e: crate::github::ApiError| format!("{e}\n  fix: check the network and --api-url");
    // The app itself: proves the key and the id go together.
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
            found.problem(crate::app_auth::jwt_failure(&e, "read the app"));
            return false;
        }
        Err(e) => {
            found.line("App", "not checked: see below", Tone::Bad);
            found.problem(network(e));
            return false;
        }
    }

    // The installation: by id, else the one on --repo.
    let (of, what) = match (creds.installation_id, repo) {
        (Some(id), _) => (InstallationOf::Id(id), format!("installation {id}")),
        (None, Some(r)) => (InstallationOf::Repo(r), r.to_string()),
        (None, None) => return false, // refused before any request
    };
    let installation = match endpoints::installation(jwt, of).await {
        Ok(doc) => doc,
        Err(e @ ApiError::BadBody(_)) => {
            found.line("Installation", "not understood: see below", Tone::Bad);
            found.problem(format!("{e}\n  fix: check --api-url"));
            return false;
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
            return false;
        }
        Err(e) if e.is_refusal() => {
            let (status, message) = refusal(&e);
            found.line(
                "Installation",
                format!("not read: GitHub answered {status}{message}"),
                Tone::Bad,
            );
            found.problem(crate::app_auth::jwt_failure(
                &e,
                "read the app's installation",
            ));
            return false;
        }
        Err(e) => {
            found.line("Installation", "not checked: see below", Tone::Bad);
            found.problem(network(e));
            return false;
        }
    };
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
    let granted: Vec<String> = installation
        .permissions
        .iter()
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    found.line(
        "Permissions",
        if granted.is_empty() {
            "none".to_owned()
        } else {
            granted.join(", ")
        },
        Tone::Plain,
    );
    if let Some(r) = repo {
        if installation.account.is_some() && !r.owner.eq_ignore_ascii_case(&account) {
            found.problem(format!(
                "installation {} belongs to {account}, not {}\n  fix: give the \
                 --app-installation-id of the app's installation on {}, or leave it out",
                installation.id, r.owner, r.owner
            ));
            return false;
        }
    }

    // A token with the least that proves something: reading --repo's secrets public key when
    // the installation may, else metadata only.
    let can_read_secrets = installation
        .permissions
        .get("secrets")
        .is_some_and(|l| matches!(l.as_str(), "read" | "write" | "admin"));
    let permissions = match (repo, can_read_secrets) {
        (Some(_), true) => std::collections::BTreeMap::from([("secrets", "read")]),
        _ => std::collections::BTreeMap::from([("metadata", "read")]),
    };
    let repositories: Option<Vec<String>> = repo.map(|r| vec![r.name.clone()]);
    let minted = match crate::app_auth::mint_token(
        jwt,
        installation.id,
        repositories.as_deref(),
        &permissions,
    )
    .await
    {
        Ok(m) => m,
        Err(e) => {
            found.line("Token", "none: see below", Tone::Bad);
            found.problem(e);
            return false;
        }
    };
    let Minted { token, expires_at } = minted;
    crate::output::know(&token);
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
    let kind = TokenKind::of(&token);
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
    let client = match Client::new(api_url, &token, jwt.policy().clone()) {
        Ok(mut c) => {
            c.stats = jwt.stats.clone();
            c
        }
        Err(e) => {
            found.problem(format!(
                "{e}: the minted token could not be used, nor revoked; it expires within the hour"
            ));
            return false;
        }
    };
    if let Some(r) = repo {
        let label = format!("Secrets of {r}");
        if !can_read_secrets {
            found.line(
                &label,
                "not checked: the installation has no `secrets` permission",
                Tone::Bad,
            );
            found.problem(format!(
                "the GitHub App's installation cannot read or write the secrets of {r}\n  fix: \
                 add the repository permission \"Secrets: Read and write\" in the app's \
                 settings, then accept the new permissions on the installation"
            ));
        } else {
            let target = Target::Repo {
                repo: r.clone(),
                app: App::Actions,
            };
            match endpoints::public_key(&client, &target).await {
                Ok(_) => found.line(
                    &label,
                    "can read the Actions secrets public key",
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
    }
    match crate::app_auth::revoke(&client).await {
        Ok(()) => {
            found.line("Revoked", "yes: the token no longer works", Tone::Good);
            true
        }
        Err(e) => {
            found.line("Revoked", "no: see below", Tone::Bad);
            found.problem(e);
            false
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
