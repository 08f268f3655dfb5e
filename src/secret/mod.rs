//! Values that must never be shown: secret values and tokens.
//!
//! Both live in [`SecretValue`] from the moment they are read until they are sealed. The type has
//! no `Display`, prints `***` under `Debug`, compares in constant time and zeroizes its buffer on
//! drop. The only way to see the bytes is [`SecretValue::expose`], whose callers are few and
//! reviewed: masking, sealing and sending the token.

pub mod seal;

use std::fmt;

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

/// A secret value or a token. Redacted in `Debug`, zeroized on drop.
#[derive(Clone, Default)]
pub struct SecretValue(Zeroizing<String>);

impl SecretValue {
    pub fn new(value: String) -> Self {
        Self(Zeroizing::new(value))
    }

    /// The plaintext. Call only to mask, seal, compare or authenticate.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Constant-time equality of the bytes (the length is not hidden).
    pub fn ct_eq(&self, other: &SecretValue) -> bool {
        let (a, b) = (self.0.as_bytes(), other.0.as_bytes());
        a.len() == b.len() && bool::from(a.ct_eq(b))
    }

    /// Removes one trailing `\n` or `\r\n`, in place.
    pub fn trim_one_newline(mut self) -> Self {
        let s: &mut String = &mut self.0;
        if s.ends_with("\r\n") {
            s.truncate(s.len() - 2);
        } else if s.ends_with('\n') {
            s.truncate(s.len() - 1);
        }
        self
    }
}

impl From<String> for SecretValue {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for SecretValue {
    fn from(value: &str) -> Self {
        Self::new(value.to_owned())
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretValue(***)")
    }
}

/// Reads bytes as UTF-8 without leaving a copy of invalid input behind.
pub fn secret_from_bytes(bytes: Vec<u8>) -> Option<SecretValue> {
    match String::from_utf8(bytes) {
        Ok(s) => Some(SecretValue::new(s)),
        Err(e) => {
            let mut bytes = e.into_bytes();
            bytes.zeroize();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_is_redacted() {
        let v = SecretValue::from("hunter2");
        assert_eq!(format!("{v:?}"), "SecretValue(***)");
        assert_eq!(format!("{:?}", Some(v)), "Some(SecretValue(***))");
    }

    #[test]
    fn compares_by_content() {
        assert!(SecretValue::from("a").ct_eq(&SecretValue::from("a")));
        assert!(!SecretValue::from("a").ct_eq(&SecretValue::from("b")));
        assert!(!SecretValue::from("a").ct_eq(&SecretValue::from("ab")));
        assert!(SecretValue::from("").ct_eq(&SecretValue::from("")));
    }

    #[test]
    fn trims_exactly_one_newline() {
        assert_eq!(
            SecretValue::from("a\n\n").trim_one_newline().expose(),
            "a\n"
        );
        assert_eq!(SecretValue::from("a\r\n").trim_one_newline().expose(), "a");
        assert_eq!(SecretValue::from("a\r").trim_one_newline().expose(), "a\r");
        assert_eq!(SecretValue::from("a").trim_one_newline().expose(), "a");
    }

    #[test]
    fn invalid_utf8_is_rejected() {
        assert!(secret_from_bytes(vec![0xff, 0xfe]).is_none());
        assert_eq!(secret_from_bytes(b"ok".to_vec()).map(|v| v.len()), Some(2));
    }
}
