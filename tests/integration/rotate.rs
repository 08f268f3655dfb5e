//! `secret-refresh rotate` (issue 16 part 2) against the fake: dry run, a verified rotation, the
//! first failure, --keep-going, a rerun, a write that did not land, revoking the old token
//! (unauthenticated), GitHub Enterprise Server, signals; request counts asserted, no token in
//! any output or in the audit record.
//!
//! The fake's clock is set far from the machine's (a year ahead): the verification must use
//! GitHub's clock (its `Date`), never ours.

use std::process::Command;
use std::time::{Duration, Instant};

use fake_github::{FakeGitHub, Fault, FaultKind, Scope, TokenSpec};
use serde_json::Value;
use time::OffsetDateTime;

use crate::common::{fake, Ran, Step, TOKEN};

/// The new token: a fine-grained PAT with every secrets permission.
const NEW: &str = "github_pat_11NEWNEWNEW0_rotatedTokenValue0123456789abcdef";
/// The old token, stored in the secrets today.
const OLD: &str = "ghp_OLDoldOLDoldOLDoldOLDoldOLDold012345";
const SECRET: &str = "PAT_TOKEN";
/// Where the record goes by default: the user's data directory (`$XDG_DATA_HOME`, which
/// [`rotate`] sets to `xdg` in the workspace), never the current directory.
const LOG: &str = "xdg/secret-refresh/audit.jsonl";

/// `n` repositories holding the old token (updated 30 days before the fake's "now", which is a
/// year after the machine's), the new token valid for 90 more days.
fn world(n: usize) -> (FakeGitHub, Vec<String>) {
    let api = fake();
    let now = OffsetDateTime::now_utc() + time::Duration::days(365);
    api.set_now(now);
    api.add_token(
        NEW,
        TokenSpec::fine_grained_all("octo").expiring(now + time::Duration::days(90)),
    );
    api.add_token(OLD, TokenSpec::classic("octo", &["repo"]));
    let repos: Vec<String> = (1..=n)
        .map(|i| {
            let r = format!("acme/r{i}");
            api.add_repo(&r);
            api.set_secret(&Scope::repo(&r), SECRET, OLD);
            api.set_secret_updated_at(&Scope::repo(&r), SECRET, now - time::Duration::days(30));
            r
        })
        .collect();
    (api, repos)
}

