//! Renders a [`Report`] into what people and the runner read: lines and annotations, the step
//! summary, the outputs, tables. Nothing here ever holds a value, and nothing here decides.

pub mod notes;
pub mod outcome;
pub mod preflight;

use serde_json::json;
use time::OffsetDateTime;

use crate::config::Config;
use crate::output::escape::{md_cell, md_text};
use crate::output::files::MAX_SUMMARY_BYTES;
use crate::output::reporter::Reporter;
use crate::output::words::{Count, Expiry, List, HOW_TO_ROTATE};
use crate::report::outcome::{Outcome, Report, Row, SkipReason};

/// Lines and annotations for the log. `now` is the caller's clock (the token-expiry warning).
pub fn print(report: &Report, config: &Config, reporter: &mut Reporter, now: OffsetDateTime) {
    for w in &config.warnings {
        reporter.warning("secret-refresh", w);
    }
    if let Some(fatal) = &report.fatal {
        reporter.error("secret-refresh", fatal);
    }
    for refused in &report.refused {
        reporter.error("value not stored", refused);
    }
    if let Some(problem) = &report.audit_problem {
        reporter.warning(
            "audit log not read",
            &format!("{problem}; every changed secret is written"),
        );
    }
    if let Some((title, message)) = notes::no_token(report).filter(|_| reporter.is_action()) {
        reporter.notice(title, &message);
    }
    if let (Some(SkipReason::Event), Some(event)) = (report.skip, report.refused_event) {
        reporter.warning(
            &format!("writes refused on {}", event.on()),
            &format!(
                "{}, so secret-refresh writes nothing on it; set `allow-pull-request-target: \
                 true` only if the job never runs code or reads data from the pull request",
                event.why()
            ),
        );
    }
    print_rows(report, reporter);
    if let Some((title, message)) = expiry_warning(
        "the token",
        report.token_expiry.as_deref(),
        now,
        config.token_expiry_warning_days,
    ) {
        reporter.warning(title, &message);
    }
    if !reporter.is_action() {
        reporter.raw(&text(report));
    }
    reporter.info(&headline(report, reporter.is_action()));
}

/// Each row's line: what was written, each failure with its fix, each conflict with when the
/// other run stored it; then the targets `stored-at` did not name.
fn print_rows(report: &Report, reporter: &mut Reporter) {
    for row in &report.rows {
        match &row.outcome {
            Outcome::Created | Outcome::Updated => reporter.info(&format!(
                "{} {} in {}",
                row.outcome.describe(),
                row.secret,
                row.target
            )),
            Outcome::Failed(cause) => {
                let fix = row
                    .hint
                    .as_ref()
                    .map(|h| format!("\nFix: {h}"))
                    .unwrap_or_default();
                reporter.error(
                    &format!("secret {} in {}", row.secret, row.target),
                    &format!("{}: {cause}{fix}", row.secret),
                );
            }
            Outcome::Conflict(at) => reporter.warning(
                &format!("secret {} in {} not overwritten", row.secret, row.target),
                &format!(
                    "another run stored {} in {} at {at}, after this run's preflight: that newer \
                     value is kept and this run's is not written. Give these jobs one \
                     `concurrency:` group so their runs do not overlap",
                    row.secret, row.target
                ),
            ),
            _ => {}
        }
    }
    for target in &report.not_prechecked {
        reporter.warning(
            "not checked since preflight",
            &format!(
                "`stored-at` does not name {target}: its secrets were written without checking \
                 that no other run stored them since preflight (give the preflight step the \
                 same targets)"
            ),
        );
    }
}

