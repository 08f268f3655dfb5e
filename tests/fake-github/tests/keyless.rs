//! The keyless path: the runner's ID-token service and the octo-sts-style exchange, verifying
//! ID tokens and trust policies for real and minting installation tokens on the fake API.

use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use fake_github::testclient::{request, seal, Response};
use fake_github::{
    sign_jwt, AppKey, FakeGitHub, Fault, FaultKind, OidcClaims, Scope, Service, TrustPolicy,
};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePublicKey;
use rsa::signature::Verifier as _;
use serde_json::{json, Value};

const APP: u64 = 4242;
const SUBJECT: &str = "repo:acme/api:ref:refs/heads/main";
const WORKFLOW: &str = "acme/api/.github/workflows/refresh.yml@refs/heads/main";

fn world() -> FakeGitHub {
    let gh = FakeGitHub::start();
    gh.add_org("acme");
    for r in ["acme/api", "acme/web", "acme/docs"] {
        gh.add_repo(r);
    }
    gh.add_environment("acme/api", "prod");
    gh.add_app(APP, &AppKey::shared().public_pem);
    gh.add_installation(
        APP,
        "acme",
        None,
        &[
            ("secrets", "write"),
            ("environments", "write"),
            ("metadata", "read"),
        ],
    );
    gh.set_sts_app(APP);
    gh.set_oidc_claims(OidcClaims::for_repo("acme/api"));
    gh.add_trust_policy("acme/api", "refresh", policy());
    gh
}

/// `secrets: write` only, for the default branch's pushes of one workflow.
fn policy() -> TrustPolicy {
    TrustPolicy::github_actions(SUBJECT)
        .permission("secrets", "write")
        .claim("event_name", "push")
        .claim("ref", "refs/heads/main")
        .claim("job_workflow_ref", &regex_escape(WORKFLOW))
}

fn regex_escape(s: &str) -> String {
    s.replace('.', "\\.")
}

/// Split a URL into `http://host:port` and the rest.
fn split(url: &str) -> (String, String) {
    let after = url.find("://").map_or(0, |i| i + 3);
    let slash = url[after..].find('/').map_or(url.len(), |i| after + i);
    (url[..slash].to_string(), url[slash..].to_string())
}

fn get(url: &str, authorization: Option<&str>) -> Response {
    let (base, path) = split(url);
    request(&base, "GET", &path, authorization, None).expect("answer")
}

/// The job's ID token for `audience`, as a client asks for it.
fn id_token(gh: &FakeGitHub, audience: &str) -> String {
    let url = format!("{}&audience={audience}", gh.id_token_request_url());
    let r = get(&url, Some(&gh.id_token_request_token()));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["value"].as_str().expect("value").to_owned()
}

fn exchange(gh: &FakeGitHub, id_token: Option<&str>, scope: &str, identity: &str) -> Response {
    let url = format!(
        "{}/sts/exchange?scope={scope}&identity={identity}",
        gh.sts_url()
    );
    get(&url, id_token)
}

fn claims_of(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).expect("payload");
    serde_json::from_slice(&B64URL.decode(part).expect("base64url")).expect("json")
}

fn refused(r: &Response, status: u16, message: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.json()["message"], message, "{}", r.body);
    assert!(r.json()["code"].is_u64(), "{}", r.body);
}

