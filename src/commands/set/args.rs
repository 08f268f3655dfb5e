//! `set`'s command line: [`SetArgs`], its `--help` epilogue, and everything checked before the
//! value is asked for ([`SetError`] names the flag, the file or the secrets, never the value).

use std::path::PathBuf;

use clap::Args;

use crate::commands::options::{AppArgs, ExpiryArgs};
use crate::commands::TargetArgs;
use crate::config::names::SecretName;
use crate::config::{Visibility, MAX_VALUE_BYTES};
use crate::env::prompt::{self, PromptError};

#[derive(Args, Debug)]
pub struct SetArgs {
    /// The secret's name (one, as in `gh secret set`: the value is never an argument).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
    /// Another secret to set to the same value; repeatable.
    #[arg(long = "name", value_name = "NAME")]
    pub more_names: Vec<String>,
    #[command(flatten)]
    pub targets: TargetArgs,
    /// With --org: which repositories may use the secret, `all` or `private` (default: the
    /// existing secret's, else `private`).
    #[arg(
        long,
        value_name = "VISIBILITY",
        requires = "org",
        value_parser = crate::commands::options::Choices(&["all", "private"])
    )]
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
    /// Do not ask before writing to more than 10 targets (asked only on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// REST base URL (default: $GH_HOST's API, else https://api.github.com).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    #[command(flatten)]
    pub github_app: AppArgs,
}

impl SetArgs {
    /// Every secret named: the one after `set`, then each `--name`.
    pub fn all_names(&self) -> Vec<String> {
        self.names.iter().chain(&self.more_names).cloned().collect()
    }
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
  secret-refresh set --name SESSION --name SESSION_BACKUP -R acme/api
  secret-refresh set PAT_TOKEN --repos-file repos.txt --dry-run
  secret-refresh set DEPLOY_KEY --repo acme/api --env production --from-file key.pem
  op read op://ci/pat | secret-refresh set PAT_TOKEN --org acme --visibility private
  secret-refresh set PAT_TOKEN --repo acme/api --app-id 123456 --app-key-file app.pem

Exit codes: 0 ok, 1 a write (or, with --dry-run, an access check) failed, 2 usage or input error
(nothing was written).";

/// The secrets' names, the targets and `--visibility`, checked.
pub(super) type Validated = (Vec<SecretName>, crate::commands::Specs, Option<Visibility>);

/// Why `set` cannot go on before writing: names the flag, the file or the secrets, never the
/// value (all are usage or input errors: nothing was written).
#[derive(Debug, thiserror::Error)]
pub(super) enum SetError {
    /// A secret's name is wrong or repeated.
    #[error(transparent)]
    Name(#[from] crate::config::names::NameError),
    /// No name at all.
    #[error("give the secret's name: secret-refresh set NAME --repo owner/name")]
    NoName,
    /// A second word after the name (gh's `set NAME VALUE`): it would have become a second
    /// secret. Not echoed: it may be the value.
    #[error(
        "set takes one secret name, and a second word followed it: it would have become a \
         second secret, so nothing was done (the word is not shown: it may be a value). A value \
         is never an argument, which would leave it in your shell history and in the process \
         list: type it at the hidden prompt, pipe it (`... | secret-refresh set NAME --repo \
         owner/name`) or give --from-file PATH. To set several secrets to one value, name each \
         with --name: secret-refresh set --name FIRST --name SECOND --repo owner/name"
    )]
    SecondWord,
    /// `--repo`, `--repos-file`, `--env`, `--org` or `--app` is wrong.
    #[error(transparent)]
    Targets(#[from] crate::commands::TargetArgsError),
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
pub(super) fn validate(args: &SetArgs) -> Result<Validated, SetError> {
    if args.names.len() > 1 {
        return Err(SetError::SecondWord);
    }
    let all = args.all_names();
    if all.is_empty() {
        return Err(SetError::NoName);
    }
    let names = SecretName::parse_unique(&all)?;
    let targets = args.targets.specs()?;
    let visibility = match args.visibility.as_deref() {
        None => None,
        Some(v) => match Visibility::parse(v) {
            Some(Visibility::Selected) => return Err(SetError::VisibilitySelected),
            Some(v) => Some(v),
            None => return Err(SetError::Visibility(v.to_owned())),
        },
    };
    if let Some(p) = &args.from_file {
        if p.as_os_str() != "-" && !crate::env::resolve(p).is_file() {
            return Err(SetError::NoFile(p.display().to_string()));
        }
    }
    Ok((names, targets, visibility))
}
