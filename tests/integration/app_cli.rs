//! The commands for people (`set`, `status`, `check-token`) authenticated as a GitHub App:
//! `--app-id` and `--app-key-file`, no token looked for, an installation token minted with the
//! least the command needs, revoked before it ends, and neither the key nor the token shown.

use fake_github::{AppKey, FakeGitHub, Fault, FaultKind, Scope};
use serde_json::{json, Value};

use crate::common::{calls, fake, Ran, Step, TOKEN};

const APP_ID: &str = "4242";
const VALUE: &str = "rotated-by-the-app-0123456789";

const ALL: &[(&str, &str)] = &[
    ("secrets", "write"),
    ("environments", "write"),
    ("organization_secrets", "write"),
    ("metadata", "read"),
];

/// The common fake plus `acme/web`, an environment, and the app installed on all of `acme`.
/// Returns the installation id.
fn app_fake(permissions: &[(&str, &str)]) -> (FakeGitHub, u64) {
    let api = fake();
    api.add_repo("acme/web");
    api.add_environment("acme/api", "prod");
    api.add_app(APP_ID.parse().expect("id"), &AppKey::shared().public_pem);
    let id = api.add_installation(APP_ID.parse().expect("id"), "acme", None, permissions);
    (api, id)
}

/// A CLI step with the app's flags and the key in `app.pem` (registered for the leak check),
/// and a working `GH_TOKEN` that must not be used: the app's flags mean the app.
fn app_cli<'a>(api: &'a FakeGitHub, args: &[&str]) -> Step<'a> {
    let url = api.url();
    let mut all: Vec<&str> = args.to_vec();
    all.extend([
        "--api-url",
        &url,
        "--app-id",
        APP_ID,
        "--app-key-file",
        "app.pem",
    ]);
    Step::new(api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .file("app.pem", &AppKey::shared().pkcs1_pem)
        .args(&all)
}

/// [`calls`] with `range` sorted: requests the command makes concurrently (public keys, lists)
/// arrive in any order.
fn calls_sorted(api: &FakeGitHub, range: std::ops::Range<usize>) -> Vec<String> {
    let mut c = calls(api);
    if let Some(part) = c.get_mut(range) {
        part.sort();
    }
    c
}

/// Bodies of the token requests, in order.
fn mint_bodies(api: &FakeGitHub) -> Vec<Value> {
    api.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/access_tokens"))
        .map(|r| serde_json::from_str(&r.body).expect("json body"))
        .collect()
}

/// Every minted token was revoked, the last request revoked one, the person's token was never
/// sent, and neither the key (whole or any line) nor a minted token appears anywhere.
fn assert_app_hygiene(api: &FakeGitHub, ran: Ran) -> Ran {
    let minted = api.minted_tokens();
    assert!(!minted.is_empty(), "no token was minted");
    let last = api.requests().pop().expect("requests");
    assert_eq!(
        (last.method.as_str(), last.path.as_str(), last.status),
        ("DELETE", "/installation/token", 204),
        "the command did not end by revoking its token"
    );
    assert!(
        api.requests()
            .iter()
            .all(|r| !r.authorization.as_deref().unwrap_or("").contains(TOKEN)),
        "GH_TOKEN was sent although the app's flags were given"
    );
    let mut ran = ran;
    for (m, revoked) in minted {
        assert!(revoked, "a minted token outlived the command");
        ran = ran.value(&m.token);
    }
    ran.assert_no_leak();
    ran
}

// ---- set ----------------------------------------------------------------------------------

#[test]
fn set_with_the_app_mints_write_for_exactly_the_targets_and_revokes() {
    let (api, installation) = app_fake(ALL);
    let ran = app_cli(
        &api,
        &["set", "API_KEY", "--repo", "acme/api", "--repo", "acme/web"],
    )
    .stdin(&format!("{VALUE}\n"))
    .value(VALUE)
    .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    for r in ["acme/api", "acme/web"] {
        assert_eq!(
            api.secret(&Scope::repo(r), "API_KEY")
                .expect("stored")
                .value,
            VALUE
        );
    }
    // `set` stops at the first failure, so each key is read just before its target's write.
    assert_eq!(
        calls(&api),
        [
            "GET /repos/acme/api/installation 200".to_owned(),
            format!("POST /app/installations/{installation}/access_tokens 201"),
            "GET /repos/acme/api/actions/secrets/public-key 200".into(),
            "PUT /repos/acme/api/actions/secrets/API_KEY 201".into(),
            "GET /repos/acme/web/actions/secrets/public-key 200".into(),
            "PUT /repos/acme/web/actions/secrets/API_KEY 201".into(),
            "DELETE /installation/token 204".into(),
        ]
    );
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["api", "web"], "permissions": {"secrets": "write"}})]
    );
    let ran = assert_app_hygiene(&api, ran);
    crate::snapshot_times!(ran.screen());
}

