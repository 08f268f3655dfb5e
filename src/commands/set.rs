//! `secret-refresh set NAME...`: one value, typed once (at a hidden prompt), written into every
//! target through the action's engine. Stops at the first failure unless `--keep-going`, and
//! then says exactly which targets have the new value and how to finish the rest.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Args;

use super::options::AppArgs;
use super::words::{self, Diagnosis, Rerun, NOTHING_WRITTEN};
use super::{Credential, Error, Style, TargetArgs, Tone};
use crate::config::names::SecretName;
use crate::config::{Config, NewSecret, Origin, Visibility, MAX_VALUE_BYTES};
use crate::engine::{FailureKind, Outcome, Report, WriteProgress};
use crate::env::prompt::{self, PromptError};
use crate::github::endpoints::{self, ReadError};
use crate::github::{ApiError, Client, Policy};
use crate::output::words::{Count, DaysLeft, List};
use crate::secret::{secret_from_bytes, SecretValue};
use crate::target::Target;

#[derive(Args, Debug)]
pub struct SetArgs {
    /// Secret names; every one gets the same value.
    #[arg(required = true, value_name = "NAME")]
    pub names: Vec<String>,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// With --org: which repositories may use the secret, `all` or `private` (default: the
    /// existing secret's, else `private`).
    #[arg(long, value_name = "VISIBILITY", requires = "org")]
    pub visibility: Option<String>,
    /// Read the value from this file (`-`: standard input); one trailing newline is dropped.
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<PathBuf>,
    /// Check that the token can read every target's public key (read access suffices, so this
    /// does not prove it can write); write nothing. The value is not asked for.
    #[arg(long)]
    pub dry_run: bool,
    /// Try every target even after a failure (default: stop at the first failure).
    #[arg(long)]
    pub keep_going: bool,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    #[command(flatten)]
    pub github_app: AppArgs,
}

pub const AFTER_HELP: &str = "\
The value comes from a hidden prompt (typed twice) when standard input is a terminal, else from
standard input (one trailing newline dropped), or from --from-file. Never from an argument, so it
is not in your shell history. The token comes from GH_TOKEN, else GITHUB_TOKEN, else
`gh auth token`, else a hidden prompt. With --app-id and --app-key-file, no token is looked for:
the GitHub App's installation token is minted for these targets with only the permission they
need, and revoked at the end.

A stopped run prints which targets have the new value and the command that finishes the rest;
running the whole command again is safe as well (it writes the same value again).

Examples:
  secret-refresh set PAT_TOKEN --repo acme/api --repo acme/web
  secret-refresh set PAT_TOKEN --repos-file repos.txt --dry-run
  secret-refresh set DEPLOY_KEY --repo acme/api --env production --from-file key.pem
  op read op://ci/pat | secret-refresh set PAT_TOKEN --org acme --visibility private
  secret-refresh set PAT_TOKEN --repo acme/api --app-id 123456 --app-key-file app.pem

Exit codes: 0 ok, 1 a write (or, with --dry-run, an access check) failed, 2 usage or input error
(nothing was written).";

pub fn run(args: SetArgs) -> Result<(), Error> {
    let (names, targets, visibility) = match validate(&args) {
        Ok(v) => v,
        Err(e) => return Err(Error::usage(e)),
    };
    let is_stdin = |p: Option<&Path>| p.is_some_and(|p| p.as_os_str() == "-");
    if is_stdin(args.github_app.app_key_file.as_deref())
        && !args.dry_run
        && (args.from_file.is_none() || is_stdin(args.from_file.as_deref()))
    {
        return Err(Error::usage(SetError::KeyAndValueFromStdin));
    }
    let api_url = match super::api_url(args.api_url.as_deref()) {
        Ok(u) => u.to_string(),
        Err(e) => return Err(Error::usage(e)),
    };
    if args.dry_run {
        return dry_run(&args, &names, &targets, visibility, &api_url);
    }
    // Giving the app's flags means the app: no token is looked for.
    let credential = match Credential::find(&args.github_app, true, &api_url) {
        Ok(c) => c,
        Err(e) => return Err(Error::usage_then(e, NOTHING_WRITTEN)),
    };
    let (value, origin) = match read_value(&names, args.from_file.as_deref()) {
        Ok(v) => v,
        Err(e) => return Err(Error::usage_then(e, NOTHING_WRITTEN)),
    };
    let config = config(
        &args,
        &names,
        &targets,
        visibility,
        &credential,
        value,
        origin,
        &api_url,
    );
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    let report = runtime.block_on(run_with_progress(&config, targets.len()));
    print_report(
        &args,
        &report,
        &targets,
        &credential,
        time::OffsetDateTime::now_utc(),
    )
}

