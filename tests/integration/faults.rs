//! Faults (issue 3): 5xx answers, dropped connections, rate limits, a rotated key and slow
//! answers are survived; a partial failure is reported exactly and a re-run finishes it without
//! rewriting what is done; a seeded soak runs many random fault schedules.

use std::collections::BTreeMap;

use fake_github::rng::{draw_fault, SeededRng};
use fake_github::{FakeGitHub, Fault, FaultKind, Scope};

use crate::common::{Ran, Step};
use crate::targets::{world, ADMIN};

const A_KEY: &str = "/repos/acme/api/actions/secrets/public-key";
const A_PUT: &str = "/repos/acme/api/actions/secrets/";

fn two_secrets(api: &FakeGitHub) -> Step<'_> {
    Step::new(api)
        .token_value(ADMIN)
        .secrets(&[("ALPHA", "alpha-value-new"), ("BETA", "beta-value-new")])
}

fn stored(api: &FakeGitHub, repo: &str, name: &str) -> (String, u32) {
    let s = api
        .secret(&Scope::repo(repo), name)
        .unwrap_or_else(|| panic!("{name} stored in {repo}"));
    (s.value, s.writes)
}

/// ALPHA and BETA hold their new values in acme/api, each written once.
fn assert_both_stored_once(api: &FakeGitHub) {
    assert_eq!(
        stored(api, "acme/api", "ALPHA"),
        ("alpha-value-new".into(), 1)
    );
    assert_eq!(
        stored(api, "acme/api", "BETA"),
        ("beta-value-new".into(), 1)
    );
}

fn headline(ran: &Ran) -> String {
    ran.stdout
        .lines()
        .rfind(|l| !l.starts_with("::"))
        .unwrap_or_default()
        .to_owned()
}

