//! The app's JWT: its claims (`iat` backdated a minute for clock drift, `exp` nine minutes
//! ahead, `iss` the app's id or client id) and the signer that holds the private key (RS256).

use std::fmt;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

use super::error::AppAuthError;
use crate::secret::SecretValue;

/// Seconds `iat` is set in the past, so a runner clock slightly ahead of GitHub's still works.
pub const IAT_BACKDATE_SECS: u64 = 60;
/// Seconds from now to `exp`. GitHub refuses an `exp` more than 10 minutes after `iat`; with
/// `iat` backdated a minute this keeps the JWT's whole lifetime at ten minutes.
pub const EXP_AHEAD_SECS: u64 = 9 * 60;

/// The claims GitHub reads from an app's JWT.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iat: u64,
    pub exp: u64,
    pub iss: Issuer,
}

/// `iss`: the app's numeric id, or its client id (`Iv23…`), as GitHub accepts both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Issuer {
    Id(u64),
    ClientId(String),
}

impl Issuer {
    pub fn parse(app_id: &str) -> Issuer {
        let app_id = app_id.trim();
        match app_id.parse::<u64>() {
            Ok(id) => Issuer::Id(id),
            Err(_) => Issuer::ClientId(app_id.to_owned()),
        }
    }
}

/// Signs the app's JWTs. Holds the parsed private key; never prints it.
pub struct AppSigner {
    iss: Issuer,
    key: EncodingKey,
}

impl fmt::Debug for AppSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppSigner")
            .field("iss", &self.iss)
            .field("key", &"***")
            .finish()
    }
}

impl AppSigner {
    /// Parses the key (PKCS#1 or PKCS#8 PEM) and proves it can sign. No request is made.
    pub fn new(app_id: &str, private_key: &SecretValue) -> Result<Self, AppAuthError> {
        // A PEM pasted through tools that escape newlines arrives as one line with `\n`.
        let mut pem = private_key.expose().trim().to_owned();
        if !pem.contains('\n') && pem.contains("\\n") {
            pem = pem.replace("\\n", "\n");
        }
        let key = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(|_| AppAuthError::BadKey);
        pem.zeroize();
        let signer = AppSigner {
            iss: Issuer::parse(app_id),
            key: key?,
        };
        // The PEM parser checks the envelope only; signing once checks the key itself.
        signer.sign(now_secs())?;
        Ok(signer)
    }

    /// The claims of a JWT signed at `now` (Unix seconds).
    pub fn claims(&self, now: u64) -> Claims {
        Claims {
            iat: now.saturating_sub(IAT_BACKDATE_SECS),
            exp: now + EXP_AHEAD_SECS,
            iss: self.iss.clone(),
        }
    }

    /// A JWT signed at `now`, RS256.
    pub fn sign(&self, now: u64) -> Result<SecretValue, AppAuthError> {
        jsonwebtoken::encode(&Header::new(Algorithm::RS256), &self.claims(now), &self.key)
            .map(SecretValue::new)
            .map_err(|_| AppAuthError::BadKey)
    }
}

/// The run's clock in Unix seconds ([`crate::env::unix_now`]), read where a JWT is signed: a
/// JWT lives ten minutes, so it is signed with the time it is sent, not a time read earlier in
/// the run.
pub fn now_secs() -> u64 {
    crate::env::unix_now()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A throwaway key, generated once per test process (PKCS#1 PEM, as GitHub hands it out).
    fn test_key() -> SecretValue {
        SecretValue::from(fake_github::AppKey::shared().pkcs1_pem.as_str())
    }

    #[test]
    fn pkcs8_keys_sign_too() {
        let pkcs8 = SecretValue::from(fake_github::AppKey::shared().pkcs8_pem.as_str());
        AppSigner::new("1", &pkcs8).expect("signer");
    }

    fn decode_claims(jwt: &str) -> Claims {
        use base64::Engine as _;
        let payload = jwt.split('.').nth(1).expect("payload");
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("claims")
    }

    #[test]
    fn claims_backdate_iat_and_stay_within_ten_minutes() {
        let signer = AppSigner::new("12345", &test_key()).expect("signer");
        let now = 4_084_000_000; // 2099: a stated now, not the clock
        let jwt = signer.sign(now).expect("sign");
        let claims = decode_claims(jwt.expose());
        assert_eq!(claims.iat, now - 60);
        assert_eq!(claims.exp, now + 540);
        assert!(claims.exp - claims.iat <= 600);
        assert_eq!(claims.iss, Issuer::Id(12345));
        let header = jwt.expose().split('.').next().expect("header");
        use base64::Engine as _;
        let header: serde_json::Value = serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(header)
                .expect("b64"),
        )
        .expect("json");
        assert_eq!(header["alg"], "RS256");
    }

    #[test]
    fn a_client_id_is_a_string_issuer() {
        let signer = AppSigner::new("Iv23liAbCdEf", &test_key()).expect("signer");
        let claims = decode_claims(signer.sign(4_084_000_000).expect("sign").expose());
        assert_eq!(claims.iss, Issuer::ClientId("Iv23liAbCdEf".into()));
    }

    #[test]
    fn escaped_newlines_are_accepted() {
        let escaped = test_key().expose().trim().replace('\n', "\\n");
        AppSigner::new("1", &SecretValue::from(escaped)).expect("signer");
    }

    #[test]
    fn a_bad_key_is_refused_without_echoing_it() {
        let key = test_key();
        let body_line = key.expose().lines().nth(3).expect("line").to_owned();
        let cases = [
            "not a key at all".to_owned(),
            key.expose().replace(&body_line, "AAAA"),
            "-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END RSA PRIVATE KEY-----"
                .to_owned(),
        ];
        for case in cases {
            let err = AppSigner::new("1", &SecretValue::from(case.as_str())).expect_err("bad");
            let err = err.to_string();
            assert!(err.contains("app-private-key"), "{err}");
            for line in case
                .lines()
                .filter(|l| l.len() >= 4 && !l.starts_with("-----"))
            {
                assert!(!err.contains(line), "error echoes the key: {err}");
            }
        }
        let dbg = format!("{:?}", AppSigner::new("1", &key).expect("signer"));
        assert!(!dbg.contains(&body_line), "{dbg}");
    }
}
