//! The one check every token passes before it reaches HTTP ([`check_token`]): it must be
//! sendable as `Authorization: Bearer <token>`.

use crate::secret::SecretValue;

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
/// Every token reaches HTTP through [`super::Client::new`], which calls this.
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
