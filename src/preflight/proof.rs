//! How a credential proves that it can write: the cheapest evidence GitHub gives for its kind.
//! [`proof_for`] is the one place that decides it, a function of the kind of credential, so a
//! new kind plugs in with one arm (a token exchanged for the job's identity, keyless, is an
//! installation token the exchange answers without its permissions: [`Proof::Throwaway`]; were
//! an exchange to answer them, [`Proof::Granted`]).
//!
//! - A classic (or OAuth) token carries scopes, which every answer states (`X-OAuth-Scopes`):
//!   `repo` writes repository and environment secrets, `admin:org` organisation secrets, as
//!   GitHub's REST description of each secrets route says (`public_repo` is not enough). No
//!   request of its own.
//! - A GitHub App's installation token, minted by this run, comes with the permissions GitHub
//!   granted it in the mint's answer. No request of its own.
//! - A fine-grained token, a user-to-server token, an installation token given as `token`, or
//!   one exchanged for the job's identity: GitHub gives no way to inspect what it may do, so a
//!   throwaway secret is written and deleted again ([`crate::auth::throwaway`]): two
//!   content-creating requests per target.

use std::collections::BTreeMap;

use crate::auth::token::TokenKind;
use crate::report::preflight::{Evidence, Problem};
use crate::target::Target;

/// The kind of credential a run writes with, as far as proving it can write goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// A token used as given (`token`, `GH_TOKEN`), of the kind its prefix says.
    Token(TokenKind),
    /// A GitHub App's installation token, minted by this run (`app-id`, `app-private-key`).
    App,
    /// Installation tokens exchanged for the job's identity (`sts-url`, `sts-identity`).
    Keyless,
}

/// The evidence that proves a credential can write a target's secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proof {
    /// The token's scopes, from `X-OAuth-Scopes` on any answer.
    Scopes,
    /// The permissions GitHub granted the installation token in the mint's answer.
    Granted,
    /// A throwaway secret written and deleted again.
    Throwaway,
}

/// How `credential` is proven to write. `scopes_reported`: an answer carried `X-OAuth-Scopes`
/// (only classic and OAuth tokens have scopes; a token without a known prefix is judged by it).
pub fn proof_for(credential: Credential, scopes_reported: bool) -> Proof {
    match credential {
        Credential::App => Proof::Granted,
        Credential::Keyless => Proof::Throwaway,
        Credential::Token(TokenKind::Classic | TokenKind::OAuth | TokenKind::Unknown)
            if scopes_reported =>
        {
            Proof::Scopes
        }
        // Fine-grained and user-to-server tokens, installation tokens given as `token`, and a
        // classic token whose answers said no scopes: nothing to inspect.
        Credential::Token(_) => Proof::Throwaway,
    }
}

/// The classic scope that writes `target`'s secrets.
pub fn scope_needed(target: &Target) -> &'static str {
    if target.is_org() {
        "admin:org"
    } else {
        "repo"
    }
}

/// The evidence `scopes` (`X-OAuth-Scopes`: names separated by commas) gives for `target`.
pub fn by_scopes(scopes: &str, target: &Target) -> Result<Evidence, Problem> {
    let needed = scope_needed(target);
    if scopes.split(',').map(str::trim).any(|s| s == needed) {
        return Ok(Evidence::Scope(needed));
    }
    let has = match scopes.trim() {
        "" => "no scope".to_owned(),
        s => format!("the scopes `{s}`"),
    };
    Err(Problem::new(
        format!("the token has {has}; writing the secrets of {target} needs `{needed}`"),
        format!(
            "add the `{needed}` scope to the classic token (or use a fine-grained token, which \
             can be limited to these repositories)"
        ),
    ))
}

/// The evidence `granted` (the mint's answer: permission → level) gives for `target`.
pub fn by_grant(granted: &BTreeMap<String, String>, target: &Target) -> Result<Evidence, Problem> {
    let Some(permission) = crate::auth::app::permissions::permission_name(
        target.app(),
        target.is_org(),
        matches!(target, Target::Env { .. }),
    ) else {
        return Err(Problem::new(
            crate::auth::app::permissions::NO_CODESPACES_PERMISSION,
            "use `token` for Codespaces secrets",
        ));
    };
    match granted.get(permission).map(String::as_str) {
        Some("write" | "admin") => Ok(Evidence::Granted(permission)),
        level => Err(Problem::new(
            format!(
                "GitHub granted the app's token {} for {target}",
                match level {
                    Some(level) => format!("`{permission}: {level}`, not `write`"),
                    None => format!("no `{permission}` permission"),
                }
            ),
            crate::engine::hints::app_permission_hint(target),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::{App, Repo};

    fn repo() -> Target {
        Target::Repo {
            repo: Repo::parse("acme/api").expect("repo"),
            app: App::Actions,
        }
    }

    fn org() -> Target {
        Target::Org {
            org: "acme".into(),
            app: App::Actions,
        }
    }

    #[test]
    fn each_kind_of_credential_has_its_proof() {
        use TokenKind::*;
        assert_eq!(proof_for(Credential::App, false), Proof::Granted);
        assert_eq!(proof_for(Credential::Keyless, false), Proof::Throwaway);
        assert_eq!(proof_for(Credential::Token(Classic), true), Proof::Scopes);
        assert_eq!(proof_for(Credential::Token(OAuth), true), Proof::Scopes);
        assert_eq!(proof_for(Credential::Token(Unknown), true), Proof::Scopes);
        assert_eq!(
            proof_for(Credential::Token(Unknown), false),
            Proof::Throwaway
        );
        assert_eq!(
            proof_for(Credential::Token(Classic), false),
            Proof::Throwaway
        );
        for kind in [FineGrained, Installation, UserToServer] {
            // Scopes said (they are not, for these) would still not be trusted for them.
            assert_eq!(proof_for(Credential::Token(kind), true), Proof::Throwaway);
        }
    }

    #[test]
    fn scopes_prove_only_the_one_that_writes() {
        assert_eq!(
            by_scopes("repo, read:org", &repo()),
            Ok(Evidence::Scope("repo"))
        );
        assert_eq!(
            by_scopes("repo,admin:org", &org()),
            Ok(Evidence::Scope("admin:org"))
        );
        let e = by_scopes("public_repo, read:org", &repo()).expect_err("public_repo");
        assert_eq!(
            e.cause,
            "the token has the scopes `public_repo, read:org`; writing the secrets of acme/api \
             needs `repo`"
        );
        assert!(by_scopes("repo", &org()).is_err());
        assert!(by_scopes("write:org", &org()).is_err());
        assert!(by_scopes("", &repo())
            .expect_err("none")
            .cause
            .starts_with("the token has no scope"));
    }

    #[test]
    fn a_grant_proves_only_write_of_the_permission_the_target_needs() {
        let granted = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert_eq!(
            by_grant(&granted(&[("secrets", "write")]), &repo()),
            Ok(Evidence::Granted("secrets"))
        );
        let e = by_grant(&granted(&[("secrets", "read")]), &repo()).expect_err("read");
        assert!(
            e.cause.contains("`secrets: read`, not `write`"),
            "{}",
            e.cause
        );
        let e = by_grant(&granted(&[("secrets", "write")]), &org()).expect_err("org");
        assert!(e.cause.contains("no `organization_secrets` permission"));
    }
}