#[test]
fn the_runner_issues_githubs_claims_signed_by_the_issuer() {
    let gh = world();
    let t0 = time::macros::datetime!(2099-03-01 08:00:00 UTC);
    gh.set_now(t0);
    let url = gh.id_token_request_url();
    assert!(url.contains("/idtoken?api-version=2.0"), "{url}");
    assert_ne!(split(&url).0, gh.url(), "its own listener");
    let jwt = id_token(&gh, "127.0.0.1");
    // RS256 by the issuer's key, verified here with the rsa crate directly.
    let (signed, sig) = jwt.rsplit_once('.').expect("three parts");
    let header: Value = serde_json::from_slice(
        &B64URL
            .decode(jwt.split('.').next().expect("header"))
            .expect("b64"),
    )
    .expect("json");
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    let key = rsa::RsaPublicKey::from_public_key_pem(&AppKey::issuer().public_pem).expect("pem");
    let sig = Signature::try_from(B64URL.decode(sig).expect("b64").as_slice()).expect("sig");
    VerifyingKey::<sha2::Sha256>::new(key)
        .verify(signed.as_bytes(), &sig)
        .expect("signed by the issuer");
    let c = claims_of(&jwt);
    let t = t0.unix_timestamp();
    assert_eq!(c["iss"], "https://token.actions.githubusercontent.com");
    assert_eq!(c["aud"], "127.0.0.1");
    assert_eq!(c["sub"], SUBJECT);
    assert_eq!(c["repository"], "acme/api");
    assert_eq!(c["repository_owner"], "acme");
    assert_eq!(c["ref"], "refs/heads/main");
    assert_eq!(c["event_name"], "push");
    assert_eq!(c["job_workflow_ref"], WORKFLOW);
    assert_eq!(c["workflow_ref"], WORKFLOW);
    assert_eq!(
        c["repository_id"],
        gh.repo_id("acme/api").expect("id").to_string()
    );
    assert_eq!(
        (c["iat"].as_i64(), c["exp"].as_i64(), c["nbf"].as_i64()),
        (Some(t), Some(t + 300), Some(t - 600))
    );

    // No audience: the owner's URL, as GitHub's default. An environment changes the subject.
    gh.set_oidc_claims(OidcClaims {
        environment: Some("prod".into()),
        ..OidcClaims::for_repo("acme/api")
    });
    let r = get(
        &gh.id_token_request_url(),
        Some(&gh.id_token_request_token()),
    );
    let c = claims_of(r.json()["value"].as_str().expect("value"));
    assert_eq!(c["aud"], "https://github.com/acme");
    assert_eq!(c["sub"], "repo:acme/api:environment:prod");
    assert_eq!(c["environment"], "prod");

    // The request token is required, and only the job's.
    let r = get(&gh.id_token_request_url(), None);
    assert_eq!(r.status, 401);
    let r = get(&gh.id_token_request_url(), Some("ghp_notTheRunnersToken"));
    assert_eq!(r.status, 401);
    let log = gh.requests_to(Service::IdToken);
    assert_eq!(log.len(), 4);
    let bearer = format!("Bearer {}", gh.id_token_request_token());
    assert_eq!(log[0].authorization.as_deref(), Some(bearer.as_str()));
    assert_eq!(log[2].authorization, None);
    assert_eq!(gh.id_tokens().len(), 2);
    assert!(gh.requests_to(Service::Api).is_empty());
}

#[test]
fn an_exchange_mints_a_limited_installation_token_checked_like_any_other() {
    let gh = world();
    let id = id_token(&gh, &gh.sts_audience());
    let r = exchange(&gh, Some(&id), "acme/api", "refresh");
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("ghs_"));
    let minted = gh.exchanged_tokens();
    assert_eq!(minted.len(), 1);
    assert_eq!(minted[0].0.repositories, Some(vec!["api".to_owned()]));
    assert_eq!(
        minted[0].0.permissions.iter().collect::<Vec<_>>(),
        [(&"secrets".to_owned(), &"write".to_owned())]
    );
    assert_eq!(
        minted[0].0.exchange,
        Some(("acme/api".to_owned(), "refresh".to_owned()))
    );

    // On the API: the scope's repository and the policy's permissions, nothing more.
    let api = |method: &str, path: &str, body: Option<&Value>| {
        let body = body.map(Value::to_string);
        request(&gh.url(), method, path, Some(&token), body.as_deref()).expect("answer")
    };
    let (key_id, key) = gh.public_key(&Scope::repo("acme/api"));
    let put = api(
        "PUT",
        "/repos/acme/api/actions/secrets/API_KEY",
        Some(&json!({"encrypted_value": seal(&key, "fresh"), "key_id": key_id})),
    );
    assert_eq!(put.status, 201, "{}", put.body);
    assert_eq!(
        gh.secret(&Scope::repo("acme/api"), "API_KEY")
            .map(|s| s.value),
        Some("fresh".to_owned())
    );
    assert_eq!(
        api("GET", "/repos/acme/web/actions/secrets/public-key", None).status,
        404
    );
    let env = api(
        "GET",
        "/repos/acme/api/environments/prod/secrets/public-key",
        None,
    );
    assert_eq!(env.status, 403);
    assert_eq!(
        env.header("x-accepted-github-permissions"),
        Some("environments=write")
    );
    let listed = api("GET", "/installation/repositories", None);
    assert_eq!(listed.json()["total_count"], 1);
    assert_eq!(api("DELETE", "/installation/token", None).status, 204);
    assert_eq!(
        api("GET", "/repos/acme/api/actions/secrets/public-key", None).status,
        401
    );
    assert!(gh.exchanged_tokens()[0].1, "revoked");

    // The ID token went to the exchange only; the exchanged token to the API only.
    let id_bearer = format!("Bearer {id}");
    let sts = gh.requests_to(Service::Sts);
    assert_eq!(sts.len(), 1);
    assert_eq!(sts[0].authorization.as_deref(), Some(id_bearer.as_str()));
    assert_eq!(
        sts[0].query.as_deref(),
        Some("scope=acme/api&identity=refresh")
    );
    let api_log = gh.requests_to(Service::Api);
    assert_eq!(api_log.len(), 6);
    assert!(api_log
        .iter()
        .all(|r| r.authorization.as_deref() == Some(format!("Bearer {token}").as_str())));
}

