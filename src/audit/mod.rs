//! The audit log: one JSON line per secret and target a run decided, with machine fields (the
//! run it belongs to, the pair, an outcome code), and the ledger a re-run reads back from it.
//!
//! Records are written and read as data ([`Record`]); the human `result` text is for people and
//! is never read back. No record holds a value or a hash of one.
//!
//! The log lives in the workspace, which anything that can write the workspace controls (and
//! which outlives the job on a self-hosted runner). So: it is read only on a re-run
//! (`GITHUB_RUN_ATTEMPT` > 1) and only records bound to this run count (same repository, run id
//! and job, an earlier attempt) and authenticated by the credential that writes ([`RecordKey`]:
//! a step that can write the workspace but does not hold the token cannot forge "already
//! written"); the file must be a regular file inside the workspace, not a symbolic link, and at
//! most [`MAX_AUDIT_LOG_BYTES`]; anything else is refused, which can only make a run write more,
//! never less.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::config::workspace::LogFile;
use crate::config::{Auth, Config};
use crate::report::outcome::{OutcomeCode, Report};

/// The largest audit log read back. Larger logs are not read (a re-run then writes every
/// changed secret again): a record is a few hundred bytes, so this holds tens of thousands.
pub const MAX_AUDIT_LOG_BYTES: u64 = 16 * 1024 * 1024;

pub use crate::config::workspace::LogError as AuditError;

/// The key that authenticates a run's records: HMAC-SHA256, keyed with the credential that
/// writes (the token, or a GitHub App's private key: its installation tokens change every
/// attempt, its key does not), of a fixed label. A record's `mac` is HMAC-SHA256 under this key
/// of the record's JSON without it. Whoever can write the workspace but does not hold the
/// credential cannot make a record a re-run believes; a credential changed between attempts
/// makes the re-run write everything again (never less). The MAC reveals nothing of the
/// credential.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for RecordKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordKey(***)")
    }
}

impl RecordKey {
    const LABEL: &'static [u8] = b"secret-refresh audit record key v1";

    /// The key of the credential in `auth`; none without one (nothing is written then).
    pub fn of(auth: &Auth) -> Option<Self> {
        let credential = match auth {
            Auth::None => return None,
            Auth::Token(t) => t,
            Auth::App(app) => &app.private_key,
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(credential.expose().as_bytes()).ok()?;
        mac.update(Self::LABEL);
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        Some(RecordKey(key))
    }

    /// The MAC of `record` (its `mac` field left out), lower-case hex.
    fn mac(&self, record: &Record) -> Option<String> {
        let unsigned = Record {
            mac: None,
            ..record.clone()
        };
        let json = serde_json::to_vec(&unsigned).ok()?;
        let mut mac = Hmac::<Sha256>::new_from_slice(self.0.as_slice()).ok()?;
        mac.update(&json);
        Some(
            mac.finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect(),
        )
    }

    /// Does `record` carry this key's MAC? Compared in constant time.
    fn verifies(&self, record: &Record) -> bool {
        use subtle::ConstantTimeEq;
        match (&record.mac, self.mac(record)) {
            (Some(given), Some(expected)) => given.as_bytes().ct_eq(expected.as_bytes()).into(),
            _ => false,
        }
    }
}

/// The workflow run a record belongs to, and the key its records are authenticated with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunBinding {
    /// `$GITHUB_REPOSITORY`: the repository whose workflow runs.
    pub repository: String,
    pub run_id: String,
    /// `$GITHUB_RUN_ATTEMPT`; 1 when unset or not a number.
    pub attempt: u32,
    pub job: String,
    /// `$GITHUB_ACTION`: two steps of one job keep their records apart.
    pub step: String,
    /// Of the credential that writes; without one no record counts.
    pub key: Option<RecordKey>,
}

impl RunBinding {
    pub fn of(config: &Config) -> Self {
        let c = &config.context;
        Self {
            repository: c.default_repository.trim().to_owned(),
            run_id: c.run_id.trim().to_owned(),
            attempt: c.run_attempt.trim().parse().unwrap_or(1).max(1),
            job: c.job.trim().to_owned(),
            step: c.step.trim().to_owned(),
            key: RecordKey::of(&config.auth),
        }
    }