/// The warning for a token that expires within `warning_days` days of `now`, or has expired:
/// its title and message, which says when and how to rotate it. `None` when it is not due.
pub fn expiry_warning(
    who: &str,
    expiry: Option<&str>,
    now: OffsetDateTime,
    warning_days: u32,
) -> Option<(&'static str, String)> {
    let days = expiry_days_left(expiry, now)?;
    if days >= i64::from(warning_days) {
        return None;
    }
    let expiry = Expiry {
        when: expiry.unwrap_or_default(),
        days,
    };
    Some(if expiry.expired() {
        (
            "token expired",
            format!("{who} {expiry}: GitHub refuses it from then on; {HOW_TO_ROTATE}"),
        )
    } else {
        (
            "token expires soon",
            format!("{who} {expiry}; before then, {HOW_TO_ROTATE}"),
        )
    })
}

/// Whole days from `now` until an expiry as GitHub writes it (`2099-12-01 00:00:00 UTC`),
/// rounded down: negative once it has passed, even by a second.
pub fn expiry_days_left(expiry: Option<&str>, now: OffsetDateTime) -> Option<i64> {
    let at = parse_expiry(expiry?)?;
    Some((at - now).whole_seconds().div_euclid(86_400))
}

pub fn parse_expiry(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    let normalized = s
        .strip_suffix(" UTC")
        .map(|d| format!("{d} +0000"))
        .unwrap_or_else(|| s.to_owned());
    // In UTC, years 0–9999 only: it is written back as RFC 3339 (the record, the summary).
    OffsetDateTime::parse(&normalized, fmt)
        .ok()
        .and_then(|t| t.checked_to_offset(time::UtcOffset::UTC))
        .filter(|t| (0..=9999).contains(&t.year()))
}

/// One sentence saying what happened, in the words of whoever ran it: the action's inputs in a
/// workflow (`action`), the environment and flags on a command line; then how many values were
/// refused, when some were.
pub fn headline(report: &Report, action: bool) -> String {
    let mut s = happened(report, action);
    if !report.refused.is_empty() {
        s.push_str(&format!(
            " {} not stored (see the errors): fix what the tests wrote, then re-run.",
            Count(("value was", "values were"), report.refused.len())
        ));
    }
    s
}

fn happened(report: &Report, action: bool) -> String {
    let changed = report.not_written();
    let unchanged = report.unchanged().len();
    let targets = report.targets.len();
    let t = Count("target", targets).to_string();
    let acted = report
        .rows
        .iter()
        .any(|r| !matches!(r.outcome, Outcome::Unchanged));
    match report.skip {
        _ if changed == 0 && !acted && report.fatal.is_none() && unchanged == 0 => {
            if report.refused.is_empty() {
                "Nothing to write: no refreshed value was read. No request was made.".to_owned()
            } else {
                "Nothing was written. No request was made.".to_owned()
            }
        }
        _ if changed == 0 && !acted && report.fatal.is_none() => format!(
            "Nothing to write: {} equal to the stored {}. No request was made.",
            Count(("secret is", "secrets are"), unchanged),
            if unchanged == 1 { "value" } else { "values" }
        ),
        Some(SkipReason::NoToken) => format!(
            "{} changed but not written: no token was given ({}).",
            Count("secret", changed),
            if action {
                "set `token` to write them"
            } else {
                "set GH_TOKEN (GH_ENTERPRISE_TOKEN for a GitHub Enterprise Server), or log in \
                 with `gh auth login`, to write them"
            }
        ),
        Some(SkipReason::DryRun) => dry_run(report, changed, &t, action),
        Some(SkipReason::Event) => format!(
            "{} changed but not written: writes are refused on {}.",
            Count("secret", changed),
            report.refused_event.map_or("this event", |e| e.on())
        ),
        None => wrote(report, &t),
    }
}

/// The sentences for a dry run: what would be written, and what was checked. With a
/// credential the targets were resolved and their public keys read; write access is never
/// claimed (a key is readable with read access): preflight proves it.
fn dry_run(report: &Report, changed: usize, t: &str, action: bool) -> String {
    let would = format!(
        "Dry run: {} would be written to {t}; nothing was written.",
        Count("secret", changed)
    );
    let proves = if action {
        "`preflight: true` proves it"
    } else {
        "`secret-refresh check-token` with the same targets proves it"
    };
    if !report.dry_run_checked {
        format!("{would} No token: the targets and their public keys were not checked.")
    } else if report.fatal.is_some() || count(report, |o| matches!(o, Outcome::Failed(_))) > 0 {
        format!("{would} The check failed: see the errors.")
    } else {
        format!(
            "{would} The targets resolved and their public keys were read; write access is not \
             proven ({proves})."
        )
    }
}

