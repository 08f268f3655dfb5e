//! Raw inputs (strings, as the runner or the command line gives them) become one validated
//! [`Config`]. Every value is handed to the reporter's masker the moment it is read, before any
//! error is reported; errors name the input (as the front end the user typed into spells it) and
//! the secret, never a value.
//!
//! [`input`] holds the inputs as given, [`problem`] what can be wrong with them, [`load`] the
//! loader by concern, [`stored_at`] preflight's record of what is stored; this file the
//! validated [`Config`] and the steps of [`load()`]: credentials → values (`secrets`,
//! `secrets-from-env`, `files`; none in a preflight) → stored values (`current`,
//! `current-from-env`) → names and sizes → options → destination.

pub mod input;
pub mod load;
pub mod names;
pub mod parse;
pub mod problem;
pub mod stored_at;
pub mod workspace;

use std::collections::HashMap;
use std::path::PathBuf;

use crate::config::input::{FrontEnd, Input, RawInputs, RunContext};
use crate::config::load::{mask, Loader};
use crate::config::names::SecretName;
use crate::config::parse::{is_trivial_value, parse_env_refs, parse_file_specs, parse_pairs};
use crate::config::problem::{InputError, InputProblem, UnknownInput};
use crate::output::reporter::Reporter;
use crate::secret::SecretValue;
use crate::target::{App, Repo};

pub use crate::config::workspace::MAX_VALUE_BYTES;

/// Where a new value came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Input,
    File(PathBuf),
    Prompt,
}

/// A validated new value.
#[derive(Debug, Clone)]
pub struct NewSecret {
    pub name: SecretName,
    pub value: SecretValue,
    pub origin: Origin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfNoFilesFound {
    Warn,
    Error,
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    All,
    Private,
    Selected,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Visibility::All => "all",
            Visibility::Private => "private",
            Visibility::Selected => "selected",
        }
    }

    pub fn parse(s: &str) -> Option<Visibility> {
        match s.trim().to_ascii_lowercase().as_str() {
            "all" => Some(Visibility::All),
            "private" => Some(Visibility::Private),
            "selected" => Some(Visibility::Selected),
            _ => None,
        }
    }
}

/// A line of `repositories`: a repository, or every repository of an owner matching a glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RepoSpec {
    Exact(Repo),
    Pattern { owner: String, pattern: String },
}

impl RepoSpec {
    /// `owner/name`, or `owner/glob` (a `*`, `?` or `[…]` in the name); `None` for anything
    /// else (a name that is neither a repository's nor a glob is refused, not listed).
    /// The one reader of a repository or pattern, for the action's input and every command.
    pub fn parse(text: &str) -> Option<RepoSpec> {
        if let Some(r) = Repo::parse(text) {
            return Some(RepoSpec::Exact(r));
        }
        let (owner, pattern) = text.trim().split_once('/')?;
        let glob = crate::target::is_owner(owner)
            && !pattern.is_empty()
            && !pattern.contains('/')
            && pattern.contains(['*', '?', '['])
            && glob::Pattern::new(pattern).is_ok()
            && pattern
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.*?[]!".contains(c));
        glob.then(|| RepoSpec::Pattern {
            owner: owner.to_owned(),
            pattern: pattern.to_owned(),
        })
    }

    /// Whether this names repositories through a listing.
    pub fn is_pattern(&self) -> bool {
        matches!(self, RepoSpec::Pattern { .. })
    }
}

impl std::fmt::Display for RepoSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RepoSpec::Exact(r) => write!(f, "{r}"),
            RepoSpec::Pattern { owner, pattern } => write!(f, "{owner}/{pattern}"),
        }
    }
}

/// Where the secrets go, before patterns are resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Repos {
        repos: Vec<RepoSpec>,
        environment: Option<String>,
    },
    Org {
        org: String,
        visibility: Option<Visibility>,
        selected: Vec<Repo>,
    },
}

/// The GitHub App credentials, when used instead of a token.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub app_id: String,
    pub private_key: SecretValue,
    pub installation_id: Option<u64>,
}

/// Keyless: an installation token exchanged for the job's own OIDC identity, octo-sts style
/// (see [`crate::auth::keyless`]). No stored credential.
#[derive(Debug, Clone)]
pub struct StsCredentials {
    /// The exchange's URL (`sts-url`), through the URL policy.
    pub url: crate::github::ServiceUrl,
    /// The identity whose trust policy the exchange checks (`sts-identity`).
    pub identity: String,
    /// The ID token's audience: `sts-audience`, else the exchange's host name.
    pub audience: String,
    /// The runner's ID-token service, when the job may ask it (`permissions: id-token:
    /// write`); `None` is said when a token is needed, not before.
    pub id_token_request: Option<IdTokenRequest>,
}

/// `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, as the runner sets them
/// for a job with `permissions: id-token: write`.
#[derive(Debug, Clone)]
pub struct IdTokenRequest {
    pub url: String,
    pub token: SecretValue,
}

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Token(SecretValue),
    App(AppCredentials),
    Keyless(StsCredentials),
}

impl Auth {
    /// Whether the run writes with short-lived installation tokens it obtains itself (a GitHub
    /// App's, or exchanged for the job's identity): they expire within the hour and are revoked
    /// at the end.
    pub fn mints_installation_tokens(&self) -> bool {
        matches!(self, Auth::App(_) | Auth::Keyless(_))
    }
}

