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
