//! Tokens of today's formats: a stateless `ghs_` installation token (~520 characters, dots and
//! dashes) works as the action's `token` input, as `GH_TOKEN`, in `check-token`, and is
//! redacted whole and in fragments. Tokens are opaque: nothing judges one by length or charset.

use fake_github::{FakeGitHub, Fault, FaultKind, Scope, TokenKind, TokenSpec};

use crate::common::*;

/// A stateless installation token as GitHub mints them now: `ghs_`, the app id, a JWT-like body.
fn stateless() -> String {
    let header = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9-_x";
    let claims =
        "eyJpc3MiOiI0MjQyIiwiaW5zdCI6IjEyMzQ1Njc4IiwicmVwb3MiOiJhbGwiLCJleHAiOjQwOTg5OTk5OTl9"
            .repeat(3);
    let signature = "Qm9ndXNTaWduYXR1cmUtX19fYWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo0MjQy".repeat(4);
    let t = format!("ghs_4242.{header}.{claims}.{signature}");
    assert!((500..600).contains(&t.len()), "{}", t.len());
    t
}

/// The signature part alone: what a server might echo of a token.
fn signature_of(token: &str) -> &str {
    token.rsplit('.').next().unwrap_or_default()
}

fn installation_spec(expires_in: time::Duration, api: &FakeGitHub) -> TokenSpec {
    TokenSpec {
        login: "app-4242[bot]".into(),
        kind: TokenKind::Installation {
            installation_id: 12345678,
            account: "acme".into(),
            repositories: None,
            permissions: [("secrets".to_owned(), "write".to_owned())].into(),
        },
        expires_at: Some(api.now() + expires_in),
        revoked: false,
    }
}

/// [`crate::common::calls`], each path with its query.
fn calls(api: &FakeGitHub) -> Vec<String> {
    api.requests()
        .iter()
        .map(|r| {
            format!(
                "{} {}{} {}",
                r.method,
                r.path,
                r.query
                    .as_deref()
                    .map(|q| format!("?{q}"))
                    .unwrap_or_default(),
                r.status
            )
        })
        .collect()
}

