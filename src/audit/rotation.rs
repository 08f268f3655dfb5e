//! The record of one rotation ([`RotationRecord`]): what `secret-refresh rotate` did, where,
//! and how each target's write and check ended. Appended by [`super::log::AuditLog`]; never
//! read back.

use serde::{Deserialize, Serialize};

use crate::report::outcome::OutcomeCode;

/// One rotation (`secret-refresh rotate`), as one JSON line: what was rotated where, what each
/// target's write and check came to, when, and what kind of token it was and when it expires.
/// Never token material: not the token, not its prefix's continuation, not a hash. The ledger
/// does not read it (it is not a [`Record`](super::record::Record)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationRecord {
    /// Always `rotation`.
    pub event: String,
    /// RFC 3339, UTC: when the rotation began (GitHub's clock when it said so) and ended.
    pub started: String,
    pub finished: String,
    #[serde(default)]
    pub actor: Option<String>,
    pub secret: String,
    /// The new token's kind (`classic`, `fine_grained`, …), from its prefix.
    pub token_kind: String,
    /// The new token's expiry as GitHub reported it (RFC 3339), when it has one.
    #[serde(default)]
    pub token_expiry: Option<String>,
    /// Which credential wrote: `new_token`, `token` or `github_app`.
    pub written_with: String,
    pub targets: Vec<RotationTarget>,
    /// `not_asked`, `revoked`, `kept` (not every target verified), `failed`.
    pub revoke_old: RevokeOutcome,
    /// `verified` (every target), `failed` or `cancelled`.
    pub outcome: RotationOutcome,
}

/// One target of a rotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationTarget {
    pub target: String,
    pub write: OutcomeCode,
    pub check: CheckOutcome,
    /// The secret's `updated_at` as GitHub answered it, when read.
    #[serde(default)]
    pub updated_at: Option<String>,
}

/// What the check after the write found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// Updated at or after the rotation began.
    Verified,
    /// Updated before the rotation began: the write did not land.
    Stale,
    /// No such secret.
    Missing,
    /// Written, but it could not be read back: not verified.
    Unreadable,
    /// Written, but a signal came before it was read back: not verified.
    Cancelled,
    /// Not checked: not written.
    NotChecked,
}

/// What became of the old token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeOutcome {
    NotAsked,
    Revoked,
    /// Asked, but not every target verified: the old token was kept.
    Kept,
    Failed,
}

/// How a rotation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RotationOutcome {
    Verified,
    Failed,
    Cancelled,
}
