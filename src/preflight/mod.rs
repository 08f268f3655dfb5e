//! Preflight: before the tests refresh anything, prove that the step that writes will be able to
//! write, and record what is stored. It writes no value (and reads none); for every target it
//! proves that the token is there and authenticates, that it will not expire within the job
//! ([`JOB_WINDOW`]), that every pattern resolves, that the public key is readable, and that the
//! token can write — by the cheapest evidence its kind gives ([`proof`]). Each target's secrets
//! are listed once, names and `updated_at` only: the `stored-at` record the writing step is
//! given, so it does not overwrite a secret another run stored since
//! ([`crate::config::stored_at`]).
//!
//! The run, in order: refusals known without a request (no credential, a refused event) →
//! the session (a GitHub App mints its write token here, patterns resolved) → the targets
//! (patterns resolved against the owners' listings) → per target: public key, the token's
//! expiry (after the first answer), listing, proof → throwaway secrets left behind deleted,
//! the session closed (its token revoked). No request starts after a signal but deletes and
//! revocations. The action's `preflight: true` and `check-token` with targets both run it.

pub mod proof;

use std::sync::Arc;

use crate::auth::app::Session;
use crate::auth::token::TokenKind;
use crate::config::{Auth, Config};
use crate::engine::hints::WritesAs;
use crate::github::endpoints::{self, ReadError};
use crate::github::{ApiError, Client, Policy};
use crate::report::preflight::{Evidence, Preflight, Problem, TargetCheck};
use crate::secret::seal::SealingKey;
use crate::secret::SecretValue;
use crate::target::Target;
use proof::{proof_for, Credential, Proof};

/// How long a token must still live: the longest a GitHub-hosted job runs (6 hours, also the
/// default `timeout-minutes` of any job). A token that expires sooner may die before the tests
/// have refreshed what it must store.
pub const JOB_WINDOW: time::Duration = time::Duration::hours(6);

/// Runs the preflight of `config`'s targets. `mask` receives every token minted on the way.
pub async fn run(config: &Config, policy: Policy, mask: &mut dyn FnMut(&SecretValue)) -> Preflight {
    let mut p = Preflight::default();
    let credential = match before_any_request(config) {
        Ok(c) => c,
        Err(problem) => {
            p.fatal = Some(problem);
            return p;
        }
    };
    let opening = crate::auth::app::open(config, policy, mask);
    let session = match crate::cancel::or_abandon(opening).await {
        Ok(Ok(session)) => session,
        Ok(Err(e)) => {
            p.fatal = Some(Problem::new(
                e.error.to_string(),
                credential_fix(credential),
            ));
            p.requests = e.requests;
            finish_without_session(&mut p).await;
            return p;
        }
        Err(signal) => {
            p.cancelled = Some(signal);
            finish_without_session(&mut p).await;
            return p;
        }
    };
    match crate::cancel::unless_cancelled(crate::engine::resolve::resolve(config, &session)).await {
        Ok(Ok((targets, _))) => check_targets(&session, config, credential, &targets, &mut p).await,
        Ok(Err(e)) => {
            let fix = "check `repositories` (owner/name or owner/glob, archived repositories \
                       are skipped) and that the token can see them";
            p.fatal = Some(Problem::new(e.to_string(), fix));
        }
        Err(signal) => p.cancelled = Some(signal),
    }
    finish(&session, &mut p).await;
    p
}

/// The credential, or why none can be proven before any request: no credential at all, or an
/// event on which the writing step would refuse to write.
fn before_any_request(config: &Config) -> Result<Credential, Problem> {
    let token = crate::config::input::Input::Token.name(config.context.front_end);
    let credential = match &config.auth {
        Auth::None => {
            return Err(Problem::new(
                format!("no token: `{token}` is empty, and no GitHub App is given"),
                format!(
                    "pass the secret that holds the token (`{token}: ${{{{ secrets.PAT_TOKEN \
                     }}}}`): a misspelled secret name, or a secret stored in another \
                     environment than the job's, arrives empty"
                ),
            ))
        }
        Auth::Token(t) => Credential::Token(TokenKind::of(t)),
        Auth::App(_) => Credential::App,
        Auth::Keyless(_) => Credential::Keyless,
    };
    if let Some(event) = config
        .context
        .refused_event()
        .filter(|_| !config.allow_pull_request_target)
    {
        return Err(Problem::new(
            format!(
                "writes are refused on {}: the step that writes would write nothing",
                event.on()
            ),
            "refresh on another event, or set `allow-pull-request-target: true` only if the job \
             never runs code from a fork",
        ));
    }
    Ok(credential)
}

/// The fix when the credential itself was refused.
fn credential_fix(credential: Credential) -> &'static str {
    match credential {
        Credential::App => "check `app-id`, `app-private-key` and the app's installation",
        Credential::Keyless => "check `sts-url`, `sts-identity` and the trust policy",
        Credential::Token(_) => {
            "create a new token (or check the secret passed as `token`) and store it"
        }
    }
}

