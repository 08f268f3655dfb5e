//! `owner/glob` patterns in `--repo` and in `--repos-file` lines, for `set`, `status`,
//! `delete` and `rotate`: resolved before anything is asked or written, by the one resolver
//! ([`crate::auth::reach`], through [`crate::engine::resolve_targets`]), with `sync`'s requests:
//! for a person's token `GET /user` once, then each owner's listing once, every page; for an
//! installation token `GET /installation/repositories`; for a GitHub App, a metadata-only token
//! that lists what the installation reaches, revoked at once. Targets without a pattern need
//! no request. A pattern that matches nothing fails the command (exit 1, as in `sync`), naming it.

use super::{Credential, Error, Specs, TargetArgs};
use crate::auth::app::Access;
use crate::config::Destination;
use crate::github::Policy;
use crate::secret::SecretValue;
use crate::target::Target;

/// Why the targets could not be resolved: nothing was done.
#[derive(Debug, thiserror::Error)]
#[error("{0}; nothing was done")]
pub struct Unresolved(String);

/// The targets of `specs`, and the credential found to resolve their patterns (found with
/// `prompt` as [`Credential::find`]; `None` when no pattern needed one). A credential that
/// cannot be found is a usage error followed by `nothing_done`.
pub fn targets_and_credential(
    args: &TargetArgs,
    specs: Specs,
    app: &super::options::AppArgs,
    prompt: bool,
    api_url: &str,
    nothing_done: &'static str,
) -> Result<(Vec<Target>, Option<Credential>), Error> {
    match specs {
        Specs::Known(targets) => Ok((targets, None)),
        patterns => {
            let credential = Credential::find(app, prompt, api_url)
                .map_err(|e| Error::usage_then(e, nothing_done))?;
            let targets = resolve(args, patterns, &credential, api_url)?;
            Ok((targets, Some(credential)))
        }
    }
}

/// The targets of `specs`: as they are when known, else with each pattern resolved with
/// `credential` (its session closed, and any minted token revoked, before this returns).
pub fn resolve(
    args: &TargetArgs,
    specs: Specs,
    credential: &Credential,
    api_url: &str,
) -> Result<Vec<Target>, Error> {
    let specs = match specs {
        Specs::Known(targets) => return Ok(targets),
        Specs::Patterns(specs) => specs,
    };
    let runtime = super::runtime().map_err(Error::failed)?;
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let mut config = super::config(args, &[], None, credential.auth(), api_url);
    config.destination = Destination::Repos {
        repos: specs,
        environment: args.environment.clone(),
    };
    let resolved = runtime.block_on(crate::cancel::unless_cancelled(async {
        let session = crate::auth::app::open_with(
            &config,
            Policy::from_env(),
            Access::Read,
            &mut |t: &SecretValue| crate::output::redact::know_token(t),
        )
        .await
        .map_err(|e| Unresolved(e.error.to_string()))?;
        let targets = match &session.targets {
            Some(targets) => Ok(targets.clone()),
            None => crate::engine::resolve_targets(&config, &session.client)
                .await
                .map_err(|e| Unresolved(e.to_string())),
        };
        let closed = session.close().await;
        let targets = targets?;
        closed.map_err(|e| Unresolved(e.to_string()))?;
        Ok::<_, Unresolved>(targets)
    }));
    match resolved {
        Ok(Ok(targets)) => Ok(targets),
        Ok(Err(e)) => Err(Error::failed(e)),
        Err(signal) => {
            let after = match runtime.block_on(crate::auth::guard::revoke_left_behind()) {
                Ok(()) => "; nothing was done",
                Err(_) => "; nothing was done, but a token could not be revoked",
            };
            Err(super::cancelled(signal, after))
        }
    }
}
