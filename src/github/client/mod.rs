//! The GitHub client: octocrab's generic request methods, plus what a careful client adds —
//! retries of 5xx answers and dropped connections with backoff and jitter, waits that honour
//! `retry-after` and `x-ratelimit-reset` within a bounded budget ([`retry`]), and pacing of
//! writes under GitHub's rules for content-creating requests (a second apart, 80 a minute, 500
//! an hour: [`crate::pacing`], one pacing per token). One request's round trip is in [`send`]; the service stack octocrab runs
//! over (TLS, User-Agent, the token) in [`stack`], through the run's proxy ([`proxy`]); the
//! tuning in [`policy`].

pub(super) mod policy;
mod proxy;
mod retry;
mod send;
mod stack;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::{HeaderMap, Method};
use octocrab::Octocrab;

use super::answer::Answer;
use super::error::ApiError;
use super::token_check::check_token;
use super::url::ApiUrl;
use crate::pacing::{Pacing, GITHUB};
use crate::secret::SecretValue;
use policy::Policy;

/// What the client did, for reports and tests.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests that reached the server (attempts whose connection was never made excluded).
    pub requests: AtomicU64,
    /// Attempts whose connection was never made.
    pub unreached: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limit_waits: AtomicU64,
    /// Milliseconds spent waiting on rate limits, as they really passed.
    pub rate_limit_wait_ms: AtomicU64,
}

/// The token's expiry as the first answer reported it: only the first answer counts.
#[derive(Debug, Default, PartialEq, Eq)]
enum FirstExpiry {
    #[default]
    NoAnswerYet,
    /// The first answer's `github-authentication-token-expiration`; `None` when it had none.
    Answered(Option<String>),
}

pub struct Client {
    crab: Octocrab,
    api: ApiUrl,
    policy: Policy,
    pub stats: Arc<Stats>,
    /// Content-creating requests under GitHub's secondary limits.
    pacing: Pacing,
    waited: Mutex<Duration>,
    /// `github-authentication-token-expiration` as the first answer reported it.
    expiry: Mutex<FirstExpiry>,
    scopes: Mutex<Option<String>>,
}

impl Client {
    /// A client for `api_url` authenticating with `token`: the only way to make one. The URL
    /// policy ([`ApiUrl::parse`]) and the token's check ([`check_token`]) come first, so no
    /// client exists for a URL the policy refuses. No request is made.
    pub fn new(api_url: &str, token: &SecretValue, policy: Policy) -> Result<Self, ApiError> {
        Self::build(api_url, Some(token), policy)
    }

    /// A client that sends no `Authorization` at all, for the one route GitHub refuses to
    /// authenticated callers (`POST /credentials/revoke`). Same URL policy, limits and retries.
    pub fn unauthenticated(api_url: &str, policy: Policy) -> Result<Self, ApiError> {
        Self::build(api_url, None, policy)
    }

    /// A client for a service beside the API (the runner's ID-token service, a token
    /// exchange: [`crate::github::keyless`]), at `origin` (already through the URL policy),
    /// sending `bearer` (`what` names it in errors) and never a GitHub token. Same limits and
    /// retries; no request is made.
    pub(crate) fn for_service(
        origin: &ApiUrl,
        bearer: &SecretValue,
        what: &'static str,
        policy: Policy,
    ) -> Result<Self, ApiError> {
        Self::build_with(origin.clone(), Some((bearer, what)), policy)
    }

    fn build(api_url: &str, token: Option<&SecretValue>, policy: Policy) -> Result<Self, ApiError> {
        Self::build_with(ApiUrl::parse(api_url)?, token.map(|t| (t, "token")), policy)
    }

    fn build_with(
        api: ApiUrl,
        token: Option<(&SecretValue, &'static str)>,
        policy: Policy,
    ) -> Result<Self, ApiError> {
        let token = match token {
            Some((token, what)) => {
                check_token(token, what)?;
                Some(token)
            }
            None => None,
        };
        if let Some(token) = token {
            // Every credential reaches HTTP here (PAT, the App's JWT, minted installation
            // tokens): the output layer redacts it from whatever the server echoes back.
            crate::output::redact::know_token(token);
        }
        let crab = stack::octocrab_for(&api, token)?;
        // One pacing per token, shared by every client of it (its writes and its revocation).
        let pacing = match token {
            Some(token) => Pacing::of_token(api.as_str(), token, policy.clock),
            None => Pacing::new(GITHUB, policy.clock),
        };
        Ok(Self {
            crab,
            api,
            pacing,
            policy,
            stats: Arc::default(),
            waited: Mutex::default(),
            expiry: Mutex::default(),
            scopes: Mutex::default(),
        })
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The API URL this client talks to (already through the policy).
    pub fn api_url(&self) -> &ApiUrl {
        &self.api
    }

    /// A client for the same URL and policy with another token, counting into the same stats.
    pub fn with_token(&self, token: &SecretValue) -> Result<Client, ApiError> {
        let mut c = Client::new(self.api.as_str(), token, self.policy.clone())?;
        c.stats = self.stats.clone();
        Ok(c)
    }

    /// The token's expiry as GitHub reported it on the first answer, if any answer came.
    pub fn token_expiry(&self) -> Option<String> {
        match &*self.expiry.lock().ok()? {
            FirstExpiry::Answered(expiry) => expiry.clone(),
            FirstExpiry::NoAnswerYet => None,
        }
    }

    /// `x-oauth-scopes` of the last answer (classic tokens).
    pub fn token_scopes(&self) -> Option<String> {
        self.scopes.lock().ok().and_then(|s| s.clone())
    }

    pub fn requests(&self) -> u64 {
        self.stats.requests.load(Ordering::Relaxed)
    }

    pub async fn get(&self, path: &str) -> Result<Answer, ApiError> {
        self.send(Method::GET, path, None).await
    }

    pub async fn put(&self, path: &str, body: &serde_json::Value) -> Result<Answer, ApiError> {
        self.send(Method::PUT, path, Some(body)).await
    }

    pub async fn post(&self, path: &str, body: &serde_json::Value) -> Result<Answer, ApiError> {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Result<Answer, ApiError> {
        self.send(Method::DELETE, path, None).await
    }

    fn note_headers(&self, headers: &HeaderMap) {
        if let Ok(mut expiry) = self.expiry.lock() {
            if *expiry == FirstExpiry::NoAnswerYet {
                let header = header(headers, "github-authentication-token-expiration");
                *expiry = FirstExpiry::Answered(header.map(str::to_owned));
            }
        }
        if let Some(scopes) = header(headers, "x-oauth-scopes") {
            if let Ok(mut s) = self.scopes.lock() {
                *s = Some(scopes.to_owned());
            }
        }
    }

    /// This client's pacing, for estimates ([`Pacing::eta`]) that outlive a borrow of it.
    pub fn pacing(&self) -> Pacing {
        self.pacing.clone()
    }

    /// How long `writes` more content-creating requests will take from now, on GitHub's clock
    /// (unscaled): [`Pacing::eta`].
    pub fn eta(&self, writes: usize) -> Duration {
        self.pacing.eta(writes)
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}
