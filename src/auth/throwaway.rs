//! A throwaway secret: written to prove that a token can write a target's secrets where GitHub
//! gives no other way to tell (a fine-grained token, an installation token given as `token`:
//! neither can be inspected), and deleted again on every path out — success, a failure, a
//! signal, a future abandoned half-way — as [`crate::auth::guard`] revokes minted tokens.
//!
//! Its name says what it is: [`PREFIX`] and 16 random hexadecimal digits, so nobody mistakes
//! it and two runs never share one. Its value is random, not a secret of anyone's. The write
//! and the delete are ordinary content-creating requests: the client paces them like every
//! write.
//!
//! One guard, [`Throwaway`], is armed before the write is sent. [`prove_write`] deletes the
//! secret once the write answered or was abandoned, also after a signal (bounded to
//! [`REVOKE_LIMIT`]), unless GitHub refused the write (then nothing was created). A guard
//! dropped armed leaves the secret on a list that [`delete_left_behind`] empties; the command's
//! runtime empties it before it revokes any token and shuts down.

use std::cell::RefCell;
use std::sync::Arc;

use rand::Rng as _;
use serde_json::json;

use crate::cancel::{Signal, REVOKE_LIMIT};
use crate::github::endpoints;
use crate::github::{ApiError, Client};
use crate::secret::seal::{SealError, SealingKey};
use crate::secret::SecretValue;
use crate::target::Target;

/// What every throwaway secret's name starts with.
pub const PREFIX: &str = "SECRET_REFRESH_PREFLIGHT_";

/// A fresh throwaway name: [`PREFIX`] and 16 random upper-case hexadecimal digits.
pub fn name() -> String {
    let bits: u64 = rand::rngs::OsRng.gen();
    format!("{PREFIX}{bits:016X}")
}

/// Why a throwaway secret could not be deleted. It is then still in the target.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeleteError {
    #[error("GitHub answered {status}")]
    Refused { status: u16 },
    #[error("{cause}")]
    Failed { cause: String },
    #[error("no answer within {secs} s of the cancellation")]
    TimedOut { secs: u64 },
}

impl From<ApiError> for DeleteError {
    fn from(e: ApiError) -> Self {
        match e.refused_status() {
            Some(status) => DeleteError::Refused { status },
            None => DeleteError::Failed {
                cause: e.to_string(),
            },
        }
    }
}

/// A throwaway secret that may exist in its target, until [`Throwaway::delete`] deleted it.
struct Throwaway {
    client: Arc<Client>,
    target: Target,
    name: String,
    live: bool,
}

impl Throwaway {
    fn arm(client: &Arc<Client>, target: &Target, name: &str) -> Self {
        Throwaway {
            client: Arc::clone(client),
            target: target.clone(),
            name: name.to_owned(),
            live: true,
        }
    }

    /// Nothing was created (GitHub refused the write): nothing to delete.
    fn disarm(mut self) {
        self.live = false;
    }

    /// `DELETE …/secrets/{name}` (a 404 means it is not there), bounded to [`REVOKE_LIMIT`]
    /// once a signal has come.
    async fn delete(mut self) -> Result<(), DeleteError> {
        self.live = false;
        bounded(delete_with(&self.client, &self.target, &self.name)).await
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        if self.live {
            let left = (
                Arc::clone(&self.client),
                self.target.clone(),
                self.name.clone(),
            );
            let _ = LEFT.try_with(|l| l.borrow_mut().push(left));
        }
    }
}

thread_local! {
    /// Throwaway secrets whose guard was dropped armed, by the run of this thread (see
    /// [`crate::auth::guard`]: a run and its runtime live on one thread).
    static LEFT: RefCell<Vec<(Arc<Client>, Target, String)>> = const { RefCell::new(Vec::new()) };
}

async fn delete_with(client: &Client, target: &Target, name: &str) -> Result<(), DeleteError> {
    endpoints::delete_owed_secret(client, target, name)
        .await
        .map(drop)
        .map_err(DeleteError::from)
}

/// Runs `fut` to its end, or, once a signal has come, for [`REVOKE_LIMIT`] more at most.
async fn bounded<F>(fut: F) -> Result<(), DeleteError>
where
    F: std::future::Future<Output = Result<(), DeleteError>>,
{
    tokio::pin!(fut);
    tokio::select! {
        done = &mut fut => done,
        _ = crate::cancel::cancelled() => {
            tokio::time::timeout(REVOKE_LIMIT, fut)
                .await
                .unwrap_or(Err(DeleteError::TimedOut { secs: REVOKE_LIMIT.as_secs() }))
        }
    }
}

