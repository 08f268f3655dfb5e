//! `SecretStore`: what the engine needs of the place secrets are kept — a target's public key,
//! an existing secret's visibility, when each secret was last written, and a write — and its
//! implementation over HTTP by
//! [`Client`], which builds the write's JSON here, where the wire format lives. The engine's
//! unit tests implement it in memory (`memory_store`), so its decisions (what to write, retry,
//! stop, resume, report) are tested without a server.

use std::future::Future;

use serde_json::json;

use super::client::Client;
use super::endpoints::{self, ExistingSecret, PublicKey, Written};
use super::error::ApiError;
use crate::target::Target;

/// One sealed value, ready to store: what `PUT …/secrets/{name}` carries.
#[derive(Clone, Debug)]
pub(crate) struct Sealed<'a> {
    /// The base64 sealed box.
    pub(crate) encrypted_value: String,
    pub(crate) key_id: String,
    /// Organisation secrets only: who may use it (`all`, `private`, `selected`).
    pub(crate) visibility: Option<&'static str>,
    /// With `selected` visibility: the repositories' ids.
    pub(crate) selected_repository_ids: Option<&'a [u64]>,
}

/// Where secrets are kept, as the engine sees it. Errors are [`ApiError`]s: the engine explains
/// each (cause and fix) the same way whatever the store.
pub(crate) trait SecretStore {
    /// The target's public key, to seal values for it.
    fn public_key(&self, target: &Target) -> impl Future<Output = Result<PublicKey, ApiError>>;

    /// Whether the secret exists, and its `visibility` as stored, if any.
    fn secret_visibility(
        &self,
        target: &Target,
        name: &str,
    ) -> impl Future<Output = Result<ExistingSecret, ApiError>>;

    /// Every secret's name and `updated_at` (no value): what preflight recorded, read again.
    fn updated_at(
        &self,
        target: &Target,
    ) -> impl Future<Output = Result<Vec<(String, time::OffsetDateTime)>, ApiError>>;

    /// Stores one sealed value.
    fn put_secret(
        &self,
        target: &Target,
        name: &str,
        sealed: &Sealed<'_>,
    ) -> impl Future<Output = Result<Written, ApiError>>;

    /// The pacing its writes go through, for estimates; a store that does not pace (in
    /// memory) estimates what the writes would take at GitHub's limits from a standing start.
    fn pacing(&self) -> crate::pacing::Pacing {
        crate::pacing::Pacing::new(crate::pacing::GITHUB, crate::pacing::Clock::REAL)
    }
}

impl SecretStore for Client {
    fn pacing(&self) -> crate::pacing::Pacing {
        Client::pacing(self)
    }

    async fn public_key(&self, target: &Target) -> Result<PublicKey, ApiError> {
        endpoints::public_key(self, target).await
    }

    async fn secret_visibility(
        &self,
        target: &Target,
        name: &str,
    ) -> Result<ExistingSecret, ApiError> {
        endpoints::secret_visibility(self, target, name).await
    }

    async fn updated_at(
        &self,
        target: &Target,
    ) -> Result<Vec<(String, time::OffsetDateTime)>, ApiError> {
        match endpoints::list_secrets(self, target).await {
            Ok(all) => Ok(all.into_iter().map(|s| (s.name, s.updated_at)).collect()),
            Err(
                endpoints::ReadError::NoAnswer(e)
                | endpoints::ReadError::Refused(e)
                | endpoints::ReadError::NotUnderstood(e),
            ) => Err(e),
        }
    }

    async fn put_secret(
        &self,
        target: &Target,
        name: &str,
        sealed: &Sealed<'_>,
    ) -> Result<Written, ApiError> {
        let mut body =
            json!({ "encrypted_value": sealed.encrypted_value, "key_id": sealed.key_id });
        if let (Some(v), Some(fields)) = (sealed.visibility, body.as_object_mut()) {
            fields.insert("visibility".into(), json!(v));
            if let Some(ids) = sealed.selected_repository_ids {
                fields.insert("selected_repository_ids".into(), json!(ids));
            }
        }
        endpoints::put_secret(self, target, name, &body).await
    }
}
