//! Credentials: where a command's token comes from ([`token`]), a GitHub App's JWT and
//! installation tokens ([`app`]), and the guard that revokes every minted token ([`guard`]).

pub mod app;
pub mod guard;
pub mod token;
