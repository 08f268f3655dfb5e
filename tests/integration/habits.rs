//! Meeting `gh` users where their hands are (issue 26): one target grammar for every command,
//! no trap in a habit, a question before a large blast radius, shapes people can script
//! against, and errors that tell the next step. Request counts asserted; what people read is
//! snapshotted.

use fake_github::{FakeGitHub, TokenSpec};
use time::{Duration, OffsetDateTime};

use crate::common::{calls, cli_as, fake, Step, TOKEN};

const VALUE: &str = "github_pat_11HABITVALUE_0123456789";

fn cli<'a>(api: &'a FakeGitHub, args: &[&str]) -> Step<'a> {
    cli_as(api, TOKEN, args)
}

// ---- errors that tell the next step ------------------------------------------------------

/// A token GitHub still accepts (its clock is behind ours) but whose expiry has passed on
/// ours: `set` says it expired, when, and how to rotate; never "(already expired); rotate it
/// before then".
#[test]
fn an_expired_token_says_it_expired_when_and_how_to_rotate() {
    let api = fake();
    let now = OffsetDateTime::now_utc();
    api.set_now(now - Duration::days(10));
    let old = "github_pat_11EXPIRED_0123456789";
    api.add_token(
        old,
        TokenSpec::fine_grained_all("octo").expiring(now - Duration::days(2)),
    );
    let ran = cli_as(&api, old, &["set", "PAT_TOKEN", "--repo", "acme/api"])
        .value(VALUE)
        .stdin(VALUE)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 2);
    assert!(!ran.stderr.contains("already expired"), "{}", ran.stderr);
    ran.assert_no_leak();
    crate::snapshot_times!(ran.screen());
}

/// `check-token` with a token whose expiry has passed: it fails, saying when and how to rotate.
#[test]
fn check_token_says_a_token_expired_and_how_to_rotate() {
    let api = fake();
    let now = OffsetDateTime::now_utc();
    api.set_now(now - Duration::days(10));
    let old = "github_pat_11EXPIRED_0123456789";
    api.add_token(
        old,
        TokenSpec::fine_grained_all("octo").expiring(now - Duration::days(2)),
    );
    let checked = cli_as(&api, old, &["check-token"]).run();
    assert_eq!(checked.code, 1, "{}", checked.transcript());
    assert!(
        checked.screen().contains("the token expired on"),
        "{}",
        checked.screen()
    );
    checked.assert_no_leak();
    assert_eq!(api.requests().len(), 1);
    crate::snapshot_times!(checked.screen());
}

