//! The command line for people (issue 4): `set`, `status`, `check-token`, their help, exit
//! codes and output, against the fake API; the hidden prompt on a real pseudo-terminal.

use std::process::{Command, Stdio};

use fake_github::{FakeGitHub, Fault, FaultKind, Scope, TokenKind, TokenSpec};
use time::{Duration, OffsetDateTime};

use crate::common::{cli_as, fake, Ran, Step, BIN, TOKEN};

const VALUE: &str = "github_pat_11NEWVALUE_rotated0123456789";

/// A CLI step: not in Actions, the token given explicitly so `gh auth token` is never asked.
fn cli<'a>(api: &'a FakeGitHub, args: &[&str]) -> Step<'a> {
    cli_as(api, TOKEN, args)
}

fn repos(api: &FakeGitHub, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let r = format!("acme/r{i}");
            api.add_repo(&r);
            r
        })
        .collect()
}

fn no_colour(ran: &Ran) {
    assert!(
        !ran.stdout.contains('\x1b') && !ran.stderr.contains('\x1b'),
        "colour in a pipe: {ran:?}"
    );
}

// ---- help, version, usage ---------------------------------------------------------------

#[test]
fn every_command_has_help_with_an_example_and_the_exit_codes() {
    let api = fake();
    for cmd in [
        "set",
        "status",
        "check-token",
        "sync",
        "rotate",
        "completions",
        "man",
    ] {
        let ran = Step::new(&api)
            .remove_env("GITHUB_ACTIONS")
            .args(&[cmd, "--help"])
            .run();
        assert_eq!(ran.code, 0, "{cmd}: {}", ran.stderr);
        assert!(
            ran.stdout.contains("Example"),
            "{cmd} --help has no example"
        );
        assert!(
            ran.stdout.contains("Exit codes"),
            "{cmd} --help does not document the exit codes"
        );
        insta::assert_snapshot!(format!("help_{cmd}"), ran.stdout);
    }
    let top = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .args(&["--help"])
        .run();
    assert!(top.stdout.contains("Exit codes: 0 ok, 1"), "{}", top.stdout);
    let version = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .args(&["--version"])
        .run();
    assert_eq!(version.code, 0);
    assert_eq!(
        version.stdout.trim(),
        format!("secret-refresh {}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(api.requests().len(), 0);
}

#[test]
fn usage_errors_exit_2_name_the_problem_and_make_no_request() {
    let api = fake();
    let dir = crate::common::tempdir();
    let bad_file = dir.path().join("repos.yml");
    std::fs::write(&bad_file, "repositories:\n  - acme/api\n  - acme\n").expect("write");
    let bad_file = bad_file.display().to_string();
    let cases: &[&[&str]] = &[
        &["set"],
        &["set", "PAT_TOKEN"],
        &["set", "PAT_TOKEN", "--repo", "acme"],
        &["set", "GITHUB_X", "--repo", "acme/api"],
        &["set", "A", "a", "--repo", "acme/api"],
        &["set", "A", "--repos-file", &bad_file],
        &["set", "A", "--org", "acme", "--repo", "acme/api"],
        &["set", "A", "--org", "acme", "--visibility", "selected"],
        &[
            "set",
            "A",
            "--repo",
            "acme/api",
            "--env",
            "prod",
            "--app",
            "dependabot",
        ],
        &["set", "A", "--repo", "acme/api", "--value", "x"],
        &["status", "A", "--repo", "acme/api", "--max-age", "3mo"],
        &["check-token", "--repo", "api"],
        &["nonsense"],
    ];
    let mut transcript = String::new();
    for args in cases {
        let ran = Step::new(&api)
            .remove_env("GITHUB_ACTIONS")
            .env("GH_TOKEN", TOKEN)
            .args(args)
            .run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.stderr);
        let first = ran
            .stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("")
            .replace(&bad_file, "[FILE]");
        transcript.push_str(&format!(
            "{}\n  {first}\n",
            args.join(" ").replace(&bad_file, "[FILE]")
        ));
    }
    assert_eq!(api.requests().len(), 0);
    insta::assert_snapshot!(transcript);
}

#[test]
fn no_token_is_a_usage_error_and_nothing_is_asked_or_sent() {
    let api = fake();
    api.add_repo("acme/r1");
    for args in [
        &["set", "PAT_TOKEN", "--repo", "acme/r1"][..],
        &["status", "--repo", "acme/r1"][..],
        &["check-token"][..],
    ] {
        // No standard input: the program stops before it would read one.
        let ran = cli(&api, args).env("GH_TOKEN", "").run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.transcript());
        assert!(
            ran.stderr.contains("no token: set GH_TOKEN"),
            "{}",
            ran.stderr
        );
        ran.assert_no_leak();
    }
    assert_eq!(api.requests().len(), 0);
}

