//! Every kind of target (issue 3): environments, organisations of all three apps with their
//! visibility kept, Dependabot and Codespaces repository secrets, and `repositories` patterns
//! resolved by listing an owner's repositories (paged, archived ones skipped).

use fake_github::{App, FakeGitHub, Scope, TokenSpec};
use time::{Duration as TimeDuration, OffsetDateTime};

use crate::common::{fake, Ran, Step};

/// A classic token of `octo` that may write repository and organisation secrets.
pub const ADMIN: &str = "ghp_AdminTokenValue00000000000000000000A1";

/// `fake()` plus a token with `repo` and `admin:org`.
pub fn world() -> FakeGitHub {
    let api = fake();
    api.add_token(ADMIN, TokenSpec::classic("octo", &["repo", "admin:org"]));
    api
}

/// (method, raw path, status) of every request, in order.
pub fn shape(api: &FakeGitHub) -> Vec<(String, String, u16)> {
    api.requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.status))
        .collect()
}

fn req(method: &str, path: &str, status: u16) -> (String, String, u16) {
    (method.to_owned(), path.to_owned(), status)
}

fn value(api: &FakeGitHub, scope: &Scope, name: &str) -> Option<String> {
    api.secret(scope, name).map(|s| s.value)
}

fn ok(ran: &Ran) {
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    ran.assert_no_leak();
}

