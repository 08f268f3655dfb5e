//! Planning: what the run needs to write, decided before any request — each secret compared
//! with `current`, what earlier attempts of this workflow run left behind (the audit ledger),
//! the targets known without asking — and the report's rows for pairs that are not written
//! (unchanged, skipped, not attempted, cancelled).

use std::collections::HashMap;

use crate::audit::ledger::Ledger;
use crate::audit::log::AuditLog;
use crate::audit::record::RunBinding;
use crate::config::{Auth, Config, Destination, NewSecret, RepoSpec};
use crate::engine::compare::compare;
use crate::report::outcome::{Comparison, Outcome, Report, Row, SkipReason};
use crate::target::{repo_target, Target};

/// What the run means to do, decided before any request: each secret's comparison, what
/// earlier attempts of this workflow run left behind, and the targets known without asking.
pub(super) struct Plan {
    pub(super) planned: Vec<(NewSecret, Comparison)>,
    ledger: Ledger,
    statics: Vec<(String, Option<Target>)>,
    audit_problem: Option<String>,
}

impl Plan {
    pub(super) fn new(config: &Config) -> Plan {
        // What earlier attempts of this workflow run left behind, from the audit log (read
        // only on a re-run, and only records bound to this run count). Pairs they failed are
        // written even when `current` now says the value is stored (an attempt that wrote the
        // workflow's own repository changes `current` for the next attempt, not the other
        // targets). Pairs they wrote are skipped only while the run is unfinished, and only
        // for a secret whose stored value is not given: where `current` proves a difference,
        // the comparison decides.
        let (ledger, audit_problem) =
            match AuditLog::of(config).map(|log| log.ledger(&RunBinding::of(config))) {
                Some(Ok(ledger)) => (ledger, None),
                Some(Err(e)) => (Ledger::default(), Some(e.to_string())),
                None => (Ledger::default(), None),
            };
        Plan::with_ledger(config, ledger, audit_problem)
    }

    /// The plan, given what earlier attempts left behind.
    pub(super) fn with_ledger(
        config: &Config,
        ledger: Ledger,
        audit_problem: Option<String>,
    ) -> Plan {
        Plan {
            planned: compare(&config.secrets, config.current.as_ref()),
            ledger,
            statics: static_targets(config),
            audit_problem,
        }
    }

    /// When nothing is to be written (nothing changed, a dry run, no token, a refused event),
    /// fills the report's rows and says so: then no request is made.
    pub(super) fn nothing_to_write(&self, config: &Config, report: &mut Report) -> bool {
        let nothing = self.to_write().next().is_none();
        let skip = skip_reason(config, nothing);
        if !nothing && skip.is_none() {
            return false;
        }
        if matches!(skip, Some((SkipReason::Event, _))) {
            report.refused_event = config.context.refused_event();
        }
        self.without_writing(report, skip);
        true
    }

    /// Whether this is a dry run that checks what the real run would read: something to write
    /// and a credential to read with (patterns resolved, each target's public key read). The
    /// report then says it is a dry run, and that it was checked.
    pub(super) fn dry_run_checks(&self, config: &Config, report: &mut Report) -> bool {
        let checks = config.dry_run
            && !matches!(config.auth, Auth::None)
            && self.to_write().next().is_some();
        if checks {
            report.skip = Some(SkipReason::DryRun);
            report.dry_run_checked = true;
        }
        checks
    }

    /// The report before anything is tried: comparisons and the targets known so far.
    pub(super) fn report(&self, config: &Config) -> Report {
        Report {
            comparisons: self
                .planned
                .iter()
                .map(|(s, c)| (s.name.to_string(), *c))
                .collect(),
            resumable: config.audit_log.is_some() && !config.context.run_id.trim().is_empty(),
            targets: self.statics.iter().map(|(l, _)| l.clone()).collect(),
            audit_problem: self.audit_problem.clone(),
            refused: config.refused.clone(),
            prechecked: config.stored_at.is_some(),
            ..Report::default()
        }
    }

    /// The secrets that may need a write: changed, or missing from an earlier attempt.
    fn to_write(&self) -> impl Iterator<Item = &(NewSecret, Comparison)> {
        self.planned
            .iter()
            .filter(|(s, c)| c.needs_write() || self.ledger.has_missing(s.name.as_str()))
    }

    fn is_writing(&self, secret: &str) -> bool {
        self.to_write().any(|(s, _)| s.name.as_str() == secret)
    }

    /// Does some pair of these targets still miss its value from an earlier attempt?
    fn unfinished(&self, targets: &[&str]) -> bool {
        self.ledger
            .unfinished(self.planned.iter().map(|(s, _)| s.name.as_str()), targets)
    }

    /// Per secret and target: `None` = write it; else the outcome without a request.
    fn decide(
        &self,
        secret: &str,
        compared: Comparison,
        target: &str,
        unfinished: bool,
    ) -> Decision {
        match compared {
            Comparison::Unchanged if self.ledger.missing(secret, target) => None,
            Comparison::Unchanged => Some((Outcome::Unchanged, None)),
            // The stored value is not given (no `current`, or not in it): an earlier write of
            // this unfinished run stands.
            Comparison::NotCompared | Comparison::New => self
                .ledger
                .written(secret, target)
                .filter(|_| unfinished)
                .map(|earlier| (Outcome::AlreadyWritten, earlier.key_id)),
            // `current` proves the stored value differs: write it, whatever the ledger says.
            Comparison::Changed => None,
        }
    }

