//! secret-refresh: writes refreshed credentials back into GitHub secrets.
//!
//! Data flows one way: inputs → validated [`config::Config`] → [`engine`] (compare, plan,
//! write) → [`secret::seal`] → [`github`] client → [`report`] → [`output`]. Values stay in
//! [`secret::SecretValue`] from the moment they are read until they are sealed. The layout is
//! drawn in `docs/architecture.md`.

// Every `pub` item is reachable from the crate's root: no `pub` that only looks public.
#![warn(unreachable_pub)]
// A panic is a bug: the release build unwinds through every guard (a minted token is revoked)
// and `commands::crash` says so; still, production code may not panic on data: no unwrap, expect, panic! or unchecked indexing
// (unit tests may).
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

pub mod action;
pub mod audit;
pub mod auth;
pub mod cancel;
pub mod cli;
pub mod commands;
pub mod config;
pub mod engine;
pub mod env;
pub mod error;
pub mod github;
pub mod output;
pub mod pacing;
pub mod preflight;
pub mod refresh;
pub mod report;
pub mod secret;
pub mod target;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

pub use env::{Env, Stream};

/// The program, given its arguments (the program's name first), its environment and its two
/// output streams: `main` passes the process's own, a test its own (see [`env`]). Action mode
/// when run bare inside GitHub Actions, else the command line.
pub fn run<A, O, E>(args: impl IntoIterator<Item = A>, env: Env, stdout: O, stderr: E) -> ExitCode
where
    A: Into<OsString> + Clone,
    O: Stream + 'static,
    E: Stream + 'static,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let _scope = env::Scope::bind(env, Box::new(stdout), Box::new(stderr));
    // A panic (a bug) unwinds through every guard, then is said as an internal error.
    commands::crash::guarded(|| dispatch(args))
}

/// The action, or the command the arguments name.
fn dispatch(args: Vec<OsString>) -> ExitCode {
    let bare = args.len() <= 1;
    if bare && env::var("GITHUB_ACTIONS").as_deref() == Some("true") {
        return commands::exit(action::main());
    }
    if let Some(found) = cli::credential_argument(&args) {
        // A `gh secret` habit (`--body VALUE`) keeps its own precise answer.
        let habit = args.get(1..).and_then(commands::habits::answer);
        return commands::exit(refuse_credential_argument(found, habit));
    }
    let cli = match cli::Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => {
            // A `gh secret` habit gets a precise answer instead of clap's.
            let habit = args.get(1..).and_then(commands::habits::answer);
            if let (true, Some(answer)) = (e.use_stderr(), habit) {
                output::sink::write(env::Which::Err, &format!("error: {answer}\n"));
                return commands::exit(Err(error::Error::UsageReported));
            }
            return commands::exit(usage(&e));
        }
    };
    // A signal handled along the way (see `cancel`) decides the exit code: 130 or 143.
    commands::exit(match cli.command {
        cli::Command::Sync(args) => commands::sync::run(args),
        cli::Command::Set(args) => commands::set::run(args),
        cli::Command::Delete(args) => commands::delete::run(args),
        cli::Command::Status(args) => commands::status::run(args),
        cli::Command::CheckToken(args) => commands::check_token::run(args),
        cli::Command::Rotate(args) => commands::rotate::run(args),
        cli::Command::Completions(args) => commands::completions::run(args, cli::Cli::command()),
        cli::Command::Man(args) => commands::completions::run_man(args, cli::Cli::command()),
    })
}

/// A credential typed as an argument: refused before the parser (which would print it back),
/// never shown, with what to do instead. Nothing is asked of GitHub.
fn refuse_credential_argument(
    found: cli::CredentialArgument,
    habit: Option<String>,
) -> Result<(), error::Error> {
    if let Some(answer) = habit {
        output::sink::write(env::Which::Err, &format!("error: {answer}\n"));
        return Err(error::Error::UsageReported);
    }
    let text = format!(
        "error: argument {} looks like a credential ({}): a token or a secret's value is never taken from \
         the command line, where shell history and the process list keep it, and it is not \
         shown here.\n  \
         a value: pipe it (`... | secret-refresh set NAME --from-file -`), name a file \
         (`--from-file PATH`), or run `set NAME` on a terminal for a hidden prompt;\n  \
         several secrets, one value: `set --name FIRST --name SECOND`;\n  \
         a token: set GH_TOKEN in the environment, or log in with `gh auth login`.\n  \
         If it was a real credential typed where others can read the history, rotate it.\n",
        found.position, found.looks_like
    );
    output::sink::write(env::Which::Err, &text);
    Err(error::Error::UsageReported)
}

/// clap's answer to the arguments, coloured only on a terminal: `--help` and `--version` on
/// standard output (success), a usage error on standard error (already said).
fn usage(e: &clap::Error) -> Result<(), error::Error> {
    let (which, result) = if e.use_stderr() {
        (env::Which::Err, Err(error::Error::UsageReported))
    } else {
        (env::Which::Out, Ok(()))
    };
    let colour = env::is_terminal(which) && !env::is_set("NO_COLOR");
    let text = if colour {
        e.render().ansi().to_string()
    } else {
        e.render().to_string()
    };
    output::sink::write(which, &text);
    result
}
