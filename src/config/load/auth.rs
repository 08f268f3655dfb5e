//! How to authenticate: `token`, or a GitHub App (`app-id` with `app-private-key`, and
//! `app-installation-id`), never both.

use super::Loader;
use crate::config::input::Input;
use crate::config::problem::InputProblem;
use crate::config::{AppCredentials, Auth};
use crate::secret::SecretValue;

impl Loader<'_> {
    pub(in crate::config) fn auth(&mut self, token: SecretValue, app_key: SecretValue) -> Auth {
        let app_id = self.raw.app_id.trim();
        let installation = self.raw.app_installation_id.trim();
        let wants_app = !app_id.is_empty() || !app_key.is_empty();
        let (id_name, key_name) = (self.named(Input::AppId), self.named(Input::AppPrivateKey));
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