/// `rotate` records where `--audit-log` says, else in the user's data directory (a table:
/// the variables set → where the record is), never in the current directory; without any of
/// them it refuses before reading a token.
#[test]
fn rotate_records_in_the_data_directory_unless_told_otherwise() {
    let new = "github_pat_11ROTATEHABIT_0123456789";
    /// The variables set (`!`: as written, else a directory in the workspace), the flags
    /// added, and where the record must be (`None`: refused).
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a [&'a str], Option<&'a str>);
    let cases: &[Case<'_>] = &[
        (
            &[("XDG_DATA_HOME", "xdg")],
            &[],
            Some("xdg/secret-refresh/audit.jsonl"),
        ),
        (
            &[("HOME", "home")],
            &[],
            Some("home/.local/share/secret-refresh/audit.jsonl"),
        ),
        // A relative XDG_DATA_HOME is ignored, as the XDG specification says.
        (
            &[("XDG_DATA_HOME", "!relative"), ("HOME", "home")],
            &[],
            Some("home/.local/share/secret-refresh/audit.jsonl"),
        ),
        (
            &[("HOME", "home")],
            &["--audit-log", "logs/rotations.jsonl"],
            Some("logs/rotations.jsonl"),
        ),
        (&[], &[], None),
    ];
    for (vars, extra, want) in cases {
        let api = fake();
        api.add_token(new, TokenSpec::fine_grained_all("octo"));
        let mut args = vec!["rotate", "PAT_TOKEN", "--repo", "acme/api"];
        args.extend(extra.iter());
        let mut step = cli(&api, &args).remove_env("HOME").value(new).stdin(new);
        let ws = step.workspace();
        std::fs::create_dir_all(ws.join("logs")).expect("logs");
        for (k, v) in vars.iter() {
            let v = match v.strip_prefix('!') {
                Some(relative) => relative.to_owned(),
                None => ws.join(v).display().to_string(),
            };
            step = step.env(k, &v);
        }
        let ran = step.run();
        match want {
            Some(path) => {
                assert_eq!(ran.code, 0, "{vars:?}: {}", ran.transcript());
                let text = std::fs::read_to_string(ws.join(path)).expect("the record");
                let rec: serde_json::Value = serde_json::from_str(text.trim()).expect("JSON");
                assert_eq!(rec["actor"], "octo", "{text}");
                assert!(
                    ran.stdout
                        .contains(&format!("Recorded in {}", ws.join(path).display()))
                        || ran.stdout.contains(&format!("Recorded in {path}")),
                    "{}",
                    ran.stdout
                );
            }
            None => {
                assert_eq!(ran.code, 2, "{}", ran.transcript());
                assert!(
                    ran.stderr.contains(
                        "cannot tell where to record the rotation: neither XDG_DATA_HOME nor \
                         HOME is set; give --audit-log PATH"
                    ),
                    "{}",
                    ran.stderr
                );
                assert_eq!(api.requests().len(), 0);
            }
        }
        assert!(!ws.join("secret-refresh-audit.jsonl").exists());
        ran.assert_no_leak();
    }
}

/// `check-token --prompt` reads a piped token when there is no terminal, and `--from-file`
/// reads a file or standard input: the token given is the one checked, never GH_TOKEN.
#[test]
fn check_token_takes_a_piped_token_or_a_file() {
    let new = "github_pat_11PIPEDNEW_0123456789";
    for (args, stdin, file) in [
        (&["check-token", "--prompt"][..], Some(new), false),
        (&["check-token", "--from-file", "-"][..], Some(new), false),
        (&["check-token", "--from-file", "new.txt"][..], None, true),
    ] {
        let api = fake();
        api.add_token(new, TokenSpec::fine_grained_all("octo"));
        let mut step = cli(&api, args).value(new);
        if let Some(s) = stdin {
            step = step.stdin(&format!("{s}\n"));
        }
        if file {
            step = step.file("new.txt", &format!("{new}\n"));
        }
        let ran = step.run();
        assert_eq!(ran.code, 0, "{args:?}: {}", ran.transcript());
        let requests = api.requests();
        assert_eq!(requests.len(), 1);
        assert_eq!(
            requests[0].authorization.as_deref(),
            Some(format!("Bearer {new}").as_str()),
            "{args:?}: the token given, not GH_TOKEN, was checked"
        );
        let from = if file {
            "--from-file"
        } else {
            "standard input"
        };
        assert!(
            ran.stdout.contains(&format!("from {from}")),
            "{args:?}: {}",
            ran.stdout
        );
        ran.assert_no_leak();
    }
    // Nothing piped: an empty token is a usage error, and nothing is sent.
    let api = fake();
    let ran = cli(&api, &["check-token", "--prompt"]).stdin("").run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(
        ran.stderr
            .contains("the token to check from standard input is empty"),
        "{}",
        ran.stderr
    );
    assert_eq!(api.requests().len(), 0);
}

/// `man --out DIR` creates DIR (and its parents).
#[test]
fn man_out_creates_its_directory() {
    let api = fake();
    let step = Step::new(&api).remove_env("GITHUB_ACTIONS");
    let dir = step.workspace().join("share/man/man1");
    let shown = dir.display().to_string();
    // The step holds the directory: it lives as long as the step does.
    let step = step.args(&["man", "--out", &shown]);
    let ran = step.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(dir.join("secret-refresh-set.1").is_file());
    assert_eq!(api.requests().len(), 0);
}

