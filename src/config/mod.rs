//! Raw inputs (strings, as the runner or the command line gives them) become one validated
//! [`Config`]. Every value is handed to the reporter's masker the moment it is read, before any
//! error is reported; errors name the input (as the front end the user typed into spells it) and
//! the secret, never a value.
//!
//! The steps of [`load`]: credentials → values (`secrets`, `secrets-from-env`, `files`) →
//! stored values (`current`, `current-from-env`) → names and sizes → options → destination.

pub mod names;
pub mod parse;
pub mod workspace;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::PathBuf;

use crate::config::names::{
    check_prefix, env_var_name, environment_name, name_from_file, SecretName,
};
use crate::config::parse::{
    is_trivial_value, non_comment_lines, parse_bool, parse_env_refs, parse_file_specs, parse_pairs,
    FileSpec, Pair, PairsError,
};
use crate::config::workspace::{FileError, Roots};
use crate::output::Reporter;
use crate::secret::SecretValue;
use crate::target::{is_owner, App, Repo};

pub use crate::config::workspace::MAX_VALUE_BYTES;

/// Inputs exactly as given: every field is the input's text, empty when not set.
#[derive(Debug, Default, Clone)]
pub struct RawInputs {
    pub token: SecretValue,
    pub secrets: SecretValue,
    /// Lines of `NAME` or `NAME=VARIABLE`: values taken from the step's environment.
    pub secrets_from_env: String,
    pub files: String,
    pub prefix: String,
    pub if_no_files_found: String,
    pub current: SecretValue,
    /// Lines of `NAME` or `NAME=VARIABLE`: stored values taken from the step's environment.
    pub current_from_env: String,
    pub repository: String,
    pub dry_run: String,
    pub api_url: String,
    pub repositories: String,
    pub environment: String,
    pub organization: String,
    pub visibility: String,
    pub selected_repositories: String,
    pub app: String,
    pub fail_fast: String,
    pub allow_pull_request_target: String,
    pub token_expiry_warning_days: String,
    pub audit_log: String,
    pub app_id: String,
    pub app_private_key: SecretValue,
    pub app_installation_id: String,
    /// The step's environment, read only for the variables the `*-from-env` inputs name.
    pub step_env: StepEnv,
}

/// Reads the step's environment variables by name; values come back as [`SecretValue`].
#[derive(Clone, Default)]
pub struct StepEnv(Option<std::sync::Arc<Lookup>>);

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl StepEnv {
    pub fn new(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Some(std::sync::Arc::new(lookup)))
    }

    /// The process's own environment.
    pub fn process() -> Self {
        Self::new(crate::env::var)
    }

    fn get(&self, name: &str) -> Option<SecretValue> {
        self.0.as_ref().and_then(|f| f(name)).map(SecretValue::new)
    }
}

impl fmt::Debug for StepEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StepEnv(..)")
    }
}

/// Which front end the inputs came through: errors name what that user typed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum FrontEnd {
    /// `with:` inputs of the action.
    #[default]
    Action,
    /// Flags of `secret-refresh sync`.
    Cli,
}

/// Facts about the run that are not inputs.
#[derive(Debug, Default, Clone)]
pub struct RunContext {
    pub workspace: PathBuf,
    /// `$RUNNER_TEMP`: listed files may also resolve into it (the action only).
    pub runner_temp: Option<PathBuf>,
    pub event_name: String,
    pub actor: String,
    pub run_id: String,
    /// `$GITHUB_RUN_ATTEMPT`: 1 for the first attempt, more for a re-run of the same run.
    pub run_attempt: String,
    /// `$GITHUB_JOB`: the job's id in the workflow.
    pub job: String,
    /// `$GITHUB_ACTION`: the step's id in the job (the runner names a step without one, with a
    /// suffix when an action is used twice), the same in every attempt.
    pub step: String,
    /// `$GITHUB_REPOSITORY`, the default of `repository`.
    pub default_repository: String,
    /// `$GITHUB_API_URL`, the default of `api-url`.
    pub default_api_url: String,
    pub front_end: FrontEnd,
}

