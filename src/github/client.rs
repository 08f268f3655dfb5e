//! The GitHub client: octocrab's generic request methods, plus what a careful client adds —
//! retries of 5xx answers and dropped connections with backoff and jitter, waits that honour
//! `retry-after` and `x-ratelimit-reset` within a bounded budget, and pacing of writes under
//! GitHub's limits on content-creating requests (a minute's and an hour's, [`super::pacer`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes_body::{collect, Collect};
use http::{HeaderMap, Method, StatusCode};
use octocrab::Octocrab;

use super::url::{ApiUrl, UrlError};
use crate::pacing::{Pacing, Window, GITHUB_WINDOWS};
use crate::secret::SecretValue;

/// The most of a response body that is read: GitHub's answers here are a few KiB; a bigger one
/// is refused rather than held in memory.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Tuning of retries and pacing. `time_scale` multiplies every wait: 1.0 unless a test shrinks
/// it (most integration steps run with 0.001, every wait a thousandth as long).
#[derive(Clone, Debug)]
pub struct Policy {
    /// Attempts for one request when it fails with 5xx, a reset or a timeout.
    pub attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// The most the whole run may spend waiting on rate limits.
    pub max_rate_limit_wait: Duration,
    /// One request's deadline.
    pub request_timeout: Duration,
    /// Content-creating requests allowed in each rolling window, all held at once (GitHub's
    /// minute and hour limits, with margins: [`GITHUB_WINDOWS`]).
    pub write_windows: Vec<Window>,
    pub time_scale: f64,
    /// The most of one response body that is read.
    pub max_body_bytes: usize,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            attempts: 4,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(8),
            max_rate_limit_wait: Duration::from_secs(300),
            request_timeout: Duration::from_secs(30),
            // GitHub allows 80 content-creating requests a minute and 500 an hour; stay below
            // both (the margins are explained at GITHUB_WINDOWS).
            write_windows: GITHUB_WINDOWS.to_vec(),
            time_scale: 1.0,
            max_body_bytes: MAX_BODY_BYTES,
        }
    }
}

impl Policy {
    /// The default policy, with hidden test knobs from the environment:
    /// `SECRET_REFRESH_TIME_SCALE` (a factor applied to every wait) and
    /// `SECRET_REFRESH_REQUEST_TIMEOUT_MS`.
    pub fn from_env() -> Self {
        let mut p = Policy::default();
        if let Some(scale) = crate::env::var("SECRET_REFRESH_TIME_SCALE")
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s > 0.0 && *s <= 1.0)
        {
            p.time_scale = scale;
        }
        if let Some(ms) =
            crate::env::var("SECRET_REFRESH_REQUEST_TIMEOUT_MS").and_then(|s| s.parse::<u64>().ok())
        {
            p.request_timeout = Duration::from_millis(ms.max(1));
        }
        p
    }

    fn scaled(&self, d: Duration) -> Duration {
        d.mul_f64(self.time_scale)
    }
}

/// What the client did, for reports and tests.
#[derive(Debug, Default)]
pub struct Stats {
    /// Requests that reached the server (attempts whose connection was never made excluded).
    pub requests: AtomicU64,
    /// Attempts whose connection was never made.
    pub unreached: AtomicU64,
    pub retries: AtomicU64,
    pub rate_limit_waits: AtomicU64,
    /// Unscaled milliseconds spent waiting on rate limits.
    pub rate_limit_wait_ms: AtomicU64,
}

