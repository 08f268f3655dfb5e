//! Every minted GitHub App installation token is revoked, whatever way the run leaves: success,
//! an error, a signal, or a future abandoned half-way (the grace after a signal ran out).
//!
//! One guard, [`InstallationToken`], is the only way to hold a minted token, and [`mint`] the
//! only way to get one. Its explicit end is [`InstallationToken::revoke`]
//! (`DELETE /installation/token`, bounded to [`crate::cancel::REVOKE_LIMIT`] once a signal has
//! come). A guard dropped unrevoked (an early return, a dropped future) leaves its token on a
//! list that [`revoke_left_behind`] empties; the command's [`Runtime`] empties it too before it
//! shuts down, so a path that forgets still revokes.
//!
//! The mint itself (`POST …/access_tokens`) is never abandoned: once sent, GitHub may have
//! minted a token whether or not its answer is awaited. It runs as a task of its own; a token
//! it brings after its caller was abandoned goes on the list, and [`revoke_left_behind`] waits
//! (within the bound) for mints still in flight.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::{oneshot, watch};

use crate::cancel::REVOKE_LIMIT;
use crate::github::{endpoints, ApiError, Client};
use crate::secret::SecretValue;

/// Why an installation token may still be alive. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevokeError {
    #[error(
        "could not revoke the installation token (GitHub answered {status}); it expires by \
         itself within the hour"
    )]
    Refused { status: u16 },
    #[error("could not revoke the installation token: {cause}")]
    Failed { cause: String },
    #[error(
        "could not revoke the installation token within {secs} s of the cancellation; it \
         expires by itself within the hour"
    )]
    TimedOut { secs: u64 },
}

impl From<ApiError> for RevokeError {
    fn from(e: ApiError) -> Self {
        match e.refused_status() {
            Some(status) => RevokeError::Refused { status },
            None => RevokeError::Failed {
                cause: e.to_string(),
            },
        }
    }
}

/// Why [`mint`] brought no token.
#[derive(Debug, thiserror::Error)]
pub enum MintError<E: std::fmt::Display> {
    /// The request failed, or its answer was refused: the caller's own error.
    #[error("{0}")]
    Request(E),
    /// No client could be made for the token (it passed the token check, so this is rare).
    #[error(
        "{0}: the minted token cannot be used, nor revoked; it expires by itself within the hour"
    )]
    Client(ApiError),
    /// The mint's task ended without an answer (the runtime shut down under it).
    #[error("the installation token request ended without an answer")]
    Lost,
}

/// What a mint brought: the token, its `expires_at` (RFC 3339, when given) and the
/// permissions GitHub granted it.
pub struct Minted {
    pub token: SecretValue,
    pub expires_at: Option<String>,
    pub permissions: BTreeMap<String, String>,
}

/// A minted installation token, and a client that authenticates with it. Revoke it with
/// [`InstallationToken::revoke`]; dropped unrevoked, it is revoked by [`revoke_left_behind`].
pub struct InstallationToken {
    client: Arc<Client>,
    token: SecretValue,
    expires_at: Option<String>,
    permissions: BTreeMap<String, String>,
    live: bool,
}

impl std::fmt::Debug for InstallationToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstallationToken")
            .field("token", &self.token)
            .field("expires_at", &self.expires_at)
            .field("live", &self.live)
            .finish()
    }
}

impl InstallationToken {
    /// The client that authenticates with the token (counting into the JWT client's stats).
    pub fn client(&self) -> &Arc<Client> {
        &self.client
    }

    /// The token, for masking and for telling its kind; never for printing.
    pub fn token(&self) -> &SecretValue {
        &self.token
    }

    /// `expires_at` of GitHub's answer (RFC 3339), when given.
    pub fn expires_at(&self) -> Option<&str> {
        self.expires_at.as_deref()
    }

    /// The permissions GitHub's answer says it granted the token (name → level).
    pub fn permissions(&self) -> &BTreeMap<String, String> {
        &self.permissions
    }

    /// `DELETE /installation/token`, bounded to [`REVOKE_LIMIT`] once a signal has come. The
    /// guard stays live until the revocation answered: abandoned half-way (a caller's grace
    /// ran out), it is dropped live and its token goes on the list [`revoke_left_behind`]
    /// empties.
    pub async fn revoke(mut self) -> Result<(), RevokeError> {
        let revoked = bounded(revoke_with(&self.client)).await;
        self.live = false;
        revoked
    }
}

impl Drop for InstallationToken {
    fn drop(&mut self) {
        if self.live {
            let client = self.client.clone();
            let _ = LEFT.try_with(|left| left.borrow_mut().push(client));
        }
    }
}

