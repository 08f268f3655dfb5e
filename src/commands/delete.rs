//! `secret-refresh delete NAME...`: off-boarding and clean-up. The same targets as `set`
//! (`--repo`, `--repos-file`, `--env`, `--org`, `--app`), resolved by the same [`TargetArgs`].
//!
//! The plan is printed first; on a terminal it is confirmed by typing `yes` (`--yes` skips the
//! question; without a terminal `--yes` is required, else nothing is sent). `--dry-run` prints
//! the plan and sends nothing. Deletes are serial and paced like writes; a secret already absent
//! is not a failure (a 404 is told apart from a target the token cannot see by reading the
//! target's public key, once, only then); the first failure stops the run, and the report names
//! what was deleted, what failed, what was not tried, and the command that finishes the rest.
//! Running it again is safe. After SIGINT/SIGTERM no delete starts; the report is printed and
//! the exit code is 130/143. The action has no delete.

use std::path::PathBuf;

use clap::Args;

use super::options::AppArgs;
use super::words::{Diagnosis, Rerun};
use super::{Credential, Error, Style, TargetArgs, Tone};
use crate::config::names::SecretName;
use crate::github::endpoints::{self, Deleted};
use crate::github::{ApiError, Client, Policy};
use crate::output::words::{Count, List};
use crate::report::outcome::OutcomeCode;
use crate::secret::SecretValue;
use crate::target::Target;

#[derive(Args, Debug)]
pub struct DeleteArgs {
    /// Secret names to delete from every target.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Delete without asking for confirmation (required when there is no terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Print the plan; send nothing (no request is made, no token is needed).
    #[arg(long)]
    pub dry_run: bool,
    /// Append one JSON line per secret and target to this file (below the current directory).
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    #[command(flatten)]
    pub github_app: AppArgs,
}

pub const AFTER_HELP: &str = "\
The plan (every secret in every target) is printed first. On a terminal you confirm it by
typing `yes`; --yes skips the question, and without a terminal --yes is required (else nothing
is sent). --dry-run prints the plan and sends no request at all.

A secret that is already absent is not a failure: it is reported as \"already absent\" (the
target's public key is read once to tell it from a target the token cannot see). The run stops
at the first failure and prints what was deleted, what failed, what was not tried, and the
command that finishes the rest; running the whole command again is safe too. The token comes
from GH_TOKEN, else GITHUB_TOKEN, else `gh auth token`, else a hidden prompt; with --app-id
and --app-key-file, the GitHub App's installation token (the same write permission as `set`).

Examples:
  secret-refresh delete OLD_PAT --repo acme/api --repo acme/web
  secret-refresh delete OLD_PAT LEGACY_KEY --repos-file repos.txt --dry-run
  secret-refresh delete DEPLOY_KEY --repo acme/api --env production --yes
  secret-refresh delete OLD_PAT --org acme --app dependabot --yes --audit-log delete.jsonl

Exit codes: 0 every secret is gone (deleted or already absent), 1 a delete failed, 2 usage or
input error, or no terminal and no --yes (nothing was sent), 130/143 cancelled by a signal.";

/// What happened to one secret in one target.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Fate {
    Deleted,
    AlreadyAbsent,
    Failed(Diagnosis),
    NotTried,
    Cancelled,
}

impl Fate {
    fn gone(&self) -> bool {
        matches!(self, Fate::Deleted | Fate::AlreadyAbsent)
    }

    fn text(&self) -> &'static str {
        match self {
            Fate::Deleted => "deleted",
            Fate::AlreadyAbsent => "already absent",
            Fate::Failed(..) => "failed",
            Fate::NotTried => "not tried",
            Fate::Cancelled => "not tried: cancelled",
        }
    }

    fn code(&self) -> OutcomeCode {
        match self {
            Fate::Deleted => OutcomeCode::Deleted,
            Fate::AlreadyAbsent => OutcomeCode::AlreadyAbsent,
            Fate::Failed(..) => OutcomeCode::Failed,
            Fate::NotTried => OutcomeCode::NotAttempted,
            Fate::Cancelled => OutcomeCode::Cancelled,
        }
    }
}

/// One secret in one target, and what became of it.
struct DeleteRow {
    secret: String,
    target: Target,
    result: Fate,
}

