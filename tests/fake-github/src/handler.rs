//! One handler for every request: record it, apply latency and faults, authenticate, count
//! rate limits, route by path segments, check permissions, answer as GitHub's REST description
//! says.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Request, State as AxState};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::{json, Map, Value};
use time::OffsetDateTime;
use tokio::sync::Notify;

use crate::echo;
use crate::state::{lc, Account, Repo, ScopeKey, State};
use crate::{App, FaultKind, Recorded, Service, Stored, TokenKind, TokenSpec, AGENTS_API_VERSION};

pub(crate) struct Ctx {
    pub shared: Arc<Mutex<State>>,
    pub scheme: String,
    /// Which service this listener serves.
    pub service: Service,
}

impl Ctx {
    fn lock<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        let mut g = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut g)
    }
}

/// Closes the connection the request came on, without an answer.
#[derive(Clone)]
pub(crate) struct ConnKill(pub Arc<Notify>);

const DOCS: &str = "https://docs.github.com/rest";
const SECONDARY_MSG: &str = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID";
/// Where GitHub's secondary-rate-limit answers point.
const SECONDARY_DOCS: &str =
    "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
const MAX_VALUE_BYTES: usize = 48 * 1024;

/// An answer before it becomes an HTTP response.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Some(body),
        }
    }
    pub(crate) fn empty(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: None,
        }
    }
    pub(crate) fn error(status: u16, message: &str) -> Reply {
        Reply::json(
            status,
            json!({"message": message, "documentation_url": DOCS, "status": status.to_string()}),
        )
    }
    pub(crate) fn not_found() -> Reply {
        Reply::error(404, "Not Found")
    }
    pub(crate) fn invalid(message: &str) -> Reply {
        Reply::error(422, message)
    }
    pub(crate) fn validation(field: &str, message: &str) -> Reply {
        Reply::json(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": "Secret", "code": "invalid", "field": field, "message": message}],
                "documentation_url": DOCS,
                "status": "422",
            }),
        )
    }
    pub(crate) fn header(mut self, k: &str, v: impl Into<String>) -> Reply {
        self.set(k, v);
        self
    }
    pub(crate) fn set(&mut self, k: &str, v: impl Into<String>) {
        let v = v.into();
        if let Some(h) = self.headers.iter_mut().find(|(n, _)| n == k) {
            h.1 = v;
        } else {
            self.headers.push((k.to_string(), v));
        }
    }
    pub(crate) fn has(&self, k: &str) -> bool {
        self.headers.iter().any(|(n, _)| n == k)
    }

    fn into_response(self) -> Response {
        let mut resp = match &self.body {
            Some(v) => {
                let mut r = Response::new(Body::from(v.to_string()));
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json; charset=utf-8"),
                );
                r
            }
            None => Response::new(Body::empty()),
        };
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        for (k, v) in self.headers {
            if let (Ok(n), Ok(v)) = (HeaderName::try_from(k), HeaderValue::try_from(v)) {
                resp.headers_mut().insert(n, v);
            }
        }
        resp
    }
}

/// What the handler needs of a request.
pub(crate) struct Req {
    /// When the request's head arrived (the log's `at`, and the instant the secondary limits
    /// count it at).
    pub(crate) arrived: std::time::Instant,
    pub(crate) method: String,
    pub(crate) raw_path: String,
    pub(crate) query: Option<String>,
    pub(crate) body: Vec<u8>,
    pub(crate) token: Option<String>,
    /// Whether the request carried an `Authorization` header at all (any scheme).
    pub(crate) authorized: bool,
    /// `X-GitHub-Api-Version` as sent (several values joined by `, `).
    pub(crate) api_version: Option<String>,
    /// scheme://host plus `/api/v3` when the request used that prefix (GitHub Enterprise
    /// style, as `gh` sends for a non-github.com host).
    pub(crate) base: String,
    pub(crate) request_id: String,
    /// How many `Authorization` headers the request carried.
    pub(crate) authorizations: usize,
}

fn parse_auth(v: &str) -> Option<String> {
    let v = v.trim();
    let (scheme, rest) = v.split_once(' ')?;
    if scheme.eq_ignore_ascii_case("bearer") || scheme.eq_ignore_ascii_case("token") {
        let t = rest.trim();
        (!t.is_empty()).then(|| t.to_string())
    } else {
        None
    }
}

pub(crate) async fn handle(AxState(ctx): AxState<Arc<Ctx>>, req: Request) -> Response {
    // Arrival: before the body is read, so the log's `at` is when the request came.
    let arrived = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let kill = parts.extensions.get::<ConnKill>().cloned();
    let body = axum::body::to_bytes(body, 16 * 1024 * 1024)
        .await
        .map(|b| b.to_vec())
        .unwrap_or_default();
    let method = parts.method.as_str().to_string();
    let raw_path = parts.uri.path().to_string();
    let query = parts.uri.query().map(str::to_string);
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let authorizations = parts.headers.get_all(header::AUTHORIZATION).iter().count();
    let service = ctx.service;
    let user_agents: Vec<String> = parts
        .headers
        .get_all(header::USER_AGENT)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let versions: Vec<&str> = parts
        .headers
        .get_all("x-github-api-version")
        .iter()
        .map(|v| v.to_str().unwrap_or("(not text)"))
        .collect();
    let api_version = (!versions.is_empty()).then(|| versions.join(", "));
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "127.0.0.1".to_string());
    let prefix = if raw_path == "/api/v3" || raw_path.starts_with("/api/v3/") {
        "/api/v3"
    } else {
        ""
    };

    let (seq, fault, latency, request_id) = ctx.lock(|s| {
        let fault = s.take_fault(service, &method, &raw_path);
        let seq = s.next_seq();
        s.requests.push(Recorded {
            service,
            method: method.clone(),
            path: raw_path.clone(),
            query: query.clone(),
            status: 0,
            body: String::from_utf8_lossy(&body).into_owned(),
            authorization: authorization.clone(),
            user_agents,
            api_version: api_version.clone(),
            fault: fault.as_ref().map(FaultKind::label),
            at: arrived.saturating_duration_since(s.started),
            seq,
            echoed: Vec::new(),
        });
        let rid = format!(
            "{:04X}:{:04X}:{:06X}:{:07X}:{:08X}",
            seq & 0xFFFF,
            (seq * 7919) & 0xFFFF,
            (seq * 104_729) & 0xFF_FFFF,
            (seq * 1_299_709) & 0xFFF_FFFF,
            seq
        );
        (seq, fault, s.opts.latency, rid)
    });

    let mut delay = latency;
    if let Some(FaultKind::Latency(d)) = &fault {
        delay += *d;
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    if matches!(fault, Some(FaultKind::Drop)) {
        return drop_connection(kill).await;
    }
    if let Some(resp) = fault.as_ref().and_then(hostile_response) {
        let status = resp.status().as_u16();
        ctx.lock(|s| {
            if let Some(rec) = s.requests.iter_mut().rev().find(|x| x.seq == seq) {
                rec.status = status;
            }
        });
        return resp;
    }

    let r = Req {
        arrived,
        method,
        raw_path,
        query,
        body,
        token: authorization.as_deref().and_then(parse_auth),
        authorized: authorization.is_some(),
        api_version,
        base: format!("{}://{}{}", ctx.scheme, host, prefix),
        request_id,
        authorizations,
    };
    let reply = ctx.lock(|s| {
        let mut reply = match service {
            Service::Api => process(s, &r, fault.as_ref()),
            Service::IdToken => crate::keyless::id_token(s, &r, fault.as_ref()),
            Service::Sts => crate::keyless::exchange(s, &r, fault.as_ref()),
        };
        // GitHub dates every answer; the fake from its own clock, so a set clock shows here.
        reply.set("date", http_date(s.now()));
        match &fault {
            Some(FaultKind::Link(link)) => reply.set("link", link.replace("{base}", &r.base)),
            Some(FaultKind::Hostile { find, replace }) => {
                if let Some(body) = reply.body.as_mut() {
                    mangle(body, find, replace);
                }
            }
            _ => {}
        }
        let echoed = echo_if_hostile(s, &mut reply, &r, authorization.as_deref());
        if let Some(rec) = s.requests.iter_mut().rev().find(|x| x.seq == seq) {
            rec.status = reply.status;
            rec.echoed = echoed;
        }
        reply
    });
    if matches!(fault, Some(FaultKind::DropAfterProcessing)) {
        return drop_connection(kill).await;
    }
    reply.into_response()
}

