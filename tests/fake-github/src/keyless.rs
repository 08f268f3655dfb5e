//! The keyless path's two services, each on its own listener:
//!
//! - **The runner's ID-token service.** `GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=AUD` with
//!   `Authorization: Bearer {ACTIONS_ID_TOKEN_REQUEST_TOKEN}` answers `{"value": "<JWT>"}`: an
//!   RS256 ID token signed by the fake issuer's key ([`crate::AppKey::issuer`]), with GitHub's
//!   claims for the run a test set ([`OidcClaims`]), dated by the fake's clock.
//! - **An octo-sts-style token exchange.** `GET /sts/exchange?scope=SCOPE&identity=IDENTITY`
//!   with `Authorization: Bearer <ID token>` verifies the token for real (RS256 against the
//!   issuer's key, issuer, `exp`, `nbf`), then the trust policy a test installed for (scope,
//!   identity) ([`TrustPolicy`]: issuer, subject, audience — by default the exchange's host
//!   name —, claim patterns), and mints a real installation token on the fake API limited to
//!   the policy's permissions and the scope's repositories: `{"token": "ghs_…"}`. Errors are
//!   octo-sts's (its gRPC gateway's body `{"code", "message", "details"}`, its messages and
//!   status codes: `pkg/octosts/octosts.go` and `trust_policy.go` of octo-sts/app).

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use rand::Rng as _;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::handler::{fault_reply, register_installation_token, Reply, Req};
use crate::state::{lc, State};
use crate::FaultKind;

/// The issuer of GitHub Actions ID tokens.
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The path of the ID-token service, as the runner's URL has it (`plans/{plan}/jobs/{job}`),
/// without its query.
const ID_TOKEN_PATH: &str = "/_apis/distributedtask/hubs/Actions/plans/8b2c1fd5-6a0e-4c9d-9c7b-3f1f5e0c2d11/jobs/4f7a0b1e-2d3c-4e5f-8a9b-0c1d2e3f4a5b/idtoken";

/// How far ahead of `nbf` go-oidc (which octo-sts verifies with) accepts a token: 5 minutes.
const NBF_LEEWAY_SECS: i64 = 300;

/// The claims of the run's ID tokens. `iss`, `aud`, `iat`, `nbf`, `exp` and `jti` are added
/// when a token is issued; [`OidcClaims::claim`] adds or overrides any claim (those too).
#[derive(Debug, Clone, PartialEq)]
pub struct OidcClaims {
    /// `owner/name`.
    pub repository: String,
    pub repository_owner: String,
    /// The `ref` claim, e.g. `refs/heads/main`.
    pub git_ref: String,
    /// e.g. `push`, `workflow_dispatch`, `schedule`, `pull_request`.
    pub event_name: String,
    /// `owner/repo/.github/workflows/file.yml@ref` of the job's workflow (a reusable one's when
    /// the job runs one).
    pub job_workflow_ref: String,
    /// `owner/repo/.github/workflows/file.yml@ref` of the run's workflow.
    pub workflow_ref: String,
    /// The job's environment, if any (it changes the default subject).
    pub environment: Option<String>,
    /// `sub`; `None`: GitHub's default (`repo:R:environment:E`, `repo:R:pull_request`, or
    /// `repo:R:ref:REF`).
    pub sub: Option<String>,
    /// `exp − iat` in seconds (GitHub's tokens: 300). `nbf` is `iat − 600`, as in GitHub's
    /// documented example.
    pub ttl_secs: i64,
    /// Any other claim, or an override of one above or of the issued ones.
    pub extra: BTreeMap<String, Value>,
}

impl OidcClaims {
    /// A run of `.github/workflows/refresh.yml` on a push to `refs/heads/main` of `repository`.
    pub fn for_repo(repository: &str) -> OidcClaims {
        let owner = repository.split('/').next().unwrap_or(repository);
        let workflow = format!("{repository}/.github/workflows/refresh.yml@refs/heads/main");
        OidcClaims {
            repository: repository.to_string(),
            repository_owner: owner.to_string(),
            git_ref: "refs/heads/main".into(),
            event_name: "push".into(),
            job_workflow_ref: workflow.clone(),
            workflow_ref: workflow,
            environment: None,
            sub: None,
            ttl_secs: 300,
            extra: BTreeMap::new(),
        }
    }

    /// Add or override a claim.
    pub fn claim(mut self, name: &str, value: impl Into<Value>) -> OidcClaims {
        self.extra.insert(name.to_string(), value.into());
        self
    }

