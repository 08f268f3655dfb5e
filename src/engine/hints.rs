//! Permission advice: what a token or a GitHub App installation needs to write a target's
//! secrets, and the cause and fix told when GitHub refuses a request. The engine's failures
//! and the commands (`check-token`, `rotate`, the command-line errors) give the same words.

use crate::github::ApiError;
use crate::target::{App, Target};

/// The permission a keyless run's trust policy (`sts-identity`) must grant to write a target's
/// secrets.
pub fn keyless_permission_hint(target: &Target) -> String {
    let permission = match crate::auth::app::permissions::permission_name(
        target.app(),
        target.is_org(),
        matches!(target, Target::Env { .. }),
    ) {
        Some(name) => name,
        None => return "a GitHub App cannot be given Codespaces secrets: use a token".to_owned(),
    };
    format!(
        "the trust policy (`sts-identity`) must grant `{permission}: write` for {target}, and the \
         token exchange's GitHub App must have it (its settings, Permissions, accepted on the \
         installation)"
    )
}

/// The permission a GitHub App installation needs to write a target's secrets.
pub fn app_permission_hint(target: &Target) -> String {
    let permission = match crate::auth::app::permissions::permission_name(
        target.app(),
        target.is_org(),
        matches!(target, Target::Env { .. }),
    ) {
        Some(name) => name,
        None => return "a GitHub App cannot be given Codespaces secrets: use a token".to_owned(),
    };
    let include = target
        .repo()
        .map(|r| format!(", and make sure the installation includes {r}"))
        .unwrap_or_default();
    format!(
        "the GitHub App's installation needs `{permission}: write` for {target}: add it in the \
         app's settings (Permissions) and accept it on the installation{include}"
    )
}

/// The permission a token needs for a target, for classic and fine-grained tokens.
pub fn permission_hint(target: &Target) -> String {
    let (classic, fine) = token_permissions(target);
    format!(
        "a classic token needs the {classic} scope; a fine-grained token needs the {fine} on {}; \
         the default GITHUB_TOKEN cannot write secrets",
        target
    )
}

/// The fix for an installation token (`ghs_`) given as the token and refused. The workflow's
/// GITHUB_TOKEN is one, and no `permissions:` lets it write secrets, so the advice is what can
/// work for it and for any installation token: a fine-grained token, or a GitHub App's
/// credentials (the run then mints a token with the permission it needs).
pub fn installation_token_hint(target: &Target) -> String {
    let (_, fine) = token_permissions(target);
    let app = crate::auth::app::permissions::permission_name(
        target.app(),
        target.is_org(),
        matches!(target, Target::Env { .. }),
    )
    .map(|permission| {
        format!(
            ", or give the step `app-id` and `app-private-key` of a GitHub App whose installation \
             has `{permission}: write` (on the command line `--app-id` and `--app-key-file`): \
             it then mints the token it needs, or `sts-url` and `sts-identity` to exchange the \
             job's identity for one (no stored credential)"
        )
    })
    .unwrap_or_default();
    format!(
        "the token is an installation token (ghs_), as the workflow's GITHUB_TOKEN is, and the \
         GITHUB_TOKEN can never write secrets, whatever `permissions:` grant: store a \
         fine-grained personal access token with the {fine} on {target} as a secret and pass \
         it as `token`{app}"
    )
}

/// The permission a classic and a fine-grained token need for a target.
fn token_permissions(target: &Target) -> (&'static str, &'static str) {
    match target {
        Target::Repo { app: App::Actions, .. } => ("`repo`", "repository permission \"Secrets: Read and write\""),
        Target::Repo { app: App::Dependabot, .. } => ("`repo`", "repository permission \"Dependabot secrets: Read and write\""),
        Target::Repo { app: App::Codespaces, .. } => ("`repo`", "repository permission \"Codespaces secrets: Read and write\""),
        Target::Repo { app: App::Agents, .. } => ("`repo`", "repository permission \"Agent secrets: Read and write\""),
        Target::Env { .. } => ("`repo`", "repository permission \"Environments: Read and write\" (and the environment must exist)"),
        Target::Org { app: App::Actions, .. } => ("`admin:org`", "organization permission \"Secrets: Read and write\""),
        Target::Org { app: App::Dependabot, .. } => ("`admin:org`", "organization permission \"Dependabot secrets: Read and write\""),
        Target::Org { app: App::Codespaces, .. } => ("`admin:org`", "organization permission \"Codespaces secrets: Read and write\""),
        Target::Org { app: App::Agents, .. } => ("`admin:org`", "organization permission \"Agent secrets: Read and write\""),
    }
}

