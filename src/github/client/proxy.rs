//! Proxies, as a self-hosted runner reaches the API: `https_proxy` (else `HTTPS_PROXY`), with
//! `no_proxy` (else `NO_PROXY`), read through [`crate::env`] when a client is built
//! ([`Proxy::of_run`]) and applied per connection by [`Connector`], inside the service stack.
//!
//! - The API is https (plain http is allowed to this machine only, [`crate::github::ApiUrl`]),
//!   so only the https variables count, lower case first as the runner and curl read them.
//!   `http_proxy`/`HTTP_PROXY` (plain http destinations, which are only ever this machine) and
//!   `ALL_PROXY` (which neither the runner nor `gh` reads) are not read.
//! - Through a proxy, every connection is an HTTP `CONNECT` tunnel to the API's host and port
//!   ([`open_tunnel`]: one request head, one answer head, then bytes), and TLS with the API runs
//!   inside it, its certificate checked as without a proxy: the proxy sees the host and port,
//!   never a header, a token or a body, and cannot stand in for the API. Plain http is never
//!   sent through a proxy.
//! - Credentials in the proxy URL (`http://user:pass@proxy:3128`) are sent in
//!   `Proxy-Authorization: Basic` on the `CONNECT` only, and are known to the output layer's
//!   redaction from the moment they are read. No part of a proxy URL is ever printed: errors
//!   name the variable only (it may hold a token pasted by mistake).
//! - An `https://` proxy (TLS to the proxy itself) and SOCKS are refused, naming the variable.
//! - This machine (`localhost`, loopback addresses) is always reached directly: a proxy's
//!   loopback is not ours. `no_proxy` entries bypass the proxy as curl reads them: `*` (all),
//!   host names matching themselves and their subdomains (a leading or trailing dot ignored),
//!   IP addresses and CIDR ranges (`10.0.0.0/8`, IPv6 too) matching IP hosts, and, as the
//!   runner allows, `host:port` matching that port only.

use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::secret::SecretValue;

/// Why the proxy variables cannot be used. Names the variable, never its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum ProxyError {
    #[error("{var} is not a proxy URL: give http://HOST:PORT (credentials as http://USER:PASSWORD@HOST:PORT)")]
    Unparseable { var: &'static str },
    #[error(
        "{var} names an https:// proxy (TLS to the proxy itself), which is not supported: give \
         its http:// address (the API's own TLS runs inside the tunnel either way)"
    )]
    HttpsProxy { var: &'static str },
    #[error("{var} names a {scheme} proxy, which is not supported: give an http:// proxy that tunnels with CONNECT")]
    Scheme {
        var: &'static str,
        scheme: &'static str,
    },
}

/// The proxy a run's connections to non-local hosts go through, with its bypass list.
#[derive(Clone)]
pub(super) struct Proxy {
    /// The variable it came from, for messages.
    var: &'static str,
    /// `http://host:port/`, without credentials: where the tunnel is opened.
    uri: Uri,
    /// `Basic …`, when the URL held credentials.
    auth: Option<SecretValue>,
    bypass: NoProxy,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the URL: its host may be anything pasted into the variable.
        f.debug_struct("Proxy").field("var", &self.var).finish()
    }
}

impl Proxy {
    /// The run's proxy from its environment ([`crate::env`]), if one is set.
    pub(super) fn of_run() -> Result<Option<Proxy>, ProxyError> {
        Proxy::from_vars(crate::env::var)
    }

    /// The proxy `get` describes: `https_proxy`, else `HTTPS_PROXY` (blank counts as unset),
    /// with `no_proxy`, else `NO_PROXY`.
    pub(super) fn from_vars(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Proxy>, ProxyError> {
        let first = |names: [&'static str; 2]| {
            names.into_iter().find_map(|n| {
                get(n)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (n, v.trim().to_owned()))
            })
        };
        let Some((var, text)) = first(["https_proxy", "HTTPS_PROXY"]) else {
            return Ok(None);
        };
        // The whole value may hold credentials: redacted from everything printed from now on.
        crate::output::redact::know(&SecretValue::from(text.as_str()));
        let bypass = first(["no_proxy", "NO_PROXY"])
            .map(|(_, v)| NoProxy::parse(&v))
            .unwrap_or_default();
        let (uri, auth) = parse_proxy_url(var, &text)?;
        Ok(Some(Proxy {
            var,
            uri,
            auth,
            bypass,
        }))
    }

