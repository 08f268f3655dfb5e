//! Pacing at any scale (issue 16, part 5): a run past GitHub's hour window of content-creating
//! requests is paced under both secondary limits (80 a minute, 500 an hour) and never meets
//! one, on a scaled clock; a run that will outlast an hour says so before it writes.

use std::time::Duration;

use fake_github::{FakeGitHub, Options, TokenSpec};

use crate::common::{Ran, Step, TOKEN};

/// GitHub's hour lasts `3600 / SCALE` real seconds on both sides.
fn fake_enforcing_both_windows(scale: f64) -> FakeGitHub {
    let api = FakeGitHub::start_with(Options {
        time_scale: scale,
        secondary_limit_per_minute: Some(80),
        secondary_limit_per_hour: Some(500),
        retry_after_scaled: true,
        ..Options::default()
    });
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

/// The fake's answers of that status to content-creating requests.
fn refused(api: &FakeGitHub, status: u16) -> usize {
    api.requests()
        .iter()
        .filter(|r| r.method != "GET" && r.status == status)
        .count()
}

/// The lines of `text` that hold `marker`.
fn lines_with(text: &str, marker: &str) -> String {
    text.lines()
        .filter(|l| l.contains(marker))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_run_past_the_hour_window_is_paced_under_both_limits_without_a_403() {
    // An hour lasts 45 s: 450 writes go in well under it (a debug build writes about 50 a
    // second here), the 451st waits for the hour.
    const SCALE: f64 = 80.0;
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
    // It was the pacer that kept it under: the 451st write went an hour (scaled) after the
    // first, less the first one's transit.
    let puts: Vec<Duration> = api
        .requests()
        .iter()
        .filter(|r| r.method == "PUT")
        .map(|r| r.at)
        .collect();
    let hour = Duration::from_secs_f64(3600.0 / SCALE);
    assert!(
        puts[450] - puts[0] >= hour.mul_f64(0.95),
        "the 451st write went {:?} after the first",
        puts[450] - puts[0]
    );
    // The fake never saw more than the pacer's 450 in any of its hours (a few more would be
    // the transit skew the margin is for).
    let densest = (0..puts.len())
        .map(|i| {
            puts[i..]
                .iter()
                .take_while(|t| **t - puts[i] < hour)
                .count()
        })
        .max()
        .unwrap_or(0);
    assert!(
        (450..=460).contains(&densest),
        "{densest} writes in an hour"
    );

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
fn set_over_450_targets_says_first_that_it_will_take_more_than_an_hour() {
    // An hour lasts 0.1 s: the writes' own round trips outlast it, so nothing waits; the
    // notice is from the pacing alone and the same on any machine.
    const SCALE: f64 = 36_000.0;
    let api = fake_enforcing_both_windows(SCALE);
    let targets = repos(&api, 460);
    let value = "github_pat_11PACED_rotated0123456789";
    let step = Step::new(&api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .env("SECRET_REFRESH_TIME_SCALE", &(1.0 / SCALE).to_string())
        .value(TOKEN)
        .value(value)
        .stdin(value);
    std::fs::write(step.workspace().join("repos.txt"), targets.join("\n")).expect("repos");
    let url = api.url();
    let ran = step
        .args(&[
            "set",
            "PAT_TOKEN",
            "--repos-file",
            "repos.txt",
            "--api-url",
            &url,
        ])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    // Fail-fast reads each key as it gets there: one GET and one PUT per repository.
    assert_eq!(api.count("PUT", "/actions/secrets/PAT_TOKEN"), 460);
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 460);
    assert_eq!(api.requests().len(), 920);
    assert_eq!(refused(&api, 403), 0);
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