#[test]
fn environment_secrets_use_the_percent_encoded_environment_name() {
    let api = world();
    api.add_environment("acme/api", "test live");
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("environment", "test live")
        .secrets(&[("SESSION", "env-session-value-1")])
        .run();
    ok(&ran);
    assert_eq!(
        shape(&api),
        [
            req(
                "GET",
                "/repos/acme/api/environments/test%20live/secrets/public-key",
                200
            ),
            req(
                "PUT",
                "/repos/acme/api/environments/test%20live/secrets/SESSION",
                201
            ),
        ]
    );
    assert_eq!(
        value(&api, &Scope::env("acme/api", "test live"), "SESSION").as_deref(),
        Some("env-session-value-1")
    );
    assert!(api.secret(&Scope::repo("acme/api"), "SESSION").is_none());
    assert_eq!(
        ran.output("updated"),
        r#"["acme/api/environments/test live:SESSION"]"#
    );
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn dependabot_and_codespaces_repository_secrets_have_their_own_routes_and_keys() {
    for (app, seg) in [
        (App::Dependabot, "dependabot"),
        (App::Codespaces, "codespaces"),
    ] {
        let api = world();
        let ran = Step::new(&api)
            .token_value(ADMIN)
            .input("app", seg)
            .secrets(&[("REGISTRY_TOKEN", "registry-token-value")])
            .run();
        ok(&ran);
        assert_eq!(
            shape(&api),
            [
                req(
                    "GET",
                    &format!("/repos/acme/api/{seg}/secrets/public-key"),
                    200
                ),
                req(
                    "PUT",
                    &format!("/repos/acme/api/{seg}/secrets/REGISTRY_TOKEN"),
                    201
                ),
            ],
            "{seg}"
        );
        assert_eq!(
            value(&api, &Scope::repo_app("acme/api", app), "REGISTRY_TOKEN").as_deref(),
            Some("registry-token-value")
        );
        assert!(api
            .secret(&Scope::repo("acme/api"), "REGISTRY_TOKEN")
            .is_none());
        assert!(ran.summary.contains(&format!("`acme/api ({seg})`")));
    }
}

/// Empty `visibility` keeps what is stored: selected stays selected with its selection, all
/// stays all, a new secret is private. One GET per secret to learn it; nothing else.
#[test]
fn organization_secrets_keep_their_visibility_for_every_app() {
    for (app, seg) in [
        (App::Actions, "actions"),
        (App::Dependabot, "dependabot"),
        (App::Codespaces, "codespaces"),
    ] {
        let api = world();
        let one = api.add_repo("acme/one");
        let two = api.add_repo("acme/two");
        let org = Scope::org_app("acme", app);
        api.set_secret(&org, "SELECTED", "old-selected-value");
        api.set_org_secret_visibility(&org, "SELECTED", "selected", vec![one, two]);
        api.set_secret(&org, "EVERYONE", "old-everyone-value");
        api.set_org_secret_visibility(&org, "EVERYONE", "all", vec![]);
        let ran = Step::new(&api)
            .token_value(ADMIN)
            .input("organization", "acme")
            .input("app", seg)
            .secrets(&[
                ("SELECTED", "new-selected-value"),
                ("EVERYONE", "new-everyone-value"),
                ("FRESH", "new-fresh-value"),
            ])
            .run();
        ok(&ran);
        let base = format!("/orgs/acme/{seg}/secrets");
        assert_eq!(
            shape(&api),
            [
                req("GET", &format!("{base}/public-key"), 200),
                req("GET", &format!("{base}/SELECTED"), 200),
                req("PUT", &format!("{base}/SELECTED"), 204),
                req("GET", &format!("{base}/EVERYONE"), 200),
                req("PUT", &format!("{base}/EVERYONE"), 204),
                req("GET", &format!("{base}/FRESH"), 404),
                req("PUT", &format!("{base}/FRESH"), 201),
            ],
            "{seg}"
        );
        let selected = api.secret(&org, "SELECTED").expect("stored");
        assert_eq!(selected.value, "new-selected-value");
        assert_eq!(selected.visibility.as_deref(), Some("selected"));
        assert_eq!(selected.selected_repository_ids, vec![one, two]);
        let everyone = api.secret(&org, "EVERYONE").expect("stored");
        assert_eq!(everyone.visibility.as_deref(), Some("all"));
        let fresh = api.secret(&org, "FRESH").expect("stored");
        assert_eq!(fresh.visibility.as_deref(), Some("private"));
        assert_eq!(fresh.value, "new-fresh-value");
        for r in api.requests().iter().filter(|r| r.method == "PUT") {
            assert!(!r.body.contains("selected_repository_ids"), "{}", r.body);
        }
        let org = match app {
            App::Actions => "orgs/acme".to_owned(),
            _ => format!("orgs/acme ({seg})"),
        };
        assert_eq!(
            ran.output("updated"),
            format!(r#"["{org}:SELECTED","{org}:EVERYONE","{org}:FRESH"]"#),
            "{seg}"
        );
        assert_eq!(
            ran.output("updated-names"),
            r#"["EVERYONE","FRESH","SELECTED"]"#,
            "{seg}"
        );
        if app == App::Dependabot {
            insta::assert_snapshot!(ran.transcript());
        }
    }
}

/// Explicit `visibility: selected` looks up each repository's id once and reads no secret.
#[test]
fn selected_repositories_are_turned_into_ids() {
    let api = world();
    let one = api.add_repo("acme/one");
    let two = api.add_repo_with("acme/two", false, true);
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("organization", "acme")
        .input("visibility", "selected")
        .input("selected-repositories", "acme/one\n# a comment\nacme/two\n")
        .secrets(&[("SHARED", "shared-value-1"), ("OTHER", "other-value-1")])
        .run();
    ok(&ran);
    assert_eq!(
        shape(&api),
        [
            req("GET", "/repos/acme/one", 200),
            req("GET", "/repos/acme/two", 200),
            req("GET", "/orgs/acme/actions/secrets/public-key", 200),
            req("PUT", "/orgs/acme/actions/secrets/SHARED", 201),
            req("PUT", "/orgs/acme/actions/secrets/OTHER", 201),
        ]
    );
    for name in ["SHARED", "OTHER"] {
        let s = api.secret(&Scope::org("acme"), name).expect("stored");
        assert_eq!(s.visibility.as_deref(), Some("selected"));
        assert_eq!(s.selected_repository_ids, vec![one, two]);
    }
    // An explicit visibility replaces what was stored.
    let api = world();
    api.set_secret(&Scope::org("acme"), "SHARED", "old-shared-value");
    api.set_org_secret_visibility(&Scope::org("acme"), "SHARED", "selected", vec![1]);
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("organization", "acme")
        .input("visibility", "all")
        .secrets(&[("SHARED", "shared-value-2")])
        .run();
    ok(&ran);
    assert_eq!(api.requests().len(), 2);
    let s = api.secret(&Scope::org("acme"), "SHARED").expect("stored");
    assert_eq!(s.visibility.as_deref(), Some("all"));
    assert!(s.selected_repository_ids.is_empty());
}

/// Combinations GitHub does not support are input errors before any request.
#[test]
fn unsupported_combinations_are_input_errors_with_zero_requests() {
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "dependabot with environment",
            vec![("app", "dependabot"), ("environment", "production")],
        ),
        (
            "codespaces with environment",
            vec![("app", "codespaces"), ("environment", "production")],
        ),
        (
            "organization with repositories",
            vec![("organization", "acme"), ("repositories", "acme/api")],
        ),
        (
            "organization with another repository",
            vec![("organization", "acme"), ("repository", "acme/other")],
        ),
        (
            "organization with environment",
            vec![("organization", "acme"), ("environment", "production")],
        ),
        (
            "visibility without organization",
            vec![("visibility", "all")],
        ),
        (
            "selected-repositories without selected visibility",
            vec![
                ("organization", "acme"),
                ("visibility", "all"),
                ("selected-repositories", "acme/api"),
            ],
        ),
        (
            "selected visibility without repositories",
            vec![("organization", "acme"), ("visibility", "selected")],
        ),
        ("unknown app", vec![("app", "packages")]),
        (
            "unknown visibility",
            vec![("organization", "acme"), ("visibility", "internal")],
        ),
        (
            "bad pattern",
            vec![("repositories", "acme/service-*\nacme")],
        ),
        ("bad fail-fast", vec![("fail-fast", "maybe")]),
        (
            "bad token-expiry-warning-days",
            vec![("token-expiry-warning-days", "two weeks")],
        ),
    ];
    let mut transcript = String::new();
    for (what, inputs) in cases {
        let api = world();
        let mut step = Step::new(&api)
            .token_value(ADMIN)
            .secrets(&[("A", "combo-value-1")]);
        for (k, v) in inputs {
            step = step.input(k, v);
        }
        let ran = step.run();
        assert_eq!(ran.code, 2, "{what}: {}", ran.transcript());
        assert_eq!(api.requests().len(), 0, "{what}");
        assert!(ran.outputs.is_empty(), "{what}");
        ran.assert_no_leak();
        let lines: Vec<String> = ran
            .redact(&ran.stdout)
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .map(str::to_owned)
            .collect();
        transcript.push_str(&format!("## {what}\n{}\n\n", lines.join("\n")));
    }
    insta::assert_snapshot!(transcript);
}

