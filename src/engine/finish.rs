//! Finishing a run: the installation token revoked (whatever happened), the client's request
//! totals and the token's expiry recorded in the report.

use crate::auth::app::Session;
use crate::report::outcome::Report;

/// Revokes an installation token (success or failure), then records the client's stats.
pub(super) async fn finish(session: &Session, report: &mut Report) {
    if let Err(e) = session.close().await {
        add_fatal(report, e.to_string());
    }
    let client = &session.client;
    let stats = &client.stats;
    use std::sync::atomic::Ordering::Relaxed;
    report.requests = stats.requests.load(Relaxed);
    report.retries = stats.retries.load(Relaxed);
    report.rate_limit_waits = stats.rate_limit_waits.load(Relaxed);
    report.rate_limit_wait_secs = stats.rate_limit_wait_ms.load(Relaxed) as f64 / 1000.0;
    report.rate_limit_budget_secs = client.policy().max_rate_limit_wait.as_secs();
    // An installation token lives an hour by design: no expiry warning for it.
    report.token_expiry = (!session.is_app()).then(|| client.token_expiry()).flatten();
}

/// Adds `problem` to the report's fatal line: a token left alive is said even after a
/// cancellation or another failure.
pub(super) fn add_fatal(report: &mut Report, problem: String) {
    report.fatal = Some(match report.fatal.take() {
        Some(first) => format!("{first}; {problem}"),
        None => problem,
    });
}