/// Checks each target in order; stops at a refused credential, an expiry within the job, or a
/// signal.
async fn check_targets(
    session: &Session,
    config: &Config,
    credential: Credential,
    targets: &[Target],
    p: &mut Preflight,
) {
    let action = config.context.front_end == crate::config::input::FrontEnd::Action;
    let writes_as = WritesAs::of(&config.auth);
    let granted = session.granted();
    // A token the run obtains itself (the app's, an exchange's) is not the one that will write.
    let mut expiry_checked = !matches!(credential, Credential::Token(_));
    for target in targets {
        if let Some(signal) = crate::cancel::requested() {
            p.cancelled = Some(signal);
            return;
        }
        let key = match read_key(session, target, credential, writes_as).await {
            Ok(key) => key,
            Err(Stop::Target(problem)) => {
                p.targets.push(failed(target, problem, None));
                continue;
            }
            Err(Stop::All(problem)) => {
                p.fatal = Some(problem);
                return;
            }
            Err(Stop::Signal(signal)) => {
                p.cancelled = Some(signal);
                return;
            }
        };
        // The command line judges expiry by `check-token --expiry-warning-days`; a job by its
        // window.
        if !expiry_checked && action {
            expiry_checked = true;
            if expiry(&session.client, credential, crate::env::now(), p) {
                return;
            }
        }
        let proving = Proving {
            credential,
            writes_as,
            granted: granted.as_ref(),
        };
        let check = check_target(session, &proving, target, &key, p).await;
        p.targets.push(check);
    }
}

/// Why a target's check stopped: this target, every target, or a signal.
enum Stop {
    Target(Problem),
    All(Problem),
    Signal(crate::cancel::Signal),
}

/// The target's public key: proves the target exists and its secrets can be read; a 401 is
/// about the credential, so it stops every check.
async fn read_key(
    session: &Session,
    target: &Target,
    credential: Credential,
    writes_as: WritesAs,
) -> Result<SealingKey, Stop> {
    let client = session.client_for(target);
    let key = crate::cancel::unless_cancelled(endpoints::public_key(client, target))
        .await
        .map_err(Stop::Signal)?;
    let key = key.map_err(|e| match e {
        ApiError::Unauthorized { .. } => {
            let (cause, _) = crate::engine::hints::refusal_advice(&e, target, "read", writes_as);
            Stop::All(Problem::new(cause, credential_fix(credential)))
        }
        e => Stop::Target(refused(&e, target, "read", writes_as)),
    })?;
    SealingKey::from_base64(&key.key_id, &key.key_base64)
        .map_err(|e| Stop::Target(Problem::new(e.to_string(), "check `api-url`")))
}

/// How the targets' writing is proven: the credential, who it writes as (for fixes), and what
/// GitHub granted a minted token.
struct Proving<'a> {
    credential: Credential,
    writes_as: WritesAs,
    granted: Option<&'a std::collections::BTreeMap<String, String>>,
}

/// The listing (recorded for `stored-at`) and the proof of writing.
async fn check_target(
    session: &Session,
    proving: &Proving<'_>,
    target: &Target,
    key: &SealingKey,
    p: &mut Preflight,
) -> TargetCheck {
    let client = session.client_for(target);
    let listing = crate::cancel::unless_cancelled(endpoints::list_secrets(client, target));
    let stored = match listing.await {
        Err(signal) => {
            p.cancelled = Some(signal);
            return failed(target, Problem::new("not checked", "run again"), None);
        }
        Ok(Err(ReadError::Refused(e) | ReadError::NoAnswer(e) | ReadError::NotUnderstood(e))) => {
            return failed(target, refused(&e, target, "list", proving.writes_as), None);
        }
        Ok(Ok(secrets)) => secrets,
    };
    p.stored_at.record(
        &target.to_string(),
        stored.iter().map(|s| (s.name.clone(), s.updated_at)),
    );
    let scopes = client.token_scopes();
    let write = match proof_for(proving.credential, scopes.is_some()) {
        Proof::Scopes => proof::by_scopes(scopes.as_deref().unwrap_or_default(), target),
        Proof::Granted => proof::by_grant(proving.granted.unwrap_or(&Default::default()), target),
        Proof::Throwaway => throwaway(client, proving.writes_as, target, key, p).await,
    };
    TargetCheck {
        target: target.clone(),
        write,
        stored: Some(stored.len()),
    }
}

