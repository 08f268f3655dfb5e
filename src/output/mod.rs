//! The one output layer. Everything the tool says to people and to the runner goes through
//! here: [`reporter::Reporter`] (workflow commands in action mode, plain lines at a terminal),
//! [`reporter::print`] for the commands' tables, [`escape::md_cell`] / [`escape::md_text`] for
//! the step summary, [`files`] for the runner's output and summary files,
//! [`progress_bar::ProgressBar`] on a terminal, and [`words`] for counts and lists.
//!
//! Strings from outside (names and messages the server sends, error bodies) reach these
//! functions inside our own text, so every text is made safe here, whoever built it:
//! - known secrets (every value and token registered with [`redact::know`] or
//!   [`reporter::Reporter::mask`]) are replaced by `***`, in every mode;
//! - control characters are removed (ESC, bare `\r`, C1, bidi overrides, line separators); only
//!   the colour codes this tool itself writes survive, and only when colour is on;
//! - no line can start a workflow command (`::`) and no line holds a legacy `##[` command;
//! - workflow-command data is escaped as the runner defines it (`%`, `\r`, `\n`);
//! - summary text is HTML-escaped, table cells and code spans cannot be closed from inside.
//!
//! Writers are injected so tests capture them. Nothing else in the crate writes to standard
//! output or error (a unit test below checks the sources).

pub mod escape;
pub mod files;
pub mod progress_bar;
pub mod redact;
pub mod reporter;
pub mod words;

#[cfg(test)]
mod tests {
    #[test]
    fn only_env_touches_the_process_streams_and_environment() {
        // main.rs hands the process's own to `run`.
        let src = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
        let allowed = [src.join("env/mod.rs"), src.join("main.rs")];
        let mut offenders = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src"
        ))];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if allowed.contains(&path) {
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                for (i, line) in text.lines().enumerate() {
                    let touching = [
                        "println!",
                        "print!(",
                        "eprintln!",
                        "eprint!(",
                        "dbg!(",
                        "io::stdout()",
                        "io::stderr()",
                        "std::env::var",
                        "std::env::args",
                        "std::env::set_var",
                        "std::env::remove_var",
                        "use std::env",
                    ]
                    .iter()
                    .any(|m| line.contains(m))
                        && !line.contains("ProgressDrawTarget::stderr()")
                        // this test's own list
                        && !line.trim_start().starts_with('"');
                    if touching {
                        offenders.push(format!("{}:{}: {line}", path.display(), i + 1));
                    }
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:#?}");
    }
}