/// The number just before `marker` in `text` (e.g. `3` of "(3 retried)").
fn number_before(text: &str, marker: &str) -> Option<u64> {
    let at = text.find(marker)?;
    let digits: String = text[..at]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

fn no_plaintext_on_the_wire(api: &FakeGitHub, values: &[&str]) {
    let log = api.requests_jsonl();
    for v in values {
        assert!(!log.contains(v), "plaintext in the request log");
    }
}

#[test]
fn server_errors_are_retried_with_backoff() {
    let api = world();
    api.inject(Fault::new(FaultKind::Status(503)).on("GET", A_KEY));
    api.inject(
        Fault::new(FaultKind::Status(502))
            .on("PUT", "/secrets/ALPHA")
            .times(2),
    );
    let ran = two_secrets(&api).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", A_KEY), 2);
    assert_eq!(api.count("PUT", "/secrets/ALPHA"), 3);
    assert_eq!(api.count("PUT", "/secrets/BETA"), 1);
    assert_both_stored_once(&api);
    assert_eq!(
        headline(&ran),
        "Wrote 2 secrets to 1 target with 6 requests to GitHub (3 retried)."
    );
    ran.assert_no_leak();
    no_plaintext_on_the_wire(&api, &["alpha-value-new", "beta-value-new"]);
}

#[test]
fn dropped_connections_are_retried() {
    let api = world();
    api.inject(Fault::new(FaultKind::Drop).on("GET", A_KEY));
    api.inject(Fault::new(FaultKind::Drop).on("PUT", "/secrets/ALPHA"));
    api.inject(Fault::new(FaultKind::DropAfterProcessing).on("PUT", "/secrets/BETA"));
    let ran = two_secrets(&api).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", A_KEY), 2);
    assert_eq!(api.count("PUT", "/secrets/ALPHA"), 2);
    assert_eq!(api.count("PUT", "/secrets/BETA"), 2);
    // Dropped before processing: written once. Dropped after: the client cannot know the write
    // landed, so it writes the same value again — the only second write, and a harmless one.
    assert_eq!(
        stored(&api, "acme/api", "ALPHA"),
        ("alpha-value-new".into(), 1)
    );
    assert_eq!(
        stored(&api, "acme/api", "BETA"),
        ("beta-value-new".into(), 2)
    );
    assert_eq!(api.faults_hit(), 3);
    assert!(
        headline(&ran).ends_with("(3 retried)."),
        "{}",
        headline(&ran)
    );
    ran.assert_no_leak();
}

#[test]
fn rate_limits_are_waited_out_and_the_wait_is_reported() {
    let api = world();
    api.inject(Fault::new(FaultKind::PrimaryExhausted { reset_in_secs: 2 }).on("GET", A_KEY));
    api.inject(
        Fault::new(FaultKind::RateLimit429 {
            retry_after_secs: 3,
        })
        .on("PUT", "/secrets/ALPHA"),
    );
    api.inject(
        Fault::new(FaultKind::Secondary403 {
            retry_after_secs: 4,
        })
        .on("PUT", "/secrets/BETA"),
    );
    // In real time: the report says the waits as they really passed, which on the suite's
    // scaled clock would be milliseconds.
    let ran = two_secrets(&api)
        .env("SECRET_REFRESH_TIME_SCALE", "1")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", A_KEY), 2);
    assert_eq!(api.count("PUT", "/secrets/ALPHA"), 2);
    assert_eq!(api.count("PUT", "/secrets/BETA"), 2);
    assert_both_stored_once(&api);
    let line = headline(&ran);
    // 3 s + 4 s asked, plus 1-2 s until the primary reset, in whole seconds rounded up.
    let waited = number_before(&line, "s on rate limits").expect(&line);
    assert!((8..=10).contains(&waited), "{line}");
    assert!(line.contains("(at most 300s allowed)"), "{line}");
    assert!(ran.summary.contains("on rate limits"), "{}", ran.summary);
    ran.assert_no_leak();
}

#[test]
fn a_key_rotated_mid_run_is_refetched_once() {
    let api = world();
    api.inject(Fault::new(FaultKind::RotateKeyBefore).on("PUT", "/secrets/ALPHA"));
    let ran = two_secrets(&api).input("audit-log", "audit.jsonl").run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let shape: Vec<(String, String, u16)> = api
        .requests()
        .into_iter()
        .map(|r| (r.method, r.path, r.status))
        .collect();
    let e = |m: &str, p: &str, s: u16| (m.to_owned(), p.to_owned(), s);
    assert_eq!(
        shape,
        [
            e("GET", A_KEY, 200),
            e("PUT", &format!("{A_PUT}ALPHA"), 422),
            e("GET", A_KEY, 200),
            e("PUT", &format!("{A_PUT}ALPHA"), 201),
            e("PUT", &format!("{A_PUT}BETA"), 201),
        ]
    );
    assert_both_stored_once(&api);
    // Both writes used the new key, and the audit log names it.
    let new_key = api.public_key(&Scope::repo("acme/api")).0;
    for line in ran.audit.lines() {
        let r: serde_json::Value = serde_json::from_str(line).expect("json");
        assert_eq!(r["key_id"].as_str(), Some(new_key.as_str()), "{line}");
    }
    ran.assert_no_leak();
}

#[test]
fn slow_answers_time_out_and_are_retried() {
    let api = world();
    api.inject(
        Fault::new(FaultKind::Latency(std::time::Duration::from_millis(1500))).on("GET", A_KEY),
    );
    let ran = two_secrets(&api)
        .env("SECRET_REFRESH_REQUEST_TIMEOUT_MS", "300")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", A_KEY), 2);
    assert_eq!(api.count("PUT", "/secrets/"), 2);
    assert_eq!(
        stored(&api, "acme/api", "ALPHA"),
        ("alpha-value-new".into(), 1)
    );
    assert!(
        headline(&ran).ends_with("(1 retried)."),
        "{}",
        headline(&ran)
    );

    // A server that never answers in time: the run fails after its attempts, saying why.
    let api = world();
    api.inject(
        Fault::new(FaultKind::Latency(std::time::Duration::from_millis(1500)))
            .on("GET", A_KEY)
            .times(4),
    );
    let ran = two_secrets(&api)
        .env("SECRET_REFRESH_REQUEST_TIMEOUT_MS", "300")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.count("GET", A_KEY), 4);
    assert_eq!(api.count("PUT", ""), 0);
    assert!(
        ran.stdout
            .contains("could not reach GitHub after 4 attempts: no answer within 300ms"),
        "{}",
        ran.stdout
    );
    ran.assert_no_leak();
}

