//! The audit log file ([`AuditLog`]): appended one JSON line per record, and read back (only on
//! a re-run, only a regular file inside the workspace, at most [`MAX_AUDIT_LOG_BYTES`]) into the
//! [`Ledger`].

use std::path::Path;

use super::ledger::Ledger;
use super::record::{Record, RunBinding};
use super::rotation::RotationRecord;
use crate::config::workspace::LogFile;
use crate::config::Config;
use crate::output::redact::Redacted;

/// The largest audit log read back. Larger logs are not read (a re-run then writes every
/// changed secret again): a record is a few hundred bytes, so this holds tens of thousands.
pub const MAX_AUDIT_LOG_BYTES: u64 = 16 * 1024 * 1024;

pub use crate::config::workspace::LogError as AuditError;

/// The audit log at a path, kept inside a workspace: read and appended through
/// [`LogFile`], the workspace boundary.
#[derive(Debug, Clone)]
pub struct AuditLog {
    file: LogFile,
}

impl AuditLog {
    pub fn new(path: &Path, workspace: &Path) -> Self {
        Self {
            file: LogFile::new(path, workspace),
        }
    }

    /// The log of a configuration, when `audit-log` is set.
    pub fn of(config: &Config) -> Option<Self> {
        config
            .audit_log
            .as_deref()
            .map(|p| Self::new(p, &config.context.workspace))
    }

    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// What earlier attempts of this run recorded. Empty on a first attempt (the file is not
    /// even opened), without a run id, or without the file.
    pub fn ledger(&self, run: &RunBinding) -> Result<Ledger, AuditError> {
        if run.attempt <= 1 || run.run_id.is_empty() {
            return Ok(Ledger::default());
        }
        let Some(bytes) = self.file.read(MAX_AUDIT_LOG_BYTES)? else {
            return Ok(Ledger::default());
        };
        let text = String::from_utf8_lossy(&bytes);
        Ok(Ledger::from_records(
            text.lines()
                .filter_map(|l| serde_json::from_str::<Record>(l).ok()),
            run,
        ))
    }

    /// Appends records, one JSON line each.
    pub fn append(&self, records: &[Record]) -> Result<(), AuditError> {
        let mut text = String::new();
        for r in records {
            let line = serde_json::to_string(r).map_err(|e| AuditError::Io {
                path: self.path().to_path_buf(),
                source: e.into(),
            })?;
            text.push_str(&line);
            text.push('\n');
        }
        self.file.append(&Redacted::new(&text))
    }
}

impl AuditLog {
    /// Appends one rotation record as a JSON line.
    pub fn append_rotation(&self, record: &RotationRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record).map_err(|e| AuditError::Io {
            path: self.path().to_path_buf(),
            source: e.into(),
        })?;
        line.push('\n');
        self.file.append(&Redacted::new(&line))
    }
}
