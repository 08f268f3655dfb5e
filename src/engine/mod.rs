//! The engine: decide what needs writing, and write it to every target — keys fetched once per
//! target, writes serial, every outcome recorded exactly so a partial run can be reported and
//! safely rerun.
//!
//! The run is a pipeline, one file per step, read top to bottom in [`run_with_keys`]:
//! `plan.rs` (what needs writing, decided before any request) → authenticate (here: the token
//! as given, or a GitHub App's installation token) → `resolve.rs` (patterns and repository ids)
//! → `write.rs` (seal and write, target by target, telling a [`WriteProgress`] as it goes; a
//! dry run with a credential reads each target's public key instead, `dry.rs`; given
//! preflight's `stored-at`, each target is re-read just before its writes, `recheck.rs`) →
//! `finish.rs` (revocation, the run's totals). `hints.rs` holds the permission advice the
//! engine and the commands give.

pub mod compare;
mod dry;
mod finish;
pub mod hints;
#[cfg(test)]
mod memory_store;
mod plan;
mod recheck;
pub(crate) mod resolve;
pub(crate) use resolve::resolve_targets;
mod write;

use crate::auth::app::{Access, Session};
use crate::config::Config;
use crate::github::Policy;
pub use crate::report::outcome::{FailureKind, Outcome, Report, Row, SkipReason};
use crate::secret::seal::SealingKey;
use crate::secret::SecretValue;
use crate::target::Target;
use finish::{add_fatal, finish};
use plan::Plan;
use resolve::resolve_or_stop;
pub use write::WriteProgress;
use write::Writer;

/// Runs the whole refresh. Makes no request unless something changed, a token is given, and it
/// is not a dry run.
pub async fn run(config: &Config, policy: Policy) -> Report {
    run_observed(config, policy, &mut |_: WriteProgress<'_>| {}).await
}

/// [`run`], telling `observe` about each write as it happens.
pub async fn run_observed(
    config: &Config,
    policy: Policy,
    observe: &mut dyn FnMut(WriteProgress<'_>),
) -> Report {
    run_with(config, policy, observe, &mut |_: &SecretValue| {}).await
}

/// [`run_observed`], handing `mask` every token minted during the run (a GitHub App's
/// installation tokens) the moment it exists, before it is used.
pub async fn run_with(
    config: &Config,
    policy: Policy,
    observe: &mut dyn FnMut(WriteProgress<'_>),
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
    observe: &mut dyn FnMut(WriteProgress<'_>),
    mask: &mut dyn FnMut(&SecretValue),
) -> Report {
    // Plan: compare, read what earlier attempts left behind; no request yet. A dry run with a
    // credential goes on, to read what the real run would read.
    let plan = Plan::new(config);
    let mut report = plan.report(config);
    let checking = plan.dry_run_checks(config, &mut report);
    if !checking && plan.nothing_to_write(config, &mut report) {
        return report;
    }

    // Authenticate: a token as given, or a GitHub App's installation token (revoked in finish);
    // a dry run's app token may only read.
    let access = if checking {
        Access::Read
    } else {
        Access::Write
    };
    let Some(session) = authenticate(config, policy, access, mask, &plan, &mut report).await else {
        return report;
    };

    // Resolve patterns and repository ids: reads, only because there is something to write.
    let Some((targets, selected_ids)) = resolve_or_stop(config, &session, &plan, &mut report).await
    else {
        return report;
    };

    // The command line may ask before a large blast radius; refused, nothing is written.
    if !checking && !confirmed(config, &targets) {
        report.fatal = Some(NOT_CONFIRMED.to_owned());
        plan.not_attempted(&mut report);
        finish(&session, &mut report).await;
        return report;
    }

    // Seal and write, target by target (a dry run reads each key only); then the run's totals.
    // Each target is written with its own token's client (one per exchange when keyless).
    let writer = Writer {
        store: &session,
        config,
        known,
    };
    if checking {
        writer.check_resolved(&plan, &targets, &mut report).await;
    } else {
        writer
            .write_resolved(
                &plan,
                &targets,
                selected_ids.as_deref(),
                observe,
                &mut report,
            )
            .await;
    }
    if let Some(signal) = crate::cancel::requested() {
        report
            .fatal
            .get_or_insert(crate::cancel::how_to_finish(signal));
    }
    finish(&session, &mut report).await;
    report
}

/// Why nothing was written when the question before the writes was not answered yes.
pub const NOT_CONFIRMED: &str = "not confirmed: nothing was written";

/// Whether the run's question before the writes (if it has one) was answered yes.
fn confirmed(config: &Config, targets: &[Target]) -> bool {
    let Some(ask) = config.context.confirm_targets else {
        return true;
    };
    let from_pattern = matches!(
        &config.destination,
        crate::config::Destination::Repos { repos, .. }
            if repos.iter().any(|r| matches!(r, crate::config::RepoSpec::Pattern { .. }))
    );
    ask(targets, from_pattern)
}

/// Opens the session; `None` when it could not be opened or a signal came first, the report
/// then saying why, every pair to write not attempted (or cancelled), and a token minted on the
/// way revoked.
async fn authenticate(
    config: &Config,
    policy: Policy,
    access: Access,
    mask: &mut dyn FnMut(&SecretValue),
    plan: &Plan,
    report: &mut Report,
) -> Option<Session> {
    let opening = crate::auth::app::open_with(config, policy, access, mask);
    match crate::cancel::or_abandon(opening).await {
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

#[cfg(test)]
mod tests;