/// The validated configuration of one run.
#[derive(Debug, Clone)]
pub struct Config {
    pub auth: Auth,
    pub secrets: Vec<NewSecret>,
    /// Stored values by upper-cased name; `None` when `current` was empty.
    pub current: Option<HashMap<String, SecretValue>>,
    pub destination: Destination,
    pub app: App,
    pub dry_run: bool,
    pub api_url: String,
    pub fail_fast: bool,
    pub allow_pull_request_target: bool,
    pub token_expiry_warning_days: u32,
    pub audit_log: Option<PathBuf>,
    pub context: RunContext,
    /// Said before anything is written, in the log and the step summary: patterns that matched
    /// nothing under `if-no-files-found: warn`, and the signs of a name typo (a name listed in
    /// `current-from-env` without a refreshed value, a refreshed value without a stored one).
    pub warnings: Vec<String>,
    /// Values the tests gave (files, variables, a JSON object) that cannot be stored: empty,
    /// trivial, over 48 KiB, not UTF-8 text, holding NUL; each an error naming its secret. Such
    /// a value fails its secret alone: the others are still compared and written, and the run
    /// fails. Malformed configuration (syntax, names, targets, a bad value on a `secrets` line)
    /// is an error of [`load`] instead.
    pub refused: Vec<String>,
    /// `preflight`: prove the token can write every target, write no value (no value input is
    /// read), and record what is stored (`stored-at`).
    pub preflight: bool,
    /// `stored-at`: what preflight saw; a secret stored since is not overwritten.
    pub stored_at: Option<stored_at::StoredAt>,
}

/// Reads and validates everything. Values are masked as they are read; on any error the caller
/// gets every error at once and nothing is written.
pub fn load(
    raw: &RawInputs,
    ctx: &RunContext,
    reporter: &mut Reporter,
) -> Result<Config, Vec<InputError>> {
    let mut l = Loader::new(raw, ctx);
    // Masks first: the token, the app key, then every value as it is read.
    let token = SecretValue::from(raw.token.expose().trim());
    if !is_trivial_value(token.expose()) {
        // Whole, and each long dot-separated part of a stateless installation token.
        reporter.mask_token(&token);
    }
    let app_key = SecretValue::from(raw.app_private_key.expose().trim());
    mask(reporter, &app_key);
    // The runner's request token: a credential of the job, masked like the token.
    let request_token = SecretValue::from(raw.id_token_request_token.expose().trim());
    if !is_trivial_value(request_token.expose()) {
        reporter.mask_token(&request_token);
    }

    // Preflight runs before the tests: it reads no value (the files do not exist yet).
    let (secrets, current, unknown) = if l.preflight() {
        (Vec::new(), None, Vec::new())
    } else {
        let mut candidates = l.values_from_text(reporter);
        candidates.extend(l.values_from_env(reporter));
        candidates.extend(l.values_from_files(reporter));
        let current = l.stored_values(reporter);
        let unknown = l.warn_unmatched(&candidates, current.as_ref());
        (l.check_candidates(candidates), current, unknown)
    };
    let options = l.options();
    let auth = l.auth(token, app_key, request_token);
    // A refreshed value without a stored one is written on every run, when the run can write:
    // a fork's run, without secrets, has no stored value for anything and writes nothing.
    if !matches!(auth, Auth::None) {
        l.warnings.extend(unknown);
    }

    let (errors, warnings, refused) = l.finish();
    match options {
        Some(o) if errors.is_empty() => Ok(Config {
            auth,
            secrets,
            current,
            destination: o.destination,
            app: o.app,
            dry_run: o.dry_run,
            api_url: o.api_url,
            fail_fast: o.fail_fast,
            allow_pull_request_target: o.allow_pull_request_target,
            token_expiry_warning_days: o.token_expiry_warning_days,
            audit_log: o.audit_log,
            context: ctx.clone(),
            warnings,
            refused: refused.iter().map(ToString::to_string).collect(),
            preflight: o.preflight,
            stored_at: o.stored_at,
        }),
        _ => Err(errors),
    }
}

/// The error of a run given no value at all: `secrets`, `secrets-from-env` and `files` each
/// absent, empty or only comments (a JSON object without a name is empty too). Said before any
/// request: a step that writes nothing because its values went missing must not end green.
/// A preflight reads no value (it runs before the tests refresh anything): never an error there.
pub fn no_values(raw: &RawInputs, front: FrontEnd) -> Option<InputError> {
    if is_preflight(raw) {
        return None;
    }
    let (pairs, pair_errors) = parse_pairs(raw.secrets.expose());
    let (refs, ref_errors) = parse_env_refs(&raw.secrets_from_env);
    let given = !pairs.is_empty()
        || !pair_errors.is_empty()
        || !refs.is_empty()
        || !ref_errors.is_empty()
        || !parse_file_specs(&raw.files).is_empty();
    let hint = match front {
        FrontEnd::Action => {
            "give the refreshed values in one of them (an input misspelled in `with:` is not \
             read)"
        }
        FrontEnd::Cli => "give a file or a variable that holds them",
    };
    (!given).then(|| {
        InputError::new(
            Input::Secrets,
            front,
            InputProblem::NoValues {
                secrets_from_env: Input::SecretsFromEnv.named(front),
                files: Input::Files.named(front),
                hint,
            },
        )
    })
}

/// Whether `preflight` is on (an unreadable value is off here; the loader says its error).
pub(crate) fn is_preflight(raw: &RawInputs) -> bool {
    match &raw.preflight {
        input::Given::Parsed(on) => *on,
        input::Given::Text(text) => parse::parse_bool(text, false).unwrap_or(false),
    }
}

/// The inputs given that the action does not declare, each with the declared input it most
/// likely misspells.
pub fn unknown_inputs(raw: &RawInputs) -> Vec<UnknownInput> {
    let declared = Input::DECLARED.map(|i| i.name(FrontEnd::Action));
    raw.undeclared
        .iter()
        .map(|name| UnknownInput {
            name: name.clone(),
            near: crate::output::words::closest(name, declared),
        })
        .collect()
}
