//! Secret names: validation, and names derived from file names.

use std::fmt;
use std::path::Path;

/// A validated secret name: `[A-Za-z_][A-Za-z0-9_]*`, not starting with `GITHUB_`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SecretName(String);

/// Why a name is not a valid secret name. Names are never secret, so they may be shown.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("secret name is empty")]
    Empty,
    #[error(
        "secret name `{0}` must start with a letter or `_` and hold only letters, digits and `_`"
    )]
    Characters(String),
    #[error("secret name `{0}` must not start with `GITHUB_` (GitHub reserves that prefix)")]
    Reserved(String),
}

impl NameError {
    /// The rule that was broken, without the name: for input where the "name" may really be
    /// part of a value (a multi-line value pasted into `NAME=value` lines).
    pub fn rule(&self) -> &'static str {
        match self {
            NameError::Empty => "the name is empty",
            NameError::Characters(_) => {
                "the text before `=` is not a secret name (a letter or `_`, then letters, digits \
                 and `_`); a multi-line value needs the JSON form"
            }
            NameError::Reserved(_) => "secret names must not start with `GITHUB_`",
        }
    }
}

impl SecretName {
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim();
        let mut chars = name.chars();
        let Some(first) = chars.next() else {
            return Err(NameError::Empty);
        };
        let valid_first = first.is_ascii_alphabetic() || first == '_';
        if !valid_first || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(NameError::Characters(printable(name)));
        }
        if name.len() >= 7 && name[..7].eq_ignore_ascii_case("GITHUB_") {
            return Err(NameError::Reserved(name.to_owned()));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key names are compared by: GitHub treats secret names case-insensitively.
    pub fn folded(&self) -> String {
        self.0.to_ascii_uppercase()
    }
}

impl fmt::Display for SecretName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name derived from a file: `prefix` + the file stem upper-cased, every character outside
/// `[A-Z0-9_]` replaced by `_`.
pub fn name_from_file(prefix: &str, path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let derived: String = stem
        .chars()
        .map(|c| {
            let c = c.to_ascii_uppercase();
            if c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{prefix}{derived}")
}

/// Names come from user input; keep control characters out of messages.
fn printable(s: &str) -> String {
    s.chars().flat_map(char::escape_debug).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_valid_names() {
        for n in [
            "A",
            "_",
            "a_b1",
            "MOOGO_CACHED_SESSION",
            "  PADDED  ",
            "GITHUB",
        ] {
            assert!(SecretName::parse(n).is_ok(), "{n}");
        }
        assert_eq!(SecretName::parse(" X ").map(|n| n.0), Ok("X".into()));
    }

    #[test]
    fn rejects_invalid_names() {
        assert_eq!(SecretName::parse(""), Err(NameError::Empty));
        assert_eq!(SecretName::parse("   "), Err(NameError::Empty));
        assert!(matches!(
            SecretName::parse("1A"),
            Err(NameError::Characters(_))
        ));
        assert!(matches!(
            SecretName::parse("A-B"),
            Err(NameError::Characters(_))
        ));
        assert!(matches!(
            SecretName::parse("A B"),
            Err(NameError::Characters(_))
        ));
        assert!(matches!(
            SecretName::parse("É"),
            Err(NameError::Characters(_))
        ));
        assert!(matches!(
            SecretName::parse("github_token"),
            Err(NameError::Reserved(_))
        ));
        assert!(matches!(
            SecretName::parse("GITHUB_X"),
            Err(NameError::Reserved(_))
        ));
    }

    #[test]
    fn derives_names_from_file_stems() {
        let p = |s: &str| name_from_file("MOOGO_CACHED_", Path::new(s));
        assert_eq!(p(".cache/session/device.token"), "MOOGO_CACHED_DEVICE");
        assert_eq!(p("a/refresh-token.v2.txt"), "MOOGO_CACHED_REFRESH_TOKEN_V2");
        assert_eq!(p("a/.hidden"), "MOOGO_CACHED__HIDDEN");
        assert_eq!(p("a/émoji.x"), "MOOGO_CACHED__MOJI");
        assert_eq!(name_from_file("", Path::new("x/9lives.t")), "9LIVES");
    }
}