/// `organization` with the default `repository` (the workflow's own) is not a conflict.
#[test]
fn organization_ignores_the_default_repository() {
    let api = world();
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("organization", "acme")
        .secrets(&[("ORG_ONLY", "org-only-value")])
        .run();
    ok(&ran);
    assert_eq!(api.count("PUT", "/orgs/acme/actions/secrets/ORG_ONLY"), 1);
}

/// Repositories: exact names, an organisation pattern (three pages of 100), the token's own
/// user (private repositories included) and another user; archived repositories skipped.
#[test]
fn repository_patterns_resolve_across_pages_and_owners() {
    let api = world();
    for i in 0..205 {
        api.add_repo(&format!("acme/service-{i:03}"));
    }
    api.add_repo_with("acme/service-old", true, false);
    api.add_repo_with("acme/service-private", false, true);
    api.add_repo("acme/website");
    api.add_repo_with("octo/tool-private", false, true);
    api.add_repo("octo/tool-public");
    api.add_repo_with("octo/tool-archived", true, false);
    api.add_repo("octo/other");
    api.add_user("bob");
    api.add_repo("bob/lib-one");
    api.add_repo_with("bob/lib-hidden", false, true);
    api.add_repo("bob/app");
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input(
            "repositories",
            "acme/api\nacme/service-*\nocto/tool-*\nbob/lib-*\n",
        )
        .secrets(&[("PAT", "rotated-pat-value")])
        .run();
    ok(&ran);

    // Reads: the token's login once, every page of each owner's listing.
    let lists: Vec<String> = api
        .requests()
        .into_iter()
        .filter(|r| !r.path.contains("/secrets"))
        .map(|r| {
            // GitHub links the next pages of an organisation's listing by its id.
            let path = match r.path.strip_prefix("/organizations/") {
                Some(rest) => format!(
                    "/organizations/{{id}}/{}",
                    rest.split_once('/').map(|(_, p)| p).unwrap_or("")
                ),
                None => r.path.clone(),
            };
            format!(
                "{} {}{} {}",
                r.method,
                path,
                r.query.map(|q| format!("?{q}")).unwrap_or_default(),
                r.status
            )
        })
        .collect();
    assert_eq!(
        lists,
        [
            "GET /user 200",
            "GET /orgs/acme/repos?type=all&sort=full_name&per_page=100 200",
            "GET /organizations/{id}/repos?type=all&sort=full_name&per_page=100&page=2 200",
            "GET /organizations/{id}/repos?type=all&sort=full_name&per_page=100&page=3 200",
            "GET /user/repos?affiliation=owner&sort=full_name&per_page=100 200",
            "GET /orgs/bob/repos?type=all&sort=full_name&per_page=100 404",
            "GET /users/bob/repos?type=owner&sort=full_name&per_page=100 200",
        ]
    );
    // 1 + 206 (205 + the private one) + 2 + 1 targets.
    let targets = 1 + 206 + 2 + 1;
    assert_eq!(api.count("GET", "/public-key"), targets);
    assert_eq!(api.count("PUT", "/secrets/PAT"), targets);
    assert_eq!(api.requests().len(), 7 + 2 * targets);
    for repo in [
        "acme/api",
        "acme/service-000",
        "acme/service-204",
        "acme/service-private",
        "octo/tool-private",
        "octo/tool-public",
        "bob/lib-one",
    ] {
        let s = api.secret(&Scope::repo(repo), "PAT").expect(repo);
        assert_eq!(
            (s.value.as_str(), s.writes),
            ("rotated-pat-value", 1),
            "{repo}"
        );
    }
    for skipped in [
        "acme/service-old",
        "acme/website",
        "octo/tool-archived",
        "octo/other",
        "bob/lib-hidden",
        "bob/app",
    ] {
        assert!(
            api.secret(&Scope::repo(skipped), "PAT").is_none(),
            "{skipped}"
        );
    }
    let updated: Vec<String> = serde_json::from_str(ran.output("updated")).expect("json");
    assert_eq!(updated.len(), targets);
    assert_eq!(updated[0], "acme/api:PAT");
    assert!(updated.contains(&"octo/tool-private:PAT".to_owned()));
    assert!(updated.contains(&"bob/lib-one:PAT".to_owned()));
    assert_eq!(ran.summary.matches("| `PAT` |").count(), targets);
}

