//! The GitHub implementation of [`SecretStore`]: the typed endpoints, and the write's JSON
//! body built here, where the wire format lives.

use serde_json::json;

use super::endpoints::{self, PublicKey, Written};
use super::{ApiError, Client};
use crate::store::{Sealed, SecretStore};
use crate::target::Target;

impl SecretStore for Client {
    async fn public_key(&self, target: &Target) -> Result<PublicKey, ApiError> {
        endpoints::public_key(self, target).await
    }

    async fn secret_visibility(
        &self,
        target: &Target,
        name: &str,
    ) -> Result<Option<Option<String>>, ApiError> {
        endpoints::secret_visibility(self, target, name).await
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
            fields.insert("visibility".into(), json!(v.as_str()));
            if let (crate::config::Visibility::Selected, Some(ids)) =
                (v, sealed.selected_repository_ids)
            {
                fields.insert("selected_repository_ids".into(), json!(ids));
            }
        }
        endpoints::put_secret(self, target, name, &body).await
    }
}
