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
//! - control and invisible characters are removed ([`invisible`]: ESC, bare `\r`, C1, bidi
//!   controls, zero-width and tag characters, line separators); only the colour codes this tool
//!   itself writes survive, and only when colour is on. Server text loses them where it enters
//!   ([`redact::cut`]), before it is redacted, so a secret split by them is found whole;
//! - no line can start a workflow command (`::`) and no line holds a legacy `##[` command;
//! - workflow-command data is escaped as the runner defines it (`%`, `\r`, `\n`);
//! - summary text is HTML-escaped, table cells and code spans cannot be closed from inside.
//!
//! Writers are injected so tests capture them. Nothing else in the crate writes to standard
//! output or error (`tests/architecture.rs` checks the sources).

pub mod escape;
pub mod files;
pub mod invisible;
pub mod matcher;
pub mod progress_bar;
pub mod redact;
pub mod reporter;
pub mod sink;
pub mod words;