    /// Whether a connection to `host` (as a URI spells it) on `port` goes through the proxy.
    pub(super) fn intercepts(&self, host: &str, port: u16) -> bool {
        let host = Host::of(host);
        !host.is_loopback() && !self.bypass.matches(&host, port)
    }
}

/// The proxy's address without credentials, and `Proxy-Authorization` for them.
fn parse_proxy_url(
    var: &'static str,
    text: &str,
) -> Result<(Uri, Option<SecretValue>), ProxyError> {
    // `proxy:3128` names a host and port, as curl and the runner read it, not a scheme.
    let with_scheme = if text.contains("://") {
        text.to_owned()
    } else {
        format!("http://{text}")
    };
    let url = url::Url::parse(&with_scheme).map_err(|_| ProxyError::Unparseable { var })?;
    match url.scheme() {
        "http" => {}
        "https" => return Err(ProxyError::HttpsProxy { var }),
        s if s.starts_with("socks") => {
            return Err(ProxyError::Scheme {
                var,
                scheme: "SOCKS",
            })
        }
        _ => return Err(ProxyError::Unparseable { var }),
    }
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(host) => host.to_string(),
        None => return Err(ProxyError::Unparseable { var }),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let uri: Uri = format!("http://{host}:{port}/")
        .parse()
        .map_err(|_| ProxyError::Unparseable { var })?;
    let auth = match (url.username(), url.password()) {
        ("", None) => None,
        (user, password) => Some(basic_auth(var, user, password.unwrap_or_default())?),
    };
    Ok((uri, auth))
}

/// `Basic base64(user:password)`, each percent-decoded as in a URL; every form of the password
/// known to the redaction.
fn basic_auth(var: &'static str, user: &str, password: &str) -> Result<SecretValue, ProxyError> {
    use base64::Engine;
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .map(|c| c.into_owned())
            .map_err(|_| ProxyError::Unparseable { var })
    };
    let (user, decoded) = (decode(user)?, decode(password)?);
    let pair = SecretValue::new(format!("{user}:{decoded}"));
    if pair.expose().contains(['\r', '\n']) {
        return Err(ProxyError::Unparseable { var });
    }
    let encoded = SecretValue::new(base64::engine::general_purpose::STANDARD.encode(pair.expose()));
    for secret in [password, decoded.as_str()] {
        crate::output::redact::know(&SecretValue::from(secret));
    }
    crate::output::redact::know(&pair);
    crate::output::redact::know(&encoded);
    Ok(SecretValue::new(format!("Basic {}", encoded.expose())))
}

/// A destination host as a URI spells it: an IP address, or a name (lower case, no trailing
/// dot).
#[derive(Debug, PartialEq, Eq)]
enum Host {
    Ip(IpAddr),
    Name(String),
}

impl Host {
    fn of(host: &str) -> Host {
        let bare = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        match bare.parse::<IpAddr>() {
            Ok(ip) => Host::Ip(ip),
            Err(_) => Host::Name(bare.trim_end_matches('.').to_ascii_lowercase()),
        }
    }

    fn is_loopback(&self) -> bool {
        match self {
            Host::Ip(IpAddr::V4(ip)) => ip.is_loopback(),
            Host::Ip(IpAddr::V6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            Host::Name(name) => name == "localhost",
        }
    }
}

/// `no_proxy`: the destinations that bypass the proxy.
#[derive(Clone, Debug, Default)]
struct NoProxy {
    all: bool,
    entries: Vec<Entry>,
}

#[derive(Clone, Debug)]
struct Entry {
    what: Matching,
    /// Only this port, when the entry named one.
    port: Option<u16>,
}

#[derive(Clone, Debug)]
enum Matching {
    /// A name, lower case, without leading or trailing dots: itself and its subdomains.
    Domain(String),
    /// An address and the number of leading bits that must match.
    Network(IpAddr, u8),
}

impl NoProxy {
    fn parse(text: &str) -> NoProxy {
        let mut list = NoProxy::default();
        for token in text.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
            if token == "*" {
                list.all = true;
                continue;
            }
            if let Some(entry) = Entry::parse(token) {
                list.entries.push(entry);
            }
        }
        list
    }