#[test]
fn set_resume_advice_keeps_the_app_flags_and_the_token_is_revoked_after_a_failure() {
    let (api, _) = app_fake(ALL);
    api.inject(Fault::new(FaultKind::Status(403)).on("PUT", "/repos/acme/web/"));
    let ran = app_cli(
        &api,
        &["set", "API_KEY", "--repo", "acme/api", "--repo", "acme/web"],
    )
    .stdin(VALUE)
    .value(VALUE)
    .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert_eq!(api.count("PUT", "/actions/secrets/API_KEY"), 2);
    assert!(
        ran.stdout.contains("--repo acme/web --api-url"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("--app-id 4242 --app-key-file app.pem"),
        "{}",
        ran.stdout
    );
    let ran = assert_app_hygiene(&api, ran);
    crate::snapshot_times!(ran.screen());
}

#[test]
fn set_dry_run_with_the_app_checks_every_target_with_the_write_token_then_revokes() {
    let (api, _) = app_fake(ALL);
    let ran = app_cli(
        &api,
        &[
            "set",
            "DB_PASSWORD",
            "--repo",
            "acme/api",
            "--env",
            "prod",
            "--dry-run",
        ],
    )
    .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert!(api
        .secret(&Scope::env("acme/api", "prod"), "DB_PASSWORD")
        .is_none());
    // installation, mint, one public-key read, revoke
    assert_eq!(api.requests().len(), 4, "{:#?}", calls(&api));
    assert_eq!(
        api.count(
            "GET",
            "/repos/acme/api/environments/prod/secrets/public-key"
        ),
        1
    );
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["api"], "permissions": {"environments": "write"}})]
    );
    let ran = assert_app_hygiene(&api, ran);
    crate::snapshot_times!(ran.screen());
}

#[test]
fn set_dry_run_names_a_missing_permission_and_mints_nothing() {
    let (api, _) = app_fake(&[("secrets", "write"), ("metadata", "read")]);
    let ran = app_cli(&api, &["set", "ORG_TOKEN", "--org", "acme", "--dry-run"]).run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(
        ran.stderr
            .contains("lacks the permission `organization_secrets: write`"),
        "{}",
        ran.stderr
    );
    assert_eq!(calls(&api), ["GET /orgs/acme/installation 200"]);
    assert!(api.minted_tokens().is_empty());
    ran.assert_no_leak();
    crate::snapshot_times!(ran.screen());
}

#[test]
fn set_refuses_the_key_and_the_value_both_on_standard_input() {
    let (api, _) = app_fake(ALL);
    let url = api.url();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .args(&[
            "set",
            "A",
            "--repo",
            "acme/api",
            "--api-url",
            &url,
            "--app-id",
            APP_ID,
            "--app-key-file",
            "-",
        ])
        // Refused from the flags alone, before standard input is read (so none is given: the
        // command exits without reading it).
        .run();
    assert_eq!(ran.code, 2, "{}", ran.screen());
    assert!(ran.stderr.contains("--from-file PATH"), "{}", ran.stderr);
    assert_eq!(api.requests().len(), 0);
    ran.assert_no_leak();
}

// ---- status -------------------------------------------------------------------------------

#[test]
fn status_with_the_app_mints_a_read_only_token_and_revokes_it() {
    let (api, installation) = app_fake(ALL);
    api.set_secret(&Scope::repo("acme/api"), "API_KEY", "stored-1");
    api.set_secret(&Scope::repo("acme/web"), "API_KEY", "stored-2");
    api.set_secret(&Scope::repo("acme/api"), "DB_URL", "stored-3");
    let ran = app_cli(
        &api,
        &[
            "status", "API_KEY", "DB_URL", "--repo", "acme/api", "--repo", "acme/web",
        ],
    )
    .value("stored-1")
    .value("stored-2")
    .value("stored-3")
    .run();
    // DB_URL is missing from acme/web.
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert_eq!(
        calls_sorted(&api, 2..4),
        [
            "GET /repos/acme/api/installation 200".to_owned(),
            format!("POST /app/installations/{installation}/access_tokens 201"),
            "GET /repos/acme/api/actions/secrets 200".into(),
            "GET /repos/acme/web/actions/secrets 200".into(),
            "DELETE /installation/token 204".into(),
        ]
    );
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["api", "web"], "permissions": {"secrets": "read"}})]
    );
    let ran = assert_app_hygiene(&api, ran);
    crate::snapshot_times!(ran.screen());
}

