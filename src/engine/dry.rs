//! A dry run with a credential: after the targets were resolved (patterns listed, as the real
//! run lists them), each target that would be written has its public key read, once, as the
//! real run reads it; nothing is sealed or written. So a dry run proves that the inputs are
//! valid, what would change, that every target resolves and that its public key is readable —
//! not that the token can write (a key is readable with read access): preflight proves that.

use crate::engine::plan::{sort_rows, Plan};
use crate::engine::write::Writer;
use crate::github::SecretStore;
use crate::report::outcome::{Outcome, Report, Row};
use crate::target::Target;

impl<S: SecretStore> Writer<'_, S> {
    /// Reads the public key of every resolved target that has something to write (serially;
    /// none after a signal) and reports each pair: would write, failed (the key could not be
    /// read, with the fix), or as the plan decided; then the unchanged rows.
    pub(super) async fn check_resolved(
        &self,
        plan: &Plan,
        targets: &[Target],
        report: &mut Report,
    ) {
        report.targets = targets.iter().map(Target::to_string).collect();
        for (target, decided) in targets.iter().zip(plan.per_target(targets)) {
            let key = if decided.iter().all(|(_, d)| d.is_some()) {
                None
            } else {
                Some(crate::cancel::unless_cancelled(self.fetch_key(target)).await)
            };
            for (secret, decision) in decided {
                let mut row = Row {
                    secret: secret.name.to_string(),
                    target: target.to_string(),
                    resolved: Some(target.clone()),
                    outcome: Outcome::WouldWrite,
                    key_id: None,
                    hint: None,
                };
                match (decision, &key) {
                    (Some((outcome, key_id)), _) => {
                        row.outcome = outcome;
                        row.key_id = key_id;
                    }
                    (None, Some(Ok(Ok(k)))) => row.key_id = Some(k.key_id.clone()),
                    (None, Some(Ok(Err(f)))) => {
                        row.outcome = Outcome::Failed(f.to_row());
                        row.hint = f.hint.clone();
                    }
                    (None, Some(Err(_)) | None) => row.outcome = Outcome::Cancelled,
                }
                report.rows.push(row);
            }
        }
        plan.unchanged_in(targets, report);
        sort_rows(&mut report.rows, &plan.planned);
    }
}