/// The hostile echo mode (see [`crate::echo`]): when it applies to this request, write what
/// it carried back into the answer. Returns the labels of what was echoed.
fn echo_if_hostile(
    s: &State,
    reply: &mut Reply,
    r: &Req,
    authorization: Option<&str>,
) -> Vec<String> {
    if !s.echo.applies(&r.method, &r.raw_path) {
        return Vec::new();
    }
    let mats = echo::materials(s, authorization, &r.body);
    if mats.is_empty() {
        return Vec::new();
    }
    let text = echo::text(&mats);
    let error = reply.status >= 400;
    if let Some(Value::Object(body)) = reply.body.as_mut() {
        if error {
            let message = body
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("Error")
                .to_string();
            body.insert(
                "message".into(),
                json!(format!("{message} (received {text})")),
            );
            let docs = body
                .get("documentation_url")
                .and_then(Value::as_str)
                .unwrap_or(DOCS)
                .to_string();
            body.insert(
                "documentation_url".into(),
                json!(format!("{docs}?{}", echo::query(&mats))),
            );
            if let Some(Value::Array(errors)) = body.get_mut("errors") {
                for e in errors.iter_mut().filter_map(Value::as_object_mut) {
                    let m = e.get("message").and_then(Value::as_str).unwrap_or("");
                    let m = format!("{m} (received {text})");
                    e.insert("message".into(), json!(m));
                }
            }
        } else {
            body.entry("message").or_insert_with(|| json!(text));
        }
    }
    if !error {
        if let Some(body) = reply.body.as_mut() {
            echo_printable_fields(body, &text);
        }
    }
    let header_forms = echo::header_forms(&mats);
    let joined: Vec<&str> = header_forms.iter().map(|(_, _, t)| t.as_str()).collect();
    reply.set(
        "x-github-request-id",
        format!("{} {}", r.request_id, joined.join(" ")),
    );
    if let Some(url) = echo::first_url(&mats) {
        let sso = if error {
            format!("required; url=https://github.com/orgs/echo/sso?authorization_request={url}")
        } else {
            format!("partial-results; organizations={url}")
        };
        reply.set("x-github-sso", sso);
    }
    if reply.status == 401 {
        if let Some((_, _, t)) = header_forms.first() {
            reply.set(
                "www-authenticate",
                format!(
                    "Bearer realm=\"GitHub\", error=\"invalid_token\", error_description=\"{}\"",
                    t.replace('"', "'")
                ),
            );
        }
    }
    for (material, form, t) in &header_forms {
        reply.set(
            &format!("x-echo-{}-{form}", material.replace('_', "-")),
            t.clone(),
        );
    }
    mats.iter().map(|m| m.label.to_string()).collect()
}

/// Successful answers: every `description` (repositories), and the `name` of an account or
/// an app (an object with `login` or `slug`), carry the echo.
fn echo_printable_fields(v: &mut Value, text: &str) {
    match v {
        Value::Array(a) => a.iter_mut().for_each(|x| echo_printable_fields(x, text)),
        Value::Object(o) => {
            if o.contains_key("description") {
                o.insert("description".into(), json!(text));
            }
            if o.contains_key("login") || o.contains_key("slug") {
                let name = o
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                o.insert("name".into(), json!(format!("{name} {text}")));
            }
            o.values_mut().for_each(|x| echo_printable_fields(x, text));
        }
        _ => {}
    }
}

/// The hostile answers that replace processing: raw bytes, endless bodies, redirects.
fn hostile_response(f: &FaultKind) -> Option<Response> {
    let status = |code: u16| StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    Some(match f {
        FaultKind::Raw {
            status: code,
            headers,
            body,
        } => {
            let mut resp = Response::new(Body::from(body.clone()));
            *resp.status_mut() = status(*code);
            for (k, v) in headers {
                if let (Ok(n), Ok(v)) =
                    (HeaderName::try_from(k.as_str()), HeaderValue::from_bytes(v))
                {
                    resp.headers_mut().append(n, v);
                }
            }
            resp
        }
        FaultKind::Endless { status: code } => {
            let mut resp = Response::new(Body::new(EndlessBody));
            *resp.status_mut() = status(*code);
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            );
            resp
        }
        FaultKind::Redirect {
            status: code,
            location,
        } => {
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = status(*code);
            if let Ok(v) = HeaderValue::try_from(location.as_str()) {
                resp.headers_mut().insert(header::LOCATION, v);
            }
            resp
        }
        _ => return None,
    })
}

/// A body that never ends: `[` and then spaces, 64 KiB at a time.
struct EndlessBody;

impl http_body::Body for EndlessBody {
    type Data = bytes::Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<bytes::Bytes>, Self::Error>>> {
        static CHUNK: [u8; 64 * 1024] = [b' '; 64 * 1024];
        std::task::Poll::Ready(Some(Ok(http_body::Frame::data(bytes::Bytes::from_static(
            &CHUNK,
        )))))
    }
}

/// Replaces `find` with `replace` in every string (keys excepted) of a JSON value.
fn mangle(v: &mut Value, find: &str, replace: &str) {
    match v {
        Value::String(s) => *s = s.replace(find, replace),
        Value::Array(a) => a.iter_mut().for_each(|x| mangle(x, find, replace)),
        Value::Object(o) => o.values_mut().for_each(|x| mangle(x, find, replace)),
        _ => {}
    }
}

async fn drop_connection(kill: Option<ConnKill>) -> Response {
    if let Some(k) = kill {
        k.0.notify_one();
        // The connection task drops this future together with the connection.
        std::future::pending::<()>().await;
    }
    Reply::error(500, "connection dropped").into_response()
}

fn process(s: &mut State, r: &Req, fault: Option<&FaultKind>) -> Reply {
    if segments(&r.raw_path) == ["credentials", "revoke"] {
        let mut reply = match fault.and_then(|f| fault_reply(f, s.now())) {
            Some(f) => f,
            None => credentials_revoke(s, r),
        };
        reply.set("x-github-request-id", r.request_id.clone());
        return reply;
    }
    if let Some(jwt) = r
        .token
        .as_deref()
        .filter(|t| crate::app::looks_like_jwt(t) && !s.tokens.contains_key(*t))
    {
        let mut reply = match fault.and_then(|f| fault_reply(f, s.now())) {
            Some(f) => f,
            None => app_request(s, r, jwt),
        };
        reply.set("x-github-request-id", r.request_id.clone());
        reply.set("x-github-media-type", "github.v3; format=json");
        return reply;
    }
    let valid = r.token.as_ref().and_then(|t| {
        s.tokens
            .get(t)
            .filter(|sp| !sp.revoked && sp.expires_at.is_none_or(|e| e > s.now()))
            .cloned()
            .map(|sp| (t.clone(), sp))
    });
    let segs = by_name(s, segments(&r.raw_path));
    let is_rate_limit = segs.len() == 1 && segs[0] == "rate_limit";

    let mut reply = match &valid {
        Some((tok, spec)) => {
            let (used, _) = s.primary_status(tok);
            let over = used >= s.primary_limit() && !is_rate_limit;
            if !is_rate_limit && !over {
                s.count_primary(tok);
            }
            authed(s, r, fault, tok, spec, &segs, over)
        }
        None => match fault.and_then(|f| fault_reply(f, s.now())) {
            Some(f) => f,
            None if r.token.is_some() => Reply::error(401, "Bad credentials"),
            None => Reply::error(401, "Requires authentication"),
        },
    };

    if let Some((tok, spec)) = &valid {
        if !reply.has("x-ratelimit-remaining") {
            let (used, reset) = s.primary_status(tok);
            let limit = s.primary_limit();
            reply.set("x-ratelimit-limit", limit.to_string());
            reply.set(
                "x-ratelimit-remaining",
                limit.saturating_sub(used).to_string(),
            );
            reply.set("x-ratelimit-reset", reset.to_string());
            reply.set("x-ratelimit-used", used.to_string());
        }
        reply.set("x-ratelimit-resource", "core");
        if let Some(exp) = spec.expires_at {
            reply.set("github-authentication-token-expiration", expiry_header(exp));
        }
        if let TokenKind::Classic { scopes } = &spec.kind {
            reply.set("x-oauth-scopes", scopes.join(", "));
        }
    }
    reply.set("x-github-request-id", r.request_id.clone());
    reply.set("x-github-media-type", "github.v3; format=json");
    reply
}

/// GitHub's answer beyond a secondary limit (403, or 429 as it also may), pointing at the
/// documentation of secondary limits.
fn secondary_limited(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "message": message,
            "documentation_url": SECONDARY_DOCS,
            "status": status.to_string(),
        }),
    )
}

/// Answers of faults that replace processing (Drop is handled by the caller).
pub(crate) fn fault_reply(f: &FaultKind, now: OffsetDateTime) -> Option<Reply> {
    Some(match f {
        FaultKind::Status(code) => {
            let reason = StatusCode::from_u16(*code)
                .ok()
                .and_then(|c| c.canonical_reason())
                .unwrap_or("Server Error");
            Reply::error(*code, reason)
        }
        FaultKind::RateLimit429 { retry_after_secs } => secondary_limited(429, SECONDARY_MSG)
            .header("retry-after", retry_after_secs.to_string()),
        FaultKind::Secondary403 { retry_after_secs } => secondary_limited(403, SECONDARY_MSG)
            .header("retry-after", retry_after_secs.to_string()),
        FaultKind::PrimaryExhausted { reset_in_secs } => {
            let reset = now.unix_timestamp() as u64 + reset_in_secs;
            Reply::json(
                403,
                json!({
                    "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID",
                    "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                    "status": "403",
                }),
            )
            .header("x-ratelimit-limit", "5000")
            .header("x-ratelimit-remaining", "0")
            .header("x-ratelimit-used", "5000")
            .header("x-ratelimit-reset", reset.to_string())
        }
        _ => return None,
    })
}

fn segments(raw_path: &str) -> Vec<String> {
    let p = raw_path.strip_prefix("/api/v3").unwrap_or(raw_path);
    p.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect()
}