/// One input, whatever the front end calls it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    Token,
    Secrets,
    SecretsFromEnv,
    Files,
    Prefix,
    IfNoFilesFound,
    Current,
    CurrentFromEnv,
    Repository,
    DryRun,
    ApiUrl,
    Repositories,
    Environment,
    Organization,
    Visibility,
    SelectedRepositories,
    App,
    FailFast,
    AllowPullRequestTarget,
    TokenExpiryWarningDays,
    AuditLog,
    AppId,
    AppPrivateKey,
    AppInstallationId,
    Workspace,
}

impl Input {
    /// The name in `with:` (action) or on the command line (`sync`).
    pub fn name(self, front: FrontEnd) -> &'static str {
        use Input::*;
        let (action, cli) = match self {
            Token => ("token", "GH_TOKEN"),
            Secrets => ("secrets", "--secrets-file/--secrets-env"),
            SecretsFromEnv => ("secrets-from-env", "--secret-from-env"),
            Files => ("files", "--files"),
            Prefix => ("prefix", "--prefix"),
            IfNoFilesFound => ("if-no-files-found", "--if-no-files-found"),
            Current => ("current", "--current-file/--current-env"),
            CurrentFromEnv => ("current-from-env", "--current-from-env"),
            Repository => ("repository", "--repo"),
            DryRun => ("dry-run", "--dry-run"),
            ApiUrl => ("api-url", "--api-url"),
            Repositories => ("repositories", "--repositories"),
            Environment => ("environment", "--env"),
            Organization => ("organization", "--org"),
            Visibility => ("visibility", "--visibility"),
            SelectedRepositories => ("selected-repositories", "--selected-repo"),
            App => ("app", "--app"),
            FailFast => ("fail-fast", "--fail-fast"),
            AllowPullRequestTarget => ("allow-pull-request-target", "allow-pull-request-target"),
            TokenExpiryWarningDays => ("token-expiry-warning-days", "--token-expiry-warning-days"),
            AuditLog => ("audit-log", "--audit-log"),
            AppId => ("app-id", "--app-id"),
            AppPrivateKey => ("app-private-key", "--app-key-file"),
            AppInstallationId => ("app-installation-id", "--app-installation-id"),
            Workspace => ("GITHUB_WORKSPACE", "--workspace"),
        };
        match front {
            FrontEnd::Action => action,
            FrontEnd::Cli => cli,
        }
    }

    fn named(self, front: FrontEnd) -> Named {
        Named(self.name(front))
    }
}

/// An input's name quoted for a message: `` `repository` `` or `` `--repo` ``.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Named(&'static str);

impl fmt::Display for Named {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.0)
    }
}

