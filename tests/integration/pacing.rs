//! Pacing at any scale (issues 16 and 25): content-creating requests keep all of GitHub's rules
//! (a second between writes, 80 a minute, 500 an hour), which the fake's log of arrivals shows
//! on a scaled clock, and a run past the hour window never meets a secondary limit; a run that
//! will outlast an hour says so before it writes.

use std::time::Duration;

use fake_github::{AppKey, FakeGitHub, Options, TokenSpec};

use crate::common::{cli_as, Ran, Step, TOKEN};
use crate::signal_phase::install_app;

/// GitHub's hour lasts `3600 / SCALE` real seconds on both sides.
fn fake_enforcing_both_windows(scale: f64) -> FakeGitHub {
    let api = FakeGitHub::start_with(
        Options {
            time_scale: scale,
            retry_after_scaled: true,
            ..Options::default()
        }
        .github_secondary_limits(),
    );
    api.add_user("octo");
    api.add_org("acme");
    api.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    api
}

fn repos(api: &FakeGitHub, n: usize) -> Vec<String> {
    (1..=n)
        .map(|i| {
            let r = format!("acme/p{i}");
            api.add_repo(&r);
            r
        })
        .collect()
}

/// `args` for a person with [`TOKEN`], `--repos-file repos.txt` naming `targets`, on a clock
/// `scale` times faster.
fn over_repos_file<'a>(
    api: &'a FakeGitHub,
    scale: f64,
    targets: &[String],
    args: &[&str],
) -> Step<'a> {
    let mut all = args.to_vec();
    all.extend(["--repos-file", "repos.txt"]);
    let step =
        cli_as(api, TOKEN, &all).env("SECRET_REFRESH_TIME_SCALE", &(1.0 / scale).to_string());
    std::fs::write(step.workspace().join("repos.txt"), targets.join("\n")).expect("repos");
    step
}

/// The fake's answers of that status to content-creating requests.
fn refused(api: &FakeGitHub, status: u16) -> usize {
    api.requests()
        .iter()
        .filter(|r| r.method != "GET" && r.status == status)
        .count()
}

/// When each content-creating request reached the fake, in order.
fn arrivals(api: &FakeGitHub) -> Vec<Duration> {
    api.writes().iter().map(|r| r.at).collect()
}

/// The least time between two writes' arrivals at the fake.
fn closest(api: &FakeGitHub) -> Duration {
    api.min_gap_between_writes().unwrap_or(Duration::MAX)
}

/// The most writes that arrived inside any rolling `length`.
fn densest(at: &[Duration], length: Duration) -> usize {
    (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| **t - at[i] < length).count())
        .max()
        .unwrap_or(0)
}

/// The lines of `text` that hold `marker`.
fn lines_with(text: &str, marker: &str) -> String {
    text.lines()
        .filter(|l| l.contains(marker))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn twenty_writes_go_a_second_apart() {
    // A GitHub second lasts 20 ms here.
    const SCALE: f64 = 50.0;
    let api = fake_enforcing_both_windows(SCALE);
    let targets = repos(&api, 2);
    let pairs: Vec<(String, String)> = (1..=10)
        .map(|i| (format!("S{i:02}"), format!("S{i:02}-value-new")))
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let ran = Step::new(&api)
        .token()
        .secrets(&pairs)
        .input("repositories", &targets.join("\n"))
        .env("SECRET_REFRESH_TIME_SCALE", &(1.0 / SCALE).to_string())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(api.count("PUT", "/actions/secrets/"), 20);
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 2);
    assert_eq!(api.requests().len(), 22);
    assert_eq!(refused(&api, 403), 0);
    // Each write went a (scaled) second after the previous one's answer: the fake saw them at
    // least that far apart.
    let second = Duration::from_secs_f64(1.0 / SCALE);
    let at = arrivals(&api);
    assert_eq!(at.len(), 20);
    assert!(
        closest(&api) >= second,
        "{:?} between two writes",
        closest(&api)
    );
    ran.assert_no_leak();
}

