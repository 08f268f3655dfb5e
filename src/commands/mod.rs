//! The commands for people at a terminal: `sync`, `set`, `delete`, `rotate`, `status`,
//! `check-token`, `completions` and `man`. What they share lives here: where secrets go
//! (`--repo`, `--repos-file`, `--env`, `--org`, `--app`), the token, how a command ends
//! ([`exit`]: the error said once, the exit code from [`crate::error::Error::exit_code`]), and
//! colour; what they say alike (the command that finishes a stopped run, the prompt typed
//! twice) is in `words.rs`.

pub mod check_token;
pub mod completions;
pub mod confirm;
pub mod crash;
pub mod delete;
pub mod habits;
pub mod options;
pub mod patterns;
mod progress;
pub mod repos_file;
pub mod rotate;
pub mod set;
pub mod status;
pub mod sync;
mod words;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use crate::auth::token::TokenSource;
use crate::config::input::RunContext;
use crate::config::{AppCredentials, Auth, Config, Destination, RepoSpec, Visibility};
use crate::secret::SecretValue;
use crate::target::{App, Repo, Target};
use options::AppArgs;

pub use crate::error::Error;

/// The exit codes, for every command's `--help` ([`Error::exit_code`] maps failures to them).
pub const EXIT_CODES: &str =
    "Exit codes: 0 ok, 1 a check or a write failed, 2 usage or input error (nothing was done).";

/// Where secrets are: repositories (or their environments), or an organisation.
#[derive(Args, Debug, Clone)]
pub struct TargetArgs {
    /// A repository, `owner/name`, or `owner/glob` (`acme/service-*`, resolved against the
    /// owner's repositories, archived ones skipped); repeatable.
    #[arg(short = 'R', long = "repo", value_name = "OWNER/NAME")]
    pub repos: Vec<String>,
    /// Repositories from a file: one `owner/name` or `owner/glob` a line (`#` comments), or a
    /// YAML list.
    #[arg(long, value_name = "FILE")]
    pub repos_file: Option<PathBuf>,
    /// This environment of each repository, instead of its repository secrets.
    #[arg(long = "env", value_name = "ENVIRONMENT")]
    pub environment: Option<String>,
    /// This organisation's secrets, instead of repositories'.
    #[arg(long = "org", value_name = "ORG", conflicts_with_all = ["repos", "repos_file", "environment"])]
    pub org: Option<String>,
    /// Whose secrets: `actions`, `dependabot`, `codespaces` or `agents` (the Copilot cloud
    /// agent's).
    #[arg(
        long,
        default_value = "actions",
        value_parser = clap::builder::TypedValueParser::try_map(
            options::Choices(options::APP_NAMES),
            |s| parse_app(&s)
        )
    )]
    pub app: App,
}

impl Default for TargetArgs {
    fn default() -> Self {
        Self {
            repos: Vec::new(),
            repos_file: None,
            environment: None,
            org: None,
            app: App::Actions,
        }
    }
}

/// `--app` is none of the kinds of secrets (clap shows it after the flag and the value).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {}", crate::target::APPS)]
pub struct AppParseError;

pub(crate) fn parse_app(s: &str) -> Result<App, AppParseError> {
    App::parse(s).ok_or(AppParseError)
}

/// Why the targets cannot be known: which flag or line is wrong, and how to write it. Holds
/// names (organisation, repository, file), never a secret's value.
#[derive(Debug, thiserror::Error)]
pub enum TargetArgsError {
    /// `--org` is no organisation name.
    #[error("--org `{0}` is not an organisation name (letters, digits, `-`)")]
    Org(String),
    /// `--env ""`.
    #[error("--env is empty: give the environment's name")]
    EmptyEnvironment,
    /// `--env` is no environment name.
    #[error("--env: {0}")]
    Environment(crate::config::names::EnvironmentNameError),
    /// `--env` with an `--app` whose secrets have no environment level.
    #[error("--env with --app {app}: {why}; leave out one of them")]
    EnvironmentOfApp {
        app: &'static str,
        why: crate::target::NoEnvironment,
    },
    /// `--repo` is not `owner/name`.
    #[error(
        "--repo `{0}` is not a repository: write it as owner/name (e.g. acme/api) or \
         owner/glob (e.g. acme/svc-*)"
    )]
    Repo(String),
    /// `--repos-file` cannot be used.
    #[error(transparent)]
    ReposFile(#[from] repos_file::ReposFileError),
    /// None of `--repo`, `--repos-file`, `--org`.
    #[error("no target: give --repo owner/name (repeatable), --repos-file FILE or --org ORG")]
    NoTarget,
}

