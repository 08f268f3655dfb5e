//! The service stack octocrab runs over: hyper over rustls (ring) with the system's roots, the
//! base URI, the token (only to the API's own host) and one User-Agent, ours; connections
//! through the run's proxy when it has one ([`super::proxy`]).

use octocrab::Octocrab;

use super::proxy::{Connector, Proxy};
use crate::github::error::ApiError;
use crate::github::url::ApiUrl;
use crate::secret::SecretValue;

/// rustls needs a process-wide crypto provider; ours is ring.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// What every request says it is: GitHub asks for a User-Agent that names the tool.
pub(crate) const USER_AGENT: &str = concat!("secret-refresh/", env!("CARGO_PKG_VERSION"));

/// octocrab over our own service stack. Its default builder always adds `User-Agent: octocrab`
/// (appended, so a second value would not replace it); built from parts, every request carries
/// exactly one User-Agent, ours. The stack, outermost first: the base URI, the token (only to
/// the API's own host), the User-Agent, then hyper over rustls (ring) with the system's roots
/// (`SSL_CERT_FILE` honoured), over a direct connection or a `CONNECT` tunnel through
/// `https_proxy` ([`super::proxy`]). Deadlines are [`Policy::request_timeout`], set per request.
pub(super) fn octocrab_for(
    api: &ApiUrl,
    token: Option<&SecretValue>,
) -> Result<Octocrab, ApiError> {
    use octocrab::service::middleware::auth_header::AuthHeaderLayer;
    use octocrab::service::middleware::base_uri::BaseUriLayer;
    use tower::ServiceBuilder;
    use tower_http::set_header::SetRequestHeaderLayer;

    install_crypto_provider();
    let proxy = Proxy::of_run().map_err(|e| ApiError::Setup(e.to_string()))?;
    let base: http::Uri = api
        .as_str()
        .parse()
        .map_err(|_| ApiError::Setup("the API URL was not accepted".into()))?;
    // No token: no `Authorization` at all (`POST /credentials/revoke` refuses one).
    let auth = match token {
        Some(token) => {
            let mut auth = http::HeaderValue::from_str(&format!("Bearer {}", token.expose()))
                .map_err(|_| ApiError::Setup("the token is not a header value".into()))?;
            auth.set_sensitive(true);
            Some(auth)
        }
        None => None,
    };
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::ring::default_provider())
        .map_err(|e| {
            ApiError::Setup(format!(
                "{e} (no CA certificates found: set SSL_CERT_FILE to a PEM bundle)"
            ))
        })?
        .https_or_http()
        .enable_http1()
        .wrap_connector(Connector::new(proxy));
    let hyper = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build(connector);
    let service = ServiceBuilder::new()
        .layer(BaseUriLayer::new(base.clone()))
        .layer(AuthHeaderLayer::new(auth, base.clone(), base))
        .layer(SetRequestHeaderLayer::overriding(
            http::header::USER_AGENT,
            http::HeaderValue::from_static(USER_AGENT),
        ))
        .service(hyper);
    octocrab::OctocrabBuilder::new_empty()
        .with_service(service)
        .with_auth(octocrab::AuthState::None)
        .build()
        .map_err(|e| match e {})
}
