//! `github`: the only module that knows HTTP. One client constructor ([`Client::new`]: the URL
//! policy, the token's check, User-Agent, timeouts, retries, pacing, a body cap), one pager,
//! the routes, and a typed [`ApiError`] that carries no value or token. The keyless path's two
//! services beside the API (the runner's ID-token service, a token exchange) are in
//! [`keyless`]: their own clients, never a GitHub token.

mod answer;
mod client;
pub mod credentials;
pub mod endpoints;
mod error;
#[cfg(test)]
mod fuzz;
pub mod keyless;
mod pager;
pub mod repos;
pub mod routes;
mod store;
mod token_check;
mod token_kind;
mod url;
pub mod wire;

pub use answer::Answer;
pub use client::policy::{Policy, MAX_BODY_BYTES};
pub use client::{Client, Stats};
pub use error::{ApiError, PageError};
pub use pager::{Pages, MAX_PAGES};
pub(crate) use store::{Sealed, SecretStore};
pub use token_check::{check_token, TokenError};
pub use token_kind::TokenKind;
pub use url::{ApiUrl, ServiceUrl, ServiceUrlError, UrlError};
