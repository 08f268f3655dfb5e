//! SIGINT and SIGTERM at each phase of a run as a GitHub App: no write starts after the signal,
//! the write in flight finishes within the grace or is abandoned, the minted token is revoked,
//! the summary, outputs and audit record say what was written and what was not, and the exit
//! code is 130 (SIGINT) or 143 (SIGTERM).
//!
//! The fake holds one request (a latency fault) so the signal lands in a known phase: the test
//! sends it once that request has reached the fake.

use std::process::Command;
use std::time::{Duration, Instant};

use fake_github::{AppKey, FakeGitHub, Fault, FaultKind, Scope};

use crate::common::{cli_as, fake, Ran, Step, TOKEN};
use crate::signal_phase::{audit_rows, hold, install_app, wait_for_held, APP_ID};

#[derive(Clone, Copy, Debug)]
enum Sig {
    Int,
    Term,
}

impl Sig {
    fn flag(self) -> &'static str {
        match self {
            Sig::Int => "-INT",
            Sig::Term => "-TERM",
        }
    }
    fn name(self) -> &'static str {
        match self {
            Sig::Int => "SIGINT",
            Sig::Term => "SIGTERM",
        }
    }
    fn code(self) -> i32 {
        match self {
            Sig::Int => 130,
            Sig::Term => 143,
        }
    }
}

const BOTH: [Sig; 2] = [Sig::Int, Sig::Term];

fn app_fake() -> FakeGitHub {
    let api = fake();
    api.add_repo("acme/web");
    install_app(&api, APP_ID);
    api
}

/// Two secrets, as the app, with an audit log.
fn step(api: &FakeGitHub) -> Step<'_> {
    Step::new(api)
        .app(APP_ID)
        .input("audit-log", "audit.jsonl")
        .secrets(&[("ALPHA", "alpha-value-new"), ("BETA", "beta-value-new")])
}

/// [`step`] to acme/api and acme/web, fail-fast, held between the writes: fail-fast reads the
/// second target's key only when it comes to it, so a signal sent while that read is in flight
/// lands after both writes to acme/api.
fn between_writes(api: &FakeGitHub) -> Step<'_> {
    hold(
        api,
        "GET",
        "/repos/acme/web/actions/secrets/public-key",
        Duration::from_millis(500),
    );
    step(api)
        .input("repositories", "acme/api\nacme/web")
        .input("fail-fast", "true")
}

