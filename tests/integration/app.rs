//! Authenticating as a GitHub App: a short-lived installation token limited to the targets and
//! the secret permissions they need, masked the moment it exists, revoked at the end.

use fake_github::{AppKey, FakeGitHub, Fault, FaultKind, Scope};
use serde_json::{json, Value};

use crate::common::{calls, fake, Ran, Step};

const APP_ID: u64 = 4242;

/// The common fake plus an app installed on all of `acme` with the secret permissions.
fn app_fake(permissions: &[(&str, &str)]) -> FakeGitHub {
    let api = fake();
    for r in ["acme/web", "acme/service-a", "acme/service-b", "acme/other"] {
        api.add_repo(r);
    }
    api.add_environment("acme/api", "prod");
    api.add_app(APP_ID, &AppKey::shared().public_pem);
    api.add_installation(APP_ID, "acme", None, permissions);
    api
}

const ALL: &[(&str, &str)] = &[
    ("secrets", "write"),
    ("environments", "write"),
    ("organization_secrets", "write"),
    ("metadata", "read"),
];

fn app_step(api: &FakeGitHub) -> Step<'_> {
    Step::new(api).app(APP_ID)
}

/// Bodies of the token requests, in order.
fn mint_bodies(api: &FakeGitHub) -> Vec<Value> {
    api.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/access_tokens"))
        .map(|r| serde_json::from_str(&r.body).expect("json body"))
        .collect()
}

/// The key (whole and every line) and each minted token appear nowhere but in mask lines;
/// each minted token is revoked, and was masked when the step ran as an action.
fn assert_nothing_leaks(api: &FakeGitHub, ran: &Ran, action: bool) {
    ran.assert_no_leak();
    let key = &AppKey::shared().pkcs1_pem;
    let mut values: Vec<String> = vec![key.clone()];
    values.extend(
        key.lines()
            .filter(|l| l.len() >= 4 && !l.starts_with("-----"))
            .map(str::to_owned),
    );
    for (minted, revoked) in api.minted_tokens() {
        assert!(revoked, "a minted token outlived the step");
        if action {
            ran.assert_masked(&minted.token);
        }
        values.push(minted.token);
    }
    for v in &values {
        for line in ran
            .stdout
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
        {
            assert!(!line.contains(v.as_str()), "leaked on stdout: {line}");
        }
        for (what, text) in [
            ("stderr", &ran.stderr),
            ("outputs", &ran.outputs_raw),
            ("summary", &ran.summary),
            ("audit", &ran.audit),
        ] {
            assert!(!text.contains(v.as_str()), "leaked in {what}");
        }
    }
}

#[test]
fn repository_secrets_with_an_app_token_limited_to_the_repository() {
    let api = app_fake(ALL);
    let ran = app_step(&api)
        .secrets(&[("API_KEY", "fresh-value-1")])
        .input("audit-log", "audit.jsonl")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo("acme/api"), "API_KEY")
            .expect("stored")
            .value,
        "fresh-value-1"
    );
    assert_eq!(
        calls(&api),
        [
            "GET /repos/acme/api/installation 200",
            &format!(
                "POST /app/installations/{}/access_tokens 201",
                installation(&api)
            ),
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "PUT /repos/acme/api/actions/secrets/API_KEY 201",
            "DELETE /installation/token 204",
        ]
    );
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["api"], "permissions": {"secrets": "write"}})]
    );
    // The JWT went only to the app endpoints; the installation token to the rest.
    let reqs = api.requests();
    assert!(reqs[..2].iter().all(|r| r
        .authorization
        .as_deref()
        .is_some_and(|a| a.starts_with("Bearer eyJ"))));
    assert!(reqs[2..].iter().all(|r| r
        .authorization
        .as_deref()
        .is_some_and(|a| a.contains("ghs_"))));
    assert_nothing_leaks(&api, &ran, true);
    insta::assert_snapshot!(ran.transcript());
}

fn installation(api: &FakeGitHub) -> u64 {
    api.requests()
        .iter()
        .find_map(|r| {
            r.path
                .strip_prefix("/app/installations/")
                .and_then(|p| p.split('/').next())
                .and_then(|id| id.parse().ok())
        })
        .unwrap_or(0)
}

