//! Action mode: inputs from `INPUT_*` as the runner sets them for container actions, results to
//! `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{load, FrontEnd, RawInputs, RunContext, StepEnv};
use crate::github::Policy;
use crate::output::{write_outputs, Mode, Reporter};
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
        dry_run: i("dry-run"),
        api_url: i("api-url"),
        repositories: i("repositories"),
        environment: i("environment"),
        organization: i("organization"),
        visibility: i("visibility"),
        selected_repositories: i("selected-repositories"),
        app: i("app"),
        fail_fast: i("fail-fast"),
        allow_pull_request_target: i("allow-pull-request-target"),
        token_expiry_warning_days: i("token-expiry-warning-days"),
        audit_log: i("audit-log"),
        app_id: i("app-id"),
        app_private_key: SecretValue::new(i("app-private-key")),
        app_installation_id: i("app-installation-id"),
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
        default_repository: get("GITHUB_REPOSITORY"),
        default_api_url: get("GITHUB_API_URL"),
        front_end: FrontEnd::Action,
    }
}

/// Runs as a container action step.
pub fn main() -> ExitCode {
    let env = |n: &str| std::env::var(n).ok();
    let mut reporter = Reporter::stdio(Mode::Action);
    let raw = raw_inputs(&env, StepEnv::process());
    let ctx = run_context(&env);
    let outputs_file = env("GITHUB_OUTPUT")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from);
    let summary_file = env("GITHUB_STEP_SUMMARY")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from);
    execute(&raw, &ctx, &mut reporter, outputs_file, summary_file)
}

/// Loads, runs and reports; shared by action mode and `sync`.
pub fn execute(
    raw: &RawInputs,
    ctx: &RunContext,
    reporter: &mut Reporter,
    outputs_file: Option<PathBuf>,
    summary_file: Option<PathBuf>,
) -> ExitCode {
    let config = match load(raw, ctx, reporter) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                reporter.error("invalid input", &e.to_string());
            }
            reporter.info(&format!(
                "Nothing was written: {} in the inputs.",
                if errors.len() == 1 {
                    "1 error".to_owned()
                } else {
                    format!("{} errors", errors.len())
                }
            ));
            return ExitCode::from(2);
        }
    };
    let runtime = match crate::token_guard::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            reporter.error("secret-refresh", &format!("cannot start: {e}"));
            return ExitCode::from(1);
        }
    };
    // Both closures speak through the one reporter, one at a time.
    let shared = std::cell::RefCell::new(&mut *reporter);
    let report = runtime.block_on(crate::engine::run_with(
        &config,
        Policy::from_env(),
        &mut |p| {
            if let crate::engine::Progress::Planned { writes, pacing, .. } = p {
                // Said before the first write: in a workflow, the step's timeout must allow the
                // whole run (`sync` on a terminal gets the command line's note).
                let mut r = shared.borrow_mut();
                let action = r.is_action();
                if let Some((title, message)) =
                    crate::report::long_run(writes, pacing.floor(writes), action)
                {
                    if action {
                        r.warning(title, &message);
                    } else {
                        r.notice(title, &message);
                    }
                }
            }
        },
        &mut |token| shared.borrow_mut().mask_new(token),
    ));
    // The clock is read here, once; the report only compares with it.
    crate::report::print(&report, &config, reporter, time::OffsetDateTime::now_utc());
    let mut io_failed = false;
    if let Some(path) = outputs_file {
        if let Err(e) = write_outputs(&path, &crate::report::outputs(&report)) {
            reporter.error(
                "secret-refresh",
                &format!("cannot write the step outputs: {e}"),
            );
            io_failed = true;
        }
    }
    let summary = crate::report::summary(&report);
    if let Some(path) = summary_file {
        if let Err(e) = crate::output::append(&path, &summary) {
            reporter.error(
                "secret-refresh",
                &format!("cannot write the step summary: {e}"),
            );
            io_failed = true;
        }
    }
    if let Some(log) = crate::audit::AuditLog::of(&config) {
        let records = crate::audit::records(&report, &config, time::OffsetDateTime::now_utc());
        if let Err(e) = log.append(&records) {
            reporter.error(
                "secret-refresh",
                &format!("cannot write the audit log: {e}"),
            );
            io_failed = true;
        }
    }
    reporter.flush();
    if report.failed() || io_failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
