//! `secret-refresh rotate NAME`: the rotation runbook as one command.
//!
//! 1. Read the new token once (hidden prompt typed twice, standard input, or `--from-file`).
//! 2. Validate it before anything is written: GitHub accepts it (`GET /user`), its kind (from
//!    its prefix), its expiry (a warning within `--warn-days`), and it reads every target's
//!    public key — the keys the writes then seal with (one key per target per run).
//! 3. Write it into every target through the engine (serial, paced; stop at the first failure
//!    unless `--keep-going`), with a progress bar on a terminal.
//! 4. Verify: each written secret's `updated_at` is at or after the rotation began, on GitHub's
//!    clock (the `Date` of its first answer).
//! 5. With `--revoke-old`, and only when every target verified: revoke the old token with
//!    GitHub's credential revocation API (github.com only, sent without authentication).
//! 6. Record the rotation in the audit log (targets, outcomes, times, kind and expiry; never a
//!    token).
//!
//! `--dry-run` stops after step 2 and prints the plan.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Args;
use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;

use super::words::{Diagnosis, Rerun, NOTHING_WRITTEN};
use super::AppArgs;
use super::{Credential, Error, Style, TargetArgs, Tone};
use crate::audit::log::AuditLog;
use crate::audit::rotation::{
    CheckOutcome, RevokeOutcome, RotationOutcome, RotationRecord, RotationTarget,
};
use crate::auth::token::TokenKind;
use crate::config::names::SecretName;
use crate::config::{Auth, NewSecret, Origin, MAX_VALUE_BYTES};
use crate::engine::{Outcome, Report, WriteProgress};
use crate::env::prompt::PromptError;
use crate::github::credentials::{self, Holder, RevokeError};
use crate::github::{endpoints, ApiError, ApiUrl, Client, Policy};
use crate::output::words::{Count, DaysLeft, List};
use crate::secret::seal::SealingKey;
use crate::secret::{secret_from_bytes, SecretValue};
use crate::target::Target;

/// `--warn-days` unless given.
const WARN_DAYS: u32 = 14;
/// `--audit-log` unless given.
const AUDIT_LOG: &str = "secret-refresh-audit.jsonl";

/// GitHub's clocks (the answer's `Date`, the secret's `updated_at`) may differ by a little.
const CLOCK_SKEW_SECS: i64 = 5;

#[derive(Args, Debug)]
pub struct RotateArgs {
    /// The secret that holds the token, in every target.
    #[arg(value_name = "NAME")]
    pub name: String,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// Read the new token from this file (`-`: standard input); one trailing newline is dropped.
    #[arg(long, value_name = "PATH")]
    pub from_file: Option<PathBuf>,
    /// Warn when the new token expires within this many days.
    #[arg(long, value_name = "DAYS", default_value_t = WARN_DAYS)]
    pub warn_days: u32,
    /// Write with the new token itself, which proves it can write where the action will write
    /// (default: write with the token from GH_TOKEN, GITHUB_TOKEN or `gh`, or the app).
    #[arg(long, conflicts_with = "app_id")]
    pub write_with_new: bool,
    /// Try every target even after a failure (default: stop at the first failure).
    #[arg(long)]
    pub keep_going: bool,
    /// Read and validate the new token (and every target's public key) and print the plan;
    /// write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Once every target verified, revoke the old token (read like the new one) with GitHub's
    /// credential revocation API (github.com only). GitHub e-mails the token's owner.
    #[arg(long)]
    pub revoke_old: bool,
    /// Read the old token from this file (`-`: standard input).
    #[arg(long, value_name = "PATH", requires = "revoke_old")]
    pub old_from_file: Option<PathBuf>,
    /// Append the rotation's record (one JSON line) to this file.
    #[arg(long, value_name = "PATH", default_value = AUDIT_LOG)]
    pub audit_log: PathBuf,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    #[command(flatten)]
    pub github_app: AppArgs,
}

pub const AFTER_HELP: &str = "\
The rotation runbook in one command: read the new token, validate it (GitHub accepts it, its
kind, its expiry, and it reads every target's public key), write it into every target (serial,
paced, stopping at the first failure unless --keep-going), verify that each secret was updated
after the rotation began, revoke the old token if asked (--revoke-old, only when every target
verified), and append a record to the audit log (never a token).

