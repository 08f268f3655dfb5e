//! The records of a refresh and of `delete` ([`Record`]), one JSON line each, and what binds
//! them to a run: [`RunBinding`] (repository, run, attempt, job, step) and [`RecordKey`], the
//! MAC keyed with the credential that writes, so a re-run believes only records its own
//! credential made.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::config::{Auth, Config};
use crate::report::outcome::{OutcomeCode, Report};

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
            // No stored credential: the job's own (the runner's request token, new in every
            // attempt), so a re-run of a keyless step writes everything again, never less.
            Auth::Keyless(sts) => match &sts.id_token_request {
                Some(request) => &request.token,
                None => return None,
            },
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(credential.expose().as_bytes()).ok()?;
        mac.update(Self::LABEL);
        let mut key = Zeroizing::new([0u8; 32]);
        key.copy_from_slice(&mac.finalize().into_bytes());
        Some(RecordKey(key))
    }

    /// The MAC of `record` (its `mac` field left out), lower-case hex.
    pub(super) fn mac(&self, record: &Record) -> Option<String> {
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
    pub(super) fn binds(&self, record: &Record) -> bool {
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
            // Redacted before the MAC: the log's sink redacts again, and must find nothing.
            result: crate::output::redact::redact(&r.outcome.describe()),
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
        result: crate::output::redact::redact(result),
        // Not read back by any run: `delete` keeps no ledger.
        mac: None,
    }
}
