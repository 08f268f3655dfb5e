//! Secondary-limit answers that come anyway (issue 25): another client writing with the same
//! token fills GitHub's window, or GitHub refuses without saying for how long. The run waits as
//! GitHub's documentation orders — `retry-after`; else until `x-ratelimit-reset` when
//! `x-ratelimit-remaining` is 0; else a minute, then two, four… — resumes at the paced rate, and
//! reports the wait as it really passed. On the suite's clock a GitHub second lasts 1 ms.

use std::time::Duration;

use fake_github::{testclient, FakeGitHub, Fault, FaultKind, Options, Scope, TokenSpec};

use crate::common::{Ran, Step, TOKEN};

/// The suite's clock ([`Step`]'s default): GitHub time runs 1,000 times faster.
const SCALE: f64 = 1000.0;

/// `github_secs` of GitHub time, in real time at `scale`.
fn scaled(github_secs: u64, scale: f64) -> Duration {
    Duration::from_secs_f64(github_secs as f64 / scale)
}

/// A fake holding GitHub's windows on a clock `scale` times faster, `acme/api` and [`TOKEN`].
fn fake(scale: f64) -> FakeGitHub {
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
    api.add_repo("acme/api");
    api.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    api
}

/// Five changed secrets for `acme/api`, written on a clock `scale` times faster.
fn five_secrets(api: &FakeGitHub, scale: f64) -> Ran {
    let pairs: Vec<(String, String)> = (1..=5)
        .map(|i| (format!("S{i}"), format!("s{i}-value-new")))
        .collect();
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    Step::new(api)
        .token()
        .secrets(&pairs)
        .input("repository", "acme/api")
        .env("SECRET_REFRESH_TIME_SCALE", &(1.0 / scale).to_string())
        .run()
}

fn all_five_stored(api: &FakeGitHub) {
    for i in 1..=5 {
        let stored = api
            .secret(&Scope::repo("acme/api"), &format!("S{i}"))
            .expect("stored");
        assert_eq!(stored.value, format!("s{i}-value-new"));
    }
}

/// The secondary-limit answer GitHub sends without a wait: no `retry-after`, no
/// `x-ratelimit-*`.
fn untold_secondary_limit() -> Fault {
    Fault::new(FaultKind::Raw {
        status: 403,
        headers: vec![("content-type".into(), b"application/json".to_vec())],
        body: br#"{"message":"You have exceeded a secondary rate limit. Please wait a few minutes before you try again.","documentation_url":"https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits"}"#.to_vec(),
    })
}

/// When each PUT of `name` reached the fake, and its status.
fn puts_of(api: &FakeGitHub, name: &str) -> Vec<(Duration, u16)> {
    api.writes()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.ends_with(&format!("/{name}")))
        .map(|r| (r.at, r.status))
        .collect()
}

#[test]
fn another_clients_writes_are_waited_out_then_the_pace_resumes() {
    // A minute lasts 0.6 s here: long enough for the other client's 80 writes to fill it.
    const SLOWER: f64 = 100.0;
    let api = fake(SLOWER);
    // Another client of the same token spends the minute's 80 writes.
    for _ in 0..80 {
        let other = testclient::request(
            &api.url(),
            "DELETE",
            "/repos/acme/api/actions/secrets/ANOTHER_CLIENTS",
            Some(TOKEN),
            None,
        )
        .expect("another client's write");
        assert_eq!(other.status, 404, "counted, then not found");
    }
    let before = api.writes().len();
    let ran = five_secrets(&api, SLOWER);
    assert_eq!(ran.code, 0, "{}", ran.screen());
    all_five_stored(&api);
    let ours: Vec<_> = api.writes().into_iter().skip(before).collect();
    let refused: Vec<usize> = (0..ours.len()).filter(|i| ours[*i].status == 403).collect();
    assert!(!refused.is_empty(), "the window was full: {:?}", ours);
    assert_eq!(
        ours.len(),
        5 + refused.len(),
        "each refused write is sent again, once"
    );
    for i in refused {
        // `retry-after` was waited out: the next attempt found room in the window.
        let next = ours.get(i + 1).expect("sent again");
        assert_eq!(next.path, ours[i].path);
        assert!(
            (200..300).contains(&next.status),
            "sent again too soon: {:?}",
            ours
        );
    }
    // And the pace went on: no two of our writes less than a second apart.
    let second = scaled(1, SLOWER);
    assert!(
        ours.windows(2).all(|w| w[1].at - w[0].at >= second),
        "{:?}",
        ours.iter().map(|r| r.at).collect::<Vec<_>>()
    );
    assert!(
        ran.stdout
            .contains(" on rate limits (at most 300s allowed)."),
        "{}",
        ran.screen()
    );
    ran.assert_no_leak();
}

#[test]
fn a_secondary_limit_without_a_wait_waits_a_minute_then_two() {
    let api = fake(SCALE);
    api.inject(untold_secondary_limit().on("PUT", "/secrets/S1").times(2));
    let ran = five_secrets(&api, SCALE);
    assert_eq!(ran.code, 0, "{}", ran.screen());
    all_five_stored(&api);
    let s1 = puts_of(&api, "S1");
    assert_eq!(
        s1.iter().map(|(_, status)| *status).collect::<Vec<_>>(),
        [403, 403, 201]
    );
    assert!(s1[1].0 - s1[0].0 >= scaled(60, SCALE), "{s1:?}");
    assert!(s1[2].0 - s1[1].0 >= scaled(120, SCALE), "{s1:?}");
    // The waits as they really passed: 180 ms here, said in whole seconds.
    assert!(
        ran.stdout
            .contains("Waited 1s on rate limits (at most 300s allowed)."),
        "{}",
        ran.screen()
    );
    ran.assert_no_leak();
}

#[test]
fn a_secondary_limit_without_a_wait_ends_the_run_past_its_budget() {
    let api = fake(SCALE);
    api.inject(untold_secondary_limit().on("PUT", "/secrets/S1").times(3));
    let ran = five_secrets(&api, SCALE);
    assert_eq!(ran.code, 1, "{}", ran.screen());
    // A minute, two, then four would pass the 300 s budget: no fourth attempt.
    assert_eq!(puts_of(&api, "S1").len(), 3);
    assert!(
        ran.stdout.contains(
            "rate limited: GitHub asked to wait 240s more, beyond the run's 300s budget for \
             rate-limit waits (180s already waited)"
        ),
        "{}",
        ran.screen()
    );
    ran.assert_no_leak();
}
