//! The hostile echo mode: a server that sends back what it was sent.
//!
//! When it is on (for every request, or for the routes a test names), the fake takes from each
//! request its **materials** — the bearer token of `Authorization`, the `encrypted_value` of a
//! JSON body, the plaintext that value decrypts to (opened with the scope key its `key_id`
//! names, else any key the fake holds), and the `credentials` of a revocation request — and
//! writes each of them back in every encoding [`forms`] lists:
//!
//! - in error answers (4xx/5xx): the `message` (and each `errors[].message`) gains
//!   `(received token.raw=…; token.json=…; …)`, and `documentation_url` gains a query with the
//!   URL-safe forms;
//! - in successful answers: a top-level `message` when the object has none, every
//!   `description` (repositories), and the `name` of the account (`GET /user`) or app
//!   (`GET /app`);
//! - in headers of every answer: `x-github-request-id` (after the real id), `x-github-sso`,
//!   `www-authenticate` on a 401, and one `x-echo-{material}-{form}` per form. Headers carry
//!   only forms of printable ASCII no longer than [`MAX_HEADER_FORM`].
//!
//! The answer is otherwise unchanged (status, other fields, `Link`, rate-limit headers), so a
//! client goes on as it would and reaches every sink a test wants to scan.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::Value;

use crate::state::State;

/// RFC 3986 unreserved characters stay; everything else is percent-encoded (upper-case hex).
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

/// The longest form a header carries (a 48 KB value's forms would overflow a client's
/// header limits and stop it before any sink).
pub const MAX_HEADER_FORM: usize = 4096;

/// Materials of one kind echoed at most this many times per answer (a revocation request may
/// carry a thousand credentials).
const MAX_PER_KIND: usize = 2;

/// Every encoding the echo mode writes a value in, as `(label, text)`, duplicates of an
/// earlier text left out:
///
/// | label | what |
/// | --- | --- |
/// | `raw` | the value as is |
/// | `json` | JSON-escaped (`serde_json`), without the quotes: `"`, `\`, control characters |
/// | `json_ascii` | JSON-escaped with every non-ASCII character as `\uXXXX` (UTF-16) and `/` as `\/` |
/// | `url` | percent-encoded, RFC 3986 unreserved characters kept |
/// | `form` | `application/x-www-form-urlencoded` (space as `+`) |
/// | `base64` | standard base64, padded |
/// | `base64url` | URL-safe base64, unpadded |
/// | `prefixN` | the first N characters, N = L−1, ⌊3L/4⌋, ⌊L/2⌋ (L = the value's length in characters) |
/// | `suffixN` | the last N characters, N = L−1, ⌊L/2⌋ |
///
/// A cut shorter than one character is left out. Tests scan their sinks for these same forms.
pub fn forms(value: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut push = |label: String, text: String| {
        if !text.is_empty() && !out.iter().any(|(_, t)| *t == text) {
            out.push((label, text));
        }
    };
    push("raw".into(), value.to_string());
    let json = serde_json::to_string(value).unwrap_or_default();
    push(
        "json".into(),
        json.get(1..json.len().saturating_sub(1))
            .unwrap_or_default()
            .to_string(),
    );
    push("json_ascii".into(), json_ascii(value));
    push(
        "url".into(),
        utf8_percent_encode(value, URL_COMPONENT).to_string(),
    );
    push(
        "form".into(),
        utf8_percent_encode(value, FORM)
            .to_string()
            .replace("%20", "+"),
    );
    push("base64".into(), STANDARD.encode(value));
    push("base64url".into(), URL_SAFE_NO_PAD.encode(value));
    let chars: Vec<char> = value.chars().collect();
    let len = chars.len();
    let mut cuts = vec![len.saturating_sub(1), len * 3 / 4, len / 2];
    cuts.dedup();
    for n in cuts.iter().copied().filter(|n| (1..len).contains(n)) {
        push(format!("prefix{n}"), chars[..n].iter().collect());
    }
    for n in [len.saturating_sub(1), len / 2] {
        if (1..len).contains(&n) {
            push(format!("suffix{n}"), chars[len - n..].iter().collect());
        }
    }
    out
}

/// JSON string escaping as some servers write it: ASCII only (`\uXXXX`, surrogate pairs for
/// characters beyond the BMP) and `/` escaped.
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

/// One value received, named by where it came from: `token`, `encrypted_value`, `plaintext`
/// or `credential`.
#[derive(Clone)]
pub(crate) struct Material {
    pub label: &'static str,
    pub value: String,
}

/// Which requests the echo mode answers.
#[derive(Debug, Clone, Default)]
pub(crate) struct EchoRules {
    pub all: bool,
    /// `(method, path substring)`; `None` matches any.
    pub routes: Vec<(Option<String>, Option<String>)>,
}

impl EchoRules {
    pub fn applies(&self, method: &str, raw_path: &str) -> bool {
        self.all
            || self.routes.iter().any(|(m, p)| {
                m.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(method))
                    && p.as_deref().is_none_or(|p| raw_path.contains(p))
            })
    }
}

