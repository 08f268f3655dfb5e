//! Raw inputs (strings, as the runner or the command line gives them) become one validated
//! [`Config`]. Every value is handed to the reporter's masker the moment it is read, before any
//! error is reported; errors name the input and the secret, never a value.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use crate::names::{name_from_file, SecretName};
use crate::output::Reporter;
use crate::parse::{non_comment_lines, parse_bool, parse_file_specs, parse_pairs, FileSpec};
use crate::secret::{secret_from_bytes, SecretValue};
use crate::target::{is_owner, App, Repo};

/// The most GitHub stores in one secret.
pub const MAX_VALUE_BYTES: usize = 49_152;

/// Inputs exactly as given: every field is the input's text, empty when not set.
#[derive(Debug, Default, Clone)]
pub struct RawInputs {
    pub token: SecretValue,
    pub secrets: SecretValue,
    pub files: String,
    pub prefix: String,
    pub if_no_files_found: String,
    pub current: SecretValue,
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
}

/// Facts about the run that are not inputs.
#[derive(Debug, Default, Clone)]
pub struct RunContext {
    pub workspace: PathBuf,
    pub event_name: String,
    pub actor: String,
    pub run_id: String,
    /// `$GITHUB_REPOSITORY`, the default of `repository`.
    pub default_repository: String,
    /// `$GITHUB_API_URL`, the default of `api-url`.
    pub default_api_url: String,
}

/// A bad input. Names the input and, where there is one, the secret; never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub input: &'static str,
    pub secret: Option<String>,
    pub message: String,
}

