//! Encryption for GitHub's secrets API: a libsodium sealed box of the value for the target's
//! Curve25519 public key, base64-encoded. Three visible steps: decode the key, seal, encode.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_box::PublicKey;

use crate::secret::SecretValue;

/// A target's public key as GitHub returns it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct PublicKeyDoc {
    pub key_id: String,
    pub key: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the public key is not 32 bytes of base64")]
    BadKey,
    #[error("sealing failed")]
    Seal,
}

/// A decoded public key, ready to seal values.
#[derive(Clone, Debug)]
pub struct SealingKey {
    pub key_id: String,
    key: PublicKey,
}

impl SealingKey {
    pub fn from_doc(doc: &PublicKeyDoc) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(doc.key.trim())
            .map_err(|_| SealError::BadKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        Ok(Self {
            key_id: doc.key_id.clone(),
            key: PublicKey::from(bytes),
        })
    }

    /// The base64 sealed box of `value`: what GitHub expects as `encrypted_value`.
    pub fn seal(&self, value: &SecretValue) -> Result<String, SealError> {
        let sealed = self
            .key
            .seal(&mut crypto_box::aead::OsRng, value.expose().as_bytes())
            .map_err(|_| SealError::Seal)?;
        Ok(STANDARD.encode(sealed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_box::SecretKey;

    #[test]
    fn sealed_box_opens_with_the_secret_key() {
        let sk = SecretKey::generate(&mut crypto_box::aead::OsRng);
        let doc = PublicKeyDoc {
            key_id: "k1".into(),
            key: STANDARD.encode(sk.public_key().as_bytes()),
        };
        let key = SealingKey::from_doc(&doc).expect("key");
        let sealed = key.seal(&SecretValue::from("multi\nline ✓")).expect("seal");
        let opened = sk
            .unseal(&STANDARD.decode(sealed).expect("b64"))
            .expect("open");
        assert_eq!(opened, "multi\nline ✓".as_bytes());
    }

    #[test]
    fn rejects_bad_keys() {
        for key in ["", "not base64!", "AAAA"] {
            let doc = PublicKeyDoc {
                key_id: "k".into(),
                key: key.into(),
            };
            assert_eq!(SealingKey::from_doc(&doc).err(), Some(SealError::BadKey));
        }
    }
}
