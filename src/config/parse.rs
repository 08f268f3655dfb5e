//! Parsers of user input: `NAME=value` lines or a JSON object, `files` lines, booleans.
//!
//! None of them ever puts a value, or a line that may hold one, into an error: errors name the
//! input, the line number and the secret name only.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};

use crate::secret::SecretValue;

/// One `NAME → value` pair as written by the user; the name is not validated yet.
#[derive(Debug)]
pub struct Pair {
    pub name: String,
    pub value: SecretValue,
    /// 1-based line of the pair in a lines input; `None` for JSON.
    pub line: Option<usize>,
}

/// A problem in one input. Carries no value, and in the lines form no name either: a "name" on a
/// line may be a fragment of a multi-line value interpolated into the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PairsError {
    #[error("malformed JSON at line {line}, column {column} ({kind})")]
    Json {
        line: usize,
        column: usize,
        kind: &'static str,
    },
    #[error("the JSON must be an object of names to string values")]
    NotAnObject,
    #[error("the value of `{0}` is not a string")]
    NotAString(String),
    #[error("line {0}: expected NAME=value")]
    NoEquals(usize),
    #[error("line {0}: no name before `=` or `<<`")]
    NoName(usize),
    #[error(
        "line {0}: a carriage return that does not end the line (a value holding one needs the \
         JSON form)"
    )]
    BareCarriageReturn(usize),
    #[error(
        "line {0}: the `<<` delimiter must be 1 to 64 letters, digits, `_`, `-` or `.` (e.g. \
         `NAME<<EOF`)"
    )]
    BadDelimiter(usize),
    #[error("line {0}: the `<<` value is never closed: no later line is exactly its delimiter")]
    Unclosed(usize),
    #[error("line {0}: expected NAME or NAME=VARIABLE")]
    BadEnvRef(usize),
}

/// Parses `NAME=value` lines or, when the first non-blank character is `{`, a JSON object.
///
/// Lines (`\n` or `\r\n` endings; a leading byte-order mark is dropped):
/// - blank lines and lines starting with `#` are skipped;
/// - `NAME=value`: the name is trimmed; the value is everything after the first `=`, one line;
/// - `NAME<<DELIMITER`, then the value's lines, then a line that is exactly `DELIMITER`: the
///   runner's own form for multi-line values (as in `$GITHUB_OUTPUT`); the value is its lines
///   joined with `\n`, without a final newline.
///
/// A bare `\r` is an error (old Mac line endings would otherwise glue lines into one value).
/// Every good pair is returned even when some lines are bad, so the caller can mask them all
/// before reporting the errors; an unclosed `<<` ends the parse (what follows is its body).
pub fn parse_pairs(input: &str) -> (Vec<Pair>, Vec<PairsError>) {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    if input.trim_start().starts_with('{') {
        return match parse_json_object(input) {
            Ok((pairs, errors)) => (pairs, errors),
            Err(e) => (Vec::new(), vec![e]),
        };
    }
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    let mut lines = input
        .split('\n')
        .map(|raw| raw.strip_suffix('\r').unwrap_or(raw))
        .enumerate()
        .map(|(i, l)| (i + 1, l));
    while let Some((n, line)) = lines.next() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.contains('\r') {
            errors.push(PairsError::BareCarriageReturn(n));
            continue;
        }
        match split_entry(line) {
            Entry::Single(name, value) => pairs.push(Pair {
                name: name.to_owned(),
                value: SecretValue::from(value),
                line: Some(n),
            }),
            Entry::Heredoc(name, delimiter) => {
                let mut body: Vec<&str> = Vec::new();
                let closed = lines.by_ref().any(|(m, l)| {
                    if l == delimiter {
                        return true;
                    }
                    if l.contains('\r') {
                        errors.push(PairsError::BareCarriageReturn(m));
                    }
                    body.push(l);
                    false
                });
                if !closed {
                    errors.push(PairsError::Unclosed(n));
                    break;
                }
                pairs.push(Pair {
                    name: name.to_owned(),
                    value: SecretValue::new(body.join("\n")),
                    line: Some(n),
                });
            }
            Entry::BadDelimiter => {
                errors.push(PairsError::BadDelimiter(n));
                // Its body cannot be told from entries: nothing after it is read.
                break;
            }
            Entry::NoName => errors.push(PairsError::NoName(n)),
            Entry::Malformed => errors.push(PairsError::NoEquals(n)),
        }
    }
    (pairs, errors)
}

