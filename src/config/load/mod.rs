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
    warnings: Vec<String>,
}

impl<'a> Loader<'a> {
    pub(super) fn new(raw: &'a RawInputs, ctx: &'a RunContext) -> Self {
        Self {
            raw,
            ctx,
            front: ctx.front_end,
            errors: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Every error, and the warnings (patterns that matched nothing under
    /// `if-no-files-found: warn`).
    pub(super) fn finish(self) -> (Vec<InputError>, Vec<String>) {
        (self.errors, self.warnings)
    }

    fn error(&mut self, input: Input, problem: impl Into<InputProblem>) {
        self.errors
            .push(InputError::new(input, self.front, problem));
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
