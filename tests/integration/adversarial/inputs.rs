//! Adversarial scenarios: see `mod.rs`.
//!
//! Hostile action inputs and CLI arguments: a multi-line value interpolated into the `NAME=value`
//! lines form, trivial masks, bare carriage returns, names that switch on the runner's debug
//! logging, and messages that must speak the language of the front end the user typed into.

use fake_github::Scope;

use crate::common::{fake, Ran, Step, REPO, TOKEN};

/// The `::add-mask::` lines a run printed, their data decoded as the runner reads them.
fn masks(ran: &Ran) -> Vec<String> {
    ran.stdout
        .lines()
        .filter_map(|l| l.strip_prefix("::add-mask::"))
        .map(|d| {
            d.replace("%0A", "\n")
                .replace("%0D", "\r")
                .replace("%25", "%")
        })
        .collect()
}

fn assert_no_trivial_mask(ran: &Ran) {
    for m in masks(ran) {
        assert!(
            m.trim().len() >= 3 && m.trim().chars().any(|c| c != '='),
            "a trivial mask {m:?} was registered: {}",
            ran.stdout
        );
    }
}

/// `SESSION=${{ steps.login.outputs.session }}` with a base64 session of two lines: the second
/// line, `<base64>=`, must not become a secret named after a fragment of the value.
#[test]
fn a_multi_line_value_in_the_lines_form_never_prints_a_fragment() {
    let api = fake();
    let first = "eyJzZXNzaW9uIjoiZmlyc3Qi";
    let second = "c2Vjb25kLWxpbmUtb2YtdGhlLXNlc3Npb24";
    for tail in ["=", "==", ""] {
        let ran = Step::new(&api)
            .token()
            .value(first)
            .value(second)
            .input("secrets", &format!("SESSION={first}\n{second}{tail}"))
            .run();
        assert_eq!(ran.code, 2, "{}", ran.transcript());
        assert!(
            !ran.stdout.contains("c2Vjb25k") && !ran.stderr.contains("c2Vjb25k"),
            "a fragment of the value was printed: {}",
            ran.stdout
        );
        assert!(ran.stdout.contains("line 2"), "{}", ran.stdout);
        assert_no_trivial_mask(&ran);
        ran.assert_no_leak();
    }
    assert_eq!(api.requests().len(), 0);
}

#[test]
fn a_line_of_equals_signs_registers_no_mask_and_names_its_line() {
    let api = fake();
    for line in ["==", "=", "A=="] {
        let ran = Step::new(&api)
            .token()
            .input("secrets", &format!("OK=a-fine-value\n{line}"))
            .value("a-fine-value")
            .run();
        assert_eq!(ran.code, 2, "{line}: {}", ran.transcript());
        assert!(ran.stdout.contains("line 2"), "{}", ran.stdout);
        assert_no_trivial_mask(&ran);
        assert!(!ran.stdout.contains("::add-mask::=\n"));
    }
    assert_eq!(api.requests().len(), 0);
}

#[test]
fn a_bare_carriage_return_is_not_a_line_ending_nor_part_of_a_value() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .input("secrets", "A=first-value\rB=second-value")
        .value("first-value")
        .value("second-value")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(ran.stdout.contains("line 1"), "{}", ran.stdout);
    assert!(ran.stdout.contains("carriage return"), "{}", ran.stdout);
    assert_eq!(api.requests().len(), 0);
    ran.assert_no_leak();
}

/// The runner's heredoc form carries a multi-line value whole, in `secrets` and in `current`.
#[test]
fn the_heredoc_form_carries_multi_line_values() {
    let api = fake();
    let session = "line-one-of-session\nline-two=of=session\n\nline-four";
    let ran = Step::new(&api)
        .token()
        .value(session)
        .input(
            "secrets",
            &format!("# new\nSESSION<<EOF_SESSION\n{session}\nEOF_SESSION\nPLAIN=plain-value\n"),
        )
        .value("plain-value")
        .input("current", "PLAIN<<END\r\nplain-value\r\nEND\r\n")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let repo = Scope::repo(REPO);
    assert_eq!(
        api.secret(&repo, "SESSION").map(|s| s.value),
        Some(session.into())
    );
    assert!(api.secret(&repo, "PLAIN").is_none(), "PLAIN was unchanged");
    assert_eq!(ran.output("unchanged"), "[\"PLAIN\"]");
    ran.assert_masked(session);
    ran.assert_no_leak();
}

