//! GitHub Apps in the fake: JWT checks, minting limited tokens, enforcing and revoking them.

use fake_github::testclient::{request, Response};
use fake_github::{sign_jwt, AppKey, FakeGitHub};
use serde_json::{json, Value};

const APP: u64 = 77;

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn world() -> (FakeGitHub, u64) {
    let gh = FakeGitHub::start();
    gh.add_org("acme");
    gh.add_repo("acme/api");
    gh.add_repo("acme/web");
    gh.add_repo("other/lib");
    gh.add_app(APP, &AppKey::shared().public_pem);
    let id = gh.add_installation(
        APP,
        "acme",
        Some(&["api", "web"]),
        &[("secrets", "write"), ("metadata", "read")],
    );
    (gh, id)
}

fn jwt(claims: Value) -> String {
    sign_jwt(&AppKey::shared().pkcs1_pem, &claims)
}

fn good_jwt() -> String {
    jwt(json!({"iat": now() - 60, "exp": now() + 540, "iss": APP}))
}

fn call(gh: &FakeGitHub, method: &str, path: &str, token: &str, body: Option<Value>) -> Response {
    request(
        &gh.url(),
        method,
        path,
        Some(token),
        body.map(|b| b.to_string()).as_deref(),
    )
    .expect("answer")
}

#[test]
fn jwts_are_checked_like_github() {
    let (gh, _) = world();
    assert_eq!(call(&gh, "GET", "/app", &good_jwt(), None).status, 200);
    // PKCS#8 keys sign the same.
    let pkcs8 = sign_jwt(
        &AppKey::shared().pkcs8_pem,
        &json!({"iat": now(), "exp": now() + 60, "iss": APP}),
    );
    assert_eq!(call(&gh, "GET", "/app", &pkcs8, None).status, 200);
    let cases = [
        (
            json!({"iat": now() - 700, "exp": now() - 100, "iss": APP}),
            "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
        ),
        (
            json!({"iat": now() + 300, "exp": now() + 600, "iss": APP}),
            "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
        ),
        (
            json!({"iat": now() - 60, "exp": now() + 600, "iss": APP}),
            "'Expiration time' claim ('exp') is too far in the future",
        ),
        (
            json!({"iat": now(), "exp": now() + 60, "iss": 999}),
            "Integration not found",
        ),
    ];
    for (claims, message) in cases {
        let r = call(&gh, "GET", "/app", &jwt(claims.clone()), None);
        assert_eq!(r.status, 401, "{claims}");
        assert_eq!(r.json()["message"], message, "{claims}");
    }
    // Signed with another key: the signature does not verify.
    let wrong = sign_jwt(
        &AppKey::other().pkcs1_pem,
        &json!({"iat": now(), "exp": now() + 60, "iss": APP}),
    );
    let r = call(&gh, "GET", "/app", &wrong, None);
    assert_eq!(r.status, 401);
    assert_eq!(r.json()["message"], "A JSON web token could not be decoded");
    assert_eq!(gh.count("GET", "/app"), 7);
}

#[test]
fn installations_are_found_by_repository_and_owner() {
    let (gh, id) = world();
    let r = call(
        &gh,
        "GET",
        "/repos/acme/api/installation",
        &good_jwt(),
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["id"], id);
    assert_eq!(r.json()["permissions"]["secrets"], "write");
    assert_eq!(r.json()["account"]["login"], "acme");
    assert_eq!(
        call(&gh, "GET", "/orgs/acme/installation", &good_jwt(), None).status,
        200
    );
    for path in [
        "/repos/other/lib/installation",
        "/orgs/other/installation",
        "/repos/acme/missing/installation",
    ] {
        assert_eq!(
            call(&gh, "GET", path, &good_jwt(), None).status,
            404,
            "{path}"
        );
    }
}

