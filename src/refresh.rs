//! The one way in to a refresh, whichever front end gathered the inputs: action mode
//! ([`crate::action`]: `INPUT_*`, the runner's files) and `secret-refresh sync`
//! ([`crate::commands::sync`]: flags, typed where clap parsed them) both call [`run`]. It loads
//! the inputs into a [`Config`], runs the engine, prints the report and writes the step
//! outputs, the step summary and the audit log.

use std::path::PathBuf;

use crate::config::input::{RawInputs, RunContext};
use crate::config::{load, Config};
use crate::engine::Report;
use crate::error::Error;
use crate::github::Policy;
use crate::output::files::write_outputs;
use crate::output::reporter::Reporter;
use crate::output::words::Count;

/// The runner's files the results are also written to, each when given (the action only).
#[derive(Debug, Default, Clone)]
pub struct StepFiles {
    /// `$GITHUB_OUTPUT`: the step outputs.
    pub outputs: Option<PathBuf>,
    /// `$GITHUB_STEP_SUMMARY`: the step summary, appended.
    pub summary: Option<PathBuf>,
}

/// Loads, runs and reports: the inputs become a [`Config`] (every input error said, nothing
/// written), the engine runs, the report is printed, then the step's files and the audit log
/// are written.
pub fn run(
    raw: &RawInputs,
    ctx: &RunContext,
    reporter: &mut Reporter,
    files: StepFiles,
) -> Result<(), Error> {
    // Every value is masked by the loader before anything else is printed.
    let loaded = load(raw, ctx, reporter);
    for unknown in crate::config::unknown_inputs(raw) {
        reporter.warning("unknown input", &unknown.to_string());
    }
    let config = match (loaded, crate::config::no_values(raw, ctx.front_end)) {
        (Ok(c), None) => c,
        (loaded, no_values) => {
            let errors: Vec<_> = no_values
                .into_iter()
                .chain(loaded.err().unwrap_or_default())
                .collect();
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
    if config.preflight {
        return preflight(&config, &runtime, reporter, files);
    }
    let report = runtime.block_on(run_engine(&config, reporter));
    // The clock is read here, once; the report only compares with it.
    crate::report::print(&report, &config, reporter, crate::env::now());
    let io_failed = !write_results(&report, &config, reporter, files);
    reporter.flush();
    if report.failed() || io_failed {
        Err(Error::Reported)
    } else {
        Ok(())
    }
}

/// `preflight: true`: proves the token can write every target and records what is stored
/// (`stored-at`); writes no value. Fails (exit 1) when a target cannot be written.
fn preflight(
    config: &Config,
    runtime: &crate::auth::guard::Runtime,
    reporter: &mut Reporter,
    files: StepFiles,
) -> Result<(), Error> {
    let found = runtime.block_on(crate::preflight::run(
        config,
        Policy::from_env(),
        &mut |token| reporter.mask_new(token),
    ));
    crate::report::preflight::print(&found, reporter);
    let mut written = true;
    if let Some(path) = files.outputs {
        let result = write_outputs(&path, &crate::report::preflight::outputs(&found));
        written &= said(reporter, "the step outputs", result);
    }
    if let Some(path) = files.summary {
        let summary = crate::report::preflight::summary(&found);
        let result = crate::output::files::append(&path, &summary);
        written &= said(reporter, "the step summary", result);
    }
    reporter.flush();
    if found.passed() && written {
        Ok(())
    } else {
        Err(Error::Reported)
    }
}

/// "Nothing was written: N error(s) in the inputs."
fn nothing_written(errors: usize) -> String {
    format!(
        "Nothing was written: {} in the inputs.",
        Count("error", errors)
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
                let app = config.auth.mints_installation_tokens();
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
    files: StepFiles,
) -> bool {
    let mut written = true;
    if let Some(path) = files.outputs {
        let result = write_outputs(&path, &crate::report::outputs(report));
        written &= said(reporter, "the step outputs", result);
    }
    let summary = crate::report::summary(report, &config.warnings);
    if let Some(path) = files.summary {
        let result = crate::output::files::append(&path, &summary);
        written &= said(reporter, "the step summary", result);
    }
    if let Some(log) = crate::audit::log::AuditLog::of(config) {
        let records = crate::audit::record::records(report, config, crate::env::now());
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
    use crate::output::reporter::Mode;

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
