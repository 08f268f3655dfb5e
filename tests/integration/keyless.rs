//! Keyless (issue 24): no stored credential. The job's OIDC ID token, from the runner's
//! ID-token service, is exchanged octo-sts style for installation tokens (one per scope the
//! targets need), each writing only its own targets, masked the moment it exists, revoked at
//! the end. The fake serves both services on listeners of their own and logs which service
//! each request reached, so every test proves where each credential went.

use fake_github::{
    AppKey, FakeGitHub, Fault, FaultKind, OidcClaims, Recorded, Scope, Service, TrustPolicy,
};

use crate::common::{fake, Ran, Step};

const APP_ID: u64 = 4242;
const IDENTITY: &str = "refresh";
const SUBJECT: &str = "repo:acme/api:ref:refs/heads/main";
const WORKFLOW: &str = "acme/api/.github/workflows/refresh.yml@refs/heads/main";

/// The common fake, more repositories, an exchange whose App is installed on acme with the
/// secret permissions, the run's claims (a push to main of acme/api) and a policy in acme/api.
pub(crate) fn world() -> FakeGitHub {
    let api = fake();
    for r in ["acme/web", "acme/service-a", "acme/service-b", "acme/other"] {
        api.add_repo(r);
    }
    api.add_environment("acme/api", "prod");
    api.add_app(APP_ID, &AppKey::shared().public_pem);
    api.add_installation(
        APP_ID,
        "acme",
        None,
        &[
            ("secrets", "write"),
            ("environments", "write"),
            ("metadata", "read"),
        ],
    );
    api.set_sts_app(APP_ID);
    api.set_oidc_claims(OidcClaims::for_repo("acme/api"));
    api.add_trust_policy("acme/api", IDENTITY, policy());
    api.clear_requests();
    api
}

/// `secrets: write` only, for pushes to the protected default branch of one workflow.
fn policy() -> TrustPolicy {
    TrustPolicy::github_actions(SUBJECT)
        .permission("secrets", "write")
        .claim("repository", "acme/api")
        .claim("ref", "refs/heads/main")
        .claim("event_name", "push")
        .claim("job_workflow_ref", &WORKFLOW.replace('.', "\\."))
}

/// An action step with `sts-url` and `sts-identity`, in a job with `id-token: write` (the
/// runner's two variables set).
pub(crate) fn keyless(api: &FakeGitHub) -> Step<'_> {
    Step::new(api)
        .input("sts-url", &api.sts_url())
        .input("sts-identity", IDENTITY)
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", &api.id_token_request_url())
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            &api.id_token_request_token(),
        )
}

/// Every request as `service METHOD path status`, in arrival order.
fn sequence(api: &FakeGitHub) -> Vec<String> {
    api.requests()
        .iter()
        .map(|r| {
            let path = if r.service == Service::IdToken {
                "{ACTIONS_ID_TOKEN_REQUEST_URL}"
            } else {
                r.path.as_str()
            };
            let query = match (r.service, r.query.as_deref()) {
                (Service::Sts, Some(q)) => format!("?{q}"),
                (Service::IdToken, Some(q)) => {
                    format!(
                        "&{}",
                        q.split('&')
                            .filter(|p| p.starts_with("audience="))
                            .collect::<Vec<_>>()
                            .join("&")
                    )
                }
                _ => String::new(),
            };
            format!("{:?} {} {path}{query} {}", r.service, r.method, r.status)
        })
        .collect()
}

fn bearer(r: &Recorded) -> &str {
    r.authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .unwrap_or_default()
}

/// Where every credential went: the request token to the ID-token service only, each ID token
/// to the exchange only, each exchanged token to the API only (and revoked); none is printed
/// or written anywhere, and each ID token and exchanged token was masked.
pub(crate) fn assert_credentials_kept_apart(api: &FakeGitHub, ran: &Ran) {
    assert_kept_apart(api, ran, true)
}

