//! `files`: each line a glob (one secret per file, named `prefix` + the file's stem) or
//! `NAME=glob` (exactly one file), expanded inside the workspace and read through
//! [`Roots::read`]; `if-no-files-found` says what a pattern that matches nothing is.

use std::path::PathBuf;

use super::values::{Candidate, Source};
use super::{mask, Loader};
use crate::config::input::Input;
use crate::config::names::{check_prefix, name_from_file, SecretName};
use crate::config::parse::{parse_file_specs, FileSpec};
use crate::config::problem::InputProblem;
use crate::config::workspace::Roots;
use crate::config::{IfNoFilesFound, NewSecret, Origin};
use crate::output::reporter::Reporter;

impl Loader<'_> {
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
                    InputProblem::Expected("`warn`, `error` or `ignore`"),
                );
                IfNoFilesFound::Warn
            }
        }
    }

    /// `files`: each spec expanded inside the roots and read through [`Roots::read`].
    pub(in crate::config) fn values_from_files(
        &mut self,
        reporter: &mut Reporter,
    ) -> Vec<Candidate> {
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
                self.error(Input::Workspace, InputProblem::Workspace(e));
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
                    self.error(Input::Files, InputProblem::File { line, source });
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
                    // What the tests wrote is bad: that secret fails, not the run.
                    Err(e) if e.is_bad_value() => {
                        self.refuse(Input::Files, name.as_str(), InputProblem::FileRead(e))
                    }
                    Err(e) => {
                        self.secret_error(Input::Files, name.as_str(), InputProblem::FileRead(e))
                    }
                }
            }
        }
        out
    }

    fn no_match(&mut self, if_none: IfNoFilesFound, line: usize, pattern: String) {
        let problem = InputProblem::NoMatch { line, pattern };
        match if_none {
            IfNoFilesFound::Error => self.error(Input::Files, problem),
            IfNoFilesFound::Warn => self.warn(Input::Files, problem),
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
            let problem = InputProblem::SeveralMatches {
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
                    self.error(Input::Files, InputProblem::FileName { file, source });
                }
                Err(source) => {
                    let file = roots.shown(&path);
                    let prefix = self.named(Input::Prefix);
                    let problem = InputProblem::DerivedName {
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
}
