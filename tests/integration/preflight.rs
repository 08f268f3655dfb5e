//! Preflight (issue 21, item 5): `preflight: true` writes no value and proves, for every
//! target, that the token is there, authenticates, will not expire within the job, that every
//! pattern resolves, that the public key is readable and that the token can write — by the
//! cheapest evidence its kind gives: a classic token's scopes, the permissions GitHub granted a
//! GitHub App's installation token, or (fine-grained tokens and installation tokens given as
//! `token`, which GitHub gives no way to inspect) a throwaway secret written and deleted again,
//! even when the step is cancelled. `check-token` with the same targets proves the same.
//!
//! The request counts of each kind, for one target and for two, are asserted in
//! `preflight_request_counts_per_kind_of_token` and printed by it.

use std::process::Command;
use std::time::{Duration, Instant};

use fake_github::{FakeGitHub, Scope, TokenKind, TokenSpec};

use crate::common::{calls, cli_as, fake, Ran, Step, TOKEN};
use crate::signal_phase::{hold, install_app, wait_for_held, APP_ID};

/// A fine-grained token with every secrets permission.
const FINE: &str = "github_pat_11AAAAAAA0preflightFineGrainedToken0123456789";
/// A fine-grained token that may read secrets but not write them.
const READ_ONLY: &str = "github_pat_11AAAAAAA0preflightReadOnlyToken0123456789";
/// An installation token given as `token`, with `secrets: write`.
const INSTALLATION: &str = "ghs_preflightInstallationToken0123456789abcdef";
/// The prefix of every throwaway secret.
const THROWAWAY: &str = "SECRET_REFRESH_PREFLIGHT_";

/// acme/api and acme/web, the three kinds of token, the app installed on acme.
fn world() -> FakeGitHub {
    let api = fake();
    api.add_repo("acme/web");
    api.add_token(FINE, TokenSpec::fine_grained_all("octo"));
    api.add_token(READ_ONLY, TokenSpec::fine_grained_read_only("octo"));
    api.add_token(
        INSTALLATION,
        TokenSpec {
            login: "app-4242[bot]".into(),
            kind: TokenKind::Installation {
                installation_id: 12345678,
                account: "acme".into(),
                repositories: None,
                permissions: [("secrets".to_owned(), "write".to_owned())].into(),
            },
            expires_at: Some(api.now() + time::Duration::minutes(55)),
            revoked: false,
        },
    );
    install_app(&api, APP_ID);
    api
}

/// A preflight step for `repositories` (lines).
fn preflight<'a>(api: &'a FakeGitHub, repositories: &str) -> Step<'a> {
    Step::new(api)
        .input("preflight", "true")
        .input("repositories", repositories)
}

/// The calls with every throwaway secret's random part replaced by `*`.
fn shape(api: &FakeGitHub) -> Vec<String> {
    calls(api)
        .into_iter()
        .map(|c| match c.find(THROWAWAY) {
            Some(at) => {
                let end = at + THROWAWAY.len() + 16;
                format!("{}{THROWAWAY}*{}", &c[..at], &c[end..])
            }
            None => c,
        })
        .collect()
}

/// No throwaway secret is left in any target.
fn nothing_left(api: &FakeGitHub) {
    for repo in ["acme/api", "acme/web"] {
        let left: Vec<String> = api
            .secrets(&Scope::repo(repo))
            .into_iter()
            .map(|(n, _)| n)
            .filter(|n| n.starts_with(THROWAWAY))
            .collect();
        assert!(left.is_empty(), "left behind in {repo}: {left:?}");
    }
}

fn passed(ran: &Ran) {
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    ran.assert_no_leak();
}

#[test]
fn a_classic_token_is_proven_by_its_scope_with_no_write() {
    let api = world();
    let ran = preflight(&api, "acme/api").token().run();
    passed(&ran);
    assert_eq!(
        shape(&api),
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "GET /repos/acme/api/actions/secrets 200",
        ]
    );
    assert!(ran.stdout.contains("`repo` scope"), "{}", ran.stdout);
    assert_eq!(ran.output("updated"), "<unset>");
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn a_fine_grained_token_writes_a_throwaway_secret_and_deletes_it() {
    let api = world();
    let ran = preflight(&api, "acme/api").token_value(FINE).run();
    passed(&ran);
    assert_eq!(
        shape(&api),
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "GET /repos/acme/api/actions/secrets 200",
            "PUT /repos/acme/api/actions/secrets/SECRET_REFRESH_PREFLIGHT_* 201",
            "DELETE /repos/acme/api/actions/secrets/SECRET_REFRESH_PREFLIGHT_* 204",
        ]
    );
    // The same name written and deleted; 16 hex digits of randomness.
    let writes = api.writes();
    assert_eq!(writes[0].path, writes[1].path);
    let name = writes[0].path.rsplit('/').next().unwrap_or_default();
    let random = name.strip_prefix(THROWAWAY).expect("prefix");
    assert!(
        random.len() == 16 && random.chars().all(|c| c.is_ascii_hexdigit()),
        "{name}"
    );
    nothing_left(&api);
    assert!(ran.stdout.contains("throwaway secret"), "{}", ran.stdout);
}