/// Runs `step`, sends `sig` once the held request reached the fake; returns what ran and how
/// many requests the fake had seen when the signal was sent.
fn run_signalled(api: &FakeGitHub, step: &Step<'_>, sig: Sig) -> (Ran, usize) {
    let mut seen = 0;
    let ran = step.run_while(|pid| {
        seen = wait_for_held(api, Duration::from_secs(60), sig.name());
        let status = Command::new("kill")
            .args([sig.flag(), &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {} {pid}", sig.flag());
    });
    (ran, seen)
}

/// `(secret, target, outcome)` of each audit record, sorted.
fn audit(ran: &Ran) -> Vec<(String, String, String)> {
    audit_rows(&ran.audit)
}

fn row(secret: &str, target: &str, outcome: &str) -> (String, String, String) {
    (secret.to_owned(), target.to_owned(), outcome.to_owned())
}

/// ALPHA and BETA in `target`, both cancelled.
fn both_cancelled(target: &str) -> [(String, String, String); 2] {
    [
        row("ALPHA", target, "cancelled"),
        row("BETA", target, "cancelled"),
    ]
}

/// What holds after every cancelled run: the exit code, every minted token revoked, no write
/// started after the signal, the summary naming the signal, the outputs written, nothing leaked.
fn assert_cancelled(api: &FakeGitHub, ran: &Ran, seen: usize, sig: Sig) {
    assert_eq!(ran.code, sig.code(), "{}", ran.transcript());
    for (_, revoked) in api.minted_tokens() {
        assert!(revoked, "a minted token outlived the cancelled run");
    }
    let after: Vec<String> = api.requests()[seen..]
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.path.clone())
        .collect();
    assert!(
        after.is_empty(),
        "writes started after the signal: {after:?}"
    );
    assert!(
        ran.summary
            .contains(&format!("cancelled by {}", sig.name())),
        "summary: {}",
        ran.summary
    );
    assert!(ran.outputs.contains_key("updated"), "{:?}", ran.outputs);
    ran.assert_no_leak();
}

/// [`run_signalled`], for a run that must end before the runner kills it: the grace (2 s) and
/// the revocation fit in the 7.5 s the runner gives. Then [`assert_cancelled`].
fn run_cancelled_in_time(api: &FakeGitHub, step: &Step<'_>, sig: Sig) -> Ran {
    let start = Instant::now();
    let (ran, seen) = run_signalled(api, step, sig);
    assert!(
        start.elapsed() < Duration::from_secs(7),
        "{sig:?}: {:?}",
        start.elapsed()
    );
    assert_cancelled(api, &ran, seen, sig);
    ran
}

#[test]
fn a_signal_before_the_token_is_minted_mints_nothing_and_writes_nothing() {
    for sig in BOTH {
        let api = app_fake();
        // The installation lookup is held past the grace: the run gives it up.
        hold(&api, "GET", "/installation", Duration::from_secs(30));
        let (ran, seen) = run_signalled(&api, &step(&api), sig);
        assert_cancelled(&api, &ran, seen, sig);
        assert!(
            api.minted_tokens().is_empty(),
            "{sig:?}: a token was minted"
        );
        assert_eq!(audit(&ran), both_cancelled("acme/api"), "{sig:?}");
        assert!(ran.summary.contains("not attempted: cancelled"));
        assert_eq!(ran.outputs["updated"], "[]");
    }
}

#[test]
fn a_signal_after_the_token_is_minted_revokes_it_and_writes_nothing() {
    for sig in BOTH {
        let api = app_fake();
        // The public key read (after the mint) is in flight when the signal comes; it ends
        // within the grace, and no write starts.
        hold(&api, "GET", "/public-key", Duration::from_millis(500));
        let (ran, seen) = run_signalled(&api, &step(&api), sig);
        assert_cancelled(&api, &ran, seen, sig);
        assert_eq!(api.minted_tokens().len(), 1, "{sig:?}");
        assert!(
            api.requests().iter().all(|r| r.method != "PUT"),
            "{sig:?}: a write started"
        );
        assert_eq!(audit(&ran), both_cancelled("acme/api"), "{sig:?}");
        assert!(api.secret(&Scope::repo("acme/api"), "ALPHA").is_none());
    }
}

#[test]
fn a_signal_between_writes_keeps_what_was_written_and_starts_no_other() {
    for sig in BOTH {
        let api = app_fake();
        let (ran, seen) = run_signalled(&api, &between_writes(&api), sig);
        assert_cancelled(&api, &ran, seen, sig);
        assert_eq!(
            audit(&ran),
            [
                row("ALPHA", "acme/api", "created"),
                row("ALPHA", "acme/web", "cancelled"),
                row("BETA", "acme/api", "created"),
                row("BETA", "acme/web", "cancelled"),
            ],
            "{sig:?}"
        );
        assert!(api.secret(&Scope::repo("acme/api"), "BETA").is_some());
        assert!(api.secret(&Scope::repo("acme/web"), "ALPHA").is_none());
        assert!(ran.summary.contains("not attempted: cancelled"));
        assert_eq!(api.minted_tokens().len(), 1);
    }
}

#[test]
fn a_signal_during_a_write_lets_it_finish_and_starts_no_other() {
    for sig in BOTH {
        let api = app_fake();
        // The first write is in flight when the signal comes and ends within the grace.
        hold(&api, "PUT", "/secrets/ALPHA", Duration::from_millis(500));
        let (ran, seen) = run_signalled(&api, &step(&api), sig);
        assert_cancelled(&api, &ran, seen, sig);
        assert_eq!(
            audit(&ran),
            [
                row("ALPHA", "acme/api", "created"),
                row("BETA", "acme/api", "cancelled"),
            ],
            "{sig:?}"
        );
        assert_eq!(
            api.secret(&Scope::repo("acme/api"), "ALPHA")
                .expect("stored")
                .value,
            "alpha-value-new"
        );
        assert!(ran.outputs["updated"].contains("ALPHA"));
    }
}

#[test]
fn a_write_that_outlasts_the_grace_is_abandoned_and_reported_as_uncertain() {
    let sig = Sig::Term;
    let api = app_fake();
    hold(&api, "PUT", "/secrets/ALPHA", Duration::from_secs(30));
    let ran = run_cancelled_in_time(&api, &step(&api), sig);
    assert_eq!(
        audit(&ran),
        [
            row("ALPHA", "acme/api", "failed"),
            row("BETA", "acme/api", "cancelled"),
        ]
    );
    assert!(
        ran.summary.contains("may or may not have stored it"),
        "{}",
        ran.summary
    );
}

#[test]
fn set_as_an_app_interrupted_during_a_write_revokes_and_exits_130() {
    let api = app_fake();
    hold(&api, "PUT", "/secrets/ALPHA", Duration::from_millis(500));
    let url = api.url();
    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .file("app.pem", &AppKey::shared().pkcs1_pem)
        .stdin("set-value-1\n")
        .value("set-value-1")
        .args(&[
            "set",
            "ALPHA",
            "--name",
            "BETA",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--api-url",
            &url,
            "--app-id",
            &APP_ID.to_string(),
            "--app-key-file",
            "app.pem",
        ]);
    let (ran, seen) = run_signalled(&api, &step, Sig::Int);
    assert_eq!(ran.code, 130, "{}", ran.transcript());
    for (_, revoked) in api.minted_tokens() {
        assert!(revoked, "a minted token outlived the interrupted set");
    }
    assert_eq!(api.minted_tokens().len(), 1);
    assert!(api.requests()[seen..].iter().all(|r| r.method != "PUT"));
    assert!(
        ran.stderr.contains("cancelled by SIGINT"),
        "{}",
        ran.transcript()
    );
    ran.assert_no_leak();
}

/// The engine's token phases the tests above leave out: a signal while repository patterns are
/// resolved with the metadata token, and one while a mint is in flight past the grace.
#[test]
fn a_signal_while_patterns_are_resolved_revokes_the_metadata_token() {
    for sig in BOTH {
        let api = app_fake();
        api.add_repo("acme/service-a");
        // The listing with the metadata token outlasts the grace: resolution is abandoned.
        hold(
            &api,
            "GET",
            "/installation/repositories",
            Duration::from_secs(30),
        );
        let step = step(&api).input("repositories", "acme/service-*");
        let ran = run_cancelled_in_time(&api, &step, sig);
        let minted = api.minted_tokens();
        assert_eq!(minted.len(), 1, "{sig:?}: only the metadata token");
        assert_eq!(api.count("DELETE", "/installation/token"), 1, "{sig:?}");
        assert_eq!(audit(&ran), both_cancelled("acme/service-*"), "{sig:?}");
    }
}

#[test]
fn a_mint_in_flight_past_the_grace_is_awaited_and_its_token_revoked() {
    let sig = Sig::Term;
    let api = app_fake();
    // GitHub answers the mint 3 s after the signal: the run abandons it after the 2 s grace,
    // but the token GitHub minted all the same is revoked once it arrives (within the 3 s
    // bound of revocation).
    hold(&api, "POST", "/access_tokens", Duration::from_secs(3));
    let ran = run_cancelled_in_time(&api, &step(&api), sig);
    assert_eq!(api.minted_tokens().len(), 1);
    assert_eq!(api.count("DELETE", "/installation/token"), 1);
    assert_eq!(audit(&ran), both_cancelled("acme/api"));
}

/// A command for people, as the app, its key in `app.pem`.
fn app_cli<'a>(api: &'a FakeGitHub, args: &[&str]) -> Step<'a> {
    let url = api.url();
    let mut all: Vec<&str> = args.to_vec();
    let id = APP_ID.to_string();
    all.extend([
        "--api-url",
        &url,
        "--app-id",
        &id,
        "--app-key-file",
        "app.pem",
    ]);
    Step::new(api)
        .remove_env("GITHUB_ACTIONS")
        .file("app.pem", &AppKey::shared().pkcs1_pem)
        .args(&all)
}

