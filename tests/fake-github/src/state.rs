//! The world the fake holds: accounts, repositories, tokens, key pairs, secrets, the request
//! log, pending faults and rate-limit counters. Always used under one mutex, never across an
//! await.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use crypto_box::SecretKey;
use rand::Rng as _;
use time::OffsetDateTime;

use crate::{App, Fault, Options, Recorded, Scope, Stored, TokenSpec};

#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub login: String,
    pub id: u64,
    pub is_org: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub private: bool,
    pub archived: bool,
    pub environments: Vec<String>,
    pub created_at: OffsetDateTime,
}

impl Repo {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }
}

/// Identity of a secret scope, with names folded to lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum ScopeKey {
    Repo(String, App),
    Env(String, String),
    Org(String, App),
    User(String),
}

pub(crate) struct KeyPair {
    pub key_id: String,
    pub secret: SecretKey,
    /// Hostile: the public-key endpoint answers these bytes instead of the real public key.
    pub served: Option<Vec<u8>>,
}

impl KeyPair {
    fn generate() -> KeyPair {
        let mut rng = rand::rngs::OsRng;
        let secret = SecretKey::generate(&mut rng);
        // GitHub's key ids are long decimal strings.
        let key_id = format!("{}", rng.gen_range(1_000_000_000_000_000_000u64..u64::MAX));
        KeyPair {
            key_id,
            secret,
            served: None,
        }
    }