thread_local! {
    /// Clients of tokens whose guard was dropped unrevoked, by the run of this thread: a run
    /// ([`crate::env::Scope`]) and its current-thread runtime, the mint's task included, live
    /// on one thread, and a client can only be driven by the runtime it was built in. Another
    /// run in the same process (a test, in-process) neither waits for nor revokes these.
    static LEFT: RefCell<Vec<Arc<Client>>> = const { RefCell::new(Vec::new()) };
    /// How many mints of this thread's run are in flight.
    static MINTING: watch::Sender<usize> = watch::Sender::new(0);
    /// Whether a token left behind could not be revoked as a runtime shut down.
    static FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// How many tokens this thread's run minted or exchanged (guards made).
    static MINTED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether this thread's run held an installation token at all (minted or exchanged), or
/// asked for one: a run that never had one has none to speak of.
pub fn any_minted() -> bool {
    MINTED.try_with(std::cell::Cell::get).unwrap_or(0) > 0
        || MINTING.try_with(|m| *m.borrow() > 0).unwrap_or(false)
}

/// A command begins on this thread: it has minted nothing and no revocation failed yet.
pub fn begin_command() {
    let _ = MINTED.try_with(|m| m.set(0));
    let _ = FAILED.try_with(|f| f.set(false));
}

/// Whether a token left behind by this thread's run could not be revoked ([`Runtime`]'s drop
/// said why on standard error).
pub fn revocation_failed() -> bool {
    FAILED.try_with(std::cell::Cell::get).unwrap_or(false)
}

/// Changes this thread's count of mints in flight (nothing once the thread is ending).
fn minting(change: impl FnOnce(&mut usize)) {
    let _ = MINTING.try_with(|m| m.send_modify(change));
}

/// Counts one mint in flight while it lives.
struct InFlight;

impl InFlight {
    fn start() -> Self {
        minting(|n| *n += 1);
        InFlight
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        minting(|n| *n = n.saturating_sub(1));
    }
}

/// Mints a token: `request` (the `POST …/access_tokens` and the checks of its answer) runs as
/// a task of its own, so dropping the caller never drops a request GitHub may have answered;
/// the answer becomes a guard inside the task, with a client for `jwt`'s URL and policy that
/// counts into `jwt`'s stats. Must be called inside a tokio runtime.
pub async fn mint<F, E>(jwt: &Client, request: F) -> Result<InstallationToken, MintError<E>>
where
    F: Future<Output = Result<Minted, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let api = ApiSide {
        api_url: jwt.api_url().as_str().to_owned(),
        policy: jwt.policy().clone(),
        stats: jwt.stats.clone(),
    };
    mint_for(api, request).await
}

/// Where a minted token is used: the API's URL, the policy and the stats its client counts
/// into. (The App's JWT client gives all three; a token exchange is no API client.)
#[derive(Clone)]
pub struct ApiSide {
    pub api_url: String,
    pub policy: crate::github::Policy,
    pub stats: Arc<crate::github::Stats>,
}

/// [`mint`] for a token that does not come from the API (a token exchange's): the same guard,
/// the same task of its own, a client for `api`.
pub async fn mint_for<F, E>(api: ApiSide, request: F) -> Result<InstallationToken, MintError<E>>
where
    F: Future<Output = Result<Minted, E>> + Send + 'static,
    E: std::fmt::Display + Send + 'static,
{
    let ApiSide {
        api_url,
        policy,
        stats,
    } = api;
    let (tx, rx) = oneshot::channel();
    tokio::spawn(async move {
        // Declared first, dropped last: a token the caller no longer waits for is on the list
        // before the count says no mint is in flight.
        let _in_flight = InFlight::start();
        let answer = match request.await {
            Err(e) => Err(MintError::Request(e)),
            Ok(Minted {
                token,
                expires_at,
                permissions,
            }) => match Client::new(&api_url, &token, policy) {
                Err(e) => Err(MintError::Client(e)),
                Ok(mut client) => {
                    client.stats = stats;
                    let _ = MINTED.try_with(|m| m.set(m.get().saturating_add(1)));
                    Ok(InstallationToken {
                        client: Arc::new(client),
                        token,
                        expires_at,
                        permissions,
                        live: true,
                    })
                }
            },
        };
        // The caller is gone: the guard comes back and is dropped here, onto the list.
        let _ = tx.send(answer);
    });
    rx.await.unwrap_or(Err(MintError::Lost))
}

/// Revokes every token whose guard was dropped unrevoked, after waiting for mints still in
/// flight; bounded to [`REVOKE_LIMIT`] once a signal has come. The first failure is returned
/// (all are tried).
pub async fn revoke_left_behind() -> Result<(), RevokeError> {
    bounded(async {
        if let Ok(mut rx) = MINTING.try_with(watch::Sender::subscribe) {
            let _ = rx.wait_for(|n| *n == 0).await;
        }
        let left: Vec<Arc<Client>> = LEFT
            .try_with(|l| std::mem::take(&mut *l.borrow_mut()))
            .unwrap_or_default();
        let results = futures_util::future::join_all(left.iter().map(|c| revoke_with(c))).await;
        results
            .into_iter()
            .collect::<Result<Vec<()>, _>>()
            .map(drop)
    })
    .await
}