/// The sentence for a run that tried to write: what was written, waited, left.
fn wrote(report: &Report, t: &str) -> String {
    let targets = report.targets.len();
    let audit_log = report.resumable;
    let written: Vec<&Row> = report
        .rows
        .iter()
        .filter(|r| r.outcome.is_written())
        .collect();
    let failed = count(report, |o| matches!(o, Outcome::Failed(_)));
    // Not attempted: stopped by a failure, or by a signal (cancelled).
    let skipped = count(report, |o| {
        matches!(o, Outcome::NotAttempted | Outcome::Cancelled)
    });
    let already = count(report, |o| matches!(o, Outcome::AlreadyWritten));
    let conflicts = count(report, |o| matches!(o, Outcome::Conflict(_)));
    let mut s = if targets > 1 {
        let names: std::collections::BTreeSet<&str> =
            written.iter().map(|r| r.secret.as_str()).collect();
        let reached: std::collections::BTreeSet<&str> =
            written.iter().map(|r| r.target.as_str()).collect();
        let of = if reached.len() == targets {
            t.to_owned()
        } else {
            format!("{} of {targets} targets", reached.len())
        };
        format!(
            "Wrote {} to {of} ({}) with {} to GitHub",
            Count("secret", names.len()),
            Count("write", written.len()),
            Count("request", report.requests),
        )
    } else {
        format!(
            "Wrote {} to {t} with {} to GitHub",
            Count("secret", written.len()),
            Count("request", report.requests),
        )
    };
    if report.retries > 0 {
        s.push_str(&format!(" ({} retried)", report.retries));
    }
    s.push('.');
    if report.rate_limit_waits > 0 {
        s.push_str(&format!(
            " Waited {:.0}s on rate limits (at most {}s allowed).",
            report.rate_limit_wait_secs.ceil(),
            report.rate_limit_budget_secs
        ));
    }
    if already > 0 {
        s.push_str(&format!(
            " {} by an earlier attempt of this run.",
            Count(("was already written", "were already written"), already)
        ));
    }
    if conflicts > 0 {
        s.push_str(&format!(
            " {} not overwritten: another run stored a newer value after this run's preflight.",
            Count("secret", conflicts)
        ));
    }
    if failed + skipped > 0 || report.fatal.is_some() {
        s.push_str(&format!(
            " {failed} failed, {skipped} not attempted: {}",
            if audit_log {
                "re-running this workflow run with the same inputs writes only what is missing."
            } else {
                "a rerun with the same inputs writes the changed secrets again (with `audit-log` kept between attempts, a re-run writes only what is missing)."
            }
        ));
    }
    s
}

fn count(report: &Report, f: impl Fn(&Outcome) -> bool) -> usize {
    report.rows.iter().filter(|r| f(&r.outcome)).count()
}

