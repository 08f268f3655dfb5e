//! `current` and `current-from-env`: the values GitHub holds now, to compare with (GitHub never
//! gives a stored value back).

use std::collections::{HashMap, HashSet};

use super::values::Candidate;
use super::{mask, Loader};
use crate::config::input::Input;
use crate::config::parse::{parse_env_refs, parse_pairs};
use crate::config::problem::InputProblem;
use crate::output::reporter::Reporter;
use crate::secret::SecretValue;

impl Loader<'_> {
    /// `current` and `current-from-env`: stored values by upper-cased name; `None` when both
    /// are empty.
    pub(in crate::config) fn stored_values(
        &mut self,
        reporter: &mut Reporter,
    ) -> Option<HashMap<String, SecretValue>> {
        let (pairs, errors) = parse_pairs(self.raw.current.expose());
        for p in &pairs {
            mask(reporter, &p.value);
        }
        for e in errors {
            self.error(Input::Current, e);
        }
        let text = self.raw.current_from_env.clone();
        let from_env = self.env_values(&text, Input::CurrentFromEnv, reporter);
        let given = !self.raw.current.expose().trim().is_empty() || !text.trim().is_empty();
        given.then(|| {
            pairs
                .into_iter()
                .map(|p| (p.name.to_ascii_uppercase(), p.value))
                .chain(
                    from_env
                        .into_iter()
                        .map(|(name, _, value)| (name.to_ascii_uppercase(), value)),
                )
                .collect()
        })
    }
}

impl Loader<'_> {
    /// The warnings of a name typo, said before anything is written (each names the secret,
    /// never a value): a name listed in `current-from-env` that no refreshed value has (it is
    /// not refreshed), added; and, returned for the caller to say when the run can write, each
    /// refreshed value `current` and `current-from-env` hold no stored value for (it is written
    /// on every run). `current` alone may be every secret of the repository (`toJSON(secrets)`),
    /// so only `current-from-env`'s names are held to the first.
    pub(in crate::config) fn warn_unmatched(
        &mut self,
        candidates: &[Candidate],
        current: Option<&HashMap<String, SecretValue>>,
    ) -> Vec<String> {
        let Some(current) = current else {
            return Vec::new();
        };
        let refreshed: HashSet<String> =
            candidates.iter().map(|c| c.secret.name.folded()).collect();
        let (listed, _) = parse_env_refs(&self.raw.current_from_env);
        for r in listed {
            if !refreshed.contains(&r.name.to_ascii_uppercase()) {
                let problem = InputProblem::NotRefreshed {
                    line: r.line,
                    name: r.name,
                };
                self.warn(Input::CurrentFromEnv, problem);
            }
        }
        let given: Vec<String> = [
            (Input::Current, self.raw.current.expose()),
            (Input::CurrentFromEnv, self.raw.current_from_env.as_str()),
        ]
        .into_iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(input, _)| self.named(input).to_string())
        .collect();
        let stored_in = given.join(" or ");
        let mut unknown = Vec::new();
        for c in candidates {
            if current.contains_key(&c.secret.name.folded()) {
                continue;
            }
            let which = c
                .source
                .described(&c.secret.name, self.named(Input::Secrets));
            unknown.push(format!(
                "{which} has no stored value in {stored_in} to compare with, so it is written on \
                 every run: if the secret the tests read is named otherwise, fix the name (or \
                 the prefix); a secret new to GitHub has no stored value until it is first \
                 written"
            ));
        }
        unknown
    }
}