pub fn run(args: DeleteArgs) -> Result<(), Error> {
    let names = SecretName::parse_unique(&args.names).map_err(Error::usage)?;
    let specs = args.targets.specs().map_err(Error::usage)?;
    let api_url = super::api_url(args.api_url.as_deref())
        .map_err(Error::usage)?
        .to_string();
    // Patterns are resolved (with the credential) before the plan is shown or asked about.
    let (targets, found) = super::patterns::targets_and_credential(
        &args.targets,
        specs,
        &args.github_app,
        true,
        &api_url,
        NOTHING_DELETED,
    )?;
    let style = Style::stdout();
    let plan = plan_text(style, &names, &targets);
    if args.dry_run {
        dry_run(&plan, found.is_some());
        return Ok(());
    }
    if !args.yes && !super::confirm::terminal() {
        return Err(Error::usage(DeleteError::NoTerminal));
    }
    let credential =
        match found.map_or_else(|| Credential::find(&args.github_app, true, &api_url), Ok) {
            Ok(c) => c,
            Err(e) => return Err(Error::usage_then(e, NOTHING_DELETED)),
        };
    super::print(&plan);
    if !args.yes {
        match confirm(names.len() * targets.len()) {
            Ok(true) => {}
            Ok(false) => return Err(Error::usage(DeleteError::NotConfirmed)),
            Err(e) => return Err(Error::usage_then(e, NOTHING_DELETED)),
        }
    }
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let config = super::config(&args.targets, &targets, None, credential.auth(), &api_url);
    let session = match runtime.block_on(crate::auth::app::open(
        &config,
        Policy::from_env(),
        &mut |t: &SecretValue| crate::output::redact::know_token(t),
    )) {
        Ok(s) => s,
        Err(e) => return Err(Error::usage_then(e.error, NOTHING_DELETED)),
    };
    // Deletes are content-creating requests, paced like writes: a run past the hour says so
    // before the first one (as `set` and `rotate` do).
    let deletes = names.len() * targets.len();
    if let Some((title, message)) = crate::report::long_run_of(
        Count("delete", deletes).to_string(),
        session.client.pacing().floor(deletes),
        false,
        session.is_app(),
    ) {
        crate::output::reporter::Reporter::stdio(super::options::human_mode())
            .notice(title, &message);
    }
    let rows = runtime.block_on(delete_all(&session.client, &names, &targets, &credential));
    let closed = runtime.block_on(session.close());
    let requests = session.client.requests();
    // A signal's exit code (130/143) is decided by the caller, from `cancel`.
    report(
        &args,
        style,
        &rows,
        &targets,
        requests,
        closed.err().map(|e| e.to_string()),
    )
}

/// `--dry-run`: the plan, and that nothing was deleted; only a pattern's listing was read
/// (`listed`), else no request was made.
fn dry_run(plan: &str, listed: bool) {
    let requests = if listed {
        " (only the patterns' listings were read)"
    } else {
        " and no request was made"
    };
    super::print(&format!("{plan}Dry run: nothing was deleted{requests}.\n"));
}

/// The plan: each target and the secrets deleted from it.
fn plan_text(style: Style, names: &[SecretName], targets: &[Target]) -> String {
    let list = List::comma(names.iter().map(SecretName::as_str));
    let rows: Vec<(Vec<String>, Tone)> = targets
        .iter()
        .map(|t| (vec![t.to_string(), format!("delete {list}")], Tone::Plain))
        .collect();
    let n = names.len() * targets.len();
    format!(
        "{}Plan: delete {} from {}.\n",
        super::table(style, &["TARGET", "ACTION"], &rows),
        Count("secret", n),
        Count("target", targets.len()),
    )
}

/// What an input error means for `delete`.
const NOTHING_DELETED: &str = "; nothing was deleted";

/// Why `delete` does not go on: it must be confirmed.
#[derive(Debug, thiserror::Error)]
pub enum DeleteError {
    /// No terminal to ask on, and no `--yes`.
    #[error(
        "delete asks for confirmation on a terminal; without one, give --yes; nothing was sent"
    )]
    NoTerminal,
    /// The answer was not `yes`.
    #[error("not confirmed: nothing was deleted")]
    NotConfirmed,
}

/// Asks on the terminal; only `yes` goes on.
fn confirm(n: usize) -> Result<bool, super::confirm::ConfirmError> {
    super::confirm::ask(
        &format!(
            "Delete {}? This cannot be undone. Type yes to go on: ",
            Count("secret", n)
        ),
        &["yes"],
    )
}

