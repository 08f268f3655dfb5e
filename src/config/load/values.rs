//! New values from `secrets` (lines or JSON) and `secrets-from-env`, then the checks every new
//! value passes whatever its source: names unique case-insensitively, values non-trivial, text,
//! within GitHub's size limit.

use std::collections::BTreeMap;

use super::{mask, Loader};
use crate::config::input::{Input, Named};
use crate::config::names::{env_var_name, SecretName};
use crate::config::parse::{is_trivial_value, parse_env_refs, parse_pairs, Pair};
use crate::config::problem::InputProblem;
use crate::config::{NewSecret, Origin, MAX_VALUE_BYTES};
use crate::output::reporter::Reporter;
use crate::secret::SecretValue;

/// A new value and where it came from, until names and sizes are checked.
pub(in crate::config) struct Candidate {
    pub(super) secret: NewSecret,
    pub(super) source: Source,
}

pub(super) enum Source {
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

    /// The secret a value from here is for, as a message names it: by the line for the lines
    /// form of `secrets` (its name may be a fragment of a value), by name otherwise.
    pub(super) fn described(&self, name: &SecretName, secrets: Named) -> String {
        match self {
            Source::Line(line) => format!("the value on line {line} of {secrets}"),
            Source::Json => format!("secret `{name}`"),
            Source::Env(_) | Source::File(_) => format!("secret `{name}`{}", self.note()),
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

impl Loader<'_> {
    /// `secrets`: lines (`NAME=value`, `NAME<<DELIMITER`) or a JSON object.
    pub(in crate::config) fn values_from_text(
        &mut self,
        reporter: &mut Reporter,
    ) -> Vec<Candidate> {
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
                self.error(Input::Secrets, InputProblem::NameOnLine { line, name });
                None
            }
            (Err(e), None) => {
                self.error(Input::Secrets, e);
                None
            }
        }
    }

    /// `secrets-from-env`: values from the step's environment, by variable name.
    pub(in crate::config) fn values_from_env(&mut self, reporter: &mut Reporter) -> Vec<Candidate> {
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
    pub(super) fn env_values(
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
                        InputProblem::EnvVar {
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
                None => self.error(input, InputProblem::EnvVarUnset { line: r.line, var }),
            }
        }
        out
    }

    /// Names unique case-insensitively; values non-trivial, text, within GitHub's size limit.
    pub(in crate::config) fn check_candidates(
        &mut self,
        candidates: Vec<Candidate>,
    ) -> Vec<NewSecret> {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        let mut kept: Vec<(Candidate, bool)> = Vec::new();
        for c in candidates {
            if let Some(&first) = seen.get(&c.secret.name.folded()) {
                let other = kept
                    .get(first)
                    .map(|(f, _)| match f.source {
                        Source::Line(n) => format!("on line {n} of {}", self.named(Input::Secrets)),
                        _ => format!("as `{}`{}", f.secret.name, f.source.note()),
                    })
                    .unwrap_or_default();
                let problem = match c.source {
                    Source::Line(line) => InputProblem::TwiceOnLine { line, other },
                    _ => InputProblem::Twice { other },
                };
                self.value_error_twice(&c, problem);
                continue;
            }
            // A bad value fails its own secret: its name still counts as given.
            let refused = value_problem(&c).map(|problem| self.value_error(&c, problem));
            seen.insert(c.secret.name.folded(), kept.len());
            kept.push((c, refused.is_some()));
        }
        kept.into_iter()
            .filter(|(_, refused)| !refused)
            .map(|(c, _)| c.secret)
            .collect()
    }

    /// A name given twice: an error of the configuration, by line for the lines form.
    fn value_error_twice(&mut self, c: &Candidate, problem: InputProblem) {
        match &c.source {
            Source::Line(_) => self.error(Input::Secrets, problem),
            source => self.secret_error(source.input(), c.secret.name.as_str(), problem),
        }
    }

    /// A bad value, by line for the lines form, by secret name otherwise. A bad value from the
    /// tests (a file, a variable, a JSON object) is refused alone; on a line of `secrets` it is
    /// an error of the configuration, as its syntax: a line without a good value is the usual
    /// sign of a multi-line value spliced into the text, which split it (writing the lines
    /// around it would store a fragment).
    fn value_error(&mut self, c: &Candidate, problem: InputProblem) {
        match (&c.source, problem) {
            (Source::Line(line), p) => {
                let line = *line;
                let p = match p {
                    InputProblem::Empty { .. } => InputProblem::EmptyOnLine(line),
                    InputProblem::Trivial { .. } => InputProblem::TrivialOnLine(line),
                    InputProblem::TooLarge { len, .. } => {
                        InputProblem::TooLargeOnLine { line, len }
                    }
                    InputProblem::Nul { .. } => InputProblem::NulOnLine(line),
                    other => other,
                };
                self.error(Input::Secrets, p);
            }
            (source, p) => self.refuse(source.input(), c.secret.name.as_str(), p),
        }
    }
}

/// Why a value cannot be stored, if it cannot.
fn value_problem(c: &Candidate) -> Option<InputProblem> {
    let value = c.secret.value.expose();
    let origin = c.source.note();
    if value.is_empty() {
        Some(InputProblem::Empty { origin })
    } else if is_trivial_value(value) {
        Some(InputProblem::Trivial { origin })
    } else if value.len() > MAX_VALUE_BYTES {
        Some(InputProblem::TooLarge {
            len: value.len(),
            origin,
        })
    } else if value.contains('\0') {
        Some(InputProblem::Nul { origin })
    } else {
        None
    }
}