/// A GitHub Enterprise Server's token is never sent to github.com's API (this machine stands
/// for it here, as `gh` lets `github.localhost`): with only `GH_ENTERPRISE_TOKEN` set, the
/// command stops before any request and says which variable github.com takes. `gh` is kept
/// off PATH: it would answer for its own hosts.
#[test]
fn an_enterprise_token_is_never_sent_to_github_com() {
    let api = fake();
    for var in ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"] {
        let ran = cli(&api, &["check-token"])
            .remove_env("GH_TOKEN")
            .env(var, TOKEN)
            .wrap(&["env", "PATH=/nonexistent"])
            .run();
        assert_eq!(ran.code, 2, "{}", ran.transcript());
        assert!(
            ran.stderr.contains(&format!(
                "set GH_TOKEN (or GITHUB_TOKEN), or log in with `gh auth login`; a token is \
                 never taken from a flag ({var} is for a GitHub Enterprise Server and is never \
                 sent to github.com)"
            )),
            "{}",
            ran.stderr
        );
        ran.assert_no_leak();
    }
    assert_eq!(api.requests().len(), 0);
}

// ---- set ---------------------------------------------------------------------------------

#[test]
fn set_reads_standard_input_and_writes_every_repository() {
    let api = fake();
    let names = repos(&api, 3);
    api.set_secret(&Scope::repo("acme/r2"), "PAT_TOKEN", "old-token");
    let ran = cli(
        &api,
        &[
            "set",
            "PAT_TOKEN",
            "--repo",
            &names[0],
            "--repo",
            &names[1],
            "--repo",
            &names[2],
        ],
    )
    .stdin(&format!("{VALUE}\n"))
    .value(VALUE)
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for r in &names {
        let s = api.secret(&Scope::repo(r), "PAT_TOKEN").expect("stored");
        assert_eq!(
            s.value, VALUE,
            "{r}: trailing newline trimmed, value stored"
        );
        assert_eq!(s.writes, 1);
    }
    // One key read and one write per repository.
    assert_eq!(api.count("GET", "/public-key"), 3);
    assert_eq!(api.count("PUT", "/actions/secrets/PAT_TOKEN"), 3);
    assert_eq!(api.requests().len(), 6);
    ran.assert_no_leak();
    no_colour(&ran);
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn set_from_file_into_an_environment_of_repositories_from_a_yaml_file() {
    let api = fake();
    let names = repos(&api, 2);
    for r in &names {
        api.add_environment(r, "production");
    }
    let step = cli(&api, &[]);
    let ws = step.workspace();
    std::fs::write(ws.join("value.txt"), format!("{VALUE}\r\n")).expect("value");
    std::fs::write(
        ws.join("repos.yml"),
        "# services that deploy\nrepositories:\n  - acme/r1\n  - \"acme/r2\"  # web\n",
    )
    .expect("repos");
    let url = api.url();
    let ran = step
        .value(VALUE)
        .args(&[
            "set",
            "DEPLOY_KEY",
            "--repos-file",
            "repos.yml",
            "--env",
            "production",
            "--from-file",
            "value.txt",
            "--api-url",
            &url,
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for r in &names {
        assert_eq!(
            api.secret(&Scope::env(r, "production"), "DEPLOY_KEY")
                .map(|s| s.value),
            Some(VALUE.to_owned())
        );
    }
    assert_eq!(api.requests().len(), 4);
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.screen());
}

/// An organisation secret keeps the selection of an existing one when no visibility is given,
/// and a new one gets the visibility asked for.
#[test]
fn set_into_an_organisation() {
    let api = fake();
    let admin = "ghp_ADMIN0123456789abcdefghijklmnopqrs";
    api.add_token(admin, TokenSpec::classic("octo", &["repo", "admin:org"]));
    let org = Scope::org("acme");
    let id = api.repo_id("acme/api").expect("id");
    api.set_secret(&org, "SHARED", "old");
    api.set_org_secret_visibility(&org, "SHARED", "selected", vec![id]);
    let ran = cli(&api, &["set", "SHARED", "--org", "acme"])
        .env("GH_TOKEN", admin)
        .value(admin)
        .stdin(VALUE)
        .value(VALUE)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let shared = api.secret(&org, "SHARED").expect("stored");
    assert_eq!(shared.value, VALUE);
    assert_eq!(shared.visibility.as_deref(), Some("selected"));
    assert_eq!(shared.selected_repository_ids, [id], "selection kept");
    // Key, the existing secret's visibility, the write.
    assert_eq!(api.requests().len(), 3);

    api.clear_requests();
    let ran = cli(
        &api,
        &["set", "NEW", "--org", "acme", "--visibility", "all"],
    )
    .env("GH_TOKEN", admin)
    .value(admin)
    .stdin(VALUE)
    .value(VALUE)
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.secret(&org, "NEW").and_then(|s| s.visibility),
        Some("all".to_owned())
    );
    assert_eq!(api.requests().len(), 2);
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn set_refuses_an_empty_value_and_writes_nothing() {
    let api = fake();
    api.add_repo("acme/r1");
    // Standard input is empty (not a terminal): no prompt, no value.
    let ran = cli(&api, &["set", "PAT_TOKEN", "--repo", "acme/r1"]).run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert_eq!(
        ran.stderr.trim(),
        "error: PAT_TOKEN: the value is empty (from standard input); nothing was written"
    );
    assert_eq!(api.requests().len(), 0);
}

/// The issue's scenario: the third of five repositories fails; the run stops, says which have
/// the new value, and the printed command finishes the job without touching the first two.
#[test]
fn set_stops_at_the_third_of_five_and_the_printed_command_finishes_it() {
    let api = fake();
    let names = repos(&api, 5);
    api.inject(Fault::new(FaultKind::Status(404)).on("PUT", "/repos/acme/r3/"));
    let mut args = vec!["set", "PAT_TOKEN"];
    for r in &names {
        args.extend(["--repo", r.as_str()]);
    }
    let ran = cli(&api, &args).stdin(VALUE).value(VALUE).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    let stored = |r: &str| api.secret(&Scope::repo(r), "PAT_TOKEN").map(|s| s.value);
    assert_eq!(stored("acme/r1").as_deref(), Some(VALUE));
    assert_eq!(stored("acme/r2").as_deref(), Some(VALUE));
    for r in ["acme/r3", "acme/r4", "acme/r5"] {
        assert_eq!(stored(r), None, "{r} was not written");
    }
    // Each key is read just before its target's write; nothing is read past the failure.
    assert_eq!(api.count("GET", "/public-key"), 3);
    assert_eq!(api.count("PUT", "/actions/secrets/"), 3);
    assert!(api
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .all(|r| !r.path.contains("/r4/") && !r.path.contains("/r5/")));
    ran.assert_no_leak();
    no_colour(&ran);
    insta::assert_snapshot!(ran.screen());

    // The command it printed, run as printed, finishes the job.
    let line = ran
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("secret-refresh set "))
        .expect("a command to finish with");
    let resume: Vec<&str> = line.split_whitespace().skip(1).collect();
    assert_eq!(
        resume[..8],
        [
            "set",
            "PAT_TOKEN",
            "--repo",
            "acme/r3",
            "--repo",
            "acme/r4",
            "--repo",
            "acme/r5"
        ]
    );
    api.clear_requests();
    let again = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .value(VALUE)
        .stdin(VALUE)
        .args(&resume)
        .run();
    assert_eq!(again.code, 0, "{}", again.transcript());
    for r in &names {
        assert_eq!(stored(r).as_deref(), Some(VALUE), "{r}");
    }
    assert_eq!(api.requests().len(), 6, "3 key reads and 3 writes");
    for r in ["acme/r1", "acme/r2"] {
        let s = api.secret(&Scope::repo(r), "PAT_TOKEN").expect("stored");
        assert_eq!(s.writes, 1, "{r} was not written again");
    }
    again.assert_no_leak();
    insta::assert_snapshot!(again.screen());
}

#[test]
fn set_keep_going_tries_every_target() {
    let api = fake();
    let names = repos(&api, 5);
    api.inject(Fault::new(FaultKind::Status(404)).on("PUT", "/repos/acme/r3/"));
    let mut args = vec!["set", "PAT_TOKEN", "--keep-going"];
    for r in &names {
        args.extend(["--repo", r.as_str()]);
    }
    let ran = cli(&api, &args).stdin(VALUE).value(VALUE).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    for r in &names {
        let got = api.secret(&Scope::repo(r), "PAT_TOKEN").map(|s| s.value);
        assert_eq!(got.is_some(), r != "acme/r3", "{r}");
    }
    assert_eq!(api.count("PUT", "/actions/secrets/"), 5);
    assert_eq!(api.requests().len(), 10);
    assert!(
        ran.stdout.contains("Not updated (1): acme/r3\n"),
        "{}",
        ran.stdout
    );
    ran.assert_no_leak();
}

#[test]
fn set_over_many_targets_lists_the_remaining_ones_in_a_file() {
    let api = fake();
    let names = repos(&api, 12);
    let step = cli(&api, &[]);
    let ws = step.workspace();
    std::fs::write(ws.join("repos.txt"), names.join("\n")).expect("repos");
    // A file from an earlier run is never overwritten.
    std::fs::write(ws.join("secret-refresh-remaining.txt"), "keep me\n").expect("old");
    api.inject(Fault::new(FaultKind::Status(403)).on("PUT", "/repos/acme/r2/"));
    let url = api.url();
    // The step owns the workspace: keep it alive to read what the run left there.
    let step = step.stdin(VALUE).value(VALUE).args(&[
        "set",
        "PAT_TOKEN",
        "--repos-file",
        "repos.txt",
        "--api-url",
        &url,
    ]);
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    let remaining =
        std::fs::read_to_string(ws.join("secret-refresh-remaining-2.txt")).expect("listed");
    assert_eq!(remaining, names[1..].join("\n") + "\n");
    assert_eq!(
        std::fs::read_to_string(ws.join("secret-refresh-remaining.txt")).expect("old"),
        "keep me\n"
    );
    assert!(ran.stdout.contains(
        "secret-refresh set PAT_TOKEN --repos-file secret-refresh-remaining-2.txt --api-url"
    ));
    ran.assert_no_leak();
}

#[test]
fn set_dry_run_checks_access_per_target_and_writes_nothing() {
    let api = fake();
    repos(&api, 2);
    // Never asks for the value: standard input is not read.
    let ran = cli(
        &api,
        &[
            "set",
            "PAT_TOKEN",
            "--dry-run",
            "--repo",
            "acme/r1",
            "--repo",
            "acme/gone",
            "--repo",
            "acme/r2",
        ],
    )
    .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.count("GET", "/public-key"), 3);
    assert_eq!(api.count("PUT", ""), 0);
    assert_eq!(api.requests().len(), 3);
    no_colour(&ran);
    insta::assert_snapshot!(ran.screen());

    api.clear_requests();
    let ok = cli(
        &api,
        &["set", "PAT_TOKEN", "--dry-run", "--repo", "acme/r1"],
    )
    .run();
    assert_eq!(ok.code, 0, "{}", ok.transcript());
    assert_eq!(api.requests().len(), 1);
    // A public key is readable with read access alone: the dry run says what it proved, and
    // never that the token can write or "reach" the target.
    for screen in [&ran.stdout, &ok.stdout] {
        assert!(!screen.contains("can reach"), "{screen}");
        assert!(!screen.contains("can write"), "{screen}");
    }
    assert!(
        ok.stdout
            .contains("can read the secrets public key of acme/r1")
            && ok.stdout.contains("write access is not proven"),
        "{}",
        ok.stdout
    );
    insta::assert_snapshot!(ok.screen());
}