impl TargetArgs {
    /// The targets, in the order given, without duplicates, each pattern still to resolve
    /// ([`patterns::resolve`]); no request. Errors say which flag or line is wrong and how to
    /// write it.
    pub fn specs(&self) -> Result<Specs, TargetArgsError> {
        if let Some(org) = &self.org {
            if !crate::target::is_owner(org) {
                return Err(TargetArgsError::Org(org.clone()));
            }
            return Ok(Specs::Known(vec![Target::Org {
                org: org.clone(),
                app: self.app,
            }]));
        }
        if let Some(env) = &self.environment {
            match crate::config::names::environment_name(env) {
                Err(crate::config::names::EnvironmentNameError::Empty) => {
                    return Err(TargetArgsError::EmptyEnvironment)
                }
                Err(e) => return Err(TargetArgsError::Environment(e)),
                Ok(_) => {}
            }
            if let Err(why) = self.app.environments() {
                return Err(TargetArgsError::EnvironmentOfApp {
                    app: self.app.as_str(),
                    why,
                });
            }
        }
        let mut specs: Vec<RepoSpec> = Vec::new();
        for r in &self.repos {
            specs.push(RepoSpec::parse(r).ok_or_else(|| TargetArgsError::Repo(r.clone()))?);
        }
        if let Some(path) = &self.repos_file {
            specs.extend(repos_file::read(path)?);
        }
        if specs.is_empty() {
            return Err(TargetArgsError::NoTarget);
        }
        if specs.iter().any(RepoSpec::is_pattern) {
            let mut unique: Vec<RepoSpec> = Vec::new();
            for spec in specs {
                if !unique.contains(&spec) {
                    unique.push(spec);
                }
            }
            return Ok(Specs::Patterns(unique));
        }
        let repos: Vec<Repo> = specs
            .into_iter()
            .filter_map(|s| match s {
                RepoSpec::Exact(r) => Some(r),
                RepoSpec::Pattern { .. } => None,
            })
            .collect();
        let mut targets: Vec<Target> = Vec::new();
        crate::target::add_targets(&mut targets, repos, self.environment.as_deref(), self.app);
        Ok(Specs::Known(targets))
    }

    /// The targets when no pattern is given (tests, and what needs no credential).
    #[cfg(test)]
    pub fn targets(&self) -> Result<Vec<Target>, TargetArgsError> {
        match self.specs()? {
            Specs::Known(t) => Ok(t),
            Specs::Patterns(_) => Err(TargetArgsError::NoTarget),
        }
    }
}

/// What the target flags name: the targets, or specs of which some are patterns that only a
/// listing can resolve ([`patterns::resolve`]).
#[derive(Debug, Clone)]
pub enum Specs {
    Known(Vec<Target>),
    Patterns(Vec<RepoSpec>),
}

/// How a command authenticates: a person's token, or a GitHub App (short-lived installation
/// tokens, minted for the command and revoked before it ends).
pub enum Credential {
    Token(SecretValue, TokenSource),
    App(AppCredentials),
}

impl Credential {
    /// The app when its flags are given (then no token is looked for at all), else the token.
    /// `api_url` is where the token will be sent (see [`crate::auth::token::find_token`]).
    pub fn find(app: &AppArgs, prompt: bool, api_url: &str) -> Result<Credential, UsageError> {
        if let Some(creds) = app_credentials(app)? {
            return Ok(Credential::App(creds));
        }
        let (token, source) = token(prompt, api_url)?;
        Ok(Credential::Token(token, source))
    }