    pub fn public_b64(&self) -> String {
        match &self.served {
            Some(bytes) => B64.encode(bytes),
            None => B64.encode(self.secret.public_key().as_bytes()),
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct RateState {
    /// When the window started: monotonic (for its length) and on the fake's clock (for the
    /// reset time it reports).
    pub window_start: Option<(Instant, OffsetDateTime)>,
    pub used: u32,
    pub writes: VecDeque<Instant>,
}

pub(crate) struct State {
    pub opts: Options,
    /// The fake's "now": `None` follows the system clock; `Some` is a clock a test set, which
    /// stands still until the test moves it (token expiry, JWT checks, rate-limit resets).
    pub clock: Option<OffsetDateTime>,
    pub started: Instant,
    pub accounts: BTreeMap<String, Account>,
    pub repos: BTreeMap<String, Repo>,
    pub tokens: HashMap<String, TokenSpec>,
    pub keys: HashMap<ScopeKey, KeyPair>,
    pub secrets: HashMap<ScopeKey, BTreeMap<String, Stored>>,
    pub requests: Vec<Recorded>,
    pub faults: Vec<Fault>,
    pub rate: HashMap<String, RateState>,
    pub first_user: Option<String>,
    pub apps: Vec<crate::app::AppRecord>,
    pub installations: Vec<crate::Installation>,
    pub minted: Vec<crate::MintedToken>,
    /// When each credential revocation request came (its 60-an-hour limit).
    pub revocations: VecDeque<Instant>,
    /// Which requests the hostile echo mode answers.
    pub echo: crate::echo::EchoRules,
    /// The runner's ID-token service and the token exchange.
    pub keyless: crate::keyless::Keyless,
    /// TLS handshakes that failed (the client refused the certificate, or gave up): each is a
    /// connection that never carried a request.
    pub tls_refused: u64,
    next_id: u64,
    seq: u64,
}

/// The system clock in whole seconds, as GitHub writes its timestamps.
fn system_now() -> OffsetDateTime {
    let t = OffsetDateTime::now_utc();
    t.replace_nanosecond(0).unwrap_or(t)
}

pub(crate) fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

pub(crate) fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

impl State {
    /// The fake's "now", whole seconds: the clock a test set, else the system clock.
    pub fn now(&self) -> OffsetDateTime {
        self.clock.unwrap_or_else(system_now)
    }

    pub fn new(opts: Options) -> State {
        State {
            opts,
            clock: None,
            started: Instant::now(),
            accounts: BTreeMap::new(),
            repos: BTreeMap::new(),
            tokens: HashMap::new(),
            keys: HashMap::new(),
            secrets: HashMap::new(),
            requests: Vec::new(),
            faults: Vec::new(),
            rate: HashMap::new(),
            first_user: None,
            apps: Vec::new(),
            installations: Vec::new(),
            minted: Vec::new(),
            revocations: VecDeque::new(),
            echo: crate::echo::EchoRules::default(),
            keyless: crate::keyless::Keyless::new(),
            tls_refused: 0,
            next_id: 1_000_000,
            seq: 0,
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn next_installation_id(&mut self) -> u64 {
        self.id() + 40_000_000
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub fn ensure_account(&mut self, login: &str, is_org: bool) -> Account {
        let key = lc(login);
        if let Some(a) = self.accounts.get_mut(&key) {
            if is_org {
                a.is_org = true;
            }
            return a.clone();
        }
        let id = self.id();
        let a = Account {
            login: login.to_string(),
            id,
            is_org,
        };
        if !is_org && self.first_user.is_none() {
            self.first_user = Some(login.to_string());
        }
        self.accounts.insert(key, a.clone());
        a
    }

    pub fn account(&self, login: &str) -> Option<&Account> {
        self.accounts.get(&lc(login))
    }

    pub fn add_repo(&mut self, full_name: &str, archived: bool, private: bool) -> u64 {
        let (owner, name) = full_name.split_once('/').unwrap_or((full_name, full_name));
        if let Some(r) = self.repos.get_mut(&lc(full_name)) {
            r.archived = archived;
            r.private = private;
            return r.id;
        }
        let owner = self.ensure_account(owner, false).login;
        let id = self.id();
        self.repos.insert(
            lc(full_name),
            Repo {
                id,
                owner,
                name: name.to_string(),
                private,
                archived,
                environments: Vec::new(),
                created_at: self.now(),
            },
        );
        id
    }

    pub fn repo(&self, full_name: &str) -> Option<&Repo> {
        self.repos.get(&lc(full_name))
    }

    pub fn repo_by_id(&self, id: u64) -> Option<&Repo> {
        self.repos.values().find(|r| r.id == id)
    }

    pub fn add_environment(&mut self, full_name: &str, env: &str) {
        if self.repo(full_name).is_none() {
            self.add_repo(full_name, false, false);
        }
        if let Some(r) = self.repos.get_mut(&lc(full_name)) {
            if !r.environments.iter().any(|e| e.eq_ignore_ascii_case(env)) {
                r.environments.push(env.to_string());
            }
        }
    }

    pub fn add_token(&mut self, token: &str, spec: TokenSpec) {
        if !matches!(spec.kind, crate::TokenKind::GithubToken) {
            self.ensure_account(&spec.login, false);
        }
        self.tokens.insert(token.to_string(), spec);
    }

    pub fn scope_key(&self, scope: &Scope) -> ScopeKey {
        match scope {
            Scope::Repo { repo, app } => ScopeKey::Repo(lc(repo), *app),
            Scope::Env { repo, env } => ScopeKey::Env(lc(repo), lc(env)),
            Scope::Org { org, app } => ScopeKey::Org(lc(org), *app),
            Scope::User => ScopeKey::User(lc(self.first_user.as_deref().unwrap_or(""))),
            Scope::UserOf { login } => ScopeKey::User(lc(login)),
        }
    }

    pub fn key(&mut self, k: &ScopeKey) -> &KeyPair {
        self.keys.entry(k.clone()).or_insert_with(KeyPair::generate)
    }

    pub fn key_for_scope(&mut self, scope: &Scope) -> &KeyPair {
        let k = self.scope_key(scope);
        self.key(&k)
    }

    pub fn rotate(&mut self, k: &ScopeKey) {
        self.keys.insert(k.clone(), KeyPair::generate());
    }

    pub fn rotate_scope(&mut self, scope: &Scope) {
        let k = self.scope_key(scope);
        self.rotate(&k);
    }

    pub fn seed_secret(&mut self, scope: &Scope, name: &str, value: &str) {
        let k = self.scope_key(scope);
        let is_org = matches!(k, ScopeKey::Org(..));
        let is_user = matches!(k, ScopeKey::User(..));
        let t = self.now();
        let map = self.secrets.entry(k).or_default();
        let upper = name.to_ascii_uppercase();
        match map.get_mut(&upper) {
            Some(st) => {
                st.value = value.to_string();
                st.updated_at = t;
            }
            None => {
                map.insert(
                    upper,
                    Stored {
                        value: value.to_string(),
                        created_at: t,
                        updated_at: t,
                        visibility: if is_org {
                            Some("private".into())
                        } else if is_user {
                            Some("all".into())
                        } else {
                            None
                        },
                        selected_repository_ids: Vec::new(),
                        writes: 0,
                    },
                );
            }
        }
    }

    pub fn stored_mut(&mut self, scope: &Scope, name: &str) -> Option<&mut Stored> {
        let k = self.scope_key(scope);
        self.secrets
            .get_mut(&k)
            .and_then(|m| m.get_mut(&name.to_ascii_uppercase()))
    }

    pub fn secrets_of(&self, scope: &Scope) -> Vec<(String, Stored)> {
        let k = self.scope_key(scope);
        self.secrets
            .get(&k)
            .map(|m| m.iter().map(|(n, s)| (n.clone(), s.clone())).collect())
            .unwrap_or_default()
    }

    // ---- rate limits -------------------------------------------------------------------

    pub fn primary_limit(&self) -> u32 {
        self.opts.primary_limit.unwrap_or(5000)
    }

    fn scaled(&self, real: Duration) -> Duration {
        let scale = if self.opts.time_scale > 0.0 {
            self.opts.time_scale
        } else {
            1.0
        };
        real.div_f64(scale)
    }

    pub fn primary_window(&self) -> Duration {
        self.scaled(Duration::from_secs(3600))
    }

    pub fn secondary_window(&self) -> Duration {
        self.scaled(Duration::from_secs(60))
    }

    /// Current window of a token's primary counter, started now when none or expired.
    /// Returns (used, reset epoch seconds).
    pub fn primary_status(&mut self, token: &str) -> (u32, u64) {
        let window = self.primary_window();
        let now = self.now();
        let rs = self.rate.entry(token.to_string()).or_default();
        let fresh = match rs.window_start {
            Some((i, _)) => i.elapsed() >= window,
            None => true,
        };
        if fresh {
            rs.window_start = Some((Instant::now(), now));
            rs.used = 0;
        }
        let (_, start) = rs.window_start.unwrap_or((Instant::now(), now));
        let reset = u64::try_from(start.unix_timestamp()).unwrap_or(0) + ceil_secs(window);
        (rs.used, reset)
    }

    pub fn count_primary(&mut self, token: &str) {
        self.primary_status(token);
        if let Some(rs) = self.rate.get_mut(token) {
            rs.used += 1;
        }
    }

    /// For a content-creating request that arrived at `now`: `Err(retry_after_secs)` when over
    /// a secondary limit (a minute's or an hour's, rolling), else count it. A refused request
    /// is not counted. Judged at arrival, the instant the request log records, so the log and
    /// the limits agree on every window.
    pub fn secondary_check(&mut self, token: &str, now: Instant) -> Result<(), u64> {
        let windows: Vec<(u32, Duration)> = [
            (
                self.opts.secondary_limit_per_minute,
                self.secondary_window(),
            ),
            (self.opts.secondary_limit_per_hour, self.primary_window()),
        ]
        .into_iter()
        .filter_map(|(limit, window)| limit.map(|l| (l, window)))
        .collect();
        let Some(longest) = windows.iter().map(|(_, w)| *w).max() else {
            return Ok(());
        };
        let rs = self.rate.entry(token.to_string()).or_default();
        while rs
            .writes
            .front()
            .is_some_and(|t| now.duration_since(*t) >= longest)
        {
            rs.writes.pop_front();
        }
        // The longest wait any full window asks for: until enough of its writes age out.
        let mut wait: Option<Duration> = None;
        for (limit, window) in windows {
            let inside: Vec<Instant> = rs
                .writes
                .iter()
                .copied()
                .filter(|t| now.duration_since(*t) < window)
                .collect();
            let limit = limit as usize;
            if inside.len() >= limit {
                let leaving = inside[inside.len() - limit.max(1)];
                let w = window.saturating_sub(now.duration_since(leaving));
                wait = Some(wait.map_or(w, |x| x.max(w)));
            }
        }
        if let Some(mut wait) = wait {
            if self.opts.retry_after_scaled && self.opts.time_scale > 0.0 {
                wait = wait.mul_f64(self.opts.time_scale);
            }
            return Err(ceil_secs(wait).max(1));
        }
        // Kept in arrival order: concurrent requests may be judged out of it.
        let at = rs
            .writes
            .iter()
            .rposition(|t| *t <= now)
            .map_or(0, |i| i + 1);
        rs.writes.insert(at, now);
        Ok(())
    }

    /// Take the first pending fault matching this request, consuming one of its `times`.
    pub fn take_fault(
        &mut self,
        service: crate::Service,
        method: &str,
        path: &str,
    ) -> Option<crate::FaultKind> {
        let idx = self.faults.iter().position(|f| {
            f.times > 0
                && f.service == service
                && f.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
                && f.path_contains.as_deref().is_none_or(|p| path.contains(p))
        })?;
        let f = &mut self.faults[idx];
        f.times -= 1;
        let kind = f.kind.clone();
        if f.times == 0 {
            self.faults.remove(idx);
        }
        Some(kind)
    }
}

pub(crate) fn requests_jsonl(reqs: &[Recorded]) -> String {
    let mut out = String::new();
    for r in reqs {
        let v = serde_json::json!({
            "service": r.service.label(),
            "method": r.method,
            "path": r.path,
            "query": r.query,
            "status": r.status,
            "body": r.body,
            "authorization": r.authorization,
            "api_version": r.api_version,
            "fault": r.fault,
            "at_ms": r.at.as_millis() as u64,
            "at_us": r.at.as_micros() as u64,
        });
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}
