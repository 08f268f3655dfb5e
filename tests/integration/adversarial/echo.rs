//! Adversarial scenarios: see `mod.rs`. A server that echoes what it was sent.
//!
//! The fake's hostile echo mode (`FakeGitHub::hostile_echo`) writes every request's bearer
//! token, sealed value, the plaintext that value opens to, and revocation credentials back into
//! its answers, in every form `fake_github::echo::forms` lists: raw, JSON-escaped (both ways),
//! URL- and form-encoded, base64 and base64url, and prefixes and suffixes of it. Answers that
//! fail carry them in GitHub's `message`, which the tool shows. Every sink is then scanned for
//! every form of every token and value (`leak_check::assert_no_leak_in_any_form`): stdout (its
//! masks aside), stderr, the outputs file, the summary file, the audit log, and the rotation and
//! delete records. The runner would mask some of these forms in its log; our own files get no
//! runner at all.

use fake_github::{Fault, FaultKind, Scope, TokenSpec};

use crate::common::{cli_as, fake, Ran, Step, TOKEN};
use crate::leak_check::assert_no_leak_in_any_form;

/// A value with characters every encoding changes: a quote, a slash, spaces, a percent sign, a
/// non-ASCII letter, HTML, long enough for its every cut to count.
const VALUE: &str = "refreshed \"session\"/é 100% token=AbCdEf0123456789 <tail> & more";
const OTHER: &str = "another-value-that-stays-unchanged-0123456789";

/// Every sink of a run, the records file at `records` (relative to the workspace) included.
fn sinks(ran: &Ran, records: Option<&str>) -> Vec<(&'static str, String)> {
    let mut all = vec![
        ("stderr", ran.stderr.clone()),
        ("outputs", ran.outputs_raw.clone()),
        ("summary", ran.summary.clone()),
        ("audit log", ran.audit.clone()),
    ];
    if let Some(path) = records {
        let text = std::fs::read_to_string(ran.workspace.join(path)).unwrap_or_default();
        assert!(
            !text.is_empty(),
            "no records were written: {}",
            ran.screen()
        );
        all.push(("records", text));
    }
    all
}

fn assert_clean(ran: &Ran, records: Option<&str>, values: &[String]) {
    let sinks = sinks(ran, records);
    let named: Vec<(&str, &str)> = sinks.iter().map(|(n, t)| (*n, t.as_str())).collect();
    assert_no_leak_in_any_form(&ran.stdout, &named, values);
}

/// The action writes with a token while every answer echoes it and the values; one write is
/// refused (422), so GitHub's message, full of echoes, reaches the annotation, the summary and
/// the audit log. Nothing of the token or the value survives there in any form.
#[test]
fn an_echoed_token_and_value_reach_no_sink_of_the_action_in_any_form() {
    let api = fake();
    api.hostile_echo(true);
    api.inject(Fault::new(FaultKind::Status(422)).on("PUT", "/actions/secrets/REFRESHED"));
    let ran = Step::new(&api)
        .token()
        .secrets(&[("REFRESHED", VALUE), ("OTHER", OTHER)])
        .input("audit-log", "audit.jsonl")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    let echoed = api
        .requests()
        .iter()
        .filter(|r| !r.echoed.is_empty())
        .count();
    assert!(echoed >= 3, "the fake echoed {echoed} answers");
    assert!(
        ran.stdout.contains("(received") && ran.summary.contains("received"),
        "GitHub's message is shown: {}",
        ran.screen()
    );
    assert!(!ran.audit.is_empty(), "{}", ran.screen());
    assert_clean(&ran, None, &[TOKEN.into(), VALUE.into(), OTHER.into()]);
}

/// The same with a GitHub App: the JWT and the minted installation token are echoed by every
/// answer (the mint's own answer included); neither reaches a sink.
#[test]
fn an_echoed_jwt_and_minted_token_reach_no_sink_in_any_form() {
    let api = fake();
    api.add_app(4242, &fake_github::AppKey::shared().public_pem);
    api.add_installation(
        4242,
        "acme",
        None,
        &[("secrets", "write"), ("metadata", "read")],
    );
    api.hostile_echo(true);
    api.inject(Fault::new(FaultKind::Status(422)).on("PUT", "/actions/secrets/"));
    let ran = Step::new(&api)
        .app(4242)
        .secrets(&[("REFRESHED", VALUE)])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    let mut values = vec![VALUE.to_owned()];
    for (minted, revoked) in api.minted_tokens() {
        assert!(revoked, "a minted token outlived the step");
        values.push(minted.token);
    }
    assert!(values.len() >= 2, "nothing was minted: {}", ran.screen());
    // The JWTs the app signed, as the fake received them.
    values.extend(
        api.requests()
            .iter()
            .filter(|r| r.path.starts_with("/app"))
            .filter_map(|r| r.authorization.clone())
            .filter_map(|a| a.strip_prefix("Bearer ").map(str::to_owned)),
    );
    assert_clean(&ran, None, &values);
}