/// Deletes serially, stopping at the first failure or a signal.
async fn delete_all(
    client: &Client,
    names: &[SecretName],
    targets: &[Target],
    credential: &Credential,
) -> Vec<DeleteRow> {
    let mut rows = Vec::new();
    let mut stopped: Option<Fate> = None;
    for target in targets {
        // Whether the token can see this target, learnt on its first 404.
        let mut visible: Option<Result<(), Diagnosis>> = None;
        for name in names {
            let secret = name.as_str().to_owned();
            if let Some(rest) = &stopped {
                rows.push(DeleteRow {
                    secret,
                    target: target.clone(),
                    result: rest.clone(),
                });
                continue;
            }
            if crate::cancel::requested().is_some() {
                stopped = Some(Fate::Cancelled);
                rows.push(DeleteRow {
                    secret,
                    target: target.clone(),
                    result: Fate::Cancelled,
                });
                continue;
            }
            let answer =
                crate::cancel::or_abandon(endpoints::delete_secret(client, target, &secret)).await;
            let result = match answer {
                Err(_signal) => {
                    stopped = Some(Fate::Cancelled);
                    Fate::Failed(Diagnosis::new(
                        "cancelled while the delete was in flight: it may or may not have \
                         happened",
                        "run the same command again (a secret already gone is reported as \
                         already absent)",
                    ))
                }
                // A signal while it waited for GitHub's rate limits: it was never sent.
                Ok(Err(ApiError::NotSent { .. })) => {
                    stopped = Some(Fate::Cancelled);
                    Fate::Cancelled
                }
                Ok(Ok(Deleted::Removed)) => Fate::Deleted,
                Ok(Ok(Deleted::NotFound)) => {
                    if visible.is_none() {
                        visible = Some(can_see(client, target, credential).await);
                    }
                    match &visible {
                        Some(Err(d)) => Fate::Failed(d.clone()),
                        _ => Fate::AlreadyAbsent,
                    }
                }
                Ok(Err(e)) => Fate::Failed(diagnose(&e, target, credential)),
            };
            if matches!(result, Fate::Failed(..)) && stopped.is_none() {
                stopped = Some(Fate::NotTried);
            }
            rows.push(DeleteRow {
                secret,
                target: target.clone(),
                result,
            });
        }
    }
    rows
}

/// After a 404: the target's public key tells "no such secret" (readable) from "the token
/// cannot see this target" (GitHub answers 404 for both).
async fn can_see(
    client: &Client,
    target: &Target,
    credential: &Credential,
) -> Result<(), Diagnosis> {
    match endpoints::public_key(client, target).await {
        Ok(_) => Ok(()),
        Err(e) => Err(diagnose(&e, target, credential)),
    }
}

/// A cause and its fix for an error of `target`.
fn diagnose(e: &ApiError, target: &Target, credential: &Credential) -> Diagnosis {
    match e {
        ApiError::Unauthorized { .. } => {
            Diagnosis::new(e.to_string(), credential.unauthorized_fix())
        }
        e if e.is_refusal() => Diagnosis::new(
            match e.refused_status() {
                Some(status) => format!(
                    "GitHub answered {status}: the token cannot delete the secrets of \
                     {target}{}",
                    e.server_message()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                ),
                None => e.to_string(),
            },
            credential.permission_hint(target),
        ),
        e => Diagnosis::new(e.to_string(), super::words::unanswered_fix(e)),
    }
}

/// Reports the run: failures (and a failed revocation) as errors, the audit log, the results
/// table, then either the closing line or what was not done and the command that finishes it.
fn report(
    args: &DeleteArgs,
    style: Style,
    rows: &[DeleteRow],
    targets: &[Target],
    requests: u64,
    revoke_error: Option<String>,
) -> Result<(), Error> {
    let mut err = crate::output::reporter::Reporter::stdio(super::options::human_mode());
    report_failures(&mut err, rows, revoke_error.as_deref());
    // A record that cannot be written fails the command, as it fails the action and `rotate`.
    let recorded = args
        .audit_log
        .as_deref()
        .is_none_or(|path| write_audit(&mut err, path, rows));
    err.flush();

    let mut out = results_table(style, rows);
    let req = Count("request", requests).to_string();
    let (done, remaining) = done_and_remaining(targets, rows);
    if remaining.is_empty() {
        out.push_str(&style.paint(&done_line(rows, targets.len(), &req), Tone::Good));
        super::print(&out);
        return if revoke_error.is_some() || !recorded {
            Err(Error::Reported)
        } else {
            Ok(())
        };
    }
    let cancelled = crate::cancel::requested();
    out.push_str(&style.paint(&stopped_line(cancelled, &req), Tone::Bad));
    out.push_str(&progress_lines(rows, &done, &remaining));
    let lead = if cancelled.is_some() {
        "Finish with"
    } else {
        "Fix the cause above, then finish with"
    };
    out.push_str(&resume_advice(args, &remaining, lead));
    super::print(&out);
    Err(Error::Reported)
}

