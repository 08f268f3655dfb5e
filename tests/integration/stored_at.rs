//! Never overwrite a newer value (issue 21, item 6): preflight records what is stored
//! (`stored-at`: every secret's name and `updated_at` per target, never a value); the step that
//! writes, given it, re-reads `updated_at` just before it writes a target (one listing, only
//! where it has something to write) and does not overwrite a secret another run stored since
//! preflight: the row is `conflict`, a warning names the secret and when it was written, and
//! the step stays green (the value stored is the other run's, written after this run's
//! preflight). Without `stored-at`, nothing changes.

use fake_github::{FakeGitHub, Scope};
use time::OffsetDateTime;

use crate::common::{calls, fake, Ran, Step};

/// The fake's clock, stopped at a stated time (whole seconds) so `updated_at` is exact.
fn clocked() -> (FakeGitHub, OffsetDateTime) {
    let api = fake();
    api.add_repo("acme/web");
    let t0 = (OffsetDateTime::now_utc() - time::Duration::days(1))
        .replace_nanosecond(0)
        .expect("whole seconds");
    api.set_now(t0);
    (api, t0)
}

fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .expect("format")
}

/// This run's preflight of `repositories`; its `stored-at`.
fn preflight(api: &FakeGitHub, repositories: &str) -> String {
    let ran = Step::new(api)
        .token()
        .input("preflight", "true")
        .input("repositories", repositories)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    ran.output("stored-at").to_owned()
}

/// A step that writes SESSION = `value`, comparing with `current`.
fn write<'a>(api: &'a FakeGitHub, value: &str, current: &str) -> Step<'a> {
    Step::new(api)
        .token()
        .secrets(&[("SESSION", value)])
        .current(&[("SESSION", current)])
}

fn stored(api: &FakeGitHub, repo: &str) -> Option<String> {
    api.secret(&Scope::repo(repo), "SESSION").map(|s| s.value)
}

#[test]
fn preflight_records_every_secret_of_each_target_and_no_value() {
    let (api, t0) = clocked();
    api.set_secret(&Scope::repo("acme/api"), "SESSION", "session-0");
    api.set_secret(&Scope::repo("acme/api"), "OTHER", "other-0");
    let at = preflight(&api, "acme/api\nacme/web");
    let t = rfc3339(t0);
    assert_eq!(
        at,
        format!(
            r#"{{"version":1,"targets":{{"acme/api":{{"OTHER":"{t}","SESSION":"{t}"}},"acme/web":{{}}}}}}"#
        )
    );
}

/// The scenario of the issue: preflight, another run stores a newer value, then this run's
/// write; the newer value survives.
#[test]
fn a_value_another_run_stored_after_preflight_survives_the_write() {
    let (api, t0) = clocked();
    api.set_secret(&Scope::repo("acme/api"), "SESSION", "session-0");
    let at = preflight(&api, "acme/api");

    // Another run (a push and a schedule overlapping) refreshes and stores first.
    api.advance(time::Duration::minutes(5));
    let other = write(&api, "session-from-the-other-run", "session-0").run();
    assert_eq!(other.code, 0, "{}", other.transcript());
    let written_at = t0 + time::Duration::minutes(5);

    // This run's tests refreshed too; its write step is given preflight's record.
    api.advance(time::Duration::minutes(5));
    api.clear_requests();
    let ran = write(&api, "session-from-this-run", "session-0")
        .input("stored-at", &at)
        .run();
    assert_eq!(
        stored(&api, "acme/api").as_deref(),
        Some("session-from-the-other-run")
    );
    // The key read ahead, the one listing that re-reads `updated_at`; no write.
    assert_eq!(
        calls(&api),
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "GET /repos/acme/api/actions/secrets 200",
        ]
    );
    conflict_reported(&ran, &rfc3339(written_at));
    insta::assert_snapshot!(ran
        .transcript()
        .replace(&rfc3339(written_at), "[WRITTEN AT]"));
}

