//! `current` and `current-from-env`: the values GitHub holds now, to compare with (GitHub never
//! gives a stored value back).

use std::collections::HashMap;

use super::{mask, Loader};
use crate::config::input::Input;
use crate::config::parse::parse_pairs;
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