The new token comes from a hidden prompt (typed twice) when standard input is a terminal, else
from standard input, or from --from-file; never from an argument. The old one (--revoke-old)
the same way, or from --old-from-file. The writes use the token from GH_TOKEN, GITHUB_TOKEN or
`gh auth token` (or the GitHub App with --app-id), or the new token with --write-with-new.

Revoking uses GitHub's credential revocation API: github.com only (not GitHub Enterprise
Server), not for installation tokens (ghs_); GitHub e-mails the token's owner. A stopped run
prints what was done, what failed and what was not tried, the command that finishes the rest,
and how to roll back (the old token works until it is revoked). Running it again is safe.

Examples:
  secret-refresh rotate PAT_TOKEN --repos-file repos.txt
  secret-refresh rotate PAT_TOKEN --repos-file repos.txt --dry-run
  secret-refresh rotate PAT_TOKEN --org acme --write-with-new
  secret-refresh rotate PAT_TOKEN --repo acme/api --from-file new.txt --revoke-old

Exit codes: 0 rotated and verified everywhere, 1 a check, a write, the verification or the
revocation failed, 2 usage or input error (nothing was written).";

pub fn run(args: RotateArgs) -> Result<(), Error> {
    let inputs = gather(&args)?;
    let runtime = super::runtime().map_err(Error::failed)?;
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let policy = Policy::from_env();
    let client = Client::new(inputs.api.as_str(), &inputs.new, policy.clone()).map_err(|e| {
        Error::Usage(Box::new(crate::error::InContext::new(
            "the new token: ",
            e,
            NOTHING_WRITTEN,
        )))
    })?;
    let kind = TokenKind::of(&inputs.new);
    let checked = match runtime.block_on(crate::cancel::or_abandon(check_new(
        &client,
        &inputs.targets,
        kind,
    ))) {
        Ok(c) => c,
        Err(signal) => return Err(cancelled_before_writing(signal, client.requests())),
    };
    let style = Style::stdout();
    print_check(style, &args, &inputs, &checked);
    if !checked.problems.is_empty() {
        super::print(&format!(
            "The new token did not pass: {} (checked with {}); nothing was written.\n",
            Count("problem", checked.problems.len()),
            Count("request", client.requests())
        ));
        return Err(Error::Reported);
    }
    if args.dry_run {
        let who = writer_label(inputs.writer.as_ref());
        super::print(&plan(&args, &inputs, &who, client.requests()));
        return Ok(());
    }
    if let Some(signal) = crate::cancel::requested() {
        return Err(cancelled_before_writing(signal, client.requests()));
    }
    let done = runtime.block_on(rotate_checked(&args, &inputs, &checked, &client, policy));
    let audit = record_rotation(&args.audit_log, &done.record);
    print_outcome(Final {
        args: &args,
        inputs: &inputs,
        done: &done,
        audit: audit.as_ref().map(|p| p.as_path()),
        style,
    });
    if let Err(e) = audit {
        return Err(Error::failed(e));
    }
    if done.record.outcome == RotationOutcome::Verified
        && done.record.revoke_old != RevokeOutcome::Failed
    {
        Ok(())
    } else {
        Err(Error::Reported)
    }
}

/// What step 1 gathered, before any request: the secret, the targets, where, who writes, and
/// the tokens.
struct Inputs {
    name: SecretName,
    targets: Vec<Target>,
    api: ApiUrl,
    /// `None`: the new token writes (`--write-with-new`).
    writer: Option<Credential>,
    new: SecretValue,
    origin: Origin,
    old: Option<SecretValue>,
}

/// Step 1, and every check that needs no request; a refusal is printed and is the exit code.
fn gather(args: &RotateArgs) -> Result<Inputs, Error> {
    let (name, targets) = validate(args).map_err(Error::usage)?;
    let api = super::api_url(args.api_url.as_deref()).map_err(Error::usage)?;
    // Refused before any token is read or any request made: a half-done runbook is worse.
    if args.revoke_old && !api.serves_credential_revocation() {
        return Err(Error::usage(RotateError::RevocationUnavailable {
            host: api.gh_hostname(),
        }));
    }
    let writer = if args.write_with_new {
        None
    } else {
        let found = Credential::find(&args.github_app, true, api.as_str()).map_err(|e| {
            Error::usage_then(
                e,
                "; or write with the new token itself (--write-with-new); nothing was written",
            )
        })?;
        Some(found)
    };
    let (new, origin, old) =
        read_tokens(args, &name).map_err(|e| Error::usage_then(e, NOTHING_WRITTEN))?;
    Ok(Inputs {
        name,
        targets,
        api,
        writer,
        new,
        origin,
        old,
    })
}

