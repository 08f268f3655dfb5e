//! `secret-refresh check-token`: who a token belongs to, what kind it is, its scopes and
//! expiry, and (with `--repo`) whether it reaches a repository's secrets. One `GET /user`, plus
//! one public-key read with `--repo`. The token itself is never shown: only its well-known
//! prefix (`ghp_`, `github_pat_`…), which GitHub documents and which says nothing secret.

use std::process::ExitCode;

use clap::Args;
use http::StatusCode;
use serde::Deserialize;

use super::{Style, Tone, FAILED, USAGE};
use crate::github::{Answer, Client, Policy};
use crate::secret::SecretValue;
use crate::target::{App, Repo, Target};
use crate::token::TokenSource;

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
    #[arg(long)]
    pub prompt: bool,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
}

pub const AFTER_HELP: &str = "\
The token comes from GH_TOKEN, else GITHUB_TOKEN, else `gh auth token`, else a hidden prompt;
with --prompt, always from the hidden prompt. It is never shown.

Examples:
  secret-refresh check-token --repo acme/api
  secret-refresh check-token --prompt --warn-days 30

Exit codes: 0 the token works, 1 it is invalid, expires within --warn-days or cannot read the
--repo's secrets, 2 usage error (no token).";

#[derive(Deserialize)]
struct UserDoc {
    login: String,
}

/// A token's kind from its prefix, as GitHub documents the formats.
pub fn kind_from_prefix(token: &str) -> Option<(&'static str, &'static str)> {
    [
        ("github_pat_", "fine-grained personal access token"),
        ("ghp_", "classic personal access token"),
        ("ghs_", "GitHub App installation token"),
        ("gho_", "OAuth app token"),
        ("ghu_", "GitHub App user-to-server token"),
        ("ghr_", "GitHub App refresh token"),
    ]
    .into_iter()
    .find(|(p, _)| token.starts_with(p))
}

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
    let (token, source) = if args.prompt {
        match prompt_token() {
            Ok(t) => (t, TokenSource::Prompt),
            Err(e) => return super::fail(USAGE, &e),
        }
    } else {
        match super::token(true) {
            Ok(t) => t,
            Err(e) => return super::fail(USAGE, &e),
        }
    };
    let api_url = crate::cli::api_url(args.api_url.as_deref());
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
    let user = match runtime.block_on(client.get("/user")) {
        Ok(a) => a,
        Err(e) => {
            return super::fail(
                FAILED,
                &format!("{e}\n  fix: check the network and --api-url"),
            )
        }
    };
    let target = repo.map(|repo| Target::Repo {
        repo,
        app: App::Actions,
    });
    let key = match &target {
        Some(t) if user.status != StatusCode::UNAUTHORIZED => {
            Some(runtime.block_on(client.get(&t.public_key_path())))
        }
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

    let integration = user.status == StatusCode::FORBIDDEN
        && user
            .message()
            .is_some_and(|m| m.contains("accessible by integration"));
    match user.status {
        StatusCode::OK => {
            let who = user
                .json::<UserDoc>()
                .map(|u| u.login)
                .unwrap_or_else(|_| "(GitHub's answer was not understood)".into());
            lines.push(("User".into(), who, Tone::Plain));
        }
        StatusCode::UNAUTHORIZED => {
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
        s => {
            lines.push((
                "User".into(),
                format!("unknown: GitHub answered {}{}", s.as_u16(), message(&user)),
                Tone::Bad,
            ));
            problems.push(format!(
                "GET /user answered {}{}\n  fix: check --api-url and the token",
                s.as_u16(),
                message(&user)
            ));
        }
    }
    let valid = user.status != StatusCode::UNAUTHORIZED;

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
        match crate::report::expiry_days_left(expiry.as_deref()) {
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
            Ok(a) if a.status == StatusCode::OK => lines.push((
                label,
                "can read the Actions secrets public key".into(),
                Tone::Good,
            )),
            Ok(a) => {
                lines.push((
                    label,
                    format!(
                        "cannot read the public key: GitHub answered {}{}",
                        a.status.as_u16(),
                        message(&a)
                    ),
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

fn message(a: &Answer) -> String {
    a.message().map(|m| format!(" ({m})")).unwrap_or_default()
}

/// The kind from the prefix, with what GitHub's answer says about it.
fn kind(token: &SecretValue, scopes: Option<&str>, integration: bool, valid: bool) -> String {
    // Only the documented prefix is looked at; the rest of the token is never read.
    let by_prefix = kind_from_prefix(token.expose());
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
    if t.is_empty() {
        return Err("no token was typed".into());
    }
    Ok(t)
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
