//! The URL policy: where a token may be sent. Decided once, from the parsed URL (the WHATWG URL
//! standard, as browsers parse it), when a client is built — the only place one can be.
//!
//! - https, to any host; plain http only to this machine: `localhost`, an IPv4 loopback address
//!   in any spelling the standard normalises (`127.1`, `0x7f.0.0.1`, `2130706433`), `[::1]`, or
//!   an IPv4-mapped IPv6 loopback (`[::ffff:127.0.0.1]`).
//! - No user-info (`https://user:pw@host`): refused without echoing it.
//! - A URL that fails to parse is never printed back: the error names the cause only.

use std::fmt;

use url::{Host, Url};

/// Why an API URL is refused. Never holds the URL's user-info, nor the text of a URL that did
/// not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("`api-url` is not a URL ({0})")]
    Unparseable(url::ParseError),
    #[error(
        "`api-url` holds a user name or password: give the token through `token` (or GH_TOKEN), \
         never in the URL"
    )]
    UserInfo,
    #[error(
        "the API URL {origin} is plain http to a host that is not this machine: the token is \
         sent only over https, or over plain http to localhost"
    )]
    PlainHttp { origin: String },
    #[error("`api-url` must be an https URL, not {scheme}:")]
    Scheme { scheme: String },
    #[error("`api-url` must not hold a query or a fragment")]
    QueryOrFragment,
}

/// A GitHub REST API base URL that passed the policy. Its text has no user-info and no
/// trailing slash, so it can be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiUrl {
    url: Url,
}

impl ApiUrl {
    /// Parses `text` and applies the policy.
    pub fn parse(text: &str) -> Result<ApiUrl, UrlError> {
        let url = Url::parse(text.trim()).map_err(UrlError::Unparseable)?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlError::UserInfo);
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(url.host()) => {}
            "http" => {
                return Err(UrlError::PlainHttp {
                    origin: url.origin().ascii_serialization(),
                })
            }
            other => {
                return Err(UrlError::Scheme {
                    scheme: crate::output::redact::cut(other, 20),
                })
            }
        }
        if url.host().is_none() {
            return Err(UrlError::Unparseable(url::ParseError::EmptyHost));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(UrlError::QueryOrFragment);
        }
        Ok(ApiUrl { url })
    }

    /// The base URL without a trailing slash (`https://ghe.example/api/v3`).
    pub fn as_str(&self) -> &str {
        self.url.as_str().trim_end_matches('/')
    }

    /// The host as `gh` names it, for `gh auth token --hostname`: `github.com` for
    /// `api.github.com`, `TENANT.ghe.com` for `api.TENANT.ghe.com`, else the host (and a port
    /// other than the default), as GitHub Enterprise Server's API lives on its own host.
    pub fn gh_hostname(&self) -> String {
        let host = self.url.host_str().unwrap_or_default().to_ascii_lowercase();
        if host == "api.github.com" {
            return "github.com".to_owned();
        }
        if let Some(tenant) = host
            .strip_prefix("api.")
            .filter(|rest| rest.ends_with(".ghe.com"))
        {
            return tenant.to_owned();
        }
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host,
        }
    }

    /// Whether this is a GitHub Enterprise Server, whose token is not github.com's: `gh`'s rule
    /// (go-gh `auth.IsEnterprise`). github.com and its subdomains (`api.github.com`), GitHub
    /// Enterprise Cloud with data residency (`*.ghe.com`) and this machine (a test double, as
    /// `gh` treats `github.localhost`) take github.com's token (`GH_TOKEN`, `GITHUB_TOKEN`);
    /// every other host is an Enterprise Server and takes its own (`GH_ENTERPRISE_TOKEN`,
    /// `GITHUB_ENTERPRISE_TOKEN`). Decided from the parsed host, never from the spelling.
    pub fn is_enterprise_server(&self) -> bool {
        let host = self.url.host();
        if is_loopback(host.clone()) {
            return false;
        }
        let Some(Host::Domain(domain)) = host else {
            return true;
        };
        let d = domain.to_ascii_lowercase();
        let under = |parent: &str| d == parent || d.ends_with(&format!(".{parent}"));
        !(under("github.com") || d.ends_with(".ghe.com") || under("github.localhost"))
    }

    /// Whether GitHub's credential revocation API is sent here: `api.github.com` (the only
    /// place GitHub serves it without authentication), or this machine (a test double).
    /// GitHub Enterprise Server and any other host are refused.
    pub fn serves_credential_revocation(&self) -> bool {
        let github = self.url.scheme() == "https"
            && self
                .url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case("api.github.com"))
            && self.url.port().is_none()
            && self.url.path().trim_end_matches('/').is_empty();
        github || is_loopback(self.url.host())
    }

    pub(crate) fn url(&self) -> &Url {
        &self.url
    }
}

