//! Asking before going on, on a terminal: `delete`'s confirmation and the question before a
//! large blast radius (`set`, `sync`, `rotate`: more than [`ASK_ABOVE`] targets, or targets
//! from a pattern). One way to ask: the question on standard output, the answer one line of
//! standard input. Without a terminal nothing is asked; `--yes` and `--dry-run` skip it.

use super::Error;
use crate::output::words::Count;
use crate::target::Target;

/// More targets than this (or any from a pattern) is a large blast radius.
pub const ASK_ABOVE: usize = 10;

/// How many targets the plan names before "and N more".
const SHOWN: usize = 5;

/// Whether a person can be asked: standard input and standard error are a terminal.
pub fn terminal() -> bool {
    crate::env::stdin_is_terminal() && crate::env::is_terminal(crate::env::Which::Err)
}

/// The answer to a question could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read the answer at the terminal: {0}")]
pub struct ConfirmError(std::io::Error);

/// Prints `question` and reads one line; `true` when it is one of `accept` (any case).
pub fn ask(question: &str, accept: &[&str]) -> Result<bool, ConfirmError> {
    super::print(question);
    let answer = crate::env::read_line().map_err(ConfirmError)?;
    let answer = answer.trim();
    Ok(accept.iter().any(|a| answer.eq_ignore_ascii_case(a)))
}

/// The write was not confirmed.
#[derive(Debug, thiserror::Error)]
#[error("not confirmed: nothing was written")]
pub struct NotConfirmed;

/// Before writing to `targets`: on a terminal, without `--yes` or `--dry-run`, a large blast
/// radius (more than [`ASK_ABOVE`] targets, or `from_pattern`) prints the plan and asks. Any
/// answer but `y`/`yes` is a usage error (exit 2, as `delete`'s refusal): nothing was written.
pub fn blast_radius(
    what: &str,
    targets: &[Target],
    from_pattern: bool,
    yes: bool,
    dry_run: bool,
) -> Result<(), Error> {
    if yes || dry_run || !(from_pattern || targets.len() > ASK_ABOVE) || !terminal() {
        return Ok(());
    }
    super::print(&plan(what, targets));
    let question = format!("Write to {}? [y/N] ", Count("target", targets.len()));
    match ask(&question, &["y", "yes"]) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::usage(NotConfirmed)),
        Err(e) => Err(Error::usage_then(e, "; nothing was written")),
    }
}

/// "Plan: write NAME to 12 targets:", the first [`SHOWN`], then "and N more".
fn plan(what: &str, targets: &[Target]) -> String {
    let mut text = format!(
        "Plan: write {what} to {}:\n",
        Count("target", targets.len())
    );
    for t in targets.iter().take(SHOWN) {
        text.push_str(&format!("  {t}\n"));
    }
    if targets.len() > SHOWN {
        text.push_str(&format!("  and {} more\n", targets.len() - SHOWN));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{App, Repo};

    fn targets(n: usize) -> Vec<Target> {
        (1..=n)
            .map(|i| Target::Repo {
                repo: Repo::parse(&format!("acme/r{i}")).unwrap_or_else(|| panic!("{i}")),
                app: App::Actions,
            })
            .collect()
    }

    #[test]
    fn the_plan_names_the_first_five_and_counts_the_rest() {
        assert_eq!(
            plan("PAT", &targets(12)),
            "Plan: write PAT to 12 targets:\n  acme/r1\n  acme/r2\n  acme/r3\n  acme/r4\n  \
             acme/r5\n  and 7 more\n"
        );
        assert_eq!(
            plan("PAT", &targets(2)),
            "Plan: write PAT to 2 targets:\n  acme/r1\n  acme/r2\n"
        );
    }
}
