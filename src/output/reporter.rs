//! The [`Reporter`]: what the tool says to people and to the runner. In action mode, workflow
//! commands on standard output (masks first, then annotations); at a terminal or in a pipe,
//! plain lines, diagnostics on standard error. Also [`print`], for the commands' tables. Every
//! text goes through [`clean`] first, and leaves through a [`Sink`], which redacts it last.

use std::io::Write;

use super::escape::{clean, escape_data, escape_property};
use super::redact::{know, mask_parts, token_parts};
use super::sink::Sink;
use crate::secret::SecretValue;

/// How output is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Inside a GitHub Actions runner: workflow commands on stdout.
    Action,
    /// A person at a terminal or a pipe: plain text, diagnostics on stderr.
    Human { color: bool },
}

pub struct Reporter {
    mode: Mode,
    out: Sink,
    err: Sink,
    /// Whether anything other than a mask was printed yet (masks must come first).
    printed: bool,
}

impl Reporter {
    pub fn new(mode: Mode, out: Box<dyn Write + Send>, err: Box<dyn Write + Send>) -> Self {
        Self {
            mode,
            out: Sink::writer(out),
            err: Sink::writer(err),
            printed: false,
        }
    }

    pub fn stdio(mode: Mode) -> Self {
        use crate::env::Which;
        Self {
            mode,
            out: Sink::std(Which::Out),
            err: Sink::std(Which::Err),
            printed: false,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn is_action(&self) -> bool {
        self.mode == Mode::Action
    }

    /// Registers a value with the runner's masker: the whole value, and each line of a multi-line
    /// value, each only when [`maskable`]. In every mode the value is also redacted from all
    /// later output ([`know`]). Outside a runner no mask is printed (a terminal has no masker,
    /// and printing the value to mask it would show it).
    pub fn mask(&mut self, value: &SecretValue) {
        know(value);
        if self.mode != Mode::Action {
            return;
        }
        debug_assert!(!self.printed, "a mask was registered after other output");
        for part in mask_parts(value.expose()) {
            self.out.put_mask(part);
        }
    }

    /// [`Reporter::mask`] for a token: the whole, then each long dot-separated part of it on its
    /// own ([`token_parts`]), so a stateless installation token logged in pieces is still
    /// hidden. Every part is also redacted from our own output.
    pub fn mask_token(&mut self, token: &SecretValue) {
        self.mask(token);
        for part in token_parts(token.expose()) {
            self.mask(&SecretValue::from(part));
        }
    }

    /// Registers a token created during the run (a minted installation token) with the
    /// runner's masker as [`Reporter::mask_token`] does, as soon as it exists. Unlike
    /// [`Reporter::mask`] this may come after other output: nothing printed before can contain
    /// a value that did not exist yet.
    pub fn mask_new(&mut self, value: &SecretValue) {
        let printed = self.printed;
        self.printed = false;
        self.mask_token(value);
        self.printed = printed;
    }

    /// An informational line (stdout).
    pub fn info(&mut self, line: &str) {
        self.printed = true;
        self.out.put(&format!("{}\n", clean(line, false)));
    }

    /// Whether colour codes are written (a terminal, without `NO_COLOR`).
    fn colour(&self) -> bool {
        matches!(self.mode, Mode::Human { color: true })
    }

    /// An error annotation in action mode; `error: …` on stderr otherwise.
    pub fn error(&mut self, title: &str, message: &str) {
        self.annotate("error", title, message);
    }

    pub fn warning(&mut self, title: &str, message: &str) {
        self.annotate("warning", title, message);
    }

    pub fn notice(&mut self, title: &str, message: &str) {
        self.annotate("notice", title, message);
    }

    fn annotate(&mut self, level: &str, title: &str, message: &str) {
        self.printed = true;
        let message = clean(message, false);
        match self.mode {
            Mode::Action => {
                let props = if title.is_empty() {
                    String::new()
                } else {
                    format!(" title={}", escape_property(&clean(title, false)))
                };
                self.out
                    .put(&format!("::{level}{props}::{}\n", escape_data(&message)));
            }
            Mode::Human { color } => {
                let label = match (level, color) {
                    ("error", true) => "\x1b[1;31merror\x1b[0m",
                    ("warning", true) => "\x1b[1;33mwarning\x1b[0m",
                    ("notice", true) => "\x1b[1;36mnote\x1b[0m",
                    ("notice", false) => "note",
                    (l, _) => l,
                };
                self.err.put(&format!("{label}: {message}\n"));
            }
        }
    }

    /// Text for standard output as it is (tables, JSON).
    pub fn raw(&mut self, text: &str) {
        self.printed = true;
        let colour = self.colour();
        self.out.put(&clean(text, colour));
    }

    /// Text for standard error as it is (progress, prompts).
    pub fn raw_err(&mut self, text: &str) {
        let colour = self.colour();
        self.err.put(&clean(text, colour));
    }

    pub fn flush(&mut self) {
        self.out.flush();
        self.err.flush();
    }
}

/// Writes text to standard output through the output layer (tables, JSON, reports).
pub fn print(text: &str, colour: bool) {
    super::sink::write(crate::env::Which::Out, &clean(text, colour));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::redact::{know_token, redact};
    use std::io;
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0
                .lock()
                .map_err(|_| io::ErrorKind::Other)?
                .extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Buf {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().map(|b| b.clone()).unwrap_or_default())
                .unwrap_or_default()
        }
    }