/// A small fan-out, snapshotted: summary and outputs cover every target.
#[test]
fn fan_out_summary_and_outputs_cover_every_target() {
    let api = world();
    for name in ["service-a", "service-b", "service-c"] {
        api.add_repo(&format!("acme/{name}"));
    }
    api.add_repo_with("acme/service-z", true, false);
    api.set_secret(&Scope::repo("acme/service-b"), "SESSION", "old-session");
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("repositories", "acme/service-*")
        .secrets(&[("SESSION", "new-session-value"), ("SAME", "same-value")])
        .current(&[("SESSION", "old-session"), ("SAME", "same-value")])
        .run();
    ok(&ran);
    assert_eq!(api.count("GET", "/public-key"), 3);
    assert_eq!(api.count("PUT", "/secrets/SESSION"), 3);
    assert_eq!(api.count("", "/secrets/SAME"), 0);
    assert_eq!(
        ran.output("updated"),
        r#"["acme/service-a:SESSION","acme/service-b:SESSION","acme/service-c:SESSION"]"#
    );
    assert_eq!(ran.output("unchanged"), r#"["SAME"]"#);
    insta::assert_snapshot!(ran.transcript());
}

/// The same step writes to each kind of target; for each, one public-key GET per target, one
/// PUT per changed secret per target, nothing for unchanged secrets.
#[test]
fn every_kind_of_target_costs_one_key_get_and_one_put_per_changed_secret() {
    let api = world();
    api.add_environment("acme/api", "production");
    api.add_environment("acme/web", "production");
    for name in ["service-a", "service-b"] {
        api.add_repo(&format!("acme/{name}"));
    }
    let secrets = [
        ("ROTATED", "rotated-value-9"),
        ("SESSION", "session-value-9"),
        ("SAME", "same-value-9"),
    ];
    let current = [("ROTATED", "rotated-old"), ("SAME", "same-value-9")];
    type Kind<'a> = (&'a str, Vec<(&'a str, &'a str)>, Vec<Scope>);
    let kinds: Vec<Kind> = vec![
        ("repository actions", vec![], vec![Scope::repo("acme/api")]),
        (
            "repository dependabot",
            vec![("app", "dependabot")],
            vec![Scope::repo_app("acme/api", App::Dependabot)],
        ),
        (
            "repository codespaces",
            vec![("app", "codespaces")],
            vec![Scope::repo_app("acme/api", App::Codespaces)],
        ),
        (
            "environments",
            vec![
                ("repositories", "acme/api\nacme/web"),
                ("environment", "production"),
            ],
            vec![
                Scope::env("acme/api", "production"),
                Scope::env("acme/web", "production"),
            ],
        ),
        (
            "organization actions",
            vec![("organization", "acme")],
            vec![Scope::org("acme")],
        ),
        (
            "organization dependabot",
            vec![("organization", "acme"), ("app", "dependabot")],
            vec![Scope::org_app("acme", App::Dependabot)],
        ),
        (
            "organization codespaces",
            vec![("organization", "acme"), ("app", "codespaces")],
            vec![Scope::org_app("acme", App::Codespaces)],
        ),
        (
            "pattern",
            vec![("repositories", "acme/service-*")],
            vec![Scope::repo("acme/service-a"), Scope::repo("acme/service-b")],
        ),
    ];
    let mut figures = String::new();
    for (what, inputs, scopes) in kinds {
        api.clear_requests();
        let mut step = Step::new(&api)
            .token_value(ADMIN)
            .secrets(&secrets)
            .current(&current);
        for (k, v) in &inputs {
            step = step.input(k, v);
        }
        let ran = step.run();
        ok(&ran);
        let n = scopes.len();
        let is_org = inputs.iter().any(|(k, _)| *k == "organization");
        let is_pattern = what == "pattern";
        assert_eq!(api.count("GET", "/public-key"), n, "{what}");
        assert_eq!(api.count("PUT", "/secrets/ROTATED"), n, "{what}");
        assert_eq!(api.count("PUT", "/secrets/SESSION"), n, "{what}");
        assert_eq!(api.count("", "/secrets/SAME"), 0, "{what}");
        // Extra reads only where needed: one visibility GET per org secret, one listing.
        let extra = if is_org || is_pattern { 2 } else { 0 };
        assert_eq!(api.requests().len(), 3 * n + extra, "{what}");
        for scope in &scopes {
            for (name, v) in &secrets[..2] {
                let s = api.secret(scope, name).expect(what);
                assert_eq!((s.value.as_str(), s.writes), (*v, 1), "{what}");
            }
            assert!(api.secret(scope, "SAME").is_none(), "{what}");
        }
        figures.push_str(&format!(
            "{what}: {n} target(s), {} requests\n",
            api.requests().len()
        ));
    }
    eprintln!("{figures}");
}

