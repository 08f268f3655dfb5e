//! Adversarial scenarios: see `mod.rs`. A hostile token exchange (`sts-url`): what it answers is
//! checked for shape before a token is used, masked or sent anywhere (trimmed when only
//! whitespace surrounds it); a redirect is never followed with the job's ID token; its text can
//! become no workflow command; an endless answer stops at the service cap.

use fake_github::{Fault, FaultKind, Service};

use crate::adversarial::hostile::hostile;
use crate::adversarial::output::{assert_inert, HOSTILE};
use crate::keyless::{assert_credentials_kept_apart, fails_before_writing, keyless, world};

fn at_exchange(kind: FaultKind) -> Fault {
    Fault::new(kind).service(Service::Sts)
}

/// An exchanged token with whitespace around it is trimmed, then used, masked and revoked
/// like any other (refused, it would have stayed alive for the hour).
#[test]
fn an_exchanged_token_with_whitespace_around_it_is_trimmed_used_and_revoked() {
    let api = world();
    api.inject(at_exchange(FaultKind::Hostile {
        find: "ghs_".into(),
        replace: " \r\n\tghs_".into(),
    }));
    let ran = keyless(&api)
        .secrets(&[("API_KEY", "fresh-value-adversary-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let rewritten = api
        .requests_to(Service::Sts)
        .iter()
        .filter(|r| r.fault.as_deref() == Some("hostile"))
        .count();
    assert_eq!(rewritten, 1, "the exchange's answer was not rewritten");
    assert_eq!(api.count("PUT", "/secrets/"), 1);
    assert_eq!(api.exchanged_tokens().len(), 1);
    // Every API request carried the trimmed token; it was revoked, masked, and leaked nowhere.
    assert_credentials_kept_apart(&api, &ran);
}

/// An exchange that answers something other than an installation token — a PAT, a token with
/// a line that starts a workflow command, the wrong JSON shape — gets nothing used, masked or
/// sent: the run fails before any write and says the answer held no installation token.
#[test]
fn an_exchange_answer_that_is_no_installation_token_is_never_used_nor_masked() {
    let cases: Vec<(&str, FaultKind)> = vec![
        (
            "a PAT",
            FaultKind::Hostile {
                find: "ghs_".into(),
                replace: "ghp_".into(),
            },
        ),
        (
            "a workflow command",
            FaultKind::Hostile {
                find: "ghs_".into(),
                replace: "ghs_x\n::add-mask::hijack\n".into(),
            },
        ),
        (
            "an array",
            FaultKind::Raw {
                status: 200,
                headers: vec![("content-type".into(), b"application/json".to_vec())],
                body: br#"{"token": ["ghs_16C7e42F292c6912E7710c838347Ae178B4a"]}"#.to_vec(),
            },
        ),
    ];
    for (what, kind) in cases {
        let api = world();
        api.inject(at_exchange(kind));
        let ran = keyless(&api)
            .secrets(&[("API_KEY", "fresh-value-adversary-3")])
            .run();
        assert_eq!(ran.code, 1, "{what}: {}", ran.transcript());
        assert!(
            ran.stdout.contains("holds no GitHub installation token"),
            "{what}: {}",
            ran.transcript()
        );
        assert!(
            !ran.stdout
                .lines()
                .any(|l| l.starts_with("::add-mask::ghp_") || l.contains("hijack")),
            "{what}: the answer was registered as a mask: {}",
            ran.stdout
        );
        // The token the fake exchanged before its answer was rewritten never reached us: the
        // rewritten answer is all we had, and none of it may show.
        let mut ran = ran;
        for (m, _) in api.exchanged_tokens() {
            ran = ran.value(&m.token.replacen("ghs_", "ghp_", 1));
        }
        ran.assert_no_leak();
        let api_requests = api.requests_to(Service::Api);
        assert!(
            api_requests.is_empty(),
            "{what}: the answer reached the API: {api_requests:?}"
        );
    }
}

/// A redirect from the exchange to another host is not followed: the job's ID token reaches
/// the named exchange only, and the other host hears nothing.
#[test]
fn an_exchange_redirect_to_another_host_gets_no_id_token() {
    let elsewhere = hostile(|_, _| (200, Vec::new(), br#"{"token":"ghs_x"}"#.to_vec()));
    for status in [301, 302, 307, 308] {
        let api = world();
        api.inject(at_exchange(FaultKind::Redirect {
            status,
            location: format!("{}/sts/exchange?scope=acme%2Fapi", elsewhere.url),
        }));
        let error = fails_before_writing(&api, keyless(&api));
        assert!(error.contains(&status.to_string()), "{status}: {error}");
    }
    let seen = elsewhere.seen.lock().expect("lock").clone();
    assert!(seen.is_empty(), "the redirect was followed: {seen:?}");
}

/// The exchange's refusal is shown (it names the policy problem), but its text can start no
/// workflow command, register no mask, and carry no terminal escape or live HTML.
#[test]
fn an_exchange_refusal_becomes_no_workflow_command() {
    let api = world();
    let body = serde_json::json!({ "message": format!("refused {HOSTILE}") });
    api.inject(at_exchange(FaultKind::Raw {
        status: 403,
        headers: vec![("content-type".into(), b"application/json".to_vec())],
        body: body.to_string().into_bytes(),
    }));
    let ran = keyless(&api)
        .secrets(&[("API_KEY", "fresh-value-adversary-2")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stdout.contains("refused"), "{}", ran.transcript());
    assert_inert(&ran);
    assert_eq!(api.count("PUT", "/secrets/"), 0);
    ran.assert_no_leak();
}

/// An endless answer from the exchange is read no further than the services' cap (64 KiB)
/// and fails the run before any write.
#[test]
fn an_endless_exchange_answer_stops_at_the_cap() {
    let api = world();
    api.inject(at_exchange(FaultKind::Endless { status: 200 }).times(10));
    let error = fails_before_writing(&api, keyless(&api));
    assert!(error.contains("larger than"), "{error}");
}
