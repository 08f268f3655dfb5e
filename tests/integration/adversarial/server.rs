//! Adversarial scenarios: see `mod.rs`. A hostile or mistyped API endpoint: plain http to a host
//! that is not this machine, user-info in the URL, `Link` tricks, huge and endless bodies, bad
//! headers, overflowing waits.

use fake_github::{AppKey, FakeGitHub};

use crate::common::{fake, Ran, Step, TOKEN};

/// A name that is not loopback by its spelling; a private `/etc/hosts` maps it to 127.0.0.1, so
/// whatever the binary sends to it reaches the fake (and nothing leaves the machine).
const INTERNAL: &str = "ghes.example.internal";
const APP_ID: &str = "4242";
const VALUE: &str = "rotated-value-0123456789";

/// A CLI step for `api`, with the token in `GH_TOKEN` and the app's key in `app.pem`.
fn cli<'a>(api: &'a FakeGitHub, args: &[&str]) -> Step<'a> {
    Step::new(api)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .value(TOKEN)
        .file("app.pem", &AppKey::shared().pkcs1_pem)
        .args(args)
}

/// Runs `step` in a private mount namespace whose `/etc/hosts` maps [`INTERNAL`] to 127.0.0.1.
fn with_internal_host(step: Step<'_>) -> Ran {
    let hosts = step.workspace().join("../hosts");
    std::fs::write(&hosts, format!("127.0.0.1 localhost {INTERNAL}\n")).expect("hosts");
    let hosts = hosts.display().to_string();
    // The test itself must work: the mapping resolves inside the namespace.
    let probe = std::process::Command::new("unshare")
        .args(["--mount", "sh", "-c"])
        .arg(format!(
            "mount --bind '{hosts}' /etc/hosts && getent hosts {INTERNAL}"
        ))
        .output()
        .expect("unshare (util-linux) is needed for this test");
    assert!(
        probe.status.success() && String::from_utf8_lossy(&probe.stdout).contains("127.0.0.1"),
        "this test needs root to map {INTERNAL} in a private /etc/hosts: {probe:?}"
    );
    step.wrap(&[
        "unshare",
        "--mount",
        "sh",
        "-c",
        "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
        &hosts,
    ])
    .run()
}

fn app_fake() -> FakeGitHub {
    let api = fake();
    api.add_app(APP_ID.parse().expect("id"), &AppKey::shared().public_pem);
    api.add_installation(
        APP_ID.parse().expect("id"),
        "acme",
        None,
        &[("secrets", "write"), ("metadata", "read")],
    );
    api
}

/// Finding 2: every command, and GitHub App token minting, refuses a plain-http `api-url` whose
/// host is not loopback, before anything is sent: the token never travels in clear text.
#[test]
fn plain_http_to_a_host_that_is_not_loopback_receives_nothing() {
    let api = app_fake();
    let url = format!("http://{INTERNAL}:{}", api.port());
    let app = ["--app-id", APP_ID, "--app-key-file", "app.pem"];
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("set", vec!["set", "X", "--repo", "acme/api"]),
        ("status", vec!["status", "--repo", "acme/api"]),
        ("check-token", vec!["check-token"]),
        (
            "check-token as an app",
            [&["check-token", "--repo", "acme/api"][..], &app[..]].concat(),
        ),
        (
            "set as an app",
            [&["set", "X", "--repo", "acme/api"][..], &app[..]].concat(),
        ),
        (
            "status as an app",
            [&["status", "--repo", "acme/api"][..], &app[..]].concat(),
        ),
    ];
    for (what, mut args) in cases {
        args.extend(["--api-url", &url]);
        let ran = with_internal_host(cli(&api, &args).stdin(VALUE).value(VALUE));
        let sent = api.requests();
        assert!(
            sent.is_empty(),
            "{what}: the plain-http host received {} requests: {:?}\n{}",
            sent.len(),
            sent.iter().map(|r| &r.path).collect::<Vec<_>>(),
            ran.screen()
        );
        assert_ne!(ran.code, 0, "{what}: {}", ran.screen());
        assert!(
            ran.stderr.contains("https") && ran.stderr.contains(INTERNAL),
            "{what}: the error does not say why: {}",
            ran.screen()
        );
        ran.assert_no_leak();
        api.clear_requests();
    }
    // The action refuses it too.
    let ran = with_internal_host(
        Step::with_url(&url)
            .token()
            .secrets(&[("X", VALUE)])
            .input("repositories", "acme/api"),
    );
    assert!(api.requests().is_empty(), "{}", ran.screen());
    assert_ne!(ran.code, 0, "{}", ran.screen());
}