/// `status`, `check-token` and `set --dry-run`, as the app, signalled at each phase: they stop
/// (no request starts after the signal but the revocation), revoke what they minted, say so,
/// and exit 130/143 within the runner's few seconds.
#[test]
fn status_check_token_and_set_dry_run_stop_revoke_and_exit_on_a_signal() {
    struct Case {
        what: &'static str,
        args: &'static [&'static str],
        /// (method, path) of the request in flight when the signal comes, and for how long.
        hold: (&'static str, &'static str, u64),
        minted: usize,
    }
    let cases = [
        Case {
            what: "status, listing",
            args: &["status", "ALPHA", "--repo", "acme/api"],
            hold: ("GET", "/repos/acme/api/actions/secrets", 30),
            minted: 1,
        },
        Case {
            what: "status, mint in flight past the grace",
            args: &["status", "ALPHA", "--repo", "acme/api"],
            hold: ("POST", "/access_tokens", 3),
            minted: 1,
        },
        Case {
            what: "status, before the mint",
            args: &["status", "ALPHA", "--repo", "acme/api"],
            hold: ("GET", "/repos/acme/api/installation", 30),
            minted: 0,
        },
        Case {
            what: "check-token, public key read",
            args: &["check-token", "--repo", "acme/api"],
            hold: ("GET", "/public-key", 30),
            minted: 1,
        },
        Case {
            what: "check-token, mint in flight past the grace",
            args: &["check-token", "--repo", "acme/api"],
            hold: ("POST", "/access_tokens", 3),
            minted: 1,
        },
        Case {
            what: "check-token, before the mint",
            args: &["check-token", "--repo", "acme/api"],
            hold: ("GET", "/repos/acme/api/installation", 30),
            minted: 0,
        },
        Case {
            what: "set --dry-run, public key read",
            args: &["set", "ALPHA", "--dry-run", "--repo", "acme/api"],
            hold: ("GET", "/public-key", 30),
            minted: 1,
        },
    ];
    // Each case and signal has a fake and a process of its own, and spends its time waiting
    // (the grace, the revocation): they run at once, each on a thread named for the test.
    let name = std::thread::current().name().unwrap_or_default().to_owned();
    std::thread::scope(|scope| {
        let runs: Vec<_> = cases
            .iter()
            .flat_map(|case| BOTH.map(|sig| (case, sig)))
            .enumerate()
            .map(|(n, (case, sig))| {
                std::thread::Builder::new()
                    .name(format!("{name}-{n}"))
                    .spawn_scoped(scope, move || {
                        signal_one(case.what, case.args, case.hold, case.minted, sig)
                    })
                    .expect("spawn")
            })
            .collect();
        for run in runs {
            if let Err(panic) = run.join() {
                std::panic::resume_unwind(panic);
            }
        }
    });
}

