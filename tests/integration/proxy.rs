//! Proxies as a self-hosted runner has them (issue 22, item 6): a real CONNECT proxy on
//! 127.0.0.1 ([`ConnectProxy`]) in front of the fake serving https for a GitHub Enterprise
//! Server named `ghes.example.test` (a name that never resolves: only the proxy can reach it).

use fake_github::{FakeGitHub, Scope, TokenSpec};

use crate::common::{calls, Step, TOKEN};
use crate::connect_proxy::ConnectProxy;

const HOST: &str = "ghes.example.test";
const API: &str = "https://ghes.example.test/api/v3";
const VALUE: &str = "proxied-secret-value-7c1d";
const PROXY_PASSWORD: &str = "s3cr3t-pr0xy-pa55";

/// The fake as `ghes.example.test` over https, and its certificate (PEM).
fn ghes() -> (FakeGitHub, String) {
    let (cert_pem, key_pem) = fake_github::self_signed(&[HOST]);
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
    (api, cert_pem)
}

/// `set PAT_TOKEN --repo acme/api` against the GHES, its token in `GH_ENTERPRISE_TOKEN`, the
/// fake's certificate trusted through `SSL_CERT_FILE` when `trust` (`gh` kept off PATH).
fn set<'a>(api: &'a FakeGitHub, cert_pem: &str, trust: bool) -> Step<'a> {
    let step = Step::new(api)
        .remove_env("GITHUB_ACTIONS")
        .remove_env("GH_TOKEN")
        .env("GH_ENTERPRISE_TOKEN", TOKEN)
        .value(TOKEN)
        .value(VALUE)
        .value(PROXY_PASSWORD)
        .stdin(VALUE)
        .wrap(&["env", "PATH=/nonexistent"])
        .args(&["set", "PAT_TOKEN", "--repo", "acme/api", "--api-url", API]);
    if !trust {
        return step;
    }
    let pem = step.workspace().join("ghes-ca.pem");
    std::fs::write(&pem, cert_pem).expect("write the certificate");
    let pem = pem.display().to_string();
    step.env("SSL_CERT_FILE", &pem)
}

fn upstream(api: &FakeGitHub) -> String {
    format!("127.0.0.1:{}", api.port())
}

/// Through `HTTPS_PROXY`, every connection is a CONNECT to the API's host and port, and the
/// API's TLS runs inside: the proxy sees the host, never the token, the value or a header of
/// the requests. A proxy that answers with a server the client does not trust (as one that
/// reads traffic would) gets a refused handshake, and nothing is sent.
#[test]
fn https_proxy_tunnels_tls_to_the_api_and_never_sees_the_token() {
    let (api, cert_pem) = ghes();
    let proxy = ConnectProxy::start(&upstream(&api), None);

    // Not trusted: the handshake through the tunnel fails, no request reaches the server.
    let ran = set(&api, &cert_pem, false)
        .env("HTTPS_PROXY", &proxy.url)
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(ran.stderr.contains("SSL_CERT_FILE"), "{}", ran.stderr);
    assert_eq!(api.requests().len(), 0);
    assert_eq!(api.tls_refused(), 1, "one handshake, not retried");
    assert_eq!(proxy.seen().len(), 1, "one tunnel, not retried");
    ran.assert_no_leak();

    let ran = set(&api, &cert_pem, true)
        .env("HTTPS_PROXY", &proxy.url)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(
        calls(&api),
        [
            "GET /api/v3/repos/acme/api/actions/secrets/public-key 200",
            "PUT /api/v3/repos/acme/api/actions/secrets/PAT_TOKEN 201",
        ]
    );
    assert!(api.secret(&Scope::repo("acme/api"), "PAT_TOKEN").is_some());
    let seen = proxy.seen();
    // One connection carries both requests (kept alive); each connection is one CONNECT.
    assert!(!seen.is_empty() && seen.len() <= 3, "{seen:?}");
    for head in &seen {
        assert_eq!(head.request_line, "CONNECT ghes.example.test:443 HTTP/1.1");
        let names: Vec<&str> = head.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["host"], "nothing but the destination: {head:?}");
        assert_eq!(head.header("host"), Some("ghes.example.test:443"));
    }
    let tunnelled = proxy.tunnelled();
    assert!(tunnelled.len() > 1000, "TLS went through the tunnel");
    for clear in [TOKEN, VALUE, "Bearer", "PUT /", "ghp_"] {
        assert!(
            !tunnelled
                .windows(clear.len())
                .any(|w| w == clear.as_bytes()),
            "{clear} crossed the proxy in clear"
        );
    }
    ran.assert_no_leak();
}

