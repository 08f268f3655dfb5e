//! `--repos-file`: the repositories a secret goes to, kept in a file next to the scripts that
//! used to loop over them. Two forms are read:
//!
//! - one `owner/name` (or `owner/glob`, such as `acme/svc-*`, resolved as `--repo`'s) a line,
//!   blank lines and `#` comments ignored;
//! - a YAML list of strings: `- owner/name` items (quoted or not), optionally under one key
//!   such as `repositories:`, or a one-line flow list `[acme/api, acme/web]`.
//!
//! The YAML reader is deliberately tiny and strict rather than a general YAML library: the only
//! document it has to understand is a list of repository names, and anything else (anchors,
//! nested maps, several keys) is an error naming the line, not a silent guess.

use std::path::Path;

use crate::config::RepoSpec;

/// Why `--repos-file` cannot be used. Names the flag, the file and the line.
#[derive(Debug, thiserror::Error)]
pub enum ReposFileError {
    /// The file cannot be read: missing, not UTF-8, or another I/O error.
    #[error("--repos-file {path}: cannot read it: {}", read_cause(.cause))]
    Read { path: String, cause: std::io::Error },
    /// A line is not what either form allows.
    #[error("--repos-file {path}: {error}")]
    Parse { path: String, error: ParseError },
    /// The file names no repository.
    #[error("--repos-file {path}: no repository in it (one `owner/name` a line)")]
    Empty { path: String },
}

fn read_cause(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not found".to_owned(),
        std::io::ErrorKind::InvalidData => "not UTF-8 text".to_owned(),
        _ => e.to_string(),
    }
}

/// What is wrong with a line of a repositories file (its number, from 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// An item that is not `owner/name` (the item is a repository name, never a secret).
    #[error("line {line}: `{item}` is not a repository: write it as owner/name (e.g. acme/api) or owner/glob (e.g. acme/svc-*)")]
    NotARepository { line: usize, item: String },
    /// The first line of a YAML document is neither a list item nor a key.
    #[error("line {line}: expected `- owner/name` or `key:`")]
    ItemOrKey { line: usize },
    /// A key with no name, or with a space in it.
    #[error("line {line}: expected a key such as `repositories:`")]
    Key { line: usize },
    /// Something after a one-line list.
    #[error("line {line}: only one list is read: nothing may follow it")]
    AfterList { line: usize },
    /// A second key.
    #[error("line {line}: only one key is read: the file holds one list of repositories")]
    SecondKey { line: usize },
    /// A line that is not a list item.
    #[error("line {line}: expected `- owner/name`")]
    Item { line: usize },
    /// `-owner/name`.
    #[error("line {line}: expected a space after `-`")]
    SpaceAfterDash { line: usize },
    /// A one-line list without its brackets.
    #[error("line {line}: expected a list `[owner/name, …]`")]
    FlowList { line: usize },
    /// A quote opened and not closed.
    #[error("line {line}: unbalanced quote")]
    UnbalancedQuote { line: usize },
}

/// Reads and parses a repositories file. Errors name the file and the line.
pub fn read(path: &Path) -> Result<Vec<RepoSpec>, ReposFileError> {
    let shown = || path.display().to_string();
    let text = std::fs::read_to_string(crate::env::resolve(path)).map_err(|cause| {
        ReposFileError::Read {
            path: shown(),
            cause,
        }
    })?;
    let repos = parse(&text).map_err(|error| ReposFileError::Parse {
        path: shown(),
        error,
    })?;
    if repos.is_empty() {
        return Err(ReposFileError::Empty { path: shown() });
    }
    Ok(repos)
}

/// Parses either form; the first meaningful line decides which.
pub fn parse(text: &str) -> Result<Vec<RepoSpec>, ParseError> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, strip_comment(l)))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let yaml = lines.first().is_some_and(|(_, l)| {
        let l = l.trim();
        l.starts_with('-') || l.starts_with('[') || l.ends_with(':') || l.contains(": [")
    });
    if yaml {
        parse_yaml(&lines)
    } else {
        lines
            .iter()
            .map(|(n, l)| repo(l.trim(), *n))
            .collect::<Result<Vec<_>, _>>()
    }
}

/// A `#` starts a comment at the start of a line or after whitespace (as in YAML).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        let after_space = i == 0 || bytes.get(i - 1).is_some_and(u8::is_ascii_whitespace);
        if *b == b'#' && after_space {
            return &line[..i];
        }
    }
    line
}

fn repo(s: &str, line: usize) -> Result<RepoSpec, ParseError> {
    RepoSpec::parse(s).ok_or_else(|| ParseError::NotARepository {
        line,
        item: s.to_owned(),
    })
}