    /// The `sub` claim.
    pub fn subject(&self) -> String {
        if let Some(sub) = &self.sub {
            return sub.clone();
        }
        match (&self.environment, self.event_name.as_str()) {
            (Some(env), _) => format!("repo:{}:environment:{env}", self.repository),
            (None, "pull_request") => format!("repo:{}:pull_request", self.repository),
            (None, _) => format!("repo:{}:ref:{}", self.repository, self.git_ref),
        }
    }

    /// Every claim of a token issued at `now` for `audience`, as GitHub writes them.
    fn to_json(&self, s: &State, audience: &str, now: i64) -> Value {
        let repo = s.repo(&self.repository);
        let owner = s.account(&self.repository_owner);
        let ref_type = if self.git_ref.starts_with("refs/tags/") {
            "tag"
        } else {
            "branch"
        };
        let sha = format!("{:040x}", u128::from(rand::rngs::OsRng.gen::<u64>()));
        let mut c = json!({
            "jti": random_id(),
            "sub": self.subject(),
            "aud": audience,
            "ref": self.git_ref,
            "sha": sha,
            "repository": self.repository,
            "repository_owner": self.repository_owner,
            "repository_owner_id": owner.map_or(1, |a| a.id).to_string(),
            "repository_visibility": if repo.is_some_and(|r| r.private) { "private" } else { "public" },
            "repository_id": repo.map_or(1, |r| r.id).to_string(),
            "run_id": "9000000001",
            "run_number": "7",
            "run_attempt": "1",
            "actor": self.repository_owner,
            "actor_id": owner.map_or(1, |a| a.id).to_string(),
            "workflow": "refresh",
            "head_ref": "",
            "base_ref": "",
            "event_name": self.event_name,
            "ref_protected": "true",
            "ref_type": ref_type,
            "workflow_ref": self.workflow_ref,
            "workflow_sha": sha,
            "job_workflow_ref": self.job_workflow_ref,
            "job_workflow_sha": sha,
            "runner_environment": "github-hosted",
            "iss": ISSUER,
            "nbf": now - 600,
            "exp": now + self.ttl_secs,
            "iat": now,
        });
        if let (Some(env), Some(o)) = (&self.environment, c.as_object_mut()) {
            o.insert("environment".into(), json!(env));
        }
        if let Some(o) = c.as_object_mut() {
            for (k, v) in &self.extra {
                o.insert(k.clone(), v.clone());
            }
        }
        c
    }
}

/// A trust policy, as octo-sts reads it from `.github/chainguard/{identity}.sts.yaml` (of the
/// repository, or of the organisation's `.github` repository for an organisation policy).
/// Exactly one of `issuer`/`issuer_pattern` and of `subject`/`subject_pattern`, at most one of
/// `audience`/`audience_pattern` (none: the exchange's audience), else the policy does not
/// compile (404, as octo-sts). Patterns are regular expressions matched whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustPolicy {
    pub issuer: Option<String>,
    pub issuer_pattern: Option<String>,
    pub subject: Option<String>,
    pub subject_pattern: Option<String>,
    pub audience: Option<String>,
    pub audience_pattern: Option<String>,
    /// Claim name → pattern (`repository`, `ref`, `event_name`, `job_workflow_ref`…); a
    /// boolean claim compares as `true`/`false`.
    pub claim_pattern: BTreeMap<String, String>,
    /// Installation permissions of the token, e.g. `secrets` → `write` (more than the
    /// exchange's installation has: 403). None at all: the installation's.
    pub permissions: BTreeMap<String, String>,
    /// Organisation policies only: the repositories (names without owner) the token covers;
    /// `None` or empty: every repository the installation reaches.
    pub repositories: Option<Vec<String>>,
}

impl TrustPolicy {
    /// Tokens of GitHub Actions (issuer `https://token.actions.githubusercontent.com`) with
    /// this exact subject.
    pub fn github_actions(subject: &str) -> TrustPolicy {
        TrustPolicy {
            issuer: Some(ISSUER.into()),
            subject: Some(subject.into()),
            ..TrustPolicy::default()
        }
    }

    /// Tokens of GitHub Actions whose subject matches `pattern`.
    pub fn github_actions_matching(pattern: &str) -> TrustPolicy {
        TrustPolicy {
            issuer: Some(ISSUER.into()),
            subject_pattern: Some(pattern.into()),
            ..TrustPolicy::default()
        }
    }

