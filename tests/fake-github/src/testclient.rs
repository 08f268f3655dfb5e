//! A tiny blocking HTTP/1.1 client over `std::net::TcpStream` for tests of the fake itself
//! (and anyone who wants to poke it without an async runtime), plus a sealing helper.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;

/// A parsed answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// First header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (`Null` when empty or not JSON).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// Send one request to `base_url` (`http://host:port`) with `Connection: close`.
/// `token` is sent as `Authorization: Bearer {token}`. An error means the connection closed
/// without a complete answer (e.g. an injected `Drop`).
pub fn request(
    base_url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> io::Result<Response> {
    let hostport = base_url
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::other("testclient speaks plain http only"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(hostport)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let auth = token.map(|t| format!("Bearer {t}"));
    request_on(&mut stream, hostport, method, path, auth.as_deref(), body)
}

/// [`request`] with extra headers, e.g. `("X-GitHub-Api-Version", "2026-03-10")`; a name given
/// twice is sent twice.
pub fn request_with_headers(
    base_url: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> io::Result<Response> {
    let hostport = base_url
        .strip_prefix("http://")
        .ok_or_else(|| io::Error::other("testclient speaks plain http only"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(hostport)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let auth = token.map(|t| format!("Bearer {t}"));
    send(
        &mut stream,
        hostport,
        method,
        path,
        auth.as_deref(),
        headers,
        body,
    )
}

/// The same over any stream (e.g. a rustls client stream). `authorization` is the whole
/// header value.
pub fn request_on<S: Read + Write>(
    stream: &mut S,
    host: &str,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> io::Result<Response> {
    send(stream, host, method, path, authorization, &[], body)
}

fn send<S: Read + Write>(
    stream: &mut S,
    host: &str,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> io::Result<Response> {
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: fake-github-testclient\r\nAccept: application/vnd.github+json\r\nConnection: close\r\n"
    );
    if let Some(a) = authorization {
        head.push_str(&format!("Authorization: {a}\r\n"));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    let body = body.unwrap_or("");
    if !body.is_empty() || matches!(method, "PUT" | "POST" | "PATCH") {
        head.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()?;
    let mut raw = Vec::new();
    match stream.read_to_end(&mut raw) {
        Ok(_) => {}
        // rustls reports a peer closing without close_notify as an error; keep what came.
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e),
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> io::Result<Response> {
    let text = String::from_utf8_lossy(raw);
    let Some((head, rest)) = text.split_once("\r\n\r\n") else {
        return Err(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "connection closed without an answer",
        ));
    };
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| io::Error::other(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked"));
    let body = if chunked {
        dechunk(rest)
    } else {
        rest.to_string()
    };
    Ok(Response {
        status,
        headers,
        body,
    })
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let n = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Seal `value` for a base64 Curve25519 public key, as GitHub asks: base64 of a libsodium
/// sealed box.
pub fn seal(public_key_b64: &str, value: &str) -> String {
    let bytes = B64.decode(public_key_b64).expect("public key is base64");
    let arr: [u8; 32] = bytes.as_slice().try_into().expect("public key is 32 bytes");
    let pk = crypto_box::PublicKey::from(arr);
    let sealed = pk
        .seal(&mut rand::rngs::OsRng, value.as_bytes())
        .expect("sealing succeeds");
    B64.encode(sealed)
}
