//! The credential goes only where it belongs: `gh`'s token is asked for the API URL's host.

use crate::adversarial::hostile::{hostile, json, Seen};
use crate::common::Step;

/// Adversarial review, finding F (sibling of 2): with no GH_TOKEN/GITHUB_TOKEN, the CLI asks `gh auth token` for
/// GH_HOST's (else github.com's) token, whatever host `--api-url` names: a mistyped or hostile
/// `--api-url` receives the person's github.com credential. gh itself binds a token to its host.
#[test]
fn gh_auth_token_is_asked_for_the_api_urls_host_only() {
    let api = hostile(|_, p| {
        if p == "/user" {
            json(200, serde_json::json!({"login": "octo"}))
        } else {
            json(200, serde_json::json!({"total_count": 0, "secrets": []}))
        }
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let gh = dir.path().join("gh");
    // Like gh: the github.com token for `auth token` (or `--hostname github.com`); none for
    // another host.
    std::fs::write(
        &gh,
        "#!/bin/sh\ncase \"$*\" in\n  'auth token'|'auth token --hostname github.com') \
         echo gho_githubcom_0123456789abcdef ;;\n  *) exit 1 ;;\nesac\n",
    )
    .expect("gh");
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "PATH={}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
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
    let api = hostile(|_, p| {
        if p == "/user" {
            json(200, serde_json::json!({"login": "octo"}))
        } else {
            json(200, serde_json::json!({"total_count": 0, "secrets": []}))
        }
    });
    let host = api.url.trim_start_matches("http://").to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let gh = dir.path().join("gh");
    std::fs::write(
        &gh,
        format!(
            "#!/bin/sh\ncase \"$*\" in\n  'auth token --hostname {host}') \
             echo gho_thishost_0123456789abcdef ;;\n  *) exit 1 ;;\nesac\n"
        ),
    )
    .expect("gh");
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let path = format!(
        "PATH={}:{}",
        dir.path().display(),
        std::env::var("PATH").unwrap_or_default()
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