fn parse_yaml(lines: &[(usize, &str)]) -> Result<Vec<RepoSpec>, ParseError> {
    let mut out = Vec::new();
    let mut rest = lines;
    if let Some((_, l)) = rest.first() {
        if l.trim() == "---" {
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    // An optional single key holding the list.
    let mut key_line = None;
    if let Some((n, l)) = rest.first() {
        let t = l.trim();
        if !t.starts_with('-') && !t.starts_with('[') {
            let Some((key, value)) = t.split_once(':') else {
                return Err(ParseError::ItemOrKey { line: *n });
            };
            if key.trim().is_empty() || key.contains(char::is_whitespace) {
                return Err(ParseError::Key { line: *n });
            }
            key_line = Some(*n);
            let value = value.trim();
            if !value.is_empty() {
                if rest.len() > 1 {
                    return Err(ParseError::AfterList {
                        line: rest.get(1).map_or(0, |r| r.0),
                    });
                }
                return flow(value, *n);
            }
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    if let [(n, l)] = rest {
        if l.trim().starts_with('[') && key_line.is_none() {
            return flow(l.trim(), *n);
        }
    }
    for (n, l) in rest {
        let t = l.trim();
        if key_line.is_some() && !l.starts_with(char::is_whitespace) && !t.starts_with('-') {
            return Err(ParseError::SecondKey { line: *n });
        }
        let Some(item) = t.strip_prefix('-') else {
            return Err(ParseError::Item { line: *n });
        };
        if !item.is_empty() && !item.starts_with(' ') {
            return Err(ParseError::SpaceAfterDash { line: *n });
        }
        out.push(repo(&unquote(item.trim(), *n)?, *n)?);
    }
    Ok(out)
}

/// `[a/b, "c/d"]` on one line.
fn flow(s: &str, line: usize) -> Result<Vec<RepoSpec>, ParseError> {
    let inner = s
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .ok_or(ParseError::FlowList { line })?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| repo(&unquote(s, line)?, line))
        .collect()
}

fn unquote(s: &str, line: usize) -> Result<String, ParseError> {
    for q in ['"', '\''] {
        if let Some(rest) = s.strip_prefix(q) {
            return rest
                .strip_suffix(q)
                .map(str::to_owned)
                .ok_or(ParseError::UnbalancedQuote { line });
        }
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Result<Vec<String>, String> {
        parse(text)
            .map(|v| v.iter().map(ToString::to_string).collect())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn plain_lines_with_comments() {
        assert_eq!(
            names("# the services\nacme/api\n\n  acme/web  # front end\n"),
            Ok(vec!["acme/api".into(), "acme/web".into()])
        );
        // A `#` inside a word is not a comment: the name is refused whole, not cut short.
        assert_eq!(
            names("acme/w#x\n"),
            Err(
                "line 1: `acme/w#x` is not a repository: write it as owner/name (e.g. acme/api) or owner/glob (e.g. acme/svc-*)"
                    .into()
            )
        );
        assert_eq!(
            names("acme/api\nacme\n"),
            Err("line 2: `acme` is not a repository: write it as owner/name (e.g. acme/api) or owner/glob (e.g. acme/svc-*)".into())
        );
    }

    #[test]
    fn yaml_lists() {
        let want = Ok(vec!["acme/api".to_owned(), "acme/web".to_owned()]);
        assert_eq!(names("- acme/api\n- \"acme/web\"\n"), want);
        assert_eq!(
            names("---\n# repos\nrepositories:\n  - acme/api   # api\n  - 'acme/web'\n"),
            want
        );
        assert_eq!(names("[acme/api, \"acme/web\"]\n"), want);
        assert_eq!(names("repositories: [acme/api, acme/web]\n"), want);
    }

    #[test]
    fn yaml_that_is_not_a_list_of_repositories_is_refused() {
        assert_eq!(
            names("repositories:\n  - acme/api\nother:\n  - acme/web\n"),
            Err("line 3: only one key is read: the file holds one list of repositories".into())
        );
        assert_eq!(
            names("- acme/api\n-acme/web\n"),
            Err("line 2: expected a space after `-`".into())
        );
        assert_eq!(
            names("- name: acme/api\n"),
            Err(
                "line 1: `name: acme/api` is not a repository: write it as owner/name (e.g. acme/api) or owner/glob (e.g. acme/svc-*)"
                    .into()
            )
        );
        assert_eq!(
            names("- \"acme/api\n"),
            Err("line 1: unbalanced quote".into())
        );
    }
}