#[test]
fn an_unterminated_heredoc_is_an_error_naming_its_line_only() {
    let api = fake();
    let ran = Step::new(&api)
        .token()
        .value("heredoc-body-value")
        .input(
            "secrets",
            "A=a-fine-value\nSESSION<<EOF\nheredoc-body-value\nNOT_EOF=x\n",
        )
        .value("a-fine-value")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(ran.stdout.contains("line 2"), "{}", ran.stdout);
    assert!(ran.stdout.contains("never closed"), "{}", ran.stdout);
    assert!(
        !ran.stdout.contains("NOT_EOF"),
        "a body line is never a name"
    );
    assert_eq!(api.requests().len(), 0);
    ran.assert_no_leak();
}

/// GitHub's hardening guide: pass untrusted values through `env:`, not `${{ }}` in the text.
#[test]
fn values_come_from_the_steps_environment_by_name() {
    let api = fake();
    let session = "env-session-line-one\nenv-session-line-two";
    let ran = Step::new(&api)
        .token()
        .env("LOGIN_SESSION", session)
        .env("STORED_SESSION", "an-older-session")
        .value(session)
        .value("an-older-session")
        .input("secrets-from-env", "SESSION=LOGIN_SESSION\n")
        .input("current-from-env", "SESSION=STORED_SESSION")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&Scope::repo(REPO), "SESSION").map(|s| s.value),
        Some(session.into())
    );
    ran.assert_masked(session);
    ran.assert_no_leak();

    // The runner's own variables are never a value source: INPUT_TOKEN is the PAT.
    let ran = Step::new(&api)
        .token()
        .input("secrets-from-env", "LEAK=INPUT_TOKEN\nMISSING_VAR")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(ran.stdout.contains("INPUT_TOKEN"), "{}", ran.stdout);
    assert!(ran.stdout.contains("MISSING_VAR"), "{}", ran.stdout);
    ran.assert_no_leak();
}

/// Storing `ACTIONS_STEP_DEBUG` or `ACTIONS_RUNNER_DEBUG` turns on debug logging for every
/// later run of the repository: refused, with the reason, on every path.
#[test]
fn the_runner_debug_names_are_refused_everywhere() {
    let api = fake();
    for name in ["ACTIONS_STEP_DEBUG", "actions_runner_debug"] {
        let ran = Step::new(&api)
            .token()
            .secrets(&[(name, "true-ish-value")])
            .run();
        assert_eq!(ran.code, 2, "{}", ran.transcript());
        assert!(ran.stdout.contains("debug logging"), "{}", ran.stdout);

        let step = Step::new(&api).token();
        std::fs::write(step.workspace().join("debug.token"), "true").expect("write");
        let ran = step.input("files", &format!("{name}=debug.token")).run();
        assert_eq!(ran.code, 2, "{}", ran.transcript());
        assert!(ran.stdout.contains("debug logging"), "{}", ran.stdout);

        for args in [
            &["set", name, "--repo", REPO, "--api-url", &api.url()][..],
            &["status", name, "--repo", REPO, "--api-url", &api.url()][..],
        ] {
            let ran = Step::new(&api)
                .remove_env("GITHUB_ACTIONS")
                .env("GH_TOKEN", TOKEN)
                .stdin("true-ish-value\n")
                .args(args)
                .run();
            assert_eq!(ran.code, 2, "{args:?}: {}", ran.screen());
            assert!(ran.stderr.contains("debug logging"), "{}", ran.stderr);
        }
    }
    // A prefix that makes a debug name out of a file name is refused the same way.
    let step = Step::new(&api).token();
    std::fs::write(step.workspace().join("step_debug.token"), "true").expect("write");
    let ran = step
        .input("files", "*.token")
        .input("prefix", "ACTIONS_")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(ran.stdout.contains("debug logging"), "{}", ran.stdout);
    assert_eq!(api.requests().len(), 0);
}

