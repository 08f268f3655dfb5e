//! Agents secrets (issue 16, part 1): the fourth kind of secret, read by the Copilot cloud
//! agent, at repository and organisation level. The action, `sync`, `set`, `status` and
//! `check-token` write and read them through `/…/agents/secrets…` with
//! `X-GitHub-Api-Version: 2026-03-10` on those calls only; an environment is refused with why;
//! a GitHub App asks for `agent_secrets` / `organization_agent_secrets`. Request counts come
//! from the fake's log.

use fake_github::{AppKey, FakeGitHub, Recorded, Scope, TokenKind, TokenSpec, AGENTS_API_VERSION};

use crate::common::{cli_as, fake, Ran, Step, TOKEN};

const ADMIN: &str = "ghp_AgentsAdminToken000000000000000000A1";
const VALUE: &str = "mcp-api-key-value-0123456789";

fn world() -> FakeGitHub {
    let api = fake();
    api.add_token(ADMIN, TokenSpec::classic("octo", &["repo", "admin:org"]));
    api
}

fn agents() -> Scope {
    Scope::repo_app("acme/api", fake_github::App::Agents)
}

fn org_agents() -> Scope {
    Scope::org_app("acme", fake_github::App::Agents)
}

/// (method, raw path, status, API version sent) of every request, in order.
fn shape(api: &FakeGitHub) -> Vec<(String, String, u16, Option<String>)> {
    api.requests()
        .into_iter()
        .map(|r: Recorded| (r.method, r.path, r.status, r.api_version))
        .collect()
}

fn req(
    method: &str,
    path: &str,
    status: u16,
    version: &str,
) -> (String, String, u16, Option<String>) {
    (method.into(), path.into(), status, Some(version.into()))
}

/// Agents routes carry `2026-03-10`, every other call octocrab's `2022-11-28`: each exactly once.
/// The Agents calls, built apart, still name the tool exactly once.
fn versions_only_on_agents_calls(api: &FakeGitHub) {
    let tool = format!("secret-refresh/{}", env!("CARGO_PKG_VERSION"));
    for r in api.requests() {
        assert_eq!(r.user_agents, vec![tool.clone()], "{} {}", r.method, r.path);
        let want = if r.path.contains("/agents/") {
            AGENTS_API_VERSION
        } else {
            "2022-11-28"
        };
        assert_eq!(
            r.api_version.as_deref(),
            Some(want),
            "{} {}",
            r.method,
            r.path
        );
    }
}

fn ok(ran: &Ran) {
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    ran.assert_no_leak();
}

// ---- the action ---------------------------------------------------------------------------

#[test]
fn the_action_writes_agents_secrets_then_an_unchanged_value_costs_nothing() {
    let api = world();
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("app", "agents")
        .secrets(&[("COPILOT_MCP_API_KEY", VALUE), ("OTHER", "other-value-1")])
        .run();
    ok(&ran);
    let v = AGENTS_API_VERSION;
    assert_eq!(
        shape(&api),
        [
            req("GET", "/repos/acme/api/agents/secrets/public-key", 200, v),
            req(
                "PUT",
                "/repos/acme/api/agents/secrets/COPILOT_MCP_API_KEY",
                201,
                v
            ),
            req("PUT", "/repos/acme/api/agents/secrets/OTHER", 201, v),
        ]
    );
    assert_eq!(
        api.secret(&agents(), "COPILOT_MCP_API_KEY")
            .map(|s| s.value)
            .as_deref(),
        Some(VALUE)
    );
    assert!(
        api.secret(&Scope::repo("acme/api"), "OTHER").is_none(),
        "not an Actions secret"
    );
    assert_eq!(
        ran.output("updated"),
        r#"["acme/api (agents):COPILOT_MCP_API_KEY","acme/api (agents):OTHER"]"#
    );
    assert!(
        ran.summary.contains("`acme/api (agents)`"),
        "{}",
        ran.summary
    );
    insta::assert_snapshot!(ran.transcript());

    // The same values again, `current` known: nothing to write, zero requests.
    api.clear_requests();
    let again = Step::new(&api)
        .token_value(ADMIN)
        .input("app", "agents")
        .secrets(&[("COPILOT_MCP_API_KEY", VALUE)])
        .current(&[("COPILOT_MCP_API_KEY", VALUE)])
        .run();
    ok(&again);
    assert_eq!(api.requests().len(), 0);
    assert_eq!(again.output("changed"), "false");
}

