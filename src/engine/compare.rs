//! Comparison of new values with the values stored now, in constant time.

use std::collections::HashMap;

use crate::config::NewSecret;
use crate::report::outcome::Comparison;
use crate::secret::SecretValue;

/// Each new secret with how it compares.
pub fn compare(
    secrets: &[NewSecret],
    current: Option<&HashMap<String, SecretValue>>,
) -> Vec<(NewSecret, Comparison)> {
    secrets
        .iter()
        .map(|s| {
            let cmp = match current {
                None => Comparison::NotCompared,
                Some(current) => match current.get(&s.name.folded()) {
                    None => Comparison::New,
                    Some(stored) if stored.ct_eq(&s.value) => Comparison::Unchanged,
                    Some(_) => Comparison::Changed,
                },
            };
            (s.clone(), cmp)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::names::SecretName;
    use crate::config::Origin;

    fn secret(name: &str, value: &str) -> NewSecret {
        NewSecret {
            name: SecretName::parse(name).expect("name"),
            value: SecretValue::from(value),
            origin: Origin::Input,
        }
    }

    #[test]
    fn compares_case_insensitively_by_name_and_exactly_by_value() {
        let current: HashMap<String, SecretValue> = [
            ("A".to_owned(), SecretValue::from("1")),
            ("B".to_owned(), SecretValue::from("2")),
        ]
        .into_iter()
        .collect();
        let secrets = [secret("a", "1"), secret("B", "2 "), secret("C", "3")];
        let got: Vec<Comparison> = compare(&secrets, Some(&current))
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert_eq!(
            got,
            [Comparison::Unchanged, Comparison::Changed, Comparison::New]
        );
        let got: Vec<Comparison> = compare(&secrets, None)
            .into_iter()
            .map(|(_, c)| c)
            .collect();
        assert!(got
            .iter()
            .all(|c| *c == Comparison::NotCompared && c.needs_write()));
    }
}
