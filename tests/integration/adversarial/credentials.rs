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
