//! What a preflight found, as data ([`Preflight`]: per target, whether and how the token was
//! proven to write, and what is stored), and its rendering: the log's lines and annotations,
//! the step summary, the `stored-at` output. Nothing here decides or holds a value.

use crate::cancel::Signal;
use crate::config::stored_at::StoredAt;
use crate::output::escape::{md_cell, md_text};
use crate::output::reporter::Reporter;
use crate::output::words::Count;
use crate::target::Target;

/// How the token was proven to write a target's secrets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// A classic token's scope (`repo`, `admin:org`), as GitHub's `X-OAuth-Scopes` said it.
    Scope(&'static str),
    /// The permission GitHub granted the GitHub App's installation token, as the mint's answer
    /// said it (`secrets`, `environments`, …, at `write`).
    Granted(&'static str),
    /// A throwaway secret of this name was written, and deleted again.
    Throwaway(String),
}

impl Evidence {
    /// What proved it, for people.
    pub fn describe(&self) -> String {
        match self {
            Evidence::Scope(scope) => format!("the token has the `{scope}` scope"),
            Evidence::Granted(permission) => {
                format!("GitHub granted the app's token `{permission}: write`")
            }
            Evidence::Throwaway(name) => {
                format!("a throwaway secret ({name}) was written and deleted")
            }
        }
    }

    /// The same, for the headline: how every target was proven.
    fn how(&self) -> &'static str {
        match self {
            Evidence::Scope(_) => "proven by the token's scopes",
            Evidence::Granted(_) => "proven by the permissions GitHub granted the app's token",
            Evidence::Throwaway(_) => "proven by a throwaway secret written and deleted in each",
        }
    }
}

/// Why something failed preflight: the cause and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub cause: String,
    pub fix: String,
}

impl Problem {
    pub fn new(cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Problem {
            cause: cause.into(),
            fix: fix.into(),
        }
    }
}

/// One target's preflight.
#[derive(Debug, Clone)]
pub struct TargetCheck {
    pub target: Target,
    /// Proven to write, and how; or why not.
    pub write: Result<Evidence, Problem>,
    /// How many secrets the target holds (its listing), when it was read.
    pub stored: Option<usize>,
}

/// A whole preflight: every target checked (in order), or what stopped it.
#[derive(Debug, Default)]
pub struct Preflight {
    pub targets: Vec<TargetCheck>,
    /// What stopped the preflight before every target was checked (no token, the credential
    /// refused, a pattern that matches nothing, a token that expires within the job).
    pub fatal: Option<Problem>,
    /// Said, not failing (an installation token's hour).
    pub warnings: Vec<(String, String)>,
    /// What is stored, per target whose listing was read: the `stored-at` output.
    pub stored_at: StoredAt,
    pub requests: u64,
    /// The signal that stopped it, if one came.
    pub cancelled: Option<Signal>,
    /// Whether the GitHub App's installation token minted for it was revoked; `None` when
    /// none was minted.
    pub revoked: Option<bool>,
}

impl Preflight {
    /// Every target proven, nothing stopped it.
    pub fn passed(&self) -> bool {
        self.fatal.is_none()
            && self.cancelled.is_none()
            && !self.targets.is_empty()
            && self.targets.iter().all(|t| t.write.is_ok())
    }

    /// The targets that cannot be written.
    fn failed(&self) -> usize {
        self.targets.iter().filter(|t| t.write.is_err()).count()
    }
}

/// One sentence: passed (how, at what cost) or failed (what to do).
pub fn headline(p: &Preflight) -> String {
    let n = Count("target", p.targets.len());
    let requests = Count("request", p.requests);
    if let Some(signal) = p.cancelled {
        return format!(
            "Preflight cancelled by {}: nothing was written ({requests} to GitHub); the token was \
             not proven to write.",
            signal.name()
        );
    }
    if p.passed() {
        let how = p
            .targets
            .first()
            .and_then(|t| t.write.as_ref().ok())
            .map(Evidence::how)
            .unwrap_or_default();
        return format!(
            "Preflight passed: the token can write the secrets of {n} ({how}); {requests} to \
             GitHub, no value written."
        );
    }
    let what = if p.fatal.is_some() {
        "the token could not be proven to write".to_owned()
    } else {
        format!("the token cannot write {} of {n}", p.failed())
    };
    format!(
        "Preflight failed: {what} ({requests} to GitHub, no value written). Stop the job here, \
         before the tests refresh a value that could not be stored."
    )
}