/// One case of [`status_check_token_and_set_dry_run_stop_revoke_and_exit_on_a_signal`].
fn signal_one(
    what: &str,
    args: &[&str],
    (method, path, secs): (&str, &str, u64),
    minted_expected: usize,
    sig: Sig,
) {
    let api = app_fake();
    hold(&api, method, path, Duration::from_secs(secs));
    let step = app_cli(&api, args);
    let start = Instant::now();
    let (ran, seen) = run_signalled(&api, &step, sig);
    let ctx = format!("{what} ({sig:?}): {}", ran.screen());
    assert!(start.elapsed() < Duration::from_secs(7), "{ctx}");
    assert_eq!(ran.code, sig.code(), "{ctx}");
    assert!(
        ran.stderr.contains(&format!("cancelled by {}", sig.name())),
        "{ctx}"
    );
    let minted = api.minted_tokens();
    assert_eq!(minted.len(), minted_expected, "{ctx}");
    assert!(minted.iter().all(|(_, revoked)| *revoked), "{ctx}");
    // After the signal (the held request was logged when it came): nothing but the
    // revocation.
    let after: Vec<String> = api.requests()[seen..]
        .iter()
        .filter(|r| !(r.method == "DELETE" && r.path == "/installation/token"))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(after.is_empty(), "{ctx}: {after:?}");
    let mut ran = ran;
    for (token, _) in &minted {
        ran = ran.value(&token.token);
    }
    ran.assert_no_leak();
}