/// The new token, and with --revoke-old the old one, which must differ from it and be a kind
/// GitHub's credential revocation takes.
fn read_tokens(
    args: &RotateArgs,
    name: &SecretName,
) -> Result<(SecretValue, Origin, Option<SecretValue>), RotateError> {
    let mut stdin_used = false;
    let (new, origin) = read_token(Which::New, name, args.from_file.as_deref(), &mut stdin_used)?;
    if TokenKind::of(&new).is_installation() {
        return Err(RotateError::NewIsInstallation);
    }
    if !args.revoke_old {
        return Ok((new, origin, None));
    }
    let (old, _) = read_token(
        Which::Old,
        name,
        args.old_from_file.as_deref(),
        &mut stdin_used,
    )?;
    if old.ct_eq(&new) {
        return Err(RotateError::Same);
    }
    if TokenKind::of(&old).is_installation() {
        return Err(RotateError::OldIsInstallation);
    }
    Ok((new, origin, Some(old)))
}

/// What steps 3 to 5 did, and the record of it.
struct Done {
    report: Report,
    checks: Vec<Check>,
    revoked: Option<Result<(), RevokeError>>,
    requests: u64,
    record: RotationRecord,
}

/// Steps 3 to 5 once the new token passed: propagate with the keys it read, verify what was
/// written (no new request after a signal), revoke the old token only when every target
/// verified.
async fn rotate_checked(
    args: &RotateArgs,
    inputs: &Inputs,
    checked: &Checked,
    client: &Client,
    policy: Policy,
) -> Done {
    let targets = &inputs.targets;
    let auth = match &inputs.writer {
        Some(c) => c.auth(),
        None => Auth::Token(inputs.new.clone()),
    };
    let mut config = super::config(&args.targets, targets, None, auth, inputs.api.as_str());
    config.secrets = vec![NewSecret {
        name: inputs.name.clone(),
        value: inputs.new.clone(),
        origin: inputs.origin.clone(),
    }];
    config.fail_fast = !args.keep_going;
    let keys: Vec<(Target, SealingKey)> = checked
        .keys
        .iter()
        .filter_map(|(t, k)| k.as_ref().ok().map(|k| (t.clone(), k.clone())))
        .collect();
    let report = propagate(&config, policy.clone(), &keys, targets.len()).await;

    let not_checked = || targets.iter().map(|_| Check::not_checked()).collect();
    let checks: Vec<Check> = if crate::cancel::requested().is_some() {
        not_checked()
    } else {
        let verifying = verify(client, targets, &report, &inputs.name, checked.started);
        crate::cancel::or_abandon(verifying)
            .await
            .unwrap_or_else(|_| not_checked())
    };
    let all_verified = crate::cancel::requested().is_none()
        && checks.iter().all(|c| c.outcome == CheckOutcome::Verified);
    let revoked = match &inputs.old {
        Some(old) if all_verified => Some(credentials::revoke(&inputs.api, policy, old).await),
        _ => None,
    };
    let requests = client.requests() + report.requests + u64::from(revoked.is_some());
    let record = rotation_record(inputs, checked, &config, &report, &checks, &revoked);
    Done {
        report,
        checks,
        revoked,
        requests,
        record,
    }
}

