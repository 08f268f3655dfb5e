//! The `fake-github` binary serving a JSON world over TLS, and the library's TLS mode.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use fake_github::testclient::{request_on, Response};
use fake_github::{FakeGitHub, Options, TlsConfig, TokenSpec};

#[path = "../../support/process.rs"]
mod process;
use process::Spawned;

fn tls_get(url: &str, cert_pem: &str, path: &str, token: &str) -> Response {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, ServerName};
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(cert_pem.as_bytes()) {
        roots.add(c.expect("cert")).expect("add root");
    }
    let cfg = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    let hostport = url.trim_start_matches("https://");
    let port = hostport.rsplit(':').next().unwrap_or("");
    let conn = rustls::ClientConnection::new(
        Arc::new(cfg),
        ServerName::try_from("localhost").expect("name").to_owned(),
    )
    .expect("client");
    let sock = TcpStream::connect(hostport).expect("connect");
    let mut tls = rustls::StreamOwned::new(conn, sock);
    request_on(
        &mut tls,
        &format!("localhost:{port}"),
        "GET",
        path,
        Some(&format!("token {token}")),
        None,
    )
    .expect("answer")
}

#[test]
fn library_serves_https() {
    let (cert_pem, key_pem) = fake_github::self_signed(&["localhost", "127.0.0.1"]);
    let gh = FakeGitHub::start_with(Options {
        tls: Some(TlsConfig {
            cert_pem: cert_pem.clone(),
            key_pem,
        }),
        ..Options::default()
    });
    assert!(gh.url().starts_with("https://127.0.0.1:"));
    gh.add_repo("octo/app");
    gh.add_token("t", TokenSpec::classic("octo", &["repo"]));
    let r = tls_get(
        &gh.url(),
        &cert_pem,
        "/api/v3/repos/octo/app/actions/secrets/public-key",
        "t",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.json()["key_id"].is_string());
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("fake-github-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir.join(name)
}

#[test]
fn binary_serves_a_world_and_writes_the_log_on_sigterm() {
    let world = tmp("world.json");
    // A month from the clock: the token is live whatever the day.
    let exp = (time::OffsetDateTime::now_utc() + time::Duration::days(30)).date();
    let expires_at = format!("{exp}T00:00:00Z");
    std::fs::write(
        &world,
        r#"{
          "users": ["octo"], "orgs": ["acme"],
          "repos": [{"full_name": "acme/api", "private": true, "environments": ["test live"]},
                    {"full_name": "acme/old", "archived": true}],
          "tokens": [{"token": "ghp_x", "login": "octo",
                      "kind": {"type": "classic", "scopes": ["repo"]},
                      "expires_at": "EXPIRES_AT"}],
          "secrets": [{"scope": {"kind": "repo", "repo": "acme/api", "app": "actions"},
                       "name": "API_KEY", "value": "old"}]
        }"#
        .replace("EXPIRES_AT", &expires_at),
    )
    .expect("write world");
    let cert = tmp("cert.pem");
    let log = tmp("requests.jsonl");
    let url_file = tmp("url");
    // Killed and reaped if the test fails: a server left running would hold the run's output.
    let mut child = Spawned::spawn(
        "fake-github",
        Command::new(env!("CARGO_BIN_EXE_fake-github"))
            .args(["--world", world.to_str().unwrap_or_default()])
            .args(["--tls-self-signed", cert.to_str().unwrap_or_default()])
            .args(["--request-log", log.to_str().unwrap_or_default()])
            .args(["--url-file", url_file.to_str().unwrap_or_default()])
            .args(["--latency-ms", "1"])
            .stdout(Stdio::piped()),
    );
    let mut line = String::new();
    BufReader::new(child.child().stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("ready line");
    let url = line.trim().rsplit(' ').next().unwrap_or("").to_string();
    assert!(url.starts_with("https://127.0.0.1:"), "{line}");
    assert_eq!(std::fs::read_to_string(&url_file).unwrap_or_default(), url);
    let cert_pem = std::fs::read_to_string(&cert).expect("cert");

    let r = tls_get(
        &url,
        &cert_pem,
        "/api/v3/repos/acme/api/actions/secrets/API_KEY",
        "ghp_x",
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.header("github-authentication-token-expiration"),
        Some(format!("{exp} 00:00:00 UTC").as_str())
    );
    let r = tls_get(
        &url,
        &cert_pem,
        "/repos/acme/api/environments/test%20live/secrets",
        "ghp_x",
    );
    assert_eq!(r.json()["total_count"], 0);

    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    assert!(
        child.wait_within(Duration::from_secs(10)).is_some(),
        "fake-github did not stop on SIGTERM"
    );
    let text = std::fs::read_to_string(&log).expect("request log");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["method"], "GET");
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(
        lines[1]["path"],
        "/repos/acme/api/environments/test%20live/secrets"
    );
    let _ = std::fs::remove_dir_all(world.parent().unwrap_or(&world));
}
