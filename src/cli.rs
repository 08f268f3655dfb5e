//! The command line's tree: the program, its commands and where each command's flags and
//! `--help` text live (in `commands/`). Nothing here runs: `lib::run` dispatches.

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "secret-refresh",
    version,
    about = "Write refreshed credentials back into GitHub secrets: only what changed, never shown.",
    long_about = "Write refreshed credentials back into GitHub secrets: only what changed, never shown.\n\n\
        Run with no arguments inside GitHub Actions, it is the action (inputs from INPUT_*).\n\
        The token comes from GH_TOKEN, else GITHUB_TOKEN, else `gh auth token`; never from a flag.\n\n\
        Exit codes: 0 ok, 1 a check or a write failed, 2 usage or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
#[allow(clippy::large_enum_variant)] // parsed once per process: size does not matter
pub enum Command {
    /// Run the action's engine from flags: compare, then write what changed.
    #[command(after_help = crate::commands::sync::AFTER_HELP)]
    Sync(crate::commands::sync::SyncArgs),
    /// Set one value (typed at a hidden prompt) into secrets of many targets.
    #[command(after_help = crate::commands::set::args::AFTER_HELP)]
    Set(crate::commands::set::args::SetArgs),
    /// Delete secrets from many targets, after showing the plan (off-boarding, clean-up).
    #[command(after_help = crate::commands::delete::AFTER_HELP)]
    Delete(crate::commands::delete::DeleteArgs),
    /// Show which secrets each target has and how old they are; fail when missing or stale.
    #[command(after_help = crate::commands::status::AFTER_HELP)]
    Status(crate::commands::status::StatusArgs),
    /// Show who a token belongs to, its kind, scopes and expiry; fail when it will not do.
    #[command(after_help = crate::commands::check_token::AFTER_HELP)]
    CheckToken(crate::commands::check_token::CheckTokenArgs),
    /// Rotate a token stored in secrets: validate it, write it everywhere, verify, revoke the old.
    #[command(after_help = crate::commands::rotate::args::AFTER_HELP)]
    Rotate(crate::commands::rotate::args::RotateArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish.
    #[command(after_help = crate::commands::completions::COMPLETIONS_AFTER_HELP)]
    Completions(crate::commands::completions::CompletionsArgs),
    /// Print the man page (or write one page per command with --out DIR).
    #[command(after_help = crate::commands::completions::MAN_AFTER_HELP)]
    Man(crate::commands::completions::ManArgs),
}