/// A server whose certificate the client does not trust (a self-signed GitHub Enterprise
/// Server): the error names SSL_CERT_FILE and is not retried (one handshake, no request);
/// with SSL_CERT_FILE holding the certificate, the same command works.
/// The TLS handshakes the fake refused since it had counted `before`. The fake counts a refusal
/// once the client has closed the connection, which a run in this process may return before:
/// wait for the first, then a little longer for any retry's.
fn refused_since(api: &FakeGitHub, before: u64) -> u64 {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while api.tls_refused() == before && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    api.tls_refused() - before
}

#[test]
fn an_untrusted_certificate_names_ssl_cert_file_and_is_not_retried() {
    let (cert_pem, key_pem) = fake_github::self_signed(&["localhost", "127.0.0.1"]);
    let api = FakeGitHub::start_with(fake_github::Options {
        tls: Some(fake_github::TlsConfig {
            cert_pem: cert_pem.clone(),
            key_pem,
        }),
        ..fake_github::Options::default()
    });
    api.add_user("octo");
    api.add_repo("acme/api");
    api.add_token(TOKEN, TokenSpec::classic("octo", &["repo"]));
    let mut transcript = String::new();
    for args in [
        &["check-token", "--repo", "acme/api"][..],
        &["set", "PAT_TOKEN", "--repo", "acme/api"][..],
    ] {
        let before = api.tls_refused();
        let ran = cli(&api, args).value(VALUE).stdin(VALUE).run();
        assert_eq!(ran.code, 1, "{args:?}: {}", ran.transcript());
        assert!(ran.stderr.contains("SSL_CERT_FILE"), "{}", ran.stderr);
        assert!(!ran.stderr.contains("attempts"), "{}", ran.stderr);
        assert_eq!(
            refused_since(&api, before),
            1,
            "{args:?}: one handshake, not retried"
        );
        assert_eq!(api.requests().len(), 0);
        ran.assert_no_leak();
        transcript.push_str(&format!("$ {}\n{}\n", args.join(" "), ran.screen()));
    }
    insta::assert_snapshot!(transcript);

    // The advice works: with the certificate in SSL_CERT_FILE, the server is trusted.
    let step = cli(&api, &["check-token", "--repo", "acme/api"]);
    let pem = step.workspace().join("ghes-ca.pem");
    std::fs::write(&pem, &cert_pem).expect("write the certificate");
    let pem = pem.display().to_string();
    let step = step.env("SSL_CERT_FILE", &pem);
    let ran = step.run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    // GET /user, then the preflight of acme/api: its public key and its secrets listed (a
    // classic token's `repo` scope proves the write with no request of its own).
    let paths: Vec<String> = api.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/user",
            "/repos/acme/api/actions/secrets/public-key",
            "/repos/acme/api/actions/secrets",
        ]
    );
}

// ---- no trap for a habit -------------------------------------------------------------------

/// `set FOO bar` (gh's `set NAME VALUE` habit) used to create FOO and BAR with the typed value.
/// A second word after `set` is refused before anything is asked or sent, without echoing it
/// (it may be the value), saying why values are never arguments and how to name several.
#[test]
fn a_second_word_after_set_is_refused_and_never_echoed() {
    let api = fake();
    // A value of no token's shape (a token's is refused before parsing: tests/integration/
    // arguments.rs).
    let value = "s3ssion-cookie-0123456789";
    let ran = cli(&api, &["set", "FOO", value, "--repo", "acme/api"])
        .stdin(value)
        .value(value)
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 0);
    ran.assert_no_leak();
    assert!(ran.stderr.contains("--name"), "{}", ran.stderr);
    insta::assert_snapshot!(ran.stderr);
}

