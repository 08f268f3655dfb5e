//! Turns a [`Report`] into what people and the runner read: lines and annotations, the step
//! summary, the outputs, the audit log. Nothing here ever holds a value.

use std::io::Write;
use std::path::Path;

use serde_json::json;
use time::OffsetDateTime;

use crate::config::Config;
use crate::engine::{Outcome, Report, SkipReason};
use crate::output::Reporter;

/// Lines and annotations for the log. `now` is the caller's clock (the token-expiry warning).
pub fn print(report: &Report, config: &Config, reporter: &mut Reporter, now: OffsetDateTime) {
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
    if let Some(days) = expiry_days_left(report.token_expiry.as_deref(), now) {
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
    OffsetDateTime::parse(&normalized, fmt).ok()
}

/// One sentence saying what happened.
pub fn headline(report: &Report) -> String {
    let changed = report.not_written();
    let unchanged = report.unchanged().len();
    let targets = report.targets.len();
    let t = plural(targets, "target", "targets");
    let acted = report
        .rows
        .iter()
        .any(|r| !matches!(r.outcome, Outcome::Unchanged));
    let audit_log = report.resumable;
    match report.skip {
        _ if changed == 0 && !acted && report.fatal.is_none() => format!(
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
            let written: Vec<&crate::engine::Row> = report
                .rows
                .iter()
                .filter(|r| r.outcome.is_written())
                .collect();
            let failed = count(report, |o| matches!(o, Outcome::Failed(_)));
            let skipped = count(report, |o| matches!(o, Outcome::NotAttempted));
            let already = count(report, |o| matches!(o, Outcome::AlreadyWritten));
            let mut s = if targets > 1 {
                let names: std::collections::BTreeSet<&str> =
                    written.iter().map(|r| r.secret.as_str()).collect();
                let reached: std::collections::BTreeSet<&str> =
                    written.iter().map(|r| r.target.as_str()).collect();
                let of = if reached.len() == targets {
                    t.clone()
                } else {
                    format!("{} of {targets} targets", reached.len())
                };
                format!(
                    "Wrote {} to {of} ({}) with {} to GitHub",
                    plural(names.len(), "secret", "secrets"),
                    plural(written.len(), "write", "writes"),
                    plural(report.requests as usize, "request", "requests"),
                )
            } else {
                format!(
                    "Wrote {} to {t} with {} to GitHub",
                    plural(written.len(), "secret", "secrets"),
                    plural(report.requests as usize, "request", "requests"),
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
                    plural(already, "was already written", "were already written")
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

/// The result text of a pair an earlier attempt of the same run wrote.
pub const ALREADY_WRITTEN: &str = "already written by an earlier attempt of this run";

/// What earlier attempts of the same workflow run (same `run_id`: a re-run keeps it) recorded in
/// the audit log, per secret and target: the latest record wins. It lets a re-run after a partial
/// failure finish the job without rewriting what is done. Values are never in the log, so the
/// ledger trusts the premise of a re-run: the same inputs.
#[derive(Debug, Default)]
pub struct Ledger {
    /// (upper-cased secret, target) → key id of the write.
    written: std::collections::HashMap<(String, String), Option<String>>,
    /// Pairs whose latest record is a failure or "not attempted".
    missing: std::collections::HashSet<(String, String)>,
}

impl Ledger {
    /// The ledger of this run's audit log; empty without `audit-log`, a run id or the file.
    pub fn read(config: &Config) -> Ledger {
        let run_id = config.context.run_id.trim();
        match &config.audit_log {
            Some(path) if !run_id.is_empty() => std::fs::read_to_string(path)
                .map(|text| Ledger::parse(&text, run_id))
                .unwrap_or_default(),
            _ => Ledger::default(),
        }
    }

    /// Reads the records of `run_id`; lines that are not records are ignored.
    pub fn parse(text: &str, run_id: &str) -> Ledger {
        let mut ledger = Ledger::default();
        for line in text.lines() {
            let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if record["run_id"].as_str() != Some(run_id) {
                continue;
            }
            let (Some(secret), Some(target), Some(action)) = (
                record["secret"].as_str(),
                record["target"].as_str(),
                record["action"].as_str(),
            ) else {
                continue;
            };
            let result = record["result"].as_str().unwrap_or_default();
            let key = (secret.to_ascii_uppercase(), target.to_owned());
            let written = match action {
                "secret.create" | "secret.update" => true,
                "secret.unchanged" if result == ALREADY_WRITTEN => true,
                "secret.fail" => false,
                "secret.skip" if result.starts_with("not attempted") => false,
                // Unchanged per `current`, dry runs, skips: no news about the pair.
                _ => continue,
            };
            if written {
                ledger.missing.remove(&key);
                let key_id = record["key_id"].as_str().map(str::to_owned);
                ledger.written.insert(key, key_id);
            } else {
                ledger.written.remove(&key);
                ledger.missing.insert(key);
            }
        }
        ledger
    }

    /// The key id of an earlier write of `secret` to `target`. It counts only while the run is
    /// unfinished (see [`Ledger::unfinished`]): after a finished run, a later attempt is a fresh
    /// refresh and writes everything that changed.
    pub fn written(&self, secret: &str, target: &str) -> Option<Option<String>> {
        self.written
            .get(&(secret.to_ascii_uppercase(), target.to_owned()))
            .cloned()
    }

    /// Did an earlier attempt fail to write `secret` to `target`?
    pub fn missing(&self, secret: &str, target: &str) -> bool {
        self.missing
            .contains(&(secret.to_ascii_uppercase(), target.to_owned()))
    }

    /// Does some pair of these secrets and targets still miss its value?
    pub fn unfinished<'a>(
        &self,
        secrets: impl IntoIterator<Item = &'a str>,
        targets: &[&str],
    ) -> bool {
        secrets
            .into_iter()
            .any(|s| targets.iter().any(|t| self.missing(s, t)))
    }

    /// Does some target still miss `secret`?
    pub fn has_missing(&self, secret: &str) -> bool {
        let secret = secret.to_ascii_uppercase();
        self.missing.iter().any(|(s, _)| *s == secret)
    }
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
    fn ledger_keeps_the_latest_record_of_this_run_per_pair() {
        let line = |run: &str, action: &str, secret: &str, target: &str, result: &str| {
            json!({"run_id": run, "action": action, "secret": secret, "target": target,
                   "key_id": "k1", "result": result})
            .to_string()
        };
        let text = [
            line("41", "secret.fail", "A", "acme/x", "failed: other run"),
            line("42", "secret.create", "A", "acme/api", "created"),
            line(
                "42",
                "secret.fail",
                "A",
                "acme/b",
                "failed: GitHub answered 500",
            ),
            line(
                "42",
                "secret.skip",
                "B",
                "acme/b",
                "not attempted (stopped by an earlier failure)",
            ),
            line("42", "secret.unchanged", "C", "acme/b", "unchanged"),
            "not json".to_owned(),
            line("42", "secret.unchanged", "a", "acme/api", ALREADY_WRITTEN),
        ]
        .join("\n");
        let l = Ledger::parse(&text, "42");
        assert_eq!(l.written("A", "acme/api"), Some(Some("k1".into())));
        assert_eq!(l.written("A", "acme/b"), None);
        assert!(l.missing("a", "acme/b") && l.missing("B", "acme/b"));
        assert!(!l.missing("A", "acme/x"), "another run's record");
        assert!(!l.missing("C", "acme/b") && !l.has_missing("C"));
        assert!(l.unfinished(["A"], &["acme/api", "acme/b"]));
        assert!(!l.unfinished(["A", "B"], &["acme/api"]));
        // A later success clears the pair.
        let text = format!(
            "{text}\n{}",
            line("42", "secret.update", "A", "acme/b", "updated")
        );
        assert!(!Ledger::parse(&text, "42").missing("A", "acme/b"));
    }

    #[test]
    fn parses_github_expiry() {
        let at = parse_expiry("2099-12-01 00:00:00 UTC").expect("parse");
        assert_eq!(at.year(), 2099);
        assert!(parse_expiry("2099-12-01 00:00:00 +0100").is_some());
        assert!(parse_expiry("soon").is_none());
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
}