/// Credentials in the proxy's URL go on each CONNECT as `Proxy-Authorization: Basic`, never
/// to the API and never printed; wrong ones are a 407 that names the variable, not its value.
#[test]
fn proxy_credentials_go_on_the_connect_only_and_are_never_printed() {
    use base64::Engine;
    let (api, cert_pem) = ghes();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("runner:{PROXY_PASSWORD}"))
    );
    let proxy = ConnectProxy::start(&upstream(&api), Some(&basic));
    let port = proxy.url.rsplit(':').next().expect("port").to_owned();

    let wrong = format!("http://runner:wrong-{PROXY_PASSWORD}@127.0.0.1:{port}");
    let ran = set(&api, &cert_pem, true)
        .env("https_proxy", &wrong)
        .value(&format!("wrong-{PROXY_PASSWORD}"))
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert!(
        ran.stderr.contains(
            "the proxy in https_proxy refused the credentials in its URL (407 Proxy \
             Authentication Required)"
        ),
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("127.0.0.1"), "{}", ran.stderr);
    assert_eq!(proxy.seen().len(), 1, "a refusal is not retried");
    assert_eq!(api.requests().len(), 0);
    ran.assert_no_leak();

    let right = format!("http://runner:{PROXY_PASSWORD}@127.0.0.1:{port}");
    let ran = set(&api, &cert_pem, true).env("https_proxy", &right).run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    let seen = proxy.seen();
    let later = seen.get(1..).unwrap_or_default();
    assert!(!later.is_empty(), "{seen:?}");
    for head in later {
        assert_eq!(head.header("proxy-authorization"), Some(basic.as_str()));
    }
    assert_eq!(api.requests().len(), 2);
    for r in api.requests() {
        assert!(
            !format!("{r:?}").contains(PROXY_PASSWORD) && !format!("{r:?}").contains(&basic[6..]),
            "the proxy's credentials reached the API: {r:?}"
        );
    }
    ran.assert_no_leak();
}

/// `NO_PROXY` is honoured (`*` here: the name then does not resolve, and the proxy sees
/// nothing), this machine is always reached directly, and a proxy URL the client cannot use
/// stops the command naming the variable, never its value.
#[test]
fn no_proxy_loopback_and_unusable_proxies() {
    let (api, cert_pem) = ghes();
    let proxy = ConnectProxy::start(&upstream(&api), None);

    let ran = set(&api, &cert_pem, true)
        .env("HTTPS_PROXY", &proxy.url)
        .env("NO_PROXY", "*")
        .run();
    assert_eq!(ran.code, 1, "{}", ran.transcript());
    assert_eq!(proxy.seen().len(), 0);
    assert_eq!(api.requests().len(), 0);

    // This machine (the fake's own URL, plain http) is reached directly whatever the proxy.
    let local = crate::common::fake();
    let ran = crate::common::cli_as(&local, TOKEN, &["set", "PAT_TOKEN", "--repo", "acme/api"])
        .value(VALUE)
        .stdin(VALUE)
        .env("HTTPS_PROXY", &proxy.url)
        .env("https_proxy", &proxy.url)
        .run();
    assert_eq!(ran.code, 0, "{}", ran.transcript());
    assert_eq!(proxy.seen().len(), 0);
    assert_eq!(local.requests().len(), 2);

    for (value, says) in [
        (
            format!("socks5://{PROXY_PASSWORD}@127.0.0.1:1080"),
            "HTTPS_PROXY names a SOCKS proxy, which is not supported",
        ),
        (
            format!("https://{PROXY_PASSWORD}@127.0.0.1:443"),
            "HTTPS_PROXY names an https:// proxy (TLS to the proxy itself), which is not \
             supported",
        ),
    ] {
        let ran = set(&api, &cert_pem, true).env("HTTPS_PROXY", &value).run();
        assert_eq!(ran.code, 1, "{}", ran.transcript());
        assert!(ran.stderr.contains(says), "{}", ran.stderr);
        assert!(!ran.stderr.contains("127.0.0.1"), "{}", ran.stderr);
        ran.assert_no_leak();
    }
    assert_eq!(api.requests().len(), 0);
    assert_eq!(proxy.seen().len(), 0);
}

/// github.com's token is never sent to another host, proxy or not: with only `GH_TOKEN` set,
/// a command for the GitHub Enterprise Server stops before any connection (the proxy sees no
/// CONNECT), naming the variable the server takes.
#[test]
fn github_com_token_never_goes_to_an_enterprise_server_through_a_proxy() {
    let (api, cert_pem) = ghes();
    let proxy = ConnectProxy::start(&upstream(&api), None);
    let ran = set(&api, &cert_pem, true)
        .remove_env("GH_ENTERPRISE_TOKEN")
        .env("GH_TOKEN", TOKEN)
        .env("HTTPS_PROXY", &proxy.url)
        .run();
    assert_eq!(ran.code, 2, "{}", ran.transcript());
    assert!(
        ran.stderr.contains(
            "no token for the GitHub Enterprise Server ghes.example.test: set GH_ENTERPRISE_TOKEN"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr
            .contains("(GH_TOKEN is github.com's and is never sent to another host)"),
        "{}",
        ran.stderr
    );
    assert_eq!(proxy.seen().len(), 0);
    assert_eq!(proxy.tunnelled().len(), 0);
    assert_eq!(api.requests().len(), 0);
    ran.assert_no_leak();
}
