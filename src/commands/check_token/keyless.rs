//! `check-token --sts-url URL --sts-identity NAME --repo owner/name`: the keyless path proved
//! end to end before anything is refreshed, in a workflow's `run:` step. The job's ID token
//! (`ACTIONS_ID_TOKEN_REQUEST_URL`), one exchange for the repository's scope (the trust policy
//! matches), the public key of `--repo` (the token reaches its secrets), and a write: a
//! throwaway secret `SECRET_REFRESH_CHECK_…` written and deleted at once (an exchanged token's
//! permissions cannot be read back, so only a write proves it can write). The delete is sent
//! whatever the write's answer, also after a signal; the token is revoked at the end.
//!
//! Requests: the ID token, the exchange, `GET …/public-key`, `PUT` and `DELETE` of the
//! throwaway secret, `DELETE /installation/token`.

use std::sync::Arc;

use super::findings::{refusal, requests_text, Findings};
use crate::auth::guard::{ApiSide, InstallationToken};
use crate::commands::options::{id_token_request, StsArgs};
use crate::commands::{Error, Tone};
use crate::config::{IdTokenRequest, StsCredentials};
use crate::github::endpoints::{self, Deleted};
use crate::github::{Client, Policy, ServiceUrl, Stats};
use crate::secret::seal::SealingKey;
use crate::secret::SecretValue;
use crate::target::{App, Repo, Target};

/// Why a keyless check cannot start (a usage error: no request was made).
#[derive(Debug, thiserror::Error)]
pub(super) enum KeylessUsage {
    #[error("with --sts-url, give --repo OWNER/NAME: the repository whose trust policy is asked")]
    NoRepo,
    #[error(
        "--sts-url exchanges the job's identity for a token: give no --app-id or --prompt with it"
    )]
    WithOther,
    #[error("{0}")]
    Url(crate::github::ServiceUrlError),
    #[error(
        "--sts-identity: expected the name of a trust policy (`.github/chainguard/NAME.sts.yaml`): \
         letters, digits, `-`, `_` and `.`"
    )]
    Identity,
}

/// The exchange's inputs from the flags and the runner's environment.
fn credentials(sts: &StsArgs) -> Result<StsCredentials, KeylessUsage> {
    let url = ServiceUrl::parse(
        sts.sts_url.as_deref().unwrap_or_default(),
        "`--sts-url`",
        false,
    )
    .map_err(KeylessUsage::Url)?;
    let identity = sts.sts_identity.as_deref().unwrap_or_default().trim();
    let valid = !identity.is_empty()
        && identity.len() <= 100
        && !identity.starts_with('.')
        && identity
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid {
        return Err(KeylessUsage::Identity);
    }
    let audience = match sts.sts_audience.as_deref().map(str::trim) {
        Some(a) if !a.is_empty() => a.to_owned(),
        _ => url.host(),
    };
    let (request_url, request_token) = id_token_request();
    crate::output::redact::know_token(&request_token);
    let id_token_request =
        (!request_url.trim().is_empty() && !request_token.is_empty()).then(|| IdTokenRequest {
            url: request_url.trim().to_owned(),
            token: request_token,
        });
    Ok(StsCredentials {
        url,
        identity: identity.to_owned(),
        audience,
        id_token_request,
    })
}

/// Runs the keyless checks and prints what they found. `other`: `--app-id` or `--prompt` was
/// given too.
pub(super) fn run(
    sts: &StsArgs,
    app: App,
    other: bool,
    api_url: &str,
    repo: Option<Repo>,
) -> Result<(), Error> {
    if other {
        return Err(Error::usage(KeylessUsage::WithOther));
    }
    let Some(repo) = repo else {
        return Err(Error::usage(KeylessUsage::NoRepo));
    };
    let sts = credentials(sts).map_err(Error::usage)?;
    let runtime = crate::commands::runtime().map_err(Error::failed)?;
    // octocrab's client spawns its service on the runtime it is built in.
    let _entered = runtime.enter();
    let stats: Arc<Stats> = Arc::default();
    let api = ApiSide {
        api_url: api_url.to_owned(),
        policy: Policy::from_env(),
        stats: stats.clone(),
    };
    let target = Target::Repo {
        repo: repo.clone(),
        app,
    };
    let mut found = Findings::default();
    found.line(
        "Identity",
        format!(
            "`{}` for scope `{repo}` at {} (audience {})",
            sts.identity, sts.url, sts.audience
        ),
        Tone::Plain,
    );
    // The ID token, the exchange and the public key: abandoned on a signal (a token that
    // arrives after is revoked by its guard).
    let scope = repo.to_string();
    let first = runtime.block_on(crate::cancel::or_abandon(async {
        let token =
            crate::auth::keyless::exchange_one(&sts, &api, &scope, &mut |_: &SecretValue| {})
                .await?;
        let key = endpoints::public_key(token.client(), &target).await;
        Ok::<_, crate::auth::keyless::KeylessError>((token, key))
    }));
    let mut revoked = false;
    match first {
        Err(signal) => found.problem(format!("cancelled by {}: stopped", signal.name())),
        Ok(Err(e)) => {
            found.line("Token", "none: see below", Tone::Bad);
            found.problem(e.to_string());
        }
        Ok(Ok((token, key))) => {
            found.line(
                "Token",
                "GitHub App installation token (prefix ghs_), from the exchange",
                Tone::Plain,
            );
            if let Some(key) = key_finding(&target, key, &mut found) {
                if crate::cancel::requested().is_none() {
                    let written = runtime.block_on(throwaway_write(token.client(), &target, &key));
                    write_finding(&target, written, &mut found);
                }
            }
            revoked = revoke(&runtime, token, &mut found);
        }
    }
    finish(&runtime, found, revoked, &stats)
}