// ---- the hidden prompt on a real terminal --------------------------------------------------

/// Drives the binary on a pseudo-terminal (Python's `pty`): waits for each prompt and for the
/// terminal's echo to be off before typing, then prints everything the screen showed.
const PTY_DRIVER: &str = r#"
import json, os, pty, select, sys, termios, time
job = json.load(sys.stdin)
pid, fd = pty.fork()
if pid == 0:
    os.execve(job["argv"][0], job["argv"], job["env"])
screen = b""
pos = 0
def pump(until):
    global screen, pos
    deadline = time.time() + 60
    while until is None or until.encode() not in screen[pos:]:
        if time.time() > deadline:
            sys.stderr.write("timed out waiting for %r; screen: %r\n" % (until, screen))
            sys.exit(99)
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                if until is None:
                    return
                sys.stderr.write("ended before %r; screen: %r\n" % (until, screen))
                sys.exit(99)
            screen += chunk
    pos = screen.index(until.encode(), pos) + len(until)
for marker, typed, hidden in job["steps"]:
    pump(marker)
    # At a hidden prompt, type only once the program has turned echo off (or would have: that
    # is the test). An answer meant to be seen (a confirmation) is typed at once.
    deadline = time.time() + 5
    while hidden and termios.tcgetattr(fd)[3] & termios.ECHO and time.time() < deadline:
        time.sleep(0.01)
    os.write(fd, (typed + "\n").encode())