impl fmt::Display for ApiUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ApiUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiUrl({})", self.as_str())
    }
}

/// Why the URL of a service beside the API (the runner's ID-token service, a token exchange)
/// is refused. `what` names it as the user gave it (`` `sts-url` ``,
/// `ACTIONS_ID_TOKEN_REQUEST_URL`). Never holds user-info nor the text of a URL that did not
/// parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceUrlError {
    #[error("{what} is not a URL ({cause})")]
    Unparseable {
        what: &'static str,
        cause: url::ParseError,
    },
    #[error("{what} holds a user name or password: refused")]
    UserInfo { what: &'static str },
    #[error(
        "{what} ({origin}) is plain http to a host that is not this machine: a credential is \
         sent only over https, or over plain http to localhost"
    )]
    PlainHttp { what: &'static str, origin: String },
    #[error("{what} must be an https URL, not {scheme}:")]
    Scheme { what: &'static str, scheme: String },
    #[error("{what} must not hold {held}")]
    Held {
        what: &'static str,
        held: &'static str,
    },
}

/// The URL of a service beside GitHub's API that a credential is sent to: the runner's
/// ID-token service (`ACTIONS_ID_TOKEN_REQUEST_URL`, which carries a query) or a token
/// exchange (`sts-url`). The same policy as [`ApiUrl`]: https anywhere, plain http only to this
/// machine, no user-info, no fragment.
#[derive(Clone, PartialEq, Eq)]
pub struct ServiceUrl {
    url: Url,
}

impl ServiceUrl {
    /// Parses `text` and applies the policy; a query is allowed only when `query` is true.
    pub fn parse(
        text: &str,
        what: &'static str,
        query: bool,
    ) -> Result<ServiceUrl, ServiceUrlError> {
        let url = Url::parse(text.trim())
            .map_err(|cause| ServiceUrlError::Unparseable { what, cause })?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(ServiceUrlError::UserInfo { what });
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(url.host()) => {}
            "http" => {
                return Err(ServiceUrlError::PlainHttp {
                    what,
                    origin: url.origin().ascii_serialization(),
                })
            }
            other => {
                return Err(ServiceUrlError::Scheme {
                    what,
                    scheme: other.chars().take(20).collect(),
                })
            }
        }
        if url.host().is_none() {
            return Err(ServiceUrlError::Unparseable {
                what,
                cause: url::ParseError::EmptyHost,
            });
        }
        if url.fragment().is_some() {
            return Err(ServiceUrlError::Held {
                what,
                held: "a fragment",
            });
        }
        if !query && url.query().is_some() {
            return Err(ServiceUrlError::Held {
                what,
                held: "a query",
            });
        }
        Ok(ServiceUrl { url })
    }

    /// `scheme://host[:port]`: where the requests go, as an [`ApiUrl`] (it passed the same
    /// policy), for a client.
    pub(crate) fn origin(&self) -> Result<ApiUrl, UrlError> {
        ApiUrl::parse(&self.url.origin().ascii_serialization())
    }

    /// The path (without a trailing slash) and query, to append a route or a parameter to.
    pub(crate) fn path_and_query(&self) -> String {
        let path = self.url.path().trim_end_matches('/');
        match self.url.query() {
            Some(q) => format!("{path}?{q}"),
            None => path.to_owned(),
        }
    }

    /// The host name (`sts.example.com`, `127.0.0.1`): octo-sts's default audience.
    pub fn host(&self) -> String {
        self.url.host_str().unwrap_or_default().to_owned()
    }
}