/// Step 6's record: data only, never a token.
fn rotation_record(
    inputs: &Inputs,
    checked: &Checked,
    config: &crate::config::Config,
    report: &Report,
    checks: &[Check],
    revoked: &Option<Result<(), RevokeError>>,
) -> RotationRecord {
    let all_verified = checks.iter().all(|c| c.outcome == CheckOutcome::Verified);
    RotationRecord {
        event: "rotation".into(),
        started: rfc3339(checked.started),
        finished: rfc3339(OffsetDateTime::now_utc()),
        actor: Some(config.context.actor.clone()).filter(|a| !a.trim().is_empty()),
        secret: inputs.name.to_string(),
        token_kind: kind_code(checked.kind).into(),
        token_expiry: checked
            .expiry
            .as_deref()
            .and_then(crate::report::parse_expiry)
            .map(rfc3339),
        written_with: match &inputs.writer {
            None => "new_token",
            Some(Credential::Token(..)) => "token",
            Some(Credential::App(_)) => "github_app",
        }
        .into(),
        targets: inputs
            .targets
            .iter()
            .zip(checks)
            .map(|(t, c)| RotationTarget {
                target: t.to_string(),
                write: write_outcome(report, t).code(),
                check: c.outcome,
                updated_at: c.updated_at.map(rfc3339),
            })
            .collect(),
        revoke_old: match (&inputs.old, revoked) {
            (None, _) => RevokeOutcome::NotAsked,
            (Some(_), None) => RevokeOutcome::Kept,
            (Some(_), Some(Ok(()))) => RevokeOutcome::Revoked,
            (Some(_), Some(Err(_))) => RevokeOutcome::Failed,
        },
        outcome: if crate::cancel::requested().is_some() {
            RotationOutcome::Cancelled
        } else if all_verified {
            RotationOutcome::Verified
        } else {
            RotationOutcome::Failed
        },
    }
}

/// Why `rotate` cannot start: names the flag, the file or the secret, never a token (usage or
/// input errors: nothing was written).
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    /// The secret's name is wrong.
    #[error(transparent)]
    Name(#[from] crate::config::names::NameError),
    /// No name.
    #[error("give the secret's name")]
    NoName,
    /// `--repo`, `--repos-file`, `--env`, `--org` or `--app` is wrong.
    #[error(transparent)]
    Targets(#[from] super::TargetArgsError),
    /// Both tokens from standard input.
    #[error(
        "--from-file - and --old-from-file - both read standard input: give one of them a file"
    )]
    BothFromStdin,
    /// `--from-file` or `--old-from-file` names no file.
    #[error("{flag} {path}: no such file; give the file holding the token")]
    NoFile { flag: &'static str, path: String },
    /// The app's key and the new token both from standard input.
    #[error(
        "--app-key-file - reads the app's key from standard input, so the new token cannot come \
         from there too: give it with --from-file PATH"
    )]
    KeyAndTokenFromStdin,
    /// A token's file cannot be read (`what`: "the new token" or "the old token").
    #[error("{what}: cannot read {path}: {cause}")]
    ReadFile {
        what: &'static str,
        path: String,
        cause: std::io::Error,
    },
    /// A token's file holds no UTF-8 text.
    #[error("{what} in {path} is not UTF-8")]
    FileNotUtf8 { what: &'static str, path: String },
    /// The terminal cannot be read.
    #[error(transparent)]
    Prompt(PromptError),
    /// The two entries at the prompt never matched.
    #[error("{what} was typed differently 3 times")]
    Mistyped { what: &'static str },
    /// Standard input was read for the new token already.
    #[error("{what}: standard input holds the new token already: give --old-from-file PATH")]
    StdinUsed { what: &'static str },
    /// Standard input cannot be read.
    #[error("cannot read {what} from standard input: {cause}")]
    ReadStdin {
        what: &'static str,
        cause: std::io::Error,
    },
    /// Standard input holds no UTF-8 text.
    #[error("{what} on standard input is not UTF-8")]
    StdinNotUtf8 { what: &'static str },
    /// A token is empty.
    #[error("{what} is empty")]
    Empty { what: &'static str },
    /// A token is larger than a secret holds.
    #[error(
        "{what} is over {} bytes, more than GitHub stores in a secret",
        MAX_VALUE_BYTES
    )]
    TooLarge { what: &'static str },
    /// A token cannot be sent in a header.
    #[error("{what}: {error}")]
    Token {
        what: &'static str,
        error: crate::github::TokenError,
    },
    /// An installation token to store: it dies within the hour, and with it whatever reads it.
    #[error(
        "the new token is an installation token (ghs_: a GitHub App's, or a workflow's \
         GITHUB_TOKEN), which expires within an hour: whatever reads the secret would fail after \
         that; store a personal access token, or give the workflow the app's id and private key \
         (`app-id`, `app-private-key`) to mint its own"
    )]
    NewIsInstallation,
    /// `--revoke-old` with an installation token, which the credentials API does not revoke.
    #[error(
        "--revoke-old: the old token is a GitHub App installation token (ghs_), which GitHub's \
         credential revocation does not take (it expires within an hour); leave out --revoke-old"
    )]
    OldIsInstallation,
    /// `--revoke-old` where GitHub has no credential revocation (GitHub Enterprise Server).
    #[error(
        "--revoke-old: GitHub's credential revocation API is available on github.com only, not \
         on {host} (GitHub Enterprise Server); leave out --revoke-old, and once the rotation is \
         verified revoke the old token by hand: its owner deletes it under Settings → Developer \
         settings → Personal access tokens on {host}, or a site administrator does; nothing was \
         written"
    )]
    RevocationUnavailable { host: String },
    /// `--revoke-old` with the new token as the old one.
    #[error("the old and the new token are the same: revoking it would break every target")]
    Same,
}