pump(None)
_, status = os.waitpid(pid, 0)
sys.stdout.buffer.write(screen)
sys.exit(os.waitstatus_to_exitcode(status))
"#;

pub(crate) struct Screen {
    pub(crate) code: i32,
    pub(crate) text: String,
}

/// Runs the binary on a terminal, answering each hidden prompt `(question, typed)` once the
/// terminal's echo is off.
pub(crate) fn on_terminal(
    api: &FakeGitHub,
    args: &[&str],
    env: &[(&str, &str)],
    steps: &[(&str, &str)],
) -> Screen {
    let steps: Vec<(&str, &str, bool)> = steps.iter().map(|(q, t)| (*q, *t, true)).collect();
    on_terminal_answering(api, args, env, &steps)
}

/// [`on_terminal`], each step `(question, typed, hidden)`: a question that is not hidden (a
/// confirmation, echoed as typed) is answered at once.
pub(crate) fn on_terminal_answering(
    api: &FakeGitHub,
    args: &[&str],
    env: &[(&str, &str)],
    steps: &[(&str, &str, bool)],
) -> Screen {
    let mut argv = vec![BIN.to_owned()];
    argv.extend(args.iter().map(|s| s.to_string()));
    argv.extend(["--api-url".to_owned(), api.url()]);
    let mut envs = serde_json::Map::new();
    envs.insert(
        "PATH".into(),
        std::env::var("PATH").unwrap_or_default().into(),
    );
    envs.insert("TERM".into(), "xterm".into());
    // Waits (the pause between writes) shrink as in every other step of the suite.
    envs.insert("SECRET_REFRESH_TIME_SCALE".into(), "0.001".into());
    for (k, v) in crate::process::clock_env() {
        envs.insert(k, v.into());
    }
    for (k, v) in env {
        envs.insert((*k).into(), (*v).into());
    }
    let job = serde_json::json!({ "argv": argv, "env": envs, "steps": steps });
    let dir = crate::common::tempdir();
    // The shifted clock of .ci/test's date guard goes to the binary (in `envs`), not the driver.
    let mut child = crate::process::Spawned::spawn(
        "python3 (the terminal driver)",
        crate::process::without_clock_env(&mut Command::new("python3"))
            .args(["-c", PTY_DRIVER])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped()),
    );
    {
        use std::io::Write;
        let mut stdin = child.child().stdin.take().expect("stdin");
        stdin.write_all(job.to_string().as_bytes()).expect("job");
    }
    let out = child.output_within(std::time::Duration::from_secs(300));
    assert!(
        out.status.code() != Some(99),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Screen {
        code: out.status.code().unwrap_or(-1),
        text: String::from_utf8_lossy(&out.stdout)
            .replace("\r\n", "\n")
            .replace(&api.url(), "[API]"),
    }
}