/// A bad input. Names the input and, where there is one, the secret; never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub input: Input,
    pub front: FrontEnd,
    pub secret: Option<String>,
    pub problem: Problem,
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
pub enum Problem {
    #[error(transparent)]
    Pairs(#[from] PairsError),
    #[error("line {line}: {}", .name.rule())]
    NameOnLine {
        line: usize,
        name: crate::config::names::NameError,
    },
    #[error("{0}")]
    Name(#[from] crate::config::names::NameError),
    #[error("line {line}: {source}")]
    EnvVar {
        line: usize,
        source: crate::config::names::EnvVarError,
    },
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
        source: crate::config::names::NameError,
    },
    #[error("file {file}: {source}")]
    FileName {
        file: String,
        source: crate::config::names::NameError,
    },
    #[error("{0}")]
    Prefix(#[from] crate::config::names::PrefixError),
    #[error("{0}")]
    Workspace(FileError),
    #[error("expected {0}")]
    Expected(&'static str),
    #[error("{0}")]
    ApiUrl(crate::github::UrlError),
    #[error("{0}")]
    EnvironmentName(#[from] crate::config::names::EnvironmentNameError),
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
}

impl InputError {
    fn new(input: Input, front: FrontEnd, problem: impl Into<Problem>) -> Self {
        Self {
            input,
            front,
            secret: None,
            problem: problem.into(),
        }
    }

    fn secret(input: Input, front: FrontEnd, secret: &str, problem: Problem) -> Self {
        Self {
            input,
            front,
            secret: Some(secret.to_owned()),
            problem,
        }
    }
}

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

/// How to authenticate.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Token(SecretValue),
    App(AppCredentials),
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
    /// Patterns that matched nothing under `if-no-files-found: warn`.
    pub warnings: Vec<String>,
}

/// Reads and validates everything. Values are masked as they are read; on any error the caller
/// gets every error at once and nothing is written.
pub fn load(
    raw: &RawInputs,
    ctx: &RunContext,
    reporter: &mut Reporter,
) -> Result<Config, Vec<InputError>> {
    let mut l = Loader {
        raw,
        ctx,
        front: ctx.front_end,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    // Masks first: the token, the app key, then every value as it is read.
    let token = SecretValue::from(raw.token.expose().trim());
    if !is_trivial_value(token.expose()) {
        // Whole, and each long dot-separated part of a stateless installation token.
        reporter.mask_token(&token);
    }
    let app_key = SecretValue::from(raw.app_private_key.expose().trim());
    mask(reporter, &app_key);

    let mut candidates = l.values_from_text(reporter);
    candidates.extend(l.values_from_env(reporter));
    candidates.extend(l.values_from_files(reporter));
    let current = l.stored_values(reporter);
    let secrets = l.check_candidates(candidates);
    let options = l.options();
    let auth = l.auth(token, app_key);

    let Loader {
        errors, warnings, ..
    } = l;
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
        }),
        _ => Err(errors),
    }
}

/// Registers a value with the masker, unless it is trivial (such values are refused anyway).
fn mask(reporter: &mut Reporter, value: &SecretValue) {
    if !is_trivial_value(value.expose()) {
        reporter.mask(value);
    }
}

/// A new value and where it came from, until names and sizes are checked.
struct Candidate {
    secret: NewSecret,
    source: Source,
}

enum Source {
    /// A line of the lines form of `secrets`: its "name" may be a fragment of a value
    /// interpolated into the text, so messages name the line, never the name.
    Line(usize),
    Json,
    Env(String),
    File(String),
}

impl Source {
    fn input(&self) -> Input {
        match self {
            Source::Line(_) | Source::Json => Input::Secrets,
            Source::Env(_) => Input::SecretsFromEnv,
            Source::File(_) => Input::Files,
        }
    }

    fn note(&self) -> String {
        match self {
            Source::Env(var) => format!(" in variable `{var}`"),
            Source::File(path) => format!(" in file {path}"),
            Source::Line(_) | Source::Json => String::new(),
        }
    }
}

/// Everything but the values and the credentials, validated.
struct Options {
    destination: Destination,
    app: App,
    dry_run: bool,
    api_url: String,
    fail_fast: bool,
    allow_pull_request_target: bool,
    token_expiry_warning_days: u32,
    audit_log: Option<PathBuf>,
}

/// The state of one [`load`]: the inputs, and every error found so far.
struct Loader<'a> {
    raw: &'a RawInputs,
    ctx: &'a RunContext,
    front: FrontEnd,
    errors: Vec<InputError>,
    warnings: Vec<String>,
}

