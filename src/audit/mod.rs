//! The audit log: one JSON line per secret and target a run decided, with machine fields (the
//! run it belongs to, the pair, an outcome code), and the ledger a re-run reads back from it:
//! [`record`] (the records and their MAC), [`ledger`] (what a re-run folds from them), [`log`]
//! (the file), [`rotation`] (the record of a rotation).
//!
//! Records are written and read as data ([`record::Record`]); the human `result` text is for
//! people and is never read back. No record holds a value or a hash of one.
//!
//! The log lives in the workspace, which anything that can write the workspace controls (and
//! which outlives the job on a self-hosted runner). So: it is read only on a re-run
//! (`GITHUB_RUN_ATTEMPT` > 1) and only records bound to this run count (same repository, run id
//! and job, an earlier attempt) and authenticated by the credential that writes
//! ([`record::RecordKey`]: a step that can write the workspace but does not hold the token cannot
//! forge "already written"); the file must be a regular file inside the workspace, not a
//! symbolic link, and at most [`log::MAX_AUDIT_LOG_BYTES`]; anything else is refused, which can
//! only make a run write more, never less.

pub mod ledger;
pub mod log;
pub mod record;
pub mod rotation;

#[cfg(test)]
mod tests;