#[test]
fn environment_secrets_ask_for_environments_write_only() {
    let api = app_fake(ALL);
    let ran = app_step(&api)
        .input("environment", "prod")
        .secrets(&[("DB_PASSWORD", "env-value-2")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api
        .secret(&Scope::env("acme/api", "prod"), "DB_PASSWORD")
        .is_some());
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["api"], "permissions": {"environments": "write"}})]
    );
    assert_eq!(api.requests().len(), 5, "{:#?}", calls(&api));
    assert_eq!(api.count("DELETE", "/installation/token"), 1);
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn organisation_secrets_ask_for_organization_secrets_and_no_repositories() {
    let api = app_fake(ALL);
    let ran = app_step(&api)
        .input("repository", "")
        .input("organization", "acme")
        .secrets(&[("ORG_TOKEN", "org-value-3")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::org("acme"), "ORG_TOKEN")
            .expect("stored")
            .value,
        "org-value-3"
    );
    assert_eq!(
        mint_bodies(&api),
        [json!({"permissions": {"organization_secrets": "write"}})]
    );
    assert_eq!(api.count("GET", "/orgs/acme/installation"), 1);
    // installation, mint, existing-secret read (visibility), key, write, revoke
    assert_eq!(api.requests().len(), 6, "{:#?}", calls(&api));
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn patterns_resolve_with_a_metadata_token_then_write_with_exactly_those_repositories() {
    let api = app_fake(ALL);
    let ran = app_step(&api)
        .input("repository", "")
        .input("repositories", "acme/service-*")
        .secrets(&[("SHARED", "pattern-value-4")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for r in ["acme/service-a", "acme/service-b"] {
        assert!(api.secret(&Scope::repo(r), "SHARED").is_some(), "{r}");
    }
    assert!(api.secret(&Scope::repo("acme/other"), "SHARED").is_none());
    assert_eq!(
        mint_bodies(&api),
        [
            json!({"permissions": {"metadata": "read"}}),
            json!({"repositories": ["service-a", "service-b"], "permissions": {"secrets": "write"}}),
        ]
    );
    assert_eq!(api.count("GET", "/installation/repositories"), 1);
    assert_eq!(api.count("DELETE", "/installation/token"), 2);
    // orgs installation, mint, list, revoke, mint, 2 × (key, write), revoke
    assert_eq!(api.requests().len(), 10, "{:#?}", calls(&api));
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn nothing_changed_exchanges_no_jwt() {
    let api = app_fake(ALL);
    let ran = app_step(&api)
        .secrets(&[("A", "same")])
        .current(&[("A", "same")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn an_app_not_installed_on_the_target_is_named() {
    let api = fake();
    api.add_app(APP_ID, &AppKey::shared().public_pem);
    api.add_installation(APP_ID, "someone-else", None, ALL);
    let ran = app_step(&api).secrets(&[("A", "value-5")]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout
            .contains("the GitHub App is not installed on acme/api"),
        "{}",
        ran.stdout
    );
    assert_eq!(calls(&api), ["GET /repos/acme/api/installation 404"]);
    assert_nothing_leaks(&api, &ran, true);
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn a_missing_permission_is_named_and_no_token_is_minted() {
    let api = app_fake(&[("environments", "write"), ("metadata", "read")]);
    let ran = app_step(&api).secrets(&[("A", "value-6")]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("lacks the permission `secrets: write`"),
        "{}",
        ran.stdout
    );
    assert_eq!(api.count("POST", "/access_tokens"), 0);
    assert_eq!(api.requests().len(), 1);
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn the_token_is_revoked_even_when_a_write_failed() {
    let api = app_fake(ALL);
    api.inject(Fault::new(FaultKind::Status(403)).on("PUT", "/actions/secrets/"));
    let ran = app_step(&api).secrets(&[("A", "value-7")]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.count("PUT", "/actions/secrets/"), 1);
    let last = api.requests().pop().expect("requests");
    assert_eq!(
        (last.method.as_str(), last.path.as_str(), last.status),
        ("DELETE", "/installation/token", 204)
    );
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn a_jwt_the_api_rejects_points_at_the_key() {
    let api = fake();
    // Registered with another public key: the signature does not verify.
    api.add_app(APP_ID, &AppKey::other().public_pem);
    api.add_installation(APP_ID, "acme", None, ALL);
    let ran = app_step(&api).secrets(&[("A", "value-8")]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout
            .contains("GitHub rejected the app's JWT (A JSON web token could not be decoded)"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("app-private-key"), "{}", ran.stdout);
    assert_eq!(api.requests().len(), 1);
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn a_malformed_key_is_refused_before_any_request_and_never_echoed() {
    let api = app_fake(ALL);
    let real = &AppKey::shared().pkcs1_pem;
    // A real-looking PEM with its body damaged.
    let lines: Vec<&str> = real.lines().collect();
    let broken = format!(
        "{}\n{}\n{}\n",
        lines[0],
        lines[1..lines.len() - 1].join("\n").replace('A', "*"),
        lines[lines.len() - 1]
    );
    let mut step = Step::new(&api)
        .input("app-id", &APP_ID.to_string())
        .input("app-private-key", &broken)
        .secrets(&[("A", "value-9")]);
    step.values.push(broken.clone());
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout
            .contains("`app-private-key` is not a usable RSA private key"),
        "{}",
        ran.stdout
    );
    assert_eq!(api.requests().len(), 0);
    for line in broken.lines().filter(|l| l.len() >= 4) {
        ran.assert_masked(line);
    }
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn sync_takes_the_app_key_from_a_file() {
    let api = app_fake(ALL);
    let dir = crate::common::tempdir();
    let key_path = dir.path().join("app.pem");
    std::fs::write(&key_path, &AppKey::shared().pkcs8_pem).expect("key file");
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .args(&[
            "sync",
            "--repo",
            "acme/web",
            "--secrets-file",
            "-",
            "--api-url",
            &api.url(),
            "--app-id",
            &APP_ID.to_string(),
            "--app-key-file",
            key_path.to_str().expect("utf-8 path"),
        ])
        .stdin("WEB_KEY=cli-value-10\n")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api.secret(&Scope::repo("acme/web"), "WEB_KEY").is_some());
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["web"], "permissions": {"secrets": "write"}})]
    );
    assert_eq!(api.count("DELETE", "/installation/token"), 1);
    assert_nothing_leaks(&api, &ran, false);
}

/// The `::add-mask::` lines of `stdout` that mask exactly `value` (escaped as the runner reads
/// them). Compared, never printed: a failing assertion shows counts, not token material.
fn mask_lines_for(stdout: &str, value: &str) -> usize {
    let line = format!(
        "::add-mask::{}",
        secret_refresh::output::escape::escape_data(value)
    );
    stdout.lines().filter(|l| *l == line).count()
}

/// The dot-separated parts of `token` long enough to be masked on their own (16 characters).
fn long_parts(token: &str) -> Vec<&str> {
    token.split('.').filter(|p| p.len() >= 16).collect()
}

#[test]
fn a_minted_stateless_token_is_masked_whole_and_by_each_long_dot_separated_part() {
    let api = app_fake(ALL);
    let ran = app_step(&api)
        .secrets(&[("API_KEY", "fresh-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let minted = api.minted_tokens();
    assert_eq!(minted.len(), 1);
    let token = &minted[0].0.token;
    // The fake's stateless form: `ghs_<app id>`, then three long parts.
    let prefix = format!("ghs_{APP_ID}");
    assert!(token.starts_with(&format!("{prefix}.")), "not stateless");
    let parts = long_parts(token);
    assert_eq!(parts.len(), 3, "three long parts");
    // Each registered once, the whole and every long part, before it is used; not the public
    // prefix (the app id is the `app-id` input, not a secret).
    assert_eq!(mask_lines_for(&ran.stdout, token), 1, "the whole token");
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(mask_lines_for(&ran.stdout, part), 1, "part {i}");
    }
    assert_eq!(mask_lines_for(&ran.stdout, &prefix), 0, "the prefix");
    // Nothing of the token anywhere else: no part outside a mask line, in any output.
    for (i, part) in parts.iter().enumerate() {
        let outside = ran
            .stdout
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .chain(ran.stderr.lines())
            .chain(ran.summary.lines())
            .chain(ran.outputs_raw.lines())
            .any(|l| l.contains(part));
        assert!(!outside, "part {i} of the token outside a mask line");
    }
    assert_nothing_leaks(&api, &ran, true);
}

#[test]
fn a_stateless_token_given_as_input_is_masked_by_its_long_parts_too() {
    let api = app_fake(ALL);
    // As actions/create-github-app-token hands one over: `ghs_`, an app id, a JWT-like body.
    let body = |c: char, n: usize| {
        std::iter::repeat_n(c, n - 1)
            .chain(['Z'])
            .collect::<String>()
    };
    let token = format!(
        "ghs_{APP_ID}.{}-_.{}.{}",
        body('h', 36),
        body('c', 250),
        body('s', 210)
    );
    api.add_token(&token, fake_github::TokenSpec::classic("octo", &["repo"]));
    let ran = Step::new(&api)
        .token_value(&token)
        .secrets(&[("API_KEY", "fresh-value-2")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(mask_lines_for(&ran.stdout, &token), 1, "the whole token");
    let parts = long_parts(&token);
    assert_eq!(parts.len(), 3);
    for (i, part) in parts.iter().enumerate() {
        assert_eq!(mask_lines_for(&ran.stdout, part), 1, "part {i}");
    }
    // The masks come first, before any other line.
    let masks = ran
        .stdout
        .lines()
        .take_while(|l| l.starts_with("::add-mask::"))
        .count();
    assert!(masks >= 4, "{masks} mask lines first");
    ran.assert_no_leak();
}
