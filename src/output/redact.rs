//! Redaction: the secrets this run knows ([`know`], [`know_token`]) and [`redact`], which
//! replaces each of them (whole, by line, by a token's long dot-separated parts, and by runs of
//! [`FRAGMENT`] bytes) with `***` in any text. [`maskable`] is the one rule for what is worth a
//! mask or a redaction; [`token_parts`] says which parts of a token are hidden on their own.
//!
//! Every text that leaves through the output layer is redacted here first, in every mode.

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
/// every mode (the action also registers the parts with the runner: [`Reporter::mask_token`](super::reporter::Reporter::mask_token)).
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
