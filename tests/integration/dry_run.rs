//! What a dry run proves (issue 21, item 4): with a credential, it resolves `owner/glob`
//! patterns (reads only) and reads each concrete target's public key, so a pattern that matches
//! nothing or a key that cannot be read fails it as it would fail the real run; it writes
//! nothing and never claims write access. Without one, it makes no request and says that
//! nothing was checked.

use fake_github::FakeGitHub;

use crate::common::{calls, cli_as, fake, Step, TOKEN};

/// acme/svc-a, acme/svc-b and acme/other beside acme/api.
fn services() -> FakeGitHub {
    let api = fake();
    for name in ["svc-a", "svc-b", "other"] {
        api.add_repo(&format!("acme/{name}"));
    }
    api
}

#[test]
fn a_dry_run_with_a_token_lists_the_concrete_targets_and_reads_their_keys() {
    let api = services();
    let ran = Step::new(&api)
        .token()
        .input("dry-run", "true")
        .input("repositories", "acme/svc-*")
        .secrets(&[("SESSION", "session-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        [
            "GET /user 200",
            "GET /orgs/acme/repos 200",
            "GET /repos/acme/svc-a/actions/secrets/public-key 200",
            "GET /repos/acme/svc-b/actions/secrets/public-key 200",
        ]
    );
    assert!(api.writes().is_empty());
    assert_eq!(ran.output("skip-reason"), "dry-run");
    assert!(ran
        .summary
        .contains("| `SESSION` | `acme/svc-a` | would write"));
    assert!(ran
        .summary
        .contains("| `SESSION` | `acme/svc-b` | would write"));
    assert!(!ran.summary.contains("svc-*"), "{}", ran.summary);
    for text in [&ran.stdout, &ran.summary] {
        assert!(!text.contains("can write"), "{text}");
    }
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn a_dry_run_pattern_that_matches_nothing_fails_as_the_real_run_would() {
    let api = services();
    let ran = Step::new(&api)
        .token()
        .input("dry-run", "true")
        .input("repositories", "acme/servce-*")
        .secrets(&[("SESSION", "session-value-1")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout
            .contains("`acme/servce-*` matches no repository of acme"),
        "{}",
        ran.stdout
    );
    assert_eq!(api.count("GET", "/public-key"), 0);
    assert!(api.writes().is_empty());
    ran.assert_no_leak();
}

#[test]
fn a_dry_run_fails_on_a_key_the_token_cannot_read_and_names_the_target() {
    let api = services();
    let ran = Step::new(&api)
        .token()
        .input("dry-run", "true")
        .input("repositories", "acme/svc-a\nacme/gone")
        .secrets(&[("SESSION", "session-value-1")])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout
            .contains("::error title=secret SESSION in acme/gone::"),
        "{}",
        ran.stdout
    );
    assert!(ran
        .summary
        .contains("| `SESSION` | `acme/svc-a` | would write"));
    assert_eq!(api.count("GET", "/public-key"), 2);
    assert!(api.writes().is_empty());
}

#[test]
fn a_dry_run_without_a_token_makes_no_request_and_says_nothing_was_checked() {
    let api = services();
    let ran = Step::new(&api)
        .input("dry-run", "true")
        .input("repositories", "acme/svc-*")
        .secrets(&[("SESSION", "session-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api.requests().is_empty());
    assert!(ran.summary.contains("not checked"), "{}", ran.summary);
}

#[test]
fn a_dry_run_with_nothing_changed_still_makes_no_request() {
    let api = services();
    let ran = Step::new(&api)
        .token()
        .input("dry-run", "true")
        .secrets(&[("SESSION", "session-value-1")])
        .current(&[("SESSION", "session-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api.requests().is_empty());
}

#[test]
fn sync_dry_run_uses_the_token_it_finds_to_resolve_and_read_keys() {
    let api = services();
    let ran = cli_as(
        &api,
        TOKEN,
        &[
            "sync",
            "--dry-run",
            "--repositories",
            "acme/svc-*",
            "--secret-from-env",
            "SESSION",
        ],
    )
    .env("SESSION", "session-value-1")
    .value("session-value-1")
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.count("GET", "/public-key"), 2);
    assert!(api.writes().is_empty());
    assert!(ran.stdout.contains("acme/svc-b"), "{}", ran.stdout);
}

#[test]
fn a_dry_run_as_a_github_app_mints_a_read_token_reads_the_keys_and_revokes_it() {
    let api = services();
    crate::signal_phase::install_app(&api, 7);
    let ran = Step::new(&api)
        .app(7)
        .input("dry-run", "true")
        .input("repositories", "acme/svc-*")
        .secrets(&[("SESSION", "session-value-1")])
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        [
            "GET /orgs/acme/installation 200",
            "POST /app/installations/41000007/access_tokens 201",
            "GET /installation/repositories 200",
            "DELETE /installation/token 204",
            "POST /app/installations/41000007/access_tokens 201",
            "GET /repos/acme/svc-a/actions/secrets/public-key 200",
            "GET /repos/acme/svc-b/actions/secrets/public-key 200",
            "DELETE /installation/token 204",
        ]
    );
    let minted = api.minted_tokens();
    assert_eq!(minted.len(), 2);
    assert!(minted.iter().all(|(_, revoked)| *revoked));
    // Only reads: the metadata token, then `secrets: read` on the two repositories.
    assert_eq!(
        minted[1].0.permissions.get("secrets").map(String::as_str),
        Some("read")
    );
    assert!(api.writes().iter().all(|w| w.method != "PUT"));
}
