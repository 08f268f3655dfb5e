//! The hostile echo mode: what a request carried comes back in messages, URLs, headers and
//! printable fields, in every form `echo::forms` lists.

use fake_github::echo::{forms, MAX_HEADER_FORM};
use fake_github::testclient::{request, seal, Response};
use fake_github::{FakeGitHub, Fault, FaultKind, Scope, TokenSpec};
use serde_json::{json, Value};

const TOKEN: &str = "ghp_Echo0123456789abcdefghijklmnopqrstuv";
/// Quotes, a backslash, a slash, a newline, non-ASCII and an astral character: every escape.
const VALUE: &str = "pa\"ss\\wo/rd\nsé😀cret value";

fn world() -> FakeGitHub {
    let gh = FakeGitHub::start();
    gh.add_org("acme");
    gh.add_repo("acme/api");
    gh.add_token(TOKEN, TokenSpec::classic("octo", &["repo", "admin:org"]));
    gh
}

fn call(gh: &FakeGitHub, method: &str, path: &str, body: Option<&Value>) -> Response {
    let body = body.map(Value::to_string);
    request(&gh.url(), method, path, Some(TOKEN), body.as_deref()).expect("answer")
}

/// A PUT body sealed for `acme/api`; `key_id` as given (a wrong one gets 422).
fn sealed(gh: &FakeGitHub, value: &str, key_id: Option<&str>) -> Value {
    let (id, key) = gh.public_key(&Scope::repo("acme/api"));
    json!({"encrypted_value": seal(&key, value), "key_id": key_id.unwrap_or(&id)})
}

fn assert_all_forms(haystack: &str, value: &str, what: &str) {
    for (form, text) in forms(value) {
        assert!(
            haystack.contains(&text),
            "{what}: form {form} ({text:?}) missing"
        );
    }
}

#[test]
fn errors_echo_token_sealed_value_and_plaintext_in_every_form() {
    let gh = world();
    gh.hostile_echo(true);
    let body = sealed(&gh, VALUE, Some("1"));
    let encrypted = body["encrypted_value"].as_str().expect("sealed").to_owned();
    let r = call(
        &gh,
        "PUT",
        "/repos/acme/api/actions/secrets/API_KEY",
        Some(&body),
    );
    // The answer is GitHub's (a wrong key id is 422), with the echo added.
    assert_eq!(r.status, 422);
    let message = r.json()["message"].as_str().expect("message").to_owned();
    assert!(message.starts_with("Invalid request."), "{message}");
    assert_all_forms(&message, TOKEN, "message");
    assert_all_forms(&message, &encrypted, "message");
    // Opened with the scope's key although the key id was wrong.
    assert_all_forms(&message, VALUE, "message");
    let docs = r.json()["documentation_url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert!(
        docs.starts_with("https://docs.github.com/rest?token="),
        "{docs}"
    );
    let url = |v: &str| {
        forms(v)
            .into_iter()
            .find(|(f, _)| f == "url")
            .map(|(_, t)| t)
            .unwrap_or_else(|| v.to_owned())
    };
    assert!(
        docs.contains(&format!("plaintext={}", url(VALUE))),
        "{docs}"
    );
    // Headers: every printable form, the token in the request id and in the SSO URL.
    assert_eq!(r.header("x-echo-token-raw"), Some(TOKEN));
    assert!(r
        .header("x-github-request-id")
        .is_some_and(|v| v.contains(TOKEN)));
    assert!(r
        .header("x-github-sso")
        .is_some_and(|v| v.starts_with("required; url=") && v.contains(TOKEN)));
    let b64 = forms(VALUE)
        .into_iter()
        .find(|(f, _)| f == "base64")
        .map(|(_, t)| t)
        .expect("base64");
    assert_eq!(r.header("x-echo-plaintext-base64"), Some(b64.as_str()));
    assert_eq!(
        r.header("x-echo-plaintext-raw"),
        None,
        "not printable ASCII"
    );
    assert_eq!(
        r.header("x-echo-encrypted-value-raw"),
        Some(encrypted.as_str())
    );
    let log = gh.requests();
    assert_eq!(log[0].echoed, ["token", "encrypted_value", "plaintext"]);
    assert!(gh.secret(&Scope::repo("acme/api"), "API_KEY").is_none());
}

