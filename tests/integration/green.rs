//! Green means stored (issue 21): an ordinary mistake either stores the value or ends with an
//! annotation, where people look, that names the fix.

use fake_github::Scope;

use crate::common::{calls, fake, Step, REPO};

/// The tests refreshed `.cache/session/session.token`; the step names it with a prefix.
fn refreshed(step: Step) -> Step {
    step.token()
        .file(".cache/session/session.token", "session-refreshed-v2\n")
}

/// Item 2: a `files` pattern one letter off is named in its annotation and in the step summary
/// (where people look), not only in the log. No request: nothing to write.
#[test]
fn a_files_pattern_that_matched_nothing_is_named_in_the_summary() {
    let api = fake();
    let ran = refreshed(Step::new(&api))
        .input("files", ".cache/sesion/*.token")
        .input("prefix", "MOOGO_CACHED_")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    let annotation = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning "))
        .unwrap_or_else(|| panic!("no warning: {}", ran.stdout));
    assert!(
        annotation.contains("`.cache/sesion/*.token`"),
        "{annotation}"
    );
    assert!(
        ran.summary.contains("`.cache/sesion/*.token`"),
        "{}",
        ran.summary
    );
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.transcript());
}

/// Item 2: a prefix typo (`MOOGO_CACHE_` while the tests read `MOOGO_CACHED_SESSION`, named in
/// `current-from-env`) is said twice, each naming the secret: the name listed in
/// `current-from-env` got no refreshed value, and the refreshed value has no stored value to
/// compare with, so it is written on every run.
#[test]
fn a_prefix_typo_is_named_from_both_sides() {
    let api = fake();
    api.set_secret(&Scope::repo(REPO), "MOOGO_CACHED_SESSION", "session-v1");
    let ran = refreshed(Step::new(&api))
        .input("files", ".cache/session/*.token")
        .input("prefix", "MOOGO_CACHE_")
        .input("current-from-env", "MOOGO_CACHED_SESSION")
        .env("MOOGO_CACHED_SESSION", "session-v1")
        .value("session-v1")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // Written as asked: the key, then the one PUT.
    assert_eq!(
        calls(&api),
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "PUT /repos/acme/api/actions/secrets/MOOGO_CACHE_SESSION 201",
        ]
    );
    let warnings: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!(warnings.len(), 2, "{}", ran.stdout);
    assert!(
        warnings.iter().any(|w| w.contains("MOOGO_CACHED_SESSION")
            && w.contains("`current-from-env`")
            && w.contains("no refreshed value")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("MOOGO_CACHE_SESSION") && w.contains("every run")),
        "{warnings:?}"
    );
    for name in ["MOOGO_CACHED_SESSION", "MOOGO_CACHE_SESSION"] {
        assert!(ran.summary.contains(name), "{name}: {}", ran.summary);
    }
    ran.assert_no_leak();
    ran.assert_masked("session-v1");
    insta::assert_snapshot!(ran.transcript());
}

/// Item 2: with `current: ${{ toJSON(secrets) }}` (every secret of the repository) only the
/// second kind applies: a refreshed value it holds no stored value for. A name it holds
/// without a refreshed value is every other secret of the repository, never a warning; and a
/// refreshed value it does hold is compared quietly.
#[test]
fn with_every_secret_as_current_only_an_unknown_refreshed_value_warns() {
    let api = fake();
    let ran = refreshed(Step::new(&api))
        .input("files", ".cache/session/*.token")
        .input("prefix", "MOOGO_CACHE_")
        .current(&[
            ("github_token", "ghs_runner_token_value"),
            ("MOOGO_CACHED_SESSION", "session-v1"),
            ("OTHER", "other-value"),
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 2, "{:?}", calls(&api));
    let warnings: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("::warning "))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("MOOGO_CACHE_SESSION"), "{warnings:?}");
    assert!(!warnings[0].contains("OTHER"), "{warnings:?}");

    // The right prefix: compared with its stored value, equal, nothing said, no request.
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .file(".cache/session/session.token", "session-v1\n")
        .input("files", ".cache/session/*.token")
        .input("prefix", "MOOGO_CACHED_")
        .current(&[("MOOGO_CACHED_SESSION", "session-v1"), ("OTHER", "o-value")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert!(!ran.stdout.contains("::warning"), "{}", ran.stdout);
}

/// Item 2: names given in the lines form of `secrets` may be fragments of a value spliced into
/// the text, so a refreshed value without a stored one is named by its line there, never by
/// its name.
#[test]
fn an_unknown_value_from_a_secrets_line_is_named_by_its_line() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .secrets(&[("KNOWN", "known-value"), ("NEWNAME", "new-value")])
        .current(&[("KNOWN", "known-value")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 2, "{:?}", calls(&api));
    let warning = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning "))
        .unwrap_or_else(|| panic!("no warning: {}", ran.stdout));
    assert!(warning.contains("line 2 of `secrets`"), "{warning}");
    assert!(!warning.contains("NEWNAME"), "{warning}");
}

/// Item 3: a bad value from the tests (an empty file, one over 48 KiB, one not UTF-8, an empty
/// variable) fails that secret with an error naming it; the good value beside them is still
/// compared and written, and the step fails.
#[test]
fn a_bad_value_fails_only_its_secret_and_the_good_ones_are_written() {
    let api = fake();
    let big = "b".repeat(49_153);
    let ran = Step::new(&api)
        .token()
        .input("files", ".cache/session/*.token")
        .input("prefix", "MOOGO_CACHED_")
        .file(".cache/session/device.token", "device-session-v2\n")
        .file(".cache/session/same.token", "same-session\n")
        .file(".cache/session/empty.token", "")
        .file_bytes(".cache/session/binary.token", b"\xff\xfe\x00\xc3binary")
        .file_bytes(".cache/session/big.token", big.as_bytes())
        .input("secrets-from-env", "MOOGO_CACHED_ENV=REFRESHED_ENV")
        .env("REFRESHED_ENV", "")
        .current(&[
            ("MOOGO_CACHED_DEVICE", "device-session-v1"),
            ("MOOGO_CACHED_SAME", "same-session"),
            ("MOOGO_CACHED_EMPTY", "empty-old"),
            ("MOOGO_CACHED_BINARY", "binary-old"),
            ("MOOGO_CACHED_BIG", "big-old"),
            ("MOOGO_CACHED_ENV", "env-old"),
        ])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "PUT /repos/acme/api/actions/secrets/MOOGO_CACHED_DEVICE 201",
        ]
    );
    assert_eq!(ran.output("updated-names"), r#"["MOOGO_CACHED_DEVICE"]"#);
    assert_eq!(ran.output("unchanged"), r#"["MOOGO_CACHED_SAME"]"#);
    let errors: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 4, "{}", ran.stdout);
    for name in [
        "MOOGO_CACHED_EMPTY",
        "MOOGO_CACHED_BINARY",
        "MOOGO_CACHED_BIG",
        "MOOGO_CACHED_ENV",
    ] {
        assert_eq!(
            errors.iter().filter(|e| e.contains(name)).count(),
            1,
            "{name}: {errors:?}"
        );
        assert!(ran.summary.contains(name), "{name}: {}", ran.summary);
    }
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.transcript());
}