#[test]
fn minted_tokens_are_limited_enforced_and_revocable() {
    let (gh, id) = world();
    gh.add_repo("acme/secret-stash"); // not in the installation
    let mint = |body: Value| {
        call(
            &gh,
            "POST",
            &format!("/app/installations/{id}/access_tokens"),
            &good_jwt(),
            Some(body),
        )
    };
    // More than the installation was granted: refused.
    let r = mint(json!({"permissions": {"organization_secrets": "write"}}));
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "The permissions requested are not granted to this installation."
    );
    assert_eq!(mint(json!({"repositories": ["secret-stash"]})).status, 422);

    let r = mint(json!({"repositories": ["api"], "permissions": {"secrets": "write"}}));
    assert_eq!(r.status, 201);
    let token = r.json()["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("ghs_"));
    // GitHub's stateless form: long, with dots and dashes (`ghs_[A-Za-z0-9._-]{36,}`).
    assert!(token.len() > 500, "{}", token.len());
    assert!(token.contains('.') && token.contains('-'));
    assert!(token[4..]
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)));
    let me = call(&gh, "GET", "/user", &token, None);
    assert_eq!(me.status, 403);
    assert_eq!(
        me.json()["message"],
        "Resource not accessible by integration"
    );
    let reach = call(&gh, "GET", "/installation/repositories", &token, None);
    assert_eq!(reach.status, 200);
    assert_eq!(reach.json()["repositories"][0]["full_name"], "acme/api");
    let expires = time::OffsetDateTime::parse(
        r.json()["expires_at"].as_str().expect("expires_at"),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("rfc3339");
    let in_secs = (expires - time::OffsetDateTime::now_utc()).whole_seconds();
    assert!((3590..=3600).contains(&in_secs), "{in_secs}");

    let key = call(
        &gh,
        "GET",
        "/repos/acme/api/actions/secrets/public-key",
        &token,
        None,
    );
    assert_eq!(key.status, 200);
    assert!(key
        .header("github-authentication-token-expiration")
        .is_some());
    // A repository outside the token: hidden.
    assert_eq!(
        call(
            &gh,
            "GET",
            "/repos/acme/web/actions/secrets/public-key",
            &token,
            None
        )
        .status,
        404
    );
    // A permission the token lacks: named.
    gh.add_environment("acme/api", "prod");
    let env = call(
        &gh,
        "GET",
        "/repos/acme/api/environments/prod/secrets/public-key",
        &token,
        None,
    );
    assert_eq!(env.status, 403);
    assert_eq!(
        env.json()["message"],
        "Resource not accessible by integration"
    );
    assert_eq!(
        env.header("x-accepted-github-permissions"),
        Some("environments=write")
    );
    let listed = call(&gh, "GET", "/installation/repositories", &token, None);
    assert_eq!(listed.json()["total_count"], 1);
    assert_eq!(listed.json()["repositories"][0]["full_name"], "acme/api");

    assert_eq!(
        call(&gh, "DELETE", "/installation/token", &token, None).status,
        204
    );
    assert_eq!(
        call(
            &gh,
            "GET",
            "/repos/acme/api/actions/secrets/public-key",
            &token,
            None
        )
        .status,
        401
    );
    let minted = gh.minted_tokens();
    assert_eq!(minted.len(), 1);
    assert!(minted[0].1, "revoked");
    assert_eq!(minted[0].0.repositories, Some(vec!["api".to_owned()]));
    assert!(!format!("{:?}", minted[0].0).contains(&token));
}

#[test]
fn read_tokens_read_but_do_not_write_and_installations_are_found_by_id() {
    let (gh, id) = world();
    let r = call(
        &gh,
        "GET",
        &format!("/app/installations/{id}"),
        &good_jwt(),
        None,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["account"]["login"], "acme");
    assert_eq!(r.json()["repository_selection"], "selected");
    assert_eq!(
        call(&gh, "GET", "/app/installations/999999", &good_jwt(), None).status,
        404
    );
    let r = call(
        &gh,
        "POST",
        &format!("/app/installations/{id}/access_tokens"),
        &good_jwt(),
        Some(json!({"repositories": ["api"], "permissions": {"secrets": "read"}})),
    );
    assert_eq!(r.status, 201);
    let token = r.json()["token"].as_str().expect("token").to_owned();
    for path in [
        "/repos/acme/api/actions/secrets",
        "/repos/acme/api/actions/secrets/public-key",
    ] {
        assert_eq!(call(&gh, "GET", path, &token, None).status, 200, "{path}");
    }
    let put = call(
        &gh,
        "PUT",
        "/repos/acme/api/actions/secrets/A",
        &token,
        Some(json!({"encrypted_value": "AAAA", "key_id": "x"})),
    );
    assert_eq!(put.status, 403);
    assert_eq!(
        put.header("x-accepted-github-permissions"),
        Some("secrets=write")
    );
}

