//! GitHub Apps: key pairs for tests, the apps and installations the fake knows, and JWT
//! verification as GitHub does it (RS256 with the app's public key, `iss`, `iat`, `exp`).
//!
//! The signature is checked here with the `rsa` crate directly, independently of whatever
//! library the client under test signs with.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine as _;
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPrivateKey};
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::{DecodePublicKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::signature::Verifier as _;
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use sha2::Sha256;

/// An RSA key pair for a test app, PEM-encoded the ways GitHub and tools hand them out.
#[derive(Clone)]
pub struct AppKey {
    /// `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1), as GitHub's "Generate a private key" gives.
    pub pkcs1_pem: String,
    /// `-----BEGIN PRIVATE KEY-----` (PKCS#8).
    pub pkcs8_pem: String,
    /// `-----BEGIN PUBLIC KEY-----` (SPKI), for [`crate::FakeGitHub::add_app`].
    pub public_pem: String,
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(***)")
    }
}

impl AppKey {
    /// A fresh 2048-bit key pair (pure-Rust key generation; slow in unoptimised builds, so
    /// prefer [`AppKey::shared`] and [`AppKey::other`]).
    pub fn generate() -> AppKey {
        let mut rng = rand::rngs::OsRng;
        let private = RsaPrivateKey::new(&mut rng, 2048).expect("fake-github: RSA key generation");
        let public = RsaPublicKey::from(&private);
        AppKey {
            pkcs1_pem: private
                .to_pkcs1_pem(LineEnding::LF)
                .expect("fake-github: PKCS#1 PEM")
                .to_string(),
            pkcs8_pem: private
                .to_pkcs8_pem(LineEnding::LF)
                .expect("fake-github: PKCS#8 PEM")
                .to_string(),
            public_pem: public
                .to_public_key_pem(LineEnding::LF)
                .expect("fake-github: public PEM"),
        }
    }

    /// One key pair per process, generated on first use.
    pub fn shared() -> &'static AppKey {
        static KEY: OnceLock<AppKey> = OnceLock::new();
        KEY.get_or_init(AppKey::generate)
    }

    /// A second key pair per process, different from [`AppKey::shared`] (a wrong key).
    pub fn other() -> &'static AppKey {
        static KEY: OnceLock<AppKey> = OnceLock::new();
        KEY.get_or_init(AppKey::generate)
    }

    /// The fake OIDC issuer's key pair (it signs the runner's ID tokens), one per process,
    /// different from [`AppKey::shared`] and [`AppKey::other`].
    pub fn issuer() -> &'static AppKey {
        static KEY: OnceLock<AppKey> = OnceLock::new();
        KEY.get_or_init(AppKey::generate)
    }
}

/// A registered app.
#[derive(Clone)]
pub(crate) struct AppRecord {
    pub id: u64,
    pub client_id: String,
    pub public: RsaPublicKey,
}

/// Where an app is installed and what it was granted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Installation {
    pub id: u64,
    pub app_id: u64,
    /// The user or organisation login.
    pub account: String,
    /// Repository names (without owner) the installation may reach; `None` = all of the
    /// account's repositories.
    pub repositories: Option<Vec<String>>,
    /// e.g. `secrets` → `write`, `metadata` → `read`.
    pub permissions: BTreeMap<String, String>,
}

/// A token minted by `POST /app/installations/{id}/access_tokens`, as the fake remembers it.
#[derive(Clone, PartialEq, Eq)]
pub struct MintedToken {
    pub token: String,
    pub installation_id: u64,
    /// Repository names the token is limited to, as requested; `None` = the installation's.
    pub repositories: Option<Vec<String>>,
    pub permissions: BTreeMap<String, String>,
    pub expires_at: time::OffsetDateTime,
    /// `(scope, identity)` when the token exchange minted it; `None` for
    /// `POST /app/installations/{id}/access_tokens`.
    pub exchange: Option<(String, String)>,
}

impl std::fmt::Debug for MintedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MintedToken")
            .field("token", &"ghs_***")
            .field("installation_id", &self.installation_id)
            .field("repositories", &self.repositories)
            .field("permissions", &self.permissions)
            .field("expires_at", &self.expires_at)
            .field("exchange", &self.exchange)
            .finish()
    }
}