/// The markdown step summary: the headline, the `warnings` said before the run (a pattern that
/// matched nothing, a name typo: where people look), then the table. Every text in it goes
/// through the output layer's markdown escaping; past [`MAX_SUMMARY_BYTES`] the table is cut,
/// with a line saying how many rows were left out (GitHub drops a larger summary whole).
pub fn summary(report: &Report, warnings: &[String]) -> String {
    let mut md = String::from("### Secret refresh\n\n");
    md.push_str(&md_text(&headline(report, true)));
    md.push_str("\n\n");
    for r in &report.refused {
        md.push_str(&format!("- **Not stored:** {}\n", md_text(r)));
    }
    for w in warnings {
        md.push_str(&format!("- **Warning:** {}\n", md_text(w)));
    }
    if !warnings.is_empty() || !report.refused.is_empty() {
        md.push('\n');
    }
    if let Some(fatal) = &report.fatal {
        md.push_str(&format!("**Stopped:** {}\n\n", md_text(fatal)));
    }
    if report.skip == Some(SkipReason::NoToken) {
        md.push_str(
            "To store them: give the step a token that can write secrets \
             (`token: ${{ secrets.PAT_TOKEN }}`) and re-run the workflow, \
             or run `secret-refresh set` from a terminal.\n\n",
        );
    }
    if !report.rows.is_empty() {
        md.push_str("| Secret | Target | Result |\n| --- | --- | --- |\n");
        // Room for the closing line.
        let budget = MAX_SUMMARY_BYTES.saturating_sub(256);
        for (i, r) in report.rows.iter().enumerate() {
            let line = format!(
                "| `{}` | `{}` | {} |\n",
                md_cell(&r.secret),
                md_cell(&r.target),
                md_cell(&r.outcome.describe())
            );
            if md.len() + line.len() > budget {
                let left = report.rows.len() - i;
                md.push_str(&format!(
                    "\n{} left out: a step summary is limited to 1 MiB (the audit log and the \
                     log above have every row).\n",
                    Count("row", left)
                ));
                break;
            }
            md.push_str(&line);
        }
        md.push('\n');
    }
    md
}

/// The step outputs; `conflicted` only when `stored-at` was given.
pub fn outputs(report: &Report) -> Vec<(&'static str, String)> {
    let skipped = report.skip.is_some() && report.changed();
    let conflicted = report
        .prechecked
        .then(|| ("conflicted", json!(report.conflicted()).to_string()));
    let mut outputs = vec![
        ("changed", report.changed().to_string()),
        ("updated", json!(report.updated()).to_string()),
        ("updated-names", json!(report.updated_names()).to_string()),
        ("unchanged", json!(report.unchanged()).to_string()),
        ("skipped", skipped.to_string()),
        (
            "skip-reason",
            report
                .skip
                .filter(|_| skipped)
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
        ),
    ];
    outputs.extend(conflicted);
    outputs
}