#[test]
fn status_of_an_organisation_reads_with_organization_secrets_read_and_revokes_after_an_error() {
    let (api, _) = app_fake(ALL);
    api.set_secret(&Scope::org("acme"), "ORG_TOKEN", "stored-4");
    api.inject(Fault::new(FaultKind::Status(403)).on("GET", "/orgs/acme/actions/secrets"));
    let ran = app_cli(&api, &["status", "ORG_TOKEN", "--org", "acme", "--json"])
        .env("SECRET_REFRESH_TIME_SCALE", "0.001")
        .value("stored-4")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    let doc: Value = serde_json::from_str(&ran.stdout).expect("json");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["errors"][0]["target"], "orgs/acme");
    assert_eq!(api.count("GET", "/orgs/acme/installation"), 1);
    assert_eq!(
        mint_bodies(&api),
        [json!({"permissions": {"organization_secrets": "read"}})]
    );
    assert_eq!(api.count("DELETE", "/installation/token"), 1);
    assert_app_hygiene(&api, ran);
}

#[test]
fn status_reads_the_key_from_standard_input() {
    let (api, _) = app_fake(ALL);
    api.set_secret(&Scope::env("acme/api", "prod"), "DB_PASSWORD", "stored-5");
    let url = api.url();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .args(&[
            "status",
            "DB_PASSWORD",
            "--repo",
            "acme/api",
            "--env",
            "prod",
            "--api-url",
            &url,
            "--app-id",
            APP_ID,
            "--app-key-file",
            "-",
        ])
        .stdin(&AppKey::shared().pkcs8_pem)
        .value(&AppKey::shared().pkcs8_pem)
        .value("stored-5")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["api"], "permissions": {"environments": "read"}})]
    );
    assert_eq!(api.requests().len(), 4, "{:#?}", calls(&api));
    assert_app_hygiene(&api, ran);
}

// ---- check-token --------------------------------------------------------------------------