/// The materials of a request: its bearer token, and from a JSON body the `encrypted_value`,
/// the plaintext it opens to with a key the fake holds, and revocation `credentials`.
pub(crate) fn materials(s: &State, authorization: Option<&str>, body: &[u8]) -> Vec<Material> {
    let mut out = Vec::new();
    if let Some(auth) = authorization {
        let token = auth
            .trim()
            .split_once(' ')
            .map_or(auth.trim(), |(_, t)| t.trim());
        if !token.is_empty() {
            out.push(Material {
                label: "token",
                value: token.to_string(),
            });
        }
    }
    let json: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    if let Some(sealed) = json.get("encrypted_value").and_then(Value::as_str) {
        out.push(Material {
            label: "encrypted_value",
            value: sealed.to_string(),
        });
        let key_id = json.get("key_id").and_then(Value::as_str);
        if let Some(plain) = open(s, sealed, key_id) {
            out.push(Material {
                label: "plaintext",
                value: plain,
            });
        }
    }
    if let Some(list) = json.get("credentials").and_then(Value::as_array) {
        out.extend(
            list.iter()
                .filter_map(Value::as_str)
                .take(MAX_PER_KIND)
                .map(|c| Material {
                    label: "credential",
                    value: c.to_string(),
                }),
        );
    }
    out
}

/// Open a sealed value with the key `key_id` names, else with any key the fake holds.
fn open(s: &State, sealed_b64: &str, key_id: Option<&str>) -> Option<String> {
    let sealed = STANDARD.decode(sealed_b64.as_bytes()).ok()?;
    let named = s
        .keys
        .values()
        .filter(|k| Some(k.key_id.as_str()) == key_id);
    let others = s
        .keys
        .values()
        .filter(|k| Some(k.key_id.as_str()) != key_id);
    named
        .chain(others)
        .find_map(|k| k.secret.unseal(&sealed).ok())
        .and_then(|plain| String::from_utf8(plain).ok())
}

/// `label.form=text; …` for every material and form: what a message gains.
pub(crate) fn text(materials: &[Material]) -> String {
    materials
        .iter()
        .flat_map(|m| {
            forms(&m.value)
                .into_iter()
                .map(move |(form, text)| format!("{}.{form}={text}", m.label))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A query string of the URL-safe forms: `token=…&token_b64=…&…`.
pub(crate) fn query(materials: &[Material]) -> String {
    materials
        .iter()
        .flat_map(|m| {
            let url = utf8_percent_encode(&m.value, URL_COMPONENT).to_string();
            let b64 = URL_SAFE_NO_PAD.encode(&m.value);
            [
                format!("{}={url}", m.label),
                format!("{}_b64={b64}", m.label),
            ]
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The forms a header can carry: printable ASCII, at most [`MAX_HEADER_FORM`] bytes, as
/// `(material, form, text)`.
pub(crate) fn header_forms(materials: &[Material]) -> Vec<(&'static str, String, String)> {
    materials
        .iter()
        .flat_map(|m| {
            forms(&m.value)
                .into_iter()
                .filter(|(_, t)| {
                    t.len() <= MAX_HEADER_FORM && t.bytes().all(|b| (0x20..0x7f).contains(&b))
                })
                .map(move |(form, text)| (m.label, form, text))
        })
        .collect()
}

/// The URL-encoded value of the first material, for URLs in headers.
pub(crate) fn first_url(materials: &[Material]) -> Option<String> {
    materials
        .first()
        .map(|m| utf8_percent_encode(&m.value, URL_COMPONENT).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_cover_escapes_encodings_and_cuts() {
        let f = forms("a\"b/é\n😀 c");
        let get = |l: &str| {
            f.iter()
                .find(|(k, _)| k == l)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        assert_eq!(get("raw"), "a\"b/é\n😀 c");
        assert_eq!(get("json"), "a\\\"b/é\\n😀 c");
        assert_eq!(get("json_ascii"), "a\\\"b\\/\\u00e9\\n\\ud83d\\ude00 c");
        assert_eq!(get("url"), "a%22b%2F%C3%A9%0A%F0%9F%98%80%20c");
        assert_eq!(get("form"), "a%22b%2F%C3%A9%0A%F0%9F%98%80+c");
        assert_eq!(get("base64"), STANDARD.encode("a\"b/é\n😀 c"));
        assert_eq!(get("base64url"), URL_SAFE_NO_PAD.encode("a\"b/é\n😀 c"));
        // 9 characters: prefixes of 8, 6, 4; suffixes of 8, 4 (cut by character).
        assert_eq!(get("prefix8"), "a\"b/é\n😀 ");
        assert_eq!(get("prefix6"), "a\"b/é\n");
        assert_eq!(get("prefix4"), "a\"b/");
        assert_eq!(get("suffix8"), "\"b/é\n😀 c");
        assert_eq!(get("suffix4"), "\n😀 c");
        // A token whose escapes change nothing appears once per distinct text.
        let plain = forms("ghp_abc");
        assert_eq!(plain.iter().filter(|(_, t)| t == "ghp_abc").count(), 1);
        assert!(forms("").is_empty());
        assert_eq!(forms("x").len(), 3, "{:?}", forms("x"));
    }
}