#[test]
fn the_hidden_prompt_never_shows_the_value_and_stores_it() {
    let api = fake();
    api.add_repo("acme/r1");
    let typo = "github_pat_11TYPO_differs";
    let shown = on_terminal(
        &api,
        &["set", "PAT_TOKEN", "--repo", "acme/r1"],
        &[("GH_TOKEN", TOKEN), ("NO_COLOR", "1")],
        &[
            ("Value for PAT_TOKEN (input hidden): ", VALUE),
            ("Again, to confirm: ", typo),
            ("Value for PAT_TOKEN (input hidden): ", VALUE),
            ("Again, to confirm: ", VALUE),
        ],
    );
    assert_eq!(shown.code, 0, "{}", shown.text);
    assert!(
        !shown.text.contains(VALUE),
        "the value was echoed:\n{}",
        shown.text
    );
    assert!(
        !shown.text.contains(typo),
        "the typo was echoed:\n{}",
        shown.text
    );
    assert!(!shown.text.contains(TOKEN));
    assert!(!shown.text.contains('\x1b'), "NO_COLOR: no colour");
    assert_eq!(
        api.secret(&Scope::repo("acme/r1"), "PAT_TOKEN")
            .map(|s| s.value),
        Some(VALUE.to_owned())
    );
    assert_eq!(api.requests().len(), 2);
    insta::assert_snapshot!(shown.text);
}

