//! The GitHub App permission names that reach each kind of secrets: the one place they are
//! spelt.

use crate::target::App;

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