#[test]
fn server_errors_unauthorised_answers_and_validation_errors_echo_too() {
    let gh = world();
    gh.hostile_echo(true);
    gh.inject(Fault::new(FaultKind::Status(503)));
    let r = call(
        &gh,
        "GET",
        "/repos/acme/api/actions/secrets/public-key",
        None,
    );
    assert_eq!(r.status, 503);
    assert_all_forms(r.json()["message"].as_str().unwrap_or(""), TOKEN, "503");

    let r = request(
        &gh.url(),
        "GET",
        "/user",
        Some("ghp_unknown_token_xyz"),
        None,
    )
    .expect("answer");
    assert_eq!(r.status, 401);
    assert!(r.json()["message"]
        .as_str()
        .unwrap_or("")
        .starts_with("Bad credentials (received token.raw=ghp_unknown_token_xyz;"));
    assert!(r
        .header("www-authenticate")
        .is_some_and(|v| v.contains("ghp_unknown_token_xyz")));

    // `errors[].message` too: a bad secret name.
    let body = sealed(&gh, VALUE, None);
    let r = call(
        &gh,
        "PUT",
        "/repos/acme/api/actions/secrets/GITHUB_X",
        Some(&body),
    );
    assert_eq!(r.status, 422);
    assert_all_forms(
        r.json()["errors"][0]["message"].as_str().unwrap_or(""),
        VALUE,
        "errors[0]",
    );

    // A revocation request's credentials.
    let r = request(
        &gh.url(),
        "POST",
        "/credentials/revoke",
        None,
        Some(&json!({"credentials": ["ghp_revoke_me_0123456789"]}).to_string()),
    )
    .expect("answer");
    assert_eq!(r.status, 202);
    assert_all_forms(
        r.json()["message"].as_str().unwrap_or(""),
        "ghp_revoke_me_0123456789",
        "202",
    );
}

#[test]
fn successes_echo_in_printable_fields_and_still_work() {
    let gh = world();
    gh.hostile_echo(true);
    let body = sealed(&gh, VALUE, None);
    let r = call(
        &gh,
        "PUT",
        "/repos/acme/api/actions/secrets/API_KEY",
        Some(&body),
    );
    assert_eq!(r.status, 201);
    assert_all_forms(r.json()["message"].as_str().unwrap_or(""), VALUE, "201");
    // Stored as sent: the echo changes answers, never what the fake keeps.
    assert_eq!(
        gh.secret(&Scope::repo("acme/api"), "API_KEY")
            .map(|s| s.value),
        Some(VALUE.to_owned())
    );
    let me = call(&gh, "GET", "/user", None);
    assert_eq!(me.json()["login"], "octo");
    assert!(me.json()["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("octo token.raw=") && n.contains(TOKEN)));
    let repos = call(&gh, "GET", "/orgs/acme/repos", None);
    assert_eq!(repos.json()[0]["full_name"], "acme/api");
    assert_all_forms(
        repos.json()[0]["description"].as_str().unwrap_or(""),
        TOKEN,
        "description",
    );
    // A 204 has no body: the headers carry it.
    let body = sealed(&gh, "next", None);
    let r = call(
        &gh,
        "PUT",
        "/repos/acme/api/actions/secrets/API_KEY",
        Some(&body),
    );
    assert_eq!(r.status, 204);
    assert!(r.body.is_empty());
    assert_eq!(r.header("x-echo-plaintext-raw"), Some("next"));
    assert!(r
        .header("x-github-sso")
        .is_some_and(|v| v.starts_with("partial-results; organizations=")));
}

#[test]
fn per_route_echo_and_off() {
    let gh = world();
    gh.hostile_echo_on("PUT", "/actions/secrets/");
    let get = call(
        &gh,
        "GET",
        "/repos/acme/api/actions/secrets/public-key",
        None,
    );
    assert_eq!(get.status, 200);
    assert_eq!(get.header("x-echo-token-raw"), None);
    assert!(!get.body.contains(TOKEN));
    let body = sealed(&gh, VALUE, None);
    let put = call(&gh, "PUT", "/repos/acme/api/actions/secrets/A", Some(&body));
    assert_eq!(put.header("x-echo-token-raw"), Some(TOKEN));
    gh.hostile_echo(false);
    let body = sealed(&gh, VALUE, None);
    let put = call(&gh, "PUT", "/repos/acme/api/actions/secrets/B", Some(&body));
    assert_eq!(put.status, 201);
    assert_eq!(put.body, "{}");
    assert_eq!(put.header("x-echo-token-raw"), None);
    let echoed: Vec<usize> = gh.requests().iter().map(|r| r.echoed.len()).collect();
    assert_eq!(echoed, [0, 3, 0]);
}

#[test]
fn long_values_stay_out_of_headers_but_not_out_of_messages() {
    let gh = world();
    gh.hostile_echo(true);
    let long = "v".repeat(MAX_HEADER_FORM * 2);
    let mut body = sealed(&gh, &long, None);
    body["key_id"] = json!("stale");
    let r = call(
        &gh,
        "PUT",
        "/repos/acme/api/actions/secrets/BIG",
        Some(&body),
    );
    assert_eq!(r.status, 422);
    assert!(r.json()["message"].as_str().unwrap_or("").contains(&long));
    assert_eq!(r.header("x-echo-plaintext-raw"), None);
    // Its cut forms short enough for a header are there.
    assert_eq!(
        r.header(&format!("x-echo-plaintext-prefix{}", MAX_HEADER_FORM)),
        Some("v".repeat(MAX_HEADER_FORM).as_str())
    );
    assert_eq!(r.header("x-echo-token-raw"), Some(TOKEN));
}