/// Green, with a warning that names the secret, when it was written, and `concurrency:`.
fn conflict_reported(ran: &Ran, written_at: &str) {
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let warning = ran
        .stdout
        .lines()
        .find(|l| l.starts_with("::warning") && l.contains("SESSION"))
        .unwrap_or_else(|| panic!("no warning naming SESSION:\n{}", ran.stdout));
    assert!(warning.contains(written_at), "{warning}");
    assert!(warning.contains("concurrency"), "{warning}");
    assert!(ran.summary.contains("conflict"), "{}", ran.summary);
    assert_eq!(ran.output("updated"), "[]");
    assert_eq!(ran.output("conflicted"), r#"["acme/api:SESSION"]"#);
    ran.assert_no_leak();
}

#[test]
fn a_secret_created_since_preflight_is_not_overwritten_either() {
    let (api, t0) = clocked();
    let at = preflight(&api, "acme/api");
    api.advance(time::Duration::minutes(1));
    let other = Step::new(&api)
        .token()
        .secrets(&[("SESSION", "session-from-the-other-run")])
        .run();
    assert_eq!(other.code, 0, "{}", other.transcript());
    let ran = Step::new(&api)
        .token()
        .secrets(&[("SESSION", "session-from-this-run")])
        .input("stored-at", &at)
        .run();
    assert_eq!(
        stored(&api, "acme/api").as_deref(),
        Some("session-from-the-other-run")
    );
    conflict_reported(&ran, &rfc3339(t0 + time::Duration::minutes(1)));
}

#[test]
fn a_secret_unchanged_since_preflight_is_written_after_one_listing() {
    let (api, _) = clocked();
    api.set_secret(&Scope::repo("acme/api"), "SESSION", "session-0");
    let at = preflight(&api, "acme/api");
    api.advance(time::Duration::minutes(5));
    api.clear_requests();
    let ran = write(&api, "session-1", "session-0")
        .input("stored-at", &at)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(stored(&api, "acme/api").as_deref(), Some("session-1"));
    assert_eq!(
        calls(&api),
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "GET /repos/acme/api/actions/secrets 200",
            "PUT /repos/acme/api/actions/secrets/SESSION 204",
        ]
    );
    assert_eq!(ran.output("updated"), r#"["acme/api:SESSION"]"#);
    assert_eq!(ran.output("conflicted"), "[]");
}

#[test]
fn a_secret_deleted_since_preflight_is_written_there_is_no_newer_value() {
    let (api, _) = clocked();
    api.set_secret(&Scope::repo("acme/api"), "SESSION", "session-0");
    let at = preflight(&api, "acme/api");
    // Deleted by hand since: nothing newer to keep.
    let deleted = crate::common::cli_as(
        &api,
        crate::common::TOKEN,
        &["delete", "SESSION", "--repo", "acme/api", "--yes"],
    )
    .run();
    assert_eq!(deleted.code, 0, "{}", deleted.screen());
    let ran = write(&api, "session-1", "session-0")
        .input("stored-at", &at)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(stored(&api, "acme/api").as_deref(), Some("session-1"));
}

#[test]
fn with_stored_at_nothing_changed_still_costs_zero_requests() {
    let (api, _) = clocked();
    api.set_secret(&Scope::repo("acme/api"), "SESSION", "session-0");
    let at = preflight(&api, "acme/api");
    api.clear_requests();
    let ran = write(&api, "session-0", "session-0")
        .input("stored-at", &at)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api.requests().is_empty(), "{:#?}", calls(&api));
}

/// Only the targets with something to write are listed again, each just before its writes.
#[test]
fn only_targets_with_something_to_write_are_listed_again() {
    let (api, _) = clocked();
    api.set_secret(&Scope::repo("acme/api"), "SESSION", "session-0");
    api.set_secret(&Scope::repo("acme/web"), "SESSION", "session-0");
    let at = preflight(&api, "acme/api\nacme/web");
    api.advance(time::Duration::minutes(1));
    api.clear_requests();
    let ran = write(&api, "session-1", "session-0")
        .input("repositories", "acme/api\nacme/web")
        .input("stored-at", &at)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", "/actions/secrets/public-key"), 2);
    assert_eq!(api.requests().len(), 6, "{:#?}", calls(&api));
    // Each listing comes right before that target's write.
    let order: Vec<String> = calls(&api)
        .into_iter()
        .filter(|c| !c.contains("public-key"))
        .collect();
    assert_eq!(
        order,
        [
            "GET /repos/acme/api/actions/secrets 200",
            "PUT /repos/acme/api/actions/secrets/SESSION 204",
            "GET /repos/acme/web/actions/secrets 200",
            "PUT /repos/acme/web/actions/secrets/SESSION 204",
        ]
    );
}

#[test]
fn a_target_preflight_did_not_see_is_written_with_a_warning() {
    let (api, _) = clocked();
    let at = preflight(&api, "acme/web");
    let ran = Step::new(&api)
        .token()
        .secrets(&[("SESSION", "session-1")])
        .input("stored-at", &at)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(stored(&api, "acme/api").as_deref(), Some("session-1"));
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.starts_with("::warning") && l.contains("acme/api")),
        "{}",
        ran.stdout
    );
}

#[test]
fn stored_at_is_untrusted_input_checked_before_any_request() {
    let (api, _) = clocked();
    let too_large = format!(
        r#"{{"version":1,"targets":{{"acme/api":{{"A":"{}"}}}}}}"#,
        "x".repeat(1_000_001)
    );
    for bad in [
        "not json",
        r#"{"version":1,"targets":{"acme/api":{"SESSION":"yesterday"}}}"#,
        r#"{"version":1,"targets":{"acme/api":{"BAD NAME":"2099-01-01T00:00:00Z"}}}"#,
        r#"{"version":2,"targets":{}}"#,
        too_large.as_str(),
    ] {
        let ran = Step::new(&api)
            .token()
            .secrets(&[("SESSION", "session-1")])
            .input("stored-at", bad)
            .run();
        assert_eq!(ran.code, 2, "{}", ran.transcript());
        assert!(ran.stdout.contains("input `stored-at`"), "{}", ran.stdout);
        assert!(!ran.stdout.contains("yesterday") && !ran.stdout.contains("BAD NAME"));
    }
    assert!(api.requests().is_empty());
}

#[test]
fn stored_at_in_the_preflight_step_itself_is_an_input_error() {
    let (api, _) = clocked();
    let ran = Step::new(&api)
        .token()
        .input("preflight", "true")
        .input("stored-at", r#"{"version":1,"targets":{}}"#)
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(api.requests().is_empty());
}