/// Three repositories, two secrets; the write of ALPHA to acme/b fails for good (5xx on every
/// attempt).
fn three_targets(api: &FakeGitHub) -> Step<'_> {
    api.add_repo("acme/b");
    api.add_repo("acme/c");
    Step::new(api)
        .token_value(ADMIN)
        .input("repositories", "acme/api\nacme/b\nacme/c")
        .input("audit-log", "state/audit.jsonl")
        .secrets(&[("ALPHA", "alpha-value-new"), ("BETA", "beta-value-new")])
}

fn break_b_alpha(api: &FakeGitHub) {
    api.inject(
        Fault::new(FaultKind::Status(500))
            .on("PUT", "/repos/acme/b/actions/secrets/ALPHA")
            .times(4),
    );
}

fn writes(api: &FakeGitHub) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    for repo in ["acme/api", "acme/b", "acme/c"] {
        for (name, s) in api.secrets(&Scope::repo(repo)) {
            m.insert(format!("{repo}:{name}"), s.writes);
        }
    }
    m
}

fn all_stored(api: &FakeGitHub) {
    for repo in ["acme/api", "acme/b", "acme/c"] {
        assert_eq!(stored(api, repo, "ALPHA").0, "alpha-value-new", "{repo}");
        assert_eq!(stored(api, repo, "BETA").0, "beta-value-new", "{repo}");
    }
}