impl Loader<'_> {
    fn error(&mut self, input: Input, problem: impl Into<Problem>) {
        self.errors
            .push(InputError::new(input, self.front, problem));
    }

    fn secret_error(&mut self, input: Input, secret: &str, problem: Problem) {
        self.errors
            .push(InputError::secret(input, self.front, secret, problem));
    }

    fn named(&self, input: Input) -> Named {
        input.named(self.front)
    }

    /// `secrets`: lines (`NAME=value`, `NAME<<DELIMITER`) or a JSON object.
    fn values_from_text(&mut self, reporter: &mut Reporter) -> Vec<Candidate> {
        let (pairs, errors) = parse_pairs(self.raw.secrets.expose());
        for p in &pairs {
            mask(reporter, &p.value);
        }
        for e in errors {
            self.error(Input::Secrets, e);
        }
        pairs
            .into_iter()
            .filter_map(|p| self.named_pair(p))
            .collect()
    }

    fn named_pair(&mut self, p: Pair) -> Option<Candidate> {
        let source = p.line.map_or(Source::Json, Source::Line);
        match (SecretName::parse(&p.name), p.line) {
            (Ok(name), _) => Some(Candidate {
                secret: NewSecret {
                    name,
                    value: p.value,
                    origin: Origin::Input,
                },
                source,
            }),
            (Err(name), Some(line)) => {
                self.error(Input::Secrets, Problem::NameOnLine { line, name });
                None
            }
            (Err(e), None) => {
                self.error(Input::Secrets, e);
                None
            }
        }
    }

    /// `secrets-from-env`: values from the step's environment, by variable name.
    fn values_from_env(&mut self, reporter: &mut Reporter) -> Vec<Candidate> {
        let text = self.raw.secrets_from_env.clone();
        self.env_values(&text, Input::SecretsFromEnv, reporter)
            .into_iter()
            .filter_map(|(name, var, value)| match SecretName::parse(&name) {
                Ok(name) => Some(Candidate {
                    secret: NewSecret {
                        name,
                        value,
                        origin: Origin::Input,
                    },
                    source: Source::Env(var),
                }),
                Err(e) => {
                    self.error(Input::SecretsFromEnv, e);
                    None
                }
            })
            .collect()
    }

    /// `(name, variable, value)` for each line of a `*-from-env` input, masked as read.
    fn env_values(
        &mut self,
        text: &str,
        input: Input,
        reporter: &mut Reporter,
    ) -> Vec<(String, String, SecretValue)> {
        let (refs, errors) = parse_env_refs(text);
        for e in errors {
            self.error(input, e);
        }
        let mut out = Vec::new();
        for r in refs {
            let var = match env_var_name(&r.var) {
                Ok(v) => v.to_owned(),
                Err(source) => {
                    self.error(
                        input,
                        Problem::EnvVar {
                            line: r.line,
                            source,
                        },
                    );
                    continue;
                }
            };
            match self.raw.step_env.get(&var) {
                Some(value) => {
                    mask(reporter, &value);
                    out.push((r.name, var, value));
                }
                None => self.error(input, Problem::EnvVarUnset { line: r.line, var }),
            }
        }
        out
    }

    fn if_no_files_found(&mut self) -> IfNoFilesFound {
        match self
            .raw
            .if_no_files_found
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "" | "warn" => IfNoFilesFound::Warn,
            "error" => IfNoFilesFound::Error,
            "ignore" => IfNoFilesFound::Ignore,
            _ => {
                self.error(
                    Input::IfNoFilesFound,
                    Problem::Expected("`warn`, `error` or `ignore`"),
                );
                IfNoFilesFound::Warn
            }
        }
    }

    /// `files`: each spec expanded inside the roots and read through [`Roots::read`].
    fn values_from_files(&mut self, reporter: &mut Reporter) -> Vec<Candidate> {
        let if_none = self.if_no_files_found();
        let specs = parse_file_specs(&self.raw.files);
        if specs.is_empty() {
            return Vec::new();
        }
        let prefix = self.raw.prefix.trim();
        if let Err(e) = check_prefix(prefix) {
            self.error(Input::Prefix, e);
        }
        let roots = match Roots::new(&self.ctx.workspace, self.ctx.runner_temp.as_deref()) {
            Ok(r) => r,
            Err(e) => {
                self.error(Input::Workspace, Problem::Workspace(e));
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for spec in specs {
            let (glob, line, name) = match spec {
                FileSpec::Named { name, glob, line } => (glob, line, Some(name)),
                FileSpec::Glob { glob, line } => (glob, line, None),
            };
            let matches = match roots.expand(&glob, name.is_none()) {
                Ok(m) => m,
                Err(source) => {
                    self.error(Input::Files, Problem::File { line, source });
                    continue;
                }
            };
            if matches.is_empty() {
                self.no_match(if_none, line, glob);
                continue;
            }
            let named = match name {
                Some(name) => self.one_named_file(&roots, &glob, name, matches),
                None => self.derived_names(&roots, prefix, matches),
            };
            for (name, path) in named {
                match roots.read(&glob, &path) {
                    Ok(value) => {
                        mask(reporter, &value);
                        let shown = roots.shown(&path);
                        out.push(Candidate {
                            secret: NewSecret {
                                name,
                                value,
                                origin: Origin::File(PathBuf::from(&shown)),
                            },
                            source: Source::File(shown),
                        });
                    }
                    Err(e) => self.secret_error(Input::Files, name.as_str(), Problem::FileRead(e)),
                }
            }
        }
        out
    }

    fn no_match(&mut self, if_none: IfNoFilesFound, line: usize, pattern: String) {
        let problem = Problem::NoMatch { line, pattern };
        match if_none {
            IfNoFilesFound::Error => self.error(Input::Files, problem),
            IfNoFilesFound::Warn => self.warnings.push(
                InputError::new(Input::Files, self.front, problem)
                    .to_string()
                    .replacen(": line", ", line", 1),
            ),
            IfNoFilesFound::Ignore => {}
        }
    }

    /// `NAME=glob`: exactly one match.
    fn one_named_file(
        &mut self,
        roots: &Roots,
        glob: &str,
        name: String,
        matches: Vec<PathBuf>,
    ) -> Vec<(SecretName, PathBuf)> {
        if matches.len() > 1 {
            let list: Vec<String> = matches.iter().map(|p| roots.shown(p)).collect();
            let problem = Problem::SeveralMatches {
                pattern: glob.to_owned(),
                count: matches.len(),
                list: list.join(", "),
            };
            self.secret_error(Input::Files, &name, problem);
            return Vec::new();
        }
        match SecretName::parse(&name) {
            Ok(n) => matches.into_iter().map(|p| (n.clone(), p)).collect(),
            Err(e) => {
                self.error(Input::Files, e);
                Vec::new()
            }
        }
    }

    /// `glob`: one secret per file, named `prefix` + the file's stem.
    fn derived_names(
        &mut self,
        roots: &Roots,
        prefix: &str,
        matches: Vec<PathBuf>,
    ) -> Vec<(SecretName, PathBuf)> {
        let mut out = Vec::new();
        for path in matches {
            match SecretName::parse(&name_from_file(prefix, &path)) {
                Ok(n) => out.push((n, path)),
                // A bad prefix is reported once, as the cause.
                Err(_) if check_prefix(prefix).is_err() => {}
                Err(source) if prefix.is_empty() => {
                    let file = roots.shown(&path);
                    self.error(Input::Files, Problem::FileName { file, source });
                }
                Err(source) => {
                    let file = roots.shown(&path);
                    let prefix = self.named(Input::Prefix);
                    let problem = Problem::DerivedName {
                        file,
                        prefix,
                        source,
                    };
                    self.error(Input::Files, problem);
                }
            }
        }
        out
    }

    /// `current` and `current-from-env`: stored values by upper-cased name; `None` when both
    /// are empty.
    fn stored_values(&mut self, reporter: &mut Reporter) -> Option<HashMap<String, SecretValue>> {
        let (pairs, errors) = parse_pairs(self.raw.current.expose());
        for p in &pairs {
            mask(reporter, &p.value);
        }
        for e in errors {
            self.error(Input::Current, e);
        }
        let text = self.raw.current_from_env.clone();
        let from_env = self.env_values(&text, Input::CurrentFromEnv, reporter);
        let given = !self.raw.current.expose().trim().is_empty() || !text.trim().is_empty();
        given.then(|| {
            pairs
                .into_iter()
                .map(|p| (p.name.to_ascii_uppercase(), p.value))
                .chain(
                    from_env
                        .into_iter()
                        .map(|(name, _, value)| (name.to_ascii_uppercase(), value)),
                )
                .collect()
        })
    }

    /// Names unique case-insensitively; values non-trivial, text, within GitHub's size limit.
    fn check_candidates(&mut self, candidates: Vec<Candidate>) -> Vec<NewSecret> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut kept: Vec<Candidate> = Vec::new();
        for c in candidates {
            if let Some(&first) = seen.get(&c.secret.name.folded()) {
                let other = kept
                    .get(first)
                    .map(|f| match f.source {
                        Source::Line(n) => format!("on line {n} of {}", self.named(Input::Secrets)),
                        _ => format!("as `{}`{}", f.secret.name, f.source.note()),
                    })
                    .unwrap_or_default();
                let problem = match c.source {
                    Source::Line(line) => Problem::TwiceOnLine { line, other },
                    _ => Problem::Twice { other },
                };
                self.value_error(&c, problem);
                continue;
            }
            if let Some(problem) = value_problem(&c) {
                self.value_error(&c, problem);
            }
            seen.insert(c.secret.name.folded(), kept.len());
            kept.push(c);
        }
        kept.into_iter().map(|c| c.secret).collect()
    }

    /// A value's error: by line for the lines form, by secret name otherwise.
    fn value_error(&mut self, c: &Candidate, problem: Problem) {
        match (&c.source, problem) {
            (Source::Line(_), p @ Problem::TwiceOnLine { .. }) => self.error(Input::Secrets, p),
            (Source::Line(line), p) => {
                let line = *line;
                let p = match p {
                    Problem::Empty { .. } => Problem::EmptyOnLine(line),
                    Problem::Trivial { .. } => Problem::TrivialOnLine(line),
                    Problem::TooLarge { len, .. } => Problem::TooLargeOnLine { line, len },
                    Problem::Nul { .. } => Problem::NulOnLine(line),
                    other => other,
                };
                self.error(Input::Secrets, p);
            }
            (source, p) => self.secret_error(source.input(), c.secret.name.as_str(), p),
        }
    }

    fn options(&mut self) -> Option<Options> {
        let start = self.errors.len();
        let dry_run = self.boolean(Input::DryRun, &self.raw.dry_run);
        let fail_fast = self.boolean(Input::FailFast, &self.raw.fail_fast);
        let allow_prt = self.boolean(
            Input::AllowPullRequestTarget,
            &self.raw.allow_pull_request_target,
        );
        let app = App::parse(&self.raw.app).unwrap_or_else(|| {
            self.error(Input::App, Problem::Expected(crate::target::APPS));
            App::Actions
        });
        let api_url = self.api_url();
        let expiry_days = self.expiry_days();
        let audit_log = self.audit_log();
        let destination = self.destination(app);
        (self.errors.len() == start).then_some(Options {
            destination,
            app,
            dry_run,
            api_url,
            fail_fast,
            allow_pull_request_target: allow_prt,
            token_expiry_warning_days: expiry_days,
            audit_log,
        })
    }

    fn boolean(&mut self, input: Input, text: &str) -> bool {
        parse_bool(text, false).unwrap_or_else(|| {
            self.error(input, Problem::Expected("`true` or `false`"));
            false
        })
    }

    fn api_url(&mut self) -> String {
        let api_url = first_non_empty(&[&self.raw.api_url, &self.ctx.default_api_url])
            .unwrap_or("https://api.github.com")
            .trim_end_matches('/')
            .to_owned();
        if let Err(e) = check_api_url(&api_url) {
            self.error(Input::ApiUrl, Problem::ApiUrl(e));
        }
        api_url
    }

    fn expiry_days(&mut self) -> u32 {
        match self.raw.token_expiry_warning_days.trim() {
            "" => 14,
            s => s.parse::<u32>().unwrap_or_else(|_| {
                self.error(
                    Input::TokenExpiryWarningDays,
                    Problem::Expected("a whole number of days"),
                );
                14
            }),
        }
    }

    fn audit_log(&self) -> Option<PathBuf> {
        Some(self.raw.audit_log.trim())
            .filter(|s| !s.is_empty())
            .map(|s| {
                let p = PathBuf::from(s);
                if p.is_absolute() {
                    p
                } else {
                    self.ctx.workspace.join(p)
                }
            })
    }

    fn visibility(&mut self) -> Option<Visibility> {
        match self.raw.visibility.trim() {
            "" => None,
            v => {
                let parsed = Visibility::parse(v);
                if parsed.is_none() {
                    self.error(
                        Input::Visibility,
                        Problem::Expected("`all`, `private` or `selected`"),
                    );
                }
                parsed
            }
        }
    }

    fn environment(&mut self, app: App) -> Option<String> {
        let raw = self.raw.environment.trim();
        if raw.is_empty() {
            return None;
        }
        if let Err(why) = app.environments() {
            self.error(Input::Environment, Problem::EnvironmentForApp(why));
        }
        match environment_name(raw) {
            Ok(name) => Some(name.to_owned()),
            Err(e) => {
                self.error(Input::Environment, e);
                Some(raw.to_owned())
            }
        }
    }

    fn destination(&mut self, app: App) -> Destination {
        let environment = self.environment(app);
        let visibility = self.visibility();
        let selected: Vec<Repo> = non_comment_lines(&self.raw.selected_repositories)
            .filter_map(|(line, text)| {
                Repo::parse(text).or_else(|| {
                    let text = text.to_owned();
                    self.error(
                        Input::SelectedRepositories,
                        Problem::NotOwnerNameOnLine { line, text },
                    );
                    None
                })
            })
            .collect();
        if self.raw.organization.trim().is_empty() {
            self.repos_destination(environment, visibility, selected)
        } else {
            self.org_destination(environment, visibility, selected)
        }
    }

    fn org_destination(
        &mut self,
        environment: Option<String>,
        visibility: Option<Visibility>,
        selected: Vec<Repo>,
    ) -> Destination {
        let organization = self.raw.organization.trim();
        // `repository` defaults to the workflow's own repository: only another one conflicts.
        let repository = self.raw.repository.trim();
        let explicit_repository = !repository.is_empty()
            && !repository.eq_ignore_ascii_case(self.ctx.default_repository.trim());
        if !self.raw.repositories.trim().is_empty() || explicit_repository {
            let problem = Problem::OrgAndRepos {
                org: self.named(Input::Organization),
                repository: self.named(Input::Repository),
                repositories: self.named(Input::Repositories),
            };
            self.error(Input::Organization, problem);
        }
        if environment.is_some() {
            let environment = self.named(Input::Environment);
            self.error(Input::Organization, Problem::OrgEnvironment { environment });
        }
        if !is_owner(organization) {
            self.error(Input::Organization, Problem::BadOrg);
        }
        let vis = match self.front {
            FrontEnd::Action => "`visibility: selected`",
            FrontEnd::Cli => "`--visibility selected`",
        };
        if !selected.is_empty() && visibility != Some(Visibility::Selected) {
            let problem = Problem::SelectedWithoutVisibility { selected: vis };
            self.error(Input::SelectedRepositories, problem);
        }
        if visibility == Some(Visibility::Selected) && selected.is_empty() {
            let problem = Problem::SelectedEmpty { selected: vis };
            self.error(Input::SelectedRepositories, problem);
        }
        Destination::Org {
            org: organization.to_owned(),
            visibility,
            selected,
        }
    }

    fn repos_destination(
        &mut self,
        environment: Option<String>,
        visibility: Option<Visibility>,
        selected: Vec<Repo>,
    ) -> Destination {
        if visibility.is_some() || !selected.is_empty() {
            let problem = Problem::VisibilityWithoutOrg {
                visibility: self.named(Input::Visibility),
                selected: self.named(Input::SelectedRepositories),
            };
            self.error(Input::Visibility, problem);
        }
        let repos = if self.raw.repositories.trim().is_empty() {
            self.single_repository()
        } else {
            let text = self.raw.repositories.clone();
            parse_repo_specs(&text, Input::Repositories, self.front, &mut self.errors)
        };
        Destination::Repos { repos, environment }
    }

    fn single_repository(&mut self) -> Vec<RepoSpec> {
        let repo = first_non_empty(&[&self.raw.repository, &self.ctx.default_repository])
            .unwrap_or("")
            .to_owned();
        match Repo::parse(&repo) {
            Some(r) => vec![RepoSpec::Exact(r)],
            None if repo.is_empty() => {
                let repository = self.named(Input::Repository);
                self.error(Input::Repository, Problem::NoRepository { repository });
                vec![]
            }
            None => {
                self.error(Input::Repository, Problem::NotOwnerName(repo));
                vec![]
            }
        }
    }

    fn auth(&mut self, token: SecretValue, app_key: SecretValue) -> Auth {
        let app_id = self.raw.app_id.trim();
        let installation = self.raw.app_installation_id.trim();
        let wants_app = !app_id.is_empty() || !app_key.is_empty();
        let (id_name, key_name) = (self.named(Input::AppId), self.named(Input::AppPrivateKey));
        if wants_app && !token.is_empty() {
            let problem = Problem::TokenAndApp {
                token: self.named(Input::Token),
                app_id: id_name,
                app_key: key_name,
            };
            self.error(Input::Token, problem);
            return Auth::None;
        }
        if !wants_app {
            return if token.is_empty() {
                Auth::None
            } else {
                Auth::Token(token)
            };
        }
        if app_id.is_empty() || app_key.is_empty() {
            let input = if app_id.is_empty() {
                Input::AppId
            } else {
                Input::AppPrivateKey
            };
            let problem = Problem::AppPair {
                app_id: id_name,
                app_key: key_name,
            };
            self.error(input, problem);
            return Auth::None;
        }
        let installation_id = match installation {
            "" => None,
            s => s.parse::<u64>().ok().or_else(|| {
                self.error(Input::AppInstallationId, Problem::Expected("a number"));
                None
            }),
        };
        Auth::App(AppCredentials {
            app_id: app_id.to_owned(),
            private_key: app_key,
            installation_id,
        })
    }
}