impl std::fmt::Display for InputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "input `{}`", self.input)?;
        if let Some(s) = &self.secret {
            write!(f, ", secret `{s}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl InputError {
    fn new(input: &'static str, message: impl Into<String>) -> Self {
        Self {
            input,
            secret: None,
            message: message.into(),
        }
    }

    fn secret(input: &'static str, secret: &str, message: impl Into<String>) -> Self {
        Self {
            input,
            secret: Some(secret.to_owned()),
            message: message.into(),
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
    let mut errors = Vec::new();
    let mut warnings = Vec::new();

    // Masks first: the token, the app key, then every value as it is read.
    let token = raw.token.expose().trim();
    let token = SecretValue::from(token);
    reporter.mask(&token);
    let app_key = SecretValue::from(raw.app_private_key.expose().trim());
    reporter.mask(&app_key);

    let (pairs, pair_errors) = parse_pairs(raw.secrets.expose());
    for p in &pairs {
        reporter.mask(&p.value);
    }
    errors.extend(
        pair_errors
            .into_iter()
            .map(|e| InputError::new("secrets", e.to_string())),
    );

    let if_no_files_found = match raw.if_no_files_found.trim().to_ascii_lowercase().as_str() {
        "" | "warn" => IfNoFilesFound::Warn,
        "error" => IfNoFilesFound::Error,
        "ignore" => IfNoFilesFound::Ignore,
        _ => {
            errors.push(InputError::new(
                "if-no-files-found",
                "expected `warn`, `error` or `ignore`",
            ));
            IfNoFilesFound::Warn
        }
    };
    let file_secrets = read_files(
        &raw.files,
        raw.prefix.trim(),
        &ctx.workspace,
        if_no_files_found,
        reporter,
        &mut errors,
        &mut warnings,
    );

    let (current_pairs, current_errors) = parse_pairs(raw.current.expose());
    for p in &current_pairs {
        reporter.mask(&p.value);
    }
    errors.extend(
        current_errors
            .into_iter()
            .map(|e| InputError::new("current", e.to_string())),
    );
    let current = (!raw.current.expose().trim().is_empty()).then(|| {
        current_pairs
            .into_iter()
            .map(|p| (p.name.to_ascii_uppercase(), p.value))
            .collect::<HashMap<_, _>>()
    });

    // Names and values.
    let mut secrets = Vec::new();
    for p in pairs {
        match SecretName::parse(&p.name) {
            Ok(name) => secrets.push(NewSecret {
                name,
                value: p.value,
                origin: Origin::Input,
            }),
            // A "name" on a line may be the tail of a pasted multi-line value: never echo it.
            Err(e) if p.line.is_some() => {
                errors.push(InputError::new("secrets", line_prefix(p.line) + e.rule()))
            }
            Err(e) => errors.push(InputError::new("secrets", e.to_string())),
        }
    }
    secrets.extend(file_secrets);
    check_secrets(&secrets, &mut errors);

    let options = load_options(raw, ctx, &mut errors);
    let auth = load_auth(raw, token, app_key, &mut errors);

    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(o) = options else {
        return Err(errors);
    };
    Ok(Config {
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
    })
}

/// Names unique case-insensitively, values non-empty and within GitHub's size limit.
pub fn check_secrets(secrets: &[NewSecret], errors: &mut Vec<InputError>) {
    let mut seen: BTreeMap<String, &NewSecret> = BTreeMap::new();
    for s in secrets {
        let input = match s.origin {
            Origin::File(_) => "files",
            _ => "secrets",
        };
        if let Some(first) = seen.get(&s.name.folded()) {
            errors.push(InputError::secret(
                input,
                s.name.as_str(),
                format!(
                    "the name is given twice (also as `{}`{}); names are case-insensitive",
                    first.name,
                    origin_note(&first.origin)
                ),
            ));
            continue;
        }
        seen.insert(s.name.folded(), s);
        if s.value.is_empty() {
            errors.push(InputError::secret(
                input,
                s.name.as_str(),
                format!("the value is empty{}", origin_note(&s.origin)),
            ));
        } else if s.value.len() > MAX_VALUE_BYTES {
            errors.push(InputError::secret(
                input,
                s.name.as_str(),
                format!(
                    "the value is {} bytes{}; GitHub stores at most {MAX_VALUE_BYTES}",
                    s.value.len(),
                    origin_note(&s.origin)
                ),
            ));
        }
    }
}

fn origin_note(origin: &Origin) -> String {
    match origin {
        Origin::File(p) => format!(" in file {}", p.display()),
        _ => String::new(),
    }
}

fn line_prefix(line: Option<usize>) -> String {
    line.map(|l| format!("line {l}: ")).unwrap_or_default()
}

#[allow(clippy::too_many_arguments)]
fn read_files(
    files: &str,
    prefix: &str,
    workspace: &Path,
    if_none: IfNoFilesFound,
    reporter: &mut Reporter,
    errors: &mut Vec<InputError>,
    warnings: &mut Vec<String>,
) -> Vec<NewSecret> {
    let mut out = Vec::new();
    for spec in parse_file_specs(files) {
        let (glob, line) = match &spec {
            FileSpec::Named { glob, line, .. } | FileSpec::Glob { glob, line } => {
                (glob.clone(), *line)
            }
        };
        let glob = &glob;
        let matches = match expand(workspace, glob) {
            Ok(m) => m,
            Err(e) => {
                errors.push(InputError::new("files", format!("line {line}: {e}")));
                continue;
            }
        };
        if matches.is_empty() {
            let msg = format!("line {line}: no file matches `{glob}`");
            match if_none {
                IfNoFilesFound::Error => errors.push(InputError::new("files", msg)),
                IfNoFilesFound::Warn => warnings.push(format!("input `files`, {msg}")),
                IfNoFilesFound::Ignore => {}
            }
            continue;
        }
        match spec {
            FileSpec::Named { name, .. } => {
                if matches.len() > 1 {
                    let list: Vec<String> =
                        matches.iter().map(|p| relative(workspace, p)).collect();
                    errors.push(InputError::secret(
                        "files",
                        &name,
                        format!(
                            "`{glob}` must match exactly one file but matches {}: {}",
                            matches.len(),
                            list.join(", ")
                        ),
                    ));
                    continue;
                }
                match SecretName::parse(&name) {
                    Ok(n) => push_file(&mut out, n, &matches[0], workspace, reporter, errors),
                    Err(e) => errors.push(InputError::new("files", format!("line {line}: {e}"))),
                }
            }
            FileSpec::Glob { .. } => {
                for path in matches {
                    let derived = name_from_file(prefix, &path);
                    match SecretName::parse(&derived) {
                        Ok(n) => push_file(&mut out, n, &path, workspace, reporter, errors),
                        Err(e) => errors.push(InputError::new(
                            "files",
                            format!("file {}: {e}", relative(workspace, &path)),
                        )),
                    }
                }
            }
        }
    }
    out
}

fn push_file(
    out: &mut Vec<NewSecret>,
    name: SecretName,
    path: &Path,
    workspace: &Path,
    reporter: &mut Reporter,
    errors: &mut Vec<InputError>,
) {
    let shown = PathBuf::from(relative(workspace, path));
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            errors.push(InputError::secret(
                "files",
                name.as_str(),
                format!("cannot read {}: {}", shown.display(), io_reason(&e)),
            ));
            return;
        }
    };
    match secret_from_bytes(bytes) {
        Some(value) => {
            let value = value.trim_one_newline();
            reporter.mask(&value);
            out.push(NewSecret {
                name,
                value,
                origin: Origin::File(shown),
            });
        }
        None => errors.push(InputError::secret(
            "files",
            name.as_str(),
            format!("{} is not UTF-8 text", shown.display()),
        )),
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "not found".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        std::io::ErrorKind::IsADirectory => "is a directory".into(),
        _ => e.to_string(),
    }
}

/// Files matching `pattern` under `workspace`, sorted; directories are skipped.
fn expand(workspace: &Path, pattern: &str) -> Result<Vec<PathBuf>, String> {
    let full = if Path::new(pattern).is_absolute() {
        PathBuf::from(pattern)
    } else {
        workspace.join(pattern)
    };
    let full = full.to_string_lossy().into_owned();
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: false,
    };
    let paths = glob::glob_with(&full, options)
        .map_err(|e| format!("bad pattern `{pattern}`: {}", e.msg))?;
    let mut found: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| !p.is_dir())
        .collect();
    found.sort();
    Ok(found)
}