/// A throwaway secret written and deleted: the evidence, or why not.
async fn throwaway(
    client: &Arc<Client>,
    writes_as: WritesAs,
    target: &Target,
    key: &SealingKey,
    p: &mut Preflight,
) -> Result<Evidence, Problem> {
    use crate::auth::throwaway::{prove_write, ProbeError};
    match prove_write(client, target, key).await {
        Ok(name) => Ok(Evidence::Throwaway(name)),
        Err(ProbeError::Refused(e)) => Err(refused(&e, target, "write", writes_as)),
        Err(ProbeError::Cancelled(signal)) => {
            p.cancelled = Some(signal);
            Err(Problem::new(
                format!(
                    "cancelled by {} before the throwaway write answered",
                    signal.name()
                ),
                "run again",
            ))
        }
        Err(e @ ProbeError::LeftBehind(_)) => {
            Err(Problem::new(e.to_string(), "delete it, then run again"))
        }
        Err(e) => Err(Problem::new(
            format!("the throwaway write got no usable answer: {e}"),
            "check the network and `api-url`, then run again",
        )),
    }
}

/// A refusal (or no answer) while `doing` secrets of `target`: the cause and the fix.
fn refused(e: &ApiError, target: &Target, doing: &str, writes_as: WritesAs) -> Problem {
    let (cause, fix) = if e.is_refusal() {
        crate::engine::hints::refusal_advice(e, target, doing, writes_as)
    } else {
        (
            format!("could not {doing} secrets of {target}: {e}"),
            "check the network and `api-url`, then run again".to_owned(),
        )
    };
    Problem::new(cause, fix)
}

fn failed(target: &Target, problem: Problem, stored: Option<usize>) -> TargetCheck {
    TargetCheck {
        target: target.clone(),
        write: Err(problem),
        stored,
    }
}

/// The token's expiry (GitHub's header on the first answer), against the job's window from
/// `now`. Returns whether it stops the preflight: a token that dies within the job fails it;
/// an installation token given as `token` lives an hour by design, which is said as a warning.
fn expiry(
    client: &Client,
    credential: Credential,
    now: time::OffsetDateTime,
    p: &mut Preflight,
) -> bool {
    let Some(text) = client.token_expiry() else {
        return false;
    };
    let Some(at) = crate::report::parse_expiry(&text) else {
        return false;
    };
    let left = at - now;
    if left >= JOB_WINDOW {
        return false;
    }
    let hours = JOB_WINDOW.whole_hours();
    let minutes = left.whole_minutes().max(0);
    if credential == Credential::Token(TokenKind::Installation) {
        p.warnings.push((
            "the token expires within the job".to_owned(),
            format!(
                "the installation token expires at {text} (in {minutes} minutes): if the tests \
                 take longer, the step that writes fails with 401; give that step `app-id` and \
                 `app-private-key` instead, so it mints its own token when it writes"
            ),
        ));
        return false;
    }
    p.fatal = Some(Problem::new(
        format!(
            "the token expires at {text} (in {minutes} minutes), within the {hours} hours a job \
             may run: it may die before the refreshed value is stored"
        ),
        "create its successor now, store it in the secret passed as `token`, and run again",
    ));
    true
}

/// Deletes the throwaway secrets left behind, then closes the session (revoking its token,
/// and any token left behind): whatever could not be undone is said as a fatal problem.
async fn finish(session: &Session, p: &mut Preflight) {
    undo_throwaways(p).await;
    let closed = session.close().await;
    if session.is_app() {
        p.revoked = Some(closed.is_ok());
    }
    if let Err(e) = closed {
        add_fatal(
            p,
            Problem::new(e.to_string(), "revoke it by hand, or let it expire"),
        );
    }
    p.requests = session.client.requests();
}

/// [`finish`] when no session opened: a token minted on the way is revoked.
async fn finish_without_session(p: &mut Preflight) {
    undo_throwaways(p).await;
    if let Err(e) = crate::auth::guard::revoke_left_behind().await {
        add_fatal(
            p,
            Problem::new(e.to_string(), "revoke it by hand, or let it expire"),
        );
    }
}

async fn undo_throwaways(p: &mut Preflight) {
    for left in crate::auth::throwaway::delete_left_behind().await {
        add_fatal(
            p,
            Problem::new(left.to_string(), "delete it, then run again"),
        );
    }
}

fn add_fatal(p: &mut Preflight, problem: Problem) {
    p.fatal = Some(match p.fatal.take() {
        Some(first) => Problem::new(
            format!("{}; {}", first.cause, problem.cause),
            format!("{}; {}", first.fix, problem.fix),
        ),
        None => problem,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client_with_expiry() -> Client {
        Client::new(
            "http://127.0.0.1:9",
            &SecretValue::from("ghp_x"),
            Policy::default(),
        )
        .expect("client")
    }

    #[test]
    fn the_job_window_is_six_hours() {
        assert_eq!(JOB_WINDOW.whole_hours(), 6);
        // No expiry known: nothing to say.
        let mut p = Preflight::default();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let _entered = runtime.enter();
        let client = client_with_expiry();
        assert!(!expiry(
            &client,
            Credential::Token(TokenKind::Classic),
            time::OffsetDateTime::UNIX_EPOCH,
            &mut p
        ));
        assert!(p.fatal.is_none() && p.warnings.is_empty());
    }
}