    /// Is `record` from an earlier attempt of this very run (and job), made with this
    /// credential?
    fn binds(&self, record: &Record) -> bool {
        self.key.as_ref().is_some_and(|k| k.verifies(record))
            && !self.run_id.is_empty()
            && !self.repository.is_empty()
            && record.run_id.as_deref() == Some(self.run_id.as_str())
            && record
                .run_repository
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case(&self.repository))
            && record.job.as_deref().unwrap_or_default() == self.job
            && record.step.as_deref().unwrap_or_default() == self.step
            && record
                .run_attempt
                .is_some_and(|a| a >= 1 && a < self.attempt)
    }
}

/// One audit record: a secret in a target, in one attempt of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// RFC 3339, UTC.
    pub time: String,
    /// The repository whose workflow ran (`$GITHUB_REPOSITORY`).
    #[serde(default)]
    pub run_repository: Option<String>,
    #[serde(default)]
    pub run_id: Option<String>,
    #[serde(default)]
    pub run_attempt: Option<u32>,
    #[serde(default)]
    pub job: Option<String>,
    /// The step (`$GITHUB_ACTION`); absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    #[serde(default)]
    pub actor: Option<String>,
    pub secret: String,
    pub target: String,
    #[serde(default)]
    pub target_type: Option<String>,
    #[serde(default)]
    pub app: Option<String>,
    /// The target's repository, for repository and environment targets.
    #[serde(default)]
    pub repository: Option<String>,
    pub outcome: OutcomeCode,
    /// `secret.create`, `secret.update`, `secret.unchanged`, `secret.skip`, `secret.fail`.
    pub action: String,
    #[serde(default)]
    pub key_id: Option<String>,
    /// The Result column as people read it; never read back.
    #[serde(default)]
    pub result: String,
    /// Authenticates the record ([`RecordKey`]); absent when the run had no credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.trim()).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// The records of a report, one per row.
pub fn records(report: &Report, config: &Config, now: time::OffsetDateTime) -> Vec<Record> {
    let run = RunBinding::of(config);
    let time = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    report
        .rows
        .iter()
        .map(|r| Record {
            time: time.clone(),
            run_repository: non_empty(&run.repository),
            run_id: non_empty(&run.run_id),
            run_attempt: (!run.run_id.is_empty()).then_some(run.attempt),
            job: non_empty(&run.job),
            step: non_empty(&run.step),
            actor: non_empty(&config.context.actor),
            secret: r.secret.clone(),
            target: r.target.clone(),
            target_type: r.resolved.as_ref().map(|t| t.kind().to_owned()),
            app: r.resolved.as_ref().map(|t| t.app().as_str().to_owned()),
            repository: r
                .resolved
                .as_ref()
                .and_then(|t| t.repo())
                .map(|r| r.to_string()),
            outcome: r.outcome.code(),
            action: r.outcome.audit_action().to_owned(),
            key_id: r.key_id.clone(),
            result: r.outcome.describe(),
            mac: None,
        })
        .map(|mut record| {
            record.mac = run.key.as_ref().and_then(|k| k.mac(&record));
            record
        })
        .collect()
}

/// The record of one `delete` decision: `secret.delete` when the secret was removed or already
/// absent, `secret.fail` or `secret.skip` otherwise. Data only: no value exists to leak.
pub fn delete_record(
    secret: &str,
    target: &crate::target::Target,
    outcome: OutcomeCode,
    result: &str,
    actor: &str,
    now: time::OffsetDateTime,
) -> Record {
    Record {
        time: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        run_repository: None,
        run_id: None,
        run_attempt: None,
        job: None,
        step: None,
        actor: non_empty(actor),
        secret: secret.to_owned(),
        target: target.to_string(),
        target_type: Some(target.kind().to_owned()),
        app: Some(target.app().as_str().to_owned()),
        repository: target.repo().map(|r| r.to_string()),
        action: match outcome {
            OutcomeCode::Deleted | OutcomeCode::AlreadyAbsent => "secret.delete",
            OutcomeCode::Failed => "secret.fail",
            _ => "secret.skip",
        }
        .to_owned(),
        outcome,
        key_id: None,
        result: result.to_owned(),
        // Not read back by any run: `delete` keeps no ledger.
        mac: None,
    }
}

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
        self.file.append(text.as_bytes())
    }
}