/// Findings 2 and 9: an `api-url` with user-info is refused by every command and the action,
/// before anything is sent, and neither the user-info nor the URL is printed; nor is a URL that
/// fails to parse. `set`'s resume command never holds user-info.
#[test]
fn user_info_and_unparseable_api_urls_are_refused_and_never_echoed() {
    let api = fake();
    let port = api.port();
    let urls = [
        (
            format!("https://octo:pw-hunter2@127.0.0.1:{port}"),
            "pw-hunter2",
        ),
        (
            format!("http://octo:pw-hunter2@127.0.0.1:{port}"),
            "pw-hunter2",
        ),
        (
            format!("http://tok-hunter2@localhost:{port}/api/v3"),
            "tok-hunter2",
        ),
        ("http://[::1:pw-hunter2@/x".to_owned(), "pw-hunter2"),
        ("https://pw-hunter2 @exa mple".to_owned(), "pw-hunter2"),
    ];
    for (url, secret) in &urls {
        for args in [
            vec!["set", "X", "--repo", "acme/api", "--api-url", url],
            vec!["status", "--repo", "acme/api", "--api-url", url],
            vec!["check-token", "--api-url", url],
        ] {
            let ran = cli(&api, &args).stdin(VALUE).value(VALUE).run();
            assert!(api.requests().is_empty(), "{args:?}: {}", ran.screen());
            assert_ne!(ran.code, 0, "{args:?}: {}", ran.screen());
            let all = format!("{}{}", ran.stdout, ran.stderr);
            assert!(
                !all.contains(secret) && !all.contains(url.as_str()),
                "{args:?} echoes the URL: {}",
                ran.screen()
            );
            assert!(all.contains("api-url"), "{args:?}: {}", ran.screen());
        }
        let ran = Step::with_url(url)
            .token()
            .secrets(&[("X", VALUE)])
            .input("repositories", "acme/api")
            .run();
        assert!(api.requests().is_empty(), "{}", ran.screen());
        assert_ne!(ran.code, 0, "{}", ran.screen());
        let all = format!("{}{}{}", ran.stdout, ran.stderr, ran.summary);
        assert!(
            !all.contains(secret),
            "the action echoes the URL: {}",
            ran.screen()
        );
    }
}

/// No panic (the release build aborts on one: no summary, no outputs) and the run says why.
fn assert_no_panic(ran: &Ran, what: &str) {
    assert!(
        ran.code == 1 || ran.code == 2,
        "{what}: exit {} (a panic is 101): {}",
        ran.code,
        ran.screen()
    );
    assert!(
        !ran.stderr.contains("panicked"),
        "{what}: panicked: {}",
        ran.screen()
    );
}

