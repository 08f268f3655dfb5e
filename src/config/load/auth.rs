//! How to authenticate: `token`, or a GitHub App (`app-id` with `app-private-key`, and
//! `app-installation-id`), or keyless (`sts-url` with `sts-identity`, and `sts-audience`): one
//! of them, never two.

use super::Loader;
use crate::config::input::FrontEnd;
use crate::config::input::Input;
use crate::config::problem::InputProblem;
use crate::config::{AppCredentials, Auth, IdTokenRequest, StsCredentials};
use crate::github::ServiceUrl;
use crate::secret::SecretValue;

impl Loader<'_> {
    pub(in crate::config) fn auth(
        &mut self,
        token: SecretValue,
        app_key: SecretValue,
        request_token: SecretValue,
    ) -> Auth {
        let app_id = self.raw.app_id.trim();
        let installation = self.raw.app_installation_id.trim();
        let wants_app = !app_id.is_empty() || !app_key.is_empty();
        let (id_name, key_name) = (self.named(Input::AppId), self.named(Input::AppPrivateKey));
        let wants_keyless = [
            &self.raw.sts_url,
            &self.raw.sts_identity,
            &self.raw.sts_audience,
        ]
        .iter()
        .any(|s| !s.trim().is_empty());
        if wants_keyless {
            if wants_app || !token.is_empty() {
                let problem = InputProblem::KeylessAndCredential {
                    sts_url: self.named(Input::StsUrl),
                    token: self.named(Input::Token),
                    app_id: id_name,
                };
                self.error(Input::StsUrl, problem);
                return Auth::None;
            }
            return self.keyless(request_token);
        }
        if wants_app && !token.is_empty() {
            let problem = InputProblem::TokenAndApp {
                token: self.named(Input::Token),
                app_id: id_name,
                app_key: key_name,
            };
            self.error(Input::Token, problem);
            return Auth::None;
        }
        if !wants_app {
            return if token.is_empty() {
                Auth::None
            } else {
                Auth::Token(token)
            };
        }
        if app_id.is_empty() || app_key.is_empty() {
            let input = if app_id.is_empty() {
                Input::AppId
            } else {
                Input::AppPrivateKey
            };
            let problem = InputProblem::AppPair {
                app_id: id_name,
                app_key: key_name,
            };
            self.error(input, problem);
            return Auth::None;
        }
        let installation_id = match installation {
            "" => None,
            s => s.parse::<u64>().ok().or_else(|| {
                self.error(Input::AppInstallationId, InputProblem::Expected("a number"));
                None
            }),
        };
        Auth::App(AppCredentials {
            app_id: app_id.to_owned(),
            private_key: app_key,
            installation_id,
        })
    }
}

impl Loader<'_> {
    /// `sts-url`, `sts-identity` and `sts-audience`, with the runner's ID-token request (its
    /// absence is said when a token is needed: a run with nothing to write needs none).
    fn keyless(&mut self, request_token: SecretValue) -> Auth {
        let url = self.raw.sts_url.trim();
        let identity = self.raw.sts_identity.trim();
        let pair = InputProblem::StsPair {
            sts_url: self.named(Input::StsUrl),
            sts_identity: self.named(Input::StsIdentity),
        };
        if url.is_empty() || identity.is_empty() {
            let input = if url.is_empty() {
                Input::StsUrl
            } else {
                Input::StsIdentity
            };
            self.error(input, pair);
            return Auth::None;
        }
        let what = match self.front {
            FrontEnd::Action => "`sts-url`",
            FrontEnd::Cli => "`--sts-url`",
        };
        let url = match ServiceUrl::parse(url, what, false) {
            Ok(u) => u,
            Err(e) => {
                self.error(Input::StsUrl, InputProblem::StsUrl(e));
                return Auth::None;
            }
        };
        if !is_identity(identity) {
            self.error(Input::StsIdentity, InputProblem::StsIdentity);
            return Auth::None;
        }
        let audience = match self.raw.sts_audience.trim() {
            "" => url.host(),
            a if a.len() <= 256 && a.bytes().all(|b| b.is_ascii_graphic()) => a.to_owned(),
            _ => {
                self.error(
                    Input::StsAudience,
                    InputProblem::Expected("an audience of visible ASCII characters, no spaces"),
                );
                return Auth::None;
            }
        };
        let request_url = self.raw.id_token_request_url.trim();
        let id_token_request =
            (!request_url.is_empty() && !request_token.is_empty()).then(|| IdTokenRequest {
                url: request_url.to_owned(),
                token: request_token,
            });
        Auth::Keyless(StsCredentials {
            url,
            identity: identity.to_owned(),
            audience,
            id_token_request,
        })
    }
}

/// A trust policy's name, as octo-sts finds it (`.github/chainguard/NAME.sts.yaml`): letters,
/// digits, `-`, `_` and `.`, not starting with a dot, at most 100 characters.
fn is_identity(s: &str) -> bool {
    s.len() <= 100
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}