    /// Grant a permission (`secrets`, `write`).
    pub fn permission(mut self, name: &str, level: &str) -> TrustPolicy {
        self.permissions.insert(name.into(), level.into());
        self
    }

    /// Require a claim to match a pattern.
    pub fn claim(mut self, name: &str, pattern: &str) -> TrustPolicy {
        self.claim_pattern.insert(name.into(), pattern.into());
        self
    }

    /// An organisation policy's repositories.
    pub fn repositories(mut self, names: &[&str]) -> TrustPolicy {
        self.repositories = Some(names.iter().map(|n| n.to_string()).collect());
        self
    }
}

/// The keyless services' state.
pub(crate) struct Keyless {
    /// The run's claims; `None` until a test sets them.
    pub claims: Option<OidcClaims>,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub request_token: String,
    /// Every ID token handed out, in order.
    pub issued: Vec<String>,
    /// The app whose installations the exchange mints with; `None`: any app's.
    pub sts_app: Option<u64>,
    /// The audience the exchange expects when a policy names none; `None`: its host name.
    pub sts_audience: Option<String>,
    /// (owner, repository, identity) → policy; owner and repository lower-cased.
    pub policies: HashMap<(String, String, String), TrustPolicy>,
}

impl Keyless {
    pub fn new() -> Keyless {
        Keyless {
            claims: None,
            request_token: runtime_token(),
            issued: Vec::new(),
            sts_app: None,
            sts_audience: None,
            policies: HashMap::new(),
        }
    }
}

/// The runner's request token looks like the real one: a JWT of the runner's service (never a
/// valid token for the API).
fn runtime_token() -> String {
    let header = B64URL.encode(br#"{"typ":"JWT","alg":"RS256","x5t":"runner"}"#);
    format!("{header}.{}.{}", random_b64(300), random_b64(342))
}

fn random_b64(n: usize) -> String {
    const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut rng = rand::rngs::OsRng;
    (0..n)
        .map(|_| B64[rng.gen_range(0..B64.len())] as char)
        .collect()
}

fn random_id() -> String {
    let mut rng = rand::rngs::OsRng;
    let b: [u8; 16] = rng.gen();
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

fn issuer_key() -> &'static RsaPrivateKey {
    static KEY: OnceLock<RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RsaPrivateKey::from_pkcs8_pem(&crate::AppKey::issuer().pkcs8_pem)
            .expect("fake-github: the issuer's PKCS#8 key")
    })
}

/// The issuer key's id (`kid`, also `x5t`): a digest of its public modulus.
fn key_id() -> String {
    use rsa::traits::PublicKeyParts;
    let n = RsaPublicKey::from(issuer_key()).n().to_bytes_be();
    let digest = Sha256::digest(&n);
    digest.iter().take(20).map(|b| format!("{b:02X}")).collect()
}

/// Sign claims as the fake issuer: RS256 with GitHub's header (`typ`, `alg`, `x5t`, `kid`).
pub fn sign_id_token(claims: &Value) -> String {
    let kid = key_id();
    let header =
        B64URL.encode(json!({"typ": "JWT", "alg": "RS256", "x5t": kid, "kid": kid}).to_string());
    let payload = B64URL.encode(claims.to_string());
    let signing = SigningKey::<Sha256>::new(issuer_key().clone());
    let sig = signing.sign(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", B64URL.encode(sig.to_bytes()))
}

/// The URL the runner hands the job (`ACTIONS_ID_TOKEN_REQUEST_URL`): it already has a query.
pub(crate) fn id_token_url(base: &str) -> String {
    format!("{base}{ID_TOKEN_PATH}?api-version=2.0")
}

/// Claims of a token issued now for `audience` (the run's claims must be set).
pub(crate) fn claims_json(s: &State, audience: &str) -> Option<Value> {
    let claims = s.keyless.claims.as_ref()?;
    Some(claims.to_json(s, audience, s.now().unix_timestamp()))
}

/// The runner service's error body.
fn runner_error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        json!({
            "$id": "1",
            "innerException": null,
            "message": message,
            "typeName": "Microsoft.TeamFoundation.Framework.Server.UnauthorizedRequestException, Microsoft.TeamFoundation.Framework.Server",
            "typeKey": "UnauthorizedRequestException",
            "errorCode": 0,
            "eventId": 3000,
        }),
    )
}