/// [`assert_credentials_kept_apart`]; `action`: the step ran as the action (masks printed).
fn assert_kept_apart(api: &FakeGitHub, ran: &Ran, action: bool) {
    let request_token = api.id_token_request_token();
    let id_tokens = api.id_tokens();
    let exchanged: Vec<String> = api
        .exchanged_tokens()
        .into_iter()
        .map(|(m, _)| m.token)
        .collect();
    for r in api.requests() {
        let sent = bearer(&r);
        match r.service {
            Service::IdToken => assert_eq!(sent, request_token, "{r:?}"),
            Service::Sts => assert!(id_tokens.iter().any(|t| t == sent), "{r:?}"),
            Service::Api => assert!(
                exchanged.iter().any(|t| t == sent),
                "not an exchanged token: {} {}",
                r.method,
                r.path
            ),
        }
    }
    for (m, revoked) in api.exchanged_tokens() {
        assert!(
            revoked,
            "an exchanged token outlived the step: {:?}",
            m.exchange
        );
    }
    for t in id_tokens.iter().chain(&exchanged).filter(|_| action) {
        ran.assert_masked(t);
    }
    ran.assert_no_leak();
}

#[test]
fn one_repository_with_no_stored_credential() {
    let api = world();
    let ran = keyless(&api).secrets(&[("API_KEY", "fresh-value-1")]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo("acme/api"), "API_KEY")
            .expect("stored")
            .value,
        "fresh-value-1"
    );
    // The request sequence of a keyless run.
    assert_eq!(
        sequence(&api),
        [
            "IdToken GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=127.0.0.1 200",
            "Sts GET /sts/exchange?scope=acme%2Fapi&identity=refresh 200",
            "Api GET /repos/acme/api/actions/secrets/public-key 200",
            "Api PUT /repos/acme/api/actions/secrets/API_KEY 201",
            "Api DELETE /installation/token 204",
        ]
    );
    let exchanged = api.exchanged_tokens();
    assert_eq!(exchanged.len(), 1);
    assert_eq!(exchanged[0].0.repositories, Some(vec!["api".to_owned()]));
    assert_credentials_kept_apart(&api, &ran);
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn nothing_changed_asks_for_nothing_anywhere() {
    let api = world();
    let ran = keyless(&api)
        .secrets(&[("API_KEY", "same-value-1")])
        .current(&[("API_KEY", "same-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api.requests().is_empty(), "{:?}", sequence(&api));
    assert!(api.id_tokens().is_empty(), "no ID token was asked for");
}

#[test]
fn two_repositories_two_exchanges_each_token_writes_its_own() {
    let api = world();
    // acme/web trusts the same workflow of acme/api.
    api.add_trust_policy("acme/web", IDENTITY, policy());
    let ran = keyless(&api)
        .input("repositories", "acme/api\nacme/web")
        .secrets(&[("API_KEY", "fresh-value-2")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for r in ["acme/api", "acme/web"] {
        assert_eq!(
            api.secret(&Scope::repo(r), "API_KEY").expect(r).value,
            "fresh-value-2"
        );
    }
    let exchanged = api.exchanged_tokens();
    let scopes: Vec<(String, Option<Vec<String>>)> = exchanged
        .iter()
        .map(|(m, _)| {
            (
                m.exchange.clone().expect("exchanged").0,
                m.repositories.clone(),
            )
        })
        .collect();
    assert_eq!(
        scopes,
        [
            ("acme/api".to_owned(), Some(vec!["api".to_owned()])),
            ("acme/web".to_owned(), Some(vec!["web".to_owned()])),
        ],
        "one token per repository, none wider than its target"
    );
    // Each repository written with its own token.
    for (repo, (token, _)) in ["acme/api", "acme/web"].iter().zip(&exchanged) {
        for r in api
            .requests()
            .iter()
            .filter(|r| r.path.starts_with(&format!("/repos/{repo}/")))
        {
            assert_eq!(bearer(r), token.token, "{} {}", r.method, r.path);
        }
    }
    assert_eq!(
        api.requests_to(Service::IdToken).len(),
        1,
        "one ID token for both exchanges"
    );
    assert_eq!(api.count("DELETE", "/installation/token"), 2);
    assert_credentials_kept_apart(&api, &ran);
}

#[test]
fn a_pattern_is_resolved_with_the_organisations_token() {
    let api = world();
    api.add_trust_policy(
        "acme",
        IDENTITY,
        policy().repositories(&["service-a", "service-b"]),
    );
    let ran = keyless(&api)
        .input("repositories", "acme/service-*")
        .secrets(&[("API_KEY", "fresh-value-3")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for r in ["acme/service-a", "acme/service-b"] {
        assert_eq!(
            api.secret(&Scope::repo(r), "API_KEY").expect(r).value,
            "fresh-value-3"
        );
    }
    assert!(api.secret(&Scope::repo("acme/other"), "API_KEY").is_none());
    let mut calls = sequence(&api);
    // The two keys are read ahead together: in either order.
    calls[3..5].sort();
    assert_eq!(
        calls,
        [
            "IdToken GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=127.0.0.1 200",
            "Sts GET /sts/exchange?scope=acme&identity=refresh 200",
            "Api GET /installation/repositories 200",
            "Api GET /repos/acme/service-a/actions/secrets/public-key 200",
            "Api GET /repos/acme/service-b/actions/secrets/public-key 200",
            "Api PUT /repos/acme/service-a/actions/secrets/API_KEY 201",
            "Api PUT /repos/acme/service-b/actions/secrets/API_KEY 201",
            "Api DELETE /installation/token 204",
        ]
    );
    assert_credentials_kept_apart(&api, &ran);
}

#[test]
fn a_token_or_the_app_inputs_with_the_exchange_is_an_input_error_before_any_request() {
    let api = world();
    for step in [
        keyless(&api).token(),
        keyless(&api).app(APP_ID),
        keyless(&api).input("sts-identity", ""),
        keyless(&api).input("sts-url", "http://sts.example.com"),
        keyless(&api).input("sts-identity", "../../evil"),
    ] {
        let ran = step.secrets(&[("API_KEY", "fresh-value-4")]).run();
        assert_eq!(ran.code, 2, "{}", ran.transcript());
        assert!(
            ran.stdout
                .contains("::error title=invalid input::input `sts-"),
            "{}",
            ran.stdout
        );
    }
    let ran = keyless(&api)
        .token()
        .secrets(&[("API_KEY", "fresh-value-4")])
        .run();
    assert!(
        ran.stdout
            .contains("give no stored credential with it (neither `token` nor `app-id`)"),
        "{}",
        ran.stdout
    );
    assert!(api.requests().is_empty(), "{:?}", sequence(&api));
}

/// Runs a step expected to fail before any write: exit 1, nothing stored, no token alive, and
/// the error (its lines joined) returned.
pub(crate) fn fails_before_writing(api: &FakeGitHub, step: Step<'_>) -> String {
    let ran = step.secrets(&[("API_KEY", "fresh-value-5")]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(api.secret(&Scope::repo("acme/api"), "API_KEY").is_none());
    assert_eq!(api.count("PUT", "/secrets/"), 0, "{:?}", sequence(api));
    for (m, revoked) in api.exchanged_tokens() {
        assert!(revoked, "{:?}", m.exchange);
    }
    ran.assert_no_leak();
    assert!(
        ran.summary.contains("not attempted"),
        "{}",
        ran.transcript()
    );
    ran.stdout
        .lines()
        .filter(|l| l.starts_with("::error"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn without_id_token_write_the_job_is_told_to_ask_for_it() {
    let api = world();
    let step = keyless(&api)
        .remove_env("ACTIONS_ID_TOKEN_REQUEST_URL")
        .remove_env("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    let error = fails_before_writing(&api, step);
    assert!(
        error.contains("the job needs `permissions: id-token: write`"),
        "{error}"
    );
    assert!(api.requests().is_empty(), "{:?}", sequence(&api));
}

#[test]
fn a_policy_that_does_not_match_names_the_identity_the_scope_and_the_claim() {
    let api = world();
    api.set_oidc_claims(OidcClaims {
        event_name: "workflow_dispatch".into(),
        ..OidcClaims::for_repo("acme/api")
    });
    let error = fails_before_writing(&api, keyless(&api));
    for part in [
        "refused identity `refresh` for scope `acme/api`",
        "answered 403",
        r#"trust policy: claim "event_name" did not match"#,
        "does not match the trust policy `refresh` of acme/api",
    ] {
        assert!(error.contains(part), "{part}: {error}");
    }
    assert!(api.exchanged_tokens().is_empty());
}

#[test]
fn no_trust_policy_says_where_to_put_one() {
    let api = world();
    api.remove_trust_policy("acme/api", IDENTITY);
    let error = fails_before_writing(&api, keyless(&api));
    assert!(
        error.contains(r#"answered 404 (unable to find trust policy for "refresh")"#),
        "{error}"
    );
    assert!(
        error.contains("add `.github/chainguard/refresh.sts.yaml` to acme/api"),
        "{error}"
    );
}

#[test]
fn the_second_exchange_refused_revokes_the_first_token() {
    let api = world();
    // acme/web has no policy: its exchange is refused after acme/api's succeeded.
    let error = fails_before_writing(
        &api,
        keyless(&api).input("repositories", "acme/api\nacme/web"),
    );
    assert!(error.contains("for scope `acme/web`"), "{error}");
    let exchanged = api.exchanged_tokens();
    assert_eq!(exchanged.len(), 1);
    assert!(exchanged[0].1, "the first token was revoked");
}

#[test]
fn the_exchange_down_is_retried_then_named() {
    let api = world();
    api.set_down(Service::Sts, true);
    let error = fails_before_writing(&api, keyless(&api));
    assert!(
        error.contains(&format!("the token exchange {}", api.sts_url())),
        "{error}"
    );
    assert!(error.contains("no answer after 4 attempts"), "{error}");
    assert!(api.requests_to(Service::Api).is_empty());

    let api = world();
    api.inject(
        Fault::new(FaultKind::Status(503))
            .service(Service::Sts)
            .times(10),
    );
    let error = fails_before_writing(&api, keyless(&api));
    assert!(
        error.contains("it answered 503 after 4 attempts; run again later"),
        "{error}"
    );
    assert_eq!(api.requests_to(Service::Sts).len(), 4);

    // One 502, then an answer: retried like the API, and the run goes on.
    let api = world();
    api.inject(
        Fault::new(FaultKind::Status(502))
            .service(Service::Sts)
            .times(1),
    );
    let ran = keyless(&api).secrets(&[("API_KEY", "fresh-value-6")]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests_to(Service::Sts).len(), 2);
    assert_credentials_kept_apart(&api, &ran);
}

#[test]
fn a_write_the_policy_does_not_grant_names_the_trust_policy() {
    let api = world();
    api.add_trust_policy(
        "acme/api",
        IDENTITY,
        TrustPolicy::github_actions(SUBJECT).permission("environments", "write"),
    );
    let ran = keyless(&api).secrets(&[("API_KEY", "fresh-value-7")]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout
            .contains("the trust policy (`sts-identity`) must grant `secrets: write`"),
        "{}",
        ran.stdout
    );
    assert_credentials_kept_apart(&api, &ran);
}

#[test]
fn sync_exchanges_the_jobs_identity_in_a_run_step() {
    let api = world();
    let url = api.url();
    let sts = api.sts_url();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("ACTIONS_ID_TOKEN_REQUEST_URL", &api.id_token_request_url())
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            &api.id_token_request_token(),
        )
        .env("NEW_VALUES", "API_KEY=fresh-value-8")
        .value("fresh-value-8")
        .args(&[
            "sync",
            "--repo",
            "acme/api",
            "--secrets-env",
            "NEW_VALUES",
            "--api-url",
            &url,
            "--sts-url",
            &sts,
            "--sts-identity",
            IDENTITY,
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo("acme/api"), "API_KEY")
            .expect("stored")
            .value,
        "fresh-value-8"
    );
    assert_eq!(api.requests_to(Service::Sts).len(), 1);
    for (_, revoked) in api.exchanged_tokens() {
        assert!(revoked);
    }
    ran.assert_no_leak();

    // With an app too: refused before any request.
    let before = api.requests().len();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("NEW_VALUES", "API_KEY=fresh-value-9")
        .file("app.pem", &AppKey::shared().pkcs1_pem)
        .args(&[
            "sync",
            "--repo",
            "acme/api",
            "--secrets-env",
            "NEW_VALUES",
            "--api-url",
            &url,
            "--sts-url",
            &sts,
            "--sts-identity",
            IDENTITY,
            "--app-id",
            "4242",
            "--app-key-file",
            "app.pem",
        ])
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(
        ran.stderr
            .contains("`--sts-url` exchanges the job's identity"),
        "{}",
        ran.stderr
    );
    assert_eq!(api.requests().len(), before);
}

/// SIGTERM while the exchange is held (the token arrives after the grace) and while a write
/// is held: the exchanged token is revoked either way, the binary exits 143.
#[test]
fn a_cancelled_run_revokes_the_exchanged_token() {
    use std::time::Duration;
    for (method, path) in [("GET", "/sts/exchange"), ("GET", "/public-key")] {
        let api = world();
        let service = if path == "/sts/exchange" {
            Service::Sts
        } else {
            Service::Api
        };
        api.inject(
            Fault::new(FaultKind::Latency(Duration::from_millis(2500)))
                .service(service)
                .method(method)
                .path(path)
                .times(1),
        );
        let step = keyless(&api).secrets(&[("ALPHA", "fresh-value-a"), ("BETA", "fresh-value-b")]);
        let ran = step.run_while(|pid| {
            crate::signal_phase::wait_for_held(&api, Duration::from_secs(60), path);
            let status = std::process::Command::new("kill")
                .args(["-TERM", &pid.to_string()])
                .status()
                .expect("kill");
            assert!(status.success());
        });
        assert_eq!(ran.code, 143, "{path}: {}", ran.transcript());
        assert_eq!(
            api.count("PUT", "/secrets/"),
            0,
            "{path}: {:?}",
            sequence(&api)
        );
        let exchanged = api.exchanged_tokens();
        assert_eq!(exchanged.len(), 1, "{path}");
        assert!(
            exchanged[0].1,
            "{path}: the exchanged token outlived the cancelled run"
        );
        assert!(
            ran.summary.contains("cancelled by SIGTERM"),
            "{}",
            ran.summary
        );
        ran.assert_no_leak();
    }
}

#[test]
fn check_token_proves_the_exchange_the_policy_and_a_write() {
    let api = world();
    let (url, sts) = (api.url(), api.sts_url());
    let check = |api: &FakeGitHub| {
        Step::new(api)
            .remove_env("GITHUB_ACTIONS")
            .env("ACTIONS_ID_TOKEN_REQUEST_URL", &api.id_token_request_url())
            .env(
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                &api.id_token_request_token(),
            )
            .args(&[
                "check-token",
                "--repo",
                "acme/api",
                "--api-url",
                &url,
                "--sts-url",
                &sts,
                "--sts-identity",
                IDENTITY,
            ])
            .run()
    };
    let ran = check(&api);
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("can write: SECRET_REFRESH_CHECK_"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "OK: the token exchange works (checked with 6 requests; the token was revoked)"
        ),
        "{}",
        ran.stdout
    );
    let calls: Vec<String> = sequence(&api)
        .into_iter()
        .map(|c| {
            // The throwaway secret's name is random.
            match c.find("SECRET_REFRESH_CHECK_") {
                Some(at) => format!("{}NAME{}", &c[..at], &c[at + 29..]),
                None => c,
            }
        })
        .collect();
    assert_eq!(
        calls,
        [
            "IdToken GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=127.0.0.1 200",
            "Sts GET /sts/exchange?scope=acme%2Fapi&identity=refresh 200",
            "Api GET /repos/acme/api/actions/secrets/public-key 200",
            "Api PUT /repos/acme/api/actions/secrets/NAME 201",
            "Api DELETE /repos/acme/api/actions/secrets/NAME 204",
            "Api DELETE /installation/token 204",
        ]
    );
    assert!(
        api.secrets(&Scope::repo("acme/api")).is_empty(),
        "nothing left behind"
    );
    assert_kept_apart(&api, &ran, false);

    // A policy that does not match: exit 1, the refusal named, nothing written.
    let api = world();
    api.set_oidc_claims(OidcClaims {
        event_name: "pull_request".into(),
        ..OidcClaims::for_repo("acme/api")
    });
    let ran = check(&api);
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stderr
            .contains("refused identity `refresh` for scope `acme/api`"),
        "{}",
        ran.stderr
    );
    assert_eq!(api.count("PUT", "/secrets/"), 0);
}

/// A hostile exchange and API that echo what they are sent (the ID token, the exchanged token,
/// the value) in every answer: nothing of it reaches the output, whether the exchange refuses
/// (its message carries the ID token back) or the run writes.
#[test]
fn echoed_credentials_are_redacted_everywhere() {
    let api = world();
    api.hostile_echo(true);
    let ran = keyless(&api)
        .secrets(&[("API_KEY", "fresh-value-echo")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(
        api.requests_to(Service::Sts)
            .iter()
            .any(|r| r.echoed.iter().any(|e| e == "token")),
        "the exchange echoed the ID token"
    );
    assert_credentials_kept_apart(&api, &ran);

    let api = world();
    api.hostile_echo(true);
    api.remove_trust_policy("acme/api", IDENTITY);
    let ran = keyless(&api)
        .secrets(&[("API_KEY", "fresh-value-echo")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("unable to find trust policy"),
        "{}",
        ran.stdout
    );
    ran.assert_no_leak();
    for t in api.id_tokens() {
        for part in t.split('.').filter(|p| p.len() >= 16) {
            for text in [&ran.stdout, &ran.stderr, &ran.summary] {
                let masked: String = text
                    .lines()
                    .filter(|l| !l.starts_with("::add-mask::"))
                    .collect();
                assert!(
                    !masked.contains(part),
                    "a part of the ID token leaked:\n{text}"
                );
            }
        }
    }
}

/// Preflight works keyless too: the exchange proves the policy matches, and a throwaway secret
/// (an exchanged token's permissions cannot be read back) proves the write, deleted before the
/// token is revoked. Seven requests for one repository.
#[test]
fn preflight_proves_the_exchange_and_a_write_before_the_tests_run() {
    let api = world();
    let ran = keyless(&api).input("preflight", "true").run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let shape: Vec<String> = sequence(&api)
        .into_iter()
        .map(|c| match c.find("SECRET_REFRESH_PREFLIGHT_") {
            Some(at) => format!("{}SECRET_REFRESH_PREFLIGHT_*{}", &c[..at], &c[at + 41..]),
            None => c,
        })
        .collect();
    assert_eq!(
        shape,
        [
            "IdToken GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=127.0.0.1 200",
            "Sts GET /sts/exchange?scope=acme%2Fapi&identity=refresh 200",
            "Api GET /repos/acme/api/actions/secrets/public-key 200",
            "Api GET /repos/acme/api/actions/secrets 200",
            "Api PUT /repos/acme/api/actions/secrets/SECRET_REFRESH_PREFLIGHT_* 201",
            "Api DELETE /repos/acme/api/actions/secrets/SECRET_REFRESH_PREFLIGHT_* 204",
            "Api DELETE /installation/token 204",
        ]
    );
    assert!(api
        .secrets(&Scope::repo("acme/api"))
        .iter()
        .all(|(name, _)| !name.starts_with("SECRET_REFRESH_PREFLIGHT_")));
    assert!(ran.output("stored-at").contains("acme/api"));
    assert_credentials_kept_apart(&api, &ran);

    // A policy that does not grant the write fails the preflight, naming the repository.
    let api = world();
    api.add_trust_policy(
        "acme/api",
        IDENTITY,
        TrustPolicy::github_actions(SUBJECT).permission("environments", "write"),
    );
    let ran = keyless(&api).input("preflight", "true").run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("::error title=preflight%3A acme/api::"),
        "{}",
        ran.stdout
    );
    assert_credentials_kept_apart(&api, &ran);
}

/// Keyless preflight's requests grow by six per repository named exactly: one ID token for the
/// run, then per repository its exchange, key, listing, throwaway `PUT` and `DELETE` (each
/// with that repository's own token), and its revocation: 1 + 6N, 13 for two.
#[test]
fn keyless_preflight_costs_one_plus_six_requests_per_repository() {
    let api = world();
    api.add_trust_policy("acme/web", IDENTITY, policy());
    let ran = keyless(&api)
        .input("preflight", "true")
        .input("repositories", "acme/api\nacme/web")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 13, "{:#?}", sequence(&api));
    assert_eq!(api.requests_to(Service::IdToken).len(), 1);
    assert_eq!(api.requests_to(Service::Sts).len(), 2);
    let exchanged = api.exchanged_tokens();
    assert_eq!(exchanged.len(), 2);
    let requests = api.requests();
    for (repo, (token, _)) in ["acme/api", "acme/web"].iter().zip(&exchanged) {
        let path = format!("/repos/{repo}/actions/secrets/SECRET_REFRESH_PREFLIGHT_");
        for method in ["PUT", "DELETE"] {
            let sent: Vec<&Recorded> = requests
                .iter()
                .filter(|r| r.method == method && r.path.starts_with(&path))
                .collect();
            assert_eq!(sent.len(), 1, "{method} {repo}: {:#?}", sequence(&api));
            assert_eq!(bearer(sent[0]), token.token, "{method} {repo}");
        }
        assert!(api
            .secrets(&Scope::repo(repo))
            .iter()
            .all(|(name, _)| !name.starts_with("SECRET_REFRESH_PREFLIGHT_")));
    }
    assert_eq!(api.count("DELETE", "/installation/token"), 2);
    let stored_at = ran.output("stored-at");
    assert!(stored_at.contains("acme/api") && stored_at.contains("acme/web"));
    assert_credentials_kept_apart(&api, &ran);
}
