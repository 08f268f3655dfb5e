//! The value `set` writes, read once: from `--from-file`, else a hidden prompt typed twice on a
//! terminal, else standard input; registered for redaction at once.

use std::io::Read;
use std::path::Path;

use super::args::SetError;
use crate::commands::words;
use crate::config::names::SecretName;
use crate::config::{Origin, MAX_VALUE_BYTES};
use crate::env::prompt::PromptError;
use crate::output::words::List;
use crate::secret::{secret_from_bytes, SecretValue};

/// The value: `--from-file`, else a hidden prompt on a terminal, else standard input.
pub(super) fn read_value(
    names: &[SecretName],
    from_file: Option<&Path>,
) -> Result<(SecretValue, Origin), SetError> {
    let (value, origin) = match from_file {
        Some(p) if p.as_os_str() != "-" => {
            let bytes =
                std::fs::read(crate::env::resolve(p)).map_err(|cause| SetError::ReadFile {
                    path: p.display().to_string(),
                    cause,
                })?;
            let v = secret_from_bytes(bytes)
                .ok_or_else(|| SetError::FileNotUtf8(p.display().to_string()))?;
            (v.trim_one_newline(), Origin::File(p.to_path_buf()))
        }
        None if crate::env::stdin_is_terminal() => (prompt_twice(names)?, Origin::Prompt),
        _ => (read_stdin()?, Origin::Input),
    };
    let list = name_list(names);
    let from = match &origin {
        Origin::File(p) => format!(" (from {})", p.display()),
        Origin::Input => " (from standard input)".to_owned(),
        Origin::Prompt => String::new(),
    };
    crate::output::redact::know(&value);
    if value.is_empty() {
        return Err(SetError::Empty { list, from });
    }
    if value.len() > MAX_VALUE_BYTES {
        return Err(SetError::TooLarge {
            list,
            len: value.len(),
            from,
        });
    }
    Ok((value, origin))
}

fn read_stdin() -> Result<SecretValue, SetError> {
    let mut buf = Vec::new();
    crate::env::Stdin
        .read_to_end(&mut buf)
        .map_err(SetError::ReadStdin)?;
    secret_from_bytes(buf)
        .map(SecretValue::trim_one_newline)
        .ok_or(SetError::StdinNotUtf8)
}

/// Asks twice with echo off; a person's typo must not become the stored secret.
fn prompt_twice(names: &[SecretName]) -> Result<SecretValue, SetError> {
    let list = name_list(names);
    words::ask_twice(&format!("Value for {list} (input hidden): ")).map_err(|e| match e {
        PromptError::Mismatch => SetError::Mistyped { list },
        e => SetError::Prompt(e),
    })
}

pub(super) fn name_list(names: &[SecretName]) -> String {
    List::comma(names.iter().map(SecretName::as_str)).to_string()
}