#[test]
fn the_action_dry_run_for_agents_writes_nothing() {
    let api = world();
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("app", "agents")
        .input("dry-run", "true")
        .secrets(&[("COPILOT_MCP_API_KEY", VALUE)])
        .run();
    ok(&ran);
    // The key read as the real run reads it (with the Agents API version); no write.
    assert_eq!(api.requests().len(), 1);
    assert_eq!(
        api.count("GET", "/repos/acme/api/agents/secrets/public-key"),
        1
    );
    assert!(api.writes().is_empty());
    assert_eq!(ran.output("skip-reason"), "dry-run");
    assert!(api.secrets(&agents()).is_empty());
}

/// An organisation's Agents secrets: selected repositories become ids (one metadata read each,
/// no version header), then one key read and one write per secret with the version.
#[test]
fn the_action_writes_organisation_agents_secrets_for_selected_repositories() {
    let api = world();
    let one = api.add_repo("acme/one");
    let two = api.add_repo_with("acme/two", false, true);
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("app", "agents")
        .input("organization", "acme")
        .input("visibility", "selected")
        .input("selected-repositories", "acme/one\nacme/two\n")
        .secrets(&[("COPILOT_MCP_SHARED", VALUE)])
        .run();
    ok(&ran);
    let v = AGENTS_API_VERSION;
    let old = "2022-11-28";
    assert_eq!(
        shape(&api),
        [
            req("GET", "/repos/acme/one", 200, old),
            req("GET", "/repos/acme/two", 200, old),
            req("GET", "/orgs/acme/agents/secrets/public-key", 200, v),
            req(
                "PUT",
                "/orgs/acme/agents/secrets/COPILOT_MCP_SHARED",
                201,
                v
            ),
        ]
    );
    let s = api
        .secret(&org_agents(), "COPILOT_MCP_SHARED")
        .expect("stored");
    assert_eq!(s.value, VALUE);
    assert_eq!(s.visibility.as_deref(), Some("selected"));
    assert_eq!(s.selected_repository_ids, vec![one, two]);
    assert!(api
        .secret(&Scope::org("acme"), "COPILOT_MCP_SHARED")
        .is_none());
}

/// Without `visibility`, a stored organisation secret keeps its visibility and selection: one
/// read of its metadata (with the version), then the write.
#[test]
fn the_action_keeps_an_organisation_agents_secrets_visibility() {
    let api = world();
    let one = api.add_repo("acme/one");
    api.set_secret(&org_agents(), "KEPT", "old-kept-value");
    api.set_org_secret_visibility(&org_agents(), "KEPT", "selected", vec![one]);
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("app", "agents")
        .input("organization", "acme")
        .secrets(&[("KEPT", "new-kept-value")])
        .run();
    ok(&ran);
    let v = AGENTS_API_VERSION;
    assert_eq!(
        shape(&api),
        [
            req("GET", "/orgs/acme/agents/secrets/public-key", 200, v),
            req("GET", "/orgs/acme/agents/secrets/KEPT", 200, v),
            req("PUT", "/orgs/acme/agents/secrets/KEPT", 204, v),
        ]
    );
    let s = api.secret(&org_agents(), "KEPT").expect("stored");
    assert_eq!(
        (s.value.as_str(), s.visibility.as_deref()),
        ("new-kept-value", Some("selected"))
    );
    assert_eq!(s.selected_repository_ids, vec![one]);
}

/// `agents` with an environment, in the action and in every CLI command that takes targets:
/// an input error that says why, before any request.
#[test]
fn agents_with_an_environment_is_refused_everywhere_with_why() {
    let api = world();
    api.add_environment("acme/api", "prod");
    let mut transcript = String::new();
    let ran = Step::new(&api)
        .token_value(ADMIN)
        .input("app", "agents")
        .input("environment", "prod")
        .secrets(&[("A", "env-value-1")])
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    let errors: Vec<String> = ran
        .redact(&ran.stdout)
        .lines()
        .filter(|l| l.starts_with("::error"))
        .map(str::to_owned)
        .collect();
    transcript.push_str(&format!("## action\n{}\n", errors.join("\n")));
    for args in [
        &[
            "set", "A", "--repo", "acme/api", "--env", "prod", "--app", "agents",
        ][..],
        &[
            "status", "A", "--repo", "acme/api", "--env", "prod", "--app", "agents",
        ][..],
        &["set", "A", "--repo", "acme/api", "--app", "copilot"][..],
    ] {
        let ran = cli_as(&api, ADMIN, args).run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.transcript());
        let first = ran
            .stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("");
        transcript.push_str(&format!("## {}\n{first}\n", args.join(" ")));
    }
    assert_eq!(api.requests().len(), 0);
    insta::assert_snapshot!(transcript);
}

