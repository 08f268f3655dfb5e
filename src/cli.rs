//! The command line's tree: the program, its commands and where each command's flags and
//! `--help` text live (in `commands/`). Nothing here runs: `lib::run` dispatches.

use std::ffi::OsString;

use clap::{Parser, Subcommand};

use crate::github::TokenKind;

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

/// A credential typed as an argument: its place (1: the first after the program's name) and
/// what it looks like (the kind of token, by its documented prefix, or a private key). The
/// argument itself is never kept nor shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialArgument {
    pub position: usize,
    pub looks_like: &'static str,
}

/// The first argument that is, or carries after `=` (`--token=…`), a credential by its
/// documented shape: a GitHub token's prefix followed by a token's characters, or a PEM
/// private key's first line. No flag of ours takes one (values come from standard input, a
/// file or a hidden prompt; tokens from the environment), so it was typed by mistake, and the
/// argument parser would print it back in its "unexpected argument" message.
pub fn credential_argument(args: &[OsString]) -> Option<CredentialArgument> {
    args.iter().enumerate().skip(1).find_map(|(position, arg)| {
        let arg = arg.to_string_lossy();
        let after_equals = arg.split_once('=').map(|(_, v)| v);
        let looks_like = [Some(arg.as_ref()), after_equals]
            .into_iter()
            .flatten()
            .find_map(looks_like_a_credential)?;
        Some(CredentialArgument {
            position,
            looks_like,
        })
    })
}

fn looks_like_a_credential(text: &str) -> Option<&'static str> {
    if text.contains("PRIVATE KEY-----") {
        return Some("private key");
    }
    match TokenKind::of_argument(text) {
        TokenKind::Unknown => None,
        kind => Some(kind.describe()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_token_anywhere_after_the_program_is_found_by_its_place() {
        let found = credential_argument(&args(&[
            "secret-refresh",
            "set",
            "NAME",
            "ghp_0123456789abcdefABCDEF0123456789abcd",
        ]));
        assert_eq!(
            found,
            Some(CredentialArgument {
                position: 3,
                looks_like: "classic personal access token"
            })
        );
        let found =
            credential_argument(&args(&["p", "sync", "--token=github_pat_11AAAA_bbbbbbbb"]));
        assert_eq!(found.map(|f| f.position), Some(2));
        let found = credential_argument(&args(&["p", "set", "-----BEGIN PRIVATE KEY-----"]));
        assert_eq!(found.map(|f| f.looks_like), Some("private key"));
    }

    #[test]
    fn names_prefixes_and_ordinary_words_are_not_credentials() {
        for word in [
            "GHP_CACHED_SESSION",
            "ghp_",
            "ghs_short",
            "ghp_has space in it",
            "--repo=acme/ghp_0123456789",
            "acme/api",
            "PAT_TOKEN",
        ] {
            assert_eq!(credential_argument(&args(&["p", word])), None, "{word}");
        }
        // The program's own name is not looked at.
        assert_eq!(credential_argument(&args(&["ghp_0123456789abcdef"])), None);
    }
}