    pub fn auth(&self) -> Auth {
        match self {
            Credential::Token(t, _) => Auth::Token(t.clone()),
            Credential::App(creds) => Auth::App(creds.clone()),
        }
    }

    /// What did the work, for messages: "the token from GH_TOKEN", "the GitHub App 42's
    /// installation token".
    pub fn describe(&self) -> String {
        match self {
            Credential::Token(_, source) => format!("the token from {}", source.describe()),
            Credential::App(creds) => {
                format!("the installation token of GitHub App {}", creds.app_id)
            }
        }
    }

    /// The fix for a write or read GitHub refused (403/404), for this kind of credential.
    pub fn permission_hint(&self, target: &Target) -> String {
        match self {
            Credential::Token(token, _) => {
                crate::engine::hints::WritesAs::of_token(token).permission_hint(target)
            }
            Credential::App(_) => crate::engine::hints::app_permission_hint(target),
        }
    }

    /// The fix when GitHub answers 401.
    pub fn unauthorized_fix(&self) -> String {
        match self {
            Credential::Token(_, source) => format!(
                "the token from {} is invalid or expired: create a new one, or log in again \
                 with `gh auth login`",
                source.describe()
            ),
            Credential::App(_) => "GitHub refused the app's installation token: run again (a \
                 token lives an hour), and check --app-id and --app-key-file"
                .to_owned(),
        }
    }
}

/// Why a command cannot start: the command line, an input file or the environment is wrong,
/// and nothing was done. Names the flag or the file, never a value or a key.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error(transparent)]
    ApiUrl(#[from] crate::github::UrlError),
    #[error(transparent)]
    NoToken(#[from] crate::auth::token::NoToken),
    #[error("cannot read the token at the terminal: {0}")]
    PromptRead(std::io::Error),
    #[error("no token was typed")]
    NothingTyped,
    #[error("{0}")]
    TokenSource(options::SourceError),
    #[error("the token to check from {0} is empty")]
    EmptyToken(&'static str),
    #[error("{0}: give --app-key-file the app's private key (a PEM file)")]
    AppKey(options::SourceError),
    #[error("--app-id is empty: give the app's id or client id")]
    EmptyAppId,
    #[error("--app-installation-id `{0}`: expected a number, e.g. 12345678")]
    InstallationId(String),
    #[error(
        "--app-key-file {0}: not a usable RSA private key: give the whole PEM file GitHub \
         generated for the app (PKCS#1, \"RSA PRIVATE KEY\"), or its PKCS#8 form (\"PRIVATE \
         KEY\"), unchanged"
    )]
    UnusableKey(String),
}

/// The GitHub App from `--app-id`, `--app-key-file` and `--app-installation-id`, its key
/// checked (it must sign) before anything else happens; `None` without `--app-id`. A key that
/// cannot be read is a usage error; one that cannot sign fails as a check (exit 1). No error
/// contains any part of the key.
pub fn app_credentials(app: &AppArgs) -> Result<Option<AppCredentials>, UsageError> {
    if !app.is_set() {
        return Ok(None);
    }
    let path = app
        .app_key_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let (app_id, private_key, installation) = app.inputs().map_err(UsageError::AppKey)?;
    if app_id.trim().is_empty() {
        return Err(UsageError::EmptyAppId);
    }
    let installation_id = match installation.trim() {
        "" => None,
        s => Some(
            s.parse::<u64>()
                .map_err(|_| UsageError::InstallationId(s.to_owned()))?,
        ),
    };
    // A key that cannot sign is an input error (exit 2) for every command, check-token too.
    if crate::auth::app::jwt::AppSigner::new(&app_id, &private_key).is_err() {
        return Err(UsageError::UnusableKey(path));
    }
    crate::output::redact::know(&private_key);
    Ok(Some(AppCredentials {
        app_id: app_id.trim().to_owned(),
        private_key,
        installation_id,
    }))
}

