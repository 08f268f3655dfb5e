//! The [`Matcher`]: every form of every known secret, found in a text in one pass. Built once per
//! set of known secrets ([`super::redact`] keeps it until the set changes), and linear in the
//! text's length whatever the number of secrets:
//!
//! - one Aho-Corasick automaton over the **forms** of each secret ([`forms`]): the value and
//!   each line of it, JSON-escaped (as `serde_json` writes it, and ASCII-only with `\/`),
//!   URL-encoded (RFC 3986 and form encoding, upper- and lower-case hex), and base64 (standard
//!   and URL-safe) at each of the three alignments the value can sit at inside a longer
//!   encoded stream — the forms a server echoing what it was sent writes it back in;
//! - a set of hashed [`FRAGMENT`]-byte windows of each form (up to [`MAX_FRAGMENTED`] bytes),
//!   so a run of 16 bytes or more of any form is found even when the rest was cut away (a
//!   message cut to fit, the prefix or suffix a server echoes). Hashes, not bytes: the set
//!   holds no secret material.
//!
//! [`Matcher::cover`] marks every byte a match covers; [`Matcher::redact`] replaces each covered
//! run, widened to whole characters, by `***`.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use zeroize::Zeroizing;

/// The shortest run of a form that is redacted on its own. 16 characters of a token carry about
/// 96 bits: not ordinary text, and half of GitHub's 40-character tokens is longer.
pub const FRAGMENT: usize = 16;
/// Forms longer than this are matched whole only (values go up to 48 KiB: their windows would
/// hold megabytes).
pub const MAX_FRAGMENTED: usize = 4096;
/// Encoded forms shorter than this are not matched (base64 of a 4-byte value is 4 common
/// letters): the raw value still is, from [`super::redact::MIN_MASKED_LINE`] characters.
const MIN_ENCODED: usize = 8;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');
/// `application/x-www-form-urlencoded`: `*-._` stay, a space becomes `+`.
const FORM: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_');

/// Every form `part` (a value, or a line of one) can take on its way back from a server; each
/// at least [`super::redact::MIN_MASKED_LINE`] characters (the raw part) or [`MIN_ENCODED`]
/// (an encoding), without duplicates.
pub fn forms(part: &str) -> Vec<Zeroizing<String>> {
    let mut out: Vec<Zeroizing<String>> = vec![Zeroizing::new(part.to_owned())];
    let mut push = |form: String, min: usize| {
        let form = Zeroizing::new(form);
        if form.len() >= min && !out.contains(&form) {
            out.push(form);
        }
    };
    let json = Zeroizing::new(serde_json::to_string(part).unwrap_or_default());
    let inner = json
        .get(1..json.len().saturating_sub(1))
        .unwrap_or_default();
    push(inner.to_owned(), 1);
    push(json_ascii(part), 1);
    let url = Zeroizing::new(utf8_percent_encode(part, URL_COMPONENT).to_string());
    push(url.to_lowercase_hex(), 1);
    push(url.to_string(), 1);
    push(
        utf8_percent_encode(part, FORM)
            .to_string()
            .replace("%20", "+"),
        1,
    );
    // Inside a longer base64 stream the value starts at one of three alignments; the groups that
    // hold only its bytes encode the same whatever surrounds them.
    let bytes = part.as_bytes();
    for shift in 0..3 {
        let rest = bytes.get(shift..).unwrap_or_default();
        let whole = rest.get(..rest.len() / 3 * 3).unwrap_or_default();
        push(STANDARD.encode(whole), MIN_ENCODED);
        push(URL_SAFE.encode(whole), MIN_ENCODED);
    }
    out
}

/// Lower-case percent-encoding, as some servers write it.
trait LowerHex {
    fn to_lowercase_hex(&self) -> String;
}