/// Each failed delete, with its cause and fix, and a failed revocation, as errors.
fn report_failures(
    err: &mut crate::output::reporter::Reporter,
    rows: &[DeleteRow],
    revoke_error: Option<&str>,
) {
    for row in rows {
        if let Fate::Failed(Diagnosis { cause, fix }) = &row.result {
            err.error(
                "",
                &format!("{} in {}: {cause}\n  fix: {fix}", row.secret, row.target),
            );
        }
    }
    if let Some(e) = revoke_error {
        err.error("", e);
    }
}

/// Appends a record per row to `--audit-log`; `false` (said as an error) when the log cannot
/// be written.
fn write_audit(
    err: &mut crate::output::reporter::Reporter,
    path: &std::path::Path,
    rows: &[DeleteRow],
) -> bool {
    let actor = crate::env::var("USER").unwrap_or_default();
    let records = audit_records(rows, &actor, crate::env::now());
    let here = crate::env::working_dir().unwrap_or_else(|| PathBuf::from("."));
    match crate::audit::log::AuditLog::new(&here.join(path), &here).append(&records) {
        Ok(()) => true,
        Err(e) => {
            err.error(
                "",
                &format!(
                    "the audit log was not written: {e}\n  fix: give --audit-log a regular file \
                     inside the current directory; what was deleted stays deleted"
                ),
            );
            false
        }
    }
}

/// The audit records of the rows, a failure with its cause.
fn audit_records(
    rows: &[DeleteRow],
    actor: &str,
    now: time::OffsetDateTime,
) -> Vec<crate::audit::record::Record> {
    rows.iter()
        .map(|r| {
            let result = match &r.result {
                Fate::Failed(d) => format!("failed: {}", d.cause),
                other => other.text().to_owned(),
            };
            crate::audit::record::delete_record(
                &r.secret,
                &r.target,
                r.result.code(),
                &result,
                actor,
                now,
            )
        })
        .collect()
}

/// SECRET, TARGET, RESULT: one row per secret and target, coloured by its fate.
fn results_table(style: Style, rows: &[DeleteRow]) -> String {
    let table_rows: Vec<(Vec<String>, Tone)> = rows
        .iter()
        .map(|r| {
            let tone = match r.result {
                Fate::Deleted => Tone::Good,
                Fate::AlreadyAbsent => Tone::Plain,
                Fate::Failed(..) => Tone::Bad,
                _ => Tone::Warn,
            };
            (
                vec![
                    r.secret.clone(),
                    r.target.to_string(),
                    r.result.text().to_owned(),
                ],
                tone,
            )
        })
        .collect();
    super::table(style, &["SECRET", "TARGET", "RESULT"], &table_rows)
}

/// The targets whose every secret is gone, and the others, each in `targets`' order.
fn done_and_remaining<'a>(
    targets: &'a [Target],
    rows: &[DeleteRow],
) -> (Vec<&'a Target>, Vec<&'a Target>) {
    let done: Vec<&Target> = targets
        .iter()
        .filter(|t| {
            rows.iter()
                .filter(|r| &r.target == *t)
                .all(|r| r.result.gone())
        })
        .collect();
    let remaining: Vec<&Target> = targets.iter().filter(|t| !done.contains(t)).collect();
    (done, remaining)
}

/// "Done: 2 deleted, 1 already absent in 3 targets with 5 requests to GitHub."
fn done_line(rows: &[DeleteRow], targets: usize, req: &str) -> String {
    let deleted = rows.iter().filter(|r| r.result == Fate::Deleted).count();
    let absent = rows
        .iter()
        .filter(|r| r.result == Fate::AlreadyAbsent)
        .count();
    format!(
        "Done: {deleted} deleted{} in {} with {req} to GitHub.\n",
        if absent > 0 {
            format!(", {absent} already absent")
        } else {
            String::new()
        },
        Count("target", targets),
    )
}

/// Why the run ended before every target was done.
fn stopped_line(cancelled: Option<crate::cancel::Signal>, req: &str) -> String {
    match cancelled {
        Some(signal) => format!(
            "Cancelled by {} after {req} to GitHub: no delete started after it.\n",
            signal.name()
        ),
        None => format!("Stopped at the first failure after {req} to GitHub.\n"),
    }
}

/// The Done / Failed / Not tried lines of a run that stopped.
fn progress_lines(rows: &[DeleteRow], done: &[&Target], remaining: &[&Target]) -> String {
    let failed: Vec<&Target> = remaining
        .iter()
        .copied()
        .filter(|t| {
            rows.iter()
                .any(|r| &r.target == *t && matches!(r.result, Fate::Failed(..)))
        })
        .collect();
    let not_tried: Vec<&Target> = remaining
        .iter()
        .copied()
        .filter(|t| !failed.contains(t))
        .collect();
    format!(
        "Done ({}): {}\nFailed ({}): {}\nNot tried ({}): {}\n",
        done.len(),
        List::comma(done),
        failed.len(),
        List::comma(&failed),
        not_tried.len(),
        List::comma(&not_tried)
    )
}