#[test]
fn a_run_past_the_hour_window_is_paced_under_all_three_rules_without_a_403() {
    // An hour lasts 18 s and a second 5 ms: 500 writes go in well under the hour (a debug
    // build answers in a few ms here), the 501st waits for it.
    const SCALE: f64 = 200.0;
    let api = fake_enforcing_both_windows(SCALE);
    let targets = repos(&api, 26);
    let names: Vec<String> = (1..=20).map(|i| format!("S{i:02}")).collect();
    let values: Vec<String> = names.iter().map(|n| format!("{n}-value-new")).collect();
    let pairs: Vec<(&str, &str)> = names
        .iter()
        .zip(&values)
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let ran: Ran = Step::new(&api)
        .token()
        .secrets(&pairs)
        .input("repositories", &targets.join("\n"))
        .env("SECRET_REFRESH_TIME_SCALE", &(1.0 / SCALE).to_string())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());

    // 520 writes, one key per repository, nothing else; not one secondary-limit answer.
    assert_eq!(api.count("PUT", "/actions/secrets/"), 520);
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 26);
    assert_eq!(api.requests().len(), 546);
    assert_eq!(refused(&api, 403), 0);
    for repo in &targets {
        for (name, value) in names.iter().zip(&values) {
            let stored = api
                .secret(&fake_github::Scope::repo(repo), name)
                .expect("stored");
            assert_eq!(&stored.value, value);
        }
    }
    // As the fake saw them: never two writes less than a second apart, never more than 500 in
    // an hour, and the 501st an hour after the first (it was the pacer that held it).
    let at = arrivals(&api);
    let second = Duration::from_secs_f64(1.0 / SCALE);
    let hour = Duration::from_secs_f64(3600.0 / SCALE);
    assert!(
        closest(&api) >= second,
        "{:?} between two writes",
        closest(&api)
    );
    // At most 500 in any hour (exactly 500 only when this machine sends them within the
    // scaled hour, which a loaded one does not: no assertion here depends on its speed).
    let densest = densest(&at, hour);
    assert!(densest <= 500, "{densest} writes in an hour");
    assert!(at[500] - at[0] >= hour, "{:?}", at[500] - at[0]);

    // Said before the first write, as a warning the workflow's log and summary show.
    let first_write = ran
        .stdout
        .lines()
        .position(|l| l.starts_with("created "))
        .expect("writes reported");
    let warned = ran
        .stdout
        .lines()
        .position(|l| l.starts_with("::warning title=run longer than an hour::"))
        .expect("warned");
    assert!(warned < first_write);
    insta::assert_snapshot!(lines_with(&ran.redact(&ran.stdout), "an hour"));
    ran.assert_no_leak();
}

#[test]
fn set_over_500_targets_says_first_that_it_will_take_more_than_an_hour() {
    // An hour lasts 0.1 s: the writes' own round trips outlast it, so nothing waits; the
    // notice is from the pacing alone and the same on any machine.
    const SCALE: f64 = 36_000.0;
    let api = fake_enforcing_both_windows(SCALE);
    let targets = repos(&api, 510);
    let value = "github_pat_11PACED_rotated0123456789";
    let ran = over_repos_file(&api, SCALE, &targets, &["set", "PAT_TOKEN"])
        .value(value)
        .stdin(value)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    // Fail-fast reads each key as it gets there: one GET and one PUT per repository.
    assert_eq!(api.count("PUT", "/actions/secrets/PAT_TOKEN"), 510);
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 510);
    assert_eq!(api.requests().len(), 1020);
    assert_eq!(refused(&api, 403), 0);
    assert!(closest(&api) >= Duration::from_secs_f64(1.0 / SCALE));
    insta::assert_snapshot!(lines_with(&ran.stderr, "an hour"));
    ran.assert_no_leak();
}

#[test]
fn a_run_under_the_hour_window_says_nothing_of_it() {
    let api = fake_enforcing_both_windows(36_000.0);
    let targets = repos(&api, 5);
    let ran = Step::new(&api)
        .token()
        .secrets(&[("ONE", "one-value-new")])
        .input("repositories", &targets.join("\n"))
        .env("SECRET_REFRESH_TIME_SCALE", &(1.0 / 36_000.0).to_string())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(api.requests().len(), 10);
    assert!(!ran.stdout.contains("an hour"), "{}", ran.screen());
}

#[test]
fn rotate_over_500_targets_says_first_that_it_will_take_more_than_an_hour() {
    // As `set` above: an hour lasts 0.1 s, so the note is from the pacer's floor alone.
    const SCALE: f64 = 36_000.0;
    const NEW: &str = "github_pat_11PACED_rotatedNewToken0123456789";
    let api = fake_enforcing_both_windows(SCALE);
    api.add_token(NEW, TokenSpec::fine_grained_all("octo"));
    let targets = repos(&api, 501);
    let ran = over_repos_file(&api, SCALE, &targets, &["rotate", "PAT_TOKEN"])
        .value(NEW)
        .stdin(NEW)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    // One GET /user, one key per repository (read while validating, reused by the writes), one
    // write and one read-back each; no secondary-limit answer.
    assert_eq!(api.count("GET", "/user"), 1);
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 501);
    assert_eq!(api.count("PUT", "/actions/secrets/PAT_TOKEN"), 501);
    assert_eq!(api.count("GET", "/actions/secrets/PAT_TOKEN"), 501);
    assert_eq!(api.requests().len(), 1 + 3 * 501);
    assert_eq!(refused(&api, 403), 0);
    assert!(closest(&api) >= Duration::from_secs_f64(1.0 / SCALE));
    // The same note as `set`'s, from the same function.
    assert!(
        ran.stderr
            .contains("note: 501 writes will take at least 1 h"),
        "{}",
        ran.screen()
    );
    insta::assert_snapshot!(lines_with(&ran.stderr, "an hour"));
    ran.assert_no_leak();
}

