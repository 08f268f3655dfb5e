//! What a `set` run prints: each failure with its fix and a warning when the credential expires
//! soon (standard error), the SECRET / TARGET / RESULT table, then the closing line, or which
//! targets have the new value and the command that finishes the rest.

use super::args::SetArgs;
use crate::commands::words::Rerun;
use crate::commands::{Credential, Error, Style, Tone};
use crate::engine::{FailureKind, Outcome, Report};
use crate::output::words::{Count, List};
use crate::target::Target;

pub(super) fn print_report(
    args: &SetArgs,
    report: &Report,
    targets: &[Target],
    credential: &Credential,
    now: time::OffsetDateTime,
) -> Result<(), Error> {
    report_errors(report, credential, now, args.expiry.expiry_warning_days);
    let style = Style::stdout();
    let mut out = results_table(style, report);
    let (done, remaining) = done_and_remaining(report, targets);
    let requests = Count("request", report.requests);
    let names = args.all_names().join(", ");
    if remaining.is_empty() && !report.failed() {
        out.push_str(&style.paint(
            &format!(
                "Set {names} in {} with {requests} to GitHub.\n",
                Count("target", done.len())
            ),
            Tone::Good,
        ));
        crate::commands::print(&out);
        return Ok(());
    }
    let stopped = report
        .rows
        .iter()
        .any(|r| r.outcome == Outcome::NotAttempted)
        || report.fatal.is_some();
    out.push_str(&style.paint(
        &if stopped && !args.keep_going {
            format!("Stopped at the first failure after {requests} to GitHub (--keep-going tries every target).\n")
        } else {
            format!("Finished with failures after {requests} to GitHub.\n")
        },
        Tone::Bad,
    ));
    out.push_str(&format!(
        "Updated ({}): {}\nNot updated ({}): {}\n",
        done.len(),
        List::comma(&done),
        remaining.len(),
        List::comma(&remaining)
    ));
    out.push_str(&resume_advice(args, &remaining));
    crate::commands::print(&out);
    Err(Error::Reported)
}

/// Each failure with its fix, and a warning when the credential expires soon.
fn report_errors(
    report: &Report,
    credential: &Credential,
    now: time::OffsetDateTime,
    warning_days: u32,
) {
    let mut err = crate::output::reporter::Reporter::stdio(crate::commands::options::human_mode());
    if let Some(fatal) = &report.fatal {
        err.error("", fatal);
    }
    for row in &report.rows {
        if let Outcome::Failed(cause) = &row.outcome {
            let hint = if cause.kind == FailureKind::Unauthorized {
                Some(credential.unauthorized_fix())
            } else if matches!(credential, Credential::App(_)) && row.hint.is_some() {
                row.resolved.as_ref().map(|t| credential.permission_hint(t))
            } else {
                row.hint.clone()
            };
            let fix = hint.map(|h| format!("\n  fix: {h}")).unwrap_or_default();
            err.error(
                "",
                &format!("{} in {}: {cause}{fix}", row.secret, row.target),
            );
        }
    }
    if let Some((_, message)) = crate::report::expiry_warning(
        &credential.describe(),
        report.token_expiry.as_deref(),
        now,
        warning_days,
    ) {
        err.warning("", &message);
    }
    err.flush();
}

/// The SECRET / TARGET / RESULT table (empty when there are no rows).
fn results_table(style: Style, report: &Report) -> String {
    let mut out = String::new();
    let rows: Vec<(Vec<String>, Tone)> = report
        .rows
        .iter()
        .map(|r| {
            let tone = match &r.outcome {
                Outcome::Created | Outcome::Updated => Tone::Good,
                Outcome::Failed(_) => Tone::Bad,
                _ => Tone::Warn,
            };
            let result = match &r.outcome {
                Outcome::Failed(_) => "failed".to_owned(),
                Outcome::NotAttempted => "not attempted".to_owned(),
                o => o.describe(),
            };
            (vec![r.secret.clone(), r.target.clone(), result], tone)
        })
        .collect();
    if !rows.is_empty() {
        out.push_str(&crate::commands::table(
            style,
            &["SECRET", "TARGET", "RESULT"],
            &rows,
        ));
    }

    out
}

/// The targets every name was written to, and the targets still to finish.
fn done_and_remaining<'a>(
    report: &'a Report,
    targets: &'a [Target],
) -> (Vec<String>, Vec<&'a Target>) {
    // A target is done when every name was written to it.
    let labels: Vec<String> = if report.targets.is_empty() {
        targets.iter().map(Target::to_string).collect()
    } else {
        report.targets.clone()
    };
    let done: Vec<String> = labels
        .into_iter()
        .filter(|t| {
            let mine: Vec<_> = report.rows.iter().filter(|r| r.target == **t).collect();
            !mine.is_empty() && mine.iter().all(|r| r.outcome.is_written())
        })
        .collect();
    let remaining: Vec<&Target> = targets
        .iter()
        .filter(|t| !done.iter().any(|d| **d == t.to_string()))
        .collect();
    (done, remaining)
}

/// The command that finishes the job: the same, for the targets not updated yet.
fn resume_advice(args: &SetArgs, remaining: &[&Target]) -> String {
    let visibility = args
        .visibility
        .as_deref()
        .filter(|_| args.targets.org.is_some());
    let mut rerun = Rerun::new("set").args(&args.names);
    for name in &args.more_names {
        rerun = rerun.option("--name", Some(name));
    }
    rerun
        .targets(&args.targets, remaining, "The targets not updated")
        .option("--visibility", visibility)
        .scope(&args.targets)
        .path("--from-file", args.from_file.as_deref())
        .connection(args.api_url.as_deref(), &args.github_app)
        .flag("--keep-going", args.keep_going)
        .advice(
            "Fix the cause above, then finish with the same value (running the whole command \
             again is safe too)",
        )
}