#[test]
fn the_exchange_verifies_the_id_token() {
    let gh = world();
    let t0 = time::macros::datetime!(2099-03-01 08:00:00 UTC);
    gh.set_now(t0);
    let t = t0.unix_timestamp();
    let aud = gh.sts_audience();
    let ok = |token: &str| exchange(&gh, Some(token), "acme/api", "refresh");
    refused(
        &exchange(&gh, None, "acme/api", "refresh"),
        401,
        "expected exactly one authorization header",
    );
    refused(&ok("not-a-jwt"), 400, "invalid bearer token");
    let claims = gh.id_token_claims(&aud);
    // Signed by another key: the signature does not verify.
    refused(
        &ok(&sign_jwt(&AppKey::other().pkcs1_pem, &claims)),
        401,
        "unable to verify bearer token",
    );
    let forged = |change: &dyn Fn(&mut Value)| {
        let mut c = claims.clone();
        change(&mut c);
        gh.sign_id_token(&c)
    };
    refused(
        &ok(&forged(&|c| {
            c["iss"] = json!("https://accounts.example.com")
        })),
        400,
        "unable to fetch or create the provider",
    );
    refused(
        &ok(&forged(&|c| {
            c["iss"] = json!("http://token.actions.githubusercontent.com")
        })),
        400,
        "invalid issuer format",
    );
    // `nbf` up to five minutes ahead is tolerated (go-oidc's leeway), not more.
    refused(
        &ok(&forged(&|c| c["nbf"] = json!(t + 301))),
        401,
        "unable to verify bearer token",
    );
    assert_eq!(ok(&forged(&|c| c["nbf"] = json!(t + 300))).status, 200);
    // Valid through the second of its `exp`, refused after.
    let id = id_token(&gh, &aud);
    gh.set_now(t0 + time::Duration::seconds(300));
    assert_eq!(ok(&id).status, 200);
    gh.set_now(t0 + time::Duration::seconds(301));
    refused(&ok(&id), 401, "unable to verify bearer token");
    gh.set_now(t0);
    // The audience: the exchange's host name unless the policy or the exchange says otherwise.
    refused(
        &ok(&id_token(&gh, "sts.example.com")),
        403,
        "trust policy: audience \"127.0.0.1\" did not match any of [\"sts.example.com\"]",
    );
    gh.set_sts_audience("sts.example.com");
    assert_eq!(ok(&id_token(&gh, "sts.example.com")).status, 200);
    assert_eq!(gh.exchanged_tokens().len(), 3);
}