/// Finding 6: a token holding an inner newline, a DEL or a space cannot be an HTTP header
/// value; octocrab unwraps it. Every reader gets a clear error that never echoes the token, and
/// nothing is sent.
#[test]
fn a_token_that_cannot_be_a_header_value_is_a_clear_error() {
    let api = fake();
    let url = api.url();
    for (what, token) in [
        ("newline", "ghp_first\nsecond-half-4711"),
        ("DEL", "ghp_first\u{7f}second-half-4711"),
        ("carriage return", "ghp_first\rsecond-half-4711"),
        ("space", "ghp_first second-half-4711"),
    ] {
        for args in [
            vec!["status", "--repo", "acme/api", "--api-url", &url],
            vec!["set", "X", "--repo", "acme/api", "--api-url", &url],
            vec!["check-token", "--api-url", &url],
        ] {
            let ran = Step::new(&api)
                .remove_env("GITHUB_ACTIONS")
                .env("GH_TOKEN", token)
                .stdin(VALUE)
                .value(VALUE)
                .args(&args)
                .run();
            let what = format!("{what} in the token, {}", args[0]);
            assert_no_panic(&ran, &what);
            assert!(
                ran.stderr.contains("HTTP header"),
                "{what}: unclear error: {}",
                ran.screen()
            );
            assert!(
                !ran.stdout.contains("second-half") && !ran.stderr.contains("second-half"),
                "{what}: the token is echoed: {}",
                ran.screen()
            );
            assert!(api.requests().is_empty(), "{what}: {}", ran.screen());
        }
        let ran = Step::new(&api)
            .token_value(token)
            .secrets(&[("X", VALUE)])
            .input("repositories", "acme/api")
            .run();
        assert_no_panic(&ran, &format!("{what} in the action's token"));
        assert!(
            ran.stderr.contains("HTTP header") || ran.stdout.contains("HTTP header"),
            "{}",
            ran.screen()
        );
        assert!(api.requests().is_empty(), "{}", ran.screen());
    }
}

/// Finding 6: `Retry-After: 18446744073709551615` after an earlier wait overflowed the sum of
/// the waits (a panic). Now a wait beyond the run's budget is an error that says so.
#[test]
fn an_endless_retry_after_after_an_earlier_wait_is_an_error_not_a_panic() {
    use fake_github::{Fault, FaultKind};
    let api = fake();
    for (first, second) in [
        (
            FaultKind::RateLimit429 {
                retry_after_secs: 1,
            },
            FaultKind::RateLimit429 {
                retry_after_secs: u64::MAX,
            },
        ),
        (
            FaultKind::Secondary403 {
                retry_after_secs: 1,
            },
            FaultKind::Secondary403 {
                retry_after_secs: u64::MAX,
            },
        ),
    ] {
        api.inject(Fault::new(first));
        api.inject(Fault::new(second));
        let ran = cli(
            &api,
            &["status", "--repo", "acme/api", "--api-url", &api.url()],
        )
        .env("SECRET_REFRESH_TIME_SCALE", "0.01")
        .run();
        assert_no_panic(&ran, "retry-after u64::MAX");
        assert!(
            ran.stderr.contains("rate limit") && ran.stderr.contains("budget"),
            "{}",
            ran.screen()
        );
        api.clear_requests();
        api.clear_faults();
    }
}

/// An organisation of `n` repositories `acme/r1…` (plus `acme/api`).
fn big_org(n: usize) -> FakeGitHub {
    let api = fake();
    for i in 1..n {
        api.add_repo(&format!("acme/r{i}"));
    }
    api
}

fn rotate_org(api: &FakeGitHub) -> Ran {
    Step::new(api)
        .token()
        .secrets(&[("X", VALUE)])
        .input("repositories", "acme/*")
        .run()
}

/// Finding 3: GitHub links page 2 of `GET /orgs/{org}/repos` as `/organizations/{id}/repos`.
/// A pager that only follows its own path stopped at 100 repositories with a green run; the
/// fake now answers with GitHub's link forms and serves those paths.
#[test]
fn an_organisation_of_130_repositories_gets_130_writes() {
    let api = big_org(130);
    let ran = rotate_org(&api);
    assert_eq!(ran.code, 0, "{}", ran.screen());
    let pages: Vec<String> = api
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.contains("/repos") && !r.path.contains("/secrets"))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        pages.iter().any(|p| p.starts_with("/organizations/")),
        "the second page was not read at GitHub's link: {pages:?}"
    );
    assert_eq!(
        api.count("PUT", "/actions/secrets/X"),
        130,
        "{}",
        ran.screen()
    );
    for i in 1..130 {
        let scope = fake_github::Scope::repo(&format!("acme/r{i}"));
        assert!(
            api.secret(&scope, "X").is_some(),
            "acme/r{i} was not written"
        );
    }
    ran.assert_no_leak();
}