    /// For each resolved target, each candidate secret and its decision.
    pub(super) fn per_target(&self, targets: &[Target]) -> Vec<Vec<(&NewSecret, Decision)>> {
        let labels: Vec<String> = targets.iter().map(Target::to_string).collect();
        let unfinished = self.unfinished(&labels.iter().map(String::as_str).collect::<Vec<_>>());
        labels
            .iter()
            .map(|label| {
                self.to_write()
                    .map(|(s, c)| (s, self.decide(s.name.as_str(), *c, label, unfinished)))
                    .collect()
            })
            .collect()
    }

    /// Rows when nothing is written: nothing changed, or `skip` says why not.
    fn without_writing(&self, report: &mut Report, skip: Option<(SkipReason, String)>) {
        report.skip = skip.as_ref().map(|(r, _)| *r);
        let labels: Vec<&str> = self.statics.iter().map(|(l, _)| l.as_str()).collect();
        let unfinished = self.unfinished(&labels);
        for (s, c) in self.to_write() {
            for t in &self.statics {
                let decided = self.decide(s.name.as_str(), *c, &t.0, unfinished);
                let outcome = match (decided, &skip) {
                    (Some((o, _)), _) => o,
                    (None, Some((SkipReason::DryRun, _))) => Outcome::WouldWrite,
                    (None, Some((_, why))) => Outcome::NotWritten(why.clone()),
                    (None, None) => Outcome::NotAttempted, // unreachable: nothing to write
                };
                report.rows.push(static_row(s.name.as_str(), t, outcome));
            }
        }
        report.rows.extend(self.unchanged_rows());
        sort_rows(&mut report.rows, &self.planned);
    }

    /// Rows when the run stopped before any write: every pair to write is not attempted.
    pub(super) fn not_attempted(&self, report: &mut Report) {
        for (s, _) in self.to_write() {
            for t in &self.statics {
                report
                    .rows
                    .push(static_row(s.name.as_str(), t, Outcome::NotAttempted));
            }
        }
        report.rows.extend(self.unchanged_rows());
        sort_rows(&mut report.rows, &self.planned);
    }

    /// After a signal: every pair not yet decided is cancelled, and the report says how to
    /// finish.
    pub(super) fn cancel_rest(&self, report: &mut Report, signal: crate::cancel::Signal) {
        report.fatal = Some(crate::cancel::how_to_finish(signal));
        self.not_attempted(report);
        for r in report
            .rows
            .iter_mut()
            .filter(|r| r.outcome == Outcome::NotAttempted)
        {
            r.outcome = Outcome::Cancelled;
        }
    }

    /// Unchanged secrets are the same in every target (`current` describes them all).
    fn unchanged_rows(&self) -> Vec<Row> {
        self.planned
            .iter()
            .filter(|(s, _)| !self.is_writing(s.name.as_str()))
            .flat_map(|(s, _)| {
                self.statics
                    .iter()
                    .map(move |t| static_row(s.name.as_str(), t, Outcome::Unchanged))
            })
            .collect()
    }

    /// Unchanged rows against the resolved targets.
    pub(super) fn unchanged_in(&self, targets: &[Target], report: &mut Report) {
        for (s, _) in self
            .planned
            .iter()
            .filter(|(s, _)| !self.is_writing(s.name.as_str()))
        {
            for t in targets {
                report.rows.push(Row {
                    secret: s.name.to_string(),
                    target: t.to_string(),
                    resolved: Some(t.clone()),
                    outcome: Outcome::Unchanged,
                    key_id: None,
                    hint: None,
                });
            }
        }
    }
}

/// What to do with a secret in a target: `None` = write it; else its outcome (and the key id of
/// an earlier write) without a request.
pub(super) type Decision = Option<(Outcome, Option<String>)>;

/// Why nothing is written although something changed, if so. An explicit dry run wins: it was
/// asked for, and writes nothing whatever else holds.
fn skip_reason(config: &Config, nothing_to_write: bool) -> Option<(SkipReason, String)> {
    if nothing_to_write {
        None
    } else if config.dry_run {
        Some((SkipReason::DryRun, String::new()))
    } else if let Some(event) = config
        .context
        .refused_event()
        .filter(|_| !config.allow_pull_request_target)
    {
        Some((SkipReason::Event, event.reason().to_owned()))
    } else if matches!(config.auth, Auth::None) {
        Some((SkipReason::NoToken, "no token".to_owned()))
    } else {
        None
    }
}

/// Targets as far as they are known without asking GitHub.
pub(super) fn static_targets(config: &Config) -> Vec<(String, Option<Target>)> {
    match &config.destination {
        Destination::Repos { repos, environment } => repos
            .iter()
            .map(|spec| match spec {
                RepoSpec::Exact(repo) => {
                    let t = repo_target(repo, environment.as_deref(), config.app);
                    (t.to_string(), Some(t))
                }
                RepoSpec::Pattern { .. } => {
                    let label = match environment {
                        Some(env) => format!("{spec}/environments/{env}"),
                        None => spec.to_string(),
                    };
                    (label, None)
                }
            })
            .collect(),
        Destination::Org { org, .. } => {
            let t = Target::Org {
                org: org.clone(),
                app: config.app,
            };
            vec![(t.to_string(), Some(t))]
        }
    }
}

/// A row against a target as known without asking GitHub.
fn static_row(secret: &str, target: &(String, Option<Target>), outcome: Outcome) -> Row {
    Row {
        secret: secret.to_owned(),
        target: target.0.clone(),
        resolved: target.1.clone(),
        outcome,
        key_id: None,
        hint: None,
    }
}

/// Rows in input order of the secrets, then target order, stable.
pub(super) fn sort_rows(rows: &mut [Row], planned: &[(NewSecret, Comparison)]) {
    let order: HashMap<String, usize> = planned
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.name.to_string(), i))
        .collect();
    rows.sort_by_key(|r| order.get(&r.secret).copied().unwrap_or(usize::MAX));
}