/// GitHub's id forms of a path, as its `Link` headers use them, read as the name forms:
/// `/organizations/{id}/…` is `/orgs/{login}/…`, `/repositories/{id}/…` is
/// `/repos/{owner}/{name}/…`, `/user/{id}/repos` is `/users/{login}/repos`.
fn by_name(s: &State, segs: Vec<String>) -> Vec<String> {
    let id = |i: usize| segs.get(i).and_then(|x| x.parse::<u64>().ok());
    let account = |id: u64| {
        s.accounts
            .values()
            .find(|a| a.id == id)
            .map(|a| a.login.clone())
    };
    let head: Option<Vec<String>> = match (segs.first().map(String::as_str), id(1)) {
        (Some("organizations"), Some(n)) => account(n).map(|o| vec!["orgs".into(), o]),
        (Some("repositories"), Some(n)) => s
            .repo_by_id(n)
            .map(|r| vec!["repos".into(), r.owner.clone(), r.name.clone()]),
        (Some("user"), Some(n)) if segs.len() == 3 && segs[2] == "repos" => {
            account(n).map(|u| vec!["users".into(), u])
        }
        _ => None,
    };
    match head {
        Some(mut h) => {
            h.extend(segs.into_iter().skip(2));
            h
        }
        None => segs,
    }
}

/// The path GitHub's `Link` headers give for a listing: the id form of the request's path
/// (`/orgs/{org}/repos` → `/organizations/{id}/repos`, `/repos/{o}/{n}/…` →
/// `/repositories/{id}/…`, `/users/{u}/repos` → `/user/{id}/repos`); others unchanged.
fn link_path(s: &State, raw_path: &str) -> String {
    let path = raw_path.strip_prefix("/api/v3").unwrap_or(raw_path);
    let raw: Vec<&str> = path.trim_matches('/').split('/').collect();
    let names = segments(raw_path);
    let rest = |from: usize| {
        raw.iter()
            .skip(from)
            .map(|x| format!("/{x}"))
            .collect::<String>()
    };
    match names
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["orgs", o, _, ..] => match s.account(o) {
            Some(a) => format!("/organizations/{}{}", a.id, rest(2)),
            None => path.to_string(),
        },
        ["repos", o, n, _, ..] => match s.repo(&format!("{o}/{n}")) {
            Some(r) => format!("/repositories/{}{}", r.id, rest(3)),
            None => path.to_string(),
        },
        ["users", u, "repos"] => match s.account(u) {
            Some(a) => format!("/user/{}/repos", a.id),
            None => path.to_string(),
        },
        _ => path.to_string(),
    }
}

/// Where a secrets request points.
enum Target {
    Repo(String, App),
    Env(String, String),
    Org(String, App),
    User,
}

fn authed(
    s: &mut State,
    r: &Req,
    fault: Option<&FaultKind>,
    tok: &str,
    spec: &TokenSpec,
    segs: &[String],
    over_primary: bool,
) -> Reply {
    if let Some(f) = fault.and_then(|f| fault_reply(f, s.now())) {
        return f;
    }
    if over_primary {
        let (used, reset) = s.primary_status(tok);
        let id = s.account(&spec.login).map(|a| a.id).unwrap_or(1);
        return Reply::json(
            403,
            json!({
                "message": format!("API rate limit exceeded for user ID {id}. If you reach out to GitHub Support for help, please include the request ID {}.", r.request_id),
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                "status": "403",
            }),
        )
        .header("x-ratelimit-limit", s.primary_limit().to_string())
        .header("x-ratelimit-remaining", "0")
        .header("x-ratelimit-used", used.to_string())
        .header("x-ratelimit-reset", reset.to_string());
    }
    let m = r.method.as_str();
    let seg: Vec<&str> = segs.iter().map(String::as_str).collect();
    let graphql = matches!(seg.as_slice(), ["graphql"] | ["api", "graphql"]);
    if matches!(m, "PUT" | "POST" | "PATCH" | "DELETE") && !graphql {
        if let Err(wait) = s.secondary_check(tok, r.arrived) {
            return secondary_limited(403, &format!("{SECONDARY_MSG} {}.", r.request_id))
                .header("retry-after", wait.to_string());
        }
    }
    if let Some(refused) = agents_version_gate(r, &seg) {
        return refused;
    }
    match (m, seg.as_slice()) {
        ("POST", ["graphql"] | ["api", "graphql"]) => graphql_query(s, r, spec),
        ("GET", ["repos", o, n, "agents", "organization-secrets"]) => {
            repo_org_secrets(s, r, spec, &format!("{o}/{n}"), App::Agents)
        }
        ("GET", ["user"]) => me(s, spec),
        ("DELETE", ["installation", "token"]) => revoke_installation_token(s, tok, spec),
        ("GET", ["installation", "repositories"]) => installation_repos(s, r, spec),
        ("GET", ["user", "repos"]) => my_repos(s, r, spec),
        ("GET", ["rate_limit"]) => rate_limit(s, tok),
        ("GET", ["users", u, "repos"]) => user_repos(s, r, spec, u),
        ("GET", ["orgs", o, "repos"]) => org_repos(s, r, spec, o),
        ("GET", ["repos", o, n]) => {
            let full = format!("{o}/{n}");
            match s.repo(&full) {
                Some(repo) if can_see(spec, repo) => {
                    let repo = repo.clone();
                    Reply::json(200, repo_json(s, &r.base, &repo, spec))
                }
                _ => Reply::not_found(),
            }
        }
        (_, ["repos", o, n, "environments", env, "secrets", rest @ ..]) => secrets(
            s,
            r,
            spec,
            fault,
            Target::Env(format!("{o}/{n}"), env.to_string()),
            rest,
        ),
        (_, ["repos", o, n, app, "secrets", rest @ ..]) => match crate::app_from_segment(app) {
            Some(app) => secrets(
                s,
                r,
                spec,
                fault,
                Target::Repo(format!("{o}/{n}"), app),
                rest,
            ),
            None => Reply::not_found(),
        },
        (_, ["orgs", o, app, "secrets", rest @ ..]) => match crate::app_from_segment(app) {
            Some(app) => secrets(s, r, spec, fault, Target::Org(o.to_string(), app), rest),
            None => Reply::not_found(),
        },
        (_, ["user", "codespaces", "secrets", rest @ ..]) => {
            secrets(s, r, spec, fault, Target::User, rest)
        }
        _ => Reply::not_found(),
    }
}

/// Agents secrets routes are served only to requests that ask for `X-GitHub-Api-Version:
/// 2026-03-10` (exactly once). Any other request for them (no header, `2022-11-28`, the header
/// sent twice) gets `404 Not Found`: GitHub's answer to a route the requested version does not
/// serve. This is stricter than GitHub may be (the 2022-11-28 description lists these routes
/// too), on purpose: it proves that a client sends the version these routes are said to need.
fn agents_version_gate(r: &Req, seg: &[&str]) -> Option<Reply> {
    let agents = matches!(
        seg,
        ["repos", _, _, "agents", ..] | ["orgs", _, "agents", ..]
    );
    (agents && r.api_version.as_deref() != Some(AGENTS_API_VERSION)).then(Reply::not_found)
}

/// `GET /repos/{owner}/{repo}/{app}/organization-secrets`: the organisation secrets this
/// repository can use (visibility `all`; `private` for a private repository; `selected` when it
/// is selected), without values, paged. Needs the repository's read permission of the app.
fn repo_org_secrets(s: &State, r: &Req, spec: &TokenSpec, full: &str, app: App) -> Reply {
    let t = Target::Repo(full.to_string(), app);
    let perm = match resolve(s, spec, &t, false) {
        Ok((_, perm)) => perm,
        Err(e) => return e,
    };
    let Some(repo) = s.repo(full).cloned() else {
        return Reply::not_found();
    };
    let usable = |st: &Stored| match st.visibility.as_deref() {
        Some("all") => true,
        Some("selected") => st.selected_repository_ids.contains(&repo.id),
        _ => repo.private,
    };
    let all: Vec<Value> = s
        .secrets
        .get(&ScopeKey::Org(lc(&repo.owner), app))
        .map(|m| {
            m.iter()
                .filter(|(_, st)| usable(st))
                .map(|(n, st)| {
                    json!({"name": n, "created_at": ts(st.created_at), "updated_at": ts(st.updated_at)})
                })
                .collect()
        })
        .unwrap_or_default();
    let total = all.len();
    let (items, link) = paginate(s, r, all);
    let mut reply = Reply::json(200, json!({"total_count": total, "secrets": items}));
    if let Some(l) = link {
        reply.set("link", l);
    }
    reply.set("x-accepted-github-permissions", perm);
    reply
}

// ---- permissions ------------------------------------------------------------------------

fn has_scope(spec: &TokenSpec, wanted: &[&str]) -> bool {
    match &spec.kind {
        TokenKind::Classic { scopes } => scopes.iter().any(|s| wanted.contains(&s.as_str())),
        _ => false,
    }
}

fn listed(spec: &TokenSpec, repo: &Repo) -> bool {
    match &spec.kind {
        TokenKind::FineGrained {
            repositories: Some(list),
            ..
        }
        | TokenKind::FineGrainedReadOnly {
            repositories: Some(list),
        } => list
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&repo.full_name())),
        TokenKind::Installation {
            account,
            repositories,
            ..
        } => {
            repo.owner.eq_ignore_ascii_case(account)
                && repositories
                    .as_ref()
                    .is_none_or(|l| l.iter().any(|n| n.eq_ignore_ascii_case(&repo.name)))
        }
        _ => true,
    }
}

/// May the token see this repository's metadata?
fn can_see(spec: &TokenSpec, repo: &Repo) -> bool {
    if !repo.private {
        return true;
    }
    match &spec.kind {
        TokenKind::Classic { .. } => has_scope(spec, &["repo"]),
        TokenKind::FineGrained { .. }
        | TokenKind::FineGrainedReadOnly { .. }
        | TokenKind::Installation { .. } => listed(spec, repo),
        TokenKind::GithubToken => true,
    }
}

