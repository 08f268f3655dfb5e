//! Hostile servers that answer whatever a scenario says: a tiny HTTP/1.1 server on 127.0.0.1 (a
//! thread in the test), for answers no GitHub would give. Adopted from the adversarial review.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One request as the hostile server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
}

/// A hostile server: `answer(method, path)` gives (status, extra headers, body).
pub struct Hostile {
    pub url: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    /// Body bytes written to the client so far.
    pub bytes_sent: Arc<AtomicU64>,
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);
type Handler = dyn Fn(&str, &str, Option<&str>) -> Answer + Send + Sync;

pub fn hostile(answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> Hostile {
    hostile_with_auth(move |m, p, _| answer(m, p))
}

/// [`hostile`], with the request's `Authorization` header given to the scenario.
pub fn hostile_with_auth(
    answer: impl Fn(&str, &str, Option<&str>) -> Answer + Send + Sync + 'static,
) -> Hostile {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://127.0.0.1:{}",
        listener.local_addr().expect("addr").port()
    );
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let bytes_sent: Arc<AtomicU64> = Arc::default();
    let answer: Arc<Handler> = Arc::new(answer);
    let (s, b) = (seen.clone(), bytes_sent.clone());
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(conn) = conn else { continue };
            let (s, b, answer) = (s.clone(), b.clone(), answer.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::new(conn.try_clone().expect("clone"));
                let mut conn = conn;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut parts = line.split_whitespace();
                    let method = parts.next().unwrap_or_default().to_owned();
                    let path = parts.next().unwrap_or_default().to_owned();
                    let (mut len, mut auth) = (0usize, None);
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        let h = h.trim_end();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                len = v.trim().parse().unwrap_or(0);
                            }
                            if k.eq_ignore_ascii_case("authorization") {
                                auth = Some(v.trim().to_owned());
                            }
                        }
                    }
                    let mut body = vec![0; len];
                    let _ = reader.read_exact(&mut body);
                    let (status, headers, body) = answer(&method, &path, auth.as_deref());
                    s.lock().expect("lock").push(Seen {
                        method: method.clone(),
                        path: path.clone(),
                        authorization: auth,
                    });
                    let mut head =
                        format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\n", body.len());
                    for (k, v) in headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    if conn.write_all(head.as_bytes()).is_err() || conn.write_all(&body).is_err() {
                        return;
                    }
                    b.fetch_add(body.len() as u64, Ordering::Relaxed);
                }
            });
        }
    });
    Hostile {
        url,
        seen,
        bytes_sent,
    }
}

pub fn json(status: u16, body: serde_json::Value) -> (u16, Vec<(String, String)>, Vec<u8>) {
    (
        status,
        vec![("content-type".into(), "application/json".into())],
        body.to_string().into_bytes(),
    )
}
