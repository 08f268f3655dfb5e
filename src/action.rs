//! Action mode: inputs from `INPUT_*` as the runner sets them for container actions, and the
//! runner's files (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`) for the results; the run itself is
//! [`crate::refresh::run`], the one `sync` calls too.

use std::path::PathBuf;

use crate::config::input::{FrontEnd, Given, RawInputs, RunContext, StepEnv};
use crate::error::Error;
use crate::output::reporter::{Mode, Reporter};
use crate::refresh::StepFiles;
use crate::secret::SecretValue;

/// Reads `INPUT_<NAME>`: the input name upper-cased, hyphens kept (as the runner sets them; a
/// shell would drop such variables, which is why the entrypoint is the binary itself).
fn input(env: &dyn Fn(&str) -> Option<String>, name: &str) -> String {
    env(&format!("INPUT_{}", name.to_ascii_uppercase())).unwrap_or_default()
}

/// Every input, read from the environment; `step_env` reads the variables `secrets-from-env`
/// and `current-from-env` name.
pub fn raw_inputs(env: &dyn Fn(&str) -> Option<String>, step_env: StepEnv) -> RawInputs {
    let i = |n: &str| input(env, n);
    RawInputs {
        token: SecretValue::new(i("token")),
        secrets: SecretValue::new(i("secrets")),
        secrets_from_env: i("secrets-from-env"),
        files: i("files"),
        prefix: i("prefix"),
        if_no_files_found: i("if-no-files-found"),
        current: SecretValue::new(i("current")),
        current_from_env: i("current-from-env"),
        repository: i("repository"),
        dry_run: Given::Text(i("dry-run")),
        api_url: i("api-url"),
        repositories: i("repositories"),
        environment: i("environment"),
        organization: i("organization"),
        visibility: i("visibility"),
        selected_repositories: i("selected-repositories"),
        app: i("app"),
        fail_fast: Given::Text(i("fail-fast")),
        allow_pull_request_target: Given::Text(i("allow-pull-request-target")),
        token_expiry_warning_days: Given::Text(i("token-expiry-warning-days")),
        audit_log: i("audit-log"),
        app_id: i("app-id"),
        app_private_key: SecretValue::new(i("app-private-key")),
        app_installation_id: i("app-installation-id"),
        sts_url: i("sts-url"),
        sts_identity: i("sts-identity"),
        sts_audience: i("sts-audience"),
        // The runner sets both for a job with `permissions: id-token: write`, in every step's
        // environment, container actions' included.
        id_token_request_url: env("ACTIONS_ID_TOKEN_REQUEST_URL").unwrap_or_default(),
        id_token_request_token: SecretValue::new(
            env("ACTIONS_ID_TOKEN_REQUEST_TOKEN").unwrap_or_default(),
        ),
        step_env,
    }
}

pub fn run_context(env: &dyn Fn(&str) -> Option<String>) -> RunContext {
    let get = |n: &str| env(n).unwrap_or_default();
    let workspace = env("GITHUB_WORKSPACE")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_default();
    RunContext {
        workspace,
        runner_temp: env("RUNNER_TEMP")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        event_name: get("GITHUB_EVENT_NAME"),
        actor: get("GITHUB_ACTOR"),
        run_id: get("GITHUB_RUN_ID"),
        run_attempt: get("GITHUB_RUN_ATTEMPT"),
        job: get("GITHUB_JOB"),
        step: get("GITHUB_ACTION"),
        default_repository: get("GITHUB_REPOSITORY"),
        default_api_url: get("GITHUB_API_URL"),
        front_end: FrontEnd::Action,
    }
}

/// Runs as a container action step: the inputs and the runner's files from the environment,
/// then [`crate::refresh::run`].
pub fn main() -> Result<(), Error> {
    let env = |n: &str| crate::env::var(n);
    let mut reporter = Reporter::stdio(Mode::Action);
    let raw = raw_inputs(&env, StepEnv::process());
    let ctx = run_context(&env);
    let files = StepFiles {
        outputs: env("GITHUB_OUTPUT")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
        summary: env("GITHUB_STEP_SUMMARY")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from),
    };
    crate::refresh::run(&raw, &ctx, &mut reporter, files)
}