pub(crate) fn parse_public_key(pem: &str) -> Option<RsaPublicKey> {
    RsaPublicKey::from_public_key_pem(pem.trim())
        .ok()
        .or_else(|| RsaPublicKey::from_pkcs1_pem(pem.trim()).ok())
}

/// Seconds of clock drift tolerated on `iat` (GitHub allows a little; clients backdate 60 s).
pub(crate) const IAT_SKEW_SECS: i64 = 30;
/// The longest JWT lifetime GitHub accepts.
pub(crate) const MAX_LIFETIME_SECS: i64 = 600;

const MSG_EXP: &str = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const MSG_EXP_FAR: &str = "'Expiration time' claim ('exp') is too far in the future";
const MSG_IAT: &str =
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
const MSG_DECODE: &str = "A JSON web token could not be decoded";
const MSG_ISS: &str = "'Issuer' claim ('iss') must be an Integer";

/// Does this bearer look like a JWT (three base64url parts, a JSON header)?
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3 && token.starts_with("eyJ")
}

/// Verifies a JWT against the registered apps. `Ok(app id)`, or the 401 message GitHub gives.
pub(crate) fn verify(token: &str, apps: &[AppRecord], now: i64) -> Result<u64, &'static str> {
    let mut parts = token.split('.');
    let (Some(h), Some(p), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(MSG_DECODE);
    };
    let json = |s: &str| -> Option<Value> { serde_json::from_slice(&B64URL.decode(s).ok()?).ok() };
    let (Some(header), Some(claims)) = (json(h), json(p)) else {
        return Err(MSG_DECODE);
    };
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(MSG_DECODE);
    }
    let app = match claims.get("iss") {
        Some(Value::Number(n)) => n.as_u64().and_then(|id| apps.iter().find(|a| a.id == id)),
        Some(Value::String(s)) => apps
            .iter()
            .find(|a| a.client_id == *s || s.parse::<u64>().ok() == Some(a.id)),
        _ => return Err(MSG_ISS),
    };
    let Some(app) = app else {
        return Err("Integration not found");
    };
    let Ok(signature) = B64URL
        .decode(sig)
        .map_err(|_| ())
        .and_then(|b| Signature::try_from(b.as_slice()).map_err(|_| ()))
    else {
        return Err(MSG_DECODE);
    };
    let verifier = VerifyingKey::<Sha256>::new(app.public.clone());
    if verifier
        .verify(format!("{h}.{p}").as_bytes(), &signature)
        .is_err()
    {
        return Err(MSG_DECODE);
    }
    let Some(iat) = claims.get("iat").and_then(Value::as_i64) else {
        return Err(MSG_IAT);
    };
    if iat > now + IAT_SKEW_SECS {
        return Err(MSG_IAT);
    }
    let Some(exp) = claims.get("exp").and_then(Value::as_i64) else {
        return Err(MSG_EXP);
    };
    if exp <= now {
        return Err(MSG_EXP);
    }
    if exp - iat > MAX_LIFETIME_SECS {
        return Err(MSG_EXP_FAR);
    }
    Ok(app.id)
}

/// Signs a JWT for tests of the fake itself (and for clients that want a deliberately bad one):
/// RS256 over the given claims with a PKCS#1 or PKCS#8 private key PEM.
pub fn sign_jwt(private_pem: &str, claims: &Value) -> String {
    use rsa::pkcs1::DecodeRsaPrivateKey;
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let key = RsaPrivateKey::from_pkcs1_pem(private_pem.trim())
        .or_else(|_| RsaPrivateKey::from_pkcs8_pem(private_pem.trim()))
        .expect("fake-github: a PKCS#1 or PKCS#8 RSA private key");
    let header = B64URL.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
    let payload = B64URL.encode(claims.to_string());
    let signing = rsa::pkcs1v15::SigningKey::<Sha256>::new(key);
    let sig = signing.sign(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", B64URL.encode(sig.to_bytes()))
}
