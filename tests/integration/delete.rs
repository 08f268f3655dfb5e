//! `secret-refresh delete`: the plan, the confirmation (terminal or `--yes`), `--dry-run` with
//! zero requests, "already absent" told from "cannot see", the stop at the first failure with
//! the rerun command, the audit records, cancellation, and `--help`.

use std::process::Command;
use std::time::{Duration, Instant};

use fake_github::{FakeGitHub, Fault, FaultKind, Scope, TokenKind, TokenSpec};
use serde_json::Value;

use crate::common::*;

fn cli<'a>(api: &'a FakeGitHub, args: &[&str]) -> Step<'a> {
    cli_as(api, TOKEN, args)
}

/// `acme/api`, `acme/web`, `acme/db`, each holding OLD_PAT and LEGACY_KEY.
fn world() -> FakeGitHub {
    let api = fake();
    for r in ["acme/web", "acme/db"] {
        api.add_repo(r);
    }
    for r in [REPO, "acme/web", "acme/db"] {
        api.set_secret(&Scope::repo(r), "OLD_PAT", "old-pat-value");
        api.set_secret(&Scope::repo(r), "LEGACY_KEY", "legacy-value");
    }
    api
}

fn has(api: &FakeGitHub, repo: &str, name: &str) -> bool {
    api.secret(&Scope::repo(repo), name).is_some()
}

#[test]
fn deletes_every_name_from_every_target_with_one_request_each() {
    let api = world();
    let ran = cli(
        &api,
        &[
            "delete",
            "OLD_PAT",
            "LEGACY_KEY",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--yes",
        ],
    )
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        [
            "DELETE /repos/acme/api/actions/secrets/OLD_PAT 204",
            "DELETE /repos/acme/api/actions/secrets/LEGACY_KEY 204",
            "DELETE /repos/acme/web/actions/secrets/OLD_PAT 204",
            "DELETE /repos/acme/web/actions/secrets/LEGACY_KEY 204",
        ]
    );
    for r in [REPO, "acme/web"] {
        assert!(
            !has(&api, r, "OLD_PAT") && !has(&api, r, "LEGACY_KEY"),
            "{r}"
        );
    }
    assert!(
        has(&api, "acme/db", "OLD_PAT"),
        "an untargeted repo is untouched"
    );
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn an_absent_secret_is_already_absent_and_a_rerun_is_safe() {
    let api = world();
    api.secret(&Scope::repo("acme/web"), "OLD_PAT")
        .expect("seeded");
    let first = cli(&api, &["delete", "OLD_PAT", "--repo", "acme/api", "--yes"]).run();
    assert_eq!(first.code, 0, "{}", first.transcript());
    api.clear_requests();
    // Again, over both: acme/api's is gone already, acme/web's is deleted now.
    let again = cli(
        &api,
        &[
            "delete", "OLD_PAT", "--repo", "acme/api", "--repo", "acme/web", "--yes",
        ],
    )
    .run();
    assert_eq!(again.code, 0, "{}", again.transcript());
    // A 404 costs one public-key read, to tell "absent" from "cannot see".
    assert_eq!(
        calls(&api),
        [
            "DELETE /repos/acme/api/actions/secrets/OLD_PAT 404",
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "DELETE /repos/acme/web/actions/secrets/OLD_PAT 204",
        ]
    );
    assert!(!has(&api, "acme/web", "OLD_PAT"));
    insta::assert_snapshot!(again.screen());
}

/// A fine-grained token that does not reach acme/web: GitHub answers 404 there for the delete
/// and for the key. That is a failure (not "already absent"), and acme/db is not tried.
#[test]
fn a_target_the_token_cannot_see_fails_and_stops_the_run_with_the_rerun_command() {
    let api = world();
    let narrow = "github_pat_11NARROW0000_apiAndDbOnly";
    api.add_token(
        narrow,
        TokenSpec {
            login: "octo".into(),
            kind: TokenKind::FineGrained {
                repositories: Some(vec!["acme/api".into(), "acme/db".into()]),
                secrets_write: true,
                environments_write: false,
                org_secrets_write: false,
                dependabot_write: false,
                codespaces_write: false,
                agents_write: false,
            },
            expires_at: None,
            revoked: false,
        },
    );
    // Kept until the end: its workspace holds the audit log.
    let step = cli(
        &api,
        &[
            "delete",
            "OLD_PAT",
            "LEGACY_KEY",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--repo",
            "acme/db",
            "--yes",
            "--audit-log",
            "delete.jsonl",
        ],
    )
    .env("GH_TOKEN", narrow)
    .value(narrow);
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        [
            "DELETE /repos/acme/api/actions/secrets/OLD_PAT 204",
            "DELETE /repos/acme/api/actions/secrets/LEGACY_KEY 204",
            "DELETE /repos/acme/web/actions/secrets/OLD_PAT 404",
            "GET /repos/acme/web/actions/secrets/public-key 404",
        ]
    );
    assert!(has(&api, "acme/db", "OLD_PAT") && has(&api, "acme/db", "LEGACY_KEY"));
    assert!(ran.stdout.contains(&format!(
        "  secret-refresh delete OLD_PAT LEGACY_KEY --repo acme/web --repo acme/db --api-url {} --audit-log delete.jsonl --yes\n",
        api.url()
    )));
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.screen());

    let audit = std::fs::read_to_string(ran.workspace.join("delete.jsonl")).expect("audit log");
    let records: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    let seen: Vec<(&str, &str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["secret"].as_str().unwrap_or_default(),
                r["target"].as_str().unwrap_or_default(),
                r["outcome"].as_str().unwrap_or_default(),
                r["action"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("OLD_PAT", "acme/api", "deleted", "secret.delete"),
            ("LEGACY_KEY", "acme/api", "deleted", "secret.delete"),
            ("OLD_PAT", "acme/web", "failed", "secret.fail"),
            ("LEGACY_KEY", "acme/web", "not_attempted", "secret.skip"),
            ("OLD_PAT", "acme/db", "not_attempted", "secret.skip"),
            ("LEGACY_KEY", "acme/db", "not_attempted", "secret.skip"),
        ]
    );
    assert!(records
        .iter()
        .all(|r| r["repository"].is_string() && r["time"].is_string()));
    assert!(!audit.contains(narrow));
}

