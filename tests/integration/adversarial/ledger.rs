//! Adversarial scenarios: see `mod.rs`.
//!
//! The audit log lives in the workspace: anything that can write the workspace (or an earlier
//! run on a self-hosted runner) can leave records there. Records must never make a run skip a
//! write it has to make: the log is read only on a re-run, only records bound to this run count,
//! and a hostile file (a link, a FIFO, a huge file, a path out of the workspace) is not read and
//! never written through. And a re-run never lets the ledger override a comparison that proves a
//! difference (issue 15).

use std::path::Path;
use std::time::{Duration, Instant};

use fake_github::{FakeGitHub, Fault, FaultKind, Scope};

use crate::common::{fake, Ran, Step, REPO, TOKEN};

const LOG: &str = "audit.jsonl";
const SESSION: &str = "session-value-1";
const REFRESH: &str = "refresh-value-1";

/// An audit record as this tool writes it (both the machine fields and the older text fields,
/// so that any reader of the log would take it for real), for `acme/api` in run 4242.
fn record(attempt: u32, outcome: &str, secret: &str) -> String {
    record_of(REPO, "4242", attempt, "refresh", outcome, secret)
}

fn record_of(
    run_repository: &str,
    run_id: &str,
    attempt: u32,
    job: &str,
    outcome: &str,
    secret: &str,
) -> String {
    let (action, result) = match outcome {
        "created" => ("secret.create", "created"),
        "failed" => ("secret.fail", "failed: GitHub answered 500"),
        other => panic!("{other}"),
    };
    serde_json::json!({
        "time": "2099-01-01T00:00:00Z",
        "run_repository": run_repository,
        "run_id": run_id,
        "run_attempt": attempt,
        "job": job,
        "actor": "octo",
        "secret": secret,
        "target": REPO,
        "target_type": "repository",
        "app": "actions",
        "repository": REPO,
        "outcome": outcome,
        "action": action,
        "key_id": "forged-key",
        "result": result,
    })
    .to_string()
        + "\n"
}

/// A forged log: SESSION written, REFRESH failed (so the run looks unfinished).
fn forged(attempt: u32) -> String {
    record(attempt, "created", "SESSION") + &record(attempt, "failed", "REFRESH")
}

fn step(api: &FakeGitHub) -> Step<'_> {
    Step::new(api)
        .token()
        .input("audit-log", LOG)
        .env("GITHUB_JOB", "refresh")
        .secrets(&[("SESSION", SESSION), ("REFRESH", REFRESH)])
}

fn stored(api: &FakeGitHub, name: &str) -> Option<(String, u32)> {
    api.secret(&Scope::repo(REPO), name)
        .map(|s| (s.value, s.writes))
}

/// Both secrets were written, once each, with this run's values.
fn both_written(api: &FakeGitHub, ran: &Ran) {
    assert_eq!(
        stored(api, "SESSION"),
        Some((SESSION.to_owned(), 1)),
        "{}",
        ran.transcript()
    );
    assert_eq!(
        stored(api, "REFRESH"),
        Some((REFRESH.to_owned(), 1)),
        "{}",
        ran.transcript()
    );
    assert_eq!(api.count("PUT", "/secrets/"), 2, "{}", ran.transcript());
    ran.assert_no_leak();
}

#[test]
fn forged_records_do_not_make_a_first_attempt_skip_a_write() {
    for attempt in [None, Some("1")] {
        let api = fake();
        let mut s = step(&api).file_bytes(LOG, forged(1).as_bytes());
        if let Some(a) = attempt {
            s = s.env("GITHUB_RUN_ATTEMPT", a);
        }
        let ran = s.run();
        assert_eq!(ran.code, 0, "{attempt:?}: {}", ran.transcript());
        both_written(&api, &ran);
        assert_eq!(
            ran.output("updated"),
            r#"["acme/api:SESSION","acme/api:REFRESH"]"#
        );
    }
}

/// The forgery SECURITY.md listed as a known limit: a step that can write the workspace knows
/// the run binding (repository, run id, job, attempt) and writes "SESSION already written" for
/// a re-run. Records are authenticated by the credential that writes, which that step does not
/// hold: a forged or re-keyed record counts for nothing, and the re-run writes both.
#[test]
fn a_record_forged_for_this_very_run_does_not_make_a_rerun_skip_a_write() {
    let mut signed_by_another = forged(1);
    signed_by_another = signed_by_another.replace(
        "\"result\":\"created\"}",
        &format!("\"result\":\"created\",\"mac\":\"{}\"}}", "ab".repeat(32)),
    );
    for (what, log) in [("no mac", forged(1)), ("a wrong mac", signed_by_another)] {
        let api = fake();
        let ran = step(&api)
            .env("GITHUB_RUN_ATTEMPT", "2")
            .file_bytes(LOG, log.as_bytes())
            .run();
        assert_eq!(ran.code, 0, "{what}: {}", ran.transcript());
        both_written(&api, &ran);
        assert_eq!(
            ran.output("updated"),
            r#"["acme/api:SESSION","acme/api:REFRESH"]"#,
            "{what}"
        );
    }
}

