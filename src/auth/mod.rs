//! Credentials: where a command's token comes from ([`token`]), a GitHub App's JWT and
//! installation tokens ([`app`]), installation tokens exchanged for the job's own identity, with
//! no stored credential ([`keyless`]), the guard that revokes every minted or exchanged token
//! ([`guard`]), the one resolver of repository patterns, by what each credential can list
//! ([`reach`]), and the throwaway secret that proves a token can write where nothing else can
//! ([`throwaway`]), deleted on every path out.

pub mod app;
pub mod guard;
pub mod keyless;
pub(crate) mod reach;
pub mod throwaway;
pub mod token;