/// Whether a token was left behind (or a mint is in flight) and not yet revoked.
pub fn any_left_behind() -> bool {
    MINTING.try_with(|m| *m.borrow() > 0).unwrap_or(false)
        || LEFT.try_with(|l| !l.borrow().is_empty()).unwrap_or(false)
}

/// `DELETE /installation/token`. A 401 means GitHub no longer accepts the token: revoked
/// already (a revocation sent again after its first attempt was abandoned) or expired.
async fn revoke_with(client: &Client) -> Result<(), RevokeError> {
    match endpoints::revoke_installation_token(client).await {
        Ok(()) | Err(ApiError::Unauthorized { .. }) => Ok(()),
        Err(e) => Err(RevokeError::from(e)),
    }
}

/// Runs `fut` to its end, or, once a signal has come, for [`REVOKE_LIMIT`] more at most: the
/// runner kills the step within seconds of its signals.
async fn bounded<F>(fut: F) -> Result<(), RevokeError>
where
    F: Future<Output = Result<(), RevokeError>>,
{
    tokio::pin!(fut);
    tokio::select! {
        done = &mut fut => done,
        _ = crate::cancel::cancelled() => {
            tokio::time::timeout(REVOKE_LIMIT, fut)
                .await
                .unwrap_or(Err(RevokeError::TimedOut { secs: REVOKE_LIMIT.as_secs() }))
        }
    }
}

/// A command's runtime ([`crate::cancel::runtime`]: SIGINT and SIGTERM handled) that revokes
/// whatever token was left behind before it shuts down: the last line of defence, for a path
/// that returned without revoking. What it could not revoke is said on standard error.
pub struct Runtime(tokio::runtime::Runtime);

/// [`Runtime`], built.
pub fn runtime() -> std::io::Result<Runtime> {
    crate::cancel::runtime().map(Runtime)
}

impl std::ops::Deref for Runtime {
    type Target = tokio::runtime::Runtime;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        // `block_on` may not run inside a runtime's context; nothing here is then.
        if tokio::runtime::Handle::try_current().is_ok() {
            return;
        }
        // Throwaway secrets first: the token that deletes them may be one revoked below.
        if crate::auth::throwaway::any_left_behind() {
            for left in self
                .0
                .block_on(crate::auth::throwaway::delete_left_behind())
            {
                let mut r = crate::output::reporter::Reporter::stdio(
                    crate::output::reporter::Mode::Human { color: false },
                );
                r.error("secret-refresh", &left.to_string());
                r.flush();
            }
        }
        if any_left_behind() {
            if let Err(e) = self.0.block_on(revoke_left_behind()) {
                let _ = FAILED.try_with(|f| f.set(true));
                let mut r = crate::output::reporter::Reporter::stdio(
                    crate::output::reporter::Mode::Human { color: false },
                );
                r.error("secret-refresh", &e.to_string());
                r.flush();
            }
        }
    }
}

/// Panics here when the run's environment names this point in `SECRET_REFRESH_PANIC_AT`
/// (feature `fault-injection` only): the proof that a panic leaves no minted token unrevoked
/// ([`crate::commands::crash`]). Here, beside the guards, so any layer can call it.
#[cfg(feature = "fault-injection")]
pub fn panic_point(name: &str) {
    if crate::env::var("SECRET_REFRESH_PANIC_AT").as_deref() == Some(name) {
        #[allow(clippy::panic)]
        {
            panic!("injected panic at {name}");
        }
    }
}

/// Nothing: a build without the feature `fault-injection` has no panic point.
#[cfg(not(feature = "fault-injection"))]
#[inline(always)]
pub fn panic_point(_name: &str) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revocation_errors_name_no_token_and_say_when_it_expires() {
        let refused = RevokeError::from(ApiError::Forbidden { reason: None });
        assert_eq!(refused, RevokeError::Refused { status: 403 });
        for e in [refused, RevokeError::TimedOut { secs: 3 }] {
            assert!(e.to_string().contains("expires by itself"), "{e}");
        }
    }

    /// Two runs on two threads (`lib::run` in-process, see `env`) each revoke their own tokens:
    /// a token one run left behind is neither waited for nor revoked by the other, whose
    /// runtime could not drive the first run's client anyway.
    #[test]
    fn a_token_left_behind_by_one_run_is_not_another_runs() {
        let left_here = std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let _entered = runtime.enter();
            let token = SecretValue::from("ghs_left_behind_by_run_b_0123456789");
            let client =
                Client::new("http://127.0.0.1:9", &token, Default::default()).expect("client");
            drop(InstallationToken {
                client: Arc::new(client),
                token,
                expires_at: None,
                permissions: BTreeMap::new(),
                live: true,
            });
            any_left_behind()
        })
        .join()
        .expect("run b");
        assert!(left_here, "the run that left it behind knows");
        let seen_elsewhere = std::thread::spawn(any_left_behind).join().expect("run a");
        assert!(!seen_elsewhere, "another run does not see it");
    }
}