/// `rotate PAT_TOKEN --repo …` as a person runs it: GH_TOKEN writes, the new token on stdin.
fn rotate<'a>(api: &'a FakeGitHub, repos: &[String], extra: &[&str]) -> Step<'a> {
    let mut args: Vec<String> = vec!["rotate".into(), SECRET.into()];
    for r in repos {
        args.extend(["--repo".into(), r.clone()]);
    }
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(["--api-url".into(), api.url()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let step = Step::new(api);
    let data = step.workspace().join("xdg").display().to_string();
    step.env("XDG_DATA_HOME", &data)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .value(NEW)
        .value(OLD)
        .stdin(NEW)
        .args(&argv)
}

fn stored(api: &FakeGitHub, repo: &str) -> Option<(String, u32)> {
    api.secret(&Scope::repo(repo), SECRET)
        .map(|s| (s.value, s.writes))
}

/// The audit log's rotation records, after checking no token is in the file.
fn records(ran: &Ran) -> Vec<Value> {
    let text = std::fs::read_to_string(ran.workspace.join(LOG)).unwrap_or_default();
    for t in [NEW, OLD, TOKEN] {
        assert!(!text.contains(t), "a token in the audit log:\n{text}");
    }
    text.lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// No token in stdout, stderr or the audit log.
fn no_leak(ran: &Ran) {
    ran.assert_no_leak();
    records(ran);
}

fn count(api: &FakeGitHub, method: &str, path: &str) -> usize {
    api.count(method, path)
}

#[test]
fn rotate_dry_run_validates_the_new_token_and_every_key_and_writes_nothing() {
    let (api, repos) = world(3);
    // Expiring within --expiry-warning-days: a warning, not a refusal.
    api.add_token(
        NEW,
        TokenSpec::fine_grained_all("octo").expiring(api.now() + time::Duration::days(7)),
    );
    let step = rotate(
        &api,
        &repos,
        &["--dry-run", "--revoke-old", "--old-from-file", "old.txt"],
    )
    .file("old.txt", OLD);
    let ran = step.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // One GET /user and one key per target; nothing else, no revocation.
    assert_eq!(api.requests().len(), 4, "{:?}", api.requests());
    assert_eq!(count(&api, "GET", "/user"), 1);
    assert_eq!(count(&api, "GET", "/public-key"), 3);
    assert!(api.requests().iter().all(|r| r.method == "GET"));
    // Validated with the new token, not with GH_TOKEN.
    assert!(api
        .requests()
        .iter()
        .all(|r| r.authorization.as_deref().is_some_and(|a| a.ends_with(NEW))));
    assert!(!api.is_revoked(OLD));
    for r in &repos {
        assert_eq!(stored(&api, r), Some((OLD.to_owned(), 0)), "{r}");
    }
    assert!(
        ran.stderr.contains("within --expiry-warning-days 14"),
        "{}",
        ran.stderr
    );
    assert!(
        !ran.workspace.join(LOG).exists(),
        "a dry run records nothing"
    );
    no_leak(&ran);
    crate::snapshot_times!(ran.screen());
}

#[test]
fn rotate_writes_verifies_records_and_a_rerun_is_safe() {
    let (api, repos) = world(5);
    let step = rotate(&api, &repos, &[]);
    let ran = step.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // 1 GET /user + 5 keys (new token), 5 PUTs (GH_TOKEN), 5 reads back (new token).
    assert_eq!(api.requests().len(), 16);
    assert_eq!(
        count(&api, "GET", "/public-key"),
        5,
        "one key per target per run"
    );
    assert_eq!(count(&api, "PUT", "/actions/secrets/PAT_TOKEN"), 5);
    assert_eq!(count(&api, "GET", "/actions/secrets/PAT_TOKEN"), 5);
    let puts: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.method == "PUT")
        .collect();
    assert!(puts.iter().all(|r| r
        .authorization
        .as_deref()
        .is_some_and(|a| a.ends_with(TOKEN))));
    for r in &repos {
        assert_eq!(stored(&api, r), Some((NEW.to_owned(), 1)), "{r}");
    }
    let recs = records(&ran);
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec["event"], "rotation");
    assert_eq!(rec["outcome"], "verified");
    assert_eq!(rec["token_kind"], "fine_grained");
    assert_eq!(rec["written_with"], "token");
    assert_eq!(rec["revoke_old"], "not_asked");
    // The actor GitHub named for the new token (its GET /user): no request of its own.
    assert_eq!(rec["actor"], "octo");
    assert!(
        !ran.workspace.join("secret-refresh-audit.jsonl").exists(),
        "nothing is written into the current directory"
    );
    assert!(rec["token_expiry"].as_str().is_some());
    let targets = rec["targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 5);
    assert!(targets
        .iter()
        .all(|t| t["write"] == "updated" && t["check"] == "verified"));
    // The rotation began on GitHub's clock (a year ahead of this machine's).
    assert!(rec["started"].as_str().is_some_and(|s| {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .is_ok_and(|t| t == api.now())
    }));
    no_leak(&ran);
    crate::snapshot_times!(ran.screen());

    // The whole command again: the same requests, the same value, verified again.
    api.clear_requests();
    let step = rotate(&api, &repos, &[]);
    let again = step.run();
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert_eq!(api.requests().len(), 16);
    for r in &repos {
        assert_eq!(stored(&api, r), Some((NEW.to_owned(), 2)), "{r}");
    }
    assert_eq!(records(&again)[0]["outcome"], "verified");
    no_leak(&again);
}

/// The third of five fails: the run stops, says what was done, what failed and what was not
/// tried, and the printed command finishes the rest without touching the first two.
#[test]
fn rotate_stops_at_the_first_failure_and_the_printed_command_finishes_it() {
    let (api, repos) = world(5);
    api.inject(Fault::new(FaultKind::Status(404)).on("PUT", "/repos/acme/r3/"));
    let step = rotate(
        &api,
        &repos,
        &["--revoke-old", "--old-from-file", "old.txt"],
    )
    .file("old.txt", OLD);
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    // 1 + 5 keys, 3 PUTs (the third failed), 2 reads back; no revocation.
    assert_eq!(api.requests().len(), 11, "{:?}", api.requests());
    assert_eq!(count(&api, "PUT", "/actions/secrets/"), 3);
    assert_eq!(count(&api, "POST", "/credentials/revoke"), 0);
    assert!(!api.is_revoked(OLD));
    assert_eq!(stored(&api, "acme/r1"), Some((NEW.to_owned(), 1)));
    assert_eq!(stored(&api, "acme/r2"), Some((NEW.to_owned(), 1)));
    for r in ["acme/r3", "acme/r4", "acme/r5"] {
        assert_eq!(stored(&api, r), Some((OLD.to_owned(), 0)), "{r}");
    }
    for line in [
        "Done (2): acme/r1, acme/r2\n",
        "Failed (1): acme/r3\n",
        "Not tried (2): acme/r4, acme/r5\n",
        "The old token was kept (not every target verified): it still works.\n",
    ] {
        assert!(ran.stdout.contains(line), "{line}: {}", ran.stdout);
    }
    assert!(ran
        .stdout
        .contains("secret-refresh set PAT_TOKEN --repo acme/r1 --repo acme/r2"));
    let rec = &records(&ran)[0];
    assert_eq!(rec["outcome"], "failed");
    assert_eq!(rec["revoke_old"], "kept");
    no_leak(&ran);
    crate::snapshot_times!(ran.screen());

    let line = ran
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("secret-refresh rotate "))
        .expect("a command to finish with");
    let resume: Vec<&str> = line.split_whitespace().skip(1).collect();
    assert_eq!(
        resume[..8],
        ["rotate", SECRET, "--repo", "acme/r3", "--repo", "acme/r4", "--repo", "acme/r5"]
    );
    api.clear_requests();
    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .value(NEW)
        .value(OLD)
        .stdin(NEW)
        .file("old.txt", OLD)
        .args(&resume);
    let again = step.run();
    assert_eq!(again.code, 0, "{}", again.transcript());
    // 1 + 3 keys, 3 PUTs, 3 reads back, 1 revocation.
    assert_eq!(api.requests().len(), 11);
    for r in &repos {
        let (value, writes) = stored(&api, r).expect("stored");
        assert_eq!(value, NEW, "{r}");
        assert_eq!(writes, 1, "{r} written once over both runs");
    }
    assert!(api.is_revoked(OLD));
    no_leak(&again);
}

