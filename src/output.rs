//! Everything the tool says to people and to the runner goes through [`Reporter`]: workflow
//! commands in action mode (masks, annotations), plain lines at a terminal. Writers are injected
//! so tests capture them.

use std::io::{self, Write};

use crate::secret::SecretValue;

/// Lines of a multi-line value shorter than this are not masked on their own: masking `}` or
/// `--` would blank out every such string in the log without protecting anything.
pub const MIN_MASKED_LINE: usize = 4;

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
    out: Box<dyn Write + Send>,
    err: Box<dyn Write + Send>,
    /// Whether anything other than a mask was printed yet (masks must come first).
    printed: bool,
}

/// Escapes the data of a workflow command as the runner parses it.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command (`title=`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Reporter {
    pub fn new(mode: Mode, out: Box<dyn Write + Send>, err: Box<dyn Write + Send>) -> Self {
        Self {
            mode,
            out,
            err,
            printed: false,
        }
    }

    pub fn stdio(mode: Mode) -> Self {
        Self::new(mode, Box::new(io::stdout()), Box::new(io::stderr()))
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn is_action(&self) -> bool {
        self.mode == Mode::Action
    }

    /// Registers a value with the runner's masker: the whole value, and each line of a multi-line
    /// value. Outside a runner nothing is printed (a terminal has no masker, and printing the
    /// value to mask it would show it).
    pub fn mask(&mut self, value: &SecretValue) {
        if self.mode != Mode::Action || value.expose().trim().is_empty() {
            return;
        }
        debug_assert!(!self.printed, "a mask was registered after other output");
        let v = value.expose();
        let _ = writeln!(self.out, "::add-mask::{}", escape_data(v));
        if v.contains('\n') || v.contains('\r') {
            for line in v.split(['\n', '\r']) {
                let line = line.trim();
                if line.len() >= MIN_MASKED_LINE && line != v {
                    let _ = writeln!(self.out, "::add-mask::{}", escape_data(line));
                }
            }
        }
        let _ = self.out.flush();
    }

    /// Registers a value created during the run (a minted installation token) with the
    /// runner's masker, as soon as it exists. Unlike [`Reporter::mask`] this may come after
    /// other output: nothing printed before can contain a value that did not exist yet.
    pub fn mask_new(&mut self, value: &SecretValue) {
        let printed = self.printed;
        self.printed = false;
        self.mask(value);
        self.printed = printed;
    }

    /// An informational line (stdout).
    pub fn info(&mut self, line: &str) {
        self.printed = true;
        let _ = writeln!(self.out, "{line}");
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
        match self.mode {
            Mode::Action => {
                let props = if title.is_empty() {
                    String::new()
                } else {
                    format!(" title={}", escape_property(title))
                };
                let _ = writeln!(self.out, "::{level}{props}::{}", escape_data(message));
            }
            Mode::Human { color } => {
                let label = match (level, color) {
                    ("error", true) => "\x1b[1;31merror\x1b[0m",
                    ("warning", true) => "\x1b[1;33mwarning\x1b[0m",
                    ("notice", true) => "\x1b[1;36mnote\x1b[0m",
                    ("notice", false) => "note",
                    (l, _) => l,
                };
                let _ = writeln!(self.err, "{label}: {message}");
            }
        }
    }

    /// Text for standard output as it is (tables, JSON).
    pub fn raw(&mut self, text: &str) {
        self.printed = true;
        let _ = self.out.write_all(text.as_bytes());
        let _ = self.out.flush();
    }

    /// Text for standard error as it is (progress, prompts).
    pub fn raw_err(&mut self, text: &str) {
        let _ = self.err.write_all(text.as_bytes());
        let _ = self.err.flush();
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }
}

/// Writes `name=value` pairs to `$GITHUB_OUTPUT` in the runner's multi-line file syntax:
/// `name<<DELIM`, the value, `DELIM`, with a delimiter that does not occur in the value.
pub fn write_outputs(path: &std::path::Path, outputs: &[(&str, String)]) -> io::Result<()> {
    let mut text = String::new();
    for (name, value) in outputs {
        let mut delim = format!("ghadelimiter_{}", rand::random::<u64>());
        while value.contains(&delim) {
            delim = format!("ghadelimiter_{}", rand::random::<u64>());
        }
        text.push_str(&format!("{name}<<{delim}\n{value}\n{delim}\n"));
    }
    append(path, &text)
}

/// Appends to a file the runner gave us (`$GITHUB_OUTPUT`, `$GITHUB_STEP_SUMMARY`).
pub fn append(path: &std::path::Path, text: &str) -> io::Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// Parses a `$GITHUB_OUTPUT` file as the runner does (both `name=value` and heredoc forms).
pub fn parse_outputs(text: &str) -> Vec<(String, String)> {
    let mut result = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            result.push((name.to_owned(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            result.push((name.to_owned(), value.to_owned()));
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(
            out.text(),
            "::add-mask::50%25%0D%0Asecond line%0A}\n::add-mask::second line\n"
        );
    }

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

    #[test]
    fn outputs_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out");
        write_outputs(&path, &[("a", "1".into()), ("b", "x\ny".into())]).expect("write");
        assert_eq!(
            parse_outputs(&std::fs::read_to_string(&path).expect("read")),
            [
                ("a".to_owned(), "1".to_owned()),
                ("b".to_owned(), "x\ny".to_owned())
            ]
        );
    }
}
