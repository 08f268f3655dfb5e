//! Everything but the values, the destination and the credentials: the booleans, `app`,
//! `api-url` (its policy), `token-expiry-warning-days` and `audit-log`.

use std::path::PathBuf;

use super::{first_non_empty, Loader};
use crate::config::input::{Given, Input};
use crate::config::parse::parse_bool;
use crate::config::problem::InputProblem;
use crate::config::stored_at::StoredAt;
use crate::config::Destination;
use crate::target::App;

/// Everything but the values and the credentials, validated.
pub(in crate::config) struct Options {
    pub(in crate::config) destination: Destination,
    pub(in crate::config) app: App,
    pub(in crate::config) dry_run: bool,
    pub(in crate::config) api_url: String,
    pub(in crate::config) fail_fast: bool,
    pub(in crate::config) allow_pull_request_target: bool,
    pub(in crate::config) token_expiry_warning_days: u32,
    pub(in crate::config) audit_log: Option<PathBuf>,
    pub(in crate::config) preflight: bool,
    pub(in crate::config) stored_at: Option<StoredAt>,
}

impl Loader<'_> {
    pub(in crate::config) fn options(&mut self) -> Option<Options> {
        let start = self.errors.len();
        let dry_run = self.boolean(Input::DryRun, &self.raw.dry_run);
        let fail_fast = self.boolean(Input::FailFast, &self.raw.fail_fast);
        let allow_prt = self.boolean(
            Input::AllowPullRequestTarget,
            &self.raw.allow_pull_request_target,
        );
        let app = App::parse(&self.raw.app).unwrap_or_else(|| {
            self.error(Input::App, InputProblem::Expected(crate::target::APPS));
            App::Actions
        });
        let api_url = self.api_url();
        let expiry_days = self.expiry_days();
        let audit_log = self.audit_log();
        let destination = self.destination(app);
        let preflight = self.preflight_with(dry_run);
        let stored_at = self.stored_at(preflight);
        (self.errors.len() == start).then_some(Options {
            destination,
            app,
            dry_run,
            api_url,
            fail_fast,
            allow_pull_request_target: allow_prt,
            token_expiry_warning_days: expiry_days,
            audit_log,
            preflight,
            stored_at,
        })
    }

    /// Whether `preflight` is on (its error, if any, is said by [`Self::options`]).
    pub(in crate::config) fn preflight(&self) -> bool {
        crate::config::is_preflight(self.raw)
    }

    /// `preflight`, refused with `dry-run`: preflight's proof of writing is a write.
    fn preflight_with(&mut self, dry_run: bool) -> bool {
        let preflight = self.boolean(Input::Preflight, &self.raw.preflight);
        if preflight && dry_run {
            let problem = InputProblem::PreflightAndDryRun {
                dry_run: self.named(Input::DryRun),
            };
            self.error(Input::Preflight, problem);
        }
        preflight
    }

    /// `stored-at`, validated; refused in the preflight step itself (it produces it).
    fn stored_at(&mut self, preflight: bool) -> Option<StoredAt> {
        let text = self.raw.stored_at.trim();
        if text.is_empty() {
            return None;
        }
        if preflight {
            let problem = InputProblem::StoredAtInPreflight {
                preflight: self.named(Input::Preflight),
            };
            self.error(Input::StoredAt, problem);
            return None;
        }
        StoredAt::parse(text)
            .map_err(|e| self.error(Input::StoredAt, InputProblem::StoredAt(e)))
            .ok()
    }

    fn boolean(&mut self, input: Input, given: &Given<bool>) -> bool {
        let text = match given {
            Given::Parsed(value) => return *value,
            Given::Text(text) => text,
        };
        parse_bool(text, false).unwrap_or_else(|| {
            self.error(input, InputProblem::Expected("`true` or `false`"));
            false
        })
    }

    fn api_url(&mut self) -> String {
        let api_url = first_non_empty(&[&self.raw.api_url, &self.ctx.default_api_url])
            .unwrap_or("https://api.github.com")
            .trim_end_matches('/')
            .to_owned();
        if let Err(e) = check_api_url(&api_url) {
            self.error(Input::ApiUrl, InputProblem::ApiUrl(e));
        }
        api_url
    }

    fn expiry_days(&mut self) -> u32 {
        let text = match &self.raw.token_expiry_warning_days {
            Given::Parsed(days) => return *days,
            Given::Text(text) => text,
        };
        match text.trim() {
            "" => 14,
            s => s.parse::<u32>().unwrap_or_else(|_| {
                self.error(
                    Input::TokenExpiryWarningDays,
                    InputProblem::Expected("a whole number of days"),
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
}

/// The token is only ever sent over https, or to this machine: the policy lives in
/// [`crate::github::ApiUrl`], applied again where every client is built.
pub(super) fn check_api_url(url: &str) -> Result<(), crate::github::UrlError> {
    crate::github::ApiUrl::parse(url).map(|_| ())
}