/// The engine's configuration for the targets, with no secrets: what `app_auth::open` needs to
/// find the installation and limit the token (`set` adds the secrets).
pub fn config(
    args: &TargetArgs,
    targets: &[Target],
    visibility: Option<Visibility>,
    auth: Auth,
    api_url: &str,
) -> Config {
    let destination = match &args.org {
        Some(org) => Destination::Org {
            org: org.clone(),
            visibility,
            selected: Vec::new(),
        },
        None => Destination::Repos {
            repos: targets
                .iter()
                .filter_map(Target::repo)
                .map(|r| RepoSpec::Exact(r.clone()))
                .collect(),
            environment: args.environment.clone(),
        },
    };
    Config {
        auth,
        secrets: Vec::new(),
        current: None,
        destination,
        app: args.app,
        dry_run: false,
        api_url: api_url.trim_end_matches('/').to_owned(),
        fail_fast: true,
        allow_pull_request_target: true,
        token_expiry_warning_days: 14,
        audit_log: None,
        context: RunContext {
            actor: crate::env::var("USER").unwrap_or_default(),
            ..RunContext::default()
        },
        warnings: Vec::new(),
        refused: Vec::new(),
        preflight: false,
        stored_at: None,
    }
}

/// The API URL for a command (`--api-url`, else `GH_HOST`'s, else github.com), through the URL
/// policy before anything else happens: a refused URL is a usage error that never echoes it.
pub fn api_url(flag: Option<&str>) -> Result<crate::github::ApiUrl, UsageError> {
    Ok(crate::github::ApiUrl::parse(&options::api_url_or_default(
        flag,
    ))?)
}

/// The token for a command, or the error that says how to give one.
pub fn token(prompt: bool, api_url: &str) -> Result<(SecretValue, TokenSource), UsageError> {
    Ok(crate::auth::token::find_token(prompt, api_url)?)
}

/// A single-threaded runtime for one command, SIGINT and SIGTERM handled (see [`crate::cancel`]);
/// a minted token left unrevoked is revoked before it shuts down (see [`crate::auth::guard`]).
pub fn runtime() -> Result<crate::auth::guard::Runtime, RuntimeError> {
    crate::auth::guard::runtime().map_err(RuntimeError)
}

/// The runtime could not be built (a check failed: exit 1).
#[derive(Debug, thiserror::Error)]
#[error("cannot start: {0}")]
pub struct RuntimeError(std::io::Error);

/// A command's (or the action's) result as the process's exit code, in one place: `error: …`
/// on standard error for what the command did not report itself, then [`Error::exit_code`]; a
/// signal handled along the way (see [`crate::cancel`]) decides the code whatever the result:
/// 130 or 143.
pub fn exit(result: Result<(), Error>) -> ExitCode {
    if let Some(message) = result.as_ref().err().and_then(Error::unsaid) {
        say(&message);
    }
    let code = match crate::cancel::requested() {
        Some(signal) => Error::CancelledReported(signal).exit_code(),
        None => result
            .as_ref()
            .map_or_else(Error::exit_code, |()| crate::error::OK),
    };
    ExitCode::from(code)
}

/// `error: …` on standard error (coloured label on a terminal): the one place it is printed.
pub fn say(message: &str) {
    let mut r = crate::output::reporter::Reporter::stdio(options::human_mode());
    r.error("", message);
    r.flush();
}

/// A command stopped by a signal: [`exit`] says so on standard error and exits 130 or 143.
/// `after` tells what became of what the command had started (its token).
pub fn cancelled(signal: crate::cancel::Signal, after: &str) -> Error {
    Error::Cancelled {
        signal,
        after: after.to_owned(),
    }
}

/// How a command's output looks: colour only on a terminal, never with `NO_COLOR`.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
}

/// What a line says, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Plain,
}

impl Style {
    /// For text written to standard output.
    pub fn stdout() -> Self {
        Self {
            color: crate::env::is_terminal(crate::env::Which::Out)
                && !crate::env::is_set("NO_COLOR"),
        }
    }