/// `sync` speaks the command line's language: its errors name the flags and variables the
/// user typed, never the action's input names.
#[test]
fn sync_errors_name_the_flags_the_user_typed() {
    let api = fake();
    let cases: &[&[&str]] = &[
        &["sync", "--repo", "not a repo", "--files", "x"],
        &["sync", "--org", "bad org!", "--files", "x"],
        &[
            "sync",
            "--repo",
            REPO,
            "--api-url",
            "http://api.example.com",
            "--files",
            "x",
        ],
        &[
            "sync", "--repo", REPO, "--files", "*.token", "--prefix", "my-",
        ],
        &["sync", "--repo", REPO],
    ];
    let mut transcript = String::new();
    for args in cases {
        let step = Step::new(&api)
            .remove_env("GITHUB_ACTIONS")
            .env("GH_TOKEN", TOKEN)
            .args(args);
        std::fs::write(step.workspace().join("session.token"), "a-session-value").expect("write");
        let ran = step.value("a-session-value").run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.screen());
        ran.assert_no_leak();
        for input in [
            "input `repository`",
            "input `organization`",
            "input `api-url`",
        ] {
            assert!(!ran.stderr.contains(input), "{args:?}: {}", ran.stderr);
        }
        transcript.push_str(&format!(
            "{}\n{}\n",
            args.join(" "),
            ran.redact(&ran.stderr)
        ));
    }
    assert_eq!(api.requests().len(), 0);
    insta::assert_snapshot!(transcript);
}

/// Without a token, `sync` on a command line skips as the action does (exit 0, nothing sent),
/// and says how to give one in the words of a terminal: GH_TOKEN or `gh auth login`, never the
/// action's `token` input.
#[test]
fn sync_without_a_token_names_what_a_terminal_user_sets() {
    let api = fake();
    let url = api.url();
    let step = Step::new(&api).remove_env("GITHUB_ACTIONS").args(&[
        "sync",
        "--repo",
        REPO,
        "--files",
        "*.token",
        "--api-url",
        &url,
    ]);
    std::fs::write(step.workspace().join("session.token"), "a-session-value").expect("write");
    let ran = step.value("a-session-value").run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    ran.assert_no_leak();
    let screen = ran.redact(&ran.screen());
    assert!(screen.contains("set GH_TOKEN"), "{screen}");
    assert!(!screen.contains("`token`"), "{screen}");
    assert_eq!(api.requests().len(), 0);
    insta::assert_snapshot!(screen);
}

#[test]
fn a_bad_prefix_is_named_as_the_cause() {
    let api = fake();
    let step = Step::new(&api).token();
    std::fs::write(step.workspace().join("session.token"), "a-session-value").expect("write");
    let ran = step
        .value("a-session-value")
        .input("files", "*.token")
        .input("prefix", "my-")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(ran.stdout.contains("input `prefix`"), "{}", ran.stdout);
    assert_eq!(api.requests().len(), 0);
}

/// Finding K: `environment: ..` made the route `/repos/acme/api/environments/../secrets/…`,
/// which a normalising proxy or server resolves to another path; `.`, empty segments and
/// invisible characters (`pro\u{200b}d` looks like `prod` in the log) passed too. Each is an
/// input error, exit 2, and nothing is sent.
#[test]
fn dot_segment_and_invisible_environment_names_are_refused() {
    for env in [
        "..",
        ".",
        "a/../b",
        "a//b",
        "pro\u{200b}d",
        "prod\u{202e}",
        "\u{feff}prod",
    ] {
        let api = fake();
        let ran = Step::new(&api)
            .token()
            .input("environment", env)
            .secrets(&[("API_KEY", "rotated-value-0123456789")])
            .run();
        assert_eq!(ran.code, 2, "{env:?}: {}", ran.transcript());
        assert_eq!(api.requests().len(), 0, "{env:?}: {}", ran.transcript());
        assert!(
            ran.stdout.contains("environment"),
            "{env:?}: {}",
            ran.stdout
        );
    }
}
