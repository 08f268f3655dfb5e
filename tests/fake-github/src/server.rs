//! The HTTP(S) server: one tokio runtime on a background thread, an accept loop, and one
//! hyper connection per socket served by an axum router. Each connection carries a kill switch
//! so a handler can close it without answering (the `Drop` faults).

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, Notify};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::handler::{self, ConnKill, Ctx};
use crate::state::State;
use crate::{Options, TlsConfig};

pub(crate) struct ServerHandle {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ServerHandle {
    pub fn shutdown(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn io_err(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(e.to_string())
}

/// A self-signed certificate for `hosts` (DNS names or IP addresses, e.g. `["localhost",
/// "127.0.0.1"]`): `(cert_pem, key_pem)`.
pub fn self_signed(hosts: &[&str]) -> (String, String) {
    let names: Vec<String> = hosts.iter().map(|h| h.to_string()).collect();
    let ck =
        rcgen::generate_simple_self_signed(names).expect("fake-github: self-signed certificate");
    (ck.cert.pem(), ck.key_pair.serialize_pem())
}

fn acceptor(cfg: &TlsConfig) -> io::Result<TlsAcceptor> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = CertificateDer::pem_slice_iter(cfg.cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(io_err)?;
    let key = PrivateKeyDer::from_pem_slice(cfg.key_pem.as_bytes()).map_err(io_err)?;
    let mut sc = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(io_err)?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(io_err)?;
    sc.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(sc)))
}

pub(crate) fn spawn(
    shared: Arc<Mutex<State>>,
    opts: Options,
) -> io::Result<(ServerHandle, String)> {
    let std_listener = std::net::TcpListener::bind(("127.0.0.1", opts.port))?;
    std_listener.set_nonblocking(true)?;
    let port = std_listener.local_addr()?.port();
    let tls = opts.tls.as_ref().map(acceptor).transpose()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    let url = format!("{scheme}://127.0.0.1:{port}");
    let ctx = Arc::new(Ctx {
        shared,
        scheme: scheme.to_string(),
    });
    let (tx, rx) = oneshot::channel::<()>();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fake-github-worker")
        .enable_all()
        .build()?;
    let thread = std::thread::Builder::new()
        .name("fake-github".into())
        .spawn(move || {
            rt.block_on(accept_loop(std_listener, tls, ctx, rx));
            rt.shutdown_timeout(Duration::from_millis(200));
        })?;
    Ok((
        ServerHandle {
            stop: Some(tx),
            thread: Some(thread),
        },
        url,
    ))
}

async fn accept_loop(
    std_listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    ctx: Arc<Ctx>,
    mut stop: oneshot::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(std_listener) else {
        return;
    };
    let router = Router::new().fallback(handler::handle).with_state(ctx);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(serve_socket(stream, tls.clone(), router.clone()));
                }
            }
        }
    }
}

async fn serve_socket(stream: TcpStream, tls: Option<TlsAcceptor>, router: Router) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_conn(TokioIo::new(stream), router).await,
        Some(acc) => {
            if let Ok(s) = acc.accept(stream).await {
                serve_conn(TokioIo::new(s), router).await
            }
        }
    }
}

async fn serve_conn<I>(io: I, router: Router)
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let kill = Arc::new(Notify::new());
    let k = kill.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(ConnKill(k.clone()));
        let r = router.clone();
        async move { r.oneshot(req.map(axum::body::Body::new)).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .serve_connection(io, svc);
    tokio::select! {
        _ = conn => {}
        _ = kill.notified() => {}
    }
}
