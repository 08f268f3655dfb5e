//! Writing: the [`Writer`] seals each secret with its target's public key (one key per target
//! per run, read ahead unless fail-fast) and writes the pairs serially, target by target,
//! recording every outcome; a key GitHub rejects is refetched once. A [`WriteFailure`] says why
//! one write failed, the fix, and whether the run stops there.

use futures_util::stream::{self, StreamExt};

use crate::config::{Config, Destination, NewSecret, Visibility};
use crate::engine::hints::{refusal_advice, WritesAs};
use crate::engine::plan::{sort_rows, Decision, Plan};
use crate::engine::recheck::{recheck, Recheck};
use crate::github::endpoints::{ExistingSecret, Written};
use crate::github::{ApiError, Sealed, SecretStore};
use crate::report::outcome::{FailureKind, Outcome, Report, Row};
use crate::secret::seal::SealingKey;
use crate::secret::SecretValue;
use crate::target::Target;

/// Progress of the writes, for a progress bar: the number of writes planned, then each row as
/// soon as its write is decided.
pub enum WriteProgress<'a> {
    /// Before the first write. `pacing` estimates how long writes left will take (its `eta`)
    /// and the least they can take (its `floor`, what says a run will outlast an hour).
    Planned {
        writes: usize,
        targets: usize,
        pacing: crate::pacing::Pacing,
    },
    Done(&'a Row),
}

/// Why one write (or key fetch) failed, and the fix.
#[derive(Debug, Clone)]
pub(super) struct WriteFailure {
    cause: String,
    pub(super) hint: Option<String>,
    key_id: Option<String>,
    /// The run cannot go on (the rate-limit wait budget is spent).
    stops: bool,
    kind: FailureKind,
    /// A signal came while the request waited its turn: it was never sent.
    cancelled: bool,
}

impl WriteFailure {
    /// What the report row keeps of it.
    pub(super) fn to_row(&self) -> crate::report::outcome::Failure {
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
        | ApiError::UntrustedCertificate { .. }
        | ApiError::Proxy { .. }
        | ApiError::ServerError { .. }
        | ApiError::BodyTooLarge { .. } => FailureKind::Unreachable,
        _ => FailureKind::Other,
    }
}

/// Seals and writes through a [`SecretStore`]: the engine's decisions past authentication.
pub(super) struct Writer<'a, S> {
    pub(super) store: &'a S,
    pub(super) config: &'a Config,
    /// Keys already read this run, sealed with as they are.
    pub(super) known: &'a [(Target, SealingKey)],
}