/// Whether a throwaway secret of this thread's run may still exist.
pub fn any_left_behind() -> bool {
    LEFT.try_with(|l| !l.borrow().is_empty()).unwrap_or(false)
}

/// A throwaway secret that could not be deleted: where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the throwaway secret {name} could not be deleted from {target} ({cause}): delete it by hand \
     (it holds a random value, no one's secret)"
)]
pub struct LeftBehind {
    pub name: String,
    pub target: String,
    pub cause: DeleteError,
}

/// Deletes every throwaway secret whose guard was dropped armed; bounded once a signal has
/// come. Every one is tried; those that could not be deleted are returned.
pub async fn delete_left_behind() -> Vec<LeftBehind> {
    let left = LEFT
        .try_with(|l| std::mem::take(&mut *l.borrow_mut()))
        .unwrap_or_default();
    let mut failed = Vec::new();
    for (client, target, name) in left {
        if let Err(cause) = bounded(delete_with(&client, &target, &name)).await {
            failed.push(LeftBehind {
                name,
                target: target.to_string(),
                cause,
            });
        }
    }
    failed
}

/// Why a throwaway write proved nothing.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ProbeError {
    /// GitHub refused the write: the token cannot write this target's secrets (nothing was
    /// created).
    #[error(transparent)]
    Refused(ApiError),
    /// No usable answer to the write (it was deleted after, in case it was stored).
    #[error(transparent)]
    NoAnswer(ApiError),
    /// A signal came before the write could answer (it was deleted after, in case).
    #[error("cancelled by {}", .0.name())]
    Cancelled(Signal),
    /// The value could not be sealed for the target's key.
    #[error(transparent)]
    Seal(SealError),
    /// It was written, and could not be deleted.
    #[error(transparent)]
    LeftBehind(LeftBehind),
}

/// Writes a throwaway secret to `target`, sealed for its `key`, then deletes it: `Ok` with its
/// name when GitHub stored it (and it is gone again). No write starts after a signal; once
/// the write was sent, the delete follows whatever happens, a signal included.
pub async fn prove_write(
    client: &Arc<Client>,
    target: &Target,
    key: &SealingKey,
) -> Result<String, ProbeError> {
    let name = name();
    let value = SecretValue::new(format!("{:032x}", rand::rngs::OsRng.gen::<u128>()));
    let sealed = key.seal(&value).map_err(ProbeError::Seal)?;
    let mut body = json!({ "encrypted_value": sealed, "key_id": key.key_id });
    if let (Target::Org { .. }, Some(fields)) = (target, body.as_object_mut()) {
        // An organisation secret needs a visibility; the narrowest, for the moment it lives.
        fields.insert("visibility".into(), json!("private"));
    }
    if let Some(signal) = crate::cancel::requested() {
        return Err(ProbeError::Cancelled(signal));
    }
    let guard = Throwaway::arm(client, target, &name);
    let written =
        crate::cancel::or_abandon(endpoints::put_secret(client, target, &name, &body)).await;
    let written = match written {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(
            e @ (ApiError::Unauthorized { .. }
            | ApiError::Forbidden { .. }
            | ApiError::NotFound { .. }
            | ApiError::Rejected { .. }),
        )) => {
            guard.disarm();
            return Err(ProbeError::Refused(e));
        }
        Ok(Err(e)) => Err(ProbeError::NoAnswer(e)),
        Err(signal) => Err(ProbeError::Cancelled(signal)),
    };
    if let Err(cause) = guard.delete().await {
        return Err(ProbeError::LeftBehind(LeftBehind {
            name,
            target: target.to_string(),
            cause,
        }));
    }
    written.map(|()| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_say_what_they_are_and_differ() {
        let (a, b) = (name(), name());
        assert_ne!(a, b);
        for n in [a, b] {
            let random = n.strip_prefix(PREFIX).expect("prefix");
            assert_eq!(random.len(), 16, "{n}");
            assert!(
                random
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('A'..='F').contains(&c)),
                "{n}"
            );
            crate::config::names::SecretName::parse(&n).expect("a valid secret name");
        }
    }

    #[test]
    fn a_left_behind_secret_is_named_with_what_to_do() {
        let e = LeftBehind {
            name: format!("{PREFIX}0123456789ABCDEF"),
            target: "acme/api".into(),
            cause: DeleteError::Refused { status: 403 },
        };
        assert_eq!(
            e.to_string(),
            "the throwaway secret SECRET_REFRESH_PREFLIGHT_0123456789ABCDEF could not be deleted \
             from acme/api (GitHub answered 403): delete it by hand (it holds a random value, no \
             one's secret)"
        );
    }
}
