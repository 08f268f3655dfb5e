//! The action end to end (issue: compare, mask, write repository secrets, skip quietly).

use fake_github::{Fault, FaultKind, Scope, TokenSpec};

use crate::common::{fake, Step, REPO, TOKEN};

fn session_files(step: Step) -> Step {
    step.input("files", ".cache/session/*.token")
        .input("prefix", "MOOGO_CACHED_")
        .file(".cache/session/device.token", "device-session-v2\n")
        .file(".cache/session/refresh.token", "refresh-session-same\n")
        .file(".cache/session/account.token", "account-session-new\r\n")
}

fn current_for_session(step: Step) -> Step {
    step.current(&[
        ("github_token", "ghs_runner_token_value"),
        ("PAT_TOKEN", TOKEN),
        ("MOOGO_CACHED_DEVICE", "device-session-v1"),
        ("moogo_cached_refresh", "refresh-session-same"),
    ])
}

#[test]
fn no_token_skips_quietly_with_zero_requests() {
    let api = fake();
    let ran = current_for_session(session_files(Step::new(&api))).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert_eq!(ran.output("skipped"), "true");
    assert_eq!(ran.output("skip-reason"), "no-token");
    assert_eq!(ran.output("changed"), "true");
    assert_eq!(ran.output("updated"), "[]");
    assert_eq!(ran.output("unchanged"), r#"["MOOGO_CACHED_REFRESH"]"#);
    assert!(!ran.stdout.contains("::warning"), "no warning annotation");
    assert!(!ran.stdout.contains("::error"));
    // A notice on the run page names the input and what was not written: a misspelled
    // `secrets.PAT_TOKN` is seen without turning a fork's run red.
    let notice = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("::notice "))
        .unwrap_or_else(|| panic!("no notice: {}", ran.stdout));
    for said in [
        "`token`",
        "MOOGO_CACHED_ACCOUNT and MOOGO_CACHED_DEVICE",
        "2 changed secrets",
    ] {
        assert!(notice.contains(said), "{said}: {notice}");
    }
    ran.assert_no_leak();
    for v in [
        "device-session-v2",
        "account-session-new",
        "device-session-v1",
    ] {
        ran.assert_masked(v);
    }
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn nothing_changed_costs_zero_requests() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .secrets(&[("A", "one"), ("B", "two")])
        .current(&[("A", "one"), ("b", "two")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert_eq!(ran.output("changed"), "false");
    assert_eq!(ran.output("skipped"), "false");
    assert_eq!(ran.output("skip-reason"), "");
    assert_eq!(ran.output("unchanged"), r#"["A","B"]"#);
    ran.assert_no_leak();
    ran.assert_masked(TOKEN);
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn writes_exactly_the_changed_secrets_with_one_key_request() {
    let api = fake();
    let repo = Scope::repo(REPO);
    api.set_secret(&repo, "MOOGO_CACHED_DEVICE", "device-session-v1");
    api.set_secret(&repo, "MOOGO_CACHED_REFRESH", "refresh-session-same");
    let ran = current_for_session(session_files(Step::new(&api).token())).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());

    let requests = api.requests();
    let shape: Vec<(String, String, u16)> = requests
        .iter()
        .map(|r| (r.method.clone(), r.path.clone(), r.status))
        .collect();
    assert_eq!(
        shape,
        [
            (
                "GET".into(),
                "/repos/acme/api/actions/secrets/public-key".into(),
                200
            ),
            (
                "PUT".into(),
                "/repos/acme/api/actions/secrets/MOOGO_CACHED_ACCOUNT".into(),
                201
            ),
            (
                "PUT".into(),
                "/repos/acme/api/actions/secrets/MOOGO_CACHED_DEVICE".into(),
                204
            ),
        ]
    );
    assert_eq!(
        api.secret(&repo, "MOOGO_CACHED_DEVICE").map(|s| s.value),
        Some("device-session-v2".into())
    );
    assert_eq!(
        api.secret(&repo, "MOOGO_CACHED_ACCOUNT").map(|s| s.value),
        Some("account-session-new".into())
    );
    let refresh = api.secret(&repo, "MOOGO_CACHED_REFRESH").expect("kept");
    assert_eq!(refresh.writes, 0, "unchanged secret was not written");
    assert_eq!(ran.output("changed"), "true");
    assert_eq!(ran.output("skipped"), "false");
    assert_eq!(
        ran.output("updated"),
        r#"["acme/api:MOOGO_CACHED_ACCOUNT","acme/api:MOOGO_CACHED_DEVICE"]"#
    );
    for r in &requests {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        assert!(
            !r.body.contains("session"),
            "plaintext on the wire: {}",
            r.body
        );
    }
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn empty_current_writes_everything() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .secrets(&[("A", "one"), ("B", "two")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", "public-key"), 1);
    assert_eq!(api.count("PUT", "/secrets/"), 2);
    assert_eq!(ran.output("changed"), "true");
    assert_eq!(ran.output("updated"), r#"["acme/api:A","acme/api:B"]"#);
    assert_eq!(ran.output("updated-names"), r#"["A","B"]"#);
    ran.assert_no_leak();
}

#[test]
fn dry_run_reports_and_writes_nothing() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input("dry-run", "true")
        .secrets(&[("A", "one"), ("B", "two")])
        .current(&[("A", "one")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // With a token, the dry run reads what the real run would read: the target's public key.
    assert_eq!(
        crate::common::calls(&api),
        ["GET /repos/acme/api/actions/secrets/public-key 200"]
    );
    assert!(api.writes().is_empty());
    assert_eq!(ran.output("skipped"), "true");
    assert_eq!(ran.output("skip-reason"), "dry-run");
    assert_eq!(ran.output("updated"), "[]");
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn multi_line_and_json_looking_values_round_trip() {
    let api = fake();
    let pem = "-----BEGIN KEY-----\nMIIBszCCAVmgAwIBAgIU\nq83h5f2kLm9==\n-----END KEY-----";
    let json_like = r#"{"access":"a.b.c","expires":"2099-01-01","pct":"100%"}"#;
    let secrets =
        serde_json::json!({ "PEM_KEY": pem, "SESSION_JSON": json_like, "CR": "a\r\nb%0A" });
    let ran = Step::new(&api)
        .token()
        .input("secrets", &secrets.to_string())
        .value(pem)
        .value(json_like)
        .value("a\r\nb%0A")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let repo = Scope::repo(REPO);
    assert_eq!(
        api.secret(&repo, "PEM_KEY").map(|s| s.value),
        Some(pem.into())
    );
    assert_eq!(
        api.secret(&repo, "SESSION_JSON").map(|s| s.value),
        Some(json_like.into())
    );
    assert_eq!(
        api.secret(&repo, "CR").map(|s| s.value),
        Some("a\r\nb%0A".into())
    );
    ran.assert_masked(pem);
    ran.assert_masked(json_like);
    // Each line of a multi-line value is masked on its own too.
    assert!(ran.stdout.contains("::add-mask::MIIBszCCAVmgAwIBAgIU\n"));
    // `%` is escaped so the runner masks the value itself, not its unescaped form.
    assert!(ran.stdout.contains("::add-mask::a%0D%0Ab%250A\n"));
    ran.assert_no_leak();
}

#[test]
fn lines_format_keeps_everything_after_the_first_equals() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input(
            "secrets",
            "# new values\r\n\r\n  URL = https://x/?a=b&c=d\r\nPLAIN=p",
        )
        .value("https://x/?a=b&c=d")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let repo = Scope::repo(REPO);
    assert_eq!(
        api.secret(&repo, "URL").map(|s| s.value),
        Some(" https://x/?a=b&c=d".into())
    );
    assert_eq!(
        api.secret(&repo, "PLAIN").map(|s| s.value),
        Some("p".into())
    );
}

/// Each bad input: a clear error naming the input and secret, exit 2, zero requests.
#[test]
fn every_validation_error_is_clear_and_writes_nothing() {
    let big = "x".repeat(49_153);
    let api = fake();
    let cases: Vec<(&str, Step)> = vec![
        (
            "invalid name",
            Step::new(&api)
                .token()
                .secrets(&[("BAD-NAME", "v4lue-one")]),
        ),
        (
            "reserved prefix",
            Step::new(&api)
                .token()
                .secrets(&[("github_pat", "v4lue-two")]),
        ),
        (
            "leading digit",
            Step::new(&api).token().secrets(&[("1ABC", "v4lue-three")]),
        ),
        (
            "duplicate across secrets and files",
            Step::new(&api)
                .token()
                .secrets(&[("moogo_cached_device", "v4lue-four")])
                .input("files", ".cache/*.token")
                .input("prefix", "MOOGO_CACHED_")
                .file(".cache/device.token", "file-value-1"),
        ),
        (
            "empty value",
            Step::new(&api).token().input("secrets", "EMPTY="),
        ),
        (
            "too large",
            Step::new(&api)
                .token()
                .input("secrets", &format!("BIG={big}")),
        ),
        (
            "malformed JSON",
            Step::new(&api)
                .token()
                .input("secrets", "{\"A\": \"s3cret-in-bad-json\",")
                .value("s3cret-in-bad-json"),
        ),
        (
            "JSON value not a string",
            Step::new(&api).token().input("secrets", "{\"A\": 12345}"),
        ),
        (
            "line without equals",
            Step::new(&api)
                .token()
                .input("secrets", "A=ok-value\nthis-line-is-a-value")
                .value("this-line-is-a-value"),
        ),
        (
            "NAME=glob matching several files",
            Step::new(&api)
                .token()
                .input("files", "SESSION=.cache/*.token")
                .file(".cache/a.token", "file-value-2")
                .file(".cache/b.token", "file-value-3"),
        ),
        (
            "file matching nothing with if-no-files-found error",
            Step::new(&api)
                .token()
                .input("files", "missing/*.token")
                .input("if-no-files-found", "error"),
        ),
        (
            "api-url not https",
            Step::new(&api)
                .token()
                .secrets(&[("A", "v4lue-five")])
                .input("api-url", "http://api.example.com"),
        ),
        (
            "bad boolean",
            Step::new(&api)
                .token()
                .secrets(&[("A", "v4lue-six")])
                .input("dry-run", "yes"),
        ),
        (
            "bad repository",
            Step::new(&api)
                .token()
                .secrets(&[("A", "v4lue-seven")])
                .input("repository", "not a repo"),
        ),
    ];
    let mut transcript = String::new();
    for (what, step) in cases {
        let ran = step.run();
        assert_eq!(ran.code, 2, "{what}: {}", ran.transcript());
        assert!(
            ran.stdout.contains("::error title=invalid input::"),
            "{what}"
        );
        assert!(ran.outputs.is_empty(), "{what}: no outputs on input errors");
        ran.assert_no_leak();
        let errors: Vec<String> = ran
            .redact(&ran.stdout)
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .map(str::to_owned)
            .collect();
        transcript.push_str(&format!("## {what}\n{}\n\n", errors.join("\n")));
    }
    assert_eq!(api.requests().len(), 0, "no case made a request");
    insta::assert_snapshot!(transcript);
}

#[test]
fn invalid_inputs_make_no_request() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .secrets(&[("OK", "fine-value"), ("BAD-NAME", "other-value")])
        .run();
    assert_eq!(ran.code, 2);
    assert_eq!(api.requests().len(), 0);
    ran.assert_masked("fine-value");
    ran.assert_masked("other-value");
    ran.assert_no_leak();
}

#[test]
fn no_files_found_warns_by_default_and_ignores_on_request() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input("files", "missing/*.token")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(ran.stdout.contains(
        "::warning title=secret-refresh::input `files`, line 1: no file matches `missing/*.token`"
    ));
    let ran = Step::new(&api)
        .token()
        .input("files", "missing/*.token")
        .input("if-no-files-found", "ignore")
        .run();
    assert_eq!(ran.code, 0);
    assert!(!ran.stdout.contains("::warning"));
    assert_eq!(api.requests().len(), 0);
}

fn failing_write(api: &fake_github::FakeGitHub, token: &str) -> crate::common::Ran {
    Step::new(api)
        .token_value(token)
        .secrets(&[("SESSION", "session-value-x")])
        .run()
}

#[test]
fn http_failures_name_the_secret_the_repository_and_the_fix() {
    let mut transcript = String::new();

    let api = fake();
    let ran = failing_write(&api, "ghp_unknownTokenValue0000000000000000000");
    assert_eq!(ran.code, 1);
    assert_eq!(api.requests().len(), 1, "401 is not retried");
    ran.assert_no_leak();
    transcript.push_str(&format!("## 401\n{}\n\n", ran.redact(&ran.stdout)));

    let api = fake();
    api.add_token(
        "ghs_workflowTokenValue000000000000000000",
        TokenSpec::github_token(),
    );
    let ran = failing_write(&api, "ghs_workflowTokenValue000000000000000000");
    assert_eq!(ran.code, 1);
    assert!(ran.stdout.contains("GITHUB_TOKEN can never write secrets"));
    ran.assert_no_leak();
    transcript.push_str(&format!("## 403\n{}\n\n", ran.redact(&ran.stdout)));

    let api = fake();
    api.add_token(
        "ghp_noScopeTokenValue0000000000000000000",
        TokenSpec::classic("octo", &[]),
    );
    let ran = failing_write(&api, "ghp_noScopeTokenValue0000000000000000000");
    assert_eq!(ran.code, 1);
    ran.assert_no_leak();
    transcript.push_str(&format!("## 404\n{}\n\n", ran.redact(&ran.stdout)));

    let api = fake();
    api.inject(
        Fault::new(FaultKind::Status(422))
            .on("PUT", "/secrets/SESSION")
            .times(2),
    );
    let ran = failing_write(&api, TOKEN);
    assert_eq!(ran.code, 1);
    // A 422 refetches the key once; the key did not rotate, so the write is not repeated.
    assert_eq!(api.count("GET", "public-key"), 2);
    assert_eq!(api.count("PUT", "/secrets/SESSION"), 1);
    ran.assert_no_leak();
    transcript.push_str(&format!(
        "## 422\n{}\n--- summary\n{}\n",
        ran.redact(&ran.stdout),
        ran.summary
    ));
    assert_eq!(ran.output("skipped"), "false");
    assert_eq!(ran.output("updated"), "[]");
    insta::assert_snapshot!(transcript);
}

#[test]
fn token_goes_only_to_the_api() {
    let api = fake();
    let ran = Step::new(&api).token().secrets(&[("A", "a-value-1")]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for r in api.requests() {
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Bearer {TOKEN}").as_str())
        );
    }
    ran.assert_masked(TOKEN);
    ran.assert_no_leak();
}

/// GitHub asks every client to name itself: each request carries exactly one User-Agent, ours
/// (octocrab's default builder would append its own `octocrab`).
#[test]
fn every_request_names_the_tool_once() {
    let api = fake();
    let ran = Step::new(&api).token().secrets(&[("A", "a-value-1")]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let requests = api.requests();
    assert_eq!(requests.len(), 2, "public key + one write");
    let expected = format!("secret-refresh/{}", env!("CARGO_PKG_VERSION"));
    for r in requests {
        assert_eq!(
            r.user_agents,
            vec![expected.clone()],
            "{} {}",
            r.method,
            r.path
        );
    }
}

/// A sealed box made by the project opens with libsodium itself (PyNaCl).
#[test]
fn sealed_boxes_open_with_libsodium() {
    let api = fake();
    let value = "interop ✓ value\nwith lines";
    let ran = Step::new(&api)
        .token()
        .input(
            "secrets",
            &serde_json::json!({ "INTEROP": value }).to_string(),
        )
        .value(value)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let put = api
        .requests()
        .into_iter()
        .find(|r| r.method == "PUT")
        .expect("a PUT");
    let body: serde_json::Value = serde_json::from_str(&put.body).expect("json body");
    let sealed = body["encrypted_value"].as_str().expect("encrypted_value");
    let sk = api.secret_key_bytes(&Scope::repo(REPO));
    let script = r#"
import base64, sys
from nacl.public import PrivateKey, SealedBox
sk = PrivateKey(bytes.fromhex(sys.argv[1]))
sys.stdout.buffer.write(SealedBox(sk).decrypt(base64.b64decode(sys.argv[2])))
"#;
    let hex: String = sk.iter().map(|b| format!("{b:02x}")).collect();
    let out = std::process::Command::new("python3")
        .args(["-c", script, &hex, sealed])
        .output()
        .expect("python3 runs (PyNaCl is installed by .ci/setup)");
    assert!(
        out.status.success(),
        "PyNaCl failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8(out.stdout).expect("utf8"), value);
}

#[test]
fn pull_request_target_writes_are_refused_unless_allowed() {
    let api = fake();
    let ran = Step::new(&api)
        .env("GITHUB_EVENT_NAME", "pull_request_target")
        .token()
        .secrets(&[("A", "prt-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert_eq!(ran.output("skipped"), "true");
    assert_eq!(ran.output("skip-reason"), "event");
    assert!(ran.stdout.contains("::warning"), "{}", ran.stdout);
    ran.assert_no_leak();

    let ran = Step::new(&api)
        .env("GITHUB_EVENT_NAME", "pull_request_target")
        .input("allow-pull-request-target", "true")
        .token()
        .secrets(&[("A", "prt-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(ran.output("updated"), r#"["acme/api:A"]"#);
}

#[test]
fn no_repository_anywhere_is_an_input_error() {
    let api = fake();
    let ran = Step::new(&api)
        .remove_env("GITHUB_REPOSITORY")
        .remove_env("INPUT_REPOSITORY")
        .token()
        .secrets(&[("A", "val-123")])
        .run();
    assert_eq!(ran.code, 2);
    assert!(
        ran.stdout.contains("input `repository`: no repository"),
        "{}",
        ran.stdout
    );
    assert_eq!(api.requests().len(), 0);
}

/// `sync` runs the same engine from flags; values come from files or stdin, never argv.
#[test]
fn sync_reads_values_from_stdin_and_writes_them() {
    let api = fake();
    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value("from-stdin-value")
        .stdin("{\"PIPED\": \"from-stdin-value\"}")
        .args(&[
            "sync",
            "--repo",
            REPO,
            "--secrets-file",
            "-",
            "--api-url",
            &api.url(),
        ]);
    let ran = step.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo(REPO), "PIPED").map(|s| s.value),
        Some("from-stdin-value".into())
    );
    assert!(
        !ran.stdout.contains("::add-mask::"),
        "no workflow commands at a terminal"
    );
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.redact(&ran.stdout));
}

/// A 401 in the middle of a run (the token revoked, or an App's installation token past its
/// hour) is about the credential, not the target: every later request would get the same
/// answer. So the run stops there, even without `fail-fast`, and the rest is reported not
/// attempted, for a rerun with a working token to finish; no request is spent on it.
#[test]
fn a_401_mid_run_stops_the_run_without_fail_fast() {
    let api = fake();
    for r in ["acme/r1", "acme/r2", "acme/r3", "acme/r4"] {
        api.add_repo(r);
    }
    // The keys were read at the start; the token dies before the writes to r2.
    for r in ["acme/r2/", "acme/r3/", "acme/r4/"] {
        api.inject(Fault::new(FaultKind::Status(401)).on("PUT", r).times(100));
    }
    let ran = Step::new(&api)
        .token()
        .input("repositories", "acme/r1\nacme/r2\nacme/r3\nacme/r4")
        .secrets(&[
            ("SESSION", "session-value-x"),
            ("REFRESH", "refresh-value-x"),
        ])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    // Four keys, r1's two writes, and the one write to r2 that was answered 401.
    assert_eq!(api.count("GET", "public-key"), 4);
    assert_eq!(api.count("PUT", "/secrets/"), 3, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 7);
    assert!(
        ran.stdout.contains("1 failed, 5 not attempted"),
        "{}",
        ran.stdout
    );
    ran.assert_no_leak();
}

/// The fix GitHub's refusals get leads with what can be wrong for this credential: a 404 on a
/// public key names the repository (or environment) first, and the workflow's GITHUB_TOKEN (a
/// `ghs_` token of github-actions[bot]), which can never write secrets, is told what can work
/// (a fine-grained PAT, or a GitHub App), never to add a permission in an app's settings.
#[test]
fn refusals_lead_with_the_fix_that_can_work_for_the_credential() {
    const WORKFLOW_TOKEN: &str = "ghs_workflowTokenValue000000000000000000";
    let fix = |ran: &crate::common::Ran| {
        ran.stdout
            .lines()
            .find_map(|l| l.split_once("%0AFix: ").map(|(_, fix)| fix.to_owned()))
            .unwrap_or_else(|| panic!("no fix: {}", ran.transcript()))
    };

    // A repository name one letter off: GitHub answers 404 for what does not exist.
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input("repository", "acme/apj")
        .secrets(&[("SESSION", "session-value-x")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 1);
    let typo = fix(&ran);
    assert!(
        typo.starts_with("check the repository name (acme/apj)"),
        "{typo}"
    );
    ran.assert_no_leak();

    // An environment that does not exist: both names are checked first.
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input("environment", "prodution")
        .secrets(&[("SESSION", "session-value-x")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    let env = fix(&ran);
    assert!(
        env.starts_with("check the repository and environment names (acme/api, prodution)"),
        "{env}"
    );

    // The workflow's GITHUB_TOKEN given as `token`.
    let api = fake();
    api.add_token(WORKFLOW_TOKEN, TokenSpec::github_token());
    let ran = Step::new(&api)
        .token_value(WORKFLOW_TOKEN)
        .secrets(&[("SESSION", "session-value-x")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 1);
    let workflow = fix(&ran);
    for said in [
        "GITHUB_TOKEN",
        "can never write secrets",
        "fine-grained personal access token",
        "`app-id` and `app-private-key`",
    ] {
        assert!(workflow.contains(said), "{said}: {workflow}");
    }
    assert!(!workflow.contains("app's settings"), "{workflow}");
    ran.assert_no_leak();

    // `check-token` with the same token says the same.
    let ran = crate::common::cli_as(&api, WORKFLOW_TOKEN, &["check-token", "--repo", REPO]).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("can never write secrets")
            || ran.stderr.contains("can never write secrets"),
        "{}",
        ran.transcript()
    );
    assert!(
        !ran.stdout.contains("app's settings"),
        "{}",
        ran.transcript()
    );
    assert!(
        !ran.stderr.contains("app's settings"),
        "{}",
        ran.transcript()
    );
    ran.assert_no_leak();
    insta::assert_snapshot!(format!(
        "## typo\n{typo}\n\n## environment\n{env}\n\n## GITHUB_TOKEN\n{workflow}\n"
    ));
}

/// `sync` without a token keeps the command line's words: no annotation, the headline says how
/// to give one; exit 0, zero requests.
#[test]
fn sync_without_a_token_says_how_to_give_one_without_a_notice() {
    let api = fake();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", "")
        .file("new.env", "SESSION=sync-value-1\n")
        .args(&[
            "sync",
            "--repo",
            REPO,
            "--secrets-file",
            "new.env",
            "--api-url",
            &api.url(),
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    let all = format!("{}{}", ran.stdout, ran.stderr);
    assert!(
        all.contains(
            "1 secret changed but not written: no token was given (set GH_TOKEN \
             (GH_ENTERPRISE_TOKEN for a GitHub Enterprise Server), or log in with `gh auth \
             login`, to write them)."
        ),
        "{all}"
    );
    assert!(!all.contains("notice"), "{all}");
    ran.assert_no_leak();
}

/// A step that gives no value (none of `secrets`, `secrets-from-env`, `files`, or only a
/// misspelled one) is an input error naming them: exit 2, before any request. An input the
/// action does not declare is named in a warning with the input it most likely misspells.
#[test]
fn a_step_without_values_is_an_input_error_and_a_misspelled_input_is_named() {
    let api = fake();
    let cases: Vec<(&str, Step, i32)> = vec![
        ("no value input", Step::new(&api).token(), 2),
        (
            "`file` for `files`",
            Step::new(&api)
                .token()
                .input("file", ".cache/session.json")
                .file(".cache/session.json", "session-value-1"),
            2,
        ),
        (
            "an empty JSON object",
            Step::new(&api).token().input("secrets", " {} "),
            2,
        ),
        (
            "only comments",
            Step::new(&api)
                .token()
                .input("secrets", "# nothing yet\n\n")
                .input("files", "\n# later\n"),
            2,
        ),
        (
            "`token_` for `token`",
            Step::new(&api)
                .input("token_", TOKEN)
                .value(TOKEN)
                .secrets(&[("SESSION", "session-value-2")]),
            0,
        ),
    ];
    let mut transcript = String::new();
    for (what, step, code) in cases {
        let ran = step.run();
        assert_eq!(ran.code, code, "{what}: {}", ran.transcript());
        ran.assert_no_leak();
        let lines: Vec<String> = ran
            .redact(&ran.stdout)
            .lines()
            .filter(|l| !l.starts_with("::add-mask::"))
            .map(str::to_owned)
            .collect();
        transcript.push_str(&format!("## {what}\n{}\n\n", lines.join("\n")));
    }
    assert_eq!(api.requests().len(), 0, "no case made a request");
    assert!(transcript.contains(
        "::warning title=unknown input::`file` is not an input of secret-refresh, so it was not \
         read: did you mean `files`?"
    ));
    assert!(transcript.contains("did you mean `token`?"));
    insta::assert_snapshot!(transcript);
}

/// `sync` says it its way: no value flag at all is a usage error of the command line; a value
/// flag that holds nothing names the flags.
#[test]
fn sync_without_values_names_its_flags() {
    let api = fake();
    let sync = |args: &[&str]| {
        let mut all = vec!["sync", "--repo", REPO];
        all.extend(args);
        crate::common::cli_as(&api, TOKEN, &all)
            .file("empty.env", "# nothing\n")
            .run()
    };
    let ran = sync(&[]);
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(
        ran.stderr.contains("nothing to do: no value given"),
        "{}",
        ran.transcript()
    );
    let ran = sync(&["--secrets-file", "empty.env"]);
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(
        ran.stderr.contains(
            "`--secrets-file/--secrets-env`: no value in it, nor in `--secret-from-env` or \
             `--files`: there is no refreshed value to write; give a file or a variable that \
             holds them"
        ),
        "{}",
        ran.transcript()
    );
    assert_eq!(api.requests().len(), 0);
}
