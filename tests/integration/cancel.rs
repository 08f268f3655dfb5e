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
use serde_json::Value;

use crate::common::{fake, Ran, Step};

const APP_ID: u64 = 4242;

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
    api.add_app(APP_ID, &AppKey::shared().public_pem);
    api.add_installation(
        APP_ID,
        "acme",
        None,
        &[("secrets", "write"), ("metadata", "read")],
    );
    api
}

/// Two secrets, as the app, with an audit log.
fn step(api: &FakeGitHub) -> Step<'_> {
    let key = AppKey::shared().pkcs1_pem.clone();
    let mut step = Step::new(api)
        .input("app-id", &APP_ID.to_string())
        .input("app-private-key", &key)
        .input("audit-log", "audit.jsonl")
        .secrets(&[("ALPHA", "alpha-value-new"), ("BETA", "beta-value-new")]);
    step.values.push(key);
    step
}

/// Holds the first request whose path contains `path` for `hold`.
fn hold(api: &FakeGitHub, method: &str, path: &str, hold: Duration) {
    api.inject(
        Fault::new(FaultKind::Latency(hold))
            .method(method)
            .path(path)
            .times(1),
    );
}

/// Runs `step`, sends `sig` once the held request reached the fake; returns what ran and how
/// many requests the fake had seen when the signal was sent.
fn run_signalled(api: &FakeGitHub, step: &Step<'_>, sig: Sig) -> (Ran, usize) {
    let mut seen = 0;
    let ran = step.run_while(|pid| {
        let start = Instant::now();
        while api.faults_hit() == 0 {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "the held request never came"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        seen = api.requests().len();
        let status = Command::new("kill")
            .args([sig.flag(), &pid.to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "kill {} {pid}", sig.flag());
    });
    (ran, seen)
}

/// `(secret, target, outcome)` of each audit record.
fn audit(ran: &Ran) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = ran
        .audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).expect("audit json"))
        .map(|v| {
            (
                v["secret"].as_str().unwrap_or_default().to_owned(),
                v["target"].as_str().unwrap_or_default().to_owned(),
                v["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    rows.sort();
    rows
}

fn row(secret: &str, target: &str, outcome: &str) -> (String, String, String) {
    (secret.to_owned(), target.to_owned(), outcome.to_owned())
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
        assert_eq!(
            audit(&ran),
            [
                row("ALPHA", "acme/api", "cancelled"),
                row("BETA", "acme/api", "cancelled"),
            ],
            "{sig:?}"
        );
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
        assert_eq!(
            audit(&ran),
            [
                row("ALPHA", "acme/api", "cancelled"),
                row("BETA", "acme/api", "cancelled"),
            ],
            "{sig:?}"
        );
        assert!(api.secret(&Scope::repo("acme/api"), "ALPHA").is_none());
    }
}

#[test]
fn a_signal_between_writes_keeps_what_was_written_and_starts_no_other() {
    for sig in BOTH {
        let api = app_fake();
        // Fail-fast reads the second target's key only when it comes to it: the signal lands
        // after both writes to acme/api, while that read is in flight.
        hold(
            &api,
            "GET",
            "/repos/acme/web/actions/secrets/public-key",
            Duration::from_millis(500),
        );
        let step = step(&api)
            .input("repositories", "acme/api\nacme/web")
            .input("fail-fast", "true");
        let (ran, seen) = run_signalled(&api, &step, sig);
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
    let start = Instant::now();
    let (ran, seen) = run_signalled(&api, &step(&api), sig);
    // Grace (2 s) and revocation fit in the 7.5 s the runner gives before it kills.
    assert!(
        start.elapsed() < Duration::from_secs(7),
        "{:?}",
        start.elapsed()
    );
    assert_cancelled(&api, &ran, seen, sig);
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
