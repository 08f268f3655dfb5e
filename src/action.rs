//! Action mode: inputs from `INPUT_*` as the runner sets them for container actions, and the
//! runner's files (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`) for the results; the run itself is
//! [`crate::refresh::run`], the one `sync` calls too.

use std::path::Path;

use crate::config::input::{FrontEnd, Given, Input, RawInputs, RunContext, StepEnv};
use crate::error::Error;
use crate::output::reporter::{Mode, Reporter};
use crate::refresh::StepFiles;
use crate::secret::SecretValue;

/// Reads `INPUT_<NAME>`: the input name upper-cased, hyphens kept (as the runner sets them; a
/// shell would drop such variables, which is why the entrypoint is the binary itself).
fn input(env: &dyn Fn(&str) -> Option<String>, input: Input) -> String {
    let name = input.name(FrontEnd::Action);
    env(&format!("INPUT_{}", name.to_ascii_uppercase())).unwrap_or_default()
}

/// The `INPUT_*` variables among `names` that no declared input reads, as `with:` spells them
/// (the runner passes `INPUT_*` only for the inputs written in `with:` and for `action.yml`'s
/// defaults, so such a variable is a misspelled input), sorted.
pub fn undeclared(names: &[String]) -> Vec<String> {
    let declared = Input::DECLARED.map(|i| i.name(FrontEnd::Action));
    let mut out: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_prefix("INPUT_"))
        .map(str::to_ascii_lowercase)
        .filter(|n| !declared.contains(&n.as_str()))
        .collect();
    out.sort();
    out
}

/// Every input, read from the environment; `step_env` reads the variables `secrets-from-env`
/// and `current-from-env` name.
pub fn raw_inputs(env: &dyn Fn(&str) -> Option<String>, step_env: StepEnv) -> RawInputs {
    let i = |n: Input| input(env, n);
    RawInputs {
        token: SecretValue::new(i(Input::Token)),
        secrets: SecretValue::new(i(Input::Secrets)),
        secrets_from_env: i(Input::SecretsFromEnv),
        files: i(Input::Files),
        prefix: i(Input::Prefix),
        if_no_files_found: i(Input::IfNoFilesFound),
        current: SecretValue::new(i(Input::Current)),
        current_from_env: i(Input::CurrentFromEnv),
        repository: i(Input::Repository),
        dry_run: Given::Text(i(Input::DryRun)),
        api_url: i(Input::ApiUrl),
        repositories: i(Input::Repositories),
        environment: i(Input::Environment),
        organization: i(Input::Organization),
        visibility: i(Input::Visibility),
        selected_repositories: i(Input::SelectedRepositories),
        app: i(Input::App),
        fail_fast: Given::Text(i(Input::FailFast)),
        allow_pull_request_target: Given::Text(i(Input::AllowPullRequestTarget)),
        token_expiry_warning_days: Given::Text(i(Input::TokenExpiryWarningDays)),
        audit_log: i(Input::AuditLog),
        app_id: i(Input::AppId),
        app_private_key: SecretValue::new(i(Input::AppPrivateKey)),
        app_installation_id: i(Input::AppInstallationId),
        sts_url: i(Input::StsUrl),
        sts_identity: i(Input::StsIdentity),
        sts_audience: i(Input::StsAudience),
        // The runner sets both for a job with `permissions: id-token: write`, in every step's
        // environment, container actions' included.
        id_token_request_url: env("ACTIONS_ID_TOKEN_REQUEST_URL").unwrap_or_default(),
        id_token_request_token: SecretValue::new(
            env("ACTIONS_ID_TOKEN_REQUEST_TOKEN").unwrap_or_default(),
        ),
        preflight: i(Input::Preflight).into(),
        stored_at: i(Input::StoredAt),
        step_env,
        undeclared: Vec::new(),
    }
}

pub fn run_context(env: &dyn Fn(&str) -> Option<String>) -> RunContext {
    let get = |n: &str| env(n).unwrap_or_default();
    let workspace = env("GITHUB_WORKSPACE")
        .filter(|s| !s.is_empty())
        .map(|s| crate::env::resolve(Path::new(&s)))
        .or_else(crate::env::working_dir)
        .unwrap_or_default();
    RunContext {
        workspace,
        runner_temp: env("RUNNER_TEMP")
            .filter(|s| !s.is_empty())
            .map(|s| crate::env::resolve(Path::new(&s))),
        event_name: get("GITHUB_EVENT_NAME"),
        workflow_run_from_fork: get("GITHUB_EVENT_NAME") == "workflow_run"
            && !workflow_run_is_own(env),
        actor: get("GITHUB_ACTOR"),
        run_id: get("GITHUB_RUN_ID"),
        run_attempt: get("GITHUB_RUN_ATTEMPT"),
        job: get("GITHUB_JOB"),
        step: get("GITHUB_ACTION"),
        default_repository: get("GITHUB_REPOSITORY"),
        default_api_url: get("GITHUB_API_URL"),
        front_end: FrontEnd::Action,
        confirm_targets: None,
    }
}