type Validated = (Vec<SecretName>, Vec<Target>, Option<Visibility>);

/// Why `set` cannot go on before writing: names the flag, the file or the secrets, never the
/// value (all are usage or input errors: nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    /// A secret's name is wrong or repeated.
    #[error(transparent)]
    Name(#[from] crate::config::names::NameError),
    /// `--repo`, `--repos-file`, `--env`, `--org` or `--app` is wrong.
    #[error(transparent)]
    Targets(#[from] super::TargetArgsError),
    /// `--app-key-file -` and the value both from standard input.
    #[error(
        "--app-key-file - reads the app's key from standard input, so the value cannot come \
         from there too: give the value with --from-file PATH"
    )]
    KeyAndValueFromStdin,
    /// `--visibility selected`, which needs the repositories from elsewhere.
    #[error(
        "--visibility selected is not set from here: leave --visibility out to keep an existing \
         secret's visibility and selected repositories"
    )]
    VisibilitySelected,
    /// `--visibility` is none of the values it takes.
    #[error("--visibility `{0}`: expected `all` or `private`")]
    Visibility(String),
    /// `--from-file` names no file.
    #[error("--from-file {0}: no such file; give the file holding the value")]
    NoFile(String),
    /// `--from-file` cannot be read.
    #[error("--from-file {path}: cannot read it: {cause}")]
    ReadFile { path: String, cause: std::io::Error },
    /// `--from-file` holds no UTF-8 text.
    #[error("--from-file {0}: the value is not UTF-8")]
    FileNotUtf8(String),
    /// Standard input cannot be read.
    #[error("cannot read the value from standard input: {0}")]
    ReadStdin(std::io::Error),
    /// Standard input holds no UTF-8 text.
    #[error("the value on standard input is not UTF-8")]
    StdinNotUtf8,
    /// The terminal cannot be read.
    #[error(transparent)]
    Prompt(PromptError),
    /// The two entries at the prompt never matched.
    #[error("{list}: the value was typed differently {} times", prompt::ATTEMPTS)]
    Mistyped { list: String },
    /// The value is empty (`from`: ` (from FILE)`, or nothing).
    #[error("{list}: the value is empty{from}")]
    Empty { list: String, from: String },
    /// The value is larger than GitHub stores.
    #[error(
        "{list}: the value is {len} bytes{from}; GitHub stores at most {}",
        MAX_VALUE_BYTES
    )]
    TooLarge {
        list: String,
        len: usize,
        from: String,
    },
}

/// Everything that can be checked before asking for the value.
fn validate(args: &SetArgs) -> Result<Validated, SetError> {
    let names = SecretName::parse_unique(&args.names)?;
    let targets = args.targets.targets()?;
    let visibility = match args.visibility.as_deref() {
        None => None,
        Some(v) => match Visibility::parse(v) {
            Some(Visibility::Selected) => return Err(SetError::VisibilitySelected),
            Some(v) => Some(v),
            None => return Err(SetError::Visibility(v.to_owned())),
        },
    };
    if let Some(p) = &args.from_file {
        if p.as_os_str() != "-" && !p.is_file() {
            return Err(SetError::NoFile(p.display().to_string()));
        }
    }
    Ok((names, targets, visibility))
}

/// The value: `--from-file`, else a hidden prompt on a terminal, else standard input.
fn read_value(
    names: &[SecretName],
    from_file: Option<&Path>,
) -> Result<(SecretValue, Origin), SetError> {
    let (value, origin) = match from_file {
        Some(p) if p.as_os_str() != "-" => {
            let bytes = std::fs::read(p).map_err(|cause| SetError::ReadFile {
                path: p.display().to_string(),
                cause,
            })?;
            let v = secret_from_bytes(bytes)
                .ok_or_else(|| SetError::FileNotUtf8(p.display().to_string()))?;
            (v.trim_one_newline(), Origin::File(p.to_path_buf()))
        }
        None if std::io::stdin().is_terminal() => (prompt_twice(names)?, Origin::Prompt),
        _ => (read_stdin()?, Origin::Input),
    };
    let list = name_list(names);
    let from = match &origin {
        Origin::File(p) => format!(" (from {})", p.display()),
        Origin::Input => " (from standard input)".to_owned(),
        Origin::Prompt => String::new(),
    };
    crate::output::redact::know(&value);
    if value.is_empty() {
        return Err(SetError::Empty { list, from });
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(SetError::TooLarge {
            list,
            len: value.len(),
            from,
        });
    }
    Ok((value, origin))
}