/// Several secrets with one value are named explicitly, each with `--name`.
#[test]
fn several_secrets_are_named_each_with_name() {
    let api = fake();
    let ran = cli(
        &api,
        &[
            "set", "--name", "ALPHA", "--name", "BETA", "--repo", "acme/api",
        ],
    )
    .stdin(VALUE)
    .value(VALUE)
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for name in ["ALPHA", "BETA"] {
        let stored = api.secret(&fake_github::Scope::repo("acme/api"), name);
        assert_eq!(stored.map(|s| s.value).as_deref(), Some(VALUE), "{name}");
    }
    // One key, two writes.
    assert_eq!(api.requests().len(), 3);
    ran.assert_no_leak();
}

/// `-R` is `--repo` in every command that takes targets, as in gh.
#[test]
fn dash_r_is_repo_in_every_command() {
    let api = fake();
    let ran = cli(&api, &["set", "FOO", "-R", "acme/api"])
        .stdin(VALUE)
        .value(VALUE)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert!(api
        .secret(&fake_github::Scope::repo("acme/api"), "FOO")
        .is_some());
    for args in [
        &["status", "FOO", "-R", "acme/api"][..],
        &["delete", "FOO", "-R", "acme/api", "--dry-run"],
        &["check-token", "-R", "acme/api"],
        &["rotate", "FOO", "-R", "acme/api", "--dry-run"],
        &[
            "sync",
            "-R",
            "acme/api",
            "--secrets-env",
            "NONE",
            "--dry-run",
        ],
    ] {
        let ran = cli(&api, args).run();
        assert!(
            !ran.stderr.contains("unexpected argument"),
            "{args:?}: {}",
            ran.stderr
        );
    }
}

/// What gh users type gets a precise answer: what to type here instead and, for a value on the
/// command line, why it is refused. Nothing is asked or sent; no value is echoed.
#[test]
fn gh_habits_get_a_precise_answer() {
    let api = fake();
    let cases: &[&[&str]] = &[
        &["set", "FOO", "--body", VALUE, "--repo", "acme/api"],
        &["set", "FOO", "-b", VALUE, "--repo", "acme/api"],
        &[
            "set",
            "FOO",
            &format!("--body={VALUE}"),
            "--repo",
            "acme/api",
        ],
        &["set", "--env-file", ".env", "--repo", "acme/api"],
        &["set", "-f", ".env", "--repo", "acme/api"],
        &["list", "--repo", "acme/api"],
        &["secret", "set", "FOO", "--repo", "acme/api"],
        &["secret", "list", "-R", "acme/api"],
        &["secret", "delete", "FOO", "--repo", "acme/api"],
    ];
    let mut table = String::new();
    for args in cases {
        let ran = cli(&api, args).stdin(VALUE).value(VALUE).run();
        assert_eq!(ran.code, 2, "{args:?}: {}", ran.transcript());
        ran.assert_no_leak();
        let shown = args.join(" ").replace(VALUE, "[VALUE]");
        let said = ran.stderr.replace(&api.url(), "[URL]");
        table.push_str(&format!("$ secret-refresh {shown}\n{said}\n"));
    }
    assert_eq!(api.requests().len(), 0);
    insta::assert_snapshot!(table);
}

// ---- shapes people can script against ------------------------------------------------------