impl fmt::Display for ServiceUrl {
    /// Without its query: the runner's URL carries job ids there.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            self.url.origin().ascii_serialization(),
            self.url.path().trim_end_matches('/')
        )
    }
}

impl fmt::Debug for ServiceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServiceUrl({self})")
    }
}

/// This machine, decided from the parsed host only.
fn is_loopback(host: Option<Host<&str>>) -> bool {
    match host {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => {
            ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gh_hostnames_bind_a_token_to_the_host_it_is_sent_to() {
        for (url, host) in [
            ("https://api.github.com", "github.com"),
            ("https://API.GitHub.com/", "github.com"),
            ("https://api.acme.ghe.com", "acme.ghe.com"),
            ("https://ghes.example.com/api/v3", "ghes.example.com"),
            (
                "https://ghes.example.com:8443/api/v3",
                "ghes.example.com:8443",
            ),
            ("http://127.0.0.1:9999", "127.0.0.1:9999"),
            (
                "https://api.github.com.evil.example",
                "api.github.com.evil.example",
            ),
        ] {
            let parsed = ApiUrl::parse(url).expect(url);
            assert_eq!(parsed.gh_hostname(), host, "{url}");
        }
    }

    #[test]
    fn enterprise_servers_are_every_host_but_github_com_ghe_com_and_this_machine() {
        for (url, enterprise) in [
            ("https://api.github.com", false),
            ("https://API.GitHub.COM/", false),
            ("https://github.com/api/v3", false),
            ("https://uploads.github.com", false),
            ("https://api.acme.ghe.com", false),
            ("https://github.localhost/api/v3", false),
            ("http://127.0.0.1:9999", false),
            ("http://localhost:9", false),
            ("http://[::1]:9", false),
            ("https://ghes.example.com/api/v3", true),
            ("https://ghes.example.com:8443/api/v3", true),
            ("https://api.github.com.evil.example", true),
            ("https://evilgithub.com", true),
            ("https://ghe.com", true),
            ("https://api.github.com.", true),
            ("https://10.0.0.7/api/v3", true),
            ("https://[2001:db8::1]/api/v3", true),
        ] {
            let parsed = ApiUrl::parse(url).expect(url);
            assert_eq!(parsed.is_enterprise_server(), enterprise, "{url}");
        }
    }

    #[test]
    fn https_anywhere_and_plain_http_to_every_loopback_spelling() {
        for ok in [
            "https://api.github.com",
            "https://ghe.example/api/v3/",
            "http://127.0.0.1:8080",
            "http://127.1",
            "http://0x7f.0.0.1",
            "http://2130706433",
            "http://0177.0.0.1",
            "http://127.8.9.10",
            "http://localhost",
            "http://LOCALHOST:9/api/v3",
            "http://[::1]:9/x",
            "http://[::ffff:127.0.0.1]",
            "http://[0:0:0:0:0:ffff:7f00:1]:80",
        ] {
            assert!(ApiUrl::parse(ok).is_ok(), "{ok}: {:?}", ApiUrl::parse(ok));
        }
        assert_eq!(
            ApiUrl::parse("https://ghe.example/api/v3/")
                .expect("ok")
                .as_str(),
            "https://ghe.example/api/v3"
        );
        assert_eq!(
            ApiUrl::parse("http://127.1:8080").expect("ok").as_str(),
            "http://127.0.0.1:8080"
        );
    }

    #[test]
    fn plain_http_elsewhere_is_refused_whatever_the_spelling() {
        for bad in [
            "http://api.github.com",
            "http://localhost.evil.com",
            "http://127.0.0.1.nip.io",
            "http://ghes.example.internal:8080",
            "http://10.0.0.1",
            "http://[::ffff:10.0.0.1]",
            "http://[::2]",
            "http://0.0.0.0",
        ] {
            assert!(
                matches!(ApiUrl::parse(bad), Err(UrlError::PlainHttp { .. })),
                "{bad}: {:?}",
                ApiUrl::parse(bad)
            );
        }
        for bad in ["ftp://x", "file:///etc/passwd", "javascript:alert(1)"] {
            assert!(ApiUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn user_info_and_unparseable_urls_are_never_echoed() {
        for (bad, secret) in [
            ("https://u:hunter2@host", "hunter2"),
            ("https://hunter2@host", "hunter2"),
            ("http://u:hunter2@127.0.0.1", "hunter2"),
            ("https://u:hunter2@", "hunter2"),
            ("http://[::1:hunter2@/x", "hunter2"),
            ("api.github.com/hunter2", "hunter2"),
            ("https://hunter2 x@exa mple", "hunter2"),
            ("https://", "https"),
        ] {
            let e = ApiUrl::parse(bad).expect_err(bad);
            assert!(!e.to_string().contains(secret), "{bad}: {e}");
            assert!(!format!("{e:?}").contains(secret), "{bad}: {e:?}");
        }
        assert_eq!(ApiUrl::parse("https://u:p@host"), Err(UrlError::UserInfo));
        assert!(matches!(
            ApiUrl::parse("https://host/?x=1"),
            Err(UrlError::QueryOrFragment)
        ));
    }
}

#[cfg(test)]
mod revocation_tests {
    use super::ApiUrl;

    #[test]
    fn credential_revocation_goes_to_github_com_or_this_machine_only() {
        for (url, serves) in [
            ("https://api.github.com", true),
            ("https://API.GitHub.com/", true),
            ("http://127.0.0.1:8080", true),
            ("http://localhost:1", true),
            ("http://[::1]:9", true),
            ("https://ghes.example.com/api/v3", false),
            ("https://api.acme.ghe.com", false),
            ("https://api.github.com.evil.example", false),
            ("https://api.github.com:8443", false),
            ("https://api.github.com/api/v3", false),
        ] {
            let u = ApiUrl::parse(url).expect("url");
            assert_eq!(u.serves_credential_revocation(), serves, "{url}");
        }
    }
}

#[cfg(test)]
mod service_tests {
    use super::{ServiceUrl, ServiceUrlError};

    #[test]
    fn services_follow_the_api_policy_and_only_the_runners_url_keeps_a_query() {
        let runner = "https://pipelines.actions.githubusercontent.com/abc/idtoken?api-version=2.0";
        let u = ServiceUrl::parse(runner, "ACTIONS_ID_TOKEN_REQUEST_URL", true).expect("ok");
        assert_eq!(u.path_and_query(), "/abc/idtoken?api-version=2.0");
        assert_eq!(
            u.origin().expect("origin").as_str(),
            "https://pipelines.actions.githubusercontent.com"
        );
        assert_eq!(
            u.to_string(),
            "https://pipelines.actions.githubusercontent.com/abc/idtoken"
        );
        let sts = ServiceUrl::parse("https://sts.example.com/", "`sts-url`", false).expect("ok");
        assert_eq!(
            (sts.host().as_str(), sts.path_and_query().as_str()),
            ("sts.example.com", "")
        );
        assert!(ServiceUrl::parse("http://127.0.0.1:9/x", "`sts-url`", false).is_ok());
        for (bad, query) in [
            ("http://sts.example.com", false),
            ("http://10.0.0.1/idtoken?x=1", true),
            ("ftp://sts.example.com", false),
            ("https://sts.example.com/?x=1", false),
            ("https://sts.example.com/#x", true),
        ] {
            assert!(ServiceUrl::parse(bad, "`sts-url`", query).is_err(), "{bad}");
        }
        let e =
            ServiceUrl::parse("https://u:hunter2@sts", "`sts-url`", false).expect_err("userinfo");
        assert_eq!(e, ServiceUrlError::UserInfo { what: "`sts-url`" });
        assert!(!e.to_string().contains("hunter2"));
        let e = ServiceUrl::parse("sts/hunter2", "`sts-url`", false).expect_err("relative");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