/// What earlier attempts of this run recorded, per secret and target: the latest record wins.
/// It lets a re-run after a partial failure finish the job without rewriting what is done.
/// Values are never in the log, so the ledger trusts the premise of a re-run (the same inputs);
/// the engine consults it only for secrets whose stored value is not given (`current`).
#[derive(Debug, Default)]
pub struct Ledger {
    /// (upper-cased secret, target) → key id of the write.
    written: HashMap<(String, String), Option<String>>,
    /// Pairs whose latest record is a failure or "not attempted".
    missing: HashSet<(String, String)>,
}

impl Ledger {
    /// Folds the records bound to `run` (see [`RunBinding`]), oldest attempt first; others are
    /// ignored.
    pub fn from_records(records: impl IntoIterator<Item = Record>, run: &RunBinding) -> Ledger {
        let mut bound: Vec<Record> = records.into_iter().filter(|r| run.binds(r)).collect();
        bound.sort_by_key(|r| r.run_attempt);
        let mut ledger = Ledger::default();
        for record in bound {
            let key = (record.secret.to_ascii_uppercase(), record.target);
            match record.outcome {
                OutcomeCode::Created | OutcomeCode::Updated | OutcomeCode::AlreadyWritten => {
                    ledger.missing.remove(&key);
                    ledger.written.insert(key, record.key_id);
                }
                OutcomeCode::Failed | OutcomeCode::NotAttempted | OutcomeCode::Cancelled => {
                    ledger.written.remove(&key);
                    ledger.missing.insert(key);
                }
                // Unchanged per `current`, dry runs, skips: no news about the pair.
                OutcomeCode::Unchanged | OutcomeCode::WouldWrite | OutcomeCode::NotWritten => {}
                // `delete` records: not the refresh's business.
                OutcomeCode::Deleted | OutcomeCode::AlreadyAbsent => {}
            }
        }
        ledger
    }

    /// The key id of an earlier write of `secret` to `target`.
    pub fn written(&self, secret: &str, target: &str) -> Option<Option<String>> {
        self.written
            .get(&(secret.to_ascii_uppercase(), target.to_owned()))
            .cloned()
    }

    /// Did an earlier attempt fail to write `secret` to `target`?
    pub fn missing(&self, secret: &str, target: &str) -> bool {
        self.missing
            .contains(&(secret.to_ascii_uppercase(), target.to_owned()))
    }

    /// Does some pair of these secrets and targets still miss its value? Only then do earlier
    /// writes count: after a finished run, running again is a fresh refresh.
    pub fn unfinished<'a>(
        &self,
        secrets: impl IntoIterator<Item = &'a str>,
        targets: &[&str],
    ) -> bool {
        secrets
            .into_iter()
            .any(|s| targets.iter().any(|t| self.missing(s, t)))
    }

    /// Does some target still miss `secret`?
    pub fn has_missing(&self, secret: &str) -> bool {
        let secret = secret.to_ascii_uppercase();
        self.missing.iter().any(|(s, _)| *s == secret)
    }
}

/// One rotation (`secret-refresh rotate`), as one JSON line: what was rotated where, what each
/// target's write and check came to, when, and what kind of token it was and when it expires.
/// Never token material: not the token, not its prefix's continuation, not a hash. The ledger
/// does not read it (it is not a [`Record`]).
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
    /// `not_asked`, `revoked`, `not_verified` (kept: not every target verified), `failed`.
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
    /// It could not be read.
    Unreadable,
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

