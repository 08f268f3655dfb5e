//! `secret-refresh sync`: the action's engine from flags: compare, then write what changed.
//! Values never come from argv.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;

use super::options::{
    api_url_or_default, human_mode, id_token_request, read_source, AppArgs, Choices, ExpiryArgs,
    StsArgs, APP_NAMES,
};
use super::Error;
use crate::config::input::{FrontEnd, Given, RawInputs, RunContext, StepEnv};
use crate::output::reporter::Reporter;
use crate::refresh::StepFiles;
use crate::secret::SecretValue;
use crate::target::Target;

pub const AFTER_HELP: &str = "\
The token comes from GH_TOKEN, else GITHUB_TOKEN, else `gh auth token`; never from a flag. With
--app-id and --app-key-file no token is looked for: the GitHub App's installation token is minted
for these targets and revoked at the end; nor with --sts-url and --sts-identity (keyless, in a
workflow job with `permissions: id-token: write`: the job's OIDC ID token is exchanged for
installation tokens, one per repository, revoked at the end). Without a token, nothing is
written: the run reports what would change and exits 0. With --dry-run and a token,
--repositories patterns are resolved and each target's public key is read (nothing is written;
that does not prove write access).

Example:
  secret-refresh sync --repo acme/api \\
    --files '.cache/session/*.token' --prefix MOOGO_CACHED_ \\
    --current-file current.env --dry-run

Exit codes: 0 ok (also when nothing was written for want of a token), 1 a check or a write
failed, or a refreshed value was bad (empty, over 48 KiB, not UTF-8: that secret fails, the
good ones are still written), 2 usage or input error (nothing was written).";

/// Flags mirroring the action's inputs.
#[derive(Args, Debug, Default)]
pub struct SyncArgs {
    /// New values: a file of `NAME=value` lines or a JSON object (`-` for standard input).
    #[arg(long, value_name = "PATH")]
    pub secrets_file: Option<PathBuf>,
    /// New values, from this environment variable (lines or JSON).
    #[arg(long, value_name = "VAR")]
    pub secrets_env: Option<String>,
    /// One new value from an environment variable: `NAME` (the variable NAME) or `NAME=VAR`;
    /// repeatable. The way for multi-line values.
    #[arg(long = "secret-from-env", value_name = "NAME[=VAR]")]
    pub secret_from_env: Vec<String>,
    /// `NAME=glob` or `glob`, as the `files` input; repeatable.
    #[arg(long = "files", value_name = "SPEC")]
    pub files: Vec<String>,
    /// Prefix of names derived from file names.
    #[arg(long, default_value = "")]
    pub prefix: String,
    /// `warn`, `error` or `ignore` when a pattern matches nothing.
    #[arg(long, default_value = "warn", value_parser = Choices(&["warn", "error", "ignore"]))]
    pub if_no_files_found: String,
    /// Stored values to compare with: `NAME=value` lines or JSON (`-` for standard input).
    #[arg(long, value_name = "PATH")]
    pub current_file: Option<PathBuf>,
    /// Stored values, from this environment variable.
    #[arg(long, value_name = "VAR")]
    pub current_env: Option<String>,
    /// One stored value from an environment variable: `NAME` or `NAME=VAR`; repeatable.
    #[arg(long = "current-from-env", value_name = "NAME[=VAR]")]
    pub current_from_env: Vec<String>,
    /// A repository, `owner/name`, or `owner/glob` (`acme/service-*`); repeatable (default:
    /// $GITHUB_REPOSITORY). `--repositories` is an older name for it.
    #[arg(
        short = 'R',
        long = "repo",
        value_name = "OWNER/NAME",
        visible_alias = "repositories"
    )]
    pub repositories: Vec<String>,
    /// Repositories from a file: one `owner/name` a line (`#` comments), or a YAML list.
    #[arg(long, value_name = "FILE")]
    pub repos_file: Option<PathBuf>,
    /// Write this environment's secrets.
    #[arg(long = "env", value_name = "ENVIRONMENT")]
    pub environment: Option<String>,
    /// Write this organisation's secrets.
    #[arg(long = "org", value_name = "ORG")]
    pub organization: Option<String>,
    /// Organisation secrets: `all`, `private` or `selected`.
    #[arg(long, value_parser = Choices(&["all", "private", "selected"]))]
    pub visibility: Option<String>,
    /// With `--visibility selected`: `owner/name`; repeatable.
    #[arg(long = "selected-repo", value_name = "REPO")]
    pub selected_repositories: Vec<String>,
    /// `actions`, `dependabot`, `codespaces` or `agents`.
    #[arg(long, default_value = "actions", value_parser = Choices(APP_NAMES))]
    pub app: String,
    /// Compute and report; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask before writing to more than 10 targets or a pattern's (asked only on a
    /// terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Stop at the first failed write.
    #[arg(long)]
    pub fail_fast: bool,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long)]
    pub api_url: Option<String>,
    /// Append one JSON Lines record per decision to this file.
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
    /// Directory that `--files` patterns are relative to (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    #[command(flatten)]
    pub github_app: AppArgs,
    #[command(flatten)]
    pub sts: StsArgs,
}

