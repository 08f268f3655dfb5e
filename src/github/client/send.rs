//! One request, sent and retried: octocrab builds and sends it, the answer's body is read up to
//! the policy's cap, writes wait for the pacer, and what is worth another attempt (a 5xx, a
//! dropped connection, a timeout, a rate limit) goes through [`super::retry`]. A POST that may
//! have reached the server is never sent again; a certificate the client does not trust is
//! permanent, and never retried.

use std::sync::atomic::Ordering;
use std::time::Instant;

use http::Method;

use super::retry::RateLimit;
use super::Client;
use crate::github::answer::Answer;
use crate::github::error::ApiError;
use crate::github::routes;
use body::{collect, Collect};

impl Client {
    /// Sends one request, retrying what is worth retrying.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Answer, ApiError> {
        // A signal ends a request's wait (for a write's turn, or out a rate limit): it is then
        // never sent. Except the revocation of the run's own token: a cancelled run still owes it.
        let stoppable = !(method == Method::DELETE && path == routes::INSTALLATION_TOKEN);
        self.send_unless(method, path, body, stoppable).await
    }

    /// A `DELETE` a cancelled run still owes (the throwaway secret a preflight wrote): sent,
    /// and waited for, after a signal too. The caller bounds how long.
    pub async fn delete_owed(&self, path: &str) -> Result<Answer, ApiError> {
        self.send_unless(Method::DELETE, path, None, false).await
    }

    /// [`Client::send`]; `stoppable`: a signal ends the request's waits, and it is not sent.
    async fn send_unless(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        stoppable: bool,
    ) -> Result<Answer, ApiError> {
        let is_write = method != Method::GET && method != Method::HEAD;
        // A POST is not idempotent (minting an installation token): once it may have reached
        // the server, it is never sent again, or a second token could be left unrevoked.
        let once_only = method == Method::POST;
        let mut attempt = 0;
        // Rate-limit answers to this request that said nothing of how long to wait.
        let mut untold = 0;
        loop {
            attempt += 1;
            let result = match self.attempt(&method, path, body, is_write, stoppable).await {
                Ok(result) => result,
                // A signal while the write waited for its turn: it never left.
                Err(signal) => return Err(ApiError::NotSent { signal }),
            };
            // Only requests that reached the server count: a refused connection sent nothing.
            let count = match &result {
                Ok(Err(sent)) if !sent.may_have_reached() => &self.stats.unreached,
                _ => &self.stats.requests,
            };
            count.fetch_add(1, Ordering::Relaxed);
            let retry_cause = match result {
                Ok(Err(Sent::Permanent(refused))) => return Err(refused),
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
                    if let Some(limit) = RateLimit::of(&answer) {
                        self.wait_for_rate_limit(limit.wait(untold), stoppable)
                            .await?;
                        untold += u32::from(limit == RateLimit::Untold);
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

    /// One attempt within the request's deadline, its round trip measured for the pacer's
    /// estimates. A write goes in its turn under GitHub's rules, every attempt of it: after the
    /// previous write's answer (a rate-limit wait included), at the paced rate.
    async fn attempt(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
        is_write: bool,
        stoppable: bool,
    ) -> Result<Attempted, crate::cancel::Signal> {
        let attempt = async {
            let sent_at = Instant::now();
            let result =
                tokio::time::timeout(self.policy.request_timeout, self.once(method, path, body))
                    .await;
            self.pacing.observe_round_trip(sent_at.elapsed());
            result
        };
        match (is_write, stoppable) {
            // A signal ends the wait for the write's turn: then it is never sent.
            (true, true) => {
                self.pacing
                    .paced_unless(attempt, crate::cancel::cancelled())
                    .await
            }
            (true, false) => Ok(self.pacing.paced(attempt).await),
            (false, _) => Ok(attempt.await),
        }
    }

    async fn once(
        &self,
        method: &Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Result<Answer, ApiError>, Sent> {
        let response = match (crate::github::routes::api_version(path), method) {
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
            if let Some(cause) = untrusted_certificate(&e) {
                Sent::Permanent(ApiError::UntrustedCertificate { cause })
            } else if let Some(cause) = proxy_refused(&e) {
                Sent::Permanent(ApiError::Proxy { cause })
            } else if never_connected(&e) {
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
}

/// What one attempt came to: an answer (or GitHub's refusal), no answer, or no answer in time.
type Attempted = Result<Result<Result<Answer, ApiError>, Sent>, tokio::time::error::Elapsed>;

/// How an attempt failed without an answer.
enum Sent {
    /// No connection was made: nothing reached the server.
    NotConnected(String),
    /// The request may have reached the server.
    Failed(String),
    /// No connection was made, and another attempt would meet the same refusal (never
    /// retried): the server's certificate refused during the handshake
    /// ([`ApiError::UntrustedCertificate`]), or the run's proxy refused to open a tunnel
    /// ([`ApiError::Proxy`]).
    Permanent(ApiError),
}

impl Sent {
    /// Whether the request may have reached the server (a connection was made).
    fn may_have_reached(&self) -> bool {
        matches!(self, Sent::Failed(_))
    }
}

/// The proxy's refusal to tunnel ([`super::proxy::TunnelFailed::is_permanent`]), in its words.
fn proxy_refused(e: &octocrab::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if let Some(t) = s.downcast_ref::<super::proxy::TunnelFailed>() {
            return t.is_permanent().then(|| t.to_string());
        }
        source = s.source();
    }
    None
}

/// rustls's refusal of the server's certificate, when that is why the connection failed: its
/// cause (`UnknownIssuer`, `NotValidForName`, …). hyper-rustls hands rustls's error up inside
/// `io::Error`s (two, nested), whose `source` skips the error each wraps, so each is opened.
fn untrusted_certificate(e: &octocrab::Error) -> Option<String> {
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let mut candidate: Option<&(dyn std::error::Error + 'static)> = Some(s);
        while let Some(c) = candidate {
            if let Some(rustls::Error::InvalidCertificate(why)) = c.downcast_ref::<rustls::Error>()
            {
                return Some(format!("{why:?}").chars().take(200).collect());
            }
            candidate = c
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .map(|inner| inner as &(dyn std::error::Error + 'static));
        }
        source = s.source();
    }
    None
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
    crate::output::redact::cut(&cause, 200)
}

mod body {
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
            Err(e) => Err(Collect::Cut(crate::output::redact::cut(
                &e.to_string(),
                200,
            ))),
        }
    }
}