/// A genuine log of attempt 1 counts on attempt 2 only with the same credential: the token
/// rotated in between, the re-run writes again what attempt 1 wrote (more, never less).
#[test]
fn a_genuine_record_counts_only_for_the_credential_that_made_it() {
    let log = real_log_of_attempt_one();
    assert!(log.contains("\"mac\":\""), "{log}");
    let api = fake();
    let rotated = "ghp_RotatedBetweenAttempts000000000000000";
    api.add_token(rotated, fake_github::TokenSpec::classic("octo", &["repo"]));
    let ran = step(&api)
        .token_value(rotated)
        .env("GITHUB_RUN_ATTEMPT", "2")
        .file_bytes(LOG, log.as_bytes())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    both_written(&api, &ran);
}

/// Two steps of one job that share the token and the `audit-log` path: a re-run of the second
/// does not take the first's records for its own (`GITHUB_ACTION` names the step, the same in
/// every attempt), so it writes what the first step wrote; the first step's re-run still
/// finishes only what is missing.
#[test]
fn another_step_of_the_same_job_does_not_count_as_this_one() {
    let log = real_log_of_attempt_one();
    for (step_id, session_writes) in [("__run_2", 1), ("", 0)] {
        let api = fake();
        let mut s = step(&api)
            .env("GITHUB_RUN_ATTEMPT", "2")
            .file_bytes(LOG, log.as_bytes());
        if !step_id.is_empty() {
            s = s.env("GITHUB_ACTION", step_id);
        }
        let ran = s.run();
        assert_eq!(ran.code, 0, "{step_id:?}: {}", ran.transcript());
        assert_eq!(
            api.count("PUT", "/secrets/SESSION"),
            session_writes,
            "{step_id:?}: {}",
            ran.transcript()
        );
        assert_eq!(api.count("PUT", "/secrets/REFRESH"), 1, "{step_id:?}");
    }
}

#[test]
fn records_not_bound_to_an_earlier_attempt_of_this_run_do_not_count() {
    let unfinished = record(1, "failed", "REFRESH");
    let cases = [
        ("a later attempt", record(5, "created", "SESSION")),
        ("this attempt", record(2, "created", "SESSION")),
        (
            "another repository",
            record_of("evil/api", "4242", 1, "refresh", "created", "SESSION"),
        ),
        (
            "another run",
            record_of(REPO, "4241", 1, "refresh", "created", "SESSION"),
        ),
        (
            "another job",
            record_of(REPO, "4242", 1, "deploy", "created", "SESSION"),
        ),
        (
            "no attempt",
            r#"{"time":"2099-01-01T00:00:00Z","run_id":"4242","secret":"SESSION","target":"acme/api","action":"secret.create","outcome":"created","key_id":"k","result":"created"}"#.to_owned()
                + "\n",
        ),
    ];
    for (what, line) in cases {
        let api = fake();
        let ran = step(&api)
            .env("GITHUB_RUN_ATTEMPT", "2")
            .file_bytes(LOG, format!("{line}{unfinished}").as_bytes())
            .run();
        assert_eq!(ran.code, 0, "{what}: {}", ran.transcript());
        both_written(&api, &ran);
    }
}

/// The log of an earlier attempt that really wrote SESSION, for a re-run to find.
fn real_log_of_attempt_one() -> String {
    let api = fake();
    api.inject(
        Fault::new(FaultKind::Status(500))
            .on("PUT", "/secrets/REFRESH")
            .times(4),
    );
    let first = step(&api).run();
    assert_eq!(first.code, 1, "{}", first.transcript());
    first.audit.clone()
}