// ---- sync, set, status, check-token --------------------------------------------------------

#[test]
fn sync_writes_agents_secrets_like_the_action() {
    let api = world();
    let ran = cli_as(
        &api,
        ADMIN,
        &[
            "sync",
            "--repo",
            "acme/api",
            "--app",
            "agents",
            "--secret-from-env",
            "COPILOT_MCP_TOKEN",
        ],
    )
    .env("COPILOT_MCP_TOKEN", VALUE)
    .value(VALUE)
    .run();
    ok(&ran);
    assert_eq!(
        api.count("GET", "/repos/acme/api/agents/secrets/public-key"),
        1
    );
    assert_eq!(
        api.count("PUT", "/repos/acme/api/agents/secrets/COPILOT_MCP_TOKEN"),
        1
    );
    assert_eq!(api.requests().len(), 2);
    versions_only_on_agents_calls(&api);
    assert_eq!(
        api.secret(&agents(), "COPILOT_MCP_TOKEN")
            .map(|s| s.value)
            .as_deref(),
        Some(VALUE)
    );
}

#[test]
fn set_writes_an_agents_secret_and_its_dry_run_reads_only_the_key() {
    let api = world();
    api.add_repo("acme/web");
    let ran = cli_as(
        &api,
        ADMIN,
        &[
            "set",
            "COPILOT_MCP_KEY",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--app",
            "agents",
        ],
    )
    .stdin(VALUE)
    .value(VALUE)
    .run();
    ok(&ran);
    assert_eq!(api.count("GET", "/agents/secrets/public-key"), 2);
    assert_eq!(api.count("PUT", "/agents/secrets/COPILOT_MCP_KEY"), 2);
    assert_eq!(api.requests().len(), 4);
    versions_only_on_agents_calls(&api);
    for repo in ["acme/api", "acme/web"] {
        let scope = Scope::repo_app(repo, fake_github::App::Agents);
        assert_eq!(
            api.secret(&scope, "COPILOT_MCP_KEY")
                .map(|s| s.value)
                .as_deref(),
            Some(VALUE)
        );
    }
    insta::assert_snapshot!("set", ran.screen());

    api.clear_requests();
    let dry = cli_as(
        &api,
        ADMIN,
        &[
            "set",
            "COPILOT_MCP_KEY",
            "--dry-run",
            "--repo",
            "acme/api",
            "--app",
            "agents",
        ],
    )
    .run();
    ok(&dry);
    assert_eq!(api.requests().len(), 1);
    assert_eq!(
        api.count("GET", "/repos/acme/api/agents/secrets/public-key"),
        1
    );
    versions_only_on_agents_calls(&api);
    insta::assert_snapshot!("set_dry_run", dry.screen());
}

#[test]
fn set_into_an_organisations_agents_secrets_keeps_the_selection() {
    let api = world();
    let id = api.repo_id("acme/api").expect("id");
    api.set_secret(&org_agents(), "SHARED", "old-shared-value");
    api.set_org_secret_visibility(&org_agents(), "SHARED", "selected", vec![id]);
    let ran = cli_as(
        &api,
        ADMIN,
        &["set", "SHARED", "--org", "acme", "--app", "agents"],
    )
    .stdin(VALUE)
    .value(VALUE)
    .run();
    ok(&ran);
    // Key, the stored secret's visibility, the write.
    assert_eq!(api.requests().len(), 3);
    versions_only_on_agents_calls(&api);
    let s = api.secret(&org_agents(), "SHARED").expect("stored");
    assert_eq!(
        (s.value.as_str(), s.selected_repository_ids.clone()),
        (VALUE, vec![id])
    );
}

#[test]
fn status_lists_agents_secrets_with_one_request_per_target() {
    let api = world();
    api.add_repo("acme/web");
    api.set_secret(&agents(), "COPILOT_MCP_KEY", "v");
    api.set_secret(
        &Scope::repo("acme/web"),
        "COPILOT_MCP_KEY",
        "an Actions secret, not this",
    );
    let ran = cli_as(
        &api,
        ADMIN,
        &[
            "status",
            "COPILOT_MCP_KEY",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--app",
            "agents",
        ],
    )
    .run();
    assert_eq!(
        ran.code,
        1,
        "acme/web has no Agents secret: {}",
        ran.transcript()
    );
    assert_eq!(api.requests().len(), 2);
    assert_eq!(api.count("GET", "/agents/secrets"), 2);
    versions_only_on_agents_calls(&api);
    crate::snapshot_times!(ran.screen());
}