impl<S: SecretStore> Writer<'_, S> {
    /// Decides, seals and writes every pair for the resolved `targets`, then adds the
    /// unchanged rows: the report's rows in their order.
    pub(super) async fn write_resolved(
        &self,
        plan: &Plan,
        targets: &[Target],
        selected_ids: Option<&[u64]>,
        observe: &mut dyn FnMut(WriteProgress<'_>),
        report: &mut Report,
    ) {
        report.targets = targets.iter().map(Target::to_string).collect();
        let plans = plan.per_target(targets);
        let keys = self.keys_ahead(targets, &plans).await;
        observe(WriteProgress::Planned {
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
    ) -> Vec<Option<Result<SealingKey, WriteFailure>>> {
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
        keys: Vec<Option<Result<SealingKey, WriteFailure>>>,
        selected_ids: Option<&[u64]>,
        observe: &mut dyn FnMut(WriteProgress<'_>),
        report: &mut Report,
    ) {
        let mut stop = false;
        for ((target, plan), key) in targets.iter().zip(plans).zip(keys) {
            let (mut key, mut key_failure) = match key {
                Some(Ok(k)) => (Some(k), None),
                Some(Err(f)) => (None, Some(f)),
                None => (None, None),
            };
            // Just before writing here: what another run stored since preflight is kept.
            let recheck = if stop || key_failure.is_some() {
                Recheck::default()
            } else {
                let record = self.config.stored_at.as_ref();
                recheck(self.store, record, target, &plan, report).await
            };
            if let Some(e) = &recheck.failure {
                key_failure = Some(self.api_failure(e, target, "list"));
            }
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
                } else if let Some(at) = recheck.conflict(secret) {
                    r.outcome = Outcome::Conflict(at);
                } else {
                    stop = self
                        .write_row(&mut r, target, &mut key, secret, selected_ids)
                        .await;
                }
                observe(WriteProgress::Done(&r));
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
        crate::auth::guard::panic_point("before-write");
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
            Ok(Err(f)) if f.cancelled => {
                r.outcome = Outcome::Cancelled;
                r.key_id = f.key_id;
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

    /// Who the run writes as (the fix of a refusal names what can work for it).
    fn writes_as(&self) -> WritesAs {
        WritesAs::of(&self.config.auth)
    }

    pub(super) async fn fetch_key(&self, target: &Target) -> Result<SealingKey, WriteFailure> {
        let key = self.store.public_key(target).await.map_err(|e| match e {
            ApiError::BadBody(e) => WriteFailure {
                cause: format!("GitHub's public key answer was not understood: {e}"),
                hint: None,
                key_id: None,
                stops: false,
                kind: FailureKind::Other,
                cancelled: false,
            },
            e => self.api_failure(&e, target, "read the public key for"),
        })?;
        SealingKey::from_base64(&key.key_id, &key.key_base64).map_err(|e| WriteFailure {
            cause: e.to_string(),
            hint: None,
            key_id: Some(key.key_id.clone()),
            stops: false,
            kind: FailureKind::Other,
            cancelled: false,
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
    ) -> Result<(Outcome, String), WriteFailure> {
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
            let sealed = k.seal(value).map_err(|e| WriteFailure {
                cause: e.to_string(),
                hint: None,
                key_id: Some(k.key_id.clone()),
                stops: false,
                kind: FailureKind::Other,
                cancelled: false,
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
            let failed = |e: &ApiError| WriteFailure {
                key_id: Some(k.key_id.clone()),
                ..self.api_failure(e, target, "write")
            };
            match self.store.put_secret(target, name, &sealed).await {
                Ok(Written::Created) => return Ok((Outcome::Created, k.key_id)),
                Ok(Written::Updated) => return Ok((Outcome::Updated, k.key_id)),
                // A signal while it waited for GitHub's rate limits: it never left.
                Err(ApiError::NotSent { .. }) => return Ok((Outcome::Cancelled, k.key_id)),
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
    async fn org_visibility(
        &self,
        target: &Target,
        name: &str,
    ) -> Result<Visibility, WriteFailure> {
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
                ApiError::BadBody(_) => WriteFailure {
                    cause: e.to_string(),
                    hint: None,
                    key_id: None,
                    stops: false,
                    kind: FailureKind::Other,
                    cancelled: false,
                },
                e => self.api_failure(&e, target, "read"),
            })?;
        match existing {
            ExistingSecret::Absent => Ok(Visibility::Private),
            ExistingSecret::Present { visibility } => visibility
                .as_deref()
                .and_then(Visibility::parse)
                .ok_or_else(|| WriteFailure {
                    cause: "the existing secret's visibility was not understood".into(),
                    hint: Some("set `visibility` explicitly".into()),
                    key_id: None,
                    stops: false,
                    kind: FailureKind::Other,
                    cancelled: false,
                }),
        }
    }

    /// Explains a failed request for one target: GitHub's refusal (cause and fix), or why no
    /// answer came.
    fn api_failure(&self, e: &ApiError, target: &Target, doing: &str) -> WriteFailure {
        match e {
            ApiError::Unauthorized { .. }
            | ApiError::Forbidden { .. }
            | ApiError::NotFound { .. }
            | ApiError::Rejected { .. }
            | ApiError::Unexpected { .. } => refusal_failure(e, target, doing, self.writes_as()),
            _ => transport_failure(e),
        }
    }
}

fn transport_failure(e: &ApiError) -> WriteFailure {
    WriteFailure {
        cause: e.to_string(),
        hint: Some(match e {
            ApiError::RateLimited { .. } => {
                "rerun later, once GitHub's rate limit has reset".into()
            }
            ApiError::ServerError { .. } => "GitHub kept failing: rerun later".into(),
            ApiError::UntrustedCertificate { .. } => {
                "set SSL_CERT_FILE to a PEM file of the CA certificate that issued the server's \
                 (in a workflow: in the step's `env:`, the file in the workspace), then rerun"
                    .into()
            }
            ApiError::Proxy { .. } => {
                "fix the proxy in `https_proxy`/`HTTPS_PROXY`, or list the API's host in \
                 `NO_PROXY` if it is reachable directly, then rerun"
                    .into()
            }
            _ => "check the network and `api-url`, then rerun".into(),
        }),
        key_id: None,
        // Every later request would meet the same limit, or the same certificate.
        stops: matches!(
            e,
            ApiError::RateLimited { .. }
                | ApiError::UntrustedCertificate { .. }
                | ApiError::Proxy { .. }
        ),
        kind: kind_of(e),
        cancelled: matches!(e, ApiError::NotSent { .. }),
    }
}

/// Explains GitHub's refusal for one target: the cause and the fix.
fn refusal_failure(
    e: &ApiError,
    target: &Target,
    doing: &str,
    writes_as: WritesAs,
) -> WriteFailure {
    let (cause, hint) = refusal_advice(e, target, doing, writes_as);
    WriteFailure {
        cause,
        hint: Some(hint),
        key_id: None,
        // A 401 is about the credential, not the target: every later request would get it too
        // (a revoked token, an installation token past its hour). The run stops, fail-fast or
        // not, and the rest is reported not attempted.
        stops: matches!(e, ApiError::Unauthorized { .. }),
        kind: kind_of(e),
        cancelled: false,
    }
}
