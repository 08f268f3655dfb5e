//! [`Answer`]: GitHub's answer to one request, whatever its status, and the one place a status
//! becomes a typed [`ApiError`] ([`Answer::check`]).

use http::{HeaderMap, StatusCode};

use super::error::ApiError;

/// An answer from GitHub, whatever its status.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, ApiError> {
        serde_json::from_slice(&self.body).map_err(|e| ApiError::BadBody(json_error(&e)))
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

    /// GitHub's `message` field, if the body is a JSON error: redacted, then cut to
    /// [`MAX_MESSAGE_CHARS`] (in that order: a message cut first could keep the start of a token
    /// without enough of it to be recognised).
    pub fn message(&self) -> Option<String> {
        serde_json::from_slice::<serde_json::Value>(&self.body)
            .ok()?
            .get("message")?
            .as_str()
            .map(|s| crate::output::redact::cut(s, MAX_MESSAGE_CHARS))
    }
}

/// The most of GitHub's `message` that is kept.
pub(crate) const MAX_MESSAGE_CHARS: usize = 300;

/// What was wrong with a JSON answer, without any of its text: serde_json's own messages quote
/// what they found (`invalid type: string "…", expected u64`, `unknown variant …`), and a
/// hostile server chooses that text. Kept as they are: a missing field (the name is ours) and
/// our own checks of a field ([`super::wire`]: "GitHub's answer holds …", which quote nothing).
pub(crate) fn json_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let own = e.to_string();
    let what = match e.classify() {
        Category::Data
            if own.starts_with("GitHub's answer holds ") || own.starts_with("missing field `") =>
        {
            return own;
        }
        Category::Data => "a field of the wrong type or value",
        Category::Syntax => "not valid JSON",
        Category::Eof => "JSON cut short",
        Category::Io => "not readable",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}