impl LowerHex for str {
    fn to_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut escape = 0;
        for c in self.chars() {
            if c == '%' {
                escape = 2;
                out.push(c);
            } else if escape > 0 {
                escape -= 1;
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}

/// JSON string escaping as some servers write it: ASCII only (`\uXXXX`, surrogate pairs beyond
/// the BMP) and `/` escaped.
fn json_ascii(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out
}

/// A rolling hash of [`FRAGMENT`]-byte windows (polynomial, modulo the Mersenne prime 2⁶¹−1,
/// with a base drawn at random per matcher): one step per byte of text. Equal windows always
/// hash equal, so no fragment of a form is missed; a collision can only redact a little more.
struct Rolling {
    base: u64,
    /// `base` to the power `FRAGMENT - 1`: the weight of the byte leaving the window.
    top: u64,
}

const MERSENNE_61: u64 = (1 << 61) - 1;

fn mul_mod(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    let folded = (p as u64 & MERSENNE_61) + (p >> 61) as u64;
    if folded >= MERSENNE_61 {
        folded - MERSENNE_61
    } else {
        folded
    }
}

fn add_mod(a: u64, b: u64) -> u64 {
    let s = a + b;
    if s >= MERSENNE_61 {
        s - MERSENNE_61
    } else {
        s
    }
}

impl Rolling {
    fn new() -> Rolling {
        let base = 256 + rand::random::<u64>() % (MERSENNE_61 - 512);
        let top = (1..FRAGMENT).fold(1, |t, _| mul_mod(t, base));
        Rolling { base, top }
    }

    /// Calls `f` with the start and the hash of each window of `bytes`, in order.
    fn each_window(&self, bytes: &[u8], mut f: impl FnMut(usize, u64)) {
        let Some(first) = bytes.get(..FRAGMENT) else {
            return;
        };
        let mut h = 0;
        for b in first {
            h = add_mod(mul_mod(h, self.base), u64::from(*b));
        }
        f(0, h);
        for (i, (out, inn)) in bytes
            .iter()
            .zip(bytes.get(FRAGMENT..).unwrap_or_default())
            .enumerate()
        {
            let without = add_mod(h, MERSENNE_61 - mul_mod(u64::from(*out), self.top));
            h = add_mod(mul_mod(without, self.base), u64::from(*inn));
            f(i + 1, h);
        }
    }
}

/// The set's hasher: its keys are hashes already.
#[derive(Default)]
struct Identity(u64);

impl Hasher for Identity {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// What one redaction did, for the linearity check: bytes visited and matches handled.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    pub steps: usize,
}

/// Every form of every known secret, ready to be found in any text.
pub struct Matcher {
    whole: Option<AhoCorasick>,
    windows: HashSet<u64, BuildHasherDefault<Identity>>,
    rolling: Rolling,
}

impl Matcher {
    /// The matcher for these parts (each value and each line of one, already chosen as worth
    /// redacting).
    pub fn build<'a>(parts: impl IntoIterator<Item = &'a str>) -> Matcher {
        let rolling = Rolling::new();
        let mut windows: HashSet<u64, BuildHasherDefault<Identity>> = HashSet::default();
        let mut patterns: Vec<Zeroizing<String>> = Vec::new();
        for part in parts {
            for form in forms(part) {
                let b = form.as_bytes();
                if (FRAGMENT..=MAX_FRAGMENTED).contains(&b.len()) {
                    rolling.each_window(b, |_, h| {
                        windows.insert(h);
                    });
                }
                // Duplicates (two values sharing a line) cost the automaton nothing.
                patterns.push(form);
            }
        }
        let whole = (!patterns.is_empty())
            .then(|| {
                // An NFA, never a DFA: a DFA (the default for few patterns) holds a row of every
                // byte class per state, about 500 bytes per byte of a form (200 MB for one value
                // of 48 KiB); the contiguous NFA holds a few, and searches in linear time too.
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .kind(Some(AhoCorasickKind::ContiguousNFA))
                    .build(patterns.iter().map(|p| p.as_bytes()))
                    .ok()
            })
            .flatten();
        Matcher {
            whole,
            windows,
            rolling,
        }
    }

    /// For each byte of `text`, the end of the furthest match that starts there (0: none); and
    /// whether anything matched at all.
    fn starts(&self, text: &[u8], work: &mut Work) -> Option<Vec<u32>> {
        let mut reach: Option<Vec<u32>> = None;
        let mut mark = |start: usize, end: usize, work: &mut Work| {
            work.steps += 1;
            let r = reach.get_or_insert_with(|| vec![0; text.len()]);
            if let Some(slot) = r.get_mut(start) {
                *slot = (*slot).max(u32::try_from(end).unwrap_or(u32::MAX));
            }
        };
        if let Some(ac) = &self.whole {
            work.steps += text.len();
            for m in ac.find_overlapping_iter(text) {
                mark(m.start(), m.end(), work);
            }
        }
        if !self.windows.is_empty() {
            self.rolling.each_window(text, |i, h| {
                work.steps += 1;
                if self.windows.contains(&h) {
                    mark(i, i + FRAGMENT, work);
                }
            });
        }
        reach
    }

    /// `text` with every covered run, widened to whole characters, replaced by `***`.
    pub fn redact(&self, text: &str, work: &mut Work) -> String {
        let Some(reach) = self.starts(text.as_bytes(), work) else {
            return text.to_owned();
        };
        Self::replace(text, &reach, work)
    }

    /// [`Matcher::redact`], and a secret a server split by whitespace (its text broken across
    /// lines or words, each piece too short to be recognised) found too: the text is looked at
    /// once more with its ASCII whitespace removed, and a match there of [`FRAGMENT`] bytes or
    /// more covers its pieces and the whitespace between them. Shorter matches across
    /// whitespace are left alone (`ab cd` is no secret `abcd`). Linear, like `redact`.
    pub fn redact_split(&self, text: &str, work: &mut Work) -> String {
        let bytes = text.as_bytes();
        let mut squeezed = Vec::with_capacity(bytes.len());
        let mut origin = Vec::with_capacity(bytes.len());
        for (i, b) in bytes.iter().enumerate() {
            if !b.is_ascii_whitespace() {
                squeezed.push(*b);
                origin.push(i);
            }
        }
        if squeezed.len() == bytes.len() {
            return self.redact(text, work);
        }
        let mut reach = self.starts(bytes, work);
        for (start, end) in self.starts(&squeezed, work).iter().flatten().enumerate() {
            let end = *end as usize;
            if end < start + FRAGMENT {
                continue;
            }
            let (Some(&from), Some(&last)) = (origin.get(start), origin.get(end - 1)) else {
                continue;
            };
            work.steps += 1;
            let r = reach.get_or_insert_with(|| vec![0; bytes.len()]);
            if let Some(slot) = r.get_mut(from) {
                *slot = (*slot).max(u32::try_from(last + 1).unwrap_or(u32::MAX));
            }
        }
        match reach {
            Some(reach) => Self::replace(text, &reach, work),
            None => text.to_owned(),
        }
    }

    /// `text` with every run `reach` covers, widened to whole characters, replaced by `***`.
    fn replace(text: &str, reach: &[u32], work: &mut Work) -> String {
        let mut out = String::with_capacity(text.len());
        let mut covered_to = 0usize;
        let mut run_open = false;
        for (i, ch) in text.char_indices() {
            work.steps += 1;
            let char_end = i + ch.len_utf8();
            // Every match starting inside this character covers it (a window may start inside a
            // character: the whole character goes).
            for r in reach.get(i..char_end).into_iter().flatten() {
                covered_to = covered_to.max(*r as usize);
            }
            if i < covered_to {
                if !run_open {
                    out.push_str("***");
                    run_open = true;
                }
            } else {
                run_open = false;
                out.push(ch);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A value of GitHub's largest size (48 KiB) costs memory in proportion to its forms: the
    /// automaton is an NFA, about 12 bytes per byte of a form (the DFA chosen by default took
    /// 204 MB for this value; twenty such files a glob matched took 2.6 GB of memory).
    #[test]
    fn a_long_value_costs_memory_in_proportion_to_its_forms() {
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let value: String = (0..48 * 1024usize)
            .map(|i| char::from(alphabet[(i * 7919 + i / 61) % 64]))
            .collect();
        let m = Matcher::build([value.as_str()]);
        let bytes: usize = forms(&value).iter().map(|f| f.len()).sum();
        let used = m.whole.as_ref().map_or(0, AhoCorasick::memory_usage);
        assert!(
            used <= 16 * bytes,
            "{used} bytes for {bytes} bytes of forms"
        );
        let w = &mut Work::default();
        assert_eq!(m.redact(&format!("a {value} b"), w), "a *** b");
    }

    #[test]
    fn a_secret_split_by_whitespace_is_found_across_it() {
        let m = Matcher::build(["ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789", "abcd"]);
        let w = &mut Work::default();
        assert_eq!(
            m.redact_split(
                "said ghp_AbCd\nEfGhIjKl\r\nMnOp QrSt\tUvWxYz0123456789 ok",
                w
            ),
            "said *** ok"
        );
        assert_eq!(
            m.redact_split("said AbCdEfGh IjKlMnOpQr ok", w),
            "said *** ok"
        );
        // Below a run, nothing is joined: `ab cd` stays, `abcd` alone goes.
        assert_eq!(m.redact_split("ab cd and abcd", w), "ab cd and ***");
        assert_eq!(m.redact_split("nothing here", w), "nothing here");
    }

    #[test]
    fn forms_cover_escapes_encodings_and_alignments() {
        let f: Vec<String> = forms("pa\"ss/é w")
            .into_iter()
            .map(|z| z.to_string())
            .collect();
        for expected in [
            "pa\"ss/é w",
            "pa\\\"ss/é w",
            "pa\\\"ss\\/\\u00e9 w",
            "pa%22ss%2F%C3%A9%20w",
            "pa%22ss%2f%c3%a9%20w",
            "pa%22ss%2F%C3%A9+w",
        ] {
            assert!(f.contains(&expected.to_owned()), "{expected} in {f:?}");
        }
        // Whatever surrounds it, base64 of a longer stream holds one of the aligned forms.
        for (pre, post) in [("", ""), ("x", "yz"), ("xy", "z")] {
            let stream = STANDARD.encode(format!("{pre}pa\"ss/é w{post}"));
            assert!(f.iter().any(|form| stream.contains(form.as_str())), "{pre}");
            let stream = URL_SAFE.encode(format!("{pre}pa\"ss/é w{post}"));
            assert!(f.iter().any(|form| stream.contains(form.as_str())), "{pre}");
        }
    }

    #[test]
    fn a_run_of_sixteen_bytes_of_any_form_is_covered_whole_characters_wide() {
        let token = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";
        let m = Matcher::build([token]);
        let mut w = Work::default();
        // Half of it (what a server echoes as a prefix or suffix).
        let text = format!("bad token {} here", &token[..20]);
        assert_eq!(m.redact(&text, &mut w), "bad token *** here");
        let text = format!("end: {}", &token[20..]);
        assert_eq!(m.redact(&text, &mut w), "end: ***");
        // 15 bytes: not enough to tell it from text.
        let text = format!("x {} y", &token[..15]);
        assert_eq!(m.redact(&text, &mut w), text);
        // Its base64, cut.
        let b64 = STANDARD.encode(format!("Bearer {token}"));
        let text = format!("h={}", &b64[..30]);
        assert!(!m.redact(&text, &mut w).contains(&b64[12..30]));
        // The rolling hash is the hash of each window.
        let r = Rolling::new();
        let bytes = token.as_bytes();
        let windows = |b: &[u8]| {
            let mut all = Vec::new();
            r.each_window(b, |i, h| all.push((i, h)));
            all
        };
        for (i, h) in windows(bytes) {
            assert_eq!(windows(&bytes[i..i + FRAGMENT]), [(0, h)], "{i}");
        }
        assert_eq!(windows(bytes).len(), bytes.len() - FRAGMENT + 1);
        assert!(windows(&bytes[..FRAGMENT - 1]).is_empty());
        // A window inside a multi-byte character takes the character with it.
        let v = "éééééééééééééééééééé";
        let m = Matcher::build([v]);
        assert_eq!(m.redact(&format!("a{}b", &v[2..38]), &mut w), "a***b");
    }
}
