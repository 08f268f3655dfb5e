//! A hidden prompt on the terminal: the value is not echoed and never reaches shell history.

use crate::secret::SecretValue;

/// Asks on the controlling terminal with echo off.
pub fn hidden(prompt: &str) -> std::io::Result<SecretValue> {
    rpassword::prompt_password(prompt).map(SecretValue::new)
}