/// An answer from GitHub, whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        // serde_json's messages quote no input, only positions and expected types.
        serde_json::from_slice(&self.body).map_err(|e| ApiError::BadBody(e.to_string()))
    }

    /// The answer when its status is a success (2xx), else the typed error that says why not.
    pub fn check(self) -> Result<Answer, ApiError> {
        if self.status.is_success() {
            return Ok(self);
        }
        let message = self.message();
        Err(match self.status {
            StatusCode::UNAUTHORIZED => ApiError::Unauthorized { message },
            StatusCode::FORBIDDEN => ApiError::Forbidden { reason: message },
            StatusCode::NOT_FOUND => ApiError::NotFound { message },
            StatusCode::UNPROCESSABLE_ENTITY => ApiError::Rejected { message },
            s => ApiError::Unexpected {
                status: s.as_u16(),
                message,
            },
        })
    }

    /// GitHub's `message` field, if the body is a JSON error.
    pub fn message(&self) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get("message")?
            .as_str()
            .map(|s| s.chars().take(300).collect())
    }
}

/// Why a request got no usable answer. Carries no value or token: only routes and causes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("could not reach GitHub after {attempts} attempts: {cause}")]
    Transport { attempts: u32, cause: String },
    #[error("GitHub answered {status} after {attempts} attempts")]
    ServerError { status: u16, attempts: u32 },
    #[error(
        "rate limited: GitHub asked to wait {asked_secs}s more, beyond the run's {budget_secs}s \
         budget for rate-limit waits ({waited_secs}s already waited)"
    )]
    RateLimited {
        asked_secs: u64,
        waited_secs: u64,
        budget_secs: u64,
    },
    #[error("unexpected answer body: {0}")]
    BadBody(String),
    #[error("could not set up the HTTP client: {0}")]
    Setup(String),
    #[error(transparent)]
    Url(#[from] UrlError),
    #[error(transparent)]
    Token(#[from] TokenError),
    #[error(transparent)]
    Page(#[from] super::pager::PageError),
    #[error(
        "GitHub answered 401: the token is invalid or expired{}",
        shown(message)
    )]
    Unauthorized { message: Option<String> },
    #[error("GitHub answered 403{}", shown(reason))]
    Forbidden { reason: Option<String> },
    #[error("GitHub answered 404{}", shown(message))]
    NotFound { message: Option<String> },
    #[error("GitHub answered 422{}", shown(message))]
    Rejected { message: Option<String> },
    #[error("GitHub answered {status}{}", shown(message))]
    Unexpected {
        status: u16,
        message: Option<String>,
    },
    #[error("GitHub's answer is larger than {limit} bytes: refused (is `api-url` GitHub's API?)")]
    BodyTooLarge { limit: usize },
}

/// ` (message)`, or nothing.
fn shown(message: &Option<String>) -> String {
    message
        .as_deref()
        .map(|m| format!(" ({m})"))
        .unwrap_or_default()
}

impl ApiError {
    /// The HTTP status of an answer GitHub refused, when that is the error.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Unauthorized { .. } => Some(401),
            ApiError::Forbidden { .. } => Some(403),
            ApiError::NotFound { .. } => Some(404),
            ApiError::Rejected { .. } => Some(422),
            ApiError::Unexpected { status, .. } | ApiError::ServerError { status, .. } => {
                Some(*status)
            }
            _ => None,
        }
    }

    /// GitHub's `message` of a refused answer, when it gave one.
    pub fn server_message(&self) -> Option<&str> {
        match self {
            ApiError::Unauthorized { message }
            | ApiError::NotFound { message }
            | ApiError::Rejected { message }
            | ApiError::Unexpected { message, .. } => message.as_deref(),
            ApiError::Forbidden { reason } => reason.as_deref(),
            _ => None,
        }
    }
}

/// Why a token cannot be used. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("the {what} is empty")]
    Empty { what: &'static str },
    #[error(
        "the {what} holds a character that cannot be sent in an HTTP header (a space, a \
         newline or another control character, or a character outside ASCII)"
    )]
    NotAHeaderValue { what: &'static str },
}

/// Checks that `token` can be sent as `Authorization: Bearer <token>`: visible ASCII only.
/// Every token reaches HTTP through [`Client::new`], which calls this.
pub fn check_token(token: &SecretValue, what: &'static str) -> Result<(), TokenError> {
    let t = token.expose();
    if t.is_empty() {
        return Err(TokenError::Empty { what });
    }
    if !t.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TokenError::NotAHeaderValue { what });
    }
    Ok(())
}