#[test]
fn trust_policies_decide_like_octo_sts() {
    let gh = world();
    let aud = gh.sts_audience();
    let try_with = |claims: OidcClaims, scope: &str, identity: &str| {
        gh.set_oidc_claims(claims);
        exchange(&gh, Some(&id_token(&gh, &aud)), scope, identity)
    };
    let run = || OidcClaims::for_repo("acme/api");
    refused(
        &try_with(run(), "acme/api", "nope"),
        404,
        "unable to find trust policy for \"nope\"",
    );
    refused(
        &try_with(run(), "elsewhere/api", "refresh"),
        404,
        "no installation found for \"elsewhere\"",
    );
    refused(
        &try_with(
            OidcClaims {
                git_ref: "refs/heads/dev".into(),
                ..run()
            },
            "acme/api",
            "refresh",
        ),
        403,
        "trust policy: subject \"repo:acme/api:ref:refs/heads/dev\" did not match \"repo:acme/api:ref:refs/heads/main\"",
    );
    refused(
        &try_with(
            OidcClaims {
                event_name: "workflow_dispatch".into(),
                ..run()
            },
            "acme/api",
            "refresh",
        ),
        403,
        "trust policy: claim \"event_name\" did not match \"^(?:push)$\"",
    );
    refused(
        &try_with(
            OidcClaims {
                job_workflow_ref: "acme/api/.github/workflows/other.yml@refs/heads/main".into(),
                ..run()
            },
            "acme/api",
            "refresh",
        ),
        403,
        "trust policy: claim \"job_workflow_ref\" did not match \"^(?:acme/api/\\\\.github/workflows/refresh\\\\.yml@refs/heads/main)$\"",
    );
    gh.add_trust_policy("acme/api", "env", policy().claim("environment", "prod"));
    refused(
        &try_with(run(), "acme/api", "env"),
        403,
        "trust policy: expected claim \"environment\" not found in token",
    );
    // A subject pattern; a policy that does not compile; more than the installation has.
    gh.add_trust_policy(
        "acme/api",
        "any-branch",
        TrustPolicy::github_actions_matching("repo:acme/api:ref:refs/heads/.*")
            .permission("secrets", "write"),
    );
    let dev = OidcClaims {
        git_ref: "refs/heads/dev".into(),
        ..run()
    };
    assert_eq!(try_with(dev, "acme/api", "any-branch").status, 200);
    gh.add_trust_policy(
        "acme/api",
        "broken",
        TrustPolicy {
            subject_pattern: Some("repo:.*".into()),
            ..policy()
        },
    );
    refused(
        &try_with(run(), "acme/api", "broken"),
        404,
        "unable to compile trust policy found for \"broken\"",
    );
    gh.add_trust_policy(
        "acme/api",
        "greedy",
        policy().permission("organization_secrets", "write"),
    );
    refused(
        &try_with(run(), "acme/api", "greedy"),
        403,
        "token exchange failure (StatusUnprocessableEntity)",
    );
    // A repository the exchange's installation does not reach: its policy cannot be read.
    gh.add_org("solo");
    gh.add_repo("solo/kept");
    gh.add_repo("solo/hidden");
    gh.add_installation(APP, "solo", Some(&["kept"]), &[("secrets", "write")]);
    gh.add_trust_policy("solo/hidden", "refresh", policy());
    refused(
        &try_with(
            OidcClaims::for_repo("solo/hidden"),
            "solo/hidden",
            "refresh",
        ),
        404,
        "unable to find trust policy for \"refresh\"",
    );
    assert_eq!(
        gh.exchanged_tokens().len(),
        1,
        "only the any-branch exchange"
    );
    assert_eq!(gh.requests_to(Service::Api).len(), 0);
}

#[test]
fn an_organisation_policy_covers_the_repositories_it_lists() {
    let gh = world();
    let org_policy = TrustPolicy::github_actions(SUBJECT).permission("secrets", "write");
    gh.add_trust_policy(
        "acme",
        "fleet",
        org_policy.clone().repositories(&["api", "web"]),
    );
    assert!(
        gh.repo_id("acme/.github").is_some(),
        "the policy's repository"
    );
    let id = id_token(&gh, &gh.sts_audience());
    let r = exchange(&gh, Some(&id), "acme", "fleet");
    assert_eq!(r.status, 200, "{}", r.body);
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let listed = request(
        &gh.url(),
        "GET",
        "/installation/repositories",
        Some(&token),
        None,
    )
    .expect("answer");
    let body = listed.json();
    let names: Vec<&str> = body["repositories"]
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|x| x["full_name"].as_str())
        .collect();
    assert_eq!(names, ["acme/api", "acme/web"]);
    assert_eq!(
        request(
            &gh.url(),
            "GET",
            "/repos/acme/docs/actions/secrets/public-key",
            Some(&token),
            None
        )
        .expect("answer")
        .status,
        404
    );
    // Without a list: every repository the installation reaches.
    gh.add_trust_policy("acme", "all", org_policy);
    let r = exchange(&gh, Some(&id), "acme", "all");
    assert_eq!(gh.exchanged_tokens()[1].0.repositories, None);
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let listed = request(
        &gh.url(),
        "GET",
        "/installation/repositories",
        Some(&token),
        None,
    )
    .expect("answer");
    assert_eq!(listed.json()["total_count"], 4);
    // A listed repository the installation does not have: GitHub's 422, as octo-sts says it.
    gh.add_trust_policy(
        "acme",
        "ghost",
        TrustPolicy::github_actions(SUBJECT).repositories(&["ghost"]),
    );
    refused(
        &exchange(&gh, Some(&id), "acme", "ghost"),
        403,
        "token exchange failure (StatusUnprocessableEntity)",
    );
}