/// The permission a secrets target needs: (classic scopes accepted, fine-grained permission).
fn needs(t: &Target) -> (&'static [&'static str], &'static str) {
    match t {
        Target::Repo(_, App::Actions) => (&["repo"], "secrets=write"),
        Target::Repo(_, App::Dependabot) => (&["repo"], "dependabot_secrets=write"),
        Target::Repo(_, App::Codespaces) => (&["repo"], "codespaces_secrets=write"),
        Target::Repo(_, App::Agents) => (&["repo"], "agent_secrets=write"),
        Target::Env(..) => (&["repo"], "environments=write"),
        Target::Org(_, App::Actions) => (&["admin:org"], "organization_secrets=write"),
        Target::Org(_, App::Dependabot) => {
            (&["admin:org"], "organization_dependabot_secrets=write")
        }
        Target::Org(_, App::Codespaces) => {
            (&["admin:org"], "organization_codespaces_secrets=write")
        }
        Target::Org(_, App::Agents) => (&["admin:org"], "organization_agent_secrets=write"),
        Target::User => (
            &["codespace", "codespace:secrets"],
            "codespaces_user_secrets=write",
        ),
    }
}

/// `write`: the request changes something (PUT, DELETE); reads (GET) need only `read` from an
/// installation token, as on GitHub.
fn permit(spec: &TokenSpec, t: &Target, write: bool) -> Result<(), Reply> {
    let (scopes, perm) = needs(t);
    match &spec.kind {
        TokenKind::Classic { .. } => {
            if has_scope(spec, scopes) {
                Ok(())
            } else {
                Err(Reply::not_found().header("x-accepted-oauth-scopes", scopes.join(", ")))
            }
        }
        TokenKind::FineGrained {
            secrets_write,
            environments_write,
            org_secrets_write,
            dependabot_write,
            codespaces_write,
            agents_write,
            ..
        } => {
            let ok = match t {
                Target::Repo(_, App::Actions) => *secrets_write,
                Target::Env(..) => *environments_write,
                Target::Org(_, App::Actions) => *org_secrets_write,
                Target::Repo(_, App::Dependabot) | Target::Org(_, App::Dependabot) => {
                    *dependabot_write
                }
                Target::Repo(_, App::Codespaces)
                | Target::Org(_, App::Codespaces)
                | Target::User => *codespaces_write,
                Target::Repo(_, App::Agents) | Target::Org(_, App::Agents) => *agents_write,
            };
            if ok {
                Ok(())
            } else {
                Err(
                    Reply::error(403, "Resource not accessible by personal access token")
                        .header("x-accepted-github-permissions", perm),
                )
            }
        }
        TokenKind::FineGrainedReadOnly { .. } if !write => Ok(()),
        TokenKind::FineGrainedReadOnly { .. } => Err(Reply::error(
            403,
            "Resource not accessible by personal access token",
        )
        .header("x-accepted-github-permissions", perm)),
        TokenKind::GithubToken => Err(Reply::error(403, "Resource not accessible by integration")
            .header("x-accepted-github-permissions", perm)),
        TokenKind::Installation { permissions, .. } => {
            let Some(name) = app_permission(t) else {
                return Err(Reply::error(403, "Resource not accessible by integration"));
            };
            let granted = permissions.get(name).map(String::as_str);
            if granted == Some("write") || (!write && granted == Some("read")) {
                Ok(())
            } else {
                Err(Reply::error(403, "Resource not accessible by integration")
                    .header("x-accepted-github-permissions", format!("{name}=write")))
            }
        }
    }
}

/// The GitHub App permission a secrets target needs, named as in the `permissions` schema of
/// `POST /app/installations/{id}/access_tokens`. `None`: not available to apps (organisation
/// Codespaces secrets, a user's Codespaces secrets).
fn app_permission(t: &Target) -> Option<&'static str> {
    Some(match t {
        Target::Repo(_, App::Actions) => "secrets",
        Target::Repo(_, App::Dependabot) | Target::Org(_, App::Dependabot) => "dependabot_secrets",
        Target::Repo(_, App::Codespaces) => "codespaces_secrets",
        Target::Env(..) => "environments",
        Target::Org(_, App::Actions) => "organization_secrets",
        Target::Repo(_, App::Agents) => "agent_secrets",
        Target::Org(_, App::Agents) => "organization_agent_secrets",
        Target::Org(_, App::Codespaces) | Target::User => return None,
    })
}

// ---- secrets ------------------------------------------------------------------------------

/// Resolve a target to its scope key, or the 404/403 GitHub answers.
fn resolve(
    s: &State,
    spec: &TokenSpec,
    t: &Target,
    write: bool,
) -> Result<(ScopeKey, String), Reply> {
    let (scopes, perm) = needs(t);
    let not_found = || {
        let mut r = Reply::not_found().header("x-accepted-github-permissions", perm);
        if matches!(spec.kind, TokenKind::Classic { .. }) {
            r.set("x-accepted-oauth-scopes", scopes.join(", "));
        }
        r
    };
    let key = match t {
        Target::Repo(full, _) | Target::Env(full, _) => {
            let Some(repo) = s.repo(full) else {
                return Err(not_found());
            };
            if !listed(spec, repo) || !can_see(spec, repo) {
                return Err(not_found());
            }
            match t {
                Target::Env(_, env) => {
                    if !repo
                        .environments
                        .iter()
                        .any(|e| e.eq_ignore_ascii_case(env))
                    {
                        return Err(not_found());
                    }
                    ScopeKey::Env(lc(full), lc(env))
                }
                Target::Repo(_, app) => ScopeKey::Repo(lc(full), *app),
                _ => return Err(not_found()),
            }
        }
        Target::Org(org, app) => match s.account(org) {
            Some(a) if a.is_org => {
                if let TokenKind::Installation { account, .. } = &spec.kind {
                    if !account.eq_ignore_ascii_case(org) {
                        return Err(not_found());
                    }
                }
                ScopeKey::Org(lc(org), *app)
            }
            _ => return Err(not_found()),
        },
        Target::User => {
            if matches!(
                spec.kind,
                TokenKind::GithubToken | TokenKind::Installation { .. }
            ) {
                return Err(Reply::error(403, "Resource not accessible by integration")
                    .header("x-accepted-github-permissions", perm));
            }
            ScopeKey::User(lc(&spec.login))
        }
    };
    permit(spec, t, write)?;
    let perm = match (&spec.kind, app_permission(t)) {
        (TokenKind::Installation { .. }, Some(name)) => format!("{name}=write"),
        _ => perm.to_string(),
    };
    Ok((key, perm))
}

fn secrets(
    s: &mut State,
    r: &Req,
    spec: &TokenSpec,
    fault: Option<&FaultKind>,
    t: Target,
    rest: &[&str],
) -> Reply {
    let (key, perm) = match resolve(s, spec, &t, r.method != "GET") {
        Ok(k) => k,
        Err(e) => return e,
    };
    if matches!(fault, Some(FaultKind::RotateKeyBefore)) {
        s.rotate(&key);
    }
    let is_org = matches!(t, Target::Org(..));
    let is_user = matches!(t, Target::User);
    let m = r.method.as_str();
    let reply = match (m, rest) {
        ("GET", []) => list_secrets(s, r, &key, &t),
        ("GET", ["public-key"]) => {
            let k = s.key(&key);
            Reply::json(200, json!({"key_id": k.key_id, "key": k.public_b64()}))
        }
        ("GET", [name]) => match s
            .secrets
            .get(&key)
            .and_then(|m| m.get(&name.to_ascii_uppercase()))
        {
            Some(st) => Reply::json(
                200,
                secret_json(&r.base, &t, &name.to_ascii_uppercase(), st),
            ),
            None => Reply::not_found(),
        },
        ("PUT", [name]) => put_secret(s, r, &key, is_org || is_user, is_org, name),
        ("DELETE", [name]) => {
            let removed = s
                .secrets
                .get_mut(&key)
                .and_then(|m| m.remove(&name.to_ascii_uppercase()));
            if removed.is_some() {
                Reply::empty(204)
            } else {
                Reply::not_found()
            }
        }
        ("GET", [name, "repositories"]) if is_org || is_user => selected_list(s, r, &key, name),
        ("PUT", [name, "repositories"]) if is_org || is_user => selected_set(s, r, &key, name),
        ("PUT", [name, "repositories", id]) if is_org || is_user => {
            selected_one(s, &key, name, id, true)
        }
        ("DELETE", [name, "repositories", id]) if is_org || is_user => {
            selected_one(s, &key, name, id, false)
        }
        _ => Reply::not_found(),
    };
    let mut reply = reply;
    reply.set("x-accepted-github-permissions", perm);
    reply
}

fn ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .unwrap_or_default()
}