pub struct Client {
    crab: Octocrab,
    api: ApiUrl,
    policy: Policy,
    pub stats: Arc<Stats>,
    /// Content-creating requests under GitHub's secondary limits.
    pacing: Pacing,
    waited: Mutex<Duration>,
    /// `github-authentication-token-expiration` of the first answer that carried it.
    expiry: Mutex<Option<Option<String>>>,
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

    fn build(api_url: &str, token: Option<&SecretValue>, policy: Policy) -> Result<Self, ApiError> {
        let api = ApiUrl::parse(api_url)?;
        if let Some(token) = token {
            check_token(token, "token")?;
            // Every credential reaches HTTP here (PAT, the App's JWT, minted installation
            // tokens): the output layer redacts it from whatever the server echoes back.
            crate::output::know_token(token);
        }
        let crab = octocrab_for(&api, token)?;
        Ok(Self {
            crab,
            api,
            pacing: Pacing::new(&policy.write_windows, policy.time_scale),
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
        self.expiry.lock().ok().and_then(|e| e.clone().flatten())
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

    /// Sends one request, retrying what is worth retrying.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ApiError> {
        let is_write = method != Method::GET && method != Method::HEAD;
        // A POST is not idempotent (minting an installation token): once it may have reached
        // the server, it is never sent again, or a second token could be left unrevoked.
        let once_only = method == Method::POST;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if is_write {
                self.pace().await;
            }
            let sent_at = Instant::now();
            let result =
                tokio::time::timeout(self.policy.request_timeout, self.once(&method, path, body))
                    .await;
            self.pacing.observe_round_trip(sent_at.elapsed());
            // Only requests that reached the server count: a refused connection sent nothing.
            if matches!(result, Ok(Err(Sent::NotConnected(_)))) {
                self.stats.unreached.fetch_add(1, Ordering::Relaxed);
            } else {
                self.stats.requests.fetch_add(1, Ordering::Relaxed);
            }
            let retry_cause = match result {
                Err(_) if once_only => {
                    return Err(ApiError::Transport {
                        attempts: attempt,
                        cause: format!("no answer within {:?}", self.policy.request_timeout),
                    })
                }
                Ok(Err(Sent::Failed(cause))) if once_only => {
                    return Err(ApiError::Transport {
                        attempts: attempt,
                        cause,
                    })
                }
                Err(_) => format!("no answer within {:?}", self.policy.request_timeout),
                Ok(Err(Sent::NotConnected(cause) | Sent::Failed(cause))) => cause,
                Ok(Ok(Err(refused))) => return Err(refused),
                Ok(Ok(Ok(answer))) => {
                    self.note_headers(&answer.headers);
                    if let Some(wait) = rate_limit_wait(&answer) {
                        self.wait_for_rate_limit(wait).await?;
                        attempt -= 1; // a rate-limit wait is not a failed attempt
                        self.stats.retries.fetch_add(1, Ordering::Relaxed);
                        continue;
                    }
                    if answer.status.is_server_error() {
                        if attempt >= self.policy.attempts || once_only {
                            return Err(ApiError::ServerError {
                                status: answer.status.as_u16(),
                                attempts: attempt,
                            });
                        }
                        self.backoff(attempt).await;
                        continue;
                    }
                    return Ok(answer);
                }
            };
            if attempt >= self.policy.attempts {
                return Err(ApiError::Transport {
                    attempts: attempt,
                    cause: retry_cause,
                });
            }
            self.backoff(attempt).await;
        }
    }

    async fn once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Result<Answer, ApiError>, Sent> {
        let response = match (super::routes::api_version(path), method) {
            // Agents secrets routes ask for their own API version: the request is built by
            // octocrab (its headers, its body encoding), its version header replaced (never sent
            // twice), and sent by octocrab's `execute`.
            (
                Some(version),
                &(Method::GET | Method::PUT | Method::POST | Method::DELETE | Method::PATCH),
            ) => {
                let uri = http::Uri::try_from(path)
                    .map_err(|_| Sent::NotConnected("the request path is not a URI".to_owned()))?;
                let builder = http::Request::builder().method(method.clone()).uri(uri);
                match self.crab.build_request(builder, body) {
                    Ok(mut request) => {
                        request.headers_mut().insert(
                            http::HeaderName::from_static("x-github-api-version"),
                            http::HeaderValue::from_static(version),
                        );
                        self.crab.execute(request).await
                    }
                    Err(e) => Err(e),
                }
            }
            (_, &Method::GET) => self.crab._get(path).await,
            (_, &Method::PUT) => self.crab._put(path, body).await,
            (_, &Method::POST) => self.crab._post(path, body).await,
            (_, &Method::DELETE) => self.crab._delete(path, body).await,
            (_, &Method::PATCH) => self.crab._patch(path, body).await,
            _ => return Err(Sent::Failed(format!("method {method} is not supported"))),
        }
        .map_err(|e| {
            if never_connected(&e) {
                Sent::NotConnected(transport_cause(&e))
            } else {
                Sent::Failed(transport_cause(&e))
            }
        })?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = match collect(response.into_body(), self.policy.max_body_bytes).await {
            Ok(body) => body,
            Err(Collect::TooLarge) => {
                return Ok(Err(ApiError::BodyTooLarge {
                    limit: self.policy.max_body_bytes,
                }))
            }
            Err(Collect::Cut(e)) => {
                return Err(Sent::Failed(format!("the answer was cut off: {e}")))
            }
        };
        Ok(Ok(Answer {
            status,
            headers,
            body,
        }))
    }

    fn note_headers(&self, headers: &HeaderMap) {
        if let Ok(mut expiry) = self.expiry.lock() {
            if expiry.is_none() {
                *expiry = Some(
                    header(headers, "github-authentication-token-expiration").map(str::to_owned),
                );
            }
        }
        if let Some(scopes) = header(headers, "x-oauth-scopes") {
            if let Ok(mut s) = self.scopes.lock() {
                *s = Some(scopes.to_owned());
            }
        }
    }

    async fn backoff(&self, attempt: u32) {
        self.stats.retries.fetch_add(1, Ordering::Relaxed);
        let exp = self
            .policy
            .backoff_base
            .saturating_mul(1 << (attempt - 1).min(10))
            .min(self.policy.backoff_max);
        // Full jitter between half and all of the exponential step.
        let jittered = exp.mul_f64(0.5 + rand::random::<f64>() * 0.5);
        tokio::time::sleep(self.policy.scaled(jittered)).await;
    }

    async fn wait_for_rate_limit(&self, wait: Duration) -> Result<(), ApiError> {
        let budget = self.policy.max_rate_limit_wait;
        // At least a second per answer, so a `retry-after: 0` loop still spends the budget.
        let wait = wait.max(Duration::from_secs(1));
        {
            let mut waited = self.waited.lock().unwrap_or_else(|e| e.into_inner());
            // Saturating: a server may ask for u64::MAX seconds after an earlier wait.
            if waited.saturating_add(wait) > budget {
                return Err(ApiError::RateLimited {
                    asked_secs: wait.as_secs(),
                    waited_secs: waited.as_secs(),
                    budget_secs: budget.as_secs(),
                });
            }
            *waited += wait;
        }
        self.stats.rate_limit_waits.fetch_add(1, Ordering::Relaxed);
        self.stats.rate_limit_wait_ms.fetch_add(
            u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
        tokio::time::sleep(self.policy.scaled(wait)).await;
        Ok(())
    }

    /// Total unscaled time spent waiting on rate limits.
    pub fn rate_limit_waited(&self) -> Duration {
        self.waited.lock().map(|w| *w).unwrap_or_default()
    }

    /// Waits until one more write fits in every window of the pacer.
    async fn pace(&self) {
        while let Some(wait) = self.pacing.admit() {
            tokio::time::sleep(wait).await;
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

/// How long a rate-limited answer asks us to wait, or `None` when it is not rate-limited.
fn rate_limit_wait(answer: &Answer) -> Option<Duration> {
    let status = answer.status;
    if status != StatusCode::FORBIDDEN && status != StatusCode::TOO_MANY_REQUESTS {
        return None;
    }
    if let Some(secs) =
        header(&answer.headers, "retry-after").and_then(|s| s.trim().parse::<u64>().ok())
    {
        return Some(Duration::from_secs(secs));
    }
    if header(&answer.headers, "x-ratelimit-remaining") == Some("0") {
        let reset = header(&answer.headers, "x-ratelimit-reset")?
            .parse::<u64>()
            .ok()?;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        return Some(Duration::from_secs(reset.saturating_sub(now).max(1)));
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        // GitHub: with no header, wait at least a minute.
        return Some(Duration::from_secs(60));
    }
    // A secondary limit without retry-after: GitHub asks for at least a minute as well.
    let secondary = answer
        .message()
        .is_some_and(|m| m.to_ascii_lowercase().contains("secondary rate limit"));
    secondary.then(|| Duration::from_secs(60))
}

/// How an attempt failed without an answer.
enum Sent {
    /// No connection was made: nothing reached the server.
    NotConnected(String),
    /// The request may have reached the server.
    Failed(String),
}

/// Whether the connection itself failed (refused, unresolvable host, TLS never set up).
fn never_connected(e: &octocrab::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(h) = s.downcast_ref::<hyper_util::client::legacy::Error>() {
            return h.is_connect();
        }
        source = s.source();
    }
    false
}

/// A transport error's cause without anything that came from the caller.
fn transport_cause(e: &octocrab::Error) -> String {
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    cause.chars().take(200).collect()
}

/// rustls needs a process-wide crypto provider; ours is ring.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What every request says it is: GitHub asks for a User-Agent that names the tool.
pub(crate) const USER_AGENT: &str = concat!("secret-refresh/", env!("CARGO_PKG_VERSION"));

/// octocrab over our own service stack. Its default builder always adds `User-Agent: octocrab`
/// (appended, so a second value would not replace it); built from parts, every request carries
/// exactly one User-Agent, ours. The stack, outermost first: the base URI, the token (only to
/// the API's own host), the User-Agent, then hyper over rustls (ring) with the system's roots
/// (`SSL_CERT_FILE` honoured). Deadlines are [`Policy::request_timeout`], set per request.
fn octocrab_for(api: &ApiUrl, token: Option<&SecretValue>) -> Result<Octocrab, ApiError> {
    use octocrab::service::middleware::auth_header::AuthHeaderLayer;
    use octocrab::service::middleware::base_uri::BaseUriLayer;
    use tower::ServiceBuilder;
    use tower_http::set_header::SetRequestHeaderLayer;

    install_crypto_provider();
    let base: http::Uri = api
        .as_str()
        .parse()
        .map_err(|_| ApiError::Setup("the API URL was not accepted".into()))?;
    // No token: no `Authorization` at all (`POST /credentials/revoke` refuses one).
    let auth = match token {
        Some(token) => {
            let mut auth = http::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| ApiError::Setup("the token is not a header value".into()))?;
            auth.set_sensitive(true);
            Some(auth)
        }
        None => None,
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| {
            ApiError::Setup(format!(
                "{e} (no CA certificates found: set SSL_CERT_FILE to a PEM bundle)"
            ))
        })?
        .https_or_http()
        .enable_http1()
        .build();
    let hyper = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let service = ServiceBuilder::new()
        .layer(BaseUriLayer::new(base.clone()))
        .layer(AuthHeaderLayer::new(auth, base.clone(), base))
        .layer(SetRequestHeaderLayer::overriding(
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        ))
        .service(hyper);
    octocrab::OctocrabBuilder::new_empty()
        .with_service(service)
        .with_auth(octocrab::AuthState::None)
        .build()
        .map_err(|e| match e {})
}

mod bytes_body {
    use http_body_util::{BodyExt, LengthLimitError, Limited};

    /// Why a body could not be read whole.
    pub(crate) enum Collect {
        /// Over the limit: reading stopped there.
        TooLarge,
        /// The connection failed mid-body.
        Cut(String),
    }

    /// The body, reading at most `limit` bytes (memory stays bounded, whatever is sent).
    pub(crate) async fn collect<B>(body: B, limit: usize) -> Result<Vec<u8>, Collect>
    where
        B: http_body::Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        match Limited::new(body, limit).collect().await {
            Ok(b) => Ok(b.to_bytes().to_vec()),
            Err(e) if e.is::<LengthLimitError>() => Err(Collect::TooLarge),
            Err(e) => Err(Collect::Cut(e.to_string().chars().take(200).collect())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Answer {
        let mut map = HeaderMap::new();
        for (k, v) in headers {
            map.insert(
                http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        Answer {
            status: StatusCode::from_u16(status).expect("status"),
            headers: map,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn refused_answers_become_typed_errors() {
        let msg = r#"{"message":"Bad credentials"}"#;
        assert!(answer(200, &[], "").check().is_ok());
        assert!(answer(204, &[], "").check().is_ok());
        let e = answer(401, &[], msg).check().expect_err("401");
        assert!(matches!(e, ApiError::Unauthorized { .. }));
        assert_eq!(
            e.to_string(),
            "GitHub answered 401: the token is invalid or expired (Bad credentials)"
        );
        assert!(matches!(
            answer(403, &[], msg).check(),
            Err(ApiError::Forbidden { reason: Some(_) })
        ));
        assert!(matches!(
            answer(404, &[], "").check(),
            Err(ApiError::NotFound { message: None })
        ));
        assert!(matches!(
            answer(422, &[], msg).check(),
            Err(ApiError::Rejected { .. })
        ));
        let e = answer(302, &[], "").check().expect_err("302");
        assert_eq!((e.status(), e.server_message()), (Some(302), None));
    }

    #[test]
    fn rate_limit_answers() {
        assert_eq!(
            rate_limit_wait(&answer(429, &[("retry-after", "7")], "")),
            Some(Duration::from_secs(7))
        );
        assert_eq!(
            rate_limit_wait(&answer(403, &[("retry-after", "3")], "")),
            Some(Duration::from_secs(3))
        );
        let soon = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
            + 5;
        let w = rate_limit_wait(&answer(
            403,
            &[
                ("x-ratelimit-remaining", "0"),
                ("x-ratelimit-reset", &soon.to_string()),
            ],
            "",
        ))
        .expect("wait");
        assert!(w <= Duration::from_secs(5) && w >= Duration::from_secs(4));
        assert_eq!(
            rate_limit_wait(&answer(
                403,
                &[],
                r#"{"message":"You have exceeded a secondary rate limit"}"#
            )),
            Some(Duration::from_secs(60))
        );
        // A plain permission error is not a rate limit.
        assert_eq!(
            rate_limit_wait(&answer(
                403,
                &[],
                r#"{"message":"Resource not accessible"}"#
            )),
            None
        );
        assert_eq!(
            rate_limit_wait(&answer(500, &[("retry-after", "1")], "")),
            None
        );
    }

    mod arbitrary_answers {
        use proptest::prelude::*;

        use super::super::*;
        use crate::github::wire::{Login, RepoName, SecretNameDoc};

        /// Every header the client reads, and a few it does not.
        const HEADERS: &[&str] = &[
            "retry-after",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "link",
            "github-authentication-token-expiration",
            "x-oauth-scopes",
            "content-type",
        ];

        /// A marker no error may repeat: it stands for a value or token the server echoes.
        const MARK: &str = "SeCrEtMaRk";

        fn build(status: u16, headers: &[Vec<u8>], body: &[u8]) -> Answer {
            let mut map = HeaderMap::new();
            for (name, value) in HEADERS.iter().zip(headers) {
                if let Ok(v) = http::HeaderValue::from_bytes(value) {
                    map.append(*name, v);
                }
            }
            Answer {
                status: StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                headers: map,
                body: body.to_vec(),
            }
        }

        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Docs {
            login: Option<Login>,
            name: Option<RepoName>,
            secret: Option<SecretNameDoc>,
            key_id: Option<String>,
            key: Option<String>,
            total_count: Option<u64>,
        }

        fn check(answer: &Answer, client: &Client) {
            if let Some(wait) = rate_limit_wait(answer) {
                // Waits add up across cases in the one client: the sum must saturate.
                let rt = &shared().0;
                let _ = rt.block_on(client.wait_for_rate_limit(wait));
                let _ = rt.block_on(client.wait_for_rate_limit(Duration::MAX));
            }
            client.note_headers(&answer.headers);
            let _ = client.token_expiry();
            let _ = client.token_scopes();
            if let Some(m) = answer.message() {
                assert!(m.chars().count() <= 300);
            }
            for e in [
                answer.json::<Docs>().err(),
                answer.json::<Vec<Docs>>().err(),
                answer
                    .json::<crate::github::endpoints::PublicKeyDoc>()
                    .err(),
                answer.json::<serde_json::Value>().err(),
            ]
            .into_iter()
            .flatten()
            {
                let text = format!("{e} {e:?}");
                assert!(!text.contains(MARK), "an error repeats the body: {text}");
            }
        }

        /// One client for every case: building one loads the system's certificates.
        fn client() -> &'static Client {
            &shared().1
        }

        fn shared() -> &'static (tokio::runtime::Runtime, Client) {
            static CLIENT: std::sync::OnceLock<(tokio::runtime::Runtime, Client)> =
                std::sync::OnceLock::new();
            CLIENT.get_or_init(|| {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                let c = {
                    let _g = rt.enter();
                    // Waits take no time: only their arithmetic is under test.
                    let policy = Policy {
                        time_scale: 0.0,
                        ..Policy::default()
                    };
                    Client::new("https://api.github.com", &SecretValue::from("t"), policy)
                        .expect("client")
                };
                (rt, c)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Arbitrary bytes as every header and body the client reads: no panic, and no
            /// error that repeats what the server sent.
            #[test]
            fn arbitrary_headers_and_bodies_never_panic_nor_echo(
                status in 100u16..600,
                headers in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), HEADERS.len()),
                body in proptest::collection::vec(any::<u8>(), 0..256),
                numbers in proptest::collection::vec(
                    prop_oneof![Just(u64::MAX.to_string()), any::<u64>().prop_map(|n| n.to_string()), Just("-1".to_owned()), Just("1e99".to_owned())],
                    3,
                ),
            ) {
                let client = client();
                check(&build(status, &headers, &body), client);
                // Numbers at their edges in the headers that hold numbers.
                let mut numeric = headers.clone();
                for (slot, n) in numeric.iter_mut().zip(&numbers) {
                    *slot = n.clone().into_bytes();
                }
                check(&build(status, &numeric, &body), client);
                // JSON bodies whose strings carry the marker and control characters.
                let mut text = String::from_utf8_lossy(&body).into_owned();
                text.retain(|c| c != '"' && c != '\\');
                for doc in [
                    format!(r#"{{"login":"{MARK}{text}","name":"{MARK}\n","secret":"{MARK}"}}"#),
                    format!(r#"[{{"login":"{MARK}\u001b"}}]"#),
                    format!(r#"{{"key_id":1,"key":"{MARK}"}}"#),
                    format!(r#"{{"message":"{MARK}{text}"}}"#),
                ] {
                    check(&build(status, &headers, doc.as_bytes()), client);
                }
                // The Link header through the pager's parser and origin check.
                if let Ok(link) = String::from_utf8(headers[3].clone()) {
                    let _ = client.same_origin_path(&link);
                }
            }
        }
    }
}