#[test]
fn a_read_only_token_fails_naming_each_target_it_cannot_write() {
    let api = world();
    let ran = preflight(&api, "acme/api\nacme/web")
        .token_value(READ_ONLY)
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    for repo in ["acme/api", "acme/web"] {
        assert!(
            ran.stdout
                .contains(&format!("::error title=preflight%3A {repo}::")),
            "{}",
            ran.stdout
        );
    }
    assert!(ran.stdout.contains("403"), "{}", ran.stdout);
    // Refused: nothing was created, so nothing is deleted.
    assert_eq!(api.count("DELETE", ""), 0);
    assert_eq!(api.count("PUT", ""), 2);
    nothing_left(&api);
    ran.assert_no_leak();
    insta::assert_snapshot!(ran.transcript());
}

#[test]
fn a_github_app_is_proven_by_the_permissions_granted_in_the_mint() {
    let api = world();
    let ran = preflight(&api, "acme/api").app(APP_ID).run();
    passed(&ran);
    let calls = shape(&api);
    assert_eq!(calls.len(), 5, "{calls:#?}");
    assert_eq!(calls[0], "GET /repos/acme/api/installation 200");
    assert!(
        calls[1].starts_with("POST /app/installations/"),
        "{calls:#?}"
    );
    assert_eq!(
        calls[2..],
        [
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "GET /repos/acme/api/actions/secrets 200",
            "DELETE /installation/token 204",
        ]
    );
    let minted = api.minted_tokens();
    assert_eq!(minted.len(), 1);
    assert!(minted[0].1, "revoked");
    assert_eq!(
        minted[0].0.permissions.get("secrets").map(String::as_str),
        Some("write")
    );
    assert!(ran.stdout.contains("`secrets: write`"), "{}", ran.stdout);
}

#[test]
fn an_app_without_the_write_permission_fails_before_minting() {
    let api = fake();
    api.add_app(99, &fake_github::AppKey::shared().public_pem);
    api.add_installation(99, "acme", None, &[("secrets", "read")]);
    let ran = preflight(&api, "acme/api").app(99).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stdout.contains("lacks the permission `secrets: write`"),
        "{}",
        ran.stdout
    );
    assert!(api.minted_tokens().is_empty());
}

#[test]
fn an_installation_token_given_as_token_is_proven_by_a_throwaway_write() {
    let api = world();
    let ran = preflight(&api, "acme/api").token_value(INSTALLATION).run();
    passed(&ran);
    assert_eq!(api.count("PUT", THROWAWAY), 1);
    assert_eq!(api.count("DELETE", THROWAWAY), 1);
    // It lives an hour by design: said, not a failure.
    assert!(ran.stdout.contains("::warning"), "{}", ran.stdout);
    nothing_left(&api);
}

#[test]
fn no_token_fails_with_no_request_and_names_the_input() {
    let api = world();
    let ran = preflight(&api, "acme/api").run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(api.requests().is_empty());
    assert!(ran.stdout.contains("`token`"), "{}", ran.stdout);
}

#[test]
fn a_token_that_expires_within_the_job_fails_and_one_that_does_not_passes() {
    let api = world();
    let soon = "ghp_preflightExpiresSoon0123456789abcdefgh";
    let later = "ghp_preflightExpiresLater0123456789abcdefg";
    api.add_token(
        soon,
        TokenSpec::classic("octo", &["repo"]).expiring(api.now() + time::Duration::hours(2)),
    );
    api.add_token(
        later,
        TokenSpec::classic("octo", &["repo"]).expiring(api.now() + time::Duration::days(3)),
    );
    let ran = preflight(&api, "acme/api").token_value(soon).run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stdout.contains("6 hours"), "{}", ran.stdout);
    let ran = preflight(&api, "acme/api").token_value(later).run();
    passed(&ran);
}

#[test]
fn a_revoked_token_fails_at_the_first_answer() {
    let api = world();
    api.revoke_token(FINE);
    let ran = preflight(&api, "acme/api\nacme/web")
        .token_value(FINE)
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 1, "{:#?}", calls(&api));
    assert!(ran.stdout.contains("401"), "{}", ran.stdout);
}

#[test]
fn a_pattern_that_matches_nothing_fails_and_one_that_matches_is_checked_per_repository() {
    let api = world();
    api.add_repo("acme/svc-a");
    api.add_repo("acme/svc-b");
    let ran = preflight(&api, "acme/servce-*").token().run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stdout.contains("`acme/servce-*` matches no repository"));
    assert_eq!(api.count("GET", "/public-key"), 0);

    api.clear_requests();
    let ran = preflight(&api, "acme/svc-*").token().run();
    passed(&ran);
    assert_eq!(api.count("GET", "/public-key"), 2);
    assert!(ran.summary.contains("`acme/svc-b`"), "{}", ran.summary);
}