#[test]
fn token_expiry_warning_comes_from_the_first_answer_without_an_extra_request() {
    let soon = "ghp_SoonExpiringTokenValue0000000000000A1";
    let api = world();
    api.add_token(
        soon,
        TokenSpec::classic("octo", &["repo"])
            .expiring(OffsetDateTime::now_utc() + TimeDuration::days(3) + TimeDuration::hours(1)),
    );
    let ran = Step::new(&api)
        .token_value(soon)
        .secrets(&[("A", "expiry-value-1")])
        .run();
    ok(&ran);
    assert_eq!(api.requests().len(), 2, "no extra request for the expiry");
    let warning: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning"))
        .collect();
    assert_eq!(warning.len(), 1, "{}", ran.stdout);
    assert!(
        warning[0].starts_with("::warning title=token expires soon::the token expires 20"),
        "{}",
        warning[0]
    );
    assert!(warning[0].contains("(in 3 days)"), "{}", warning[0]);

    // Beyond the threshold: no warning. With nothing to write: nothing asked, nothing said.
    let later = "ghp_LaterExpiringTokenValue000000000000A1";
    api.add_token(
        later,
        TokenSpec::classic("octo", &["repo"])
            .expiring(OffsetDateTime::now_utc() + TimeDuration::days(30)),
    );
    let ran = Step::new(&api)
        .token_value(later)
        .secrets(&[("A", "expiry-value-2")])
        .run();
    ok(&ran);
    assert!(!ran.stdout.contains("::warning"), "{}", ran.stdout);
    api.clear_requests();
    let ran = Step::new(&api)
        .token_value(soon)
        .secrets(&[("A", "expiry-value-2")])
        .current(&[("A", "expiry-value-2")])
        .run();
    ok(&ran);
    assert_eq!(api.requests().len(), 0);
    assert!(!ran.stdout.contains("::warning"), "{}", ran.stdout);
    // A custom threshold.
    let ran = Step::new(&api)
        .token_value(later)
        .input("token-expiry-warning-days", "45")
        .secrets(&[("A", "expiry-value-3")])
        .run();
    ok(&ran);
    assert!(ran.stdout.contains("::warning title=token expires soon::"));
}

