//! The [`Loader`]: the state of one [`crate::config::load()`] (the inputs, and every error found
//! so far), its steps split by concern: [`values`] (`secrets`, `secrets-from-env`, names and
//! sizes), [`files`] (`files` and the names derived from them), [`stored`] (`current`,
//! `current-from-env`), [`options`] (flags, `api-url`, days, `audit-log`), [`destination`]
//! (repositories, environment, organisation) and [`auth`] (token or GitHub App).

mod auth;
pub mod destination;
mod files;
mod options;
mod stored;
mod values;

#[cfg(test)]
mod tests;

use crate::config::input::{FrontEnd, Input, Named, RawInputs, RunContext};
use crate::config::parse::is_trivial_value;
use crate::config::problem::{InputError, InputProblem};
use crate::output::reporter::Reporter;
use crate::secret::SecretValue;

/// The state of one load: the inputs, and every error found so far.
pub(super) struct Loader<'a> {
    raw: &'a RawInputs,
    ctx: &'a RunContext,
    front: FrontEnd,
    errors: Vec<InputError>,
    pub(super) warnings: Vec<String>,
    /// Bad values: each fails its secret alone ([`crate::config::Config::refused`]).
    refused: Vec<InputError>,
}

impl<'a> Loader<'a> {
    pub(super) fn new(raw: &'a RawInputs, ctx: &'a RunContext) -> Self {
        Self {
            raw,
            ctx,
            front: ctx.front_end,
            errors: Vec::new(),
            warnings: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Every error, the warnings (patterns that matched nothing under `if-no-files-found:
    /// warn`, the signs of a name typo) and the values refused.
    pub(super) fn finish(self) -> (Vec<InputError>, Vec<String>, Vec<InputError>) {
        (self.errors, self.warnings, self.refused)
    }

    /// A bad value from the tests: it fails its secret, not the run.
    fn refuse(&mut self, input: Input, secret: &str, problem: InputProblem) {
        self.refused
            .push(InputError::secret(input, self.front, secret, problem));
    }

    fn error(&mut self, input: Input, problem: impl Into<InputProblem>) {
        self.errors
            .push(InputError::new(input, self.front, problem));
    }

    /// A warning about `input`, said as its error would be (`input `files`, line 1: …`).
    fn warn(&mut self, input: Input, problem: InputProblem) {
        let said = InputError::new(input, self.front, problem).to_string();
        self.warnings.push(said.replacen(": line", ", line", 1));
    }

    fn secret_error(&mut self, input: Input, secret: &str, problem: InputProblem) {
        self.errors
            .push(InputError::secret(input, self.front, secret, problem));
    }

    fn named(&self, input: Input) -> Named {
        input.named(self.front)
    }
}

/// Registers a value with the masker, unless it is trivial (such values are refused anyway).
pub(super) fn mask(reporter: &mut Reporter, value: &SecretValue) {
    if !is_trivial_value(value.expose()) {
        reporter.mask(value);
    }
}

/// The first of `values` that is not blank, trimmed.
fn first_non_empty<'a>(values: &[&'a String]) -> Option<&'a str> {
    values.iter().map(|s| s.trim()).find(|s| !s.is_empty())
}
