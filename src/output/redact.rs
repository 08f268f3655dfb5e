//! Redaction: the secrets this run knows ([`know`], [`know_token`]) and [`redact`], which
//! replaces each of them (whole, by line, by a token's long dot-separated parts, and by runs of
//! [`FRAGMENT`] bytes) with `***` in any text. [`maskable`] is the one rule for what is worth a
//! mask or a redaction; [`token_parts`] says which parts of a token are hidden on their own.
//!
//! Every text that leaves through the output layer is redacted here first, in every mode.

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};

use super::matcher::{Matcher, Work};
use crate::secret::SecretValue;

/// Strings shorter than this (in characters, once trimmed) are never registered as a mask nor
/// redacted: masking `}`, `=` or `--` would blank out every such string in the log without
/// protecting anything.
pub const MIN_MASKED_LINE: usize = 4;

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
pub(super) fn mask_parts(v: &str) -> Vec<&str> {
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

/// The secrets a run knows, and the [`Matcher`] built for them (kept until the set changes).
#[derive(Default)]
pub struct Known {
    values: Vec<SecretValue>,
    matcher: Option<Arc<Matcher>>,
}

impl Known {
    fn add(&mut self, value: &SecretValue) {
        if !self.values.iter().any(|k| k.ct_eq(value)) {
            self.values.push(value.clone());
            self.matcher = None;
        }
    }

    /// The matcher for the current set: built once per set, on the first redaction after a
    /// change.
    fn matcher(&mut self) -> Arc<Matcher> {
        if let Some(m) = &self.matcher {
            return m.clone();
        }
        BUILDS.with(|b| b.set(b.get() + 1));
        let m = Arc::new(Matcher::build(
            self.values.iter().flat_map(|k| mask_parts(k.expose())),
        ));
        self.matcher = Some(m.clone());
        m
    }
}

thread_local! {
    /// The secrets of the run bound to this thread ([`crate::env::Scope`]: a run lives on one
    /// thread), `None` outside a run.
    static RUN: RefCell<Option<Known>> = const { RefCell::new(None) };
    /// How many matchers this thread built (the linearity check counts them).
    static BUILDS: Cell<usize> = const { Cell::new(0) };
}

/// Every secret known outside a run, for redaction; a run keeps its own.
static PROCESS: Mutex<Option<Known>> = Mutex::new(None);

/// A run begins on this thread: it knows no secret yet. Returns what the thread knew before,
/// for [`end_run`] (runs nest in tests).
pub(crate) fn begin_run() -> Option<Known> {
    RUN.with(|r| r.replace(Some(Known::default())))
}

/// The run on this thread ended: its secrets are forgotten, the earlier ones known again.
pub(crate) fn end_run(previous: Option<Known>) {
    RUN.with(|r| *r.borrow_mut() = previous);
}

/// Runs `f` on the secrets the current run knows (outside a run, the process's).
fn with_known<R>(f: impl FnOnce(&mut Known) -> R) -> Option<R> {
    let mut f = Some(f);
    let in_run = RUN.with(|r| {
        let mut r = r.try_borrow_mut().ok()?;
        let known = r.as_mut()?;
        f.take().map(|f| f(known))
    });
    if in_run.is_some() {
        return in_run;
    }
    let f = f.take()?;
    // A panic elsewhere (a bug, caught at the top) must not turn redaction off: a poisoned
    // lock still holds every secret.
    let mut known = PROCESS.lock().unwrap_or_else(|e| e.into_inner());
    Some(f(known.get_or_insert_with(Known::default)))
}

/// Registers a secret for redaction in everything printed from now on, in every mode.
pub fn know(value: &SecretValue) {
    if mask_parts(value.expose()).is_empty() {
        return;
    }
    with_known(|known| known.add(value));
}

/// [`know`] for a token: the whole, and each long dot-separated part on its own
/// ([`token_parts`]), so a stateless installation token printed in pieces is redacted too, in
/// every mode (the action also registers the parts with the runner: [`Reporter::mask_token`](super::reporter::Reporter::mask_token)).
pub fn know_token(token: &SecretValue) {
    know(token);
    for part in token_parts(token.expose()) {
        know(&SecretValue::from(part));
    }
}

/// Replaces every known secret in `text` with `***`: each value and each maskable line of one,
/// in every form a server may echo it in (JSON-escaped, URL-encoded, base64 at any alignment),
/// and any run of [`FRAGMENT`](super::matcher::FRAGMENT) bytes or more of any of those forms ([`Matcher`]). Linear in the
/// length of `text`; the matcher is built once per set of known secrets.
///
/// Redact before cutting: a text cut first can keep a token's first characters without the
/// rest that would let them be recognised.
pub fn redact(text: &str) -> String {
    let Some(matcher) = with_known(Known::matcher) else {
        return text.to_owned();
    };
    matcher.redact(text, &mut Work::default())
}

/// `text` redacted, then cut to `max` characters: every text from a server that is cut is cut
/// here, after its redaction (a text cut first can keep a token's first characters without
/// enough of the rest to be recognised). The characters no reader sees
/// ([`super::invisible`]) are removed between two redactions: a secret that holds one is found
/// before, a secret split by them (a piece too short to be recognised, then a zero-width space
/// or a control) is found whole after, and so is one split by whitespace
/// ([`Matcher::redact_split`]: a server's text broken across lines). Every sink gets the text so, our own files (the audit
/// log and the records) included, which no `clean` line escaping reaches.
pub fn cut(text: &str, max: usize) -> String {
    let visible = super::invisible::remove(&redact(text));
    let whole = match with_known(Known::matcher) {
        Some(matcher) => matcher.redact_split(&visible, &mut Work::default()),
        None => visible,
    };
    whole.chars().take(max).collect()
}

/// `text` once redacted ([`redact`]): the only thing a sink accepts. Standard output and
/// error ([`crate::env::write`]), the runner's files, the audit log and the records take a
/// `Redacted`, and only this module makes one: nothing reaches them unredacted.
pub struct Redacted(String);

impl Redacted {
    /// `text`, redacted.
    pub fn new(text: &str) -> Redacted {
        Redacted(redact(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }

    /// The one line not redacted: the runner's `::add-mask::` command, which registers a value
    /// with the runner's masker and must carry it (`escaped` as workflow-command data).
    pub(super) fn mask_command(escaped: &str) -> Redacted {
        Redacted(format!("::add-mask::{escaped}\n"))
    }
}

/// Matchers this thread built so far (the linearity test counts them).
#[cfg(test)]
pub(crate) fn builds() -> usize {
    BUILDS.with(Cell::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_of_a_known_credential_is_redacted_even_cut() {
        let previous = begin_run();
        let jwt = SecretValue::from(
            "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxIn0.Zm9vYmFyYmF6cXV4MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0",
        );
        know(&jwt);
        let sig = &jwt.expose()[37..90];
        let text = format!("Bad credentials {sig} – retry");
        assert_eq!(redact(&text), "Bad credentials *** – retry");
        assert_eq!(redact("short eyJhbGciOiJ"), "short eyJhbGciOiJ");
        end_run(previous);
    }

    /// Redacted, then cut: cut first, the 10 characters left of the token would be too few to
    /// recognise, and would be shown.
    #[test]
    fn a_text_is_redacted_before_it_is_cut() {
        let previous = begin_run();
        let token = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        know(&SecretValue::from(token));
        let text = format!("{}{token} and more", "x".repeat(290));
        assert_eq!(cut(&text, 300), format!("{}*** and mo", "x".repeat(290)));
        assert_eq!(
            redact(&text.chars().take(300).collect::<String>()),
            text[..300]
        );
        end_run(previous);
    }

    /// A token split by invisible characters into pieces shorter than a redacted run is whole
    /// again, and redacted, once they are removed; a value holding one is redacted as it is.
    #[test]
    fn a_token_split_by_invisible_characters_is_redacted_when_cut() {
        let previous = begin_run();
        let token = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        know(&SecretValue::from(token));
        know(&SecretValue::from("zero\u{200B}width-value"));
        for sep in ["\u{1}", "\u{200B}", "\u{2060}", "\u{AD}", "\u{61C}"] {
            let split = token
                .as_bytes()
                .chunks(8)
                .map(|c| std::str::from_utf8(c).unwrap_or_default())
                .collect::<Vec<_>>()
                .join(sep);
            assert_eq!(
                cut(&format!("refused {split} here"), 300),
                "refused *** here"
            );
        }
        assert_eq!(cut("a zero\u{200B}width-value b", 300), "a *** b");
        end_run(previous);
    }

    /// A pseudo-random token-like value (no test depends on chance: a fixed generator).
    fn value(i: u64) -> String {
        let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let mut s = format!("v{i}_");
        for _ in 0..28 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            s.push(char::from(alphabet[(x % 62) as usize]));
        }
        s
    }

    /// A summary of 1,200 rows, each echoing one value in one of the forms a server uses.
    fn summary(values: &[String], repeat: usize) -> String {
        use base64::Engine as _;
        let mut text = String::new();
        for _ in 0..repeat {
            for (i, v) in values.iter().enumerate() {
                let echoed = match i % 4 {
                    0 => v.clone(),
                    1 => base64::engine::general_purpose::STANDARD.encode(format!("x{v}")),
                    2 => format!("%22{v}%22"),
                    _ => v[..v.len() / 2 + 1].to_owned(),
                };
                text.push_str(&format!(
                    "| `SECRET_{i}` | `acme/service-{i}` | failed: GitHub said ({echoed}) |\n"
                ));
            }
        }
        text
    }

    /// 1,200 known values and a summary that echoes each: the matcher is built once for the set,
    /// the work (bytes visited and matches handled) stays within a constant of the text's
    /// length whatever the number of values, and doubling the text doubles it. No timing: the
    /// work is counted.
    #[test]
    fn redaction_is_linear_and_built_once_per_set_of_secrets() {
        let previous = begin_run();
        let values: Vec<String> = (0..1200).map(value).collect();
        for v in &values {
            know(&SecretValue::from(v.as_str()));
        }
        let builds_before = builds();
        let matcher = with_known(Known::matcher).expect("a run");
        let (one, two) = (summary(&values, 1), summary(&values, 2));
        let (mut w1, mut w2) = (Work::default(), Work::default());
        let redacted = matcher.redact(&one, &mut w1);
        matcher.redact(&two, &mut w2);
        for _ in 0..20 {
            redact("an ordinary line");
        }
        assert_eq!(builds() - builds_before, 1, "one matcher for the set");
        assert!(
            w1.steps <= 5 * one.len(),
            "{} steps for {} bytes",
            w1.steps,
            one.len()
        );
        assert!(
            w2.steps <= 2 * w1.steps + 16,
            "{} then {}",
            w1.steps,
            w2.steps
        );
        for v in &values {
            assert!(!redacted.contains(&v[..16]), "{v} survived");
        }
        assert_eq!(
            redacted.matches("***").count(),
            1200,
            "{}",
            &redacted[..400]
        );
        // A new secret: one more build, then none.
        know(&SecretValue::from("one-more-secret-value"));
        redact("x");
        redact("y");
        assert_eq!(builds() - builds_before, 2);
        end_run(previous);
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
}