/// Whether the `workflow_run` payload at `$GITHUB_EVENT_PATH` shows the triggering run's head
/// repository to be this one (`workflow_run.repository`, else the event's `repository`, else
/// `$GITHUB_REPOSITORY`; names compared as GitHub does, case-insensitively). A payload that
/// cannot be read or does not name the head repository (a fork since deleted) is not shown to
/// be: false.
fn workflow_run_is_own(env: &dyn Fn(&str) -> Option<String>) -> bool {
    let Some(path) = env("GITHUB_EVENT_PATH").filter(|p| !p.is_empty()) else {
        return false;
    };
    // An event payload is a few kilobytes; a much larger one is not the runner's.
    const MAX_EVENT_BYTES: u64 = 16 * 1024 * 1024;
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut text = Vec::new();
    if std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_EVENT_BYTES), &mut text)
        .is_err()
    {
        return false;
    }
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(&text) else {
        return false;
    };
    let name = |v: &serde_json::Value| v.get("full_name")?.as_str().map(str::to_owned);
    let run = event.get("workflow_run");
    let head = run.and_then(|r| r.get("head_repository")).and_then(name);
    let own = run
        .and_then(|r| r.get("repository"))
        .and_then(name)
        .or_else(|| event.get("repository").and_then(name))
        .or_else(|| env("GITHUB_REPOSITORY"));
    match (head, own) {
        (Some(head), Some(own)) => !own.is_empty() && head.eq_ignore_ascii_case(&own),
        _ => false,
    }
}

/// Runs as a container action step: the inputs and the runner's files from the environment,
/// then [`crate::refresh::run`].
pub fn main() -> Result<(), Error> {
    let env = |n: &str| crate::env::var(n);
    let mut reporter = Reporter::stdio(Mode::Action);
    let mut raw = raw_inputs(&env, StepEnv::process());
    raw.undeclared = undeclared(&crate::env::names());
    let ctx = run_context(&env);
    let files = StepFiles {
        outputs: env("GITHUB_OUTPUT")
            .filter(|s| !s.is_empty())
            .map(|s| crate::env::resolve(Path::new(&s))),
        summary: env("GITHUB_STEP_SUMMARY")
            .filter(|s| !s.is_empty())
            .map(|s| crate::env::resolve(Path::new(&s))),
    };
    crate::refresh::run(&raw, &ctx, &mut reporter, files)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inputs `action.yml` declares: the keys indented two spaces under `inputs:`. Read in
    /// the test, not embedded in the binary: the code must name every input to read it anyway,
    /// so its list is the one the run uses and this test keeps `action.yml` equal to it (a YAML
    /// parser in the release binary would buy nothing but a failure mode at run time).
    fn declared_in_action_yml() -> Vec<String> {
        include_str!("../action.yml")
            .lines()
            .skip_while(|l| *l != "inputs:")
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .filter_map(|l| l.strip_prefix("  "))
            .filter(|k| !k.starts_with(' '))
            .filter_map(|k| k.strip_suffix(':'))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_inputs_the_code_reads_are_the_ones_action_yml_declares() {
        let code: Vec<&str> = Input::DECLARED
            .iter()
            .map(|i| i.name(FrontEnd::Action))
            .collect();
        let yml = declared_in_action_yml();
        assert!(yml.len() > 20, "action.yml's inputs not found: {yml:?}");
        assert_eq!(
            code, yml,
            "config::input::Input::DECLARED and action.yml's `inputs:` differ (same order): an \
             input added to one is added to the other"
        );
    }

    #[test]
    fn an_input_variable_no_input_declares_is_named_as_with_spells_it() {
        let names: Vec<String> = [
            "INPUT_FILE",
            "INPUT_TOKEN",
            "INPUT_TOKEN_",
            "INPUT_IF-NO-FILES-FOUND",
            "INPUT_DRY_RUN",
            "PATH",
            "GITHUB_INPUT_X",
        ]
        .map(str::to_owned)
        .to_vec();
        assert_eq!(undeclared(&names), ["dry_run", "file", "token_"]);
        let raw = RawInputs {
            undeclared: undeclared(&names),
            ..RawInputs::default()
        };
        let said: Vec<String> = crate::config::unknown_inputs(&raw)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            said,
            [
                "`dry_run` is not an input of secret-refresh, so it was not read: did you mean \
                 `dry-run`?",
                "`file` is not an input of secret-refresh, so it was not read: did you mean \
                 `files`?",
                "`token_` is not an input of secret-refresh, so it was not read: did you mean \
                 `token`?",
            ]
        );
        let far = RawInputs {
            undeclared: vec!["colour".to_owned()],
            ..RawInputs::default()
        };
        assert_eq!(
            crate::config::unknown_inputs(&far)[0].to_string(),
            "`colour` is not an input of secret-refresh, so it was not read (action.yml lists \
             the inputs)"
        );
    }
}