#[test]
fn rotate_keep_going_tries_every_target() {
    let (api, repos) = world(5);
    api.inject(Fault::new(FaultKind::Status(404)).on("PUT", "/repos/acme/r3/"));
    let step = rotate(&api, &repos, &["--keep-going"]);
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    // 1 + 5 keys, 5 PUTs, 4 reads back (not the failed one).
    assert_eq!(api.requests().len(), 15);
    assert_eq!(count(&api, "GET", "/public-key"), 5);
    for r in &repos {
        let (value, _) = stored(&api, r).expect("stored");
        assert_eq!(value == NEW, r != "acme/r3", "{r}");
    }
    assert!(
        ran.stdout.contains("Failed (1): acme/r3\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("Not tried (0): none\n"),
        "{}",
        ran.stdout
    );
    assert!(ran
        .stdout
        .contains("secret-refresh rotate PAT_TOKEN --repo acme/r3 --api-url"));
    no_leak(&ran);
}

/// GitHub answered the write but did not store it: the check after the write finds the old
/// `updated_at`, the run fails, and the old token is kept even with --revoke-old.
#[test]
fn rotate_reports_a_write_that_did_not_land_and_keeps_the_old_token() {
    let (api, repos) = world(3);
    api.inject(
        Fault::new(FaultKind::Raw {
            status: 204,
            headers: Vec::new(),
            body: Vec::new(),
        })
        .on("PUT", "/repos/acme/r2/"),
    );
    let step = rotate(
        &api,
        &repos,
        &["--revoke-old", "--old-from-file", "old.txt"],
    )
    .file("old.txt", OLD);
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    // 1 + 3 keys, 3 PUTs, 3 reads back, no revocation.
    assert_eq!(api.requests().len(), 10);
    assert_eq!(count(&api, "POST", "/credentials/revoke"), 0);
    assert!(!api.is_revoked(OLD));
    assert!(
        ran.stdout.contains("Failed (1): acme/r2\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains("before the rotation began"),
        "{}",
        ran.stderr
    );
    let rec = &records(&ran)[0];
    let checks: Vec<&str> = rec["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .map(|t| t["check"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(checks, ["verified", "stale", "verified"]);
    no_leak(&ran);
    crate::snapshot_times!(ran.screen());
}

/// Revocation: only after every target verified, one `POST /credentials/revoke` without any
/// `Authorization`, the old token in the body; GitHub then refuses the old token.
#[test]
fn rotate_revokes_the_old_token_unauthenticated_once_everything_verified() {
    let (api, repos) = world(2);
    let step = rotate(
        &api,
        &repos,
        &["--from-file", "new.txt", "--revoke-old", "--write-with-new"],
    )
    .file("new.txt", &format!("{NEW}\n"))
    .stdin(OLD);
    let ran = step.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // 1 + 2 keys, 2 PUTs (new token), 2 reads back, 1 revocation.
    assert_eq!(api.requests().len(), 8);
    let revoke: Vec<_> = api
        .requests()
        .into_iter()
        .filter(|r| r.path == "/credentials/revoke")
        .collect();
    assert_eq!(revoke.len(), 1);
    assert_eq!(revoke[0].method, "POST");
    assert_eq!(revoke[0].status, 202);
    assert_eq!(revoke[0].authorization, None, "sent without authentication");
    let body: Value = serde_json::from_str(&revoke[0].body).expect("json");
    assert_eq!(body, serde_json::json!({ "credentials": [OLD] }));
    // It came last: after every read back.
    assert_eq!(
        api.requests().last().map(|r| r.path.clone()),
        Some(revoke[0].path.clone())
    );
    // The writes used the new token.
    assert!(api
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .all(|r| r.authorization.as_deref().is_some_and(|a| a.ends_with(NEW))));
    assert!(api.is_revoked(OLD));
    assert!(
        ran.stdout.contains("GitHub e-mails its owner"),
        "{}",
        ran.stdout
    );
    let rec = &records(&ran)[0];
    assert_eq!(rec["revoke_old"], "revoked");
    assert_eq!(rec["written_with"], "new_token");
    no_leak(&ran);
    crate::snapshot_times!(ran.screen());
}

/// An installation token (`ghs_`: a GitHub App's, or a workflow's GITHUB_TOKEN) as the new
/// token is refused before any request: it expires within the hour, so whatever reads the secret
/// would break within the hour (and GET /user, the first check, is not open to it).
#[test]
fn rotate_refuses_an_installation_token_as_the_new_token() {
    let (api, repos) = world(2);
    let ghs = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
    api.add_token(ghs, TokenSpec::github_token());
    let ran = rotate(&api, &repos, &["--from-file", "new.txt"])
        .file("new.txt", ghs)
        .value(ghs)
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(
        ran.stderr.contains("installation token (ghs_") && ran.stderr.contains("within an hour"),
        "{}",
        ran.stderr
    );
    assert_eq!(api.requests().len(), 0);
    assert_eq!(stored(&api, &repos[0]).map(|(_, writes)| writes), Some(0));
    no_leak(&ran);
}

/// Refused before any token is read or any request made: an installation token as the old
/// token, the same token twice, and --revoke-old on GitHub Enterprise Server.
#[test]
fn rotate_refuses_what_cannot_be_revoked_before_anything_happens() {
    let (api, repos) = world(1);
    let ghs = "ghs_16C7e42F292c6912E7710c838347Ae178B4a";
    for (old, what) in [(ghs, "installation token"), (NEW, "are the same")] {
        let step = rotate(
            &api,
            &repos,
            &["--revoke-old", "--old-from-file", "old.txt"],
        )
        .file("old.txt", old)
        .value(ghs);
        let ran = step.run();
        assert_eq!(ran.code, 2, "{}", ran.transcript());
        assert!(ran.stderr.contains(what), "{}", ran.stderr);
        no_leak(&ran);
    }
    assert_eq!(api.requests().len(), 0);

    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .value(NEW)
        .stdin(NEW)
        .args(&[
            "rotate",
            SECRET,
            "--repo",
            "acme/r1",
            "--revoke-old",
            "--api-url",
            "https://ghes.example.com/api/v3",
        ]);
    let ran = step.run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(ran.stderr.contains("github.com only"), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("revoke the old token by hand"),
        "{}",
        ran.stderr
    );
    assert_eq!(api.requests().len(), 0);
    no_leak(&ran);
    insta::assert_snapshot!(ran.screen());
}

/// A new token GitHub refuses: nothing past `GET /user` is asked, nothing is written.
#[test]
fn rotate_refuses_a_new_token_github_does_not_accept() {
    let (api, repos) = world(3);
    api.revoke_token(NEW);
    let step = rotate(&api, &repos, &[]);
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 1);
    assert!(ran.stdout.contains("nothing was written"), "{}", ran.stdout);
    assert!(!ran.workspace.join(LOG).exists());
    no_leak(&ran);
}

/// SIGINT or SIGTERM while the writes run: no write starts after it, the report and the record
/// say what was done, the exit code is 130 or 143 — as `set` does.
#[test]
fn rotate_cancelled_by_a_signal_stops_writing_reports_and_exits_128_plus_n() {
    for (flag, code) in [("-INT", 130), ("-TERM", 143)] {
        let (api, repos) = world(6);
        api.inject(
            Fault::new(FaultKind::Latency(Duration::from_millis(500)))
                .method("PUT")
                .path("/repos/acme/r2/")
                .times(1),
        );
        let mut seen = 0;
        let step = rotate(&api, &repos, &[]);
        let ran = step.run_while(|pid| {
            let start = Instant::now();
            while api.faults_hit() == 0 {
                assert!(start.elapsed() < Duration::from_secs(60), "no held write");
                std::thread::sleep(Duration::from_millis(10));
            }
            seen = api.requests().len();
            let ok = Command::new("kill")
                .args([flag, &pid.to_string()])
                .status()
                .expect("kill")
                .success();
            assert!(ok);
        });
        assert_eq!(ran.code, code, "{}", ran.transcript());
        let later_puts = api.requests()[seen..]
            .iter()
            .filter(|r| r.method == "PUT")
            .count();
        assert_eq!(later_puts, 0, "a write started after the signal");
        assert_eq!(count(&api, "PUT", "/actions/secrets/"), 2);
        assert_eq!(stored(&api, "acme/r3"), Some((OLD.to_owned(), 0)));
        assert!(ran.stdout.contains("Cancelled after"), "{}", ran.stdout);
        assert!(ran.stdout.contains("Not tried (4)"), "{}", ran.stdout);
        let rec = &records(&ran)[0];
        assert_eq!(rec["outcome"], "cancelled");
        no_leak(&ran);
    }
}

/// Issue 22: every target written, then a signal during the read-back. The report used to say
/// "written and verified" (a read-back a signal stopped counted as done); now the table, the
/// totals and the record say the check was cancelled, and the old token is kept.
#[test]
fn a_read_back_stopped_by_a_signal_is_reported_as_not_verified() {
    let (api, repos) = world(2);
    api.inject(
        Fault::new(FaultKind::Latency(Duration::from_secs(5)))
            .method("GET")
            .path("/repos/acme/r1/actions/secrets/PAT_TOKEN")
            .times(1),
    );
    let step = rotate(
        &api,
        &repos,
        &["--from-file", "new.txt", "--revoke-old", "--write-with-new"],
    )
    .file("new.txt", &format!("{NEW}\n"))
    .stdin(OLD);
    let ran = step.run_while(|pid| {
        let start = Instant::now();
        while api.faults_hit() == 0 {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "no held read-back: {:?}",
                api.requests()
                    .iter()
                    .map(|r| format!("{} {} {}", r.method, r.path, r.status))
                    .collect::<Vec<_>>()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let ok = Command::new("kill")
            .args(["-INT", &pid.to_string()])
            .status()
            .expect("kill")
            .success();
        assert!(ok);
    });
    assert_eq!(ran.code, 130, "{}", ran.transcript());
    assert_eq!(count(&api, "PUT", "/actions/secrets/"), 2, "both written");
    assert!(!ran.stdout.contains("verified with"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("NOT verified: cancelled"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("Done (0)"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("Written, NOT verified (2)"),
        "{}",
        ran.stdout
    );
    assert!(!api.is_revoked(OLD), "the old token was revoked unverified");
    let rec = &records(&ran)[0];
    assert_eq!(rec["outcome"], "cancelled");
    assert_eq!(rec["revoke_old"], "kept");
    for t in rec["targets"].as_array().expect("targets") {
        assert_eq!(t["write"], "updated", "{t}");
        assert_eq!(t["check"], "cancelled", "{t}");
    }
    no_leak(&ran);
}

/// The scenario, as a user sees it: thirty repositories, the old token revoked.
#[test]
fn rotate_thirty_repositories_as_a_user_sees_it() {
    let (api, repos) = world(30);
    let file: String = repos.iter().map(|r| format!("{r}\n")).collect();
    let url = api.url();
    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .value(NEW)
        .value(OLD)
        .file_bytes("repos.txt", file.as_bytes())
        .file("old.txt", OLD)
        .stdin(NEW)
        .args(&[
            "rotate",
            SECRET,
            "--repos-file",
            "repos.txt",
            "--revoke-old",
            "--old-from-file",
            "old.txt",
            "--api-url",
            &url,
        ]);
    let ran = step.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // 1 + 30 keys, 30 writes, 30 reads back, 1 revocation.
    assert_eq!(api.requests().len(), 92);
    assert!(api.is_revoked(OLD));
    no_leak(&ran);
    crate::snapshot_times!(ran.screen());
}
