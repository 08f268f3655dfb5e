//! Steps 3 to 5 once the new token passed: write it into every target through the engine (with
//! the keys step 2 read, serial and paced, a progress bar on a terminal), read each back
//! ([`super::verify`]), and revoke the old token only when every target verified.

use super::args::RotateArgs;
use super::read::Inputs;
use super::record::rotation_record;
use super::validate::Checked;
use super::verify::{verify, Check};
use crate::audit::rotation::{CheckOutcome, RotationRecord};
use crate::config::{Auth, NewSecret};
use crate::engine::{Report, WriteProgress};
use crate::github::credentials::{self, CredentialRevokeError};
use crate::github::{Client, Policy};
use crate::secret::seal::SealingKey;
use crate::secret::SecretValue;
use crate::target::Target;

/// What steps 3 to 5 did, and the record of it.
pub(super) struct Done {
    pub(super) report: Report,
    pub(super) checks: Vec<Check>,
    pub(super) revoked: Option<Result<(), CredentialRevokeError>>,
    pub(super) requests: u64,
    pub(super) record: RotationRecord,
}

/// Steps 3 to 5 once the new token passed: propagate with the keys it read, verify what was
/// written (no new request after a signal), revoke the old token only when every target
/// verified.
pub(super) async fn rotate_checked(
    args: &RotateArgs,
    inputs: &Inputs,
    checked: &Checked,
    client: &Client,
    policy: Policy,
) -> Done {
    let targets = &inputs.targets;
    let auth = match &inputs.writer {
        Some(c) => c.auth(),
        None => Auth::Token(inputs.new.clone()),
    };
    let mut config =
        crate::commands::config(&args.targets, targets, None, auth, inputs.api.as_str());
    config.secrets = vec![NewSecret {
        name: inputs.name.clone(),
        value: inputs.new.clone(),
        origin: inputs.origin.clone(),
    }];
    config.fail_fast = !args.keep_going;
    let keys: Vec<(Target, SealingKey)> = checked
        .keys
        .iter()
        .filter_map(|(t, k)| k.as_ref().ok().map(|k| (t.clone(), k.clone())))
        .collect();
    let report = propagate(&config, policy.clone(), &keys, targets.len()).await;

    // A read-back a signal stopped is "cancelled" for a written target, never "verified".
    let unreached = || {
        targets
            .iter()
            .map(|t| Check::unreached(&report, t))
            .collect()
    };
    let checks: Vec<Check> = if crate::cancel::requested().is_some() {
        unreached()
    } else {
        let verifying = verify(client, targets, &report, &inputs.name, checked.started);
        crate::cancel::or_abandon(verifying)
            .await
            .unwrap_or_else(|_| unreached())
    };
    let all_verified = crate::cancel::requested().is_none()
        && checks.iter().all(|c| c.outcome == CheckOutcome::Verified);
    let revoked = match &inputs.old {
        Some(old) if all_verified => Some(credentials::revoke(&inputs.api, policy, old).await),
        _ => None,
    };
    let requests = client.requests() + report.requests + u64::from(revoked.is_some());
    let record = rotation_record(inputs, checked, &report, &checks, &revoked);
    Done {
        report,
        checks,
        revoked,
        requests,
        record,
    }
}

/// Runs the engine with a progress bar on a terminal, its ETA the pacer's; a propagation that
/// will outlast an hour is announced before the first write (as `set` does).
async fn propagate(
    config: &crate::config::Config,
    policy: Policy,
    keys: &[(Target, SealingKey)],
    targets: usize,
) -> Report {
    let mut paced =
        crate::commands::progress::Paced::new(targets, matches!(config.auth, Auth::App(_)));
    let report = crate::engine::run_with_keys(
        config,
        policy,
        keys,
        &mut |p: WriteProgress<'_>| paced.observe(p),
        &mut |t: &SecretValue| crate::output::redact::know_token(t),
    )
    .await;
    paced.finish();
    report
}
