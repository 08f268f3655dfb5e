//! The credential goes only where it belongs: `gh`'s token is asked for the API URL's host.

use crate::adversarial::hostile::{hostile, json, Hostile, Seen};
use crate::common::Step;

/// A server that answers `/user` and an empty secret list, like GitHub for a logged-in user.
fn user_api() -> Hostile {
    hostile(|_, p| {
        if p == "/user" {
            json(200, serde_json::json!({"login": "octo"}))
        } else {
            json(200, serde_json::json!({"total_count": 0, "secrets": []}))
        }
    })
}

/// A stand-in `gh` on PATH that prints `token` for `gh auth token` with exactly `args` (`|`
/// separates alternatives, as in a shell `case`) and fails for any other host. Returns the
/// directory (keep it alive) and the `PATH=…` assignment for `env`.
fn fake_gh(args: &str, token: &str) -> (tempfile::TempDir, String) {
    let dir = crate::common::tempdir();
    let gh = dir.path().join("gh");
    std::fs::write(
        &gh,
        format!("#!/bin/sh\ncase \"$*\" in\n  {args}) echo {token} ;;\n  *) exit 1 ;;\nesac\n"),
    )
    .expect("gh");
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "PATH={}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (dir, path)
}

/// Adversarial review, finding F (sibling of 2): with no GH_TOKEN/GITHUB_TOKEN, the CLI asked
/// `gh auth token` for GH_HOST's (else github.com's) token, whatever host `--api-url` names: a mistyped or hostile
/// `--api-url` receives the person's github.com credential. gh itself binds a token to its host.
#[test]
fn gh_auth_token_is_asked_for_the_api_urls_host_only() {
    let api = user_api();
    // Like gh: the github.com token for `auth token` (or `--hostname github.com`); none for
    // another host.
    let (_gh, path) = fake_gh(
        "'auth token'|'auth token --hostname github.com'",
        "gho_githubcom_0123456789abcdef",
    );
    for args in [vec!["status", "--repo", "acme/api"], vec!["check-token"]] {
        let mut args = args.clone();
        args.extend(["--api-url", &api.url]);
        let ran = Step::with_url(&api.url)
            .remove_env("GITHUB_ACTIONS")
            .value("gho_githubcom_0123456789abcdef")
            .wrap(&["env", &path])
            .args(&args)
            .run();
        let leaked: Vec<Seen> = api
            .seen
            .lock()
            .expect("lock")
            .iter()
            .filter(|s| {
                s.authorization
                    .as_deref()
                    .is_some_and(|a| a.contains("gho_githubcom"))
            })
            .cloned()
            .collect();
        assert!(
            leaked.is_empty(),
            "{args:?}: github.com's gh token was sent to {}: {leaked:?}\n{}",
            api.url,
            ran.screen()
        );
    }
}

/// The other half: `gh`'s token for the API URL's own host is found and used, so the fallback
/// still works where it should (here the host is this machine's test server).
#[test]
fn gh_auth_token_for_the_api_urls_own_host_is_used() {
    let api = user_api();
    let host = api.url.trim_start_matches("http://").to_owned();
    let (_gh, path) = fake_gh(
        &format!("'auth token --hostname {host}'"),
        "gho_thishost_0123456789abcdef",
    );
    let ran = Step::with_url(&api.url)
        .remove_env("GITHUB_ACTIONS")
        .value("gho_thishost_0123456789abcdef")
        .wrap(&["env", &path])
        .args(&["status", "--repo", "acme/api", "--api-url", &api.url])
        .run();
    let seen: Vec<(String, String, bool)> = api
        .seen
        .lock()
        .expect("lock")
        .iter()
        .map(|s| {
            (
                s.method.clone(),
                s.path.clone(),
                s.authorization.as_deref() == Some("Bearer gho_thishost_0123456789abcdef"),
            )
        })
        .collect();
    assert!(
        !seen.is_empty()
            && seen
                .iter()
                .all(|(m, _, with_token)| m == "GET" && *with_token),
        "{seen:?}\n{}",
        ran.screen()
    );
    ran.assert_no_leak();
}
