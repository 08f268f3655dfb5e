//! What can be wrong with an input: [`InputError`] names the input (as the front end spells it)
//! and, where there is one, the secret; [`InputProblem`] says what is wrong. Neither ever holds
//! a value.

use std::fmt;

use crate::config::input::{FrontEnd, Input, Named};
use crate::config::names::{EnvVarError, EnvironmentNameError, NameError, PrefixError};
use crate::config::parse::PairsError;
use crate::config::workspace::{FileError, MAX_VALUE_BYTES};

/// A bad input. Names the input and, where there is one, the secret; never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub input: Input,
    pub front: FrontEnd,
    pub secret: Option<String>,
    pub problem: InputProblem,
}

impl std::error::Error for InputError {}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.front {
            FrontEnd::Action => write!(f, "input ")?,
            FrontEnd::Cli => {}
        }
        write!(f, "{}", self.input.named(self.front))?;
        if let Some(s) = &self.secret {
            write!(f, ", secret `{s}`")?;
        }
        write!(f, ": {}", self.problem)
    }
}

/// What is wrong with an input. Holds names, line numbers and paths; never a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputProblem {
    #[error(transparent)]
    Pairs(#[from] PairsError),
    #[error("line {line}: {}", .name.rule())]
    NameOnLine { line: usize, name: NameError },
    #[error("{0}")]
    Name(#[from] NameError),
    #[error("line {line}: {source}")]
    EnvVar { line: usize, source: EnvVarError },
    #[error("line {line}: the variable `{var}` is not set in the step's environment")]
    EnvVarUnset { line: usize, var: String },
    #[error("line {0}: the value is empty")]
    EmptyOnLine(usize),
    #[error(
        "line {0}: the value has no letter or digit: too trivial to be a secret (its mask would \
         blank that text everywhere in the log)"
    )]
    TrivialOnLine(usize),
    #[error("line {line}: the value is {len} bytes; GitHub stores at most {MAX_VALUE_BYTES}")]
    TooLargeOnLine { line: usize, len: usize },
    #[error("line {0}: the value holds a NUL character")]
    NulOnLine(usize),
    #[error("line {line}: the name is given twice (also {other}); names are case-insensitive")]
    TwiceOnLine { line: usize, other: String },
    #[error("the name is given twice (also {other}); names are case-insensitive")]
    Twice { other: String },
    #[error("the value is empty{origin}")]
    Empty { origin: String },
    #[error(
        "the value has no letter or digit{origin}: too trivial to be a secret (its mask would \
         blank that text everywhere in the log)"
    )]
    Trivial { origin: String },
    #[error("the value is {len} bytes{origin}; GitHub stores at most {MAX_VALUE_BYTES}")]
    TooLarge { len: usize, origin: String },
    #[error("the value holds a NUL character{origin}")]
    Nul { origin: String },
    #[error("line {line}: {source}")]
    File { line: usize, source: FileError },
    #[error("{0}")]
    FileRead(FileError),
    #[error(
        "line {line}: `{name}` gets no refreshed value, so it is not refreshed: check the names \
         the refreshed values get (a typo in a name or in the prefix?)"
    )]
    NotRefreshed { line: usize, name: String },
    #[error("line {line}: no file matches `{pattern}`")]
    NoMatch { line: usize, pattern: String },
    #[error("`{pattern}` must match exactly one file but matches {count}: {list}")]
    SeveralMatches {
        pattern: String,
        count: usize,
        list: String,
    },
    #[error("file {file}: {source} (with the prefix {prefix})")]
    DerivedName {
        file: String,
        prefix: Named,
        source: NameError,
    },
    #[error("file {file}: {source}")]
    FileName { file: String, source: NameError },
    #[error("{0}")]
    Prefix(#[from] PrefixError),
    #[error("{0}")]
    Workspace(FileError),
    #[error("expected {0}")]
    Expected(&'static str),
    #[error("{0}")]
    ApiUrl(crate::github::UrlError),
    #[error("{0}")]
    EnvironmentName(#[from] EnvironmentNameError),
    #[error("{0}")]
    EnvironmentForApp(#[from] crate::target::NoEnvironment),
    #[error("give either {org} or {repository}/{repositories}, not both")]
    OrgAndRepos {
        org: Named,
        repository: Named,
        repositories: Named,
    },
    #[error("organisations have no environments; drop {environment}")]
    OrgEnvironment { environment: Named },
    #[error("not a valid organisation name")]
    BadOrg,
    #[error("only used with {selected}")]
    SelectedWithoutVisibility { selected: &'static str },
    #[error("{selected} needs at least one repository")]
    SelectedEmpty { selected: &'static str },
    #[error("{visibility} and {selected} apply to organisation secrets only")]
    VisibilityWithoutOrg { visibility: Named, selected: Named },
    #[error("no repository: set {repository} (owner/name) or run inside GitHub Actions")]
    NoRepository { repository: Named },
    #[error("`{0}` is not owner/name")]
    NotOwnerName(String),
    #[error("line {line}: `{text}` is not owner/name")]
    NotOwnerNameOnLine { line: usize, text: String },
    #[error("line {line}: `{text}` is not owner/name or owner/glob")]
    NotRepoSpec { line: usize, text: String },
    #[error("no repository given")]
    NoRepositoryGiven,
    #[error("give either {token} or {app_id} with {app_key}, not both")]
    TokenAndApp {
        token: Named,
        app_id: Named,
        app_key: Named,
    },
    #[error("{app_id} and {app_key} go together")]
    AppPair { app_id: Named, app_key: Named },
    #[error(
        "{sts_url} exchanges the job's identity for a token: give no stored credential with it \
         (neither {token} nor {app_id})"
    )]
    KeylessAndCredential {
        sts_url: Named,
        token: Named,
        app_id: Named,
    },
    #[error("{sts_url} and {sts_identity} go together")]
    StsPair { sts_url: Named, sts_identity: Named },
    #[error("{0}")]
    StsUrl(crate::github::ServiceUrlError),
    #[error(
        "expected the name of a trust policy (the exchange reads \
         `.github/chainguard/NAME.sts.yaml`): letters, digits, `-`, `_` and `.`"
    )]
    StsIdentity,
    #[error(
        "no value in it, nor in {secrets_from_env} or {files}: there is no refreshed value to \
         write; {hint}"
    )]
    NoValues {
        secrets_from_env: Named,
        files: Named,
        hint: &'static str,
    },
    #[error("a preflight writes no value but proves writing with a write: drop {dry_run}")]
    PreflightAndDryRun { dry_run: Named },
    #[error("is given to the step that writes; the {preflight} step produces it")]
    StoredAtInPreflight { preflight: Named },
    #[error("{0}")]
    StoredAt(#[from] crate::config::stored_at::StoredAtError),
}

/// An input given that the action does not declare: its name as `with:` spells it, and the
/// declared input it most likely misspells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownInput {
    pub name: String,
    pub near: Option<&'static str>,
}

impl fmt::Display for UnknownInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not an input of secret-refresh, so it was not read",
            self.name
        )?;
        match self.near {
            Some(near) => write!(f, ": did you mean `{near}`?"),
            None => write!(f, " (action.yml lists the inputs)"),
        }
    }
}

impl InputError {
    pub(super) fn new(input: Input, front: FrontEnd, problem: impl Into<InputProblem>) -> Self {
        Self {
            input,
            front,
            secret: None,
            problem: problem.into(),
        }
    }

    pub(super) fn secret(
        input: Input,
        front: FrontEnd,
        secret: &str,
        problem: InputProblem,
    ) -> Self {
        Self {
            input,
            front,
            secret: Some(secret.to_owned()),
            problem,
        }
    }
}