#[test]
fn check_token_with_a_token_stops_on_a_signal() {
    for sig in BOTH {
        let api = fake();
        hold(&api, "GET", "/user", Duration::from_secs(30));
        let step = cli_as(&api, TOKEN, &["check-token", "--repo", "acme/api"]);
        let start = Instant::now();
        let (ran, _) = run_signalled(&api, &step, sig);
        assert!(start.elapsed() < Duration::from_secs(7), "{}", ran.screen());
        assert_eq!(ran.code, sig.code(), "{}", ran.screen());
        assert!(ran.stderr.contains(&format!("cancelled by {}", sig.name())));
        assert_eq!(api.count("GET", "/public-key"), 0, "{}", ran.screen());
        ran.assert_no_leak();
    }
}

/// "Run again to write what was not attempted": the re-run of a cancelled attempt (same run,
/// same job, the audit log kept) writes exactly the pairs the signal left unwritten, and the
/// one whose write was abandoned (GitHub may or may not have stored it); nothing else.
#[test]
fn a_rerun_after_a_cancellation_writes_exactly_what_was_left() {
    let api = app_fake();
    let first = between_writes(&api).env("GITHUB_JOB", "refresh");
    let (ran, _) = run_signalled(&api, &first, Sig::Term);
    assert_eq!(ran.code, 143, "{}", ran.transcript());
    let log = ran.audit.clone();
    api.clear_requests();
    let rerun = step(&api)
        .input("repositories", "acme/api\nacme/web")
        .input("fail-fast", "true")
        .env("GITHUB_JOB", "refresh")
        .env("GITHUB_RUN_ATTEMPT", "2")
        .file_bytes("audit.jsonl", log.as_bytes());
    let ran = rerun.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let mut puts: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.path.clone())
        .collect();
    puts.sort();
    assert_eq!(
        puts,
        [
            "/repos/acme/web/actions/secrets/ALPHA",
            "/repos/acme/web/actions/secrets/BETA",
        ]
    );
    for repo in ["acme/api", "acme/web"] {
        for (name, value) in [("ALPHA", "alpha-value-new"), ("BETA", "beta-value-new")] {
            let stored = api.secret(&Scope::repo(repo), name).expect("stored");
            assert_eq!(
                (stored.value.as_str(), stored.writes),
                (value, 1),
                "{repo} {name}"
            );
        }
    }
    assert_eq!(
        ran.output("updated"),
        r#"["acme/web:ALPHA","acme/web:BETA"]"#
    );
    for (_, revoked) in api.minted_tokens() {
        assert!(revoked);
    }

    // An abandoned write is uncertain: the re-run writes it again.
    let api = app_fake();
    hold(&api, "PUT", "/secrets/ALPHA", Duration::from_secs(30));
    let first = step(&api).env("GITHUB_JOB", "refresh");
    let (ran, _) = run_signalled(&api, &first, Sig::Int);
    assert_eq!(ran.code, 130, "{}", ran.transcript());
    let log = ran.audit.clone();
    api.clear_requests();
    let ran = step(&api)
        .env("GITHUB_JOB", "refresh")
        .env("GITHUB_RUN_ATTEMPT", "2")
        .file_bytes("audit.jsonl", log.as_bytes())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("PUT", "/secrets/ALPHA"), 1);
    assert_eq!(api.count("PUT", "/secrets/BETA"), 1);
    assert_eq!(
        api.secret(&Scope::repo("acme/api"), "ALPHA")
            .expect("stored")
            .value,
        "alpha-value-new"
    );
    assert_eq!(
        ran.output("updated"),
        r#"["acme/api:ALPHA","acme/api:BETA"]"#
    );
}

#[test]
fn a_token_that_arrives_within_the_grace_is_revoked_and_no_other_request_starts() {
    for sig in BOTH {
        let api = app_fake();
        // The mint is answered 0.5 s after the signal, well within the grace: the session
        // opens, and then nothing but the revocation is sent.
        hold(&api, "POST", "/access_tokens", Duration::from_millis(500));
        let (ran, seen) = run_signalled(&api, &step(&api), sig);
        assert_cancelled(&api, &ran, seen, sig);
        let after: Vec<String> = api.requests()[seen..]
            .iter()
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert_eq!(after, ["DELETE /installation/token"], "{sig:?}");
        assert_eq!(api.minted_tokens().len(), 1, "{sig:?}");
        assert_eq!(audit(&ran), both_cancelled("acme/api"), "{sig:?}");
    }
}

