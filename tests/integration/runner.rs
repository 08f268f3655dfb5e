//! What a user meets on a real runner (issue 22, item 6): a `workflow_run` started by a fork's
//! pull request.

use crate::common::{fake, Step, REPO};

/// The `workflow_run` event's payload as the runner writes it to `GITHUB_EVENT_PATH`: the
/// triggering run's head repository next to ours.
fn workflow_run_event(head_repository: Option<&str>) -> String {
    let head = match head_repository {
        Some(name) => serde_json::json!({ "full_name": name, "fork": name != REPO }),
        None => serde_json::Value::Null,
    };
    serde_json::json!({
        "action": "completed",
        "workflow_run": {
            "event": "pull_request",
            "head_branch": "patch-1",
            "head_repository": head,
            "repository": { "full_name": REPO, "fork": false },
        },
        "repository": { "full_name": REPO },
    })
    .to_string()
}

fn workflow_run<'a>(api: &'a fake_github::FakeGitHub, payload: Option<&str>) -> Step<'a> {
    let step = Step::new(api)
        .env("GITHUB_EVENT_NAME", "workflow_run")
        .token()
        .secrets(&[("A", "wfr-value-1")]);
    match payload {
        Some(p) => {
            let path = step.workspace().join("../event.json");
            std::fs::write(&path, p).expect("event file");
            step.env("GITHUB_EVENT_PATH", &path.display().to_string())
        }
        None => step.env("GITHUB_EVENT_PATH", "/nonexistent/event.json"),
    }
}

#[test]
fn workflow_run_from_a_fork_is_refused_like_pull_request_target_unless_allowed() {
    let api = fake();
    let from_fork = workflow_run_event(Some("mallory/repo"));
    let ran = workflow_run(&api, Some(&from_fork)).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0, "{:?}", api.requests());
    assert_eq!(ran.output("skipped"), "true");
    assert_eq!(ran.output("skip-reason"), "event");
    assert!(
        ran.stdout
            .contains("::warning title=writes refused on a workflow_run from a fork::"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("allow-pull-request-target: true"),
        "the opt-in is named: {}",
        ran.stdout
    );
    ran.assert_no_leak();

    let ran = workflow_run(&api, Some(&from_fork))
        .input("allow-pull-request-target", "true")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(ran.output("updated"), r#"["acme/api:A"]"#);
}

#[test]
fn workflow_run_from_this_repository_writes() {
    let api = fake();
    let ran = workflow_run(&api, Some(&workflow_run_event(Some(REPO)))).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(ran.output("updated"), r#"["acme/api:A"]"#);
    assert!(!ran.stdout.contains("::warning"), "{}", ran.stdout);
}

/// Without a readable payload, or without the head repository (a fork since deleted), the
/// run cannot be shown to be this repository's own: refused, as from a fork.
#[test]
fn workflow_run_whose_origin_is_unknown_is_refused() {
    for payload in [
        None,
        Some("{ not json".to_owned()),
        Some(workflow_run_event(None)),
    ] {
        let api = fake();
        let ran = workflow_run(&api, payload.as_deref()).run();
        assert_eq!(ran.code, 0, "{payload:?}: {}", ran.transcript());
        assert_eq!(api.requests().len(), 0, "{payload:?}");
        assert_eq!(ran.output("skip-reason"), "event", "{payload:?}");
    }
}