/// `status` reads every page of a secret list at GitHub's `/repositories/{id}/…` links.
#[test]
fn status_reads_every_page_of_secrets_at_githubs_links() {
    let api = fake();
    let scope = fake_github::Scope::repo("acme/api");
    for i in 0..130 {
        api.set_secret(&scope, &format!("S{i:03}"), "v");
    }
    let ran = cli(
        &api,
        &[
            "status",
            "--repo",
            "acme/api",
            "--json",
            "--api-url",
            &api.url(),
        ],
    )
    .run();
    assert_eq!(ran.code, 0, "{}", ran.screen());
    let doc: serde_json::Value = serde_json::from_str(&ran.stdout).expect("json");
    assert_eq!(
        doc["secrets"].as_array().map(Vec::len),
        Some(130),
        "{}",
        ran.screen()
    );
    assert!(api
        .requests()
        .iter()
        .any(|r| r.path.starts_with("/repositories/")));
}

/// Finding 3: a next link to another host, a redirect there, or next links that loop: the
/// listing cannot be finished, so the run fails before any write, and says why.
#[test]
fn next_links_elsewhere_or_in_a_loop_fail_the_listing_instead_of_truncating_it() {
    use fake_github::{Fault, FaultKind};
    let cases = [
        (
            "another host",
            FaultKind::Link(
                "<http://evil.example.invalid/organizations/1/repos?page=2>; rel=\"next\"".into(),
            ),
            "another",
        ),
        (
            "another port",
            FaultKind::Link(
                "<http://127.0.0.1:1/organizations/1/repos?page=2>; rel=\"next\"".into(),
            ),
            "away from the API",
        ),
        (
            "a loop",
            FaultKind::Link("<{base}/orgs/acme/repos?per_page=100&page=1>; rel=\"next\"".into()),
            "loop",
        ),
        (
            "a redirect to another host",
            FaultKind::Redirect {
                status: 302,
                location: "http://evil.example.invalid/orgs/acme/repos".into(),
            },
            "302",
        ),
    ];
    for (what, kind, says) in cases {
        let api = big_org(3);
        api.inject(Fault::new(kind).on("GET", "/repos").times(5));
        let ran = rotate_org(&api);
        assert_ne!(ran.code, 0, "{what}: {}", ran.screen());
        assert_eq!(api.count("PUT", "/secrets/"), 0, "{what}: {}", ran.screen());
        let all = format!("{}{}", ran.stdout, ran.summary);
        assert!(
            all.contains(says) || (says == "another" && all.contains("away from the API")),
            "{what}: the error does not say why: {}",
            ran.screen()
        );
        assert!(
            !all.contains("evil.example"),
            "{what}: echoes the host: {}",
            ran.screen()
        );
        ran.assert_no_leak();
    }
}

