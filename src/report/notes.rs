//! What a run says beside its rows, where people look (an annotation on the run page): the
//! notice of an action step that wrote nothing for want of a credential. Nothing here holds a value.

use crate::output::words::{Count, List};
use crate::report::outcome::{Report, SkipReason};

/// At most this many names are listed in one annotation; the rest are counted.
const NAMED: usize = 10;

/// The notice of an action step that wrote nothing because no token was given (and no app):
/// `(title, message)`, naming the `token` input and what was not written, so a misspelled
/// `secrets.PAT_TOKN` is seen on the run page while a fork's run (which gets no secrets) stays
/// green. `None` when a token was given or nothing changed.
pub fn no_token(report: &Report) -> Option<(&'static str, String)> {
    if report.skip != Some(SkipReason::NoToken) {
        return None;
    }
    let names: Vec<&str> = report
        .comparisons
        .iter()
        .filter(|(_, c)| c.needs_write())
        .map(|(n, _)| n.as_str())
        .collect();
    if names.is_empty() {
        return None;
    }
    let were = if names.len() == 1 { "was" } else { "were" };
    Some((
        "nothing written: no token",
        format!(
            "`token` is empty (and neither `app-id` nor `sts-url` is given), so {} {were} not \
             written: {}. If a token was meant: check the secret's name in \
             `token: ${{{{ secrets.NAME }}}}` (a misspelled secret is empty, not an error), and \
             that this job can read it (an environment's secrets reach only a job that names \
             the `environment:`; a pull request from a fork gets no secrets).",
            Count("changed secret", names.len()),
            named(&names)
        ),
    ))
}

/// "A, B and C", or the first [`NAMED`] and how many more.
fn named(names: &[&str]) -> String {
    if names.len() <= NAMED {
        return List::and(names).to_string();
    }
    let (shown, rest) = names.split_at(NAMED);
    format!("{} and {} more", List::comma(shown), rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::outcome::Comparison;

    fn report(skip: Option<SkipReason>, names: &[&str]) -> Report {
        Report {
            skip,
            comparisons: names
                .iter()
                .map(|n| (n.to_string(), Comparison::Changed))
                .chain([("SAME".to_owned(), Comparison::Unchanged)])
                .collect(),
            ..Report::default()
        }
    }

    #[test]
    fn the_no_token_notice_names_the_input_and_what_was_not_written() {
        let (title, message) =
            no_token(&report(Some(SkipReason::NoToken), &["A", "B"])).expect("a notice");
        assert_eq!(title, "nothing written: no token");
        assert!(
            message.starts_with(
                "`token` is empty (and neither `app-id` nor `sts-url` is given), so 2 changed \
                 secrets were not written: A and B. If a token was meant: check the secret's name in \
                 `token: ${{ secrets.NAME }}`"
            ),
            "{message}"
        );
        assert!(!message.contains("SAME"), "{message}");
        let many: Vec<String> = (1..=12).map(|i| format!("S{i}")).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        let (_, message) = no_token(&report(Some(SkipReason::NoToken), &many)).expect("notice");
        assert!(
            message.contains("S1, S2, S3, S4, S5, S6, S7, S8, S9, S10 and 2 more."),
            "{message}"
        );
        // Only without a token, and only when something changed.
        assert_eq!(no_token(&report(Some(SkipReason::DryRun), &["A"])), None);
        assert_eq!(no_token(&report(Some(SkipReason::NoToken), &[])), None);
    }
}
