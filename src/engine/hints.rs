//! Permission advice: what a token or a GitHub App installation needs to write a target's
//! secrets, and the cause and fix told when GitHub refuses a request. The engine's failures
//! and the commands (`check-token`, `rotate`, the command-line errors) give the same words.

use crate::github::ApiError;
use crate::target::{App, Target};

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
    let (classic, fine) = match target {
        Target::Repo { app: App::Actions, .. } => ("`repo`", "repository permission \"Secrets: Read and write\""),
        Target::Repo { app: App::Dependabot, .. } => ("`repo`", "repository permission \"Dependabot secrets: Read and write\""),
        Target::Repo { app: App::Codespaces, .. } => ("`repo`", "repository permission \"Codespaces secrets: Read and write\""),
        Target::Repo { app: App::Agents, .. } => ("`repo`", "repository permission \"Agent secrets: Read and write\""),
        Target::Env { .. } => ("`repo`", "repository permission \"Environments: Read and write\" (and the environment must exist)"),
        Target::Org { app: App::Actions, .. } => ("`admin:org`", "organization permission \"Secrets: Read and write\""),
        Target::Org { app: App::Dependabot, .. } => ("`admin:org`", "organization permission \"Dependabot secrets: Read and write\""),
        Target::Org { app: App::Codespaces, .. } => ("`admin:org`", "organization permission \"Codespaces secrets: Read and write\""),
        Target::Org { app: App::Agents, .. } => ("`admin:org`", "organization permission \"Agent secrets: Read and write\""),
    };
    format!(
        "a classic token needs the {classic} scope; a fine-grained token needs the {fine} on {}; \
         the default GITHUB_TOKEN cannot write secrets",
        target
    )
}

/// Explains GitHub's refusal of a request to `doing` secrets of `target`: the cause and the
/// fix (`app`: the run authenticates as a GitHub App).
pub(super) fn refusal_advice(
    e: &ApiError,
    target: &Target,
    doing: &str,
    app: bool,
) -> (String, String) {
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
            } else {
                "create a new token and store it in the secret passed as `token`".to_owned()
            },
        ),
        ApiError::Forbidden { .. } | ApiError::NotFound { .. } => (
            format!(
                "GitHub answered {}: the token cannot {doing} secrets of {target}{message}",
                e.refused_status().unwrap_or_default()
            ),
            if app {
                app_permission_hint(target)
            } else {
                permission_hint(target)
            },
        ),
        ApiError::Rejected { .. } => (
            format!("GitHub answered 422: the write was rejected{message}"),
            "check the secret name and value size; rerun if the public key was rotated".to_owned(),
        ),
        _ => (e.to_string(), "rerun later".to_owned()),
    }
}