/// Finding 6: an installation token minted by the server that holds a newline is an error
/// (octocrab panicked building its header; the action would have masked half of it), and no
/// part of it is printed. Since issue 22 it is refused for its shape before anything else (not
/// `ghs_` and 36 or more token characters); a whole token with whitespace around it is trimmed
/// and used (`revocation.rs`).
#[test]
fn a_minted_installation_token_with_a_newline_is_an_error() {
    use fake_github::{Fault, FaultKind};
    let minted = |what: &str| {
        if what == "trailing newline" {
            FaultKind::Raw {
                status: 201,
                headers: vec![("content-type".into(), b"application/json".to_vec())],
                body: br#"{"token":"ghs_0123456789abcdefSPLIT\n","expires_at":"2099-01-01T00:00:00Z","permissions":{"secrets":"write"},"repository_selection":"selected"}"#.to_vec(),
            }
        } else {
            FaultKind::Hostile {
                find: "ghs_".into(),
                replace: "ghs_\nSPLIT".into(),
            }
        }
    };
    for what in ["inner newline", "trailing newline"] {
        let api = app_fake();
        let kind = minted(what);
        api.inject(Fault::new(kind).on("POST", "/access_tokens"));
        let ran = cli(
            &api,
            &[
                "check-token",
                "--repo",
                "acme/api",
                "--app-id",
                APP_ID,
                "--app-key-file",
                "app.pem",
                "--api-url",
                &api.url(),
            ],
        )
        .run();
        assert_no_panic(&ran, what);
        assert!(
            ran.stderr.contains("holds no installation token"),
            "{what}: {}",
            ran.screen()
        );
        let all = format!("{}{}", ran.stdout, ran.stderr);
        assert!(
            !all.contains("SPLIT"),
            "{what}: the token is echoed: {}",
            ran.screen()
        );

        // The action: nothing masked in two halves, nothing written.
        let step = Step::new(&api)
            .input("app-id", APP_ID)
            .input("app-private-key", &AppKey::shared().pkcs1_pem)
            .value(&AppKey::shared().pkcs1_pem)
            .secrets(&[("X", VALUE)])
            .input("repositories", "acme/api");
        api.inject(Fault::new(minted(what)).on("POST", "/access_tokens"));
        let ran = step.run();
        assert_no_panic(&ran, what);
        assert_eq!(api.count("PUT", "/secrets/"), 0, "{}", ran.screen());
        assert!(
            !ran.stdout.contains("SPLIT") && !ran.stderr.contains("SPLIT"),
            "{what}: {}",
            ran.screen()
        );
    }
}

/// Finding 6: `X-RateLimit-Reset: 18446744073709551615` after an earlier wait: saturated, and
/// a wait beyond the budget is an error that says so.
#[test]
fn an_endless_rate_limit_reset_is_an_error_not_a_panic() {
    use fake_github::{Fault, FaultKind};
    let api = fake();
    let reset = |at: &str| FaultKind::Raw {
        status: 403,
        headers: vec![
            ("x-ratelimit-remaining".into(), b"0".to_vec()),
            ("x-ratelimit-reset".into(), at.as_bytes().to_vec()),
        ],
        body: br#"{"message":"API rate limit exceeded"}"#.to_vec(),
    };
    api.inject(Fault::new(FaultKind::RateLimit429 {
        retry_after_secs: 1,
    }));
    api.inject(Fault::new(reset("18446744073709551615")));
    let ran = cli(
        &api,
        &["status", "--repo", "acme/api", "--api-url", &api.url()],
    )
    .env("SECRET_REFRESH_TIME_SCALE", "0.01")
    .run();
    assert_no_panic(&ran, "x-ratelimit-reset u64::MAX");
    assert!(ran.stderr.contains("budget"), "{}", ran.screen());
}