/// Why a value cannot be stored, if it cannot.
fn value_problem(c: &Candidate) -> Option<Problem> {
    let value = c.secret.value.expose();
    let origin = c.source.note();
    if value.is_empty() {
        Some(Problem::Empty { origin })
    } else if is_trivial_value(value) {
        Some(Problem::Trivial { origin })
    } else if value.len() > MAX_VALUE_BYTES {
        Some(Problem::TooLarge {
            len: value.len(),
            origin,
        })
    } else if value.contains('\0') {
        Some(Problem::Nul { origin })
    } else {
        None
    }
}

/// Lines of `owner/name` or `owner/glob`, deduplicated, in order.
pub fn parse_repo_specs(
    text: &str,
    input: Input,
    front: FrontEnd,
    errors: &mut Vec<InputError>,
) -> Vec<RepoSpec> {
    let mut specs: Vec<RepoSpec> = Vec::new();
    for (line, text) in non_comment_lines(text) {
        let spec = if let Some(r) = Repo::parse(text) {
            RepoSpec::Exact(r)
        } else {
            match text.split_once('/') {
                Some((owner, pattern))
                    if is_owner(owner)
                        && !pattern.is_empty()
                        && !pattern.contains('/')
                        && glob::Pattern::new(pattern).is_ok()
                        && pattern
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || "-_.*?[]!".contains(c)) =>
                {
                    RepoSpec::Pattern {
                        owner: owner.to_owned(),
                        pattern: pattern.to_owned(),
                    }
                }
                _ => {
                    let text = text.to_owned();
                    errors.push(InputError::new(
                        input,
                        front,
                        Problem::NotRepoSpec { line, text },
                    ));
                    continue;
                }
            }
        };
        if !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    if specs.is_empty() && errors.is_empty() {
        errors.push(InputError::new(input, front, Problem::NoRepositoryGiven));
    }
    specs
}