/// Three secrets on GitHub's own clock (one write a second), `token`, an audit log.
fn paced_step(api: &FakeGitHub) -> Step<'_> {
    Step::new(api)
        .token()
        .input("audit-log", "audit.jsonl")
        .secrets(&[
            ("S1", "s1-value-new"),
            ("S2", "s2-value-new"),
            ("S3", "s3-value-new"),
        ])
        .env("SECRET_REFRESH_TIME_SCALE", "1")
}

/// Runs `step`, sends SIGTERM `after` the first request that `ready` holds for has reached the
/// fake; returns what ran, the requests seen when the signal went, and when the run started.
fn signalled_after(
    api: &FakeGitHub,
    step: &Step<'_>,
    ready: impl Fn(&FakeGitHub) -> bool,
    after: Duration,
) -> (Ran, usize, Instant) {
    let start = Instant::now();
    let mut seen = 0;
    let ran = step.run_while(|pid| {
        while !ready(api) {
            assert!(start.elapsed() < Duration::from_secs(60), "never ready");
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(after);
        seen = api.requests().len();
        let status = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
    });
    (ran, seen, start)
}

/// What a run cancelled while S2 waited must show: S1 created, S2 and S3 not attempted (no write
/// was in flight, so none is "abandoned"), totals that add up in the log, the summary and the
/// audit log, no write started after the signal, and an end well before the wait would have.
fn assert_only_s1_written(api: &FakeGitHub, ran: &Ran, seen: usize, start: Instant) {
    assert_eq!(ran.code, 143, "{}", ran.transcript());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "the run waited out the wait: {:?}",
        start.elapsed()
    );
    let after: Vec<String> = api.requests()[seen..]
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(after.is_empty(), "sent after the signal: {after:?}");
    assert_eq!(
        audit(ran),
        [
            row("S1", "acme/api", "created"),
            row("S2", "acme/api", "cancelled"),
            row("S3", "acme/api", "cancelled"),
        ]
    );
    assert!(!ran.stdout.contains("abandoned"), "{}", ran.transcript());
    for text in [&ran.stdout, &ran.summary] {
        assert!(
            text.contains("Wrote 1 secret to 1 target")
                && text.contains("0 failed, 2 not attempted"),
            "{text}"
        );
    }
    assert_eq!(
        ran.summary.matches("| not attempted: cancelled |").count(),
        2,
        "{}",
        ran.summary
    );
    assert_eq!(ran.output("updated"), r#"["acme/api:S1"]"#);
    ran.assert_no_leak();
}

/// A signal while a write waits for its turn under GitHub's rules (a second after the previous
/// write's answer): the write never leaves, and it is reported not attempted.
#[test]
fn a_signal_during_a_pacing_wait_sends_nothing_more_and_totals_add_up() {
    let api = fake();
    let step = paced_step(&api);
    // S2 waits about a second after S1's answer: the signal comes in that wait.
    let (ran, seen, start) = signalled_after(
        &api,
        &step,
        |api| api.count("PUT", "/secrets/S1") == 1,
        Duration::from_millis(300),
    );
    assert_eq!(api.count("PUT", "/secrets/"), 1);
    assert_only_s1_written(&api, &ran, seen, start);
}

/// A signal while a write waits out a rate-limited answer (GitHub asked for 30 s): the answer
/// was a refusal, so nothing is in flight; the write is not attempted, not "abandoned".
#[test]
fn a_signal_during_a_rate_limit_wait_reports_no_write_in_flight() {
    let api = fake();
    api.inject(
        Fault::new(FaultKind::Secondary403 {
            retry_after_secs: 30,
        })
        .on("PUT", "/secrets/S2")
        .times(1),
    );
    let step = paced_step(&api);
    let (ran, seen, start) = signalled_after(
        &api,
        &step,
        |api| api.faults_hit() == 1,
        Duration::from_millis(300),
    );
    assert_eq!(
        api.count("PUT", "/secrets/S2"),
        1,
        "refused once, never resent"
    );
    assert_only_s1_written(&api, &ran, seen, start);
}