/// `check-token --app agents`: one `GET /user` and one Agents key read. A fine-grained token
/// without "Agent secrets" is told which permission it lacks.
#[test]
fn check_token_says_whether_the_token_reaches_agents_secrets() {
    let api = world();
    let ran = cli_as(
        &api,
        ADMIN,
        &["check-token", "--repo", "acme/api", "--app", "agents"],
    )
    .run();
    ok(&ran);
    // GET /user, then the preflight: the key, the listing; the `repo` scope proves writing.
    assert_eq!(api.requests().len(), 3);
    assert_eq!(
        api.count("GET", "/repos/acme/api/agents/secrets/public-key"),
        1
    );
    assert_eq!(api.count("GET", "/repos/acme/api/agents/secrets"), 2);
    versions_only_on_agents_calls(&api);
    insta::assert_snapshot!("can", ran.screen());

    let without = "github_pat_11NOAGENTS_0123456789abcdefghijklmnopqrstuvwxyz";
    api.add_token(
        without,
        TokenSpec {
            login: "octo".into(),
            kind: TokenKind::FineGrained {
                repositories: None,
                secrets_write: true,
                environments_write: true,
                org_secrets_write: true,
                dependabot_write: true,
                codespaces_write: true,
                agents_write: false,
            },
            expires_at: None,
            revoked: false,
        },
    );
    api.clear_requests();
    let ran = cli_as(
        &api,
        without,
        &["check-token", "--repo", "acme/api", "--app", "agents"],
    )
    .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 2);
    assert!(
        ran.stderr.contains("\"Agent secrets: Read and write\""),
        "{}",
        ran.stderr
    );
    ran.assert_no_leak();
    insta::assert_snapshot!("cannot", ran.screen());

    // The same token reaches Actions secrets: the kind is what was checked.
    api.clear_requests();
    let ran = cli_as(&api, without, &["check-token", "--repo", "acme/api"]).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        api.count("GET", "/repos/acme/api/actions/secrets/public-key"),
        1
    );
    let _ = TOKEN;
}

// ---- GitHub App ---------------------------------------------------------------------------

const APP_ID: u64 = 5150;

fn app_step<'a>(api: &'a FakeGitHub) -> Step<'a> {
    Step::new(api).app(APP_ID)
}

/// The installation token asks for exactly `agent_secrets: write` on the repository (and
/// `organization_agent_secrets: write` for the organisation), is used for the writes, and is
/// revoked.
#[test]
fn a_github_app_token_is_scoped_to_the_agent_secrets_permissions() {
    for (org, permission) in [
        (false, "agent_secrets"),
        (true, "organization_agent_secrets"),
    ] {
        let api = fake();
        api.add_app(APP_ID, &AppKey::shared().public_pem);
        api.add_installation(
            APP_ID,
            "acme",
            None,
            &[
                ("agent_secrets", "write"),
                ("organization_agent_secrets", "write"),
                ("secrets", "write"),
            ],
        );
        let mut step = app_step(&api)
            .input("app", "agents")
            .secrets(&[("COPILOT_MCP_KEY", VALUE)]);
        if org {
            step = step.input("organization", "acme");
        }
        let ran = step.run();
        ok(&ran);
        let minted = api.minted_tokens();
        assert_eq!(minted.len(), 1, "{permission}");
        let (token, revoked) = &minted[0];
        assert!(revoked, "{permission}: the token outlived the step");
        assert_eq!(
            token.permissions,
            std::collections::BTreeMap::from([(permission.to_owned(), "write".to_owned())]),
        );
        let scope = if org { org_agents() } else { agents() };
        assert_eq!(
            api.secret(&scope, "COPILOT_MCP_KEY")
                .map(|s| s.value)
                .as_deref(),
            Some(VALUE)
        );
        ran.assert_masked(&token.token);
        for r in api
            .requests()
            .iter()
            .filter(|r| r.path.contains("/agents/"))
        {
            assert_eq!(
                r.api_version.as_deref(),
                Some(AGENTS_API_VERSION),
                "{}",
                r.path
            );
        }
    }
}

