//! Turns a [`Report`] into what people and the runner read: lines and annotations, the step
//! summary, the outputs, the audit log. Nothing here ever holds a value.

use std::io::Write;
use std::path::Path;

use serde_json::json;

use crate::config::Config;
use crate::engine::{Outcome, Report, SkipReason};
use crate::output::Reporter;

/// Lines and annotations for the log.
pub fn print(report: &Report, config: &Config, reporter: &mut Reporter) {
    for w in &config.warnings {
        reporter.warning("secret-refresh", w);
    }
    if let Some(fatal) = &report.fatal {
        reporter.error("secret-refresh", fatal);
    }
    if report.skip == Some(SkipReason::Event) {
        reporter.warning(
            "writes refused on pull_request_target",
            "pull_request_target runs with this repository's secrets next to code a pull request \
             controls, so secret-refresh writes nothing on it; set `allow-pull-request-target: \
             true` only if the job never runs code from the pull request",
        );
    }
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
            _ => {}
        }
    }
    if let Some(days) = expiry_days_left(report.token_expiry.as_deref()) {
        if days < i64::from(config.token_expiry_warning_days) {
            let when = report.token_expiry.as_deref().unwrap_or_default();
            reporter.warning(
                "token expires soon",
                &format!(
                    "the token expires {when} ({}); rotate it before then",
                    if days < 0 {
                        "already expired".to_owned()
                    } else {
                        format!("in {days} days")
                    }
                ),
            );
        }
    }
    if !reporter.is_action() {
        reporter.raw(&text(report));
    }
    reporter.info(&headline(report));
}

/// Days until an expiry as GitHub writes it (`2026-12-01 00:00:00 UTC`), rounded down.
pub fn expiry_days_left(expiry: Option<&str>) -> Option<i64> {
    let at = parse_expiry(expiry?)?;
    let now = time::OffsetDateTime::now_utc();
    Some((at - now).whole_days())
}

pub fn parse_expiry(s: &str) -> Option<time::OffsetDateTime> {
    let s = s.trim();
    let fmt = time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    let normalized = s
        .strip_suffix(" UTC")
        .map(|d| format!("{d} +0000"))
        .unwrap_or_else(|| s.to_owned());
    time::OffsetDateTime::parse(&normalized, fmt).ok()
}

/// One sentence saying what happened.
pub fn headline(report: &Report) -> String {
    let changed = report.not_written();
    let unchanged = report.unchanged().len();
    let targets = report.targets.len();
    let t = plural(targets, "target", "targets");
    match report.skip {
        _ if changed == 0 => format!(
            "Nothing to write: {} equal to the stored {}. No request was made.",
            plural(unchanged, "secret is", "secrets are"),
            if unchanged == 1 { "value" } else { "values" }
        ),
        Some(SkipReason::NoToken) => format!(
            "{} changed but not written: no token was given (set `token` to write them).",
            plural(changed, "secret", "secrets")
        ),
        Some(SkipReason::DryRun) => format!(
            "Dry run: {} would be written to {t}; nothing was written.",
            plural(changed, "secret", "secrets")
        ),
        Some(SkipReason::Event) => format!(
            "{} changed but not written: writes are refused on pull_request_target events.",
            plural(changed, "secret", "secrets")
        ),
        None => {
            let written = report
                .rows
                .iter()
                .filter(|r| r.outcome.is_written())
                .count();
            let failed = count(report, |o| matches!(o, Outcome::Failed(_)));
            let skipped = count(report, |o| matches!(o, Outcome::NotAttempted));
            let mut s = format!(
                "Wrote {} to {t} with {} to GitHub",
                plural(written, "secret", "secrets"),
                plural(report.requests as usize, "request", "requests"),
            );
            if report.retries > 0 {
                s.push_str(&format!(" ({} retried)", report.retries));
            }
            s.push('.');
            if failed + skipped > 0 || report.fatal.is_some() {
                s.push_str(&format!(
                    " {failed} failed, {skipped} not attempted: a rerun with the same inputs writes only what is missing."
                ));
            }
            s
        }
    }
}

fn count(report: &Report, f: impl Fn(&Outcome) -> bool) -> usize {
    report.rows.iter().filter(|r| f(&r.outcome)).count()
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The markdown step summary.
pub fn summary(report: &Report) -> String {
    let mut md = String::from("### Secret refresh\n\n");
    md.push_str(&headline(report));
    md.push_str("\n\n");
    if let Some(fatal) = &report.fatal {
        md.push_str(&format!("**Stopped:** {}\n\n", cell(fatal)));
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
        for r in &report.rows {
            md.push_str(&format!(
                "| `{}` | `{}` | {} |\n",
                cell(&r.secret),
                cell(&r.target),
                cell(&r.outcome.describe())
            ));
        }
        md.push('\n');
    }
    md
}

/// Table cells: no line breaks, no column separators.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The step outputs.
pub fn outputs(report: &Report) -> Vec<(&'static str, String)> {
    let skipped = report.skip.is_some() && report.changed();
    vec![
        ("changed", report.changed().to_string()),
        ("updated", json!(report.updated()).to_string()),
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
    ]
}

/// Appends one JSON Lines record per secret decision. Never a value, nor a hash of one.
pub fn write_audit(path: &Path, report: &Report, config: &Config) -> std::io::Result<()> {
    let now = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut text = String::new();
    for r in &report.rows {
        let record = json!({
            "time": now,
            "action": r.outcome.audit_action(),
            "secret": r.secret,
            "target": r.target,
            "target_type": r.resolved.as_ref().map(|t| t.kind()),
            "app": r.resolved.as_ref().map(|t| t.app().as_str()),
            "repository": r.resolved.as_ref().and_then(|t| t.repo()).map(|r| r.to_string()),
            "actor": non_empty(&config.context.actor),
            "run_id": non_empty(&config.context.run_id),
            "key_id": r.key_id,
            "result": r.outcome.describe(),
        });
        text.push_str(&record.to_string());
        text.push('\n');
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
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
                s.push_str(&format!("{c:<w$}  ", w = widths[i]));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_github_expiry() {
        let at = parse_expiry("2026-12-01 00:00:00 UTC").expect("parse");
        assert_eq!(at.year(), 2026);
        assert!(parse_expiry("2026-12-01 00:00:00 +0100").is_some());
        assert!(parse_expiry("soon").is_none());
    }
}
