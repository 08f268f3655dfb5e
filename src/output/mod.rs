//! The one output layer. Everything the tool says to people and to the runner goes through
//! here: [`Reporter`] (workflow commands in action mode, plain lines at a terminal), [`print`]
//! for the commands' tables, and [`md_cell`] / [`md_text`] for the step summary.
//!
//! Strings from outside (names and messages the server sends, error bodies) reach these
//! functions inside our own text, so every text is made safe here, whoever built it:
//! - known secrets (every value and token registered with [`know`] or [`Reporter::mask`]) are
//!   replaced by `***`, in every mode;
//! - control characters are removed (ESC, bare `\r`, C1, bidi overrides, line separators); only
//!   the colour codes this tool itself writes survive, and only when colour is on;
//! - no line can start a workflow command (`::`) and no line holds a legacy `##[` command;
//! - workflow-command data is escaped as the runner defines it (`%`, `\r`, `\n`);
//! - summary text is HTML-escaped, table cells and code spans cannot be closed from inside.
//!
//! Writers are injected so tests capture them. Nothing else in the crate writes to standard
//! output or error (a unit test below checks the sources).

pub mod words;

use std::io::{self, Write};

use crate::secret::SecretValue;

/// Strings shorter than this (in characters, once trimmed) are never registered as a mask nor
/// redacted: masking `}`, `=` or `--` would blank out every such string in the log without
/// protecting anything.
pub const MIN_MASKED_LINE: usize = 4;

/// GitHub drops a step summary over 1 MiB; ours stays under this.
pub const MAX_SUMMARY_BYTES: usize = 1000 * 1024;

/// Is `s` worth a mask? Not when, trimmed, it is shorter than [`MIN_MASKED_LINE`] characters or
/// one character repeated (`====`, `    `): such a mask protects nothing and blanks the log.
pub fn maskable(s: &str) -> bool {
    let t = s.trim();
    let mut chars = t.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    t.chars().count() >= MIN_MASKED_LINE && chars.any(|c| c != first)
}

/// The parts of a value that are masked and redacted: the whole value and each line of a
/// multi-line value, each only when [`maskable`].
fn mask_parts(v: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    if maskable(v) {
        parts.push(v);
    }
    if v.contains(['\n', '\r']) {
        for line in v.split(['\n', '\r']) {
            let line = line.trim();
            if maskable(line) && line != v && !parts.contains(&line) {
                parts.push(line);
            }
        }
    }
    parts
}

/// The shortest dot-separated part of a token that is masked on its own ([`token_parts`]).
///
/// A stateless installation token (`ghs_`, the app id, then a JWT-like body: about 520
/// characters with dots) may be logged in pieces, by another step or tool that splits it on its
/// dots as JWT tools do, and the runner masks only whole registered strings. A part of 16
/// characters or more from a base64url alphabet carries about 96 bits or more: on its own it is
/// token material worth hiding, and a string that long and random will not occur in ordinary
/// log text, so masking it cannot blank anything else. Shorter parts are the public prefix
/// (`ghs_` and the app id, which the workflow names anyway) or too short to be worth anything
/// alone, and the runner would blank every occurrence of such a short string across the log.
pub const MIN_TOKEN_PART: usize = 16;

