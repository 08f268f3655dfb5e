//! What happened to each secret at each target, as data: the engine produces it, the report
//! renders it, the audit log records it. Nothing here prints, and nothing here holds a value.

use serde::{Deserialize, Serialize};

use crate::target::Target;

/// How a refreshed value compares with the value stored now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// Not in `current`: the secret does not exist yet.
    New,
    /// In `current` with another value.
    Changed,
    /// Equal to the stored value: nothing to write.
    Unchanged,
    /// `current` was empty, so nothing could be compared: written as changed.
    NotCompared,
}

impl Comparison {
    pub fn needs_write(self) -> bool {
        self != Comparison::Unchanged
    }
}

/// What happened to one secret in one target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    WouldWrite,
    /// Changed but not written: the reason (`no token`, `pull_request_target event`).
    NotWritten(String),
    Failed(Failure),
    /// Not attempted because an earlier failure stopped the run.
    NotAttempted,
    /// Not attempted because a signal cancelled the run (see `cancel`).
    Cancelled,
    /// Not compared (no `current`), and an unfinished earlier attempt of this workflow run
    /// already wrote it here (its audit records say so): not written again.
    AlreadyWritten,
    /// Not written: another run stored it here after this run's preflight (`stored-at`), at
    /// this time (RFC 3339); that newer value is kept.
    Conflict(String),
}

/// Why a write failed: the kind, for decisions (which fix to suggest), and the message, for
/// people. Displays as the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub kind: FailureKind,
    pub message: String,
}

/// The kind of a [`Failure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// GitHub refused the credential (401).
    Unauthorized,
    /// GitHub refused the request for this target (403, 404).
    Forbidden,
    /// GitHub rejected the write (422).
    Rejected,
    /// GitHub's rate limit outlasted the run's budget for waits.
    RateLimited,
    /// No usable answer came (network, server errors, an answer too large).
    Unreachable,
    /// Anything else: an answer not understood, a key that cannot seal.
    Other,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The machine code of an [`Outcome`], as the audit log records it and the ledger reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeCode {
    Created,
    Updated,
    Unchanged,
    WouldWrite,
    NotWritten,
    Failed,
    NotAttempted,
    AlreadyWritten,
    Cancelled,
    /// `delete`: the secret was removed.
    Deleted,
    /// `delete`: the secret was already absent.
    AlreadyAbsent,
    /// Not written: another run stored the secret after this run's preflight.
    Conflict,
}

impl Outcome {
    pub fn is_written(&self) -> bool {
        matches!(self, Outcome::Created | Outcome::Updated)
    }

    pub fn code(&self) -> OutcomeCode {
        match self {
            Outcome::Created => OutcomeCode::Created,
            Outcome::Updated => OutcomeCode::Updated,
            Outcome::Unchanged => OutcomeCode::Unchanged,
            Outcome::WouldWrite => OutcomeCode::WouldWrite,
            Outcome::NotWritten(_) => OutcomeCode::NotWritten,
            Outcome::Failed(_) => OutcomeCode::Failed,
            Outcome::NotAttempted => OutcomeCode::NotAttempted,
            Outcome::Cancelled => OutcomeCode::Cancelled,
            Outcome::AlreadyWritten => OutcomeCode::AlreadyWritten,
            Outcome::Conflict(_) => OutcomeCode::Conflict,
        }
    }

    /// The text of the Result column.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Created => "created".into(),
            Outcome::Updated => "updated".into(),
            Outcome::Unchanged => "unchanged".into(),
            Outcome::WouldWrite => "would write (dry run)".into(),
            Outcome::NotWritten(why) => format!("changed, not written: {why}"),
            Outcome::Failed(why) => format!("failed: {why}"),
            Outcome::NotAttempted => "not attempted (stopped by an earlier failure)".into(),
            Outcome::Cancelled => "not attempted: cancelled".into(),
            Outcome::AlreadyWritten => "already written by an earlier attempt of this run".into(),
            Outcome::Conflict(at) => format!(
                "conflict: not written, another run stored it at {at}, after this run's \
                 preflight"
            ),
        }
    }

    /// The audit action of this outcome (kept for readers of earlier logs).
    pub fn audit_action(&self) -> &'static str {
        match self {
            Outcome::Created => "secret.create",
            Outcome::Updated => "secret.update",
            Outcome::Unchanged | Outcome::AlreadyWritten => "secret.unchanged",
            Outcome::WouldWrite
            | Outcome::NotWritten(_)
            | Outcome::NotAttempted
            | Outcome::Cancelled
            | Outcome::Conflict(_) => "secret.skip",
            Outcome::Failed(_) => "secret.fail",
        }
    }
}

