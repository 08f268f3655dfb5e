//! What `rotate` prints: step 2's findings (the token, its expiry, each target's key; problems
//! and warnings on standard error), the `--dry-run` plan, and the final report (the table, what
//! was done, what failed, what was not tried, how to finish or roll back, the old token's fate).

use std::path::Path;

use super::advice::{finish_advice, rollback_advice};
use super::args::RotateArgs;
use super::propagate::Done;
use super::read::Inputs;
use super::record::RecordError;
use super::validate::Checked;
use super::verify::{rfc3339, write_outcome};
use crate::audit::rotation::CheckOutcome;
use crate::auth::token::TokenKind;
use crate::commands::words::Diagnosis;
use crate::commands::{Credential, Error, Style, Tone};
use crate::engine::Outcome;
use crate::github::credentials::Holder;
use crate::output::words::{Count, DaysLeft, List};
use crate::target::Target;

pub(super) fn writer_label(writer: Option<&Credential>) -> String {
    match writer {
        None => "the new token (--write-with-new)".to_owned(),
        Some(c) => c.describe(),
    }
}

/// A signal stopped the check of the new token: said here, with the requests it took.
pub(super) fn cancelled_before_writing(signal: crate::cancel::Signal, requests: u64) -> Error {
    crate::commands::say(&format!(
        "cancelled by {} while the new token was checked ({}): nothing was written",
        signal.name(),
        Count("request", requests)
    ));
    Error::CancelledReported(signal)
}

/// Step 2's findings: the problems and warnings (standard error), then the token and each
/// target's key (the table in a dry run or when a key could not be read).
pub(super) fn print_check(style: Style, args: &RotateArgs, inputs: &Inputs, checked: &Checked) {
    warn_check(checked, args.expiry.expiry_warning_days);
    let kind = match checked.kind.prefix() {
        Some(p) => format!("{} ({p})", checked.kind.describe()),
        None => "a token of no documented format".to_owned(),
    };
    let holder = match &checked.holder {
        Some(Holder {
            login: Some(login), ..
        }) => format!(" of {login}"),
        Some(_) => ", acting for no user".to_owned(),
        None => String::new(),
    };
    let mut out = format!("New token:    {kind}{holder}\n");
    if checked.holder.is_some() {
        out.push_str(&format!(
            "Expires:      {}\n",
            match (&checked.expiry, checked.days_left) {
                (Some(e), Some(d)) => format!("{e} ({})", DaysLeft(d)),
                (Some(e), None) => format!("{e} (not understood)"),
                (None, _) => "never (GitHub sent no expiry date)".to_owned(),
            }
        ));
    }
    out.push_str(&format!("Secret:       {}\n", inputs.name));
    out.push_str(&format!(
        "Written with: {}\n",
        writer_label(inputs.writer.as_ref())
    ));
    let targets = &inputs.targets;
    let all_readable = !checked.keys.is_empty() && checked.keys.iter().all(|(_, k)| k.is_ok());
    if all_readable && !args.dry_run {
        out.push_str(&format!(
            "Public keys:  readable with the new token in {}\n",
            match targets.as_slice() {
                [one] => one.to_string(),
                all => format!("all {} targets", all.len()),
            }
        ));
    } else if !checked.keys.is_empty() {
        let rows: Vec<(Vec<String>, Tone)> = targets
            .iter()
            .filter_map(|t| checked.keys.iter().find(|(k, _)| k == t))
            .map(|(t, k)| match k {
                Ok(_) => (
                    vec![t.to_string(), "readable with the new token".into()],
                    Tone::Good,
                ),
                Err(_) => (
                    vec![t.to_string(), "not readable: see above".into()],
                    Tone::Bad,
                ),
            })
            .collect();
        out.push('\n');
        out.push_str(&crate::commands::table(
            style,
            &["TARGET", "PUBLIC KEY"],
            &rows,
        ));
    }
    crate::commands::print(&out);
}

/// Step 2's problems (each with its fix) and warnings, on standard error.
fn warn_check(checked: &Checked, warn_days: u32) {
    let mut err = crate::output::reporter::Reporter::stdio(crate::commands::options::human_mode());
    for Diagnosis { cause, fix } in &checked.problems {
        err.error("", &format!("{cause}\n  fix: {fix}"));
    }
    if let (Some(days), Some(expiry)) = (checked.days_left, &checked.expiry) {
        if days >= 0 && days < i64::from(warn_days) {
            err.warning(
                "",
                &format!(
                    "the new token expires {expiry} ({}), within --expiry-warning-days \
                     {warn_days}: plan its successor",
                    DaysLeft(days)
                ),
            );
        }
    }
    if checked.kind == TokenKind::Unknown {
        err.warning(
            "",
            "the new token has none of GitHub's documented prefixes (ghp_, github_pat_, ghs_, \
             ghu_, gho_): check that it is the token you meant",
        );
    }
    err.flush();
}

