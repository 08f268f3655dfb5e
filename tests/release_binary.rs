//! The static release binary, as shipped, reads no knob that changes waits (issue 22, item 3).
//!
//! It is built without the cargo feature `scaled-clock` (src/pacing/clock.rs), so
//! `SECRET_REFRESH_TIME_SCALE` and `SECRET_REFRESH_REQUEST_TIMEOUT_MS` are not read: an earlier
//! step of a workflow could set them through `$GITHUB_ENV` without holding the token. Proved on
//! the binary itself: neither name is in it, and run against the fake with both set to values
//! that would change everything (time a million times faster; a 1 ms deadline against 100 ms of
//! latency), it still waits a real second between writes and for its answers.
//!
//! Every test build has the feature (Cargo.toml's dev-dependency on the crate itself), so the
//! release build is the only one without it. `.ci/test` builds it and passes it in
//! `SECRET_REFRESH_STATIC_BIN`, with `SECRET_REFRESH_REQUIRE_STATIC_BIN=1`; a developer's plain
//! `cargo test` without it says so and checks nothing here.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use fake_github::{FakeGitHub, Options, Scope, TokenSpec};

#[path = "support/process.rs"]
mod process;
use process::Spawned;

const TOKEN: &str = "ghp_ReLeAsEbInArY0123456789abcdefghijkl";
const KNOBS: [&str; 2] = [
    "SECRET_REFRESH_TIME_SCALE",
    "SECRET_REFRESH_REQUEST_TIMEOUT_MS",
];

/// `SECRET_REFRESH_STATIC_BIN`, or `None` (with a note) when it is not set and not required.
fn release_binary() -> Option<PathBuf> {
    let given = std::env::var_os("SECRET_REFRESH_STATIC_BIN")
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    if given.is_none() {
        assert!(
            std::env::var_os("SECRET_REFRESH_REQUIRE_STATIC_BIN").is_none(),
            "SECRET_REFRESH_STATIC_BIN does not name the static release binary"
        );
        eprintln!(
            "release_binary: SECRET_REFRESH_STATIC_BIN is not set; `bash .ci/test` builds the \
             static release binary and runs this test on it"
        );
    }
    given
}

#[test]
fn the_release_binary_holds_no_knob_that_changes_waits() {
    let Some(binary) = release_binary() else {
        return;
    };
    let bytes = std::fs::read(&binary).expect("read the binary");
    for knob in KNOBS {
        assert!(
            !bytes.windows(knob.len()).any(|w| w == knob.as_bytes()),
            "{} holds {knob}: a release build must be built without the feature scaled-clock",
            binary.display()
        );
    }
}

#[test]
fn the_release_binary_keeps_real_seconds_whatever_the_environment_says() {
    let Some(binary) = release_binary() else {
        return;
    };
    let api = FakeGitHub::start_with(Options {
        latency: Duration::from_millis(100),
        ..Options::default()
    });
    api.add_user("octo");
    api.add_org("acme");
    api.add_repo("acme/api");
    api.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    let dir = tempfile::tempdir().expect("tempdir");
    let new = dir.path().join("new.env");
    std::fs::write(&new, "ONE=one-new\nTWO=two-new\nTHREE=three-new\n").expect("new.env");
    let mut cmd = Command::new(&binary);
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir.path())
        .env("GH_TOKEN", TOKEN)
        .env(KNOBS[0], "0.000001")
        .env(KNOBS[1], "1")
        .envs(process::clock_env())
        .arg("sync")
        .arg("--secrets-file")
        .arg(&new)
        .args(["--repositories", "acme/api", "--api-url", &api.url()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = Spawned::spawn("the release binary", &mut cmd).output_within(Duration::from_secs(60));
    let screen = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A 1 ms deadline would have failed every request: it was not read.
    assert!(out.status.success(), "{screen}");
    for (name, value) in [
        ("ONE", "one-new"),
        ("TWO", "two-new"),
        ("THREE", "three-new"),
    ] {
        let stored = api.secret(&Scope::repo("acme/api"), name).expect("stored");
        assert_eq!(stored.value, value);
    }
    // Nor was the scale: the writes went real seconds apart.
    assert_eq!(api.writes().len(), 3);
    let gap = api.min_gap_between_writes().expect("three writes");
    assert!(gap >= Duration::from_secs(1), "{gap:?} between two writes");
}