fn relative(workspace: &Path, path: &Path) -> String {
    path.strip_prefix(workspace)
        .unwrap_or(path)
        .display()
        .to_string()
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

fn load_options(
    raw: &RawInputs,
    ctx: &RunContext,
    errors: &mut Vec<InputError>,
) -> Option<Options> {
    let start = errors.len();
    let mut boolean = |input: &'static str, text: &str, default: bool| {
        parse_bool(text, default).unwrap_or_else(|| {
            errors.push(InputError::new(input, "expected `true` or `false`"));
            default
        })
    };
    let dry_run = boolean("dry-run", &raw.dry_run, false);
    let fail_fast = boolean("fail-fast", &raw.fail_fast, false);
    let allow_prt = boolean(
        "allow-pull-request-target",
        &raw.allow_pull_request_target,
        false,
    );

    let app = App::parse(&raw.app).unwrap_or_else(|| {
        errors.push(InputError::new(
            "app",
            "expected `actions`, `dependabot` or `codespaces`",
        ));
        App::Actions
    });

    let api_url = first_non_empty(&[&raw.api_url, &ctx.default_api_url])
        .unwrap_or("https://api.github.com")
        .trim_end_matches('/')
        .to_owned();
    if let Err(e) = check_api_url(&api_url) {
        errors.push(InputError::new("api-url", e));
    }

    let expiry_days = match raw.token_expiry_warning_days.trim() {
        "" => 14,
        s => s.parse::<u32>().unwrap_or_else(|_| {
            errors.push(InputError::new(
                "token-expiry-warning-days",
                "expected a whole number of days",
            ));
            14
        }),
    };
    let audit_log = Some(raw.audit_log.trim())
        .filter(|s| !s.is_empty())
        .map(|s| {
            let p = PathBuf::from(s);
            if p.is_absolute() {
                p
            } else {
                ctx.workspace.join(p)
            }
        });

    let environment = Some(raw.environment.trim()).filter(|s| !s.is_empty());
    let organization = raw.organization.trim();
    let visibility = match raw.visibility.trim() {
        "" => None,
        v => {
            let parsed = Visibility::parse(v);
            if parsed.is_none() {
                errors.push(InputError::new(
                    "visibility",
                    "expected `all`, `private` or `selected`",
                ));
            }
            parsed
        }
    };
    let selected: Vec<Repo> = non_comment_lines(&raw.selected_repositories)
        .filter_map(|(line, text)| {
            Repo::parse(text).or_else(|| {
                errors.push(InputError::new(
                    "selected-repositories",
                    format!("line {line}: `{text}` is not owner/name"),
                ));
                None
            })
        })
        .collect();

    if let Some(env) = environment {
        if app != App::Actions {
            errors.push(InputError::new(
                "environment",
                format!(
                    "GitHub has no environment secrets for {}; environments hold Actions secrets only",
                    app.as_str()
                ),
            ));
        }
        if env.len() > 255 || env.chars().any(char::is_control) {
            errors.push(InputError::new(
                "environment",
                "not a valid environment name",
            ));
        }
    }

    let destination = if !organization.is_empty() {
        // `repository` defaults to the workflow's own repository: only another one conflicts.
        let repository = raw.repository.trim();
        let explicit_repository = !repository.is_empty()
            && !repository.eq_ignore_ascii_case(ctx.default_repository.trim());
        if !raw.repositories.trim().is_empty() || explicit_repository {
            errors.push(InputError::new(
                "organization",
                "give either `organization` or `repository`/`repositories`, not both",
            ));
        }
        if environment.is_some() {
            errors.push(InputError::new(
                "organization",
                "organisations have no environments; drop `environment`",
            ));
        }
        if !is_owner(organization) {
            errors.push(InputError::new(
                "organization",
                "not a valid organisation name",
            ));
        }
        if !selected.is_empty() && visibility != Some(Visibility::Selected) {
            errors.push(InputError::new(
                "selected-repositories",
                "only used with `visibility: selected`",
            ));
        }
        if visibility == Some(Visibility::Selected) && selected.is_empty() {
            errors.push(InputError::new(
                "selected-repositories",
                "`visibility: selected` needs at least one repository",
            ));
        }
        Destination::Org {
            org: organization.to_owned(),
            visibility,
            selected,
        }
    } else {
        if visibility.is_some() || !selected.is_empty() {
            errors.push(InputError::new(
                "visibility",
                "`visibility` and `selected-repositories` apply to organisation secrets only",
            ));
        }
        let repos = if raw.repositories.trim().is_empty() {
            let repo = first_non_empty(&[&raw.repository, &ctx.default_repository]).unwrap_or("");
            match Repo::parse(repo) {
                Some(r) => vec![RepoSpec::Exact(r)],
                None if repo.is_empty() => {
                    errors.push(InputError::new(
                        "repository",
                        "no repository: set `repository` (owner/name) or run inside GitHub Actions",
                    ));
                    vec![]
                }
                None => {
                    errors.push(InputError::new(
                        "repository",
                        format!("`{repo}` is not owner/name"),
                    ));
                    vec![]
                }
            }
        } else {
            parse_repo_specs(&raw.repositories, "repositories", errors)
        };
        Destination::Repos {
            repos,
            environment: environment.map(str::to_owned),
        }
    };

    (errors.len() == start).then_some(Options {
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

/// Lines of `owner/name` or `owner/glob`, deduplicated, in order.
pub fn parse_repo_specs(
    text: &str,
    input: &'static str,
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
                    errors.push(InputError::new(
                        input,
                        format!("line {line}: `{text}` is not owner/name or owner/glob"),
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
        errors.push(InputError::new(input, "no repository given"));
    }
    specs
}

fn load_auth(
    raw: &RawInputs,
    token: SecretValue,
    app_key: SecretValue,
    errors: &mut Vec<InputError>,
) -> Auth {
    let app_id = raw.app_id.trim();
    let installation = raw.app_installation_id.trim();
    let wants_app = !app_id.is_empty() || !app_key.is_empty();
    if wants_app && !token.is_empty() {
        errors.push(InputError::new(
            "token",
            "give either `token` or `app-id` with `app-private-key`, not both",
        ));
        return Auth::None;
    }
    if wants_app {
        if app_id.is_empty() || app_key.is_empty() {
            errors.push(InputError::new(
                if app_id.is_empty() {
                    "app-id"
                } else {
                    "app-private-key"
                },
                "`app-id` and `app-private-key` go together",
            ));
            return Auth::None;
        }
        let installation_id = match installation {
            "" => None,
            s => match s.parse::<u64>() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.push(InputError::new("app-installation-id", "expected a number"));
                    None
                }
            },
        };
        return Auth::App(AppCredentials {
            app_id: app_id.to_owned(),
            private_key: app_key,
            installation_id,
        });
    }
    if token.is_empty() {
        Auth::None
    } else {
        Auth::Token(token)
    }
}

fn first_non_empty<'a>(values: &[&'a String]) -> Option<&'a str> {
    values.iter().map(|s| s.trim()).find(|s| !s.is_empty())
}

/// The token is only ever sent over https, or to this machine: the policy lives in
/// [`crate::github::ApiUrl`], applied again where every client is built.
pub fn check_api_url(url: &str) -> Result<(), String> {
    crate::github::ApiUrl::parse(url)
        .map(|_| ())
        .map_err(|e| e.to_string())
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
            "repositories",
            &mut errors,
        );
        assert!(errors.is_empty());
        assert_eq!(specs.len(), 2);
        assert_eq!(specs[1].to_string(), "acme/service-*");
        parse_repo_specs("acme\n/x\nacme/a/b\n", "repositories", &mut errors);
        assert_eq!(errors.len(), 3);
    }
}