fn query_param(r: &Req, name: &str) -> Option<String> {
    r.query.as_deref()?.split('&').find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        (k == name).then(|| {
            percent_encoding::percent_decode_str(&v.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// `GET {ACTIONS_ID_TOKEN_REQUEST_URL}&audience=AUD`.
pub(crate) fn id_token(s: &mut State, r: &Req, fault: Option<&FaultKind>) -> Reply {
    if let Some(f) = fault.and_then(|f| fault_reply(f, s.now())) {
        return f;
    }
    if r.raw_path != ID_TOKEN_PATH {
        return runner_error(404, "The resource cannot be found.");
    }
    if r.method != "GET" {
        return runner_error(405, "The requested resource does not support http method.");
    }
    let Some(token) = r.token.as_deref() else {
        return runner_error(
            401,
            "TF400813: Resource not available for anonymous access. Client authentication required.",
        );
    };
    if token != s.keyless.request_token {
        return runner_error(
            401,
            "TF400813: The user is not authorized to access this resource.",
        );
    }
    let Some(claims) = s.keyless.claims.clone() else {
        return runner_error(
            500,
            "fake-github: no OIDC claims set for this run (FakeGitHub::set_oidc_claims)",
        );
    };
    let audience = query_param(r, "audience")
        .filter(|a| !a.is_empty())
        .unwrap_or_else(|| format!("https://github.com/{}", claims.repository_owner));
    let jwt = sign_id_token(&claims.to_json(s, &audience, s.now().unix_timestamp()));
    s.keyless.issued.push(jwt.clone());
    Reply::json(200, json!({"value": jwt}))
}

/// An error as octo-sts's gateway writes it: the gRPC code, its message, no details.
fn sts_error(status: u16, code: u8, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"code": code, "message": message, "details": []}),
    )
}

// gRPC codes and the HTTP status the gateway gives each.
const INVALID_ARGUMENT: (u16, u8) = (400, 3);
const NOT_FOUND: (u16, u8) = (404, 5);
const PERMISSION_DENIED: (u16, u8) = (403, 7);
const UNAUTHENTICATED: (u16, u8) = (401, 16);

type StsError = ((u16, u8), String);

fn err(code: (u16, u8), message: impl Into<String>) -> StsError {
    (code, message.into())
}

/// Go's `%q` of a string (near enough: JSON's escapes).
fn q(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Go's `%q` of a `[]string`: `["a" "b"]`.
fn q_list(list: &[String]) -> String {
    format!(
        "[{}]",
        list.iter().map(|s| q(s)).collect::<Vec<_>>().join(" ")
    )
}

/// Verify an ID token as octo-sts does (go-oidc): its issuer known, RS256 by the issuer's
/// key, not expired, not before `nbf` (5 minutes' leeway). The claims, or the error.
fn verify(token: &str, now: i64) -> Result<Map<String, Value>, StsError> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(err(INVALID_ARGUMENT, "invalid bearer token"));
    };
    let decode = |x: &str| -> Option<Value> {
        serde_json::from_slice(&B64URL.decode(x.trim_end_matches('=')).ok()?).ok()
    };
    let (Some(header), Some(Value::Object(claims))) = (decode(h), decode(p)) else {
        return Err(err(INVALID_ARGUMENT, "invalid bearer token"));
    };
    let Some(iss) = claims.get("iss").and_then(Value::as_str) else {
        return Err(err(INVALID_ARGUMENT, "invalid bearer token"));
    };
    if !iss.starts_with("https://") || iss.len() <= "https://".len() {
        return Err(err(INVALID_ARGUMENT, "invalid issuer format"));
    }
    if iss != ISSUER {
        return Err(err(
            INVALID_ARGUMENT,
            "unable to fetch or create the provider",
        ));
    }
    let unverified = || err(UNAUTHENTICATED, "unable to verify bearer token");
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(unverified());
    }
    let signature = B64URL
        .decode(sig)
        .ok()
        .and_then(|b| Signature::try_from(b.as_slice()).ok())
        .ok_or_else(unverified)?;
    VerifyingKey::<Sha256>::new(RsaPublicKey::from(issuer_key()))
        .verify(format!("{h}.{p}").as_bytes(), &signature)
        .map_err(|_| unverified())?;
    let exp = claims
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(unverified)?;
    if exp < now {
        return Err(unverified());
    }
    if let Some(nbf) = claims.get("nbf") {
        let nbf = nbf.as_i64().ok_or_else(unverified)?;
        if now + NBF_LEEWAY_SECS < nbf {
            return Err(unverified());
        }
    }
    Ok(claims)
}

