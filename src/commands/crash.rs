//! A panic inside a command is a bug, never a way out past the guards. The release build
//! unwinds on panic (`panic = "unwind"` in `Cargo.toml`; SECURITY.md says why): every guard's
//! destructor runs on the way out — a minted installation token dropped unrevoked goes on the
//! list its [`crate::auth::guard::Runtime`] revokes as it is dropped — and [`guarded`] catches
//! the panic at the top, says so (an annotation and the step summary in a workflow, `error:` on
//! a terminal) and exits 1. The panic's own message goes through the output layer too
//! ([`install_hook`]: redacted, never the process's raw standard error).
//!
//! A test proves it: [`crate::auth::guard::panic_point`] panics at a named point when the
//! run's environment asks (after a mint, after an exchange, before a write), in builds with
//! the cargo feature `fault-injection` only (a release build has no such knob: the function
//! does nothing there).

use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use crate::output::reporter::{Mode, Reporter};

/// Runs a command; a panic inside it becomes an internal error said like any other failure,
/// after every guard ran (and, with it, every minted token's revocation).
pub fn guarded(command: impl FnOnce() -> ExitCode) -> ExitCode {
    crate::auth::guard::begin_command();
    match std::panic::catch_unwind(AssertUnwindSafe(command)) {
        Ok(code) => code,
        Err(_) => crashed(),
    }
}

/// Says that the run stopped on a bug, and whether a minted token may still be alive (of a
/// run that never held one, nothing: it has none to speak of).
fn crashed() -> ExitCode {
    use crate::auth::guard::{any_left_behind, any_minted, revocation_failed};
    let tokens = if any_left_behind() || revocation_failed() {
        ", an installation token it minted may still be alive: it expires by itself within the \
         hour"
    } else if any_minted() {
        ", every installation token it minted was revoked"
    } else {
        ""
    };
    let message = format!(
        "secret-refresh stopped on an internal error (a bug: please report it with the log \
         above); what it had written stays written{tokens}"
    );
    if crate::env::var("GITHUB_ACTIONS").as_deref() == Some("true") {
        let mut r = Reporter::stdio(Mode::Action);
        r.error("secret-refresh", &message);
        r.flush();
        if let Some(path) = crate::env::var("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
            let summary = format!(
                "### Secret refresh\n\n**Stopped:** {}\n\n",
                crate::output::escape::md_text(&message)
            );
            let _ = crate::output::files::append(std::path::Path::new(&path), &summary);
        }
    } else {
        crate::commands::say(&message);
    }
    ExitCode::from(crate::error::FAILED)
}

/// Installs the panic hook of the binary: the panic's message and place on standard error
/// through the output layer (redacted like every text), instead of the default hook's raw write.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        crate::output::sink::write(
            crate::env::Which::Err,
            &format!("internal error{place}: {what}\n"),
        );
    }));
}

#[cfg(test)]
mod tests {
    /// The release profile unwinds: with `panic = "abort"` no destructor runs, no minted token
    /// is revoked and nothing is said (the integration test runs a debug build, which unwinds
    /// whatever this says).
    #[test]
    fn the_release_build_unwinds() {
        let manifest = include_str!("../../Cargo.toml");
        let release = manifest
            .split("[profile.release]")
            .nth(1)
            .and_then(|s| s.split("\n[").next())
            .expect("a release profile");
        let panic: Vec<&str> = release
            .lines()
            .filter(|l| l.trim_start().starts_with("panic"))
            .collect();
        assert_eq!(panic, ["panic = \"unwind\""], "{release}");
    }
}