fn read_stdin() -> Result<SecretValue, SetError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .read_to_end(&mut buf)
        .map_err(SetError::ReadStdin)?;
    secret_from_bytes(buf)
        .map(SecretValue::trim_one_newline)
        .ok_or(SetError::StdinNotUtf8)
}

/// Asks twice with echo off; a person's typo must not become the stored secret.
fn prompt_twice(names: &[SecretName]) -> Result<SecretValue, SetError> {
    let list = name_list(names);
    words::ask_twice(&format!("Value for {list} (input hidden): ")).map_err(|e| match e {
        PromptError::Mismatch => SetError::Mistyped { list },
        e => SetError::Prompt(e),
    })
}

fn name_list(names: &[SecretName]) -> String {
    List::comma(names.iter().map(SecretName::as_str)).to_string()
}

/// The engine's configuration: a token, or the app (whose installation token the engine mints
/// for exactly these targets and revokes at the end).
#[allow(clippy::too_many_arguments)]
fn config(
    args: &SetArgs,
    names: &[SecretName],
    targets: &[Target],
    visibility: Option<Visibility>,
    credential: &Credential,
    value: SecretValue,
    origin: Origin,
    api_url: &str,
) -> Config {
    Config {
        secrets: names
            .iter()
            .map(|name| NewSecret {
                name: name.clone(),
                value: value.clone(),
                origin: origin.clone(),
            })
            .collect(),
        // Nothing to compare with: `set` writes the value wherever it is asked to.
        current: None,
        fail_fast: !args.keep_going,
        ..super::config(
            &args.targets,
            targets,
            visibility,
            credential.auth(),
            api_url,
        )
    }
}

/// Runs the engine with a progress bar on standard error for runs over many targets, its ETA
/// from the client's pacing; a run that will outlast an hour is announced before it writes.
async fn run_with_progress(config: &Config, targets: usize) -> Report {
    let mut paced =
        super::progress::Paced::new(targets, matches!(config.auth, crate::config::Auth::App(_)));
    let report = crate::engine::run_with(
        config,
        Policy::from_env(),
        &mut |p: WriteProgress<'_>| paced.observe(p),
        &mut |t: &SecretValue| crate::output::redact::know_token(t),
    )
    .await;
    paced.finish();
    report
}