fn expiry_header(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
    ))
    .unwrap_or_default()
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn secret_json(base: &str, t: &Target, name: &str, st: &Stored) -> Value {
    let mut o = Map::new();
    o.insert("name".into(), json!(name));
    o.insert("created_at".into(), json!(ts(st.created_at)));
    o.insert("updated_at".into(), json!(ts(st.updated_at)));
    match t {
        Target::Org(org, app) => {
            let vis = st.visibility.clone().unwrap_or_else(|| "private".into());
            if vis == "selected" {
                o.insert(
                    "selected_repositories_url".into(),
                    json!(format!(
                        "{base}/orgs/{}/{}/secrets/{name}/repositories",
                        enc(org),
                        app.segment()
                    )),
                );
            }
            o.insert("visibility".into(), json!(vis));
        }
        Target::User => {
            o.insert(
                "visibility".into(),
                json!(st.visibility.clone().unwrap_or_else(|| "all".into())),
            );
            o.insert(
                "selected_repositories_url".into(),
                json!(format!(
                    "{base}/user/codespaces/secrets/{name}/repositories"
                )),
            );
        }
        _ => {}
    }
    Value::Object(o)
}

fn list_secrets(s: &State, r: &Req, key: &ScopeKey, t: &Target) -> Reply {
    let all: Vec<Value> = s
        .secrets
        .get(key)
        .map(|m| {
            m.iter()
                .map(|(n, st)| secret_json(&r.base, t, n, st))
                .collect()
        })
        .unwrap_or_default();
    let total = all.len();
    let (items, link) = paginate(s, r, all);
    let mut reply = Reply::json(200, json!({"total_count": total, "secrets": items}));
    if let Some(l) = link {
        reply.set("link", l);
    }
    reply
}

/// GitHub's rule for secret names.
fn name_error(name: &str) -> Option<&'static str> {
    let first = name.chars().next()?;
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Some("Secret names can only contain alphanumeric characters ([a-z], [A-Z], [0-9]) or underscores (_). Spaces are not allowed.");
    }
    if first.is_ascii_digit() {
        return Some("Secret names must not start with a number.");
    }
    if name.to_ascii_uppercase().starts_with("GITHUB_") {
        return Some("Secret names must not start with the GITHUB_ prefix.");
    }
    None
}

fn repo_ids(v: &Value) -> Result<Vec<u64>, ()> {
    let arr = v.as_array().ok_or(())?;
    arr.iter()
        .map(|x| match x {
            Value::Number(n) => n.as_u64().ok_or(()),
            Value::String(s) => s.trim().parse::<u64>().map_err(|_| ()),
            _ => Err(()),
        })
        .collect()
}

fn put_secret(
    s: &mut State,
    r: &Req,
    key: &ScopeKey,
    has_selection: bool,
    is_org: bool,
    name: &str,
) -> Reply {
    let body: Value = match serde_json::from_slice(&r.body) {
        Ok(v) => v,
        Err(_) => return Reply::error(400, "Problems parsing JSON"),
    };
    let Some(obj) = body.as_object() else {
        return Reply::error(400, "Problems parsing JSON");
    };
    if name.is_empty() {
        return Reply::not_found();
    }
    if let Some(msg) = name_error(name) {
        return Reply::validation("name", msg);
    }
    let upper = name.to_ascii_uppercase();
    let existing = s.secrets.get(key).and_then(|m| m.get(&upper)).cloned();

    let field_str = |k: &str| -> Result<Option<String>, Reply> {
        match obj.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(v)) => Ok(Some(v.clone())),
            Some(other) => Err(Reply::invalid(&format!(
                "Invalid request.\n\nFor 'properties/{k}', {other} is not a string."
            ))),
        }
    };
    let encrypted = match field_str("encrypted_value") {
        Ok(v) => v,
        Err(e) => return e,
    };
    let key_id = match field_str("key_id") {
        Ok(v) => v,
        Err(e) => return e,
    };
    let visibility = match field_str("visibility") {
        Ok(v) => v,
        Err(e) => return e,
    };
    let selected = match obj.get("selected_repository_ids") {
        None | Some(Value::Null) => None,
        Some(v) => match repo_ids(v) {
            Ok(ids) => Some(ids),
            Err(()) => {
                return Reply::invalid(
                    "Invalid request.\n\nFor 'properties/selected_repository_ids', the value is not an array of repository ids.",
                )
            }
        },
    };

    if is_org {
        match visibility.as_deref() {
            None => return Reply::invalid("Invalid request.\n\n\"visibility\" wasn't supplied."),
            Some("all" | "private" | "selected") => {}
            Some(v) => {
                return Reply::invalid(&format!(
                    "Invalid request.\n\nFor 'properties/visibility', \"{v}\" is not a member of [\"all\", \"private\", \"selected\"]."
                ))
            }
        }
        if visibility.as_deref() != Some("selected")
            && selected.as_ref().is_some_and(|v| !v.is_empty())
        {
            return Reply::invalid(
                "Invalid request.\n\nselected_repository_ids can only be provided when visibility is \"selected\".",
            );
        }
    } else if !has_selection && visibility.is_some() {
        // Repository and environment secrets have no visibility: GitHub ignores unknown
        // properties, and so does the fake.
    }
    if let Some(ids) = &selected {
        if let Some(bad) = ids.iter().find(|id| s.repo_by_id(**id).is_none()) {
            return Reply::invalid(&format!(
                "Invalid request.\n\nRepository id {bad} does not exist or is not accessible."
            ));
        }
        if let ScopeKey::Org(org, _) = key {
            if let Some(bad) = ids
                .iter()
                .find(|id| s.repo_by_id(**id).is_some_and(|r| lc(&r.owner) != *org))
            {
                return Reply::invalid(&format!(
                    "Invalid request.\n\nRepository id {bad} does not belong to the organization."
                ));
            }
        }
    }

    // Decrypt the value (absent is allowed only to update an org/user secret's selection).
    let plaintext = match (&encrypted, &key_id) {
        (None, None) if has_selection && existing.is_some() => None,
        (None, _) => {
            return Reply::invalid("Invalid request.\n\n\"encrypted_value\" wasn't supplied.")
        }
        (Some(_), None) => {
            return Reply::invalid("Invalid request.\n\n\"key_id\" wasn't supplied.")
        }
        (Some(ev), Some(kid)) => {
            let pair = s.key(key);
            if *kid != pair.key_id {
                return Reply::invalid(&format!(
                    "Invalid request.\n\nkey_id {kid:?} does not match the current public key of this secret's scope (key_id {:?}); the key may have been rotated: fetch the public key again.",
                    pair.key_id
                ));
            }
            let Ok(sealed) = B64.decode(ev.as_bytes()) else {
                return Reply::invalid(
                    "Invalid request.\n\nFor 'properties/encrypted_value', the value is not valid base64.",
                );
            };
            let Ok(plain) = pair.secret.unseal(&sealed) else {
                return Reply::invalid(
                    "Invalid request.\n\nencrypted_value could not be decrypted with the public key of key_id: it must be a libsodium sealed box for that key.",
                );
            };
            let Ok(text) = String::from_utf8(plain) else {
                return Reply::invalid(
                    "Invalid request.\n\nThe decrypted secret value is not valid UTF-8.",
                );
            };
            if text.len() > MAX_VALUE_BYTES {
                return Reply::invalid("Invalid request.\n\nSecret values are limited to 48 KB.");
            }
            Some(text)
        }
    };

    let t = s.now();
    let created = existing.is_none();
    let map = s.secrets.entry(key.clone()).or_default();
    let st = map.entry(upper).or_insert_with(|| Stored {
        value: String::new(),
        created_at: t,
        updated_at: t,
        visibility: None,
        selected_repository_ids: Vec::new(),
        writes: 0,
    });
    if let Some(v) = plaintext {
        st.value = v;
        st.writes += 1;
    }
    st.updated_at = t;
    if is_org {
        let vis = visibility.unwrap_or_else(|| "private".into());
        if vis == "selected" {
            if let Some(ids) = selected {
                st.selected_repository_ids = ids;
            }
        } else {
            st.selected_repository_ids.clear();
        }
        st.visibility = Some(vis);
    } else if has_selection {
        // user Codespaces secret
        if let Some(ids) = selected {
            st.selected_repository_ids = ids;
            st.visibility = Some("selected".into());
        } else if st.visibility.is_none() {
            st.visibility = Some("all".into());
        }
    }
    if created {
        Reply::json(201, json!({}))
    } else {
        Reply::empty(204)
    }
}

fn selected_list(s: &State, r: &Req, key: &ScopeKey, name: &str) -> Reply {
    let Some(st) = s
        .secrets
        .get(key)
        .and_then(|m| m.get(&name.to_ascii_uppercase()))
    else {
        return Reply::not_found();
    };
    let repos: Vec<Value> = st
        .selected_repository_ids
        .iter()
        .filter_map(|id| s.repo_by_id(*id))
        .map(|repo| minimal_repo_json(s, &r.base, repo))
        .collect();
    let total = repos.len();
    let (items, link) = paginate(s, r, repos);
    let mut reply = Reply::json(200, json!({"total_count": total, "repositories": items}));
    if let Some(l) = link {
        reply.set("link", l);
    }
    reply
}

fn selected_set(s: &mut State, r: &Req, key: &ScopeKey, name: &str) -> Reply {
    let body: Value = match serde_json::from_slice(&r.body) {
        Ok(v) => v,
        Err(_) => return Reply::error(400, "Problems parsing JSON"),
    };
    let Some(v) = body.get("selected_repository_ids") else {
        return Reply::invalid("Invalid request.\n\n\"selected_repository_ids\" wasn't supplied.");
    };
    let Ok(ids) = repo_ids(v) else {
        return Reply::invalid(
            "Invalid request.\n\nselected_repository_ids must be an array of ids.",
        );
    };
    if let Some(bad) = ids.iter().find(|id| s.repo_by_id(**id).is_none()) {
        return Reply::invalid(&format!(
            "Invalid request.\n\nRepository id {bad} does not exist or is not accessible."
        ));
    }
    let is_org = matches!(key, ScopeKey::Org(..));
    let st = match selectable_secret(s, key, name) {
        Ok(st) => st,
        Err(reply) => return reply,
    };
    st.selected_repository_ids = ids;
    if !is_org {
        st.visibility = Some("selected".into());
    }
    Reply::empty(204)
}

