//! The options every command shares: `--api-url`, the GitHub App's flags, how output looks,
//! and where values are read from (a file, standard input or a variable). Commands import them
//! from here; `cli.rs` only assembles the command tree.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use crate::output::reporter::Mode;
use crate::secret::{secret_from_bytes, SecretValue};

/// Authenticate as a GitHub App instead of with a token; shared by the commands that write or
/// read secrets. The key is read from a file, never taken as an argument.
#[derive(Args, Debug, Default, Clone)]
pub struct AppArgs {
    /// Authenticate as this GitHub App (its id or client id) instead of a token.
    #[arg(long, value_name = "ID", requires = "app_key_file")]
    pub app_id: Option<String>,
    /// The app's private key: a PEM file (PKCS#1 or PKCS#8), `-` for standard input.
    #[arg(long, value_name = "PATH", requires = "app_id")]
    pub app_key_file: Option<PathBuf>,
    /// The app's installation id (default: found from the first target).
    #[arg(long, value_name = "ID", requires = "app_id")]
    pub app_installation_id: Option<String>,
}

impl AppArgs {
    pub fn is_set(&self) -> bool {
        self.app_id.is_some()
    }

    /// `(app-id, app-private-key, app-installation-id)` as the action's inputs take them.
    pub fn inputs(&self) -> Result<(String, SecretValue, String), SourceError> {
        let key = read_source("app private key", self.app_key_file.as_ref(), None)?;
        Ok((
            self.app_id.clone().unwrap_or_default(),
            key,
            self.app_installation_id.clone().unwrap_or_default(),
        ))
    }
}

/// Keyless: no stored credential. The job's OIDC ID token (from `ACTIONS_ID_TOKEN_REQUEST_URL`
/// and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`, which the runner sets in every step of a job with
/// `permissions: id-token: write`) is exchanged for installation tokens at an octo-sts-style
/// token exchange. Shared by the commands that write or check.
#[derive(Args, Debug, Default, Clone)]
pub struct StsArgs {
    /// Keyless: exchange the job's OIDC ID token for installation tokens at this token exchange
    /// (octo-sts protocol) instead of using a token; needs a workflow job with
    /// `permissions: id-token: write`.
    #[arg(long, value_name = "URL", requires = "sts_identity")]
    pub sts_url: Option<String>,
    /// Keyless: the trust policy the exchange checks the ID token against
    /// (`.github/chainguard/NAME.sts.yaml`).
    #[arg(long, value_name = "NAME", requires = "sts_url")]
    pub sts_identity: Option<String>,
    /// Keyless: the ID token's audience (default: the exchange's host name).
    #[arg(long, value_name = "AUDIENCE", requires = "sts_url")]
    pub sts_audience: Option<String>,
}

impl StsArgs {
    pub fn is_set(&self) -> bool {
        self.sts_url.is_some()
    }
}

/// `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN` of the environment
/// (empty when unset), for a keyless command run in a workflow's `run:` step.
pub fn id_token_request() -> (String, SecretValue) {
    (
        crate::env::var("ACTIONS_ID_TOKEN_REQUEST_URL").unwrap_or_default(),
        crate::env::secret("ACTIONS_ID_TOKEN_REQUEST_TOKEN").unwrap_or_default(),
    )
}

/// The expiry window, one name in every command that uses a token (`sync`, `set`, `rotate`,
/// `check-token`); the names it had before are hidden aliases that still work.
#[derive(Args, Debug, Clone)]
pub struct ExpiryArgs {
    /// Warn when the token expires within this many days (check-token: fail).
    #[arg(
        long = "expiry-warning-days",
        value_name = "DAYS",
        default_value_t = EXPIRY_WARNING_DAYS,
        alias = "warn-days",
        alias = "token-expiry-warning-days"
    )]
    pub expiry_warning_days: u32,
}

/// `--expiry-warning-days` unless given (the action's `token-expiry-warning-days` too).
pub const EXPIRY_WARNING_DAYS: u32 = 14;

impl Default for ExpiryArgs {
    fn default() -> Self {
        Self {
            expiry_warning_days: EXPIRY_WARNING_DAYS,
        }
    }
}

/// The API URL for the command line: `--api-url`, else GitHub Enterprise Server's from
/// `GH_HOST`, else github.com.
pub fn api_url_or_default(flag: Option<&str>) -> String {
    if let Some(url) = flag.filter(|s| !s.is_empty()) {
        return url.to_owned();
    }
    match crate::env::var("GH_HOST") {
        Some(host) if !host.is_empty() && host != "github.com" => format!("https://{host}/api/v3"),
        _ => "https://api.github.com".to_owned(),
    }
}

/// A value source that cannot be read. Names the source, never its content.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("give the {0} as a file or a variable, not both")]
    Both(&'static str),
    #[error("the {0} would be read from standard input, which is a terminal: pipe them in")]
    Terminal(&'static str),
    #[error("cannot read the {what} from standard input: {source}")]
    Stdin {
        what: &'static str,
        source: std::io::Error,
    },
    #[error("{0} from standard input: not UTF-8 text")]
    StdinNotUtf8(&'static str),
    #[error("cannot read the {what} from {}: {source}", .path.display())]
    File {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{what} in {}: not UTF-8 text", .path.display())]
    FileNotUtf8 { what: &'static str, path: PathBuf },
    #[error("the {what} variable {var} is not set")]
    Unset { what: &'static str, var: String },
}

/// Reads a value source given as a path (`-` = standard input) or an environment variable.
pub fn read_source(
    what: &'static str,
    path: Option<&PathBuf>,
    var: Option<&str>,
) -> Result<SecretValue, SourceError> {
    match (path, var) {
        (Some(_), Some(_)) => Err(SourceError::Both(what)),
        (Some(p), None) if p.as_os_str() == "-" => {
            if crate::env::stdin_is_terminal() {
                return Err(SourceError::Terminal(what));
            }
            let mut buf = Vec::new();
            crate::env::Stdin
                .read_to_end(&mut buf)
                .map_err(|source| SourceError::Stdin { what, source })?;
            secret_from_bytes(buf).ok_or(SourceError::StdinNotUtf8(what))
        }
        (Some(p), None) => {
            let bytes =
                std::fs::read(crate::env::resolve(p)).map_err(|source| SourceError::File {
                    what,
                    path: p.clone(),
                    source,
                })?;
            secret_from_bytes(bytes).ok_or_else(|| SourceError::FileNotUtf8 {
                what,
                path: p.clone(),
            })
        }
        (None, Some(v)) => crate::env::secret(v).ok_or_else(|| SourceError::Unset {
            what,
            var: v.to_owned(),
        }),
        (None, None) => Ok(SecretValue::default()),
    }
}

/// The output mode for people: colour on a terminal, never with `NO_COLOR`.
pub fn human_mode() -> Mode {
    Mode::Human {
        color: crate::env::is_terminal(crate::env::Which::Err) && !crate::env::is_set("NO_COLOR"),
    }
}

/// The words `--app` takes, for completion and `--help`.
pub const APP_NAMES: &[&str] = &["actions", "dependabot", "codespaces", "agents"];

/// A flag that takes one of a few words: completions and `--help` offer `words`, and the text
/// is passed on as typed, so the command's own check (case-insensitive, with its own message)
/// still decides.
#[derive(Clone, Debug)]
pub struct Choices(pub &'static [&'static str]);

impl clap::builder::TypedValueParser for Choices {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|w| clap::builder::PossibleValue::new(*w)),
        ))
    }
}