#[test]
fn the_exchange_can_be_down_failing_or_slow() {
    let gh = world();
    let id = id_token(&gh, &gh.sts_audience());
    let url = gh.sts_url();
    gh.set_down(Service::Sts, true);
    let (base, _) = split(&url);
    let hostport = base.trim_start_matches("http://");
    let e = std::net::TcpStream::connect(hostport).expect_err("refused");
    assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused);
    // The API is not affected; the exchange comes back on the same port.
    assert_eq!(
        request(&gh.url(), "GET", "/repos/acme/api", None, None)
            .expect("answer")
            .status,
        401
    );
    gh.set_down(Service::Sts, false);
    assert_eq!(gh.sts_url(), url);
    assert_eq!(exchange(&gh, Some(&id), "acme/api", "refresh").status, 200);

    // A fault for the API does not hit the exchange, and the reverse.
    gh.inject(Fault::new(FaultKind::Status(500)));
    gh.inject(
        Fault::new(FaultKind::Status(503))
            .service(Service::Sts)
            .times(2),
    );
    let r = exchange(&gh, Some(&id), "acme/api", "refresh");
    assert_eq!(r.status, 503);
    assert_eq!(exchange(&gh, Some(&id), "acme/api", "refresh").status, 503);
    assert_eq!(gh.pending_faults().len(), 1, "the API's fault waits");
    gh.clear_faults();
    gh.inject(Fault::new(FaultKind::Latency(Duration::from_millis(300))).service(Service::Sts));
    let t = Instant::now();
    assert_eq!(exchange(&gh, Some(&id), "acme/api", "refresh").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));
    // A connection dropped without an answer.
    gh.inject(Fault::new(FaultKind::Drop).service(Service::Sts));
    let (base, path) = split(&format!(
        "{url}/sts/exchange?scope=acme/api&identity=refresh"
    ));
    assert!(request(&base, "GET", &path, Some(&id), None).is_err());
    let faults: Vec<Option<String>> = gh
        .requests_to(Service::Sts)
        .iter()
        .map(|r| r.fault.clone())
        .collect();
    assert_eq!(
        faults,
        [
            None,
            Some("status:503".into()),
            Some("status:503".into()),
            Some("latency:300ms".into()),
            Some("drop".into())
        ]
    );
    assert_eq!(gh.exchanged_tokens().len(), 2);
}

#[test]
fn the_hostile_echo_reaches_the_keyless_services() {
    let gh = world();
    gh.hostile_echo(true);
    let url = format!("{}&audience=127.0.0.1", gh.id_token_request_url());
    let r = get(&url, Some(&gh.id_token_request_token()));
    assert_eq!(r.status, 200);
    assert!(r.json()["message"]
        .as_str()
        .unwrap_or("")
        .contains(&gh.id_token_request_token()));
    let id = r.json()["value"].as_str().expect("value").to_owned();
    let r = exchange(&gh, Some(&id), "acme/api", "nope");
    assert_eq!(r.status, 404);
    for (form, text) in fake_github::echo::forms(&id) {
        assert!(
            r.json()["message"].as_str().unwrap_or("").contains(&text),
            "{form}"
        );
    }
    assert_eq!(r.header("x-echo-token-raw"), Some(id.as_str()));
}