/// A plain table for terminals and pipes: one row per secret and target.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!(
                    "{c:<w$}  ",
                    w = widths.get(i).copied().unwrap_or(0)
                ));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(headers.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// The report as a plain table.
pub fn text(report: &Report) -> String {
    let rows: Vec<Vec<String>> = report
        .rows
        .iter()
        .map(|r| vec![r.secret.clone(), r.target.clone(), r.outcome.describe()])
        .collect();
    let mut s = String::new();
    if !rows.is_empty() {
        s.push_str(&table(&["SECRET", "TARGET", "RESULT"], &rows));
    }
    s
}

/// A duration as an estimate is read: `40 s`, `6 min`, `2 h 1 min` (rounded up: whole seconds
/// below a minute, whole minutes from there).
pub fn approx_duration(d: std::time::Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    if secs < 60 {
        return format!("{secs} s");
    }
    match (secs.div_ceil(60) / 60, secs.div_ceil(60) % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// What is said before writing when the writes will outlast an hour under GitHub's limits on
/// content-creating requests (`floor`: the pacing alone, the least they can take), as (title,
/// message); `None` for a shorter run. `action`: said in a workflow, whose step and job time
/// out. `app`: the run writes with a GitHub App's installation token, which expires an hour
/// after it is minted and is not renewed during a run ([`APP_TOKEN_HOUR`]).
pub fn long_run(
    writes: usize,
    floor: std::time::Duration,
    action: bool,
    app: bool,
) -> Option<(&'static str, String)> {
    long_run_of(Count("write", writes).to_string(), floor, action, app)
}

/// [`long_run`] for requests counted in other words (`501 deletes`), on the command line.
pub fn long_run_of(
    what: String,
    floor: std::time::Duration,
    action: bool,
    app: bool,
) -> Option<(&'static str, String)> {
    if floor < crate::pacing::LONG_RUN {
        return None;
    }
    let rules = crate::pacing::GITHUB;
    let pause = match rules.pause.as_millis() {
        1000 => "a second".to_owned(),
        ms => format!("{ms} ms"),
    };
    let kept = List::and(std::iter::once(format!("{pause} between writes")).chain(
        rules.windows.iter().map(|w| match w.length.as_secs() {
            60 => format!("{} a minute", w.limit),
            3600 => format!("{} an hour", w.limit),
            s => format!("{} per {s} s", w.limit),
        }),
    ));
    let why = format!(
        "{what} will take at least {}: secret-refresh keeps to GitHub's rules for \
         content-creating requests ({})",
        approx_duration(floor),
        kept
    );
    let token = if app { APP_TOKEN_HOUR } else { "" };
    Some(if action {
        (
            "run longer than an hour",
            format!(
                "{why}; the step's `timeout-minutes` and the job's (360 minutes unless set) must \
                 allow it{token}"
            ),
        )
    } else {
        (
            "long run",
            format!("{why}; if it is interrupted, running the same command again is safe{token}"),
        )
    })
}

/// Added to [`long_run`]'s message for a run that writes as a GitHub App. The installation
/// token is minted once, when the run starts, and GitHub expires it an hour later; the run does
/// not mint another (the client that writes holds one token, and its pacer, for the whole run;
/// swapping both mid-run is more machinery than this needs), so a run paced past the hour would
/// meet 401 on its later writes. It is said up front, with what happens then and how to avoid
/// it, rather than refused: the first hour's writes are good, and a rerun (a new token)
/// finishes the rest safely.
pub const APP_TOKEN_HOUR: &str = ". The GitHub App's installation token expires an hour after \
     it is minted and this run does not mint another: at the first write after that hour GitHub \
     answers 401, the run stops there and the report names what was not written; running again \
     mints a new token and finishes the rest. To finish in one run, split the targets into runs of at most 500 \
     writes, or write with a token instead of the app";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_summary_is_cut_with_a_count_of_what_was_left_out() {
        // A run of its own: every cell is redacted against this run's secrets (none), not
        // against everything other unit tests registered with the process.
        let _run = crate::env::Scope::bind(
            crate::env::Env::default(),
            Box::new(Vec::new()),
            Box::new(Vec::new()),
        );
        let rows: Vec<Row> = (0..30_000)
            .map(|i| Row {
                secret: format!("SECRET_{i}"),
                target: "acme/api".into(),
                resolved: None,
                outcome: Outcome::WouldWrite,
                key_id: None,
                hint: None,
            })
            .collect();
        let report = Report {
            rows,
            skip: Some(SkipReason::DryRun),
            ..Report::default()
        };
        let md = summary(&report, &[]);
        assert!(md.len() <= MAX_SUMMARY_BYTES, "{}", md.len());
        let shown = md.lines().filter(|l| l.starts_with("| `SECRET_")).count();
        assert!(shown > 10_000 && shown < 30_000, "{shown}");
        assert!(
            md.contains(&format!(
                "\n{} rows left out: a step summary is limited to 1 MiB",
                30_000 - shown
            )),
            "{}",
            &md[md.len() - 300..]
        );
        // A small report is whole.
        let small = Report {
            rows: report.rows[..3].to_vec(),
            ..Report::default()
        };
        assert!(!summary(&small, &[]).contains("left out"));
    }

    #[test]
    fn parses_github_expiry() {
        let at = parse_expiry("2099-12-01 00:00:00 UTC").expect("parse");
        assert_eq!(at.year(), 2099);
        assert!(parse_expiry("2099-12-01 00:00:00 +0100").is_some());
        assert!(parse_expiry("soon").is_none());
    }

    /// A table: days left → the warning (title and message), or none; an expired token says it
    /// expired, when, and how to rotate, never "expires … (already expired)".
    #[test]
    fn the_expiry_warning_says_expired_when_it_has() {
        let now = time::macros::datetime!(2030-06-15 12:00 UTC);
        let cases: &[(&str, Option<(&str, &str)>)] = &[
            ("2030-07-15 12:00:00 UTC", None),
            (
                "2030-06-18 12:00:00 UTC",
                Some((
                    "token expires soon",
                    "the token expires 2030-06-18 12:00:00 UTC (in 3 days); before then, ",
                )),
            ),
            (
                "2030-06-15 11:00:00 UTC",
                Some((
                    "token expired",
                    "the token expired on 2030-06-15 11:00:00 UTC: GitHub refuses it from then \
                     on; ",
                )),
            ),
        ];
        for (expiry, want) in cases {
            let got = expiry_warning("the token", Some(expiry), now, 14);
            match (want, &got) {
                (None, None) => {}
                (Some((title, start)), Some((t, message))) => {
                    assert_eq!(t, title, "{expiry}");
                    assert!(message.starts_with(start), "{expiry}: {message}");
                    assert!(
                        message.ends_with(HOW_TO_ROTATE) && !message.contains("already expired"),
                        "{message}"
                    );
                }
                _ => panic!("{expiry}: {got:?}"),
            }
        }
    }

    /// The test states its own "now": exact days, whatever the day it runs.
    #[test]
    fn days_left_count_from_the_given_now_and_round_down() {
        let now = time::macros::datetime!(2099-11-28 12:00:00 UTC);
        let left = |expiry: &str| expiry_days_left(Some(expiry), now);
        assert_eq!(left("2099-12-01 00:00:00 UTC"), Some(2));
        assert_eq!(left("2099-11-29 12:00:00 UTC"), Some(1));
        assert_eq!(left("2099-11-29 11:59:59 UTC"), Some(0));
        assert_eq!(left("2099-11-28 12:00:00 UTC"), Some(0));
        assert_eq!(left("2099-11-28 13:00:00 +0100"), Some(0));
        // Passed, even by a second or a few hours, is expired, never "in 0 days".
        assert_eq!(left("2099-11-28 11:59:59 UTC"), Some(-1));
        assert_eq!(left("2099-11-28 02:00:00 UTC"), Some(-1));
        assert_eq!(left("2099-11-26 12:00:00 UTC"), Some(-2));
        assert_eq!(expiry_days_left(None, now), None);
        assert_eq!(left("soon"), None);
    }
    #[test]
    fn durations_read_as_estimates() {
        use std::time::Duration;
        let cases = [
            (Duration::ZERO, "0 s"),
            (Duration::from_millis(1500), "2 s"),
            (Duration::from_secs(59), "59 s"),
            (Duration::from_secs(60), "1 min"),
            (Duration::from_secs(61), "2 min"),
            (Duration::from_secs(3600), "1 h"),
            (Duration::from_secs(7260), "2 h 1 min"),
        ];
        for (d, text) in cases {
            assert_eq!(approx_duration(d), text, "{d:?}");
        }
    }

    #[test]
    fn only_a_run_over_an_hour_is_announced() {
        let hour = crate::pacing::LONG_RUN;
        assert_eq!(
            long_run(500, hour - std::time::Duration::from_secs(1), true, true),
            None
        );
        let (title, cli) = long_run(501, hour, false, false).expect("an hour");
        assert_eq!(title, "long run");
        assert!(
            cli.starts_with("501 writes will take at least 1 h: "),
            "{cli}"
        );
        assert!(
            cli.contains("(a second between writes, 80 a minute and 500 an hour)"),
            "{cli}"
        );
        let (_, action) = long_run(501, hour, true, false).expect("an hour");
        assert!(action.contains("`timeout-minutes`"), "{action}");
        assert!(!action.contains("installation token"), "{action}");
        // Written as a GitHub App, both also say that its token will not last the run.
        for action in [false, true] {
            let (_, app) = long_run(501, hour, action, true).expect("an hour");
            assert!(app.ends_with(APP_TOKEN_HOUR), "{app}");
        }
        assert_eq!(long_run(500, hour / 2, true, true), None);
    }
}
