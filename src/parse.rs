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

/// A problem in one input. Carries no value.
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
}

/// Parses `NAME=value` lines or, when the first non-blank character is `{`, a JSON object.
///
/// Lines: blank lines and lines starting with `#` are skipped; `\r\n` endings are accepted; the
/// name is trimmed; the value is everything after the first `=`. Every good pair is returned even
/// when some lines are bad, so the caller can mask them all before reporting the errors.
pub fn parse_pairs(input: &str) -> (Vec<Pair>, Vec<PairsError>) {
    if input.trim_start().starts_with('{') {
        return match parse_json_object(input) {
            Ok((pairs, errors)) => (pairs, errors),
            Err(e) => (Vec::new(), vec![e]),
        };
    }
    let mut pairs = Vec::new();
    let mut errors = Vec::new();
    for (i, raw) in input.split('\n').enumerate() {
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = line.trim_start();
        if trimmed.trim().is_empty() || trimmed.starts_with('#') {
            continue;
        }
        match line.split_once('=') {
            Some((name, value)) => pairs.push(Pair {
                name: name.trim().to_owned(),
                value: SecretValue::from(value),
                line: Some(i + 1),
            }),
            None => errors.push(PairsError::NoEquals(i + 1)),
        }
    }
    (pairs, errors)
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