#[test]
fn check_token_with_an_installation_token_lists_what_it_reaches_and_never_asks_for_the_user() {
    let api = fake();
    // 101 more repositories: the listing takes two pages of 100.
    for i in 1..=101 {
        api.add_repo(&format!("acme/r{i:03}"));
    }
    let token = stateless();
    api.add_token(&token, installation_spec(time::Duration::minutes(60), &api));
    let ran = cli_as(&api, &token, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", "/user"), 0, "GET /user is refused to apps");
    // An installation token given as is cannot be inspected: a throwaway secret proves it
    // can write, and is deleted again.
    let throwaway = api
        .writes()
        .first()
        .and_then(|w| w.path.rsplit('/').next().map(str::to_owned))
        .expect("a throwaway write");
    assert!(
        throwaway.starts_with("SECRET_REFRESH_PREFLIGHT_"),
        "{throwaway}"
    );
    assert!(api.secret(&Scope::repo("acme/api"), &throwaway).is_none());
    assert_eq!(
        calls(&api),
        [
            "GET /installation/repositories?per_page=100 200",
            "GET /installation/repositories?per_page=100&page=2 200",
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "GET /repos/acme/api/actions/secrets?per_page=100 200",
            format!("PUT /repos/acme/api/actions/secrets/{throwaway} 201").as_str(),
            format!("DELETE /repos/acme/api/actions/secrets/{throwaway} 204").as_str(),
        ]
    );
    ran.assert_no_leak();
    crate::snapshot_times!(ran.screen());
}

#[test]
fn check_token_with_a_revoked_installation_token_says_it_is_invalid() {
    let api = fake();
    let token = stateless();
    api.add_token(&token, installation_spec(time::Duration::minutes(60), &api));
    api.revoke_token(&token);
    let ran = cli_as(&api, &token, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    // Invalid: the public key is not asked for.
    assert_eq!(
        calls(&api),
        ["GET /installation/repositories?per_page=100 401"]
    );
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn a_stateless_installation_token_works_as_gh_token() {
    let api = fake();
    let token = stateless();
    api.add_token(&token, installation_spec(time::Duration::minutes(60), &api));
    let ran = cli_as(&api, &token, &["set", "PAT_TOKEN", "--repo", "acme/api"])
        .stdin("fresh-value-1\n")
        .value("fresh-value-1")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo("acme/api"), "PAT_TOKEN")
            .expect("stored")
            .value,
        "fresh-value-1"
    );
    assert_eq!(api.requests().len(), 2);
    let sent = api.requests()[0].authorization.clone().unwrap_or_default();
    assert_eq!(sent, format!("Bearer {token}"), "sent whole, unchanged");
    ran.assert_no_leak();
}

#[test]
fn a_stateless_installation_token_works_as_the_action_input_and_is_masked_first() {
    let api = fake();
    let token = stateless();
    api.add_token(&token, installation_spec(time::Duration::minutes(60), &api));
    let ran = Step::new(&api)
        .token_value(&token)
        .secrets(&[("API_KEY", "fresh-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo("acme/api"), "API_KEY")
            .expect("stored")
            .value,
        "fresh-value-1"
    );
    assert_eq!(api.requests().len(), 2);
    ran.assert_masked(&token);
    ran.assert_no_leak();
}

/// A server that echoes part of the token (here its signature) in an error: the part is
/// redacted too, in the action's log and the CLI's.
#[test]
fn a_fragment_of_the_token_echoed_by_the_server_is_redacted() {
    let api = fake();
    let token = stateless();
    api.add_token(&token, installation_spec(time::Duration::minutes(60), &api));
    let echo = |api: &FakeGitHub| {
        api.inject(
            Fault::new(FaultKind::Raw {
                status: 422,
                headers: vec![("content-type".into(), b"application/json".to_vec())],
                body: format!(
                    r#"{{"message":"bad credential part {} here"}}"#,
                    signature_of(&token)
                )
                .into_bytes(),
            })
            .on("PUT", "/secrets/"),
        );
    };
    echo(&api);
    let action = Step::new(&api)
        .token_value(&token)
        .secrets(&[("API_KEY", "fresh-value-1")])
        .run()
        .value(signature_of(&token));
    assert_eq!(action.code, 1, "{}", action.transcript());
    assert!(
        action.stdout.contains("bad credential part ***"),
        "{}",
        action.stdout
    );
    action.assert_no_leak();

    echo(&api);
    let ran = cli_as(&api, &token, &["set", "PAT_TOKEN", "--repo", "acme/api"])
        .stdin("fresh-value-1\n")
        .value("fresh-value-1")
        .run()
        .value(signature_of(&token));
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stderr.contains("bad credential part ***"),
        "{}",
        ran.stderr
    );
    ran.assert_no_leak();
}

/// An App installation token given as `token` (as `actions/create-github-app-token` makes one)
/// with `repositories: owner/glob`: the pattern is resolved with what the token reaches
/// (`GET /installation/repositories`, every page), archived repositories skipped, never with
/// `GET /user`, which GitHub refuses to such a token (403).
#[test]
fn an_installation_token_as_token_resolves_patterns_with_what_it_reaches() {
    let api = fake();
    // 101 more repositories: the listing takes two pages of 100.
    for i in 1..=101 {
        api.add_repo(&format!("acme/r{i:03}"));
    }
    api.add_repo("acme/svc-a");
    api.add_repo("acme/svc-b");
    api.add_repo_with("acme/svc-old", true, false);
    let token = stateless();
    api.add_token(&token, installation_spec(time::Duration::minutes(60), &api));
    let ran = Step::new(&api)
        .token_value(&token)
        .input("repository", "")
        .input("repositories", "acme/svc-*")
        .secrets(&[("API_KEY", "fresh-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", "/user"), 0, "GET /user is refused to apps");
    let seen = calls(&api);
    assert_eq!(
        seen.get(..2).unwrap_or_default(),
        [
            "GET /installation/repositories?per_page=100 200",
            "GET /installation/repositories?per_page=100&page=2 200",
        ],
        "resolved first: {seen:?}"
    );
    // The keys are read concurrently: their order is not the point.
    let mut rest = seen.get(2..).unwrap_or_default().to_vec();
    rest.sort();
    assert_eq!(
        rest,
        [
            "GET /repos/acme/svc-a/actions/secrets/public-key 200",
            "GET /repos/acme/svc-b/actions/secrets/public-key 200",
            "PUT /repos/acme/svc-a/actions/secrets/API_KEY 201",
            "PUT /repos/acme/svc-b/actions/secrets/API_KEY 201",
        ]
    );
    for repo in ["acme/svc-a", "acme/svc-b"] {
        assert_eq!(
            api.secret(&Scope::repo(repo), "API_KEY")
                .expect("stored")
                .value,
            "fresh-value-1"
        );
    }
    assert!(api
        .secret(&Scope::repo("acme/svc-old"), "API_KEY")
        .is_none());
    ran.assert_no_leak();

    // A pattern that matches nothing the token reaches says so, with the token's words.
    api.clear_requests();
    let ran = Step::new(&api)
        .token_value(&token)
        .input("repository", "")
        .input("repositories", "acme/web-*")
        .secrets(&[("API_KEY", "fresh-value-2")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout.contains(
            "`acme/web-*` matches no repository of acme that the installation token reaches"
        ),
        "{}",
        ran.stdout
    );
    assert_eq!(api.count("GET", "/user"), 0);
    assert_eq!(api.writes().len(), 0);
    ran.assert_no_leak();
}
