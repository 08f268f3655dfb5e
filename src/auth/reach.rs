//! The one resolver of repository patterns ([`resolve`]): each `owner/glob` matched against the
//! repositories the credential can list, archived ones skipped, each owner listed once; a
//! repository named exactly is taken as it is. Every credential resolves here; only how it
//! lists differs, by what GitHub lets it call ([`Reach`]):
//!
//! - a person's token ([`ByOwner`]): `GET /user` once, then the owner's listing —
//!   `/user/repos` for its own login (private ones included), else `/orgs/{owner}/repos`, else
//!   `/users/{owner}/repos`;
//! - an installation token ([`Installation`]: a GitHub App's, one given as `token` such as the
//!   output of `actions/create-github-app-token`, or one exchanged for the job's identity):
//!   `GET /installation/repositories`, every page, once — all it reaches. `GET /user` is refused
//!   to such a token (403), so it is never asked.

use crate::config::RepoSpec;
use crate::github::repos::{list_owner_repos, token_login, RepoError};
use crate::github::{endpoints, ApiError, Client};
use crate::target::{add_targets, pattern_matches, App, PatternError, Repo, Target};

/// How a credential lists an owner's repositories.
pub(crate) trait Reach {
    /// Why a listing failed.
    type Error;

    /// The repositories of `owner` this credential can list, archived ones left out.
    fn list(
        &mut self,
        owner: &str,
    ) -> impl std::future::Future<Output = Result<Vec<Repo>, Self::Error>>;
}

/// Why patterns could not be resolved; `E` is the listing's own error.
#[derive(Debug)]
pub(crate) enum ResolveError<E> {
    /// The owner's repositories could not be listed.
    List { owner: String, error: E },
    /// A pattern is not a glob.
    Pattern(PatternError),
    /// A pattern matches nothing the credential can list.
    NoMatch { spec: String, owner: String },
}

/// The targets of `specs`, in the order given, each once: a repository named exactly as it is,
/// each pattern's matches among what `reach` lists for its owner (each owner listed once).
pub(crate) async fn resolve<R: Reach>(
    specs: &[RepoSpec],
    environment: Option<&str>,
    app: App,
    reach: &mut R,
) -> Result<Vec<Target>, ResolveError<R::Error>> {
    let mut resolved: Vec<Target> = Vec::new();
    let mut listings: Vec<(String, Vec<Repo>)> = Vec::new();
    for spec in specs {
        let matched = match spec {
            RepoSpec::Exact(repo) => vec![repo.clone()],
            RepoSpec::Pattern { owner, pattern } => {
                let at = match listings
                    .iter()
                    .position(|(o, _)| o.eq_ignore_ascii_case(owner))
                {
                    Some(at) => at,
                    None => {
                        let list = reach
                            .list(owner)
                            .await
                            .map_err(|error| ResolveError::List {
                                owner: owner.clone(),
                                error,
                            })?;
                        listings.push((owner.clone(), list));
                        listings.len() - 1
                    }
                };
                let listed = listings.get(at).map(|(_, l)| l.as_slice());
                let found = pattern_matches(owner, pattern, listed.unwrap_or_default())
                    .map_err(ResolveError::Pattern)?;
                if found.is_empty() {
                    return Err(ResolveError::NoMatch {
                        spec: spec.to_string(),
                        owner: owner.clone(),
                    });
                }
                found
            }
        };
        add_targets(&mut resolved, matched, environment, app);
    }
    Ok(resolved)
}

/// A person's token: the owner's listing, `GET /user` once to know its own login.
pub(crate) struct ByOwner<'a> {
    client: &'a Client,
    me: Option<String>,
}

impl<'a> ByOwner<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self { client, me: None }
    }
}

impl Reach for ByOwner<'_> {
    type Error = RepoError;

    async fn list(&mut self, owner: &str) -> Result<Vec<Repo>, RepoError> {
        let me = match &self.me {
            Some(me) => me.clone(),
            None => {
                let me = token_login(self.client).await?;
                self.me = Some(me.clone());
                me
            }
        };
        list_owner_repos(self.client, owner, &me).await
    }
}