/// `rotate` with an echoing server: one target's write is refused, its message full of the new
/// token (the value written) and the writing token; the other target's read-back echoes too.
/// Neither token reaches stdout, stderr or the rotation record in any form.
#[test]
fn rotate_shows_no_echoed_token_on_screen_or_in_its_record() {
    const NEW: &str = "github_pat_11ECHO0000_rotatedTokenValue0123456789abcdefXYZ";
    let api = fake();
    api.add_repo("acme/web");
    api.add_token(NEW, TokenSpec::fine_grained_all("octo"));
    api.hostile_echo(true);
    api.inject(Fault::new(FaultKind::Status(422)).on("PUT", "/repos/acme/api/"));
    // The step holds the workspace the records are in: kept until they are read.
    let step = cli_as(
        &api,
        TOKEN,
        &[
            "rotate",
            "PAT_TOKEN",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--keep-going",
            "--audit-log",
            "rotation.jsonl",
        ],
    )
    .value(NEW)
    .stdin(NEW);
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(ran.stderr.contains("received"), "{}", ran.screen());
    assert_clean(&ran, Some("rotation.jsonl"), &[TOKEN.into(), NEW.into()]);
}

/// `delete` with an echoing server: the refused delete's message echoes the token; stderr and
/// the delete records hold none of it.
#[test]
fn delete_shows_no_echoed_token_on_screen_or_in_its_records() {
    let api = fake();
    api.set_secret(
        &Scope::repo("acme/api"),
        "OLD_SECRET",
        "whatever-it-was-0123456789",
    );
    api.hostile_echo(true);
    api.inject(Fault::new(FaultKind::Status(422)).on("DELETE", "/actions/secrets/OLD_SECRET"));
    let step = cli_as(
        &api,
        TOKEN,
        &[
            "delete",
            "OLD_SECRET",
            "--repo",
            "acme/api",
            "--yes",
            "--audit-log",
            "deleted.jsonl",
        ],
    );
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(ran.stderr.contains("received"), "{}", ran.screen());
    assert_clean(&ran, Some("deleted.jsonl"), &[TOKEN.into()]);
}

/// `set`, `status` and `check-token` against an echoing server: the refused write's message,
/// the listing's descriptions and the account's name carry the token and the value back;
/// nothing of either reaches stdout or stderr in any form.
#[test]
fn set_status_and_check_token_show_no_echoed_token_or_value() {
    let api = fake();
    api.set_secret(&Scope::repo("acme/api"), "STORED", OTHER);
    api.hostile_echo(true);
    api.inject(Fault::new(FaultKind::Status(422)).on("PUT", "/actions/secrets/REFRESHED"));
    let set = cli_as(&api, TOKEN, &["set", "REFRESHED", "--repo", "acme/api"])
        .stdin(VALUE)
        .value(VALUE)
        .run();
    assert_eq!(set.code, 1, "{}", set.screen());
    assert!(set.stderr.contains("received"), "{}", set.screen());
    assert_clean(&set, None, &[TOKEN.into(), VALUE.into()]);

    // Each refused once, so GitHub's message (full of echoes) is shown.
    for args in [
        &["status", "STORED", "--repo", "acme/api"][..],
        &["check-token", "--repo", "acme/api"][..],
    ] {
        api.clear_requests();
        api.inject(Fault::new(FaultKind::Status(403)).on("GET", "/actions/secrets"));
        let ran = cli_as(&api, TOKEN, args).run();
        assert!(
            api.requests().iter().any(|r| !r.echoed.is_empty()),
            "{args:?}: nothing was echoed"
        );
        assert!(
            ran.screen().contains("received"),
            "{args:?}: GitHub's message is shown: {}",
            ran.screen()
        );
        assert_clean(&ran, None, &[TOKEN.into()]);
    }
}

/// Keyless against an echoing runner, exchange and API: the ID-token service echoes the
/// request token, the exchange the ID token, the API each exchanged token and the sealed value
/// and its plaintext; a refused write carries them into the message the log, the summary and the
/// audit log show. No form of any of them reaches a sink.
#[test]
fn keyless_shows_no_echoed_request_token_id_token_or_exchanged_token_in_any_form() {
    let api = crate::keyless::world();
    api.hostile_echo(true);
    api.inject(Fault::new(FaultKind::Status(422)).on("PUT", "/actions/secrets/REFRESHED"));
    let ran = crate::keyless::keyless(&api)
        .secrets(&[("REFRESHED", VALUE)])
        .input("audit-log", "audit.jsonl")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(ran.stdout.contains("(received"), "{}", ran.screen());
    assert!(!ran.audit.is_empty(), "{}", ran.screen());
    let mut values = vec![VALUE.to_owned(), api.id_token_request_token()];
    values.extend(api.id_tokens());
    for (exchanged, revoked) in api.exchanged_tokens() {
        assert!(revoked, "an exchanged token outlived the step");
        values.push(exchanged.token);
    }
    assert!(values.len() >= 4, "no exchange: {}", ran.screen());
    assert_clean(&ran, None, &values);
}