#[test]
fn partial_failure_is_reported_exactly_and_a_rerun_finishes_it() {
    let api = world();
    break_b_alpha(&api);
    let step = three_targets(&api);
    let first = step.run();
    assert_eq!(first.code, 1, "{}", first.transcript());
    first.assert_no_leak();
    assert_eq!(api.count("PUT", "/repos/acme/b/actions/secrets/ALPHA"), 4);
    assert_eq!(
        first.output("updated"),
        r#"["acme/api:ALPHA","acme/c:ALPHA","acme/api:BETA","acme/b:BETA","acme/c:BETA"]"#
    );
    assert!(api.secret(&Scope::repo("acme/b"), "ALPHA").is_none());

    api.clear_requests();
    let step = step.env("GITHUB_RUN_ATTEMPT", "2");
    let mut second = step.run();
    assert_eq!(second.code, 0, "{}", second.transcript());
    second.assert_no_leak();
    // The same step summary file: keep the re-run's part.
    second.summary = second.summary[first.summary.len()..].to_owned();
    // Only what was missing: one key, one PUT.
    let done: Vec<String> = api
        .requests()
        .into_iter()
        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
        .collect();
    assert_eq!(
        done,
        [
            "GET /repos/acme/b/actions/secrets/public-key 200",
            "PUT /repos/acme/b/actions/secrets/ALPHA 201",
        ]
    );
    assert_eq!(second.output("updated"), r#"["acme/b:ALPHA"]"#);
    all_stored(&api);
    assert!(writes(&api).values().all(|w| *w == 1), "{:?}", writes(&api));
    insta::assert_snapshot!(format!(
        "{}\n=== rerun\n{}\n=== audit\n{}",
        first.transcript(),
        second.transcript(),
        audit_lines(&second)
    ));
}

fn audit_lines(ran: &Ran) -> String {
    ran.audit
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).expect("json");
            format!(
                "{} {} {} {}",
                r["action"].as_str().unwrap_or("-"),
                r["secret"].as_str().unwrap_or("-"),
                r["target"].as_str().unwrap_or("-"),
                r["result"].as_str().unwrap_or("-")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn fail_fast_stops_at_the_first_failure_and_a_rerun_finishes_it() {
    let api = world();
    break_b_alpha(&api);
    let step = three_targets(&api).input("fail-fast", "true");
    let first = step.run();
    assert_eq!(first.code, 1, "{}", first.transcript());
    first.assert_no_leak();
    // acme/api got both; acme/b ALPHA failed; nothing after it was attempted.
    assert_eq!(
        first.output("updated"),
        r#"["acme/api:ALPHA","acme/api:BETA"]"#
    );
    assert_eq!(api.count("PUT", "/repos/acme/b/actions/secrets/BETA"), 0);
    assert_eq!(api.count("PUT", "/repos/acme/c/"), 0);
    assert_eq!(
        headline(&first),
        "Wrote 2 secrets to 1 of 3 targets (2 writes) with 8 requests to GitHub (3 retried). \
         1 failed, 3 not attempted: re-running this workflow run with the same inputs writes \
         only what is missing."
    );
    api.clear_requests();
    let step = step.env("GITHUB_RUN_ATTEMPT", "2");
    let mut second = step.run();
    assert_eq!(second.code, 0, "{}", second.transcript());
    second.summary = second.summary[first.summary.len()..].to_owned();
    assert_eq!(api.count("GET", "/public-key"), 2, "acme/b and acme/c only");
    assert_eq!(api.count("PUT", ""), 4);
    all_stored(&api);
    assert!(writes(&api).values().all(|w| *w == 1), "{:?}", writes(&api));
    insta::assert_snapshot!(format!(
        "{}\n=== rerun\n{}",
        first.transcript(),
        second.transcript()
    ));
}

/// A re-run whose `current` now holds the new values (the attempt wrote the workflow's own
/// repository, whose secrets `current` reflects) still finishes the targets left behind.
#[test]
fn rerun_finishes_targets_that_current_no_longer_shows() {
    let api = world();
    break_b_alpha(&api);
    let first = three_targets(&api)
        .current(&[("ALPHA", "alpha-value-old"), ("BETA", "beta-value-old")])
        .run();
    assert_eq!(first.code, 1, "{}", first.transcript());
    api.clear_requests();
    // A re-run attempt: a fresh runner given the same audit log.
    let second = three_targets(&api)
        .env("GITHUB_RUN_ATTEMPT", "2")
        .current(&[("ALPHA", "alpha-value-new"), ("BETA", "beta-value-new")])
        .file_bytes("state/audit.jsonl", first.audit.as_bytes())
        .run();
    assert_eq!(second.code, 0, "{}", second.transcript());
    assert_eq!(api.count("GET", "/public-key"), 1);
    assert_eq!(api.count("PUT", "/repos/acme/b/actions/secrets/ALPHA"), 1);
    assert_eq!(api.requests().len(), 2);
    all_stored(&api);
    assert!(writes(&api).values().all(|w| *w == 1), "{:?}", writes(&api));
    assert_eq!(second.output("updated"), r#"["acme/b:ALPHA"]"#);
}

/// Once a run finished, running it again is a fresh refresh: every changed secret is written.
/// Without an audit log there is no memory at all.
#[test]
fn a_finished_run_or_no_audit_log_means_no_memory() {
    let api = world();
    let step = three_targets(&api);
    assert_eq!(step.run().code, 0);
    let again = step.run();
    assert_eq!(again.code, 0, "{}", again.transcript());
    assert!(writes(&api).values().all(|w| *w == 2), "{:?}", writes(&api));

    let api = world();
    break_b_alpha(&api);
    let step = three_targets(&api).input("audit-log", "");
    let first = step.run();
    assert_eq!(first.code, 1);
    assert!(
        headline(&first).ends_with(
            "1 failed, 0 not attempted: a rerun with the same inputs writes the changed secrets \
             again (with `audit-log` kept between attempts, a re-run writes only what is missing)."
        ),
        "{}",
        headline(&first)
    );
}

/// More rate-limit waiting than the budget allows: the run stops with a clear error, reports
/// what was and was not written, and a re-run finishes it.
#[test]
fn an_exhausted_rate_limit_budget_stops_the_run() {
    let api = world();
    api.inject(
        Fault::new(FaultKind::Secondary403 {
            retry_after_secs: 200,
        })
        .on("PUT", "/repos/acme/api/actions/secrets/ALPHA"),
    );
    api.inject(
        Fault::new(FaultKind::Secondary403 {
            retry_after_secs: 200,
        })
        .on("PUT", "/repos/acme/api/actions/secrets/BETA"),
    );
    let step = three_targets(&api);
    let first = step.run();
    assert_eq!(first.code, 1, "{}", first.transcript());
    first.assert_no_leak();
    // ALPHA waited 200 s of the 300 s budget; BETA would need 200 s more: stop.
    assert_eq!(api.count("PUT", "/secrets/BETA"), 1);
    assert_eq!(api.count("PUT", "/repos/acme/b/"), 0);
    assert_eq!(api.count("PUT", "/repos/acme/c/"), 0);
    assert_eq!(first.output("updated"), r#"["acme/api:ALPHA"]"#);
    assert!(first.stdout.contains(
        "rate limited: GitHub asked to wait 200s more, beyond the run's 300s budget for \
         rate-limit waits (200s already waited)"
    ));
    api.clear_requests();
    let step = step.env("GITHUB_RUN_ATTEMPT", "2");
    let second = step.run();
    assert_eq!(second.code, 0, "{}", second.transcript());
    assert_eq!(api.count("PUT", ""), 5);
    all_stored(&api);
    assert!(writes(&api).values().all(|w| *w == 1), "{:?}", writes(&api));
    insta::assert_snapshot!(first.transcript());
}

// ---- soak -----------------------------------------------------------------------------------

/// Where a secret of a target label is written (the raw path the fake logs).
fn put_path(target: &str, name: &str) -> String {
    if let Some(org) = target.strip_prefix("orgs/") {
        return format!("/orgs/{org}/actions/secrets/{name}");
    }
    match target.split_once("/environments/") {
        Some((repo, env)) => format!(
            "/repos/{repo}/environments/{}/secrets/{name}",
            env.replace(' ', "%20")
        ),
        None => format!("/repos/{target}/actions/secrets/{name}"),
    }
}

fn scope_of(target: &str) -> Scope {
    if let Some(org) = target.strip_prefix("orgs/") {
        return Scope::org(org);
    }
    match target.split_once("/environments/") {
        Some((repo, env)) => Scope::env(repo, env),
        None => Scope::repo(target),
    }
}

#[derive(Default)]
struct Figures {
    runs: u32,
    reruns: u32,
    faults_injected: usize,
    faults_hit: usize,
    retries: u64,
    completed: u32,
    partial: u32,
    requests: usize,
    pairs: usize,
    /// Faults that hit a request, by class.
    by_class: BTreeMap<String, usize>,
}

impl Figures {
    fn add(&mut self, o: Figures) {
        self.runs += o.runs;
        self.reruns += o.reruns;
        self.faults_injected += o.faults_injected;
        self.faults_hit += o.faults_hit;
        self.retries += o.retries;
        self.completed += o.completed;
        self.partial += o.partial;
        self.requests += o.requests;
        self.pairs += o.pairs;
        for (class, n) in o.by_class {
            *self.by_class.entry(class).or_default() += n;
        }
    }
}

/// One fault schedule of the soak, drawn from the seed: where to write, what, and the faults.
struct Schedule {
    number: u32,
    /// 0: three repositories; 1: an environment in each of a pattern's repositories; 2: the
    /// organisation; 3: a pattern's repositories.
    shape: u64,
    fail_fast: bool,
    secrets: Vec<(String, String)>,
    /// A secret whose stored value is given in `current`, unchanged: never written.
    unchanged: Option<(String, String)>,
    faults: Vec<Fault>,
}

impl Schedule {
    /// The next schedule from `rng` (the draws in the order the soak has always made them, so
    /// a seed names the same schedules).
    fn draw(number: u32, rng: &mut SeededRng) -> Schedule {
        let shape = rng.below(4);
        let fail_fast = rng.chance(0.3);
        let n = 1 + rng.below(3) as usize;
        let secrets = (0..n)
            .map(|i| {
                (
                    format!("SOAK_{i}"),
                    format!("soak-{number}-{i}-{:x}", rng.next_u64()),
                )
            })
            .collect();
        let unchanged = rng.chance(0.4).then(|| {
            (
                "STEADY".to_owned(),
                format!("steady-{number}-{:x}", rng.next_u64()),
            )
        });
        let faults = (0..1 + rng.below(4) as usize)
            .map(|_| draw_fault(rng))
            .collect();
        Schedule {
            number,
            shape,
            fail_fast,
            secrets,
            unchanged,
            faults,
        }
    }
}

/// Many seeded fault schedules. For each run: every pair the run reports written holds the
/// intended value, every other changed pair is reported failed or not attempted, nothing is
/// written twice unless a write's answer was lost, no value leaks, and the rate-limit wait
/// stayed within its budget. A partial run is re-run and must finish without rewriting.
///
/// The schedules are drawn first, in order, then run by a few threads at once (each with its
/// own fake): a run spends most of its time waiting on faults (timeouts, slow answers).
#[test]
#[allow(clippy::print_stdout)] // the figures are what the soak reports
fn soak_random_fault_schedules() {
    const WORKERS: usize = 4;
    let seed: u64 = std::env::var("SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5EED_2026);
    let schedules: u32 = std::env::var("SOAK_SCHEDULES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(80);
    let mut rng = SeededRng::new(seed);
    let drawn: Vec<Schedule> = (0..schedules)
        .map(|n| Schedule::draw(n, &mut rng))
        .collect();
    let queue = std::sync::Mutex::new(drawn.into_iter());
    let name = std::thread::current()
        .name()
        .unwrap_or("soak_random_fault_schedules")
        .to_owned();
    let mut f = Figures::default();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let queue = &queue;
                std::thread::Builder::new()
                    // The test's name: the leak corpus files each run under it.
                    .name(format!("{name}-{w}"))
                    .spawn_scoped(scope, move || {
                        let mut f = Figures::default();
                        loop {
                            let next = queue.lock().expect("queue").next();
                            let Some(schedule) = next else { break };
                            f.add(run_schedule(seed, &schedule));
                        }
                        f
                    })
                    .expect("spawn")
            })
            .collect();
        for w in workers {
            match w.join() {
                Ok(part) => f.add(part),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    println!(
        "soak seed {seed}: {} runs ({} schedules, {} re-runs), {} faults injected, {} hit, \
         {} retries, {} completed, {} partial then finished by a re-run, {} requests, \
         {} secret×target pairs; 0 values lost or wrong and 0 leaked (asserted on every run); \
         faults by class: {:?}",
        f.runs + f.reruns,
        schedules,
        f.reruns,
        f.faults_injected,
        f.faults_hit,
        f.retries,
        f.completed,
        f.partial,
        f.requests,
        f.pairs,
        f.by_class
    );
    assert!(
        f.partial > 0 && f.completed > 0,
        "the schedules exercise both outcomes"
    );
    if schedules >= 40 {
        for class in fake_github::rng::FAULT_CLASSES {
            assert!(
                f.by_class.contains_key(*class),
                "fault class {class} never hit a request: {:?}",
                f.by_class
            );
        }
    }
}

/// The soak's request timeout: short, so that a slow answer (a latency fault up to 300 ms) is
/// given up on.
const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(250);

/// Runs one schedule of the soak (and its re-run when the run was partial), asserting what
/// [`soak_random_fault_schedules`] says; returns its figures.
fn run_schedule(seed: u64, schedule: &Schedule) -> Figures {
    let mut f = Figures::default();
    let api = world();
    for r in ["acme/svc-a", "acme/svc-b", "acme/svc-c"] {
        api.add_repo(r);
        api.add_environment(r, "prod live");
    }
    let mut step = Step::new(&api)
        .token_value(ADMIN)
        .input("audit-log", "audit.jsonl")
        .env(
            "SECRET_REFRESH_REQUEST_TIMEOUT_MS",
            &REQUEST_TIMEOUT.as_millis().to_string(),
        );
    let targets: Vec<String> = match schedule.shape {
        0 => {
            step = step.input("repositories", "acme/api\nacme/svc-a\nacme/svc-b");
            vec!["acme/api".into(), "acme/svc-a".into(), "acme/svc-b".into()]
        }
        1 => {
            step = step
                .input("repositories", "acme/svc-*")
                .input("environment", "prod live");
            ["a", "b", "c"]
                .iter()
                .map(|x| format!("acme/svc-{x}/environments/prod live"))
                .collect()
        }
        2 => {
            step = step.input("organization", "acme");
            vec!["orgs/acme".into()]
        }
        _ => {
            step = step.input("repositories", "acme/svc-*");
            vec![
                "acme/svc-a".into(),
                "acme/svc-b".into(),
                "acme/svc-c".into(),
            ]
        }
    };
    if schedule.fail_fast {
        step = step.input("fail-fast", "true");
    }
    let schedule_no = schedule.number;
    let secrets = schedule.secrets.as_slice();
    let unchanged = schedule.unchanged.as_ref();
    let mut all: Vec<(&str, &str)> = secrets
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut current: Vec<(&str, &str)> = Vec::new();
    if let Some((name, v)) = unchanged {
        all.push((name, v));
        current.push((name, v));
    }
    step = step.secrets(&all);
    if !current.is_empty() {
        step = step.current(&current);
    }
    for fault in &schedule.faults {
        api.inject(fault.clone());
    }
    f.faults_injected += schedule.faults.len();

    let ran = step.run();
    f.runs += 1;
    let hit: Vec<String> = api
        .requests()
        .iter()
        .filter_map(|r| Some(format!("{} {} {}", r.method, r.path, r.fault.clone()?)))
        .collect();
    let ctx = format!(
        "seed {seed} schedule {schedule_no}, faults hit: {hit:#?}\n{}",
        ran.transcript()
    );
    assert!(ran.code == 0 || ran.code == 1, "{ctx}");
    ran.assert_no_leak();
    let log = api.requests_jsonl();
    for (_, v) in &all {
        assert!(!log.contains(v), "plaintext on the wire; {ctx}");
    }
    let line = headline(&ran);
    f.retries += number_before(&line, " retried)").unwrap_or(0);
    if let Some(waited) = number_before(&line, "s on rate limits") {
        assert!(waited <= 300, "{ctx}");
    }
    f.faults_hit += api.faults_hit();
    f.requests += api.requests().len();
    for r in api.requests() {
        if let Some(fault) = &r.fault {
            let class = fault.split(':').next().unwrap_or(fault).to_owned();
            *f.by_class.entry(class).or_default() += 1;
        }
    }

    // What the run says about each pair, from its audit log.
    let mut said: BTreeMap<(String, String), String> = BTreeMap::new();
    for l in ran.audit.lines() {
        let r: serde_json::Value = serde_json::from_str(l).expect("json");
        said.insert(
            (
                r["secret"].as_str().unwrap_or_default().to_owned(),
                r["target"].as_str().unwrap_or_default().to_owned(),
            ),
            r["action"].as_str().unwrap_or_default().to_owned(),
        );
    }
    let requests = api.requests();
    let mut missing = 0;
    // Stopped before any write (the listing or setup failed): every secret is reported not
    // attempted against the targets as configured, and nothing was written.
    let stopped_early = ran.summary.contains("**Stopped:**");
    if stopped_early {
        assert_eq!(api.count("PUT", ""), 0, "{ctx}");
        for (name, _) in secrets {
            assert!(
                ran.summary
                    .lines()
                    .any(|l| l.starts_with(&format!("| `{name}` |"))
                        && l.ends_with("| not attempted (stopped by an earlier failure) |")),
                "{ctx}"
            );
            missing += 1;
        }
    }
    for t in targets.iter().filter(|_| !stopped_early) {
        for (name, value) in secrets {
            f.pairs += 1;
            let action = said
                .get(&(name.clone(), t.clone()))
                .map(String::as_str)
                .unwrap_or("<no record>");
            let stored = api.secret(&scope_of(t), name);
            let path = put_path(t, name);
            // A write whose answer was lost (dropped after processing, or too slow) may
            // land twice; nothing else may. Too slow includes a write without a fault that the
            // run sent again: on a loaded machine an answer can take longer than the soak's
            // 250 ms, and the server, which sees only when a request arrived, cannot tell.
            let puts: Vec<_> = requests
                .iter()
                .filter(|r| r.method == "PUT" && r.path == path)
                .collect();
            let lost = puts
                .iter()
                .enumerate()
                .filter(|(i, r)| {
                    r.fault.as_deref().is_some_and(|x| {
                        x.starts_with("drop_after_processing") || x.starts_with("latency")
                    }) || (r.fault.is_none() && *i + 1 < puts.len())
                })
                .count() as u32;
            match action {
                "secret.create" | "secret.update" => {
                    let s = stored.unwrap_or_else(|| panic!("{name} in {t} missing; {ctx}"));
                    assert_eq!(&s.value, value, "{name} in {t}; {ctx}");
                    assert!(
                        s.writes >= 1 && s.writes <= 1 + lost,
                        "{name} in {t}; {ctx}"
                    );
                }
                "secret.fail" | "secret.skip" => {
                    missing += 1;
                    assert!(
                        ran.summary
                            .contains(&format!("| `{name}` | `{t}` | failed"))
                            || ran
                                .summary
                                .contains(&format!("| `{name}` | `{t}` | not attempted")),
                        "{name} in {t} not reported; {ctx}"
                    );
                }
                other => panic!("{name} in {t}: {other}; {ctx}"),
            }
        }
        if let Some((name, _)) = unchanged {
            assert!(api.secret(&scope_of(t), name).is_none(), "{ctx}");
            assert_eq!(api.count("", &format!("/secrets/{name}")), 0, "{ctx}");
        }
    }
    assert_eq!(ran.code == 1, missing > 0, "{ctx}");
    if missing == 0 {
        f.completed += 1;
        return f;
    }
    f.partial += 1;

    // The re-run, without faults: finishes the job, rewrites nothing done. A request the
    // run gave up on as too slow may still be landing: let it, first.
    api.clear_faults();
    if requests
        .iter()
        .any(|r| r.fault.as_deref().is_some_and(|x| x.starts_with("latency")))
    {
        std::thread::sleep(std::time::Duration::from_millis(400));
    }
    let before: BTreeMap<(String, String), u32> = targets
        .iter()
        .flat_map(|t| secrets.iter().map(move |(n, _)| (t.clone(), n.clone())))
        .filter_map(|(t, n)| {
            api.secret(&scope_of(&t), &n)
                .map(|s| ((t.clone(), n.clone()), s.writes))
        })
        .collect();
    let step = step.env("GITHUB_RUN_ATTEMPT", "2");
    let rerun = step.run();
    f.reruns += 1;
    let ctx = format!("{ctx}\n=== rerun\n{}", rerun.transcript());
    assert_eq!(rerun.code, 0, "{ctx}");
    rerun.assert_no_leak();
    for t in &targets {
        for (name, value) in secrets {
            let s = api.secret(&scope_of(t), name).expect("stored after rerun");
            assert_eq!(&s.value, value, "{name} in {t}; {ctx}");
            let was_done = matches!(
                said.get(&(name.clone(), t.clone())).map(String::as_str),
                Some("secret.create" | "secret.update")
            );
            if was_done {
                assert_eq!(
                    Some(&s.writes),
                    before.get(&(t.clone(), name.clone())),
                    "{name} in {t} rewritten; {ctx}"
                );
            }
        }
    }
    f
}
