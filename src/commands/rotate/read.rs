//! Step 1: everything that needs no request. The arguments are checked (the name, the targets,
//! which token comes from standard input), the writer is found, and the new token (and with
//! `--revoke-old` the old one) is read once: from a file, a hidden prompt typed twice, or
//! standard input. A refusal names the flag, the file or the secret, never a token.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::args::RotateArgs;
use crate::auth::token::TokenKind;
use crate::commands::words::NOTHING_WRITTEN;
use crate::commands::{Credential, Error};
use crate::config::names::SecretName;
use crate::config::{Origin, MAX_VALUE_BYTES};
use crate::env::prompt::PromptError;
use crate::github::ApiUrl;
use crate::secret::{secret_from_bytes, SecretValue};
use crate::target::Target;

/// What step 1 gathered, before any request: the secret, the targets, where, who writes, and
/// the tokens.
pub(super) struct Inputs {
    pub(super) name: SecretName,
    pub(super) targets: Vec<Target>,
    pub(super) api: ApiUrl,
    /// `None`: the new token writes (`--write-with-new`).
    pub(super) writer: Option<Credential>,
    pub(super) new: SecretValue,
    pub(super) origin: Origin,
    pub(super) old: Option<SecretValue>,
    /// Where the rotation is recorded: `--audit-log`, else the user's data directory.
    pub(super) audit_log: PathBuf,
}

/// Step 1, and every check that needs no request; a refusal is printed and is the exit code.
pub(super) fn gather(args: &RotateArgs) -> Result<Inputs, Error> {
    let (name, specs) = validate(args).map_err(Error::usage)?;
    let api = crate::commands::api_url(args.api_url.as_deref()).map_err(Error::usage)?;
    let audit_log = match &args.audit_log {
        Some(path) => path.clone(),
        None => super::args::default_audit_log().ok_or_else(|| {
            Error::usage(RotateError::NoDataDirectory {
                unset: super::args::DATA_DIRECTORY,
            })
        })?,
    };
    // Refused before any token is read or any request made: a half-done runbook is worse.
    if args.revoke_old && !api.serves_credential_revocation() {
        return Err(Error::usage(RotateError::RevocationUnavailable {
            host: api.gh_hostname(),
        }));
    }
    // A large blast radius is confirmed before any token is read or any request made; targets
    // from a pattern, once it is resolved (before anything is written).
    let from_pattern = match &specs {
        crate::commands::Specs::Known(targets) => {
            crate::commands::confirm::blast_radius(
                name.as_str(),
                targets,
                false,
                args.yes,
                args.dry_run,
            )?;
            false
        }
        crate::commands::Specs::Patterns(_) => true,
    };
    let writer = if args.write_with_new {
        None
    } else {
        let found = Credential::find(&args.github_app, true, api.as_str()).map_err(|e| {
            Error::usage_then(
                e,
                "; or write with the new token itself (--write-with-new); nothing was written",
            )
        })?;
        Some(found)
    };
    let (new, origin, old) =
        read_tokens(args, &name).map_err(|e| Error::usage_then(e, NOTHING_WRITTEN))?;
    let targets = targets(
        args,
        &name,
        specs,
        from_pattern,
        writer.as_ref(),
        &new,
        &api,
    )?;
    Ok(Inputs {
        name,
        targets,
        api,
        writer,
        new,
        origin,
        old,
        audit_log,
    })
}

/// The targets, patterns resolved with what writes (the writer, else the new token) and the
/// large blast radius they reach confirmed before anything is written.
fn targets(
    args: &RotateArgs,
    name: &SecretName,
    specs: crate::commands::Specs,
    from_pattern: bool,
    writer: Option<&Credential>,
    new: &SecretValue,
    api: &crate::github::ApiUrl,
) -> Result<Vec<Target>, Error> {
    let targets = match writer {
        Some(writer) => {
            crate::commands::patterns::resolve(&args.targets, specs, writer, api.as_str())?
        }
        None => {
            let new =
                Credential::Token(new.clone(), crate::auth::token::TokenSource::StandardInput);
            crate::commands::patterns::resolve(&args.targets, specs, &new, api.as_str())?
        }
    };
    if from_pattern {
        crate::commands::confirm::blast_radius(
            name.as_str(),
            &targets,
            true,
            args.yes,
            args.dry_run,
        )?;
    }
    Ok(targets)
}