/// The command that finishes the job: the same, for the targets not done yet.
fn resume_advice(args: &DeleteArgs, remaining: &[&Target], lead: &str) -> String {
    Rerun::new("delete")
        .args(&args.names)
        .targets(&args.targets, remaining, "The targets not done")
        .scope(&args.targets)
        .connection(args.api_url.as_deref(), &args.github_app)
        .path("--audit-log", args.audit_log.as_deref())
        .flag("--yes", args.yes)
        .advice(&format!(
            "{lead} (running the whole command again is safe too)"
        ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{App, Repo};

    fn target(name: &str) -> Target {
        Target::Repo {
            repo: Repo::parse(name).unwrap_or_else(|| panic!("{name}")),
            app: App::Actions,
        }
    }

    fn row(secret: &str, t: &Target, result: Fate) -> DeleteRow {
        DeleteRow {
            secret: secret.into(),
            target: t.clone(),
            result,
        }
    }

    fn failed() -> Fate {
        Fate::Failed(Diagnosis::new(
            "GitHub answered 403",
            "grant secrets: write",
        ))
    }

    #[test]
    fn a_target_is_done_when_every_secret_in_it_is_gone() {
        let (a, b, c) = (target("acme/a"), target("acme/b"), target("acme/c"));
        let targets = [a.clone(), b.clone(), c.clone()];
        let rows = [
            row("X", &a, Fate::Deleted),
            row("Y", &a, Fate::AlreadyAbsent),
            row("X", &b, Fate::Deleted),
            row("Y", &b, failed()),
            row("X", &c, Fate::NotTried),
        ];
        let (done, remaining) = done_and_remaining(&targets, &rows);
        assert_eq!(done, vec![&a]);
        assert_eq!(remaining, vec![&b, &c]);
        assert_eq!(
            progress_lines(&rows, &done, &remaining),
            "Done (1): acme/a\nFailed (1): acme/b\nNot tried (1): acme/c\n"
        );
    }

    #[test]
    fn progress_lines_say_none_for_an_empty_list() {
        let a = target("acme/a");
        let rows = [row("X", &a, Fate::Cancelled)];
        assert_eq!(
            progress_lines(&rows, &[], &[&a]),
            "Done (0): none\nFailed (0): none\nNot tried (1): acme/a\n"
        );
    }

    #[test]
    fn done_line_counts_deleted_and_absent_secrets() {
        let (a, b) = (target("acme/a"), target("acme/b"));
        let rows = [row("X", &a, Fate::Deleted), row("X", &b, Fate::Deleted)];
        assert_eq!(
            done_line(&rows, 2, "2 requests"),
            "Done: 2 deleted in 2 targets with 2 requests to GitHub.\n"
        );
        let rows = [row("X", &a, Fate::AlreadyAbsent)];
        assert_eq!(
            done_line(&rows, 1, "1 request"),
            "Done: 0 deleted, 1 already absent in 1 target with 1 request to GitHub.\n"
        );
    }

    #[test]
    fn stopped_line_says_why_the_run_ended() {
        assert_eq!(
            stopped_line(None, "3 requests"),
            "Stopped at the first failure after 3 requests to GitHub.\n"
        );
        assert_eq!(
            stopped_line(Some(crate::cancel::Signal::Interrupt), "1 request"),
            "Cancelled by SIGINT after 1 request to GitHub: no delete started after it.\n"
        );
    }

    #[test]
    fn results_table_and_audit_records_have_a_row_per_secret_and_target() {
        let a = target("acme/a");
        let rows = [row("X", &a, Fate::Deleted), row("Y", &a, failed())];
        let table = results_table(Style { color: false }, &rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 3, "{table}");
        assert!(lines[0].starts_with("SECRET"), "{table}");
        assert!(
            lines[2].contains("acme/a") && lines[2].ends_with("failed"),
            "{table}"
        );

        let now = time::macros::datetime!(2099-06-01 12:00:00 UTC);
        let records = audit_records(&rows, "ops", now);
        assert_eq!(records.len(), 2);
        assert_eq!(records[0].outcome, OutcomeCode::Deleted);
        assert_eq!(records[1].outcome, OutcomeCode::Failed);
        assert_eq!(records[1].result, "failed: GitHub answered 403");
        assert_eq!(records[1].time, "2099-06-01T12:00:00Z");
    }
}
