//! What the commands say alike: the command a stopped run prints to finish (or undo) it
//! ([`Rerun`]: the same targets as given, or a `--repos-file` written for many, the scope and
//! the connection flags), shell quoting ([`shell_word`]), a cause with its fix ([`Diagnosis`]),
//! and the value typed twice at the hidden prompt ([`ask_twice`]).

use std::path::{Path, PathBuf};

use super::options::AppArgs;
use super::TargetArgs;
use crate::env::prompt::PromptError;
use crate::secret::SecretValue;
use crate::target::Target;

/// Over this many targets, the remaining ones go to a file instead of the command line.
const MAX_TARGETS_ON_COMMAND_LINE: usize = 10;

/// What an input error means for a command that writes (`set`, `rotate`).
pub(super) const NOTHING_WRITTEN: &str = "; nothing was written";

/// A cause and its fix, said together: "cause\n  fix: fix".
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Diagnosis {
    pub(super) cause: String,
    pub(super) fix: String,
}

impl Diagnosis {
    pub(super) fn new(cause: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            cause: cause.into(),
            fix: fix.into(),
        }
    }
}

/// The fix for a request that got no usable answer: the certificate's when the server's was
/// refused, else the network's and the URL's.
pub(super) fn unanswered_fix(e: &crate::github::ApiError) -> &'static str {
    match e {
        crate::github::ApiError::UntrustedCertificate { .. } => {
            "run again with SSL_CERT_FILE naming a PEM file of the CA certificate that issued the \
             server's (`SSL_CERT_FILE=ca.pem secret-refresh ...`)"
        }
        crate::github::ApiError::Proxy { .. } => {
            "fix the proxy in https_proxy/HTTPS_PROXY, or list the API's host in NO_PROXY if \
             it is reachable directly"
        }
        _ => "check the network and --api-url",
    }
}

/// Quotes a word for a POSIX shell when it needs it.
pub(super) fn shell_word(s: &str) -> String {
    let safe = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// Asks `question` at the hidden prompt, then again to confirm ([`crate::env::prompt`]); a
/// warning on standard error after each pair of entries that differ.
pub(super) fn ask_twice(question: &str) -> Result<SecretValue, PromptError> {
    crate::env::prompt::ask_twice(question, || {
        let mut r = crate::output::reporter::Reporter::stdio(super::options::human_mode());
        r.warning("", "the two entries differ; type the value again");
    })
}

/// A `secret-refresh` command line to print, built in the order its words are given; values
/// are quoted for the shell. [`Rerun::targets`] may write a file and leave a note saying so.
pub(super) struct Rerun {
    words: Vec<String>,
    note: String,
}

impl Rerun {
    /// `secret-refresh COMMAND`.
    pub(super) fn new(command: &str) -> Self {
        Self {
            words: vec!["secret-refresh".into(), command.into()],
            note: String::new(),
        }
    }

    /// Arguments (secret names), quoted.
    pub(super) fn args<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.words
            .extend(args.into_iter().map(|a| shell_word(a.as_ref())));
        self
    }

    /// A flag without a value, when `on`.
    pub(super) fn flag(mut self, flag: &str, on: bool) -> Self {
        if on {
            self.words.push(flag.into());
        }
        self
    }

    /// A flag and its value, quoted, when there is one.
    pub(super) fn option(mut self, flag: &str, value: Option<&str>) -> Self {
        if let Some(v) = value {
            self.words.extend([flag.into(), shell_word(v)]);
        }
        self
    }

    /// A flag and a path, quoted, when there is one.
    pub(super) fn path(self, flag: &str, path: Option<&Path>) -> Self {
        let shown = path.map(|p| p.display().to_string());
        self.option(flag, shown.as_deref())
    }

    /// The flags naming `targets` as `args` gave them: `--org ORG`, else `--repo` each, or,
    /// over [`MAX_TARGETS_ON_COMMAND_LINE`], `--repos-file` of a new file listing them, with a
    /// note that starts with `listed` and says where the file is.
    pub(super) fn targets(mut self, args: &TargetArgs, targets: &[&Target], listed: &str) -> Self {
        let repos = || targets.iter().filter_map(|t| t.repo());
        if let Some(org) = &args.org {
            return self.option("--org", Some(org));
        }
        if targets.len() > MAX_TARGETS_ON_COMMAND_LINE {
            let list: String = repos().map(|r| format!("{r}\n")).collect();
            match write_remaining(&list) {
                Ok(path) => {
                    self.note = format!("{listed} are listed in {}.\n", path.display());
                    return self.path("--repos-file", Some(&path));
                }
                Err(e) => {
                    self.note = format!("(could not write the list of remaining targets: {e})\n");
                }
            }
        }
        for r in repos() {
            self.words.extend(["--repo".into(), r.to_string()]);
        }
        self
    }

    /// `--env` and `--app` as `args` gave them (nothing for the defaults).
    pub(super) fn scope(self, args: &TargetArgs) -> Self {
        let app = (args.app != crate::target::App::Actions).then(|| args.app.as_str());
        self.option("--env", args.environment.as_deref())
            .option("--app", app)
    }

    /// `--api-url` and the GitHub App's flags as given.
    pub(super) fn connection(self, api_url: Option<&str>, app: &AppArgs) -> Self {
        // The URL as the policy parsed it: never user-info (refused before the run), never a
        // spelling the shell could misread.
        let url = api_url.and_then(|u| crate::github::ApiUrl::parse(u).ok());
        let rerun = self.option("--api-url", url.as_ref().map(|u| u.as_str()));
        match (&app.app_id, &app.app_key_file) {
            (Some(id), Some(key)) => rerun
                .option("--app-id", Some(id))
                .path("--app-key-file", Some(key))
                .option("--app-installation-id", app.app_installation_id.as_deref()),
            _ => rerun,
        }
    }

    /// The note (when [`Rerun::targets`] left one), `lead`, then the command on its own line.
    pub(super) fn advice(&self, lead: &str) -> String {
        format!("{}{lead}:\n  {}\n", self.note, self.words.join(" "))
    }
}

