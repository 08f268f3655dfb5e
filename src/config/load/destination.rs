//! Where the secrets go: `repository` or `repositories` (with patterns), with an `environment`;
//! or an `organization`, with its `visibility` and `selected-repositories`.

use super::{first_non_empty, Loader};
use crate::config::input::{FrontEnd, Input};
use crate::config::names::environment_name;
use crate::config::parse::non_comment_lines;
use crate::config::problem::{InputError, InputProblem};
use crate::config::{Destination, RepoSpec, Visibility};
use crate::target::{is_owner, App, Repo};

impl Loader<'_> {
    fn visibility(&mut self) -> Option<Visibility> {
        match self.raw.visibility.trim() {
            "" => None,
            v => {
                let parsed = Visibility::parse(v);
                if parsed.is_none() {
                    self.error(
                        Input::Visibility,
                        InputProblem::Expected("`all`, `private` or `selected`"),
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
            self.error(Input::Environment, InputProblem::EnvironmentForApp(why));
        }
        match environment_name(raw) {
            Ok(name) => Some(name.to_owned()),
            Err(e) => {
                self.error(Input::Environment, e);
                Some(raw.to_owned())
            }
        }
    }

    pub(super) fn destination(&mut self, app: App) -> Destination {
        let environment = self.environment(app);
        let visibility = self.visibility();
        let selected: Vec<Repo> = non_comment_lines(&self.raw.selected_repositories)
            .filter_map(|(line, text)| {
                Repo::parse(text).or_else(|| {
                    let text = text.to_owned();
                    self.error(
                        Input::SelectedRepositories,
                        InputProblem::NotOwnerNameOnLine { line, text },
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
            let problem = InputProblem::OrgAndRepos {
                org: self.named(Input::Organization),
                repository: self.named(Input::Repository),
                repositories: self.named(Input::Repositories),
            };
            self.error(Input::Organization, problem);
        }
        if environment.is_some() {
            let environment = self.named(Input::Environment);
            self.error(
                Input::Organization,
                InputProblem::OrgEnvironment { environment },
            );
        }
        if !is_owner(organization) {
            self.error(Input::Organization, InputProblem::BadOrg);
        }
        let vis = match self.front {
            FrontEnd::Action => "`visibility: selected`",
            FrontEnd::Cli => "`--visibility selected`",
        };
        if !selected.is_empty() && visibility != Some(Visibility::Selected) {
            let problem = InputProblem::SelectedWithoutVisibility { selected: vis };
            self.error(Input::SelectedRepositories, problem);
        }
        if visibility == Some(Visibility::Selected) && selected.is_empty() {
            let problem = InputProblem::SelectedEmpty { selected: vis };
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
            let problem = InputProblem::VisibilityWithoutOrg {
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
                self.error(Input::Repository, InputProblem::NoRepository { repository });
                vec![]
            }
            None => {
                self.error(Input::Repository, InputProblem::NotOwnerName(repo));
                vec![]
            }
        }
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
        let Some(spec) = RepoSpec::parse(text) else {
            let text = text.to_owned();
            errors.push(InputError::new(
                input,
                front,
                InputProblem::NotRepoSpec { line, text },
            ));
            continue;
        };
        if !specs.contains(&spec) {
            specs.push(spec);
        }
    }
    if specs.is_empty() && errors.is_empty() {
        errors.push(InputError::new(
            input,
            front,
            InputProblem::NoRepositoryGiven,
        ));
    }
    specs
}
