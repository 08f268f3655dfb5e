//! The one validator of names every front end uses (the action, `sync`, `set`, `status`):
//! secret names, names derived from file names, environment names, and the names of environment
//! variables values may be taken from.

use std::fmt;
use std::path::Path;

/// Secret names the runner reads as settings: storing one switches on debug logging, which
/// prints every step's environment and commands, for every later run of the repository.
const RUNNER_SETTINGS: [&str; 2] = ["ACTIONS_STEP_DEBUG", "ACTIONS_RUNNER_DEBUG"];

/// A validated secret name: `[A-Za-z_][A-Za-z0-9_]*`, not starting with `GITHUB_`, and not one
/// of the runner's debug settings.
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
    #[error(
        "secret name `{0}` is a runner setting: storing it turns on debug logging for every \
         later run of the repository"
    )]
    RunnerSetting(&'static str),
    #[error("secret name `{0}` is given twice; names are case-insensitive")]
    Twice(String),
}

impl NameError {
    /// The rule that was broken, without the name: for input where the "name" may really be
    /// part of a value (a multi-line value pasted into `NAME=value` lines).
    pub fn rule(&self) -> &'static str {
        match self {
            NameError::Empty => "the name is empty",
            NameError::Characters(_) => {
                "the text before `=` is not a secret name (a letter or `_`, then letters, digits \
                 and `_`); a multi-line value needs the `NAME<<DELIMITER` form"
            }
            NameError::Reserved(_) => "secret names must not start with `GITHUB_`",
            NameError::Twice(_) => "the name is given twice; names are case-insensitive",
            NameError::RunnerSetting(_) => {
                "`ACTIONS_STEP_DEBUG` and `ACTIONS_RUNNER_DEBUG` are runner settings: storing one \
                 turns on debug logging for every later run of the repository"
            }
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
        if let Some(setting) = RUNNER_SETTINGS
            .iter()
            .find(|s| s.eq_ignore_ascii_case(name))
        {
            return Err(NameError::RunnerSetting(setting));
        }
        Ok(Self(name.to_owned()))
    }

    /// Names given as a list (`set NAME…`, `status NAME…`): each valid, none twice
    /// (case-insensitively, as GitHub compares them).
    pub fn parse_unique<S: AsRef<str>>(raw: &[S]) -> Result<Vec<Self>, NameError> {
        let mut names: Vec<Self> = Vec::new();
        for n in raw {
            let name = Self::parse(n.as_ref())?;
            if names.iter().any(|m| m.folded() == name.folded()) {
                return Err(NameError::Twice(name.0));
            }
            names.push(name);
        }
        Ok(names)
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

/// Why a prefix cannot start the names derived from file names.
pub fn check_prefix(prefix: &str) -> Result<(), PrefixError> {
    let mut chars = prefix.chars();
    match chars.next() {
        None => Ok(()),
        Some(c) if !(c.is_ascii_alphabetic() || c == '_') => {
            Err(PrefixError::Start(printable(prefix)))
        }
        Some(_) if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Err(PrefixError::Characters(printable(prefix)))
        }
        Some(_) => Ok(()),
    }
}

/// A prefix that makes every derived name invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefixError {
    #[error("`{0}` cannot start a secret name: it must start with a letter or `_`")]
    Start(String),
    #[error("`{0}` cannot be part of a secret name: letters, digits and `_` only")]
    Characters(String),
}