#[test]
fn check_token_reports_the_app_the_installation_and_the_token_expiry_then_revokes() {
    let (api, installation) = app_fake(ALL);
    // With a target, the app's preflight: a token minted with the write permission the target
    // needs (the grant proves writing), the key and the listing read, the token revoked.
    let ran = app_cli(&api, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(
        calls(&api),
        [
            "GET /app 200".to_owned(),
            "GET /repos/acme/api/installation 200".into(),
            format!("POST /app/installations/{installation}/access_tokens 201"),
            "GET /repos/acme/api/actions/secrets/public-key 200".into(),
            "GET /repos/acme/api/actions/secrets 200".into(),
            "DELETE /installation/token 204".into(),
        ]
    );
    assert_eq!(
        mint_bodies(&api),
        [json!({"repositories": ["api"], "permissions": {"secrets": "write"}})]
    );
    for line in [
        "App 4242 (slug app-4242, id 4242)",
        "on acme (all repositories)",
        "environments: write, metadata: read, organization_secrets: write, secrets: write",
        "can write: GitHub granted the app's token `secrets: write`",
    ] {
        assert!(ran.stdout.contains(line), "{line}:\n{}", ran.stdout);
    }
    let ran = assert_app_hygiene(&api, ran);
    let shown = ran
        .screen()
        .replace(&installation.to_string(), "[INSTALLATION]");
    crate::snapshot_times!(shown);
}

#[test]
fn check_token_with_an_installation_id_mints_metadata_read_only() {
    let (api, installation) = app_fake(&[("secrets", "write"), ("metadata", "read")]);
    let id = installation.to_string();
    let ran = app_cli(&api, &["check-token", "--app-installation-id", &id]).run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(
        calls(&api),
        [
            "GET /app 200".to_owned(),
            format!("GET /app/installations/{id} 200"),
            format!("POST /app/installations/{id}/access_tokens 201"),
            "DELETE /installation/token 204".into(),
        ]
    );
    assert_eq!(
        mint_bodies(&api),
        [json!({"permissions": {"metadata": "read"}})]
    );
    assert!(
        ran.stdout
            .contains("all the installation's repositories, `metadata: read`"),
        "{}",
        ran.stdout
    );
    assert_app_hygiene(&api, ran);
    // Neither --repo nor an installation id: nothing to find the installation from.
    api.clear_requests();
    let ran = app_cli(&api, &["check-token"]).run();
    assert_eq!(ran.code, 2, "{}", ran.screen());
    assert!(
        ran.stderr
            .contains("give --repo OWNER/NAME (the app's installation is found from it)"),
        "{}",
        ran.stderr
    );
    assert_eq!(api.requests().len(), 0);
}

#[test]
fn check_token_fails_when_the_app_is_not_installed() {
    let api = fake();
    api.add_app(APP_ID.parse().expect("id"), &AppKey::shared().public_pem);
    api.add_installation(APP_ID.parse().expect("id"), "someone-else", None, ALL);
    let ran = app_cli(&api, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert_eq!(
        calls(&api),
        ["GET /app 200", "GET /repos/acme/api/installation 404"]
    );
    assert!(api.minted_tokens().is_empty());
    ran.assert_no_leak();
    crate::snapshot_times!(ran.screen());
}

#[test]
fn check_token_fails_when_github_refuses_the_key() {
    let api = fake();
    // Registered with another public key: the JWT's signature does not verify.
    api.add_app(APP_ID.parse().expect("id"), &AppKey::other().public_pem);
    let ran = app_cli(&api, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert_eq!(calls(&api), ["GET /app 401"]);
    assert!(
        ran.stderr.contains("GitHub rejected the app's JWT"),
        "{}",
        ran.stderr
    );
    ran.assert_no_leak();
}

// ---- the key ------------------------------------------------------------------------------

/// The shared key with its body damaged: looks like a key, cannot sign.
fn broken_key() -> String {
    let real = &AppKey::shared().pkcs1_pem;
    let lines: Vec<&str> = real.lines().collect();
    format!(
        "{}\n{}\n{}\n",
        lines[0],
        lines[1..lines.len() - 1].join("\n").replace('A', "*"),
        lines[lines.len() - 1]
    )
}

#[test]
fn a_bad_key_file_is_refused_before_any_request_and_never_echoed() {
    let (api, _) = app_fake(ALL);
    let broken = broken_key();
    let cases: &[(&[&str], i32)] = &[
        (
            &["set", "A", "--repo", "acme/api", "--from-file", "value.txt"],
            2,
        ),
        (&["set", "A", "--repo", "acme/api", "--dry-run"], 2),
        (&["status", "A", "--repo", "acme/api"], 2),
        // An input error is exit 2 for every command (issue 13): check-token said 1.
        (&["check-token", "--repo", "acme/api"], 2),
    ];
    let mut shown = String::new();
    for (args, code) in cases {
        let ran = app_cli(&api, args)
            .file("app.pem", &broken)
            .file("value.txt", VALUE)
            .run();
        assert_eq!(ran.code, *code, "{args:?}: {}", ran.screen());
        assert!(
            ran.stderr
                .contains("--app-key-file app.pem: not a usable RSA private key"),
            "{args:?}: {}",
            ran.stderr
        );
        for line in broken.lines().filter(|l| l.len() >= 4) {
            assert!(
                !ran.stdout.contains(line) && !ran.stderr.contains(line),
                "{args:?} echoed the key"
            );
        }
        ran.assert_no_leak();
        shown.push_str(&format!("$ {}\n{}\n", args.join(" "), ran.screen()));
    }
    assert_eq!(api.requests().len(), 0, "{:#?}", calls(&api));
    // A key file that is not there, and flags that go together.
    let url = api.url();
    for command in [&["status", "A"][..], &["check-token"][..]] {
        let mut args = command.to_vec();
        args.extend([
            "--repo",
            "acme/api",
            "--api-url",
            &url,
            "--app-id",
            APP_ID,
            "--app-key-file",
            "nope.pem",
        ]);
        let missing = Step::new(&api)
            .remove_env("GITHUB_ACTIONS")
            .args(&args)
            .run();
        assert_eq!(missing.code, 2, "{command:?}: {}", missing.screen());
        shown.push_str(&format!(
            "$ {} --repo acme/api --app-key-file nope.pem\n{}\n",
            command.join(" "),
            missing.screen()
        ));
    }
    for args in [
        &["status", "A", "--repo", "acme/api", "--app-id", APP_ID][..],
        &[
            "check-token",
            "--prompt",
            "--app-id",
            APP_ID,
            "--app-key-file",
            "k",
        ][..],
    ] {
        let mut all = args.to_vec();
        all.extend(["--api-url", &url]);
        let ran = Step::new(&api)
            .remove_env("GITHUB_ACTIONS")
            .args(&all)
            .run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.screen());
    }
    assert_eq!(api.requests().len(), 0, "{:#?}", calls(&api));
    crate::snapshot_times!(shown);
}