/// The secret whose repository selection is being changed: 404 when it does not exist, 409
/// (as GitHub answers) for an organisation secret whose visibility is not `selected`.
fn selectable_secret<'a>(
    s: &'a mut State,
    key: &ScopeKey,
    name: &str,
) -> Result<&'a mut Stored, Reply> {
    let is_org = matches!(key, ScopeKey::Org(..));
    let st = s
        .secrets
        .get_mut(key)
        .and_then(|m| m.get_mut(&name.to_ascii_uppercase()))
        .ok_or_else(Reply::not_found)?;
    if is_org && st.visibility.as_deref() != Some("selected") {
        return Err(Reply::error(
            409,
            "Conflict: the secret's visibility is not \"selected\".",
        ));
    }
    Ok(st)
}

fn selected_one(s: &mut State, key: &ScopeKey, name: &str, id: &str, add: bool) -> Reply {
    let Ok(id) = id.parse::<u64>() else {
        return Reply::not_found();
    };
    if s.repo_by_id(id).is_none() {
        return Reply::not_found();
    }
    let st = match selectable_secret(s, key, name) {
        Ok(st) => st,
        Err(reply) => return reply,
    };
    if add {
        if !st.selected_repository_ids.contains(&id) {
            st.selected_repository_ids.push(id);
        }
    } else {
        st.selected_repository_ids.retain(|x| *x != id);
    }
    Reply::empty(204)
}

// ---- users and repositories ---------------------------------------------------------------

/// A `simple-user`, with every property the description requires.
fn account_json(base: &str, a: &Account) -> Value {
    let user = format!("{base}/users/{}", enc(&a.login));
    json!({
        "login": a.login,
        "id": a.id,
        "node_id": B64.encode(format!("04:{}{}", if a.is_org { "Organization" } else { "User" }, a.id)),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{}?v=4", a.id),
        "gravatar_id": "",
        "type": if a.is_org { "Organization" } else { "User" },
        "site_admin": false,
        "url": user,
        "html_url": format!("https://github.com/{}", a.login),
        "followers_url": format!("{user}/followers"),
        "following_url": format!("{user}/following{{/other_user}}"),
        "gists_url": format!("{user}/gists{{/gist_id}}"),
        "starred_url": format!("{user}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{user}/subscriptions"),
        "organizations_url": format!("{user}/orgs"),
        "repos_url": format!("{user}/repos"),
        "events_url": format!("{user}/events{{/privacy}}"),
        "received_events_url": format!("{user}/received_events"),
    })
}

fn owner_of(s: &State, repo: &Repo) -> Account {
    s.account(&repo.owner).cloned().unwrap_or(Account {
        login: repo.owner.clone(),
        id: 1,
        is_org: false,
    })
}

