//! The re-run [`Ledger`]: what earlier attempts of this run recorded, folded from the records
//! bound to it.

use std::collections::{HashMap, HashSet};

use super::record::{Record, RunBinding};
use crate::report::outcome::OutcomeCode;

/// A write an earlier attempt of this run recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierWrite {
    /// The id of the key the value was sealed for, when the record names one.
    pub key_id: Option<String>,
}

/// What earlier attempts of this run recorded, per secret and target: the latest record wins.
/// It lets a re-run after a partial failure finish the job without rewriting what is done.
/// Values are never in the log, so the ledger trusts the premise of a re-run (the same inputs);
/// the engine consults it only for secrets whose stored value is not given (`current`).
#[derive(Debug, Default)]
pub struct Ledger {
    /// (upper-cased secret, target) → the latest write.
    written: HashMap<(String, String), EarlierWrite>,
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
                    let key_id = record.key_id;
                    ledger.written.insert(key, EarlierWrite { key_id });
                }
                OutcomeCode::Failed | OutcomeCode::NotAttempted | OutcomeCode::Cancelled => {
                    ledger.written.remove(&key);
                    ledger.missing.insert(key);
                }
                // Another run stored a newer value there: nothing is missing.
                OutcomeCode::Conflict => {
                    ledger.missing.remove(&key);
                }
                // Unchanged per `current`, dry runs, skips: no news about the pair.
                OutcomeCode::Unchanged | OutcomeCode::WouldWrite | OutcomeCode::NotWritten => {}
                // `delete` records: not the refresh's business.
                OutcomeCode::Deleted | OutcomeCode::AlreadyAbsent => {}
            }
        }
        ledger
    }

    /// An earlier write of `secret` to `target`.
    pub fn written(&self, secret: &str, target: &str) -> Option<EarlierWrite> {
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

#[cfg(test)]
impl Ledger {
    /// Nothing written and nothing missing.
    pub(super) fn is_empty(&self) -> bool {
        self.written.is_empty() && self.missing.is_empty()
    }
}