/// An installation without the permission is refused before anything is minted, naming it.
#[test]
fn a_github_app_without_agent_secrets_is_told_which_permission_it_needs() {
    let api = fake();
    api.add_app(APP_ID, &AppKey::shared().public_pem);
    api.add_installation(APP_ID, "acme", None, &[("secrets", "write")]);
    let ran = app_step(&api)
        .input("app", "agents")
        .secrets(&[("COPILOT_MCP_KEY", VALUE)])
        .run();
    assert_ne!(ran.code, 0, "{}", ran.transcript());
    assert!(api.minted_tokens().is_empty());
    assert!(ran.stdout.contains("agent_secrets"), "{}", ran.stdout);
    assert!(api.secrets(&agents()).is_empty());
    ran.assert_no_leak();
}

/// The second page of a listing comes from GitHub's `Link` (`/repositories/{id}/agents/…`): it
/// carries the version too, or the fake would answer 404 and `status` would fail.
#[test]
fn every_page_of_an_agents_listing_asks_for_the_version() {
    let api = world();
    for i in 0..130 {
        api.set_secret(&agents(), &format!("KEY_{i:03}"), "v");
    }
    let ran = cli_as(
        &api,
        ADMIN,
        &["status", "KEY_129", "--repo", "acme/api", "--app", "agents"],
    )
    .run();
    ok(&ran);
    let paths: Vec<String> = api.requests().into_iter().map(|r| r.path).collect();
    let id = api.repo_id("acme/api").expect("id");
    assert_eq!(
        paths,
        [
            "/repos/acme/api/agents/secrets".to_owned(),
            format!("/repositories/{id}/agents/secrets"),
        ]
    );
    for r in api.requests() {
        assert_eq!(
            (r.status, r.api_version.as_deref()),
            (200, Some(AGENTS_API_VERSION))
        );
    }
    assert!(ran.stdout.contains("KEY_129"), "{}", ran.stdout);
}

// ---- delete and rotate ---------------------------------------------------------------------

#[test]
fn delete_removes_agents_secrets_through_their_routes_and_version_only() {
    let api = world();
    api.add_repo("acme/web");
    api.set_secret(&agents(), "COPILOT_MCP_KEY", VALUE);
    // The same name as an Actions secret: not touched by `--app agents`.
    api.set_secret(
        &Scope::repo("acme/api"),
        "COPILOT_MCP_KEY",
        "actions-value-1",
    );
    // acme/web has no such Agents secret: already absent, told by its Agents public key.
    let ran = cli_as(
        &api,
        ADMIN,
        &[
            "delete",
            "COPILOT_MCP_KEY",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--app",
            "agents",
            "--yes",
        ],
    )
    .run();
    ok(&ran);
    let v = AGENTS_API_VERSION;
    assert_eq!(
        shape(&api),
        [
            req(
                "DELETE",
                "/repos/acme/api/agents/secrets/COPILOT_MCP_KEY",
                204,
                v
            ),
            req(
                "DELETE",
                "/repos/acme/web/agents/secrets/COPILOT_MCP_KEY",
                404,
                v
            ),
            req("GET", "/repos/acme/web/agents/secrets/public-key", 200, v),
        ]
    );
    versions_only_on_agents_calls(&api);
    assert!(api.secret(&agents(), "COPILOT_MCP_KEY").is_none());
    assert_eq!(
        api.secret(&Scope::repo("acme/api"), "COPILOT_MCP_KEY")
            .map(|s| s.value)
            .as_deref(),
        Some("actions-value-1"),
        "the Actions secret of the same name is kept"
    );
    assert!(ran.stdout.contains("already absent"), "{}", ran.screen());
}

#[test]
fn delete_from_an_organisations_agents_secrets() {
    let api = world();
    api.set_secret(&org_agents(), "SHARED", "old-shared-value");
    let ran = cli_as(
        &api,
        ADMIN,
        &[
            "delete", "SHARED", "--org", "acme", "--app", "agents", "--yes",
        ],
    )
    .run();
    ok(&ran);
    assert_eq!(
        shape(&api),
        [req(
            "DELETE",
            "/orgs/acme/agents/secrets/SHARED",
            204,
            AGENTS_API_VERSION
        )]
    );
    assert!(api.secret(&org_agents(), "SHARED").is_none());
}

/// The new token of the rotations below: fine-grained, with "Agent secrets" among the rest.
const NEW: &str = "github_pat_11AGENTS_rotatedNewToken0123456789";