enum Entry<'a> {
    Single(&'a str, &'a str),
    Heredoc(&'a str, &'a str),
    BadDelimiter,
    NoName,
    Malformed,
}

/// `NAME=value` or `NAME<<DELIMITER`, whichever of `=` and `<<` comes first.
fn split_entry(line: &str) -> Entry<'_> {
    let eq = line.find('=');
    let heredoc = line.find("<<").filter(|h| eq.is_none_or(|e| *h < e));
    let (name, rest, is_heredoc) = match (heredoc, eq) {
        (Some(h), _) => (&line[..h], &line[h + 2..], true),
        (None, Some(e)) => (&line[..e], &line[e + 1..], false),
        (None, None) => return Entry::Malformed,
    };
    let name = name.trim();
    if name.is_empty() {
        return Entry::NoName;
    }
    if !is_heredoc {
        return Entry::Single(name, rest);
    }
    let delimiter = rest.trim();
    let valid = (1..=64).contains(&delimiter.len())
        && delimiter
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if valid {
        Entry::Heredoc(name, delimiter)
    } else {
        Entry::BadDelimiter
    }
}

/// A value no mask should be registered for and no secret should hold: empty, blank, or without
/// a single letter or digit (`=`, `==`, `-`): masking it would blank that text in every log line.
pub fn is_trivial_value(value: &str) -> bool {
    !value.chars().any(char::is_alphanumeric)
}

/// One line of `secrets-from-env` / `current-from-env`: the secret `name` takes the value of the
/// step's environment variable `var`. Neither is validated yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvRef {
    pub name: String,
    pub var: String,
    pub line: usize,
}

/// Parses lines of `NAME` (the variable of that name) or `NAME=VARIABLE`; blank and `#` lines
/// skipped. No value is in this text, so names may be shown.
pub fn parse_env_refs(input: &str) -> (Vec<EnvRef>, Vec<PairsError>) {
    let mut refs = Vec::new();
    let mut errors = Vec::new();
    for (line, text) in non_comment_lines(input) {
        let (name, var) = text.split_once('=').unwrap_or((text, text));
        let (name, var) = (name.trim(), var.trim());
        if name.is_empty() || var.is_empty() {
            errors.push(PairsError::BadEnvRef(line));
            continue;
        }
        refs.push(EnvRef {
            name: name.to_owned(),
            var: var.to_owned(),
            line,
        });
    }
    (refs, errors)
}

type JsonPairs = (Vec<Pair>, Vec<PairsError>);

fn parse_json_object(input: &str) -> Result<JsonPairs, PairsError> {
    let mut de = serde_json::Deserializer::from_str(input);
    let parsed = de.deserialize_map(PairsVisitor).map_err(json_error)?;
    de.end().map_err(json_error)?;
    Ok(parsed)
}

/// serde_json's messages can quote input ("invalid type: string \"…\""); keep only the position.
fn json_error(e: serde_json::Error) -> PairsError {
    use serde_json::error::Category;
    if e.classify() == Category::Data {
        return PairsError::NotAnObject;
    }
    PairsError::Json {
        line: e.line(),
        column: e.column(),
        kind: match e.classify() {
            Category::Eof => "unexpected end",
            Category::Io => "read error",
            _ => "syntax error",
        },
    }
}

struct PairsVisitor;

impl<'de> Visitor<'de> for PairsVisitor {
    type Value = JsonPairs;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::new();
        let mut errors = Vec::new();
        while let Some(name) = map.next_key::<String>()? {
            match map.next_value::<MaybeString>()? {
                MaybeString(Some(value)) => pairs.push(Pair {
                    name: name.trim().to_owned(),
                    value,
                    line: None,
                }),
                MaybeString(None) => errors.push(PairsError::NotAString(name)),
            }
        }
        Ok((pairs, errors))
    }
}

