//! An in-memory [`SecretStore`] for the engine's unit tests, with real Curve25519 key pairs:
//! every write is opened with the target's secret key, so a test sees the value that would be
//! stored. Failures are scripted per target; every call is counted.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use crypto_box::SecretKey;

use crate::github::endpoints::{ExistingSecret, PublicKey, Written};
use crate::github::{ApiError, Sealed, SecretStore};
use crate::target::Target;

/// A scripted failure: which call, and the error it answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fails {
    /// Every public-key read of the target.
    Key,
    /// Every write to the target (of any name).
    Put,
    /// Writes to the target are refused with 422 this many times (a rotated key).
    RejectPut(u32),
}

#[derive(Default)]
struct State {
    /// Target label → key id and secret key; the key id changes when rotated.
    keys: HashMap<String, (String, SecretKey)>,
    /// (target label, name) → the opened value and the key id it was sealed for.
    stored: BTreeMap<(String, String), (String, String)>,
    fails: HashMap<String, Fails>,
    /// (target label, name) → when it was last written: the Unix epoch plus the number of
    /// calls made before (a seeded secret: the epoch).
    times: BTreeMap<(String, String), time::OffsetDateTime>,
    /// Every call, in order: `key T`, `get T/N`, `list T`, `put T/N`.
    calls: Vec<String>,
    /// Key pairs made so far: the next one's id is `key-{made}`.
    made: usize,
}

#[derive(Default)]
pub(crate) struct MemoryStore {
    state: Mutex<State>,
}

impl MemoryStore {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A secret already stored in `target`.
    pub(crate) fn with(self, target: &Target, name: &str, value: &str) -> Self {
        self.store(target, name, value, time::OffsetDateTime::UNIX_EPOCH);
        self
    }

    /// Stores `value` as another writer would, at `at`.
    pub(crate) fn store(&self, target: &Target, name: &str, value: &str, at: time::OffsetDateTime) {
        let key = (target.to_string(), name.to_owned());
        let mut s = self.lock();
        s.stored
            .insert(key.clone(), (value.to_owned(), String::new()));
        s.times.insert(key, at);
    }

    /// When `name` was last written in `target`.
    pub(crate) fn written_at(&self, target: &Target, name: &str) -> Option<time::OffsetDateTime> {
        self.lock()
            .times
            .get(&(target.to_string(), name.to_owned()))
            .copied()
    }

    /// `target` fails as `fails` says.
    pub(crate) fn failing(self, target: &Target, fails: Fails) -> Self {
        self.lock().fails.insert(target.to_string(), fails);
        self
    }

    /// The value stored for `name` in `target`, opened.
    pub(crate) fn value(&self, target: &Target, name: &str) -> Option<String> {
        self.lock()
            .stored
            .get(&(target.to_string(), name.to_owned()))
            .map(|(v, _)| v.clone())
    }

    /// Every call so far, in order.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.lock().calls.clone()
    }

    /// The writes so far, in order.
    pub(crate) fn puts(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|c| c.starts_with("put "))
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn refused() -> ApiError {
    ApiError::Forbidden {
        reason: Some("Resource not accessible by integration".into()),
    }
}

impl SecretStore for MemoryStore {
    async fn public_key(&self, target: &Target) -> Result<PublicKey, ApiError> {
        let mut s = self.lock();
        let label = target.to_string();
        s.calls.push(format!("key {label}"));
        if s.fails.get(&label) == Some(&Fails::Key) {
            return Err(refused());
        }
        if !s.keys.contains_key(&label) {
            let key_id = format!("key-{}", s.made);
            s.made += 1;
            let pair = (key_id, SecretKey::generate(&mut crypto_box::aead::OsRng));
            s.keys.insert(label.clone(), pair);
        }
        let Some((key_id, sk)) = s.keys.get(&label).cloned() else {
            return Err(refused());
        };
        Ok(PublicKey {
            key_id,
            key_base64: STANDARD.encode(sk.public_key().as_bytes()),
        })
    }

    async fn secret_visibility(
        &self,
        target: &Target,
        name: &str,
    ) -> Result<ExistingSecret, ApiError> {
        let mut s = self.lock();
        let key = (target.to_string(), name.to_owned());
        s.calls.push(format!("get {}/{name}", key.0));
        Ok(match s.stored.get(&key) {
            Some(_) => ExistingSecret::Present {
                visibility: Some("private".to_owned()),
            },
            None => ExistingSecret::Absent,
        })
    }

    async fn updated_at(
        &self,
        target: &Target,
    ) -> Result<Vec<(String, time::OffsetDateTime)>, ApiError> {
        let mut s = self.lock();
        let label = target.to_string();
        s.calls.push(format!("list {label}"));
        Ok(s.times
            .iter()
            .filter(|((t, _), _)| *t == label)
            .map(|((_, name), at)| (name.to_ascii_uppercase(), *at))
            .collect())
    }

    async fn put_secret(
        &self,
        target: &Target,
        name: &str,
        sealed: &Sealed<'_>,
    ) -> Result<Written, ApiError> {
        let mut s = self.lock();
        let label = target.to_string();
        s.calls.push(format!("put {label}/{name}"));
        match s.fails.get(&label).copied() {
            Some(Fails::Put) => return Err(refused()),
            Some(Fails::RejectPut(n)) if n > 0 => {
                s.fails.insert(label.clone(), Fails::RejectPut(n - 1));
                // The key rotated: the next read returns a new one.
                s.keys.remove(&label);
                return Err(ApiError::Rejected { message: None });
            }
            _ => {}
        }
        let Some((key_id, sk)) = s.keys.get(&label).cloned() else {
            return Err(ApiError::Rejected { message: None });
        };
        if key_id != sealed.key_id {
            return Err(ApiError::Rejected { message: None });
        }
        let bytes = STANDARD
            .decode(&sealed.encrypted_value)
            .map_err(|e| ApiError::BadBody(e.to_string()))?;
        let opened = sk
            .unseal(&bytes)
            .map_err(|_| ApiError::Rejected { message: None })?;
        let value = String::from_utf8(opened).map_err(|e| ApiError::BadBody(e.to_string()))?;
        let at = time::OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(s.calls.len() as i64);
        s.times.insert((label.clone(), name.to_owned()), at);
        let previous = s.stored.insert((label, name.to_owned()), (value, key_id));
        Ok(if previous.is_some() {
            Written::Updated
        } else {
            Written::Created
        })
    }
}
