//! Never overwrite a newer value: given preflight's record (`stored-at`), the writer re-reads a
//! target's `updated_at` just before it writes there — one listing, only where something is to
//! be written, so the window in which another run may still slip in is one request long — and
//! does not write a secret stored since preflight (written again, or created): that pair is a
//! [`Outcome::Conflict`] naming when the other run stored it. A secret deleted since is written
//! (there is no newer value to keep). A target the record does not name is written as before,
//! and said. Without a record, nothing is re-read.
//!
//! The check is not atomic (GitHub has no conditional write): `concurrency:` on the workflow is
//! what keeps two runs apart; this keeps the one that slips through from undoing the other.

use std::collections::HashMap;

use crate::config::stored_at::{rfc3339, Since, StoredAt};
use crate::config::NewSecret;
use crate::engine::plan::Decision;
use crate::github::{ApiError, SecretStore};
use crate::report::outcome::Report;
use crate::target::Target;

/// What a target's re-read found: the secrets not to write (name → when the other run stored
/// it), or why it could not be read (then nothing is written there).
#[derive(Default)]
pub(super) struct Recheck {
    conflicts: HashMap<String, String>,
    pub(super) failure: Option<ApiError>,
}

impl Recheck {
    /// When another run stored `secret` since preflight, if it did.
    pub(super) fn conflict(&self, secret: &NewSecret) -> Option<String> {
        self.conflicts.get(&secret.name.folded()).cloned()
    }
}

/// Re-reads `target`'s secrets from `store` when preflight's `record` names it and `plan` has
/// something to write there; no request otherwise. A target the record does not name is noted
/// in the report (written without the check).
pub(super) async fn recheck<S: SecretStore>(
    store: &S,
    record: Option<&StoredAt>,
    target: &Target,
    plan: &[(&NewSecret, Decision)],
    report: &mut Report,
) -> Recheck {
    let Some(record) = record else {
        return Recheck::default();
    };
    if plan.iter().all(|(_, d)| d.is_some()) {
        return Recheck::default();
    }
    let label = target.to_string();
    let Some(seen) = record.target(&label) else {
        report.not_prechecked.push(label);
        return Recheck::default();
    };
    let listing = crate::cancel::unless_cancelled(store.updated_at(target)).await;
    let now: HashMap<String, time::OffsetDateTime> = match listing {
        // Cut short by a signal: the writes are cancelled by the caller.
        Err(_) => return Recheck::default(),
        Ok(Err(e)) => {
            return Recheck {
                failure: Some(e),
                ..Recheck::default()
            }
        }
        Ok(Ok(listed)) => listed
            .into_iter()
            .map(|(name, at)| (name.to_ascii_uppercase(), at))
            .collect(),
    };
    let conflicts = plan
        .iter()
        .filter(|(_, d)| d.is_none())
        .filter_map(|(s, _)| {
            let name = s.name.folded();
            match Since::of(seen.get(&name).copied(), now.get(&name).copied()) {
                Since::Moved(at) | Since::Created(at) => Some((name, rfc3339(at))),
                Since::Same | Since::Deleted => None,
            }
        })
        .collect();
    Recheck {
        conflicts,
        failure: None,
    }
}