/// Why the rotation's record was not appended to the audit log.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    /// The current directory is gone or unreadable.
    #[error("cannot find the current directory: {0}")]
    Cwd(std::io::Error),
    /// The log refused the record.
    #[error("the rotation was not recorded: {0}")]
    Append(crate::audit::log::AuditError),
}

/// Everything that can be checked before a token is read.
fn validate(args: &RotateArgs) -> Result<(SecretName, Vec<Target>), RotateError> {
    let name = SecretName::parse_unique(std::slice::from_ref(&args.name))?
        .into_iter()
        .next()
        .ok_or(RotateError::NoName)?;
    let targets = args.targets.targets()?;
    let is_stdin = |p: &Option<PathBuf>| p.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if is_stdin(&args.from_file) && is_stdin(&args.old_from_file) {
        return Err(RotateError::BothFromStdin);
    }
    for (flag, path) in [
        ("--from-file", &args.from_file),
        ("--old-from-file", &args.old_from_file),
    ] {
        if let Some(p) = path {
            if p.as_os_str() != "-" && !p.is_file() {
                return Err(RotateError::NoFile {
                    flag,
                    path: p.display().to_string(),
                });
            }
        }
    }
    let key_from_stdin = args
        .github_app
        .app_key_file
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-");
    if key_from_stdin && (args.from_file.is_none() || is_stdin(&args.from_file)) {
        return Err(RotateError::KeyAndTokenFromStdin);
    }
    Ok((name, targets))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    New,
    Old,
}

impl Which {
    fn label(self) -> &'static str {
        match self {
            Which::New => "the new token",
            Which::Old => "the old token",
        }
    }
}

/// A token: from `from_file` (`-`: standard input), else a hidden prompt typed twice on a
/// terminal, else standard input (once per run). Trimmed; registered for redaction at once.
fn read_token(
    which: Which,
    name: &SecretName,
    from_file: Option<&Path>,
    stdin_used: &mut bool,
) -> Result<(SecretValue, Origin), RotateError> {
    let what = which.label();
    let (raw, origin) = match from_file {
        Some(p) if p.as_os_str() != "-" => {
            let mut bytes = Vec::new();
            std::fs::File::open(p)
                .and_then(|f| {
                    f.take(MAX_VALUE_BYTES as u64 + 1)
                        .read_to_end(&mut bytes)
                        .map(|_| ())
                })
                .map_err(|cause| RotateError::ReadFile {
                    what,
                    path: p.display().to_string(),
                    cause,
                })?;
            let v = secret_from_bytes(bytes).ok_or_else(|| RotateError::FileNotUtf8 {
                what,
                path: p.display().to_string(),
            })?;
            (v, Origin::File(p.to_path_buf()))
        }
        None if std::io::stdin().is_terminal() => {
            let question = match which {
                Which::New => format!("New token for {name} (input hidden): "),
                Which::Old => "Old token, to revoke (input hidden): ".to_owned(),
            };
            let v = super::words::ask_twice(&question).map_err(|e| match e {
                PromptError::Mismatch => RotateError::Mistyped { what },
                e => RotateError::Prompt(e),
            })?;
            (v, Origin::Prompt)
        }
        _ => {
            if *stdin_used {
                return Err(RotateError::StdinUsed { what });
            }
            *stdin_used = true;
            let mut bytes = Vec::new();
            std::io::stdin()
                .take(MAX_VALUE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|cause| RotateError::ReadStdin { what, cause })?;
            let v = secret_from_bytes(bytes).ok_or(RotateError::StdinNotUtf8 { what })?;
            (v, Origin::Input)
        }
    };
    crate::output::redact::know_token(&raw);
    let token = SecretValue::new(raw.expose().trim().to_owned());
    crate::output::redact::know_token(&token);
    if token.is_empty() {
        return Err(RotateError::Empty { what });
    }
    if token.len() > MAX_VALUE_BYTES {
        return Err(RotateError::TooLarge { what });
    }
    crate::github::check_token(&token, "token")
        .map_err(|error| RotateError::Token { what, error })?;
    Ok((token, origin))
}