/// Of a token with dots, each dot-separated part that is masked (and redacted) on its own:
/// at least [`MIN_TOKEN_PART`] characters and [`maskable`]. Empty for a token without dots
/// (classic and fine-grained PATs), whose whole is registered as it is.
pub fn token_parts(token: &str) -> Vec<&str> {
    let token = token.trim();
    if !token.contains('.') {
        return Vec::new();
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in token.split('.') {
        if part.chars().count() >= MIN_TOKEN_PART && maskable(part) && !parts.contains(&part) {
            parts.push(part);
        }
    }
    parts
}

/// Every secret known outside a run ([`crate::env::Scope`]), for redaction; a run keeps its own.
static KNOWN: std::sync::Mutex<Vec<SecretValue>> = std::sync::Mutex::new(Vec::new());

/// Runs `f` on the secrets the current run knows (outside a run, the process's).
fn with_known<R>(f: impl FnOnce(&mut Vec<SecretValue>) -> R) -> Option<R> {
    let mut f = Some(f);
    if let Some(r) = crate::env::with_known(|k| f.take().map(|f| f(k))) {
        return r;
    }
    let f = f.take()?;
    KNOWN.lock().ok().map(|mut k| f(&mut k))
}

/// Registers a secret for redaction in everything printed from now on, in every mode.
pub fn know(value: &SecretValue) {
    if mask_parts(value.expose()).is_empty() {
        return;
    }
    with_known(|known| {
        if !known.iter().any(|k| k.ct_eq(value)) {
            known.push(value.clone());
        }
    });
}

/// [`know`] for a token: the whole, and each long dot-separated part on its own
/// ([`token_parts`]), so a stateless installation token printed in pieces is redacted too, in
/// every mode (the action also registers the parts with the runner: [`Reporter::mask_token`]).
pub fn know_token(token: &SecretValue) {
    know(token);
    for part in token_parts(token.expose()) {
        know(&SecretValue::from(part));
    }
}

/// Replaces every known secret (and each maskable line of one) in `text` with `***`.
pub fn redact(text: &str) -> String {
    with_known(|known| {
        let mut out = text.to_owned();
        let mut parts: Vec<&str> = known.iter().flat_map(|k| mask_parts(k.expose())).collect();
        // Longest first, so a line of a value never splits the whole value.
        parts.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for p in parts {
            if out.contains(p) {
                out = out.replace(p, "***");
            }
        }
        redact_fragments(&out, known)
    })
    .unwrap_or_else(|| text.to_owned())
}

/// The shortest run of a known secret that is redacted on its own: a server may echo part of a
/// credential (the signature of the App's JWT, a cut token), not the whole of it.
const FRAGMENT: usize = 32;
/// Secrets longer than this are redacted whole and by line only (values up to 48 KB).
const MAX_FRAGMENTED: usize = 4096;

/// Replaces every run of `text` made of [`FRAGMENT`]-byte pieces of a known secret with `***`.
fn redact_fragments(text: &str, known: &[SecretValue]) -> String {
    let windows: std::collections::HashSet<&[u8]> = known
        .iter()
        .map(|k| k.expose().as_bytes())
        .filter(|k| k.len() >= FRAGMENT && k.len() <= MAX_FRAGMENTED)
        .flat_map(|k| k.windows(FRAGMENT))
        .collect();
    let bytes = text.as_bytes();
    if windows.is_empty() || bytes.len() < FRAGMENT {
        return text.to_owned();
    }
    let mut covered = vec![false; bytes.len()];
    for (i, w) in bytes.windows(FRAGMENT).enumerate() {
        if windows.contains(w) && text.is_char_boundary(i) && text.is_char_boundary(i + FRAGMENT) {
            for c in covered.iter_mut().skip(i).take(FRAGMENT) {
                *c = true;
            }
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(rest) = text.get(i..) {
        let Some(ch) = rest.chars().next() else { break };
        if covered.get(i).copied().unwrap_or(false) {
            while covered.get(i).copied().unwrap_or(false) {
                i += 1;
            }
            out.push_str("***");
        } else {
            out.push(ch);
            i += ch.len_utf8();
        }
    }
    out
}

/// The colour codes this tool writes itself (labels and table rows).
const OUR_COLOURS: [&str; 7] = [
    "\x1b[0m",
    "\x1b[31m",
    "\x1b[32m",
    "\x1b[33m",
    "\x1b[1;31m",
    "\x1b[1;33m",
    "\x1b[1;36m",
];

/// A character that never reaches the log: C0 controls but `\n` and `\t`, DEL, C1, bidi
/// overrides and isolates, line and paragraph separators, and the byte-order mark.
fn is_unsafe_char(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{200E}' | '\u{200F}')
}

/// Removes unsafe characters; with `colour`, keeps this tool's own colour codes.
fn strip_controls(text: &str, colour: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if colour && c == '\x1b' {
            if let Some(code) = OUR_COLOURS.iter().find(|code| rest.starts_with(**code)) {
                out.push_str(code);
                rest = &rest[code.len()..];
                continue;
            }
        }
        if !is_unsafe_char(c) {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// No line starts a workflow command (`::…` after blanks) or holds a legacy `##[` command.
fn guard_line(line: &str) -> String {
    let line = line.replace("##[", "## [");
    let blanks = line.len() - line.trim_start().len();
    if line[blanks..].starts_with("::") {
        format!("{}: :{}", &line[..blanks], &line[blanks + 2..])
    } else {
        line
    }
}

/// Makes text safe to print as lines: redacted, control characters removed, every line
/// guarded. Keeps this tool's colour codes when `colour` is on.
pub fn clean(text: &str, colour: bool) -> String {
    // Redacted before (a value with control characters) and after (a value split by them).
    let stripped = strip_controls(&redact(text), colour);
    let redacted = redact(&stripped);
    let mut out = String::with_capacity(redacted.len());
    for (i, line) in redacted.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&guard_line(line));
    }
    out
}

/// Writes text to standard output through the output layer (tables, JSON, reports).
pub fn print(text: &str, colour: bool) {
    crate::env::write(crate::env::Which::Out, clean(text, colour).as_bytes());
}

/// Text for a markdown table cell (inside a code span or not): one line, HTML-escaped, no
/// column separator, no backtick that could close a code span.
pub fn md_cell(s: &str) -> String {
    md_escape(s).replace('`', "&#96;")
}

/// Free text for the summary (not in a table): one line, HTML-escaped, no link or image.
pub fn md_text(s: &str) -> String {
    md_escape(s)
}

/// The one escaping of text in the summary: redacted, controls removed, one line, HTML escaped,
/// and no Markdown link, image or autolink (`\`, `[`, `]` and `|` backslash-escaped: without a
/// bracket there is no link or image; `://` and `www.` broken so no autolink forms).
fn md_escape(s: &str) -> String {
    html_escape(&strip_controls(&redact(s), false).replace(['\n', '\t'], " "))
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
        .replace('|', "\\|")
        .replace("://", "\\://")
        .replace("www.", "www\\.")
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

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
        use crate::env::{Which, Writer};
        Self::new(
            mode,
            Box::new(Writer(Which::Out)),
            Box::new(Writer(Which::Err)),
        )
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
            let _ = writeln!(self.out, "::add-mask::{}", escape_data(part));
        }
        let _ = self.out.flush();
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
        let _ = writeln!(self.out, "{}", clean(line, false));
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
                let _ = writeln!(self.out, "::{level}{props}::{}", escape_data(&message));
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
        let colour = self.colour();
        let _ = self.out.write_all(clean(text, colour).as_bytes());
        let _ = self.out.flush();
    }

    /// Text for standard error as it is (progress, prompts).
    pub fn raw_err(&mut self, text: &str) {
        let colour = self.colour();
        let _ = self.err.write_all(clean(text, colour).as_bytes());
        let _ = self.err.flush();
    }

    pub fn flush(&mut self) {
        let _ = self.out.flush();
        let _ = self.err.flush();
    }
}

/// A progress bar on standard error, drawn only when standard error is a terminal (never in a
/// pipe, a log or a runner), with room for an estimate after the count ([`Progress::set_eta`]:
/// the caller's, from the pacer). Its message goes through [`clean`] like every text.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress {
    /// `total` steps of `unit` (`writes`), shown when `show` and standard error is a terminal.
    pub fn new(total: u64, unit: &str, show: bool) -> Self {
        if !show || !crate::env::is_terminal(crate::env::Which::Err) {
            return Self { bar: None };
        }
        let bar = indicatif::ProgressBar::with_draw_target(
            Some(total),
            indicatif::ProgressDrawTarget::stderr(),
        );
        let template = format!("{{bar:30}} {{pos}}/{{len}} {unit}{{prefix}}  {{msg}}");
        if let Ok(style) = indicatif::ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        Self { bar: Some(bar) }
    }

    /// Whether the bar is drawn (an estimate is worth computing).
    pub fn shown(&self) -> bool {
        self.bar.is_some()
    }

    /// One step done; `message` says which. Returns the steps left.
    pub fn step(&self, message: &str) -> u64 {
        let Some(b) = &self.bar else {
            return 0;
        };
        b.set_message(clean(message, false));
        b.inc(1);
        b.length().unwrap_or(0).saturating_sub(b.position())
    }

    /// The estimate shown after the count (`, about 6 min left`).
    pub fn set_eta(&self, text: &str) {
        if let Some(b) = &self.bar {
            b.set_prefix(clean(text, false));
        }
    }

    /// Removes the bar: what follows is the report.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
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

    #[test]
    fn a_run_of_a_known_credential_is_redacted_even_cut() {
        let jwt = SecretValue::from(
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0",
        );
        let known = [jwt];
        let sig = &known[0].expose()[37..90];
        let text = format!("Bad credentials {sig} – retry");
        assert_eq!(
            redact_fragments(&text, &known),
            "Bad credentials *** – retry"
        );
        assert_eq!(
            redact_fragments("short eyJhbGciOiJ", &known),
            "short eyJhbGciOiJ"
        );
    }
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
    fn the_mask_rule() {
        for trivial in [
            "", " ", "\t\n", "=", "==", "====", "abc", "  ab  ", "}}}}}}", "a\u{301}",
        ] {
            assert!(!maskable(trivial), "{trivial:?}");
        }
        for fine in ["abcd", "ab=c", "1234", "  s3cr3t  ", "ghp_x"] {
            assert!(maskable(fine), "{fine:?}");
        }
    }

    #[test]
    fn clean_makes_every_line_inert_and_keeps_only_our_colours() {
        let hostile = "a\n::add-mask::x\r::set-output name=a::b\n  ::error::y ##[group]z \
                       \x1b]0;t\x07\x1b[2J\u{202E}\u{2028}\x1b[32mok\x1b[0m";
        let plain = clean(hostile, false);
        assert_eq!(
            plain,
            "a\n: :add-mask::x::set-output name=a::b\n  : :error::y ## [group]z ]0;t[2J[32mok[0m"
        );
        for line in plain.lines() {
            assert!(!line.trim_start().starts_with("::"), "{line:?}");
        }
        let coloured = clean(hostile, true);
        assert!(coloured.ends_with("\x1b[32mok\x1b[0m"), "{coloured:?}");
        assert!(!coloured.contains("\x1b]") && !coloured.contains("\x1b[2J"));
    }

    #[test]
    fn markdown_text_is_escaped() {
        let cell = md_cell("`<img src=x onerror=alert(1)>` | a\nb & c");
        assert_eq!(
            cell,
            "&#96;&lt;img src=x onerror=alert(1)&gt;&#96; \\| a b &amp; c"
        );
        assert_eq!(
            md_text("see [here](javascript:x) <b>"),
            "see \\[here\\](javascript:x) &lt;b&gt;"
        );
        // Our own text is unchanged.
        assert_eq!(md_cell("acme/api"), "acme/api");
        assert_eq!(md_text("with `audit-log` kept"), "with `audit-log` kept");
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