/// Revokes what was left behind, says a signal, and prints the verdict with the requests made.
fn finish(
    runtime: &tokio::runtime::Runtime,
    mut found: Findings,
    mut revoked: bool,
    stats: &Stats,
) -> Result<(), Error> {
    if let Err(e) = runtime.block_on(crate::auth::guard::revoke_left_behind()) {
        found.problem(e.to_string());
        revoked = false;
    }
    if let Some(signal) = crate::cancel::requested() {
        found.problem(format!("cancelled by {}", signal.name()));
    }
    let requests = stats.requests.load(std::sync::atomic::Ordering::Relaxed);
    let then = if revoked {
        "; the token was revoked"
    } else {
        ""
    };
    found.finish("the token exchange", &requests_text(requests, then))
}

/// Whether the token reads `--repo`'s public key; the key when it does.
fn key_finding(
    target: &Target,
    key: Result<endpoints::PublicKey, crate::github::ApiError>,
    found: &mut Findings,
) -> Option<SealingKey> {
    let label = format!("Secrets of {target}");
    let key = match key {
        Ok(k) => k,
        Err(e) => {
            let (status, message) = refusal(&e);
            found.line(
                &label,
                format!("cannot read the public key: {e}"),
                Tone::Bad,
            );
            found.problem(format!(
                "the exchanged token cannot read the secrets of {target} ({status}{message})\n  \
                 fix: {}",
                crate::engine::hints::keyless_permission_hint(target)
            ));
            return None;
        }
    };
    match SealingKey::from_base64(&key.key_id, &key.key_base64) {
        Ok(k) => {
            found.line(&label, "can read the public key", Tone::Good);
            Some(k)
        }
        Err(e) => {
            found.line(
                &label,
                format!("the public key is not usable: {e}"),
                Tone::Bad,
            );
            found.problem(format!("{target}: {e}"));
            None
        }
    }
}

/// What the throwaway write proved.
struct Written {
    name: String,
    put: Result<endpoints::Written, crate::github::ApiError>,
    deleted: Result<Deleted, crate::github::ApiError>,
}

/// Writes a throwaway secret and deletes it again: the delete is sent whatever the write's
/// answer (it may have landed), and neither is abandoned on a signal (each is bounded by the
/// request deadline).
async fn throwaway_write(client: &Client, target: &Target, key: &SealingKey) -> Written {
    let suffix: String = (0..8)
        .map(|_| format!("{:X}", rand::random::<u8>() % 16))
        .collect();
    let name = format!("SECRET_REFRESH_CHECK_{suffix}");
    let value = SecretValue::from(format!("check-{suffix}-{}", rand::random::<u64>()));
    let put = match key.seal(&value) {
        Ok(sealed) => {
            let body = serde_json::json!({"encrypted_value": sealed, "key_id": key.key_id});
            endpoints::put_secret(client, target, &name, &body).await
        }
        Err(e) => Err(crate::github::ApiError::BadBody(e.to_string())),
    };
    let deleted = endpoints::delete_secret(client, target, &name).await;
    Written { name, put, deleted }
}

fn write_finding(target: &Target, w: Written, found: &mut Findings) {
    match (&w.put, &w.deleted) {
        (Ok(_), Ok(Deleted::Removed)) => found.line(
            "Write",
            format!("can write: {} written and deleted again", w.name),
            Tone::Good,
        ),
        (Ok(_), _) => {
            found.line(
                "Write",
                "can write, but the throwaway secret remains",
                Tone::Bad,
            );
            found.problem(format!(
                "{} was written to {target} but could not be deleted\n  fix: delete it \
                 (`secret-refresh delete {} --repo …`)",
                w.name, w.name
            ));
        }
        (Err(e), _) => {
            found.line("Write", format!("cannot write: {e}"), Tone::Bad);
            found.problem(format!(
                "the exchanged token cannot write the secrets of {target}\n  fix: {}",
                crate::engine::hints::keyless_permission_hint(target)
            ));
        }
    }
}

/// Revokes the token; whether it was.
fn revoke(
    runtime: &tokio::runtime::Runtime,
    token: InstallationToken,
    found: &mut Findings,
) -> bool {
    match runtime.block_on(token.revoke()) {
        Ok(()) => {
            found.line("Revoked", "yes: the token no longer works", Tone::Good);
            true
        }
        Err(e) => {
            found.line("Revoked", "no: see below", Tone::Bad);
            found.problem(e.to_string());
            false
        }
    }
}