/// Item 3: from a JSON object (`toJSON(steps.login.outputs)`) too, a bad value fails its
/// secret alone. On a line of `secrets` it is an error of the configuration, as the line's
/// syntax is: a multi-line value spliced into the text splits it into lines, and writing the
/// lines around the bad one would store a fragment. Malformed configuration stops everything
/// before any request, bad values or not.
#[test]
fn a_bad_json_value_fails_alone_and_bad_configuration_still_stops_all() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .value("good-value-1")
        .input("secrets", r#"{"GOOD": "good-value-1", "BAD": ""}"#)
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "PUT /repos/acme/api/actions/secrets/GOOD 201",
        ]
    );
    let errors: Vec<&str> = ran
        .stdout
        .lines()
        .filter(|l| l.starts_with("::error "))
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("secret `BAD`: the value is empty"),
        "{errors:?}"
    );

    let before = api.requests().len();
    for (what, step) in [
        (
            "a bad value on a line",
            Step::new(&api).input("secrets", "GOOD=good-value-1\nBAD="),
        ),
        (
            "a bad repository beside a bad file",
            Step::new(&api)
                .input("secrets", r#"{"GOOD": "good-value-1"}"#)
                .input("files", "EMPTY=empty.token")
                .file_bytes("empty.token", b"")
                .input("repository", "not a repository"),
        ),
    ] {
        let ran = step.token().value("good-value-1").run();
        assert_eq!(ran.code, 2, "{what}: {}", ran.transcript());
        assert_eq!(api.requests().len(), before, "{what}: no request");
        ran.assert_no_leak();
    }
}

/// Item 9: the runner does not mount `RUNNER_TEMP` into a container action's container
/// (actions/runner#1984): the variable names a directory the step cannot see. A file the tests
/// wrote there is an input error naming the fix (the workspace), before any request, whatever
/// `if-no-files-found` says: it used to be "no file matches" and a green run.
#[test]
fn a_file_in_runner_temp_the_container_cannot_see_is_an_error_naming_the_workspace() {
    for (pattern, if_none) in [
        ("/home/runner/work/_temp/session.token", "warn"),
        ("/home/runner/work/_temp/*.token", "ignore"),
        ("SESSION=/home/runner/work/_temp/session.token", "warn"),
    ] {
        let api = fake();
        let ran = Step::new(&api)
            .token()
            .env("RUNNER_TEMP", "/home/runner/work/_temp")
            .input("files", pattern)
            .input("if-no-files-found", if_none)
            .run();
        assert_eq!(ran.code, 2, "{pattern}: {}", ran.transcript());
        assert_eq!(api.requests().len(), 0, "{pattern}");
        let error = ran
            .stdout
            .lines()
            .find(|l| l.starts_with("::error "))
            .unwrap_or_else(|| panic!("{pattern}: no error: {}", ran.stdout));
        for said in ["RUNNER_TEMP", "inside the workspace"] {
            assert!(error.contains(said), "{pattern}: {said}: {error}");
        }
        if if_none == "ignore" {
            insta::assert_snapshot!(ran.transcript());
        }
    }
    // Elsewhere outside the workspace: the same, without RUNNER_TEMP.
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input("files", "/nonexistent/session.token")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert!(
        ran.stdout.contains("inside the workspace") && !ran.stdout.contains("RUNNER_TEMP"),
        "{}",
        ran.stdout
    );
}