#[test]
fn colour_only_on_a_terminal_without_no_color() {
    let api = fake();
    let on_tty = on_terminal(&api, &["check-token"], &[("GH_TOKEN", TOKEN)], &[]);
    assert_eq!(on_tty.code, 0, "{}", on_tty.text);
    assert!(
        on_tty.text.contains("\x1b[32mOK: the token works"),
        "{}",
        on_tty.text
    );
    let no_color = on_terminal(
        &api,
        &["check-token"],
        &[("GH_TOKEN", TOKEN), ("NO_COLOR", "1")],
        &[],
    );
    assert!(!no_color.text.contains('\x1b'), "{}", no_color.text);
    let piped = cli(&api, &["check-token"]).run();
    no_colour(&piped);
}

#[test]
fn check_token_prompt_checks_a_token_typed_at_the_terminal() {
    let api = fake();
    let new = "github_pat_11BRANDNEW_0123456789";
    api.add_token(new, TokenSpec::fine_grained_all("octo"));
    let shown = on_terminal(
        &api,
        &["check-token", "--prompt"],
        &[("GH_TOKEN", TOKEN), ("NO_COLOR", "1")],
        &[("Token to check (input hidden): ", new)],
    );
    assert_eq!(shown.code, 0, "{}", shown.text);
    assert!(!shown.text.contains(new), "{}", shown.text);
    assert!(
        shown.text.contains("fine-grained personal access token"),
        "{}",
        shown.text
    );
    let requests = api.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        requests[0].authorization.as_deref(),
        Some(format!("Bearer {new}").as_str()),
        "the typed token, not GH_TOKEN, was checked"
    );
}

// ---- status ------------------------------------------------------------------------------

fn status_world() -> FakeGitHub {
    let api = fake();
    repos(&api, 3);
    let now = OffsetDateTime::now_utc();
    api.set_secret(&Scope::repo("acme/r1"), "PAT_TOKEN", "v");
    api.set_secret(&Scope::repo("acme/r1"), "DEPLOY_KEY", "v");
    api.set_secret_updated_at(
        &Scope::repo("acme/r1"),
        "DEPLOY_KEY",
        now - Duration::hours(30),
    );
    api.set_secret(&Scope::repo("acme/r2"), "PAT_TOKEN", "v");
    api.set_secret_updated_at(
        &Scope::repo("acme/r2"),
        "PAT_TOKEN",
        now - Duration::days(100) - Duration::hours(1),
    );
    api.set_secret(&Scope::repo("acme/r3"), "DEPLOY_KEY", "v");
    api
}