#[test]
fn audit_log_records_every_decision_without_values() {
    let api = world();
    api.add_repo("acme/web");
    api.inject(
        fake_github::Fault::new(fake_github::FaultKind::Status(403))
            .on("PUT", "/repos/acme/web/actions/secrets/BROKEN"),
    );
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("repositories", "acme/api\nacme/web")
        .input("audit-log", "logs/audit.jsonl")
        .secrets(&[
            ("BROKEN", "broken-value-1"),
            ("FRESH", "fresh-value-1"),
            ("SAME", "same-value-1"),
        ])
        .current(&[("SAME", "same-value-1"), ("FRESH", "fresh-old")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    ran.assert_no_leak();
    let records: Vec<serde_json::Value> = ran
        .audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    let key_id = api.public_key(&Scope::repo("acme/api")).0;
    let summary: Vec<String> = records
        .iter()
        .map(|r| {
            format!(
                "{} {} {} repo={} actor={} run={} key={} result={}",
                r["action"].as_str().unwrap_or("-"),
                r["secret"].as_str().unwrap_or("-"),
                r["target"].as_str().unwrap_or("-"),
                r["repository"].as_str().unwrap_or("-"),
                r["actor"].as_str().unwrap_or("-"),
                r["run_id"].as_str().unwrap_or("-"),
                match r["key_id"].as_str() {
                    Some(k) if k == key_id => "api-key",
                    Some(_) => "web-key",
                    None => "-",
                },
                r["result"].as_str().unwrap_or("-"),
            )
        })
        .collect();
    insta::assert_snapshot!(summary.join("\n"));
    for r in &records {
        assert!(r["time"].as_str().is_some_and(|t| t.ends_with('Z')));
        for field in ["value", "hash", "digest", "sha256"] {
            assert!(r.get(field).is_none());
        }
    }
}

/// GitHub's owner and repository names are case-insensitive: `acme/api` and `ACME/Api` are one
/// repository, so the action writes it once (one key, one write), as the commands always did.
#[test]
fn one_repository_spelled_twice_is_written_once() {
    let api = world();
    api.add_repo("acme/api");
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .secrets(&[("SESSION", "session-value-1")])
        .input("repositories", "acme/api\nACME/Api")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let requests: Vec<(String, String)> = api
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path))
        .collect();
    assert_eq!(
        requests,
        vec![
            (
                "GET".to_owned(),
                "/repos/acme/api/actions/secrets/public-key".to_owned()
            ),
            (
                "PUT".to_owned(),
                "/repos/acme/api/actions/secrets/SESSION".to_owned()
            ),
        ]
    );
    let stored = api
        .secret(&Scope::repo("acme/api"), "SESSION")
        .expect("stored");
    assert_eq!(stored.writes, 1);
}