impl AuditLog {
    /// Appends one rotation record as a JSON line.
    pub fn append_rotation(&self, record: &RotationRecord) -> Result<(), AuditError> {
        let mut line = serde_json::to_string(record).map_err(|e| AuditError::Io {
            path: self.path().to_path_buf(),
            source: e.into(),
        })?;
        line.push('\n');
        self.file.append(line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(token: &str) -> Option<RecordKey> {
        RecordKey::of(&Auth::Token(crate::secret::SecretValue::from(token)))
    }

    fn run(attempt: u32) -> RunBinding {
        RunBinding {
            repository: "acme/api".into(),
            run_id: "42".into(),
            attempt,
            job: "refresh".into(),
            step: "write".into(),
            key: key("ghp_the_token_that_writes"),
        }
    }

    /// A record signed as the run of [`run`] signs it.
    fn record(attempt: u32, outcome: OutcomeCode, secret: &str, target: &str) -> Record {
        signed(unsigned(attempt, outcome, secret, target))
    }

    /// `r` with the MAC the credential of [`run`] gives it (so only its binding is tested).
    fn signed(mut r: Record) -> Record {
        r.mac = run(1).key.and_then(|k| {
            k.mac(&Record {
                mac: None,
                ..r.clone()
            })
        });
        r
    }

    fn unsigned(attempt: u32, outcome: OutcomeCode, secret: &str, target: &str) -> Record {
        Record {
            time: "2099-01-01T00:00:00Z".into(),
            run_repository: Some("acme/api".into()),
            run_id: Some("42".into()),
            run_attempt: Some(attempt),
            job: Some("refresh".into()),
            step: Some("write".into()),
            actor: None,
            secret: secret.into(),
            target: target.into(),
            target_type: None,
            app: None,
            repository: None,
            outcome,
            action: String::new(),
            key_id: Some("k1".into()),
            result: String::new(),
            mac: None,
        }
    }

    #[test]
    fn only_records_authenticated_by_the_credential_that_writes_count() {
        use OutcomeCode::*;
        let genuine = record(1, Created, "A", "acme/api");
        assert!(Ledger::from_records([genuine.clone()], &run(2))
            .written("A", "acme/api")
            .is_some());
        let forged = unsigned(1, Created, "A", "acme/api");
        let mut other_token = forged.clone();
        other_token.mac = key("ghp_another_token").and_then(|k| k.mac(&other_token));
        let mut tampered = genuine.clone();
        tampered.secret = "B".into();
        let mut garbage = genuine.clone();
        garbage.mac = Some("00".repeat(32));
        for (what, r) in [
            ("unsigned", forged),
            ("another token", other_token),
            ("tampered", tampered),
            ("garbage", garbage),
        ] {
            let l = Ledger::from_records([r], &run(2));
            assert!(l.written.is_empty() && l.missing.is_empty(), "{what}");
        }
        // Without a credential no record counts (nothing is written then anyway).
        let none = RunBinding {
            key: None,
            ..run(2)
        };
        assert!(Ledger::from_records([genuine.clone()], &none)
            .written
            .is_empty());
        // An App's records are keyed by its private key, the same in every attempt.
        let app = |pem: &str| {
            RecordKey::of(&Auth::App(crate::config::AppCredentials {
                app_id: "1".into(),
                private_key: crate::secret::SecretValue::from(pem),
                installation_id: None,
            }))
        };
        assert_eq!(app("pem-a"), app("pem-a"));
        assert_ne!(app("pem-a"), app("pem-b"));
        assert_eq!(format!("{:?}", key("ghp_x")), "Some(RecordKey(***))");
        let mac = genuine.mac.clone().unwrap_or_default();
        assert!(mac.len() == 64 && mac.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    #[test]
    fn only_records_of_an_earlier_attempt_of_this_run_and_job_count() {
        use OutcomeCode::*;
        let mut other_run = record(1, Created, "A", "acme/x");
        other_run.run_id = Some("41".into());
        let mut other_repo = record(1, Created, "A", "acme/y");
        other_repo.run_repository = Some("evil/api".into());
        let mut other_job = record(1, Created, "A", "acme/z");
        other_job.job = Some("other".into());
        let mut other_step = record(1, Created, "A", "acme/v");
        other_step.step = Some("__run_2".into());
        let mut unbound = record(1, Created, "A", "acme/w");
        unbound.run_attempt = None;
        let records = vec![
            record(1, Created, "A", "acme/api"),
            record(1, Failed, "A", "acme/b"),
            record(1, NotAttempted, "B", "acme/b"),
            record(1, Unchanged, "C", "acme/b"),
            record(2, Created, "A", "acme/later"),
            signed(other_run),
            signed(other_repo),
            signed(other_job),
            signed(other_step),
            signed(unbound),
        ];
        let l = Ledger::from_records(records.clone(), &run(2));
        assert_eq!(l.written("a", "acme/api"), Some(Some("k1".into())));
        assert!(l.missing("a", "acme/b") && l.missing("B", "acme/b"));
        assert!(!l.missing("C", "acme/b") && !l.has_missing("C"));
        for t in [
            "acme/later",
            "acme/x",
            "acme/y",
            "acme/z",
            "acme/v",
            "acme/w",
        ] {
            assert_eq!(l.written("A", t), None, "{t}");
        }
        assert!(l.unfinished(["A"], &["acme/api", "acme/b"]));
        assert!(!l.unfinished(["A", "B"], &["acme/api"]));
        // Attempt 3 sees attempt 2's record; a first attempt sees nothing.
        assert!(Ledger::from_records(records.clone(), &run(3))
            .written("A", "acme/later")
            .is_some());
        assert!(Ledger::from_records(records, &run(1)).written.is_empty());
    }

    #[test]
    fn a_later_attempt_overrides_an_earlier_one_whatever_the_file_order() {
        use OutcomeCode::*;
        let l = Ledger::from_records(
            [
                record(2, Updated, "A", "acme/b"),
                record(1, Failed, "A", "acme/b"),
            ],
            &run(3),
        );
        assert!(!l.missing("A", "acme/b"));
        assert!(l.written("A", "acme/b").is_some());
    }

    #[test]
    fn the_file_is_a_regular_file_inside_the_workspace() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ws = dir.path().join("ws");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&ws).expect("ws");
        std::fs::create_dir_all(&out).expect("out");
        let rec = record(1, OutcomeCode::Created, "A", "acme/api");
        let line = serde_json::to_string(&rec).expect("json") + "\n";

        let log = AuditLog::new(&ws.join("logs/a.jsonl"), &ws);
        log.append(std::slice::from_ref(&rec)).expect("append");
        let l = log.ledger(&run(2)).expect("ledger");
        assert!(l.written("A", "acme/api").is_some());
        assert!(log.ledger(&run(1)).expect("first").written.is_empty());

        std::fs::write(out.join("a.jsonl"), &line).expect("write");
        std::os::unix::fs::symlink(out.join("a.jsonl"), ws.join("link.jsonl")).expect("link");
        let link = AuditLog::new(&ws.join("link.jsonl"), &ws);
        assert!(matches!(
            link.ledger(&run(2)),
            Err(AuditError::SymbolicLink(_))
        ));
        assert!(matches!(link.append(&[]), Err(AuditError::SymbolicLink(_))));

        std::os::unix::fs::symlink(&out, ws.join("dir")).expect("dir link");
        let through = AuditLog::new(&ws.join("dir/new/b.jsonl"), &ws);
        assert!(matches!(
            through.append(&[]),
            Err(AuditError::OutsideWorkspace(_))
        ));
        assert!(!out.join("new").exists());
        let up = AuditLog::new(&ws.join("../out/a.jsonl"), &ws);
        assert!(matches!(
            up.ledger(&run(2)),
            Err(AuditError::OutsideWorkspace(_))
        ));

        std::fs::create_dir(ws.join("d.jsonl")).expect("dir");
        assert!(matches!(
            AuditLog::new(&ws.join("d.jsonl"), &ws).ledger(&run(2)),
            Err(AuditError::NotRegularFile(_)) | Err(AuditError::Io { .. })
        ));

        let big = std::fs::File::create(ws.join("big.jsonl")).expect("big");
        big.set_len(MAX_AUDIT_LOG_BYTES + 1).expect("len");
        assert!(matches!(
            AuditLog::new(&ws.join("big.jsonl"), &ws).ledger(&run(2)),
            Err(AuditError::TooLarge { .. })
        ));
    }
}