    #[test]
    fn masks_escape_and_cover_lines() {
        let out = Buf::default();
        let mut r = Reporter::new(Mode::Action, Box::new(out.clone()), Box::new(io::sink()));
        r.mask(&SecretValue::from("50%\r\nsecond line\n}"));
        r.mask(&SecretValue::from("   "));
        r.mask(&SecretValue::from("="));
        r.mask(&SecretValue::from("=="));
        r.mask(&SecretValue::from("===="));
        r.mask(&SecretValue::from("abc"));
        r.mask(&SecretValue::from("ab\n=\n \n----\nline two"));
        assert_eq!(
            out.text(),
            "::add-mask::50%25%0D%0Asecond line%0A}\n::add-mask::second line\n\
             ::add-mask::ab%0A=%0A %0A----%0Aline two\n::add-mask::line two\n"
        );
    }

    #[test]
    fn a_token_with_dots_is_masked_whole_and_by_each_long_part() {
        let out = Buf::default();
        let mut r = Reporter::new(Mode::Action, Box::new(out.clone()), Box::new(io::sink()));
        let (body, sig) = ("eyJhbGciOiJSUzI1NiJ9-_", "c2lnbmF0dXJlLXBhcnQtMDEyMw");
        let token = format!("ghs_4242.{body}.short.{sig}");
        r.mask_new(&SecretValue::from(token.as_str()));
        // The public prefix and a short part are not masked on their own.
        assert_eq!(
            out.text(),
            format!("::add-mask::{token}\n::add-mask::{body}\n::add-mask::{sig}\n")
        );
        assert_eq!(token_parts(&token), [body, sig]);
        // A token without dots is registered whole only.
        assert!(token_parts("ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789").is_empty());
        // A repeated part is registered once; one of 15 characters is not.
        assert_eq!(
            token_parts("a.0123456789abcdef.0123456789abcdef.0123456789abcde"),
            ["0123456789abcdef"]
        );
        // The parts are redacted from our own output too.
        assert_eq!(redact(&format!("part {sig} here")), "part *** here");
    }

    /// On a command line there is no runner to mask: the parts of a token with dots are
    /// redacted from everything printed, as its whole is.
    #[test]
    fn a_token_known_on_a_command_line_is_redacted_by_its_long_parts_too() {
        let sig = "Y29tbWFuZC1saW5lLXBhcnQtNDI0Mg";
        let token = format!("ghs_77.eyJjbGkiOiJ0ZXN0In0.{sig}");
        let out = Buf::default();
        let mut r = Reporter::new(
            Mode::Human { color: false },
            Box::new(out.clone()),
            Box::new(io::sink()),
        );
        know_token(&SecretValue::from(token.as_str()));
        r.info(&format!("GitHub said: bad signature {sig}"));
        assert_eq!(out.text(), "GitHub said: bad signature ***\n");
    }

    #[test]
    fn known_secrets_are_redacted_in_every_mode() {
        let err = Buf::default();
        let mut r = Reporter::new(
            Mode::Human { color: false },
            Box::new(io::sink()),
            Box::new(err.clone()),
        );
        r.mask(&SecretValue::from("ghp_redact_me_0123456789"));
        r.error(
            "",
            "GitHub said: ghp_redact_me_0123456789 is bad; ghp_redact\x1b_me_0123456789",
        );
        assert_eq!(err.text(), "error: GitHub said: *** is bad; ***\n");
        know(&SecretValue::from("=="));
        assert_eq!(redact("a==b"), "a==b", "a trivial string is never redacted");
    }

    /// Nothing but `env` touches standard output or error or reads the environment: a run
    /// sees only the streams and the environment `run` was given.
    #[test]
    fn human_mode_never_prints_masks() {
        let out = Buf::default();
        let mut r = Reporter::new(
            Mode::Human { color: false },
            Box::new(out.clone()),
            Box::new(io::sink()),
        );
        r.mask(&SecretValue::from("hunter2"));
        assert_eq!(out.text(), "");
    }

    #[test]
    fn annotations_escape_properties() {
        let out = Buf::default();
        let mut r = Reporter::new(Mode::Action, Box::new(out.clone()), Box::new(io::sink()));
        r.error("a: b, c", "line1\nline2 100%");
        assert_eq!(
            out.text(),
            "::error title=a%3A b%2C c::line1%0Aline2 100%25\n"
        );
    }
}
