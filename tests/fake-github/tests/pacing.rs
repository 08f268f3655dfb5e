//! GitHub's secondary limits as the fake holds them (80 content-creating requests in any
//! rolling minute, 500 in any rolling hour, per token), and the arrival times the request log
//! keeps so that a test can check a client's pacing.

use std::time::Duration;

use fake_github::testclient::{request, Response};
use fake_github::{FakeGitHub, Fault, FaultKind, Options, TokenSpec};

const TOKEN: &str = "ghp_pacing";

fn fake(opts: Options) -> FakeGitHub {
    let gh = FakeGitHub::start_with(opts);
    gh.add_repo("octo/app");
    gh.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    gh
}

/// A content-creating request: deleting a secret that does not exist (404, still counted).
fn delete(gh: &FakeGitHub, i: usize) -> Response {
    request(
        &gh.url(),
        "DELETE",
        &format!("/repos/octo/app/actions/secrets/S{i}"),
        Some(TOKEN),
        None,
    )
    .expect("answer")
}

fn retry_after(r: &Response) -> u64 {
    r.header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("a retry-after in seconds")
}

/// The most arrivals inside any window of `window` (real time).
fn densest(at: &[Duration], window: Duration) -> usize {
    (0..at.len())
        .map(|i| at[i..].iter().take_while(|t| **t - at[i] < window).count())
        .max()
        .unwrap_or(0)
}

#[test]
fn githubs_secondary_limits_hold_in_rolling_windows() {
    // A minute lasts 0.5 s and an hour 30 s; retry-after comes in scaled seconds.
    let scale = 120.0;
    let gh = fake(Options {
        time_scale: scale,
        retry_after_scaled: true,
        ..Options::default().github_secondary_limits()
    });
    // 80 go through, the 81st in the same minute is refused with GitHub's body.
    for i in 0..80 {
        assert_eq!(delete(&gh, i).status, 404, "write {i}");
    }
    let refused = delete(&gh, 80);
    assert_eq!(refused.status, 403);
    let body = refused.json();
    assert!(
        body["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("You have exceeded a secondary rate limit."),
        "{}",
        refused.body
    );
    assert_eq!(
        body["documentation_url"],
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits"
    );
    assert!((1..=60).contains(&retry_after(&refused)));

    // Keep writing, waiting as told whenever the minute is full, until the hour refuses:
    // exactly 500 accepted, and its retry-after is the hour's (longer than a minute).
    let mut accepted = 80;
    let mut i = 81;
    let hour_refusal = loop {
        let r = delete(&gh, i);
        i += 1;
        match r.status {
            404 => accepted += 1,
            403 if retry_after(&r) <= 60 => {
                std::thread::sleep(Duration::from_secs_f64(retry_after(&r) as f64 / scale))
            }
            403 => break r,
            other => panic!("status {other}: {}", r.body),
        }
        assert!(accepted <= 500, "more than 500 in an hour");
    };
    assert_eq!(accepted, 500);
    assert!(
        retry_after(&hour_refusal) > 60,
        "{}",
        retry_after(&hour_refusal)
    );

    // The log agrees: judged at arrival, no minute of it holds more than 80 accepted writes.
    let at: Vec<Duration> = gh
        .writes()
        .iter()
        .filter(|r| r.status == 404)
        .map(|r| r.at)
        .collect();
    assert_eq!(at.len(), 500);
    assert_eq!(densest(&at, Duration::from_secs_f64(60.0 / scale)), 80);
}

#[test]
fn the_log_keeps_arrival_times_for_gaps_between_writes() {
    let gh = fake(Options::default());
    // A read, then writes 150 ms apart; a slow answer does not move its own arrival.
    let get = request(&gh.url(), "GET", "/repos/octo/app", Some(TOKEN), None).expect("answer");
    assert_eq!(get.status, 200);
    gh.inject(Fault::new(FaultKind::Latency(Duration::from_millis(400))).method("DELETE"));
    for i in 0..3 {
        std::thread::sleep(Duration::from_millis(150));
        assert_eq!(delete(&gh, i).status, 404);
    }
    let writes = gh.writes();
    assert_eq!(writes.len(), 3, "the GET is not a write");
    assert!(writes.iter().all(|r| r.is_content_creating()));
    let at: Vec<Duration> = gh.requests().iter().map(|r| r.at).collect();
    assert!(at.windows(2).all(|w| w[0] <= w[1]), "{at:?}");
    // The first DELETE waited 400 ms after it arrived: the second arrived 550 ms or more later.
    let gap = gh.min_gap_between_writes().expect("two writes");
    assert!(gap >= Duration::from_millis(150), "{gap:?}");
    assert!(writes[1].at - writes[0].at >= Duration::from_millis(550));
    assert!(gap < Duration::from_millis(400), "{gap:?}");
    // The JSON Lines log carries the same instants, to the microsecond.
    let lines: Vec<serde_json::Value> = gh
        .requests_jsonl()
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[1]["at_us"], writes[0].at.as_micros() as u64);
}
