//! The HTTP(S) server: one tokio runtime on a background thread, an accept loop per service
//! (the API; the runner's ID-token service and the token exchange when asked for), and one
//! hyper connection per socket served by an axum router. Each connection carries a kill switch
//! so a handler can close it without answering (the `Drop` faults).

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;

use crate::handler::{self, ConnKill, Ctx};
use crate::state::State;
use crate::{Options, Service, TlsConfig};

/// The running server: one runtime, and one listener per service (the API from the start, the
/// runner's ID-token service and the token exchange when first asked for).
pub(crate) struct ServerHandle {
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    rt: tokio::runtime::Handle,
    shared: Arc<Mutex<State>>,
    tls: Option<TlsAcceptor>,
    listeners: Mutex<HashMap<Service, Listener>>,
}

/// One service's listener: its port (kept across a restart), base URL, and the switch that
/// stops it (`None` while it is down).
struct Listener {
    port: u16,
    url: String,
    up: Option<Up>,
}

/// A running accept loop: dropping `stop` stops it; `closed` says when its socket is closed.
struct Up {
    stop: watch::Sender<()>,
    closed: std::sync::mpsc::Receiver<()>,
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

    /// The base URL of a service, starting its listener on first use.
    pub fn url(&self, service: Service) -> io::Result<String> {
        let mut listeners = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(l) = listeners.get(&service) {
            return Ok(l.url.clone());
        }
        let (up, port) = self.listen(service, 0)?;
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let url = format!("{scheme}://127.0.0.1:{port}");
        listeners.insert(
            service,
            Listener {
                port,
                url: url.clone(),
                up: Some(up),
            },
        );
        Ok(url)
    }

    /// Take a service down (its port then refuses connections, and the connections it had are
    /// closed) or bring it back up on the same port.
    pub fn set_down(&self, service: Service, down: bool) -> io::Result<()> {
        self.url(service)?;
        let mut listeners = self.listeners.lock().unwrap_or_else(|e| e.into_inner());
        let Some(l) = listeners.get_mut(&service) else {
            return Ok(());
        };
        if down {
            // Dropping the sender stops the accept loop and every connection it served; wait
            // until its socket is closed, so that the next connection is refused.
            if let Some(up) = l.up.take() {
                drop(up.stop);
                let _ = up.closed.recv_timeout(Duration::from_secs(5));
            }
        } else if l.up.is_none() {
            let (up, _) = self.listen(service, l.port)?;
            l.up = Some(up);
        }
        Ok(())
    }

    fn listen(&self, service: Service, port: u16) -> io::Result<(Up, u16)> {
        let std_listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        std_listener.set_nonblocking(true)?;
        let port = std_listener.local_addr()?.port();
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        let ctx = Arc::new(Ctx {
            shared: self.shared.clone(),
            scheme: scheme.to_string(),
            service,
        });
        let (stop, rx) = watch::channel(());
        let (closed_tx, closed) = std::sync::mpsc::channel();
        let tls = self.tls.clone();
        self.rt.spawn(async move {
            accept_loop(std_listener, tls, ctx, rx).await;
            let _ = closed_tx.send(());
        });
        Ok((Up { stop, closed }, port))
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
    let tls = opts.tls.as_ref().map(acceptor).transpose()?;
    let (tx, rx) = oneshot::channel::<()>();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("fake-github-worker")
        .enable_all()
        .build()?;
    let handle = rt.handle().clone();
    let thread = std::thread::Builder::new()
        .name("fake-github".into())
        .spawn(move || {
            rt.block_on(async {
                let _ = rx.await;
            });
            rt.shutdown_timeout(Duration::from_millis(200));
        })?;
    let server = ServerHandle {
        stop: Some(tx),
        thread: Some(thread),
        rt: handle,
        shared,
        tls,
        listeners: Mutex::new(HashMap::new()),
    };
    let (up, port) = match server.listen(Service::Api, opts.port) {
        Ok(b) => b,
        Err(e) => {
            server.shutdown();
            return Err(e);
        }
    };
    let scheme = if server.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://127.0.0.1:{port}");
    server
        .listeners
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(
            Service::Api,
            Listener {
                port,
                url: url.clone(),
                up: Some(up),
            },
        );
    Ok((server, url))
}

async fn accept_loop(
    std_listener: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
    ctx: Arc<Ctx>,
    mut up: watch::Receiver<()>,
) {
    let Ok(listener) = TcpListener::from_std(std_listener) else {
        return;
    };
    let shared = ctx.shared.clone();
    let router = Router::new().fallback(handler::handle).with_state(ctx);
    loop {
        tokio::select! {
            // The sender dropped: the service is down (or the fake is stopping).
            _ = up.changed() => break,
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    let tls = tls.clone().map(|acceptor| (acceptor, shared.clone()));
                    tokio::spawn(serve_socket(stream, tls, router.clone(), up.clone()));
                }
            }
        }
    }
}

/// Serves one socket: over TLS when an acceptor is given (a failed handshake is counted in the
/// state, [`State::tls_refused`]), else plain HTTP.
async fn serve_socket(
    stream: TcpStream,
    tls: Option<(TlsAcceptor, Arc<Mutex<State>>)>,
    router: Router,
    up: watch::Receiver<()>,
) {
    let _ = stream.set_nodelay(true);
    match tls {
        None => serve_conn(TokioIo::new(stream), router, up).await,
        Some((acc, shared)) => match acc.accept(stream).await {
            Ok(s) => serve_conn(TokioIo::new(s), router, up).await,
            Err(_) => shared.lock().unwrap_or_else(|e| e.into_inner()).tls_refused += 1,
        },
    }
}

async fn serve_conn<I>(io: I, router: Router, mut up: watch::Receiver<()>)
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
        // The service went down: its connections close with it.
        _ = up.changed() => {}
    }
}