/// The new token, and with --revoke-old the old one, which must differ from it and be a kind
/// GitHub's credential revocation takes.
fn read_tokens(
    args: &RotateArgs,
    name: &SecretName,
) -> Result<(SecretValue, Origin, Option<SecretValue>), RotateError> {
    let mut stdin_used = false;
    let (new, origin) = read_token(
        WhichToken::New,
        name,
        args.from_file.as_deref(),
        &mut stdin_used,
    )?;
    if TokenKind::of(&new).is_installation() {
        return Err(RotateError::NewIsInstallation);
    }
    if !args.revoke_old {
        return Ok((new, origin, None));
    }
    let (old, _) = read_token(
        WhichToken::Old,
        name,
        args.old_from_file.as_deref(),
        &mut stdin_used,
    )?;
    if old.ct_eq(&new) {
        return Err(RotateError::Same);
    }
    if TokenKind::of(&old).is_installation() {
        return Err(RotateError::OldIsInstallation);
    }
    Ok((new, origin, Some(old)))
}

/// Why `rotate` cannot start: names the flag, the file or the secret, never a token (usage or
/// input errors: nothing was written).
#[derive(Debug, thiserror::Error)]
pub(super) enum RotateError {
    /// The secret's name is wrong.
    #[error(transparent)]
    Name(#[from] crate::config::names::NameError),
    /// No name.
    #[error("give the secret's name")]
    NoName,
    /// `--repo`, `--repos-file`, `--env`, `--org` or `--app` is wrong.
    #[error(transparent)]
    Targets(#[from] crate::commands::TargetArgsError),
    /// Both tokens from standard input.
    #[error(
        "--from-file - and --old-from-file - both read standard input: give one of them a file"
    )]
    BothFromStdin,
    /// `--from-file` or `--old-from-file` names no file.
    #[error("{flag} {path}: no such file; give the file holding the token")]
    NoFile { flag: &'static str, path: String },
    /// The app's key and the new token both from standard input.
    #[error(
        "--app-key-file - reads the app's key from standard input, so the new token cannot come \
         from there too: give it with --from-file PATH"
    )]
    KeyAndTokenFromStdin,
    /// A token's file cannot be read (`what`: "the new token" or "the old token").
    #[error("{what}: cannot read {path}: {cause}")]
    ReadFile {
        what: &'static str,
        path: String,
        cause: std::io::Error,
    },
    /// A token's file holds no UTF-8 text.
    #[error("{what} in {path} is not UTF-8")]
    FileNotUtf8 { what: &'static str, path: String },
    /// The terminal cannot be read.
    #[error(transparent)]
    Prompt(PromptError),
    /// The two entries at the prompt never matched.
    #[error("{what} was typed differently 3 times")]
    Mistyped { what: &'static str },
    /// Standard input was read for the new token already.
    #[error("{what}: standard input holds the new token already: give --old-from-file PATH")]
    StdinUsed { what: &'static str },
    /// Standard input cannot be read.
    #[error("cannot read {what} from standard input: {cause}")]
    ReadStdin {
        what: &'static str,
        cause: std::io::Error,
    },
    /// Standard input holds no UTF-8 text.
    #[error("{what} on standard input is not UTF-8")]
    StdinNotUtf8 { what: &'static str },
    /// A token is empty.
    #[error("{what} is empty")]
    Empty { what: &'static str },
    /// A token is larger than a secret holds.
    #[error(
        "{what} is over {} bytes, more than GitHub stores in a secret",
        MAX_VALUE_BYTES
    )]
    TooLarge { what: &'static str },
    /// A token cannot be sent in a header.
    #[error("{what}: {error}")]
    Token {
        what: &'static str,
        error: crate::github::TokenError,
    },
    /// An installation token to store: it dies within the hour, and with it whatever reads it.
    #[error(
        "the new token is an installation token (ghs_: a GitHub App's, or a workflow's \
         GITHUB_TOKEN), which expires within an hour: whatever reads the secret would fail after \
         that; store a personal access token, or give the workflow the app's id and private key \
         (`app-id`, `app-private-key`) to mint its own"
    )]
    NewIsInstallation,
    /// `--revoke-old` with an installation token, which the credentials API does not revoke.
    #[error(
        "--revoke-old: the old token is a GitHub App installation token (ghs_), which GitHub's \
         credential revocation does not take (it expires within an hour); leave out --revoke-old"
    )]
    OldIsInstallation,
    /// `--revoke-old` where GitHub has no credential revocation (GitHub Enterprise Server).
    #[error(
        "--revoke-old: GitHub's credential revocation API is available on github.com only, not \
         on {host} (GitHub Enterprise Server); leave out --revoke-old, and once the rotation is \
         verified revoke the old token by hand: its owner deletes it under Settings → Developer \
         settings → Personal access tokens on {host}, or a site administrator does; nothing was \
         written"
    )]
    RevocationUnavailable { host: String },
    /// No `--audit-log`, and no data directory to default to.
    #[error(
        "cannot tell where to record the rotation: {unset}; give --audit-log PATH; \
         nothing was written"
    )]
    NoDataDirectory { unset: &'static str },
    /// `--revoke-old` with the new token as the old one.
    #[error("the old and the new token are the same: revoking it would break every target")]
    Same,
}