/// Lines and annotations for the log: each target, what stopped the preflight, the headline.
pub fn print(p: &Preflight, reporter: &mut Reporter) {
    for (title, message) in &p.warnings {
        reporter.warning(title, message);
    }
    if let Some(fatal) = &p.fatal {
        reporter.error("preflight", &format!("{}\nFix: {}", fatal.cause, fatal.fix));
    }
    for t in &p.targets {
        match &t.write {
            Ok(evidence) => reporter.info(&format!(
                "{}: can write ({}){}",
                t.target,
                evidence.describe(),
                stored(t.stored)
            )),
            Err(problem) => reporter.error(
                &format!("preflight: {}", t.target),
                &format!(
                    "cannot write the secrets of {}: {}\nFix: {}",
                    t.target, problem.cause, problem.fix
                ),
            ),
        }
    }
    reporter.info(&headline(p));
}

/// "; 3 secrets stored", when the listing was read.
fn stored(count: Option<usize>) -> String {
    count
        .map(|n| format!("; {} stored", Count("secret", n)))
        .unwrap_or_default()
}

/// The markdown step summary.
pub fn summary(p: &Preflight) -> String {
    let mut md = String::from("### Secret refresh: preflight\n\n");
    md.push_str(&md_text(&headline(p)));
    md.push_str("\n\n");
    if let Some(fatal) = &p.fatal {
        md.push_str(&format!(
            "**Stopped:** {} Fix: {}\n\n",
            md_text(&fatal.cause),
            md_text(&fatal.fix)
        ));
    }
    if !p.targets.is_empty() {
        md.push_str("| Target | Can write | Secrets stored |\n| --- | --- | --- |\n");
        for t in &p.targets {
            let write = match &t.write {
                Ok(e) => format!("yes: {}", e.describe()),
                Err(problem) => format!("**no**: {} Fix: {}", problem.cause, problem.fix),
            };
            let count = t
                .stored
                .map(|n| n.to_string())
                .unwrap_or_else(|| "?".into());
            md.push_str(&format!(
                "| `{}` | {} | {count} |\n",
                md_cell(&t.target.to_string()),
                md_cell(&write)
            ));
        }
        md.push('\n');
    }
    md
}

/// The step outputs: `stored-at`, what was seen of each target whose listing was read.
pub fn outputs(p: &Preflight) -> Vec<(&'static str, String)> {
    vec![("stored-at", p.stored_at.to_json())]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{App, Repo};

    fn target(name: &str) -> Target {
        Target::Repo {
            repo: Repo::parse(name).expect("repo"),
            app: App::Actions,
        }
    }

    #[test]
    fn the_headline_says_how_it_was_proven_or_what_to_do() {
        let mut p = Preflight {
            targets: vec![TargetCheck {
                target: target("acme/api"),
                write: Ok(Evidence::Scope("repo")),
                stored: Some(2),
            }],
            requests: 2,
            ..Preflight::default()
        };
        assert!(p.passed());
        assert_eq!(
            headline(&p),
            "Preflight passed: the token can write the secrets of 1 target (proven by the \
             token's scopes); 2 requests to GitHub, no value written."
        );
        p.targets.push(TargetCheck {
            target: target("acme/web"),
            write: Err(Problem::new(
                "GitHub answered 403",
                "give it the permission",
            )),
            stored: None,
        });
        assert!(!p.passed());
        assert!(headline(&p).starts_with("Preflight failed: the token cannot write 1 of 2 targets"));
        p.cancelled = Some(Signal::Terminate);
        assert!(headline(&p).starts_with("Preflight cancelled by SIGTERM"));
        assert!(!Preflight::default().passed(), "no target proves nothing");
    }
}