/// JWT `iat`/`exp` and minted tokens' expiry judged by the fake's clock, which the test sets:
/// exact edges, whatever the day the suite runs.
#[test]
fn jwts_and_minted_tokens_follow_the_fakes_clock() {
    let (gh, id) = world();
    let t0 = time::macros::datetime!(2099-06-01 12:00:00 UTC);
    gh.set_now(t0);
    let t = t0.unix_timestamp();
    let at = |iat: i64, exp: i64| jwt(json!({"iat": iat, "exp": exp, "iss": APP}));
    let status = |token: &str| call(&gh, "GET", "/app", token, None);
    // As a client signs at t0: backdated a minute, nine ahead.
    let signed = at(t - 60, t + 540);
    assert_eq!(status(&signed).status, 200);
    // Issued up to 30 s ahead of the fake's clock is drift; more is refused.
    assert_eq!(status(&at(t + 30, t + 60)).status, 200);
    let r = status(&at(t + 31, t + 60));
    assert_eq!(r.status, 401);
    assert!(
        r.json()["message"].as_str().unwrap_or("").contains("'iat'"),
        "{}",
        r.body
    );
    // A JWT signed by the system clock is long expired in 2099.
    let r = status(&good_jwt());
    assert_eq!(r.status, 401);
    assert!(
        r.json()["message"].as_str().unwrap_or("").contains("'exp'"),
        "{}",
        r.body
    );
    // Valid until the second of its `exp`.
    gh.set_now(t0 + time::Duration::seconds(539));
    assert_eq!(status(&signed).status, 200);
    gh.set_now(t0 + time::Duration::seconds(540));
    assert_eq!(status(&signed).status, 401);

    // A minted token expires an hour after the fake's now, and answers 401 from then on.
    gh.set_now(t0);
    let r = call(
        &gh,
        "POST",
        &format!("/app/installations/{id}/access_tokens"),
        &signed,
        Some(json!({"repositories": ["api"]})),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["expires_at"], "2099-06-01T13:00:00Z");
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let key = "/repos/acme/api/actions/secrets/public-key";
    gh.set_now(t0 + time::Duration::seconds(3599));
    assert_eq!(call(&gh, "GET", key, &token, None).status, 200);
    gh.advance(time::Duration::seconds(1));
    assert_eq!(call(&gh, "GET", key, &token, None).status, 401);
}

/// `GET /installation/repositories` for an installation token: every repository it reaches,
/// paged with GitHub's `Link` forms (the `/api/v3` prefix kept), whatever the token is limited
/// to; an installation on all of an account's repositories says `all`.
#[test]
fn installation_repositories_are_paged_with_link_headers() {
    let (gh, id) = world();
    gh.add_repo("acme/zeta"); // not in the installation
    let r = call(
        &gh,
        "POST",
        &format!("/app/installations/{id}/access_tokens"),
        &good_jwt(),
        None,
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let page = |path: &str| call(&gh, "GET", path, &token, None);
    let first = page("/installation/repositories?per_page=1");
    assert_eq!(first.status, 200);
    assert_eq!(first.json()["total_count"], 2);
    assert_eq!(first.json()["repository_selection"], "selected");
    assert_eq!(first.json()["repositories"][0]["full_name"], "acme/api");
    let base = gh.url();
    assert_eq!(
        first.header("link"),
        Some(
            format!(
                "<{base}/installation/repositories?per_page=1&page=2>; rel=\"next\", \
                 <{base}/installation/repositories?per_page=1&page=2>; rel=\"last\""
            )
            .as_str()
        )
    );
    let second = page("/api/v3/installation/repositories?per_page=1&page=2");
    assert_eq!(second.json()["repositories"][0]["full_name"], "acme/web");
    assert_eq!(
        second.header("link"),
        Some(
            format!(
                "<{base}/api/v3/installation/repositories?per_page=1&page=1>; rel=\"prev\", \
                 <{base}/api/v3/installation/repositories?per_page=1&page=1>; rel=\"first\""
            )
            .as_str()
        )
    );
    // One page: no Link at all.
    let all = page("/installation/repositories");
    assert_eq!(all.header("link"), None);
    assert_eq!(all.json()["repositories"].as_array().map(Vec::len), Some(2));

    // An installation on every repository of its account lists them all, and says so.
    gh.add_org("wide");
    for n in ["a", "b", "c"] {
        gh.add_repo(&format!("wide/{n}"));
    }
    let wide = gh.add_installation(APP, "wide", None, &[("secrets", "write")]);
    let r = call(
        &gh,
        "POST",
        &format!("/app/installations/{wide}/access_tokens"),
        &good_jwt(),
        None,
    );
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let listed = call(
        &gh,
        "GET",
        "/installation/repositories?per_page=2&page=2",
        &token,
        None,
    );
    assert_eq!(listed.json()["total_count"], 3);
    assert_eq!(listed.json()["repository_selection"], "all");
    assert_eq!(listed.json()["repositories"][0]["full_name"], "wide/c");
    // A personal token is refused, as on GitHub.
    gh.add_token("ghp_p", fake_github::TokenSpec::classic("octo", &["repo"]));
    let refused = call(&gh, "GET", "/installation/repositories", "ghp_p", None);
    assert_eq!(refused.status, 403);
    assert_eq!(gh.count("GET", "/installation/repositories"), 5);
}