/// Everything that can be checked before a token is read.
fn validate(args: &RotateArgs) -> Result<(SecretName, crate::commands::Specs), RotateError> {
    let name = SecretName::parse_unique(std::slice::from_ref(&args.name))?
        .into_iter()
        .next()
        .ok_or(RotateError::NoName)?;
    let targets = args.targets.specs()?;
    let is_stdin = |p: &Option<PathBuf>| p.as_deref().is_some_and(|p| p.as_os_str() == "-");
    if is_stdin(&args.from_file) && is_stdin(&args.old_from_file) {
        return Err(RotateError::BothFromStdin);
    }
    for (flag, path) in [
        ("--from-file", &args.from_file),
        ("--old-from-file", &args.old_from_file),
    ] {
        if let Some(p) = path {
            if p.as_os_str() != "-" && !crate::env::resolve(p).is_file() {
                return Err(RotateError::NoFile {
                    flag,
                    path: p.display().to_string(),
                });
            }
        }
    }
    let key_from_stdin = args
        .github_app
        .app_key_file
        .as_deref()
        .is_some_and(|p| p.as_os_str() == "-");
    if key_from_stdin && (args.from_file.is_none() || is_stdin(&args.from_file)) {
        return Err(RotateError::KeyAndTokenFromStdin);
    }
    Ok((name, targets))
}

/// Which of the two tokens is read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WhichToken {
    New,
    Old,
}

impl WhichToken {
    fn label(self) -> &'static str {
        match self {
            WhichToken::New => "the new token",
            WhichToken::Old => "the old token",
        }
    }
}

/// A token: from `from_file` (`-`: standard input), else a hidden prompt typed twice on a
/// terminal, else standard input (once per run). Trimmed; registered for redaction at once.
fn read_token(
    which: WhichToken,
    name: &SecretName,
    from_file: Option<&Path>,
    stdin_used: &mut bool,
) -> Result<(SecretValue, Origin), RotateError> {
    let what = which.label();
    let (raw, origin) = match from_file {
        Some(p) if p.as_os_str() != "-" => {
            let mut bytes = Vec::new();
            std::fs::File::open(crate::env::resolve(p))
                .and_then(|f| {
                    f.take(MAX_VALUE_BYTES as u64 + 1)
                        .read_to_end(&mut bytes)
                        .map(|_| ())
                })
                .map_err(|cause| RotateError::ReadFile {
                    what,
                    path: p.display().to_string(),
                    cause,
                })?;
            let v = secret_from_bytes(bytes).ok_or_else(|| RotateError::FileNotUtf8 {
                what,
                path: p.display().to_string(),
            })?;
            (v, Origin::File(p.to_path_buf()))
        }
        None if crate::env::stdin_is_terminal() => {
            let question = match which {
                WhichToken::New => format!("New token for {name} (input hidden): "),
                WhichToken::Old => "Old token, to revoke (input hidden): ".to_owned(),
            };
            let v = crate::commands::words::ask_twice(&question).map_err(|e| match e {
                PromptError::Mismatch => RotateError::Mistyped { what },
                e => RotateError::Prompt(e),
            })?;
            (v, Origin::Prompt)
        }
        _ => {
            if *stdin_used {
                return Err(RotateError::StdinUsed { what });
            }
            *stdin_used = true;
            let mut bytes = Vec::new();
            crate::env::Stdin
                .take(MAX_VALUE_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
                .map_err(|cause| RotateError::ReadStdin { what, cause })?;
            let v = secret_from_bytes(bytes).ok_or(RotateError::StdinNotUtf8 { what })?;
            (v, Origin::Input)
        }
    };
    crate::output::redact::know_token(&raw);
    let token = SecretValue::new(raw.expose().trim().to_owned());
    crate::output::redact::know_token(&token);
    if token.is_empty() {
        return Err(RotateError::Empty { what });
    }
    if token.len() > MAX_VALUE_BYTES {
        return Err(RotateError::TooLarge { what });
    }
    crate::github::check_token(&token, "token")
        .map_err(|error| RotateError::Token { what, error })?;
    Ok((token, origin))
}