#[test]
fn status_marks_missing_and_stale_and_exits_1() {
    let api = status_world();
    let ran = cli(
        &api,
        &[
            "status",
            "PAT_TOKEN",
            "DEPLOY_KEY",
            "--repo",
            "acme/r1",
            "--repo",
            "acme/r2",
            "--repo",
            "acme/r3",
            "--max-age",
            "90d",
        ],
    )
    .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 3, "one list request per target");
    assert_eq!(api.count("GET", "/actions/secrets"), 3);
    no_colour(&ran);
    crate::snapshot_times!(ran.screen());
}

#[test]
fn status_exits_0_exactly_when_nothing_is_missing_or_stale() {
    let api = status_world();
    let run = |args: &[&str]| cli(&api, args).run().code;
    assert_eq!(
        run(&[
            "status",
            "PAT_TOKEN",
            "--repo",
            "acme/r1",
            "--max-age",
            "90d"
        ]),
        0
    );
    // Stale only because of --max-age.
    assert_eq!(run(&["status", "PAT_TOKEN", "--repo", "acme/r2"]), 0);
    assert_eq!(
        run(&[
            "status",
            "PAT_TOKEN",
            "--repo",
            "acme/r2",
            "--max-age",
            "2w"
        ]),
        1
    );
    assert_eq!(
        run(&[
            "status",
            "DEPLOY_KEY",
            "--repo",
            "acme/r1",
            "--max-age",
            "24h"
        ]),
        1
    );
    assert_eq!(
        run(&[
            "status",
            "DEPLOY_KEY",
            "--repo",
            "acme/r1",
            "--max-age",
            "31h"
        ]),
        0
    );
    // Missing.
    assert_eq!(run(&["status", "PAT_TOKEN", "--repo", "acme/r3"]), 1);
    // Names are case-insensitive, as on GitHub.
    assert_eq!(run(&["status", "pat_token", "--repo", "acme/r1"]), 0);
    // Without names: every secret found, stale ones fail.
    assert_eq!(
        run(&["status", "--repo", "acme/r1", "--repo", "acme/r3"]),
        0
    );
    assert_eq!(run(&["status", "--repo", "acme/r2", "--max-age", "90d"]), 1);
}

#[test]
fn status_json_holds_the_same_data() {
    let api = status_world();
    let ran = cli(
        &api,
        &[
            "status",
            "PAT_TOKEN",
            "--repo",
            "acme/r2",
            "--repo",
            "acme/r3",
            "--max-age",
            "90d",
            "--json",
        ],
    )
    .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    let doc: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
    assert_eq!(doc["ok"], false);
    assert_eq!(doc["secrets"][0]["status"], "stale");
    assert!(doc["secrets"][0]["age_seconds"].as_i64().expect("age") > 100 * 86_400);
    assert_eq!(doc["secrets"][1]["status"], "missing");
    assert_eq!(doc["secrets"][1]["updated_at"], serde_json::Value::Null);
    assert_eq!(ran.stderr, "");
    crate::snapshot_times!(ran.redact(&ran.stdout));
}

#[test]
fn status_follows_pages_and_reports_unreadable_targets() {
    let api = fake();
    repos(&api, 1);
    for i in 0..150 {
        api.set_secret(&Scope::repo("acme/r1"), &format!("S{i:03}"), "v");
    }
    let ran = cli(&api, &["status", "S149", "S000", "--repo", "acme/r1"]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 2, "150 secrets: two pages of 100");
    assert!(
        ran.stdout.contains("OK: 2 secrets checked, all present."),
        "{}",
        ran.stdout
    );

    api.clear_requests();
    let ran = cli(
        &api,
        &["status", "S000", "--repo", "acme/r1", "--repo", "acme/gone"],
    )
    .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 3, "two pages, and one refused");
    crate::snapshot_times!(ran.screen());
}

// ---- check-token ---------------------------------------------------------------------------