/// Who a run writes as, for the fix a refusal gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WritesAs {
    /// A personal access token, or a token of no known kind.
    Token,
    /// An installation token (`ghs_`) given as the token: the workflow's GITHUB_TOKEN is one.
    InstallationToken,
    /// A GitHub App's installation token, minted by the run from the app's credentials.
    App,
    /// Keyless: installation tokens exchanged for the job's identity (`sts-url`).
    Keyless,
}

impl WritesAs {
    /// Who a run authenticating with `auth` writes as.
    pub fn of(auth: &crate::config::Auth) -> WritesAs {
        use crate::config::Auth;
        match auth {
            Auth::App(_) => WritesAs::App,
            Auth::Keyless(_) => WritesAs::Keyless,
            Auth::Token(token) => WritesAs::of_token(token),
            Auth::None => WritesAs::Token,
        }
    }

    /// The writer a token given as it is makes, judged by its prefix alone.
    pub fn of_token(token: &crate::secret::SecretValue) -> WritesAs {
        if crate::auth::token::TokenKind::of(token).is_installation() {
            WritesAs::InstallationToken
        } else {
            WritesAs::Token
        }
    }

    /// The permission advice for this writer.
    pub fn permission_hint(self, target: &Target) -> String {
        match self {
            WritesAs::Token => permission_hint(target),
            WritesAs::InstallationToken => installation_token_hint(target),
            WritesAs::App => app_permission_hint(target),
            WritesAs::Keyless => keyless_permission_hint(target),
        }
    }
}

/// Said first after a 404: GitHub answers 404 alike for a name that does not exist and for one
/// the credential cannot see, and a name one letter off is the commoner cause.
fn check_the_name(target: &Target) -> String {
    let (what, names, them) = match target {
        Target::Repo { repo, .. } => ("repository name", repo.to_string(), "it is"),
        Target::Env { repo, env } => (
            "repository and environment names",
            format!("{repo}, {env}"),
            "they are",
        ),
        Target::Org { org, .. } => ("organisation name", org.clone(), "it is"),
    };
    format!(
        "check the {what} ({names}): GitHub answers 404 alike for what does not exist and for \
         what the credential cannot see; if {them} right: "
    )
}

/// Explains GitHub's refusal of a request to `doing` secrets of `target`: the cause and the
/// fix, for the credential the run writes as.
pub(crate) fn refusal_advice(
    e: &ApiError,
    target: &Target,
    doing: &str,
    writes_as: WritesAs,
) -> (String, String) {
    let app = writes_as == WritesAs::App;
    let message = e
        .server_message()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    match e {
        ApiError::Unauthorized { .. } => (
            e.to_string(),
            if app {
                "check `app-id` and `app-private-key`, and that the app is still installed; an \
                 installation token lives an hour, so a longer run stops here: run again to \
                 finish the rest"
                    .to_owned()
            } else if writes_as == WritesAs::Keyless {
                "an exchanged token lives an hour at most, so a longer run stops here: run \
                 again to finish the rest"
                    .to_owned()
            } else {
                "create a new token and store it in the secret passed as `token`".to_owned()
            },
        ),
        ApiError::Forbidden { .. } | ApiError::NotFound { .. } => (
            format!(
                "GitHub answered {}: the token cannot {doing} secrets of {target}{message}",
                e.refused_status().unwrap_or_default()
            ),
            format!(
                "{}{}",
                match e {
                    ApiError::NotFound { .. } => check_the_name(target),
                    _ => String::new(),
                },
                writes_as.permission_hint(target)
            ),
        ),
        ApiError::Rejected { .. } => (
            format!("GitHub answered 422: the write was rejected{message}"),
            "check the secret name and value size; rerun if the public key was rotated".to_owned(),
        ),
        _ => (e.to_string(), "rerun later".to_owned()),
    }
}