/// A pattern matched whole, as octo-sts compiles it: alone first, then `^(?:p)$`.
fn anchored(pattern: &str) -> Option<regex::Regex> {
    regex::Regex::new(pattern).ok()?;
    regex::Regex::new(&format!("^(?:{pattern})$")).ok()
}

struct Compiled {
    issuer: Result<String, regex::Regex>,
    subject: Result<String, regex::Regex>,
    audience: Option<Result<String, regex::Regex>>,
    claims: Vec<(String, regex::Regex)>,
}

/// octo-sts's `Compile`: exactly one issuer and one subject form, at most one audience form,
/// every pattern valid.
fn compile(p: &TrustPolicy) -> Option<Compiled> {
    let one = |exact: &Option<String>,
               pattern: &Option<String>|
     -> Option<Option<Result<String, regex::Regex>>> {
        match (
            exact.as_deref().filter(|x| !x.is_empty()),
            pattern.as_deref().filter(|x| !x.is_empty()),
        ) {
            (Some(_), Some(_)) => None,
            (Some(e), None) => Some(Some(Ok(e.to_string()))),
            (None, Some(pat)) => anchored(pat).map(|r| Some(Err(r))),
            (None, None) => Some(None),
        }
    };
    let issuer = one(&p.issuer, &p.issuer_pattern)??;
    let subject = one(&p.subject, &p.subject_pattern)??;
    let audience = one(&p.audience, &p.audience_pattern)?;
    let claims = p
        .claim_pattern
        .iter()
        .map(|(k, v)| anchored(v).map(|r| (k.clone(), r)))
        .collect::<Option<Vec<_>>>()?;
    Some(Compiled {
        issuer,
        subject,
        audience,
        claims,
    })
}

/// octo-sts's `CheckToken`: issuer, subject, audience (the exchange's when the policy names
/// none), then each claim pattern.
fn check(c: &Compiled, claims: &Map<String, Value>, domain: &str) -> Result<(), StsError> {
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or("");
    let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
    let aud: Vec<String> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    if sub.is_empty() {
        return Err(err(INVALID_ARGUMENT, "invalid subject in token"));
    }
    if aud.iter().any(String::is_empty) {
        return Err(err(INVALID_ARGUMENT, "invalid audience in token"));
    }
    match &c.issuer {
        Err(r) if !r.is_match(iss) => {
            return Err(err(
                PERMISSION_DENIED,
                format!(
                    "trust policy: issuer {} did not match pattern {}",
                    q(iss),
                    q(pattern_of(r))
                ),
            ))
        }
        Ok(e) if e != iss => {
            return Err(err(
                PERMISSION_DENIED,
                format!("trust policy: issuer {} did not match {}", q(iss), q(e)),
            ))
        }
        _ => {}
    }
    match &c.subject {
        Err(r) if !r.is_match(sub) => {
            return Err(err(
                PERMISSION_DENIED,
                format!(
                    "trust policy: subject {} did not match pattern {}",
                    q(sub),
                    q(pattern_of(r))
                ),
            ))
        }
        Ok(e) if e != sub => {
            return Err(err(
                PERMISSION_DENIED,
                format!("trust policy: subject {} did not match {}", q(sub), q(e)),
            ))
        }
        _ => {}
    }
    match &c.audience {
        Some(Err(r)) if !aud.iter().any(|a| r.is_match(a)) => {
            return Err(err(
                PERMISSION_DENIED,
                format!(
                    "trust policy: audience_pattern {} did not match any of {}",
                    q(pattern_of(r)),
                    q_list(&aud)
                ),
            ))
        }
        Some(Ok(e)) if !aud.contains(e) => {
            return Err(err(
                PERMISSION_DENIED,
                format!(
                    "trust policy: audience {} did not match any of {}",
                    q(e),
                    q_list(&aud)
                ),
            ))
        }
        None if !aud.iter().any(|a| a == domain) => {
            return Err(err(
                PERMISSION_DENIED,
                format!(
                    "trust policy: audience {} did not match any of {}",
                    q(domain),
                    q_list(&aud)
                ),
            ))
        }
        _ => {}
    }
    for (name, r) in &c.claims {
        let value = match claims.get(name) {
            None => {
                return Err(err(
                    PERMISSION_DENIED,
                    format!(
                        "trust policy: expected claim {} not found in token",
                        q(name)
                    ),
                ))
            }
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::String(v)) => v.clone(),
            Some(_) => {
                return Err(err(
                    PERMISSION_DENIED,
                    format!("trust policy: expected claim {} not a string", q(name)),
                ))
            }
        };
        if !r.is_match(&value) {
            return Err(err(
                PERMISSION_DENIED,
                format!(
                    "trust policy: claim {} did not match {}",
                    q(name),
                    q(r.as_str())
                ),
            ));
        }
    }
    Ok(())
}

