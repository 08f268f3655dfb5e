//! Step 4: each written secret is read back with the new token; it verifies when GitHub's
//! `updated_at` is at or after the rotation began, on GitHub's clock.

use time::OffsetDateTime;

use crate::audit::rotation::CheckOutcome;
use crate::config::names::SecretName;
use crate::engine::{Outcome, Report};
use crate::github::{endpoints, Client};
use crate::target::Target;

/// GitHub's clocks (the answer's `Date`, the secret's `updated_at`) may differ by a little.
const CLOCK_SKEW_SECS: i64 = 5;

/// What the check of one target found.
#[derive(Debug, Clone)]
pub(super) struct Check {
    pub(super) outcome: CheckOutcome,
    pub(super) updated_at: Option<OffsetDateTime>,
    pub(super) problem: Option<String>,
}

impl Check {
    pub(super) fn not_checked() -> Self {
        Self {
            outcome: CheckOutcome::NotChecked,
            updated_at: None,
            problem: None,
        }
    }

    /// Written, then a signal came before its read-back: not verified, and said so.
    fn cancelled() -> Self {
        Self {
            outcome: CheckOutcome::Cancelled,
            updated_at: None,
            problem: None,
        }
    }

    /// The check of a target no read-back reached: cancelled when it was written, else not
    /// checked (nothing was written).
    pub(super) fn unreached(report: &Report, target: &Target) -> Self {
        if write_outcome(report, target).is_written() {
            Self::cancelled()
        } else {
            Self::not_checked()
        }
    }
}

/// The engine's outcome for a target (one secret per target here).
pub(super) fn write_outcome(report: &Report, target: &Target) -> Outcome {
    let label = target.to_string();
    report
        .rows
        .iter()
        .find(|r| r.target == label)
        .map(|r| r.outcome.clone())
        .unwrap_or(Outcome::NotAttempted)
}

/// Step 4: one read of the secret per written target, with the new token.
pub(super) async fn verify(
    client: &Client,
    targets: &[Target],
    report: &Report,
    name: &SecretName,
    started: OffsetDateTime,
) -> Vec<Check> {
    // Checked: `started` is GitHub's clock, from its answer's `Date`.
    let since = started
        .checked_sub(time::Duration::seconds(CLOCK_SKEW_SECS))
        .unwrap_or(started);
    let mut checks = Vec::new();
    for t in targets {
        if !write_outcome(report, t).is_written() || crate::cancel::requested().is_some() {
            checks.push(Check::unreached(report, t));
            continue;
        }
        checks.push(
            match endpoints::secret_updated_at(client, t, name.as_str()).await {
                Ok(Some(at)) if at.at() >= since => Check {
                    outcome: CheckOutcome::Verified,
                    updated_at: Some(at.at()),
                    problem: None,
                },
                Ok(Some(at)) => Check {
                    outcome: CheckOutcome::Stale,
                    updated_at: Some(at.at()),
                    problem: Some(format!(
                        "GitHub says {name} was last updated {at}, before the rotation began \
                         ({}): the write did not land",
                        rfc3339(started)
                    )),
                },
                Ok(None) => Check {
                    outcome: CheckOutcome::Missing,
                    updated_at: None,
                    problem: Some(format!("GitHub has no {name} there after the write")),
                },
                Err(e) => Check {
                    outcome: CheckOutcome::Unreadable,
                    updated_at: None,
                    problem: Some(format!("the secret could not be read back: {e}")),
                },
            },
        );
    }
    checks
}

pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}