fn minimal_repo_json(s: &State, base: &str, repo: &Repo) -> Value {
    let owner = owner_of(s, repo);
    let full = repo.full_name();
    let mut v = json!({
        "id": repo.id,
        "node_id": B64.encode(format!("010:Repository{}", repo.id)),
        "name": repo.name,
        "full_name": full,
        "owner": account_json(base, &owner),
        "private": repo.private,
        "html_url": format!("https://github.com/{full}"),
        "description": null,
        "fork": false,
        "url": format!("{base}/repos/{full}"),
        "archived": repo.archived,
        "disabled": false,
        "visibility": if repo.private { "private" } else { "public" },
        "default_branch": "main",
        "created_at": ts(repo.created_at),
        "updated_at": ts(repo.created_at),
        "pushed_at": ts(repo.created_at),
    });
    // The `minimal-repository` URL properties the description requires, as GitHub spells them.
    let api = format!("{base}/repos/{full}");
    let templated = [
        ("archive_url", "/{archive_format}{/ref}"),
        ("assignees_url", "/assignees{/user}"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("branches_url", "/branches{/branch}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("comments_url", "/comments{/number}"),
        ("commits_url", "/commits{/sha}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("contents_url", "/contents/{+path}"),
        ("contributors_url", "/contributors"),
        ("deployments_url", "/deployments"),
        ("downloads_url", "/downloads"),
        ("events_url", "/events"),
        ("forks_url", "/forks"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("hooks_url", "/hooks"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("issue_events_url", "/issues/events{/number}"),
        ("issues_url", "/issues{/number}"),
        ("keys_url", "/keys{/key_id}"),
        ("labels_url", "/labels{/name}"),
        ("languages_url", "/languages"),
        ("merges_url", "/merges"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("pulls_url", "/pulls{/number}"),
        ("releases_url", "/releases{/id}"),
        ("stargazers_url", "/stargazers"),
        ("statuses_url", "/statuses/{sha}"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("tags_url", "/tags"),
        ("teams_url", "/teams"),
        ("trees_url", "/git/trees{/sha}"),
    ];
    if let Some(o) = v.as_object_mut() {
        for (k, suffix) in templated {
            o.insert(k.into(), json!(format!("{api}{suffix}")));
        }
    }
    v
}

fn repo_json(s: &State, base: &str, repo: &Repo, spec: &TokenSpec) -> Value {
    let mut v = minimal_repo_json(s, base, repo);
    let admin = !matches!(spec.kind, TokenKind::GithubToken);
    if let Some(o) = v.as_object_mut() {
        o.insert(
            "permissions".into(),
            json!({"admin": admin, "maintain": admin, "push": true, "triage": true, "pull": true}),
        );
    }
    v
}

fn me(s: &State, spec: &TokenSpec) -> Reply {
    if matches!(
        spec.kind,
        TokenKind::GithubToken | TokenKind::Installation { .. }
    ) {
        return Reply::error(403, "Resource not accessible by integration");
    }
    match s.account(&spec.login) {
        Some(a) => {
            let mut v = account_json("", a);
            if let Some(o) = v.as_object_mut() {
                o.insert("name".into(), json!(a.login));
                o.remove("url");
                o.remove("repos_url");
            }
            Reply::json(200, v)
        }
        None => Reply::error(401, "Bad credentials"),
    }
}

fn query_pairs(r: &Req) -> Vec<(String, String)> {
    r.query
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |x: &str| {
                percent_encoding::percent_decode_str(&x.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (d(k), d(v))
        })
        .collect()
}

fn q(r: &Req, name: &str) -> Option<String> {
    query_pairs(r)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Slice one page and build the `Link` header (`next`, `last`, `prev`, `first`).
fn paginate(s: &State, r: &Req, all: Vec<Value>) -> (Vec<Value>, Option<String>) {
    let per_page = q(r, "per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = q(r, "page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let total = all.len();
    let last = total.div_ceil(per_page).max(1);
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .collect();
    if last <= 1 {
        return (items, None);
    }
    let url = |p: usize| {
        let mut parts: Vec<String> = r
            .query
            .as_deref()
            .unwrap_or("")
            .split('&')
            .filter(|x| !x.is_empty() && !x.starts_with("page="))
            .map(str::to_string)
            .collect();
        parts.push(format!("page={p}"));
        format!(
            "<{}{}?{}>",
            r.base,
            link_path(s, &r.raw_path),
            parts.join("&")
        )
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", url((page - 1).min(last))));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", url(page + 1)));
        links.push(format!("{}; rel=\"last\"", url(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", url(1)));
    }
    (items, Some(links.join(", ")))
}

fn sort_repos(r: &Req, repos: &mut [Repo], default_sort: &str) {
    let sort = q(r, "sort").unwrap_or_else(|| default_sort.to_string());
    let by_name = sort == "full_name";
    let desc = match q(r, "direction").as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => !by_name,
    };
    if by_name {
        repos.sort_by_key(|x| lc(&x.full_name()));
    } else {
        repos.sort_by_key(|x| x.id);
    }
    if desc {
        repos.reverse();
    }
}

fn repo_list(s: &State, r: &Req, mut repos: Vec<Repo>, default_sort: &str) -> Reply {
    sort_repos(r, &mut repos, default_sort);
    let all: Vec<Value> = repos
        .iter()
        .map(|x| minimal_repo_json(s, &r.base, x))
        .collect();
    let (items, link) = paginate(s, r, all);
    let mut reply = Reply::json(200, Value::Array(items));
    if let Some(l) = link {
        reply.set("link", l);
    }
    reply
}

fn visible_repos(s: &State, spec: &TokenSpec, pred: impl Fn(&Repo) -> bool) -> Vec<Repo> {
    s.repos
        .values()
        .filter(|x| can_see(spec, x) && pred(x))
        .cloned()
        .collect()
}

fn my_repos(s: &State, r: &Req, spec: &TokenSpec) -> Reply {
    if matches!(
        spec.kind,
        TokenKind::GithubToken | TokenKind::Installation { .. }
    ) {
        return Reply::error(403, "Resource not accessible by integration");
    }
    let typ = q(r, "type");
    let vis = q(r, "visibility");
    let aff = q(r, "affiliation");
    if typ.is_some() && (vis.is_some() || aff.is_some()) {
        return Reply::invalid(
            "If you specify visibility or affiliation, you cannot specify type.",
        );
    }
    let me = lc(&spec.login);
    let is_org_repo = |x: &Repo| s.account(&x.owner).is_some_and(|a| a.is_org);
    let aff = aff.unwrap_or_else(|| "owner,collaborator,organization_member".into());
    let owner = aff.split(',').any(|a| a.trim() == "owner");
    let member = aff.split(',').any(|a| a.trim() == "organization_member");
    let repos = visible_repos(s, spec, |x| {
        let mine = lc(&x.owner) == me;
        let org = is_org_repo(x);
        let by_type = match typ.as_deref() {
            Some("owner") => mine,
            Some("member") => org,
            Some("public") => (mine || org) && !x.private,
            Some("private") => (mine || org) && x.private,
            Some(_) => mine || org,
            None => (owner && mine) || (member && org),
        };
        let by_vis = match vis.as_deref() {
            Some("public") => !x.private,
            Some("private") => x.private,
            _ => true,
        };
        by_type && by_vis
    });
    repo_list(s, r, repos, "full_name")
}

fn user_repos(s: &State, r: &Req, spec: &TokenSpec, user: &str) -> Reply {
    if s.account(user).is_none() {
        return Reply::not_found();
    }
    let typ = q(r, "type").unwrap_or_else(|| "owner".into());
    let u = lc(user);
    let repos = visible_repos(s, spec, |x| {
        typ != "member" && lc(&x.owner) == u && !x.private
    });
    repo_list(s, r, repos, "full_name")
}

fn org_repos(s: &State, r: &Req, spec: &TokenSpec, org: &str) -> Reply {
    match s.account(org) {
        Some(a) if a.is_org => {}
        _ => return Reply::not_found(),
    }
    let typ = q(r, "type").unwrap_or_else(|| "all".into());
    let o = lc(org);
    let repos = visible_repos(s, spec, |x| {
        lc(&x.owner) == o
            && match typ.as_str() {
                "public" => !x.private,
                "private" => x.private,
                "forks" => false,
                _ => true,
            }
    });
    repo_list(s, r, repos, "created")
}

fn rate_limit(s: &mut State, tok: &str) -> Reply {
    let (used, reset) = s.primary_status(tok);
    let limit = s.primary_limit();
    let core = json!({"limit": limit, "used": used, "remaining": limit.saturating_sub(used), "reset": reset, "resource": "core"});
    Reply::json(200, json!({"resources": {"core": core}, "rate": core}))
}

/// The one GraphQL query `gh secret set --org --repos` sends (`MapRepositoryNames`): aliases of
/// `repository(owner: "o", name: "n") { databaseId }`. Anything else gets a GraphQL error.
fn graphql_query(s: &State, r: &Req, spec: &TokenSpec) -> Reply {
    let body: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
    let query = body["query"].as_str().unwrap_or("");
    let mut data = Map::new();
    let mut rest = query;
    while let Some(pos) = rest.find("repository(") {
        let before = rest[..pos].trim_end();
        let alias = before
            .strip_suffix(':')
            .map(|b| {
                let b = b.trim_end();
                let start = b
                    .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .map_or(0, |i| i + 1);
                b[start..].to_string()
            })
            .unwrap_or_else(|| "repository".to_string());
        let args_end = rest[pos..].find(')').map_or(rest.len(), |i| pos + i);
        let args = &rest[pos + "repository(".len()..args_end];
        let arg = |name: &str| -> String {
            args.split(',')
                .filter_map(|a| a.split_once(':'))
                .find(|(k, _)| k.trim() == name)
                .map(|(_, v)| v.trim().trim_matches('"').to_string())
                .unwrap_or_default()
        };
        let full = format!("{}/{}", arg("owner"), arg("name"));
        let v = match s.repo(&full) {
            Some(repo) if can_see(spec, repo) => {
                json!({"databaseId": repo.id, "nameWithOwner": repo.full_name()})
            }
            _ => Value::Null,
        };
        data.insert(alias, v);
        rest = &rest[args_end.min(rest.len())..];
    }
    if data.is_empty() {
        return Reply::json(
            200,
            json!({"errors": [{"message": "fake-github answers only repository(owner:, name:) { databaseId } queries"}]}),
        );
    }
    let missing: Vec<Value> = data
        .iter()
        .filter(|(_, v)| v.is_null())
        .map(|(k, _)| json!({"type": "NOT_FOUND", "path": [k], "message": "Could not resolve to a Repository."}))
        .collect();
    let mut out = json!({"data": Value::Object(data)});
    if !missing.is_empty() {
        out["errors"] = Value::Array(missing);
    }
    Reply::json(200, out)
}

// ---- GitHub Apps ---------------------------------------------------------------------------

/// A request authenticated with a JWT: only the app endpoints answer.
fn app_request(s: &mut State, r: &Req, jwt: &str) -> Reply {
    let now = s.now().unix_timestamp();
    let app_id = match crate::app::verify(jwt, &s.apps, now) {
        Ok(id) => id,
        Err(message) => return Reply::error(401, message),
    };
    let segs = segments(&r.raw_path);
    let seg: Vec<&str> = segs.iter().map(String::as_str).collect();
    let find = |s: &State, pred: &dyn Fn(&crate::Installation) -> bool| {
        s.installations
            .iter()
            .find(|i| i.app_id == app_id && pred(i))
            .cloned()
    };
    match (r.method.as_str(), seg.as_slice()) {
        ("GET", ["app"]) => {
            let client_id = s
                .apps
                .iter()
                .find(|a| a.id == app_id)
                .map(|a| a.client_id.clone())
                .unwrap_or_default();
            Reply::json(
                200,
                json!({"id": app_id, "client_id": client_id, "slug": format!("app-{app_id}"), "name": format!("App {app_id}")}),
            )
        }
        ("GET", ["app", "installations", id]) => {
            let id = id.parse::<u64>().unwrap_or(0);
            match find(s, &|i| i.id == id) {
                Some(i) => Reply::json(200, installation_json(s, &r.base, &i)),
                None => Reply::not_found(),
            }
        }
        ("GET", ["repos", o, n, "installation"]) => {
            let Some(repo) = s.repo(&format!("{o}/{n}")).cloned() else {
                return Reply::not_found();
            };
            match find(s, &|i| installation_reaches(i, &repo)) {
                Some(i) => Reply::json(200, installation_json(s, &r.base, &i)),
                None => Reply::not_found(),
            }
        }
        ("GET", ["orgs", o, "installation"]) => {
            if !s.account(o).is_some_and(|a| a.is_org) {
                return Reply::not_found();
            }
            match find(s, &|i| i.account.eq_ignore_ascii_case(o)) {
                Some(i) => Reply::json(200, installation_json(s, &r.base, &i)),
                None => Reply::not_found(),
            }
        }
        ("GET", ["users", u, "installation"]) => {
            match find(s, &|i| i.account.eq_ignore_ascii_case(u)) {
                Some(i) => Reply::json(200, installation_json(s, &r.base, &i)),
                None => Reply::not_found(),
            }
        }
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            let id = id.parse::<u64>().unwrap_or(0);
            match find(s, &|i| i.id == id) {
                Some(i) => mint_token(s, r, &i),
                None => Reply::not_found(),
            }
        }
        _ => Reply::error(403, "Resource not accessible by integration"),
    }
}

pub(crate) fn installation_reaches(i: &crate::Installation, repo: &Repo) -> bool {
    repo.owner.eq_ignore_ascii_case(&i.account)
        && i.repositories
            .as_ref()
            .is_none_or(|l| l.iter().any(|n| n.eq_ignore_ascii_case(&repo.name)))
}

fn installation_json(s: &State, base: &str, i: &crate::Installation) -> Value {
    let account = s.account(&i.account).cloned().unwrap_or(Account {
        login: i.account.clone(),
        id: 1,
        is_org: false,
    });
    json!({
        "id": i.id,
        "app_id": i.app_id,
        "account": account_json(base, &account),
        "target_type": if account.is_org { "Organization" } else { "User" },
        "repository_selection": if i.repositories.is_some() { "selected" } else { "all" },
        "permissions": i.permissions,
        "access_tokens_url": format!("{base}/app/installations/{}/access_tokens", i.id),
        "events": [],
    })
}

/// `POST /app/installations/{id}/access_tokens`: a `ghs_` token limited to the requested
/// repositories and permissions, each within the installation's, expiring in an hour.
fn mint_token(s: &mut State, r: &Req, inst: &crate::Installation) -> Reply {
    let body: Value = if r.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&r.body) {
            Ok(v) => v,
            Err(_) => return Reply::error(400, "Problems parsing JSON"),
        }
    };
    let mut names: Option<Vec<String>> = None;
    if let Some(list) = body.get("repositories") {
        let Some(list) = list.as_array() else {
            return Reply::invalid(
                "Invalid request.\n\nFor 'properties/repositories', is not an array.",
            );
        };
        names = Some(
            list.iter()
                .map(|v| v.as_str().unwrap_or_default().to_string())
                .collect(),
        );
    }
    if let Some(ids) = body.get("repository_ids").and_then(Value::as_array) {
        let mut v = names.take().unwrap_or_default();
        for id in ids {
            match id.as_u64().and_then(|id| s.repo_by_id(id)) {
                Some(repo) if repo.owner.eq_ignore_ascii_case(&inst.account) => {
                    v.push(repo.name.clone())
                }
                _ => v.push(format!("#{id}")),
            }
        }
        names = Some(v);
    }
    if let Some(list) = &names {
        if !repositories_reachable(s, inst, list) {
            return Reply::invalid(
                "There is at least one repository that does not exist or is not accessible to the parent installation.",
            );
        }
    }
    let permissions: std::collections::BTreeMap<String, String> = match body.get("permissions") {
        None => inst.permissions.clone(),
        Some(Value::Object(map)) => {
            let requested = map
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                .collect();
            match granted_permissions(inst, &requested) {
                Some(p) => p,
                None => {
                    return Reply::invalid(
                        "The permissions requested are not granted to this installation.",
                    )
                }
            }
        }
        Some(_) => {
            return Reply::invalid(
                "Invalid request.\n\nFor 'properties/permissions', is not an object.",
            )
        }
    };
    let (token, expires, effective) =
        register_installation_token(s, inst, names.clone(), permissions.clone(), None);
    let mut out = json!({
        "token": token,
        "expires_at": ts(expires),
        "permissions": permissions,
        "repository_selection": if effective.is_some() { "selected" } else { "all" },
    });
    if let Some(list) = &names {
        let repos: Vec<Value> = list
            .iter()
            .filter_map(|n| s.repo(&format!("{}/{n}", inst.account)))
            .map(|repo| minimal_repo_json(s, &r.base, repo))
            .collect();
        out["repositories"] = Value::Array(repos);
    }
    Reply::json(201, out)
}

/// Does the installation reach every repository named (names without owner)?
pub(crate) fn repositories_reachable(
    s: &State,
    inst: &crate::Installation,
    names: &[String],
) -> bool {
    names.iter().all(|n| {
        s.repo(&format!("{}/{n}", inst.account))
            .is_some_and(|repo| installation_reaches(inst, repo))
    })
}

/// The permissions asked for (`name` → `read`/`write`), when the installation grants each;
/// `None` when one is more than it has (GitHub's 422).
pub(crate) fn granted_permissions(
    inst: &crate::Installation,
    requested: &std::collections::BTreeMap<String, String>,
) -> Option<std::collections::BTreeMap<String, String>> {
    let mut out = std::collections::BTreeMap::new();
    for (k, level) in requested {
        let granted = inst.permissions.get(k).map(String::as_str);
        let ok = match level.as_str() {
            "read" => k == "metadata" || matches!(granted, Some("read" | "write" | "admin")),
            "write" => matches!(granted, Some("write" | "admin")),
            _ => false,
        };
        if !ok {
            return None;
        }
        out.insert(k.clone(), level.clone());
    }
    Some(out)
}

/// Mint an installation token limited to `names` (the installation's repositories when
/// `None`) and `permissions`, expiring an hour from the fake's now: every later request with
/// it is checked as an installation token. `exchange`: the (scope, identity) of a token
/// exchange that asked for it. Returns the token, its expiry and the repositories it reaches.
pub(crate) fn register_installation_token(
    s: &mut State,
    inst: &crate::Installation,
    names: Option<Vec<String>>,
    permissions: std::collections::BTreeMap<String, String>,
    exchange: Option<(String, String)>,
) -> (String, OffsetDateTime, Option<Vec<String>>) {
    let token = stateless_token(inst.app_id);
    let expires = s.now() + time::Duration::hours(1);
    let effective = names.clone().or_else(|| inst.repositories.clone());
    s.tokens.insert(
        token.clone(),
        TokenSpec {
            login: format!("app-{}[bot]", inst.app_id),
            kind: TokenKind::Installation {
                installation_id: inst.id,
                account: inst.account.clone(),
                repositories: effective.clone(),
                permissions: permissions.clone(),
            },
            expires_at: Some(expires),
            revoked: false,
        },
    );
    s.minted.push(crate::MintedToken {
        token: token.clone(),
        installation_id: inst.id,
        repositories: names,
        permissions,
        expires_at: expires,
        exchange,
    });
    (token, expires, effective)
}

/// An installation token in GitHub's stateless form: `ghs_`, the app id, then a JWT-like body
/// with dots, `-` and `_`, about 520 characters (GitHub's pattern `ghs_[A-Za-z0-9._-]{36,}`).
/// Clients must treat it as opaque: nothing about its length or characters is fixed.
fn stateless_token(app_id: u64) -> String {
    use rand::Rng as _;
    const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rngs::OsRng;
    let mut part = |n: usize| -> String {
        (0..n)
            .map(|_| B64URL[rng.gen_range(0..B64URL.len())] as char)
            .collect()
    };
    // Header, claims and signature, as a JWT's are; `-` and `_` guaranteed in the body.
    let (header, claims, signature) = (part(36), part(250), part(210));
    format!("ghs_{app_id}.{header}-_.{claims}.{signature}")
}

/// `DELETE /installation/token`: revokes the installation token used (204).
fn revoke_installation_token(s: &mut State, tok: &str, spec: &TokenSpec) -> Reply {
    if !matches!(spec.kind, TokenKind::Installation { .. }) {
        return Reply::error(403, "Resource not accessible by personal access token");
    }
    if let Some(t) = s.tokens.get_mut(tok) {
        t.revoked = true;
    }
    Reply::empty(204)
}

/// `GET /installation/repositories`: the repositories an installation token reaches, paged.
fn installation_repos(s: &State, r: &Req, spec: &TokenSpec) -> Reply {
    let repositories = match &spec.kind {
        TokenKind::Installation { repositories, .. } => repositories,
        TokenKind::GithubToken => {
            return Reply::error(403, "Resource not accessible by integration");
        }
        _ => return Reply::error(403, "Resource not accessible by personal access token"),
    };
    let mut repos: Vec<Repo> = s
        .repos
        .values()
        .filter(|x| listed(spec, x))
        .cloned()
        .collect();
    repos.sort_by_key(|x| lc(&x.full_name()));
    let all: Vec<Value> = repos
        .iter()
        .map(|x| minimal_repo_json(s, &r.base, x))
        .collect();
    let total = all.len();
    let (items, link) = paginate(s, r, all);
    let mut reply = Reply::json(
        200,
        json!({
            "total_count": total,
            "repository_selection": if repositories.is_some() { "selected" } else { "all" },
            "repositories": items,
        }),
    );
    if let Some(l) = link {
        reply.set("link", l);
    }
    reply
}

/// An HTTP date (IMF-fixdate), as GitHub's `Date` header: `Tue, 01 Dec 2099 06:33:35 GMT`.
fn http_date(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.to_offset(time::UtcOffset::UTC)
        .format(f)
        .unwrap_or_default()
}

/// The most credentials GitHub takes in one revocation request.
const MAX_REVOKED_PER_REQUEST: usize = 1000;

/// `POST /credentials/revoke`: GitHub's credential revocation. Only without authentication
/// (any `Authorization` gets 403); 60 requests an hour (scaled like the primary window), the
/// 61st gets 422 ("the endpoint has been spammed", as GitHub documents it); the body is
/// `{"credentials": [..]}` with 1 to 1000 strings (not JSON → 400, anything else → 422).
/// 202 `{}` on success, whether or not the fake knew a credential (GitHub tells the caller
/// nothing about them); each known token, `ghs_` excepted, is revoked.
fn credentials_revoke(s: &mut State, r: &Req) -> Reply {
    if r.method != "POST" {
        return Reply::not_found();
    }
    if r.authorized {
        return Reply::error(
            403,
            "Credential revocation requests must not be authenticated",
        );
    }
    let window = s.primary_window();
    let now = std::time::Instant::now();
    while s
        .revocations
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        s.revocations.pop_front();
    }
    let limit = 60usize;
    let remaining = limit.saturating_sub(s.revocations.len());
    let headers = |reply: Reply, remaining: usize| {
        reply
            .header("x-ratelimit-limit", limit.to_string())
            .header("x-ratelimit-remaining", remaining.to_string())
    };
    if remaining == 0 {
        return headers(
            Reply::error(
                422,
                "Validation failed, or the endpoint has been spammed: at most 60 credential \
                 revocation requests an hour",
            ),
            0,
        );
    }
    s.revocations.push_back(now);
    let remaining = remaining - 1;
    let body: Value = match serde_json::from_slice(&r.body) {
        Ok(v) => v,
        Err(_) => return headers(Reply::error(400, "Problems parsing JSON"), remaining),
    };
    let invalid = |message: &str| {
        Reply::json(
            422,
            json!({
                "message": "Validation Failed",
                "errors": [{"resource": "CredentialRevocation", "code": "invalid", "field": "credentials", "message": message}],
                "documentation_url": "https://docs.github.com/rest/credentials/revoke#revoke-a-list-of-credentials",
                "status": "422",
            }),
        )
    };
    let list = match body.get("credentials").and_then(Value::as_array) {
        Some(l) => l,
        None => return headers(invalid("credentials is missing or not an array"), remaining),
    };
    if list.is_empty() || list.len() > MAX_REVOKED_PER_REQUEST {
        return headers(invalid("credentials must hold 1 to 1000 items"), remaining);
    }
    let Some(tokens) = list
        .iter()
        .map(|v| v.as_str().filter(|t| !t.is_empty()))
        .collect::<Option<Vec<&str>>>()
    else {
        return headers(
            invalid("every credential must be a non-empty string"),
            remaining,
        );
    };
    for t in tokens {
        if t.starts_with("ghs_") {
            continue;
        }
        if let Some(spec) = s.tokens.get_mut(t) {
            spec.revoked = true;
        }
    }
    headers(Reply::json(202, json!({})), remaining)
}
