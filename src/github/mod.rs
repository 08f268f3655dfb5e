//! `github`: the only module that knows HTTP. One client constructor ([`Client::new`]: the URL
//! policy, the token's check, User-Agent, timeouts, retries, pacing, a body cap), one pager,
//! the routes, and a typed [`ApiError`] that carries no value or token.

mod client;
pub mod credentials;
pub mod endpoints;
mod pager;
pub mod repos;
pub mod routes;
mod store;
mod token_kind;
mod url;
pub mod wire;

pub use client::{
    check_token, Answer, ApiError, Client, Policy, Stats, TokenError, MAX_BODY_BYTES,
};
pub use pager::{PageError, Pages, MAX_PAGES};
pub(crate) use store::{Sealed, SecretStore};
pub use token_kind::TokenKind;
pub use url::{ApiUrl, UrlError};
