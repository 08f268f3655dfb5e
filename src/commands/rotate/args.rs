//! `rotate`'s command line: [`RotateArgs`] and its `--help` epilogue.

use std::path::PathBuf;

use clap::Args;

use crate::commands::options::{AppArgs, ExpiryArgs};
use crate::commands::TargetArgs;

/// The variables the data directory is found from, for the error when none is set.
pub(super) const DATA_DIRECTORY: &str = if cfg!(windows) {
    "LOCALAPPDATA is not set"
} else {
    "neither XDG_DATA_HOME nor HOME is set"
};

/// `audit.jsonl` in the user's data directory: `$XDG_DATA_HOME/secret-refresh`, else
/// `$HOME/.local/share/secret-refresh` (the XDG default); `%LOCALAPPDATA%\secret-refresh` on
/// Windows. `None` when the variables that say where it is are unset (or not absolute, which
/// the XDG specification says to ignore).
pub(super) fn default_audit_log() -> Option<PathBuf> {
    let var = |name: &str| {
        crate::env::var(name)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let data = if cfg!(windows) {
        var("LOCALAPPDATA")?
    } else {
        var("XDG_DATA_HOME").or_else(|| var("HOME").map(|home| home.join(".local/share")))?
    };
    Some(data.join("secret-refresh").join("audit.jsonl"))
}

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
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Write with the new token itself, which proves it can write where the action will write
    /// (default: write with the token from GH_TOKEN, GITHUB_TOKEN or `gh`, or the app).
    #[arg(long, conflicts_with = "app_id")]
    pub write_with_new: bool,
    /// Try every target even after a failure (default: stop at the first failure).
    #[arg(long)]
    pub keep_going: bool,
    /// Do not ask before writing to more than 10 targets (asked only on a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
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
    /// Append the rotation's record (one JSON line) to this file (default: audit.jsonl in your
    /// data directory: $XDG_DATA_HOME/secret-refresh, else ~/.local/share/secret-refresh;
    /// %LOCALAPPDATA%\secret-refresh on Windows).
    #[arg(long, value_name = "PATH")]
    pub audit_log: Option<PathBuf>,
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
verified), and append a record to the audit log (never a token): --audit-log PATH, by default
audit.jsonl in your data directory ($XDG_DATA_HOME/secret-refresh, else
~/.local/share/secret-refresh; %LOCALAPPDATA%\\secret-refresh on Windows).

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
