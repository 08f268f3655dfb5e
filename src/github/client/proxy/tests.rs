use super::*;
use crate::env::{Env, Scope};

fn proxy(vars: &[(&str, &str)]) -> Result<Option<Proxy>, ProxyError> {
    Proxy::from_vars(|name| {
        vars.iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| (*v).to_owned())
    })
}

/// A scope of its own, so what the parser registers for redaction stays this test's.
fn scope() -> Scope {
    Scope::bind(Env::default(), Box::new(Vec::new()), Box::new(Vec::new()))
}

#[test]
fn only_the_https_variables_count_lower_case_first_blank_as_unset() {
    let _s = scope();
    let uri = |vars: &[(&str, &str)]| {
        proxy(vars)
            .expect("valid")
            .map(|p| (p.var, p.uri.to_string()))
    };
    assert_eq!(uri(&[]), None);
    assert_eq!(
        uri(&[("HTTP_PROXY", "http://a:1"), ("http_proxy", "http://a:1")]),
        None,
        "plain http's proxy is not the API's"
    );
    assert_eq!(uri(&[("ALL_PROXY", "http://a:1")]), None);
    assert_eq!(
        uri(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2")
        ]),
        Some(("https_proxy", "http://lower:2/".to_owned()))
    );
    assert_eq!(
        uri(&[("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "  ")]),
        Some(("HTTPS_PROXY", "http://upper:1/".to_owned()))
    );
    assert_eq!(
        uri(&[("HTTPS_PROXY", "proxy.corp:3128")]),
        Some(("HTTPS_PROXY", "http://proxy.corp:3128/".to_owned())),
        "no scheme: a host and port"
    );
    assert_eq!(
        uri(&[("https_proxy", "http://proxy.corp")]),
        Some(("https_proxy", "http://proxy.corp:80/".to_owned()))
    );
    assert_eq!(
        uri(&[("https_proxy", "http://[fd00::7]:8080/path?q")]),
        Some(("https_proxy", "http://[fd00::7]:8080/".to_owned()))
    );
}

#[test]
fn refused_proxies_name_the_variable_never_the_value() {
    let _s = scope();
    for (value, expected) in [
        (
            "https://ghp_pastedtokenpastedtoken0123@proxy:443",
            "https_proxy names an https:// proxy (TLS to the proxy itself), which is not \
             supported: give its http:// address (the API's own TLS runs inside the tunnel \
             either way)",
        ),
        (
            "socks5h://ghp_pastedtokenpastedtoken0123@proxy:1080",
            "https_proxy names a SOCKS proxy, which is not supported: give an http:// proxy \
             that tunnels with CONNECT",
        ),
        (
            "ftp://ghp_pastedtokenpastedtoken0123",
            "https_proxy is not a proxy URL: give http://HOST:PORT (credentials as \
             http://USER:PASSWORD@HOST:PORT)",
        ),
        (
            "http://ghp_pasted token",
            "https_proxy is not a proxy URL: give http://HOST:PORT (credentials as \
             http://USER:PASSWORD@HOST:PORT)",
        ),
    ] {
        let e = proxy(&[("https_proxy", value)]).expect_err(value);
        assert_eq!(e.to_string(), expected);
        assert!(!format!("{e:?}").contains("pasted"), "{e:?}");
    }
}

#[test]
fn credentials_become_basic_auth_on_the_connect_and_are_redacted_everywhere() {
    let _s = scope();
    let p = proxy(&[("HTTPS_PROXY", "http://us%65r:p%40ss-w0rd-9@proxy.corp:3128")])
        .expect("valid")
        .expect("set");
    let auth = p.auth.as_ref().expect("credentials");
    // base64("user:p@ss-w0rd-9")
    assert_eq!(auth.expose(), "Basic dXNlcjpwQHNzLXcwcmQtOQ==");
    assert_eq!(
        p.uri.to_string(),
        "http://proxy.corp:3128/",
        "no credentials in the URI"
    );
    let shown = format!("{p:?}");
    assert!(
        !shown.contains("proxy.corp") && !shown.contains("w0rd"),
        "{shown}"
    );
    let text = "echoed: p%40ss-w0rd-9 p@ss-w0rd-9 dXNlcjpwQHNzLXcwcmQtOQ== \
                http://us%65r:p%40ss-w0rd-9@proxy.corp:3128";
    let redacted = crate::output::redact::redact(text);
    for form in ["w0rd", "dXNlcjpwQHNzLXcwcmQtOQ"] {
        assert!(!redacted.contains(form), "{redacted}");
    }
    let none = proxy(&[("HTTPS_PROXY", "http://proxy.corp:3128")])
        .expect("valid")
        .expect("set");
    assert!(none.auth.is_none());
}

#[test]
fn loopback_is_always_direct_and_no_proxy_bypasses_as_curl_reads_it() {
    let _s = scope();
    let with = |no: &str| {
        proxy(&[("https_proxy", "http://proxy:3128"), ("no_proxy", no)])
            .expect("valid")
            .expect("set")
    };
    let all = with("");
    for local in [
        "127.0.0.1",
        "127.8.9.10",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "localhost",
        "LOCALHOST.",
    ] {
        assert!(!all.intercepts(local, 443), "{local}");
    }
    assert!(all.intercepts("api.github.com", 443));
    assert!(all.intercepts("10.1.2.3", 443));
    assert!(all.intercepts("localhost.evil.example", 443));

    let cases: &[(&str, &str, u16, bool)] = &[
        // (no_proxy, host, port, goes through the proxy)
        ("*", "api.github.com", 443, false),
        ("a.example, *", "api.github.com", 443, false),
        ("github.com", "api.github.com", 443, false),
        ("github.com", "github.com", 443, false),
        (".github.com", "api.github.com", 443, false),
        (".github.com", "github.com", 443, false),
        ("github.com.", "API.GitHub.com.", 443, false),
        ("github.com", "notgithub.com", 443, true),
        ("github.com", "github.com.evil.example", 443, true),
        ("api.github.com", "github.com", 443, true),
        ("ghes.corp:8443", "ghes.corp", 8443, false),
        ("ghes.corp:8443", "ghes.corp", 443, true),
        ("10.0.0.0/8", "10.1.2.3", 443, false),
        ("10.0.0.0/8", "11.1.2.3", 443, true),
        ("10.0.0.0/8", "ten.example", 443, true),
        ("10.1.2.3", "10.1.2.3", 443, false),
        ("10.1.2.3:8443", "10.1.2.3", 443, true),
        ("fd00::/8", "[fd12::1]", 443, false),
        ("[fd12::1]:443", "[fd12::1]", 443, false),
        ("fd12::1", "[fd12::2]", 443, true),
        ("0.0.0.0/0", "192.0.2.1", 443, false),
        (
            "10.0.0.0/99, bad:port, :443, .",
            "api.github.com",
            443,
            true,
        ),
        (
            "a.example b.example\tgithub.com",
            "api.github.com",
            443,
            false,
        ),
    ];
    for (no, host, port, through) in cases {
        assert_eq!(
            with(no).intercepts(host, *port),
            *through,
            "{no:?} {host}:{port}"
        );
    }
}

#[test]
fn networks_compare_their_leading_bits_only() {
    let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
    assert!(in_network(ip("192.168.1.42"), ip("192.168.0.0"), 16));
    assert!(!in_network(ip("192.169.1.42"), ip("192.168.0.0"), 16));
    assert!(in_network(ip("192.168.1.42"), ip("192.168.1.42"), 32));
    assert!(!in_network(ip("192.168.1.43"), ip("192.168.1.42"), 32));
    assert!(in_network(ip("2001:db8::1"), ip("2001:db8::"), 32));
    assert!(!in_network(ip("2001:db9::1"), ip("2001:db8::"), 32));
    assert!(
        !in_network(ip("10.0.0.1"), ip("::"), 0),
        "families never mix"
    );
}

#[test]
fn a_tunnel_opens_on_a_2xx_status_only() {
    for (head, status) in [
        (
            &b"HTTP/1.1 200 Connection established\r\n\r\n"[..],
            Some(200),
        ),
        (b"HTTP/1.0 204 OK\r\n\r\n", Some(204)),
        (
            b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n",
            Some(407),
        ),
        (b"HTTP/1.1 2000 no\r\n\r\n", None),
        (b"HTTP/2 200\r\n\r\n", None),
        (b"SSH-2.0-OpenSSH\r\n\r\n", None),
        (b"\xff\xfe\r\n\r\n", None),
        (b"", None),
    ] {
        assert_eq!(
            status_of(head),
            status,
            "{:?}",
            String::from_utf8_lossy(head)
        );
    }
}