/// What step 2 found.
struct Checked {
    holder: Option<Holder>,
    kind: TokenKind,
    /// `github-authentication-token-expiration` as GitHub sent it.
    expiry: Option<String>,
    days_left: Option<i64>,
    /// Each target's key, or why it could not be read.
    keys: Vec<(Target, Result<SealingKey, Diagnosis>)>,
    /// Each reason the rotation cannot start, with its fix.
    problems: Vec<Diagnosis>,
    /// When the rotation began: GitHub's clock (its first answer's `Date`), else ours.
    started: OffsetDateTime,
}

/// Step 2: one `GET /user`, then one public-key read per target. Nothing is read past a 401.
async fn check_new(client: &Client, targets: &[Target], kind: TokenKind) -> Checked {
    let mut problems = Vec::new();
    let holder = match credentials::holder(client).await {
        Ok(h) => Some(h),
        Err(e @ ApiError::Unauthorized { .. }) => {
            problems.push(Diagnosis::new(
                format!("GitHub does not accept the new token: {e}"),
                "check that it was copied whole, and that it is not expired or revoked",
            ));
            None
        }
        Err(e) => {
            problems.push(Diagnosis::new(
                format!("the new token could not be checked: {e}"),
                "check the network and --api-url",
            ));
            None
        }
    };
    let started = holder
        .as_ref()
        .and_then(|h| h.server_time)
        .unwrap_or_else(OffsetDateTime::now_utc);
    let expiry = client.token_expiry();
    let days_left = crate::report::expiry_days_left(expiry.as_deref(), started);
    if days_left.is_some_and(|d| d < 0) {
        problems.push(Diagnosis::new(
            "the new token has expired already",
            "create a new token with a later expiry",
        ));
    }
    let keys = if holder.is_none() {
        Vec::new()
    } else {
        stream::iter(targets)
            .map(|t| async move { (t.clone(), read_key(client, t).await) })
            .buffered(4)
            .collect::<Vec<_>>()
            .await
    };
    for (t, k) in &keys {
        if let Err(d) = k {
            problems.push(Diagnosis::new(format!("{t}: {}", d.cause), d.fix.clone()));
        }
    }
    Checked {
        holder,
        kind,
        expiry,
        days_left,
        keys,
        problems,
        started,
    }
}

/// A target's public key read with the new token, checked as a sealing key.
async fn read_key(client: &Client, target: &Target) -> Result<SealingKey, Diagnosis> {
    let key = endpoints::public_key(client, target)
        .await
        .map_err(|e| match &e {
            ApiError::Unauthorized { .. } => {
                Diagnosis::new(e.to_string(), "check that the new token was copied whole")
            }
            e if e.is_refusal() => Diagnosis::new(
                format!("the new token cannot read the public key ({e})"),
                crate::engine::hints::permission_hint(target),
            ),
            e => Diagnosis::new(e.to_string(), "check the network and --api-url"),
        })?;
    SealingKey::from_base64(&key.key_id, &key.key_base64).map_err(|e| {
        Diagnosis::new(
            format!("GitHub's public key cannot seal: {e}"),
            "check --api-url",
        )
    })
}

/// Runs the engine with a progress bar on a terminal, its ETA the pacer's; a propagation that
/// will outlast an hour is announced before the first write (as `set` does).
async fn propagate(
    config: &crate::config::Config,
    policy: Policy,
    keys: &[(Target, SealingKey)],
    targets: usize,
) -> Report {
    let mut paced = super::progress::Paced::new(targets, matches!(config.auth, Auth::App(_)));
    let report = crate::engine::run_with_keys(
        config,
        policy,
        keys,
        &mut |p: WriteProgress<'_>| paced.observe(p),
        &mut |t: &SecretValue| crate::output::redact::know_token(t),
    )
    .await;
    paced.finish();
    report
}

