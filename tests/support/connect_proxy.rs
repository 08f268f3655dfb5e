//! A CONNECT proxy on 127.0.0.1, as a self-hosted runner's: it reads each request's head,
//! records it (request line and headers), and for `CONNECT host:port` opens a connection to
//! `upstream` (whatever the host: it stands in for the proxy's own name resolution) and splices
//! bytes both ways, recording every byte the client sent through the tunnel. Any other request
//! (a client sending its request to the proxy in the clear) is recorded and answered 502.
//! With `credentials` set, a CONNECT without `Proxy-Authorization: Basic` of them gets 407.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One request head as the proxy saw it.
#[derive(Clone, Debug)]
pub struct ProxySeen {
    pub request_line: String,
    /// `(name, value)`, names lower-cased.
    pub headers: Vec<(String, String)>,
}

impl ProxySeen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub struct ConnectProxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    pub seen: Arc<Mutex<Vec<ProxySeen>>>,
    /// Every byte clients sent through a tunnel, in order per tunnel, tunnels concatenated.
    pub tunnelled: Arc<Mutex<Vec<u8>>>,
}

impl ConnectProxy {
    /// A proxy that tunnels every CONNECT to `upstream` (`127.0.0.1:PORT`); with `credentials`
    /// (`Basic …` as the header carries it) required on each CONNECT.
    pub fn start(upstream: &str, credentials: Option<&str>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!(
            "http://127.0.0.1:{}",
            listener.local_addr().expect("addr").port()
        );
        let seen: Arc<Mutex<Vec<ProxySeen>>> = Arc::default();
        let tunnelled: Arc<Mutex<Vec<u8>>> = Arc::default();
        let (s, t) = (seen.clone(), tunnelled.clone());
        let upstream = upstream.to_owned();
        let credentials = credentials.map(str::to_owned);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (s, t, up, cred) =
                    (s.clone(), t.clone(), upstream.clone(), credentials.clone());
                std::thread::spawn(move || serve(conn, &s, &t, &up, cred.as_deref()));
            }
        });
        ConnectProxy {
            url,
            seen,
            tunnelled,
        }
    }

    pub fn seen(&self) -> Vec<ProxySeen> {
        self.seen.lock().expect("lock").clone()
    }

    pub fn tunnelled(&self) -> Vec<u8> {
        self.tunnelled.lock().expect("lock").clone()
    }
}

fn serve(
    conn: TcpStream,
    seen: &Mutex<Vec<ProxySeen>>,
    tunnelled: &Arc<Mutex<Vec<u8>>>,
    upstream: &str,
    credentials: Option<&str>,
) {
    let mut reader = BufReader::new(conn.try_clone().expect("clone"));
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((n, v)) = line.split_once(':') {
            headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
        }
    }
    let head = ProxySeen {
        request_line: request_line.trim_end().to_owned(),
        headers,
    };
    seen.lock().expect("lock").push(head.clone());
    let mut conn = conn;
    if !head.request_line.starts_with("CONNECT ") {
        let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    }
    if let Some(expected) = credentials {
        if head.header("proxy-authorization") != Some(expected) {
            let _ = conn.write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  proxy-authenticate: Basic realm=\"test\"\r\ncontent-length: 0\r\n\r\n",
            );
            return;
        }
    }
    let Ok(mut up) = TcpStream::connect(upstream) else {
        let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    if conn
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    // Bytes the client sent after its head are already in the reader's buffer.
    let early = reader.buffer().to_vec();
    if !early.is_empty() {
        tunnelled.lock().expect("lock").extend_from_slice(&early);
        if up.write_all(&early).is_err() {
            return;
        }
    }
    let mut down = up.try_clone().expect("clone");
    let mut back = conn.try_clone().expect("clone");
    let from_server = std::thread::spawn(move || {
        let _ = std::io::copy(&mut down, &mut back);
        let _ = back.shutdown(Shutdown::Write);
    });
    let mut buf = [0u8; 8192];
    loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                tunnelled.lock().expect("lock").extend_from_slice(chunk);
                if up.write_all(chunk).is_err() {
                    break;
                }
            }
        }
    }
    let _ = up.shutdown(Shutdown::Write);
    let _ = from_server.join();
}