/// Finding 8: a response body is read up to a cap (a few MiB); a huge or endless one is a
/// clear error, and memory stays bounded (an endless body would otherwise never finish).
#[test]
fn huge_and_endless_bodies_are_refused_at_the_cap() {
    use fake_github::{Fault, FaultKind};
    let huge = FaultKind::Raw {
        status: 200,
        headers: vec![("content-type".into(), b"application/json".to_vec())],
        body: {
            let mut b = br#"{"total_count":1,"secrets":[],"pad":""#.to_vec();
            b.extend(std::iter::repeat_n(b'x', 6 * 1024 * 1024));
            b.extend(br#""}"#);
            b
        },
    };
    for (what, kind) in [
        ("huge", huge),
        ("endless", FaultKind::Endless { status: 200 }),
    ] {
        let api = fake();
        api.inject(Fault::new(kind).on("GET", "/secrets"));
        let ran = cli(
            &api,
            &["status", "--repo", "acme/api", "--api-url", &api.url()],
        )
        .run();
        assert_no_panic(&ran, what);
        assert!(
            ran.stderr.contains("larger than"),
            "{what}: unclear error: {}",
            ran.screen()
        );
    }
    // The action: a huge public-key answer fails the target, nothing is written.
    let api = fake();
    api.inject(Fault::new(FaultKind::Endless { status: 200 }).on("GET", "/public-key"));
    let ran = Step::new(&api)
        .token()
        .secrets(&[("X", VALUE)])
        .input("repositories", "acme/api")
        .run();
    assert_ne!(ran.code, 0, "{}", ran.screen());
    assert_eq!(api.count("PUT", "/secrets/"), 0);
    assert!(ran.stdout.contains("larger than"), "{}", ran.screen());
}

/// Finding 5, at the boundary: names the server returns (repositories of a listing, the
/// token's login, secret names) are checked against GitHub's grammar where they are parsed; a
/// name GitHub could not have produced fails the answer and is never a line of output.
#[test]
fn names_from_the_server_that_github_could_not_produce_are_refused() {
    use fake_github::{Fault, FaultKind};
    let injections = [
        "\n::add-mask::x",
        "\n::set-output name=a::b",
        "\r##[error]pwned",
        "`<img src=x onerror=alert(1)>",
        "\u{1b}[2J",
    ];
    for evil in injections {
        // An organisation's listing: the rotation stops before any write.
        let api = big_org(3);
        api.inject(
            Fault::new(FaultKind::Hostile {
                find: "r1".into(),
                replace: format!("r1{evil}"),
            })
            .on("GET", "/orgs/acme/repos"),
        );
        let ran = rotate_org(&api);
        assert_ne!(ran.code, 0, "{evil:?}: {}", ran.screen());
        assert_eq!(api.count("PUT", "/secrets/"), 0, "{evil:?}");
        let all = format!("{}{}{}", ran.stdout, ran.stderr, ran.summary);
        assert_name_refused(&all, evil, &ran);

        // status: a secret name in a listing.
        let api = fake();
        api.set_secret(&fake_github::Scope::repo("acme/api"), "S1", "v");
        api.inject(
            Fault::new(FaultKind::Hostile {
                find: "S1".into(),
                replace: format!("S1{evil}"),
            })
            .on("GET", "/secrets"),
        );
        let ran = cli(
            &api,
            &["status", "--repo", "acme/api", "--api-url", &api.url()],
        )
        .run();
        assert_eq!(ran.code, 1, "{evil:?}: {}", ran.screen());
        let all = format!("{}{}", ran.stdout, ran.stderr);
        assert_name_refused(&all, evil, &ran);

        // check-token: the token's login.
        let api = fake();
        api.inject(
            Fault::new(FaultKind::Hostile {
                find: "octo".into(),
                replace: format!("octo{evil}"),
            })
            .on("GET", "/user"),
        );
        let ran = cli(&api, &["check-token", "--api-url", &api.url()]).run();
        let all = format!("{}{}", ran.stdout, ran.stderr);
        assert!(
            !all.contains(evil.trim_start()),
            "{evil:?}: {}",
            ran.screen()
        );
    }
}

/// A name the server sent that GitHub could not produce is refused as such, and never shown.
fn assert_name_refused(all: &str, evil: &str, ran: &Ran) {
    assert!(
        all.contains("not a valid GitHub name"),
        "{evil:?}: {}",
        ran.screen()
    );
    assert!(
        !all.contains(evil.trim_start()),
        "{evil:?}: {}",
        ran.screen()
    );
}

/// The report counts requests that reached the server: when the connection is refused, none
/// did, and the run must not claim "4 requests to GitHub".
#[test]
fn a_refused_connection_is_not_reported_as_requests_to_github() {
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let ran = Step::with_url(&url)
        .remove_env("GITHUB_ACTIONS")
        .env("GH_TOKEN", TOKEN)
        .env("SECRET_REFRESH_TIME_SCALE", "0.01")
        .value(TOKEN)
        .stdin(VALUE)
        .value(VALUE)
        .args(&["set", "X", "--repo", "acme/api", "--api-url", &url])
        .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(
        ran.stderr.contains("could not reach GitHub"),
        "{}",
        ran.screen()
    );
    assert!(
        ran.stdout.contains("after 0 requests to GitHub"),
        "claims requests that never arrived: {}",
        ran.screen()
    );
    let ran = Step::with_url(&url)
        .token()
        .env("SECRET_REFRESH_TIME_SCALE", "0.01")
        .secrets(&[("X", VALUE)])
        .input("repositories", "acme/api")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.screen());
    assert!(
        !ran.stdout.contains("4 requests") && !ran.summary.contains("4 requests"),
        "claims requests that never arrived: {}",
        ran.screen()
    );
}

