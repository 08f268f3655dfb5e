//! Step 2: the new token is validated before anything is written. One `GET /user` (GitHub
//! accepts it, and its clock starts the rotation), its kind and expiry, then one public-key read
//! per target (four at a time): the keys the writes then seal with. Nothing is read past a 401.

use futures_util::stream::{self, StreamExt};
use time::OffsetDateTime;

use crate::auth::token::TokenKind;
use crate::commands::words::Diagnosis;
use crate::github::credentials::{self, Holder};
use crate::github::{endpoints, ApiError, Client};
use crate::secret::seal::SealingKey;
use crate::target::Target;

/// What step 2 found.
pub(super) struct Checked {
    pub(super) holder: Option<Holder>,
    pub(super) kind: TokenKind,
    /// `github-authentication-token-expiration` as GitHub sent it.
    pub(super) expiry: Option<String>,
    pub(super) days_left: Option<i64>,
    /// Each target's key, or why it could not be read.
    pub(super) keys: Vec<(Target, Result<SealingKey, Diagnosis>)>,
    /// Each reason the rotation cannot start, with its fix.
    pub(super) problems: Vec<Diagnosis>,
    /// When the rotation began: GitHub's clock (its first answer's `Date`), else ours.
    pub(super) started: OffsetDateTime,
}

/// Step 2: one `GET /user`, then one public-key read per target. Nothing is read past a 401.
pub(super) async fn check_new(client: &Client, targets: &[Target], kind: TokenKind) -> Checked {
    let mut problems = Vec::new();
    let holder = match credentials::holder(client).await {
        Ok(h) => Some(h),
        Err(e @ ApiError::Unauthorized { .. }) => {
            problems.push(Diagnosis::new(
                format!("GitHub does not accept the new token: {e}"),
                "check that it was copied whole, and that it is not expired or revoked",
            ));
            None
        }
        Err(e) => {
            problems.push(Diagnosis::new(
                format!("the new token could not be checked: {e}"),
                crate::commands::words::unanswered_fix(&e),
            ));
            None
        }
    };
    let started = holder
        .as_ref()
        .and_then(|h| h.server_time)
        .unwrap_or_else(crate::env::now);
    let expiry = client.token_expiry();
    let days_left = crate::report::expiry_days_left(expiry.as_deref(), started);
    if let (Some(days @ ..0), Some(when)) = (days_left, expiry.as_deref()) {
        let expired = crate::output::words::Expiry { when, days };
        problems.push(Diagnosis::new(
            format!("the new token {expired}"),
            "create a new token with a later expiry, and rotate that one in",
        ));
    }
    let keys = if holder.is_none() {
        Vec::new()
    } else {
        stream::iter(targets)
            .map(|t| async move { (t.clone(), read_key(client, t).await) })
            .buffered(4)
            .collect::<Vec<_>>()
            .await
    };
    for (t, k) in &keys {
        if let Err(d) = k {
            problems.push(Diagnosis::new(format!("{t}: {}", d.cause), d.fix.clone()));
        }
    }
    Checked {
        holder,
        kind,
        expiry,
        days_left,
        keys,
        problems,
        started,
    }
}

/// A target's public key read with the new token, checked as a sealing key.
async fn read_key(client: &Client, target: &Target) -> Result<SealingKey, Diagnosis> {
    let key = endpoints::public_key(client, target)
        .await
        .map_err(|e| match &e {
            ApiError::Unauthorized { .. } => {
                Diagnosis::new(e.to_string(), "check that the new token was copied whole")
            }
            e if e.is_refusal() => Diagnosis::new(
                format!("the new token cannot read the public key ({e})"),
                crate::engine::hints::permission_hint(target),
            ),
            e => Diagnosis::new(e.to_string(), crate::commands::words::unanswered_fix(e)),
        })?;
    SealingKey::from_base64(&key.key_id, &key.key_base64).map_err(|e| {
        Diagnosis::new(
            format!("GitHub's public key cannot seal: {e}"),
            "check --api-url",
        )
    })
}
