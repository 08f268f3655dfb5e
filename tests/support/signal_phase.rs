//! The scaffolding of the signal-phase tests every harness shares (tests/integration/cancel.rs,
//! the binary run directly; tests/container.rs, the binary as the container's PID 1): a GitHub
//! App installed on acme (revocation.rs and pacing.rs install it too), one request held so the
//! signal lands in a known phase, and the audit records read back as rows.

use std::time::{Duration, Instant};

use fake_github::{AppKey, FakeGitHub, Fault, FaultKind};

/// The app the signalled runs authenticate as.
pub const APP_ID: u64 = 4242;

/// The app `id` (with the shared key) installed on acme with `secrets: write` and
/// `metadata: read`.
pub fn install_app(api: &FakeGitHub, id: u64) {
    api.add_app(id, &AppKey::shared().public_pem);
    api.add_installation(
        id,
        "acme",
        None,
        &[("secrets", "write"), ("metadata", "read")],
    );
}

/// Holds the first request whose path contains `path` for `hold`.
pub fn hold(api: &FakeGitHub, method: &str, path: &str, hold: Duration) {
    api.inject(
        Fault::new(FaultKind::Latency(hold))
            .method(method)
            .path(path)
            .times(1),
    );
}

/// Waits (at most `limit`) until the held request reached the fake; returns how many requests
/// the fake had seen by then. `what` names the run in the failure.
pub fn wait_for_held(api: &FakeGitHub, limit: Duration, what: &str) -> usize {
    let start = Instant::now();
    while api.faults_hit() == 0 {
        assert!(
            start.elapsed() < limit,
            "{what}: the held request never came"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    api.requests().len()
}

/// `(secret, target, outcome)` of each record of an audit log (JSON lines), sorted.
pub fn audit_rows(jsonl: &str) -> Vec<(String, String, String)> {
    let mut rows: Vec<(String, String, String)> = jsonl
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("audit json"))
        .map(|v| {
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
            (field("secret"), field("target"), field("outcome"))
        })
        .collect();
    rows.sort();
    rows
}
