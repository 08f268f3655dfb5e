//! The inputs as given, before validation: [`RawInputs`] (the input's text, as the runner or the
//! command line gives it), the step's environment ([`StepEnv`]), the facts of the run that are
//! not inputs ([`RunContext`]), and each [`Input`]'s name as the front end the user typed into
//! spells it.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::secret::SecretValue;

/// Inputs exactly as given: every field is the input's text, empty when not set; a flag the
/// command line's parser already typed arrives as a [`Given`].
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
    pub dry_run: Given<bool>,
    pub api_url: String,
    pub repositories: String,
    pub environment: String,
    pub organization: String,
    pub visibility: String,
    pub selected_repositories: String,
    pub app: String,
    pub fail_fast: Given<bool>,
    pub allow_pull_request_target: Given<bool>,
    pub token_expiry_warning_days: Given<u32>,
    pub audit_log: String,
    pub app_id: String,
    pub app_private_key: SecretValue,
    pub app_installation_id: String,
    /// Keyless: the token exchange's URL (`sts-url`).
    pub sts_url: String,
    /// Keyless: the identity whose trust policy the exchange checks (`sts-identity`).
    pub sts_identity: String,
    /// Keyless: the ID token's audience (`sts-audience`; empty: the exchange's host name).
    pub sts_audience: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`, as the runner set it (empty: not set).
    pub id_token_request_url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, as the runner set it (empty: not set).
    pub id_token_request_token: SecretValue,
    pub preflight: Given<bool>,
    /// `stored-at`: an earlier (preflight) step's output; untrusted.
    pub stored_at: String,
    /// The step's environment, read only for the variables the `*-from-env` inputs name.
    pub step_env: StepEnv,
    /// Inputs given that the action does not declare (`INPUT_*` variables naming none of
    /// [`Input::DECLARED`]), as `with:` spells them: misspelled inputs, never read.
    pub undeclared: Vec<String>,
}

/// An input's value: the action's text, which the loader validates (its error naming the input
/// as the front end spells it), or a value the command line's parser already typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given<T> {
    /// The input's text, empty when not set (the action).
    Text(String),
    /// Typed by clap (`sync`): nothing left to validate.
    Parsed(T),
}

impl<T> Default for Given<T> {
    fn default() -> Self {
        Given::Text(String::new())
    }
}

impl<T> From<&str> for Given<T> {
    fn from(text: &str) -> Self {
        Given::Text(text.to_owned())
    }
}

impl<T> From<String> for Given<T> {
    fn from(text: String) -> Self {
        Given::Text(text)
    }
}

/// Reads the step's environment variables by name; values come back as [`SecretValue`].
#[derive(Clone, Default)]
pub struct StepEnv(Option<Arc<Lookup>>);

type Lookup = dyn Fn(&str) -> Option<String> + Send + Sync;

impl StepEnv {
    pub fn new(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self(Some(Arc::new(lookup)))
    }

    /// The process's own environment.
    pub fn process() -> Self {
        Self::new(crate::env::var)
    }

    pub(super) fn get(&self, name: &str) -> Option<SecretValue> {
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
    /// A `workflow_run` whose triggering run is not shown to be this repository's own (its head
    /// repository is another, or the payload does not say): see [`RunContext::refused_event`].
    pub workflow_run_from_fork: bool,
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
    /// Asked once the targets are resolved, before the first write: the targets, and whether
    /// a pattern named any; `false` writes nothing. `sync` on a terminal only, never the action.
    pub confirm_targets: Option<fn(&[crate::target::Target], bool) -> bool>,
}

impl RunContext {
    /// The event when it runs with this repository's secrets next to data a fork's pull request
    /// controls. Writes are refused on it unless `allow-pull-request-target` is given.
    pub fn refused_event(&self) -> Option<RefusedEvent> {
        match self.event_name.as_str() {
            "pull_request_target" => Some(RefusedEvent::PullRequestTarget),
            "workflow_run" if self.workflow_run_from_fork => {
                Some(RefusedEvent::WorkflowRunFromFork)
            }
            _ => None,
        }
    }
}

/// An event that brings a fork's data next to this repository's secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusedEvent {
    PullRequestTarget,
    /// A `workflow_run` whose triggering run is not shown to be this repository's own.
    WorkflowRunFromFork,
}

impl RefusedEvent {
    /// As a row's reason: `pull_request_target event`.
    pub fn reason(self) -> &'static str {
        match self {
            RefusedEvent::PullRequestTarget => "pull_request_target event",
            RefusedEvent::WorkflowRunFromFork => "workflow_run from a fork",
        }
    }

    /// After "writes refused on" / "writes are refused on".
    pub fn on(self) -> &'static str {
        match self {
            RefusedEvent::PullRequestTarget => "pull_request_target",
            RefusedEvent::WorkflowRunFromFork => "a workflow_run from a fork",
        }
    }

    /// Why the event is dangerous, one sentence.
    pub fn why(self) -> &'static str {
        match self {
            RefusedEvent::PullRequestTarget => {
                "pull_request_target runs with this repository's secrets next to code a pull \
                 request controls"
            }
            RefusedEvent::WorkflowRunFromFork => {
                "this workflow_run was started by a run from a fork (or its payload does not show \
                 otherwise), and runs with this repository's secrets next to the fork's \
                 artifacts and data"
            }
        }
    }
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
    StsUrl,
    StsIdentity,
    StsAudience,
    Preflight,
    StoredAt,
    Workspace,
}

impl Input {
    /// Every input `action.yml` declares, in its order (a unit test of `crate::action` holds the
    /// two equal): a variable `INPUT_*` that names none of them is a misspelled input.
    pub const DECLARED: [Input; 29] = {
        use Input::*;
        [
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
            StsUrl,
            StsIdentity,
            StsAudience,
            Preflight,
            StoredAt,
        ]
    };

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
            Repositories => ("repositories", "--repo"),
            Environment => ("environment", "--env"),
            Organization => ("organization", "--org"),
            Visibility => ("visibility", "--visibility"),
            SelectedRepositories => ("selected-repositories", "--selected-repo"),
            App => ("app", "--app"),
            FailFast => ("fail-fast", "--fail-fast"),
            AllowPullRequestTarget => ("allow-pull-request-target", "allow-pull-request-target"),
            TokenExpiryWarningDays => ("token-expiry-warning-days", "--expiry-warning-days"),
            AuditLog => ("audit-log", "--audit-log"),
            AppId => ("app-id", "--app-id"),
            AppPrivateKey => ("app-private-key", "--app-key-file"),
            AppInstallationId => ("app-installation-id", "--app-installation-id"),
            StsUrl => ("sts-url", "--sts-url"),
            StsIdentity => ("sts-identity", "--sts-identity"),
            StsAudience => ("sts-audience", "--sts-audience"),
            // The command line's preflight is `check-token` with the same targets.
            Preflight => ("preflight", "check-token"),
            StoredAt => ("stored-at", "stored-at"),
            Workspace => ("GITHUB_WORKSPACE", "--workspace"),
        };
        match front {
            FrontEnd::Action => action,
            FrontEnd::Cli => cli,
        }
    }

    pub(super) fn named(self, front: FrontEnd) -> Named {
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