/// What the check of one target found.
#[derive(Debug, Clone)]
struct Check {
    outcome: CheckOutcome,
    updated_at: Option<OffsetDateTime>,
    problem: Option<String>,
}

impl Check {
    fn not_checked() -> Self {
        Self {
            outcome: CheckOutcome::NotChecked,
            updated_at: None,
            problem: None,
        }
    }
}

/// The engine's outcome for a target (one secret per target here).
fn write_outcome(report: &Report, target: &Target) -> Outcome {
    let label = target.to_string();
    report
        .rows
        .iter()
        .find(|r| r.target == label)
        .map(|r| r.outcome.clone())
        .unwrap_or(Outcome::NotAttempted)
}

/// Step 4: one read of the secret per written target, with the new token.
async fn verify(
    client: &Client,
    targets: &[Target],
    report: &Report,
    name: &SecretName,
    started: OffsetDateTime,
) -> Vec<Check> {
    let since = started - time::Duration::seconds(CLOCK_SKEW_SECS);
    let mut checks = Vec::new();
    for t in targets {
        if !write_outcome(report, t).is_written() || crate::cancel::requested().is_some() {
            checks.push(Check::not_checked());
            continue;
        }
        checks.push(
            match endpoints::secret_updated_at(client, t, name.as_str()).await {
                Ok(Some(at)) if at.at() >= since => Check {
                    outcome: CheckOutcome::Verified,
                    updated_at: Some(at.at()),
                    problem: None,
                },
                Ok(Some(at)) => Check {
                    outcome: CheckOutcome::Stale,
                    updated_at: Some(at.at()),
                    problem: Some(format!(
                        "GitHub says {name} was last updated {at}, before the rotation began \
                         ({}): the write did not land",
                        rfc3339(started)
                    )),
                },
                Ok(None) => Check {
                    outcome: CheckOutcome::Missing,
                    updated_at: None,
                    problem: Some(format!("GitHub has no {name} there after the write")),
                },
                Err(e) => Check {
                    outcome: CheckOutcome::Unreadable,
                    updated_at: None,
                    problem: Some(format!("the secret could not be read back: {e}")),
                },
            },
        );
    }
    checks
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

fn kind_code(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Classic => "classic",
        TokenKind::FineGrained => "fine_grained",
        TokenKind::Installation => "installation",
        TokenKind::UserToServer => "user_to_server",
        TokenKind::OAuth => "oauth",
        TokenKind::Refresh => "refresh",
        TokenKind::Unknown => "unknown",
    }
}

fn writer_label(writer: Option<&Credential>) -> String {
    match writer {
        None => "the new token (--write-with-new)".to_owned(),
        Some(c) => c.describe(),
    }
}

/// A signal stopped the check of the new token: said here, with the requests it took.
fn cancelled_before_writing(signal: crate::cancel::Signal, requests: u64) -> Error {
    super::say(&format!(
        "cancelled by {} while the new token was checked ({}): nothing was written",
        signal.name(),
        Count("request", requests)
    ));
    Error::CancelledReported(signal)
}

/// Step 2's findings: the problems and warnings (standard error), then the token and each
/// target's key (the table in a dry run or when a key could not be read).
fn print_check(style: Style, args: &RotateArgs, inputs: &Inputs, checked: &Checked) {
    warn_check(checked, args.warn_days);
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
        out.push_str(&super::table(style, &["TARGET", "PUBLIC KEY"], &rows));
    }
    super::print(&out);
}