    fn matches(&self, host: &Host, port: u16) -> bool {
        self.all
            || self
                .entries
                .iter()
                .any(|e| e.port.is_none_or(|p| p == port) && e.what.matches(host))
    }
}

impl Entry {
    fn parse(token: &str) -> Option<Entry> {
        // `[v6]:port`, `[v6]`, `v4:port`, `name:port`; a bare IPv6 address has colons of its own.
        let (host, port) = if let Some(rest) = token.strip_prefix('[') {
            let (host, after) = rest.split_once(']')?;
            (host, after.strip_prefix(':'))
        } else if token.matches(':').count() == 1 {
            let (host, port) = token.split_once(':')?;
            (host, Some(port))
        } else {
            (token, None)
        };
        let port = match port {
            Some(p) => Some(p.parse::<u16>().ok()?),
            None => None,
        };
        let what = match host.split_once('/') {
            Some((ip, bits)) => {
                let ip: IpAddr = ip.parse().ok()?;
                let max = if ip.is_ipv4() { 32 } else { 128 };
                let bits: u8 = bits.parse().ok().filter(|b| *b <= max)?;
                Matching::Network(ip, bits)
            }
            None => match host.parse::<IpAddr>() {
                Ok(ip) => Matching::Network(ip, if ip.is_ipv4() { 32 } else { 128 }),
                Err(_) => {
                    let name = host.trim_matches('.').to_ascii_lowercase();
                    if name.is_empty() {
                        return None;
                    }
                    Matching::Domain(name)
                }
            },
        };
        Some(Entry { what, port })
    }
}