#[test]
fn preflight_with_dry_run_is_an_input_error() {
    let api = world();
    let ran = preflight(&api, "acme/api")
        .token()
        .input("dry-run", "true")
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(api.requests().is_empty());
}

/// The value inputs are not read by preflight: the files do not exist before the tests ran.
#[test]
fn preflight_reads_no_value_input() {
    let api = world();
    let ran = preflight(&api, "acme/api")
        .token()
        .input("files", ".cache/session/*.token")
        .input("secrets-from-env", "SESSION")
        .run();
    passed(&ran);
    assert!(!ran.stdout.contains("::warning"), "{}", ran.stdout);
}

/// Requests of one preflight, by kind of token, for one target and for two. Throwaway writes
/// are content-creating requests: two per target, paced like every write.
#[test]
fn preflight_request_counts_per_kind_of_token() {
    type Kind = (
        &'static str,
        fn(Step<'_>) -> Step<'_>,
        [usize; 2],
        [usize; 2],
    );
    let kinds: [Kind; 4] = [
        ("classic PAT", |s| s.token(), [2, 4], [0, 0]),
        ("fine-grained PAT", |s| s.token_value(FINE), [4, 8], [2, 4]),
        ("GitHub App", |s| s.app(APP_ID), [5, 7], [2, 2]),
        (
            "installation token as `token`",
            |s| s.token_value(INSTALLATION),
            [4, 8],
            [2, 4],
        ),
    ];
    let mut table = String::from("kind | 1 target | 2 targets\n");
    for (kind, with, requests, writes) in kinds {
        let mut got = [0; 2];
        for (i, targets) in ["acme/api", "acme/api\nacme/web"].into_iter().enumerate() {
            let api = world();
            let ran = with(preflight(&api, targets)).run();
            passed(&ran);
            got[i] = api.requests().len();
            assert_eq!(got[i], requests[i], "{kind}, {targets}: {:#?}", calls(&api));
            // Content-creating: throwaway PUT and DELETE; the app's mint and revocation.
            assert_eq!(api.writes().len(), writes[i], "{kind}: {:#?}", calls(&api));
            nothing_left(&api);
        }
        table.push_str(&format!("{kind} | {} | {}\n", got[0], got[1]));
    }
    eprintln!("{table}");
}

/// Cancelled between the throwaway write and its delete: the write is held until the signal
/// came, so the delete is sent after it; the secret is deleted all the same, and no other write
/// starts.
#[test]
fn a_throwaway_secret_is_deleted_even_when_the_step_is_cancelled() {
    for (flag, name, code) in [("-INT", "SIGINT", 130), ("-TERM", "SIGTERM", 143)] {
        let api = world();
        hold(&api, "PUT", THROWAWAY, Duration::from_millis(800));
        let step = preflight(&api, "acme/api\nacme/web").token_value(FINE);
        let mut seen = 0;
        let start = Instant::now();
        let ran = step.run_while(|pid| {
            seen = wait_for_held(&api, Duration::from_secs(60), name);
            let status = Command::new("kill")
                .args([flag, &pid.to_string()])
                .status()
                .expect("kill");
            assert!(status.success());
        });
        assert!(start.elapsed() < Duration::from_secs(7), "{name}");
        assert_eq!(ran.code, code, "{}", ran.transcript());
        let after: Vec<String> = api.requests()[seen..]
            .iter()
            .map(|r| r.method.clone())
            .collect();
        assert_eq!(after, ["DELETE"], "{name}: {:#?}", calls(&api));
        nothing_left(&api);
        assert_eq!(api.count("PUT", "/repos/acme/web"), 0, "{name}");
        assert!(ran.stdout.contains(&format!("cancelled by {name}")));
        ran.assert_no_leak();
    }
}

#[test]
fn check_token_with_targets_proves_the_same_things() {
    let api = world();
    let ran = cli_as(&api, FINE, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(
        shape(&api),
        [
            "GET /user 200",
            "GET /repos/acme/api/actions/secrets/public-key 200",
            "GET /repos/acme/api/actions/secrets 200",
            "PUT /repos/acme/api/actions/secrets/SECRET_REFRESH_PREFLIGHT_* 201",
            "DELETE /repos/acme/api/actions/secrets/SECRET_REFRESH_PREFLIGHT_* 204",
        ]
    );
    nothing_left(&api);

    api.clear_requests();
    let ran = cli_as(
        &api,
        READ_ONLY,
        &["check-token", "--repo", "acme/api", "--repo", "acme/web"],
    )
    .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(ran.stderr.contains("acme/web"), "{}", ran.screen());
    nothing_left(&api);

    api.add_repo("acme/svc-a");
    api.clear_requests();
    let ran = cli_as(
        &api,
        TOKEN,
        &["check-token", "--repositories", "acme/svc-*"],
    )
    .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    assert_eq!(
        api.count("GET", "/repos/acme/svc-a/actions/secrets/public-key"),
        1
    );
    insta::assert_snapshot!(ran.screen());
}
