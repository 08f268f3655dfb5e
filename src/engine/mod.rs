//! The engine: decide what needs writing, and write it to every target — keys fetched once per
//! target, writes serial, every outcome recorded exactly so a partial run can be reported and
//! safely rerun.

pub mod compare;
#[cfg(test)]
mod memory_store;

use std::collections::{BTreeMap, HashMap};

use futures_util::stream::{self, StreamExt};

use crate::audit::{AuditLog, Ledger, RunBinding};
use crate::auth::app::Session;
use crate::config::{Auth, Config, Destination, NewSecret, RepoSpec, Visibility};
use crate::engine::compare::compare;
use crate::github::endpoints::Written;
use crate::github::{ApiError, Client, Policy, Sealed, SecretStore};
use crate::report::outcome::Comparison;
pub use crate::report::outcome::{FailureKind, Outcome, Report, Row, SkipReason};
use crate::secret::seal::SealingKey;
use crate::secret::SecretValue;
use crate::target::{add_targets, pattern_matches, repo_target, App, Repo, Target};

/// Targets as far as they are known without asking GitHub.
fn static_targets(config: &Config) -> Vec<(String, Option<Target>)> {
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

/// Runs the whole refresh. Makes no request unless something changed, a token is given, and it
/// is not a dry run.
pub async fn run(config: &Config, policy: Policy) -> Report {
    run_observed(config, policy, &mut |_: Progress<'_>| {}).await
}

/// Progress of the writes, for a progress bar: the number of writes planned, then each row as
/// soon as its write is decided.
pub enum Progress<'a> {
    /// Before the first write. `pacing` estimates how long writes left will take (its `eta`)
    /// and the least they can take (its `floor`, what says a run will outlast an hour).
    Planned {
        writes: usize,
        targets: usize,
        pacing: crate::pacing::Pacing,
    },
    Done(&'a Row),
}

/// [`run`], telling `observe` about each write as it happens.
pub async fn run_observed(
    config: &Config,
    policy: Policy,
    observe: &mut dyn FnMut(Progress<'_>),
) -> Report {
    run_with(config, policy, observe, &mut |_: &SecretValue| {}).await
}

/// [`run_observed`], handing `mask` every token minted during the run (a GitHub App's
/// installation tokens) the moment it exists, before it is used.
pub async fn run_with(
    config: &Config,
    policy: Policy,
    observe: &mut dyn FnMut(Progress<'_>),
    mask: &mut dyn FnMut(&SecretValue),
) -> Report {
    run_with_keys(config, policy, &[], observe, mask).await
}

/// [`run_with`], sealing with `known` keys where a target's key was already read this run
/// (`rotate` reads every key while it validates the new token): one key per target per run.
/// A key GitHub rejects on write is still refetched once.
pub async fn run_with_keys(
    config: &Config,
    policy: Policy,
    known: &[(Target, SealingKey)],
    observe: &mut dyn FnMut(Progress<'_>),
    mask: &mut dyn FnMut(&SecretValue),
) -> Report {
    // Plan: compare, read what earlier attempts left behind; no request yet.
    let plan = Plan::new(config);
    let mut report = plan.report(config);
    if plan.nothing_to_write(config, &mut report) {
        return report;
    }

    // Authenticate: a token as given, or a GitHub App's installation token (revoked in finish).
    let Some(session) = authenticate(config, policy, mask, &plan, &mut report).await else {
        return report;
    };

    // Resolve patterns and repository ids: reads, only because there is something to write.
    let Some((targets, selected_ids)) = resolve_or_stop(config, &session, &plan, &mut report).await
    else {
        return report;
    };

    // Seal and write, target by target; then the run's totals.
    let writer = Writer {
        store: session.client.as_ref(),
        config,
        known,
    };
    writer
        .write_resolved(
            &plan,
            &targets,
            selected_ids.as_deref(),
            observe,
            &mut report,
        )
        .await;
    if let Some(signal) = crate::cancel::requested() {
        report
            .fatal
            .get_or_insert(crate::cancel::how_to_finish(signal));
    }
    finish(&session, &mut report).await;
    report
}

/// Opens the session; `None` when it could not be opened or a signal came first, the report
/// then saying why, every pair to write not attempted (or cancelled), and a token minted on the
/// way revoked.
async fn authenticate(
    config: &Config,
    policy: Policy,
    mask: &mut dyn FnMut(&SecretValue),
    plan: &Plan,
    report: &mut Report,
) -> Option<Session> {
    match crate::cancel::or_abandon(crate::auth::app::open(config, policy, mask)).await {
        Ok(Ok(s)) => Some(s),
        Err(signal) => {
            plan.cancel_rest(report, signal);
            // Abandoned half-way: a token minted on the way (to resolve patterns, or the one
            // to write with) is revoked here, within the bound.
            if let Err(e) = crate::auth::guard::revoke_left_behind().await {
                add_fatal(report, e.to_string());
            }
            None
        }
        Ok(Err(e)) => {
            report.fatal = Some(e.error.to_string());
            report.requests = e.requests;
            if let Err(e) = crate::auth::guard::revoke_left_behind().await {
                add_fatal(report, e.to_string());
            }
            plan.not_attempted(report);
            None
        }
    }
}

/// The resolved targets and repository ids; `None` when they could not be resolved or a signal
/// came first (one that came while the session opened included): none starts after it. The
/// session is then finished and the report says why.
async fn resolve_or_stop(
    config: &Config,
    session: &Session,
    plan: &Plan,
    report: &mut Report,
) -> Option<(Vec<Target>, Option<Vec<u64>>)> {
    match crate::cancel::unless_cancelled(resolve(config, session)).await {
        Ok(Ok(resolved)) => Some(resolved),
        Ok(Err(e)) => {
            report.fatal = Some(e.to_string());
            plan.not_attempted(report);
            finish(session, report).await;
            None
        }
        Err(signal) => {
            plan.cancel_rest(report, signal);
            finish(session, report).await;
            None
        }
    }
}

/// Why nothing is written although something changed, if so. An explicit dry run wins: it was
/// asked for, and writes nothing whatever else holds.
fn skip_reason(config: &Config, nothing_to_write: bool) -> Option<(SkipReason, String)> {
    if nothing_to_write {
        None
    } else if config.dry_run {
        Some((SkipReason::DryRun, String::new()))
    } else if config.context.event_name == "pull_request_target"
        && !config.allow_pull_request_target
    {
        Some((SkipReason::Event, "pull_request_target event".to_owned()))
    } else if matches!(config.auth, Auth::None) {
        Some((SkipReason::NoToken, "no token".to_owned()))
    } else {
        None
    }
}

/// What the run means to do, decided before any request: each secret's comparison, what
/// earlier attempts of this workflow run left behind, and the targets known without asking.
struct Plan {
    planned: Vec<(NewSecret, Comparison)>,
    ledger: Ledger,
    statics: Vec<(String, Option<Target>)>,
    audit_problem: Option<String>,
}

impl Plan {
    fn new(config: &Config) -> Plan {
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
    fn with_ledger(config: &Config, ledger: Ledger, audit_problem: Option<String>) -> Plan {
        Plan {
            planned: compare(&config.secrets, config.current.as_ref()),
            ledger,
            statics: static_targets(config),
            audit_problem,
        }
    }

    /// When nothing is to be written (nothing changed, a dry run, no token, a refused event),
    /// fills the report's rows and says so: then no request is made.
    fn nothing_to_write(&self, config: &Config, report: &mut Report) -> bool {
        let nothing = self.to_write().next().is_none();
        let skip = skip_reason(config, nothing);
        if !nothing && skip.is_none() {
            return false;
        }
        self.without_writing(report, skip);
        true
    }

    /// The report before anything is tried: comparisons and the targets known so far.
    fn report(&self, config: &Config) -> Report {
        Report {
            comparisons: self
                .planned
                .iter()
                .map(|(s, c)| (s.name.to_string(), *c))
                .collect(),
            resumable: config.audit_log.is_some() && !config.context.run_id.trim().is_empty(),
            targets: self.statics.iter().map(|(l, _)| l.clone()).collect(),
            audit_problem: self.audit_problem.clone(),
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
                .map(|key_id| (Outcome::AlreadyWritten, key_id)),
            // `current` proves the stored value differs: write it, whatever the ledger says.
            Comparison::Changed => None,
        }
    }

    /// For each resolved target, each candidate secret and its decision.
    fn per_target(&self, targets: &[Target]) -> Vec<Vec<(&NewSecret, Decision)>> {
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
    fn not_attempted(&self, report: &mut Report) {
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
    fn cancel_rest(&self, report: &mut Report, signal: crate::cancel::Signal) {
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
    fn unchanged_in(&self, targets: &[Target], report: &mut Report) {
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

/// Adds `problem` to the report's fatal line: a token left alive is said even after a
/// cancellation or another failure.
fn add_fatal(report: &mut Report, problem: String) {
    report.fatal = Some(match report.fatal.take() {
        Some(first) => format!("{first}; {problem}"),
        None => problem,
    });
}

/// What to do with a secret in a target: `None` = write it; else its outcome (and the key id of
/// an earlier write) without a request.
type Decision = Option<(Outcome, Option<String>)>;

/// Rows in input order of the secrets, then target order, stable.
fn sort_rows(rows: &mut [Row], planned: &[(NewSecret, Comparison)]) {
    let order: HashMap<String, usize> = planned
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.name.to_string(), i))
        .collect();
    rows.sort_by_key(|r| order.get(&r.secret).copied().unwrap_or(usize::MAX));
}

/// Why one write (or key fetch) failed, and the fix.
#[derive(Debug, Clone)]
struct Failure {
    cause: String,
    hint: Option<String>,
    key_id: Option<String>,
    /// The run cannot go on (the rate-limit wait budget is spent).
    stops: bool,
    kind: FailureKind,
}

impl Failure {
    /// What the report row keeps of it.
    fn to_row(&self) -> crate::report::outcome::Failure {
        crate::report::outcome::Failure {
            kind: self.kind,
            message: self.cause.clone(),
        }
    }
}

/// The kind of failure an API error is.
fn kind_of(e: &ApiError) -> FailureKind {
    match e {
        ApiError::Unauthorized { .. } => FailureKind::Unauthorized,
        ApiError::Forbidden { .. } | ApiError::NotFound { .. } => FailureKind::Forbidden,
        ApiError::Rejected { .. } => FailureKind::Rejected,
        ApiError::RateLimited { .. } => FailureKind::RateLimited,
        ApiError::Transport { .. }
        | ApiError::ServerError { .. }
        | ApiError::BodyTooLarge { .. } => FailureKind::Unreachable,
        _ => FailureKind::Other,
    }
}

/// Revokes an installation token (success or failure), then records the client's stats.
async fn finish(session: &Session, report: &mut Report) {
    if let Err(e) = session.close().await {
        add_fatal(report, e.to_string());
    }
    let client = &session.client;
    let stats = &client.stats;
    use std::sync::atomic::Ordering::Relaxed;
    report.requests = stats.requests.load(Relaxed);
    report.retries = stats.retries.load(Relaxed);
    report.rate_limit_waits = stats.rate_limit_waits.load(Relaxed);
    report.rate_limit_wait_secs = stats.rate_limit_wait_ms.load(Relaxed) as f64 / 1000.0;
    report.rate_limit_budget_secs = client.policy().max_rate_limit_wait.as_secs();
    // An installation token lives an hour by design: no expiry warning for it.
    report.token_expiry = (!session.is_app()).then(|| client.token_expiry()).flatten();
}

/// Why the targets could not be resolved: nothing was written.
#[derive(Debug, thiserror::Error)]
enum ResolveError {
    #[error(transparent)]
    Repos(#[from] crate::github::repos::RepoError),
    #[error(transparent)]
    Pattern(crate::target::PatternError),
    #[error("`{spec}` matches no repository of {owner} (archived repositories are skipped)")]
    NoMatch { spec: String, owner: String },
}

/// The targets (patterns resolved) and, for `selected` visibility, the repository ids.
async fn resolve(
    config: &Config,
    session: &Session,
) -> Result<(Vec<Target>, Option<Vec<u64>>), ResolveError> {
    let targets = match &session.targets {
        Some(targets) => targets.clone(),
        None => resolve_targets(config, &session.client).await?,
    };
    let selected_ids = selected_repository_ids(config, &session.client).await?;
    Ok((targets, selected_ids))
}

/// The targets, patterns resolved against the owners' repository listings (one listing per
/// owner).
async fn resolve_targets(config: &Config, client: &Client) -> Result<Vec<Target>, ResolveError> {
    let Destination::Repos { repos, environment } = &config.destination else {
        return Ok(static_targets(config)
            .into_iter()
            .filter_map(|(_, t)| t)
            .collect());
    };
    let mut resolved: Vec<Target> = Vec::new();
    let mut listings: BTreeMap<String, Vec<Repo>> = BTreeMap::new();
    let mut me: Option<String> = None;
    for spec in repos {
        let matched: Vec<Repo> = match spec {
            RepoSpec::Exact(r) => vec![r.clone()],
            RepoSpec::Pattern { owner, pattern } => {
                let key = owner.to_ascii_lowercase();
                if let std::collections::btree_map::Entry::Vacant(slot) = listings.entry(key) {
                    if me.is_none() {
                        me = Some(crate::github::repos::token_login(client).await?);
                    }
                    let list = crate::github::repos::list_owner_repos(
                        client,
                        owner,
                        me.as_deref().unwrap_or(""),
                    )
                    .await?;
                    slot.insert(list);
                }
                let found = pattern_matches(
                    owner,
                    pattern,
                    listings
                        .get(&owner.to_ascii_lowercase())
                        .map(Vec::as_slice)
                        .unwrap_or_default(),
                )
                .map_err(ResolveError::Pattern)?;
                if found.is_empty() {
                    return Err(ResolveError::NoMatch {
                        spec: spec.to_string(),
                        owner: owner.clone(),
                    });
                }
                found
            }
        };
        add_targets(&mut resolved, matched, environment.as_deref(), config.app);
    }
    Ok(resolved)
}

/// Repository ids for `selected-repositories`, when the visibility is `selected`.
async fn selected_repository_ids(
    config: &Config,
    client: &Client,
) -> Result<Option<Vec<u64>>, ResolveError> {
    let Destination::Org {
        visibility: Some(Visibility::Selected),
        selected,
        ..
    } = &config.destination
    else {
        return Ok(None);
    };
    let mut ids = Vec::new();
    for repo in selected {
        ids.push(crate::github::repos::repo_id(client, repo).await?);
    }
    Ok(Some(ids))
}

/// Seals and writes through a [`SecretStore`]: the engine's decisions past authentication.
struct Writer<'a, S> {
    store: &'a S,
    config: &'a Config,
    /// Keys already read this run, sealed with as they are.
    known: &'a [(Target, SealingKey)],
}

impl<S: SecretStore> Writer<'_, S> {
    /// Decides, seals and writes every pair for the resolved `targets`, then adds the
    /// unchanged rows: the report's rows in their order.
    async fn write_resolved(
        &self,
        plan: &Plan,
        targets: &[Target],
        selected_ids: Option<&[u64]>,
        observe: &mut dyn FnMut(Progress<'_>),
        report: &mut Report,
    ) {
        report.targets = targets.iter().map(Target::to_string).collect();
        let plans = plan.per_target(targets);
        let keys = self.keys_ahead(targets, &plans).await;
        observe(Progress::Planned {
            writes: plans.iter().flatten().filter(|(_, d)| d.is_none()).count(),
            targets: targets.len(),
            pacing: self.store.pacing(),
        });
        self.write_all(targets, plans, keys, selected_ids, observe, report)
            .await;
        plan.unchanged_in(targets, report);
        sort_rows(&mut report.rows, &plan.planned);
    }

    /// Public keys: one GET per target that has something to write. When every target will be
    /// tried, they are read ahead, a few at a time. Under fail-fast a target after a failure is
    /// never written, so its key is not read ahead either: `write` fetches it when it is needed.
    /// A key already read this run (`known`) is used as it is.
    async fn keys_ahead(
        &self,
        targets: &[Target],
        plans: &[Vec<(&NewSecret, Decision)>],
    ) -> Vec<Option<Result<SealingKey, Failure>>> {
        let known = |t: &Target| {
            self.known
                .iter()
                .find(|(k, _)| k == t)
                .map(|(_, key)| key.clone())
        };
        if self.config.fail_fast {
            return targets.iter().map(|t| known(t).map(Ok)).collect();
        }
        let reading = stream::iter(targets.iter().zip(plans))
            .map(|(t, plan)| async move {
                if let Some(key) = known(t) {
                    Some(Ok(key))
                } else if plan.iter().any(|(_, d)| d.is_none()) {
                    Some(self.fetch_key(t).await)
                } else {
                    None
                }
            })
            .buffered(4)
            .collect();
        // Cut short by a signal: no key, and every write is cancelled (`write_all`).
        crate::cancel::unless_cancelled(reading)
            .await
            .unwrap_or_else(|_| targets.iter().map(|_| None).collect())
    }

    /// Writes every planned pair, target by target, serially, pushing a row for each.
    async fn write_all(
        &self,
        targets: &[Target],
        plans: Vec<Vec<(&NewSecret, Decision)>>,
        keys: Vec<Option<Result<SealingKey, Failure>>>,
        selected_ids: Option<&[u64]>,
        observe: &mut dyn FnMut(Progress<'_>),
        report: &mut Report,
    ) {
        let mut stop = false;
        for ((target, plan), key) in targets.iter().zip(plans).zip(keys) {
            let (mut key, key_failure) = match key {
                Some(Ok(k)) => (Some(k), None),
                Some(Err(f)) => (None, Some(f)),
                None => (None, None),
            };
            for (secret, decided) in plan {
                let mut r = Row {
                    secret: secret.name.to_string(),
                    target: target.to_string(),
                    resolved: Some(target.clone()),
                    outcome: Outcome::NotAttempted,
                    key_id: None,
                    hint: None,
                };
                if let Some((outcome, key_id)) = decided {
                    r.outcome = outcome;
                    r.key_id = key_id;
                    report.rows.push(r);
                    continue;
                }
                if stop {
                    // Not attempted: stopped by an earlier failure.
                } else if crate::cancel::requested().is_some() {
                    r.outcome = Outcome::Cancelled;
                } else if let Some(f) = &key_failure {
                    r.outcome = Outcome::Failed(f.to_row());
                    r.hint = f.hint.clone();
                } else {
                    stop = self
                        .write_row(&mut r, target, &mut key, secret, selected_ids)
                        .await;
                }
                observe(Progress::Done(&r));
                report.rows.push(r);
            }
            if let Some(f) = &key_failure {
                stop |= self.config.fail_fast || f.stops;
            }
        }
    }

    /// Writes one secret, recording the outcome in `r`; returns whether the run stops here.
    async fn write_row(
        &self,
        r: &mut Row,
        target: &Target,
        key: &mut Option<SealingKey>,
        secret: &NewSecret,
        selected_ids: Option<&[u64]>,
    ) -> bool {
        let writing = self.write(
            target,
            key,
            secret.name.as_str(),
            &secret.value,
            selected_ids,
        );
        match crate::cancel::or_abandon(writing).await {
            Err(signal) => {
                // No answer came within the grace: the write's fate is unknown.
                r.outcome = Outcome::Failed(crate::report::outcome::Failure {
                    kind: crate::report::outcome::FailureKind::Unreachable,
                    message: format!(
                        "abandoned {} s after {}: GitHub may or may not have stored it",
                        crate::cancel::GRACE.as_secs(),
                        signal.name()
                    ),
                });
                r.hint = Some("run again to write it for certain".to_owned());
                false
            }
            Ok(Ok((outcome, key_id))) => {
                r.outcome = outcome;
                r.key_id = Some(key_id);
                false
            }
            Ok(Err(f)) => {
                r.outcome = Outcome::Failed(f.to_row());
                r.hint = f.hint;
                r.key_id = f.key_id;
                // Fail-fast stops here; an exhausted rate-limit budget stops any run: every
                // later request would wait on the same limit.
                self.config.fail_fast || f.stops
            }
        }
    }

    /// Whether the run authenticates as a GitHub App (hints name app permissions then).
    fn is_app(&self) -> bool {
        matches!(self.config.auth, Auth::App(_))
    }

    async fn fetch_key(&self, target: &Target) -> Result<SealingKey, Failure> {
        let key = self.store.public_key(target).await.map_err(|e| match e {
            ApiError::BadBody(e) => Failure {
                cause: format!("GitHub's public key answer was not understood: {e}"),
                hint: None,
                key_id: None,
                stops: false,
                kind: FailureKind::Other,
            },
            e => self.api_failure(&e, target, "read the public key for"),
        })?;
        SealingKey::from_base64(&key.key_id, &key.key_base64).map_err(|e| Failure {
            cause: e.to_string(),
            hint: None,
            key_id: Some(key.key_id.clone()),
            stops: false,
            kind: FailureKind::Other,
        })
    }

    /// Writes one secret; on a rejected key id, refetches the key once and retries.
    async fn write(
        &self,
        target: &Target,
        key: &mut Option<SealingKey>,
        name: &str,
        value: &SecretValue,
        selected_ids: Option<&[u64]>,
    ) -> Result<(Outcome, String), Failure> {
        let visibility = match target {
            Target::Org { .. } => Some(self.org_visibility(target, name).await?),
            _ => None,
        };
        let mut refetched = false;
        loop {
            let k = match key {
                Some(k) => k.clone(),
                None => {
                    let k = self.fetch_key(target).await?;
                    *key = Some(k.clone());
                    k
                }
            };
            let sealed = k.seal(value).map_err(|e| Failure {
                cause: e.to_string(),
                hint: None,
                key_id: Some(k.key_id.clone()),
                stops: false,
                kind: FailureKind::Other,
            })?;
            let sealed = Sealed {
                encrypted_value: sealed,
                key_id: k.key_id.clone(),
                visibility: visibility.map(Visibility::as_str),
                selected_repository_ids: match visibility {
                    Some(Visibility::Selected) => selected_ids,
                    _ => None,
                },
            };
            if crate::cancel::requested().is_some() {
                // The signal came while the key was read: the write never starts.
                return Ok((Outcome::Cancelled, k.key_id));
            }
            let failed = |e: &ApiError| Failure {
                key_id: Some(k.key_id.clone()),
                ..self.api_failure(e, target, "write")
            };
            match self.store.put_secret(target, name, &sealed).await {
                Ok(Written::Created) => return Ok((Outcome::Created, k.key_id)),
                Ok(Written::Updated) => return Ok((Outcome::Updated, k.key_id)),
                Err(e @ ApiError::Rejected { .. }) if !refetched => {
                    // Perhaps the key rotated: refetch once; retry only if it did change.
                    refetched = true;
                    let fresh = self.fetch_key(target).await?;
                    if fresh.key_id == k.key_id {
                        return Err(failed(&e));
                    }
                    *key = Some(fresh);
                }
                Err(e) => return Err(failed(&e)),
            }
        }
    }

    /// The visibility an organisation secret is written with: the input, else the existing
    /// secret's (one GET), else `private` for a new secret. Never silently reset.
    async fn org_visibility(&self, target: &Target, name: &str) -> Result<Visibility, Failure> {
        if let Destination::Org {
            visibility: Some(v),
            ..
        } = &self.config.destination
        {
            return Ok(*v);
        }
        let existing = self
            .store
            .secret_visibility(target, name)
            .await
            .map_err(|e| match e {
                ApiError::BadBody(_) => Failure {
                    cause: e.to_string(),
                    hint: None,
                    key_id: None,
                    stops: false,
                    kind: FailureKind::Other,
                },
                e => self.api_failure(&e, target, "read"),
            })?;
        match existing {
            None => Ok(Visibility::Private),
            Some(visibility) => visibility
                .as_deref()
                .and_then(Visibility::parse)
                .ok_or_else(|| Failure {
                    cause: "the existing secret's visibility was not understood".into(),
                    hint: Some("set `visibility` explicitly".into()),
                    key_id: None,
                    stops: false,
                    kind: FailureKind::Other,
                }),
        }
    }

    /// Explains a failed request for one target: GitHub's refusal (cause and fix), or why no
    /// answer came.
    fn api_failure(&self, e: &ApiError, target: &Target, doing: &str) -> Failure {
        match e {
            ApiError::Unauthorized { .. }
            | ApiError::Forbidden { .. }
            | ApiError::NotFound { .. }
            | ApiError::Rejected { .. }
            | ApiError::Unexpected { .. } => refusal_failure(e, target, doing, self.is_app()),
            _ => transport_failure(e),
        }
    }
}

fn transport_failure(e: &ApiError) -> Failure {
    Failure {
        cause: e.to_string(),
        hint: Some(match e {
            ApiError::RateLimited { .. } => {
                "rerun later, once GitHub's rate limit has reset".into()
            }
            ApiError::ServerError { .. } => "GitHub kept failing: rerun later".into(),
            _ => "check the network and `api-url`, then rerun".into(),
        }),
        key_id: None,
        stops: matches!(e, ApiError::RateLimited { .. }),
        kind: kind_of(e),
    }
}

/// Explains GitHub's refusal for one target: the cause and the fix.
fn refusal_failure(e: &ApiError, target: &Target, doing: &str, app: bool) -> Failure {
    let message = e
        .server_message()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default();
    let (cause, hint) = match e {
        ApiError::Unauthorized { .. } => (
            e.to_string(),
            if app {
                "check `app-id` and `app-private-key`, and that the app is still installed; an \
                 installation token lives an hour, so a longer run stops here: run again to \
                 finish the rest"
                    .to_owned()
            } else {
                "create a new token and store it in the secret passed as `token`".to_owned()
            },
        ),
        ApiError::Forbidden { .. } | ApiError::NotFound { .. } => (
            format!(
                "GitHub answered {}: the token cannot {doing} secrets of {target}{message}",
                e.refused_status().unwrap_or_default()
            ),
            if app {
                app_permission_hint(target)
            } else {
                permission_hint(target)
            },
        ),
        ApiError::Rejected { .. } => (
            format!("GitHub answered 422: the write was rejected{message}"),
            "check the secret name and value size; rerun if the public key was rotated".to_owned(),
        ),
        _ => (e.to_string(), "rerun later".to_owned()),
    };
    Failure {
        cause,
        hint: Some(hint),
        key_id: None,
        // A 401 is about the credential, not the target: every later request would get it too
        // (a revoked token, an installation token past its hour). The run stops, fail-fast or
        // not, and the rest is reported not attempted.
        stops: matches!(e, ApiError::Unauthorized { .. }),
        kind: kind_of(e),
    }
}

/// The permission a GitHub App installation needs to write a target's secrets.
pub fn app_permission_hint(target: &Target) -> String {
    let permission = match crate::auth::app::permission_name(
        target.app(),
        target.is_org(),
        matches!(target, Target::Env { .. }),
    ) {
        Some(name) => name,
        None => return "a GitHub App cannot be given Codespaces secrets: use a token".to_owned(),
    };
    let include = target
        .repo()
        .map(|r| format!(", and make sure the installation includes {r}"))
        .unwrap_or_default();
    format!(
        "the GitHub App's installation needs `{permission}: write` for {target}: add it in the \
         app's settings (Permissions) and accept it on the installation{include}"
    )
}

/// The permission a token needs for a target, for classic and fine-grained tokens.
pub fn permission_hint(target: &Target) -> String {
    let (classic, fine) = match target {
        Target::Repo { app: App::Actions, .. } => ("`repo`", "repository permission \"Secrets: Read and write\""),
        Target::Repo { app: App::Dependabot, .. } => ("`repo`", "repository permission \"Dependabot secrets: Read and write\""),
        Target::Repo { app: App::Codespaces, .. } => ("`repo`", "repository permission \"Codespaces secrets: Read and write\""),
        Target::Repo { app: App::Agents, .. } => ("`repo`", "repository permission \"Agent secrets: Read and write\""),
        Target::Env { .. } => ("`repo`", "repository permission \"Environments: Read and write\" (and the environment must exist)"),
        Target::Org { app: App::Actions, .. } => ("`admin:org`", "organization permission \"Secrets: Read and write\""),
        Target::Org { app: App::Dependabot, .. } => ("`admin:org`", "organization permission \"Dependabot secrets: Read and write\""),
        Target::Org { app: App::Codespaces, .. } => ("`admin:org`", "organization permission \"Codespaces secrets: Read and write\""),
        Target::Org { app: App::Agents, .. } => ("`admin:org`", "organization permission \"Agent secrets: Read and write\""),
    };
    format!(
        "a classic token needs the {classic} scope; a fine-grained token needs the {fine} on {}; \
         the default GITHUB_TOKEN cannot write secrets",
        target
    )
}

#[cfg(test)]
mod tests {
    //! The engine's decisions against an in-memory store: which pairs are written, kept,
    //! stopped, failed and resumed, and the calls it takes. The HTTP tests cover the wire.

    use super::*;
    use crate::audit::records;
    use crate::config::names::SecretName;
    use crate::config::{Origin, RunContext};
    use crate::engine::memory_store::{Fails, MemoryStore};

    fn secret(name: &str, value: &str) -> NewSecret {
        NewSecret {
            name: SecretName::parse(name).expect("name"),
            value: SecretValue::from(value),
            origin: Origin::Input,
        }
    }

    fn repo(name: &str) -> Target {
        Target::Repo {
            repo: Repo::parse(&format!("acme/{name}")).expect("repo"),
            app: App::Actions,
        }
    }

    fn config(secrets: Vec<NewSecret>, targets: &[Target]) -> Config {
        Config {
            auth: Auth::Token(SecretValue::from("ghp_test")),
            secrets,
            current: None,
            destination: Destination::Repos {
                repos: targets
                    .iter()
                    .filter_map(Target::repo)
                    .map(|r| RepoSpec::Exact(r.clone()))
                    .collect(),
                environment: None,
            },
            app: App::Actions,
            dry_run: false,
            api_url: "https://api.github.com".into(),
            fail_fast: false,
            allow_pull_request_target: false,
            token_expiry_warning_days: 14,
            audit_log: None,
            context: RunContext {
                default_repository: "acme/ops".into(),
                run_id: "77".into(),
                run_attempt: "1".into(),
                job: "refresh".into(),
                ..RunContext::default()
            },
            warnings: Vec::new(),
        }
    }

    /// The run past authentication and resolution, as `run_with` does it, on `store`.
    fn run_on(plan: Plan, config: &Config, store: &MemoryStore, targets: &[Target]) -> Report {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(async {
            let mut report = plan.report(config);
            if plan.nothing_to_write(config, &mut report) {
                return report;
            }
            Writer {
                store,
                config,
                known: &[],
            }
            .write_resolved(&plan, targets, None, &mut |_| {}, &mut report)
            .await;
            report
        })
    }

    fn run(config: &Config, store: &MemoryStore, targets: &[Target]) -> Report {
        run_on(Plan::new(config), config, store, targets)
    }

    /// `secret target outcome-code` per row, in the report's order.
    fn outcomes(report: &Report) -> Vec<String> {
        report
            .rows
            .iter()
            .map(|r| format!("{} {} {:?}", r.secret, r.target, r.outcome.code()))
            .collect()
    }

    #[test]
    fn writes_each_secret_to_each_target_sealed_for_its_key() {
        let targets = [repo("api"), repo("web")];
        let config = config(
            vec![secret("A", "one"), secret("B", "two\nlines")],
            &targets,
        );
        let store = MemoryStore::new().with(&targets[1], "B", "old");
        let report = run(&config, &store, &targets);
        assert_eq!(
            outcomes(&report),
            [
                "A acme/api Created",
                "A acme/web Created",
                "B acme/api Created",
                "B acme/web Updated",
            ]
        );
        assert_eq!(store.value(&targets[0], "A").as_deref(), Some("one"));
        assert_eq!(store.value(&targets[1], "B").as_deref(), Some("two\nlines"));
        // One key per target, read ahead; then the writes, serial, target by target.
        assert_eq!(
            store.calls(),
            [
                "key acme/api",
                "key acme/web",
                "put acme/api/A",
                "put acme/api/B",
                "put acme/web/A",
                "put acme/web/B",
            ]
        );
        assert!(report.rows.iter().all(|r| r.key_id.is_some()));
        assert!(!report.failed());
    }

    #[test]
    fn unchanged_secrets_cost_no_call() {
        let targets = [repo("api")];
        let mut config = config(vec![secret("A", "same"), secret("B", "new")], &targets);
        config.current = Some(
            [
                ("A".to_owned(), SecretValue::from("same")),
                ("B".to_owned(), SecretValue::from("old")),
            ]
            .into(),
        );
        let store = MemoryStore::new();
        let report = run(&config, &store, &targets);
        assert_eq!(
            outcomes(&report),
            ["A acme/api Unchanged", "B acme/api Created"]
        );
        assert_eq!(store.puts(), ["put acme/api/B"]);

        // Nothing changed: no call at all.
        config.secrets = vec![secret("A", "same")];
        let store = MemoryStore::new();
        let report = run(&config, &store, &targets);
        assert_eq!(outcomes(&report), ["A acme/api Unchanged"]);
        assert!(store.calls().is_empty());
    }

    #[test]
    fn a_dry_run_reports_what_would_be_written_and_calls_nothing() {
        let targets = [repo("api"), repo("web")];
        let mut config = config(vec![secret("A", "one")], &targets);
        config.dry_run = true;
        let store = MemoryStore::new();
        let report = run(&config, &store, &targets);
        assert_eq!(
            outcomes(&report),
            ["A acme/api WouldWrite", "A acme/web WouldWrite"]
        );
        assert_eq!(report.skip, Some(SkipReason::DryRun));
        assert!(store.calls().is_empty());
    }

    #[test]
    fn fail_fast_stops_at_the_first_failure_and_reads_no_key_ahead() {
        let targets = [repo("api"), repo("web"), repo("cli")];
        let mut config = config(vec![secret("A", "one"), secret("B", "two")], &targets);
        config.fail_fast = true;
        let store = MemoryStore::new().failing(&targets[1], Fails::Put);
        let report = run(&config, &store, &targets);
        assert_eq!(
            outcomes(&report),
            [
                "A acme/api Created",
                "A acme/web Failed",
                "A acme/cli NotAttempted",
                "B acme/api Created",
                "B acme/web NotAttempted",
                "B acme/cli NotAttempted",
            ]
        );
        assert_eq!(
            store.calls(),
            [
                "key acme/api",
                "put acme/api/A",
                "put acme/api/B",
                "key acme/web",
                "put acme/web/A",
            ]
        );
        let failed = report
            .rows
            .iter()
            .find(|r| r.target == "acme/web")
            .expect("row");
        assert!(failed
            .hint
            .as_deref()
            .expect("hint")
            .contains("Secrets: Read and write"));
        assert!(report.failed());
    }

    #[test]
    fn without_fail_fast_a_failure_leaves_the_other_targets_written() {
        let targets = [repo("api"), repo("web"), repo("cli")];
        let config = config(vec![secret("A", "one")], &targets);
        let store = MemoryStore::new().failing(&targets[0], Fails::Key);
        let report = run(&config, &store, &targets);
        assert_eq!(
            outcomes(&report),
            [
                "A acme/api Failed",
                "A acme/web Created",
                "A acme/cli Created"
            ]
        );
        // The refused key is read once, and nothing is written there.
        assert_eq!(store.puts(), ["put acme/web/A", "put acme/cli/A"]);
        assert_eq!(store.value(&targets[2], "A").as_deref(), Some("one"));
        assert!(report.failed());
    }

    #[test]
    fn a_rejected_write_refetches_the_key_once_and_retries() {
        let targets = [repo("api")];
        let config = config(vec![secret("A", "one")], &targets);
        let store = MemoryStore::new().failing(&targets[0], Fails::RejectPut(1));
        let report = run(&config, &store, &targets);
        assert_eq!(outcomes(&report), ["A acme/api Created"]);
        assert_eq!(
            store.calls(),
            [
                "key acme/api",
                "put acme/api/A",
                "key acme/api",
                "put acme/api/A"
            ]
        );
        // Written with the fresh key.
        assert_eq!(report.rows[0].key_id.as_deref(), Some("key-1"));
        assert_eq!(store.value(&targets[0], "A").as_deref(), Some("one"));
    }

    #[test]
    fn a_rerun_of_the_same_run_writes_only_what_is_missing() {
        let targets = [repo("api"), repo("web")];
        let config1 = config(vec![secret("A", "one"), secret("B", "two")], &targets);
        let store = MemoryStore::new().failing(&targets[1], Fails::Key);
        let first = run(&config1, &store, &targets);
        assert_eq!(
            outcomes(&first),
            [
                "A acme/api Created",
                "A acme/web Failed",
                "B acme/api Created",
                "B acme/web Failed",
            ]
        );

        // Attempt 2 of the same run reads attempt 1's records back: what was written stands.
        let mut config2 = config(config1.secrets.clone(), &targets);
        config2.context.run_attempt = "2".into();
        let ledger = Ledger::from_records(
            records(&first, &config1, time::OffsetDateTime::now_utc()),
            &RunBinding::of(&config2),
        );
        let store = MemoryStore::new();
        let second = run_on(
            Plan::with_ledger(&config2, ledger, None),
            &config2,
            &store,
            &targets,
        );
        assert_eq!(
            outcomes(&second),
            [
                "A acme/api AlreadyWritten",
                "A acme/web Created",
                "B acme/api AlreadyWritten",
                "B acme/web Created",
            ]
        );
        assert_eq!(
            store.calls(),
            ["key acme/web", "put acme/web/A", "put acme/web/B"]
        );
        // The earlier write's key id is kept for the audit.
        assert_eq!(second.rows[0].key_id, first.rows[0].key_id);

        // Another run's records count for nothing: everything is written again.
        let mut other = config(config1.secrets.clone(), &targets);
        other.context.run_id = "78".into();
        other.context.run_attempt = "2".into();
        let ledger = Ledger::from_records(
            records(&first, &config1, time::OffsetDateTime::now_utc()),
            &RunBinding::of(&other),
        );
        let store = MemoryStore::new();
        let fresh = run_on(
            Plan::with_ledger(&other, ledger, None),
            &other,
            &store,
            &targets,
        );
        assert!(fresh.rows.iter().all(|r| r.outcome == Outcome::Created));
    }

    #[test]
    fn a_signal_before_any_write_cancels_every_pair_to_write_and_keeps_the_unchanged() {
        let targets = [repo("api"), repo("web")];
        let mut config = config(vec![secret("A", "new"), secret("B", "same")], &targets);
        config.current = Some([("B".to_owned(), SecretValue::from("same"))].into());
        let plan = Plan::new(&config);
        let mut report = plan.report(&config);
        plan.cancel_rest(&mut report, crate::cancel::Signal::Terminate);
        assert_eq!(
            outcomes(&report),
            [
                "A acme/api Cancelled",
                "A acme/web Cancelled",
                "B acme/api Unchanged",
                "B acme/web Unchanged",
            ]
        );
        assert_eq!(
            report.fatal,
            Some(crate::cancel::how_to_finish(
                crate::cancel::Signal::Terminate
            ))
        );
    }
}