impl Matching {
    fn matches(&self, host: &Host) -> bool {
        match (self, host) {
            (Matching::Domain(d), Host::Name(name)) => {
                name == d
                    || name
                        .strip_suffix(d.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            }
            (Matching::Network(net, bits), Host::Ip(ip)) => in_network(*ip, *net, *bits),
            _ => false,
        }
    }
}

/// Whether `ip` shares the first `bits` bits of `net` (same family only).
fn in_network(ip: IpAddr, net: IpAddr, bits: u8) -> bool {
    let (a, b, width) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (u128::from(a.to_bits()), u128::from(b.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.to_bits(), b.to_bits(), 128),
        _ => return false,
    };
    let bits = u32::from(bits).min(width);
    if bits == 0 {
        return true;
    }
    let shift = width - bits;
    a.checked_shr(shift) == b.checked_shr(shift)
}

/// Why a connection through the proxy failed. Names the variable, never its value.
#[derive(Debug, thiserror::Error)]
pub(super) enum TunnelFailed {
    #[error("plain http is never sent through a proxy ({var}): only https goes through one")]
    PlainHttp { var: &'static str },
    /// The proxy could not be reached, or dropped the connection: another attempt may work.
    #[error("the proxy in {var} {cause}")]
    Unreached { var: &'static str, cause: String },
    /// The proxy answered, and not with a tunnel: every attempt would get the same.
    #[error("the proxy in {var} {cause}")]
    Refused { var: &'static str, cause: String },
}

impl TunnelFailed {
    /// Whether another attempt would meet the same refusal.
    pub(super) fn is_permanent(&self) -> bool {
        !matches!(self, TunnelFailed::Unreached { .. })
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The connector under TLS: straight to the host, or a `CONNECT` tunnel through the run's
/// proxy when it intercepts the destination.
#[derive(Clone)]
pub(super) struct Connector {
    direct: HttpConnector,
    proxy: Option<Proxy>,
}

impl Connector {
    pub(super) fn new(proxy: Option<Proxy>) -> Self {
        let mut direct = HttpConnector::new();
        // TLS is layered on top by hyper-rustls: this connector sees https URIs too.
        direct.enforce_http(false);
        Self { direct, proxy }
    }
}

impl tower::Service<Uri> for Connector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let https = dst.scheme_str() == Some("https");
        let port = dst.port_u16().unwrap_or(if https { 443 } else { 80 });
        let through = self
            .proxy
            .as_ref()
            .filter(|p| p.intercepts(dst.host().unwrap_or_default(), port))
            .cloned();
        let mut direct = self.direct.clone();
        Box::pin(async move {
            let Some(proxy) = through else {
                return tower::Service::call(&mut direct, dst)
                    .await
                    .map_err(Into::into);
            };
            if !https {
                return Err(TunnelFailed::PlainHttp { var: proxy.var }.into());
            }
            let host = dst.host().unwrap_or_default();
            let tcp = tower::Service::call(&mut direct, proxy.uri.clone())
                .await
                .map_err(|e| proxy.failed(format!("could not be reached ({})", deepest(&e))))?;
            let tunnel = open_tunnel(tcp.into_inner(), &format!("{host}:{port}"), &proxy).await?;
            Ok(TokioIo::new(tunnel))
        })
    }
}

impl Proxy {
    fn failed(&self, cause: String) -> TunnelFailed {
        TunnelFailed::Unreached {
            var: self.var,
            cause,
        }
    }

    fn refused(&self, cause: String) -> TunnelFailed {
        TunnelFailed::Refused {
            var: self.var,
            cause,
        }
    }
}

/// The most a proxy's answer to `CONNECT` may take before its blank line.
const MAX_ANSWER_HEAD: usize = 8 * 1024;

/// Asks the proxy on `tcp` for a tunnel to `authority` (`host:port`, as a URI spells them) and
/// reads its answer head: any 2xx opens it, and then the stream is the destination's. Only
/// `Host` and, with credentials, `Proxy-Authorization` are sent: nothing of the request that
/// will run inside.
async fn open_tunnel(
    mut tcp: TcpStream,
    authority: &str,
    proxy: &Proxy,
) -> Result<TcpStream, TunnelFailed> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let auth = SecretValue::new(
        proxy
            .auth
            .as_ref()
            .map(|a| format!("Proxy-Authorization: {}\r\n", a.expose()))
            .unwrap_or_default(),
    );
    let head = SecretValue::new(format!(
        "CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n{}\r\n",
        auth.expose()
    ));
    tcp.write_all(head.expose().as_bytes())
        .await
        .map_err(|e| proxy.failed(format!("could not be reached ({e})")))?;
    let mut answer = Vec::with_capacity(512);
    let mut chunk = [0u8; 512];
    let end = loop {
        let n = tcp
            .read(&mut chunk)
            .await
            .map_err(|e| proxy.failed(format!("closed the connection ({e})")))?;
        if n == 0 {
            return Err(proxy.failed("closed the connection before opening the tunnel".into()));
        }
        answer.extend_from_slice(chunk.get(..n).unwrap_or_default());
        if let Some(at) = answer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        if answer.len() > MAX_ANSWER_HEAD {
            return Err(proxy.refused("answered the tunnel request with a head too long".into()));
        }
    };
    if end != answer.len() {
        // The destination speaks only after our TLS hello: anything more is the proxy's own.
        return Err(proxy.refused("sent data of its own before the tunnel opened".into()));
    }
    match status_of(&answer) {
        Some(200..=299) => Ok(tcp),
        Some(407) if proxy.auth.is_some() => Err(proxy.refused(
            "refused the credentials in its URL (407 Proxy Authentication Required)".into(),
        )),
        Some(407) => Err(proxy.refused(
            "asks for credentials (407 Proxy Authentication Required): give them as \
             http://USER:PASSWORD@HOST:PORT"
                .into(),
        )),
        Some(code) => Err(proxy.refused(format!(
            "refused to open a tunnel to the API (HTTP {code}); if the API is reachable \
             directly, list its host in NO_PROXY"
        ))),
        None => Err(proxy.refused("answered the tunnel request with no HTTP status".into())),
    }
}

/// The status code of an HTTP/1 answer head (`HTTP/1.1 200 Connection established`).
fn status_of(head: &[u8]) -> Option<u16> {
    let line = head.split(|b| *b == b'\n').next()?;
    let line = std::str::from_utf8(line).ok()?;
    let mut parts = line.split_ascii_whitespace();
    let version = parts.next()?;
    if !version.starts_with("HTTP/1.") {
        return None;
    }
    let code = parts.next()?;
    (code.len() == 3)
        .then(|| code.parse::<u16>().ok())
        .flatten()
}

/// An error's deepest cause, in words (a connection refused, a name that does not resolve).
fn deepest(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = s.to_string();
        source = s.source();
    }
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests;