#[test]
fn a_linked_audit_log_or_a_path_out_of_the_workspace_is_neither_read_nor_written() {
    let log = real_log_of_attempt_one();
    let outside = crate::common::tempdir();
    let target = outside.path().join("audit.jsonl");

    // The file is a link to a file outside the workspace.
    std::fs::write(&target, &log).expect("write");
    let api = fake();
    let s = step(&api).env("GITHUB_RUN_ATTEMPT", "2");
    std::os::unix::fs::symlink(&target, s.workspace().join(LOG)).expect("symlink");
    let ran = s.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stdout.contains("symbolic link"), "{}", ran.stdout);
    both_written(&api, &ran);
    assert_eq!(std::fs::read_to_string(&target).expect("read"), log);

    // A directory of the path is a link out of the workspace.
    let api = fake();
    let s = step(&api)
        .env("GITHUB_RUN_ATTEMPT", "2")
        .input("audit-log", "state/audit.jsonl");
    std::os::unix::fs::symlink(outside.path(), s.workspace().join("state")).expect("symlink");
    let ran = s.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("outside the workspace"),
        "{}",
        ran.stdout
    );
    both_written(&api, &ran);
    assert_eq!(std::fs::read_to_string(&target).expect("read"), log);

    // `..` out of the workspace.
    let api = fake();
    let s = step(&api).env("GITHUB_RUN_ATTEMPT", "2");
    let escape = s.workspace().join("../escaped.jsonl");
    std::fs::write(&escape, &log).expect("write");
    let s = s.input("audit-log", "../escaped.jsonl");
    let ran = s.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    both_written(&api, &ran);
    assert_eq!(std::fs::read_to_string(&escape).expect("read"), log);
}

#[test]
fn a_fifo_audit_log_never_hangs_the_run() {
    let api = fake();
    let s = step(&api).env("GITHUB_RUN_ATTEMPT", "2");
    let fifo = s.workspace().join(LOG);
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let ran = run_within(&s, &fifo, Duration::from_secs(30));
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stdout.contains("not a regular file"), "{}", ran.stdout);
    both_written(&api, &ran);
}

/// Runs the step; if it is still running after `limit`, opens the FIFO's write end (so a
/// reader blocked on it gets end-of-file) and fails the test.
fn run_within(step: &Step<'_>, fifo: &Path, limit: Duration) -> Ran {
    std::thread::scope(|scope| {
        let handle = scope.spawn(|| step.run());
        let start = Instant::now();
        while !handle.is_finished() && start.elapsed() < limit {
            std::thread::sleep(Duration::from_millis(50));
        }
        let hung = !handle.is_finished();
        if hung {
            use std::os::unix::fs::OpenOptionsExt;
            let _ = std::fs::OpenOptions::new()
                .write(true)
                .custom_flags(libc::O_NONBLOCK)
                .open(fifo);
        }
        let ran = handle.join().expect("step");
        assert!(!hung, "the run hung on a FIFO audit log");
        ran
    })
}

#[test]
fn a_huge_audit_log_is_not_read() {
    let api = fake();
    let s = step(&api).env("GITHUB_RUN_ATTEMPT", "2");
    let path = s.workspace().join(LOG);
    std::fs::write(&path, forged(1)).expect("write");
    // Sparse: 32 MiB on paper, a few bytes on disk.
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .expect("open");
    f.set_len(32 * 1024 * 1024).expect("set_len");
    let ran = s.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("::warning title=audit log not read::"),
        "{}",
        ran.stdout
    );
    both_written(&api, &ran);
}