/// `status --json name,updatedAt,visibility` takes gh's field names and prints a flat list, one
/// object per secret with exactly those fields; `--json` alone keeps the report's shape; a
/// field there is not is refused before any request, naming the fields there are.
#[test]
fn status_json_takes_gh_field_names_and_prints_a_flat_list() {
    use fake_github::Scope;
    let api = crate::targets::world();
    let cli = |api, args| cli_as(api, crate::targets::ADMIN, args);
    api.set_secret(&Scope::org("acme"), "ORG_TOKEN", "v");
    api.set_org_secret_visibility(&Scope::org("acme"), "ORG_TOKEN", "all", vec![]);
    api.set_secret(&Scope::org("acme"), "DEPLOY_KEY", "v");
    let ran = cli(
        &api,
        &[
            "status",
            "--org",
            "acme",
            "--json",
            "name,updatedAt,visibility",
        ],
    )
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(api.requests().len(), 1);
    let list: Vec<serde_json::Map<String, serde_json::Value>> =
        serde_json::from_str(&ran.stdout).expect("a flat JSON list");
    let got: Vec<(String, String)> = list
        .iter()
        .map(|o| {
            let keys: Vec<&str> = o.keys().map(String::as_str).collect();
            assert_eq!(keys, ["name", "updatedAt", "visibility"]);
            assert!(o["updatedAt"].as_str().is_some_and(|t| t.ends_with('Z')));
            (
                o["name"].as_str().unwrap_or("").to_owned(),
                o["visibility"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("DEPLOY_KEY".to_owned(), "private".to_owned()),
            ("ORG_TOKEN".to_owned(), "all".to_owned())
        ]
    );

    // A named secret that is missing: listed with a null date, and the command fails.
    let ran = cli(
        &api,
        &[
            "status",
            "NOPE",
            "--org",
            "acme",
            "--json",
            "name,status,updatedAt",
        ],
    )
    .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    let list: serde_json::Value = serde_json::from_str(&ran.stdout).expect("JSON");
    assert_eq!(
        list,
        serde_json::json!([{"name": "NOPE", "status": "missing", "updatedAt": null}])
    );

    // `--json` alone: the report, as before.
    let ran = cli(&api, &["status", "--org", "acme", "--json"]).run();
    let doc: serde_json::Value = serde_json::from_str(&ran.stdout).expect("JSON");
    assert_eq!(doc["ok"], true, "{}", ran.stdout);
    assert_eq!(doc["secrets"][0]["secret"], "DEPLOY_KEY");

    api.clear_requests();
    let bad = cli(
        &api,
        &["status", "--org", "acme", "--json", "name,numSelectedRepos"],
    )
    .run();
    assert_eq!(bad.code, 2, "{}", bad.transcript());
    assert_eq!(api.requests().len(), 0);
    insta::assert_snapshot!(bad.stderr);
}

// ---- one target grammar: owner/glob patterns in every command ------------------------------

/// acme with 100 more repositories than the three the patterns pick: its listing is two pages.
fn many_repos() -> FakeGitHub {
    let api = fake();
    for name in ["acme/svc-a", "acme/svc-b", "acme/web"] {
        api.add_repo(name);
    }
    for i in 0..100 {
        api.add_repo(&format!("acme/other-{i:03}"));
    }
    api
}

/// The resolver's requests, as `sync`'s: `GET /user` once, the owner's listing once (every
/// page: two here, `per_page=100`).
fn assert_one_listing(api: &FakeGitHub, what: &str) {
    assert_eq!(api.count("GET", "/user"), 1, "{what}: {:#?}", calls(api));
    // The first page by name, the next by GitHub's `next` link (the organisation's id).
    let pages = calls(api)
        .iter()
        .filter(|c| c.starts_with("GET /orgs/acme/repos ") || c.starts_with("GET /organizations/1"))
        .count();
    assert_eq!(pages, 2, "{what}: {:#?}", calls(api));
}

/// `set`, `status` and `delete` take `owner/glob` in `--repo` and in `--repos-file` lines,
/// resolved by the one resolver with `sync`'s requests; only the matching repositories are
/// touched.
#[test]
fn set_status_and_delete_take_owner_glob_patterns() {
    let api = many_repos();
    let svc = ["acme/svc-a", "acme/svc-b"];
    let ran = cli(&api, &["set", "FOO", "-R", "acme/svc-*"])
        .stdin(VALUE)
        .value(VALUE)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for repo in svc {
        let stored = api.secret(&fake_github::Scope::repo(repo), "FOO");
        assert_eq!(stored.map(|s| s.value).as_deref(), Some(VALUE), "{repo}");
    }
    for repo in ["acme/web", "acme/api", "acme/other-000"] {
        assert!(
            api.secret(&fake_github::Scope::repo(repo), "FOO").is_none(),
            "{repo}"
        );
    }
    assert_one_listing(&api, "set");
    // Listing (1 + 2 pages), then a key and a write per target.
    assert_eq!(api.requests().len(), 3 + 2 * 2, "{:#?}", calls(&api));
    ran.assert_no_leak();

    api.clear_requests();
    let ran = cli(&api, &["status", "FOO", "--repos-file", "repos.txt"])
        .file_bytes("repos.txt", b"# the services\nacme/svc-*\n")
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for repo in svc {
        assert!(ran.stdout.contains(repo), "{repo}: {}", ran.stdout);
    }
    assert!(!ran.stdout.contains("acme/web"), "{}", ran.stdout);
    assert_one_listing(&api, "status");
    assert_eq!(api.requests().len(), 3 + 2, "{:#?}", calls(&api));

    api.clear_requests();
    let ran = cli(
        &api,
        &["delete", "FOO", "--repos-file", "repos.yml", "--yes"],
    )
    .file_bytes(
        "repos.yml",
        b"repositories:\n  - \"acme/svc-*\"\n  - acme/web\n",
    )
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    for repo in svc {
        assert!(
            api.secret(&fake_github::Scope::repo(repo), "FOO").is_none(),
            "{repo}"
        );
    }
    assert_one_listing(&api, "delete");
    // Listing, then one delete per target; acme/web's answers 404, and its key read tells
    // "already absent" from "no access".
    assert_eq!(api.requests().len(), 3 + 3 + 1, "{:#?}", calls(&api));
}

/// A pattern that matches nothing fails as in `sync` (exit 1), naming it; nothing else is
/// asked or written.
#[test]
fn a_pattern_that_matches_nothing_is_named_in_every_command() {
    let api = many_repos();
    for args in [
        &["status", "FOO", "-R", "acme/nope-*"][..],
        &["delete", "FOO", "-R", "acme/nope-*", "--yes"],
        &["set", "FOO", "-R", "acme/nope-*"],
    ] {
        api.clear_requests();
        let ran = cli(&api, args).stdin(VALUE).value(VALUE).run();
        assert_eq!(ran.code, 1, "{args:?}: {}", ran.transcript());
        assert!(
            ran.stderr
                .contains("`acme/nope-*` matches no repository of acme"),
            "{args:?}: {}",
            ran.stderr
        );
        assert_one_listing(&api, args[0]);
        assert_eq!(api.requests().len(), 3, "{args:?}: {:#?}", calls(&api));
        assert!(api.writes().is_empty(), "{args:?}");
    }
}

/// `sync` reads a pattern in a `--repos-file` line as it reads one in `--repo`: one listing,
/// every page, then its dry run reads each match's key.
#[test]
fn sync_takes_a_pattern_in_a_repos_file_line() {
    let api = many_repos();
    let ran = cli(
        &api,
        &[
            "sync",
            "--repos-file",
            "repos.txt",
            "--secret-from-env",
            "FOO=HABIT_VALUE",
            "--dry-run",
        ],
    )
    .env("HABIT_VALUE", VALUE)
    .value(VALUE)
    .file_bytes("repos.txt", b"acme/svc-*\n")
    .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_one_listing(&api, "sync");
    assert_eq!(api.count("GET", "/public-key"), 2, "{:#?}", calls(&api));
    assert_eq!(api.requests().len(), 3 + 2, "{:#?}", calls(&api));
    assert!(api.writes().is_empty());
    ran.assert_no_leak();
}