fn first_non_empty<'a>(values: &[&'a String]) -> Option<&'a str> {
    values.iter().map(|s| s.trim()).find(|s| !s.is_empty())
}

/// The token is only ever sent over https, or to this machine: the policy lives in
/// [`crate::github::ApiUrl`], applied again where every client is built.
pub fn check_api_url(url: &str) -> Result<(), crate::github::UrlError> {
    crate::github::ApiUrl::parse(url).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_urls() {
        for ok in [
            "https://api.github.com",
            "https://ghe.example/api/v3",
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:9/x",
            "http://127.8.9.10",
        ] {
            assert_eq!(check_api_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://api.github.com",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "ftp://x",
            "api.github.com",
            "https://",
            "https://u:p@host",
        ] {
            assert!(check_api_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repo_specs() {
        let mut errors = Vec::new();
        let specs = parse_repo_specs(
            "acme/api\n# x\nacme/service-*\nacme/api\n",
            Input::Repositories,
            FrontEnd::Action,
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].to_string(), "acme/service-*");
        parse_repo_specs(
            "acme\n/x\nacme/a/b\n",
            Input::Repositories,
            FrontEnd::Cli,
            &mut errors,
        );
        assert_eq!(errors.len(), 3);
        assert_eq!(
            errors[0].to_string(),
            "`--repositories`: line 1: `acme` is not owner/name or owner/glob"
        );
    }
}