pub fn run(args: SyncArgs) -> Result<(), Error> {
    let mut reporter = Reporter::stdio(human_mode());
    if let Some(problem) = usage_problem(&args) {
        return Err(Error::usage(problem));
    }
    let secrets = read_source(
        "new values",
        args.secrets_file.as_ref(),
        args.secrets_env.as_deref(),
    )
    .map_err(Error::usage)?;
    let current = read_source(
        "stored values",
        args.current_file.as_ref(),
        args.current_env.as_deref(),
    )
    .map_err(Error::usage)?;
    let (app_id, app_private_key, app_installation_id) =
        args.github_app.inputs().map_err(Error::usage)?;
    // The token is looked for unless the app or the exchange is given; a dry run uses it to
    // read only.
    let token = if args.github_app.is_set() || args.sts.is_set() {
        SecretValue::default()
    } else {
        crate::auth::token::find_token(false, &api_url_or_default(args.api_url.as_deref()))
            .map(|(t, _)| t)
            .unwrap_or_default()
    };
    let workspace = args.workspace.clone();
    let ask = !args.yes && !args.dry_run;
    let mut args = args;
    if let Some(path) = args.repos_file.take() {
        let listed = super::repos_file::read(&path).map_err(Error::usage)?;
        args.repositories
            .extend(listed.iter().map(ToString::to_string));
    }
    let raw = raw_inputs(
        args,
        token,
        secrets,
        current,
        (app_id, app_private_key, app_installation_id),
    );
    let ctx = RunContext {
        workspace: workspace
            .map(|p| crate::env::resolve(&p))
            .or_else(crate::env::working_dir)
            .unwrap_or_default(),
        default_repository: crate::env::var("GITHUB_REPOSITORY").unwrap_or_default(),
        actor: crate::env::var("USER").unwrap_or_default(),
        front_end: FrontEnd::Cli,
        confirm_targets: ask.then_some(confirm_targets as fn(&[Target], bool) -> bool),
        ..RunContext::default()
    };
    match crate::refresh::run(&raw, &ctx, &mut reporter, StepFiles::default()) {
        // Refused at the question: a usage error, as `delete`'s refusal (nothing was written).
        Err(Error::Reported) if REFUSED.load(Ordering::Relaxed) => Err(Error::UsageReported),
        other => other,
    }
}

/// Whether the question before a large blast radius was refused in this process.
static REFUSED: AtomicBool = AtomicBool::new(false);

/// On a terminal, a large blast radius (more than 10 targets, or any from a pattern) is
/// confirmed before the first write.
fn confirm_targets(targets: &[Target], from_pattern: bool) -> bool {
    let yes =
        super::confirm::blast_radius("the changed secrets", targets, from_pattern, false, false)
            .is_ok();
    REFUSED.store(!yes, Ordering::Relaxed);
    yes
}

/// Why `sync` has nothing to do, or flags that cannot go together (usage errors).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// No value from anywhere.
    #[error(
        "nothing to do: no value given; give --files, --secrets-file, --secrets-env or \
         --secret-from-env"
    )]
    NothingToDo,
    /// `--workspace` is no directory.
    #[error("`--workspace`: {0} is not a directory that exists")]
    Workspace(String),
    /// Both files from standard input.
    #[error("only one of --secrets-file and --current-file can be `-`")]
    BothFromStdin,
}

/// Flags that cannot go together, or name nothing to do.
fn usage_problem(args: &SyncArgs) -> Option<SyncError> {
    let no_values = args.secrets_file.is_none()
        && args.secrets_env.is_none()
        && args.secret_from_env.is_empty()
        && args.files.is_empty();
    if no_values {
        return Some(SyncError::NothingToDo);
    }
    if let Some(dir) = &args.workspace {
        if !crate::env::resolve(dir).is_dir() {
            return Some(SyncError::Workspace(dir.display().to_string()));
        }
    }
    if args
        .secrets_file
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-")
        && args
            .current_file
            .as_deref()
            .is_some_and(|p| p.as_os_str() == "-")
    {
        return Some(SyncError::BothFromStdin);
    }
    None
}

/// The flags as the action's inputs, values already read; what clap typed stays typed.
fn raw_inputs(
    args: SyncArgs,
    token: SecretValue,
    secrets: SecretValue,
    current: SecretValue,
    (app_id, app_private_key, app_installation_id): (String, SecretValue, String),
) -> RawInputs {
    // One exact repository is `repository`, as the action's input; several, or a pattern,
    // are `repositories`.
    let (repository, repositories) = match args.repositories.as_slice() {
        [one] if !one.contains(['*', '?', '[']) => (one.clone(), String::new()),
        many => (String::new(), many.join("\n")),
    };
    RawInputs {
        token,
        secrets,
        secrets_from_env: args.secret_from_env.join("\n"),
        files: args.files.join("\n"),
        prefix: args.prefix,
        if_no_files_found: args.if_no_files_found,
        current,
        current_from_env: args.current_from_env.join("\n"),
        repository,
        dry_run: Given::Parsed(args.dry_run),
        api_url: api_url_or_default(args.api_url.as_deref()),
        repositories,
        environment: args.environment.unwrap_or_default(),
        organization: args.organization.unwrap_or_default(),
        visibility: args.visibility.unwrap_or_default(),
        selected_repositories: args.selected_repositories.join("\n"),
        app: args.app,
        fail_fast: Given::Parsed(args.fail_fast),
        allow_pull_request_target: Given::Parsed(true),
        token_expiry_warning_days: Given::Parsed(args.expiry.expiry_warning_days),
        audit_log: args
            .audit_log
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        app_id,
        app_private_key,
        app_installation_id,
        sts_url: args.sts.sts_url.unwrap_or_default(),
        sts_identity: args.sts.sts_identity.unwrap_or_default(),
        sts_audience: args.sts.sts_audience.unwrap_or_default(),
        id_token_request_url: id_token_request().0,
        id_token_request_token: id_token_request().1,
        preflight: Given::Parsed(false),
        stored_at: String::new(),
        step_env: StepEnv::process(),
        undeclared: Vec::new(),
    }
}
