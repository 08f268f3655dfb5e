//! The errors of the HTTP layer: [`ApiError`] (why a request got no usable answer, or how
//! GitHub refused it) and [`PageError`] (why a listing could not be followed to its end). They
//! carry no value or token: only routes, statuses, GitHub's own messages and causes.

use super::token_check::TokenError;
use super::url::UrlError;

/// Why a request got no usable answer. Carries no value or token: only routes and causes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("could not reach GitHub after {attempts} attempts: {cause}")]
    Transport { attempts: u32, cause: String },
    /// The server's TLS certificate was refused: permanent, never retried.
    #[error(
        "the server's TLS certificate is not trusted ({cause}): nothing was sent, and it is not \
         retried; for a GitHub Enterprise Server with a self-signed certificate or its own CA, \
         set SSL_CERT_FILE to a PEM file holding that CA's certificate"
    )]
    UntrustedCertificate { cause: String },
    /// The run's proxy answered, and not with a tunnel to the API: permanent, never retried.
    #[error("{cause}: nothing was sent to GitHub, and it is not retried")]
    Proxy { cause: String },
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
    Page(#[from] PageError),
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
    /// A signal came while the request waited for its turn under GitHub's rate limits (the
    /// pacer's windows, or a rate-limited answer's wait): it was never sent.
    #[error("not sent: cancelled by {} while it waited for GitHub's rate limits", .signal.name())]
    NotSent { signal: crate::cancel::Signal },
}

/// ` (message)`, or nothing.
pub(super) fn shown(message: &Option<String>) -> String {
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

    /// Whether GitHub answered and refused (a 4xx, or a status the route does not document),
    /// rather than no usable answer coming at all.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            ApiError::Unauthorized { .. }
                | ApiError::Forbidden { .. }
                | ApiError::NotFound { .. }
                | ApiError::Rejected { .. }
                | ApiError::Unexpected { .. }
        )
    }

    /// The status GitHub refused with ([`ApiError::is_refusal`]), for messages ("GitHub
    /// answered 403"); `None` when no answer was refused (the network, a bad body, a 5xx after
    /// retries). Callers outside `github` name the refusal by its variant, never by a number.
    pub fn refused_status(&self) -> Option<u16> {
        self.status().filter(|_| self.is_refusal())
    }
}

/// Why a listing could not be followed to its end ([`super::Pages`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error(
        "GitHub's link to the next page points away from the API's host: refused, so the \
         listing is incomplete"
    )]
    OtherOrigin,
    #[error("GitHub's link to the next page is not a URL: the listing is incomplete")]
    BadLink,
    #[error("GitHub's links to the next page go round in a loop: the listing is incomplete")]
    Loop,
    #[error("the listing has more than {max} pages: refused, the listing is incomplete")]
    TooManyPages { max: usize },
    #[error(
        "a page of the listing holds {items} items, more than the {per_page} asked for: not \
         GitHub's answer, refused"
    )]
    PageTooBig { items: usize, per_page: usize },
    #[error("the listing holds more than {max} items: refused, the listing is incomplete")]
    TooManyItems { max: usize },
    #[error(
        "the listing's pages hold more than {max_mib} MiB together: refused, the listing is \
         incomplete"
    )]
    TooManyBytes { max_mib: usize },
    #[error("a page of the listing is not a JSON list: {0}")]
    NotAList(String),
}