/// The pattern as written in the policy (without the anchoring octo-sts adds).
fn pattern_of(r: &regex::Regex) -> &str {
    let s = r.as_str();
    s.strip_prefix("^(?:")
        .and_then(|x| x.strip_suffix(")$"))
        .unwrap_or(s)
}

/// `GET /sts/exchange?scope=SCOPE&identity=IDENTITY`.
pub(crate) fn exchange(s: &mut State, r: &Req, fault: Option<&FaultKind>) -> Reply {
    if let Some(f) = fault.and_then(|f| fault_reply(f, s.now())) {
        return f;
    }
    if r.raw_path != "/sts/exchange" || r.method != "GET" {
        return sts_error(404, 5, "Not Found");
    }
    match exchange_checked(s, r) {
        Ok(token) => Reply::json(200, json!({"token": token})),
        Err(((status, code), message)) => sts_error(status, code, &message),
    }
}

fn exchange_checked(s: &mut State, r: &Req) -> Result<String, StsError> {
    if r.authorizations != 1 {
        return Err(err(
            UNAUTHENTICATED,
            "expected exactly one authorization header",
        ));
    }
    let bearer = r.token.clone().unwrap_or_default();
    let claims = verify(&bearer, s.now().unix_timestamp())?;
    let scope = query_param(r, "scope").unwrap_or_default();
    let identity = query_param(r, "identity").unwrap_or_default();
    // As octo-sts: `owner/repo` is a repository's policy, `owner` the organisation's (in its
    // `.github` repository).
    let (owner, repo, org) = match scope.rsplit_once('/') {
        Some((o, n)) => (o.to_string(), n.to_string(), false),
        None if scope.is_empty() => (".".to_string(), ".github".to_string(), true),
        None => (scope.clone(), ".github".to_string(), true),
    };
    let inst = s
        .installations
        .iter()
        .find(|i| {
            i.account.eq_ignore_ascii_case(&owner)
                && s.keyless.sts_app.is_none_or(|a| a == i.app_id)
        })
        .cloned()
        .ok_or_else(|| {
            err(
                NOT_FOUND,
                format!("no installation found for {}", q(&owner)),
            )
        })?;
    let not_found = || {
        err(
            NOT_FOUND,
            format!("unable to find trust policy for {}", q(&identity)),
        )
    };
    // The policy is read with the installation: its repository must exist and be reached.
    let readable = s
        .repo(&format!("{owner}/{repo}"))
        .is_some_and(|x| crate::handler::installation_reaches(&inst, x));
    if !readable {
        return Err(not_found());
    }
    let policy = s
        .keyless
        .policies
        .get(&(lc(&owner), lc(&repo), identity.clone()))
        .cloned()
        .ok_or_else(not_found)?;
    let compiled = compile(&policy).ok_or_else(|| {
        err(
            NOT_FOUND,
            format!("unable to compile trust policy found for {}", q(&identity)),
        )
    })?;
    let domain = s
        .keyless
        .sts_audience
        .clone()
        .unwrap_or_else(|| "127.0.0.1".into());
    check(&compiled, &claims, &domain)?;
    let names: Option<Vec<String>> = if org {
        policy.repositories.clone().filter(|l| !l.is_empty())
    } else {
        let name = s
            .repo(&format!("{owner}/{repo}"))
            .map_or(repo.clone(), |x| x.name.clone());
        Some(vec![name])
    };
    // GitHub's 422 for more than the installation has, as octo-sts reports it.
    let refused = || {
        err(
            PERMISSION_DENIED,
            "token exchange failure (StatusUnprocessableEntity)",
        )
    };
    if let Some(list) = &names {
        if !crate::handler::repositories_reachable(s, &inst, list) {
            return Err(refused());
        }
    }
    let permissions = if policy.permissions.is_empty() {
        inst.permissions.clone()
    } else {
        crate::handler::granted_permissions(&inst, &policy.permissions).ok_or_else(refused)?
    };
    let (token, _, _) =
        register_installation_token(s, &inst, names, permissions, Some((scope, identity)));
    Ok(token)
}