#[test]
fn check_token_classic_with_repo() {
    let api = fake();
    let ran = cli(&api, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // GET /user, then the preflight: the key and the listing (the `repo` scope proves writing).
    assert_eq!(api.requests().len(), 3);
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn check_token_fails_when_expiring_within_warn_days() {
    let api = fake();
    let soon = "github_pat_11SOON_0123456789";
    let at = OffsetDateTime::now_utc() + Duration::days(5) + Duration::hours(2);
    api.add_token(soon, TokenSpec::fine_grained_all("octo").expiring(at));
    let ran = cli(&api, &["check-token"])
        .env("GH_TOKEN", soon)
        .value(soon)
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 1);
    ran.assert_no_leak();
    crate::snapshot_times!(ran.screen());
    let relaxed = cli(&api, &["check-token", "--warn-days", "5"])
        .env("GH_TOKEN", soon)
        .run();
    assert_eq!(relaxed.code, 0, "{}", relaxed.transcript());
}

#[test]
fn check_token_invalid_or_without_access_fails() {
    let api = fake();
    let revoked = "ghp_REVOKED0123456789abcdefghijklmnop";
    api.add_token(revoked, TokenSpec::classic("octo", &["repo"]));
    api.revoke_token(revoked);
    let ran = cli(&api, &["check-token", "--repo", "acme/api"])
        .env("GH_TOKEN", revoked)
        .value(revoked)
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(
        api.requests().len(),
        1,
        "no repository check with an invalid token"
    );
    ran.assert_no_leak();
    insta::assert_snapshot!("check_token_invalid", ran.screen());

    // A fine-grained token limited to another repository.
    api.clear_requests();
    let narrow = "github_pat_11NARROW_0123456789";
    api.add_repo("acme/other");
    api.add_token(
        narrow,
        TokenSpec {
            login: "octo".into(),
            kind: TokenKind::FineGrained {
                repositories: Some(vec!["acme/other".into()]),
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
    let ran = cli(&api, &["check-token", "--repo", "acme/api"])
        .env("GH_TOKEN", narrow)
        .value(narrow)
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 2);
    ran.assert_no_leak();
    insta::assert_snapshot!("check_token_no_access", ran.screen());
}

#[test]
fn check_token_recognises_an_app_installation_token() {
    let api = fake();
    let ghs = "ghs_INSTALLATION0123456789abcdefghijk";
    api.add_token(ghs, TokenSpec::github_token());
    let ran = cli(&api, &["check-token"])
        .env("GH_TOKEN", ghs)
        .value(ghs)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(
        ran.stdout
            .contains("Kind:         GitHub App installation token (prefix ghs_)\n"),
        "{}",
        ran.stdout
    );
    // Judged by its prefix: GET /user, refused to an installation, is not asked.
    assert_eq!(api.count("GET", "/user"), 0);
    assert!(ran.stdout.contains(
        "Repositories: not listed: GitHub answered 403 (Resource not accessible by integration)"
    ));
    ran.assert_no_leak();
}

/// Many targets on a terminal: a progress bar on standard error, cleared at the end; in a pipe
/// (every other test), none.
#[test]
fn a_progress_bar_only_on_a_terminal() {
    let api = fake();
    let names = repos(&api, 6);
    let mut args = vec!["set", "PAT_TOKEN"];
    for r in &names {
        args.extend(["--repo", r.as_str()]);
    }
    let shown = on_terminal(
        &api,
        &args,
        &[("GH_TOKEN", TOKEN), ("NO_COLOR", "1")],
        &[
            ("Value for PAT_TOKEN (input hidden): ", VALUE),
            ("Again, to confirm: ", VALUE),
        ],
    );
    assert_eq!(shown.code, 0, "{}", shown.text);
    assert!(shown.text.contains("/6 writes"), "{:?}", shown.text);
    assert!(!shown.text.contains(VALUE));
    assert!(shown
        .text
        .ends_with("Set PAT_TOKEN in 6 targets with 12 requests to GitHub.\n"));

    let piped = cli(&api, &args).stdin(VALUE).value(VALUE).run();
    assert_eq!(piped.code, 0, "{}", piped.transcript());
    assert_eq!(piped.stderr, "", "no progress bar in a pipe");
}
