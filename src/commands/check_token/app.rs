//! `check-token` for a GitHub App: the app (`GET /app` with its JWT), its installation on
//! `--repo` (or `--app-installation-id`) with the permissions granted, and an installation
//! token minted with the least that proves something, whose expiry is shown before it is
//! revoked.

use super::findings::{network, refusal, requests_text, Findings};
use crate::auth::app::error::jwt_failure;
use crate::auth::app::installation::mint;
use crate::auth::app::jwt::{now_secs, AppSigner};
use crate::auth::app::permissions::{permission_name, NO_CODESPACES_PERMISSION};
use crate::auth::guard::InstallationToken;
use crate::auth::token::TokenKind;
use crate::commands::{Error, Tone};
use crate::config::{AppCredentials, Auth, Config};
use crate::github::endpoints::{self, Installation, InstallationOf};
use crate::github::{ApiError, Client, Policy};
use crate::output::words::List;
use crate::target::{App, Repo, Target};

/// Why `check-token` cannot start (a usage error: no request was made).
#[derive(Debug, thiserror::Error)]
pub(super) enum CheckTokenError {
    /// `--app-id` with neither `--repo` nor `--app-installation-id`.
    #[error(
        "with --app-id, give --repo OWNER/NAME (the app's installation is found from it) or \
         --app-installation-id ID"
    )]
    AppWithoutInstallation,
}

/// `check-token` for a GitHub App: the app, its installation, then with targets their
/// preflight (a token minted with the write permission they need, each key read and listing,
/// the permissions granted, then revoked), else a token minted with the least that proves
/// something (then revoked). `api_url`: as the URL policy passed it.
pub(super) fn run_app(
    api_url: &str,
    creds: &AppCredentials,
    targets: Option<&Config>,
) -> Result<(), Error> {
    let repo = targets.and_then(super::targets::first_repo);
    if creds.installation_id.is_none() && targets.is_none() {
        return Err(Error::usage(CheckTokenError::AppWithoutInstallation));
    }
    let runtime = match crate::commands::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let jwt =
        match AppSigner::new(&creds.app_id, &creds.private_key).and_then(|s| s.sign(now_secs())) {
            Ok(jwt) => jwt,
            Err(e) => return Err(Error::failed(e)),
        };
    let jwt = match Client::new(api_url, &jwt, Policy::from_env()) {
        Ok(c) => std::sync::Arc::new(c),
        Err(e) => return Err(Error::usage(e)),
    };
    let mut found = Findings::default();
    // A signal stops the checks: the request in flight gets the grace, no other starts, and a
    // minted token is revoked (abandoned half-way, by its guard: `revoke_left_behind`).
    let mut preflight_requests = 0;
    let checked = runtime.block_on(crate::cancel::or_abandon(check_app(
        &jwt,
        creds,
        repo.as_ref(),
        targets,
        &mut found,
        &mut preflight_requests,
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
    let requests = jwt.requests() + preflight_requests;
    found.finish("the GitHub App", &requests_text(requests, then))
}

/// The preflight of `config` as the app: the installation found (`installation`, when it was
/// looked up) is the one it mints from. Returns its request count.
async fn preflight(config: &Config, installation: Option<u64>, found: &mut Findings) -> u64 {
    let mut config = config.clone();
    if let (Auth::App(creds), Some(id)) = (&mut config.auth, installation) {
        creds.installation_id = Some(id);
    }
    let p = crate::preflight::run(&config, Policy::from_env(), &mut |t| {
        crate::output::redact::know_token(t)
    })
    .await;
    super::targets::add(&p, found);
    p.requests
}

/// The checks, stopping at the first that leaves nothing more to learn. Returns whether a
/// minted token was revoked.
async fn check_app(
    jwt: &std::sync::Arc<Client>,
    creds: &AppCredentials,
    repo: Option<&Repo>,
    targets: Option<&Config>,
    found: &mut Findings,
    preflight_requests: &mut u64,
) -> bool {
    // The app itself: proves the key and the id go together.
    if !app_findings(jwt, found).await {
        return false;
    }
    if let (Some(config), None, None) = (targets, creds.installation_id, repo) {
        // Patterns or an organisation only: the preflight finds the installation itself.
        *preflight_requests = preflight(config, None, found).await;
        return false;
    }
    let Some(installation) = installation_findings(jwt, creds, repo, found).await else {
        return false;
    };
    if let Some(config) = targets {
        *preflight_requests = preflight(config, Some(installation.id), found).await;
        return false;
    }
    let app = App::Actions;

    // A token with the least that proves something: reading --repo's secrets public key when
    // the installation may, else metadata only.
    let needed = permission_name(app, false, false);
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
            found.problem(jwt_failure(&e, "read the app").to_string());
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
            found.problem(jwt_failure(&e, "read the app's installation").to_string());
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
    let minted = match mint(jwt, installation, repositories.as_deref(), permissions).await {
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
            .and_then(|at| minutes_left(at, crate::env::now()))
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
                NO_CODESPACES_PERMISSION.to_owned(),
            ),
            Some(_) => (
                format!(
                    "not checked: the installation has no `{}` permission",
                    permission_name(target.app(), false, false).unwrap_or_default()
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
}
