//! Encryption for GitHub's secrets API: a libsodium sealed box of the value for the target's
//! Curve25519 public key, base64-encoded. Three visible steps: decode the key, seal, encode.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_box::PublicKey;

use crate::secret::SecretValue;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("the public key is not 32 bytes of base64")]
    BadKey,
    /// A small-order point of Curve25519: every shared secret with it is all zeros, so a box
    /// sealed to it opens without any private key. libsodium's `crypto_scalarmult` refuses these.
    #[error(
        "the public key is a low-order point: anyone could open a value sealed to it, so nothing \
         is sealed to it (is the API endpoint GitHub?)"
    )]
    LowOrderKey,
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
    /// The key GitHub gave as `key_id` and the base64 of its bytes; refuses anything but 32
    /// bytes, and the low-order points.
    pub fn from_base64(key_id: &str, key_base64: &str) -> Result<Self, SealError> {
        let bytes = STANDARD
            .decode(key_base64.trim())
            .map_err(|_| SealError::BadKey)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| SealError::BadKey)?;
        if has_small_order(&bytes) {
            return Err(SealError::LowOrderKey);
        }
        Ok(Self {
            key_id: key_id.to_owned(),
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

/// Whether `key` is a point of small order (or an encoding of one, canonical or not): its
/// product with a clamped scalar — a multiple of the cofactor 8 — is the identity, exactly as
/// libsodium's `crypto_scalarmult` finds an all-zero shared secret. A key of large order times a
/// random scalar is never the identity.
fn has_small_order(key: &[u8; 32]) -> bool {
    use subtle::ConstantTimeEq;
    let scalar: [u8; 32] = rand::random();
    let shared = curve25519_dalek::montgomery::MontgomeryPoint(*key).mul_clamped(scalar);
    bool::from(shared.as_bytes().ct_eq(&[0u8; 32]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_box::SecretKey;

    #[test]
    fn sealed_box_opens_with_the_secret_key() {
        let sk = SecretKey::generate(&mut crypto_box::aead::OsRng);
        let key_base64 = STANDARD.encode(sk.public_key().as_bytes());
        let key = SealingKey::from_base64("k", &key_base64).expect("key");
        let sealed = key.seal(&SecretValue::from("multi\nline ✓")).expect("seal");
        let opened = sk
            .unseal(&STANDARD.decode(sealed).expect("b64"))
            .expect("open");
        assert_eq!(opened, "multi\nline ✓".as_bytes());
    }

    /// The small-order points libsodium blocks (`crypto_scalarmult_curve25519`'s blocklist):
    /// 0, 1, the two points of order 8, p-1, p, p+1, and the same with the top bit set.
    const SMALL_ORDER: [&str; 7] = [
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    ];

    fn unhex(s: &str) -> [u8; 32] {
        let v: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
            .collect();
        v.try_into().expect("32 bytes")
    }

    #[test]
    fn refuses_every_small_order_point_in_every_encoding() {
        for hex in SMALL_ORDER {
            for top_bit in [0u8, 0x80] {
                let mut bytes = unhex(hex);
                bytes[31] |= top_bit;
                let key_base64 = STANDARD.encode(bytes);
                assert_eq!(
                    SealingKey::from_base64("k", &key_base64).err(),
                    Some(SealError::LowOrderKey),
                    "{hex} with top bit {top_bit:#x}"
                );
            }
        }
    }

    #[test]
    fn accepts_real_keys() {
        for _ in 0..64 {
            let sk = SecretKey::generate(&mut crypto_box::aead::OsRng);
            assert!(!has_small_order(sk.public_key().as_bytes()));
        }
    }

    #[test]
    fn rejects_bad_keys() {
        let short = STANDARD.encode([9u8; 31]);
        let long = STANDARD.encode([9u8; 33]);
        for key in ["", "not base64!", "AAAA", &short, &long] {
            assert_eq!(
                SealingKey::from_base64("k", key).err(),
                Some(SealError::BadKey)
            );
        }
    }
}
