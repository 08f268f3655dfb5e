//! The one top-level error: how a command (or the action) ended other than well. Each variant
//! is one of the exit codes every `--help` documents ([`crate::commands::EXIT_CODES`]), and
//! [`Error::exit_code`] is the only place that maps a failure to its code.
//! [`crate::commands::exit`] turns a command's result into the process's exit code, printing
//! `error: …` where the command has not reported the failure itself.
//!
//! The causes are the modules' own typed errors (`SetError`, `TargetArgsError`,
//! `AppAuthError`, …): each names the flag, the file or the secret, never a value.

use std::borrow::Cow;

use crate::cancel::Signal;

/// A module's typed error, as the cause of a failure.
pub type Cause = Box<dyn std::error::Error + Send + Sync>;

/// Why a command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command line, an input file or the environment was wrong; nothing was done (2).
    #[error("{0}")]
    Usage(Cause),
    /// A check or a write failed (1).
    #[error("{0}")]
    Failed(Cause),
    /// A check or a write failed, and the command's own report said what (or there is nothing
    /// to say: standard output closed under it) (1).
    #[error("a check or a write failed")]
    Reported,
    /// The inputs were wrong, and the command's own report said which (2).
    #[error("usage or input error")]
    UsageReported,
    /// A signal stopped the command (130 for SIGINT, 143 for SIGTERM); `after` tells what
    /// became of what it had started (its token).
    #[error("cancelled by {}: stopped{after}", .signal.name())]
    Cancelled { signal: Signal, after: String },
    /// A signal stopped the command, and its own report said so (130 or 143).
    #[error("cancelled by {}", .0.name())]
    CancelledReported(Signal),
}

/// Everything was fine.
pub const OK: u8 = 0;
/// A check failed or a write failed.
pub const FAILED: u8 = 1;
/// The command line, an input file or the environment was wrong; nothing was done.
const USAGE: u8 = 2;

impl Error {
    /// The exit code: the one place a failure becomes one (see `--help`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::UsageReported => USAGE,
            Error::Failed(_) | Error::Reported => FAILED,
            Error::Cancelled { signal, .. } | Error::CancelledReported(signal) => {
                signal.exit_code()
            }
        }
    }

    /// A usage or input error: `cause` says which flag, file or input.
    pub fn usage(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Usage(Box::new(cause))
    }

    /// A failed check or write: `cause` says which.
    pub fn failed(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Error::Failed(Box::new(cause))
    }

    /// A usage or input error followed by what it means for the run ("; nothing was
    /// written").
    pub fn usage_then(
        cause: impl std::error::Error + Send + Sync + 'static,
        then: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error::Usage(Box::new(InContext::new("", cause, then)))
    }

    /// A failed check followed by what it means for the run.
    pub fn failed_then(
        cause: impl std::error::Error + Send + Sync + 'static,
        then: impl Into<Cow<'static, str>>,
    ) -> Self {
        Error::Failed(Box::new(InContext::new("", cause, then)))
    }

    /// What is still to be said on standard error: nothing when the command said it.
    pub fn unsaid(&self) -> Option<String> {
        match self {
            Error::Reported | Error::UsageReported | Error::CancelledReported(_) => None,
            e => Some(e.to_string()),
        }
    }
}

/// A cause with what comes before it (the thing it is about: "the new token: ") and after it
/// (what it means for the run: "; nothing was written").
#[derive(Debug, thiserror::Error)]
#[error("{before}{cause}{after}")]
pub struct InContext {
    before: &'static str,
    cause: Cause,
    after: Cow<'static, str>,
}

impl InContext {
    pub fn new(
        before: &'static str,
        cause: impl std::error::Error + Send + Sync + 'static,
        after: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            before,
            cause: Box::new(cause),
            after: after.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("--repo `x` is not a repository")]
    struct Bad;

    #[test]
    fn each_failure_has_the_exit_code_help_documents() {
        assert_eq!(Error::usage(Bad).exit_code(), 2);
        assert_eq!(Error::UsageReported.exit_code(), 2);
        assert_eq!(Error::failed(Bad).exit_code(), 1);
        assert_eq!(Error::Reported.exit_code(), 1);
        let int = Error::Cancelled {
            signal: Signal::Interrupt,
            after: String::new(),
        };
        assert_eq!(int.exit_code(), 130);
        assert_eq!(Error::CancelledReported(Signal::Terminate).exit_code(), 143);
        assert!(crate::commands::EXIT_CODES.contains("1 a check or a write failed"));
        assert!(crate::commands::EXIT_CODES.contains("2 usage or input error"));
    }

    #[test]
    fn messages_keep_their_context_and_reported_ones_are_not_repeated() {
        let e = Error::usage_then(Bad, "; nothing was written");
        assert_eq!(
            e.to_string(),
            "--repo `x` is not a repository; nothing was written"
        );
        assert_eq!(
            InContext::new("the new token: ", Bad, "").to_string(),
            "the new token: --repo `x` is not a repository"
        );
        assert_eq!(Error::Reported.unsaid(), None);
        assert_eq!(
            Error::Cancelled {
                signal: Signal::Interrupt,
                after: "; revoked".into()
            }
            .unsaid()
            .as_deref(),
            Some("cancelled by SIGINT: stopped; revoked")
        );
    }
}
