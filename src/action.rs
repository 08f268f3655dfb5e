//! Action mode: inputs from `INPUT_*` as the runner sets them for container actions, results to
//! `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`.

use crate::error::Error;
use std::path::PathBuf;

use crate::config::input::{FrontEnd, RawInputs, RunContext, StepEnv};
use crate::config::{load, Config};
use crate::engine::Report;
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
        step: get("GITHUB_ACTION"),
        default_repository: get("GITHUB_REPOSITORY"),
        default_api_url: get("GITHUB_API_URL"),
        front_end: FrontEnd::Action,
    }
}

/// Runs as a container action step.
pub fn main() -> Result<(), Error> {
    let env = |n: &str| crate::env::var(n);
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
) -> Result<(), Error> {
    let config = match load(raw, ctx, reporter) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                reporter.error("invalid input", &e.to_string());
            }
            reporter.info(&nothing_written(errors.len()));
            return Err(Error::UsageReported);
        }
    };
    let runtime = match crate::auth::guard::runtime() {
        Ok(rt) => rt,
        Err(e) => {
            reporter.error("secret-refresh", &format!("cannot start: {e}"));
            return Err(Error::Reported);
        }
    };
    let report = runtime.block_on(run_engine(&config, reporter));
    // The clock is read here, once; the report only compares with it.
    crate::report::print(&report, &config, reporter, time::OffsetDateTime::now_utc());
    let io_failed = !write_results(&report, &config, reporter, outputs_file, summary_file);
    reporter.flush();
    if report.failed() || io_failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

/// "Nothing was written: N error(s) in the inputs."
fn nothing_written(errors: usize) -> String {
    format!(
        "Nothing was written: {} in the inputs.",
        if errors == 1 {
            "1 error".to_owned()
        } else {
            format!("{errors} errors")
        }
    )
}

/// Runs the engine, the reporter saying a long run's length before the first write and masking
/// each minted token as soon as it exists.
async fn run_engine(config: &Config, reporter: &mut Reporter) -> Report {
    // Both closures speak through the one reporter, one at a time.
    let shared = std::cell::RefCell::new(reporter);
    crate::engine::run_with(
        config,
        Policy::from_env(),
        &mut |p| {
            if let crate::engine::WriteProgress::Planned { writes, pacing, .. } = p {
                let app = matches!(config.auth, crate::config::Auth::App(_));
                announce_long_run(&mut shared.borrow_mut(), writes, &pacing, app);
            }
        },
        &mut |token| shared.borrow_mut().mask_new(token),
    )
    .await
}

/// Said before the first write: in a workflow, the step's timeout must allow the whole run
/// (`sync` on a terminal gets the command line's note); written as a GitHub App (`app`), that
/// its installation token will not last the run.
fn announce_long_run(r: &mut Reporter, writes: usize, pacing: &crate::pacing::Pacing, app: bool) {
    let action = r.is_action();
    if let Some((title, message)) =
        crate::report::long_run(writes, pacing.floor(writes), action, app)
    {
        if action {
            r.warning(title, &message);
        } else {
            r.notice(title, &message);
        }
    }
}

/// Writes the step outputs, the step summary and the audit log, each when asked for; `false`
/// when one could not be written (said as an error).
fn write_results(
    report: &Report,
    config: &Config,
    reporter: &mut Reporter,
    outputs_file: Option<PathBuf>,
    summary_file: Option<PathBuf>,
) -> bool {
    let mut written = true;
    if let Some(path) = outputs_file {
        let result = write_outputs(&path, &crate::report::outputs(report));
        written &= said(reporter, "the step outputs", result);
    }
    let summary = crate::report::summary(report);
    if let Some(path) = summary_file {
        let result = crate::output::append(&path, &summary);
        written &= said(reporter, "the step summary", result);
    }
    if let Some(log) = crate::audit::AuditLog::of(config) {
        let records = crate::audit::records(report, config, time::OffsetDateTime::now_utc());
        written &= said(reporter, "the audit log", log.append(&records));
    }
    written
}

/// Whether `result` is a success; a failure is said as "cannot write `what`".
fn said<E: std::fmt::Display>(reporter: &mut Reporter, what: &str, result: Result<(), E>) -> bool {
    match result {
        Ok(()) => true,
        Err(e) => {
            reporter.error("secret-refresh", &format!("cannot write {what}: {e}"));
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_written_counts_the_input_errors() {
        assert_eq!(
            nothing_written(1),
            "Nothing was written: 1 error in the inputs."
        );
        assert_eq!(
            nothing_written(3),
            "Nothing was written: 3 errors in the inputs."
        );
    }

    #[test]
    fn said_reports_a_failed_write_as_an_error_naming_what() {
        let mut r = Reporter::new(
            Mode::Human { color: false },
            Box::new(std::io::sink()),
            Box::new(std::io::sink()),
        );
        assert!(said::<std::io::Error>(&mut r, "the step summary", Ok(())));
        assert!(!said(
            &mut r,
            "the step summary",
            Err(std::io::Error::other("disk full"))
        ));
    }
}