/// Writes the remaining repositories next to where the person is, never over an existing file.
fn write_remaining(text: &str) -> std::io::Result<PathBuf> {
    for i in 1..100 {
        let path = PathBuf::from(if i == 1 {
            "secret-refresh-remaining.txt".to_owned()
        } else {
            format!("secret-refresh-remaining-{i}.txt")
        });
        if crate::output::files::create_new(&crate::env::resolve(&path), text)? {
            return Ok(path);
        }
    }
    Err(std::io::Error::other(
        "too many secret-refresh-remaining files here",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::App;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(shell_word("acme/api"), "acme/api");
        assert_eq!(shell_word("live env"), "'live env'");
        assert_eq!(shell_word("it's"), r"'it'\''s'");
        assert_eq!(shell_word(""), "''");
    }

    #[test]
    fn a_rerun_names_the_targets_scope_and_connection_as_given() {
        let args = TargetArgs {
            repos: vec!["acme/api".into(), "acme/web".into()],
            environment: Some("live env".into()),
            app: App::Dependabot,
            ..TargetArgs::default()
        };
        // The scope's flags come from `args` as given (this pair is refused before any run).
        let web = Target::Repo {
            repo: crate::target::Repo::parse("acme/web").expect("repo"),
            app: App::Dependabot,
        };
        let rest = [&web];
        let app = AppArgs {
            app_id: Some("42".into()),
            app_key_file: Some(PathBuf::from("my key.pem")),
            app_installation_id: None,
        };
        let rerun = Rerun::new("set")
            .args(["PAT"])
            .targets(&args, &rest, "The targets not done")
            .scope(&args)
            .connection(Some("https://ghe.example/api/v3/"), &app)
            .flag("--keep-going", true)
            .flag("--yes", false);
        assert_eq!(
            rerun.advice("Finish with"),
            "Finish with:\n  secret-refresh set PAT --repo acme/web --env 'live env' --app \
             dependabot --api-url https://ghe.example/api/v3 --app-id 42 --app-key-file \
             'my key.pem' --keep-going\n"
        );
        let org = TargetArgs {
            org: Some("acme".into()),
            ..TargetArgs::default()
        };
        let rerun = Rerun::new("delete").targets(&org, &[], "unused");
        assert_eq!(
            rerun.advice("Go"),
            "Go:\n  secret-refresh delete --org acme\n"
        );
    }
}