/// A deployment environment's name as GitHub accepts it: not blank, at most 255 characters, no
/// control characters. Returns the name trimmed.
///
/// The name becomes a path segment of every request for it, and percent-encoding leaves dot
/// segments alone (RFC 3986 also reads `%2E%2E` as `..`): `.`, `..` and an empty segment
/// between slashes would make the route another path to any normalising proxy or server. An
/// invisible character (zero-width, bidirectional override, byte-order mark, soft hyphen) makes
/// a name look like another in the log. Each is refused here, where the name is read.
pub fn environment_name(raw: &str) -> Result<&str, EnvironmentNameError> {
    let name = raw.trim();
    if name.is_empty() {
        Err(EnvironmentNameError::Empty)
    } else if name.chars().count() > 255
        || name
            .chars()
            .any(|c| c.is_control() || crate::output::invisible::is_invisible(c))
    {
        Err(EnvironmentNameError::Invalid)
    } else if name.split('/').any(|seg| matches!(seg, "" | "." | "..")) {
        Err(EnvironmentNameError::DotSegment)
    } else {
        Ok(name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentNameError {
    #[error("the environment name is empty")]
    Empty,
    #[error(
        "not a valid environment name (at most 255 characters, no control or invisible \
         characters)"
    )]
    Invalid,
    #[error("not a valid environment name: `.`, `..` and empty segments between slashes change the request's path")]
    DotSegment,
}

#[cfg(test)]
mod environment_tests {
    use super::*;

    #[test]
    fn dot_segments_empty_segments_and_invisible_characters_are_refused() {
        for bad in [".", "..", "a/..", "../b", "a/./b", "a//b", "/a", "a/"] {
            assert_eq!(
                environment_name(bad),
                Err(EnvironmentNameError::DotSegment),
                "{bad:?}"
            );
        }
        for bad in [
            "pro\u{200b}d",
            "prod\u{202e}",
            "\u{feff}prod",
            "a\u{2066}b",
            "x\u{00ad}y",
        ] {
            assert_eq!(
                environment_name(bad),
                Err(EnvironmentNameError::Invalid),
                "{bad:?}"
            );
        }
        for good in ["prod", "staging-eu", "a.b", "..a", "release/1.2", "préprod"] {
            assert_eq!(environment_name(good), Ok(good), "{good:?}");
        }
    }
}

/// Variables that are never a source of values: the runner's own (`INPUT_TOKEN` is the token,
/// `ACTIONS_RUNTIME_TOKEN` the job's credential) and GitHub's.
const RUNNER_VARIABLE_PREFIXES: [&str; 4] = ["INPUT_", "ACTIONS_", "GITHUB_", "RUNNER_"];

/// The name of an environment variable a value is taken from: `[A-Za-z_][A-Za-z0-9_]*`, not one
/// of the runner's or GitHub's own variables.
pub fn env_var_name(raw: &str) -> Result<&str, EnvVarError> {
    let name = raw.trim();
    let mut chars = name.chars();
    let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return Err(EnvVarError::Characters(printable(name)));
    }
    if let Some(prefix) = RUNNER_VARIABLE_PREFIXES
        .iter()
        .find(|p| name.len() >= p.len() && name[..p.len()].eq_ignore_ascii_case(p))
    {
        return Err(EnvVarError::Runner {
            name: name.to_owned(),
            prefix,
        });
    }
    Ok(name)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvVarError {
    #[error(
        "`{0}` is not an environment variable name (a letter or `_`, then letters, digits and `_`)"
    )]
    Characters(String),
    #[error(
        "`{name}` is the runner's own variable: values are never taken from `{prefix}*` variables"
    )]
    Runner { name: String, prefix: &'static str },
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
    fn refuses_the_runner_debug_settings() {
        for n in [
            "ACTIONS_STEP_DEBUG",
            "actions_runner_debug",
            " Actions_Step_Debug ",
        ] {
            assert!(
                matches!(SecretName::parse(n), Err(NameError::RunnerSetting(_))),
                "{n}"
            );
        }
        assert!(SecretName::parse("ACTIONS_DEPLOY_KEY").is_ok());
        let e = SecretName::parse("ACTIONS_STEP_DEBUG")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("debug logging"), "{e}");
    }

    #[test]
    fn lists_of_names_are_unique() {
        assert_eq!(
            SecretName::parse_unique(&["A", "b"]).map(|v| v.len()),
            Ok(2)
        );
        assert_eq!(
            SecretName::parse_unique(&["A", "a"]),
            Err(NameError::Twice("a".into()))
        );
    }

    #[test]
    fn prefixes_environments_and_variables() {
        assert!(check_prefix("").is_ok());
        assert!(check_prefix("MOOGO_CACHED_").is_ok());
        assert!(matches!(
            check_prefix("my-"),
            Err(PrefixError::Characters(_))
        ));
        assert!(matches!(check_prefix("1X"), Err(PrefixError::Start(_))));
        assert_eq!(environment_name(" prod "), Ok("prod"));
        assert_eq!(environment_name(" "), Err(EnvironmentNameError::Empty));
        assert!(environment_name("a\u{7}").is_err());
        assert_eq!(env_var_name("LOGIN_SESSION"), Ok("LOGIN_SESSION"));
        for bad in [
            "INPUT_TOKEN",
            "input_token",
            "ACTIONS_RUNTIME_TOKEN",
            "GITHUB_TOKEN",
            "RUNNER_TEMP",
        ] {
            assert!(
                matches!(env_var_name(bad), Err(EnvVarError::Runner { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            env_var_name("A-B"),
            Err(EnvVarError::Characters(_))
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