/// One row of the report: a secret in a target.
#[derive(Debug, Clone)]
pub struct Row {
    pub secret: String,
    /// The target's label, or the configured pattern when it was not resolved.
    pub target: String,
    pub resolved: Option<Target>,
    pub outcome: Outcome,
    pub key_id: Option<String>,
    /// The fix to suggest when it failed.
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SkipReason {
    NoToken,
    DryRun,
    Event,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::NoToken => "no-token",
            SkipReason::DryRun => "dry-run",
            SkipReason::Event => "event",
        }
    }
}

/// The whole result of a run.
#[derive(Debug, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    /// Names and how they compared, in input order.
    pub comparisons: Vec<(String, Comparison)>,
    pub skip: Option<SkipReason>,
    /// The event writes were refused on, with [`SkipReason::Event`].
    pub refused_event: Option<crate::config::input::RefusedEvent>,
    /// Labels of every target (resolved when something was written).
    pub targets: Vec<String>,
    /// A failure that stopped the run before any secret could be tried (listing, auth).
    pub fatal: Option<String>,
    pub requests: u64,
    pub retries: u64,
    pub rate_limit_waits: u64,
    pub rate_limit_wait_secs: f64,
    /// The most the run may wait on rate limits, in seconds.
    pub rate_limit_budget_secs: u64,
    /// An audit log and a run id are set: a re-run of this run writes only what is missing.
    pub resumable: bool,
    /// `github-authentication-token-expiration`, when GitHub sent it.
    pub token_expiry: Option<String>,
    /// Why the audit log was not read back (a re-run then writes every changed secret).
    pub audit_problem: Option<String>,
    /// A dry run that resolved its targets and read their public keys (it had a credential).
    pub dry_run_checked: bool,
    /// The values refused before the run (`Config::refused`): each failed its secret.
    pub refused: Vec<String>,
    /// `stored-at` was given: secrets another run stored since preflight are not overwritten.
    pub prechecked: bool,
    /// Targets written without preflight's check: `stored-at` was given but did not name them.
    pub not_prechecked: Vec<String>,
}

impl Report {
    pub fn changed(&self) -> bool {
        self.comparisons.iter().any(|(_, c)| c.needs_write())
    }

    pub fn failed(&self) -> bool {
        self.fatal.is_some()
            || !self.refused.is_empty()
            || self
                .rows
                .iter()
                .any(|r| matches!(r.outcome, Outcome::Failed(_)))
    }

    /// Each secret written, as `TARGET:NAME` (the target spelt as in the report's table:
    /// `acme/api`, `acme/api/environments/prod`, `orgs/acme`), whatever the number of
    /// targets: one shape to script against.
    pub fn updated(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.outcome.is_written())
            .map(|r| format!("{}:{}", r.target, r.secret))
            .collect()
    }

    /// The names written anywhere, sorted, each once: for `contains(fromJSON(…), 'NAME')`.
    pub fn updated_names(&self) -> Vec<String> {
        let names: std::collections::BTreeSet<&str> = self
            .rows
            .iter()
            .filter(|r| r.outcome.is_written())
            .map(|r| r.secret.as_str())
            .collect();
        names.into_iter().map(str::to_owned).collect()
    }

    /// Each secret not written because another run stored it since preflight, as `TARGET:NAME`
    /// like [`Self::updated`].
    pub fn conflicted(&self) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::Conflict(_)))
            .map(|r| format!("{}:{}", r.target, r.secret))
            .collect()
    }

    pub fn unchanged(&self) -> Vec<String> {
        self.comparisons
            .iter()
            .filter(|(_, c)| *c == Comparison::Unchanged)
            .map(|(n, _)| n.clone())
            .collect()
    }

    /// Changed values that were not written because of a skip.
    pub fn not_written(&self) -> usize {
        self.comparisons
            .iter()
            .filter(|(_, c)| c.needs_write())
            .count()
    }
}