#[test]
fn rotate_writes_verifies_and_the_fake_decrypts_under_agents() {
    let api = world();
    api.add_repo("acme/web");
    api.add_token(NEW, TokenSpec::fine_grained_all("octo"));
    api.set_secret(&agents(), "COPILOT_MCP_TOKEN", "the-old-token-value");
    // The step holds the workspace the audit log is in: kept until the log is read.
    let step = cli_as(
        &api,
        ADMIN,
        &[
            "rotate",
            "COPILOT_MCP_TOKEN",
            "--repo",
            "acme/api",
            "--repo",
            "acme/web",
            "--app",
            "agents",
            "--audit-log",
            "audit.jsonl",
        ],
    )
    .value(NEW)
    .stdin(NEW);
    let ran = step.run();
    ok(&ran);
    // GET /user (not an Agents call), each Agents key once (validation, reused to seal), one
    // write and one read-back per repository.
    let v = AGENTS_API_VERSION;
    let mut got = shape(&api);
    got[1..3].sort();
    assert_eq!(
        got,
        [
            req("GET", "/user", 200, "2022-11-28"),
            req("GET", "/repos/acme/api/agents/secrets/public-key", 200, v),
            req("GET", "/repos/acme/web/agents/secrets/public-key", 200, v),
            req(
                "PUT",
                "/repos/acme/api/agents/secrets/COPILOT_MCP_TOKEN",
                204,
                v
            ),
            req(
                "PUT",
                "/repos/acme/web/agents/secrets/COPILOT_MCP_TOKEN",
                201,
                v
            ),
            req(
                "GET",
                "/repos/acme/api/agents/secrets/COPILOT_MCP_TOKEN",
                200,
                v
            ),
            req(
                "GET",
                "/repos/acme/web/agents/secrets/COPILOT_MCP_TOKEN",
                200,
                v
            ),
        ]
    );
    versions_only_on_agents_calls(&api);
    // The fake opened both sealed boxes with the Agents keys: the new token, as Agents secrets.
    for repo in ["acme/api", "acme/web"] {
        let scope = Scope::repo_app(repo, fake_github::App::Agents);
        assert_eq!(
            api.secret(&scope, "COPILOT_MCP_TOKEN")
                .map(|s| s.value)
                .as_deref(),
            Some(NEW),
            "{repo}"
        );
        assert!(api
            .secret(&Scope::repo(repo), "COPILOT_MCP_TOKEN")
            .is_none());
    }
    assert!(ran
        .stdout
        .contains("Rotated COPILOT_MCP_TOKEN in 2 targets"));
    let audit = std::fs::read_to_string(ran.workspace.join("audit.jsonl"))
        .unwrap_or_else(|e| panic!("{e}: {}", ran.screen()));
    assert!(audit.contains("acme/api (agents)"), "{audit}");
    assert!(!audit.contains(NEW));
}

#[test]
fn rotate_dry_run_reads_only_the_agents_keys() {
    let api = world();
    api.add_token(NEW, TokenSpec::fine_grained_all("octo"));
    let ran = cli_as(
        &api,
        ADMIN,
        &[
            "rotate",
            "COPILOT_MCP_TOKEN",
            "--repo",
            "acme/api",
            "--app",
            "agents",
            "--dry-run",
        ],
    )
    .value(NEW)
    .stdin(NEW)
    .run();
    ok(&ran);
    assert_eq!(
        shape(&api),
        [
            req("GET", "/user", 200, "2022-11-28"),
            req(
                "GET",
                "/repos/acme/api/agents/secrets/public-key",
                200,
                AGENTS_API_VERSION
            ),
        ]
    );
    assert!(api.secret(&agents(), "COPILOT_MCP_TOKEN").is_none());
}

#[test]
fn delete_and_rotate_refuse_agents_with_an_environment_before_any_request() {
    let api = world();
    api.add_environment("acme/api", "prod");
    api.set_secret(&agents(), "A", VALUE);
    let mut transcript = String::new();
    for args in [
        &[
            "delete", "A", "--repo", "acme/api", "--env", "prod", "--app", "agents", "--yes",
        ][..],
        &[
            "rotate", "A", "--repo", "acme/api", "--env", "prod", "--app", "agents",
        ][..],
    ] {
        let ran = cli_as(&api, ADMIN, args).value(NEW).stdin(NEW).run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.transcript());
        ran.assert_no_leak();
        let first = ran
            .stderr
            .lines()
            .find(|l| l.starts_with("error"))
            .unwrap_or("");
        transcript.push_str(&format!("## {}\n{first}\n", args.join(" ")));
    }
    assert_eq!(api.requests().len(), 0);
    assert!(api.secret(&agents(), "A").is_some());
    insta::assert_snapshot!(transcript);
}