/// An installation token: `GET /installation/repositories`, every page, asked once and kept.
pub(crate) struct Installation<'a> {
    client: &'a Client,
    reached: Option<Vec<Repo>>,
}

impl<'a> Installation<'a> {
    pub(crate) fn new(client: &'a Client) -> Self {
        Self {
            client,
            reached: None,
        }
    }
}

impl Reach for Installation<'_> {
    type Error = ApiError;

    async fn list(&mut self, owner: &str) -> Result<Vec<Repo>, ApiError> {
        let reached = match self.reached.take() {
            Some(reached) => reached,
            None => endpoints::installation_repositories(self.client).await?,
        };
        let of_owner = reached
            .iter()
            .filter(|r| r.owner.eq_ignore_ascii_case(owner))
            .cloned()
            .collect();
        self.reached = Some(reached);
        Ok(of_owner)
    }
}

/// Installation tokens, one per owner (keyless: each owner's exchanged token lists what it
/// reaches); an owner without one lists nothing.
pub(crate) struct PerOwner<'a> {
    clients: Vec<(String, &'a Client)>,
}

impl<'a> PerOwner<'a> {
    pub(crate) fn new(clients: Vec<(String, &'a Client)>) -> Self {
        Self { clients }
    }
}

impl Reach for PerOwner<'_> {
    type Error = ApiError;

    async fn list(&mut self, owner: &str) -> Result<Vec<Repo>, ApiError> {
        match self
            .clients
            .iter()
            .find(|(o, _)| o.eq_ignore_ascii_case(owner))
        {
            Some((_, client)) => Installation::new(client).list(owner).await,
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists from a fixed set, counting the listings asked for.
    struct Listed {
        repos: Vec<Repo>,
        asked: Vec<String>,
    }

    impl Reach for Listed {
        type Error = String;

        async fn list(&mut self, owner: &str) -> Result<Vec<Repo>, String> {
            self.asked.push(owner.to_owned());
            if owner == "down" {
                return Err("no answer".into());
            }
            Ok(self.repos.clone())
        }
    }

    fn spec(s: &str) -> RepoSpec {
        match s.split_once('/') {
            Some((o, p)) if p.contains('*') => RepoSpec::Pattern {
                owner: o.to_owned(),
                pattern: p.to_owned(),
            },
            _ => RepoSpec::Exact(Repo::parse(s).expect("repo")),
        }
    }

    fn run(specs: &[&str], reach: &mut Listed) -> Result<Vec<String>, ResolveError<String>> {
        let specs: Vec<RepoSpec> = specs.iter().map(|s| spec(s)).collect();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(resolve(&specs, None, App::Actions, reach))
            .map(|t| t.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn each_owner_is_listed_once_and_targets_keep_the_order_given_once_each() {
        let mut reach = Listed {
            repos: ["acme/svc-a", "acme/svc-b", "acme/web", "other/svc-c"]
                .iter()
                .map(|r| Repo::parse(r).expect("repo"))
                .collect(),
            asked: Vec::new(),
        };
        let found = run(
            &[
                "acme/web",
                "acme/svc-*",
                "ACME/s*-b",
                "other/svc-*",
                "acme/svc-a",
            ],
            &mut reach,
        )
        .expect("resolved");
        assert_eq!(
            found,
            ["acme/web", "acme/svc-a", "acme/svc-b", "other/svc-c"]
        );
        assert_eq!(reach.asked, ["acme", "other"], "one listing per owner");

        let e = run(&["acme/nope-*"], &mut reach).expect_err("no match");
        assert!(
            matches!(&e, ResolveError::NoMatch { spec, owner } if spec == "acme/nope-*" && owner == "acme"),
            "{e:?}"
        );
        let e = run(&["down/x-*"], &mut reach).expect_err("no listing");
        assert!(
            matches!(&e, ResolveError::List { owner, error } if owner == "down" && error == "no answer"),
            "{e:?}"
        );
        let e = run(&["acme/[x*"], &mut reach).expect_err("not a glob");
        assert!(matches!(e, ResolveError::Pattern(_)), "{e:?}");
    }
}