/// `--dry-run`: what a run would do.
pub(super) fn plan(args: &RotateArgs, inputs: &Inputs, who: &str, requests: u64) -> String {
    let (name, targets) = (&inputs.name, inputs.targets.as_slice());
    let n = targets.len();
    let mut steps = vec![format!(
        "write {name} into {} with {who}, one at a time{}",
        Count("target", n),
        if args.keep_going {
            ", trying every target"
        } else {
            ", stopping at the first failure"
        }
    )];
    steps.push("read each back and check it was updated after the rotation began".into());
    if args.revoke_old {
        steps.push(
            "once every target verified, revoke the old token (GitHub e-mails its owner)".into(),
        );
    } else {
        steps.push("keep the old token (it works until you revoke it)".into());
    }
    steps.push(format!("append a record to {}", inputs.audit_log.display()));
    let mut out = String::from("\nPlan:\n");
    for (i, s) in steps.iter().enumerate() {
        out.push_str(&format!("  {}. {s}\n", i + 1));
    }
    out.push_str(&format!(
        "Dry run: the new token reaches {} (checked with {}); nothing was written.\n",
        match targets {
            [one] => one.to_string(),
            all => format!("all {} targets", all.len()),
        },
        Count("request", requests)
    ));
    out
}

/// What the final report needs.
pub(super) struct Final<'a> {
    pub(super) args: &'a RotateArgs,
    pub(super) inputs: &'a Inputs,
    pub(super) done: &'a Done,
    pub(super) audit: Result<&'a Path, &'a RecordError>,
    pub(super) style: Style,
}

/// The targets by what became of them, and the table's rows.
#[derive(Default)]
struct Sorted<'a> {
    rows: Vec<(Vec<String>, Tone)>,
    /// Written and verified.
    done: Vec<&'a Target>,
    /// Written, but the read-back failed or a signal stopped it: not verified.
    unverified: Vec<&'a Target>,
    failed: Vec<&'a Target>,
    not_tried: Vec<&'a Target>,
}

/// The table (target, write, check), then what was done, what failed, what was not tried,
/// the command that finishes the rest, how to roll back, and the old token's fate.
pub(super) fn print_outcome(o: Final<'_>) {
    let style = o.style;
    let mut err = crate::output::reporter::Reporter::stdio(crate::commands::options::human_mode());
    if let Some(fatal) = &o.done.report.fatal {
        err.error("", fatal);
    }
    let sorted = sort_targets(&o, &mut err);
    let revoke_line = revoke_line(&o, &mut err);
    err.flush();

    let mut out = String::from("\n");
    out.push_str(&crate::commands::table(
        style,
        &["TARGET", "WRITE", "CHECK"],
        &sorted.rows,
    ));
    let all = o.inputs.targets.len();
    if sorted.done.len() == all {
        out.push_str(&style.paint(
            &format!(
                "Rotated {} in {}: written and verified with {} to GitHub.\n",
                o.inputs.name,
                Count("target", all),
                Count("request", o.done.requests)
            ),
            Tone::Good,
        ));
    } else {
        out.push_str(&unfinished(&o, &sorted));
    }
    if let Some((line, tone)) = revoke_line {
        out.push_str(&style.paint(&format!("{line}\n"), tone));
    } else if sorted.done.len() == all {
        out.push_str(
            "The old token still works: revoke it once nothing uses it (--revoke-old does it \
             after a verified rotation on github.com).\n",
        );
    }
    if let Ok(path) = o.audit {
        out.push_str(&format!("Recorded in {}.\n", path.display()));
    }
    crate::commands::print(&out);
}

