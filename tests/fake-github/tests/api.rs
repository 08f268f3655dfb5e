//! The fake answered over real HTTP, checked with a tiny blocking client.

use std::time::{Duration, Instant};

use fake_github::testclient::{request, seal, Response};
use fake_github::{App, FakeGitHub, Fault, FaultKind, Options, Scope, TokenKind, TokenSpec};
use serde_json::{json, Value};

const TOKEN: &str = "ghp_classic";

fn world() -> FakeGitHub {
    let gh = FakeGitHub::start();
    gh.add_user("octo");
    gh.add_org("acme");
    gh.add_repo("octo/app");
    gh.add_repo("acme/api");
    gh.add_environment("acme/api", "test live");
    gh.add_token(
        TOKEN,
        TokenSpec::classic("octo", &["repo", "admin:org", "codespace"]),
    );
    gh
}

fn get(gh: &FakeGitHub, path: &str, token: Option<&str>) -> Response {
    request(&gh.url(), "GET", path, token, None).expect("answer")
}

fn put(gh: &FakeGitHub, path: &str, token: Option<&str>, body: &Value) -> Response {
    request(&gh.url(), "PUT", path, token, Some(&body.to_string())).expect("answer")
}

/// GET the public key at `base/public-key`, seal `value`, PUT it at `base/name`.
fn write_secret(gh: &FakeGitHub, base: &str, name: &str, value: &str, extra: Value) -> Response {
    let key = get(gh, &format!("{base}/public-key"), Some(TOKEN)).json();
    let mut body = json!({
        "encrypted_value": seal(key["key"].as_str().expect("key"), value),
        "key_id": key["key_id"],
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    put(gh, &format!("{base}/{name}"), Some(TOKEN), &body)
}

#[test]
fn repo_secret_create_then_update_stores_plaintext() {
    let gh = world();
    let base = "/repos/octo/app/actions/secrets";
    let r = write_secret(&gh, base, "API_KEY", "s3cr3t\nline2", json!({}));
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json(), json!({}));
    let r = write_secret(&gh, base, "API_KEY", "v2 ✓", json!({}));
    assert_eq!(r.status, 204);
    assert_eq!(r.body, "");
    let st = gh
        .secret(&Scope::repo("octo/app"), "api_key")
        .expect("stored");
    assert_eq!(st.value, "v2 ✓");
    assert_eq!(st.writes, 2);
    assert_eq!(gh.count("PUT", "/actions/secrets/"), 2);
    assert_eq!(gh.count("GET", "/public-key"), 2);

    let r = get(&gh, &format!("{base}/API_KEY"), Some(TOKEN));
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(v["name"], "API_KEY");
    let created = v["created_at"].as_str().expect("created_at");
    assert_eq!(created.len(), 20, "{created}");
    assert!(created.ends_with('Z'));

    let list = get(&gh, base, Some(TOKEN)).json();
    assert_eq!(list["total_count"], 1);
    assert_eq!(list["secrets"][0]["name"], "API_KEY");

    // The log holds sealed values only.
    for rec in gh.requests() {
        assert!(!rec.body.contains("s3cr3t") && !rec.body.contains("v2 ✓"));
    }
    let del = request(
        &gh.url(),
        "DELETE",
        &format!("{base}/API_KEY"),
        Some(TOKEN),
        None,
    )
    .expect("answer");
    assert_eq!(del.status, 204);
    assert!(gh.secret(&Scope::repo("octo/app"), "API_KEY").is_none());
}

#[test]
fn public_keys_are_real_and_distinct_per_scope() {
    let gh = world();
    let paths = [
        (
            "/repos/octo/app/actions/secrets/public-key",
            Scope::repo("octo/app"),
        ),
        (
            "/repos/octo/app/dependabot/secrets/public-key",
            Scope::repo_app("octo/app", App::Dependabot),
        ),
        (
            "/repos/octo/app/codespaces/secrets/public-key",
            Scope::repo_app("octo/app", App::Codespaces),
        ),
        (
            "/repos/acme/api/environments/test%20live/secrets/public-key",
            Scope::env("acme/api", "test live"),
        ),
        ("/orgs/acme/actions/secrets/public-key", Scope::org("acme")),
        (
            "/orgs/acme/dependabot/secrets/public-key",
            Scope::org_app("acme", App::Dependabot),
        ),
        (
            "/orgs/acme/codespaces/secrets/public-key",
            Scope::org_app("acme", App::Codespaces),
        ),
        ("/user/codespaces/secrets/public-key", Scope::User),
    ];
    let mut keys = std::collections::BTreeSet::new();
    for (path, scope) in paths {
        let r = get(&gh, path, Some(TOKEN));
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        let v = r.json();
        let (kid, key) = gh.public_key(&scope);
        assert_eq!(v["key_id"], kid.as_str(), "{path}");
        assert_eq!(v["key"], key.as_str(), "{path}");
        // The secret key matches the public key.
        let sk = crypto_box::SecretKey::from(gh.secret_key_bytes(&scope));
        use base64::Engine as _;
        assert_eq!(
            base64::engine::general_purpose::STANDARD.encode(sk.public_key().as_bytes()),
            key
        );
        keys.insert(key);
    }
    assert_eq!(keys.len(), 8);
}

#[test]
fn every_scope_accepts_a_sealed_value() {
    let gh = world();
    let cases = [
        (
            "/repos/octo/app/dependabot/secrets",
            Scope::repo_app("octo/app", App::Dependabot),
            json!({}),
        ),
        (
            "/repos/octo/app/codespaces/secrets",
            Scope::repo_app("octo/app", App::Codespaces),
            json!({}),
        ),
        (
            "/repos/acme/api/environments/test%20live/secrets",
            Scope::env("acme/api", "Test Live"),
            json!({}),
        ),
        (
            "/orgs/acme/actions/secrets",
            Scope::org("acme"),
            json!({"visibility": "all"}),
        ),
        (
            "/orgs/acme/dependabot/secrets",
            Scope::org_app("acme", App::Dependabot),
            json!({"visibility": "private"}),
        ),
        (
            "/orgs/acme/codespaces/secrets",
            Scope::org_app("acme", App::Codespaces),
            json!({"visibility": "all"}),
        ),
        ("/user/codespaces/secrets", Scope::User, json!({})),
    ];
    for (base, scope, extra) in cases {
        let r = write_secret(&gh, base, "TOKEN_A", "value for all", extra.clone());
        assert_eq!(r.status, 201, "{base}: {}", r.body);
        let r = write_secret(&gh, base, "TOKEN_A", "value 2", extra);
        assert_eq!(r.status, 204, "{base}: {}", r.body);
        assert_eq!(gh.secret(&scope, "TOKEN_A").expect(base).value, "value 2");
    }
}

#[test]
fn org_visibility_is_required_and_selection_kept_when_omitted() {
    let gh = world();
    let id = gh.add_repo("acme/web");
    let other = gh.add_repo("acme/db");
    let base = "/orgs/acme/actions/secrets";
    // visibility is required by GitHub's description.
    let key = get(&gh, &format!("{base}/public-key"), Some(TOKEN)).json();
    let r = put(
        &gh,
        &format!("{base}/SHARED"),
        Some(TOKEN),
        &json!({"encrypted_value": seal(key["key"].as_str().unwrap_or(""), "x"), "key_id": key["key_id"]}),
    );
    assert_eq!(r.status, 422, "{}", r.body);

    let r = write_secret(
        &gh,
        base,
        "SHARED",
        "v1",
        json!({"visibility": "selected", "selected_repository_ids": [id, other]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let r = write_secret(&gh, base, "SHARED", "v2", json!({"visibility": "selected"}));
    assert_eq!(r.status, 204);
    let st = gh.secret(&Scope::org("acme"), "SHARED").expect("stored");
    assert_eq!(st.visibility.as_deref(), Some("selected"));
    assert_eq!(st.selected_repository_ids, vec![id, other]);

    let v = get(&gh, &format!("{base}/SHARED"), Some(TOKEN)).json();
    assert_eq!(v["visibility"], "selected");
    assert!(v["selected_repositories_url"]
        .as_str()
        .unwrap_or("")
        .ends_with("/orgs/acme/actions/secrets/SHARED/repositories"));

    let repos = get(&gh, &format!("{base}/SHARED/repositories"), Some(TOKEN)).json();
    assert_eq!(repos["total_count"], 2);
    let r = put(
        &gh,
        &format!("{base}/SHARED/repositories"),
        Some(TOKEN),
        &json!({"selected_repository_ids": [id]}),
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        gh.secret(&Scope::org("acme"), "SHARED")
            .expect("s")
            .selected_repository_ids,
        vec![id]
    );

    // Another visibility clears the selection; the repositories PUT then conflicts.
    let r = write_secret(&gh, base, "SHARED", "v3", json!({"visibility": "private"}));
    assert_eq!(r.status, 204);
    let st = gh.secret(&Scope::org("acme"), "SHARED").expect("s");
    assert!(st.selected_repository_ids.is_empty());
    let r = put(
        &gh,
        &format!("{base}/SHARED/repositories"),
        Some(TOKEN),
        &json!({"selected_repository_ids": [id]}),
    );
    assert_eq!(r.status, 409);

    // Seeded org secrets default to private; visibility can be set.
    gh.set_secret(&Scope::org("acme"), "OLD", "o");
    assert_eq!(
        gh.secret(&Scope::org("acme"), "OLD")
            .expect("o")
            .visibility
            .as_deref(),
        Some("private")
    );
    gh.set_org_secret_visibility(&Scope::org("acme"), "OLD", "selected", vec![other]);
    let v = get(&gh, &format!("{base}/OLD"), Some(TOKEN)).json();
    assert_eq!(v["visibility"], "selected");
}

#[test]
fn rejected_puts() {
    let gh = world();
    let base = "/repos/octo/app/actions/secrets";
    let scope = Scope::repo("octo/app");
    let (kid, key) = gh.public_key(&scope);
    let good = |v: &str| json!({"encrypted_value": seal(&key, v), "key_id": kid});

    // Stale key id after rotation.
    gh.rotate_key(&scope);
    let r = put(&gh, &format!("{base}/A"), Some(TOKEN), &good("x"));
    assert_eq!(r.status, 422);
    assert!(
        r.json()["message"].as_str().unwrap_or("").contains("key"),
        "{}",
        r.body
    );
    let (kid2, _) = gh.public_key(&scope);
    assert_ne!(kid, kid2);
    // Right key id, box sealed for the old key.
    let r = put(
        &gh,
        &format!("{base}/A"),
        Some(TOKEN),
        &json!({"encrypted_value": seal(&key, "x"), "key_id": kid2}),
    );
    assert_eq!(r.status, 422);
    // Not base64.
    let r = put(
        &gh,
        &format!("{base}/A"),
        Some(TOKEN),
        &json!({"encrypted_value": "not base64!", "key_id": kid2}),
    );
    assert_eq!(r.status, 422);
    // Missing key_id.
    let r = put(
        &gh,
        &format!("{base}/A"),
        Some(TOKEN),
        &json!({"encrypted_value": "c2VjcmV0"}),
    );
    assert_eq!(r.status, 422);
    // Bad JSON.
    let r = request(
        &gh.url(),
        "PUT",
        &format!("{base}/A"),
        Some(TOKEN),
        Some("{nope"),
    )
    .expect("answer");
    assert_eq!(r.status, 400);
    // Bad names.
    for name in ["GITHUB_X", "github_y", "1ABC", "A-B", "A%20B"] {
        let r = write_secret(&gh, base, name, "x", json!({}));
        assert_eq!(r.status, 422, "{name}");
    }
    // Too large.
    let r = write_secret(&gh, base, "BIG", &"x".repeat(48 * 1024 + 1), json!({}));
    assert_eq!(r.status, 422);
    let r = write_secret(&gh, base, "JUST_FITS", &"x".repeat(48 * 1024), json!({}));
    assert_eq!(r.status, 201);
    assert_eq!(gh.secrets(&scope).len(), 1);
}

#[test]
fn authentication_and_permissions() {
    let gh = world();
    gh.add_repo_with("octo/private", false, true);
    gh.add_token("no-scope", TokenSpec::classic("octo", &[]));
    gh.add_token(
        "fg-limited",
        TokenSpec {
            login: "octo".into(),
            kind: TokenKind::FineGrained {
                repositories: Some(vec!["octo/app".into()]),
                secrets_write: true,
                environments_write: false,
                org_secrets_write: false,
                dependabot_write: false,
                codespaces_write: false,
                agents_write: false,
            },
            expires_at: None,
            revoked: false,
        },
    );
    gh.add_token("gha", TokenSpec::github_token());
    gh.add_token(
        "revoked",
        TokenSpec {
            revoked: true,
            ..TokenSpec::classic("octo", &["repo"])
        },
    );
    gh.add_token(
        "expired",
        TokenSpec::classic("octo", &["repo"])
            .expiring(time::OffsetDateTime::now_utc() - time::Duration::hours(1)),
    );
    let key = "/repos/octo/app/actions/secrets/public-key";

    let r = get(&gh, key, None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "Requires authentication");
    for bad in ["nope", "revoked", "expired"] {
        let r = get(&gh, key, Some(bad));
        assert_eq!(r.status, 401, "{bad}");
        assert_eq!(r.json()["message"], "Bad credentials");
    }
    // `token X` works as well as `Bearer X`.
    let mut s =
        std::net::TcpStream::connect(gh.url().trim_start_matches("http://")).expect("connect");
    let r = fake_github::testclient::request_on(
        &mut s,
        "x",
        "GET",
        key,
        Some(&format!("token {TOKEN}")),
        None,
    )
    .expect("answer");
    assert_eq!(r.status, 200);

    // Classic without `repo`: hidden.
    let r = get(&gh, key, Some("no-scope"));
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-accepted-oauth-scopes"), Some("repo"));
    assert_eq!(r.json()["status"], "404");
    let r = get(
        &gh,
        "/orgs/acme/actions/secrets/public-key",
        Some("no-scope"),
    );
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-accepted-oauth-scopes"), Some("admin:org"));
    assert_eq!(
        get(&gh, "/repos/octo/private", Some("no-scope")).status,
        404
    );
    assert_eq!(get(&gh, "/repos/octo/app", Some("no-scope")).status, 200);

    // Fine-grained: listed repo OK, other repo 404, missing permission 403.
    assert_eq!(get(&gh, key, Some("fg-limited")).status, 200);
    assert_eq!(
        get(
            &gh,
            "/repos/acme/api/actions/secrets/public-key",
            Some("fg-limited")
        )
        .status,
        404
    );
    let r = get(
        &gh,
        "/repos/octo/app/dependabot/secrets/public-key",
        Some("fg-limited"),
    );
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "Resource not accessible by personal access token"
    );
    assert_eq!(
        r.header("x-accepted-github-permissions"),
        Some("dependabot_secrets=write")
    );
    assert_eq!(
        get(
            &gh,
            "/orgs/acme/actions/secrets/public-key",
            Some("fg-limited")
        )
        .status,
        403
    );

    // GITHUB_TOKEN: metadata yes, secrets no.
    assert_eq!(get(&gh, "/repos/octo/app", Some("gha")).status, 200);
    let r = get(&gh, key, Some("gha"));
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "Resource not accessible by integration"
    );

    // Unknown things.
    for p in [
        "/repos/octo/nope/actions/secrets/public-key",
        "/repos/acme/api/environments/nope/secrets/public-key",
        "/orgs/nope/actions/secrets/public-key",
        "/repos/octo/app/actions/secrets/MISSING",
        "/repos/octo/app/frobnicate",
        "/nothing/here",
    ] {
        let r = get(&gh, p, Some(TOKEN));
        assert_eq!(r.status, 404, "{p}");
        assert_eq!(r.json()["message"], "Not Found");
        assert!(r.json()["documentation_url"].is_string());
    }
}

#[test]
fn headers_on_authenticated_answers() {
    let gh = FakeGitHub::start_with(Options {
        primary_limit: Some(3),
        ..Options::default()
    });
    gh.add_repo("octo/app");
    // A month from the clock, in whole seconds as GitHub writes it.
    let now = time::OffsetDateTime::now_utc();
    let exp = now.replace_nanosecond(0).unwrap_or(now) + time::Duration::days(30);
    gh.add_token(
        TOKEN,
        TokenSpec::classic("octo", &["repo", "workflow"]).expiring(exp),
    );
    let r = get(&gh, "/user", Some(TOKEN));
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["login"], "octo");
    assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
    assert_eq!(r.header("x-ratelimit-remaining"), Some("2"));
    assert_eq!(r.header("x-ratelimit-used"), Some("1"));
    assert_eq!(r.header("x-ratelimit-resource"), Some("core"));
    assert!(r
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse::<u64>().ok())
        .is_some());
    assert!(r.header("x-github-request-id").is_some());
    let want = exp
        .format(time::macros::format_description!(
            "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
        ))
        .expect("format");
    assert_eq!(
        r.header("github-authentication-token-expiration"),
        Some(want.as_str())
    );
    assert_eq!(r.header("x-oauth-scopes"), Some("repo, workflow"));
    get(&gh, "/repos/octo/app", Some(TOKEN));
    get(&gh, "/repos/octo/app", Some(TOKEN));
    let r = get(&gh, "/repos/octo/app", Some(TOKEN));
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    assert!(r.json()["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("API rate limit exceeded"));
    let rl = get(&gh, "/rate_limit", Some(TOKEN)).json();
    assert_eq!(rl["resources"]["core"]["remaining"], 0);
}

#[test]
fn repository_listings_page_with_link_headers() {
    let gh = world();
    for i in 0..7 {
        gh.add_repo_with(&format!("acme/svc-{i}"), i == 3, i == 5);
    }
    gh.add_repo_with("octo/hidden", false, true);
    let r = get(&gh, "/orgs/acme/repos?per_page=3", Some(TOKEN));
    assert_eq!(r.status, 200);
    assert_eq!(r.json().as_array().map(Vec::len), Some(3));
    let link = r.header("link").expect("link").to_string();
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    // GitHub's own form: the organisation by id, not by name.
    assert!(
        link.starts_with(&format!("<{}/organizations/", gh.url()))
            && link.contains("/repos?per_page=3&page=2>"),
        "{link}"
    );
    // Walk the pages by following `next`.
    let mut names = Vec::new();
    let mut path = "/orgs/acme/repos?per_page=3".to_string();
    loop {
        let r = get(&gh, &path, Some(TOKEN));
        for repo in r.json().as_array().cloned().unwrap_or_default() {
            names.push(repo["full_name"].as_str().unwrap_or("").to_string());
            if repo["name"] == "svc-3" {
                assert_eq!(repo["archived"], true);
            }
        }
        let next = r.header("link").and_then(|l| {
            l.split(", ")
                .find(|p| p.ends_with("rel=\"next\""))
                .map(|p| {
                    p.split(';')
                        .next()
                        .unwrap_or("")
                        .trim_matches(['<', '>'])
                        .trim_start_matches(&gh.url())
                        .to_string()
                })
        });
        match next {
            Some(n) => path = n,
            None => break,
        }
    }
    assert_eq!(names.len(), 8, "{names:?}");
    let last = get(&gh, "/orgs/acme/repos?per_page=3&page=3", Some(TOKEN));
    let link = last.header("link").unwrap_or("");
    assert!(
        link.contains("rel=\"prev\"")
            && link.contains("rel=\"first\"")
            && !link.contains("rel=\"next\"")
    );

    // /users/{u}/repos: public only. /user/repos: own (private included) plus org repos.
    let pub_only = get(&gh, "/users/octo/repos", Some(TOKEN)).json();
    let pub_names: Vec<&str> = pub_only
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["full_name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(pub_names, vec!["octo/app"]);
    let mine = get(
        &gh,
        "/user/repos?affiliation=owner&per_page=100",
        Some(TOKEN),
    )
    .json();
    assert_eq!(mine.as_array().map(Vec::len), Some(2));
    let all = get(&gh, "/user/repos?per_page=100", Some(TOKEN)).json();
    assert_eq!(all.as_array().map(Vec::len), Some(10));
    assert_eq!(
        get(&gh, "/user/repos?type=owner&affiliation=owner", Some(TOKEN)).status,
        422
    );

    // Repository details.
    let r = get(&gh, "/repos/ACME/svc-5", Some(TOKEN)).json();
    assert_eq!(r["full_name"], "acme/svc-5");
    assert_eq!(r["private"], true);
    assert_eq!(r["owner"]["login"], "acme");
    assert_eq!(r["id"], gh.repo_id("acme/svc-5").unwrap_or(0));
}

#[test]
fn secret_list_pages() {
    let gh = world();
    let scope = Scope::repo("octo/app");
    for i in 0..5 {
        gh.set_secret(&scope, &format!("S{i}"), "v");
    }
    let r = get(
        &gh,
        "/repos/octo/app/actions/secrets?per_page=2&page=2",
        Some(TOKEN),
    );
    let v = r.json();
    assert_eq!(v["total_count"], 5);
    assert_eq!(v["secrets"][0]["name"], "S2");
    let link = r.header("link").unwrap_or("");
    assert!(link.contains("page=3>; rel=\"next\""), "{link}");
    // GitHub's own form: the repository by id.
    let id = gh.repo_id("octo/app").unwrap_or(0);
    assert!(
        link.contains(&format!(
            "/repositories/{id}/actions/secrets?per_page=2&page=3>"
        )),
        "{link}"
    );
    // And the fake serves that path.
    let r = get(
        &gh,
        &format!("/repositories/{id}/actions/secrets?per_page=2&page=3"),
        Some(TOKEN),
    );
    assert_eq!(r.json()["secrets"][0]["name"], "S4");
}

#[test]
fn faults_behave() {
    let gh = world();
    let key = "/repos/octo/app/actions/secrets/public-key";
    let scope = Scope::repo("octo/app");

    gh.inject(
        Fault::new(FaultKind::Status(503))
            .on("GET", "public-key")
            .times(2),
    );
    assert_eq!(get(&gh, key, Some(TOKEN)).status, 503);
    assert_eq!(
        get(&gh, "/user", Some(TOKEN)).status,
        200,
        "other paths untouched"
    );
    assert_eq!(get(&gh, key, Some(TOKEN)).status, 503);
    assert_eq!(get(&gh, key, Some(TOKEN)).status, 200, "consumed");

    gh.inject(Fault::new(FaultKind::Drop));
    assert!(request(&gh.url(), "GET", key, Some(TOKEN), None).is_err());
    assert_eq!(gh.requests().last().map(|r| r.status), Some(0));
    assert_eq!(
        gh.requests()
            .last()
            .and_then(|r| r.fault.clone())
            .as_deref(),
        Some("drop")
    );

    gh.inject(Fault::new(FaultKind::RateLimit429 {
        retry_after_secs: 7,
    }));
    let r = get(&gh, key, Some(TOKEN));
    assert_eq!((r.status, r.header("retry-after")), (429, Some("7")));

    gh.inject(Fault::new(FaultKind::Secondary403 {
        retry_after_secs: 2,
    }));
    let r = get(&gh, key, Some(TOKEN));
    assert_eq!((r.status, r.header("retry-after")), (403, Some("2")));
    assert!(r.json()["message"]
        .as_str()
        .unwrap_or("")
        .contains("secondary rate limit"));

    gh.inject(Fault::new(FaultKind::PrimaryExhausted {
        reset_in_secs: 30,
    }));
    let r = get(&gh, key, Some(TOKEN));
    assert_eq!(r.status, 403);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    let reset: i64 = r
        .header("x-ratelimit-reset")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!((now + 28..=now + 31).contains(&reset), "{reset} vs {now}");

    gh.inject(Fault::new(FaultKind::Latency(Duration::from_millis(300))));
    let t = Instant::now();
    assert_eq!(get(&gh, key, Some(TOKEN)).status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    // Dropped after processing: the value is stored, no answer came.
    let (kid, pk) = gh.public_key(&scope);
    gh.inject(Fault::new(FaultKind::DropAfterProcessing).method("PUT"));
    let body = json!({"encrypted_value": seal(&pk, "kept"), "key_id": kid}).to_string();
    assert!(request(
        &gh.url(),
        "PUT",
        "/repos/octo/app/actions/secrets/K",
        Some(TOKEN),
        Some(&body)
    )
    .is_err());
    assert_eq!(
        gh.secret(&scope, "K").map(|s| s.value).as_deref(),
        Some("kept")
    );
    assert_eq!(gh.requests().last().map(|r| r.status), Some(201));

    // Key rotated just before the PUT: 422, then the new key works.
    gh.inject(Fault::new(FaultKind::RotateKeyBefore).method("PUT"));
    let body = json!({"encrypted_value": seal(&pk, "next"), "key_id": kid}).to_string();
    let r = request(
        &gh.url(),
        "PUT",
        "/repos/octo/app/actions/secrets/K",
        Some(TOKEN),
        Some(&body),
    )
    .expect("answer");
    assert_eq!(r.status, 422);
    let r = write_secret(
        &gh,
        "/repos/octo/app/actions/secrets",
        "K",
        "next",
        json!({}),
    );
    assert_eq!(r.status, 204);
    assert_eq!(
        gh.secret(&scope, "K").map(|s| s.value).as_deref(),
        Some("next")
    );
    assert!(gh.pending_faults().is_empty());
    assert_eq!(gh.faults_hit(), 9);
}

#[test]
fn latency_option_and_secondary_limit() {
    let gh = FakeGitHub::start_with(Options {
        latency: Duration::from_millis(50),
        secondary_limit_per_minute: Some(3),
        time_scale: 60.0, // a "minute" lasts one second
        ..Options::default()
    });
    gh.add_repo("octo/app");
    gh.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    let t = Instant::now();
    let key = get(
        &gh,
        "/repos/octo/app/actions/secrets/public-key",
        Some(TOKEN),
    )
    .json();
    assert!(t.elapsed() >= Duration::from_millis(50));
    let mut statuses = Vec::new();
    for i in 0..4 {
        let body = json!({"encrypted_value": seal(key["key"].as_str().unwrap_or(""), "v"), "key_id": key["key_id"]});
        let r = put(
            &gh,
            &format!("/repos/octo/app/actions/secrets/S{i}"),
            Some(TOKEN),
            &body,
        );
        if r.status == 403 {
            assert_eq!(r.header("retry-after"), Some("1"));
        }
        statuses.push(r.status);
    }
    assert_eq!(statuses, vec![201, 201, 201, 403]);
    std::thread::sleep(Duration::from_millis(1100));
    let body = json!({"encrypted_value": seal(key["key"].as_str().unwrap_or(""), "v"), "key_id": key["key_id"]});
    assert_eq!(
        put(
            &gh,
            "/repos/octo/app/actions/secrets/S3",
            Some(TOKEN),
            &body
        )
        .status,
        201
    );
}

#[test]
fn secondary_retry_after_in_scaled_seconds_when_asked() {
    let gh = FakeGitHub::start_with(Options {
        secondary_limit_per_minute: Some(1),
        time_scale: 60.0, // the window lasts one real second, 60 scaled seconds
        retry_after_scaled: true,
        ..Options::default()
    });
    gh.add_repo("octo/app");
    gh.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    let key = get(
        &gh,
        "/repos/octo/app/actions/secrets/public-key",
        Some(TOKEN),
    )
    .json();
    let body = json!({"encrypted_value": seal(key["key"].as_str().unwrap_or(""), "v"), "key_id": key["key_id"]});
    let first = put(&gh, "/repos/octo/app/actions/secrets/A", Some(TOKEN), &body);
    assert_eq!(first.status, 201);
    let second = put(&gh, "/repos/octo/app/actions/secrets/B", Some(TOKEN), &body);
    assert_eq!(second.status, 403);
    // Almost the whole real second is left: about 60 scaled seconds, not the real "1".
    let secs: u64 = second
        .header("retry-after")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    assert!((30..=60).contains(&secs), "retry-after {secs}");
}

#[test]
fn secondary_limits_of_the_minute_and_the_hour_hold_together() {
    let gh = FakeGitHub::start_with(Options {
        secondary_limit_per_minute: Some(2),
        secondary_limit_per_hour: Some(3),
        time_scale: 60.0, // a minute lasts 1 s, an hour 60 s
        retry_after_scaled: true,
        ..Options::default()
    });
    gh.add_repo("octo/app");
    gh.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    let key = get(
        &gh,
        "/repos/octo/app/actions/secrets/public-key",
        Some(TOKEN),
    )
    .json();
    let body = json!({"encrypted_value": seal(key["key"].as_str().unwrap_or(""), "v"), "key_id": key["key_id"]});
    let put_one = |name: &str| {
        put(
            &gh,
            &format!("/repos/octo/app/actions/secrets/{name}"),
            Some(TOKEN),
            &body,
        )
    };
    let retry_after = |r: &Response| -> u64 {
        r.header("retry-after")
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    };
    assert_eq!(put_one("A").status, 201);
    assert_eq!(put_one("B").status, 201);
    // The minute is full: wait for it, at most a (scaled) minute.
    let third = put_one("C");
    assert_eq!(third.status, 403);
    assert!(
        third.body.contains("secondary rate limit"),
        "{}",
        third.body
    );
    assert!((1..=60).contains(&retry_after(&third)));
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(put_one("C").status, 201);
    // The minute has room (it holds C alone) but the hour is full: the wait is the hour's,
    // longer than a minute, and a refused request is not counted.
    let fourth = put_one("D");
    assert_eq!(fourth.status, 403);
    assert!(
        (61..=3600).contains(&retry_after(&fourth)),
        "retry-after {}",
        retry_after(&fourth)
    );
    assert_eq!(gh.count("PUT", "/actions/secrets/"), 5);
    assert!(gh.secret(&Scope::repo("octo/app"), "D").is_none());
}

#[test]
fn api_v3_prefix_and_recorded_raw_paths() {
    let gh = world();
    let r = get(
        &gh,
        "/api/v3/repos/acme/api/environments/test%20live/secrets/public-key",
        Some(TOKEN),
    );
    assert_eq!(r.status, 200);
    let rec = gh.requests();
    assert_eq!(
        rec[0].path,
        "/api/v3/repos/acme/api/environments/test%20live/secrets/public-key"
    );
    assert_eq!(rec[0].authorization.as_deref(), Some("Bearer ghp_classic"));
    assert_eq!(gh.count("GET", "test%20live"), 1);
    gh.clear_requests();
    assert!(gh.requests().is_empty());
}

#[test]
fn graphql_maps_repository_names_to_ids_as_gh_asks() {
    let gh = world();
    let q = json!({"query": "query MapRepositoryNames { repo_000: repository(owner: \"acme\", name: \"api\") { databaseId } repo_001: repository(owner: \"acme\", name: \"nope\") { databaseId } }", "variables": null});
    let r = request(
        &gh.url(),
        "POST",
        "/api/graphql",
        Some(TOKEN),
        Some(&q.to_string()),
    )
    .expect("answer");
    assert_eq!(r.status, 200);
    let v = r.json();
    assert_eq!(
        v["data"]["repo_000"]["databaseId"],
        gh.repo_id("acme/api").unwrap_or(0)
    );
    assert!(v["data"]["repo_001"].is_null());
    assert_eq!(v["errors"][0]["type"], "NOT_FOUND");
}

/// The fake's clock, set by the test: expiry, 401 and reset times are exact, whatever the day.
#[test]
fn a_set_clock_drives_token_expiry_and_reset_times() {
    use time::macros::datetime;
    let gh = FakeGitHub::start();
    gh.add_repo("octo/app");
    let t0 = datetime!(2099-06-01 12:00:00 UTC);
    gh.set_now(t0 + time::Duration::milliseconds(700));
    assert_eq!(gh.now(), t0, "whole seconds, as GitHub keeps time");
    gh.add_token(
        TOKEN,
        TokenSpec::classic("octo", &["repo"]).expiring(datetime!(2099-06-01 12:00:02 UTC)),
    );
    let r = get(&gh, "/user", Some(TOKEN));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("github-authentication-token-expiration"),
        Some("2099-06-01 12:00:02 UTC")
    );
    // The primary window opened at t0 and lasts an hour.
    let reset = (t0 + time::Duration::hours(1)).unix_timestamp().to_string();
    assert_eq!(r.header("x-ratelimit-reset"), Some(reset.as_str()));
    let rl = get(&gh, "/rate_limit", Some(TOKEN)).json();
    assert_eq!(rl["resources"]["core"]["reset"].to_string(), reset);

    // A primary-limit fault resets `reset_in_secs` after the fake's now.
    gh.advance(time::Duration::seconds(1));
    gh.inject(Fault::new(FaultKind::PrimaryExhausted {
        reset_in_secs: 30,
    }));
    let r = get(&gh, "/user", Some(TOKEN));
    assert_eq!(r.status, 403);
    let want = (t0.unix_timestamp() + 31).to_string();
    assert_eq!(r.header("x-ratelimit-reset"), Some(want.as_str()));

    // Alive until its expiry, 401 from that second on, as GitHub answers an expired token.
    let r = get(&gh, "/user", Some(TOKEN));
    assert_eq!(r.status, 200);
    gh.advance(time::Duration::seconds(1));
    let r = get(&gh, "/user", Some(TOKEN));
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "Bad credentials");
    // Wound back, the same token works again: only the clock decides.
    gh.set_now(t0);
    assert_eq!(get(&gh, "/user", Some(TOKEN)).status, 200);

    // A secret written now carries the fake's time.
    let (kid, pk) = gh.public_key(&Scope::repo("octo/app"));
    let body = json!({"encrypted_value": seal(&pk, "v"), "key_id": kid});
    let r = put(&gh, "/repos/octo/app/actions/secrets/K", Some(TOKEN), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let r = get(&gh, "/repos/octo/app/actions/secrets/K", Some(TOKEN));
    assert_eq!(r.json()["updated_at"], "2099-06-01T12:00:00Z");
}

/// `POST /credentials/revoke` as GitHub documents it: never authenticated (403 when it is),
/// 202 for a good body (known tokens revoked), 400 for a body that is not JSON, 422 for a
/// body without 1 to 1000 credential strings, 60 an hour (then 422, "spammed").
#[test]
fn credential_revocation_is_unauthenticated_validated_and_limited() {
    let gh = world();
    gh.add_token("ghp_old", TokenSpec::classic("octo", &["repo"]));
    let post = |token: Option<&str>, body: &str| {
        request(&gh.url(), "POST", "/credentials/revoke", token, Some(body)).expect("answer")
    };
    let good = json!({"credentials": ["ghp_old"]}).to_string();
    let r = post(Some(TOKEN), &good);
    assert_eq!(r.status, 403, "{}", r.body);
    assert!(!gh.is_revoked("ghp_old"));
    for (body, status) in [
        ("not json", 400),
        ("{}", 422),
        (r#"{"credentials": "ghp_old"}"#, 422),
        (r#"{"credentials": []}"#, 422),
        (r#"{"credentials": [1]}"#, 422),
        (r#"{"credentials": [""]}"#, 422),
    ] {
        let r = post(None, body);
        assert_eq!(r.status, status, "{body}: {}", r.body);
    }
    let too_many = json!({"credentials": vec!["ghp_x"; 1001]}).to_string();
    assert_eq!(post(None, &too_many).status, 422);
    assert!(!gh.is_revoked("ghp_old"));
    let r = post(None, &good);
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(gh.is_revoked("ghp_old"));
    assert_eq!(get(&gh, "/user", Some("ghp_old")).status, 401);
    // An unknown credential is accepted all the same: GitHub says nothing about it.
    assert_eq!(
        post(None, r#"{"credentials": ["ghp_unknown"]}"#).status,
        202
    );
    // 9 requests so far counted; the 61st in the hour is refused.
    for _ in 0..51 {
        assert_eq!(
            post(None, r#"{"credentials": ["ghp_unknown"]}"#).status,
            202
        );
    }
    let r = post(None, &good);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("spammed"), "{}", r.body);
    assert_eq!(r.header("x-ratelimit-remaining"), Some("0"));
    // Logged without any Authorization.
    assert!(gh
        .requests()
        .iter()
        .filter(|q| q.path == "/credentials/revoke")
        .skip(1)
        .all(|q| q.authorization.is_none()));
}

/// Every answer carries a `Date` from the fake's clock, so a set clock shows to clients.
#[test]
fn answers_are_dated_by_the_fakes_clock() {
    let gh = world();
    let at = time::OffsetDateTime::now_utc() + time::Duration::days(400);
    gh.set_now(at);
    let r = get(&gh, "/user", Some(TOKEN));
    let date = r.header("date").expect("date");
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let parsed = time::PrimitiveDateTime::parse(date, f)
        .expect("IMF-fixdate")
        .assume_utc();
    assert_eq!(parsed.unix_timestamp(), at.unix_timestamp());
}

/// A read-only fine-grained token reads keys and listings, and every write or delete is 403 as
/// for a missing permission: what preflight's throwaway write must catch.
#[test]
fn a_read_only_fine_grained_token_reads_but_cannot_write() {
    let gh = FakeGitHub::start();
    gh.add_repo("octo/app");
    gh.add_token("fg-read", TokenSpec::fine_grained_read_only("octo"));
    let base = "/repos/octo/app/actions/secrets";
    let key = get(&gh, &format!("{base}/public-key"), Some("fg-read"));
    assert_eq!(key.status, 200);
    assert_eq!(get(&gh, base, Some("fg-read")).status, 200);
    let sealed = seal(key.json()["key"].as_str().expect("key"), "v");
    let body = json!({"encrypted_value": sealed, "key_id": key.json()["key_id"]});
    let r = put(&gh, &format!("{base}/X"), Some("fg-read"), &body);
    assert_eq!(r.status, 403);
    assert_eq!(
        r.json()["message"],
        "Resource not accessible by personal access token"
    );
    assert_eq!(
        r.header("x-accepted-github-permissions"),
        Some("secrets=write")
    );
    let r = request(
        &gh.url(),
        "DELETE",
        &format!("{base}/X"),
        Some("fg-read"),
        None,
    )
    .expect("answer");
    assert_eq!(r.status, 403);
    assert!(gh.secret(&Scope::repo("octo/app"), "X").is_none());
}