/// Step 2's problems (each with its fix) and warnings, on standard error.
fn warn_check(checked: &Checked, warn_days: u32) {
    let mut err = crate::output::reporter::Reporter::stdio(super::options::human_mode());
    for Diagnosis { cause, fix } in &checked.problems {
        err.error("", &format!("{cause}\n  fix: {fix}"));
    }
    if let (Some(days), Some(expiry)) = (checked.days_left, &checked.expiry) {
        if days >= 0 && days < i64::from(warn_days) {
            err.warning(
                "",
                &format!(
                    "the new token expires {expiry} ({}), within --warn-days {warn_days}: \
                     plan its successor",
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
fn plan(args: &RotateArgs, inputs: &Inputs, who: &str, requests: u64) -> String {
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
    steps.push(format!("append a record to {}", args.audit_log.display()));
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

/// The rotation's record, appended to the log next to where it is asked to be: the log's own
/// directory is the root it must stay in (no link out of it, no file with another name).
fn record_rotation(path: &Path, record: &RotationRecord) -> Result<PathBuf, RecordError> {
    let cwd = std::env::current_dir().map_err(RecordError::Cwd)?;
    let full = cwd.join(path);
    let root = full.parent().map(Path::to_path_buf).unwrap_or(cwd);
    AuditLog::new(&full, &root)
        .append_rotation(record)
        .map_err(RecordError::Append)?;
    Ok(path.to_path_buf())
}

/// What the final report needs.
struct Final<'a> {
    args: &'a RotateArgs,
    inputs: &'a Inputs,
    done: &'a Done,
    audit: Result<&'a Path, &'a RecordError>,
    style: Style,
}

/// The targets by what became of them, and the table's rows.
#[derive(Default)]
struct Sorted<'a> {
    rows: Vec<(Vec<String>, Tone)>,
    done: Vec<&'a Target>,
    failed: Vec<&'a Target>,
    not_tried: Vec<&'a Target>,
}

/// The table (target, write, check), then what was done, what failed, what was not tried,
/// the command that finishes the rest, how to roll back, and the old token's fate.
fn print_outcome(o: Final<'_>) {
    let style = o.style;
    let mut err = crate::output::reporter::Reporter::stdio(super::options::human_mode());
    if let Some(fatal) = &o.done.report.fatal {
        err.error("", fatal);
    }
    let sorted = sort_targets(&o, &mut err);
    let revoke_line = revoke_line(&o, &mut err);
    err.flush();

    let mut out = String::from("\n");
    out.push_str(&super::table(
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
    super::print(&out);
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
            (CheckOutcome::Unreadable, _) => "could not read it".to_owned(),
            _ => "-".to_owned(),
        };
        let tone = match (c.outcome, &w) {
            (CheckOutcome::Verified, _) => {
                sorted.done.push(t);
                Tone::Good
            }
            // Written, then a signal came before it was read back.
            (CheckOutcome::NotChecked, w) if w.is_written() => {
                sorted.done.push(t);
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

/// The command that finishes the rotation: the same, for the targets not done.
fn finish_advice(args: &RotateArgs, rest: &[&Target]) -> String {
    let audit_log = Some(args.audit_log.as_path()).filter(|p| *p != Path::new(AUDIT_LOG));
    let warn_days = Some(args.warn_days.to_string()).filter(|_| args.warn_days != WARN_DAYS);
    Rerun::new("rotate")
        .args([&args.name])
        .targets(&args.targets, rest, "The targets not done")
        .scope(&args.targets)
        .path("--from-file", args.from_file.as_deref())
        .flag("--write-with-new", args.write_with_new)
        .option("--warn-days", warn_days.as_deref())
        .flag("--revoke-old", args.revoke_old)
        .path(
            "--old-from-file",
            args.old_from_file.as_deref().filter(|_| args.revoke_old),
        )
        .path("--audit-log", audit_log)
        .connection(args.api_url.as_deref(), &args.github_app)
        .flag("--keep-going", args.keep_going)
        .advice(
            "Fix the cause above, then finish with the same new token (running the whole \
             command again is safe too)",
        )
}

/// How to undo: the old token still works until it is revoked, so writing it back where the
/// new one went restores the targets as they were.
fn rollback_advice(args: &RotateArgs, done: &[&Target]) -> String {
    if done.is_empty() {
        return "Nothing has the new token yet: the old one is still in place everywhere.\n"
            .to_owned();
    }
    Rerun::new("set")
        .args([&args.name])
        .targets(&args.targets, done, "The targets that have the new token")
        .scope(&args.targets)
        .connection(args.api_url.as_deref(), &args.github_app)
        .advice(
            "To roll back instead (the old token works until it is revoked), write the old \
             token back where the new one went, typing the old token when asked",
        )
}
