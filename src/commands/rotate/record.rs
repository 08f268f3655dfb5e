//! Step 6: the rotation's record in the audit log (targets, outcomes, times, the token's kind and
//! expiry, the login of the new token's holder; never a token), appended where `--audit-log`
//! says, by default to `audit.jsonl` in the user's data directory
//! ([`super::args::default_audit_log`]), never into whatever directory the command ran in.

use std::path::{Path, PathBuf};

use super::read::Inputs;
use super::validate::Checked;
use super::verify::{rfc3339, write_outcome, Check};
use crate::audit::log::AuditLog;
use crate::audit::rotation::{
    CheckOutcome, RevokeOutcome, RotationOutcome, RotationRecord, RotationTarget,
};
use crate::auth::token::TokenKind;
use crate::commands::Credential;
use crate::engine::Report;
use crate::github::credentials::CredentialRevokeError;

/// Step 6's record: data only, never a token.
pub(super) fn rotation_record(
    inputs: &Inputs,
    checked: &Checked,
    report: &Report,
    checks: &[Check],
    revoked: &Option<Result<(), CredentialRevokeError>>,
) -> RotationRecord {
    let all_verified = checks.iter().all(|c| c.outcome == CheckOutcome::Verified);
    RotationRecord {
        event: "rotation".into(),
        started: rfc3339(checked.started),
        finished: rfc3339(crate::env::now()),
        // The login GitHub named for the new token (`GET /user`, read while validating it): no
        // request of its own; `None` for a token that acts for no user.
        actor: checked.holder.as_ref().and_then(|h| h.login.clone()),
        secret: inputs.name.to_string(),
        token_kind: kind_code(checked.kind).into(),
        token_expiry: checked
            .expiry
            .as_deref()
            .and_then(crate::report::parse_expiry)
            .map(rfc3339),
        written_with: match &inputs.writer {
            None => "new_token",
            Some(Credential::Token(..)) => "token",
            Some(Credential::App(_)) => "github_app",
        }
        .into(),
        targets: inputs
            .targets
            .iter()
            .zip(checks)
            .map(|(t, c)| RotationTarget {
                target: t.to_string(),
                write: write_outcome(report, t).code(),
                check: c.outcome,
                updated_at: c.updated_at.map(rfc3339),
            })
            .collect(),
        revoke_old: match (&inputs.old, revoked) {
            (None, _) => RevokeOutcome::NotAsked,
            (Some(_), None) => RevokeOutcome::Kept,
            (Some(_), Some(Ok(()))) => RevokeOutcome::Revoked,
            (Some(_), Some(Err(_))) => RevokeOutcome::Failed,
        },
        outcome: if crate::cancel::requested().is_some() {
            RotationOutcome::Cancelled
        } else if all_verified {
            RotationOutcome::Verified
        } else {
            RotationOutcome::Failed
        },
    }
}

/// Why the rotation's record was not appended to the audit log.
#[derive(Debug, thiserror::Error)]
pub(super) enum RecordError {
    /// The current directory is gone or unreadable.
    #[error("cannot find the current directory")]
    Cwd,
    /// The log's directory could not be created.
    #[error("the rotation was not recorded: cannot create {dir}: {cause}")]
    Directory { dir: String, cause: std::io::Error },
    /// The log refused the record.
    #[error("the rotation was not recorded: {0}")]
    Append(crate::audit::log::AuditError),
}

fn kind_code(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Classic => "classic",
        TokenKind::FineGrained => "fine_grained",
        TokenKind::Installation => "installation",
        TokenKind::UserToServer => "user_to_server",
        TokenKind::OAuth => "oauth",
        TokenKind::Refresh => "refresh",
        TokenKind::Unknown => "unknown",
    }
}

/// The rotation's record, appended to the log where it is asked to be (its directory created
/// first when it does not exist): the log's own directory is the root it must stay in (no link
/// out of it, no file with another name).
pub(super) fn record_rotation(
    path: &Path,
    record: &RotationRecord,
) -> Result<PathBuf, RecordError> {
    let cwd = crate::env::working_dir().ok_or(RecordError::Cwd)?;
    let full = cwd.join(path);
    let root = full.parent().map(Path::to_path_buf).unwrap_or(cwd);
    std::fs::create_dir_all(&root).map_err(|cause| RecordError::Directory {
        dir: root.display().to_string(),
        cause,
    })?;
    AuditLog::new(&full, &root)
        .append_rotation(record)
        .map_err(RecordError::Append)?;
    Ok(path.to_path_buf())
}