/// Each target's row, and its failure (cause and fix) on standard error.
fn sort_targets<'a>(o: &Final<'a>, err: &mut crate::output::reporter::Reporter) -> Sorted<'a> {
    let name = &o.inputs.name;
    let mut sorted = Sorted::default();
    for (t, c) in o.inputs.targets.iter().zip(&o.done.checks) {
        let w = write_outcome(&o.done.report, t);
        let row = o
            .done
            .report
            .rows
            .iter()
            .find(|r| r.target == t.to_string());
        if let Outcome::Failed(cause) = &w {
            let hint = match (cause.kind, o.inputs.writer.as_ref()) {
                (crate::engine::FailureKind::Unauthorized, Some(c)) => Some(c.unauthorized_fix()),
                (_, Some(c @ Credential::App(_))) if row.is_some_and(|r| r.hint.is_some()) => {
                    Some(c.permission_hint(t))
                }
                _ => row.and_then(|r| r.hint.clone()),
            };
            let fix = hint.map(|h| format!("\n  fix: {h}")).unwrap_or_default();
            err.error("", &format!("{name} in {t}: {cause}{fix}"));
        }
        if let Some(p) = &c.problem {
            err.error(
                "",
                &format!("{name} in {t}: {p}\n  fix: run the command below to write it again"),
            );
        }
        let write = match &w {
            Outcome::Failed(_) => "failed".to_owned(),
            Outcome::NotAttempted => "not tried".to_owned(),
            Outcome::Cancelled => "not tried: cancelled".to_owned(),
            other => other.describe(),
        };
        let check = match (c.outcome, c.updated_at) {
            (CheckOutcome::Verified, Some(at)) => format!("verified (updated {})", rfc3339(at)),
            (CheckOutcome::Stale, Some(at)) => format!("NOT updated (last {})", rfc3339(at)),
            (CheckOutcome::Missing, _) => "NOT found".to_owned(),
            (CheckOutcome::Unreadable, _) => "NOT verified: could not read it".to_owned(),
            (CheckOutcome::Cancelled, _) => "NOT verified: cancelled".to_owned(),
            _ => "-".to_owned(),
        };
        let tone = match (c.outcome, &w) {
            (CheckOutcome::Verified, _) => {
                sorted.done.push(t);
                Tone::Good
            }
            // Written, then the read-back failed or a signal came before it: not verified.
            (CheckOutcome::Unreadable | CheckOutcome::Cancelled, _) => {
                sorted.unverified.push(t);
                Tone::Warn
            }
            (_, Outcome::NotAttempted | Outcome::Cancelled) => {
                sorted.not_tried.push(t);
                Tone::Warn
            }
            _ => {
                sorted.failed.push(t);
                Tone::Bad
            }
        };
        sorted.rows.push((vec![t.to_string(), write, check], tone));
    }
    sorted
}

/// What became of the old token, when --revoke-old asked for it.
fn revoke_line(
    o: &Final<'_>,
    err: &mut crate::output::reporter::Reporter,
) -> Option<(String, Tone)> {
    let kind = o.inputs.old.as_ref().map(TokenKind::of)?;
    Some(match &o.done.revoked {
        Some(Ok(())) => (
            format!(
                "The old token ({}) was revoked; GitHub e-mails its owner that it was.",
                kind.describe()
            ),
            Tone::Good,
        ),
        Some(Err(e)) => {
            err.error(
                "",
                &format!(
                    "the old token was not revoked: {e}\n  fix: revoke it by hand (its owner: \
                     Settings → Developer settings → Personal access tokens), or run \
                     `secret-refresh rotate` again with --revoke-old within the hour"
                ),
            );
            (
                "The old token was NOT revoked: see above.".to_owned(),
                Tone::Bad,
            )
        }
        None => (
            "The old token was kept (not every target verified): it still works.".to_owned(),
            Tone::Warn,
        ),
    })
}

/// A rotation that did not finish: how it ended, the three lists, how to finish, how to undo.
fn unfinished(o: &Final<'_>, sorted: &Sorted<'_>) -> String {
    let requests = Count("request", o.done.requests);
    let stopped = !o.args.keep_going && !sorted.not_tried.is_empty();
    let mut out = o.style.paint(
        &if crate::cancel::requested().is_some() {
            format!("Cancelled after {requests} to GitHub.\n")
        } else if stopped {
            format!(
                "Stopped at the first failure after {requests} to GitHub (--keep-going tries \
                 every target).\n"
            )
        } else {
            format!("Finished with failures after {requests} to GitHub.\n")
        },
        Tone::Bad,
    );
    out.push_str(&format!(
        "Done ({}): {}\n",
        sorted.done.len(),
        List::comma(&sorted.done)
    ));
    if !sorted.unverified.is_empty() {
        out.push_str(&format!(
            "Written, NOT verified ({}): {}\n",
            sorted.unverified.len(),
            List::comma(&sorted.unverified)
        ));
    }
    out.push_str(&format!(
        "Failed ({}): {}\n",
        sorted.failed.len(),
        List::comma(&sorted.failed)
    ));
    out.push_str(&format!(
        "Not tried ({}): {}\n",
        sorted.not_tried.len(),
        List::comma(&sorted.not_tried)
    ));
    let rest: Vec<&Target> = o
        .inputs
        .targets
        .iter()
        .filter(|t| !sorted.done.contains(t))
        .collect();
    out.push_str(&finish_advice(o.args, &rest));
    out.push_str(&rollback_advice(o.args, &sorted.done));
    out
}