    pub fn paint(self, text: &str, tone: Tone) -> String {
        let code = match tone {
            Tone::Good => "32",
            Tone::Warn => "33",
            Tone::Bad => "31",
            Tone::Plain => return text.to_owned(),
        };
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// A table whose rows are coloured whole, after alignment (escape codes have no width).
pub fn table(style: Style, headers: &[&str], rows: &[(Vec<String>, Tone)]) -> String {
    let plain: Vec<Vec<String>> = rows.iter().map(|(r, _)| r.clone()).collect();
    let text = crate::report::table(headers, &plain);
    let mut lines = text.lines();
    let mut out = String::new();
    if let Some(h) = lines.next() {
        out.push_str(h);
        out.push('\n');
    }
    for (line, (_, tone)) in lines.zip(rows) {
        out.push_str(&style.paint(line, *tone));
        out.push('\n');
    }
    out
}

/// Writes to standard output through the output layer (redacted, no control characters but
/// our colours, no workflow command); a closed pipe is not an error worth a panic.
pub fn print(text: &str) {
    crate::output::reporter::print(text, Style::stdout().color);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_reads_with_the_read_level_of_what_set_writes_with() {
        use crate::auth::app::{permissions_for, read_permissions_for};
        let cases = [
            (TargetArgs::default(), "secrets"),
            (
                TargetArgs {
                    environment: Some("prod".into()),
                    ..TargetArgs::default()
                },
                "environments",
            ),
            (
                TargetArgs {
                    org: Some("acme".into()),
                    ..TargetArgs::default()
                },
                "organization_secrets",
            ),
            (
                TargetArgs {
                    app: App::Dependabot,
                    ..TargetArgs::default()
                },
                "dependabot_secrets",
            ),
        ];
        for (mut args, name) in cases {
            if args.org.is_none() {
                args.repos = vec!["acme/api".into()];
            }
            let targets = args.targets().expect("targets");
            let c = config(&args, &targets, None, Auth::None, "https://api.github.com/");
            assert_eq!(c.api_url, "https://api.github.com");
            let read: Vec<_> = read_permissions_for(&c)
                .expect("read")
                .into_iter()
                .collect();
            assert_eq!(read, [(name, "read")]);
            let write: Vec<_> = permissions_for(&c).expect("write").into_iter().collect();
            assert_eq!(write, [(name, "write")]);
        }
        let codespaces = TargetArgs {
            repos: vec!["acme/api".into()],
            app: App::Codespaces,
            ..TargetArgs::default()
        };
        let targets = codespaces.targets().expect("targets");
        let c = config(&codespaces, &targets, None, Auth::None, "https://h");
        assert!(read_permissions_for(&c).is_err());
    }

    #[test]
    fn patterns_are_kept_to_resolve_and_bad_ones_explained() {
        let args = TargetArgs {
            repos: vec!["acme/api".into(), "acme/svc-*".into(), "acme/svc-*".into()],
            ..TargetArgs::default()
        };
        let Specs::Patterns(specs) = args.specs().expect("specs") else {
            panic!("a pattern needs resolving");
        };
        let shown: Vec<String> = specs.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["acme/api", "acme/svc-*"]);
        let bad = TargetArgs {
            repos: vec!["acme/svc/*".into()],
            ..TargetArgs::default()
        };
        assert!(bad
            .specs()
            .expect_err("bad")
            .to_string()
            .contains("owner/glob (e.g. acme/svc-*)"));
    }

    #[test]
    fn targets_dedupe_and_explain() {
        let args = TargetArgs {
            repos: vec!["acme/api".into(), "Acme/API".into(), "acme/web".into()],
            ..TargetArgs::default()
        };
        let t: Vec<String> = args
            .targets()
            .expect("targets")
            .iter()
            .map(Target::to_string)
            .collect();
        assert_eq!(t, ["acme/api", "acme/web"]);
        let bad = TargetArgs {
            repos: vec!["acme".into()],
            ..TargetArgs::default()
        };
        assert!(bad
            .targets()
            .expect_err("bad")
            .to_string()
            .contains("write it as owner/name"));
        assert!(TargetArgs::default()
            .targets()
            .expect_err("none")
            .to_string()
            .starts_with("no target"));
        let env = TargetArgs {
            repos: vec!["acme/api".into()],
            environment: Some("prod".into()),
            app: App::Dependabot,
            ..TargetArgs::default()
        };
        assert!(env
            .targets()
            .expect_err("env")
            .to_string()
            .contains("--app dependabot"));
    }
}