fn print_report(
    args: &SetArgs,
    report: &Report,
    targets: &[Target],
    credential: &Credential,
    now: time::OffsetDateTime,
) -> Result<(), Error> {
    report_errors(report, credential, now);
    let style = Style::stdout();
    let mut out = results_table(style, report);
    let (done, remaining) = done_and_remaining(report, targets);
    let requests = Count("request", report.requests);
    let names = args.names.join(", ");
    if remaining.is_empty() && !report.failed() {
        out.push_str(&style.paint(
            &format!(
                "Set {names} in {} with {requests} to GitHub.\n",
                Count("target", done.len())
            ),
            Tone::Good,
        ));
        super::print(&out);
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
    super::print(&out);
    Err(Error::Reported)
}

/// Each failure with its fix, and a warning when the credential expires soon.
fn report_errors(report: &Report, credential: &Credential, now: time::OffsetDateTime) {
    let mut err = crate::output::reporter::Reporter::stdio(super::options::human_mode());
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
    if let Some(days) = crate::report::expiry_days_left(report.token_expiry.as_deref(), now) {
        if days < 14 {
            err.warning(
                "",
                &format!(
                    "{} expires {} ({}); rotate it before then",
                    credential.describe(),
                    report.token_expiry.as_deref().unwrap_or_default(),
                    DaysLeft(days)
                ),
            );
        }
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
        out.push_str(&super::table(style, &["SECRET", "TARGET", "RESULT"], &rows));
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
    Rerun::new("set")
        .args(&args.names)
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

/// `--dry-run`: one public-key read per target proves the token reaches it. Nothing is written
/// and the value is not asked for (a value typed for nothing is one more chance to leak it).
/// With the app, the installation token is minted with the write permission `set` would use
/// (so the check covers the installation's permissions too), then revoked.
fn dry_run(
    args: &SetArgs,
    names: &[SecretName],
    targets: &[Target],
    visibility: Option<Visibility>,
    api_url: &str,
) -> Result<(), Error> {
    if let Some(p) = &args.from_file {
        if p.as_os_str() != "-" {
            if let Err(e) = read_value(names, Some(p)) {
                return Err(Error::usage(e));
            }
        }
    }
    let style = Style::stdout();
    let list = name_list(names);
    let credential = match super::app_credentials(&args.github_app) {
        Err(e) => return Err(Error::usage(e)),
        Ok(Some(creds)) => Credential::App(creds),
        Ok(None) => match crate::auth::token::find_token(false, api_url) {
            Some((token, source)) => Credential::Token(token, source),
            None => return dry_run_without_token(style, &list, targets),
        },
    };
    let runtime = match super::runtime() {
        Ok(r) => r,
        Err(e) => return Err(Error::failed(e)),
    };
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let config = super::config(
        &args.targets,
        targets,
        visibility,
        credential.auth(),
        api_url,
    );
    let session = open_dry_run_session(&runtime, &config, &credential)?;
    let checks = runtime.block_on(check_targets(&session.client, targets, &credential));
    // The installation token is revoked before anything is printed: it served its purpose.
    let closed = runtime.block_on(session.close());
    if let Some(signal) = crate::cancel::requested() {
        return Err(super::cancelled(
            signal,
            &after_cancel(&closed, session.is_app()),
        ));
    }
    let req = dry_run_requests(
        session.client.requests(),
        session.is_app() && closed.is_ok(),
    );
    print_dry_run(style, &list, targets, &checks, &closed, &req, &credential)
}

/// Opens the dry run's session (for the app, mints its installation token); a failure or a
/// signal is the exit code, after its message.
fn open_dry_run_session(
    runtime: &tokio::runtime::Runtime,
    config: &crate::config::Config,
    credential: &Credential,
) -> Result<crate::auth::app::Session, Error> {
    match runtime.block_on(crate::cancel::unless_cancelled(crate::auth::app::open(
        config,
        Policy::from_env(),
        &mut |t: &SecretValue| crate::output::redact::know_token(t),
    ))) {
        Err(signal) => {
            // Abandoned half-way: a token minted on the way is revoked by its guard.
            let after = match runtime.block_on(crate::auth::guard::revoke_left_behind()) {
                Ok(()) => "; nothing was written".to_owned(),
                Err(e) => format!("; nothing was written; {e}"),
            };
            Err(super::cancelled(signal, &after))
        }
        Ok(Ok(s)) => Ok(s),
        // A token refused is a usage error; the app's failure says the requests it made.
        Ok(Err(e)) => Err(match credential {
            Credential::Token(..) => Error::usage(e.error),
            Credential::App(_) => Error::failed_then(e.error, not_checked(e.requests)),
        }),
    }
}

/// What follows the app's failure to open a session.
fn not_checked(requests: u64) -> String {
    format!(
        "\nDry run: access could not be checked ({} made); nothing was written.",
        Count("request", requests)
    )
}

/// One public-key read per target, in order. A signal stops the checks: the read in flight
/// gets the grace, no other starts.
async fn check_targets(
    client: &Client,
    targets: &[Target],
    credential: &Credential,
) -> Vec<(Target, Result<(), Diagnosis>)> {
    let mut out = Vec::new();
    for t in targets {
        match crate::cancel::unless_cancelled(can_read_key(client, t, credential)).await {
            Ok(checked) => out.push((t.clone(), checked)),
            Err(_) => break,
        }
    }
    out
}

/// What follows "cancelled" once the session is closed: nothing was written, and the token's
/// fate.
fn after_cancel(closed: &Result<(), crate::auth::guard::RevokeError>, is_app: bool) -> String {
    match closed {
        Ok(()) if is_app => "; nothing was written; the token was revoked".to_owned(),
        Ok(()) => "; nothing was written".to_owned(),
        Err(e) => format!("; nothing was written; {e}"),
    }
}

/// "3 requests" and, when the app's token was revoked, ", the token revoked".
fn dry_run_requests(requests: u64, revoked: bool) -> String {
    format!(
        "{}{}",
        Count("request", requests),
        if revoked { ", the token revoked" } else { "" }
    )
}

/// The dry run's table and verdict; failures (and a failed revocation) as errors first.
fn print_dry_run(
    style: Style,
    list: &str,
    targets: &[Target],
    checks: &[(Target, Result<(), Diagnosis>)],
    closed: &Result<(), crate::auth::guard::RevokeError>,
    req: &str,
    credential: &Credential,
) -> Result<(), Error> {
    let mut err = crate::output::reporter::Reporter::stdio(super::options::human_mode());
    let mut rows = Vec::new();
    let mut failed = 0;
    for (t, r) in checks {
        match r {
            Ok(()) => rows.push((vec![t.to_string(), format!("would set {list}")], Tone::Good)),
            Err(Diagnosis { cause, fix }) => {
                failed += 1;
                err.error("", &format!("{t}: {cause}\n  fix: {fix}"));
                rows.push((
                    vec![t.to_string(), "cannot write: see above".into()],
                    Tone::Bad,
                ));
            }
        }
    }
    if let Err(e) = closed {
        err.error("", &e.to_string());
    }
    err.flush();
    let mut out = super::table(style, &["TARGET", "RESULT"], &rows);
    let who = credential.describe();
    if failed == 0 {
        let reach = match targets {
            [one] => one.to_string(),
            all => format!("all {} targets", all.len()),
        };
        out.push_str(&format!(
            "Dry run: {who} can read the secrets public key of {reach} (checked with {req}); \
             {}; nothing was written.\n",
            dry_run_proves(credential, targets)
        ));
        super::print(&out);
        if closed.is_err() {
            return Err(Error::Reported);
        }
        Ok(())
    } else {
        out.push_str(&format!(
            "Dry run: {who} cannot read the secrets public key of {failed} of {} (checked \
             with {req}); nothing was written.\n",
            Count("target", targets.len())
        ));
        super::print(&out);
        Err(Error::Reported)
    }
}

/// What a successful dry run proved about writing, beyond the public keys. Reading a key needs
/// read access only, so for a token it proves nothing about writing; the app's token was
/// minted with the write permission `set` uses, which GitHub grants only to an installation that
/// has it.
fn dry_run_proves(credential: &Credential, targets: &[Target]) -> String {
    match (credential, targets.first()) {
        (Credential::App(_), Some(t)) => format!(
            "GitHub granted the token `{}: write`",
            crate::auth::app::permission_name(t.app(), t.is_org(), matches!(t, Target::Env { .. }))
                .unwrap_or_default()
        ),
        _ => "write access is not proven (a public key is readable with read access alone)"
            .to_owned(),
    }
}

/// A dry run with no token: what would be set, unchecked, and no request.
fn dry_run_without_token(style: Style, list: &str, targets: &[Target]) -> Result<(), Error> {
    let rows: Vec<(Vec<String>, Tone)> = targets
        .iter()
        .map(|t| {
            (
                vec![
                    t.to_string(),
                    format!("would set {list} (access not checked)"),
                ],
                Tone::Warn,
            )
        })
        .collect();
    let mut out = super::table(style, &["TARGET", "RESULT"], &rows);
    out.push_str(
        "Dry run: no token, so access was not checked and no request was made. Set GH_TOKEN \
         (or log in with `gh auth login`) to check it.\n",
    );
    super::print(&out);
    Ok(())
}

/// Whether the token can read the target's public key, or the cause and the fix.
async fn can_read_key(
    client: &Client,
    target: &Target,
    credential: &Credential,
) -> Result<(), Diagnosis> {
    match endpoints::public_key_readable(client, target).await {
        Ok(()) => Ok(()),
        Err(ReadError::NoAnswer(e) | ReadError::NotUnderstood(e)) => Err(Diagnosis::new(
            e.to_string(),
            "check the network and --api-url",
        )),
        Err(ReadError::Refused(e @ ApiError::Unauthorized { .. })) => {
            Err(Diagnosis::new(e.to_string(), credential.unauthorized_fix()))
        }
        Err(ReadError::Refused(e)) => Err(Diagnosis::new(
            match e.refused_status() {
                Some(status) => format!(
                    "GitHub answered {status}: the token cannot read the secrets of {target}{}",
                    e.server_message()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default()
                ),
                None => e.to_string(),
            },
            credential.permission_hint(target),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dry_run_requests_say_when_the_token_was_revoked() {
        assert_eq!(dry_run_requests(1, false), "1 request");
        assert_eq!(dry_run_requests(4, true), "4 requests, the token revoked");
    }

    #[test]
    fn after_cancel_names_the_revocation_of_the_app_token_only() {
        assert_eq!(after_cancel(&Ok(()), false), "; nothing was written");
        assert_eq!(
            after_cancel(&Ok(()), true),
            "; nothing was written; the token was revoked"
        );
        let refused = Err(crate::auth::guard::RevokeError::Refused { status: 500 });
        assert_eq!(
            after_cancel(&refused, true),
            format!(
                "; nothing was written; {}",
                crate::auth::guard::RevokeError::Refused { status: 500 }
            )
        );
    }

    #[test]
    fn a_session_the_app_could_not_open_says_the_requests_made() {
        assert_eq!(
            not_checked(2),
            "\nDry run: access could not be checked (2 requests made); nothing was written."
        );
        assert_eq!(
            not_checked(1),
            "\nDry run: access could not be checked (1 request made); nothing was written."
        );
    }
}