/// Finding E (sibling of 8): the body cap is per answer and the page cap is 1000, so one listing
/// could pull 1000 answers of 4 MiB; parsed, a 4 MiB page of 90 000 minimal repositories takes
/// ~20 MiB, and 30 such pages took 650 MB. A page with more items than `per_page` asked for is
/// not GitHub's: the first one is refused, and nothing is written.
#[test]
fn a_listing_cannot_pull_more_than_a_bounded_total() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;

    use crate::adversarial::hostile::{hostile, json};

    let item = br#"{"id":1,"name":"a","owner":{"login":"acme"}}"#;
    let mut page = b"[".to_vec();
    for i in 0..90_000 {
        if i > 0 {
            page.push(b',');
        }
        page.extend_from_slice(item);
    }
    page.push(b']');
    let page = Arc::new(page);
    let n = Arc::new(AtomicU64::new(0));
    let api = hostile(move |_, p| {
        if p == "/user" {
            return json(200, serde_json::json!({"login": "octo"}));
        }
        if p.contains("/repos?") {
            // 20 pages of 4 MiB: enough to show a missing bound, quick to fail without it.
            let k = n.fetch_add(1, Ordering::Relaxed) + 2;
            let mut headers = vec![("content-type".into(), "application/json".into())];
            if k <= 20 {
                headers.push((
                    "link".into(),
                    format!("</orgs/acme/repos?type=all&page={k}>; rel=\"next\""),
                ));
            }
            (200, headers, page.to_vec())
        } else {
            json(404, serde_json::json!({"message": "Not Found"}))
        }
    });
    let ran = Step::with_url(&api.url)
        .token()
        .secrets(&[("API_KEY", VALUE)])
        .input("repositories", "acme/*")
        .run();
    let pulled = api.bytes_sent.load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        pulled < 2 * 4 * 1024 * 1024,
        "one listing pulled {pulled} bytes before it was refused\n{}",
        ran.screen()
    );
    assert_ne!(ran.code, 0, "{}", ran.screen());
    assert!(
        ran.stdout.contains("more than the 100 asked for"),
        "the error says why: {}",
        ran.screen()
    );
    assert!(
        !api.seen
            .lock()
            .expect("lock")
            .iter()
            .any(|s| s.method == "PUT"),
        "a write after an incomplete listing"
    );
}

/// Minor (review): the POST that mints an installation token was retried on 5xx, and each
/// attempt may have minted a token that is never revoked. A POST that may have reached the
/// server is sent once.
#[test]
fn the_post_that_mints_a_token_is_never_retried() {
    use crate::adversarial::hostile::{hostile, json};

    let api = hostile(|m, p| match (m, p) {
        ("GET", p) if p.ends_with("/installation") => json(
            200,
            serde_json::json!({"id": 7, "account": {"login": "acme"},
                "permissions": {"secrets": "write", "metadata": "read"}}),
        ),
        ("POST", _) => json(502, serde_json::json!({"message": "Bad Gateway"})),
        _ => json(404, serde_json::json!({"message": "Not Found"})),
    });
    let ran = Step::with_url(&api.url)
        .input("app-id", "1")
        .input("app-private-key", &AppKey::shared().pkcs1_pem)
        .secrets(&[("API_KEY", VALUE)])
        .run();
    let posts = api
        .seen
        .lock()
        .expect("lock")
        .iter()
        .filter(|s| s.method == "POST")
        .count();
    assert_eq!(posts, 1, "{}", ran.screen());
    assert_ne!(ran.code, 0, "{}", ran.screen());
}
