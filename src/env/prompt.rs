//! A hidden prompt on the terminal: the value is not echoed and never reaches shell history.
//! Every question typed at the terminal is asked here: once ([`hidden`]), or twice to confirm
//! a value that is about to be stored ([`ask_twice`]). The process's own terminal is asked
//! with `rpassword`; a run given a terminal by a test ([`super::Env::with_terminal`]) reads
//! what the test typed.

use crate::secret::SecretValue;

/// Attempts at typing a value twice the same.
pub const ATTEMPTS: usize = 3;

/// Why a value typed twice at the terminal was not read.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The terminal cannot be read.
    #[error("cannot read the value at the terminal: {0}")]
    Read(std::io::Error),
    /// The two entries differed every time.
    #[error("the two entries differed {} times", ATTEMPTS)]
    Mismatch,
}

/// Asks on the controlling terminal with echo off.
pub fn hidden(prompt: &str) -> std::io::Result<SecretValue> {
    match super::ask(prompt) {
        Some(answer) => answer.map(SecretValue::new),
        None => rpassword::prompt_password(prompt).map(SecretValue::new),
    }
}

/// Asks `question` with echo off, then again to confirm, up to [`ATTEMPTS`] times (a person's
/// typo must not become the stored secret); `differ` runs after each pair that differs (to say
/// so), and [`PromptError::Mismatch`] when they never matched. An empty first entry is returned
/// as it is.
pub fn ask_twice(question: &str, mut differ: impl FnMut()) -> Result<SecretValue, PromptError> {
    for _ in 0..ATTEMPTS {
        let first = hidden(question).map_err(PromptError::Read)?;
        if first.is_empty() {
            return Ok(first);
        }
        let again = hidden("Again, to confirm: ").map_err(PromptError::Read)?;
        if first.ct_eq(&again) {
            return Ok(first);
        }
        differ();
    }
    Err(PromptError::Mismatch)
}