#[test]
fn rotate_under_the_hour_window_says_nothing_of_it() {
    const NEW: &str = "github_pat_11PACED_rotatedNewToken0123456789";
    let api = fake_enforcing_both_windows(36_000.0);
    api.add_token(NEW, TokenSpec::fine_grained_all("octo"));
    let targets = repos(&api, 6);
    let mut args: Vec<String> = vec!["rotate".into(), "PAT_TOKEN".into()];
    for r in &targets {
        args.extend(["--repo".into(), r.clone()]);
    }
    args.extend(["--api-url".into(), api.url()]);
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let ran = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .value(NEW)
        .stdin(NEW)
        .args(&argv)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(api.requests().len(), 1 + 3 * 6);
    assert!(!ran.stderr.contains("an hour"), "{}", ran.screen());
}

const APP_ID: u64 = 4242;

/// [`fake_enforcing_both_windows`] with `n` repositories and an app installed on all of
/// `acme` with Actions secrets.
fn app_world(scale: f64, n: usize) -> (FakeGitHub, Vec<String>) {
    let api = fake_enforcing_both_windows(scale);
    let targets = repos(&api, n);
    install_app(&api, APP_ID);
    (api, targets)
}

#[test]
fn the_action_as_an_app_past_the_hour_warns_first_that_its_token_expires() {
    const SCALE: f64 = 36_000.0;
    let (api, targets) = app_world(SCALE, 501);
    let ran = Step::new(&api)
        .app(APP_ID)
        .secrets(&[("ONE", "one-value-new")])
        .input("repositories", &targets.join("\n"))
        .env("SECRET_REFRESH_TIME_SCALE", &(1.0 / SCALE).to_string())
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    // The installation, one token for the run, a key and a write per repository, the revoke.
    assert_eq!(api.count("GET", "/repos/acme/p1/installation"), 1);
    assert_eq!(api.count("POST", "/access_tokens"), 1);
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 501);
    assert_eq!(api.count("PUT", "/actions/secrets/ONE"), 501);
    assert_eq!(api.count("DELETE", "/installation/token"), 1);
    assert_eq!(api.requests().len(), 2 * 501 + 3);
    assert_eq!(refused(&api, 403), 0);
    let warning = lines_with(&ran.stdout, "::warning title=run longer than an hour::");
    assert!(warning.contains("`timeout-minutes`"), "{}", ran.screen());
    assert!(
        warning.contains("installation token expires an hour after it is minted"),
        "{}",
        ran.screen()
    );
    insta::assert_snapshot!(warning);
    ran.assert_no_leak();
}

#[test]
fn rotate_as_an_app_past_the_hour_says_first_that_its_token_expires() {
    const SCALE: f64 = 36_000.0;
    const NEW: &str = "github_pat_11PACED_rotatedNewToken0123456789";
    let (api, targets) = app_world(SCALE, 501);
    api.add_token(NEW, TokenSpec::fine_grained_all("octo"));
    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("SECRET_REFRESH_TIME_SCALE", &(1.0 / SCALE).to_string())
        .value(NEW)
        .stdin(NEW)
        .file("app.pem", &AppKey::shared().pkcs1_pem);
    std::fs::write(step.workspace().join("repos.txt"), targets.join("\n")).expect("repos");
    let url = api.url();
    let app_id = APP_ID.to_string();
    let ran = step
        .args(&[
            "rotate",
            "PAT_TOKEN",
            "--repos-file",
            "repos.txt",
            "--from-file",
            "-",
            "--api-url",
            &url,
            "--app-id",
            &app_id,
            "--app-key-file",
            "app.pem",
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    // Validated with the new token (GET /user, every key), written as the app (one token),
    // read back with the new token.
    assert_eq!(api.count("GET", "/user"), 1);
    assert_eq!(api.count("POST", "/access_tokens"), 1);
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 501);
    assert_eq!(api.count("PUT", "/actions/secrets/PAT_TOKEN"), 501);
    assert_eq!(api.count("GET", "/actions/secrets/PAT_TOKEN"), 501);
    assert_eq!(api.count("DELETE", "/installation/token"), 1);
    assert_eq!(api.requests().len(), 1 + 3 * 501 + 3);
    let note = lines_with(&ran.stderr, "an hour");
    assert!(
        note.contains("installation token expires an hour after it is minted"),
        "{}",
        ran.screen()
    );
    insta::assert_snapshot!(note);
    ran.assert_no_leak();
}

#[test]
fn delete_over_500_secrets_says_first_that_it_will_take_more_than_an_hour() {
    // Deletes are content-creating requests, paced like writes.
    const SCALE: f64 = 36_000.0;
    let api = fake_enforcing_both_windows(SCALE);
    let targets = repos(&api, 501);
    for r in &targets {
        api.set_secret(&fake_github::Scope::repo(r), "OLD_PAT", "old-pat-value");
    }
    let ran = over_repos_file(&api, SCALE, &targets, &["delete", "OLD_PAT", "--yes"]).run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(api.count("DELETE", "/actions/secrets/OLD_PAT"), 501);
    assert_eq!(api.requests().len(), 501);
    assert_eq!(refused(&api, 403), 0);
    assert!(closest(&api) >= Duration::from_secs_f64(1.0 / SCALE));
    assert!(
        ran.stderr
            .contains("note: 501 deletes will take at least 1 h"),
        "{}",
        ran.screen()
    );
    insta::assert_snapshot!(lines_with(&ran.stderr, "an hour"));
    ran.assert_no_leak();
}