#[test]
fn without_a_terminal_and_without_yes_nothing_is_sent() {
    let api = world();
    let ran = cli(&api, &["delete", "OLD_PAT", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert!(has(&api, REPO, "OLD_PAT"));
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn dry_run_prints_the_plan_and_sends_nothing_not_even_without_a_token() {
    let api = world();
    let ran = cli(
        &api,
        &[
            "delete",
            "OLD_PAT",
            "LEGACY_KEY",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--dry-run",
        ],
    )
    .remove_env("GH_TOKEN")
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    assert!(has(&api, REPO, "OLD_PAT"));
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn on_a_terminal_it_asks_and_only_yes_goes_on() {
    let api = world();
    let args = ["delete", "OLD_PAT", "--repo", "acme/api"];
    let env = [("GH_TOKEN", TOKEN), ("NO_COLOR", "1")];
    let question = "Type yes to go on: ";
    let refused = crate::cli::on_terminal_answering(&api, &args, &env, &[(question, "no", false)]);
    assert_eq!(refused.code, 2, "{}", refused.text);
    assert_eq!(api.requests().len(), 0);
    assert!(refused.text.contains("not confirmed: nothing was deleted"));

    let confirmed =
        crate::cli::on_terminal_answering(&api, &args, &env, &[(question, "yes", false)]);
    assert_eq!(confirmed.code, 0, "{}", confirmed.text);
    assert_eq!(
        calls(&api),
        ["DELETE /repos/acme/api/actions/secrets/OLD_PAT 204"]
    );
    insta::assert_snapshot!(confirmed.text);
}

#[test]
fn environment_and_organisation_targets_use_their_routes() {
    let api = world();
    api.add_environment(REPO, "production");
    api.set_secret(
        &Scope::env(REPO, "production"),
        "DEPLOY_KEY",
        "deploy-value",
    );
    let ran = cli(
        &api,
        &[
            "delete",
            "DEPLOY_KEY",
            "--repo",
            REPO,
            "--env",
            "production",
            "--yes",
        ],
    )
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api
        .secret(&Scope::env(REPO, "production"), "DEPLOY_KEY")
        .is_none());

    let org = "ghp_OrgAdmin0000000000000000000000000000";
    api.add_token(org, TokenSpec::classic("octo", &["admin:org"]));
    api.set_secret(&Scope::org("acme"), "OLD_PAT", "old-pat-value");
    api.clear_requests();
    let ran = cli(&api, &["delete", "OLD_PAT", "--org", "acme", "--yes"])
        .env("GH_TOKEN", org)
        .value(org)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        ["DELETE /orgs/acme/actions/secrets/OLD_PAT 204"]
    );
    assert!(api.secret(&Scope::org("acme"), "OLD_PAT").is_none());
}

/// SIGINT while the first delete is in flight: it finishes within the grace, no other starts,
/// the report says what was done, and the exit code is 130.
#[test]
fn sigint_stops_before_the_next_delete() {
    let api = world();
    api.inject(
        Fault::new(FaultKind::Latency(Duration::from_millis(800)))
            .method("DELETE")
            .times(1),
    );
    let step = cli(
        &api,
        &[
            "delete", "OLD_PAT", "--repo", "acme/api", "--repo", "acme/web", "--yes",
        ],
    );
    let ran = step.run_while(|pid| {
        let start = Instant::now();
        while api.faults_hit() == 0 {
            assert!(start.elapsed() < Duration::from_secs(60), "no delete came");
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
    assert_eq!(
        calls(&api),
        ["DELETE /repos/acme/api/actions/secrets/OLD_PAT 204"]
    );
    assert!(has(&api, "acme/web", "OLD_PAT"));
    insta::assert_snapshot!(ran.screen());
}

#[test]
fn help_says_how_to_confirm_and_what_is_safe() {
    let out = Command::new(BIN)
        .args(["delete", "--help"])
        .env_clear()
        .output()
        .expect("run");
    assert!(out.status.success());
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

/// Issue 22: an audit record that cannot be written fails the command, as it fails the action
/// and `rotate` (it was a warning, and `delete` exited 0). The delete itself stays done, and
/// the error says so.
#[test]
fn an_audit_log_that_cannot_be_written_fails_the_command() {
    let api = world();
    let step = cli(
        &api,
        &[
            "delete",
            "OLD_PAT",
            "--repo",
            REPO,
            "--yes",
            "--audit-log",
            "../outside-the-current-directory.jsonl",
        ],
    );
    let ran = step.run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(!has(&api, REPO, "OLD_PAT"), "the delete was done");
    assert!(
        ran.stderr.contains("error: the audit log was not written")
            && ran.stderr.contains("what was deleted stays deleted"),
        "{}",
        ran.screen()
    );
    assert!(!step
        .workspace()
        .join("../outside-the-current-directory.jsonl")
        .exists());
}