/// A JSON value that is kept only when it is a string; anything else is noted, never echoed.
struct MaybeString(Option<SecretValue>);

impl<'de> serde::Deserialize<'de> for MaybeString {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(MaybeStringVisitor)
    }
}

struct MaybeStringVisitor;

impl<'de> Visitor<'de> for MaybeStringVisitor {
    type Value = MaybeString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E>(self, v: &str) -> Result<MaybeString, E> {
        Ok(MaybeString(Some(SecretValue::from(v))))
    }
    fn visit_string<E>(self, v: String) -> Result<MaybeString, E> {
        Ok(MaybeString(Some(SecretValue::new(v))))
    }
    fn visit_bool<E>(self, _: bool) -> Result<MaybeString, E> {
        Ok(MaybeString(None))
    }
    fn visit_i64<E>(self, _: i64) -> Result<MaybeString, E> {
        Ok(MaybeString(None))
    }
    fn visit_u64<E>(self, _: u64) -> Result<MaybeString, E> {
        Ok(MaybeString(None))
    }
    fn visit_f64<E>(self, _: f64) -> Result<MaybeString, E> {
        Ok(MaybeString(None))
    }
    fn visit_unit<E>(self) -> Result<MaybeString, E> {
        Ok(MaybeString(None))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<MaybeString, A::Error> {
        while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
        Ok(MaybeString(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MaybeString, A::Error> {
        while map
            .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
            .is_some()
        {}
        Ok(MaybeString(None))
    }
}

/// One line of the `files` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileSpec {
    /// `NAME=glob`: the glob must match exactly one file.
    Named {
        name: String,
        glob: String,
        line: usize,
    },
    /// `glob`: one secret per matched file, named after the file.
    Glob { glob: String, line: usize },
}

/// Parses `files`: one spec a line, blank and `#` lines skipped. A line is `NAME=glob` when the
/// text before its first `=` looks like a name; write `./a=b` for a path holding `=`.
pub fn parse_file_specs(input: &str) -> Vec<FileSpec> {
    non_comment_lines(input)
        .map(|(line, text)| match text.split_once('=') {
            Some((name, glob)) if looks_like_name(name.trim()) => FileSpec::Named {
                name: name.trim().to_owned(),
                glob: glob.trim().to_owned(),
                line,
            },
            _ => FileSpec::Glob {
                glob: text.to_owned(),
                line,
            },
        })
        .collect()
}

/// Trimmed lines that are neither blank nor `#` comments, with their 1-based numbers.
pub fn non_comment_lines(input: &str) -> impl Iterator<Item = (usize, &str)> {
    input
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
}

fn looks_like_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// `true`/`false` as the runner passes booleans (case-insensitive); empty means the default.
pub fn parse_bool(input: &str, default: bool) -> Option<bool> {
    match input.trim().to_ascii_lowercase().as_str() {
        "" => Some(default),
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pairs: &[Pair]) -> Vec<(&str, &str)> {
        pairs
            .iter()
            .map(|p| (p.name.as_str(), p.value.expose()))
            .collect()
    }

    #[test]
    fn lines_format() {
        let (pairs, errors) = parse_pairs("# comment\r\nA=1\r\n\n  B = x=y \nC=\n");
        assert!(errors.is_empty());
        assert_eq!(names(&pairs), [("A", "1"), ("B", " x=y "), ("C", "")]);
        assert_eq!(pairs[1].line, Some(4));
    }

    #[test]
    fn lines_format_reports_bad_lines_without_content() {
        let (pairs, errors) = parse_pairs("A=1\nsecret-looking-line\nB=2");
        assert_eq!(names(&pairs), [("A", "1"), ("B", "2")]);
        assert_eq!(errors, [PairsError::NoEquals(2)]);
        assert_eq!(errors[0].to_string(), "line 2: expected NAME=value");
    }

    #[test]
    fn heredoc_format() {
        let (pairs, errors) =
            parse_pairs("A<<EOF\r\none\r\n\r\nthree=3\r\nEOF\r\nB = x<<y\nC << END\nEND\n");
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            names(&pairs),
            [("A", "one\n\nthree=3"), ("B", " x<<y"), ("C", "")]
        );
        assert_eq!(pairs[1].line, Some(6));
    }

    #[test]
    fn malformed_lines_name_their_line_only() {
        let cases: [(&str, PairsError); 6] = [
            ("A=1\n==", PairsError::NoName(2)),
            ("A=1\r B=2", PairsError::BareCarriageReturn(1)),
            ("A<<EOF\nbody\nEOF \n", PairsError::Unclosed(1)),
            ("A<<\nbody", PairsError::BadDelimiter(1)),
            ("A<<E O F\nbody", PairsError::BadDelimiter(1)),
            ("\u{feff}A=1\nsecret-fragment", PairsError::NoEquals(2)),
        ];
        for (text, expected) in cases {
            let (_, errors) = parse_pairs(text);
            assert_eq!(errors, std::slice::from_ref(&expected), "{text:?}");
            assert!(!errors[0].to_string().contains("fragment"));
        }
        // An unclosed heredoc swallows the rest: no body line becomes an entry.
        let (pairs, _) = parse_pairs("A<<EOF\nX=1\nY=2");
        assert!(pairs.is_empty());
    }

    #[test]
    fn trivial_values() {
        for v in ["", "  ", "=", "==", "-", "{}"] {
            assert!(is_trivial_value(v), "{v:?}");
        }
        for v in ["p", "1", "a=", "é"] {
            assert!(!is_trivial_value(v), "{v:?}");
        }
    }

    #[test]
    fn env_refs() {
        let (refs, errors) = parse_env_refs("SESSION\n# c\nNEW = LOGIN_SESSION\n=X\n");
        assert_eq!(errors, [PairsError::BadEnvRef(4)]);
        assert_eq!(
            refs,
            [
                EnvRef {
                    name: "SESSION".into(),
                    var: "SESSION".into(),
                    line: 1
                },
                EnvRef {
                    name: "NEW".into(),
                    var: "LOGIN_SESSION".into(),
                    line: 3
                },
            ]
        );
    }

    #[test]
    fn json_format() {
        let (pairs, errors) = parse_pairs("  {\"A\": \"multi\\nline\", \"B\": \"{\\\"k\\\":1}\"}");
        assert!(errors.is_empty());
        assert_eq!(names(&pairs), [("A", "multi\nline"), ("B", "{\"k\":1}")]);
    }

    #[test]
    fn json_errors_never_quote_input() {
        let (_, errors) = parse_pairs("{\"A\": \"hunter2\", \"B\": 5, \"C\": [\"x\"]}");
        assert_eq!(
            errors,
            [
                PairsError::NotAString("B".into()),
                PairsError::NotAString("C".into())
            ]
        );
        let (_, errors) = parse_pairs("{\"A\": \"hunter2\"");
        assert!(!errors[0].to_string().contains("hunter2"));
        assert!(matches!(errors[0], PairsError::Json { .. }));
        let (_, errors) = parse_pairs("{\"A\": \"hunter2\"} trailing");
        assert!(matches!(errors[0], PairsError::Json { .. }));
        let (_, errors) = parse_pairs("{\"A\": hunter2}");
        assert!(!errors[0].to_string().contains("hunter2"), "{}", errors[0]);
    }

    #[test]
    fn file_specs() {
        let specs = parse_file_specs("a/*.token\n# c\n\n NAME = b/x.txt \n./k=v.txt\n");
        assert_eq!(
            specs,
            [
                FileSpec::Glob {
                    glob: "a/*.token".into(),
                    line: 1
                },
                FileSpec::Named {
                    name: "NAME".into(),
                    glob: "b/x.txt".into(),
                    line: 4
                },
                FileSpec::Glob {
                    glob: "./k=v.txt".into(),
                    line: 5
                },
            ]
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("", true), Some(true));
        assert_eq!(parse_bool("TRUE", false), Some(true));
        assert_eq!(parse_bool(" false ", true), Some(false));
        assert_eq!(parse_bool("yes", false), None);
    }
}