/// Issue 15: attempt 1 writes SESSION and fails on REFRESH; then a re-run (attempt 2) of the
/// same job, given the same audit log, with this matrix of inputs. Asserts what the fake stores.
#[test]
fn rerun_matrix_the_comparison_decides_where_the_stored_value_is_known() {
    struct Case {
        what: &'static str,
        session: &'static str,
        current: Option<[(&'static str, &'static str); 2]>,
        job: &'static str,
        /// (SESSION stored, SESSION writes, REFRESH writes, PUTs in the re-run, `updated`)
        expect: (&'static str, u32, u32, usize, &'static str),
    }
    let v2 = "session-value-2";
    let cases = [
        Case {
            what: "same values, no current: only what is missing",
            session: SESSION,
            current: None,
            job: "refresh",
            expect: (SESSION, 1, 1, 1, r#"["acme/api:REFRESH"]"#),
        },
        Case {
            what: "same values, current shows SESSION stored",
            session: SESSION,
            current: Some([("SESSION", SESSION), ("REFRESH", "refresh-old")]),
            job: "refresh",
            expect: (SESSION, 1, 1, 1, r#"["acme/api:REFRESH"]"#),
        },
        Case {
            what: "SESSION refreshed again, current proves it differs: written",
            session: v2,
            current: Some([("SESSION", SESSION), ("REFRESH", "refresh-old")]),
            job: "refresh",
            expect: (v2, 2, 1, 2, r#"["acme/api:SESSION","acme/api:REFRESH"]"#),
        },
        Case {
            what: "SESSION refreshed again, no current: the ledger's premise (same inputs) \
                   holds it back, and it is not reported as written",
            session: v2,
            current: None,
            job: "refresh",
            expect: (SESSION, 1, 1, 1, r#"["acme/api:REFRESH"]"#),
        },
        Case {
            what: "another job of the same run: the records are not its own",
            session: SESSION,
            current: None,
            job: "other",
            expect: (
                SESSION,
                2,
                1,
                2,
                r#"["acme/api:SESSION","acme/api:REFRESH"]"#,
            ),
        },
    ];
    for case in cases {
        let api = fake();
        api.inject(
            Fault::new(FaultKind::Status(500))
                .on("PUT", "/secrets/REFRESH")
                .times(4),
        );
        let first = step(&api).run();
        assert_eq!(first.code, 1, "{}: {}", case.what, first.transcript());
        assert_eq!(stored(&api, "SESSION"), Some((SESSION.to_owned(), 1)));
        assert_eq!(stored(&api, "REFRESH"), None);
        api.clear_requests();

        let mut s = Step::new(&api)
            .token()
            .input("audit-log", LOG)
            .env("GITHUB_JOB", case.job)
            .env("GITHUB_RUN_ATTEMPT", "2")
            .secrets(&[("SESSION", case.session), ("REFRESH", REFRESH)])
            .file_bytes(LOG, first.audit.as_bytes());
        if let Some(current) = &case.current {
            s = s.current(current);
        }
        let ran = s.run();
        let ctx = format!("{}: {}", case.what, ran.transcript());
        let (session, session_writes, refresh_writes, puts, updated) = case.expect;
        assert_eq!(ran.code, 0, "{ctx}");
        assert_eq!(
            stored(&api, "SESSION"),
            Some((session.to_owned(), session_writes)),
            "{ctx}"
        );
        assert_eq!(
            stored(&api, "REFRESH"),
            Some((REFRESH.to_owned(), refresh_writes)),
            "{ctx}"
        );
        assert_eq!(api.count("PUT", "/secrets/"), puts, "{ctx}");
        assert_eq!(ran.output("updated"), updated, "{ctx}");
        // What the summary says about SESSION is what happened to it.
        let row = ran
            .summary
            .lines()
            .rfind(|l| l.starts_with("| `SESSION` |"))
            .unwrap_or_default();
        if session_writes == 2 {
            assert!(row.ends_with("| updated |"), "{ctx}");
        } else if case.current.is_some() {
            assert!(row.ends_with("| unchanged |"), "{ctx}");
        } else {
            assert!(
                row.ends_with("| already written by an earlier attempt of this run |"),
                "{ctx}"
            );
        }
        ran.assert_no_leak();
    }
}

#[test]
fn the_audit_record_binds_the_run_and_holds_no_value() {
    let api = fake();
    let ran = step(&api).env("GITHUB_RUN_ATTEMPT", "3").run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for line in ran.audit.lines() {
        let r: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(r["run_repository"], REPO, "{line}");
        assert_eq!(r["run_id"], "4242", "{line}");
        assert_eq!(r["run_attempt"], 3, "{line}");
        assert_eq!(r["job"], "refresh", "{line}");
        assert_eq!(r["outcome"], "created", "{line}");
        assert!(r["time"].as_str().is_some_and(|t| t.ends_with('Z')));
        for v in [SESSION, REFRESH, TOKEN] {
            assert!(!line.contains(v));
        }
    }
    assert_eq!(ran.audit.lines().count(), 2);
}

/// Finding H: an audit log hard-linked to a file outside the workspace is neither read nor
/// appended to (the records went into the outside file).
#[test]
fn a_hard_linked_audit_log_is_neither_read_nor_written() {
    let log = real_log_of_attempt_one();
    let outside = crate::common::tempdir();
    let target = outside.path().join("outside.jsonl");
    std::fs::write(&target, &log).expect("write");
    let api = fake();
    let s = step(&api).env("GITHUB_RUN_ATTEMPT", "2");
    std::fs::hard_link(&target, s.workspace().join(LOG)).expect("hard link");
    let ran = s.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stdout.contains("hard link"), "{}", ran.stdout);
    both_written(&api, &ran);
    assert_eq!(std::fs::read_to_string(&target).expect("read"), log);
}
