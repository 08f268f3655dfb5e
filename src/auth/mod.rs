//! Credentials: where a command's token comes from ([`token`]), a GitHub App's JWT and
//! installation tokens ([`app`]), installation tokens exchanged for the job's own identity, with
//! no stored credential ([`keyless`]), and the guard that revokes every minted or exchanged
//! token ([`guard`]).

pub mod app;
pub mod guard;
pub mod keyless;
pub mod token;
