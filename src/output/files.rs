//! The files the runner gives a step: `$GITHUB_OUTPUT` ([`write_outputs`], and
//! [`parse_outputs`] to read one back as the runner does) and `$GITHUB_STEP_SUMMARY`
//! ([`append`], under [`MAX_SUMMARY_BYTES`]); and a file written next to a person
//! ([`create_new`]). Each writes only [`Redacted`] text: redaction is the last step before the
//! bytes reach the file.

use std::io::{self, Write};

use super::redact::Redacted;

/// GitHub drops a step summary over 1 MiB; ours stays under this.
pub const MAX_SUMMARY_BYTES: usize = 1000 * 1024;

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

/// Appends `text`, redacted, to a file the runner gave us (`$GITHUB_OUTPUT`,
/// `$GITHUB_STEP_SUMMARY`).
pub fn append(path: &std::path::Path, text: &str) -> io::Result<()> {
    let text = Redacted::new(text);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    f.write_all(text.as_bytes())
}

/// Writes `text`, redacted, into a new file at `path`; `false` when the file already exists
/// (it is never overwritten).
pub fn create_new(path: &std::path::Path, text: &str) -> io::Result<bool> {
    let text = Redacted::new(text);
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(mut f) => f.write_all(text.as_bytes()).map(|()| true),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(e),
    }
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
